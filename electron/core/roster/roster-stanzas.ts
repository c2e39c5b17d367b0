/**
 * Roster management and presence subscriptions (RFC 6121 §2.3–2.5, §3): the
 * roster sets we send, the subscription presences both ways, and the check
 * of who may push roster changes to us. Parsers take untrusted elements and
 * return plain values or undefined.
 */
import xml, { type Element } from '@xmpp/xml';
import { NS_ROSTER, xmlSafe } from '../xmpp/stanzas.js';
import { bareJid } from '../values/jid.js';

/** Longest contact name and group name we send or keep (servers commonly cap near here). */
export const MAX_NAME_LENGTH = 256;
/** Groups per contact: more is a mistake or abuse. */
export const MAX_GROUPS = 32;
/** What a subscription request may say alongside ("Hi, it's Bob from accounting"). */
export const MAX_REQUEST_TEXT = 1024;

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

export interface SubscriptionPresence {
  type: SubscriptionType;
  /** Bare JID of the one it is from. */
  from: string;
  /** The optional `<status/>` text of a request. */
  text?: string;
}

/** What a roster set writes about a contact (the whole item: RFC 6121 §2.4 replaces it). */
export interface RosterSetItem {
  jid: string;
  name?: string;
  groups: readonly string[];
}

/**
 * RFC 6121 §2.1.6: a roster push counts only without a `from` (our server) or
 * from exactly our own bare JID. Anyone else — another user, a server domain,
 * even one of our own other resources — is ignored.
 */
export function isRosterPushFrom(from: string | undefined, ownBare: string): boolean {
  if (from === undefined) return true;
  if (from.includes('/')) return false;
  return bareJid(from) === ownBare.toLowerCase();
}

/** Trims, drops empty and duplicate groups, bounds each; too many is refused by the caller. */
export function cleanGroups(groups: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const g of groups) {
    const name = g.trim().slice(0, MAX_NAME_LENGTH);
    if (name) seen.add(name);
  }
  return [...seen];
}

/** RFC 6121 §2.4: add or update one roster item. */
export function rosterSet(item: RosterSetItem): Element {
  const name = item.name?.trim();
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'query',
      { xmlns: NS_ROSTER },
      xml(
        'item',
        { jid: item.jid, ...(name ? { name: xmlSafe(name.slice(0, MAX_NAME_LENGTH)) } : {}) },
        ...cleanGroups(item.groups).map((g) => xml('group', {}, xmlSafe(g))),
      ),
    ),
  );
}

/** RFC 6121 §2.5: delete a roster item; the server also cancels the subscriptions both ways. */
export function rosterRemove(jid: string): Element {
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid, subscription: 'remove' })));
}

/** RFC 6121 §3: a subscription request, approval, cancellation or refusal, to a bare JID. */
export function subscriptionPresence(to: string, type: SubscriptionType): Element {
  return xml('presence', { to, type });
}

const subscriptionTypes = new Set<string>(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

/** A subscription presence from someone else; undefined for anything else (available, unavailable, probe, error). */
export function parseSubscriptionPresence(stanza: Element): SubscriptionPresence | undefined {
  if (stanza.name !== 'presence') return undefined;
  const type = stanza.attrs.type;
  if (!subscriptionTypes.has(type ?? '')) return undefined;
  const from = bareJid(stanza.attrs.from);
  if (!from) return undefined;
  const text = type === 'subscribe' ? stanza.getChildText('status')?.trim().slice(0, MAX_REQUEST_TEXT) : undefined;
  return { type: type as SubscriptionType, from, ...(text ? { text } : {}) };
}
