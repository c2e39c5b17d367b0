/**
 * What the roster shows: contacts filtered by what the user types (name or
 * address), in collapsible groups, contacts without a group in a default
 * section. Pure and memoized, so typing filters thousands of contacts in the
 * renderer without re-sorting or asking main anything.
 */
import type { Contact } from '../../shared/contract';
import { displayName } from './transitions';

/** The section of contacts without a group. Its key cannot clash with a group name (no group is named ''). */
export const NO_GROUP = '';
export const NO_GROUP_LABEL = 'Contacts';

export type RosterSection = {
  /** The group name, or NO_GROUP. */
  key: string;
  label: string;
  contacts: Contact[];
  /** How many contacts of this section match (all of them without a filter). */
  total: number;
  collapsed: boolean;
};

/** Folds case and accents, so "jose" finds "José". */
export function foldForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

// One folded text per contact object: contacts are immutable in the store, so it is computed once per change.
const searchKeys = new WeakMap<Contact, string>();
function searchKey(c: Contact): string {
  let key = searchKeys.get(c);
  if (key === undefined) {
    key = foldForSearch(`${displayName(c)}\n${c.jid}`);
    searchKeys.set(c, key);
  }
  return key;
}

/**
 * Folds every contact's search text ahead of time (in idle time after the roster arrived), so the
 * first keystroke in the filter does not fold 5,000 names at once. Returns where it stopped.
 */
export function warmSearchKeys(contacts: readonly Contact[], from: number, budget: { timeRemaining(): number }): number {
  let i = from;
  for (; i < contacts.length && budget.timeRemaining() > 1; i++) searchKey(contacts[i]!);
  return i;
}

/**
 * The folded search text of every contact of one roster array, in its order: built once per roster
 * change (each contact's text is folded once, above), so a keystroke only compares strings.
 */
const searchIndexes = new WeakMap<readonly Contact[], string[]>();
export function searchTexts(contacts: readonly Contact[]): string[] {
  let texts = searchIndexes.get(contacts);
  if (texts === undefined) {
    texts = contacts.map(searchKey);
    searchIndexes.set(contacts, texts);
  }
  return texts;
}

/** The words of a query, folded as the search texts are. */
export function queryWords(query: string): string[] {
  return foldForSearch(query).split(/\s+/).filter(Boolean);
}

/**
 * The indexes of the texts that contain every word, ascending. With `candidates` (ascending indexes),
 * only those are looked at: the matches of a query the new one narrows (see `narrows`).
 */
export function matchIndexes(texts: readonly string[], words: readonly string[], candidates?: readonly number[]): number[] {
  const matches: number[] = [];
  const n = candidates ? candidates.length : texts.length;
  next: for (let j = 0; j < n; j++) {
    const i = candidates ? candidates[j]! : j;
    const text = texts[i]!;
    for (const w of words) if (!text.includes(w)) continue next;
    matches.push(i);
  }
  return matches;
}

/**
 * Whether everything `next` matches was matched by `previous` (both folded): typing on at the end
 * keeps every earlier word whole and only lengthens the last one or adds words, so the new matches
 * are among the old ones and only those need a look.
 */
export function narrows(previous: string, next: string): boolean {
  return next.startsWith(previous);
}

/** Contacts whose name or address contains every word typed, in the given (sorted) order. */
export function filterContacts(contacts: readonly Contact[], query: string): Contact[] {
  const words = queryWords(query);
  if (words.length === 0) return contacts as Contact[];
  return matchIndexes(searchTexts(contacts), words).map((i) => contacts[i]!);
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * Groups in alphabetical order, then the contacts without a group. A contact in
 * two groups shows in both (as in Gajim or Psi: the user put it into each, and
 * looks for it in each); `rosterRows` gives each appearance a key of its own,
 * while unread counts stay per contact (one chat, counted once). While filtering, collapsed groups open (the matches
 * must be visible) and empty sections are left out.
 */
export function rosterSections(contacts: readonly Contact[], query: string, collapsed: readonly string[]): RosterSection[] {
  return sectionsOf(filterContacts(contacts, query), query.trim() !== '', collapsed);
}

function sectionsOf(shown: readonly Contact[], filtering: boolean, collapsed: readonly string[]): RosterSection[] {
  const byGroup = new Map<string, Contact[]>();
  const ungrouped: Contact[] = [];
  const addTo = (g: string, c: Contact) => {
    const list = byGroup.get(g);
    if (list) list.push(c);
    else byGroup.set(g, [c]);
  };
  for (const c of shown) {
    if (c.groups.length === 0) ungrouped.push(c);
    else if (c.groups.length === 1) addTo(c.groups[0]!, c);
    else for (const g of new Set(c.groups)) addTo(g, c);
  }
  const section = (key: string, label: string, list: Contact[]): RosterSection => {
    const isCollapsed = !filtering && collapsed.includes(key);
    return { key, label, contacts: isCollapsed ? [] : list, total: list.length, collapsed: isCollapsed };
  };
  const sections = [...byGroup.keys()].sort(collator.compare).map((g) => section(g, g, byGroup.get(g)!));
  // Without groups at all there is one plain list; with groups, the rest gets a section of its own.
  if (ungrouped.length > 0 || (!filtering && sections.length === 0)) sections.push(section(NO_GROUP, NO_GROUP_LABEL, ungrouped));
  return sections;
}

/** Whether two match lists (null: every contact of `count`) hold the same indexes. */
function sameMatches(a: readonly number[] | null, b: readonly number[] | null, count: number): boolean {
  if (a === b) return true;
  if ((a?.length ?? count) !== (b?.length ?? count)) return false;
  if (a === null || b === null) return true; // the other matched every contact too
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A selector that recomputes only when the roster, the query or the collapsed set changed; while
 * the user types on, it only looks again at what the previous query matched, and a keystroke that
 * matches the same contacts gives the same sections (nothing below re-renders).
 */
export function createRosterSectionsSelector() {
  let last:
    | {
        contacts: readonly Contact[];
        query: string;
        collapsed: readonly string[];
        result: RosterSection[];
        folded: string;
        matches: number[] | null;
        filtering: boolean;
      }
    | undefined;
  return (contacts: readonly Contact[], query: string, collapsed: readonly string[]): RosterSection[] => {
    if (last && last.contacts === contacts && last.query === query && last.collapsed === collapsed) return last.result;
    const folded = foldForSearch(query);
    const words = queryWords(query);
    const filtering = query.trim() !== '';
    let matches: number[] | null = null;
    let shown: readonly Contact[] = contacts;
    if (words.length > 0) {
      const candidates = last && last.contacts === contacts && last.matches && narrows(last.folded, folded) ? last.matches : undefined;
      matches = matchIndexes(searchTexts(contacts), words, candidates);
      shown = matches.map((i) => contacts[i]!);
    }
    // Filtering opens collapsed groups and leaves out empty sections: with nothing collapsed and something shown, it changes nothing else.
    const same =
      last !== undefined &&
      last.contacts === contacts &&
      last.collapsed === collapsed &&
      shown.length > 0 &&
      (last.filtering === filtering || collapsed.length === 0) &&
      sameMatches(last.matches, matches, contacts.length);
    const result = same ? last!.result : sectionsOf(shown, filtering, collapsed);
    last = { contacts, query, collapsed, result, folded, matches, filtering };
    return result;
  };
}

// ---------------------------------------------------------------------------
// Rows of the virtualized roster (roster-scale)

/** One line of the roster as the virtual list shows it: a group's heading or a contact in a group. */
export type RosterRow =
  | { kind: 'group'; key: string; section: RosterSection }
  | { kind: 'contact'; key: string; group: string; contact: Contact };

/** One section of contacts without groups is a plain list, as if there were no groups at all. */
export function showsGroupHeadings(sections: readonly RosterSection[]): boolean {
  return !(sections.length === 1 && sections[0]!.key === NO_GROUP);
}

/**
 * The sections flattened into rows, headings first in each. Keys are unique even
 * for a contact in several groups (group + address), so React, the measured row
 * heights and keyboard focus tell its appearances apart.
 */
export function rosterRows(sections: readonly RosterSection[]): RosterRow[] {
  const headings = showsGroupHeadings(sections);
  const rows: RosterRow[] = [];
  for (const s of sections) {
    if (headings) rows.push({ kind: 'group', key: `g\n${s.key}`, section: s });
    for (const c of s.contacts) rows.push(contactRow(c, s.key));
  }
  return rows;
}

type ContactRowData = Extract<RosterRow, { kind: 'contact' }>;
/**
 * A contact's rows, one per group it shows in, kept while the contact object lives: a keystroke in the
 * filter then reuses the rows (and their keys, whose hashes the virtual list's height cache already knows).
 */
const contactRows = new WeakMap<Contact, ContactRowData[]>();
function contactRow(c: Contact, group: string): ContactRowData {
  const known = contactRows.get(c);
  const hit = known?.find((r) => r.group === group);
  if (hit) return hit;
  const row: ContactRowData = { kind: 'contact', key: `c\n${group}\n${c.jid}`, group, contact: c };
  if (known) known.push(row);
  else contactRows.set(c, [row]);
  return row;
}

/** The row keyboard navigation moves to from `current` (a row index, -1 for none), over contact rows only. */
export function nextContactRow(rows: readonly RosterRow[], current: number, key: 'ArrowDown' | 'ArrowUp' | 'Home' | 'End'): number {
  const contacts: number[] = [];
  rows.forEach((r, i) => r.kind === 'contact' && contacts.push(i));
  if (contacts.length === 0) return -1;
  if (key === 'Home') return contacts[0]!;
  if (key === 'End') return contacts[contacts.length - 1]!;
  if (key === 'ArrowDown') return contacts.find((i) => i > current) ?? contacts[contacts.length - 1]!;
  if (current === -1) return contacts[contacts.length - 1]!;
  return [...contacts].reverse().find((i) => i < current) ?? contacts[0]!;
}
