/**
 * What the search panel shows of `searchHistory`'s hits: grouped by chat
 * (account and peer), the chat with the newest hit first, and each snippet cut
 * into plain and highlighted parts. Pure and DOM-free.
 */
import type { SearchHit } from '../shared/contract';

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
