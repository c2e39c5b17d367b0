// The sender's app killed (SIGKILL) while it sends, then started again on the same profile — as an outside tester did
// with the development host. Every message the app showed is still there after the restart, none "failed" for being
// killed: what the server had stays sent, the rest goes out again with its id (the receiver shows it once); interrupted
// writes leave no temp files behind; and a message sent right after the restart is answered, not an internal error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { startAppInstance, type AppInstance } from '../../e2e/support/dev-host-process.js';

/** Each chat starts with all of its stored messages (the development host's option; the app starts with a page). */
const WHOLE_CHAT = ['--history-recent-per-chat', '100000'];
const password = 'sender-killed-pw';

interface HostClient {
  call<T>(name: string, payload: unknown): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }>;
  events: { name: string; payload: unknown }[];
  close(): void;
}

/** Talks to a development host as its page does: our origin, the one-time token, then requests and events. */
async function hostClient(url: string): Promise<HostClient> {
  const { origin, hash } = new URL(url);
  const token = new URLSearchParams(hash.slice(1)).get('token')!;
  const socket = new WebSocket(`${origin.replace('http', 'ws')}/ipc`, { origin });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'hello', token }));
  const events: HostClient['events'] = [];
  const waiting = new Map<number, (result: never) => void>();
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; id?: number; name?: string; payload?: unknown; result?: never };
    if (message.type === 'event') events.push({ name: message.name!, payload: message.payload });
    else if (message.type === 'response') waiting.get(message.id!)?.(message.result!);
  });
  let next = 1;
  return {
    events,
    call: (name, payload) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve as never);
        socket.send(JSON.stringify({ type: 'request', id, name, payload }));
      }),
    close: () => socket.close(),
  };
}

describe('the sender is killed while sending', () => {
  let server: ProsodyServer;
  let bob: TestCore;
  let bobAccount: AccountView;
  let alice: AppInstance | undefined;
  const jid = (user: string) => `${user}@${server.domain}`;
  const until = async (what: () => boolean, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!what()) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  };
  const online = (client: HostClient) => until(() => client.events.some((e) => e.name === 'accountUpdated' && (e.payload as AccountView).connection.kind === 'online'));

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    bobAccount = await bob.call<AccountView>('addAccount', { jid: jid('bob'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    await bob.call('setOtrPolicy', { accountId: bobAccount.id, peer: jid('alice'), policy: 'never' });
  });
  after(async () => {
    await alice?.stop();
    await bob?.dispose();
    await server?.dispose();
  });

  test('killed three times while sending: every message shown is kept, none failed, each arrives once; no temp files; sending right after the restart works', async () => {
    // The whole chat in the snapshot (not only its newest page): the checks below look at every message there.
    alice = await startAppInstance(server.ca.caCertFile, undefined, { args: WHOLE_CHAT });
    let client = await hostClient(alice.url);
    const added = await client.call<AccountView>('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    assert.ok(added.ok, JSON.stringify(added.error));
    const accountId = added.value!.id;
    assert.ok(await online(client));
    assert.ok((await client.call('setOtrPolicy', { accountId, peer: jid('bob'), policy: 'never' })).ok);

    /** What alice's app showed of each message (by id): its last state before the kill. */
    const shown = new Map<string, ChatMessage>();
    const internalErrors: string[] = [];
    let count = 0;
    for (let round = 0; round < 3; round++) {
      // The user writes a message every few milliseconds; the app is killed in the middle of it.
      let writing = true;
      const writer = (async () => {
        while (writing) {
          const body = `KILLED-${round}-${String(count++).padStart(4, '0')}`;
          void client.call<ChatMessage>('sendMessage', { accountId, to: jid('bob'), body }).then((r) => {
            if (!r.ok && r.error?.code === 'internal') internalErrors.push(`${body}: ${r.error.message}`);
          });
          await new Promise((r) => setTimeout(r, 4));
        }
      })();
      await new Promise((r) => setTimeout(r, 1_200 + round * 300));
      await alice.kill();
      writing = false;
      await writer;
      for (const e of client.events) if (e.name === 'messageUpserted') shown.set((e.payload as { message: ChatMessage }).message.id, (e.payload as { message: ChatMessage }).message);
      client.close();

      alice = await startAppInstance(server.ca.caCertFile, undefined, { profileDir: alice.profileDir, args: WHOLE_CHAT });
      client = await hostClient(alice.url);
      // Right after the restart, with the outbox restored: sent at once, and again as the stream comes up.
      const soon = [await client.call<ChatMessage>('sendMessage', { accountId, to: jid('bob'), body: `RESTARTED-${round}-a` })];
      assert.ok(await online(client));
      for (let i = 0; i < 20; i++) {
        soon.push(await client.call<ChatMessage>('sendMessage', { accountId, to: jid('bob'), body: `RESTARTED-${round}-${i}` }));
      }
      for (const r of soon) assert.ok(r.ok, `sending right after the restart: ${JSON.stringify(r.error)}`);
      assert.doesNotMatch(alice.output(), /TypeError/, 'no TypeError in the host log');

      const leftovers = (await Promise.all(['outbox', 'history'].map((d) => fs.readdir(path.join(alice!.profileDir, d)).catch(() => [] as string[])))).flat();
      assert.deepEqual(leftovers.filter((name) => name.endsWith('.tmp')), [], 'interrupted writes left no temp files');
    }
    assert.deepEqual(internalErrors, []);

    // Every message the app showed is in its chat after the restarts, and none "failed" for the kills.
    const snapshot = await client.call<{ chats: Record<string, Record<string, ChatMessage[]>> }>('getSnapshot', {});
    const chat = () => snapshot.value!.chats[accountId]?.[jid('bob')] ?? [];
    const wasSent = [...shown.values()].filter((m) => m.direction === 'out' && (m.state === 'sent' || m.state === 'delivered'));
    const missing = wasSent.filter((m) => !chat().some((c) => c.id === m.id));
    assert.deepEqual(missing.map((m) => m.body), [], 'every message shown as sent is still in the sender’s chat');
    const failed = chat().filter((m) => m.state === 'failed');
    assert.deepEqual(failed.map((m) => `${m.body}: ${m.error}`), [], 'no message failed for the kills');
    const shownOut = [...shown.values()].filter((m) => m.direction === 'out');
    const lost = shownOut.filter((m) => !chat().some((c) => c.id === m.id));
    assert.deepEqual(lost.map((m) => m.body), [], 'every message shown as sending is still there');

    // And each reaches bob, once (a resent copy has the first copy's id).
    const bobsChat = () => bob.core.snapshot().chats[bobAccount.id]?.[jid('alice')] ?? [];
    const bodies = shownOut.map((m) => m.body);
    assert.ok(await until(() => bodies.every((b) => bobsChat().some((m) => m.body === b)), 60_000), `bob got every message: missing ${bodies.filter((b) => !bobsChat().some((m) => m.body === b)).slice(0, 5).join(', ')}`);
    for (const body of bodies) assert.equal(bobsChat().filter((m) => m.direction === 'in' && m.body === body).length, 1, `${body} once`);
    client.close();
  });
});
