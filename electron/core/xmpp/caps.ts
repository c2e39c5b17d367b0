/**
 * Entity capabilities (XEP-0115) in our presence: how the server learns, without asking each time,
 * which PEP notifications we want (`+notify` features, e.g. bookmarks from our other devices).
 */
import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { CLIENT_FEATURES } from './stanzas.js';

export const NS_CAPS = 'http://jabber.org/protocol/caps';
const CAPS_NODE = 'https://klatsch.invalid/caps';
/** Must match discoInfo(): one identity, client/pc named Klatsch. */
const IDENTITY = 'client/pc//Klatsch';

/** The verification string (XEP-0115 §5.1): SHA-1 over identities and sorted features, base64. */
export function capsVer(features: readonly string[] = CLIENT_FEATURES): string {
  const s = `${IDENTITY}<${[...features].sort().map((f) => `${f}<`).join('')}`;
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

/** Adds our capabilities to an outgoing available presence. */
export function withCaps(presence: Element): Element {
  const c = xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver: capsVer() });
  c.parent = presence;
  presence.children.push(c);
  return presence;
}
