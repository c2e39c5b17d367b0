/**
 * Incoming subscription requests: which wait for the user, which are approved
 * without asking, what an approval sends, and the de-duplicated list of waiting ones.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { approvalStanzas, MAX_PENDING_REQUESTS, onSubscribeRequest, PendingRequests } from '../../electron/core/roster/subscriptions.js';

describe('answering a subscribe', () => {
  test('strangers and contacts we never asked wait for the user', () => {
    assert.equal(onSubscribeRequest(undefined), 'ask-user');
    assert.equal(onSubscribeRequest({ subscription: 'none' }), 'ask-user');
  });

  test('someone we added (asked, or already see) is approved without asking; so is someone who already sees us', () => {
    assert.equal(onSubscribeRequest({ subscription: 'none', ask: 'subscribe' }), 'approve');
    assert.equal(onSubscribeRequest({ subscription: 'to' }), 'approve');
    assert.equal(onSubscribeRequest({ subscription: 'from' }), 'approve');
    assert.equal(onSubscribeRequest({ subscription: 'both' }), 'approve');
  });

  test('approving asks back unless we already see them or asked', () => {
    assert.deepEqual(approvalStanzas(undefined), ['subscribed', 'subscribe']);
    assert.deepEqual(approvalStanzas({ subscription: 'none' }), ['subscribed', 'subscribe']);
    assert.deepEqual(approvalStanzas({ subscription: 'from' }), ['subscribed', 'subscribe']);
    assert.deepEqual(approvalStanzas({ subscription: 'none', ask: 'subscribe' }), ['subscribed']);
    assert.deepEqual(approvalStanzas({ subscription: 'to' }), ['subscribed']);
    assert.deepEqual(approvalStanzas({ subscription: 'both' }), ['subscribed']);
  });
});

describe('waiting requests', () => {
  test('one per address; a repeated request (re-delivered after login) changes nothing and keeps the first time', () => {
    const pending = new PendingRequests();
    assert.equal(pending.add('bob@example.com', 100), true);
    assert.equal(pending.add('carol@example.com', 200, 'Hi'), true);
    assert.equal(pending.add('bob@example.com', 300), false);
    assert.deepEqual(pending.list(), [
      { jid: 'bob@example.com', receivedAt: 100 },
      { jid: 'carol@example.com', receivedAt: 200, text: 'Hi' },
    ]);
    assert.equal(pending.add('bob@example.com', 400, 'Bob here'), true, 'a new text is shown');
    assert.deepEqual(pending.list()[0], { jid: 'bob@example.com', receivedAt: 100, text: 'Bob here' });
  });

  test('remove, has', () => {
    const pending = new PendingRequests();
    pending.add('bob@example.com', 1);
    assert.equal(pending.has('bob@example.com'), true);
    assert.equal(pending.remove('bob@example.com'), true);
    assert.equal(pending.remove('bob@example.com'), false);
    assert.deepEqual(pending.list(), []);
  });

  test('requests answered from another client (they see us now) are dropped; others stay', () => {
    const pending = new PendingRequests();
    pending.add('bob@example.com', 1);
    pending.add('carol@example.com', 2);
    pending.add('dave@example.com', 3);
    const roster: Record<string, { subscription: 'none' | 'to' | 'from' | 'both' }> = {
      'bob@example.com': { subscription: 'from' },
      'carol@example.com': { subscription: 'none' },
      'dave@example.com': { subscription: 'both' },
    };
    assert.equal(pending.reconcile((jid) => roster[jid]), true);
    assert.deepEqual(pending.list().map((r) => r.jid), ['carol@example.com']);
    assert.equal(pending.reconcile((jid) => roster[jid]), false);
  });

  test('a flood of requests is bounded (oldest dropped)', () => {
    const pending = new PendingRequests();
    for (let i = 0; i < MAX_PENDING_REQUESTS + 50; i++) pending.add(`u${i}@example.com`, i);
    const list = pending.list();
    assert.equal(list.length, MAX_PENDING_REQUESTS);
    assert.equal(list[0]?.jid, 'u50@example.com');
  });
});
