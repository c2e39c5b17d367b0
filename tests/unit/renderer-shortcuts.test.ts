/** Keyboard shortcuts, the window title and "next unread": pure functions of the renderer. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Contact } from '../../shared/contract.js';
import { catalogFor, languages } from '../../shared/i18n/catalog.js';
import { SHORTCUTS, nextUnreadJid, shortcutFor, totalUnread, windowTitle, type KeyPress } from '../../renderer/shortcuts.js';

const press = (key: string, mods: Partial<Omit<KeyPress, 'key'>> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

const contact = (jid: string, unread = 0): Contact => ({
  jid,
  subscription: 'both',
  groups: [],
  presence: { show: 'offline', status: '' },
  unread,
}) as Contact;

describe('shortcutFor', () => {
  test('Ctrl on Windows and Linux, Cmd on macOS', () => {
    assert.equal(shortcutFor(press('k', { ctrlKey: true }), 'other', false), 'focus-filter');
    assert.equal(shortcutFor(press('f', { ctrlKey: true }), 'other', true), 'focus-filter');
    assert.equal(shortcutFor(press('K', { ctrlKey: true }), 'other', false), 'focus-filter', 'Caps Lock does not matter');
    assert.equal(shortcutFor(press('k', { metaKey: true }), 'mac', false), 'focus-filter');
    assert.equal(shortcutFor(press('n', { ctrlKey: true }), 'other', true), 'add-contact');
    assert.equal(shortcutFor(press('n', { metaKey: true }), 'mac', false), 'add-contact');
    assert.equal(shortcutFor(press('U', { ctrlKey: true, shiftKey: true }), 'other', true), 'next-unread');
    assert.equal(shortcutFor(press('u', { metaKey: true, shiftKey: true }), 'mac', false), 'next-unread');
  });

  test('the wrong modifier, extra modifiers or none do nothing', () => {
    assert.equal(shortcutFor(press('k', { metaKey: true }), 'other', false), null, 'Meta is not Ctrl on Linux');
    assert.equal(shortcutFor(press('k', { ctrlKey: true }), 'mac', false), null, 'Ctrl is not Cmd on macOS');
    assert.equal(shortcutFor(press('k'), 'other', false), null);
    assert.equal(shortcutFor(press('n'), 'other', false), null);
    assert.equal(shortcutFor(press('k', { ctrlKey: true, altKey: true }), 'other', false), null);
    assert.equal(shortcutFor(press('n', { ctrlKey: true, shiftKey: true }), 'other', false), null);
    assert.equal(shortcutFor(press('u', { ctrlKey: true }), 'other', false), null, 'Ctrl+U without Shift');
    assert.equal(shortcutFor(press('a', { ctrlKey: true }), 'other', false), null, 'select all stays the browser’s');
    assert.equal(shortcutFor(press('Enter'), 'other', true), null);
    assert.equal(shortcutFor(press('Escape'), 'other', false), null, 'Escape is left to dialogs');
  });

  test('Ctrl+, (⌘, on macOS) opens the settings, also from a text field', () => {
    assert.equal(shortcutFor(press(',', { ctrlKey: true }), 'other', true), 'open-settings');
    assert.equal(shortcutFor(press(',', { metaKey: true }), 'mac', false), 'open-settings');
    assert.equal(shortcutFor(press(',', { ctrlKey: true }), 'mac', false), null);
    assert.equal(shortcutFor(press(','), 'other', false), null);
  });

  test('? shows the help, except while typing', () => {
    assert.equal(shortcutFor(press('?', { shiftKey: true }), 'other', false), 'show-help');
    assert.equal(shortcutFor(press('?', { shiftKey: true }), 'other', true), null);
    assert.equal(shortcutFor(press('?', { ctrlKey: true, shiftKey: true }), 'other', false), null);
  });

  test('Ctrl+Shift+F (⌘⇧F) searches the history, also from a text field; Ctrl+F stays the contact filter', () => {
    assert.equal(shortcutFor(press('F', { ctrlKey: true, shiftKey: true }), 'other', true), 'search');
    assert.equal(shortcutFor(press('f', { metaKey: true, shiftKey: true }), 'mac', false), 'search');
    assert.equal(shortcutFor(press('f', { ctrlKey: true, shiftKey: true }), 'mac', false), null, 'Ctrl on a Mac is not ⌘');
    assert.equal(shortcutFor(press('f', { ctrlKey: true }), 'other', false), 'focus-filter');
  });

  test('the help lists every action once, for both platforms', () => {
    const actions = SHORTCUTS.map((s) => s.action);
    assert.deepEqual([...new Set(actions)].sort(), ['add-contact', 'focus-filter', 'next-unread', 'open-settings', 'search', 'show-help']);
    for (const s of SHORTCUTS) {
      assert.ok(s.keys.length > 0 && s.macKeys.length > 0);
      for (const language of languages) assert.ok(catalogFor(language).shortcuts.actions[s.action].length > 0, `${language}: ${s.action} has no description`);
    }
  });
});

describe('window title', () => {
  test('sums the unread counters of all accounts', () => {
    assert.equal(totalUnread({}), 0);
    assert.equal(totalUnread({ a: [contact('x@e', 2), contact('y@e')], b: [contact('z@e', 1)] }), 3);
  });

  test('"Klatsch" or "(n) Klatsch"', () => {
    assert.equal(windowTitle(0), 'Klatsch');
    assert.equal(windowTitle(3), '(3) Klatsch');
    assert.equal(windowTitle(5000), '(999+) Klatsch');
  });
});

describe('nextUnreadJid', () => {
  const roster = [contact('a@e', 1), contact('b@e'), contact('c@e', 4), contact('d@e')];

  test('nothing unread: nothing to open', () => {
    assert.equal(nextUnreadJid([contact('a@e'), contact('b@e')], 'a@e'), null);
    assert.equal(nextUnreadJid([], null), null);
  });

  test('without an open chat (or one not in the roster): the first unread', () => {
    assert.equal(nextUnreadJid(roster, null), 'a@e');
    assert.equal(nextUnreadJid(roster, 'stranger@e'), 'a@e');
  });

  test('the next one after the open chat, wrapping around', () => {
    assert.equal(nextUnreadJid(roster, 'a@e'), 'c@e');
    assert.equal(nextUnreadJid(roster, 'b@e'), 'c@e');
    assert.equal(nextUnreadJid(roster, 'c@e'), 'a@e');
    assert.equal(nextUnreadJid(roster, 'd@e'), 'a@e');
  });

  test('the open chat itself only when it is the only unread one', () => {
    assert.equal(nextUnreadJid([contact('a@e'), contact('b@e', 2)], 'b@e'), 'b@e');
  });
});
