/**
 * The bookmarks (bookmarks.ts) are the list of rooms the user is in, on every device: this keeps the rooms
 * here and the bookmarks in step, on signing in and whenever another device changes them.
 */
import { KlatschError } from '../errors.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { MAX_ROOMS, type RoomsContext } from './rooms-context.js';
import type { Bookmark, BookmarkChange, Bookmarks } from './bookmarks.js';
import type { Invitations } from './invitations.js';
import { cleanNick, joinPresence, leavePresence } from './muc-stanzas.js';
import { Room } from './room.js';

export class RoomBookmarksSync {
  constructor(
    private readonly ctx: RoomsContext,
    private readonly bookmarks: Bookmarks | undefined,
    private readonly invitations: Invitations,
  ) {}

  /**
   * Those marked autojoin are entered; rooms only this device knew are bookmarked (merged, not dropped);
   * a room whose bookmark says not to join any more (left on another device) is left here too.
   */
  async syncBookmarks(session: XmppSession): Promise<void> {
    const ownBare = this.ctx.deps.ownBare?.();
    if (!this.bookmarks || !ownBare) return;
    const list = await this.bookmarks.load(session, ownBare);
    if (this.ctx.deps.session() !== session) return;
    for (const bookmark of list) this.followBookmark(bookmark);
    for (const room of [...this.ctx.rooms.values()]) {
      if (room.state !== 'removed' && !this.bookmarks.get(room.jid)) await this.bookmarks.set({ jid: room.jid, autojoin: true, nick: room.nick }).catch(() => undefined);
    }
    await this.ctx.store();
  }

  /** Bookmarks changed on another device (a PEP notification from our own account). */
  onBookmarkChanges(changes: BookmarkChange[]): void {
    if (!this.bookmarks) return;
    for (const change of this.bookmarks.applied(changes)) {
      if (change.kind === 'set') this.followBookmark(change.bookmark);
      else {
        const room = this.ctx.rooms.get(change.jid);
        if (room) this.leaveHere(room);
      }
    }
    void this.ctx.store().catch(() => undefined);
  }

  /** A bookmark as it is now: entered when it says autojoin, left here when it no longer does. */
  private followBookmark(bookmark: Bookmark): void {
    const { rooms, deps } = this.ctx;
    const room = rooms.get(bookmark.jid);
    if (!bookmark.autojoin) {
      if (room && room.state !== 'removed') this.leaveHere(room);
      return;
    }
    if (room && room.state !== 'removed') return;
    if (deps.allowed && !deps.allowed(bookmark.jid)) return;
    const session = deps.session();
    const nick = bookmark.nick ?? cleanNick(deps.ownBare?.().split('@')[0] ?? '') ?? 'me';
    if (!session || this.ctx.pending.has(bookmark.jid) || (!room && rooms.size >= MAX_ROOMS)) return;
    const entering = room ?? new Room(bookmark.jid, nick);
    entering.nick = nick;
    entering.state = 'joining';
    entering.error = undefined;
    rooms.set(bookmark.jid, entering);
    this.invitations.joined(bookmark.jid);
    this.ctx.emitRoom(entering);
    session.send(joinPresence(entering.jid, nick, this.ctx.historyFor(entering.jid), entering.password, deps.show?.())).catch(() => undefined);
  }

  /** The user left the room on another device: it leaves this device's list too (the bookmark is already changed). */
  private leaveHere(room: Room): void {
    this.ctx.rooms.delete(room.jid);
    this.ctx.failJoin(room.jid, new KlatschError('not-found', 'You left the room on another device.', { reason: 'room-left-elsewhere' }));
    if (room.state === 'joined' || room.state === 'joining') this.ctx.deps.session()?.send(leavePresence(room.jid, room.nick)).catch(() => undefined);
    this.ctx.deps.roomRemoved(room.jid);
  }
}
