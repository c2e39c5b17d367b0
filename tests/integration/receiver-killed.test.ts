// The receiver's app killed (SIGKILL) right after it showed a message, then started again on the same profile, as
// the soak does. Everything it showed is still in the chat after the restart, and nothing it showed is shown again as
// new when the server or the sender delivers it once more (offline storage, archive, a resent copy). The history is
// written in batches (every second): what was shown must be on disk before, not with the next batch.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { until } from '../fixtures/until.js';
import { startRecordedHost, type HostEvent, type RecordedHost } from '../fixtures/dev-host-client.js';
import { jidOn, loginOn, usersWith } from '../fixtures/xmpp-server.js';

/** Each chat starts with all of its stored messages (the development host's option; the app starts with a page). */
const WHOLE_CHAT = ['--history-recent-per-chat', '100000'];
const password = 'receiver-killed-pw';

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
  /** Bob's app in its current life. */
  let bob: RecordedHost | undefined;
  const jid = (user: string) => jidOn(server, user);

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']] });
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    aliceAccount = await alice.call('addAccount', loginOn(server, 'alice', password));
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'never' });
  });
  after(async () => {
    await bob?.dispose();
    await alice?.dispose();
    await server?.dispose();
  });

  test('killed three times while messages come in: what was shown is there after the restart, and never shown again as new', async () => {
    // The whole chat in the snapshot (not only its newest page): the checks below look at every message there.
    bob = await startRecordedHost({ caFile: server.ca.caCertFile, args: WHOLE_CHAT });
    const added = await bob.request('addAccount', loginOn(server, 'bob', password));
    assert.ok(added.ok, JSON.stringify(!added.ok && added.error));
    const accountId = added.value.id;
    assert.ok(await bob.online());
    assert.ok((await bob.request('setOtrPolicy', { accountId, peer: jid('alice'), policy: 'never' })).ok);

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
          void alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body }).then((m) => sentIds.push(m.id));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      // Killed at once after it showed the 40th message of this life (its history's batch is not written yet).
      const shown = shownInLife[round]!;
      const killed = new Promise<void>((resolve) => {
        const life = bob!;
        life.onEvent = (event) => {
          const id = incomingId(event);
          if (id !== undefined) shown.add(id);
          if (shown.size >= 40 && life.onEvent) {
            life.onEvent = undefined;
            void life.kill().then(resolve);
          }
        };
      });
      await killed;
      await new Promise((r) => setTimeout(r, 300)); // alice goes on writing while bob is away
      writing = false;
      await writer;

      bob = await startRecordedHost({ caFile: server.ca.caCertFile, profileDir: bob.profileDir, args: WHOLE_CHAT });
      const next = new Set<string>();
      shownInLife.push(next);
      bob.onEvent = (event) => {
        const id = incomingId(event);
        if (id !== undefined) next.add(id);
      };
      // What the app has from its profile: the snapshot (also what arrived before it was taken: a new copy, or the
      // archive's id added to a message already there; not told apart, so those do not count as doubled below).
      const snapshot = await bob.request('getSnapshot', {});
      assert.ok(snapshot.ok);
      const restored = new Set((snapshot.value.chats[accountId]?.[jid('alice')] ?? []).map((m) => m.id));
      for (const id of shown) if (!restored.has(id)) gone.push(id);
      assert.deepEqual(gone, [], `round ${round}: every message shown before the kill is in the chat after the restart`);
      assert.ok(await bob.online());
      // Everything alice wrote arrives (again, where bob's app was killed before it confirmed it).
      const arrived = (id: string) => next.has(id) || restored.has(id) || shownInLife.some((s) => s !== next && s.has(id));
      assert.ok(await until(() => sentIds.every(arrived), 60_000), `round ${round}: never shown: ${sentIds.filter((id) => !arrived(id)).length} of ${sentIds.length} (${sentIds.map((id, i) => (arrived(id) ? '' : i)).filter((i) => i !== '').join(' ')}); shown in this life ${next.size}`);
      await new Promise((r) => setTimeout(r, 1_500)); // late copies (archive catch-up, resent) have come
      for (const id of shown) if (next.has(id) && !restored.has(id)) doubled.push(id);
    }
    assert.deepEqual(doubled, [], 'no message shown before a kill is shown again as new after it');

    const snapshot = await bob.request('getSnapshot', {});
    assert.ok(snapshot.ok);
    const chat = snapshot.value.chats[accountId]?.[jid('alice')] ?? [];
    for (const id of sentIds) assert.equal(chat.filter((m) => m.direction === 'in' && m.id === id).length, 1, `${id} once in bob's chat`);
  });
});
