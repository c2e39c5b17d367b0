/**
 * A text longer than one message may carry (65,536 characters) is sent as several messages, as
 * Signal users expect, instead of being cut off without a word by the message box.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MESSAGE_CHARS, splitMessage } from '../../renderer/forms';

test('a text within the limit stays one message', () => {
  assert.deepEqual(splitMessage('hello'), ['hello']);
  const full = 'x'.repeat(MAX_MESSAGE_CHARS);
  assert.deepEqual(splitMessage(full), [full]);
});

test('a longer text becomes several messages, each within the limit, nothing lost, in order', () => {
  const words = Array.from({ length: 30_000 }, (_, i) => `word${i}`).join(' '); // ~ 200,000 characters
  const parts = splitMessage(words);
  assert.ok(parts.length >= 3, `${parts.length} parts`);
  for (const part of parts) assert.ok(part.length <= MAX_MESSAGE_CHARS && part.length > 0);
  assert.equal(parts.join(''), words);
  // Cut between words, not inside one.
  for (const part of parts.slice(0, -1)) assert.ok(part.endsWith(' '), 'cut after a space');
});

test('cut after a line break where there is one; never inside a surrogate pair', () => {
  const lines = `${'a'.repeat(40)}\n${'b'.repeat(40)}\n${'c'.repeat(40)}`;
  assert.deepEqual(splitMessage(lines, 50), [`${'a'.repeat(40)}\n`, `${'b'.repeat(40)}\n`, 'c'.repeat(40)]);
  const emoji = '😀'.repeat(30); // 60 UTF-16 units, no spaces
  const parts = splitMessage(emoji, 11);
  assert.equal(parts.join(''), emoji);
  for (const part of parts) assert.ok(!/[\ud800-\udbff]$/.test(part) && !/^[\udc00-\udfff]/.test(part), 'a pair split');
});
