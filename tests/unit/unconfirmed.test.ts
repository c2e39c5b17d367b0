// Which 'sent' messages are marked unconfirmed (electron/core/receipts/unconfirmed.ts): by the contact's app
// session confirming a later message (after a grace) or by a long silence while that session stayed online;
// never for apps that confirm nothing, private OTR messages, copies we did not see leave, or when the session
// that should have confirmed it (or our stream its receipt would come to) is gone. A late receipt drops the mark.
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage } from '../../shared/contract.js';
import { UnconfirmedMessages } from '../../electron/core/receipts/unconfirmed.js';

const timings = { graceMs: 30_000, silenceMs: 300_000 };
const PEER = 'bob@example.test';

describe('unconfirmed messages', () => {
  let chat: Map<string, ChatMessage>;
  let watcher: UnconfirmedMessages;
  let confirms: boolean;
  /** The contact's app sessions online now (resources), and our stream. */
  let sessions: string[];
  let stream: string | undefined;
  let otr: boolean;

  /** The account's upsert: observed first, then stored. */
  const upsert = (message: ChatMessage) => chat.set(message.id, watcher.observe(message));
  const message = (id: string, state: ChatMessage['state'], extra: Partial<ChatMessage> = {}): ChatMessage => ({ id, peer: PEER, direction: 'out', body: id, timestamp: 1, state, ...extra });
  /** Written here, then taken by the server. */
  const sent = (id: string) => {
    upsert(message(id, 'sending'));
    upsert(message(id, 'sent'));
  };
  /** A receipt from `session`, as the account hands it: told to the watcher, then applied. */
  const confirm = (id: string, session = 'laptop') => {
    watcher.receipt(`${PEER}/${session}`, id);
    upsert({ ...chat.get(id)!, state: 'delivered' });
  };
  const mark = (id: string) => chat.get(id)?.unconfirmed;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
    chat = new Map();
    confirms = true;
    sessions = ['laptop'];
    stream = 'alice@example.test/klatsch-1';
    otr = false;
    watcher = new UnconfirmedMessages(
      {
        find: (_peer, id) => chat.get(id),
        mark: upsert,
        confirms: () => confirms,
        resources: () => sessions,
        stream: () => stream,
        offeredAgain: () => otr,
        now: () => Date.now(),
      },
      timings,
    );
  });
  afterEach(() => {
    watcher.close();
    mock.timers.reset();
  });

  test('a later message confirmed: the earlier one is marked after the grace, not before', () => {
    sent('a');
    sent('b');
    confirm('b');
    mock.timers.tick(timings.graceMs - 6_000);
    assert.equal(mark('a'), undefined, 'its receipt may still be crossing');
    mock.timers.tick(7_000);
    assert.equal(mark('a'), 'later-confirmed');
    assert.equal(chat.get('a')!.state, 'sent');
    assert.equal(mark('b'), undefined);
  });

  test("an earlier message's receipt says nothing about a later one", () => {
    sent('a');
    sent('b');
    confirm('a');
    mock.timers.tick(timings.graceMs * 2);
    assert.equal(mark('b'), undefined);
  });

  test('a receipt within the grace: never marked', () => {
    sent('a');
    sent('b');
    confirm('b');
    mock.timers.tick(10_000);
    confirm('a');
    mock.timers.tick(timings.silenceMs * 2);
    assert.equal(chat.get('a')!.state, 'delivered');
    assert.equal(mark('a'), undefined);
  });

  test('a late receipt makes it delivered and drops the mark', () => {
    sent('a');
    sent('b');
    confirm('b');
    mock.timers.tick(timings.graceMs + 6_000);
    assert.equal(mark('a'), 'later-confirmed');
    confirm('a');
    assert.equal(chat.get('a')!.state, 'delivered');
    assert.equal(mark('a'), undefined);
  });

  test('sent again: the mark goes with the new try, and it is watched anew', () => {
    sent('a');
    sent('b');
    confirm('b');
    mock.timers.tick(timings.graceMs + 6_000);
    assert.equal(mark('a'), 'later-confirmed');
    upsert({ ...chat.get('a')!, state: 'sending' });
    assert.equal(mark('a'), undefined);
    upsert({ ...chat.get('a')!, state: 'sent' });
    mock.timers.tick(timings.graceMs + 6_000);
    assert.equal(mark('a'), undefined, 'nothing later was confirmed since');
  });

  test('silence: marked once the session that was online when it went stayed online for the bound', () => {
    sent('a');
    mock.timers.tick(timings.silenceMs - 10_000);
    assert.equal(mark('a'), undefined);
    mock.timers.tick(20_000);
    assert.equal(mark('a'), 'silence');
  });

  test('silence: our own stream down for a while (it may be resumed) does not count', () => {
    sent('a');
    stream = undefined;
    sessions = [];
    mock.timers.tick(timings.silenceMs * 2);
    assert.equal(mark('a'), undefined);
    stream = 'alice@example.test/klatsch-1'; // resumed: the same stream, the presences back
    sessions = ['laptop'];
    mock.timers.tick(timings.silenceMs - 10_000);
    assert.equal(mark('a'), undefined);
    mock.timers.tick(20_000);
    assert.equal(mark('a'), 'silence');
  });

  test('the contact was offline when it went: the server keeps it for them, nothing to mark', () => {
    sessions = [];
    sent('a');
    sessions = ['phone']; // back in a new session: it gets the message from the server's archive, without a receipt
    sent('b');
    confirm('b', 'phone');
    mock.timers.tick(timings.silenceMs * 2);
    assert.equal(mark('a'), undefined);
  });

  test("the session that should have confirmed it went away: a new session's receipts say nothing about it", () => {
    sent('a'); // to the laptop, which then dies before it confirms (the message comes again from the archive)
    sessions = ['phone'];
    sent('b');
    confirm('b', 'phone');
    mock.timers.tick(timings.silenceMs * 2);
    assert.equal(mark('a'), undefined);
  });

  test('a new stream of ours: a receipt sent to the old one may be lost, so nothing is marked', () => {
    sent('a');
    stream = 'alice@example.test/klatsch-2';
    sent('b');
    confirm('b');
    mock.timers.tick(timings.silenceMs * 2);
    assert.equal(mark('a'), undefined);
  });

  test('an app that confirms nothing: never marked, by either rule', () => {
    confirms = false;
    sent('a');
    sent('b');
    mock.timers.tick(timings.silenceMs * 3);
    assert.equal(mark('a'), undefined);
    assert.equal(mark('b'), undefined);
  });

  test('private OTR messages are left to their own path (offered again by themselves)', () => {
    otr = true;
    sent('a');
    sent('b');
    confirm('b');
    mock.timers.tick(timings.silenceMs * 2);
    assert.equal(mark('a'), undefined);
  });

  test('copies we did not see leave (carbons, the archive) are not watched', () => {
    upsert(message('copy', 'sent'));
    sent('b');
    confirm('b');
    mock.timers.tick(timings.silenceMs * 2);
    assert.equal(mark('copy'), undefined);
  });

  test('the mark belongs to sent messages only: any other state drops it', () => {
    const stored = watcher.observe(message('x', 'failed', { unconfirmed: 'silence' }));
    assert.equal(stored.unconfirmed, undefined);
    const theirs = watcher.observe({ ...message('y', 'received'), direction: 'in' });
    assert.equal(theirs.unconfirmed, undefined);
  });
});
