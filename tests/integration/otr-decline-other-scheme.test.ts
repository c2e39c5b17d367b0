/**
 * OTR declines while another scheme has the chat (the user's override is OMEMO), against a real Prosody and
 * a contact whose app speaks only OTR (libotr 4.1, opportunistic, tests/fixtures/libotr-xmpp-peer.ts): its
 * offers (whitespace tags) and queries go unanswered, as libotr's own policy NEVER does, so no session
 * starts and the router never has to end one again (no ping-pong of AKEs and notices). Back to Automatic,
 * the contact's OTR works again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { startLibotrXmppPeer, type LibotrXmppPeer } from '../fixtures/libotr-xmpp-peer.js';
import { OMEMO_PROSODY_CONFIG } from '../fixtures/omemo-peer.js';

const password = 'otr-decline-pw';
const T = { timeoutMs: 20_000 };

describe('OTR declines while the chat uses OMEMO', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let aliceAccount: AccountView;
  let bob: LibotrXmppPeer;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ users: [{ username: 'alice', password }, { username: 'bob', password }], contacts: [['alice', 'bob']], extraConfig: OMEMO_PROSODY_CONFIG });
    alice = await startTestCore({ caPem: server.ca.caCertPem, omemo: true });
    aliceAccount = await alice.call('addAccount', { jid: jid('alice'), password, rememberPassword: false, host: '127.0.0.1', port: server.c2sPort });
    await alice.waitFor('accountUpdated', (a) => a.id === aliceAccount.id && a.connection.kind === 'online', T);
    bob = await startLibotrXmppPeer({ local: 'bob', domain: server.domain, password, host: '127.0.0.1', port: server.c2sPort, caPem: server.ca.caCertPem, policy: 'opportunistic' });
  });
  after(async () => {
    await bob?.close();
    await alice?.dispose();
    await server?.dispose();
  });

  const shownAtAlice = (text: string, after: number) =>
    alice.waitFor('messageUpserted', (e) => e.message.peer === jid('bob') && e.message.direction === 'in' && e.message.body === text, { after, ...T });

  test('the contact keeps offering OTR: no answer, no session, at most one notice; after Automatic, OTR works', async () => {
    await alice.call('setE2eeScheme', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'omemo' });
    const from = alice.events.length;
    // Three rounds of offers: a whitespace-tagged message (libotr's opportunistic offer) and a typed query;
    // the plain message after each is in order behind it, so once Alice shows it, she has had the offers.
    for (let round = 1; round <= 3; round++) {
      await bob.send(jid('alice'), `offer ${round}`);
      await bob.send(jid('alice'), '?OTRv3?');
      await shownAtAlice(`offer ${round}`, from);
      await bob.send(jid('alice'), `after query ${round}`);
      await shownAtAlice(`after query ${round}`, from);
    }
    const during = alice.events.slice(from);
    const notices = during
      .filter((e) => e.name === 'messageUpserted')
      .map((e) => (e.payload as { message: ChatMessage }).message)
      .filter((m) => m.peer === jid('bob') && m.direction === 'notice');
    assert.ok(notices.length <= 1, `notices: ${notices.map((m) => m.notice?.kind).join(', ')}`);
    assert.ok(!notices.some((m) => m.notice?.kind === 'ended-for-other-scheme'), 'no session was started and ended again');
    const shown = during.filter((e) => e.name === 'messageUpserted').map((e) => (e.payload as { message: ChatMessage }).message);
    assert.ok(!shown.some((m) => m.body?.includes('?OTR')), 'nothing raw shown');
    assert.ok(
      !during.some((e) => e.name === 'contactUpdated' && (e.payload as { contact: { jid: string; e2ee?: { state: string } } }).contact.e2ee?.state === 'private'),
      'the chat never went private with OTR',
    );

    // Alice remembers that Bob's app speaks OTR (a settings write of its own, the account's settings updated once
    // written): it is done before the next request, so that it cannot bring back the override that one clears.
    const knowsBob = () => alice.core.account(aliceAccount.id).settings.otrContacts?.includes(jid('bob')) === true;
    for (let i = 0; i < 400 && !knowsBob(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(knowsBob(), 'Bob is known to speak OTR');
    // Back to Automatic (Bob has no OMEMO devices): the contact's OTR query starts a private conversation.
    await alice.call('setE2eeScheme', { accountId: aliceAccount.id, peer: jid('bob') });
    const back = alice.events.length;
    await bob.send(jid('alice'), '?OTRv3?');
    await bob.waitForEvent(/^gone_secure/);
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.e2ee?.scheme === 'otr' && e.contact.e2ee.state === 'private', { after: back, ...T });
    // Everything Alice sent while OMEMO had the chat reached libotr before this: exactly one AKE completed, this one.
    assert.equal(bob.otr.events.filter((e) => /^gone_secure/.test(e)).length, 1, bob.otr.events.join('\n'));
    assert.deepEqual(bob.errors, []);
  });
});
