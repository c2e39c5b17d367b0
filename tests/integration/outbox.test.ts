// No message lost, none shown twice: two real cores and a real Prosody. A message sent while the
// server is down, one whose sender was closed before the server acknowledged it, and copies of a
// message the receiver has seen (also before its own restart) — each arrives exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, tempProfiles, type TestCore } from '../fixtures/core.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { usersWith } from '../fixtures/xmpp-server.js';

const password = 'outbox-pw';

describe('outbox: every message arrives exactly once', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const profiles = tempProfiles('klatsch-outbox-profile-');
  const jid = (user: string) => `${user}@${server.domain}`;

  const online = (core: TestCore, after = 0) => core.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after, timeoutMs: 30_000 });
  /** Bob's chat with alice, as his core holds it now. */
  const bobsChat = async () => {
    const snapshot = await bob.call('getSnapshot', {});
    return snapshot.chats[bobAccount.id]?.[jid('alice')] ?? [];
  };
  /** Waits until `marker` (sent after `body`) reached bob: whatever copy of `body` was to come has come. */
  const countAtBob = async (body: string, marker: string) => {
    await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: marker });
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === marker, { timeoutMs: 30_000 });
    return (await bobsChat()).filter((m) => m.direction === 'in' && m.body === body).length;
  };

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']] });
    // Plaintext for these tests: OTR has tests of its own, and its AKE would only slow these down.
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, {
      password,
      policy: 'never',
      cores: [{ profileDir: await profiles.make() }, { profileDir: await profiles.make() }],
    }));
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
    await profiles.removeAll();
  });

  test('a message sent while the server is down shows "sending", and arrives once the server is back — once', async () => {
    const from = alice.events.length;
    await server.stop();
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: from });
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'WHILE-DOWN' });
    assert.equal(sent.state, 'sending', 'kept, not refused');
    await server.start();
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && (e.message.state === 'sent' || e.message.state === 'delivered'), { timeoutMs: 30_000 });
    const got = await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === 'WHILE-DOWN', { timeoutMs: 30_000 });
    assert.equal(got.message.id, sent.id, 'the same id');
    assert.equal(await countAtBob('WHILE-DOWN', 'MARKER-1'), 1);
  });

  test('the sender closed before the server acknowledged: after a restart with the same profile the message goes out, and arrives once', async () => {
    const profileDir = alice.profileDir;
    server.freeze(); // the stanza reaches the server's socket, but no acknowledgement comes back
    let sent: ChatMessage;
    try {
      sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'BEFORE-ACK' });
      assert.equal(sent.state, 'sending');
      await alice.dispose(); // the profile stays (it was given)
    } finally {
      server.thaw(); // now Prosody reads what was sent and delivers it: the copy sent after the restart must be dropped by bob
    }
    alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir });
    const restored = await alice.call('getSnapshot', {});
    const waiting = restored.chats[aliceAccount.id]?.[jid('bob')]?.find((m) => m.id === sent.id);
    assert.equal(waiting?.state, 'sending', 'shown as on its way after the restart, not as failed');
    await online(alice);
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && (e.message.state === 'sent' || e.message.state === 'delivered'), { timeoutMs: 30_000 });
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === 'BEFORE-ACK', { timeoutMs: 30_000 });
    assert.equal(await countAtBob('BEFORE-ACK', 'MARKER-2'), 1);
  });

  test('a copy of a message the receiver has seen is dropped, also after the receiver restarted', async () => {
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'ONLY-ONCE' });
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.id === sent.id);
    const bobProfile = bob.profileDir;
    await bob.dispose();
    bob = await startTestCore({ caPem: server.ca.caCertPem, profileDir: bobProfile });
    await online(bob);
    // Alice's other device (a raw stream) sends the same message again, as an outbox after a restart would.
    const raw = await XmppSession.open({
      local: 'alice',
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    try {
      await raw.send(xml('message', { to: jid('bob'), id: sent.id, type: 'chat' }, xml('body', {}, 'ONLY-ONCE')));
    } finally {
      await raw.close();
    }
    assert.equal(await countAtBob('ONLY-ONCE', 'MARKER-3'), 1);
  });

  test('a message that waited in the outbox carries when it was written (XEP-0203): the receiver orders it by that, not by its arrival', async () => {
    const from = alice.events.length;
    await server.stop();
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: from });
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'WAITED-A-WHILE' });
    await new Promise((r) => setTimeout(r, 2_500)); // it waits: newer messages (from others, or sent before it arrives) may meanwhile come
    await server.start();
    const got = await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.id === sent.id, { timeoutMs: 30_000 });
    assert.ok(Math.abs(got.message.timestamp - sent.timestamp) < 1_000, `shown at the time it was written (${sent.timestamp}), not at its arrival (${got.message.timestamp})`);
  });
});
