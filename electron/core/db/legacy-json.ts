/**
 * Reading the history and outbox files of earlier versions (one encrypted JSON file per account, plus the
 * journal of messages put durably since its last write), to move them into the database once.
 *
 * File: {"version":1,"backend":"<SecretBox backend>","data":"<base64 ciphertext>"}, the ciphertext
 * the SecretBox encryption of {"chats":{"<peer>":[ChatMessage, …]},"archiveMark":"…","unkept":{…}}.
 * Journal `<file>.journal`: one SecretBox-encrypted {"message":…,"mark":…} per line.
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { ChatMessage } from '../../../shared/contract.js';
import { readTextIfPresent } from '../store/atomic-file.js';
import { Sealed, unseal } from '../store/encrypted-file-store.js';
import type { SecretBox } from '../store/secret-box.js';
import { OutboxEntry, type OutboxContent } from './outbox.js';

const HistoryFile = Sealed.extend({ version: z.literal(1) });
const HistoryContent = z.object({
  chats: z.record(z.string().max(3071), z.array(ChatMessage)),
  archiveMark: z.string().max(256).optional(),
  unkept: z.record(z.string().max(3071), z.array(z.string().max(1024))).optional(),
});
const JournalRecord = z.object({ message: ChatMessage, mark: z.string().max(256).optional() });

export interface LegacyHistory {
  /** Every message of the file, then of the journal (a later one of the same key replaces an earlier one). */
  messages: ChatMessage[];
  archiveMark: string | undefined;
  unkept: Record<string, string[]>;
}

export function journalOf(file: string): string {
  return `${file}.journal`;
}

/**
 * The old history `file` and its journal; undefined when neither exists. Throws an Error whose
 * message says what is wrong (unreadable, damaged, another key): the caller reports it and leaves the
 * files alone.
 */
export async function readLegacyHistory(file: string, secretBox: SecretBox): Promise<LegacyHistory | undefined> {
  const found = await readWithJournal(file, journalOf(file), secretBox);
  if (!found) return undefined;
  const { text, journal } = found;
  const history: LegacyHistory = { messages: [], archiveMark: undefined, unkept: {} };
  if (text !== undefined) {
    let outer: z.infer<typeof HistoryFile>;
    try {
      outer = HistoryFile.parse(JSON.parse(text));
    } catch {
      throw new Error('it is damaged');
    }
    const plain = unseal(secretBox, outer); // its UnsealError says why it cannot be opened
    let content: z.infer<typeof HistoryContent>;
    try {
      content = HistoryContent.parse(JSON.parse(plain));
    } catch {
      throw new Error('it is damaged (its decrypted content is not a history)');
    }
    history.archiveMark = content.archiveMark;
    history.unkept = content.unkept ?? {};
    for (const [peer, list] of Object.entries(content.chats)) for (const m of list) if (m.peer === peer) history.messages.push(m);
  }
  for (const { message, mark } of journalRecords(journal, secretBox, JournalRecord)) {
    history.messages.push(message);
    if (mark !== undefined) history.archiveMark = mark;
  }
  return history;
}

// ---- The outbox of earlier versions ----
//
// File `outbox/<account id>.json`: {"version":1,"backend":"…","data":"<base64 ciphertext>"}, the ciphertext the
// SecretBox encryption of {"entries":[OutboxEntry, …oldest first],"seen":{"<peer>":["<id>", …]},"confirming":["<peer>", …]}.
// Journal `<file>.seen`: received ids since the file's last write, one SecretBox-encrypted ["<peer>","<id>"] per line.

const OutboxFile = z.object({ version: z.literal(1), backend: z.string().max(200), data: z.string() });
const LegacyOutboxContent = z.object({
  entries: z.array(OutboxEntry),
  seen: z.record(z.string().max(3071), z.array(z.string().max(256))),
  confirming: z.array(z.string().max(3071)).optional(),
});

export function seenJournalOf(file: string): string {
  return `${file}.seen`;
}

/**
 * The old outbox `file` and its journal of received ids; undefined when neither exists. Throws an Error whose
 * message says what is wrong: the caller reports it and leaves the files alone (they may hold messages not sent).
 */
export async function readLegacyOutbox(file: string, secretBox: SecretBox): Promise<OutboxContent | undefined> {
  const found = await readWithJournal(file, seenJournalOf(file), secretBox);
  if (!found) return undefined;
  const { text, journal } = found;
  const content: OutboxContent = { entries: [], seen: new Map(), confirming: [] };
  const addSeen = (peer: string, id: string) => {
    let ids = content.seen.get(peer);
    if (!ids) content.seen.set(peer, (ids = []));
    if (!ids.includes(id)) ids.push(id);
  };
  if (text !== undefined) {
    let outer: z.infer<typeof OutboxFile>;
    try {
      outer = OutboxFile.parse(JSON.parse(text));
    } catch {
      throw new Error('it is damaged');
    }
    let parsed: z.infer<typeof LegacyOutboxContent>;
    try {
      parsed = LegacyOutboxContent.parse(JSON.parse(secretBox.decrypt(Buffer.from(outer.data, 'base64'))));
    } catch {
      throw new Error(`it could not be decrypted or is damaged (encrypted with "${outer.backend}")`);
    }
    const ids = new Set<string>();
    for (const entry of parsed.entries) {
      if (ids.has(entry.id)) continue;
      ids.add(entry.id);
      content.entries.push(entry);
    }
    for (const [peer, list] of Object.entries(parsed.seen)) for (const id of list) addSeen(peer, id);
    content.confirming = parsed.confirming ?? [];
  }
  for (const [peer, id] of journalRecords(journal, secretBox, z.tuple([z.string().max(3071), z.string().max(256)]))) addSeen(peer, id);
  return content;
}

// ---- What both read alike ----

/**
 * An old `file` and its journal, as text; undefined when neither exists. Throws when the file cannot be read
 * or the secure storage cannot unlock it now.
 */
async function readWithJournal(file: string, journalFile: string, secretBox: SecretBox): Promise<{ text: string | undefined; journal: string | undefined } | undefined> {
  const text = await readTextIfPresent(file, (error) => new Error(`it could not be read (${error.message})`, { cause: error }));
  const journal = await fs.readFile(journalFile, 'utf8').catch(() => undefined);
  if (text === undefined && journal === undefined) return undefined;
  const status = secretBox.status();
  if (!status.available) throw new Error(`it cannot be unlocked now (${status.reason ?? 'the secure storage is not available'})`);
  return { text, journal };
}

/** The journal's records that decrypt and parse; a line torn by a crash, or damaged, is passed over (as the old stores did). */
function* journalRecords<T>(journal: string | undefined, secretBox: SecretBox, schema: z.ZodType<T>): Generator<T> {
  for (const line of (journal ?? '').split('\n')) {
    if (line === '') continue;
    let record: T;
    try {
      record = schema.parse(JSON.parse(secretBox.decrypt(Buffer.from(line, 'base64'))));
    } catch {
      continue;
    }
    yield record;
  }
}
