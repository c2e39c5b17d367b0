/**
 * Local chat history of one account (or of its group chats), in an encrypted SQLite database
 * (electron/core/db/): `history/<account id>.sqlite` in the profile, its key in `….sqlite.key`
 * encrypted by the SecretBox (the OS keyring in the app). Every page of the file, the search
 * index and the write-ahead log included, is encrypted; nothing about the chats is readable without
 * the key.
 *
 * Why a database: the history is kept whole (no newest-N bound), is never held whole in memory,
 * and each change writes only itself. The chat log in memory starts with each chat's newest page
 * (`chats()`); older pages come from `before()` as the user scrolls; search asks the index.
 *
 * Writing: changes go into an open transaction at once (so everything read here sees them) and are
 * committed together at most `flushDelayMs` later: a burst of 1,000 messages is one commit. A
 * received message about to be shown and confirmed is committed before `putDurably()` returns
 * (WAL, synchronous=FULL: on disk), so a kill right after it loses nothing the user saw.
 *
 * The files of earlier versions (`history/<id>.json` and its journal) are moved in on first open, in
 * one transaction that also records that it happened, and deleted only after it committed.
 *
 * What is put here is the caller's decision (Account keeps private messages out unless the user
 * asked for them). A database (or old file) that cannot be read, decrypted or migrated is reported
 * (`problem`) and never written over: the store then keeps this session's chats in memory only.
 * Without secure storage nothing is written (`saveError` says why).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { databaseKey, DatabaseKeyProblem, keyFileOf } from '../db/keys.js';
import { journalOf, readLegacyHistory, type LegacyHistory } from '../db/legacy-json.js';
import { MessageTable } from '../db/messages.js';
import { NewerDatabase } from '../db/migrations.js';
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { DatabaseDamaged, memoryDatabase, openDatabase, type Database } from '../db/open.js';
import { DbWriter } from '../db/writer.js';
import { searchIndex, type FoundMessage } from '../db/search.js';
import type { ChatMessage, NotSentReason, WordedReason } from '../../../shared/contract.js';
import { databaseReason, storageProblem } from './storage-problem.js';
import type { SecretBox } from './secret-box.js';
import { latencyProbe } from '../latency-probe.js';

export interface HistoryStoreOptions {
  /** How many of each chat's newest messages `chats()` gives (the rest is paged in with `before()`). */
  recentPerChat?: number;
  /** How long changes gather before one commit. */
  flushDelayMs?: number;
}

const DEFAULT_RECENT_PER_CHAT = 50;
const DEFAULT_FLUSH_DELAY_MS = 200;

/** The notice kind of the row that stands where private messages were not kept (its detail: how many). */
export const UNKEPT_KIND = 'private-not-kept';
/** Keys of counted messages remembered per chat (a message is handed in again after a restart by the outbox). */
const MAX_UNKEPT_KEYS = 500;
/** meta: the newest archive id fetched; that the old JSON file was moved in. */
const ARCHIVE_MARK = 'archiveMark';
const MIGRATED_JSON = 'migratedFromJson';

export function unkeptBody(count: number): string {
  return count === 1 ? '1 private message not kept' : `${count} private messages not kept`;
}

/** Said of a message that was on its way when Klatsch stopped: it may not have gone out. */
export const INTERRUPTED_ERROR: NotSentReason = { reason: 'interrupted', text: 'Klatsch was closed before this message was sent.' };

export class HistoryStore {
  private problemReason: WordedReason | undefined;
  private saveErrorReason: WordedReason | undefined;
  private commitCount = 0;
  private readonly recentPerChat: number;
  private readonly messages: MessageTable;
  /** The database's one open transaction, shared with the account's outbox (outbox-store.ts). */
  readonly writer: DbWriter;
  /** False: the database lives in memory only (damaged file, no secure storage). */
  readonly onDisk: boolean;
  private markOf: Statement<[string], { value: string }> | undefined;
  private setMark: Statement<[string, string]> | undefined;

  private constructor(
    private readonly file: string,
    private readonly db: Database,
    options: HistoryStoreOptions,
    state: { problem?: WordedReason; saveError?: WordedReason },
  ) {
    this.recentPerChat = options.recentPerChat ?? DEFAULT_RECENT_PER_CHAT;
    this.messages = new MessageTable(db);
    this.problemReason = state.problem;
    this.saveErrorReason = state.saveError;
    this.onDisk = db.name !== ':memory:';
    this.writer = new DbWriter(db, options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS, this.onDisk);
    this.writer.listen({
      committed: () => {
        if (!this.onDisk) return;
        this.commitCount++;
        this.saveErrorReason = undefined;
      },
      failed: (error) => {
        this.saveErrorReason = storageProblem('storage-not-saved', 'history', undefined, `Chat history could not be saved (${(error as Error).message}); Klatsch tries again with the next message.`);
      },
    });
  }

  /** `file`: the database (fileInProfile); the old JSON history beside it is moved in. */
  static async open(file: string, secretBox: SecretBox, options: HistoryStoreOptions = {}): Promise<HistoryStore> {
    const legacyFile = legacyFileOf(file);
    const leftAlone = 'It was left as it is; new messages are not saved until it is repaired or removed.';
    const inMemory = (state: { problem?: WordedReason; saveError?: WordedReason }) => new HistoryStore(file, memoryDatabase(), options, state);
    const exists = await fileExists(file);
    const status = secretBox.status();
    if (!status.available) {
      const why = status.reason ?? 'the secure storage is not available';
      if (exists || (await fileExists(legacyFile))) return inMemory({ problem: storageProblem('storage-locked', 'history', file, `The chat history ${file} cannot be unlocked now (${why}). ${leftAlone}`) });
      return inMemory({ saveError: storageProblem('storage-memory-only', 'history', undefined, `Chat history is not saved: ${why}`) });
    }
    // The old history is read before anything is created: when it cannot be, nothing is written.
    let legacy: LegacyHistory | undefined;
    try {
      legacy = await readLegacyHistory(legacyFile, secretBox);
    } catch (error) {
      return inMemory({ problem: storageProblem('storage-not-moved', 'history', legacyFile, `The chat history ${legacyFile} could not be moved into the database: ${(error as Error).message}. ${leftAlone}`) });
    }
    let db: Database;
    try {
      db = await openDatabase(file, await databaseKey(file, secretBox, !exists));
    } catch (error) {
      if (error instanceof DatabaseKeyProblem || error instanceof DatabaseDamaged || error instanceof NewerDatabase) {
        return inMemory({ problem: storageProblem(databaseReason(error), 'history', file, `The chat history ${file} cannot be opened: ${error.message}. ${leftAlone}`) });
      }
      return inMemory({ problem: storageProblem(databaseReason(error), 'history', file, `The chat history ${file} cannot be opened (${(error as Error).message}). ${leftAlone}`) });
    }
    const store = new HistoryStore(file, db, options, {});
    if (legacy) store.moveIn(legacy);
    if (legacy || (await fileExists(legacyFile))) {
      // Moved in (now or by an earlier start that stopped before this): the old files go.
      await fs.rm(legacyFile, { force: true });
      await fs.rm(journalOf(legacyFile), { force: true });
    }
    store.settleOnTheWay();
    return store;
  }

  /** Deletes a stored history without reading it (the policy keeps none), old files included; resolves to no store. */
  static async erase(file: string): Promise<undefined> {
    await removeFiles(file);
    return undefined;
  }

  static fileInProfile(profileDir: string, accountId: string): string {
    return path.join(profileDir, 'history', `${accountId}.sqlite`);
  }

  /** Set when the database could not be opened or the old file not moved in: left as it is, nothing saved. */
  get problem(): string | undefined {
    return this.problemReason?.text;
  }

  /** Set while saving fails (full disk, no secure storage); cleared by the next successful commit. */
  get saveError(): string | undefined {
    return this.saveErrorReason?.text;
  }

  /** `problem` and `saveError` by reason, for the user's own words. */
  storageProblems(): WordedReason[] {
    return [this.problemReason, this.saveErrorReason].filter((p) => p !== undefined);
  }

  /** How many commits reached the disk (for tests of write coalescing). */
  get writes(): number {
    return this.commitCount;
  }

  /** Each chat's newest messages (peer → messages, oldest first), at most `recentPerChat` each. */
  chats(): Record<string, ChatMessage[]> {
    return Object.fromEntries(this.messages.peers().map((peer) => [peer, this.messages.newest(peer, this.recentPerChat)]));
  }

  /** Up to `limit` messages of the chat with `peer` before `from` (the oldest one shown), oldest first. */
  before(peer: string, from: Pick<ChatMessage, 'direction' | 'id' | 'timestamp'> | undefined, limit: number): ChatMessage[] {
    return from ? this.messages.before(peer, from, limit) : this.messages.newest(peer, limit);
  }

  /** One stored message by its key. */
  find(peer: string, id: string, direction: ChatMessage['direction']): ChatMessage | undefined {
    return this.messages.get({ peer, id, direction });
  }

  /** The newest `max` messages containing every one of `words` (folded: see queryWords), from the index. */
  search(words: readonly string[], max: number): { found: FoundMessage[]; more: boolean } {
    return searchIndex(this.db, words, max);
  }

  /** The newest archive id fetched so far (message-archive.ts), if any. */
  get archiveMark(): string | undefined {
    // Read for every live message (twice): a statement prepared once, not each time (~0.1 ms each).
    this.markOf ??= this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?');
    return this.markOf.get(ARCHIVE_MARK)?.value;
  }

  setArchiveMark(id: string | undefined): void {
    if (id === this.archiveMark) return;
    this.change(() => {
      if (id === undefined) this.db.prepare('DELETE FROM meta WHERE name = ?').run(ARCHIVE_MARK);
      else (this.setMark ??= this.db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)')).run(ARCHIVE_MARK, id);
    });
  }

  /** Inserts or replaces (same peer, id and direction) a message. */
  put(message: ChatMessage): void {
    this.change(() => this.messages.put(message));
  }

  /**
   * As put(), and on disk when it returns (a received message about to be shown and confirmed). `mark`: the
   * archive mark that goes with it (its archive id, once caught up), so that a restart fetches what came after it.
   */
  putDurably(message: ChatMessage, mark?: string): void {
    if (mark !== undefined) this.setArchiveMark(mark);
    this.put(message);
    this.commit();
    latencyProbe.mark?.('history-written', message.id);
  }

  /**
   * A private message (ours or theirs) that is not kept: where it was, the chat keeps one row per run of
   * them that says how many ("3 private messages not kept"), never their text. Each message counts once.
   */
  leaveOut(message: ChatMessage): void {
    const { peer } = message;
    this.remove(peer, message.id, message.direction);
    const key = `${message.direction}\n${message.id}`;
    const counted = this.db.prepare<[string, string], { n: number }>('SELECT n FROM unkept WHERE peer = ? AND key = ?').get(peer, key);
    if (counted) return;
    this.change(() => {
      this.db.prepare('INSERT INTO unkept (peer, key) VALUES (?, ?)').run(peer, key);
      this.db
        .prepare('DELETE FROM unkept WHERE peer = ? AND n <= (SELECT n FROM unkept WHERE peer = ? ORDER BY n DESC LIMIT 1 OFFSET ?)')
        .run(peer, peer, MAX_UNKEPT_KEYS);
      const last = this.messages.last(peer);
      if (last?.notice?.kind === UNKEPT_KIND && last.timestamp <= message.timestamp) {
        const count = (Number(last.notice.detail) || 0) + 1;
        this.messages.put({ ...last, body: unkeptBody(count), notice: { kind: UNKEPT_KIND, detail: String(count) } });
        return;
      }
      this.messages.put({
        id: `unkept-${message.id}`,
        peer,
        direction: 'notice',
        body: unkeptBody(1),
        timestamp: message.timestamp,
        state: 'received',
        notice: { kind: UNKEPT_KIND, detail: '1' },
      });
    });
  }

  /** How many private messages of each chat were not kept (peer → count), from its rows that say so. */
  unkeptCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { peer, message } of this.messages.unkeptNotices()) {
      const n = Number(message.notice?.detail) || 0;
      if (n > 0) counts.set(peer, (counts.get(peer) ?? 0) + n);
    }
    return counts;
  }

  /** Takes a message out (e.g. it turned out to be private); gone from every file with the next commit. */
  remove(peer: string, id: string, direction: ChatMessage['direction']): void {
    this.change(() => {
      if (this.messages.remove({ peer, id, direction })) this.writer.erased = true;
    });
  }

  /**
   * Deletes the chat's messages that `match` says (the user chose not to keep them), and whatever was
   * taken out before it: committed at once, so that nothing of them is left in any file when this returns.
   */
  removeWhere(peer: string, match: (m: ChatMessage) => boolean): void {
    this.change(() => {
      if (this.messages.removeWhere(peer, match) > 0) this.writer.erased = true;
    });
    if (this.writer.erased) this.commit();
  }

  /** Resolves once everything put so far is committed, with the next coalesced commit (it forces none). */
  persisted(): Promise<void> {
    return this.writer.persisted();
  }

  /** Commits pending changes now (rejects if that failed). */
  async flush(): Promise<void> {
    this.commit();
    if (this.saveErrorReason && this.onDisk && !this.problemReason) throw new Error(this.saveErrorReason.text);
  }

  /** Commits what is pending and closes the database; later changes are not kept. */
  async close(): Promise<void> {
    this.writer.close();
  }

  /** Stops and removes the database and its key (the account was removed). */
  async destroy(): Promise<void> {
    this.writer.rollbackAndClose();
    if (!this.problemReason) await removeFiles(this.file);
  }

  /** Runs `write` inside the open transaction (begun if none), and schedules its commit. */
  private change(write: () => void): void {
    this.writer.change(write);
  }

  private commit(): void {
    this.writer.commit();
  }

  /**
   * Messages on their way when Klatsch stopped, and no longer in the outbox (which is in this database, and
   * which they leave in the commit that makes them "sent"): they may not have gone out, and say so.
   */
  private settleOnTheWay(): void {
    this.change(() => this.messages.settleOnTheWay((m) => ({ ...m, state: 'failed', error: INTERRUPTED_ERROR })));
    this.commit();
  }

  /** The old JSON history, in one transaction with the record that it was moved (idempotent: upserts). */
  private moveIn(legacy: LegacyHistory): void {
    const done = this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE name = ?').get(MIGRATED_JSON);
    if (done) return;
    this.change(() => {
      // Oldest first, across chats: arrival order (seq) then follows time, as in the old file.
      for (const m of [...legacy.messages].sort((a, b) => a.timestamp - b.timestamp)) this.messages.put(m);
      if (legacy.archiveMark !== undefined) this.db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)').run(ARCHIVE_MARK, legacy.archiveMark);
      const addKey = this.db.prepare('INSERT OR IGNORE INTO unkept (peer, key) VALUES (?, ?)');
      for (const [peer, keys] of Object.entries(legacy.unkept)) for (const key of keys.slice(-MAX_UNKEPT_KEYS)) addKey.run(peer, key);
      this.db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)').run(MIGRATED_JSON, String(Date.now()));
    });
    this.commit();
    if (this.saveErrorReason) throw new Error(this.saveErrorReason.text);
  }
}

/** The history file of earlier versions beside `file` (`<id>.sqlite` → `<id>.json`). */
export function legacyFileOf(file: string): string {
  return file.replace(/\.sqlite$/, '.json');
}

async function removeFiles(file: string): Promise<void> {
  const legacy = legacyFileOf(file);
  for (const f of [file, `${file}-wal`, `${file}-shm`, keyFileOf(file), legacy, journalOf(legacy)]) await fs.rm(f, { force: true });
}

async function fileExists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
