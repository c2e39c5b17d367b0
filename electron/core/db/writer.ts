/**
 * The one open transaction of a database, shared by everything that writes to it (the history and the
 * outbox of an account): changes go into it at once, so that everything read sees them, and are
 * committed together — at most `flushDelayMs` later, or now (`commit()`), or with the next turn of
 * the event loop (`commitSoon()`, for callers that wait for their change to be on disk; all that
 * arrive in one turn share one commit). Two changes made one after the other without a commit
 * between them (nothing here commits by itself in between) are on disk together or not at all: this
 * is what lets a message leave the outbox in the same commit that makes it "sent" in the history.
 *
 * A commit that fails (full disk) rolls back everything pending; each user of the writer hears of it
 * (`onFailed`) and says so, and may write what it holds again with its next change.
 */
import type { Database } from 'better-sqlite3-multiple-ciphers';

export interface WriterListener {
  committed?(): void;
  failed?(error: unknown): void;
}

export class DbWriter {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;
  private soonWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** Callers of persisted() waiting for the next commit (told also when it failed). */
  private persistedWaiters: (() => void)[] = [];
  private readonly listeners: WriterListener[] = [];
  private closedFlag = false;
  /** Rows were deleted in the open transaction: its commit also empties the write-ahead log. */
  erased = false;

  constructor(
    readonly db: Database,
    private readonly flushDelayMs: number,
    /** False: the database lives in memory only. */
    readonly onDisk: boolean,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  listen(listener: WriterListener): void {
    this.listeners.push(listener);
  }

  /** Runs `write` inside the open transaction (begun if none) and schedules its commit; false if it failed. */
  change(write: () => void): boolean {
    if (this.closedFlag) return false;
    try {
      if (!this.db.inTransaction) this.db.exec('BEGIN IMMEDIATE');
      write();
    } catch (error) {
      this.failed(error);
      return false;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.commit();
      }, this.flushDelayMs);
      this.timer.unref?.();
    }
    return true;
  }

  /** Resolves once what is pending is on disk (with the next turn of the event loop); rejects if that commit failed. */
  commitSoon(): Promise<void> {
    if (this.closedFlag || !this.db.inTransaction) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.soonWaiters.push({ resolve, reject }));
    this.soon ??= setImmediate(() => {
      this.soon = undefined;
      this.commit();
    });
    return done;
  }

  /** Resolves once everything changed so far is committed, with the next commit (it forces none). */
  persisted(): Promise<void> {
    if (!this.db.inTransaction || this.closedFlag) return Promise.resolve();
    return new Promise((resolve) => this.persistedWaiters.push(resolve));
  }

  /** Commits what is pending now; false if that failed. */
  commit(): boolean {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.soon) clearImmediate(this.soon);
    this.soon = undefined;
    if (this.closedFlag || !this.db.inTransaction) {
      this.settle(undefined);
      return true;
    }
    try {
      this.db.exec('COMMIT');
      // Deleted means gone: secure_delete zeroed the freed space, and the write-ahead log, which still holds the
      // pages as they were, is emptied into the file.
      if (this.erased && this.onDisk) this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.erased = false;
    } catch (error) {
      this.failed(error);
      return false;
    }
    for (const listener of this.listeners) listener.committed?.();
    this.settle(undefined);
    return true;
  }

  /** Rolls back what is pending and closes the database; later changes are not kept. */
  rollbackAndClose(): void {
    if (this.closedFlag) return;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.close();
  }

  /** Commits what is pending and closes the database. */
  close(): void {
    if (this.closedFlag) return;
    this.commit();
    this.closedFlag = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      if (this.onDisk) this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // closing checkpoints anyway
    }
    this.db.close();
    this.settle(undefined);
  }

  /** A write or commit failed (full disk, permissions): what was pending is lost with the transaction. */
  private failed(error: unknown): void {
    if (this.db.inTransaction) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // SQLite may have rolled back already
      }
    }
    for (const listener of this.listeners) listener.failed?.(error);
    this.settle(error ?? new Error('the database could not be written'));
  }

  private settle(error: unknown): void {
    for (const resolve of this.persistedWaiters.splice(0)) resolve();
    for (const waiter of this.soonWaiters.splice(0)) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }
}
