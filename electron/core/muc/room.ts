/**
 * What we know of one group chat: our nickname, whether we are in it, its
 * subject and who else is there. Bounded: a hostile room cannot make us hold
 * (or the UI draw) more than MAX_OCCUPANTS occupants; the rest is only counted.
 */
import type { Occupant, RoomView, WordedReason } from '../../../shared/contract.js';
import type { MucPresence } from './muc-stanzas.js';

/** Occupants we list; a bigger room says how many more there are. */
export const MAX_OCCUPANTS = 1_000;
/** Nicknames beyond the list we still count (then the count stops growing). */
const MAX_COUNTED = 20_000;

export class Room {
  state: RoomView['state'] = 'joining';
  subject: string | undefined;
  error: WordedReason | undefined;
  created = false;
  unread = 0;
  /** The scheme the room is end-to-end encrypted with (members-only and non-anonymous, room-e2ee.ts); undefined: plaintext. */
  e2ee: string | undefined;
  /** The room's owners, admins and members (their real addresses), as its affiliation lists said; when they were asked. */
  affiliated: string[] = [];
  affiliatedAt = 0;
  /** Ids of the stanzas our encrypted messages went out in (one per OMEMO version): their reflections are ours. */
  readonly sentStanzas = new Set<string>();
  /** Members whose held devices the user was told about (once, while they wait). */
  readonly toldHeld = new Set<string>();
  private readonly occupants = new Map<string, Occupant>();
  private readonly overflow = new Set<string>();

  constructor(
    readonly jid: string,
    public nick: string,
    /** Kept in memory only (never stored): rejoining after a reconnect needs it again. */
    public password?: string,
  ) {}

  /** An occupant came, changed, or left. */
  applyPresence(p: MucPresence): void {
    if (!p.available) {
      this.occupants.delete(p.nick);
      this.overflow.delete(p.nick);
      // §7.6: a nickname change is an unavailable presence with 303 and the new nickname; the new one follows.
      return;
    }
    const occupant: Occupant = { nick: p.nick, role: p.role, affiliation: p.affiliation, show: p.show, ...(p.realJid ? { jid: p.realJid } : {}) };
    if (this.occupants.has(p.nick) || this.occupants.size < MAX_OCCUPANTS) this.occupants.set(p.nick, occupant);
    else if (this.overflow.size < MAX_COUNTED) this.overflow.add(p.nick);
  }

  /** The account went offline or we left: nobody is known to be there any more. */
  clearOccupants(): void {
    this.occupants.clear();
    this.overflow.clear();
  }

  /** The real bare address of the occupant `nick`, when the room told it. */
  realJid(nick: string): string | undefined {
    return this.occupants.get(nick)?.jid;
  }

  occupantList(): Occupant[] {
    return [...this.occupants.values()];
  }

  has(nick: string): boolean {
    return this.occupants.has(nick);
  }

  view(): RoomView {
    const occupants = [...this.occupants.values()].sort((a, b) => a.nick.localeCompare(b.nick));
    return {
      jid: this.jid,
      nick: this.nick,
      state: this.state,
      ...(this.subject ? { subject: this.subject } : {}),
      occupants,
      ...(this.overflow.size > 0 ? { occupantsOmitted: this.overflow.size } : {}),
      ...(this.created ? { created: true } : {}),
      ...(this.error ? { error: this.error } : {}),
      ...(this.e2ee ? { e2ee: { scheme: this.e2ee } } : {}),
      unread: this.unread,
    };
  }
}
