/** The virtual list's arithmetic (renderer/components/virtualRange.ts) in plain Node. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  anchorAt,
  indexAtOffset,
  KeyIndex,
  prefixOffsets,
  scrollTopForAnchor,
  scrollTopToReveal,
  visibleRange,
} from '../../renderer/components/virtualRange';

describe('virtual list range math', () => {
  // Rows of 10, 20, 30, 40 px: tops 0, 10, 30, 60; total 100.
  const offsets = prefixOffsets(4, (i) => (i + 1) * 10);

  test('offsets are the running sum of the heights, the total last', () => {
    assert.deepEqual([...offsets], [0, 10, 30, 60, 100]);
    assert.deepEqual([...prefixOffsets(0, () => 10)], [0]);
    assert.deepEqual([...prefixOffsets(2, () => -5)], [0, 0, 0], 'a negative height counts as none');
  });

  test('the row at a position: the last row starting at or above it, clamped', () => {
    assert.equal(indexAtOffset(offsets, 0), 0);
    assert.equal(indexAtOffset(offsets, 9.9), 0);
    assert.equal(indexAtOffset(offsets, 10), 1);
    assert.equal(indexAtOffset(offsets, 59), 2);
    assert.equal(indexAtOffset(offsets, 60), 3);
    assert.equal(indexAtOffset(offsets, 1_000), 3);
    assert.equal(indexAtOffset(offsets, -50), 0);
  });

  test('the visible rows, with and without overscan', () => {
    assert.deepEqual(visibleRange(offsets, 0, 25, 0), { start: 0, end: 2 });
    assert.deepEqual(visibleRange(offsets, 35, 10, 0), { start: 2, end: 3 });
    assert.deepEqual(visibleRange(offsets, 35, 10, 30), { start: 0, end: 4 });
    assert.deepEqual(visibleRange(offsets, 95, 500, 0), { start: 3, end: 4 });
    assert.deepEqual(visibleRange(prefixOffsets(0, () => 1), 0, 100, 10), { start: 0, end: 0 });
  });

  test('a long list shows a bounded window wherever it is scrolled', () => {
    const many = prefixOffsets(100_000, (i) => 40 + (i % 3) * 20);
    for (const top of [0, 1_234_567, many[100_000]! - 700]) {
      const { start, end } = visibleRange(many, top, 700, 400);
      assert.ok(end - start <= Math.ceil((700 + 800) / 40) + 2, `rows at ${top}: ${end - start}`);
      assert.ok(many[start]! <= Math.max(0, top - 400) && many[end]! >= Math.min(many[100_000]!, top + 700));
    }
  });

  test('revealing a row scrolls as little as possible', () => {
    assert.equal(scrollTopToReveal(offsets, 1, 0, 50), 0, 'already in view');
    assert.equal(scrollTopToReveal(offsets, 3, 0, 50), 50, 'below: its bottom at the viewport bottom');
    assert.equal(scrollTopToReveal(offsets, 0, 40, 50), 0, 'above: its top at the viewport top');
  });

  test('an anchor keeps the row being read in place when rows are prepended above it', () => {
    const keys = ['a', 'b', 'c', 'd'];
    const anchor = anchorAt(offsets, (i) => keys[i]!, 35);
    assert.deepEqual(anchor, { key: 'c', delta: -5 });
    // Two older rows of 50 px come first: "c" moves down by 100, and so does the scroll position.
    const after = prefixOffsets(6, (i) => (i < 2 ? 50 : (i - 1) * 10));
    const newKeys = ['y', 'z', ...keys];
    const top = scrollTopForAnchor(after, (k) => newKeys.indexOf(k), anchor!);
    assert.equal(top, 135);
    assert.equal(scrollTopForAnchor(after, () => undefined, anchor!), null, 'a row that is gone anchors nothing');
    assert.equal(anchorAt(prefixOffsets(0, () => 1), () => 'x', 0), null);
  });
});

describe('row indexes by key', () => {
  test('the first lookup (a scan) and later ones (a map) give the same answers', () => {
    const index = new KeyIndex(['a', 'b', 'c']);
    assert.equal(index.get('c'), 2);
    assert.equal(index.get('a'), 0);
    assert.equal(index.get('b'), 1);
    assert.equal(index.get('z'), undefined);
    assert.equal(new KeyIndex(['a']).get('z'), undefined, 'a missing key on the first lookup');
    assert.equal(new KeyIndex([]).get('a'), undefined);
  });
});
