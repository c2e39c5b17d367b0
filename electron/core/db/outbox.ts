/**
 * The outbox tables (migrations.ts, version 2): waiting messages in order, ids received lately per
 * chat, contacts whose app confirms messages. Statements only; store/outbox-store.ts decides when.
 */
import type { Database, Statement } from 'better-sqlite3-multiple-ciphers';
import { z } from 'zod';
import { NotSentReason } from '../../../shared/contract/errors.js';

export const OutboxEntry = z.object({
  /** The message id: the chat's id, the stanza's id and origin-id (XEP-0359), the same on every attempt. */
  id: z.string().min(1).max(256),
  peer: z.string().min(1).max(3071),
  body: z.string(),
  timestamp: z.number(),
  /** It was written in a private conversation (or under "always"): it may leave only OTR-encrypted. */
  private: z.boolean(),
  /** Why it could not go out (the user sends it again by hand); absent: it goes out by itself. */
  failed: z.string().max(2000).optional(),
  /** `failed` by reason, for the UI to word after a restart (an older version ignores it and shows `failed`). */
  failedReason: NotSentReason.optional(),
  /**
   * A private message the server acknowledged, to a contact whose app confirms messages (XEP-0184): it
   * stays until that confirmation, since a contact's app killed before it decrypted the message cannot
   * decrypt it later (its session keys died with it). Until then it goes again, with the same id, in
   * each new private conversation with the contact (their app shows a copy once).
   */
  onServer: z.boolean().optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

/** Ids of received messages remembered per chat; a message sent again arrives soon after the first copy. */
export const SEEN_PER_PEER = 500;

/** Everything the outbox holds, as read at once (from the tables, or from an older version's files). */
export interface OutboxContent {
  entries: OutboxEntry[];
  /** peer → ids, oldest first */
  seen: Map<string, string[]>;
  confirming: string[];
}

export class OutboxTable {
  private readonly upsertRow: Statement<[string, string, string]>;
  private readonly deleteRow: Statement<[string]>;
  private readonly insertSeen: Statement<[string, string]>;
  private readonly trimSeen: Statement<[string, string, number]>;
  private readonly insertConfirming: Statement<[string]>;
  private readonly deleteConfirming: Statement<[string]>;

  constructor(private readonly db: Database) {
    // Replacing keeps the row's place (n): an entry put back goes out in the order it was written.
    this.upsertRow = db.prepare('INSERT INTO outbox (id, peer, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET peer = excluded.peer, json = excluded.json');
    this.deleteRow = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.insertSeen = db.prepare('INSERT OR IGNORE INTO outbox_seen (peer, id) VALUES (?, ?)');
    this.trimSeen = db.prepare('DELETE FROM outbox_seen WHERE peer = ? AND n <= (SELECT n FROM outbox_seen WHERE peer = ? ORDER BY n DESC LIMIT 1 OFFSET ?)');
    this.insertConfirming = db.prepare('INSERT OR IGNORE INTO outbox_confirming (peer) VALUES (?)');
    this.deleteConfirming = db.prepare('DELETE FROM outbox_confirming WHERE peer = ?');
  }

  put(entry: OutboxEntry): void {
    this.upsertRow.run(entry.id, entry.peer, JSON.stringify(entry));
  }

  remove(id: string): void {
    this.deleteRow.run(id);
  }

  addSeen(peer: string, id: string): void {
    this.insertSeen.run(peer, id);
    this.trimSeen.run(peer, peer, SEEN_PER_PEER);
  }

  setConfirming(peer: string, confirms: boolean): void {
    if (confirms) this.insertConfirming.run(peer);
    else this.deleteConfirming.run(peer);
  }

  /** Everything, in order; a row that is not an entry (it cannot be, written only by put()) is skipped. */
  read(): OutboxContent {
    const entries: OutboxEntry[] = [];
    for (const row of this.db.prepare<[], { json: string }>('SELECT json FROM outbox ORDER BY n').iterate()) {
      const parsed = OutboxEntry.safeParse(JSON.parse(row.json));
      if (parsed.success) entries.push(parsed.data);
    }
    const seen = new Map<string, string[]>();
    for (const row of this.db.prepare<[], { peer: string; id: string }>('SELECT peer, id FROM outbox_seen ORDER BY n').iterate()) {
      let ids = seen.get(row.peer);
      if (!ids) seen.set(row.peer, (ids = []));
      ids.push(row.id);
    }
    const confirming = this.db.prepare<[], { peer: string }>('SELECT peer FROM outbox_confirming').all().map((r) => r.peer);
    return { entries, seen, confirming };
  }

  /** Replaces everything with `content` (after a failed commit lost changes: memory holds the truth). */
  replaceAll(content: OutboxContent): void {
    this.db.exec('DELETE FROM outbox; DELETE FROM outbox_seen; DELETE FROM outbox_confirming');
    this.addAll(content);
  }

  /** Adds `content` to what is there (an entry of the same id is replaced). */
  addAll(content: OutboxContent): void {
    for (const entry of content.entries) this.put(entry);
    for (const [peer, ids] of content.seen) for (const id of ids.slice(-SEEN_PER_PEER)) this.insertSeen.run(peer, id);
    for (const [peer] of content.seen) this.trimSeen.run(peer, peer, SEEN_PER_PEER);
    for (const peer of content.confirming) this.insertConfirming.run(peer);
  }
}
