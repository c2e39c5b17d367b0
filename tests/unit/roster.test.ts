/**
 * The roster: items from the server and the one presence shown per contact.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Roster } from '../../electron/core/roster/roster.js';
import type { ParsedPresence, RosterItem } from '../../electron/core/xmpp/stanzas.js';

const BOB = 'bob@example.com';

const rosterItem = (jid: string, extra: Partial<RosterItem> = {}): RosterItem => ({ jid, subscription: 'both', groups: [], ...extra });

/** An available presence of `bob@example.com/<resource>` unless told otherwise. */
const presence = (resource: string, extra: Partial<ParsedPresence> = {}): ParsedPresence => ({
  bare: BOB,
  resource,
  available: true,
  show: 'online',
  status: '',
  priority: 0,
  ...extra,
});
const gone = (resource: string, bare = BOB): ParsedPresence => presence(resource, { bare, available: false });

function rosterWith(...jids: string[]): Roster {
  const roster = new Roster();
  roster.replace(jids.map((jid) => rosterItem(jid)));
  return roster;
}

describe('Roster: items', () => {
  test('replace sets the items, dropping "remove" ones', () => {
    const roster = new Roster();
    roster.replace([rosterItem(BOB, { name: 'Bob', groups: ['Work'] }), rosterItem('old@example.com', { subscription: 'remove' })]);
    assert.deepEqual(roster.jids(), [BOB]);
    assert.deepEqual(roster.contact(BOB, 2), {
      jid: BOB,
      name: 'Bob',
      subscription: 'both',
      groups: ['Work'],
      presence: { show: 'offline', status: '' },
      unread: 2,
    });
    assert.equal(roster.contact('old@example.com', 0), undefined);
  });

  test('replace drops items no longer on the server', () => {
    const roster = rosterWith(BOB, 'carol@example.com');
    roster.replace([rosterItem('carol@example.com')]);
    assert.deepEqual(roster.jids(), ['carol@example.com']);
    assert.equal(roster.has(BOB), false);
  });

  test('a push adds, updates and removes, and names every touched JID', () => {
    const roster = rosterWith(BOB, 'carol@example.com');
    const changed = roster.push([
      rosterItem('dave@example.com', { subscription: 'to' }),
      rosterItem(BOB, { name: 'Robert' }),
      rosterItem('carol@example.com', { subscription: 'remove' }),
    ]);
    assert.deepEqual(changed, ['dave@example.com', BOB, 'carol@example.com']);
    assert.deepEqual(roster.jids().sort(), [BOB, 'dave@example.com']);
    assert.equal(roster.contact(BOB, 0)?.name, 'Robert');
    assert.equal(roster.contact('dave@example.com', 0)?.subscription, 'to');
    assert.equal(roster.has('carol@example.com'), false);
  });

  test('removing an unknown JID by push is harmless', () => {
    const roster = rosterWith(BOB);
    assert.deepEqual(roster.push([rosterItem('nobody@example.com', { subscription: 'remove' })]), ['nobody@example.com']);
    assert.deepEqual(roster.jids(), [BOB]);
  });
});

describe('Roster: presence', () => {
  test('a contact without presence is offline', () => {
    assert.deepEqual(rosterWith(BOB).presenceOf(BOB), { show: 'offline', status: '' });
  });

  test('the resource with the highest priority wins', () => {
    const roster = rosterWith(BOB);
    roster.applyPresence(presence('phone', { show: 'away', status: 'on the go', priority: 0 }));
    roster.applyPresence(presence('desk', { show: 'dnd', status: 'focus', priority: 10 }));
    roster.applyPresence(presence('tablet', { show: 'online', status: 'idle', priority: -1 }));
    assert.deepEqual(roster.presenceOf(BOB), { show: 'dnd', status: 'focus' });
  });

  test('on equal priority the most available resource wins, whatever the order', () => {
    for (const order of [['dnd', 'away', 'online'], ['online', 'dnd', 'away'], ['away', 'online', 'dnd']] as const) {
      const roster = rosterWith(BOB);
      for (const show of order) roster.applyPresence(presence(show, { show, status: show, priority: 5 }));
      assert.deepEqual(roster.presenceOf(BOB), { show: 'online', status: 'online' }, order.join(','));
    }
    const roster = rosterWith(BOB);
    roster.applyPresence(presence('a', { show: 'dnd', priority: 1 }));
    roster.applyPresence(presence('b', { show: 'away', priority: 1 }));
    assert.equal(roster.presenceOf(BOB).show, 'away');
  });

  test('a later presence of the same resource replaces the earlier one', () => {
    const roster = rosterWith(BOB);
    roster.applyPresence(presence('phone', { show: 'online', priority: 10 }));
    roster.applyPresence(presence('phone', { show: 'away', status: 'brb', priority: 0 }));
    roster.applyPresence(presence('desk', { show: 'dnd', priority: 5 }));
    assert.equal(roster.presenceOf(BOB).show, 'dnd');
  });

  test('unavailable removes that resource only', () => {
    const roster = rosterWith(BOB);
    roster.applyPresence(presence('desk', { show: 'online', priority: 10 }));
    roster.applyPresence(presence('phone', { show: 'away', status: 'mobile', priority: 0 }));
    roster.applyPresence(gone('desk'));
    assert.deepEqual(roster.presenceOf(BOB), { show: 'away', status: 'mobile' });
    roster.applyPresence(gone('phone'));
    assert.deepEqual(roster.presenceOf(BOB), { show: 'offline', status: '' });
  });

  test('unavailable from an unknown resource changes nothing', () => {
    const roster = rosterWith(BOB);
    roster.applyPresence(presence('desk'));
    assert.equal(roster.applyPresence(gone('laptop')), false);
    assert.equal(roster.presenceOf(BOB).show, 'online');
  });

  test('presences of different contacts are kept apart', () => {
    const roster = rosterWith(BOB, 'carol@example.com');
    roster.applyPresence(presence('x', { bare: 'carol@example.com', show: 'dnd' }));
    assert.equal(roster.presenceOf(BOB).show, 'offline');
    assert.equal(roster.presenceOf('carol@example.com').show, 'dnd');
    assert.equal(roster.contact('carol@example.com', 0)?.presence.show, 'dnd');
  });

  test('clearPresences sets everyone offline but keeps the items', () => {
    const roster = rosterWith(BOB, 'carol@example.com');
    roster.applyPresence(presence('desk'));
    roster.applyPresence(presence('x', { bare: 'carol@example.com', show: 'away' }));
    roster.clearPresences();
    assert.equal(roster.presenceOf(BOB).show, 'offline');
    assert.equal(roster.presenceOf('carol@example.com').show, 'offline');
    assert.deepEqual(roster.jids().sort(), [BOB, 'carol@example.com']);
    // and presence works again afterwards
    assert.equal(roster.applyPresence(presence('desk')), true);
  });
});

describe('Roster: applyPresence change detection', () => {
  test('true when the shown presence changes, false otherwise', () => {
    const roster = rosterWith(BOB);
    assert.equal(roster.applyPresence(presence('desk', { show: 'online', priority: 5 })), true, 'offline → online');
    assert.equal(roster.applyPresence(presence('desk', { show: 'online', priority: 5 })), false, 'same again');
    assert.equal(roster.applyPresence(presence('desk', { show: 'online', status: 'hi', priority: 5 })), true, 'status changed');
    assert.equal(roster.applyPresence(presence('phone', { show: 'away', priority: 0 })), false, 'a hidden resource appears');
    assert.equal(roster.applyPresence(presence('desk', { show: 'online', status: 'hi', priority: 1 })), false, 'only priority changed');
    assert.equal(roster.applyPresence(gone('desk')), true, 'the shown resource left');
    assert.deepEqual(roster.presenceOf(BOB), { show: 'away', status: '' });
    assert.equal(roster.applyPresence(gone('phone')), true, 'the last resource left');
    assert.equal(roster.applyPresence(gone('phone')), false, 'already offline');
  });
});

describe('Roster: subscription state', () => {
  test('a request waiting for their answer shows as ask="subscribe"; the answer clears it', () => {
    const roster = new Roster();
    roster.replace([rosterItem(BOB, { subscription: 'none', ask: 'subscribe' })]);
    assert.equal(roster.contact(BOB, 0)?.ask, 'subscribe');
    assert.equal(roster.item(BOB)?.subscription, 'none');
    roster.push([rosterItem(BOB, { subscription: 'to' })]);
    assert.equal(roster.contact(BOB, 0)?.subscription, 'to');
    assert.equal('ask' in roster.contact(BOB, 0)!, false);
    assert.equal(roster.item('nobody@example.com'), undefined);
  });
});

describe('Roster: removal', () => {
  test('a removed contact loses its presence too, and the UI is told with subscription "remove"', () => {
    const roster = rosterWith(BOB);
    roster.applyPresence(presence('phone'));
    roster.push([rosterItem(BOB, { subscription: 'remove' })]);
    assert.equal(roster.has(BOB), false);
    assert.deepEqual(roster.presenceOf(BOB), { show: 'offline', status: '' });
    assert.deepEqual(Roster.removed(BOB), { jid: BOB, subscription: 'remove', groups: [], presence: { show: 'offline', status: '' }, unread: 0 });
  });
});
