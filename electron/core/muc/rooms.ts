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
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { ChatMessage, ErrorCode, Invitation, NoticeKind, RoomView } from '../../../shared/contract.js';
import { ChatLog } from '../chat-log.js';
import { KlatschError, type ErrorDetail } from '../errors.js';
import type { HistoryStore } from '../store/history-store.js';
import { bareJid } from '../values/jid.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import type { GroupEncryption } from '../e2ee/provider.js';
import { joinRefusal, removalReason, ROOM_LEFT, ROOM_REFUSED_BY_POLICY, roomErrorView, roomPlaintextRefused, roomServerProblem, type RoomProblem } from './muc-errors.js';
import { affiliationListIq, groupRecipients, MEMBER_AFFILIATIONS, parseAffiliationList, realJidOnMessage, roomFeatures, roomQualifiesForE2ee } from './room-e2ee.js';
import { Bookmarks, parseBookmarkEvent, type Bookmark, type BookmarkChange } from './bookmarks.js';
import { directInvitation, Invitations, mediatedDecline, mediatedInvitation } from './invitations.js';
import {
  cleanNick,
  discoInfoIq,
  discoItemsIq,
  encryptedGroupchatMessage,
  groupchatMessage,
  instantRoomIq,
  isMucService,
  joinPresence,
  leavePresence,
  roomPresence,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  occupantJid,
  parseDiscoItems,
  parseGroupchatMessage,
  parseMucPresence,
  parseMucPresenceError,
  roomAddress,
  STATUS_CREATED,
  STATUS_NICK_CHANGED,
  STATUS_SELF,
  subjectMessage,
  type GroupchatMessage,
  type HistoryRequest,
  type MucPresence,
} from './muc-stanzas.js';
import { Room } from './room.js';

/** A room the account enters by itself after signing in (kept in the account's settings; never a password). */
export interface StoredRoom {
  jid: string;
  nick: string;
}

export interface RoomsDeps {
  session: () => XmppSession | undefined;
  /** The account's domain, where the group chat service is looked for. */
  domain: () => string;
  roomUpdated: (room: RoomView) => void;
  roomRemoved: (room: string) => void;
  messageUpserted: (message: ChatMessage) => void;
  /** The rooms to enter after a reconnect changed: store them. */
  saveRooms: (rooms: StoredRoom[]) => Promise<void>;
  /** Group chat messages kept on disk (encrypted); absent: in memory only. */
  history?: HistoryStore;
  now: () => number;
  /** Our availability, told to rooms as we enter them. */
  show?: () => 'online' | 'away' | 'dnd';
  /** How long entering a room may take. */
  joinTimeoutMs?: number;
  /** Our own bare address: bookmarks (XEP-0402/0048) are read from and written to it; absent: no bookmarks. */
  ownBare?: () => string;
  /** Whether the address is in the roster (invitations from anyone else are a stranger's). */
  isContact?: (jid: string) => boolean;
  /** The administrator's rules: rooms (and invitations) they refuse are not entered or shown. */
  allowed?: (room: string, from?: string) => boolean;
  invitationsChanged?: (invitations: Invitation[]) => void;
  /** The scheme that encrypts group chats now (OMEMO); absent or undefined: every room is plaintext. */
  groupE2ee?: () => GroupEncryption | undefined;
  /** Why the administrator refuses rooms that are not end-to-end encrypted; undefined: they are allowed. */
  plaintextRefused?: () => string | undefined;
}

/** Rooms one account can be in. */
export const MAX_ROOMS = 200;
/** Said in a room the user was in when the administrator's remote lists came to refuse it. */
/** History asked for on first entering a room (later: everything since the last message we have). */
const FIRST_HISTORY: HistoryRequest = { maxStanzas: 50 };
/** Services and rooms looked at when finding the group chat service or listing rooms. */
const MAX_DISCO_ITEMS = 500;
const MAX_SERVICES_ASKED = 20;
const DISCO_TIMEOUT_MS = 10_000;
/** An encrypted room's member list is asked for again before sending when older than this. */
const MEMBERS_MAX_AGE_MS = 30_000;

interface PendingJoin {
  resolve: (view: RoomView) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Rooms {
  private readonly rooms = new Map<string, Room>();
  /** Room messages, per room (the same bounded log as one-to-one chats). */
  readonly messages = new ChatLog();
  private readonly pending = new Map<string, PendingJoin>();
  private readonly emitTimers = new Map<string, NodeJS.Timeout>();
  /** The group chat service found for this session (XEP-0030); null: looked, none. */
  private service: string | null | undefined;
  /** The rooms that follow the user to every device (bookmarks.ts). */
  private readonly bookmarks: Bookmarks | undefined;
  /** Invitations waiting for the user's answer (invitations.ts). */
  readonly invitations: Invitations;

  constructor(
    stored: readonly StoredRoom[],
    private readonly deps: RoomsDeps,
  ) {
    for (const [room, list] of Object.entries(deps.history?.chats() ?? {})) this.messages.restore(room, list);
    this.bookmarks = deps.ownBare ? new Bookmarks(() => deps.session()) : undefined;
    this.invitations = new Invitations({
      isContact: (jid) => deps.isContact?.(jid) ?? false,
      accepts: (from, room) => deps.allowed?.(room, from) ?? true,
      inRoom: (room) => {
        const state = this.rooms.get(room)?.state;
        return state === 'joined' || state === 'joining';
      },
      changed: (list) => deps.invitationsChanged?.(list),
      now: deps.now,
    });
    for (const s of stored.slice(0, MAX_ROOMS)) {
      const jid = roomAddress(s.jid);
      const nick = cleanNick(s.nick);
      if (jid && nick && !this.rooms.has(jid)) {
        const room = new Room(jid, nick);
        room.state = 'offline';
        this.rooms.set(jid, room);
      }
    }
  }

  views(): RoomView[] {
    return [...this.rooms.values()].map((r) => r.view());
  }

  /** The messages of the rooms in the list (rooms left keep their history on disk, not on screen). */
  messagesSnapshot(): Record<string, ChatMessage[]> {
    return Object.fromEntries([...this.rooms.keys()].map((jid) => [jid, [...this.messages.list(jid)]]));
  }

  /** Enters a room (an address, or a name on the server's group chat service); resolves once we are in. */
  async join(address: string, nickname: string, password?: string): Promise<RoomView> {
    const nick = cleanNick(nickname);
    if (!nick) throw new KlatschError('invalid-request', 'Choose a nickname of 1 to 64 characters.', { reason: 'nick-invalid' });
    const session = this.online();
    const jid = address.includes('@') ? roomAddress(address) : await this.onService(session, address);
    if (!jid || !occupantJid(jid, nick)) throw new KlatschError('invalid-request', 'That is not a valid room address (expected room@conference.example.com).', { reason: 'room-address-invalid' });
    const existing = this.rooms.get(jid);
    if (existing?.state === 'joined') {
      throw new KlatschError('already-exists', 'You are already in this room.', { reason: 'room-already-in' });
    }
    if (this.pending.has(jid)) throw new KlatschError('already-exists', 'Klatsch is already entering this room.', { reason: 'room-already-entering' });
    if (!existing && this.rooms.size >= MAX_ROOMS) throw new KlatschError('invalid-request', `You can be in at most ${MAX_ROOMS} group chats.`, { reason: 'too-many-rooms', params: { max: MAX_ROOMS } });
    const room = existing ?? new Room(jid, nick, password);
    room.nick = nick;
    room.password = password;
    room.state = 'joining';
    room.error = undefined;
    room.created = false;
    const isNew = !existing;
    if (isNew) this.rooms.set(jid, room);
    this.emitRoom(room);
    const entered = new Promise<RoomView>((resolve, reject) => {
      const timer = setTimeout(() => this.failJoin(jid, new KlatschError('timeout', 'The room did not answer in time.', { reason: 'room-no-answer' })), this.deps.joinTimeoutMs ?? 20_000);
      this.pending.set(jid, { resolve, reject, timer });
    });
    // The room may refuse (a password) while the join is still being written: awaited below, not unhandled meanwhile.
    entered.catch(() => undefined);
    try {
      await session.send(joinPresence(jid, nick, this.historyFor(jid), password, this.deps.show?.()));
    } catch {
      this.failJoin(jid, new KlatschError('not-connected', 'You are not connected.', { reason: 'rooms-offline' }));
    }
    try {
      const view = await entered;
      this.invitations.joined(jid);
      await this.store();
      // Follows the user to their other devices (the password never goes into a bookmark).
      await this.bookmarks?.set({ jid, autojoin: true, nick: room.nick }).catch(() => undefined);
      return view;
    } catch (error) {
      // A room we never got into is not kept (one we had stays, marked with what happened).
      if (isNew && this.rooms.get(jid) === room && (room.state as RoomView['state']) !== 'joined') {
        this.rooms.delete(jid);
        this.deps.roomRemoved(jid);
      }
      throw error;
    }
  }

  async leave(address: string): Promise<void> {
    const jid = this.known(address).jid;
    const room = this.rooms.get(jid)!;
    this.rooms.delete(jid);
    this.failJoin(jid, new KlatschError('not-found', 'You left the room.', { reason: 'room-left-here' }));
    if (room.state === 'joined' || room.state === 'joining') {
      await this.deps.session()?.send(leavePresence(jid, room.nick)).catch(() => undefined);
    }
    this.deps.roomRemoved(jid);
    await this.store();
    await this.bookmarks?.remove(jid).catch(() => undefined);
  }

  /** Invites a contact to a room we are in: directly (XEP-0249, with the room's password), or through the room. */
  async invite(address: string, contact: string, reason: string | undefined, via: 'direct' | 'room' = 'direct'): Promise<void> {
    const room = this.known(address);
    const session = this.online();
    if (room.state !== 'joined') throw new KlatschError('not-connected', 'You are not in this room.', { reason: 'room-not-in' });
    const to = bareJid(contact);
    if (!to || to === room.jid) throw new KlatschError('invalid-request', 'That is not a valid address to invite.', { reason: 'invitee-invalid' });
    const text = reason?.trim() || undefined;
    await session.send(via === 'room' ? mediatedInvitation(room.jid, randomUUID(), to, text) : directInvitation(to, randomUUID(), room.jid, text, room.password));
  }

  /** The user accepted an invitation: enter its room (with the password it carried, kept in memory only). */
  async acceptInvitation(id: string, nick: string): Promise<RoomView> {
    this.online();
    const { view, password } = this.invitations.take(id);
    return this.join(view.room, nick, password);
  }

  /** The user declined: a mediated invitation's inviter is told through the room; a direct one needs no answer. */
  async declineInvitation(id: string): Promise<void> {
    const { view } = this.invitations.take(id);
    if (view.mediated) await this.deps.session()?.send(mediatedDecline(view.room, randomUUID(), view.from)).catch(() => undefined);
  }

  async send(address: string, body: string): Promise<ChatMessage> {
    const room = this.known(address);
    const session = this.online();
    if (room.state !== 'joined') throw new KlatschError('not-connected', 'You are not in this room; the message was not sent.', { reason: 'room-not-in-not-sent' });
    const refusal = room.e2ee ? undefined : this.deps.plaintextRefused?.();
    if (refusal) throw new KlatschError('forbidden-by-policy', refusal, { reason: 'room-plaintext-refused' });
    const message: ChatMessage = { id: randomUUID(), peer: room.jid, direction: 'out', body, timestamp: this.deps.now(), state: 'sending', nick: room.nick };
    if (room.e2ee) return this.sendEncrypted(room, session, { ...message, encrypted: true });
    this.upsert(message);
    try {
      await session.send(groupchatMessage(room.jid, message.id, body));
    } catch {
      return this.upsert({ ...message, state: 'failed', error: { reason: 'room-send-failed', text: 'The message could not be sent.' } });
    }
    // 'sent' once the room hands it back to us (§7.4); until then it shows as sending.
    return this.messages.find(room.jid, message.id, 'out') ?? message;
  }

  /**
   * A message in an encrypted room: sealed for every member's devices, or not sent at all — never in plaintext
   * into a room the user sees as encrypted.
   */
  private async sendEncrypted(room: Room, session: XmppSession, message: ChatMessage): Promise<ChatMessage> {
    this.upsert(message);
    const scheme = this.deps.groupE2ee?.();
    if (!scheme || scheme.scheme !== room.e2ee) {
      return this.upsert({ ...message, state: 'failed', error: { reason: 'room-e2ee-unavailable', text: 'This group chat is end-to-end encrypted, and encryption is not available now; the message was not sent.' } });
    }
    await this.refreshMembers(room, session);
    const members = groupRecipients(this.deps.ownBare?.() ?? '', room.occupantList(), room.affiliated);
    const sealed = await scheme.encryptGroup(room.jid, members, message.body).catch(() => undefined);
    if (!sealed) return this.upsert({ ...message, state: 'failed', error: { reason: 'room-not-encrypted', text: 'The message could not be encrypted; it was not sent.' } });
    if (!sealed.ok) {
      const who = sealed.unreachable.slice(0, 5).join(', ') + (sealed.unreachable.length > 5 ? ` and ${sealed.unreachable.length - 5} more` : '');
      const text = `Not sent: no device of ${who} can receive encrypted messages now (none announced or trusted, or their keys could not be fetched).`;
      return this.upsert({ ...message, state: 'failed', error: { reason: 'room-no-devices', params: { who }, text } });
    }
    // Said once per member while their device waits, not with every message.
    for (const jid of sealed.held) {
      if (room.toldHeld.has(jid)) continue;
      room.toldHeld.add(jid);
      this.notice(room.jid, `Not encrypted for a new device of ${jid}: its key waits for your decision (open the keys to verify or accept it).`, { kind: 'room-device-held', detail: jid });
    }
    for (const jid of room.toldHeld) if (!sealed.held.includes(jid)) room.toldHeld.delete(jid);
    try {
      let n = 0;
      for (const stanza of sealed.stanzas) {
        // The first stanza carries the message's id; each is known as ours when the room hands it back.
        const id = n === 0 ? message.id : `${message.id}-${n}`;
        n += 1;
        room.sentStanzas.add(id);
        // Bounded: reflections come back within moments; only the newest ids need recognising.
        if (room.sentStanzas.size > 1_000) room.sentStanzas.delete(room.sentStanzas.values().next().value!);
        await session.send(encryptedGroupchatMessage(room.jid, id, stanza));
      }
    } catch {
      return this.upsert({ ...message, state: 'failed', error: { reason: 'room-send-failed', text: 'The message could not be sent.' } });
    }
    return this.messages.find(room.jid, message.id, 'out') ?? message;
  }

  /** The room's owners, admins and members (offline members read later), asked again when old. */
  private async refreshMembers(room: Room, session: XmppSession): Promise<void> {
    if (this.deps.now() - room.affiliatedAt < MEMBERS_MAX_AGE_MS) return;
    const lists = await Promise.all(
      MEMBER_AFFILIATIONS.map((affiliation) => session.iq.request(affiliationListIq(room.jid, affiliation), DISCO_TIMEOUT_MS).then(parseAffiliationList, () => undefined)),
    );
    // A list that did not come keeps what we knew (nobody drops out of the recipients by a lost answer).
    const known = new Set(room.affiliated);
    room.affiliated = [...new Set([...lists.flatMap((l) => l ?? []), ...(lists.some((l) => l === undefined) ? known : [])])];
    room.affiliatedAt = this.deps.now();
  }

  /**
   * The room says its configuration changed (§10.2.1): whether it is encrypted is decided again, and a room
   * that stops being encrypted says so in it (what the user writes next goes out in plaintext).
   */
  private async configurationChanged(stanza: Element): Promise<void> {
    const room = this.rooms.get(roomAddress(String(stanza.attrs.from ?? '')) ?? '');
    if (!room || room.state !== 'joined') return;
    const before = room.e2ee;
    await this.decideE2ee(room, this.deps.session());
    if (this.rooms.get(room.jid) !== room) return;
    const refusal = room.e2ee ? undefined : this.deps.plaintextRefused?.();
    if (refusal) return this.refusePlaintext(room, refusal);
    if (before && !room.e2ee) this.notice(room.jid, 'This group chat is no longer end-to-end encrypted: its settings changed, and the server and every occupant can read what is written here now.', { kind: 'room-e2ee-off' });
    else if (!before && room.e2ee) this.notice(room.jid, 'This group chat is end-to-end encrypted now: its settings changed to members only, with every member\u2019s address shown.', { kind: 'room-e2ee-on' });
    this.emitRoom(room);
  }

  /** Whether the room can be end-to-end encrypted (its disco#info) with the account's group scheme: decided on entering. */
  private async decideE2ee(room: Room, session: XmppSession | undefined): Promise<void> {
    const scheme = this.deps.groupE2ee?.();
    room.e2ee = undefined;
    room.affiliatedAt = 0;
    if (!scheme || !session) return;
    const info = await session.iq.request(discoInfoIq(room.jid), DISCO_TIMEOUT_MS).catch(() => undefined);
    if (!roomQualifiesForE2ee(roomFeatures(info?.name === 'query' ? info : info?.getChild('query', NS_DISCO_INFO)))) return;
    room.e2ee = scheme.scheme;
    await this.refreshMembers(room, session).catch(() => undefined);
  }

  async setSubject(address: string, subject: string): Promise<void> {
    const room = this.known(address);
    const session = this.online();
    if (room.state !== 'joined') throw new KlatschError('not-connected', 'You are not in this room.', { reason: 'room-not-in' });
    // A subject is plaintext even in an encrypted room.
    const refusal = this.deps.plaintextRefused?.();
    if (refusal) throw new KlatschError('forbidden-by-policy', refusal, { reason: 'room-plaintext-refused' });
    await session.send(subjectMessage(room.jid, randomUUID(), subject));
  }

  markRead(address: string): void {
    const room = this.rooms.get(roomAddress(address) ?? '');
    if (!room || room.unread === 0) return;
    room.unread = 0;
    this.emitRoom(room);
  }

  /** Public rooms on the server's group chat service. */
  async list(): Promise<{ service?: string; rooms: { jid: string; name?: string }[] }> {
    const session = this.online();
    const service = await this.findService(session);
    if (!service) return { rooms: [] };
    const answer = await session.iq.request(discoItemsIq(service), DISCO_TIMEOUT_MS).catch(() => undefined);
    const rooms = parseDiscoItems(answer?.getChild('query', NS_DISCO_ITEMS) ?? (answer?.name === 'query' ? answer : undefined), MAX_DISCO_ITEMS).filter((r) =>
      r.jid.endsWith(`@${service}`),
    );
    return { service, rooms };
  }

  /** The user changed their availability: the rooms we are in see it too. */
  async presenceChanged(show: 'online' | 'away' | 'dnd'): Promise<void> {
    const session = this.deps.session();
    if (!session) return;
    for (const room of this.rooms.values()) {
      if (room.state === 'joined') await session.send(roomPresence(room.jid, room.nick, show)).catch(() => undefined);
    }
  }

  /** A new session: enter again every room we were in (with the history we missed). */
  sessionStarted(session: XmppSession): void {
    this.service = undefined;
    for (const room of this.rooms.values()) {
      if (room.state === 'removed') continue;
      // Entered before the administrator's policy refused it: not again (the policy applies from the next sign-in).
      if (this.deps.allowed && !this.deps.allowed(room.jid)) {
        this.refusedByPolicy(room);
        continue;
      }
      room.state = 'joining';
      room.error = undefined;
      this.emitRoom(room);
      session.send(joinPresence(room.jid, room.nick, this.historyFor(room.jid), room.password, this.deps.show?.())).catch(() => undefined);
    }
    void this.syncBookmarks(session).catch(() => undefined);
  }

  /**
   * The bookmarks are the list of rooms the user is in, on every device: those marked autojoin are
   * entered; rooms only this device knew are bookmarked (merged, not dropped); a room whose bookmark
   * says not to join any more (left on another device) is left here too.
   */
  private async syncBookmarks(session: XmppSession): Promise<void> {
    const ownBare = this.deps.ownBare?.();
    if (!this.bookmarks || !ownBare) return;
    const list = await this.bookmarks.load(session, ownBare);
    if (this.deps.session() !== session) return;
    for (const bookmark of list) this.followBookmark(bookmark);
    for (const room of [...this.rooms.values()]) {
      if (room.state !== 'removed' && !this.bookmarks.get(room.jid)) await this.bookmarks.set({ jid: room.jid, autojoin: true, nick: room.nick }).catch(() => undefined);
    }
    await this.store();
  }

  /** A room the administrator's policy refuses: left here, with the reason on it. */
  private refusedByPolicy(room: Room): void {
    room.clearOccupants();
    room.state = 'removed';
    room.error = roomErrorView(ROOM_REFUSED_BY_POLICY);
    this.notice(room.jid, ROOM_REFUSED_BY_POLICY);
    this.emitRoom(room);
    void this.store().catch(() => undefined);
  }

  /** A room that is not end-to-end encrypted where the administrator requires every message to be: left, with the reason. */
  private refusePlaintext(room: Room, reason: string): void {
    this.deps.session()?.send(leavePresence(room.jid, room.nick)).catch(() => undefined);
    this.failJoin(room.jid, new KlatschError('forbidden-by-policy', reason, { reason: 'room-plaintext-refused' }));
    room.clearOccupants();
    room.state = 'removed';
    room.error = roomErrorView(roomPlaintextRefused(reason));
    this.notice(room.jid, roomPlaintextRefused(reason));
    this.emitRoom(room);
    void this.store().catch(() => undefined);
  }

  /** A bookmark as it is now: entered when it says autojoin, left here when it no longer does. */
  private followBookmark(bookmark: Bookmark): void {
    const room = this.rooms.get(bookmark.jid);
    if (!bookmark.autojoin) {
      if (room && room.state !== 'removed') this.leaveHere(room);
      return;
    }
    if (room && room.state !== 'removed') return;
    if (this.deps.allowed && !this.deps.allowed(bookmark.jid)) return;
    const session = this.deps.session();
    const nick = bookmark.nick ?? cleanNick(this.deps.ownBare?.().split('@')[0] ?? '') ?? 'me';
    if (!session || this.pending.has(bookmark.jid) || (!room && this.rooms.size >= MAX_ROOMS)) return;
    const entering = room ?? new Room(bookmark.jid, nick);
    entering.nick = nick;
    entering.state = 'joining';
    entering.error = undefined;
    this.rooms.set(bookmark.jid, entering);
    this.invitations.joined(bookmark.jid);
    this.emitRoom(entering);
    session.send(joinPresence(entering.jid, nick, this.historyFor(entering.jid), entering.password, this.deps.show?.())).catch(() => undefined);
  }

  /** The user left the room on another device: it leaves this device's list too (the bookmark is already changed). */
  private leaveHere(room: Room): void {
    this.rooms.delete(room.jid);
    this.failJoin(room.jid, new KlatschError('not-found', 'You left the room on another device.', { reason: 'room-left-elsewhere' }));
    if (room.state === 'joined' || room.state === 'joining') this.deps.session()?.send(leavePresence(room.jid, room.nick)).catch(() => undefined);
    this.deps.roomRemoved(room.jid);
  }

  /** Bookmarks changed on another device (a PEP notification from our own account). */
  private onBookmarkChanges(changes: BookmarkChange[]): void {
    if (!this.bookmarks) return;
    for (const change of this.bookmarks.applied(changes)) {
      if (change.kind === 'set') this.followBookmark(change.bookmark);
      else {
        const room = this.rooms.get(change.jid);
        if (room) this.leaveHere(room);
      }
    }
    void this.store().catch(() => undefined);
  }

  /** The account went offline: we are in no room now. */
  offline(): void {
    for (const [jid] of this.pending) this.failJoin(jid, new KlatschError('not-connected', 'The connection was lost while entering the room.', { reason: 'room-entering-lost' }));
    for (const room of this.rooms.values()) {
      room.clearOccupants();
      if (room.state === 'removed') continue;
      room.state = 'offline';
      this.emitRoom(room);
    }
  }

  close(): void {
    for (const timer of this.emitTimers.values()) clearTimeout(timer);
    this.emitTimers.clear();
    for (const [jid] of this.pending) this.failJoin(jid, new KlatschError('not-connected', 'Klatsch is closing.', { reason: 'closing' }));
  }

  /**
   * Takes the stanzas that belong to group chats; true when it took one (even to drop it), so the
   * one-to-one code never sees room traffic (no room message reaches the OTR engine or the chats).
   */
  onStanza(stanza: Element): boolean {
    if (stanza.name === 'presence') {
      const error = parseMucPresenceError(stanza);
      if (error) {
        if (!this.rooms.has(error.room)) return false; // not about a room of ours: someone else's business
        this.onJoinError(error.room, error);
        return true;
      }
      const presence = parseMucPresence(stanza);
      if (!presence) return false;
      this.onPresence(presence);
      return true;
    }
    if (stanza.name === 'message') {
      if (this.invitations.onMessage(stanza)) return true;
      const ownBare = this.deps.ownBare?.();
      const bookmarkChanges = ownBare ? parseBookmarkEvent(stanza, ownBare) : undefined;
      if (bookmarkChanges) {
        this.onBookmarkChanges(bookmarkChanges);
        return true;
      }
      const type = stanza.attrs.type;
      if (type === 'groupchat') {
        if (configurationChanged(stanza)) void this.configurationChanged(stanza).catch(() => undefined);
        const message = parseGroupchatMessage(stanza);
        const scheme = this.deps.groupE2ee?.();
        if (message && scheme?.claims(stanza)) void this.onEncrypted(message, stanza, scheme).catch(() => undefined);
        else if (message) this.onMessage(message);
        return true;
      }
      const from = typeof stanza.attrs.from === 'string' ? stanza.attrs.from : '';
      const room = roomAddress(from.split('/')[0] ?? '');
      if (!room || !this.rooms.has(room)) return false;
      if (type === 'error') {
        const message = parseGroupchatMessage(stanza);
        if (message) this.onMessageError(message);
      }
      // Private messages through a room and its notices are not shown (yet): never as a one-to-one chat.
      return true;
    }
    return false;
  }

  // ---- incoming -------------------------------------------------------------------------------

  private onPresence(p: MucPresence): void {
    const room = this.rooms.get(p.room);
    if (!room || room.state === 'removed' || room.state === 'offline') return; // a room we are not entering or in
    const self = p.codes.has(STATUS_SELF);
    if (!self) {
      room.applyPresence(p);
      this.scheduleEmit(room);
      return;
    }
    if (p.available) {
      room.nick = p.nick; // the room may have changed our nickname (§7.2.12, 210)
      room.applyPresence(p);
      if (room.state === 'joining') void this.entered(room, p.codes.has(STATUS_CREATED));
      else this.scheduleEmit(room);
      return;
    }
    // Our own unavailable presence: a nickname change, or the room let us go.
    if (p.codes.has(STATUS_NICK_CHANGED) && p.newNick) {
      room.applyPresence(p);
      room.nick = p.newNick;
      this.scheduleEmit(room);
      return;
    }
    const reason = removalReason(p) ?? ROOM_LEFT;
    room.clearOccupants();
    room.state = 'removed';
    room.error = roomErrorView(reason);
    this.failJoin(room.jid, roomFailure('server-error', reason));
    this.notice(room.jid, reason);
    this.emitRoom(room);
    void this.store().catch(() => undefined);
  }

  /** Our self-presence arrived: we are in. A room we just created gets the default configuration first. */
  private async entered(room: Room, created: boolean): Promise<void> {
    if (created) {
      room.created = true;
      const session = this.deps.session();
      try {
        await session?.iq.request(instantRoomIq(room.jid), DISCO_TIMEOUT_MS);
      } catch {
        // Rooms that need no configuration answer an error; the room is usable either way.
      }
    }
    // Encrypted or not is known before the user can write: the room shows as joined with it decided.
    await this.decideE2ee(room, this.deps.session()).catch(() => undefined);
    if (room.state !== 'joining' || this.rooms.get(room.jid) !== room) return;
    const refusal = room.e2ee ? undefined : this.deps.plaintextRefused?.();
    if (refusal) return this.refusePlaintext(room, refusal);
    room.state = 'joined';
    this.emitRoom(room);
    const pending = this.pending.get(room.jid);
    if (pending) {
      clearTimeout(pending.timer);
      this.pending.delete(room.jid);
      pending.resolve(room.view());
    }
  }

  private onJoinError(jid: string, error: NonNullable<ReturnType<typeof parseMucPresenceError>>): void {
    const room = this.rooms.get(jid)!;
    const refusal = joinRefusal({ ...error, nick: error.nick || room.nick });
    if (this.pending.has(jid)) {
      this.failJoin(jid, roomFailure(refusal.nickTaken ? 'already-exists' : 'server-error', refusal.problem));
      if (room.state === 'joining') {
        room.state = 'removed';
        room.error = roomErrorView(refusal.problem);
        this.emitRoom(room);
      }
      return;
    }
    if (room.state === 'joining') {
      // Entering again after a reconnect failed: the room stays in the list, saying why.
      room.state = 'removed';
      room.error = roomErrorView(refusal.problem);
      this.emitRoom(room);
    }
  }

  private onMessage(m: GroupchatMessage): void {
    const room = this.rooms.get(m.room);
    if (!room || (room.state !== 'joined' && room.state !== 'joining')) return; // forged, or a room we left
    if (m.subject !== undefined && m.body === undefined) {
      room.subject = m.subject.trim() === '' ? undefined : m.subject;
      this.scheduleEmit(room);
      return;
    }
    if (m.body === undefined || m.body === '') return;
    const now = this.deps.now();
    const timestamp = m.stampedAt !== undefined && m.stampedAt <= now ? m.stampedAt : now;
    if (m.nick === undefined) {
      // Said by the room itself (a configuration change, …): shown as a notice.
      const id = m.stanzaId ?? m.id ?? hashId('room', timestamp, m.body);
      if (!this.messages.has(room.jid, id, 'notice')) this.upsert({ id, peer: room.jid, direction: 'notice', body: m.body, timestamp, state: 'received' });
      return;
    }
    // Our own message handed back by the room (§7.4): now it was sent.
    if (m.nick === room.nick && m.id && this.messages.has(room.jid, m.id, 'out')) {
      const ours = this.messages.find(room.jid, m.id, 'out')!;
      if (ours.state === 'sending' || ours.state === 'failed') {
        const { error: _error, ...rest } = ours;
        this.upsert({ ...rest, state: 'sent' });
      }
      return;
    }
    // The same message comes again in the history after every reconnect: one id per sender and message.
    const id = m.id ? `${m.nick}\n${m.id}` : m.stanzaId ? `sid\n${m.stanzaId}` : hashId(m.nick, timestamp, m.body);
    if (this.messages.has(room.jid, id, 'in')) return;
    const live = m.stampedAt === undefined;
    if (live) {
      room.unread = Math.min(room.unread + 1, 1_000_000);
      this.scheduleEmit(room);
    }
    this.upsert({ id, peer: room.jid, direction: 'in', body: m.body, timestamp, state: 'received', nick: m.nick });
  }

  /**
   * An encrypted room message: the sender's nickname is mapped to their real address (the occupant's, or the
   * one the room put on its history), then it is decrypted; what cannot be read becomes a notice, never its payload.
   */
  private async onEncrypted(m: GroupchatMessage, stanza: Element, scheme: GroupEncryption): Promise<void> {
    const room = this.rooms.get(m.room);
    if (!room || (room.state !== 'joined' && room.state !== 'joining') || m.nick === undefined) return;
    // Our own message handed back by the room (§7.4), recognised by its id: now it was sent.
    if (m.nick === room.nick && m.id && (room.sentStanzas.has(m.id) || this.messages.has(room.jid, m.id, 'out'))) {
      const ours = this.messages.find(room.jid, m.id, 'out');
      if (ours && (ours.state === 'sending' || ours.state === 'failed')) {
        const { error: _error, ...rest } = ours;
        this.upsert({ ...rest, state: 'sent' });
      }
      return;
    }
    const now = this.deps.now();
    const timestamp = m.stampedAt !== undefined && m.stampedAt <= now ? m.stampedAt : now;
    const id = m.id ? `${m.nick}\n${m.id}` : m.stanzaId ? `sid\n${m.stanzaId}` : undefined;
    if (id === undefined || this.messages.has(room.jid, id, 'in') || this.messages.has(room.jid, id, 'notice')) return;
    const live = m.stampedAt === undefined;
    const sender = room.realJid(m.nick) ?? realJidOnMessage(stanza);
    if (!sender) {
      const notice = { kind: 'room-message-sender-unknown' as const, detail: m.nick };
      this.upsert({ id, peer: room.jid, direction: 'notice', body: `An encrypted message from ${m.nick} could not be read: the room did not tell who they are.`, timestamp, state: 'received', notice });
      return;
    }
    const opened = await scheme.decryptGroup(room.jid, sender, stanza, m.stampedAt, live);
    if (this.rooms.get(room.jid) !== room || this.messages.has(room.jid, id, 'in')) return;
    if (opened.kind === 'text') {
      if (live) {
        room.unread = Math.min(room.unread + 1, 1_000_000);
        this.scheduleEmit(room);
      }
      this.upsert({ id, peer: room.jid, direction: 'in', body: opened.text, timestamp, state: 'received', nick: m.nick, encrypted: true });
      return;
    }
    if (opened.kind === 'empty' || (opened.kind === 'not-for-us' && sender === this.deps.ownBare?.())) return;
    const who = `${m.nick} (${sender})`;
    const body = opened.kind === 'held'
      ? `A message from ${who} was not shown: it came from a device whose key ${opened.fingerprint} waits for your decision.`
      : opened.kind === 'not-for-us'
        ? `${who} sent an encrypted message that was not encrypted for this device.`
        : `An encrypted message from ${who} could not be decrypted.`;
    // A code worded by the UI (the English body for the log and the history); never the payload.
    const kind = opened.kind === 'held' ? 'room-message-held' : opened.kind === 'not-for-us' ? 'room-message-not-for-us' : 'room-message-undecryptable';
    this.upsert({ id, peer: room.jid, direction: 'notice', body, timestamp, state: 'received', notice: { kind, detail: who } });
  }

  private onMessageError(m: GroupchatMessage): void {
    if (!m.id) return;
    const sent = this.messages.find(m.room, m.id, 'out');
    if (!sent || sent.state === 'failed') return;
    const serverProblem = roomServerProblem(m.errorCondition, m.room);
    const problem = m.errorText ?? 'error';
    const error = serverProblem ? roomErrorView(serverProblem) : { reason: 'not-delivered', params: { problem }, text: `Not delivered: ${problem}` };
    this.upsert({ ...sent, state: 'failed', error });
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** History to ask for: everything since the newest message we have (a second later: that one we have), else the newest 50. */
  private historyFor(jid: string): HistoryRequest {
    const list = this.messages.list(jid).filter((m) => m.direction !== 'notice');
    const last = list[list.length - 1];
    return last ? { since: last.timestamp + 1 } : FIRST_HISTORY;
  }

  private failJoin(jid: string, error: Error): void {
    const pending = this.pending.get(jid);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(jid);
    pending.reject(error);
  }

  /** A notice of why the room let us go: its kind is the reason, its detail the room's own words (if any). */
  /** A room's problem is worded by the UI: its kind is the reason, its detail the room's own words (if any). Plain text shows as it is, or by its `kind`. */
  private notice(jid: string, said: RoomProblem | string, kind?: { kind: NoticeKind; detail?: string }): void {
    if (typeof said === 'string') {
      this.upsert({ id: randomUUID(), peer: jid, direction: 'notice', body: said, timestamp: this.deps.now(), state: 'received', ...(kind ? { notice: kind } : {}) });
      return;
    }
    const detail = Object.values(said.params)[0];
    const notice = { kind: said.reason, ...(detail !== undefined && detail !== '' ? { detail: String(detail) } : {}) };
    this.upsert({ id: randomUUID(), peer: jid, direction: 'notice', body: said.text, timestamp: this.deps.now(), state: 'received', notice });
  }

  private upsert(message: ChatMessage): ChatMessage {
    this.messages.upsert(message);
    this.deps.history?.put(message);
    this.deps.messageUpserted(message);
    return message;
  }

  /** Many presences arrive at once on entering a big room: one update per room per moment, not one per presence. */
  private scheduleEmit(room: Room): void {
    if (this.emitTimers.has(room.jid)) return;
    const timer = setTimeout(() => {
      this.emitTimers.delete(room.jid);
      if (this.rooms.get(room.jid) === room) this.deps.roomUpdated(room.view());
    }, 25);
    timer.unref?.();
    this.emitTimers.set(room.jid, timer);
  }

  private emitRoom(room: Room): void {
    const timer = this.emitTimers.get(room.jid);
    if (timer) clearTimeout(timer);
    this.emitTimers.delete(room.jid);
    this.deps.roomUpdated(room.view());
  }

  private async store(): Promise<void> {
    const rooms = [...this.rooms.values()].filter((r) => r.state !== 'removed').map((r) => ({ jid: r.jid, nick: r.nick }));
    await this.deps.saveRooms(rooms);
  }

  private known(address: string): Room {
    const room = this.rooms.get(roomAddress(address) ?? '');
    if (!room) throw new KlatschError('not-found', 'You are not in that room.', { reason: 'room-not-in' });
    return room;
  }

  private online(): XmppSession {
    const session = this.deps.session();
    if (!session) throw new KlatschError('not-connected', 'Sign in first to use group chats.', { reason: 'rooms-offline' });
    return session;
  }

  /** `name` on the server's group chat service. */
  private async onService(session: XmppSession, name: string): Promise<string | undefined> {
    const service = await this.findService(session);
    if (!service) throw new KlatschError('not-found', 'Your server has no group chat service. Enter the full room address (room@conference.example.com).', { reason: 'no-room-service' });
    const local = name.trim().toLowerCase();
    if (!/^[^\s@/"&'<>:]{1,256}$/u.test(local)) return undefined;
    return roomAddress(`${local}@${service}`);
  }

  /** XEP-0045 §6.1: the server's items, the first whose info says it is a group chat service. */
  private async findService(session: XmppSession): Promise<string | undefined> {
    if (this.service !== undefined) return this.service ?? undefined;
    const domain = this.deps.domain();
    const answer = await session.iq.request(discoItemsIq(domain), DISCO_TIMEOUT_MS).catch(() => undefined);
    const items = parseDiscoItems(answer?.name === 'query' ? answer : answer?.getChild('query', NS_DISCO_ITEMS), MAX_DISCO_ITEMS)
      .filter((i) => !i.jid.includes('@'))
      .slice(0, MAX_SERVICES_ASKED);
    for (const item of items) {
      const info = await session.iq.request(discoInfoIq(item.jid), DISCO_TIMEOUT_MS).catch(() => undefined);
      if (isMucService(info?.name === 'query' ? info : info?.getChild('query', NS_DISCO_INFO))) {
        this.service = item.jid;
        return item.jid;
      }
    }
    this.service = null;
    return undefined;
  }
}

/** A groupchat message from the room itself (no nickname) with a status code of a configuration change (§10.2.1, 104, 170–175). */
function configurationChanged(stanza: Element): boolean {
  if (String(stanza.attrs.from ?? '').includes('/')) return false;
  const codes = stanza.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChildren('status').map((s) => s.attrs.code) ?? [];
  return codes.some((code) => code === '104' || (typeof code === 'string' && /^17[0-5]$/.test(code)));
}

/** A stable id for a message that came without one (so it is still shown once, however often the room repeats it). */
function hashId(nick: string, timestamp: number, body: string): string {
  return `h\n${createHash('sha256').update(`${nick}\n${timestamp}\n${body}`).digest('hex').slice(0, 32)}`;
}

/** The error a room's problem makes for the request that asked to enter it. */
function roomFailure(code: ErrorCode, problem: RoomProblem): KlatschError {
  const { reason, params } = roomErrorView(problem);
  return new KlatschError(code, problem.text, (params ? { reason, params } : { reason }) as ErrorDetail);
}
