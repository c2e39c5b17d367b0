/**
 * Messages the server took but the contact's app never confirmed. The server's acknowledgement (XEP-0198)
 * says it has a message, not that it delivered it: a server that loses one after acknowledging it would
 * leave it "sent" forever. For a contact whose app confirms messages (XEP-0184), a message sent from
 * here is marked `unconfirmed` (shared/contract/messages.ts) when
 *  - 'later-confirmed': an app session of the contact that was online when the server took this message
 *    confirmed a message the server took after it, on the same stream of ours, and this one's receipt did
 *    not follow within `graceMs` (receipts may cross) — that session got them in order, so it skipped this one;
 *  - 'silence': such a session stayed online for `silenceMs` in all, on the same stream of ours, and this
 *    one stayed unconfirmed.
 * Sessions are told apart by resource (each new one binds a new resource): a message that reached a session
 * which then died comes to the next one through the server's archive, which sends no receipt — no evidence.
 * Likewise a receipt sent to a stream of ours that is gone is lost — no evidence either.
 * A late receipt makes it 'delivered', which drops the mark. Never marked: a message to a contact whose app
 * has never confirmed one (libotr clients, apps without receipts), copies from our other devices or the
 * archive (we did not see them leave), and private OTR messages (they wait for a receipt and are offered
 * again in the next private conversation by themselves: `offeredAgain`). Matched by id, never by text.
 */
import type { ChatMessage } from '../../../shared/contract.js';

export interface UnconfirmedTimings {
  /** After a later message was confirmed: how long this one's receipt may still take. */
  graceMs: number;
  /** How long a session of the contact's may be online without confirming a message before it is marked. */
  silenceMs: number;
}

export const UNCONFIRMED_TIMINGS: UnconfirmedTimings = { graceMs: 30_000, silenceMs: 5 * 60_000 };

/** Messages watched at once, the oldest let go first. */
const MAX_WATCHED = 5_000;

export interface UnconfirmedHost {
  /** Our message `id` to `peer` as the chat holds it now (before the change being observed). */
  find(peer: string, id: string): ChatMessage | undefined;
  /** Shows `message` (with its mark): the account's upsert, which passes it through `observe` again. */
  mark(message: ChatMessage): void;
  /** Whether `peer`'s app confirms messages (a receipt came from it once). */
  confirms(peer: string): boolean;
  /** The resources (app sessions) of `peer` available now, as our stream sees them. */
  resources(peer: string): readonly string[];
  /** Our stream now (its full JID); undefined when offline. A resumed stream keeps it. */
  stream(): string | undefined;
  /** Whether the message is one that goes again by itself until confirmed (private OTR): left alone here. */
  offeredAgain(message: ChatMessage): boolean;
  now(): number;
}

interface Watched {
  peer: string;
  id: string;
  /** The order in which the server took our messages (their turn to become 'sent'). */
  order: number;
  /** Our stream it went out on: its receipt comes there. */
  stream: string;
  /** The contact's sessions online when the server took it: the ones that should confirm it. */
  sessions: ReadonlySet<string>;
  /** Time one of those sessions was online since then (counted per tick). */
  onlineMs: number;
  /** When one of those sessions confirmed a message the server took after this one. */
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
   * only), and follows ours from 'sending' (or 'waiting') to 'sent'.
   */
  observe(message: ChatMessage): ChatMessage {
    if (message.direction !== 'out') return message;
    let given = message;
    if (given.unconfirmed !== undefined && given.state !== 'sent') {
      const { unconfirmed: _mark, ...rest } = given;
      given = rest;
    }
    const key = keyOf(given.peer, given.id);
    const before = this.host.find(given.peer, given.id)?.state;
    if (given.state !== 'sent') this.watched.delete(key);
    // Seen leaving from here (not a carbon or an archive copy): the server took it now.
    else if (before === 'sending' || before === 'waiting') this.watch(key, given);
    return given;
  }

  /**
   * A receipt from `from` (a full JID) for our message `id`, before it is applied: every message to the same
   * contact the server took before that one, while this session was online, should have been confirmed too.
   */
  receipt(from: string, id: string): void {
    const slash = from.indexOf('/');
    if (slash < 0) return;
    const peer = from.slice(0, slash).toLowerCase();
    const session = from.slice(slash + 1);
    const confirmed = this.watched.get(keyOf(peer, id));
    if (!confirmed) return;
    const now = this.host.now();
    for (const w of this.watched.values()) {
      if (w.peer !== peer || w.order >= confirmed.order || w.passedAt !== undefined || w.marked) continue;
      if (w.stream === confirmed.stream && w.sessions.has(session)) w.passedAt = now;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private watch(key: string, message: ChatMessage): void {
    const stream = this.host.stream();
    this.watched.delete(key); // sent again: its turn is now
    if (stream === undefined) return;
    this.watched.set(key, {
      peer: message.peer,
      id: message.id,
      order: ++this.counter,
      stream,
      sessions: new Set(this.host.resources(message.peer)),
      onlineMs: 0,
      passedAt: undefined,
      marked: false,
    });
    if (this.watched.size > MAX_WATCHED) this.watched.delete(this.watched.keys().next().value!);
    if (!this.timer) {
      this.lastTick = this.host.now();
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref?.();
    }
  }

  private tick(): void {
    const now = this.host.now();
    const elapsed = Math.max(0, now - this.lastTick);
    this.lastTick = now;
    const stream = this.host.stream();
    let open = 0;
    for (const [key, w] of this.watched) {
      if (w.marked) continue; // kept until it changes: its late receipt still tells about the messages before it
      const message = this.host.find(w.peer, w.id);
      if (message?.direction !== 'out' || message.state !== 'sent') {
        this.watched.delete(key);
        continue;
      }
      if (stream === undefined) {
        open += 1; // offline: a resumed stream goes on where this one stopped
        continue;
      }
      // Before any evidence: a new stream of ours (its receipt may have gone to the old one), or none left of the
      // contact's sessions that should confirm it — nothing can tell any more.
      const online = stream === w.stream && this.host.resources(w.peer).some((r) => w.sessions.has(r));
      if (w.passedAt === undefined && !online) {
        this.watched.delete(key);
        continue;
      }
      if (online) w.onlineMs += elapsed;
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

function keyOf(peer: string, id: string): string {
  return `${peer}\n${id}`;
}
