/**
 * Searching the local history: which stored messages contain every word the
 * user typed, ignoring case and accents ("jose" finds "José", "STRASSE" finds
 * "Straße"), newest first, bounded.
 *
 * A stored history is searched through its database's index (db/search.ts,
 * with the same folding); this session's chats, where no history is kept, are
 * few enough in memory for a linear scan (bench: 100,000 messages in a few ms once folded). Folding a text is
 * the expensive part, so each message's folded text is kept in a WeakMap keyed
 * by the message object: the stores replace a message by a new object when it
 * changes, so a stale fold can never be used and nothing leaks once a message
 * is dropped. Only the hits that are returned get a snippet.
 */
import type { ChatMessage } from '../../../shared/contract.js';

/** The longest query looked at (the contract bounds it too). */
export const MAX_QUERY_LENGTH = 256;
/** Hits returned when the caller does not say. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
/** Characters of context shown before the first match in a snippet, and the snippet's length at most. */
const SNIPPET_BEFORE = 30;
const SNIPPET_LENGTH = 120;

export type SearchSource =
  | {
      accountId: string;
      /** Peer → messages, oldest first (this session's chats, where no history is stored). */
      chats: Iterable<[string, readonly ChatMessage[]]>;
    }
  | {
      accountId: string;
      /** A stored history's own index (history-store.ts): the newest `max` messages with every (folded) word. */
      search(words: readonly string[], max: number): { found: { peer: string; message: ChatMessage }[]; more: boolean };
    };

export interface SearchHit {
  accountId: string;
  peer: string;
  id: string;
  direction: ChatMessage['direction'];
  timestamp: number;
  /** The text around the first match (plain text; shown as text, never as HTML). */
  snippet: string;
  /** [start, end) of each matched word in `snippet`, in order, not overlapping. */
  highlights: [number, number][];
}

export interface SearchResult {
  hits: SearchHit[];
  /** More messages matched than were returned (the oldest were left out). */
  more: boolean;
}

// Any ASCII text (control characters included) folds by lower-casing alone.
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const MARKS = /\p{M}/gu;

/** Lower case without accents; ß → ss (what a German typist expects). Same length rules as `foldWithMap`. */
export function foldText(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFD').replace(MARKS, '').toLowerCase().replace(/ß/g, 'ss');
}

/** The words of a query, folded; empty: nothing to search for. */
export function queryWords(query: string): string[] {
  const words = foldText(query.slice(0, MAX_QUERY_LENGTH)).split(/\s+/).filter(Boolean);
  return [...new Set(words)];
}

const folded = new WeakMap<ChatMessage, string>();
function foldedBody(m: ChatMessage): string {
  let f = folded.get(m);
  if (f === undefined) {
    f = foldText(m.body);
    folded.set(m, f);
  }
  return f;
}

/**
 * Per chat list, the folded text by position: a WeakMap lookup per message costs more than the
 * search itself, so a chat's list is looked up once and its positions checked by identity
 * (a message moved or replaced since falls back to `foldedBody`).
 */
type ChatFolds = { msgs: (ChatMessage | undefined)[]; texts: string[] };
const chatFolds = new WeakMap<readonly ChatMessage[], ChatFolds>();
function foldsOf(messages: readonly ChatMessage[]): ChatFolds {
  let folds = chatFolds.get(messages);
  if (!folds) chatFolds.set(messages, (folds = { msgs: [], texts: [] }));
  if (folds.msgs.length > messages.length) {
    folds.msgs.length = messages.length;
    folds.texts.length = messages.length;
  }
  return folds;
}
function foldedAt(folds: ChatFolds, messages: readonly ChatMessage[], i: number): string {
  const m = messages[i]!;
  if (folds.msgs[i] === m) return folds.texts[i]!;
  const text = foldedBody(m);
  folds.msgs[i] = m;
  folds.texts[i] = text;
  return text;
}

/** Only what people wrote: notices are Klatsch's own words about the conversation. */
export function searchable(m: Pick<ChatMessage, 'direction' | 'body'>): boolean {
  return m.direction !== 'notice' && m.body.length > 0;
}

/**
 * The newest `limit` messages of `sources` containing every word of `query`.
 * Which messages are in `sources` is the caller's decision (the core passes
 * only what the history keeps: private messages only where the user chose so).
 */
export function searchMessages(sources: Iterable<SearchSource>, query: string, limit = DEFAULT_LIMIT): SearchResult {
  const words = queryWords(query);
  const max = Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit)));
  if (words.length === 0) return { hits: [], more: false };
  // The newest `max` matches, kept sorted newest first; `more` once one fell out.
  const top: { accountId: string; peer: string; m: ChatMessage }[] = [];
  let more = false;
  const add = (accountId: string, peer: string, m: ChatMessage) => {
    let at = top.length;
    while (at > 0 && top[at - 1]!.m.timestamp < m.timestamp) at--;
    top.splice(at, 0, { accountId, peer, m });
    if (top.length > max) {
      top.pop();
      more = true;
    }
  };
  for (const source of sources) {
    if ('search' in source) {
      const found = source.search(words, max);
      if (found.more) more = true;
      for (const { peer, message } of found.found) add(source.accountId, peer, message);
      continue;
    }
    for (const [peer, messages] of source.chats) {
      const folds = foldsOf(messages);
      // Newest first: once the kept hits are all newer, the rest of this chat cannot get in.
      for (let i = messages.length - 1; i >= 0; i--) {
        const m = messages[i]!;
        if (!searchable(m)) continue;
        if (top.length === max && m.timestamp <= top[max - 1]!.m.timestamp) {
          if (!more) more = anyMatch(folds, messages, i, words);
          break;
        }
        if (!matches(foldedAt(folds, messages, i), words)) continue;
        add(source.accountId, peer, m);
      }
    }
  }
  return {
    hits: top.map(({ accountId, peer, m }) => ({ accountId, peer, id: m.id, direction: m.direction, timestamp: m.timestamp, ...snippetOf(m.body, words) })),
    more,
  };
}

/** Whether any of `messages[0..to]` matches (only to say that there is more). */
function anyMatch(folds: ChatFolds, messages: readonly ChatMessage[], to: number, words: readonly string[]): boolean {
  for (let i = to; i >= 0; i--) if (searchable(messages[i]!) && matches(foldedAt(folds, messages, i), words)) return true;
  return false;
}

function matches(text: string, words: readonly string[]): boolean {
  for (const w of words) if (!text.includes(w)) return false;
  return true;
}

/**
 * The folded text with, for each of its characters, the index in the original
 * text it came from: folding can change the length (accents dropped, ß → ss),
 * and a snippet must cut and highlight the text the user sees.
 */
export function foldWithMap(text: string): { folded: string; origin: number[] } {
  let out = '';
  const origin: number[] = [];
  let i = 0;
  for (const ch of text) {
    const f = foldText(ch);
    out += f;
    for (let k = 0; k < f.length; k++) origin.push(i);
    i += ch.length;
  }
  origin.push(text.length);
  return { folded: out, origin };
}

export function snippetOf(body: string, words: readonly string[]): { snippet: string; highlights: [number, number][] } {
  const { folded: f, origin } = foldWithMap(body);
  // Every occurrence of every word, in the original text's coordinates, then merged.
  const ranges: [number, number][] = [];
  for (const w of words) {
    for (let at = f.indexOf(w); at >= 0; at = f.indexOf(w, at + w.length)) {
      ranges.push([origin[at]!, endOf(origin, at + w.length)]);
      if (ranges.length > 64) break;
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const first = ranges[0]?.[0] ?? 0;
  let start = Math.max(0, first - SNIPPET_BEFORE);
  // Start at a word boundary where one is near, and never inside a surrogate pair.
  const space = start > 0 ? body.lastIndexOf(' ', first) : -1;
  if (space >= start && space < first) start = space + 1;
  if (isLowSurrogate(body.charCodeAt(start))) start--;
  let end = Math.min(body.length, start + SNIPPET_LENGTH);
  if (isLowSurrogate(body.charCodeAt(end))) end++;
  const prefix = start > 0 ? '…' : '';
  const suffix = end < body.length ? '…' : '';
  // Line breaks become spaces one for one, so the highlight positions stay right.
  const text = body.slice(start, end).replace(/\s/g, ' ');
  const highlights: [number, number][] = [];
  for (const [a, b] of ranges) {
    const from = Math.max(a, start);
    const to = Math.min(b, end);
    if (to <= from) continue;
    const last = highlights[highlights.length - 1];
    const s = from - start + prefix.length;
    const e = to - start + prefix.length;
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else highlights.push([s, e]);
  }
  return { snippet: prefix + text + suffix, highlights };
}

/** The original index just after the folded character at `foldedEnd - 1`. */
function endOf(origin: readonly number[], foldedEnd: number): number {
  const startOfLast = origin[foldedEnd - 1]!;
  let k = foldedEnd;
  while (k < origin.length - 1 && origin[k] === startOfLast) k++;
  return origin[k]!;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
