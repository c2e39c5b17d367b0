/**
 * What the parts of one account's group chats share (rooms.ts composes them): the rooms we asked to enter,
 * their messages, the joins waiting for an answer, and the few steps every part takes — show a message or
 * a notice, tell the UI a room changed, store the list, leave a room the administrator refuses.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ChatMessage, ErrorCode, Invitation, NoticeKind, RoomView } from '../../../shared/contract.js';
import { ChatLog } from '../chat-log.js';
import { KlatschError, type ErrorDetail } from '../errors.js';
import type { HistoryStore } from '../store/history-store.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import type { GroupEncryption } from '../e2ee/provider.js';
import { ROOM_REFUSED_BY_POLICY, roomErrorView, roomPlaintextRefused, type RoomProblem } from './muc-errors.js';
import { leavePresence, roomAddress, type HistoryRequest } from './muc-stanzas.js';
import type { Room } from './room.js';

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
/** History asked for on first entering a room (later: everything since the last message we have). */
const FIRST_HISTORY: HistoryRequest = { maxStanzas: 50 };
/** How long a question to the server (disco, affiliation lists, configuration) may take. */
export const DISCO_TIMEOUT_MS = 10_000;

interface PendingJoin {
  resolve: (view: RoomView) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class RoomsContext {
  readonly rooms = new Map<string, Room>();
  /** Room messages, per room (the same bounded log as one-to-one chats). */
  readonly messages = new ChatLog();
  readonly pending = new Map<string, PendingJoin>();
  private readonly emitTimers = new Map<string, NodeJS.Timeout>();

  constructor(readonly deps: RoomsDeps) {
    for (const [room, list] of Object.entries(deps.history?.chats() ?? {})) this.messages.restore(room, list);
  }

  /** History to ask for: everything since the newest message we have (a second later: that one we have), else the newest 50. */
  historyFor(jid: string): HistoryRequest {
    const list = this.messages.list(jid).filter((m) => m.direction !== 'notice');
    const last = list[list.length - 1];
    return last ? { since: last.timestamp + 1 } : FIRST_HISTORY;
  }

  failJoin(jid: string, error: Error): void {
    const pending = this.pending.get(jid);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(jid);
    pending.reject(error);
  }

  /** A room's problem is worded by the UI: its kind is the reason, its detail the room's own words (if any). Plain text shows as it is, or by its `kind`. */
  notice(jid: string, said: RoomProblem | string, kind?: { kind: NoticeKind; detail?: string }): void {
    if (typeof said === 'string') {
      this.upsert({ id: randomUUID(), peer: jid, direction: 'notice', body: said, timestamp: this.deps.now(), state: 'received', ...(kind ? { notice: kind } : {}) });
      return;
    }
    const detail = Object.values(said.params)[0];
    const notice = { kind: said.reason, ...(detail !== undefined && detail !== '' ? { detail: String(detail) } : {}) };
    this.upsert({ id: randomUUID(), peer: jid, direction: 'notice', body: said.text, timestamp: this.deps.now(), state: 'received', notice });
  }

  upsert(message: ChatMessage): ChatMessage {
    this.messages.upsert(message);
    this.deps.history?.put(message);
    this.deps.messageUpserted(message);
    return message;
  }

  /** Our own message handed back by the room (§7.4): now it was sent. */
  markSent(room: string, id: string): void {
    const ours = this.messages.find(room, id, 'out');
    if (ours && (ours.state === 'sending' || ours.state === 'failed')) {
      const { error: _error, ...rest } = ours;
      this.upsert({ ...rest, state: 'sent' });
    }
  }

  /** Many presences arrive at once on entering a big room: one update per room per moment, not one per presence. */
  scheduleEmit(room: Room): void {
    if (this.emitTimers.has(room.jid)) return;
    const timer = setTimeout(() => {
      this.emitTimers.delete(room.jid);
      if (this.rooms.get(room.jid) === room) this.deps.roomUpdated(room.view());
    }, 25);
    timer.unref?.();
    this.emitTimers.set(room.jid, timer);
  }

  emitRoom(room: Room): void {
    const timer = this.emitTimers.get(room.jid);
    if (timer) clearTimeout(timer);
    this.emitTimers.delete(room.jid);
    this.deps.roomUpdated(room.view());
  }

  async store(): Promise<void> {
    const rooms = [...this.rooms.values()].filter((r) => r.state !== 'removed').map((r) => ({ jid: r.jid, nick: r.nick }));
    await this.deps.saveRooms(rooms);
  }

  known(address: string): Room {
    const room = this.rooms.get(roomAddress(address) ?? '');
    if (!room) throw new KlatschError('not-found', 'You are not in that room.', { reason: 'room-not-in' });
    return room;
  }

  online(): XmppSession {
    const session = this.deps.session();
    if (!session) throw new KlatschError('not-connected', 'Sign in first to use group chats.', { reason: 'rooms-offline' });
    return session;
  }

  /** A room the administrator's policy refuses: left here, with the reason on it. */
  refusedByPolicy(room: Room): void {
    this.removed(room, ROOM_REFUSED_BY_POLICY);
  }

  /** A room that is not end-to-end encrypted where the administrator requires every message to be: left, with the reason. */
  refusePlaintext(room: Room, reason: string): void {
    this.deps.session()?.send(leavePresence(room.jid, room.nick)).catch(() => undefined);
    this.failJoin(room.jid, new KlatschError('forbidden-by-policy', reason, { reason: 'room-plaintext-refused' }));
    this.removed(room, roomPlaintextRefused(reason));
  }

  /** We are out of the room, for `reason`: it stays in the list (not entered again) and says why. */
  removed(room: Room, reason: RoomProblem): void {
    room.clearOccupants();
    room.state = 'removed';
    room.error = roomErrorView(reason);
    this.notice(room.jid, reason);
    this.emitRoom(room);
    void this.store().catch(() => undefined);
  }

  close(): void {
    for (const timer of this.emitTimers.values()) clearTimeout(timer);
    this.emitTimers.clear();
    for (const [jid] of this.pending) this.failJoin(jid, new KlatschError('not-connected', 'Klatsch is closing.', { reason: 'closing' }));
  }
}

/** A stable id for a message that came without one (so it is still shown once, however often the room repeats it). */
export function hashId(nick: string, timestamp: number, body: string): string {
  return `h\n${createHash('sha256').update(`${nick}\n${timestamp}\n${body}`).digest('hex').slice(0, 32)}`;
}

/** The error a room's problem makes for the request that asked to enter it. */
export function roomFailure(code: ErrorCode, problem: RoomProblem): KlatschError {
  const { reason, params } = roomErrorView(problem);
  return new KlatschError(code, problem.text, (params ? { reason, params } : { reason }) as ErrorDetail);
}
