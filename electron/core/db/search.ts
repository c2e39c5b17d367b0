/**
 * Search over the database's index (migrations.ts: FTS5 with trigrams over each message's folded
 * text, keyed by time). Same meaning as the in-memory search (history-search.ts): every word,
 * anywhere in the text, case and accents ignored; newest first.
 *
 * How: the index is walked newest first for the rarest word (three characters or more: a trigram
 * phrase; how rare, from the index's own counts of its trigrams), the other words checked on the
 * folded text of each row it gives, until enough are found. Words shorter than a trigram are only
 * checked on the text; a query of nothing but such words scans the index's text newest first.
 */
import type { Database } from 'better-sqlite3-multiple-ciphers';
import type { ChatMessage } from '../../../shared/contract.js';

export interface FoundMessage {
  peer: string;
  message: ChatMessage;
}

function phrase(word: string): string {
  return `"${word.replace(/"/g, '""')}"`;
}

/** Up to `max` messages containing every one of `words` (already folded, see queryWords), newest first. */
export function searchIndex(db: Database, words: readonly string[], max: number): { found: FoundMessage[]; more: boolean } {
  if (words.length === 0) return { found: [], more: false };
  const long = words.filter((w) => [...w].length >= 3);
  const keys = walk(db, words, rarest(db, long), max + 1);
  const fetch = db.prepare<[bigint], { peer: string; json: string }>('SELECT peer, json FROM messages WHERE sk = ?').safeIntegers(true);
  const found: FoundMessage[] = [];
  for (const key of keys.slice(0, max)) {
    const row = fetch.get(key);
    if (row) found.push({ peer: row.peer, message: JSON.parse(row.json) as ChatMessage });
  }
  return { found, more: keys.length > max };
}

/** The index keys of the newest `want` rows holding every word. */
function walk(db: Database, words: readonly string[], rarest: string | undefined, want: number): bigint[] {
  const keys: bigint[] = [];
  const hasAll = (text: string) => words.every((w) => text.includes(w));
  if (rarest === undefined) {
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
  for (const row of rows.iterate(phrase(rarest))) {
    if (hasAll(row.folded) && keys.push(row.rowid) >= want) break;
  }
  return keys;
}

/** Of `long` (words of three characters or more), the one in fewest rows: that of its trigrams in fewest. */
function rarest(db: Database, long: readonly string[]): string | undefined {
  if (long.length < 2) return long[0];
  db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms USING fts5vocab(main, 'search', 'row')");
  const rows = db.prepare<[string], { doc: number }>('SELECT doc FROM temp.search_terms WHERE term = ?');
  let best: string | undefined;
  let fewest = Infinity;
  for (const word of long) {
    const chars = [...word];
    let count = Infinity;
    for (let i = 0; i + 3 <= chars.length; i++) count = Math.min(count, rows.get(chars.slice(i, i + 3).join(''))?.doc ?? 0);
    if (count < fewest) [best, fewest] = [word, count];
  }
  return best;
}
