/**
 * Being in rooms (XEP-0045 §7): entering (creating instant rooms), leaving, the occupants' presences and
 * our own, the room refusing us or letting us go, and entering again after every reconnect.
 */
import type { RoomView } from '../../../shared/contract.js';
import { KlatschError } from '../errors.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { MAX_ROOMS, DISCO_TIMEOUT_MS, roomFailure, type RoomsContext } from './rooms-context.js';
import type { RoomEncryption } from './room-encryption.js';
import type { RoomService } from './room-service.js';
import type { Bookmarks } from './bookmarks.js';
import type { Invitations } from './invitations.js';
import { joinRefusal, removalReason, ROOM_LEFT, roomErrorView } from './muc-errors.js';
import {
  cleanNick,
  instantRoomIq,
  joinPresence,
  leavePresence,
  occupantJid,
  roomAddress,
  roomPresence,
  STATUS_CREATED,
  STATUS_NICK_CHANGED,
  STATUS_SELF,
  type MucPresence,
  type MucPresenceError,
} from './muc-stanzas.js';
import { Room } from './room.js';

export class RoomPresence {
  constructor(
    private readonly ctx: RoomsContext,
    private readonly service: RoomService,
    private readonly encryption: RoomEncryption,
    private readonly invitations: Invitations,
    private readonly bookmarks: Bookmarks | undefined,
  ) {}

  /** Enters a room (an address, or a name on the server's group chat service); resolves once we are in. */
  async join(address: string, nickname: string, password?: string): Promise<RoomView> {
    const { rooms, pending } = this.ctx;
    const nick = cleanNick(nickname);
    if (!nick) throw new KlatschError('invalid-request', 'Choose a nickname of 1 to 64 characters.', { reason: 'nick-invalid' });
    const session = this.ctx.online();
    const jid = address.includes('@') ? roomAddress(address) : await this.service.onService(session, address);
    if (!jid || !occupantJid(jid, nick)) throw new KlatschError('invalid-request', 'That is not a valid room address (expected room@conference.example.com).', { reason: 'room-address-invalid' });
    const existing = rooms.get(jid);
    if (existing?.state === 'joined') {
      throw new KlatschError('already-exists', 'You are already in this room.', { reason: 'room-already-in' });
    }
    if (pending.has(jid)) throw new KlatschError('already-exists', 'Klatsch is already entering this room.', { reason: 'room-already-entering' });
    if (!existing && rooms.size >= MAX_ROOMS) throw new KlatschError('invalid-request', `You can be in at most ${MAX_ROOMS} group chats.`, { reason: 'too-many-rooms', params: { max: MAX_ROOMS } });
    const room = existing ?? new Room(jid, nick, password);
    room.nick = nick;
    room.password = password;
    room.state = 'joining';
    room.error = undefined;
    room.created = false;
    const isNew = !existing;
    if (isNew) rooms.set(jid, room);
    this.ctx.emitRoom(room);
    const entered = new Promise<RoomView>((resolve, reject) => {
      const timer = setTimeout(() => this.ctx.failJoin(jid, new KlatschError('timeout', 'The room did not answer in time.', { reason: 'room-no-answer' })), this.ctx.deps.joinTimeoutMs ?? 20_000);
      pending.set(jid, { resolve, reject, timer });
    });
    // The room may refuse (a password) while the join is still being written: awaited below, not unhandled meanwhile.
    entered.catch(() => undefined);
    try {
      await session.send(joinPresence(jid, nick, this.ctx.historyFor(jid), password, this.ctx.deps.show?.()));
    } catch {
      this.ctx.failJoin(jid, new KlatschError('not-connected', 'You are not connected.', { reason: 'rooms-offline' }));
    }
    try {
      const view = await entered;
      this.invitations.joined(jid);
      await this.ctx.store();
      // Follows the user to their other devices (the password never goes into a bookmark).
      await this.bookmarks?.set({ jid, autojoin: true, nick: room.nick }).catch(() => undefined);
      return view;
    } catch (error) {
      // A room we never got into is not kept (one we had stays, marked with what happened).
      if (isNew && rooms.get(jid) === room && (room.state as RoomView['state']) !== 'joined') {
        rooms.delete(jid);
        this.ctx.deps.roomRemoved(jid);
      }
      throw error;
    }
  }

  async leave(address: string): Promise<void> {
    const jid = this.ctx.known(address).jid;
    const room = this.ctx.rooms.get(jid)!;
    this.ctx.rooms.delete(jid);
    this.ctx.failJoin(jid, new KlatschError('not-found', 'You left the room.', { reason: 'room-left-here' }));
    if (room.state === 'joined' || room.state === 'joining') {
      await this.ctx.deps.session()?.send(leavePresence(jid, room.nick)).catch(() => undefined);
    }
    this.ctx.deps.roomRemoved(jid);
    await this.ctx.store();
    await this.bookmarks?.remove(jid).catch(() => undefined);
  }

  /** The user changed their availability: the rooms we are in see it too. */
  async presenceChanged(show: 'online' | 'away' | 'dnd'): Promise<void> {
    const session = this.ctx.deps.session();
    if (!session) return;
    for (const room of this.ctx.rooms.values()) {
      if (room.state === 'joined') await session.send(roomPresence(room.jid, room.nick, show)).catch(() => undefined);
    }
  }

  /** A new session: enter again every room we were in (with the history we missed). */
  enterAgain(session: XmppSession): void {
    for (const room of this.ctx.rooms.values()) {
      if (room.state === 'removed') continue;
      // Entered before the administrator's policy refused it: not again (the policy applies from the next sign-in).
      if (this.ctx.deps.allowed && !this.ctx.deps.allowed(room.jid)) {
        this.ctx.refusedByPolicy(room);
        continue;
      }
      room.state = 'joining';
      room.error = undefined;
      this.ctx.emitRoom(room);
      session.send(joinPresence(room.jid, room.nick, this.ctx.historyFor(room.jid), room.password, this.ctx.deps.show?.())).catch(() => undefined);
    }
  }

  /** The account went offline: we are in no room now. */
  offline(): void {
    for (const [jid] of this.ctx.pending) this.ctx.failJoin(jid, new KlatschError('not-connected', 'The connection was lost while entering the room.', { reason: 'room-entering-lost' }));
    for (const room of this.ctx.rooms.values()) {
      room.clearOccupants();
      if (room.state === 'removed') continue;
      room.state = 'offline';
      this.ctx.emitRoom(room);
    }
  }

  onPresence(p: MucPresence): void {
    const room = this.ctx.rooms.get(p.room);
    if (!room || room.state === 'removed' || room.state === 'offline') return; // a room we are not entering or in
    const self = p.codes.has(STATUS_SELF);
    if (!self) {
      room.applyPresence(p);
      this.ctx.scheduleEmit(room);
      return;
    }
    if (p.available) {
      room.nick = p.nick; // the room may have changed our nickname (§7.2.12, 210)
      room.applyPresence(p);
      if (room.state === 'joining') void this.entered(room, p.codes.has(STATUS_CREATED));
      else this.ctx.scheduleEmit(room);
      return;
    }
    // Our own unavailable presence: a nickname change, or the room let us go.
    if (p.codes.has(STATUS_NICK_CHANGED) && p.newNick) {
      room.applyPresence(p);
      room.nick = p.newNick;
      this.ctx.scheduleEmit(room);
      return;
    }
    const reason = removalReason(p) ?? ROOM_LEFT;
    this.ctx.failJoin(room.jid, roomFailure('server-error', reason));
    this.ctx.removed(room, reason);
  }

  /** Our self-presence arrived: we are in. A room we just created gets the default configuration first. */
  private async entered(room: Room, created: boolean): Promise<void> {
    if (created) {
      room.created = true;
      const session = this.ctx.deps.session();
      try {
        await session?.iq.request(instantRoomIq(room.jid), DISCO_TIMEOUT_MS);
      } catch {
        // Rooms that need no configuration answer an error; the room is usable either way.
      }
    }
    // Encrypted or not is known before the user can write: the room shows as joined with it decided.
    await this.encryption.decideE2ee(room, this.ctx.deps.session()).catch(() => undefined);
    if (room.state !== 'joining' || this.ctx.rooms.get(room.jid) !== room) return;
    const refusal = room.e2ee ? undefined : this.ctx.deps.plaintextRefused?.();
    if (refusal) return this.ctx.refusePlaintext(room, refusal);
    room.state = 'joined';
    this.ctx.emitRoom(room);
    const pending = this.ctx.pending.get(room.jid);
    if (pending) {
      clearTimeout(pending.timer);
      this.ctx.pending.delete(room.jid);
      pending.resolve(room.view());
    }
  }

  onJoinError(jid: string, error: MucPresenceError): void {
    const room = this.ctx.rooms.get(jid)!;
    const refusal = joinRefusal({ ...error, nick: error.nick || room.nick });
    // The join the user waits for (if any) fails with the reason; entering again after a reconnect fails quietly.
    this.ctx.failJoin(jid, roomFailure(refusal.nickTaken ? 'already-exists' : 'server-error', refusal.problem));
    if (room.state === 'joining') {
      // Either way the room stays in the list, saying why.
      room.state = 'removed';
      room.error = roomErrorView(refusal.problem);
      this.ctx.emitRoom(room);
    }
  }
}
