/**
 * The everyday details of the UI that are logic, in plain Node: the privacy menu closes on Escape and on a
 * press outside, search opens empty and shows times as the chat does, the privacy select offers each
 * policy once under its own name (English and German).
 *
 * Run: npx tsx --test tests/unit/renderer-everyday-details.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KlatschApi, OtrPolicy } from '../../shared/contract';
import { dismissesMenu, type MenuArea } from '../../renderer/menuDismiss';
import { createAppStore } from '../../renderer/store/store';
import { createActions } from '../../renderer/store/actions';
import { catalogFor, languages } from '../../shared/i18n/catalog';
import { privacyChoiceValue, privacyChoices } from '../../renderer/privacyChoices';
import { formatMessageTime, formatShortDate, formatTime } from '../../renderer/format';

const inside = { id: 'menu item' };
const outside = { id: 'message list' };
const menu: MenuArea = { contains: (node) => node === inside };

test('the privacy menu closes on Escape, not on other keys', () => {
  assert.equal(dismissesMenu({ type: 'keydown', key: 'Escape' }, menu), true);
  for (const key of ['Enter', ' ', 'Tab', 'ArrowDown', 'a']) assert.equal(dismissesMenu({ type: 'keydown', key }, menu), false, key);
});

test('the privacy menu closes on a press outside it and stays open for a press inside', () => {
  assert.equal(dismissesMenu({ type: 'pointerdown', target: outside }, menu), true);
  assert.equal(dismissesMenu({ type: 'pointerdown', target: inside }, menu), false);
});

test('search opens with an empty query, not the last one', () => {
  const store = createAppStore();
  const actions = createActions(store, {} as KlatschApi);
  actions.openDialog({ kind: 'search' });
  actions.setSearchQuery('invoice march');
  actions.closeDialog();
  assert.equal(store.getState().dialog, null);
  actions.openDialog({ kind: 'search' });
  assert.equal(store.getState().searchQuery, '');
});

test('search results show the time as the chat does, with the day', () => {
  const at = Date.UTC(2026, 11, 1, 13, 5, 9);
  for (const locale of ['en-GB', 'de-DE']) {
    const shown = formatMessageTime(at, locale);
    assert.ok(shown.includes(formatTime(at, locale)), `${locale}: ${shown} lacks the chat's time`);
    assert.ok(shown.includes(formatShortDate(at, locale)), `${locale}: ${shown} lacks the day`);
    assert.ok(!/\d:\d\d:\d\d/.test(shown), `${locale}: ${shown} has seconds the chat does not show`);
  }
});

test('the privacy select offers each policy once, under labels that differ (en, de)', () => {
  for (const language of languages) {
    const choices = privacyChoices(catalogFor(language).privacy);
    // '' is no choice of the contact's own: the core then applies the standard, 'opportunistic'.
    const effective: OtrPolicy[] = choices.map((c) => (c.value === '' ? 'opportunistic' : c.value));
    assert.deepEqual([...effective].sort(), ['always', 'manual', 'never', 'opportunistic'], `${language}: each policy exactly once`);
    const labels = choices.map((c) => c.label.toLowerCase().replace(/\s+/g, ' ').trim());
    assert.equal(new Set(labels).size, labels.length, `${language}: two entries read the same: ${labels.join(' | ')}`);
    // No entry is another's words with something added ("Private when possible" / "Default (private when possible)").
    for (const a of labels) for (const b of labels) if (a !== b) assert.ok(!a.includes(b), `${language}: "${a}" repeats "${b}"`);
  }
});

test('an explicit "opportunistic" shows as the standard entry', () => {
  assert.equal(privacyChoiceValue(undefined), '');
  assert.equal(privacyChoiceValue('opportunistic'), '');
  assert.equal(privacyChoiceValue('always'), 'always');
});

test('"Refresh private conversation" has a plain name', () => {
  assert.equal(catalogFor('en').privacy.restart, 'Restart private conversation');
  for (const language of languages) assert.ok(!/refresh|erneuer/i.test(JSON.stringify(catalogFor(language).privacy)), language);
});
