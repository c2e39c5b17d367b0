/**
 * Incoming data handed on in slices, at most one slice per event-loop turn while more waits. After sign-in
 * a server sends bursts (a presence from each of 5,000 contacts, a large roster) that arrive as reads of up
 * to 64 KiB; parsed and handled in one turn, each read held the main process for 100–300 ms, during which
 * it answered nothing (no IPC, no timers, no other account). A read that fits in one slice (every chat
 * message) is still handed on at once, in the same turn.
 *
 * What the socket reports after its data (close, error) waits behind that data, so nothing is reordered
 * or lost; while data waits the socket is paused (the server is slowed down, not our memory filled).
 */
export const SLICE_BYTES = 4 * 1024;

export interface PacedSource {
  pause(): void;
  resume(): void;
}

export class ReadPacer {
  private readonly waiting: (Buffer | (() => void))[] = [];
  /** Bytes handed on in this event-loop turn. */
  private turnBytes = 0;
  /** Ends the turn's count and goes on with what waits (set once something was handed on this turn). */
  private nextTurn: NodeJS.Immediate | null = null;
  private paused = false;
  private running = false;

  constructor(
    private readonly deliver: (slice: Buffer) => void,
    private readonly source: () => PacedSource | null,
  ) {}

  /** Data as read: handed on now while this turn's slice has room, the rest in later turns. */
  data(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.waiting.push(chunk);
    this.run();
  }

  /** Something the socket reported (close, error): runs once the data before it has been handed on. */
  after(event: () => void): void {
    this.waiting.push(event);
    this.run();
  }

  /** Drops data not handed on yet (the stream was abandoned); events still run. */
  discard(): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) if (Buffer.isBuffer(this.waiting[i])) this.waiting.splice(i, 1);
    this.run();
  }

  private run(): void {
    if (this.running) return; // a handler that queued or discarded: the loop below sees it
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const next = this.waiting[0]!;
        if (typeof next === 'function') {
          this.waiting.shift();
          next();
          continue;
        }
        const room = SLICE_BYTES - this.turnBytes;
        if (room <= 0) {
          // This turn had its slice: the rest waits for the next one, and the socket with it.
          if (!this.paused) this.source()?.pause();
          this.paused = true;
          return;
        }
        const slice = next.length > room ? next.subarray(0, room) : next;
        if (next.length > room) this.waiting[0] = next.subarray(room);
        else this.waiting.shift();
        this.turnBytes += slice.length;
        this.nextTurn ??= setImmediate(() => {
          this.nextTurn = null;
          this.turnBytes = 0;
          this.run();
        });
        this.deliver(slice);
      }
      if (this.paused) this.source()?.resume();
      this.paused = false;
    } finally {
      this.running = false;
    }
  }
}
