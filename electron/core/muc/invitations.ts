/**
 * Invitations to group chats: direct ones (XEP-0249, `jabber:x:conference`, from a person) and
 * mediated ones (XEP-0045 §7.8.2, `muc#user` `<invite>`, handed on by the room).
 *
 * An invitation is only ever a request the user answers (Join / Decline); nothing joins by itself.
 * Like Element and Gajim we show invitations from people who are not contacts too, but as a stranger's
 * request, with the full address, so that nobody can pose as a contact; at most a few are kept.
 * A password that comes with an invitation is kept in memory only, used to enter, never stored or shown.
 */
import { randomUUID } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import type { Invitation } from '../../../shared/contract.js';
import { KlatschError } from '../errors.js';
import { xmlSafe } from '../xmpp/stanzas.js';
import { bareJid } from '../values/jid.js';
import { MAX_NICK, NS_MUC_USER, roomAddress } from './muc-stanzas.js';

export const NS_CONFERENCE = 'jabber:x:conference';
/** Longest reason kept; longer ones are cut. */
export const MAX_REASON = 1024;
const MAX_PASSWORD = 1024;
/** Invitations waiting for an answer; strangers' beyond MAX_STRANGER_INVITATIONS push out their oldest. */
export const MAX_INVITATIONS = 50;
export const MAX_STRANGER_INVITATIONS = 5;

/** A direct invitation (XEP-0249 §2): to a person, naming the room (and its password, when it has one). */
export function directInvitation(to: string, id: string, room: string, reason?: string, password?: string): Element {
  return xml(
    'message',
    { to, id },
    xml('x', {
      xmlns: NS_CONFERENCE,
      jid: room,
      ...(reason ? { reason: xmlSafe(reason) } : {}),
      ...(password !== undefined ? { password: xmlSafe(password) } : {}),
    }),
  );
}

/** A mediated invitation (XEP-0045 §7.8.2): sent to the room, which hands it on (and may make the invitee a member). */
export function mediatedInvitation(room: string, id: string, to: string, reason?: string): Element {
  return xml('message', { to: room, id }, xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to }, reason ? xml('reason', {}, xmlSafe(reason)) : undefined)));
}

/** Declining a mediated invitation (XEP-0045 §7.8.2): through the room, to whoever invited us. */
export function mediatedDecline(room: string, id: string, inviter: string): Element {
  return xml('message', { to: room, id }, xml('x', { xmlns: NS_MUC_USER }, xml('decline', { to: inviter })));
}

/**
 * Who a room says invited us: a real bare address, or (rooms that hide real addresses, as Prosody's
 * semi-anonymous ones do) the inviter's address in the room, room/nick, which names nobody we know.
 */
function invitedBy(room: string | undefined, from: string): string | undefined {
  const bare = bareJid(from);
  if (!room || !bare) return undefined;
  if (bare !== room) return bare;
  const nick = from.slice(room.length + 1);
  return from.startsWith(`${room}/`) && nick.length > 0 && [...nick].length <= MAX_NICK && !/[\p{Cc}]/u.test(nick) ? `${room}/${nick}` : undefined;
}

export interface ParsedInvitation {
  kind: 'direct' | 'mediated';
  room: string;
  /** Who invites: the sender of a direct invitation; for a mediated one, whom the room names (room/nick when it hides addresses). */
  from: string;
  reason?: string;
  password?: string;
}

function clip(text: string | undefined | null, max: number): string | undefined {
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  return trimmed ? [...trimmed].slice(0, max).join('') : undefined;
}

/**
 * An invitation in a message, or undefined (none, or malformed: a missing or invalid room, a room
 * that is its own inviter, a mediated invitation not from a room's bare address). Never throws.
 */
export function parseInvitation(stanza: Element): ParsedInvitation | undefined {
  if (stanza.name !== 'message' || stanza.attrs.type === 'error' || stanza.attrs.type === 'groupchat') return undefined;
  const fromAttr = typeof stanza.attrs.from === 'string' ? stanza.attrs.from : '';
  const mucUser = stanza.getChild('x', NS_MUC_USER);
  const invite = mucUser?.getChild('invite');
  if (mucUser && invite) {
    // Mediated: only the room itself (its bare address) hands on invitations.
    const room = roomAddress(fromAttr);
    const inviter = typeof invite.attrs.from === 'string' ? invitedBy(room, invite.attrs.from) : undefined;
    if (!room || !inviter) return undefined;
    const reason = clip(invite.getChildText('reason'), MAX_REASON);
    const password = mucUser.getChildText('password');
    return {
      kind: 'mediated',
      room,
      from: inviter,
      ...(reason ? { reason } : {}),
      ...(typeof password === 'string' && password.length > 0 && password.length <= MAX_PASSWORD ? { password } : {}),
    };
  }
  const conference = stanza.getChild('x', NS_CONFERENCE);
  if (!conference) return undefined;
  const from = bareJid(fromAttr);
  const room = typeof conference.attrs.jid === 'string' ? roomAddress(conference.attrs.jid) : undefined;
  if (!from || !room || from === room) return undefined;
  const reason = clip(conference.attrs.reason, MAX_REASON);
  const password = conference.attrs.password;
  return {
    kind: 'direct',
    room,
    from,
    ...(reason ? { reason } : {}),
    ...(typeof password === 'string' && password.length > 0 && password.length <= MAX_PASSWORD ? { password } : {}),
  };
}

interface Pending {
  view: Invitation;
  password?: string;
}

export interface InvitationsDeps {
  /** Whether `jid` is in the roster (a contact's invitation is a contact's; anyone else's is a stranger's). */
  isContact: (jid: string) => boolean;
  /** The administrator may deny the address or group chats altogether: then the invitation is dropped. */
  accepts: (from: string, room: string) => boolean;
  /** Whether we are in (or entering) the room already: an invitation to it is not shown. */
  inRoom: (room: string) => boolean;
  changed: (invitations: Invitation[]) => void;
  now: () => number;
}

/** Invitations waiting for the user's answer (in memory: they are requests of this session). */
export class Invitations {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly deps: InvitationsDeps) {}

  list(): Invitation[] {
    return [...this.pending.values()].map((p) => p.view);
  }

  /** Takes a message carrying an invitation; true when it was one (shown or dropped), so it is not shown as a chat. */
  onMessage(stanza: Element): boolean {
    const parsed = parseInvitation(stanza);
    if (!parsed) return false;
    if (!this.deps.accepts(parsed.from, parsed.room) || this.deps.inRoom(parsed.room)) return true;
    const stranger = !this.deps.isContact(parsed.from);
    // The same room from the same person: the newer invitation replaces the older one.
    for (const [id, p] of this.pending) if (p.view.room === parsed.room && p.view.from === parsed.from) this.pending.delete(id);
    if (stranger) this.bound((p) => p.view.stranger, MAX_STRANGER_INVITATIONS - 1);
    this.bound(() => true, MAX_INVITATIONS - 1);
    const view: Invitation = {
      id: randomUUID(),
      room: parsed.room,
      from: parsed.from,
      ...(parsed.reason ? { reason: parsed.reason } : {}),
      stranger,
      mediated: parsed.kind === 'mediated',
      ...(parsed.password !== undefined ? { passwordProtected: true } : {}),
      receivedAt: this.deps.now(),
    };
    this.pending.set(view.id, { view, ...(parsed.password !== undefined ? { password: parsed.password } : {}) });
    this.emit();
    return true;
  }

  /** The user answers: the invitation leaves the list; the room and the password it carried are returned. */
  take(id: string): { view: Invitation; password?: string } {
    const pending = this.pending.get(id);
    if (!pending) throw new KlatschError('not-found', 'This invitation is no longer there.', { reason: 'invitation-gone' });
    this.pending.delete(id);
    this.emit();
    return pending;
  }

  /** We are in the room now (by any way): its invitations are answered. */
  joined(room: string): void {
    let removed = false;
    for (const [id, p] of this.pending) {
      if (p.view.room === room) {
        this.pending.delete(id);
        removed = true;
      }
    }
    if (removed) this.emit();
  }

  /** Removes the oldest matching invitations until at most `keep` match. */
  private bound(matches: (p: Pending) => boolean, keep: number): void {
    const matching = [...this.pending.entries()].filter(([, p]) => matches(p));
    for (const [id] of matching.slice(0, Math.max(0, matching.length - keep))) this.pending.delete(id);
  }

  private emit(): void {
    this.deps.changed(this.list());
  }
}
