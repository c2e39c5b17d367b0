/**
 * The roster filter's index in plain Node: one folded search text per contact of a roster
 * array, a keystroke that types on looks only at the previous matches (and gives what a full
 * filter gives), and the rows of unchanged contacts are the same objects from one keystroke to
 * the next (so the virtual list's caches keyed by row key stay warm).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Contact } from '../../shared/contract';
import {
  createRosterSectionsSelector,
  filterContacts,
  matchIndexes,
  narrows,
  queryWords,
  rosterRows,
  rosterSections,
  searchTexts,
} from '../../renderer/store/rosterView';
import { sortContacts } from '../../renderer/store/transitions';

function contact(jid: string, extra: Partial<Contact> = {}): Contact {
  return { jid, subscription: 'both', groups: [], presence: { show: 'offline', status: '' }, unread: 0, ...extra };
}

const FIRST = ['Anna', 'Ben', 'José', 'Ümit', 'Åsa', 'Chloé', 'Hannes'];
const LAST = ['Müller', 'Schröder', 'García', 'Yılmaz', 'Nowak'];
const roster = sortContacts(
  Array.from({ length: 300 }, (_, i) =>
    contact(`c${i}@example.com`, {
      name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
      groups: i % 10 === 0 ? [`Team ${i % 4}`, `Team ${(i + 1) % 4}`] : i % 3 === 0 ? [] : [`Team ${i % 4}`],
    }),
  ),
);

/** What the user sees, as comparable text: headings and rows in order. */
const shown = (sections: ReturnType<typeof rosterSections>) => rosterRows(sections).map((r) => (r.kind === 'group' ? `# ${r.section.key} ${r.section.total}` : r.key));

describe('roster filter index', () => {
  test('typing a query on and erasing it: every keystroke shows what a full filter shows', () => {
    const select = createRosterSectionsSelector();
    const typed = 'Anna MÜ';
    const queries: string[] = [];
    for (let i = 1; i <= typed.length; i++) queries.push(typed.slice(0, i));
    for (let i = typed.length - 1; i >= 0; i--) queries.push(typed.slice(0, i));
    // Edits that do not type on at the end: a word replaced, a space in the middle, a different start.
    queries.push('jose', 'jos', 'josx', 'jose', 'j ose', 'garcia', 'c1', 'c12', 'example.com', ' ', '');
    for (const q of queries) assert.deepEqual(shown(select(roster, q, [])), shown(rosterSections(roster, q, [])), JSON.stringify(q));
    // With a collapsed group (filtering opens it), and the sections' other fields too.
    const collapsed = ['Team 1'];
    const selectFolded = createRosterSectionsSelector();
    for (const q of queries) {
      const got = selectFolded(roster, q, collapsed);
      const want = rosterSections(roster, q, collapsed);
      assert.deepEqual(shown(got), shown(want), JSON.stringify(q));
      assert.deepEqual(
        got.map((s) => [s.key, s.label, s.total, s.collapsed, s.contacts.length]),
        want.map((s) => [s.key, s.label, s.total, s.collapsed, s.contacts.length]),
        JSON.stringify(q),
      );
    }
  });

  test('a narrowing keystroke looks only at what the previous query matched', () => {
    const select = createRosterSectionsSelector();
    select(roster, 'an', []);
    const texts = searchTexts(roster);
    const looked: number[] = [];
    const watched = new Proxy(texts, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && /^[0-9]+$/.test(prop)) looked.push(Number(prop));
        return Reflect.get(target, prop, receiver);
      },
    });
    const previous = matchIndexes(texts, queryWords('an'));
    assert.deepEqual(matchIndexes(watched, queryWords('anna'), previous), matchIndexes(texts, queryWords('anna')));
    assert.deepEqual(looked, previous, 'only the candidates were read');
    assert.ok(previous.length < roster.length / 2, 'the candidates are fewer than the roster');
  });

  test('narrows: typing on at the end, not other edits', () => {
    assert.equal(narrows('', 'a'), true);
    assert.equal(narrows('an', 'anna'), true);
    assert.equal(narrows('anna', 'anna m'), true);
    assert.equal(narrows('anna m', 'anna'), false, 'erasing widens');
    assert.equal(narrows('jose', 'j ose'), false, 'a space in the middle splits a word');
    assert.equal(narrows('ab', 'xab'), false);
  });

  test('the search texts: one folded text per contact, in the roster order, once per roster array', () => {
    const texts = searchTexts(roster);
    assert.equal(texts.length, roster.length);
    assert.equal(searchTexts(roster), texts, 'the same roster array: the same index');
    const jose = roster.findIndex((c) => c.name?.startsWith('José'));
    assert.ok(texts[jose]!.startsWith('jose '), texts[jose]);
    assert.ok(texts[jose]!.includes(roster[jose]!.jid));
    const renamed = roster.map((c, i) => (i === jose ? { ...c, name: 'Zoë Zander' } : c));
    assert.ok(searchTexts(renamed)[jose]!.startsWith('zoe zander'), 'a changed contact is folded again');
    assert.deepEqual(filterContacts(renamed, 'zoe').map((c) => c.jid), [roster[jose]!.jid]);
  });

  test('rows of unchanged contacts are the same objects from one keystroke to the next; a changed contact gets new ones', () => {
    const all = rosterRows(rosterSections(roster, '', []));
    const narrowed = rosterRows(rosterSections(roster, 'anna', []));
    const byKey = new Map(all.map((r) => [r.key, r]));
    const contactRows = narrowed.filter((r) => r.kind === 'contact');
    assert.ok(contactRows.length > 0);
    assert.ok(
      contactRows.every((r) => byKey.get(r.key) === r),
      'the same row objects',
    );
    const first = contactRows[0]!;
    assert.equal(first.kind, 'contact');
    const changed = roster.map((c) => (first.kind === 'contact' && c === first.contact ? { ...c, unread: 1 } : c));
    const again = rosterRows(rosterSections(changed, 'anna', [])).find((r) => r.key === first.key)!;
    assert.notEqual(again, first);
    assert.equal(again.kind === 'contact' && again.contact.unread, 1);
  });
});
