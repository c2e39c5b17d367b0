/** Searching the history: matching (case, accents, every word), snippets and highlights, bounds, hostile input, speed. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage } from '../../shared/contract.js';
import { foldText, foldWithMap, queryWords, searchMessages, snippetOf, MAX_LIMIT, type SearchSource } from '../../electron/core/search/history-search.js';

let n = 0;
function msg(peer: string, body: string, timestamp: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { id: `m${++n}`, peer, direction: 'in', body, timestamp, state: 'received', ...extra };
}
const source = (accountId: string, chats: Record<string, ChatMessage[]>): SearchSource => ({ accountId, chats: Object.entries(chats) });
const highlighted = (hit: { snippet: string; highlights: [number, number][] }) => hit.highlights.map(([a, b]) => hit.snippet.slice(a, b));

describe('folding', () => {
  test('case and accents do not matter; ß is ss', () => {
    assert.equal(foldText('José Ñandú'), 'jose nandu');
    assert.equal(foldText('STRASSE'), foldText('Straße'));
    assert.equal(foldText('Ünïcödé'), 'unicode');
    assert.deepEqual(queryWords('  Café   CAFE  bar '), ['cafe', 'bar']);
    assert.deepEqual(queryWords('   '), []);
  });

  test('the map from folded to original characters survives accents, ß and emoji', () => {
    const text = 'Grüße 👍 à';
    const { folded, origin } = foldWithMap(text);
    assert.equal(folded, 'grusse 👍 a');
    assert.equal(origin.length, folded.length + 1);
    assert.equal(text[origin[folded.indexOf('a')]!], 'à');
  });
});

describe('searchMessages', () => {
  const chats = {
    'bob@example.com': [msg('bob@example.com', 'Lunch at the Café Müller?', 1_000), msg('bob@example.com', 'see you', 2_000)],
    'carol@example.com': [msg('carol@example.com', 'The cafe is closed, LUNCH elsewhere', 3_000), msg('carol@example.com', 'lunch', 500, { direction: 'notice' })],
  };

  test('finds every message with all the words, in every chat, newest first', () => {
    const { hits, more } = searchMessages([source('a1', chats)], 'lunch CAFE');
    assert.deepEqual(
      hits.map((h) => [h.accountId, h.peer, h.timestamp]),
      [
        ['a1', 'carol@example.com', 3_000],
        ['a1', 'bob@example.com', 1_000],
      ],
    );
    assert.equal(more, false);
    assert.deepEqual(highlighted(hits[1]!), ['Lunch', 'Café']);
    assert.deepEqual(highlighted(hits[0]!), ['cafe', 'LUNCH']);
  });

  test('notices are not searched; a word missing anywhere means no hit', () => {
    assert.equal(searchMessages([source('a1', chats)], 'closed lunch').hits.length, 1);
    assert.equal(searchMessages([source('a1', chats)], 'lunch dinner').hits.length, 0);
    assert.equal(searchMessages([source('a1', chats)], '   ').hits.length, 0);
  });

  test('several accounts are searched, each hit says whose', () => {
    const { hits } = searchMessages([source('a1', chats), source('a2', { 'bob@example.com': [msg('bob@example.com', 'lunch café tomorrow', 4_000)] })], 'cafe');
    assert.deepEqual(hits.map((h) => h.accountId), ['a2', 'a1', 'a1']);
  });

  test('bounded: at most `limit` (and never more than the maximum), the newest, with `more` set', () => {
    const many = Array.from({ length: 500 }, (_, i) => msg('bob@example.com', `report ${i}`, i));
    // Spread over chats whose times interleave, as several chats' messages do.
    const split = { 'bob@example.com': many.filter((_, i) => i % 3 === 0), 'carol@example.com': many.filter((_, i) => i % 3 !== 0) };
    const five = searchMessages([source('a1', split)], 'report', 5);
    assert.deepEqual(five.hits.map((h) => h.timestamp), [499, 498, 497, 496, 495]);
    assert.equal(five.more, true);
    assert.equal(searchMessages([source('a1', { 'bob@example.com': many })], 'report', 10_000).hits.length, MAX_LIMIT);
    assert.equal(searchMessages([source('a1', { 'bob@example.com': many })], 'report 499', 5).more, false);
  });

  test('a long message gives a short snippet around the match, with ellipses', () => {
    const body = `${'lorem ipsum '.repeat(40)}the needle is here ${'dolor sit '.repeat(40)}`;
    const { snippet, highlights } = snippetOf(body, queryWords('needle'));
    assert.ok(snippet.length <= 122, `snippet of ${snippet.length}`);
    assert.ok(snippet.startsWith('…') && snippet.endsWith('…'));
    assert.deepEqual(highlights.map(([a, b]) => snippet.slice(a, b)), ['needle']);
  });

  test('hostile text is just text: markup, regex characters, line breaks, huge queries', () => {
    const weird = msg('eve@example.com', '<img src=x onerror=alert(1)> (.*)+ [a-z]\nnext line', 10);
    const chatsW = { 'eve@example.com': [weird] };
    assert.equal(searchMessages([source('a1', chatsW)], '(.*)+').hits.length, 1);
    assert.equal(searchMessages([source('a1', chatsW)], '.*').hits.length, 1);
    assert.equal(searchMessages([source('a1', chatsW)], 'a.z').hits.length, 0, 'no regular expressions');
    const hit = searchMessages([source('a1', chatsW)], 'onerror next').hits[0]!;
    assert.ok(!hit.snippet.includes('\n'), 'line breaks become spaces');
    assert.deepEqual(highlighted(hit), ['onerror', 'next']);
    assert.equal(searchMessages([source('a1', chatsW)], 'x'.repeat(100_000)).hits.length, 0);
  });

  test('100,000 messages in 100 chats: the few that match are found (speed is for the benchmark)', () => {
    const words = ['meeting', 'budget', 'Grüße', 'release', 'coffee', 'deploy', 'Übergabe', 'report'];
    const big: Record<string, ChatMessage[]> = {};
    for (let c = 0; c < 100; c++) {
      big[`peer${c}@example.com`] = Array.from({ length: 1_000 }, (_, i) =>
        msg(`peer${c}@example.com`, `Message ${i} about the ${words[(c + i) % words.length]} and more text to read`, c * 1_000 + i),
      );
    }
    const sources = [source('a1', big)];
    const { hits, more } = searchMessages(sources, 'ubergabe 999');
    // "Message 999 about the Übergabe": chat c's message 999 has word (c + 999) % 8 = 6, i.e. c % 8 = 7.
    assert.deepEqual(hits.map((h) => h.peer).sort(), Array.from({ length: 100 }, (_, c) => c).filter((c) => c % 8 === 7).map((c) => `peer${c}@example.com`).sort());
    assert.ok(hits.every((h) => /Message 999 about the Übergabe/.test(h.snippet)));
    assert.equal(more, false);
  });
});
