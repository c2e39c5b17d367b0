/**
 * Local chat history of one account, encrypted at rest.
 *
 * Layout: one file per account, `history/<account id>.json` in the profile:
 *   {"version":1,"backend":"<SecretBox backend>","data":"<base64 ciphertext>"}
 * where the ciphertext is the SecretBox encryption of
 *   {"chats":{"<peer bare JID>":[ChatMessage, …oldest first]},"archiveMark":"<newest archive id fetched>"}.
 * Nothing about the chats (not even who they are with) is readable without the key.
 *
 * Why one file per account and whole-file rewrites: one atomic write keeps
 * every chat consistent with the others, and the store stays small by its
 * bounds — the newest `maxPerChat` (default 1,000) messages per chat. Changes
 * only mark the store dirty; at most one write happens per `flushDelayMs`
 * (default 1 s), so a burst of 1,000 messages costs a handful of writes, not
 * 1,000. `close()` writes what is pending.
 *
 * A received message the user is shown must survive a kill that comes before
 * the next write (else it is shown again, as new, when the server or the
 * sender delivers it once more): `putDurably()` also appends it, encrypted, to
 * `history/<account id>.json.journal` and fdatasyncs that before it returns; a
 * load replays the journal, and the next write of the file empties it.
 *
 * What is put here is the caller's decision (Account keeps private messages
 * out unless the user asked for them). Like the other stores: validated on
 * load; a file that cannot be read or decrypted is reported (`problem`) and
 * never written over — the store then keeps chats in memory only. A failed
 * write is reported (`saveError`) and retried with the next change.
 */
import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, promises as fs, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ChatMessage, type NotSentReason } from '../../../shared/contract.js';
import { removeStaleTemps, writeFileAtomic } from './atomic-file.js';
import type { SecretBox } from './secret-box.js';

export interface HistoryStoreOptions {
  /** Newest messages kept per chat. */
  maxPerChat?: number;
  /** How long changes gather before one write. */
  flushDelayMs?: number;
}

const DEFAULT_MAX_PER_CHAT = 1_000;
const DEFAULT_FLUSH_DELAY_MS = 1_000;

const HistoryFile = z.object({ version: z.literal(1), backend: z.string().max(200), data: z.string() });
const HistoryContent = z.object({
  chats: z.record(z.string().max(3071), z.array(ChatMessage)),
  /** The newest archive id fetched from the server (XEP-0313): the next sign-in fetches what came after it. */
  archiveMark: z.string().max(256).optional(),
  /** Per chat, the keys (direction and id, never content) of private messages counted as not kept: each is counted once. */
  unkept: z.record(z.string().max(3071), z.array(z.string().max(1024))).optional(),
});

/** One line of the journal (see putDurably). */
const JournalRecord = z.object({ message: ChatMessage, mark: z.string().max(256).optional() });

/** The notice kind of the row that stands where private messages were not kept (its detail: how many). */
export const UNKEPT_KIND = 'private-not-kept';
/** Keys of counted messages remembered per chat (a message is handed in again after a restart by the outbox). */
const MAX_UNKEPT_KEYS = 500;

export function unkeptBody(count: number): string {
  return count === 1 ? '1 private message not kept' : `${count} private messages not kept`;
}

/** Said of a message that was on its way when Klatsch stopped: it may not have gone out. */
export const INTERRUPTED_ERROR: NotSentReason = { reason: 'interrupted', text: 'Klatsch was closed before this message was sent.' };

export class HistoryStore {
  private readonly chatMap = new Map<string, ChatMessage[]>();
  /** Per chat, direction and id of each message in it: removing one that is not here (a private one) needs no search. */
  private readonly keys = new Map<string, Set<string>>();
  private problemText: string | undefined;
  private archiveMarkValue: string | undefined;
  private readonly unkept = new Map<string, Set<string>>();
  private saveErrorText: string | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private writeCount = 0;
  private closed = false;
  /** Callers of persisted() waiting for the next write. */
  private persistedWaiters: (() => void)[] = [];
  private readonly maxPerChat: number;
  private readonly flushDelayMs: number;
  /** The journal of messages put durably since the last write, open for appending. */
  private journalFd: number | undefined;
  /** Records appended so far: the journal is emptied only if none came while the file was being written. */
  private journalRecords = 0;
  /** The journal had records at load (taken in by the next write). */
  private journalLoaded = false;

  private constructor(
    private readonly file: string,
    private readonly secretBox: SecretBox,
    options: HistoryStoreOptions,
  ) {
    this.maxPerChat = options.maxPerChat ?? DEFAULT_MAX_PER_CHAT;
    this.flushDelayMs = options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS;
  }

  static async open(file: string, secretBox: SecretBox, options: HistoryStoreOptions = {}): Promise<HistoryStore> {
    const store = new HistoryStore(file, secretBox, options);
    await store.load();
    // What a write interrupted by a crash left beside the file (the file itself is whole: the old or the new one).
    await removeStaleTemps(file);
    return store;
  }

  /** Deletes a stored history without reading it (the policy keeps none); resolves to no store. */
  static async erase(file: string): Promise<undefined> {
    await fs.rm(file, { force: true });
    return undefined;
  }

  static fileInProfile(profileDir: string, accountId: string): string {
    return path.join(profileDir, 'history', `${accountId}.json`);
  }

  /** Set when the file could not be read or decrypted: it is left as it is, and nothing is saved. */
  get problem(): string | undefined {
    return this.problemText;
  }

  /** Set while saving fails (full disk, permissions); cleared by the next successful write. */
  get saveError(): string | undefined {
    return this.saveErrorText;
  }

  /** How many times the file was written (for tests of write coalescing). */
  get writes(): number {
    return this.writeCount;
  }

  /** The stored chats as loaded and changed since (peer → messages, oldest first). */
  chats(): Record<string, ChatMessage[]> {
    return Object.fromEntries([...this.chatMap].map(([peer, list]) => [peer, [...list]]));
  }

  /** The stored chats without copying them (peer → messages, oldest first), for searching; read only. */
  entries(): Iterable<[string, readonly ChatMessage[]]> {
    return this.chatMap.entries();
  }

  /** The newest archive id fetched so far (message-archive.ts), if any. */
  get archiveMark(): string | undefined {
    return this.archiveMarkValue;
  }

  setArchiveMark(id: string | undefined): void {
    if (id === this.archiveMarkValue) return;
    this.archiveMarkValue = id;
    this.changed();
  }

  /** Inserts or replaces (same peer, id and direction) a message. */
  put(message: ChatMessage): void {
    const list = this.chatMap.get(message.peer) ?? [];
    const keys = this.keys.get(message.peer) ?? new Set<string>();
    const key = keyOf(message);
    const index = keys.has(key) ? lastIndex(list, message.id, message.direction) : -1;
    keys.add(key);
    this.keys.set(message.peer, keys);
    if (index >= 0) {
      list[index] = message;
    } else {
      // Usually the newest: insert from the end to keep time order cheaply.
      let at = list.length;
      while (at > 0 && list[at - 1]!.timestamp > message.timestamp) at--;
      list.splice(at, 0, message);
      if (list.length > this.maxPerChat) for (const old of list.splice(0, list.length - this.maxPerChat)) keys.delete(keyOf(old));
    }
    this.chatMap.set(message.peer, list);
    this.changed();
  }

  /**
   * As put(), and on disk when it returns (a received message about to be shown and confirmed). `mark`: the
   * archive mark that goes with it (its archive id, once caught up), so that a restart fetches what came after it.
   */
  putDurably(message: ChatMessage, mark?: string): void {
    if (mark !== undefined) this.setArchiveMark(mark);
    this.put(message);
    if (this.problemText || this.closed || !this.secretBox.status().available) return;
    try {
      if (this.journalFd === undefined) {
        mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
        this.journalFd = openSync(this.journalFile, 'a', 0o600);
      }
      const record: z.infer<typeof JournalRecord> = mark === undefined ? { message } : { message, mark };
      writeSync(this.journalFd, `${this.secretBox.encrypt(JSON.stringify(record)).toString('base64')}\n`);
      fdatasyncSync(this.journalFd);
      this.journalRecords++;
    } catch {
      // It is still written with the next write of the file (at most flushDelayMs later).
    }
  }

  private get journalFile(): string {
    return `${this.file}.journal`;
  }

  private closeJournal(): void {
    if (this.journalFd === undefined) return;
    try {
      closeSync(this.journalFd);
    } catch {
      // nothing left to do with it
    }
    this.journalFd = undefined;
  }

  /**
   * A private message (ours or theirs) that is not kept: where it was, the chat keeps one row per run of
   * them that says how many ("3 private messages not kept"), never their text. Each message counts once.
   */
  leaveOut(message: ChatMessage): void {
    const { peer } = message;
    this.remove(peer, message.id, message.direction);
    const counted = this.unkept.get(peer) ?? new Set<string>();
    const key = keyOf(message);
    if (counted.has(key)) return;
    counted.add(key);
    for (const old of counted) {
      if (counted.size <= MAX_UNKEPT_KEYS) break;
      counted.delete(old);
    }
    this.unkept.set(peer, counted);
    const list = this.chatMap.get(peer) ?? [];
    const last = list[list.length - 1];
    if (last?.notice?.kind === UNKEPT_KIND && last.timestamp <= message.timestamp) {
      const count = (Number(last.notice.detail) || 0) + 1;
      list[list.length - 1] = { ...last, body: unkeptBody(count), notice: { kind: UNKEPT_KIND, detail: String(count) } };
      this.changed();
      return;
    }
    this.put({
      id: `unkept-${message.id}`,
      peer,
      direction: 'notice',
      body: unkeptBody(1),
      timestamp: message.timestamp,
      state: 'received',
      notice: { kind: UNKEPT_KIND, detail: '1' },
    });
  }

  /** How many private messages of each chat were not kept (peer → count), from its rows that say so. */
  unkeptCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [peer, list] of this.chatMap) {
      let n = 0;
      for (const m of list) if (m.notice?.kind === UNKEPT_KIND) n += Number(m.notice.detail) || 0;
      if (n > 0) counts.set(peer, n);
    }
    return counts;
  }

  /** Takes a message out (e.g. it turned out to be private). */
  remove(peer: string, id: string, direction: ChatMessage['direction']): void {
    const list = this.chatMap.get(peer);
    // Private messages (the usual reason to remove) were never put: skip the search for them.
    const keys = this.keys.get(peer);
    if (!list || !keys?.delete(`${direction}\n${id}`)) return;
    const index = lastIndex(list, id, direction);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.setChat(peer, []);
    this.changed();
  }

  removeWhere(peer: string, match: (m: ChatMessage) => boolean): void {
    const list = this.chatMap.get(peer);
    if (!list) return;
    const kept = list.filter((m) => !match(m));
    if (kept.length === list.length) return;
    this.setChat(peer, kept);
    this.changed();
  }

  /**
   * Resolves once everything put so far is on disk, with the next coalesced write (it forces none); at once
   * where nothing can be saved. For what may be forgotten elsewhere only once the history has it (the outbox).
   */
  persisted(): Promise<void> {
    if (this.problemText || this.closed || !this.secretBox.status().available) return Promise.resolve();
    if (!this.dirty) return this.writing.then(() => undefined, () => this.persisted());
    return new Promise((resolve) => this.persistedWaiters.push(resolve));
  }

  /** Writes pending changes now (one after another; rejects if this write failed). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const write = this.writing.catch(() => undefined).then(() => this.writeNow());
    this.writing = write;
    return write;
  }

  /** Writes what is pending and stops; later changes stay in memory only. */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.closed = true;
    this.closeJournal();
    for (const resolve of this.persistedWaiters.splice(0)) resolve();
  }

  /** Stops and removes the file (the account was removed). */
  async destroy(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const resolve of this.persistedWaiters.splice(0)) resolve();
    await this.writing.catch(() => undefined);
    this.closeJournal();
    if (!this.problemText) await fs.rm(this.file, { force: true });
    if (!this.problemText) await fs.rm(this.journalFile, { force: true });
  }

  private setChat(peer: string, list: ChatMessage[]): void {
    if (list.length === 0) {
      this.chatMap.delete(peer);
      this.keys.delete(peer);
      return;
    }
    this.chatMap.set(peer, list);
    this.keys.set(peer, new Set(list.map(keyOf)));
  }

  private changed(): void {
    if (this.problemText || this.closed) return;
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined); // reported through saveError
    }, this.flushDelayMs);
    this.timer.unref?.();
  }

  private async writeNow(): Promise<void> {
    if (!this.dirty || this.problemText) return;
    const status = this.secretBox.status();
    if (!status.available) {
      this.saveErrorText = `Chat history is not saved: ${status.reason ?? 'the secure storage is not available'}`;
      for (const resolve of this.persistedWaiters.splice(0)) resolve();
      return;
    }
    this.dirty = false;
    const waiting = this.persistedWaiters.splice(0);
    try {
      const mark = this.archiveMarkValue !== undefined ? { archiveMark: this.archiveMarkValue } : {};
      const unkept = this.unkept.size > 0 ? { unkept: Object.fromEntries([...this.unkept].map(([peer, keys]) => [peer, [...keys]])) } : {};
      const journalRecords = this.journalRecords;
      const content = JSON.stringify({ chats: Object.fromEntries(this.chatMap), ...mark, ...unkept });
      const data = this.secretBox.encrypt(content).toString('base64');
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, backend: this.secretBox.backend, data })}\n`, 0o600);
      this.writeCount++;
      this.saveErrorText = undefined;
      // The file holds all the journal had when it was written: the journal starts over (appends go to its end).
      if (this.journalRecords === journalRecords) {
        if (this.journalFd !== undefined) ftruncateSync(this.journalFd, 0);
        else if (this.journalLoaded) await fs.truncate(this.journalFile, 0).catch(() => undefined);
        this.journalLoaded = false;
      }
      for (const resolve of waiting) resolve();
    } catch (error) {
      this.dirty = true; // the next change or flush tries again with everything
      this.persistedWaiters.unshift(...waiting);
      this.saveErrorText = `Chat history could not be saved (${(error as Error).message}); Klatsch tries again with the next message.`;
      throw error;
    }
  }

  private async load(): Promise<void> {
    const leftAlone = 'It was left as it is; new messages are not saved until it is repaired or removed.';
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.loadJournal(); // no file written yet
      this.problemText = `Klatsch could not read the chat history ${this.file} (${(error as Error).message}). ${leftAlone}`;
      return;
    }
    let outer: z.infer<typeof HistoryFile>;
    try {
      outer = HistoryFile.parse(JSON.parse(text));
    } catch {
      this.problemText = `The chat history ${this.file} is damaged. ${leftAlone}`;
      return;
    }
    const status = this.secretBox.status();
    if (!status.available) {
      this.problemText = `The chat history ${this.file} cannot be unlocked now (${status.reason ?? 'the secure storage is not available'}). ${leftAlone}`;
      return;
    }
    let plain: string;
    try {
      plain = this.secretBox.decrypt(Buffer.from(outer.data, 'base64'));
    } catch {
      const why =
        outer.backend === this.secretBox.backend
          ? `it was encrypted with "${outer.backend}", whose key seems to have changed`
          : `it was encrypted with "${outer.backend}", but Klatsch now uses "${this.secretBox.backend}"`;
      this.problemText = `The chat history ${this.file} could not be decrypted (${why}). ${leftAlone}`;
      return;
    }
    let content: z.infer<typeof HistoryContent>;
    try {
      content = HistoryContent.parse(JSON.parse(plain));
    } catch {
      this.problemText = `The chat history ${this.file} is damaged (its decrypted content is not a history). ${leftAlone}`;
      return;
    }
    this.archiveMarkValue = content.archiveMark;
    for (const [peer, keys] of Object.entries(content.unkept ?? {})) this.unkept.set(peer, new Set(keys.slice(-MAX_UNKEPT_KEYS)));
    for (const [peer, list] of Object.entries(content.chats)) {
      const mine = list
        .filter((m) => m.peer === peer)
        .map((m) => (m.state === 'sending' || m.state === 'waiting' ? { ...m, state: 'failed' as const, error: INTERRUPTED_ERROR } : m))
        .sort((a, b) => a.timestamp - b.timestamp)
        .slice(-this.maxPerChat);
      if (mine.length > 0) this.setChat(peer, mine);
    }
    await this.loadJournal();
  }

  /** Messages put durably after the file was last written; a record cut short by a crash is skipped. */
  private async loadJournal(): Promise<void> {
    if (!this.secretBox.status().available) return;
    const text = await fs.readFile(this.journalFile, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const { message, mark } = JournalRecord.parse(JSON.parse(this.secretBox.decrypt(Buffer.from(line, 'base64'))));
        this.put(message); // marks the store dirty: the next write takes it into the file
        if (mark !== undefined) this.archiveMarkValue = mark;
        this.journalLoaded = true;
      } catch {
        // torn or damaged: that one record is not restored
      }
    }
  }
}

/** Searches from the newest end, where the messages being changed nearly always are. */
function lastIndex(list: readonly ChatMessage[], id: string, direction: ChatMessage['direction']): number {
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i]!.id === id && list[i]!.direction === direction) return i;
  }
  return -1;
}

function keyOf(m: Pick<ChatMessage, 'direction' | 'id'>): string {
  return `${m.direction}\n${m.id}`;
}
