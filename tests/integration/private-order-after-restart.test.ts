// Private mode, the receiver's app killed (SIGKILL) and started again on its profile: a private message the server
// handed it in the dead conversation cannot be read there; the sender offers it again (same id) in the next private
// conversation. It must stand where it was written (before what the receiver wrote after its restart), not where it
// arrived (at the time of the new conversation's notice, as it did). And a "could not be read" notice about such a
// copy (matched by the message's id) must not stay as a false alarm once the message came.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { goPrivate, signInKeeping, startWatchedHost, type WatchedHost } from '../fixtures/private-restart.js';
import { rawLogin } from '../fixtures/raw-xmpp.js';
import { until } from '../fixtures/until.js';

const password = 'private-order-pw';

describe('private mode: a message offered again after the receiver restarted stands where it was written', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let aliceAccount: AccountView;
  let bob: WatchedHost | undefined;
  let carol: TestCore | undefined;
  let dave: WatchedHost | undefined;
  let bobProfile: string;
  let aliceProfile: string;
  const extraProfiles: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: ['alice', 'bob', 'carol', 'dave'].map((username) => ({ username, password })),
      contacts: [
        ['alice', 'bob'],
        ['carol', 'dave'],
      ],
    });
    aliceProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-private-order-alice-'));
    bobProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-private-order-bob-'));
    alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir: aliceProfile });
    aliceAccount = await signInKeeping(alice, server, 'alice', password, jid('bob'));
  });
  after(async () => {
    await bob?.stop();
    await dave?.stop();
    await carol?.dispose();
    await alice?.dispose();
    await server?.dispose();
    for (const dir of [aliceProfile, bobProfile, ...extraProfiles]) if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  test('the copy offered again goes before the reply bob wrote after his restart, at the time alice wrote it', { timeout: 240_000 }, async () => {
    const launch = async () => {
      bob = await startWatchedHost({ caFile: server.ca.caCertFile, profileDir: bobProfile, peer: jid('alice') });
    };
    await launch();
    const bobAccount = await signInKeeping(bob!, server, 'bob', password, jid('alice'));
    await goPrivate(server, alice, aliceAccount, bob!, 'bob');

    // bob's app confirms what it shows: from now on alice's private messages wait for that confirmation.
    const first = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'ORDER-1 before the restart' });
    assert.ok(await until(() => bob!.shown.has(first.id), 30_000), 'bob shows the first message');
    await alice.waitFor('messageUpserted', (e) => e.message.id === first.id && e.message.state === 'delivered', { timeoutMs: 30_000 });

    // bob's app dies; alice, still in the old private conversation, writes: the server keeps it for bob.
    await bob!.kill();
    const second = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'ORDER-2 while bob was away' });
    await alice.waitFor('messageUpserted', (e) => e.message.id === second.id && e.message.state === 'sent', { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 50)); // bob's reply is written measurably later

    // bob starts again and writes at once, before his app is even online: his reply is written after alice's message.
    await launch();
    const reply = await bob!.call('sendMessage', { accountId: bobAccount.id, to: jid('alice'), body: 'ORDER-3 bob after his restart' });
    assert.ok(reply.timestamp > second.timestamp, 'the reply is written after the message that waited');
    assert.ok(await until(() => bob!.shown.has(second.id), 90_000), 'alice’s message reaches bob (offered again in a new private conversation)');
    await new Promise((r) => setTimeout(r, 1_000)); // late copies and notices have come

    const snapshot = await bob!.call('getSnapshot', {});
    const chat = snapshot.chats[bobAccount.id]?.[jid('alice')] ?? [];
    const at = (id: string) => chat.findIndex((m) => m.id === id);
    const shown = chat.find((m) => m.id === second.id);
    assert.equal(shown?.encrypted, true, 'it came private');
    assert.equal(shown?.timestamp, second.timestamp, 'at the time alice wrote it');
    assert.ok(at(first.id) < at(second.id) && at(second.id) < at(reply.id), `in the order written: ${chat.map((m) => m.body).join(' | ')}`);

    // Written in one go (as sends queued while the app was busy are handled): each its own time, in the order written,
    // so that however they arrive, bob shows them in that order.
    const burst = await Promise.all([0, 1, 2, 3, 4].map((i) => alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: `ORDER-4.${i} in one go` })));
    assert.deepEqual(burst.map((m) => m.timestamp), [...burst.map((m) => m.timestamp)].sort((a, b) => a - b), 'times in the order written');
    assert.equal(new Set(burst.map((m) => m.timestamp)).size, burst.length, 'no two written at the same time');
  });

  test('"could not be read" about a copy of the dead conversation: once the message comes again (same id), the notice says it came', { timeout: 240_000 }, async () => {
    const carolProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-private-order-carol-'));
    const daveProfile = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-private-order-dave-'));
    extraProfiles.push(carolProfile, daveProfile);
    const launch = async () => {
      dave = await startWatchedHost({ caFile: server.ca.caCertFile, profileDir: daveProfile, peer: jid('carol') });
    };
    carol = await startTestCore({ caPem: server.ca.caCertPem, profileDir: carolProfile });
    const carolAccount = await signInKeeping(carol, server, 'carol', password, jid('dave'));
    await launch();
    const daveAccount = await signInKeeping(dave!, server, 'dave', password, jid('carol'));
    await goPrivate(server, carol, carolAccount, dave!, 'dave');
    const first = await carol.call('sendMessage', { accountId: carolAccount.id, to: jid('dave'), body: 'UNREAD-1 before the restart' });
    await carol.waitFor('messageUpserted', (e) => e.message.id === first.id && e.message.state === 'delivered', { timeoutMs: 30_000 });

    // dave's app dies; carol writes in the old private conversation; then carol's app stops too (her outbox keeps it).
    await dave!.kill();
    const lost = await carol.call('sendMessage', { accountId: carolAccount.id, to: jid('dave'), body: 'UNREAD-2 written into the dead conversation' });
    await carol.waitFor('messageUpserted', (e) => e.message.id === lost.id && e.message.state === 'sent', { timeoutMs: 30_000 });
    await carol.dispose();
    carol = undefined;
    const stanza = new RegExp(`<message\\b[^>]*\\bid=['"]${lost.id}['"][^>]*>[\\s\\S]*?</message>`).exec(await server.receivedStanzas())?.[0];
    assert.ok(stanza?.includes('?OTR:'), 'carol sent it encrypted');

    // dave starts again; that ciphertext comes to him live (as a late delivery would): he cannot read it, and says so.
    await launch();
    assert.ok(await dave!.online(30_000), 'dave online again');
    const raw = await rawLogin({ host: '127.0.0.1', port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem }, 'carol', password);
    try {
      raw.send(stanza!.replace(/^<message\b[^>]*>/, (head) => head.replace(/\s(from|to)=(['"])[^'"]*\2/g, '').replace('<message', `<message to='${jid('dave')}'`)));
      assert.ok(await until(() => dave!.chat.some((m) => m.notice?.kind === 'unreadable'), 30_000), 'dave reports the message he cannot read');
    } finally {
      raw.close();
    }

    // carol's app comes back: her message goes again (same id) in a new private conversation, and dave can read it.
    carol = await startTestCore({ caPem: server.ca.caCertPem, profileDir: carolProfile });
    assert.ok(await until(() => dave!.chat.some((m) => m.id === lost.id && m.direction === 'in'), 90_000), 'the message reaches dave after all');
    assert.equal(dave!.chat.find((m) => m.id === lost.id)?.encrypted, true, 'private');
    await new Promise((r) => setTimeout(r, 1_000)); // what follows the message (the notice's change) has come
    const snapshot = await dave!.call('getSnapshot', {});
    const stored = snapshot.chats[daveAccount.id]?.[jid('carol')] ?? [];
    assert.deepEqual(stored.filter((m) => m.notice?.kind === 'unreadable').map((m) => m.id), [], 'no "could not be read" stays for a message that came');
    assert.equal(stored.find((m) => m.id === `unreadable:${lost.id}`)?.notice?.kind, 'unreadable-resent');
  });
});
