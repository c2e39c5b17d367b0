/**
 * XEP-0359 origin-id: the id the sender gave a message, kept by servers that
 * rewrite stanza ids. Ours is the message id, the same on every attempt to
 * send it, so that a receiver can tell a message sent again from a new one.
 */
import xml, { type Element } from '@xmpp/xml';

export const NS_SID = 'urn:xmpp:sid:0';

export function withOriginId(message: Element, id: string): Element {
  const child = xml('origin-id', { xmlns: NS_SID, id });
  child.parent = message;
  message.children.push(child);
  return message;
}

/** The outgoing filter (delivery/outgoing.ts): every stanza carrying the user's message carries its id as origin-id. */
export function originIdFilter({ stanza, id }: { stanza: Element; id: string }): void {
  withOriginId(stanza, id);
}
