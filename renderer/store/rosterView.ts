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

/** Contacts whose name or address contains every word typed, in the given (sorted) order. */
export function filterContacts(contacts: readonly Contact[], query: string): Contact[] {
  const words = foldForSearch(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return contacts as Contact[];
  return contacts.filter((c) => {
    const key = searchKey(c);
    return words.every((w) => key.includes(w));
  });
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * Groups in alphabetical order, then the contacts without a group. A contact in
 * two groups shows in both. While filtering, collapsed groups open (the matches
 * must be visible) and empty sections are left out.
 */
export function rosterSections(contacts: readonly Contact[], query: string, collapsed: readonly string[]): RosterSection[] {
  const filtering = query.trim() !== '';
  const shown = filterContacts(contacts, query);
  const byGroup = new Map<string, Contact[]>();
  const ungrouped: Contact[] = [];
  for (const c of shown) {
    if (c.groups.length === 0) ungrouped.push(c);
    for (const g of new Set(c.groups)) {
      const list = byGroup.get(g);
      if (list) list.push(c);
      else byGroup.set(g, [c]);
    }
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

/** A selector that recomputes only when the roster, the query or the collapsed set changed. */
export function createRosterSectionsSelector() {
  let last: { contacts: readonly Contact[]; query: string; collapsed: readonly string[]; result: RosterSection[] } | undefined;
  return (contacts: readonly Contact[], query: string, collapsed: readonly string[]): RosterSection[] => {
    if (last && last.contacts === contacts && last.query === query && last.collapsed === collapsed) return last.result;
    const result = rosterSections(contacts, query, collapsed);
    last = { contacts, query, collapsed, result };
    return result;
  };
}
