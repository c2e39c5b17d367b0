/**
 * The arithmetic of a virtualized list, without DOM or React (tested in plain
 * Node): where each row starts, which rows a viewport shows, and where to
 * scroll so a row is in view or so the row the user was reading stays put.
 *
 * Rows have their measured height once they were on screen and an estimate
 * before; `offsets[i]` is the top of row i and `offsets[count]` the total height.
 */

/**
 * Row indexes by key, looked up a key at a time (the scroll anchor, focus): the first lookup scans,
 * the second builds a map of every key. A filter keystroke makes one lookup in a new list of
 * thousands of rows; a map per keystroke would cost more than that scan.
 */
export class KeyIndex {
  private byKey: Map<string, number> | undefined;
  private scanned = false;
  constructor(private readonly keys: readonly string[]) {}

  get(key: string): number | undefined {
    if (!this.scanned) {
      this.scanned = true;
      const i = this.keys.indexOf(key);
      return i === -1 ? undefined : i;
    }
    if (!this.byKey) {
      this.byKey = new Map();
      this.keys.forEach((k, i) => this.byKey!.set(k, i));
    }
    return this.byKey.get(key);
  }
}

/** Top of every row and, at the end, the total height (length count + 1). */
export function prefixOffsets(count: number, heightAt: (index: number) => number): Float64Array {
  const offsets = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + Math.max(0, heightAt(i));
  return offsets;
}

/** The row at vertical position y (the last row whose top is at or above y), clamped to the rows that exist. */
export function indexAtOffset(offsets: Float64Array, y: number): number {
  const count = offsets.length - 1;
  if (count <= 0) return 0;
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export type Range = { start: number; end: number };

/**
 * The rows [start, end) that intersect the viewport [top, top + height), widened by
 * `overscan` pixels on each side so a fast scroll does not show blank space.
 */
export function visibleRange(offsets: Float64Array, top: number, height: number, overscan: number): Range {
  const count = offsets.length - 1;
  if (count <= 0) return { start: 0, end: 0 };
  const start = indexAtOffset(offsets, Math.max(0, top - overscan));
  const last = indexAtOffset(offsets, top + height + overscan);
  // A row that starts exactly at the bottom edge is not visible.
  const end = Math.min(count, last + 1);
  return { start, end: Math.max(start + 1, end) };
}

/** The scroll position that brings row `index` fully into the viewport, moving as little as possible. */
export function scrollTopToReveal(offsets: Float64Array, index: number, scrollTop: number, viewport: number): number {
  const top = offsets[index] ?? 0;
  const bottom = offsets[index + 1] ?? top;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport) return Math.max(0, bottom - viewport);
  return scrollTop;
}

/** What keeps the user's place when rows above change: a row and how far its top was above the viewport's top. */
export type Anchor = { key: string; delta: number };

export function anchorAt(offsets: Float64Array, keyAt: (index: number) => string, scrollTop: number): Anchor | null {
  if (offsets.length <= 1) return null;
  const index = indexAtOffset(offsets, scrollTop);
  return { key: keyAt(index), delta: offsets[index]! - scrollTop };
}

/**
 * The scroll position that puts the anchor row back where it was after rows were
 * inserted or resized above it (e.g. older messages loaded); null if the row is gone.
 */
export function scrollTopForAnchor(offsets: Float64Array, indexOfKey: (key: string) => number | undefined, anchor: Anchor): number | null {
  const index = indexOfKey(anchor.key);
  if (index === undefined) return null;
  return Math.max(0, offsets[index]! - anchor.delta);
}
