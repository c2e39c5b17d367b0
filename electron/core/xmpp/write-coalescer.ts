/**
 * Writes of one event-loop turn go to the socket as one write. A stanza and the
 * acknowledgement request after it (XEP-0198 `<r/>`), or a receipt and an `<a/>`,
 * are each a few dozen bytes: written one by one, the second small segment waits
 * behind the first one's TCP acknowledgement (Nagle's algorithm meeting the
 * peer's delayed ACK, ~40 ms on Linux), and whatever comes next waits behind it.
 * One write is one TLS record and, at chat sizes, one segment.
 *
 * `beforeFlush` lets a caller add something last to the batch (the `<r/>` that
 * asks about everything written in it) at the moment it goes out.
 */
import { latencyProbe } from '../latency-probe.js';

export interface CoalescedTarget {
  write(data: string, callback: (error?: Error | null) => void): void;
}

type Callback = (error?: Error | null) => void;

export class WriteCoalescer {
  private pending = '';
  private callbacks: Callback[] = [];
  private trailers: (() => void)[] = [];
  private scheduled: NodeJS.Immediate | null = null;

  constructor(private readonly target: () => CoalescedTarget | null) {}

  /** Queues `data`; `callback` is called once the batch it is part of was written (or failed). */
  write(data: string, callback?: Callback): void {
    this.pending += data;
    if (callback) this.callbacks.push(callback);
    this.schedule();
  }

  /** Runs `trailer` just before the current batch goes out; what it writes joins that batch. */
  beforeFlush(trailer: () => void): void {
    this.trailers.push(trailer);
    this.schedule();
  }

  /** Writes what is queued now (before the socket ends, so nothing queued is lost). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    // Trailers may write (and add trailers): all of it belongs to this batch.
    while (this.trailers.length > 0) {
      for (const trailer of this.trailers.splice(0)) trailer();
    }
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    const data = this.pending;
    const callbacks = this.callbacks;
    this.pending = '';
    this.callbacks = [];
    if (!data) {
      for (const callback of callbacks) callback();
      return;
    }
    const target = this.target();
    if (!target) {
      const error = new Error('socket is closed');
      for (const callback of callbacks) callback(error);
      return;
    }
    latencyProbe.mark?.('socket-write', data);
    target.write(data, (error) => {
      for (const callback of callbacks) callback(error);
    });
  }

  /** Drops what is queued (the socket is being destroyed): its writers hear that it failed. */
  discard(error: Error): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    this.trailers = [];
    this.pending = '';
    const callbacks = this.callbacks.splice(0);
    for (const callback of callbacks) callback(error);
  }

  private schedule(): void {
    // setImmediate: after the I/O callbacks and promise jobs of this turn, so everything they write joins in.
    this.scheduled ??= setImmediate(() => this.flush());
  }
}
