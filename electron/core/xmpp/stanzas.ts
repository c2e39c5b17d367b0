/**
 * Reading and writing the stanzas of RFC 6121 (roster, presence, messages).
 * Parsers take untrusted elements and return plain values or undefined: a
 * malformed stanza is dropped, never thrown through the connection.
 */
import xml, { type Element } from '@xmpp/xml';
import { jid as parseJid } from '@xmpp/jid';
import type { OwnShow, PresenceShow } from '../../../shared/contract.js';
import { bareJid } from '../values/jid.js';
import { receiptRequest } from '../receipts/receipts.js';

export const NS_ROSTER = 'jabber:iq:roster';
const NS_DELAY = 'urn:xmpp:delay';

export interface RosterItem {
  jid: string;
  name?: string;
  subscription: 'none' | 'to' | 'from' | 'both' | 'remove';
  groups: string[];
  /** RFC 6121 §2.1.2.2: our subscription request to them is waiting for their answer. */
  ask?: 'subscribe';
}

export interface ParsedPresence {
  bare: string;
  resource: string;
  available: boolean;
  show: Exclude<PresenceShow, 'offline'>;
  status: string;
  priority: number;
}

export interface ParsedMessage {
  id: string | undefined;
  from: string;
  fromBare: string;
  type: 'chat' | 'normal' | 'error';
  body: string | undefined;
  errorText: string | undefined;
  /** The defined condition of a `type="error"` stanza (RFC 6120 §8.3.3), e.g. 'remote-server-not-found'. */
  errorCondition: string | undefined;
  /** From XEP-0203 delayed delivery, when the server stored the message for us. */
  stampedAt: number | undefined;
}

/** Characters XML 1.0 does not allow in a document (a stanza with one ends the stream). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text safe to put into a stanza: forbidden characters (and broken surrogate halves) become U+FFFD. */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

function resourceOf(address: string): string {
  const slash = address.indexOf('/');
  if (slash < 0) return '';
  // @xmpp/jid's answer (everything after the first slash) without its parse; it fails only without a domain.
  const at = address.lastIndexOf('@', slash);
  if (at + 1 < slash) return address.slice(slash + 1);
  try {
    return parseJid(address).resource ?? '';
  } catch {
    return '';
  }
}

const subscriptions = new Set(['none', 'to', 'from', 'both', 'remove']);

export function parseRosterItems(query: Element | undefined): RosterItem[] {
  if (!query) return [];
  const items: RosterItem[] = [];
  for (const item of query.getChildren('item')) {
    const parsed = parseRosterItem(item);
    if (parsed) items.push(parsed);
  }
  return items;
}

/** Items a turn in parseRosterItemsInTurns: a few milliseconds of work. */
export const ROSTER_ITEMS_PER_TURN = 500;

/**
 * parseRosterItems for a whole roster (the answer at sign-in): ROSTER_ITEMS_PER_TURN items an event-loop
 * turn, so that thousands of contacts never hold the main process in one go.
 */
export async function parseRosterItemsInTurns(query: Element | undefined): Promise<RosterItem[]> {
  if (!query) return [];
  const children = query.getChildren('item');
  const items: RosterItem[] = [];
  for (let at = 0; at < children.length; at += ROSTER_ITEMS_PER_TURN) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const item of children.slice(at, at + ROSTER_ITEMS_PER_TURN)) {
      const parsed = parseRosterItem(item);
      if (parsed) items.push(parsed);
    }
  }
  return items;
}

function parseRosterItem(item: Element): RosterItem | undefined {
  const address = bareJid(item.attrs.jid);
  if (!address) return undefined;
  const subscription = subscriptions.has(item.attrs.subscription ?? '') ? item.attrs.subscription : 'none';
  const name = item.attrs.name?.trim();
  return {
    jid: address,
    ...(name ? { name: name.slice(0, 256) } : {}),
    subscription: subscription as RosterItem['subscription'],
    groups: item.getChildren('group').map((g) => g.text().slice(0, 256)).filter(Boolean),
    ...(item.attrs.ask === 'subscribe' ? { ask: 'subscribe' as const } : {}),
  };
}

export function parsePresence(stanza: Element): ParsedPresence | undefined {
  const type = stanza.attrs.type;
  if (type !== undefined && type !== 'unavailable') return undefined; // subscriptions, probes, errors
  const from = stanza.attrs.from;
  const bare = bareJid(from);
  if (!from || !bare) return undefined;
  const showText = stanza.getChildText('show');
  const show: ParsedPresence['show'] = showText === 'away' || showText === 'xa' ? 'away' : showText === 'dnd' ? 'dnd' : 'online';
  const priority = Number.parseInt(stanza.getChildText('priority') ?? '0', 10);
  return {
    bare,
    resource: resourceOf(from),
    available: type !== 'unavailable',
    show,
    status: (stanza.getChildText('status') ?? '').slice(0, 1024),
    priority: Number.isFinite(priority) ? Math.max(-128, Math.min(127, priority)) : 0,
  };
}

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The condition element of an `<error/>` (the one child in the stanzas namespace that is not `<text/>`). */
export function errorCondition(error: Element): string | undefined {
  return error.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
}

export function parseMessage(stanza: Element): ParsedMessage | undefined {
  const given = stanza.attrs.type ?? 'normal';
  if (given === 'groupchat' || given === 'headline') return undefined; // not one-to-one chat: later
  // RFC 6121 §5.2.2: a type we do not know is handled as "normal".
  const type = given === 'chat' || given === 'error' ? given : 'normal';
  const from = stanza.attrs.from;
  const fromBare = bareJid(from);
  if (!from || !fromBare) return undefined;
  const delay = stanza.getChild('delay', NS_DELAY)?.attrs.stamp;
  const stamped = delay ? Date.parse(delay) : Number.NaN;
  const error = stanza.getChild('error');
  return {
    id: stanza.attrs.id,
    from,
    fromBare,
    type,
    body: stanza.getChildText('body') ?? undefined,
    errorText: error ? (error.getChildText('text') ?? error.getChildElements()[0]?.name ?? 'error') : undefined,
    errorCondition: error ? errorCondition(error) : undefined,
    stampedAt: Number.isFinite(stamped) ? stamped : undefined,
  };
}

export function rosterGet(): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER }));
}

export function presenceStanza(show: OwnShow, status: string): Element {
  return xml(
    'presence',
    {},
    show === 'online' ? undefined : xml('show', {}, show),
    status ? xml('status', {}, xmlSafe(status)) : undefined,
  );
}

/** A plaintext chat message; `requestReceipt` for one a user wrote (XEP-0184). */
/**
 * XEP-0203: a message we kept and send later says when it was written (`from` is our own JID, as §3 allows
 * a client that stored it), so that the receiver puts it where it belongs among the messages that went first.
 */
export function withDelay(message: Element, from: string, writtenAt: number): Element {
  const child = xml('delay', { xmlns: NS_DELAY, from, stamp: new Date(writtenAt).toISOString() });
  child.parent = message;
  message.children.push(child);
  return message;
}

export function chatMessage(to: string, id: string, body: string, requestReceipt = false): Element {
  return xml('message', { to, id, type: 'chat' }, xml('body', {}, xmlSafe(body)), requestReceipt ? receiptRequest() : undefined);
}

/** How an end-to-end encrypted message is labelled and where its copies may go (e2ee/provider.ts's Envelope). */
export interface EncryptedParts {
  body?: string;
  payload?: Element[];
  /** XEP-0380: the scheme's namespace, and its name for clients that do not know it. */
  namespace: string;
  name?: string;
  /** No copy of it can be decrypted anywhere else (OTR): kept out of archives and carbons. */
  noCopies: boolean;
}

/**
 * An end-to-end encrypted message: labelled (XEP-0380) so that clients without the scheme say so instead of
 * showing its ciphertext body; a scheme whose copies cannot be decrypted (OTR, XEP-0364) is kept out of
 * archives and carbons (XEP-0334 hints, XEP-0280 private).
 */
export function encryptedMessage(to: string, id: string, parts: EncryptedParts, requestReceipt = false): Element {
  return xml(
    'message',
    { to, id, type: 'chat' },
    parts.body !== undefined ? xml('body', {}, xmlSafe(parts.body)) : undefined,
    ...(parts.payload ?? []),
    ...(parts.noCopies
      ? [xml('no-copy', { xmlns: 'urn:xmpp:hints' }), xml('no-permanent-store', { xmlns: 'urn:xmpp:hints' }), xml('private', { xmlns: 'urn:xmpp:carbons:2' })]
      : [xml('store', { xmlns: 'urn:xmpp:hints' })]),
    xml('encryption', { xmlns: 'urn:xmpp:eme:0', namespace: parts.namespace, ...(parts.name !== undefined ? { name: parts.name } : {}) }),
    requestReceipt ? receiptRequest() : undefined,
  );
}

/** XEP-0030 features this client answers disco#info with. */
export const CLIENT_FEATURES = [
  'http://jabber.org/protocol/disco#info',
  'urn:xmpp:ping',
  'urn:xmpp:eme:0',
  'urn:xmpp:hints',
  'urn:xmpp:receipts',
  'jabber:x:conference', // direct invitations to group chats (XEP-0249)
  'urn:xmpp:bookmarks:1+notify', // bookmarks changed on our other devices (XEP-0402)
  // OMEMO device lists of contacts and our other devices (XEP-0384 0.3 and omemo:2), in the first presence's caps.
  'eu.siacs.conversations.axolotl.devicelist+notify',
  'urn:xmpp:omemo:2:devices+notify',
];

export function discoInfo(): Element {
  return xml(
    'query',
    { xmlns: 'http://jabber.org/protocol/disco#info' },
    xml('identity', { category: 'client', type: 'pc', name: 'Klatsch' }),
    ...CLIENT_FEATURES.map((v) => xml('feature', { var: v })),
  );
}

