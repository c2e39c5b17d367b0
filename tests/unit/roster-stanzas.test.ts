/**
 * Roster management and subscription stanzas: what we send (roster sets, removes,
 * subscription presences), what we accept (subscription presences, roster pushes
 * only from our own account), and the ask='subscribe' flag of roster items.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import {
  cleanGroups,
  isRosterPushFrom,
  parseSubscriptionPresence,
  rosterRemove,
  rosterSet,
  subscriptionPresence,
} from '../../electron/core/roster/roster-stanzas.js';
import { NS_ROSTER, parseRosterItems } from '../../electron/core/xmpp/stanzas.js';

const OWN = 'alice@example.com';

describe('roster pushes: only from our own account (RFC 6121 §2.1.6)', () => {
  test('no from, or our bare JID in any case, is accepted', () => {
    assert.equal(isRosterPushFrom(undefined, OWN), true);
    assert.equal(isRosterPushFrom('alice@example.com', OWN), true);
    assert.equal(isRosterPushFrom('Alice@Example.COM', OWN), true);
  });

  test('anyone else is refused: other users, the server domain, our own other resources, garbage', () => {
    for (const from of ['mallory@example.com', 'example.com', 'alice@example.com/other', 'alice@evil.example', '', 'alice@example.com@x', '\u0000']) {
      assert.equal(isRosterPushFrom(from, OWN), false, from);
    }
  });
});

describe('roster sets', () => {
  test('an item with name and groups (trimmed, de-duplicated, empty ones dropped)', () => {
    const iq = rosterSet({ jid: 'bob@example.com', name: '  Bob  ', groups: ['Work', ' Work ', '', '  ', 'Friends'] });
    assert.equal(iq.name, 'iq');
    assert.equal(iq.attrs.type, 'set');
    const item = iq.getChild('query', NS_ROSTER)?.getChild('item');
    assert.equal(item?.attrs.jid, 'bob@example.com');
    assert.equal(item?.attrs.name, 'Bob');
    assert.equal(item?.attrs.subscription, undefined, 'a client never sets the subscription, except "remove"');
    assert.deepEqual(item?.getChildren('group').map((g) => g.text()), ['Work', 'Friends']);
  });

  test('no name: no name attribute (the address is shown)', () => {
    const item = rosterSet({ jid: 'bob@example.com', name: '   ', groups: [] }).getChild('query', NS_ROSTER)?.getChild('item');
    assert.equal(item?.attrs.name, undefined);
    assert.deepEqual(item?.getChildren('group'), []);
  });

  test('characters XML cannot carry are replaced, not sent (they would end the stream)', () => {
    const item = rosterSet({ jid: 'bob@example.com', name: 'Bo\u0000b', groups: ['W\u0001'] }).getChild('query', NS_ROSTER)?.getChild('item');
    assert.equal(item?.attrs.name, 'Bo\uFFFDb');
    assert.equal(item?.getChildText('group'), 'W\uFFFD');
  });

  test('bounded lengths', () => {
    const item = rosterSet({ jid: 'bob@example.com', name: 'n'.repeat(1000), groups: ['g'.repeat(1000)] }).getChild('query', NS_ROSTER)?.getChild('item');
    assert.equal(item?.attrs.name?.length, 256);
    assert.equal(item?.getChildText('group')?.length, 256);
    assert.deepEqual(cleanGroups(['a', 'a', ' b ']), ['a', 'b']);
  });

  test('remove', () => {
    const item = rosterRemove('bob@example.com').getChild('query', NS_ROSTER)?.getChild('item');
    assert.deepEqual(item?.attrs, { jid: 'bob@example.com', subscription: 'remove' });
  });

  test('roster items carry ask="subscribe" (a request waiting for their answer), nothing else', () => {
    const query = xml(
      'query',
      { xmlns: NS_ROSTER },
      xml('item', { jid: 'bob@example.com', subscription: 'none', ask: 'subscribe' }),
      xml('item', { jid: 'carol@example.com', subscription: 'to', ask: 'unsubscribe' }),
      xml('item', { jid: 'dave@example.com', subscription: 'both' }),
    );
    const items = parseRosterItems(query);
    assert.equal(items[0]?.ask, 'subscribe');
    assert.equal(items[1]?.ask, undefined);
    assert.equal('ask' in items[2]!, false);
  });
});

describe('subscription presences', () => {
  test('built to a bare JID with the type', () => {
    for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'] as const) {
      assert.deepEqual(subscriptionPresence('bob@example.com', type).attrs, { to: 'bob@example.com', type });
    }
  });

  test('parsed: the bare JID in canonical form, the request text bounded', () => {
    const p = parseSubscriptionPresence(xml('presence', { from: 'Bob@Example.com/phone', type: 'subscribe' }, xml('status', {}, ' Hi, it is Bob ')));
    assert.deepEqual(p, { type: 'subscribe', from: 'bob@example.com', text: 'Hi, it is Bob' });
    const long = parseSubscriptionPresence(xml('presence', { from: 'bob@example.com', type: 'subscribe' }, xml('status', {}, 'x'.repeat(5000))));
    assert.equal(long?.text?.length, 1024);
    assert.deepEqual(parseSubscriptionPresence(xml('presence', { from: 'bob@example.com', type: 'unsubscribed' }, xml('status', {}, 'bye'))), {
      type: 'unsubscribed',
      from: 'bob@example.com',
    });
  });

  test('everything else is not a subscription presence', () => {
    const not = [
      xml('presence', { from: 'bob@example.com' }),
      xml('presence', { from: 'bob@example.com', type: 'unavailable' }),
      xml('presence', { from: 'bob@example.com', type: 'probe' }),
      xml('presence', { from: 'bob@example.com', type: 'error' }),
      xml('presence', { from: 'bob@example.com', type: 'SUBSCRIBE' }),
      xml('presence', { type: 'subscribe' }),
      xml('presence', { from: 'not a jid', type: 'subscribe' }),
      xml('message', { from: 'bob@example.com', type: 'subscribe' }),
    ];
    for (const stanza of not) assert.equal(parseSubscriptionPresence(stanza), undefined, stanza.toString());
  });
});
