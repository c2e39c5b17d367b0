// Messages the user typed while the conversation is not private yet, under
// REQUIRE_ENCRYPTION or while an AKE runs (libotr keeps one "lastmessage"
// for retransmission; we keep them all, bounded). They are sent encrypted
// once private, or reported as failed: never sent in plaintext, never
// dropped silently.
//
// A message with a `waitUntil` (the app's outbox keeps it on disk and hands
// it in again on every new stream) waits for a private conversation until
// then, across ended conversations and AKE timeouts; one with an `id` is held
// once, however often it is handed in.

import { emptyOutput, messageId, type OtrOutput, type SendFailedCode } from './events.js';

export interface QueuedMessage {
  /** The caller's message id (sendText's `id`): events about this message carry it, and it is held at most once. */
  readonly id: string | undefined;
  readonly text: string;
  /** now() when queued. */
  readonly at: number;
  /** now() until which it waits for a private conversation; absent: it fails when the AKE times out. */
  readonly waitUntil?: number;
}

export interface SendQueueLimits {
  /** Most messages without `waitUntil` (typed, waiting for one AKE). */
  count: number;
  /** Most messages with `waitUntil` (a reconnect's burst from the outbox, whose texts are on disk anyway). */
  waitingCount: number;
  /** Most UTF-8 bytes of those, together. */
  waitingBytes: number;
}

/** Why a message that waited until its `waitUntil` was not sent. */
export const WAIT_EXPIRED = 'no private conversation could be made in time';
/** Encrypting failed (the engine's reason goes to the event's `debug`): the message does not go out at all. */
export const NOT_ENCRYPTED = 'it could not be encrypted, so it was not sent at all';

export class SendQueue {
  private items: QueuedMessage[] = [];
  /** Ids of the queued messages that have one. */
  private readonly ids = new Set<string>();
  private waitingCount = 0;
  private waitingBytes = 0;

  constructor(private readonly limits: SendQueueLimits) {}

  get length(): number {
    return this.items.length;
  }

  /** Queues the message (event 'queued'; once per id), or reports it failed when the queue is full. */
  push(message: QueuedMessage, out: OtrOutput): void {
    if (message.id !== undefined && this.ids.has(message.id)) {
      out.events.push({ type: 'queued', ...messageId(message.id), count: this.items.length });
      return;
    }
    const waits = message.waitUntil !== undefined;
    const bytes = waits ? Buffer.byteLength(message.text, 'utf8') : 0;
    const full = waits
      ? this.waitingCount >= this.limits.waitingCount || this.waitingBytes + bytes > this.limits.waitingBytes
      : this.items.length - this.waitingCount >= this.limits.count;
    if (full) {
      out.events.push(failure(message, 'private-queue-full', 'too many messages are waiting for the private conversation'));
      return;
    }
    this.items.push(message);
    if (message.id !== undefined) this.ids.add(message.id);
    if (waits) {
      this.waitingCount++;
      this.waitingBytes += bytes;
    }
    out.events.push({ type: 'queued', ...messageId(message.id), count: this.items.length });
  }

  /** Removes and returns everything queued, oldest first. */
  take(): QueuedMessage[] {
    const items = this.items;
    this.items = [];
    this.ids.clear();
    this.waitingCount = 0;
    this.waitingBytes = 0;
    return items;
  }

  /** Reports every queued message as failed and empties the queue; `keepWaiting`: those with a `waitUntil` stay. */
  failAll(code: SendFailedCode, reason: string, out: OtrOutput, { keepWaiting = false }: { keepWaiting?: boolean } = {}): void {
    for (const q of this.take()) {
      if (keepWaiting && q.waitUntil !== undefined) this.push(q, emptyOutput());
      else out.events.push(failure(q, code, reason));
    }
  }

  /**
   * Fails what waited long enough: messages whose `waitUntil` is past (event flagged `expired`), and,
   * given `akeTimedOut` (the reason; code private-not-started), those that waited only for an AKE.
   */
  failExpired(now: number, akeTimedOut: string | undefined, out: OtrOutput): void {
    for (const q of this.take()) {
      if (q.waitUntil !== undefined && q.waitUntil <= now) out.events.push(failure(q, 'private-wait-expired', WAIT_EXPIRED, true));
      else if (q.waitUntil === undefined && akeTimedOut !== undefined) out.events.push(failure(q, 'private-not-started', akeTimedOut));
      else this.push(q, emptyOutput());
    }
  }
}

/** The send-failed event for `message` (naming its id, if it has one). */
export function failure(message: Pick<QueuedMessage, 'id' | 'text'>, code: SendFailedCode, reason: string, expired = false): OtrOutput['events'][number] {
  return { type: 'send-failed', ...messageId(message.id), text: message.text, reason, code, ...(expired ? { expired: true as const } : {}) };
}
