/**
 * The messages table (migrations.ts): a chat's messages by time, pages of it, single messages by
 * their key (peer, direction, id), and the search index kept in step with each change.
 */
import type { Database, Statement } from 'better-sqlite3-multiple-ciphers';
import type { ChatMessage } from '../../../shared/contract.js';
import { foldText, searchable } from '../search/history-search.js';

type Key = Pick<ChatMessage, 'peer' | 'direction' | 'id'>;

/** Deletions beyond this many go through one rewrite of the index (see removeWhere). */
const BULK_DELETE = 50;

export class MessageTable {
  private readonly seqOf: Statement<[string, string, string], { seq: number; ts: number }>;
  private readonly insert: Statement<[string, string, string, number, string, string | null, string], { seq: number }>;
  private readonly update: Statement<[number, string, string | null, string, number]>;
  private readonly deleteRow: Statement<[number]>;
  private readonly keyRow: Statement<[number], { sk: bigint }>;
  private readonly skOf: Statement<[number], { sk: bigint | null }>;
  private readonly indexedOf: Statement<[number], { sk: bigint | null; json: string }>;
  private readonly indexRow: Statement<[bigint, string]>;
  private readonly unindexRow: Statement<[bigint]>;
  private readonly unkeyRow: Statement<[number]>;
  private readonly jsonOf: Statement<[string, string, string], { json: string }>;
  private readonly newestOf: Statement<[string, number], { json: string }>;
  private readonly olderThan: Statement<[string, number, number, number], { json: string }>;
  private readonly allOfChat: Statement<[string], { seq: number; json: string }>;
  private readonly chatPeers: Statement<[], { peer: string }>;
  private readonly unkeptRows: Statement<[], { peer: string; json: string }>;
  private readonly onTheWay: Statement<[], { seq: number; json: string }>;

  constructor(private readonly db: Database) {
    this.seqOf = db.prepare('SELECT seq, ts FROM messages WHERE peer = ? AND direction = ? AND id = ?');
    this.insert = db.prepare('INSERT INTO messages (peer, direction, id, ts, state, notice_kind, json) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq');
    this.update = db.prepare('UPDATE messages SET ts = ?, state = ?, notice_kind = ?, json = ? WHERE seq = ?');
    this.deleteRow = db.prepare('DELETE FROM messages WHERE seq = ?');
    // sk is computed by SQLite and read as a BigInt: ts * 2^20 is beyond a JavaScript number's exact integers.
    // Two messages of the same millisecond 2^20 arrivals apart would share one: the second then stays out of
    // the index (OR IGNORE) rather than fail the write.
    this.keyRow = db.prepare<[number], { sk: bigint }>('UPDATE OR IGNORE messages SET sk = ts * 1048576 + (seq & 1048575) WHERE seq = ? RETURNING sk').safeIntegers(true);
    this.skOf = db.prepare<[number], { sk: bigint | null }>('SELECT sk FROM messages WHERE seq = ?').safeIntegers(true);
    this.indexedOf = db.prepare<[number], { sk: bigint | null; json: string }>('SELECT sk, json FROM messages WHERE seq = ?').safeIntegers(true);
    this.indexRow = db.prepare('INSERT INTO search (rowid, folded) VALUES (?, ?)');
    this.unindexRow = db.prepare('DELETE FROM search WHERE rowid = ?');
    this.unkeyRow = db.prepare('UPDATE messages SET sk = NULL WHERE seq = ?');
    this.jsonOf = db.prepare('SELECT json FROM messages WHERE peer = ? AND direction = ? AND id = ?');
    this.newestOf = db.prepare('SELECT json FROM messages WHERE peer = ? ORDER BY ts DESC, seq DESC LIMIT ?');
    this.olderThan = db.prepare('SELECT json FROM messages WHERE peer = ? AND (ts, seq) < (?, ?) ORDER BY ts DESC, seq DESC LIMIT ?');
    this.allOfChat = db.prepare('SELECT seq, json FROM messages WHERE peer = ? ORDER BY ts, seq');
    // One index seek per chat (a loose index scan), not a walk over every message as DISTINCT would do.
    this.chatPeers = db.prepare(
      'WITH RECURSIVE p (peer) AS (SELECT min(peer) FROM messages UNION ALL SELECT (SELECT min(peer) FROM messages WHERE peer > p.peer) FROM p WHERE p.peer IS NOT NULL) SELECT peer FROM p WHERE peer IS NOT NULL',
    );
    this.unkeptRows = db.prepare("SELECT peer, json FROM messages WHERE notice_kind = 'private-not-kept'");
    // Ours still in the outbox (migration 2) are still on their way: they go out after the restart.
    this.onTheWay = db.prepare(
      "SELECT seq, json FROM messages m WHERE state IN ('sending', 'waiting') AND NOT (direction = 'out' AND EXISTS (SELECT 1 FROM outbox o WHERE o.id = m.id AND o.peer = m.peer))",
    );
  }

  /** Inserts or replaces (same peer, direction and id) a message; its search entry follows. */
  put(m: ChatMessage): void {
    const json = JSON.stringify(m);
    const kind = m.notice?.kind ?? null;
    const existing = this.seqOf.get(m.peer, m.direction, m.id);
    let seq: number;
    if (existing && this.indexHolds(existing.seq, existing.ts, m)) {
      // Only its state changed (sending → sent → delivered): the search entry stays as it is. Taking it out and
      // putting it back (a secure delete in the index) took ~1 ms of the main process per change.
      this.update.run(m.timestamp, m.state, kind, json, existing.seq);
      return;
    }
    if (existing) {
      seq = existing.seq;
      this.unindex(seq);
      this.update.run(m.timestamp, m.state, kind, json, seq);
    } else {
      seq = this.insert.get(m.peer, m.direction, m.id, m.timestamp, m.state, kind, json)!.seq;
    }
    if (searchable(m)) {
      const key = this.keyRow.get(seq);
      if (key) this.indexRow.run(key.sk, foldText(m.body));
    }
  }

  /** Deletes a message and its search entry; false when there was none. */
  remove(key: Key): boolean {
    const existing = this.seqOf.get(key.peer, key.direction, key.id);
    if (!existing) return false;
    this.unindex(existing.seq);
    this.deleteRow.run(existing.seq);
    return true;
  }

  /** Deletes the chat's messages that `match` says (read one by one: a rare act of the user's). */
  removeWhere(peer: string, match: (m: ChatMessage) => boolean): number {
    const doomed: number[] = [];
    for (const row of this.allOfChat.iterate(peer)) if (match(parse(row.json))) doomed.push(row.seq);
    // Many at once: deleting each securely from the index rewrites its pages again and again (minutes at
    // 10,000); plain deletes and then one rewrite of the whole index (optimize) leave nothing of them either.
    const bulk = doomed.length > BULK_DELETE;
    if (bulk) this.db.exec("INSERT INTO search (search, rank) VALUES ('secure-delete', 0)");
    for (const seq of doomed) {
      this.unindex(seq);
      this.deleteRow.run(seq);
    }
    if (bulk) this.db.exec("INSERT INTO search (search) VALUES ('optimize'); INSERT INTO search (search, rank) VALUES ('secure-delete', 1)");
    return doomed.length;
  }

  /** Whether row `seq` (stored with time `ts`) already has the search entry `m` would get: same time, same text. */
  private indexHolds(seq: number, ts: number, m: ChatMessage): boolean {
    if (ts !== m.timestamp) return false; // the entry's key is made of the time
    const row = this.indexedOf.get(seq);
    if (!row) return false;
    if (!searchable(m)) return row.sk === null;
    const stored = parse(row.json);
    return row.sk !== null && searchable(stored) && stored.body === m.body;
  }

  /** Takes the row's entry out of the search index (by the index's own key: a direct lookup). */
  private unindex(seq: number): void {
    const sk = this.skOf.get(seq)?.sk;
    if (sk === null || sk === undefined) return;
    this.unindexRow.run(sk);
    this.unkeyRow.run(seq);
  }

  get(key: Key): ChatMessage | undefined {
    const row = this.jsonOf.get(key.peer, key.direction, key.id);
    return row ? parse(row.json) : undefined;
  }

  /** The chat's newest `limit` messages, oldest first. */
  newest(peer: string, limit: number): ChatMessage[] {
    return this.newestOf.all(peer, limit).map((r) => parse(r.json)).reverse();
  }

  /**
   * Up to `limit` messages of the chat just before `from` (a message of it, or any message with a
   * time when it is not stored: then those of that very millisecond are not counted as older), oldest first.
   */
  before(peer: string, from: Pick<ChatMessage, 'direction' | 'id' | 'timestamp'>, limit: number): ChatMessage[] {
    const at = this.seqOf.get(peer, from.direction, from.id);
    const [ts, seq] = at ? [at.ts, at.seq] : [from.timestamp, 0];
    return this.olderThan.all(peer, ts, seq, limit).map((r) => parse(r.json)).reverse();
  }

  /** The chat's newest message. */
  last(peer: string): ChatMessage | undefined {
    return this.newest(peer, 1)[0];
  }

  peers(): string[] {
    return this.chatPeers.all().map((r) => r.peer);
  }

  /** Rows that say how many private messages were not kept. */
  unkeptNotices(): { peer: string; message: ChatMessage }[] {
    return this.unkeptRows.all().map((r) => ({ peer: r.peer, message: parse(r.json) }));
  }

  /** Messages that were on their way when Klatsch stopped: `change` gives what each becomes. */
  settleOnTheWay(change: (m: ChatMessage) => ChatMessage): void {
    for (const row of this.onTheWay.all()) {
      const m = change(parse(row.json));
      this.update.run(m.timestamp, m.state, m.notice?.kind ?? null, JSON.stringify(m), row.seq);
    }
  }
}

/** Rows are written only by put(), from checked messages: parsed without a second validation. */
function parse(json: string): ChatMessage {
  return JSON.parse(json) as ChatMessage;
}
