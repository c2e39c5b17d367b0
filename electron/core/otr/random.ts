// OTR randomness source (Protocol-v3 "Authenticated Key Exchange": r, x, y,
// and DSA nonces). Randomness is injected everywhere so tests can be
// deterministic; production code passes `secureRandom`.
import { createHash, randomBytes } from 'node:crypto';

/** Returns `length` uniformly random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** CSPRNG-backed source (node:crypto randomBytes). */
export const secureRandom: RandomSource = (length: number): Uint8Array => new Uint8Array(randomBytes(length));

/**
 * Deterministic stream for tests and fuzzing ONLY (never for real keys):
 * SHA-256(seed || counter) blocks, consumed sequentially.
 */
export function deterministicRandom(seed: string): RandomSource {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (length: number): Uint8Array => {
    while (pool.length < length) {
      const block = createHash('sha256').update(seed).update(String(counter++)).digest();
      const next = new Uint8Array(pool.length + block.length);
      next.set(pool, 0);
      next.set(block, pool.length);
      pool = next;
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}
