// Messages the user typed while the conversation is not private yet, under
// REQUIRE_ENCRYPTION or while an AKE runs (libotr keeps one "lastmessage"
// for retransmission; we keep them all, bounded). They are sent encrypted
// once private, or reported as failed: never sent in plaintext, never
// dropped silently.

import { messageId, type OtrOutput } from './events.js';

export interface QueuedMessage {
  /** The caller's message id (sendText's `id`): events about this message carry it. */
  readonly id: string | undefined;
  readonly text: string;
  /** now() when queued. */
  readonly at: number;
}

export class SendQueue {
  private items: QueuedMessage[] = [];

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.items.length;
  }

  /** Queues `text` (event 'queued'), or reports it failed when the queue is full. */
  push(id: string | undefined, text: string, at: number, out: OtrOutput): void {
    if (this.items.length >= this.capacity) {
      out.events.push({ type: 'send-failed', ...messageId(id), text, reason: 'too many messages are waiting for the private conversation' });
      return;
    }
    this.items.push({ id, text, at });
    out.events.push({ type: 'queued', ...messageId(id), count: this.items.length });
  }

  /** Removes and returns everything queued, oldest first. */
  take(): QueuedMessage[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  /** Reports every queued message as failed and empties the queue. */
  failAll(reason: string, out: OtrOutput): void {
    for (const q of this.take()) out.events.push({ type: 'send-failed', ...messageId(q.id), text: q.text, reason });
  }
}
