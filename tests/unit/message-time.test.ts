/**
 * Where a received message goes (electron/core/message-time.ts): at its sender's time of writing, within bounds,
 * so that copies that came late or again stand in the order written, in the core's chat and in the renderer's.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BACKDATE_MS, placeIncoming } from '../../electron/core/message-time.js';
import { ChatLog } from '../../electron/core/chat-log.js';
import { upsertMessage } from '../../renderer/store/transitions.js';
import type { ChatMessage } from '../../shared/contract.js';

const ALICE = 'alice@example.com';
const NOW = Date.UTC(2026, 11, 7, 2, 0, 0);

const incoming = (n: number, timestamp: number): ChatMessage => ({ id: `m-${n}`, peer: ALICE, direction: 'in', body: `message ${n}`, timestamp, state: 'received', encrypted: true });
const notice = (id: string, timestamp: number): ChatMessage => ({ id, peer: ALICE, direction: 'notice', body: id, timestamp, state: 'received' });

describe('placeIncoming: the sender’s time of writing, clamped', () => {
  test('a stamp within the bounds is the message’s time', () => {
    assert.equal(placeIncoming(NOW - 5_000, NOW), NOW - 5_000);
    assert.equal(placeIncoming(NOW - MAX_BACKDATE_MS, NOW), NOW - MAX_BACKDATE_MS);
    assert.equal(placeIncoming(NOW, NOW), NOW);
  });

  test('no stamp, or one that is no time: the arrival', () => {
    assert.equal(placeIncoming(undefined, NOW), NOW);
    assert.equal(placeIncoming(Number.NaN, NOW), NOW);
    assert.equal(placeIncoming(Number.POSITIVE_INFINITY, NOW), NOW);
  });

  test('a stamp in the future (or a sender’s clock ahead) is the arrival', () => {
    assert.equal(placeIncoming(NOW + 1, NOW), NOW);
    assert.equal(placeIncoming(NOW + 365 * 24 * 3600_000, NOW), NOW);
  });

  test('a stamp further back than any message waits is held at that bound: no sender hides a message deep in the history', () => {
    assert.equal(MAX_BACKDATE_MS, 24 * 3600_000);
    assert.equal(placeIncoming(NOW - MAX_BACKDATE_MS - 1, NOW), NOW - MAX_BACKDATE_MS);
    assert.equal(placeIncoming(0, NOW), NOW - MAX_BACKDATE_MS);
    assert.equal(placeIncoming(-8.64e15, NOW), NOW - MAX_BACKDATE_MS);
  });
});

describe('copies offered again after a restart stand in the order written, not as they arrived', () => {
  // The receiver restarted: 1–2 were shown before; its new private conversation began (a notice); then the sender
  // offered 3–6 again, 5 before 4 (a held message went first), each stamped with its time of writing.
  const written = [0, NOW - 60_000, NOW - 50_000, NOW - 40_000, NOW - 30_000, NOW - 20_000, NOW - 10_000];
  const started = notice('private-started', NOW - 5_000);
  const arrivals = [3, 5, 4, 6];

  const expected = ['message 1', 'message 2', 'message 3', 'message 4', 'message 5', 'message 6', 'private-started'];

  test('in the core’s chat', () => {
    const chat = new ChatLog();
    chat.upsert(incoming(1, written[1]!));
    chat.upsert(incoming(2, written[2]!));
    chat.upsert(started);
    for (const n of arrivals) chat.upsert(incoming(n, placeIncoming(written[n], NOW)));
    assert.deepEqual(chat.list(ALICE).map((m) => m.body), expected);
  });

  test('in the renderer’s chat, also when a message changes afterwards (same place)', () => {
    let list: ChatMessage[] = [incoming(1, written[1]!), incoming(2, written[2]!), started];
    for (const n of arrivals) list = upsertMessage(list, incoming(n, placeIncoming(written[n], NOW)));
    list = upsertMessage(list, { ...list.find((m) => m.id === 'm-4')!, body: 'message 4' });
    assert.deepEqual(list.map((m) => m.body), expected);
  });

  test('a notice given its message’s time stays right below it, before a message written later that came after it', () => {
    const chat = new ChatLog();
    chat.upsert(incoming(1, written[1]!));
    chat.upsert(notice('not-encrypted', written[1]!));
    chat.upsert(incoming(2, placeIncoming(written[2], NOW)));
    assert.deepEqual(chat.list(ALICE).map((m) => m.body), ['message 1', 'not-encrypted', 'message 2']);
  });
});
