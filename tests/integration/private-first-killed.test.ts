// Private mode, the very first private messages to a contact, and the contact's app killed before it decrypted them.
// No receipt has come from the contact's app yet, so nothing the sender saw says it confirms messages: the messages
// must still wait in the sender's outbox after the server's acknowledgement (the receiver's session keys die with
// it) and go again in the next private conversation, once each. Its capabilities say it confirms (XEP-0115/0184).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { goPrivate, signInKeeping, startWatchedHost, type WatchedHost } from '../fixtures/private-restart.js';
import { until } from '../fixtures/until.js';
import { usersWith } from '../fixtures/xmpp-server.js';

const password = 'private-first-killed-pw';

describe('private mode: the first private messages to a contact, its app killed before it decrypted them', () => {
  let server: ProsodyServer;
  let bob: TestCore;
  let bobAccount: AccountView;
  let alice: WatchedHost | undefined;
  let aliceProfile: string;
  let bobProfile: string;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']] });
    aliceProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-private-first-alice-'));
    bobProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-private-first-bob-'));
    bob = await startTestCore({ caPem: server.ca.caCertPem, profileDir: bobProfile });
    bobAccount = await signInKeeping(bob, server, 'bob', password, jid('alice'));
  });
  after(async () => {
    await alice?.stop();
    await bob?.dispose();
    await server?.dispose();
    for (const dir of [aliceProfile, bobProfile]) if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('each of them arrives once after the restart, by itself and private', { timeout: 180_000 }, async () => {
    const launch = () => startWatchedHost({ caFile: server.ca.caCertFile, profileDir: aliceProfile, peer: jid('bob') });
    alice = await launch();
    await signInKeeping(alice, server, 'alice', password, jid('bob'));
    await goPrivate(server, bob, bobAccount, alice, 'alice');
    const firstLife = alice;

    // alice's app is frozen: the server takes bob's messages (and acknowledges them) but alice never reads them.
    process.kill(firstLife.pid, 'SIGSTOP');
    const sent: ChatMessage[] = [];
    for (const n of [1, 2, 3]) sent.push(await bob.call('sendMessage', { accountId: bobAccount.id, to: jid('alice'), body: `FIRST-PRIVATE-${n}` }));
    for (const m of sent) await bob.waitFor('messageUpserted', (e) => e.message.id === m.id && e.message.state === 'sent', { timeoutMs: 30_000 });
    await firstLife.kill(); // killed before it decrypted any of them: their keys are gone with it
    assert.equal(firstLife.shown.size, 0, 'the first life showed none of them');

    alice = await launch();
    const second = alice;
    const arrived = await until(() => sent.every((m) => second.shown.has(m.id)), 90_000);
    if (!arrived) {
      const states = (await bob.call('getSnapshot', {})).chats[bobAccount.id]?.[jid('alice')] ?? [];
      const missing = sent.filter((m) => !second.shown.has(m.id)).map((m) => states.find((s) => s.id === m.id) ?? m);
      assert.fail(`never shown at alice: ${missing.map((m) => `${m.body} (${m.state})`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 2_000)); // a late second copy would have come by now
    const chat = second.chat.filter((m) => m.direction === 'in');
    for (const m of sent) {
      const copies = chat.filter((c) => c.id === m.id);
      assert.equal(copies.length, 1, `${m.body} once at alice`);
      assert.equal(copies[0]!.body, m.body);
      assert.equal(copies[0]!.encrypted, true, `${m.body} arrived private`);
    }
    for (const m of sent) await bob.waitFor('messageUpserted', (e) => e.message.id === m.id && e.message.state === 'delivered', { timeoutMs: 30_000 });
    const wire = await server.receivedStanzas();
    assert.ok(!sent.some((m) => wire.includes(m.body)), 'no private text crossed the server in plaintext');
  });
});
