/**
 * Reconnect delays: ceiling = min(max, base · 2^attempt); delay in [ceiling/2, ceiling].
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../electron/core/xmpp/backoff.js';

const lowest = () => 0;
const highest = () => 0.999_999_999;

/** The smallest and the largest delay the attempt can give. */
function range(attempt: number, options: { baseMs?: number; maxMs?: number } = {}): [number, number] {
  return [backoffDelay(attempt, { ...options, random: lowest }), backoffDelay(attempt, { ...options, random: highest })];
}

describe('backoffDelay', () => {
  test('grows exponentially from the base (1 s by default)', () => {
    assert.deepEqual(range(0), [500, 1_000]);
    assert.deepEqual(range(1), [1_000, 2_000]);
    assert.deepEqual(range(2), [2_000, 4_000]);
    assert.deepEqual(range(3), [4_000, 8_000]);
    assert.deepEqual(range(3, { baseMs: 100 }), [400, 800]);
  });

  test('is capped at maxMs (60 s by default)', () => {
    assert.deepEqual(range(6), [30_000, 60_000]); // 64 s would be the uncapped ceiling
    assert.deepEqual(range(30), [30_000, 60_000]);
    assert.deepEqual(range(10_000), [30_000, 60_000]);
    assert.deepEqual(range(Number.MAX_SAFE_INTEGER), [30_000, 60_000]);
    assert.deepEqual(range(4, { baseMs: 1_000, maxMs: 5_000 }), [2_500, 5_000]);
  });

  test('a negative attempt counts as the first', () => {
    assert.deepEqual(range(-3), range(0));
  });

  test('jitter stays within [ceiling/2, ceiling]', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(60_000, 1_000 * 2 ** attempt);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(attempt);
        assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay} outside [${ceiling / 2}, ${ceiling}]`);
        assert.ok(Number.isInteger(delay));
      }
    }
  });

  test('is deterministic with an injected random source', () => {
    assert.equal(backoffDelay(2, { random: () => 0.25 }), 2_500);
    assert.equal(backoffDelay(2, { random: () => 0.25 }), backoffDelay(2, { random: () => 0.25 }));
    assert.equal(backoffDelay(5, { random: () => 0.5 }), 24_000);
    assert.equal(backoffDelay(8, { random: () => 0.5 }), 45_000);
  });

  test('never shrinks from one attempt to the next for the same random draw', () => {
    let previous = 0;
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = backoffDelay(attempt, { random: () => 0.5 });
      assert.ok(delay >= previous, `attempt ${attempt} shrank from ${previous} to ${delay}`);
      previous = delay;
    }
  });
});
