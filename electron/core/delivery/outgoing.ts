/**
 * The stanza around one piece of an encryption provider's output, the filters (xmpp.js's `filter()`) every stanza
 * carrying the user's message passes before it leaves (each XEP adds its part: origin id, delay, chat state), and
 * putting it on the stream.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { Envelope } from '../e2ee/provider.js';
import type { ConnectionManager } from '../xmpp/connection-manager.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { chatMessage, encryptedMessage, withDelay } from '../xmpp/stanzas.js';

/** A stanza carrying (the end of) the user's message `id`, as the filters see it. */
export interface OutgoingMessage {
  stanza: Element;
  /** The user's message id (also the stanza's id). */
  id: string;
  to: string;
  /** Encrypted with a scheme (Envelope.encryption): nothing of the plaintext world goes on it. */
  encrypted: boolean;
  /** When the user wrote it, if the outbox has it. */
  writtenAt: number | undefined;
}

/** One step every stanza carrying the user's message passes, in order. */
export type OutgoingFilter = (message: OutgoingMessage) => void;

/**
 * XEP-0203: the user's message carries when it was written: one that waited (outbox, a frozen stream, a new
 * private conversation) is put by the receiver among the others in the order they were written, not as it arrived.
 */
export function delayFilter(ownBare: () => string): OutgoingFilter {
  return ({ stanza, writtenAt }) => {
    if (writtenAt !== undefined) withDelay(stanza, ownBare(), writtenAt);
  };
}

/**
 * The stanza for `envelope`. With a user's message id it carries (the end of) what the user wrote: it asks for a
 * receipt and passes `filters`; a scheme's own messages need none of that. `writtenAt`: when the user wrote it.
 */
export function outgoingStanza({ to, body, payload, encryption, messageId: id }: Envelope, writtenAt: number | undefined, filters: readonly OutgoingFilter[]): Element {
  const receipt = id !== undefined;
  const stanzaId = id ?? randomUUID();
  let stanza: Element;
  if (encryption) {
    stanza = encryptedMessage(to, stanzaId, { ...(body !== undefined ? { body } : {}), ...(payload ? { payload } : {}), ...encryption }, receipt);
  } else {
    stanza = chatMessage(to, stanzaId, body ?? '', receipt);
    for (const element of payload ?? []) {
      element.parent = stanza;
      stanza.children.push(element);
    }
  }
  if (id !== undefined) for (const filter of filters) filter({ stanza, id, to, encrypted: encryption !== undefined, writtenAt });
  return stanza;
}

/** Puts the encryption providers' stanzas on the current stream (the E2eeHost's transmit). */
export class Transmitter {
  /** Outbox messages whose stanza the stream refused (it was ending), by id → that stream (null: there was none). */
  private readonly lostOnTheWay = new Map<string, XmppSession | null>();

  /** `writtenAt`: when the user wrote message `id` to `to` (the outbox knows, or the chat). */
  constructor(
    private readonly connection: Pick<ConnectionManager, 'activeSession'>,
    private readonly writtenAt: (id: string, to: string) => number | undefined,
    private readonly filters: readonly OutgoingFilter[],
  ) {}

  /** One stanza of an encryption provider's output on the current stream; rejects when it could not go. */
  async transmit(envelope: Envelope): Promise<void> {
    const id = envelope.messageId;
    const session = this.connection.activeSession;
    if (!session) {
      if (id !== undefined) this.lostOnTheWay.set(id, null);
      throw new Error('not connected');
    }
    if (id !== undefined) this.lostOnTheWay.delete(id);
    const sent = this.transmitOn(session, envelope);
    // A write the stream refused (it is ending: a stream error, a reset) is a connection problem, not the message's.
    if (id !== undefined) sent.catch(() => this.lostOnTheWay.set(id, session));
    return sent;
  }

  /** The stream that refused the user's message `id` (null: there was none), once; undefined: none refused it. */
  takeLost(id: string): XmppSession | null | undefined {
    const lostOn = this.lostOnTheWay.get(id);
    this.lostOnTheWay.delete(id);
    return lostOn;
  }

  /** One stanza of an encryption provider's output on `session`; `messageId`: it carries (the end of) the user's message. */
  private async transmitOn(session: XmppSession, envelope: Envelope): Promise<void> {
    const id = envelope.messageId;
    const writtenAt = id !== undefined ? this.writtenAt(id, envelope.to) : undefined;
    // Only what the outbox waits for asks the server for an acknowledgement; a scheme's own messages need none.
    await session.send(outgoingStanza(envelope, writtenAt, this.filters), { confirm: id !== undefined });
  }
}
