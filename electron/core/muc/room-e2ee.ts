/**
 * End-to-end encryption in group chats (XEP-0384 §5.6, as Conversations, Dino and Gajim do it): only in a
 * room that is members-only and non-anonymous. There the room tells every member's real address, so a
 * message can be encrypted for every device of every member; anywhere else (an open room, one that hides
 * real addresses) it cannot, and the room stays plainly "not end-to-end encrypted".
 *
 * Pure rules and stanzas; room-encryption.ts applies them.
 */
import xml, { type Element } from '@xmpp/xml';
import type { Occupant } from '../../../shared/contract.js';
import { bareJid } from '../values/jid.js';

export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
/** XEP-0045 §15.2.2: only members may enter. */
export const FEATURE_MEMBERS_ONLY = 'muc_membersonly';
/** XEP-0045 §15.2.2: every occupant sees every occupant's real address. */
export const FEATURE_NON_ANONYMOUS = 'muc_nonanonymous';
/** Affiliations whose holders are members of a members-only room (outcasts are banned). */
export const MEMBER_AFFILIATIONS = ['owner', 'admin', 'member'] as const;
/** Addresses believed from one affiliation list (a hostile room cannot make us encrypt for a million). */
export const MAX_MEMBERS = 1_000;

/** The features a disco#info answer of a room lists (§6.4). */
export function roomFeatures(query: Element | undefined): Set<string> {
  const features = new Set<string>();
  for (const f of query?.getChildren('feature') ?? []) {
    if (typeof f.attrs.var === 'string' && f.attrs.var.length <= 256) features.add(f.attrs.var);
  }
  return features;
}

/** Whether a room with these features can be end-to-end encrypted: members-only and non-anonymous, both. */
export function roomQualifiesForE2ee(features: ReadonlySet<string>): boolean {
  return features.has(FEATURE_MEMBERS_ONLY) && features.has(FEATURE_NON_ANONYMOUS);
}

/** The room's list of one affiliation (§9.5; members of a members-only, non-anonymous room may ask, §8.5). */
export function affiliationListIq(room: string, affiliation: (typeof MEMBER_AFFILIATIONS)[number]): Element {
  return xml('iq', { to: room, type: 'get' }, xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { affiliation })));
}

/** The bare addresses an affiliation list answer names (at most MAX_MEMBERS); [] for an error or junk. */
export function parseAffiliationList(answer: Element | undefined): string[] {
  const query = answer?.name === 'query' ? answer : answer?.getChild('query', NS_MUC_ADMIN);
  if (!query || (answer?.name === 'iq' && answer.attrs.type !== 'result')) return [];
  const out: string[] = [];
  for (const item of query.getChildren('item')) {
    if (out.length >= MAX_MEMBERS) break;
    const jid = typeof item.attrs.jid === 'string' && !item.attrs.jid.includes('/') ? bareJid(item.attrs.jid) : undefined;
    if (jid && (MEMBER_AFFILIATIONS as readonly string[]).includes(String(item.attrs.affiliation))) out.push(jid);
  }
  return out;
}

/**
 * Everyone a message to the room is encrypted for, besides our own other devices: the real addresses of the
 * occupants (members who are there) and of the room's members, owners and admins (members who are not there
 * now read it later, from the archive). Sorted, each once, never ourselves, never an outcast or a visitor
 * without an affiliation.
 */
export function groupRecipients(ownBare: string, occupants: readonly Pick<Occupant, 'jid' | 'affiliation'>[], affiliated: readonly string[]): string[] {
  const own = bareJid(ownBare);
  const out = new Set<string>();
  for (const o of occupants) {
    if (!o.jid || o.affiliation === 'outcast' || o.affiliation === 'none') continue;
    const jid = bareJid(o.jid);
    if (jid) out.add(jid);
  }
  for (const a of affiliated) {
    const jid = bareJid(a);
    if (jid) out.add(jid);
  }
  if (own) out.delete(own);
  return [...out].sort();
}

/** The real bare address the room put on a message it handed out (`<x muc#user><item jid/>`: archive and history of non-anonymous rooms). */
export function realJidOnMessage(stanza: Element): string | undefined {
  const jid = stanza.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.jid;
  return typeof jid === 'string' ? bareJid(jid) : undefined;
}
