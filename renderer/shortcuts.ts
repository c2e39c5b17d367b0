/**
 * Keyboard shortcuts: which key press means which action, the window title
 * with the unread count, and which chat "next unread" opens. Pure and DOM-free
 * (unit-tested in Node); the connected App listens to the keys and acts.
 */
import type { AccountId, Contact } from '../shared/contract';
import type { Catalog } from '../shared/i18n/catalog';
import { en } from '../shared/i18n/en';

export type ShortcutAction = 'focus-filter' | 'next-unread' | 'add-contact' | 'show-help' | 'search' | 'open-settings';

/** The parts of a KeyboardEvent that decide the action. */
export type KeyPress = { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean };

export type Platform = 'mac' | 'other';

/**
 * What the help lists, in order; `keys` for Windows and Linux, `macKeys` for macOS. What each does,
 * in words, is the catalog's `shortcuts.actions[action]`; Escape (no action of ours: it closes
 * dialogs and clears the filter) is `shortcuts.escape`.
 */
export const SHORTCUTS: readonly { action: ShortcutAction; keys: string[]; macKeys: string[] }[] = [
  { action: 'focus-filter', keys: ['Ctrl+K', 'Ctrl+F'], macKeys: ['⌘K', '⌘F'] },
  { action: 'next-unread', keys: ['Ctrl+Shift+U'], macKeys: ['⌘⇧U'] },
  { action: 'add-contact', keys: ['Ctrl+N'], macKeys: ['⌘N'] },
  { action: 'show-help', keys: ['?'], macKeys: ['?'] },
  { action: 'search', keys: ['Ctrl+Shift+F'], macKeys: ['⌘⇧F'] },
  { action: 'open-settings', keys: ['Ctrl+,'], macKeys: ['⌘,'] },
];

/**
 * The action a key press stands for, or null. `inTextField`: the focus is in
 * something the user types into, where a plain `?` is just a character.
 */
export function shortcutFor(e: KeyPress, platform: Platform, inTextField: boolean): ShortcutAction | null {
  const mod = platform === 'mac' ? e.metaKey : e.ctrlKey;
  const otherMod = platform === 'mac' ? e.ctrlKey : e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && !otherMod && !e.altKey) {
    if (!e.shiftKey && (key === 'k' || key === 'f')) return 'focus-filter';
    if (!e.shiftKey && key === 'n') return 'add-contact';
    if (!e.shiftKey && key === ',') return 'open-settings';
    if (e.shiftKey && key === 'u') return 'next-unread';
    if (e.shiftKey && key === 'f') return 'search';
    return null;
  }
  if (!e.ctrlKey && !e.metaKey && !e.altKey && e.key === '?' && !inTextField) return 'show-help';
  return null;
}

/** The sum of the unread counters of every contact of every account. */
export function totalUnread(rosters: Record<AccountId, readonly Contact[]>): number {
  // Asked by a store selector at every change of the store (each filter keystroke): counted once per roster array.
  let n = 0;
  for (const roster of Object.values(rosters)) {
    let count = unreadPerRoster.get(roster);
    if (count === undefined) {
      count = 0;
      for (const c of roster) if (c.unread > 0) count += c.unread;
      unreadPerRoster.set(roster, count);
    }
    n += count;
  }
  return n;
}
const unreadPerRoster = new WeakMap<readonly Contact[], number>();

/** "Klatsch", or "(3) Klatsch" with unread messages; Electron's window follows the page title. */
export function windowTitle(unread: number, texts: Catalog['app'] = en.app): string {
  return texts.windowTitle(unread);
}

/**
 * The contact "next unread" opens: the first one with unread messages after
 * the open chat in roster order, wrapping around; null when nothing is unread
 * (the open chat itself counts only when it is the only one).
 */
export function nextUnreadJid(roster: readonly Contact[], selectedJid: string | null): string | null {
  const unread = roster.filter((c) => c.unread > 0);
  if (unread.length === 0) return null;
  const at = selectedJid === null ? -1 : roster.findIndex((c) => c.jid === selectedJid);
  if (at === -1) return unread[0]!.jid;
  const after = roster.slice(at + 1).find((c) => c.unread > 0) ?? roster.slice(0, at + 1).find((c) => c.unread > 0);
  return after?.jid ?? null;
}
