/**
 * Two real app cores on one real Prosody: presence, messages both ways, and
 * reconnecting by themselves after the server goes away and comes back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type AccountView, type ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'pässwörd with spaces';

describe('chatting', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const aliceJid = () => `alice@${server.domain}`;
  const bobJid = () => `bob@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    const login = (jid: string) => ({ jid, password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    aliceAccount = await alice.call<AccountView>('addAccount', login(aliceJid()));
    bobAccount = await bob.call<AccountView>('addAccount', login(bobJid()));
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  test('each sees the other online, and presence changes with status text', async () => {
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === bobJid() && e.contact.presence.show === 'online');
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === aliceJid() && e.contact.presence.show === 'online');

    await bob.call('setPresence', { accountId: bobAccount.id, show: 'dnd', status: 'In a meeting until 3' });
    const seen = await alice.waitFor('contactUpdated', (e) => e.contact.jid === bobJid() && e.contact.presence.show === 'dnd');
    assert.equal(seen.contact.presence.status, 'In a meeting until 3');
    await bob.call('setPresence', { accountId: bobAccount.id, show: 'away', status: '' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === bobJid() && e.contact.presence.show === 'away');
  });

  test('messages go both ways, with unread counts', async () => {
    const body = 'Hallo Bob! Grüße 👋\nzweite Zeile';
    const sent = await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: bobJid(), body });
    assert.equal(sent.direction, 'out');
    // 'sending' until the server acknowledged it (XEP-0198), then 'sent'.
    assert.ok(sent.state === 'sending' || sent.state === 'sent', sent.state);
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && (e.message.state === 'sent' || e.message.state === 'delivered'));

    const received = await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body);
    assert.equal(received.message.peer, aliceJid());
    assert.equal(received.message.id, sent.id, 'the sender id is kept (for de-duplication)');
    const unread = await bob.waitFor('contactUpdated', (e) => e.contact.jid === aliceJid() && e.contact.unread === 1);
    assert.equal(unread.contact.unread, 1);

    await bob.call('markRead', { accountId: bobAccount.id, peer: aliceJid() });
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === aliceJid() && e.contact.unread === 0);

    await bob.call('sendMessage', { accountId: bobAccount.id, to: aliceJid(), body: 'Hi Alice <b>not bold</b> &amp;' });
    const reply = await alice.waitFor('messageUpserted', (e) => e.message.direction === 'in');
    assert.equal(reply.message.body, 'Hi Alice <b>not bold</b> &amp;', 'text arrives as text, not markup');

    // The default policy (XEP-0364) offered OTR with the first message; the answer came privately.
    assert.equal(reply.message.encrypted, true);
    const snapshot = await alice.call<{ chats: Record<string, Record<string, ChatMessage[]>> }>('getSnapshot', {});
    assert.deepEqual(
      snapshot.chats[aliceAccount.id]?.[bobJid()]?.map((m) => m.direction),
      ['out', 'notice', 'in'],
      'a notice says when the conversation became private',
    );
  });

  test('sending while signed out fails visibly instead of silently', async () => {
    await bob.call('disconnectAccount', { accountId: bobAccount.id });
    const result = await bob.request('sendMessage', { accountId: bobAccount.id, to: aliceJid(), body: 'lost?' });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'not-connected');
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === bobJid() && e.contact.presence.show === 'offline');
    await bob.call('connectAccount', { accountId: bobAccount.id });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === bobJid() && e.contact.presence.show === 'away');
  });

  test('after the server restarts, both reconnect by themselves', async () => {
    const [aliceFrom, bobFrom] = [alice.events.length, bob.events.length];
    await server.stop();
    const reconnecting = await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: aliceFrom });
    assert.ok(reconnecting.connection.kind === 'reconnecting');
    assert.ok(reconnecting.connection.retryAt > Date.now() - 5_000, 'the UI can count down to the next attempt');
    assert.ok(reconnecting.connection.reason.length > 0, 'the reason is shown');
    assert.ok(ErrorCode.safeParse(reconnecting.connection.reasonCode).success, 'with its code, for the UI to say it in the user’s language');
    const dropped = await alice.waitFor('rosterReplaced', () => true, { after: aliceFrom });
    assert.deepEqual(
      dropped.contacts.map((c) => c.presence.show),
      ['offline'],
      'without a connection nobody is shown online',
    );
    await server.start();
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: aliceFrom, timeoutMs: 30_000 });
    await bob.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: bobFrom, timeoutMs: 30_000 });
    // The private conversation the connection loss ended starts again for the next message (it waits for it,
    // as libotr's opportunistic policy: no request by itself when nothing waits); then the message goes through.
    // Until the new stream shows it was not resumed (XEP-0198), the old conversation still counts: look from then on.
    const back = alice.events.findIndex((e, i) => i >= aliceFrom && e.name === 'accountUpdated' && (e.payload as AccountView).connection.kind === 'online');
    await alice.call('sendMessage', { accountId: aliceAccount.id, to: bobJid(), body: 'still there?' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === bobJid() && reportedPrivacy(e.contact) === 'private', { after: back, timeoutMs: 30_000 });
    const got = await bob.waitFor('messageUpserted', (e) => e.message.body === 'still there?');
    assert.equal(got.message.encrypted, true);
  });

  test('a network that silently drops everything is noticed by keepalive pings, and the app reconnects', async () => {
    const from = alice.events.length;
    server.freeze();
    try {
      const lost = await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: from, timeoutMs: 15_000 });
      assert.ok(lost.connection.kind === 'reconnecting');
      assert.match(lost.connection.reason, /stopped answering|lost|did not answer/i);
    } finally {
      server.thaw();
    }
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: from, timeoutMs: 30_000 });
  });
});
