/**
 * OTR plaintext signalling: query messages, whitespace tags, error messages
 * and "?OTR:<base64>." encoded messages (Protocol-v3 "OTR messages").
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_ENCODED_CHARS,
  WHITESPACE_TAG_BASE,
  WHITESPACE_TAG_V1,
  WHITESPACE_TAG_V2,
  WHITESPACE_TAG_V3,
  buildErrorMessage,
  buildQueryMessage,
  buildWhitespaceTag,
  classifyMessage,
  decodeOtrMessage,
  encodeOtrMessage,
  findWhitespaceTag,
  stripWhitespaceTag,
} from '../../electron/core/otr/encoding.js';
import { OtrParseError } from '../../electron/core/otr/wire.js';

function queryOf(text: string): { versions: number[]; v1: boolean } {
  const c = classifyMessage(text);
  assert.equal(c.kind, 'query', `${JSON.stringify(text)} should be a query`);
  if (c.kind !== 'query') throw new Error('unreachable');
  return { versions: [...c.offer.versions].sort(), v1: c.offer.v1 };
}

describe('query messages', () => {
  test('we offer v2 and v3 as libotr does, with its explanation', () => {
    const q = buildQueryMessage([2, 3], 'alice@example.org');
    assert.ok(q.startsWith('?OTRv23?\n'));
    assert.match(q, /alice@example\.org has requested an Off-the-Record private conversation\. {2}However, you do not have a plugin to support that\./);
    assert.match(q, /See https:\/\/otr\.cypherpunks\.ca\/ for more information\.$/);
    assert.ok(buildQueryMessage([3]).startsWith('?OTRv3?\nYou have been requested to join'));
    const html = buildQueryMessage([2, 3], 'bob', { html: true });
    assert.equal(
      html,
      '?OTRv23?\n<b>bob</b> has requested an <a href="https://otr.cypherpunks.ca/">Off-the-Record private conversation</a>.  However, you do not have a plugin to support that.\nSee <a href="https://otr.cypherpunks.ca/">https://otr.cypherpunks.ca/</a> for more information.',
    );
  });

  test('the spec examples parse to the offered versions', () => {
    assert.deepEqual(queryOf('?OTR?'), { versions: [], v1: true });
    assert.deepEqual(queryOf('?OTRv2?'), { versions: [2], v1: false });
    assert.deepEqual(queryOf('?OTRv23?'), { versions: [2, 3], v1: false });
    assert.deepEqual(queryOf('?OTR?v2?'), { versions: [2], v1: true });
    assert.deepEqual(queryOf('?OTRv24x?'), { versions: [2], v1: false });
    assert.deepEqual(queryOf('?OTR?v24x?'), { versions: [2], v1: true });
    assert.deepEqual(queryOf('?OTR?v?'), { versions: [], v1: true });
    assert.deepEqual(queryOf('?OTRv?'), { versions: [], v1: false });
    assert.deepEqual(queryOf('?OTRv32?'), { versions: [2, 3], v1: false });
  });

  test('a query may be embedded in other text and followed by the explanation', () => {
    assert.deepEqual(queryOf('<p>hello ?OTRv3?\nAlice has requested …</p>'), { versions: [3], v1: false });
    assert.deepEqual(queryOf(buildQueryMessage([2, 3], 'alice')), { versions: [2, 3], v1: false });
  });

  test('"?OTR" not followed by "?" or "v" is ordinary text', () => {
    assert.deepEqual(classifyMessage('what does ?OTRx mean'), { kind: 'plaintext', text: 'what does ?OTRx mean' });
    assert.equal(classifyMessage('?OTR').kind, 'plaintext');
  });
});

describe('whitespace tags', () => {
  test('libotr byte values', () => {
    assert.equal(WHITESPACE_TAG_BASE, '\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20');
    assert.equal(WHITESPACE_TAG_V1, '\x20\x09\x20\x09\x20\x20\x09\x20');
    assert.equal(WHITESPACE_TAG_V2, '\x20\x20\x09\x09\x20\x20\x09\x20');
    assert.equal(WHITESPACE_TAG_V3, '\x20\x20\x09\x09\x20\x20\x09\x09');
    assert.equal(buildWhitespaceTag([2, 3]), WHITESPACE_TAG_BASE + WHITESPACE_TAG_V2 + WHITESPACE_TAG_V3);
    assert.equal(buildWhitespaceTag([3]), WHITESPACE_TAG_BASE + WHITESPACE_TAG_V3);
  });

  test('a tagged message is detected and the tag stripped from the shown text', () => {
    const sent = `Hello there${buildWhitespaceTag([2, 3])}`;
    const c = classifyMessage(sent);
    assert.equal(c.kind, 'tagged');
    if (c.kind !== 'tagged') return;
    assert.equal(c.text, 'Hello there');
    assert.deepEqual([...c.versions].sort(), [2, 3]);
    assert.equal(c.v1, false);
  });

  test('the tag may sit anywhere; unknown 8-char groups are consumed, v1 noted', () => {
    const unknown = '\t\t\t\t\t\t\t\t';
    const text = `a${WHITESPACE_TAG_BASE}${WHITESPACE_TAG_V1}${unknown}${WHITESPACE_TAG_V3}b c`;
    const tag = findWhitespaceTag(text);
    assert.ok(tag);
    assert.equal(tag.start, 1);
    assert.equal(tag.end, text.length - 3);
    assert.deepEqual([...tag.versions], [3]);
    assert.equal(tag.v1, true);
    assert.equal(stripWhitespaceTag(text), 'ab c');
  });

  test('a base tag without version groups is still stripped (offers nothing)', () => {
    const c = classifyMessage(`hi${WHITESPACE_TAG_BASE}`);
    assert.equal(c.kind, 'tagged');
    if (c.kind === 'tagged') {
      assert.equal(c.text, 'hi');
      assert.equal(c.versions.size, 0);
    }
  });

  test('ordinary whitespace is not a tag', () => {
    assert.deepEqual(classifyMessage('a \t b\t\t  c'), { kind: 'plaintext', text: 'a \t b\t\t  c' });
    assert.equal(stripWhitespaceTag('no tag'), 'no tag');
  });
});

describe('error messages', () => {
  test('build and detect', () => {
    assert.equal(buildErrorMessage('You transmitted an unreadable encrypted message.'), '?OTR Error: You transmitted an unreadable encrypted message.');
    assert.deepEqual(classifyMessage('?OTR Error: You transmitted an unreadable encrypted message.'), {
      kind: 'error',
      message: 'You transmitted an unreadable encrypted message.',
    });
    assert.deepEqual(classifyMessage('prefix ?OTR Error:no space'), { kind: 'error', message: 'no space' });
  });
});

describe('encoded messages', () => {
  test('round trip', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const text = encodeOtrMessage(bytes);
    assert.ok(text.startsWith('?OTR:AAc'));
    assert.ok(text.endsWith('.'));
    assert.deepEqual(decodeOtrMessage(text), bytes);
    assert.equal(classifyMessage(text).kind, 'encoded');
    // Text around the message is ignored, like libotr's strstr.
    assert.deepEqual(decodeOtrMessage(`junk ${text} trailing`), bytes);
  });

  test('the spec example decodes to a v3 data message', () => {
    const example =
      '?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hbrL3KAbGDdzE2ZkMyTKl7XfkSxh8YJnudstiB74i4BzT0W2haClg6dMary/jo9sMudwmUdlnKpIGEKXWdvJKT+hQ26h9nzMgEditLB8vjPEWAJ6gBXvZrY6ZQrx3gb4v0UaSMOMiR5sB7Eaulb2Yc6RmRnnlxgUUC2alosg4WIeFN951PLjScajVba6dqlDi+q1H5tPvI5SWMN7PCBWIJ41+WvF+5IAZzQZYgNaVLbAAAAAAAAAAEAAAAHwNiIi5Ms+4PsY/L2ipkTtquknfx6HodLvk3RAAAAAA==.';
    const bytes = decodeOtrMessage(example);
    assert.deepEqual([...bytes.subarray(0, 3)], [0, 3, 3]);
  });

  test('garbage is rejected with a clear error', () => {
    const bad = ['?OTR:AAMD', '?OTR:.', '?OTR:AAM*.', '?OTR:AAMDx.', '?OTR:AA=D.', '?OTR:AAMD===.', '?OTR:AB==.', 'no otr here'];
    for (const text of bad) {
      assert.throws(() => decodeOtrMessage(text), OtrParseError, text);
    }
    assert.throws(() => decodeOtrMessage('?OTR:AAMD'), /closing "\."/);
    assert.throws(() => decodeOtrMessage('?OTR:AAM*.'), /not valid base64/);
  });

  test('size is bounded', () => {
    const huge = `?OTR:${'A'.repeat(MAX_ENCODED_CHARS)}.`;
    assert.throws(() => decodeOtrMessage(huge), /too long/);
  });
});
