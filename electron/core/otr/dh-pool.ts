// Pre-generated D-H key pairs for one private conversation's key rotation
// (Protocol-v3 "When you receive a Data Message": "increment our_keyid, and
// generate a new D-H key pair"). Generating a pair is a 1536-bit modular
// exponentiation; doing it in the turn that decrypts a message puts it on the
// message's latency. The pool hands out a pair made earlier, off that path,
// and makes the next one in a later turn. What goes on the wire is unchanged:
// each pair is still fresh (its own random private key), used once, and
// wiped like the one in use when the conversation ends. Never persisted.
//
// @example
//   const pool = new DhKeyPairPool(() => DhKeyPair.generate(secureRandom));
//   const next = pool.take();   // a pair made in an earlier turn, or made now if none is ready
//   pool.wipe();                // end of the conversation: pooled private keys are zeroed
import type { DhKeyPair } from './dh.js';

/** Runs `task` in a later turn of the event loop (injected so that tests decide when). */
export type Scheduler = (task: () => void) => void;

export const laterTurn: Scheduler = (task) => {
  setImmediate(task);
};

export class DhKeyPairPool {
  private readonly ready: DhKeyPair[] = [];
  private refillPending = false;
  private closed = false;

  constructor(
    /** Makes a fresh pair (DhKeyPair.generate with the conversation's random source). */
    private readonly make: () => DhKeyPair,
    private readonly schedule: Scheduler = laterTurn,
    /** Pairs kept ready: one covers a rotation per message; each is a secret held in memory until used. */
    private readonly capacity = 1,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('pool capacity must be a positive integer');
  }

  /** Pairs ready to be handed out, for tests. */
  get size(): number {
    return this.ready.length;
  }

  /**
   * A fresh pair that nobody else has been or will be given: a pooled one if
   * ready (removed from the pool), else one made now. Schedules the refill.
   */
  take(): DhKeyPair {
    if (this.closed) throw new Error('DH key pool has been wiped');
    const pair = this.ready.shift() ?? this.make();
    this.refillSoon();
    return pair;
  }

  /** Makes the pool full in a later turn (one pair per turn, so that incoming messages are not held up). */
  refillSoon(): void {
    if (this.closed || this.refillPending || this.ready.length >= this.capacity) return;
    this.refillPending = true;
    this.schedule(() => {
      this.refillPending = false;
      if (this.closed || this.ready.length >= this.capacity) return;
      try {
        this.ready.push(this.make());
      } catch {
        // A failing random source fails again in take(), where the caller reports it; not here, in a timer.
        return;
      }
      this.refillSoon();
    });
  }

  /** End of the conversation: zero every pooled private key; later refills do nothing. */
  wipe(): void {
    this.closed = true;
    for (const pair of this.ready) pair.wipe();
    this.ready.length = 0;
  }
}
