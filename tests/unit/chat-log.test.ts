/**
 * One account's chats in memory: ordered by time, upserted by id, bounded.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ChatLog } from '../../electron/core/chat-log.js';
import type { ChatMessage } from '../../shared/contract.js';

const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';

const msg = (id: string, timestamp: number, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  peer: BOB,
  direction: 'in',
  body: `body of ${id}`,
  timestamp,
  state: 'received',
  ...extra,
});

const idsOf = (log: ChatLog, peer = BOB) => (log.snapshot()[peer] ?? []).map((m) => m.id);

function logWith(...messages: ChatMessage[]): ChatLog {
  const log = new ChatLog();
  for (const m of messages) log.upsert(m);
  return log;
}

describe('ChatLog: order and upsert', () => {
  test('messages are kept in time order whatever the arrival order', () => {
    const log = logWith(msg('c', 300), msg('a', 100), msg('d', 400), msg('b', 200));
    assert.deepEqual(idsOf(log), ['a', 'b', 'c', 'd']);
  });

  test('equal timestamps keep their arrival order', () => {
    const log = logWith(msg('first', 100), msg('second', 100), msg('third', 100));
    assert.deepEqual(idsOf(log), ['first', 'second', 'third']);
  });

  test('an upsert with a known id replaces that message in place (state change)', () => {
    const sending = msg('out-1', 200, { direction: 'out', state: 'sending' });
    const log = logWith(msg('a', 100), sending, msg('c', 300));
    const returned = log.upsert({ ...sending, state: 'sent' });
    assert.equal(returned.state, 'sent');
    assert.deepEqual(idsOf(log), ['a', 'out-1', 'c']);
    assert.equal(log.find(BOB, 'out-1')?.state, 'sent');
    log.upsert({ ...sending, state: 'failed', error: 'lost' });
    assert.deepEqual(log.find(BOB, 'out-1'), { ...sending, state: 'failed', error: 'lost' });
    assert.equal(log.snapshot()[BOB]?.length, 3);
  });

  test('a replaced message with a new timestamp moves into time order', () => {
    const log = logWith(msg('a', 100), msg('b', 200), msg('c', 300));
    log.upsert(msg('a', 400));
    assert.deepEqual(idsOf(log), ['b', 'c', 'a']);
  });

  test('an incoming message with the id of one of ours does not replace ours', () => {
    // Ids of incoming messages are chosen by the peer, who has seen the ids of ours.
    const ours = msg('shared-id', 100, { direction: 'out', state: 'sent', body: 'my words' });
    const log = logWith(ours);
    log.upsert(msg('shared-id', 200, { direction: 'in', body: 'their words' }));
    assert.deepEqual(log.snapshot()[BOB]?.find((m) => m.direction === 'out'), ours);
    assert.equal(log.has(BOB, 'shared-id', 'out'), true);
    assert.equal(log.has(BOB, 'shared-id', 'in'), true);
  });

  test('the same id in two chats is two messages', () => {
    const log = logWith(msg('x', 100), msg('x', 100, { peer: CAROL }));
    assert.deepEqual(idsOf(log), ['x']);
    assert.deepEqual(idsOf(log, CAROL), ['x']);
    assert.deepEqual(log.peers().sort(), [BOB, CAROL]);
  });

  test('find and has look in the right chat and direction', () => {
    const log = logWith(msg('m', 100, { direction: 'out' }));
    assert.equal(log.find(BOB, 'm')?.id, 'm');
    assert.equal(log.find(CAROL, 'm'), undefined);
    assert.equal(log.find(BOB, 'other'), undefined);
    assert.equal(log.has(BOB, 'm', 'out'), true);
    assert.equal(log.has(BOB, 'm', 'in'), false);
    assert.equal(log.has(CAROL, 'm', 'out'), false);
  });

  test('a snapshot is a copy', () => {
    const log = logWith(msg('a', 100));
    log.snapshot()[BOB]!.push(msg('intruder', 50));
    assert.deepEqual(idsOf(log), ['a']);
  });
});

describe('ChatLog: unread', () => {
  test('counts per peer, and markRead resets', () => {
    const log = new ChatLog();
    assert.equal(log.unread(BOB), 0);
    log.countUnread(BOB);
    log.countUnread(BOB);
    log.countUnread(CAROL);
    assert.equal(log.unread(BOB), 2);
    assert.equal(log.unread(CAROL), 1);
    log.markRead(BOB);
    assert.equal(log.unread(BOB), 0);
    assert.equal(log.unread(CAROL), 1);
    log.markRead('nobody@example.com');
    assert.equal(log.unread('nobody@example.com'), 0);
  });
});

describe('ChatLog: bound', () => {
  const LIMIT = 2_000;

  test('keeps the newest 2000 messages of a chat', () => {
    const log = new ChatLog();
    for (let i = 0; i < LIMIT + 50; i++) log.upsert(msg(`m${i}`, i));
    const ids = idsOf(log);
    assert.equal(ids.length, LIMIT);
    assert.equal(ids[0], 'm50');
    assert.equal(ids.at(-1), `m${LIMIT + 49}`);
    assert.equal(log.find(BOB, 'm49'), undefined);
  });

  test('a message older than a full chat is not kept, and the newest survive', () => {
    const log = new ChatLog();
    for (let i = 0; i < LIMIT; i++) log.upsert(msg(`m${i}`, 1_000 + i));
    log.upsert(msg('ancient', 1));
    const ids = idsOf(log);
    assert.equal(ids.length, LIMIT);
    assert.equal(ids[0], 'm0');
    assert.equal(ids.includes('ancient'), false);
  });

  test('the bound is per chat', () => {
    const log = new ChatLog();
    for (let i = 0; i < LIMIT + 10; i++) log.upsert(msg(`b${i}`, i));
    for (let i = 0; i < 5; i++) log.upsert(msg(`c${i}`, i, { peer: CAROL }));
    assert.equal(idsOf(log).length, LIMIT);
    assert.equal(idsOf(log, CAROL).length, 5);
  });

  test('replacing messages in a full chat drops nothing', () => {
    const log = new ChatLog();
    for (let i = 0; i < LIMIT; i++) log.upsert(msg(`m${i}`, i));
    log.upsert(msg('m0', 0, { state: 'failed' }));
    assert.equal(idsOf(log).length, LIMIT);
    assert.equal(log.find(BOB, 'm0')?.state, 'failed');
  });
});

describe('ChatLog: the id index follows the messages', () => {
  test('a message dropped by the bound is no longer found', () => {
    const log = new ChatLog();
    for (let i = 0; i < 2_001; i++) log.upsert(msg(`m${i}`, i));
    assert.equal(log.has(BOB, 'm0', 'in'), false, 'the oldest fell out');
    assert.equal(log.find(BOB, 'm0'), undefined);
    assert.equal(log.has(BOB, 'm1', 'in'), true);
    assert.equal(log.find(BOB, 'm2000', 'in')?.id, 'm2000');
  });

  test('restored messages are found and replaced, not doubled', () => {
    const log = new ChatLog();
    log.restore(BOB, [msg('old', 1, { direction: 'out', state: 'failed' })]);
    assert.equal(log.has(BOB, 'old', 'out'), true);
    assert.equal(log.has(BOB, 'old', 'in'), false);
    log.upsert(msg('old', 1, { direction: 'out', state: 'sent' }));
    assert.deepEqual(log.list(BOB).map((m) => m.state), ['sent']);
  });
});
