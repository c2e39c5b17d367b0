/**
 * The soak benchmark's own bookkeeping (scripts/soak.ts), without servers: when a message
 * counts as shown to the user, as shown twice, or only updated; how order is measured; how
 * the faults are spread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage } from '../../shared/contract.js';
import { applyMessage, faultSchedule, longestIncreasing, markerOf, newChatSide, restoreChat } from '../../scripts/soak.js';

const peer = 'alice@klatsch.test';
const incoming = (seq: number, id: string, state: ChatMessage['state'] = 'received', timestamp = 1_000 + seq): ChatMessage => ({
  id,
  peer,
  direction: 'in',
  body: `${markerOf('run1', 'plain', 'alice', seq)} text ${seq}`,
  timestamp,
  state,
});
const shown = (side: ReturnType<typeof newChatSide>, seq: number) => side.appearances.get(markerOf('run1', 'plain', 'alice', seq))?.length ?? 0;

test('a message is shown once however often its state changes; a second id with the same text is shown twice', () => {
  const bob = newChatSide(peer);
  restoreChat(bob, []);
  applyMessage(bob, incoming(1, 'id-1'));
  applyMessage(bob, incoming(1, 'id-1', 'received'));
  applyMessage(bob, { ...incoming(1, 'id-1'), archiveId: 'a1' });
  assert.equal(shown(bob, 1), 1);
  applyMessage(bob, incoming(1, 'id-1-copy'));
  assert.equal(shown(bob, 1), 2, 'a copy under another id is a second entry in the chat');
  assert.equal(bob.chat.length, 2);
});

test('after a restart, what the history restored is not new; what it lost and arrives again is shown twice', () => {
  const bob = newChatSide(peer);
  restoreChat(bob, []);
  applyMessage(bob, incoming(1, 'id-1'));
  applyMessage(bob, incoming(2, 'id-2'));
  // Killed: the history kept #1 but not #2.
  restoreChat(bob, [incoming(1, 'id-1')]);
  applyMessage(bob, incoming(1, 'id-1')); // delivered again, same id: the chat holds it, nothing new
  applyMessage(bob, incoming(2, 'id-2')); // delivered again, the chat lost it: the user sees it appear a second time
  assert.equal(shown(bob, 1), 1);
  assert.equal(shown(bob, 2), 2);
  assert.deepEqual(
    bob.appearances.get(markerOf('run1', 'plain', 'alice', 2))!.map((a) => [a.incarnation, a.restored]),
    [
      [1, false],
      [2, false],
    ],
  );
  // Something the app received while no page was connected comes with the snapshot: shown once.
  restoreChat(bob, [incoming(1, 'id-1'), incoming(2, 'id-2'), incoming(3, 'id-3')]);
  assert.equal(shown(bob, 3), 1);
  assert.equal(shown(bob, 2), 2, 'restored again: not new');
});

test('messages of another chat and our own messages are not counted as shown', () => {
  const bob = newChatSide(peer);
  restoreChat(bob, []);
  applyMessage(bob, { ...incoming(1, 'x'), peer: 'carol@klatsch.test' });
  applyMessage(bob, { ...incoming(2, 'y'), direction: 'out', state: 'sending' });
  assert.equal(shown(bob, 1), 0);
  assert.equal(shown(bob, 2), 0);
  assert.equal(bob.ownShown.get(markerOf('run1', 'plain', 'alice', 2)), 'y');
});

test('out of order: how many messages would have to move', () => {
  assert.equal(longestIncreasing([]), 0);
  assert.equal(longestIncreasing([0, 1, 2, 3]), 4);
  assert.equal(longestIncreasing([0, 2, 1, 3]), 3); // one out of place
  assert.equal(longestIncreasing([5, 0, 1, 2, 3, 4]), 5); // one early message, not five late ones
  assert.equal(longestIncreasing([3, 2, 1, 0]), 1);
});

test('the full fault plan: every kind spread over the run, cuts and kills alternating between the sides', () => {
  const schedule = faultSchedule({ restart: 5, cut: 5, freeze: 2, kill: 10 });
  assert.equal(schedule.length, 22);
  const count = (kind: string) => schedule.filter((f) => f.kind === kind).length;
  assert.deepEqual([count('restart'), count('cut'), count('freeze'), count('kill')], [5, 5, 2, 10]);
  const kills = schedule.filter((f) => f.kind === 'kill').map((f) => f.side);
  assert.deepEqual(kills, ['alice', 'bob', 'alice', 'bob', 'alice', 'bob', 'alice', 'bob', 'alice', 'bob']);
  const half = schedule.slice(0, 11);
  assert.equal(half.filter((f) => f.kind === 'freeze').length, 1, 'one freeze in each half');
  assert.equal(half.filter((f) => f.kind === 'kill').length, 5, 'half of the kills in each half');
});
