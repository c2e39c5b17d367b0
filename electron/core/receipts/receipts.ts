/**
 * Message Delivery Receipts (XEP-0184). We ask for a receipt on every message
 * a user wrote, and answer a peer's request only once its message was shown:
 * for a private message that means after it decrypted, never for OTR protocol
 * traffic or a message we could not read (so a receipt never claims more
 * than the user could see).
 */
import xml, { type Element } from '@xmpp/xml';

export const NS_RECEIPTS = 'urn:xmpp:receipts';

/** The `<request/>` that goes on each of our messages. */
export function receiptRequest(): Element {
  return xml('request', { xmlns: NS_RECEIPTS });
}

/** Whether a received message asks for a receipt (errors never get one: XEP-0184 §5.4). */
export function wantsReceipt(stanza: Element): boolean {
  return stanza.attrs.type !== 'error' && typeof stanza.attrs.id === 'string' && stanza.getChild('request', NS_RECEIPTS) !== undefined;
}

/** The id a receipt confirms, if `stanza` is one (bounded like our own ids). */
export function receiptFor(stanza: Element): string | undefined {
  if (stanza.attrs.type === 'error') return undefined;
  const id = stanza.getChild('received', NS_RECEIPTS)?.attrs.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
}

/** Our receipt for message `id` from `to` (the full JID it came from). */
export function receiptMessage(to: string, id: string, stanzaId: string): Element {
  return xml('message', { to, id: stanzaId }, xml('received', { xmlns: NS_RECEIPTS, id }));
}
