/**
 * Message Delivery Receipts (XEP-0184) in the incoming pipeline: a receipt for one of our messages goes to the
 * delivery (delivery/delivery.ts); a request for one is owed until the message it came with is on screen.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { IncomingChatMessage, StanzaHandler } from '../incoming/pipeline.js';
import { receiptFor, receiptMessage, wantsReceipt } from './receipts.js';

export class OwedReceipts {
  /** Received messages that asked for a receipt, by peer and stanza id → the full JID to answer. */
  private readonly owed = new Map<string, string>();

  /** `send`: puts a receipt on the current stream, if there is one. */
  constructor(private readonly send: (receipt: Element) => Promise<void> | undefined) {}

  /**
   * A receipt is owed for `message` if it asks for one; only contacts get receipts: to a stranger, a receipt
   * would tell that we are online and reading. Returns the key to `settle` once the message is shown or dropped.
   */
  owe({ stanza, message }: IncomingChatMessage, isContact: (peer: string) => boolean): string | undefined {
    const owed = wantsReceipt(stanza) && message.id && isContact(message.fromBare) ? `${message.fromBare}\n${message.id}` : undefined;
    if (owed) this.owed.set(owed, message.from);
    return owed;
  }

  /** The message is shown (its receipt went) or dropped (none goes). */
  settle(key: string): void {
    this.owed.delete(key);
  }

  /** Answers a receipt request once the message it came with is on screen. */
  sendFor(peer: string, id: string): void {
    const key = `${peer}\n${id}`;
    const to = this.owed.get(key);
    if (to === undefined) return;
    this.owed.delete(key);
    this.send(receiptMessage(to, id, randomUUID()))?.catch(() => undefined);
  }
}

/** The incoming step for receipts of our messages: `arrived` (only the peer can confirm messages to it; `from`: which session of theirs). */
export function receiptsHandler(ownBare: () => string, arrived: (peer: string, id: string, from: string) => void): StanzaHandler<IncomingChatMessage> {
  return ({ stanza, message }, next) => {
    const receipted = receiptFor(stanza);
    if (receipted !== undefined && message.fromBare !== ownBare()) arrived(message.fromBare, receipted, message.from);
    next();
  };
}
