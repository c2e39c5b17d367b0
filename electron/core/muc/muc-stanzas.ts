/**
 * The stanzas of multi-user chat (XEP-0045): entering and leaving a room,
 * occupants' presence, groupchat messages and subjects, the owner's instant
 * room form, and finding the server's group chat service (XEP-0030).
 * Parsers take untrusted elements and return bounded plain values or
 * undefined: a malformed stanza is dropped, never thrown.
 */
import xml, { type Element } from '@xmpp/xml';
import { jid as parseJid } from '@xmpp/jid';
import type { Occupant } from '../../../shared/contract.js';
import { xmlSafe } from '../xmpp/stanzas.js';
import { bareJid } from '../values/jid.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_DELAY = 'urn:xmpp:delay';
const NS_STANZA_ID = 'urn:xmpp:sid:0';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** Longest nickname, subject and body we keep from a room (a hostile room cannot make us hold more). */
export const MAX_NICK = 64;
export const MAX_SUBJECT = 1024;
export const MAX_BODY = 65_536;

// XEP-0045 §15.6.2 status codes we act on.
export const STATUS_SELF = '110';
export const STATUS_CREATED = '201';
export const STATUS_BANNED = '301';
export const STATUS_NICK_CHANGED = '303';
export const STATUS_KICKED = '307';
export const STATUS_AFFILIATION_REMOVED = '321';
export const STATUS_MEMBERS_ONLY = '322';
export const STATUS_SHUTDOWN = '332';

const ROLES: ReadonlySet<string> = new Set<Occupant['role']>(['moderator', 'participant', 'visitor', 'none']);
const AFFILIATIONS: ReadonlySet<string> = new Set<Occupant['affiliation']>(['owner', 'admin', 'member', 'outcast', 'none']);

/** How much room history to ask for on entering (§7.2.14): the newest N, or everything since a time. */
export type HistoryRequest = { maxStanzas: number } | { since: number };

/** A nickname as we accept it: trimmed, 1–64 characters, no control characters. Undefined: not acceptable. */
export function cleanNick(nick: string): string | undefined {
  const trimmed = nick.trim();
  if (trimmed.length === 0 || [...trimmed].length > MAX_NICK || /[\p{Cc}\p{Cs}\uFFFE\uFFFF]/u.test(trimmed)) return undefined;
  return trimmed;
}

/** A room's bare address (it must have a local part: `room@service`), canonical; undefined when it is not one. */
export function roomAddress(address: string): string | undefined {
  if (address.includes('/')) return undefined;
  const bare = bareJid(address);
  return bare && bare.includes('@') ? bare : undefined;
}

/** The occupant address room/nick, or undefined when the nickname cannot be a resource. */
export function occupantJid(room: string, nick: string): string | undefined {
  try {
    const full = parseJid(`${room}/${nick}`);
    return full.resource ? `${room}/${nick}` : undefined;
  } catch {
    return undefined;
  }
}

/** Entering a room (§7.2.2), with a password for protected rooms (§7.2.6) and how much history (§7.2.14). */
export function joinPresence(room: string, nick: string, history: HistoryRequest, password?: string, show: 'online' | 'away' | 'dnd' = 'online'): Element {
  const historyAttrs =
    'since' in history ? { since: new Date(history.since).toISOString() } : { maxstanzas: String(Math.max(0, Math.floor(history.maxStanzas))) };
  return xml(
    'presence',
    { to: `${room}/${nick}` },
    show === 'online' ? undefined : xml('show', {}, show),
    xml('x', { xmlns: NS_MUC }, xml('history', historyAttrs), password === undefined ? undefined : xml('password', {}, xmlSafe(password))),
  );
}

/** Leaving a room (§7.14). */
export function leavePresence(room: string, nick: string): Element {
  return xml('presence', { to: `${room}/${nick}`, type: 'unavailable' });
}

/** Our availability in a room we are in (§7.7): the show only; the status text is not told to rooms. */
export function roomPresence(room: string, nick: string, show: 'online' | 'away' | 'dnd'): Element {
  return xml('presence', { to: `${room}/${nick}` }, show === 'online' ? undefined : xml('show', {}, show));
}

export function groupchatMessage(room: string, id: string, body: string): Element {
  return xml('message', { to: room, id, type: 'groupchat' }, xml('body', {}, xmlSafe(body)));
}

/**
 * An end-to-end encrypted message to a room: the scheme's payload, its fallback body for clients without it,
 * its label (XEP-0380) and a store hint (XEP-0334: the archive keeps it for members who are offline).
 */
export function encryptedGroupchatMessage(room: string, id: string, sealed: { payload: Element[]; body: string; encryption: { namespace: string; name?: string } }): Element {
  return xml(
    'message',
    { to: room, id, type: 'groupchat' },
    ...sealed.payload,
    xml('body', {}, sealed.body),
    xml('encryption', { xmlns: 'urn:xmpp:eme:0', namespace: sealed.encryption.namespace, ...(sealed.encryption.name ? { name: sealed.encryption.name } : {}) }),
    xml('store', { xmlns: 'urn:xmpp:hints' }),
  );
}

/** A new subject (§8.1): a groupchat message with a subject and no body. */
export function subjectMessage(room: string, id: string, subject: string): Element {
  return xml('message', { to: room, id, type: 'groupchat' }, xml('subject', {}, xmlSafe(subject)));
}

/** Accept the default configuration of a room we just created (§10.1.2, "instant room"). */
export function instantRoomIq(room: string): Element {
  return xml('iq', { to: room, type: 'set' }, xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' })));
}

export function discoInfoIq(to: string): Element {
  return xml('iq', { to, type: 'get' }, xml('query', { xmlns: NS_DISCO_INFO }));
}

export function discoItemsIq(to: string): Element {
  return xml('iq', { to, type: 'get' }, xml('query', { xmlns: NS_DISCO_ITEMS }));
}

/** XEP-0030 items of a disco#items answer, at most `max`; items without a valid address are skipped. */
export function parseDiscoItems(query: Element | undefined, max: number): { jid: string; name?: string }[] {
  const items: { jid: string; name?: string }[] = [];
  for (const item of query?.getChildren('item') ?? []) {
    if (items.length >= max) break;
    const address = item.attrs.jid && !String(item.attrs.jid).includes('/') ? bareJid(item.attrs.jid) : undefined;
    if (!address) continue;
    const name = typeof item.attrs.name === 'string' ? item.attrs.name.trim().slice(0, 256) : '';
    items.push({ jid: address, ...(name ? { name } : {}) });
  }
  return items;
}

/** Whether a disco#info answer describes a group chat service (§6.1: identity conference/text, the MUC feature). */
export function isMucService(query: Element | undefined): boolean {
  if (!query) return false;
  const conference = query.getChildren('identity').some((i) => i.attrs.category === 'conference' && i.attrs.type === 'text');
  const feature = query.getChildren('feature').some((f) => f.attrs.var === NS_MUC);
  return conference && feature;
}

export interface MucPresence {
  room: string;
  nick: string;
  available: boolean;
  role: Occupant['role'];
  affiliation: Occupant['affiliation'];
  show: Occupant['show'];
  /** The occupant's real bare address, when the room tells it. */
  realJid?: string;
  codes: Set<string>;
  /** With status 303: the occupant's new nickname. */
  newNick?: string;
  /** The room was destroyed (§10.9); the reason, if given. */
  destroyed?: { reason: string };
  /** Why we were kicked or banned, if the room said. */
  reason?: string;
}

export interface MucPresenceError {
  room: string;
  nick: string;
  /** The defined condition (RFC 6120 §8.3.3): conflict, not-authorized, forbidden, … */
  condition: string;
  text?: string;
}

/** The room and nickname of an occupant address, or undefined when `from` is not room@service/nick. */
function splitOccupant(from: string | undefined): { room: string; nick: string } | undefined {
  if (!from) return undefined;
  const slash = from.indexOf('/');
  if (slash < 0) return undefined;
  const room = roomAddress(from.slice(0, slash));
  const nick = from.slice(slash + 1);
  if (!room || nick.length === 0 || [...nick].length > MAX_NICK) return undefined;
  return { room, nick };
}

/** An occupant's presence in a room (§7.2.3); undefined for anything else (presence without muc#user, junk). */
export function parseMucPresence(stanza: Element): MucPresence | undefined {
  if (stanza.name !== 'presence') return undefined;
  const type = stanza.attrs.type;
  if (type !== undefined && type !== 'unavailable') return undefined;
  const where = splitOccupant(stanza.attrs.from);
  const x = stanza.getChild('x', NS_MUC_USER);
  if (!where || !x) return undefined;
  const item = x.getChild('item');
  const role = ROLES.has(String(item?.attrs.role)) ? (item!.attrs.role as Occupant['role']) : 'none';
  const affiliation = AFFILIATIONS.has(String(item?.attrs.affiliation)) ? (item!.attrs.affiliation as Occupant['affiliation']) : 'none';
  const codes = new Set<string>();
  for (const status of x.getChildren('status').slice(0, 16)) {
    const code = status.attrs.code;
    if (typeof code === 'string' && /^\d{3}$/.test(code)) codes.add(code);
  }
  const showText = stanza.getChildText('show');
  const show: Occupant['show'] = type === 'unavailable' ? 'offline' : showText === 'away' || showText === 'xa' ? 'away' : showText === 'dnd' ? 'dnd' : 'online';
  const real = item?.attrs.jid ? bareJid(item.attrs.jid) : undefined;
  const newNick = codes.has(STATUS_NICK_CHANGED) && typeof item?.attrs.nick === 'string' ? item.attrs.nick : undefined;
  const destroy = x.getChild('destroy');
  const reason = item?.getChildText('reason');
  return {
    ...where,
    available: type !== 'unavailable',
    role,
    affiliation,
    show,
    ...(real ? { realJid: real } : {}),
    codes,
    ...(newNick !== undefined && newNick.length > 0 && [...newNick].length <= MAX_NICK ? { newNick } : {}),
    ...(destroy ? { destroyed: { reason: (destroy.getChildText('reason') ?? '').slice(0, MAX_SUBJECT) } } : {}),
    ...(reason ? { reason: reason.slice(0, MAX_SUBJECT) } : {}),
  };
}

/** The room's refusal of our entering or of a nickname (§7.2.7–7.2.11): a presence of type error from room/nick. */
export function parseMucPresenceError(stanza: Element): MucPresenceError | undefined {
  if (stanza.name !== 'presence' || stanza.attrs.type !== 'error') return undefined;
  const bareRoom = roomAddress(String(stanza.attrs.from ?? ''));
  const where = splitOccupant(stanza.attrs.from) ?? (bareRoom ? { room: bareRoom, nick: '' } : undefined);
  if (!where) return undefined;
  const error = stanza.getChild('error');
  const condition = error?.getChildElements().find((e) => e.attrs.xmlns === NS_STANZAS && e.name !== 'text')?.name ?? 'undefined-condition';
  const text = error?.getChildText('text', NS_STANZAS) ?? undefined;
  return { ...where, condition: condition.slice(0, 64), ...(text ? { text: text.slice(0, 512) } : {}) };
}

export interface GroupchatMessage {
  room: string;
  /** Undefined: said by the room itself (no nickname). */
  nick: string | undefined;
  id: string | undefined;
  /** The room's own id for it (XEP-0359, `by` the room): the same each time the room hands it out. */
  stanzaId: string | undefined;
  body: string | undefined;
  /** Present (possibly '') when the message sets the subject. */
  subject: string | undefined;
  /** From XEP-0203: room history handed out on entering. */
  stampedAt: number | undefined;
  type: 'groupchat' | 'error';
  errorText?: string;
  /** The defined condition of an error (remote-server-not-found, …). */
  errorCondition?: string;
}

/** A message of type groupchat (or an error about one) from a room or an occupant; undefined otherwise. */
export function parseGroupchatMessage(stanza: Element): GroupchatMessage | undefined {
  if (stanza.name !== 'message') return undefined;
  const type = stanza.attrs.type;
  if (type !== 'groupchat' && type !== 'error') return undefined;
  const from = stanza.attrs.from;
  const occupant = splitOccupant(from);
  const room = occupant?.room ?? (from && !from.includes('/') ? roomAddress(from) : undefined);
  if (!room) return undefined;
  const delay = stanza.getChild('delay', NS_DELAY)?.attrs.stamp;
  const stamped = typeof delay === 'string' ? Date.parse(delay) : Number.NaN;
  const sid = stanza.getChildren('stanza-id', NS_STANZA_ID).find((s) => bareJid(s.attrs.by) === room)?.attrs.id;
  const subject = stanza.getChild('subject');
  const body = stanza.getChildText('body');
  const id = typeof stanza.attrs.id === 'string' && stanza.attrs.id.length <= 256 ? stanza.attrs.id : undefined;
  const error = type === 'error' ? stanza.getChild('error') : undefined;
  return {
    room,
    nick: occupant?.nick,
    id,
    stanzaId: typeof sid === 'string' && sid.length <= 256 ? sid : undefined,
    body: body === null ? undefined : body.slice(0, MAX_BODY),
    subject: subject ? subject.text().slice(0, MAX_SUBJECT) : undefined,
    stampedAt: Number.isFinite(stamped) ? stamped : undefined,
    type,
    ...(error ? { errorText: (error.getChildText('text', NS_STANZAS) ?? error.getChildElements()[0]?.name ?? 'error').slice(0, 512) } : {}),
    ...(error ? { errorCondition: (error.getChildElements().find((e) => e.attrs.xmlns === NS_STANZAS && e.name !== 'text')?.name ?? 'undefined-condition').slice(0, 64) } : {}),
  };
}
