/**
 * A list that puts only the rows in (and near) the viewport into the DOM, so a
 * roster of 5,000 contacts or a chat of thousands of messages costs about as
 * much as one screenful. Rows may have any height: each is measured once shown
 * (and again when it resizes) and estimated before.
 *
 * What it keeps right:
 * - Place: when rows above the viewport change (older messages prepended,
 *   measured heights replacing estimates), the row the user was reading stays
 *   where it was on screen.
 * - Following the newest (`stickToBottom`): while the user is at the bottom,
 *   new or growing rows keep the view at the bottom.
 * - Focus and screen readers: the list is a real <ul>/<ol> whose items say
 *   their place (aria-posinset of aria-setsize); the row holding focus stays in
 *   the DOM while scrolled away, and `focusItem` scrolls a row in and focuses it.
 */
import {
  forwardRef,
  useCallback,
  useImperativeHandle,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type Ref,
} from 'react';
import { anchorAt, KeyIndex, prefixOffsets, scrollTopForAnchor, scrollTopToReveal, visibleRange, type Anchor } from './virtualRange';

export type VirtualListHandle = {
  /** Scrolls row `index` into view and focuses the first element in it that matches `selector`. */
  focusItem(index: number, selector: string): void;
  /** Shows the last row and follows new ones (with `stickToBottom`). */
  scrollToBottom(): void;
  /** Scrolls row `index` to the middle of the viewport (stops following the bottom). */
  scrollToIndex(index: number): void;
};

type Props = {
  count: number;
  /** A stable key per row (React key, measured-height cache, scroll anchor). */
  itemKey: (index: number) => string;
  /** A guess for a row not measured yet. */
  estimateHeight: (index: number) => number;
  /**
   * Rows of one class have the same height (e.g. a roster's group headings, contacts with one line):
   * a row not measured yet is given the height last measured for its class, and only the estimate before that.
   */
  heightClass?: (index: number) => string;
  renderItem: (index: number) => ReactNode;
  /** Attributes for the <li> of a row (class, test ids, data-*). */
  itemProps?: (index: number) => Record<string, string | undefined>;
  /** The scrolling element's class, role and label. */
  className: string;
  role?: string;
  ariaLabel?: string;
  testId?: string;
  /** 0 makes the scroller itself focusable, so the keyboard can scroll it where no row has a control in view. */
  tabIndex?: number;
  listTag?: 'ul' | 'ol';
  listClassName?: string;
  listLabel?: string;
  /** Pixels rendered beyond each edge of the viewport. */
  overscan?: number;
  /** Keep the view at the bottom while the user is there (a conversation). */
  stickToBottom?: boolean;
  /** Called when the user scrolled near the top (load older rows); again after rows were added or they left and came back. */
  onReachTop?: () => void;
  onKeyDown?: (e: KeyboardEvent<HTMLElement>) => void;
  /** Shown in the scroller above the rows (e.g. "Load older messages"); the rows are placed below it. */
  header?: ReactNode;
};

/** How close to the bottom (px) still counts as "reading the newest". */
const STICK_THRESHOLD = 48;
/** How close to the top (px) asks for older rows. */
const TOP_THRESHOLD = 200;
/** Until the scroller was measured: enough rows for a tall window. */
const DEFAULT_VIEWPORT = 1200;

function VirtualListInner(props: Props, ref: Ref<VirtualListHandle>) {
  const { count, itemKey, estimateHeight, heightClass, renderItem, itemProps, overscan = 400, stickToBottom = false, onReachTop } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLUListElement & HTMLOListElement>(null);
  /** Measured heights by row key: survive re-renders, filtering and rows moving (a cache: `heightsVersion` says when it changed). */
  const [heights] = useState(() => new Map<string, number>());
  /** The height last measured per `heightClass` (a cache like `heights`). */
  const [classHeights] = useState(() => new Map<string, number>());
  const [heightsVersion, setHeightsVersion] = useState(0);
  const [viewport, setViewport] = useState({ top: 0, height: DEFAULT_VIEWPORT });
  const stuck = useRef(stickToBottom);
  const anchor = useRef<Anchor | null>(null);
  /** The row holding focus, and the row `focusItem` is about to focus once it is rendered. */
  const [focusedKey, setFocusedKey] = useState<string | null>(null);
  const [pendingFocus, setPendingFocus] = useState<{ key: string; selector: string } | null>(null);
  const topAsked = useRef(false);
  const observer = useRef<ResizeObserver | null>(null);
  /** The rows `observer` watches (besides the scroller). */
  const observed = useRef(new Set<Element>());
  /** Distance from the scroller's top to the list's top (the scroller's padding, anything above the list). */
  const [listTop, setListTop] = useState(0);

  const layout = useMemo(() => {
    const keys: string[] = new Array<string>(count);
    for (let i = 0; i < count; i++) keys[i] = itemKey(i);
    const guess = (i: number) => {
      const learned = heightClass && classHeights.get(heightClass(i));
      return learned || estimateHeight(i);
    };
    const offsets = prefixOffsets(count, (i) => heights.get(keys[i]!) ?? guess(i));
    const indexOf = new KeyIndex(keys);
    /** The height row i was laid out with. */
    const usedHeight = (i: number) => offsets[i + 1]! - offsets[i]!;
    return { keys, indexOf, offsets, usedHeight };
    // heightsVersion: recompute when a measurement changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [count, itemKey, estimateHeight, heightClass, heights, classHeights, heightsVersion]);

  const range = visibleRange(layout.offsets, viewport.top - listTop, viewport.height, overscan);
  const indexes: number[] = [];
  for (let i = range.start; i < range.end; i++) indexes.push(i);
  // The row with focus stays mounted, wherever it is: unmounting it would drop focus to <body>.
  const focusIndex = focusedKey === null ? undefined : layout.indexOf.get(focusedKey);
  if (focusIndex !== undefined && (focusIndex < range.start || focusIndex >= range.end)) indexes.push(focusIndex);
  const pendingIndex = pendingFocus ? layout.indexOf.get(pendingFocus.key) : undefined;
  if (pendingIndex !== undefined && !indexes.includes(pendingIndex)) indexes.push(pendingIndex);

  const readViewport = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    setViewport((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
  }, []);

  // After every render: measure what is shown, then put the scroll position where it belongs.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    const list = listRef.current;
    if (!el || !list) return;
    if (list.offsetTop !== listTop) {
      setListTop(list.offsetTop);
      return;
    }
    // A row measured as tall as it was laid out changes nothing: no second render (a filter keystroke shows new rows at their class's height).
    let changed = false;
    const children = Array.from(list.children) as HTMLElement[];
    for (const child of children) {
      const key = child.dataset.key;
      if (key === undefined) continue;
      const h = child.offsetHeight;
      if (h <= 0) continue;
      const index = Number(child.dataset.index);
      if (heightClass) classHeights.set(heightClass(index), h);
      if (heights.get(key) !== h) {
        heights.set(key, h);
        if (layout.keys[index] !== key || layout.usedHeight(index) !== h) changed = true;
      }
    }
    if (changed) {
      setHeightsVersion((v) => v + 1); // re-renders before paint; this effect runs again with the new layout
      return;
    }
    // Watch the rows that came in, let go of those that left (observing starts with a callback per row).
    const watch = observer.current;
    if (watch) {
      const shown = new Set<Element>(children);
      for (const row of observed.current) if (!shown.has(row)) watch.unobserve(row);
      for (const row of children) if (!observed.current.has(row)) watch.observe(row);
      observed.current = shown;
    }
    if (stickToBottom && stuck.current) {
      el.scrollTop = el.scrollHeight;
    } else if (anchor.current) {
      const top = scrollTopForAnchor(layout.offsets, (k) => layout.indexOf.get(k), anchor.current);
      if (top !== null && Math.abs(el.scrollTop - listTop - top) >= 1) el.scrollTop = top + listTop;
    }
    anchor.current = anchorAt(layout.offsets, (i) => layout.keys[i]!, Math.max(0, el.scrollTop - listTop));
    if (pendingFocus) {
      const target = list.querySelector<HTMLElement>(`:scope > [data-key="${CSS.escape(pendingFocus.key)}"] ${pendingFocus.selector}`);
      if (target) {
        setPendingFocus(null);
        target.focus({ preventScroll: true });
      }
    }
    readViewport();
  }, [layout, range.start, range.end, renderItem, stickToBottom, listTop, heights, classHeights, heightClass, pendingFocus, focusedKey, readViewport]);

  // Rows change size after they were measured (a picture loads, the window narrows): watch the scroller and the rows shown.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const watch = new ResizeObserver((entries) => {
      readViewport();
      for (const entry of entries) {
        const key = (entry.target as HTMLElement).dataset.key;
        const h = (entry.target as HTMLElement).offsetHeight;
        if (key !== undefined && h > 0 && heights.get(key) !== h) {
          setHeightsVersion((v) => v + 1);
          return;
        }
      }
    });
    watch.observe(el);
    observer.current = watch;
    observed.current = new Set();
    return () => {
      watch.disconnect();
      observer.current = null;
    };
  }, [readViewport, heights]);

  // New rows (older ones prepended): the top may be asked for again.
  useLayoutEffect(() => {
    topAsked.current = false;
  }, [count]);

  function onScroll() {
    const el = scrollRef.current;
    if (!el) return;
    stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD;
    anchor.current = anchorAt(layout.offsets, (i) => layout.keys[i]!, Math.max(0, el.scrollTop - listTop));
    readViewport();
    if (el.scrollTop < TOP_THRESHOLD) {
      if (!topAsked.current && onReachTop && count > 0) {
        topAsked.current = true;
        onReachTop();
      }
    } else topAsked.current = false;
  }

  useImperativeHandle(
    ref,
    () => ({
      focusItem(index, selector) {
        const el = scrollRef.current;
        const key = layout.keys[index];
        if (!el || key === undefined) return;
        const top = scrollTopToReveal(layout.offsets, index, el.scrollTop - listTop, el.clientHeight);
        el.scrollTop = top + listTop;
        stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD;
        anchor.current = anchorAt(layout.offsets, (i) => layout.keys[i]!, top);
        readViewport();
        const shown = listRef.current?.querySelector<HTMLElement>(`:scope > [data-key="${CSS.escape(key)}"] ${selector}`);
        if (shown) shown.focus({ preventScroll: true });
        else setPendingFocus({ key, selector }); // rendered (and focused) by the next layout pass
      },
      scrollToIndex(index) {
        const el = scrollRef.current;
        const top = layout.offsets[index];
        if (!el || top === undefined || index >= count) return;
        const height = (layout.offsets[index + 1] ?? top) - top;
        const target = Math.max(0, top - (el.clientHeight - height) / 2);
        el.scrollTop = target + listTop;
        stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD;
        anchor.current = anchorAt(layout.offsets, (i) => layout.keys[i]!, Math.max(0, el.scrollTop - listTop));
        readViewport();
      },
      scrollToBottom() {
        const el = scrollRef.current;
        stuck.current = true;
        if (!el) return;
        el.scrollTop = el.scrollHeight;
        readViewport();
      },
    }),
    [layout, readViewport, listTop, count],
  );

  const ListTag = props.listTag ?? 'ul';
  const total = layout.offsets[count] ?? 0;
  return (
    <div
      ref={scrollRef}
      className={props.className}
      role={props.role}
      aria-label={props.ariaLabel}
      data-testid={props.testId}
      tabIndex={props.tabIndex}
      onScroll={onScroll}
      onKeyDown={props.onKeyDown}
      onFocus={(e) => {
        const row = (e.target as HTMLElement).closest<HTMLElement>('[data-key]');
        setFocusedKey(row?.dataset.key ?? null);
      }}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocusedKey(null);
      }}
    >
      {props.header}
      <ListTag ref={listRef} className={`virtual-list ${props.listClassName ?? ''}`} aria-label={props.listLabel} style={{ height: total }}>
        {indexes.map((i) => {
          const key = layout.keys[i]!;
          return (
            <li
              key={key}
              {...itemProps?.(i)}
              className={`virtual-item ${itemProps?.(i).className ?? ''}`}
              data-key={key}
              data-index={i}
              aria-posinset={i + 1}
              aria-setsize={count}
              style={{ transform: `translateY(${layout.offsets[i]}px)` }}
            >
              {renderItem(i)}
            </li>
          );
        })}
      </ListTag>
    </div>
  );
}

export const VirtualList = forwardRef(VirtualListInner);
