/**
 * Search over the database's index (migrations.ts: FTS5 with trigrams over each message's folded
 * text, keyed by time). Same meaning as the in-memory search (history-search.ts): every word,
 * anywhere in the text, case and accents ignored; newest first.
 *
 * How: the index is walked newest first for the longest word (three characters or more: a trigram
 * phrase), the other words checked on the folded text of each row it gives, until enough are found.
 * That is quick whenever the hits are many. When they are rare among the longest word's rows, after
 * a bounded walk the index is asked for all words at once (FTS5 intersects them from the rarest).
 * Words shorter than a trigram are only checked on the text; a query of nothing but such words scans
 * the index's text newest first.
 */
import type { Database } from 'better-sqlite3-multiple-ciphers';
import type { ChatMessage } from '../../../shared/contract.js';

export interface FoundMessage {
  peer: string;
  message: ChatMessage;
}

/** Rows of the longest word's walk checked before all words go to the index together. */
const WALK_BUDGET = 5_000;

function phrase(word: string): string {
  return `"${word.replace(/"/g, '""')}"`;
}

/** Up to `max` messages containing every one of `words` (already folded, see queryWords), newest first. */
export function searchIndex(db: Database, words: readonly string[], max: number): { found: FoundMessage[]; more: boolean } {
  if (words.length === 0) return { found: [], more: false };
  const long = words.filter((w) => [...w].length >= 3).sort((a, b) => b.length - a.length);
  const keys = walk(db, words, long, max + 1);
  const fetch = db.prepare<[bigint], { peer: string; json: string }>('SELECT peer, json FROM messages WHERE sk = ?').safeIntegers(true);
  const found: FoundMessage[] = [];
  for (const key of keys.slice(0, max)) {
    const row = fetch.get(key);
    if (row) found.push({ peer: row.peer, message: JSON.parse(row.json) as ChatMessage });
  }
  return { found, more: keys.length > max };
}

/** The index keys of the newest `want` rows holding every word. */
function walk(db: Database, words: readonly string[], long: readonly string[], want: number): bigint[] {
  const keys: bigint[] = [];
  const hasAll = (text: string) => words.every((w) => text.includes(w));
  if (long.length === 0) {
    // Nothing for a trigram to find: the text of every row, newest first (stops at enough).
    const rows = db.prepare<[], { rowid: bigint; folded: string }>('SELECT rowid, folded FROM search ORDER BY rowid DESC').safeIntegers(true);
    for (const row of rows.iterate()) {
      if (hasAll(row.folded) && keys.push(row.rowid) >= want) break;
    }
    return keys;
  }
  const rows = db
    .prepare<[string], { rowid: bigint; folded: string }>('SELECT rowid, folded FROM search WHERE search MATCH ? ORDER BY rowid DESC')
    .safeIntegers(true);
  let walked = 0;
  let exhausted = true;
  for (const row of rows.iterate(phrase(long[0]!))) {
    if (hasAll(row.folded) && keys.push(row.rowid) >= want) break;
    if (++walked >= WALK_BUDGET && long.length > 1) {
      exhausted = false;
      break; // iterate()'s return() ends the statement
    }
  }
  if (exhausted) return keys;
  // Rare among the longest word's rows: the index intersects all long words, the short ones are checked here.
  keys.length = 0;
  const all = db
    .prepare<[string], { rowid: bigint; folded: string }>('SELECT rowid, folded FROM search WHERE search MATCH ? ORDER BY rowid DESC')
    .safeIntegers(true);
  for (const row of all.iterate(long.map(phrase).join(' AND '))) {
    if (hasAll(row.folded) && keys.push(row.rowid) >= want) break;
  }
  return keys;
}
