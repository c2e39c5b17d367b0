/**
 * The incoming stanza pipeline: an ordered list of handlers, composed as xmpp.js's middleware does (`use()`).
 * Each handler takes the stanza and stops, or passes it on with `next()`; each feature (a folder per XEP) plugs
 * in its own. The account (account.ts) says the order.
 */
import type { Element } from '@xmpp/xml';
import type { ParsedMessage } from '../xmpp/stanzas.js';

/** One step: handles `ctx`, and calls `next` (synchronously) to pass it on to the steps after it. */
export type StanzaHandler<C> = (ctx: C, next: () => void) => void;

/** Every stanza of the stream (after the stream's own: roster pushes and IQs are answered by the session). */
export interface IncomingStanza {
  stanza: Element;
}

/** A one-to-one `<message/>` (not a carbon, not an archive result), parsed. */
export interface IncomingChatMessage {
  stanza: Element;
  message: ParsedMessage;
}

export class Pipeline<C> {
  private readonly handlers: StanzaHandler<C>[] = [];

  use(handler: StanzaHandler<C>): this {
    this.handlers.push(handler);
    return this;
  }

  run(ctx: C): void {
    const step = (at: number): void => {
      const handler = this.handlers[at];
      if (handler) handler(ctx, () => step(at + 1));
    };
    step(0);
  }
}
