/**
 * The persistent outbox of one account: messages the user sent that the server has not acknowledged
 * yet, and the ids of messages received lately (so that a message sent again after a reconnect or a
 * restart is shown once).
 *
 * Where: in the account's history database (tables of db/outbox.ts), sharing its one open transaction
 * (db/writer.ts). A message enters the outbox in the same commit that puts it in the history as
 * "sending", and leaves it in the same commit that makes it "sent" there (Account puts both before the
 * commit): killed at any point, Klatsch finds it either still waiting or sent, never neither, and never
 * "not sent" when it was. When the account keeps no history on disk (the policy keeps none, or the
 * history's database is damaged) the outbox has a database of its own, `outbox/<account id>.sqlite`
 * (moved into the history's database once there is one again).
 *
 * `add()` resolves once the entry is on disk (the commit of the next turn of the event loop, shared by
 * all that came meanwhile): the caller puts nothing on the wire before. Everything else is committed
 * with the history's next commit; a received id (`markSeen`) at once.
 *
 * The files of earlier versions (`outbox/<id>.json` and its `.seen` journal) are moved in on first open
 * and deleted only after that committed. A file or database that cannot be read, decrypted or
 * understood is reported (`problem`) and never written over; the outbox then goes on in a database that
 * can be written, or in memory.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { databaseKey, DatabaseKeyProblem, keyFileOf } from '../db/keys.js';
import { readLegacyOutbox, seenJournalOf } from '../db/legacy-json.js';
import { NewerDatabase } from '../db/migrations.js';
import { OutboxEntry, OutboxTable, SEEN_PER_PEER, type OutboxContent } from '../db/outbox.js';
import { DatabaseDamaged, memoryDatabase, openDatabase } from '../db/open.js';
import { DbWriter } from '../db/writer.js';
import { removeStaleTemps } from './atomic-file.js';
import type { HistoryStore } from './history-store.js';
import type { SecretBox } from './secret-box.js';
import { databaseReason, storageProblem } from './storage-problem.js';
import type { WordedReason } from '../../../shared/contract.js';

export { OutboxEntry } from '../db/outbox.js';

const DEFAULT_FLUSH_DELAY_MS = 200;

export interface OutboxStoreOptions {
  /** The account's history: the outbox goes into its database when it is on disk. */
  history?: HistoryStore | undefined;
  /** How long changes gather before one commit (own database only; a shared one commits as the history does). */
  flushDelayMs?: number;
}

export class OutboxStore {
  /** What the database holds, in memory: read without queries, and written whole after a failed commit. */
  private readonly list: OutboxEntry[] = [];
  private readonly seenIds = new Map<string, Set<string>>();
  private readonly confirmingPeers = new Set<string>();
  private readonly table: OutboxTable;
  private problemReasons: WordedReason[] = [];
  private saveErrorReason: WordedReason | undefined;
  /** A commit failed and took outbox changes with it: the next change writes everything again. */
  private lost = false;
  /** Outbox changes are in the open transaction. */
  private pending = false;
  private writeCount = 0;

  private constructor(
    private readonly writer: DbWriter,
    /** The database is the outbox's own (not the history's): closing the outbox closes it. */
    private readonly ownsDatabase: boolean,
    /** Files removed with the account (destroy). */
    private readonly files: { database?: string; legacy?: string },
    state: { problem?: WordedReason; saveError?: WordedReason },
  ) {
    this.table = new OutboxTable(writer.db);
    if (state.problem) this.problemReasons = [state.problem];
    this.saveErrorReason = state.saveError;
    writer.listen({
      committed: () => {
        if (!this.pending) return;
        this.pending = false;
        if (writer.onDisk) this.writeCount++;
        if (writer.onDisk) this.saveErrorReason = undefined;
      },
      failed: (error) => {
        if (!this.pending && !this.lost) return;
        this.pending = false;
        this.lost = true;
        this.saveErrorReason = storageProblem('storage-not-saved', 'outbox', undefined, `Messages waiting to be sent could not be saved (${(error as Error).message}); Klatsch tries again with the next change.`);
      },
    });
    const content = this.table.read();
    this.list.push(...content.entries);
    for (const [peer, ids] of content.seen) this.seenIds.set(peer, new Set(ids.slice(-SEEN_PER_PEER)));
    for (const peer of content.confirming) this.confirmingPeers.add(peer);
  }

  /**
   * `file`: the outbox's own database (fileInProfile), used when `history` is not on disk; the files of
   * earlier versions beside it (`<id>.json`) and that database itself are moved into the one in use.
   */
  static async open(file: string, secretBox: SecretBox, options: OutboxStoreOptions = {}): Promise<OutboxStore> {
    const legacyFile = legacyFileOf(file);
    const leftAlone = 'It was left as it is (it may hold messages not sent yet); Klatsch tries again at the next start.';
    const problems: WordedReason[] = [];
    const history = options.history;
    const flushDelayMs = options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
    const status = secretBox.status();
    if (!status.available) {
      const why = status.reason ?? 'the secure storage is not available';
      const saveError = storageProblem('storage-memory-only', 'outbox', undefined, `Messages waiting to be sent are kept in memory only and are lost if Klatsch is closed before they went out: ${why}`);
      const stored = (await fileExists(file)) || (await fileExists(legacyFile));
      return OutboxStore.memory(stored ? { problem: storageProblem('storage-locked', 'outbox', file, `The outbox ${file} cannot be unlocked now (${why}). ${leftAlone}`), saveError } : { saveError });
    }
    let store: OutboxStore;
    const ownExists = await fileExists(file);
    if (history?.onDisk && !history.problem) {
      store = new OutboxStore(history.writer, false, { legacy: legacyFile }, {});
      // Kept in its own database while there was no history on disk: moved in, then that one goes.
      if (ownExists) {
        try {
          const db = await openDatabase(file, await databaseKey(file, secretBox, false));
          let content: OutboxContent;
          try {
            content = new OutboxTable(db).read();
          } finally {
            db.close();
          }
          if (store.moveIn(content)) await removeDatabase(file);
        } catch (error) {
          problems.push(storageProblem('storage-not-moved', 'outbox', file, `The outbox ${file} could not be moved into the history's database: ${reason(error)}. ${leftAlone}`));
        }
      }
    } else {
      try {
        const db = await openDatabase(file, await databaseKey(file, secretBox, !ownExists));
        store = new OutboxStore(new DbWriter(db, flushDelayMs, true), true, { database: file, legacy: legacyFile }, {});
      } catch (error) {
        return OutboxStore.memory({
          problem: storageProblem(
            databaseReason(error),
            'outbox',
            file,
            `The outbox ${file} cannot be opened: ${reason(error)}. It was left as it is (it may hold messages not sent yet); until it is repaired or removed, waiting messages are kept in memory only.`,
          ),
        });
      }
    }
    try {
      const legacy = await readLegacyOutbox(legacyFile, secretBox);
      // Committed before the old files go; killed in between, the next start moves the same entries in again (by id).
      if (legacy && store.moveIn(legacy)) {
        await fs.rm(legacyFile, { force: true });
        await fs.rm(seenJournalOf(legacyFile), { force: true });
      }
    } catch (error) {
      problems.push(storageProblem('storage-not-moved', 'outbox', legacyFile, `The outbox ${legacyFile} could not be moved into the database: ${(error as Error).message}. ${leftAlone}`));
    }
    // What a write of an earlier version interrupted by a crash left beside its file.
    await removeStaleTemps(legacyFile);
    store.problemReasons = problems;
    return store;
  }

  /**
   * Before the history's database `historyFile` is deleted (the policy now keeps no history): what its outbox
   * holds moves into the outbox's own database `file` first, so that messages still to be sent are not deleted
   * with the history. Resolves to whether the history's database may go (false: it could not be saved).
   */
  static async rescueFrom(historyFile: string, file: string, secretBox: SecretBox): Promise<boolean> {
    if (!(await fileExists(historyFile)) || !secretBox.status().available) return true;
    let content: OutboxContent;
    try {
      const db = await openDatabase(historyFile, await databaseKey(historyFile, secretBox, false));
      try {
        content = new OutboxTable(db).read();
      } finally {
        db.close();
      }
    } catch {
      return true; // unreadable: there is nothing to save from it, and the policy wants it gone
    }
    if (content.entries.length === 0 && content.seen.size === 0) return true;
    try {
      const db = await openDatabase(file, await databaseKey(file, secretBox, !(await fileExists(file))));
      const store = new OutboxStore(new DbWriter(db, DEFAULT_FLUSH_DELAY_MS, true), true, {}, {});
      const saved = store.moveIn(content);
      await store.close();
      return saved;
    } catch {
      return false;
    }
  }

  /** An outbox that is never written (no profile, or tests of the account alone). */
  static inMemory(): OutboxStore {
    return OutboxStore.memory({});
  }

  private static memory(state: { problem?: WordedReason; saveError?: WordedReason }): OutboxStore {
    return new OutboxStore(new DbWriter(memoryDatabase(), 0, false), true, {}, state);
  }

  /** The outbox's own database, used when the account's history is not on disk. */
  static fileInProfile(profileDir: string, accountId: string): string {
    return path.join(profileDir, 'outbox', `${accountId}.sqlite`);
  }

  /** Set when a database or old file could not be read: it is left as it is. */
  get problem(): string | undefined {
    return this.problemReasons.length > 0 ? this.problemReasons.map((p) => p.text).join(' ') : undefined;
  }

  /** Set while writing fails or cannot happen (no secure storage). */
  get saveError(): string | undefined {
    return this.saveErrorReason?.text;
  }

  /** `problem` and `saveError` by reason, for the user's own words. */
  storageProblems(): WordedReason[] {
    return [...this.problemReasons, ...(this.saveErrorReason ? [this.saveErrorReason] : [])];
  }

  /** Commits that held outbox changes (for tests). */
  get writes(): number {
    return this.writeCount;
  }

  /** Waiting messages, oldest first. */
  entries(): OutboxEntry[] {
    return this.list.map((e) => ({ ...e }));
  }

  get(id: string): OutboxEntry | undefined {
    const entry = this.list.find((e) => e.id === id);
    return entry && { ...entry };
  }

  /**
   * Puts a message in (a message of the same id keeps its place); resolves once it is on disk, together with
   * whatever else was changed meanwhile (the history's "sending" row). Rejects if that commit failed (it is
   * kept in memory anyway).
   */
  add(entry: OutboxEntry): Promise<void> {
    const parsed = OutboxEntry.parse(entry);
    const at = this.list.findIndex((e) => e.id === parsed.id);
    if (at >= 0) this.list[at] = parsed;
    else this.list.push(parsed);
    this.write(() => this.table.put(parsed));
    return this.writer.commitSoon().then(() => {
      if (!this.writer.onDisk && this.saveErrorReason) throw new Error(this.saveErrorReason.text);
    });
  }

  /**
   * The message went out and was acknowledged: it leaves, in the open transaction. What the caller writes to
   * the history next (the message "sent") goes into the same commit.
   */
  remove(id: string): void {
    const at = this.list.findIndex((e) => e.id === id);
    if (at < 0) return;
    this.list.splice(at, 1);
    this.write(() => this.table.remove(id));
  }

  /** Marks a message failed (with why: its English, and its reason when it has one) or, with undefined, ready to go again. */
  setFailed(id: string, why: string | WordedReason | undefined): void {
    const reason = typeof why === 'object' ? why.text : why;
    const worded = typeof why === 'object' ? why : undefined;
    const entry = this.list.find((e) => e.id === id);
    if (!entry || (entry.failed === reason && entry.failedReason?.reason === worded?.reason)) return;
    if (reason === undefined) delete entry.failed;
    else entry.failed = reason.slice(0, 2000);
    if (worded) entry.failedReason = worded;
    else delete entry.failedReason;
    this.write(() => this.table.put(entry));
  }

  /** The server acknowledged the private message `id`; it waits for the contact's confirmation (see OutboxEntry.onServer). */
  setOnServer(id: string, onServer: boolean): void {
    const entry = this.list.find((e) => e.id === id);
    if (!entry || (entry.onServer ?? false) === onServer) return;
    if (onServer) entry.onServer = true;
    else delete entry.onServer;
    this.write(() => this.table.put(entry));
  }

  /** Whether `peer`'s app confirmed a message of ours (XEP-0184), also before a restart. */
  confirms(peer: string): boolean {
    return this.confirmingPeers.has(peer);
  }

  /** `peer`'s app confirms messages (a receipt came), or does not (its app says so): remembered. */
  setConfirms(peer: string, confirms: boolean): void {
    if (this.confirmingPeers.has(peer) === confirms) return;
    if (confirms) this.confirmingPeers.add(peer);
    else this.confirmingPeers.delete(peer);
    this.write(() => this.table.setConfirming(peer, confirms));
  }

  /** Whether a message with this id from `peer` was received before (also before a restart). */
  seen(peer: string, id: string): boolean {
    return this.seenIds.get(peer)?.has(id) ?? false;
  }

  /**
   * Remembers a received id, on disk when this returns (synchronous on purpose: the caller shows the message and
   * confirms it right after, and a kill may follow at once). `durably` false: it goes into the open transaction,
   * which the caller commits right after (the history's putDurably, with the message itself).
   */
  markSeen(peer: string, id: string, durably = true): void {
    if (id.length > 256) return;
    let ids = this.seenIds.get(peer);
    if (!ids) this.seenIds.set(peer, (ids = new Set()));
    if (ids.has(id)) return;
    ids.add(id);
    if (ids.size > SEEN_PER_PEER) ids.delete(ids.values().next().value!);
    this.write(() => this.table.addSeen(peer, id));
    if (durably) this.writer.commit();
  }

  /** Writes what is pending, then stops writing (the history's database is closed by the history). */
  async close(): Promise<void> {
    if (this.ownsDatabase) this.writer.close();
    else this.writer.commit();
  }

  /** Removes the outbox (the account was removed). */
  async destroy(): Promise<void> {
    if (this.ownsDatabase) this.writer.rollbackAndClose();
    else if (this.writer.change(() => this.table.replaceAll({ entries: [], seen: new Map(), confirming: [] }))) this.writer.commit();
    if (this.problemReasons.length > 0) return;
    if (this.files.database) await removeDatabase(this.files.database);
    if (this.files.legacy) {
      await fs.rm(this.files.legacy, { force: true });
      await fs.rm(seenJournalOf(this.files.legacy), { force: true });
    }
  }

  /** Runs `write` in the open transaction; after a failed commit, everything held is written again first. */
  private write(write: () => void): void {
    const rewrite = this.lost;
    this.pending = true;
    const ok = this.writer.change(() => {
      if (rewrite) this.table.replaceAll(this.content());
      else write();
    });
    if (ok && rewrite) this.lost = false;
  }

  private content(): OutboxContent {
    return { entries: this.list, seen: new Map([...this.seenIds].map(([peer, ids]) => [peer, [...ids]])), confirming: [...this.confirmingPeers] };
  }

  /** Adds what an older file (or the outbox's own database) holds, committed at once; false if that failed. */
  private moveIn(content: OutboxContent): boolean {
    for (const entry of content.entries) {
      const at = this.list.findIndex((e) => e.id === entry.id);
      if (at >= 0) this.list[at] = entry;
      else this.list.push(entry);
    }
    for (const [peer, list] of content.seen) {
      let ids = this.seenIds.get(peer);
      if (!ids) this.seenIds.set(peer, (ids = new Set()));
      for (const id of list) ids.add(id);
      while (ids.size > SEEN_PER_PEER) ids.delete(ids.values().next().value!);
    }
    for (const peer of content.confirming) this.confirmingPeers.add(peer);
    this.write(() => this.table.addAll(content));
    return this.writer.commit() && !this.lost;
  }
}

/** The outbox file of earlier versions beside `file` (`<id>.sqlite` → `<id>.json`). */
export function legacyFileOf(file: string): string {
  return file.replace(/\.sqlite$/, '.json');
}

function reason(error: unknown): string {
  if (error instanceof DatabaseKeyProblem || error instanceof DatabaseDamaged || error instanceof NewerDatabase) return error.message;
  return `(${(error as Error).message})`;
}

async function removeDatabase(file: string): Promise<void> {
  for (const f of [file, `${file}-wal`, `${file}-shm`, keyFileOf(file)]) await fs.rm(f, { force: true });
}

async function fileExists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
