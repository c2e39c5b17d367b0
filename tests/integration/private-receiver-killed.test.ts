// Private mode, the receiver's app killed (SIGKILL) while private messages come in, then started again on its profile.
// What the server had handed it but it had not decrypted yet dies with its session keys: only the sender can help.
// Every message alice wrote is shown at bob's exactly once, by itself (nothing for alice to send again), and never
// crosses the server in plaintext. bob says nothing after its restarts, so alice must notice by herself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { startLibotrXmppPeer, type LibotrXmppPeer } from '../fixtures/libotr-xmpp-peer.js';
import { goPrivate, signInKeeping, startWatchedHost, type WatchedHost } from '../fixtures/private-restart.js';
import { until } from '../fixtures/until.js';

const password = 'private-receiver-killed-pw';

describe('private mode: the receiver is killed before it decrypted what the server handed it', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let aliceAccount: AccountView;
  let bob: WatchedHost | undefined;
  let carol: LibotrXmppPeer | undefined;
  let bobProfile: string;
  let aliceProfile: string;
  const jid = (user: string) => `${user}@${server.domain}`;

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
    aliceProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-private-killed-alice-'));
    bobProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-private-killed-bob-'));
    alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir: aliceProfile });
    aliceAccount = await signInKeeping(alice, server, 'alice', password, jid('bob'));
  });
  after(async () => {
    await bob?.stop();
    await carol?.close();
    await alice?.dispose();
    await server?.dispose();
    for (const dir of [aliceProfile, bobProfile]) if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('killed twice during a stream of private messages: each arrives once, without "Send again", never in plaintext', { timeout: 300_000 }, async () => {
    /** Per life of bob's app: the ids it showed as new incoming messages (not restored from its history). */
    const lives: Set<string>[] = [];
    const launch = async () => {
      // The whole chat in the snapshot (by default it holds the newest messages, the rest pages in from disk).
      bob = await startWatchedHost({ caFile: server.ca.caCertFile, profileDir: bobProfile, peer: jid('alice'), args: ['--history-recent-per-chat', '5000'] });
      lives.push(bob.shown);
      const snapshot = await bob.call('getSnapshot', {});
      return new Set((snapshot.chats[snapshot.accounts[0]?.id ?? '']?.[jid('alice')] ?? []).map((m) => m.id));
    };
    await launch();
    await signInKeeping(bob!, server, 'bob', password, jid('alice'));
    await goPrivate(server, alice, aliceAccount, bob!, 'bob');

    const sent: ChatMessage[] = [];
    const doubled: string[] = [];
    let count = 0;
    for (let round = 0; round < 2; round++) {
      let writing = true;
      const writer = (async () => {
        while (writing) {
          void alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: `PRIV-TO-BOB-${round}-${String(count++).padStart(4, '0')}` }).then((m) => sent.push(m));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      // Killed while messages stream in: some are with the server, in its socket, or read but not decrypted yet.
      const life = lives[lives.length - 1]!;
      assert.ok(await until(() => life.size >= 30, 60_000), `round ${round}: bob shows messages`);
      await bob!.kill();
      await new Promise((r) => setTimeout(r, 300)); // alice goes on writing while bob is away
      writing = false;
      await writer;

      const restored = await launch();
      const next = lives[lives.length - 1]!;
      const everShown = (id: string) => restored.has(id) || lives.some((l) => l.has(id));
      const ok = await until(() => sent.every((m) => everShown(m.id)), 120_000);
      if (!ok) {
        const states = (await alice.call('getSnapshot', {})).chats[aliceAccount.id]?.[jid('bob')] ?? [];
        const missing = sent.filter((m) => !everShown(m.id)).map((m) => states.find((s) => s.id === m.id) ?? m);
        assert.fail(`round ${round}: never shown at bob: ${missing.length} of ${sent.length}: ${missing.slice(0, 10).map((m) => `${m.body} (${m.state}${m.error ? `: ${m.error}` : ''})`).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 2_000)); // late copies (offered again, offline storage) have come
      for (const id of next) if (!restored.has(id) && lives.slice(0, -1).some((l) => l.has(id))) doubled.push(id);
    }
    assert.deepEqual(doubled, [], 'nothing bob showed before a kill is shown again as new');

    const snapshot = await bob!.call('getSnapshot', {});
    const chat = snapshot.chats[snapshot.accounts[0]!.id]?.[jid('alice')] ?? [];
    for (const m of sent) assert.equal(chat.filter((c) => c.direction === 'in' && c.id === m.id).length, 1, `${m.body} once in bob's chat`);
    for (const m of sent) assert.equal(chat.find((c) => c.id === m.id)?.encrypted, true, `${m.body} arrived private`);

    // Nothing waits for the user: no "Send again" at alice's.
    // Each message's last state as alice's app reported it (the snapshot holds only the newest of a chat).
    const lastState = new Map<string, ChatMessage>();
    for (const e of alice.events) {
      if (e.name !== 'messageUpserted') continue;
      const m = (e.payload as { message: ChatMessage }).message;
      if (m.direction === 'out' && m.peer === jid('bob')) lastState.set(m.id, m);
    }
    const failed = [...lastState.values()].filter((m) => m.state === 'failed');
    assert.deepEqual(failed.map((m) => `${m.body}: ${m.error}`), [], 'no message left "not sent"');
    const wire = await server.receivedStanzas();
    assert.ok(!sent.some((m) => wire.includes(m.body)), 'no private text crossed the server in plaintext');
  });

  test('a contact whose app sends no receipts (libotr, as Pidgin) gets each private message once, also over a new private conversation', async () => {
    carol = await startLibotrXmppPeer({ local: 'carol', domain: server.domain, password, host: '127.0.0.1', port: server.c2sPort, caPem: server.ca.caCertPem });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('carol') && e.contact.presence.show === 'online', { timeoutMs: 30_000 });
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('carol') });
    await carol.waitForEvent(/^gone_secure /);
    const first = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('carol'), body: 'TO-CAROL-ONE' });
    await carol.waitForDisplay((t) => t === 'TO-CAROL-ONE');
    // The server has it; no receipt ever comes, so it is done with: not kept to go again.
    await alice.waitFor('messageUpserted', (e) => e.message.id === first.id && e.message.state === 'sent', { timeoutMs: 30_000 });
    // A new private conversation (the keys refreshed): what went before is not sent again.
    const from = alice.events.length;
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('carol') });
    await alice.waitFor('messageUpserted', (e) => e.message.peer === jid('carol') && e.message.notice?.kind === 'private-refreshed', { after: from, timeoutMs: 30_000 });
    await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('carol'), body: 'TO-CAROL-TWO' });
    await carol.waitForDisplay((t) => t === 'TO-CAROL-TWO');
    assert.deepEqual(
      carol.displayed.filter((d) => d.text.startsWith('TO-CAROL-')).map((d) => d.text),
      ['TO-CAROL-ONE', 'TO-CAROL-TWO'],
      'each shown once at carol',
    );
    assert.deepEqual(carol.errors, []);
  });
});
