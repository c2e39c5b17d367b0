/**
 * One account's group chats (XEP-0045): entering (creating instant rooms),
 * leaving, occupants, messages, subject, and entering again after every
 * reconnect. A members-only, non-anonymous room is end-to-end encrypted with
 * OMEMO (room-e2ee.ts) when the account has it: what the user writes there goes
 * out encrypted for every member or not at all. Every other room is plaintext,
 * and the UI says so. Nothing here passes the OTR engine.
 *
 * Only rooms we asked to enter are believed: presences and messages from any
 * other room are dropped, so a hostile server or occupant cannot make a room
 * appear or put words into another room.
 *
 * This file composes the parts and routes the stanzas to them: rooms-context.ts (what they share),
 * room-presence.ts (entering, leaving, occupants), room-messages.ts (messages, history, subject),
 * room-encryption.ts (OMEMO in rooms), room-bookmarks-sync.ts, room-service.ts (the group chat service),
 * invitations.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { ChatMessage, RoomView } from '../../../shared/contract.js';
import type { ChatLog } from '../chat-log.js';
import { KlatschError } from '../errors.js';
import { bareJid } from '../values/jid.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { MAX_ROOMS, RoomsContext, type RoomsDeps, type StoredRoom } from './rooms-context.js';
import { RoomService } from './room-service.js';
import { isConfigurationChange, RoomEncryption } from './room-encryption.js';
import { RoomMessages } from './room-messages.js';
import { RoomPresence } from './room-presence.js';
import { RoomBookmarksSync } from './room-bookmarks-sync.js';
import { Bookmarks, parseBookmarkEvent } from './bookmarks.js';
import { directInvitation, Invitations, mediatedDecline, mediatedInvitation } from './invitations.js';
import { cleanNick, parseGroupchatMessage, parseMucPresence, parseMucPresenceError, roomAddress } from './muc-stanzas.js';
import { Room } from './room.js';

export { MAX_ROOMS, type RoomsDeps, type StoredRoom } from './rooms-context.js';

export class Rooms {
  private readonly ctx: RoomsContext;
  /** Room messages, per room (the same bounded log as one-to-one chats). */
  readonly messages: ChatLog;
  /** Invitations waiting for the user's answer (invitations.ts). */
  readonly invitations: Invitations;
  private readonly service: RoomService;
  private readonly encryption: RoomEncryption;
  private readonly roomMessages: RoomMessages;
  private readonly presence: RoomPresence;
  private readonly bookmarksSync: RoomBookmarksSync;

  constructor(
    stored: readonly StoredRoom[],
    private readonly deps: RoomsDeps,
  ) {
    const ctx = (this.ctx = new RoomsContext(deps));
    this.messages = ctx.messages;
    // The rooms that follow the user to every device (bookmarks.ts).
    const bookmarks = deps.ownBare ? new Bookmarks(() => deps.session()) : undefined;
    this.invitations = new Invitations({
      isContact: (jid) => deps.isContact?.(jid) ?? false,
      accepts: (from, room) => deps.allowed?.(room, from) ?? true,
      inRoom: (room) => {
        const state = ctx.rooms.get(room)?.state;
        return state === 'joined' || state === 'joining';
      },
      changed: (list) => deps.invitationsChanged?.(list),
      now: deps.now,
    });
    this.service = new RoomService(ctx);
    this.encryption = new RoomEncryption(ctx);
    this.roomMessages = new RoomMessages(ctx, this.encryption);
    this.presence = new RoomPresence(ctx, this.service, this.encryption, this.invitations, bookmarks);
    this.bookmarksSync = new RoomBookmarksSync(ctx, bookmarks, this.invitations);
    for (const s of stored.slice(0, MAX_ROOMS)) {
      const jid = roomAddress(s.jid);
      const nick = cleanNick(s.nick);
      if (jid && nick && !ctx.rooms.has(jid)) {
        const room = new Room(jid, nick);
        room.state = 'offline';
        ctx.rooms.set(jid, room);
      }
    }
  }

  views(): RoomView[] {
    return [...this.ctx.rooms.values()].map((r) => r.view());
  }

  /** The messages of the rooms in the list (rooms left keep their history on disk, not on screen). */
  messagesSnapshot(): Record<string, ChatMessage[]> {
    return Object.fromEntries([...this.ctx.rooms.keys()].map((jid) => [jid, [...this.messages.list(jid)]]));
  }

  /** Enters a room (an address, or a name on the server's group chat service); resolves once we are in. */
  join(address: string, nickname: string, password?: string): Promise<RoomView> {
    return this.presence.join(address, nickname, password);
  }

  leave(address: string): Promise<void> {
    return this.presence.leave(address);
  }

  /** Invites a contact to a room we are in: directly (XEP-0249, with the room's password), or through the room. */
  async invite(address: string, contact: string, reason: string | undefined, via: 'direct' | 'room' = 'direct'): Promise<void> {
    const room = this.ctx.known(address);
    const session = this.ctx.online();
    if (room.state !== 'joined') throw new KlatschError('not-connected', 'You are not in this room.', { reason: 'room-not-in' });
    const to = bareJid(contact);
    if (!to || to === room.jid) throw new KlatschError('invalid-request', 'That is not a valid address to invite.', { reason: 'invitee-invalid' });
    const text = reason?.trim() || undefined;
    await session.send(via === 'room' ? mediatedInvitation(room.jid, randomUUID(), to, text) : directInvitation(to, randomUUID(), room.jid, text, room.password));
  }

  /** The user accepted an invitation: enter its room (with the password it carried, kept in memory only). */
  async acceptInvitation(id: string, nick: string): Promise<RoomView> {
    this.ctx.online();
    const { view, password } = this.invitations.take(id);
    return this.join(view.room, nick, password);
  }

  /** The user declined: a mediated invitation's inviter is told through the room; a direct one needs no answer. */
  async declineInvitation(id: string): Promise<void> {
    const { view } = this.invitations.take(id);
    if (view.mediated) await this.deps.session()?.send(mediatedDecline(view.room, randomUUID(), view.from)).catch(() => undefined);
  }

  send(address: string, body: string): Promise<ChatMessage> {
    return this.roomMessages.send(address, body);
  }

  setSubject(address: string, subject: string): Promise<void> {
    return this.roomMessages.setSubject(address, subject);
  }

  markRead(address: string): void {
    this.roomMessages.markRead(address);
  }

  /** Public rooms on the server's group chat service. */
  list(): Promise<{ service?: string; rooms: { jid: string; name?: string }[] }> {
    return this.service.list();
  }

  /** The user changed their availability: the rooms we are in see it too. */
  presenceChanged(show: 'online' | 'away' | 'dnd'): Promise<void> {
    return this.presence.presenceChanged(show);
  }

  /** A new session: enter again every room we were in (with the history we missed), then follow the bookmarks. */
  sessionStarted(session: XmppSession): void {
    this.service.forget();
    this.presence.enterAgain(session);
    void this.bookmarksSync.syncBookmarks(session).catch(() => undefined);
  }

  /** The account went offline: we are in no room now. */
  offline(): void {
    this.presence.offline();
  }

  close(): void {
    this.ctx.close();
  }

  /**
   * Takes the stanzas that belong to group chats; true when it took one (even to drop it), so the
   * one-to-one code never sees room traffic (no room message reaches the OTR engine or the chats).
   */
  onStanza(stanza: Element): boolean {
    if (stanza.name === 'presence') {
      const error = parseMucPresenceError(stanza);
      if (error) {
        if (!this.ctx.rooms.has(error.room)) return false; // not about a room of ours: someone else's business
        this.presence.onJoinError(error.room, error);
        return true;
      }
      const presence = parseMucPresence(stanza);
      if (!presence) return false;
      this.presence.onPresence(presence);
      return true;
    }
    if (stanza.name === 'message') {
      if (this.invitations.onMessage(stanza)) return true;
      const ownBare = this.deps.ownBare?.();
      const bookmarkChanges = ownBare ? parseBookmarkEvent(stanza, ownBare) : undefined;
      if (bookmarkChanges) {
        this.bookmarksSync.onBookmarkChanges(bookmarkChanges);
        return true;
      }
      const type = stanza.attrs.type;
      if (type === 'groupchat') {
        if (isConfigurationChange(stanza)) void this.encryption.configurationChanged(stanza).catch(() => undefined);
        const message = parseGroupchatMessage(stanza);
        const scheme = this.deps.groupE2ee?.();
        if (message && scheme?.claims(stanza)) void this.encryption.onEncrypted(message, stanza, scheme).catch(() => undefined);
        else if (message) this.roomMessages.onMessage(message);
        return true;
      }
      const from = typeof stanza.attrs.from === 'string' ? stanza.attrs.from : '';
      const room = roomAddress(from.split('/')[0] ?? '');
      if (!room || !this.ctx.rooms.has(room)) return false;
      if (type === 'error') {
        const message = parseGroupchatMessage(stanza);
        if (message) this.roomMessages.onMessageError(message);
      }
      // Private messages through a room and its notices are not shown (yet): never as a one-to-one chat.
      return true;
    }
    return false;
  }
}
