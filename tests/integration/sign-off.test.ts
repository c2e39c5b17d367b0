/**
 * Signing out or quitting ends every private conversation properly before the stream closes, as
 * libotr clients do: the peer gets OTR's "disconnected" message and knows the conversation is over,
 * instead of encrypting its next messages to a session that is gone (they would be lost).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { startLibotrXmppPeer, type LibotrXmppPeer } from '../fixtures/libotr-xmpp-peer.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'sign-off-pw';

describe('signing out ends private conversations for the peer too', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const cores: TestCore[] = [];
  const peers: LibotrXmppPeer[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
        { username: 'carol', password },
      ],
      contacts: [
        ['alice', 'bob'],
        ['alice', 'carol'],
      ],
    });
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    cores.push(alice, bob);
    aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
    bobAccount = await bob.call<AccountView>('addAccount', login('bob'));
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.presence.show === 'online');
  });
  after(async () => {
    for (const core of cores) await core.dispose().catch(() => undefined);
    for (const peer of peers) await peer.close().catch(() => undefined);
    await server?.dispose();
  });

  async function goPrivate(from: TestCore, account: AccountView, to: TestCore, peer: string, back: string) {
    await from.call('startPrivate', { accountId: account.id, peer });
    await from.waitFor('contactUpdated', (e) => e.contact.jid === peer && reportedPrivacy(e.contact) === 'private');
    await to.waitFor('contactUpdated', (e) => e.contact.jid === back && reportedPrivacy(e.contact) === 'private');
  }

  test('the other side sees "ended by peer" when one signs out', async () => {
    await goPrivate(alice, aliceAccount, bob, jid('bob'), jid('alice'));
    const from = alice.events.length;
    await bob.call('disconnectAccount', { accountId: bobAccount.id });
    const ended = await alice.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && e.message.notice?.kind === 'ended-by-peer', { after: from });
    assert.equal(ended.message.peer, jid('bob'));
    // It came before the presence said Bob went away: told by Bob's app, not guessed from his absence.
    const notices = alice.events
      .slice(from)
      .filter((e) => e.name === 'messageUpserted' && (e.payload as { message: ChatMessage }).message.direction === 'notice')
      .map((e) => (e.payload as { message: ChatMessage }).message.notice?.kind);
    assert.equal(notices[0], 'ended-by-peer', `notices: ${notices.join(', ')}`);
    // Bob's own chat says that his going offline ended it.
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && e.message.notice?.kind === 'own-offline');
    // Back online: Alice's next message waits for a private conversation and starts it (no request by itself
    // when nothing waits, as libotr's opportunistic policy); then both are private again.
    const [back, bobBack] = [alice.events.length, bob.events.length];
    await bob.call('connectAccount', { accountId: bobAccount.id });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online', { after: back });
    const waiting = await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'back again?' });
    assert.equal(waiting.state, 'waiting', 'never sent in plaintext in a chat that expects privacy');
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private', { after: back });
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && reportedPrivacy(e.contact) === 'private', { after: bobBack });
    const got = await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === 'back again?', { after: bobBack });
    assert.equal(got.message.encrypted, true);
  });

  test('quitting the app (the core stops) tells the peer too', async () => {
    const from = alice.events.length;
    await bob.core.stop();
    await alice.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && e.message.notice?.kind === 'ended-by-peer', { after: from });
  });

  test('a libotr client (mcabber, Pidgin) is told as well: its conversation is finished, not encrypted to nobody', async () => {
    const carol = await startLibotrXmppPeer({ local: 'carol', domain: server.domain, password, host: '127.0.0.1', port: server.c2sPort, caPem: server.ca.caCertPem });
    peers.push(carol);
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('carol') && e.contact.presence.show === 'online');
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('carol') });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('carol') && reportedPrivacy(e.contact) === 'private');
    await carol.waitForEvent(/^gone_secure /);
    assert.equal((await carol.otr.state(jid('alice'))).msgstate, 'encrypted');
    await alice.call('disconnectAccount', { accountId: aliceAccount.id });
    // libotr read OTR's "disconnected" TLV (type 1) from Alice's last message.
    await carol.waitForEvent(/^tlv \S+ type=1 /);
    assert.equal((await carol.otr.state(jid('alice'))).msgstate, 'finished');
  });
});
