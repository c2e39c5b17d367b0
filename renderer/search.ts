/**
 * What the search panel shows of `searchHistory`'s hits: grouped by chat
 * (account and peer), the chat with the newest hit first, and each snippet cut
 * into plain and highlighted parts. Pure and DOM-free.
 */
import type { SearchHit } from '../shared/contract';
import type { Catalog } from '../shared/i18n/catalog';

export type SearchGroup = { accountId: string; peer: string; hits: SearchHit[] };

/** Hits come newest first; a chat's group sits where its newest hit was, its hits keep their order. */
export function groupHitsByChat(hits: readonly SearchHit[]): SearchGroup[] {
  const groups = new Map<string, SearchGroup>();
  for (const hit of hits) {
    const key = `${hit.accountId}\n${hit.peer}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { accountId: hit.accountId, peer: hit.peer, hits: [] }));
    group.hits.push(hit);
  }
  return [...groups.values()];
}

/** The snippet as [text, highlighted] parts; ranges that are out of bounds or out of order are ignored. */
export function highlightParts(snippet: string, highlights: readonly (readonly [number, number])[]): [string, boolean][] {
  const parts: [string, boolean][] = [];
  let at = 0;
  for (const [start, end] of highlights) {
    if (start < at || end <= start || end > snippet.length) continue;
    if (start > at) parts.push([snippet.slice(at, start), false]);
    parts.push([snippet.slice(start, end), true]);
    at = end;
  }
  if (at < snippet.length) parts.push([snippet.slice(at), false]);
  return parts;
}

export type UnkeptChat = { accountId: string; peer: string; count: number };

/**
 * The line above the results. Where private messages were not kept (so cannot be found), an empty result
 * says so rather than "No message contains …" — for the open chat first, where the user may see the message.
 */
export function searchStatusText(
  t: Catalog['search'],
  result: { query: string; hits: readonly unknown[]; more: boolean; unkept?: readonly UnkeptChat[] | undefined },
  openChat?: { accountId: string; peer: string },
): string {
  if (result.hits.length > 0) return result.more ? t.more(result.hits.length) : t.count(result.hits.length);
  const unkept = result.unkept ?? [];
  const here = openChat ? unkept.find((u) => u.accountId === openChat.accountId && u.peer === openChat.peer) : undefined;
  if (here) return t.unkeptHere(here.count);
  const total = unkept.reduce((n, u) => n + u.count, 0);
  return total > 0 ? `${t.noResults(result.query)} ${t.unkeptElsewhere(total)}` : t.noResults(result.query);
}
