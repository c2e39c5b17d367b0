/**
 * The virtualized roster's rows in plain Node: a contact in two groups shows
 * under each with keys of its own, keyboard navigation moves over contacts
 * (headings skipped), unread messages count once per contact, and a contact
 * update keeps the roster sorted as a full sort would.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Contact } from '../../shared/contract';
import { filterContacts, nextContactRow, rosterRows, rosterSections, showsGroupHeadings, warmSearchKeys } from '../../renderer/store/rosterView';
import { sortContacts, updateContact } from '../../renderer/store/transitions';
import { totalUnread } from '../../renderer/shortcuts';

function contact(jid: string, extra: Partial<Contact> = {}): Contact {
  return { jid, subscription: 'both', groups: [], presence: { show: 'online', status: '' }, unread: 0, ...extra };
}

const bob = contact('bob@example.com', { name: 'Bob', groups: ['Team', 'Berlin'], unread: 3 });
const roster = sortContacts([
  contact('anna@example.com', { name: 'Anna', groups: ['Team'] }),
  bob,
  contact('jose@example.org', { name: 'José' }),
]);

describe('roster rows', () => {
  test('a contact in two groups: one row under each, with different keys, the same contact', () => {
    const rows = rosterRows(rosterSections(roster, '', []));
    assert.deepEqual(
      rows.map((r) => (r.kind === 'group' ? `# ${r.section.label}` : r.contact.jid)),
      ['# Berlin', 'bob@example.com', '# Team', 'anna@example.com', 'bob@example.com', '# Contacts', 'jose@example.org'],
    );
    const keys = rows.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length, 'every row has a key of its own');
    const bobs = rows.filter((r) => r.kind === 'contact' && r.contact.jid === bob.jid);
    assert.equal(bobs.length, 2);
    assert.deepEqual(
      bobs.map((r) => (r.kind === 'contact' ? r.group : '')),
      ['Berlin', 'Team'],
    );
    assert.ok(bobs.every((r) => r.kind === 'contact' && r.contact === bob), 'both rows show the one contact (one chat, one selection)');
  });

  test('unread messages of a contact in two groups count once', () => {
    assert.equal(totalUnread({ acc: roster }), 3);
  });

  test('group counts count the contacts in each group, duplicates of a group name once', () => {
    const twice = [contact('x@example.com', { groups: ['Team', 'Team'] })];
    const sections = rosterSections(twice, '', []);
    assert.deepEqual(
      sections.map((s) => [s.key, s.total]),
      [['Team', 1]],
    );
    assert.equal(rosterRows(sections).filter((r) => r.kind === 'contact').length, 1);
  });

  test('without any group there are no headings, only contacts', () => {
    const plain = [contact('a@example.com'), contact('b@example.com')];
    const sections = rosterSections(plain, '', []);
    assert.equal(showsGroupHeadings(sections), false);
    assert.deepEqual(
      rosterRows(sections).map((r) => r.kind),
      ['contact', 'contact'],
    );
  });

  test('a collapsed group keeps its heading and hides its rows; filtering opens it', () => {
    const folded = rosterRows(rosterSections(roster, '', ['Team']));
    assert.deepEqual(
      folded.map((r) => (r.kind === 'group' ? `# ${r.section.label} ${r.section.total}` : r.contact.jid)),
      ['# Berlin 1', 'bob@example.com', '# Team 2', '# Contacts 1', 'jose@example.org'],
    );
    const filtered = rosterRows(rosterSections(roster, 'bob', ['Team']));
    assert.equal(filtered.filter((r) => r.kind === 'contact').length, 2, 'Bob under Berlin and under the opened Team');
  });

  test('keyboard navigation moves over contacts only, both appearances of a contact included', () => {
    const rows = rosterRows(rosterSections(roster, '', []));
    // Rows: 0 # Berlin, 1 bob, 2 # Team, 3 anna, 4 bob, 5 # Contacts, 6 jose.
    assert.equal(nextContactRow(rows, -1, 'ArrowDown'), 1);
    assert.equal(nextContactRow(rows, 1, 'ArrowDown'), 3, 'over the Team heading');
    assert.equal(nextContactRow(rows, 3, 'ArrowDown'), 4);
    assert.equal(nextContactRow(rows, 6, 'ArrowDown'), 6, 'stays at the last');
    assert.equal(nextContactRow(rows, 6, 'ArrowUp'), 4);
    assert.equal(nextContactRow(rows, 1, 'ArrowUp'), 1, 'stays at the first');
    assert.equal(nextContactRow(rows, -1, 'ArrowUp'), 6);
    assert.equal(nextContactRow(rows, 4, 'Home'), 1);
    assert.equal(nextContactRow(rows, 1, 'End'), 6);
    assert.equal(nextContactRow([], -1, 'End'), -1);
  });
});

describe('search texts prepared in idle time', () => {
  test('stops when the idle time is used up and goes on from there', () => {
    let left = 3;
    const budget = { timeRemaining: () => left-- };
    assert.equal(warmSearchKeys(roster, 0, budget), 2, 'two contacts while more than 1 ms was left');
    assert.equal(warmSearchKeys(roster, 2, { timeRemaining: () => 50 }), roster.length);
    assert.equal(warmSearchKeys(roster, 0, { timeRemaining: () => 0 }), 0);
    assert.deepEqual(
      filterContacts(roster, 'jose').map((c) => c.jid),
      ['jose@example.org'],
      'the prepared texts are the ones the filter uses',
    );
  });
});

describe('contact updates in a large roster', () => {
  test('updating one contact at a time gives the order a full sort gives', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const shows = ['online', 'away', 'dnd', 'offline'] as const;
    let live = sortContacts(Array.from({ length: 500 }, (_, i) => contact(`u${i}@example.com`, { name: `User ${Math.floor(random() * 300)}` })));
    for (let step = 0; step < 300; step++) {
      const i = Math.floor(random() * 520); // some new, most existing
      const show = shows[Math.floor(random() * shows.length)]!;
      live = updateContact(live, contact(`u${i}@example.com`, { name: `User ${Math.floor(random() * 300)}`, presence: { show, status: '' } }));
      if (step % 50 === 0) live = updateContact(live, contact(`u${step}@example.com`, { subscription: 'remove' }));
    }
    assert.deepEqual(
      live.map((c) => c.jid),
      sortContacts(live).map((c) => c.jid),
    );
    assert.equal(new Set(live.map((c) => c.jid)).size, live.length, 'no contact twice');
  });
});
