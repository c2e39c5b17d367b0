/**
 * The search panel's line when nothing is found: where private messages were not kept (the message
 * may be on screen), it says they cannot be searched instead of "No message contains …".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogFor } from '../../shared/i18n/catalog';
import { searchStatusText } from '../../renderer/search';

const en = catalogFor('en').search;
const de = catalogFor('de').search;
const bobChat = { accountId: 'a1', peer: 'bob@example.com' };

test('nothing found in a chat with private messages not kept: says so, not "No message contains"', () => {
  const result = { query: 'lunch', hits: [], more: false, unkept: [{ ...bobChat, count: 3 }] };
  const text = searchStatusText(en, result, bobChat);
  assert.equal(text, '3 private messages in this chat were not kept and cannot be searched.');
  assert.doesNotMatch(text, /No message contains/);
  assert.equal(searchStatusText(en, { ...result, unkept: [{ ...bobChat, count: 1 }] }, bobChat), '1 private message in this chat was not kept and cannot be searched.');
  assert.match(searchStatusText(de, result, bobChat), /^3 private Nachrichten in diesem Chat wurden nicht aufbewahrt/);
});

test('another chat open: nothing found says so, and how many private messages elsewhere could not be searched', () => {
  const result = { query: 'lunch', hits: [], more: false, unkept: [{ ...bobChat, count: 2 }] };
  assert.equal(
    searchStatusText(en, result, { accountId: 'a1', peer: 'carol@example.com' }),
    'No message contains “lunch”. 2 private messages were not kept and cannot be searched.',
  );
  assert.equal(searchStatusText(en, { query: 'lunch', hits: [], more: false }, bobChat), 'No message contains “lunch”.');
});

test('results found: their count, as before', () => {
  const hit = { accountId: 'a1', peer: 'bob@example.com', id: 'm1', direction: 'in' as const, timestamp: 1, snippet: 'lunch', highlights: [] };
  assert.equal(searchStatusText(en, { query: 'lunch', hits: [hit], more: false, unkept: [{ ...bobChat, count: 2 }] }, bobChat), '1 message');
});
