// The receiver's app killed (SIGKILL) right after it showed a message, then started again on the same profile, as
// the soak does. Everything it showed is still in the chat after the restart, and nothing it showed is shown again as
// new when the server or the sender delivers it once more (offline storage, archive, a resent copy). The history is
// written in batches (every second): what was shown must be on disk before, not with the next batch.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { startAppInstance, type AppInstance } from '../../e2e/support/dev-host-process.js';

/** Each chat starts with all of its stored messages (the development host's option; the app starts with a page). */
const WHOLE_CHAT = ['--history-recent-per-chat', '100000'];
const password = 'receiver-killed-pw';

interface HostEvent {
  name: string;
  payload: unknown;
}

interface HostClient {
  call<T>(name: string, payload: unknown): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }>;
  events: HostEvent[];
  /** Called for each event as it arrives (before the next one is read). */
  onEvent?: (event: HostEvent) => void;
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
  const waiting = new Map<number, (result: never) => void>();
  let next = 1;
  const client: HostClient = {
    events: [],
    call: (name, payload) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve as never);
        socket.send(JSON.stringify({ type: 'request', id, name, payload }));
      }),
    close: () => socket.close(),
  };
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; id?: number; name?: string; payload?: unknown; result?: never };
    if (message.type === 'event') {
      const event = { name: message.name!, payload: message.payload };
      client.events.push(event);
      client.onEvent?.(event);
    } else if (message.type === 'response') waiting.get(message.id!)?.(message.result!);
  });
  return client;
}

/** The ids of the incoming messages an event shows. */
function incomingId(event: HostEvent): string | undefined {
  if (event.name !== 'messageUpserted') return undefined;
  const message = (event.payload as { message: ChatMessage }).message;
  return message.direction === 'in' ? message.id : undefined;
}

describe('the receiver is killed right after showing a message', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let aliceAccount: AccountView;
  let bob: AppInstance | undefined;
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
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    aliceAccount = await alice.call<AccountView>('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'never' });
  });
  after(async () => {
    await bob?.stop();
    await alice?.dispose();
    await server?.dispose();
  });

  test('killed three times while messages come in: what was shown is there after the restart, and never shown again as new', async () => {
    // The whole chat in the snapshot (not only its newest page): the checks below look at every message there.
    bob = await startAppInstance(server.ca.caCertFile, undefined, { args: WHOLE_CHAT });
    let client = await hostClient(bob.url);
    const added = await client.call<AccountView>('addAccount', { jid: jid('bob'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    assert.ok(added.ok, JSON.stringify(added.error));
    const accountId = added.value!.id;
    assert.ok(await online(client));
    assert.ok((await client.call('setOtrPolicy', { accountId, peer: jid('alice'), policy: 'never' })).ok);

    const sentIds: string[] = [];
    /** Per life of bob's app: the ids it showed as new messages. */
    const shownInLife: Set<string>[] = [new Set()];
    const gone: string[] = [];
    const doubled: string[] = [];
    let count = 0;
    for (let round = 0; round < 3; round++) {
      let writing = true;
      const writer = (async () => {
        while (writing) {
          const body = `TO-BOB-${round}-${String(count++).padStart(4, '0')}`;
          void alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body }).then((m) => sentIds.push(m.id));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      // Killed at once after it showed the 40th message of this life (its history's batch is not written yet).
      const shown = shownInLife[round]!;
      const killed = new Promise<void>((resolve) => {
        client.onEvent = (event) => {
          const id = incomingId(event);
          if (id !== undefined) shown.add(id);
          if (shown.size >= 40 && client.onEvent) {
            client.onEvent = undefined;
            void bob!.kill().then(resolve);
          }
        };
      });
      await killed;
      await new Promise((r) => setTimeout(r, 300)); // alice goes on writing while bob is away
      writing = false;
      await writer;
      client.close();

      bob = await startAppInstance(server.ca.caCertFile, undefined, { profileDir: bob.profileDir, args: WHOLE_CHAT });
      client = await hostClient(bob.url);
      const next = new Set<string>();
      shownInLife.push(next);
      client.onEvent = (event) => {
        const id = incomingId(event);
        if (id !== undefined) next.add(id);
      };
      // What the app has from its profile: the snapshot (also what arrived before it was taken: a new copy, or the
      // archive's id added to a message already there; not told apart, so those do not count as doubled below).
      const snapshot = await client.call<{ chats: Record<string, Record<string, ChatMessage[]>> }>('getSnapshot', {});
      const restored = new Set((snapshot.value!.chats[accountId]?.[jid('alice')] ?? []).map((m) => m.id));
      for (const id of shown) if (!restored.has(id)) gone.push(id);
      assert.deepEqual(gone, [], `round ${round}: every message shown before the kill is in the chat after the restart`);
      assert.ok(await online(client));
      // Everything alice wrote arrives (again, where bob's app was killed before it confirmed it).
      const arrived = (id: string) => next.has(id) || restored.has(id) || shownInLife.some((s) => s !== next && s.has(id));
      assert.ok(await until(() => sentIds.every(arrived), 60_000), `round ${round}: never shown: ${sentIds.filter((id) => !arrived(id)).length} of ${sentIds.length} (${sentIds.map((id, i) => (arrived(id) ? '' : i)).filter((i) => i !== '').join(' ')}); shown in this life ${next.size}`);
      await new Promise((r) => setTimeout(r, 1_500)); // late copies (archive catch-up, resent) have come
      for (const id of shown) if (next.has(id) && !restored.has(id)) doubled.push(id);
    }
    assert.deepEqual(doubled, [], 'no message shown before a kill is shown again as new after it');

    const snapshot = await client.call<{ chats: Record<string, Record<string, ChatMessage[]>> }>('getSnapshot', {});
    const chat = snapshot.value!.chats[accountId]?.[jid('alice')] ?? [];
    for (const id of sentIds) assert.equal(chat.filter((m) => m.direction === 'in' && m.id === id).length, 1, `${id} once in bob's chat`);
    client.close();
  });
});
