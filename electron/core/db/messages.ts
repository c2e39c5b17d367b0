/**
 * The messages table (migrations.ts): a chat's messages by time, pages of it, single messages by
 * their key (peer, direction, id), and the search index kept in step with each change.
 */
import type { Database, Statement } from 'better-sqlite3-multiple-ciphers';
import type { ChatMessage } from '../../../shared/contract.js';
import { foldText, searchable } from '../search/history-search.js';

type Key = Pick<ChatMessage, 'peer' | 'direction' | 'id'>;

export class MessageTable {
  private readonly seqOf: Statement<[string, string, string], { seq: number; ts: number }>;
  private readonly insert: Statement<[string, string, string, number, string, string | null, string], { seq: number }>;
  private readonly update: Statement<[number, string, string | null, string, number]>;
  private readonly deleteRow: Statement<[number]>;
  private readonly keyRow: Statement<[number]>;
  private readonly indexRow: Statement<[string, number]>;
  private readonly unindexRow: Statement<[number]>;
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
    // sk is computed by SQLite: ts * 2^20 is beyond a JavaScript number's exact integers. Two messages of the
    // same millisecond 2^20 arrivals apart would share one: the second then stays out of the index rather
    // than fail the write.
    this.keyRow = db.prepare(
      'UPDATE messages SET sk = ts * 1048576 + (seq & 1048575) WHERE seq = ? AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.sk = messages.ts * 1048576 + (messages.seq & 1048575))',
    );
    this.indexRow = db.prepare('INSERT INTO search (rowid, folded) SELECT sk, ? FROM messages WHERE seq = ? AND sk IS NOT NULL');
    this.unindexRow = db.prepare('DELETE FROM search WHERE rowid = (SELECT sk FROM messages WHERE seq = ?)');
    this.unkeyRow = db.prepare('UPDATE messages SET sk = NULL WHERE seq = ?');
    this.jsonOf = db.prepare('SELECT json FROM messages WHERE peer = ? AND direction = ? AND id = ?');
    this.newestOf = db.prepare('SELECT json FROM messages WHERE peer = ? ORDER BY ts DESC, seq DESC LIMIT ?');
    this.olderThan = db.prepare('SELECT json FROM messages WHERE peer = ? AND (ts, seq) < (?, ?) ORDER BY ts DESC, seq DESC LIMIT ?');
    this.allOfChat = db.prepare('SELECT seq, json FROM messages WHERE peer = ? ORDER BY ts, seq');
    this.chatPeers = db.prepare('SELECT DISTINCT peer FROM messages');
    this.unkeptRows = db.prepare("SELECT peer, json FROM messages WHERE notice_kind = 'private-not-kept'");
    this.onTheWay = db.prepare("SELECT seq, json FROM messages WHERE state IN ('sending', 'waiting')");
  }

  /** Inserts or replaces (same peer, direction and id) a message; its search entry follows. */
  put(m: ChatMessage): void {
    const json = JSON.stringify(m);
    const kind = m.notice?.kind ?? null;
    const existing = this.seqOf.get(m.peer, m.direction, m.id);
    let seq: number;
    if (existing) {
      seq = existing.seq;
      this.unindexRow.run(seq);
      this.unkeyRow.run(seq);
      this.update.run(m.timestamp, m.state, kind, json, seq);
    } else {
      seq = this.insert.get(m.peer, m.direction, m.id, m.timestamp, m.state, kind, json)!.seq;
    }
    if (searchable(m)) {
      this.keyRow.run(seq);
      this.indexRow.run(foldText(m.body), seq);
    }
  }

  /** Deletes a message and its search entry; false when there was none. */
  remove(key: Key): boolean {
    const existing = this.seqOf.get(key.peer, key.direction, key.id);
    if (!existing) return false;
    this.unindexRow.run(existing.seq);
    this.deleteRow.run(existing.seq);
    return true;
  }

  /** Deletes the chat's messages that `match` says (read one by one: a rare act of the user's). */
  removeWhere(peer: string, match: (m: ChatMessage) => boolean): number {
    const doomed: number[] = [];
    for (const row of this.allOfChat.iterate(peer)) if (match(parse(row.json))) doomed.push(row.seq);
    for (const seq of doomed) {
      this.unindexRow.run(seq);
      this.deleteRow.run(seq);
    }
    return doomed.length;
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
