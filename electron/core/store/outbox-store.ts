/**
 * The persistent outbox of one account: messages the user sent that the server
 * has not acknowledged yet, and the ids of messages received lately (so that a
 * message sent again after a reconnect or a restart is shown once).
 *
 * Layout: `outbox/<account id>.json` in the profile:
 *   {"version":1,"backend":"<SecretBox backend>","data":"<base64 ciphertext>"}
 * where the ciphertext is the SecretBox encryption of
 *   {"entries":[OutboxEntry, …oldest first],"seen":{"<peer>":["<id>", …oldest first]},"confirming":["<peer>", …]}
 * (`confirming`: contacts whose app sent us receipts; their private messages wait for one, see onServer).
 * The user's text (also of private messages, which must be encrypted again in
 * a new private conversation after a restart) is readable only with the key.
 *
 * `add()` resolves only once the entry is on disk (written atomically): the
 * caller puts nothing on the wire before. Removals and seen ids are written
 * with the next write (at most `flushDelayMs` later): losing one in a crash
 * only means a message goes out again, and the receiver drops the copy. A
 * removal can wait for the history to hold the message as sent (`remove(id,
 * keptElsewhere)`), so that a crash never finds it in neither file.
 *
 * A file that cannot be read, decrypted or understood is reported (`problem`)
 * and never written over — it may hold messages not sent yet. The outbox then
 * works in memory only, so that sending goes on.
 */
import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, promises as fs, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { removeStaleTemps, writeFileAtomic } from './atomic-file.js';
import type { SecretBox } from './secret-box.js';

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
  /**
   * A private message the server acknowledged, to a contact whose app confirms messages (XEP-0184): it
   * stays until that confirmation, since a contact's app killed before it decrypted the message cannot
   * decrypt it later (its session keys died with it). Until then it goes again, with the same id, in
   * each new private conversation with the contact (their app shows a copy once).
   */
  onServer: z.boolean().optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

const OutboxFile = z.object({ version: z.literal(1), backend: z.string().max(200), data: z.string() });
const OutboxContent = z.object({
  entries: z.array(OutboxEntry),
  seen: z.record(z.string().max(3071), z.array(z.string().max(256))),
  /** Contacts whose app confirmed a message of ours (XEP-0184): their private messages wait for it (onServer). */
  confirming: z.array(z.string().max(3071)).optional(),
});

/** Ids of received messages remembered per chat; a message sent again arrives soon after the first copy. */
const SEEN_PER_PEER = 500;
const DEFAULT_FLUSH_DELAY_MS = 1_000;

export class OutboxStore {
  private readonly list: OutboxEntry[] = [];
  /** Entries gone for the caller but still written to the file (see remove). */
  private readonly leaving = new Set<OutboxEntry>();
  private readonly seenIds = new Map<string, Set<string>>();
  private readonly confirmingPeers = new Set<string>();
  private problemText: string | undefined;
  private saveErrorText: string | undefined;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private writeCount = 0;
  private persist = true;
  /** The received-ids journal, open for appending (see markSeen). */
  private journalFd: number | undefined;
  /** Records appended to the journal so far: it is emptied only if none came while the outbox file was written. */
  private journalRecords = 0;

  private constructor(
    private readonly file: string,
    private readonly secretBox: SecretBox,
    private readonly flushDelayMs: number,
  ) {}

  static async open(file: string, secretBox: SecretBox, options: { flushDelayMs?: number } = {}): Promise<OutboxStore> {
    const store = new OutboxStore(file, secretBox, options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS);
    await store.load();
    // What a write interrupted by a crash left beside the file (the file itself is whole: the old or the new one).
    await removeStaleTemps(file);
    return store;
  }

  /** An outbox that is never written (no profile, or tests of the account alone). */
  static inMemory(): OutboxStore {
    const store = new OutboxStore('', { backend: 'memory', status: () => ({ available: true }), encrypt: () => Buffer.alloc(0), decrypt: () => '' }, 0);
    store.persist = false;
    return store;
  }

  private get journalFile(): string {
    return `${this.file}.seen`;
  }

  static fileInProfile(profileDir: string, accountId: string): string {
    return path.join(profileDir, 'outbox', `${accountId}.json`);
  }

  /** Set when the file could not be read: it is left as it is, and the outbox lives in memory only. */
  get problem(): string | undefined {
    return this.problemText;
  }

  /** Set while writing fails or cannot happen (no secure storage). */
  get saveError(): string | undefined {
    return this.saveErrorText;
  }

  get writes(): number {
    return this.writeCount;
  }

  /** Waiting messages, oldest first. */
  entries(): OutboxEntry[] {
    return this.list.filter((e) => !this.leaving.has(e)).map((e) => ({ ...e }));
  }

  get(id: string): OutboxEntry | undefined {
    const entry = this.list.find((e) => e.id === id && !this.leaving.has(e));
    return entry && { ...entry };
  }

  /** Puts a message in; resolves once it is on disk (rejects if it could not be written: it is kept in memory anyway). */
  add(entry: OutboxEntry): Promise<void> {
    const parsed = OutboxEntry.parse(entry);
    const at = this.list.findIndex((e) => e.id === parsed.id);
    if (at >= 0) this.leaving.delete(this.list[at]!);
    if (at >= 0) this.list[at] = parsed;
    else this.list.push(parsed);
    return this.writeSoon(true);
  }

  /**
   * The message went out and was acknowledged: it leaves at once. With `keptElsewhere` (the history writing it
   * as sent), the file keeps it until that settles: a crash in between must find it in one of the two.
   */
  remove(id: string, keptElsewhere?: Promise<unknown>): void {
    const at = this.list.findIndex((e) => e.id === id && !this.leaving.has(e));
    if (at < 0) return;
    const entry = this.list[at]!;
    const drop = () => {
      this.leaving.delete(entry);
      const now = this.list.indexOf(entry); // add() of the same id replaced it meanwhile: that one stays
      if (now >= 0) this.list.splice(now, 1);
      void this.writeSoon(false).catch(() => undefined);
    };
    if (!keptElsewhere) return drop();
    this.leaving.add(entry);
    void keptElsewhere.then(drop, drop);
  }

  /** Marks a message failed (with why) or, with undefined, ready to go again. */
  setFailed(id: string, reason: string | undefined): void {
    const entry = this.list.find((e) => e.id === id && !this.leaving.has(e));
    if (!entry || entry.failed === reason) return;
    if (reason === undefined) delete entry.failed;
    else entry.failed = reason.slice(0, 2000);
    void this.writeSoon(false).catch(() => undefined);
  }

  /** The server acknowledged the private message `id`; it waits for the contact's confirmation (see OutboxEntry.onServer). */
  setOnServer(id: string, onServer: boolean): void {
    const entry = this.list.find((e) => e.id === id && !this.leaving.has(e));
    if (!entry || (entry.onServer ?? false) === onServer) return;
    if (onServer) entry.onServer = true;
    else delete entry.onServer;
    void this.writeSoon(false).catch(() => undefined);
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
    void this.writeSoon(false).catch(() => undefined);
  }

  /** Whether a message with this id from `peer` was received before (also before a restart). */
  seen(peer: string, id: string): boolean {
    return this.seenIds.get(peer)?.has(id) ?? false;
  }

  /** Remembers a received id; returns once it is on disk (or could not be: then it goes with the next write). */
  markSeen(peer: string, id: string): void {
    if (id.length > 256) return;
    let ids = this.seenIds.get(peer);
    if (!ids) this.seenIds.set(peer, (ids = new Set()));
    if (ids.has(id)) return;
    ids.add(id);
    if (ids.size > SEEN_PER_PEER) ids.delete(ids.values().next().value!);
    this.appendToJournal(peer, id);
    void this.writeSoon(false).catch(() => undefined);
  }

  /** Synchronous on purpose: the caller shows the message and confirms it right after, and a kill may follow at once. */
  private appendToJournal(peer: string, id: string): void {
    if (this.problemText || this.closed || !this.persist || !this.secretBox.status().available) return;
    try {
      if (this.journalFd === undefined) {
        mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
        this.journalFd = openSync(this.journalFile, 'a', 0o600);
      }
      writeSync(this.journalFd, `${this.secretBox.encrypt(JSON.stringify([peer, id])).toString('base64')}\n`);
      fdatasyncSync(this.journalFd);
      this.journalRecords++;
    } catch {
      // The id still goes with the next write of the outbox file (at most flushDelayMs later).
    }
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

  /** Writes what is pending, then stops writing. */
  async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.chainWrite().catch(() => undefined);
    }
    await this.writing.catch(() => undefined);
    this.closed = true;
    this.closeJournal();
  }

  /** Removes the file (the account was removed). */
  async destroy(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.writing.catch(() => undefined);
    this.closeJournal();
    if (!this.problemText && this.persist) await fs.rm(this.file, { force: true });
    if (!this.problemText && this.persist) await fs.rm(this.journalFile, { force: true });
  }

  private writeSoon(now: boolean): Promise<void> {
    if (this.problemText || this.closed || !this.persist) return Promise.resolve();
    if (now) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      return this.chainWrite();
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.chainWrite().catch(() => undefined);
      }, this.flushDelayMs);
      this.timer.unref?.();
    }
    return Promise.resolve();
  }

  /** One write after the other; each writes everything as it is when it starts. */
  private chainWrite(): Promise<void> {
    const write = this.writing.catch(() => undefined).then(() => this.writeNow());
    this.writing = write;
    return write;
  }

  private async writeNow(): Promise<void> {
    if (this.problemText) return;
    const status = this.secretBox.status();
    if (!status.available) {
      this.saveErrorText = `Messages waiting to be sent are kept in memory only and are lost if Klatsch is closed before they went out: ${status.reason ?? 'the secure storage is not available'}`;
      throw new Error(this.saveErrorText);
    }
    try {
      const journalRecords = this.journalRecords;
      const content = JSON.stringify({
        entries: this.list,
        seen: Object.fromEntries([...this.seenIds].map(([peer, ids]) => [peer, [...ids]])),
        confirming: [...this.confirmingPeers],
      });
      const data = this.secretBox.encrypt(content).toString('base64');
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, backend: this.secretBox.backend, data })}\n`, 0o600);
      this.writeCount++;
      this.saveErrorText = undefined;
      // The file now holds every id the journal had when it was written: the journal starts over (appends go to its end).
      if (this.journalFd !== undefined && this.journalRecords === journalRecords) ftruncateSync(this.journalFd, 0);
    } catch (error) {
      this.saveErrorText = `Messages waiting to be sent could not be saved (${(error as Error).message}); Klatsch tries again with the next change.`;
      throw error;
    }
  }

  private async load(): Promise<void> {
    const leftAlone = 'It was left as it is (it may hold messages not sent yet); until it is repaired or removed, waiting messages are kept in memory only.';
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.loadJournal(); // nothing written yet but received ids
      this.problemText = `Klatsch could not read the outbox ${this.file} (${(error as Error).message}). ${leftAlone}`;
      return;
    }
    let outer: z.infer<typeof OutboxFile>;
    try {
      outer = OutboxFile.parse(JSON.parse(text));
    } catch {
      this.problemText = `The outbox ${this.file} is damaged. ${leftAlone}`;
      return;
    }
    const status = this.secretBox.status();
    if (!status.available) {
      this.problemText = `The outbox ${this.file} cannot be unlocked now (${status.reason ?? 'the secure storage is not available'}). ${leftAlone}`;
      return;
    }
    let content: z.infer<typeof OutboxContent>;
    try {
      content = OutboxContent.parse(JSON.parse(this.secretBox.decrypt(Buffer.from(outer.data, 'base64'))));
    } catch {
      this.problemText = `The outbox ${this.file} could not be decrypted or is damaged (encrypted with "${outer.backend}"). ${leftAlone}`;
      return;
    }
    const ids = new Set<string>();
    for (const entry of content.entries) {
      if (ids.has(entry.id)) continue;
      ids.add(entry.id);
      this.list.push(entry);
    }
    for (const [peer, list] of Object.entries(content.seen)) this.seenIds.set(peer, new Set(list.slice(-SEEN_PER_PEER)));
    for (const peer of content.confirming ?? []) this.confirmingPeers.add(peer);
    await this.loadJournal();
  }

  /** Ids received since the outbox file was last written; a line cut short by a crash is skipped. */
  private async loadJournal(): Promise<void> {
    const text = await fs.readFile(this.journalFile, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const [peer, id] = z.tuple([z.string().max(3071), z.string().max(256)]).parse(JSON.parse(this.secretBox.decrypt(Buffer.from(line, 'base64'))));
        let ids = this.seenIds.get(peer);
        if (!ids) this.seenIds.set(peer, (ids = new Set()));
        ids.add(id);
        if (ids.size > SEEN_PER_PEER) ids.delete(ids.values().next().value!);
      } catch {
        // torn or damaged: that one id is not remembered
      }
    }
  }
}
