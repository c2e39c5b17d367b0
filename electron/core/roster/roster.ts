/**
 * A contact list with live presence: roster items from the server, presence per
 * resource, and the one presence the UI shows for a contact (the resource with
 * the highest priority; on a tie the most available one).
 */
import type { Contact, Presence } from '../../../shared/contract.js';
import type { ParsedPresence, RosterItem } from '../xmpp/stanzas.js';

type ResourcePresence = Pick<ParsedPresence, 'show' | 'status' | 'priority'>;

const availability = { online: 3, away: 2, dnd: 1 } as const;
const offline: Presence = { show: 'offline', status: '' };

export class Roster {
  private items = new Map<string, RosterItem>();
  private resources = new Map<string, Map<string, ResourcePresence>>();

  replace(items: RosterItem[]): void {
    this.items = new Map(items.filter((i) => i.subscription !== 'remove').map((i) => [i.jid, i]));
  }

  /** A roster push (RFC 6121 §2.1.6). Returns the JIDs whose entry changed. */
  push(items: RosterItem[]): string[] {
    for (const item of items) {
      if (item.subscription === 'remove') {
        this.items.delete(item.jid);
        this.resources.delete(item.jid);
      } else this.items.set(item.jid, item);
    }
    return items.map((i) => i.jid);
  }

  /** What the UI is told of a contact that left the roster (its `contactUpdated` with subscription 'remove'). */
  static removed(jid: string): Contact {
    return { jid, subscription: 'remove', groups: [], presence: offline, unread: 0 };
  }

  has(jid: string): boolean {
    return this.items.has(jid);
  }

  item(jid: string): RosterItem | undefined {
    return this.items.get(jid);
  }

  /** Returns true if what the UI shows for this contact changed. */
  applyPresence(p: ParsedPresence): boolean {
    const before = this.presenceOf(p.bare);
    const byResource = this.resources.get(p.bare) ?? new Map<string, ResourcePresence>();
    if (p.available) byResource.set(p.resource, { show: p.show, status: p.status, priority: p.priority });
    else byResource.delete(p.resource);
    if (byResource.size === 0) this.resources.delete(p.bare);
    else this.resources.set(p.bare, byResource);
    const after = this.presenceOf(p.bare);
    return before.show !== after.show || before.status !== after.status;
  }

  /** The resources of `jid` available now: its app sessions (a new session binds a new resource). */
  resourcesOf(jid: string): string[] {
    return [...(this.resources.get(jid)?.keys() ?? [])];
  }

  /** Everyone goes offline when our own connection ends. */
  clearPresences(): void {
    this.resources.clear();
  }

  presenceOf(jid: string): Presence {
    const byResource = this.resources.get(jid);
    if (!byResource) return offline;
    let best: ResourcePresence | undefined;
    for (const p of byResource.values()) {
      if (!best || p.priority > best.priority || (p.priority === best.priority && availability[p.show] > availability[best.show])) best = p;
    }
    return best ? { show: best.show, status: best.status } : offline;
  }

  contact(jid: string, unread: number): Contact | undefined {
    const item = this.items.get(jid);
    if (!item) return undefined;
    return {
      jid,
      ...(item.name ? { name: item.name } : {}),
      subscription: item.subscription,
      groups: item.groups,
      presence: this.presenceOf(jid),
      unread,
      ...(item.ask ? { ask: item.ask } : {}),
    };
  }

  jids(): string[] {
    return [...this.items.keys()];
  }

  // ---- Stream resumption (XEP-0198): a resumed stream does not tell presences again ----

  /** Everyone goes offline, and what was known is handed back for restorePresences. */
  takePresences(): Map<string, Map<string, ResourcePresence>> {
    const taken = this.resources;
    this.resources = new Map();
    return taken;
  }

  /** The stream was resumed: the presences before the drop are true again (changes since arrive as stanzas). */
  restorePresences(taken: Map<string, Map<string, ResourcePresence>>): void {
    for (const [jid, byResource] of taken) if (this.items.has(jid) && !this.resources.has(jid)) this.resources.set(jid, byResource);
  }
}
