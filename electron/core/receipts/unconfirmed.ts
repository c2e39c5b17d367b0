/**
 * Messages the server took but the contact's app never confirmed. The server's acknowledgement (XEP-0198)
 * says it has a message, not that it delivered it: a server that loses one after acknowledging it would
 * leave it "sent" forever. For a contact whose app confirms messages (XEP-0184), a message sent from
 * here is marked `unconfirmed` (shared/contract/messages.ts) when
 *  - 'later-confirmed': their app confirmed a message of ours the server acknowledged after this one, and
 *    this one's receipt did not follow within `graceMs` (receipts may cross, a message may take longer to
 *    show) — one stream delivers in order, so the earlier one should have come first;
 *  - 'silence': the contact was online (and so were we) for `silenceMs` in all since the server took it,
 *    and it is still unconfirmed.
 * A late receipt makes it 'delivered', which drops the mark. Never marked: a message to a contact whose app
 * has never confirmed one (libotr clients, apps without receipts), copies from our other devices or the
 * archive (we did not see them leave), and private OTR messages (they wait for a receipt and are offered
 * again in the next private conversation by themselves: `offeredAgain`). Matched by id, never by text.
 */
import type { ChatMessage } from '../../../shared/contract.js';

export interface UnconfirmedTimings {
  /** After a later message was confirmed: how long this one's receipt may still take. */
  graceMs: number;
  /** How long the contact may be online without confirming a message before it is marked. */
  silenceMs: number;
}

export const UNCONFIRMED_TIMINGS: UnconfirmedTimings = { graceMs: 30_000, silenceMs: 5 * 60_000 };

/** Messages watched at once, the oldest let go first (a contact who never confirms must not grow this). */
const MAX_WATCHED = 5_000;

export interface UnconfirmedHost {
  /** Our message `id` to `peer` as the chat holds it now (before the change being observed). */
  find(peer: string, id: string): ChatMessage | undefined;
  /** Shows `message` (with its mark): the account's upsert, which passes it through `observe` again. */
  mark(message: ChatMessage): void;
  /** Whether `peer`'s app confirms messages (a receipt came from it once). */
  confirms(peer: string): boolean;
  /** Whether `peer` is online as we see it now (we are online, and they are available). */
  online(peer: string): boolean;
  /** Whether the message is one that goes again by itself until confirmed (private OTR): left alone here. */
  offeredAgain(message: ChatMessage): boolean;
  now(): number;
}

interface Watched {
  peer: string;
  id: string;
  /** The order in which the server took our messages (their turn to become 'sent'). */
  order: number;
  /** Time the contact was online since then, as far as ticks counted. */
  onlineMs: number;
  /** When a message the server took after this one was confirmed. */
  passedAt: number | undefined;
  marked: boolean;
}

export class UnconfirmedMessages {
  private readonly watched = new Map<string, Watched>();
  private counter = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private readonly tickMs: number;

  constructor(
    private readonly host: UnconfirmedHost,
    private readonly timings: UnconfirmedTimings = UNCONFIRMED_TIMINGS,
  ) {
    this.tickMs = Math.max(20, Math.min(timings.graceMs, timings.silenceMs, 30_000) / 6);
  }

  /**
   * Every change of a message, before it is stored: returns it as it may be stored (the mark belongs to 'sent'
   * only), and follows ours from 'sending' (or 'waiting') to 'sent' to 'delivered'.
   */
  observe(message: ChatMessage): ChatMessage {
    if (message.direction !== 'out') return message;
    let given = message;
    if (given.unconfirmed !== undefined && given.state !== 'sent') {
      const { unconfirmed: _mark, ...rest } = given;
      given = rest;
    }
    const key = `${given.peer}\n${given.id}`;
    const before = this.host.find(given.peer, given.id)?.state;
    if (given.state === 'sent') {
      // Seen leaving from here (not a carbon or an archive copy): the server took it now.
      if (before === 'sending' || before === 'waiting') this.watch(key, given);
    } else if (given.state === 'delivered') {
      const confirmed = this.watched.get(key);
      this.watched.delete(key);
      if (confirmed) this.passedBy(confirmed);
    } else this.watched.delete(key);
    return given;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private watch(key: string, message: ChatMessage): void {
    this.watched.delete(key); // sent again: its turn is now
    this.watched.set(key, { peer: message.peer, id: message.id, order: ++this.counter, onlineMs: 0, passedAt: undefined, marked: false });
    if (this.watched.size > MAX_WATCHED) this.watched.delete(this.watched.keys().next().value!);
    if (!this.timer) {
      this.lastTick = this.host.now();
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref?.();
    }
  }

  /** `confirmed` got its receipt: every message to the same contact the server took before it should have, too. */
  private passedBy(confirmed: Watched): void {
    const now = this.host.now();
    for (const w of this.watched.values()) {
      if (w.peer === confirmed.peer && w.order < confirmed.order && w.passedAt === undefined) w.passedAt = now;
    }
  }

  private tick(): void {
    const now = this.host.now();
    const elapsed = Math.max(0, now - this.lastTick);
    this.lastTick = now;
    let open = 0;
    for (const [key, w] of this.watched) {
      if (w.marked) continue; // kept: its late receipt still tells about the messages before it
      const message = this.host.find(w.peer, w.id);
      if (message?.direction !== 'out' || message.state !== 'sent') {
        this.watched.delete(key);
        continue;
      }
      if (this.host.online(w.peer)) w.onlineMs += elapsed;
      const reason = w.passedAt !== undefined && now - w.passedAt >= this.timings.graceMs ? 'later-confirmed' : w.onlineMs >= this.timings.silenceMs ? 'silence' : undefined;
      if (reason === undefined) {
        open += 1;
        continue;
      }
      // An app that confirms nothing says nothing by its silence: its messages are never marked.
      if (!this.host.confirms(w.peer) || this.host.offeredAgain(message)) {
        this.watched.delete(key);
        continue;
      }
      w.marked = true;
      this.host.mark({ ...message, unconfirmed: reason });
    }
    if (open === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
