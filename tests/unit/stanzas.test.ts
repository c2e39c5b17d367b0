/**
 * Parsers of untrusted stanzas: they return a value or undefined, never throw.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { jid as parseJid } from '@xmpp/jid';
import {
  NS_ROSTER,
  chatMessage,
  parseMessage,
  parsePresence,
  parseRosterItems,
  parseRosterItemsInTurns,
  ROSTER_ITEMS_PER_TURN,
  presenceStanza,
  rosterGet,
} from '../../electron/core/xmpp/stanzas.js';
import { bareJid } from '../../electron/core/values/jid.js';

const FROM = 'Bob@Example.com/Phone';

/** `<presence>` with the given attributes and `<name>text</name>` children. */
function presence(attrs: Record<string, string | undefined>, children: Record<string, string> = {}): Element {
  return xml('presence', attrs, ...Object.entries(children).map(([name, text]) => xml(name, {}, text)));
}

const showOf = (show: string | undefined) => parsePresence(presence({ from: FROM }, show === undefined ? {} : { show }))?.show;
const priorityOf = (priority: string) => parsePresence(presence({ from: FROM }, { priority }))?.priority;

function message(attrs: Record<string, string | undefined>, ...children: Element[]): Element {
  return xml('message', attrs, ...children);
}
const body = (text: string) => xml('body', {}, text);
const delay = (stamp: string, xmlns = 'urn:xmpp:delay') => xml('delay', { xmlns, from: 'example.com', stamp });

function rosterQuery(...items: Element[]): Element {
  return xml('query', { xmlns: NS_ROSTER }, ...items);
}
const item = (attrs: Record<string, string | undefined>, ...groups: string[]) => xml('item', attrs, ...groups.map((g) => xml('group', {}, g)));

describe('parsePresence', () => {
  test('an available presence with everything', () => {
    const parsed = parsePresence(presence({ from: FROM }, { show: 'away', status: 'At lunch', priority: '5' }));
    assert.deepEqual(parsed, { bare: 'bob@example.com', resource: 'Phone', available: true, show: 'away', status: 'At lunch', priority: 5 });
  });

  test('show values map to what the UI knows', () => {
    assert.equal(showOf(undefined), 'online');
    assert.equal(showOf('chat'), 'online');
    assert.equal(showOf('away'), 'away');
    assert.equal(showOf('xa'), 'away');
    assert.equal(showOf('dnd'), 'dnd');
    assert.equal(showOf('sleeping'), 'online');
    assert.equal(showOf(''), 'online');
  });

  test('type="unavailable" is unavailable', () => {
    const parsed = parsePresence(presence({ from: FROM, type: 'unavailable' }, { status: 'Bye' }));
    assert.equal(parsed?.available, false);
    assert.equal(parsed?.bare, 'bob@example.com');
    assert.equal(parsed?.resource, 'Phone');
    assert.equal(parsed?.status, 'Bye');
  });

  test('a presence from a bare JID has an empty resource', () => {
    assert.equal(parsePresence(presence({ from: 'bob@example.com' }))?.resource, '');
  });

  test('priority is clamped to -128..127; garbage is 0', () => {
    assert.equal(priorityOf('0'), 0);
    assert.equal(priorityOf('-5'), -5);
    assert.equal(priorityOf('127'), 127);
    assert.equal(priorityOf('128'), 127);
    assert.equal(priorityOf('99999999999999999999999'), 127);
    assert.equal(priorityOf('-129'), -128);
    assert.equal(priorityOf('-1000000'), -128);
    assert.equal(priorityOf('high'), 0);
    assert.equal(priorityOf(''), 0);
    assert.equal(parsePresence(presence({ from: FROM }))?.priority, 0);
  });

  test('a long status is cut to 1024 characters', () => {
    assert.equal(parsePresence(presence({ from: FROM }, { status: 'x'.repeat(5_000) }))?.status.length, 1_024);
  });

  test('subscription, probe and error presences are ignored', () => {
    for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error', 'bogus']) {
      assert.equal(parsePresence(presence({ from: FROM, type })), undefined, type);
    }
  });

  test('a missing or invalid from is ignored', () => {
    for (const from of [undefined, '', '/resource', 'bob@', 'x'.repeat(4_000)]) {
      assert.equal(parsePresence(presence({ from }, { show: 'dnd' })), undefined, String(from));
    }
  });
});

describe('parseRosterItems', () => {
  test('items with name, subscription and groups', () => {
    const items = parseRosterItems(
      rosterQuery(
        item({ jid: 'Alice@Example.com', name: ' Alice ', subscription: 'both' }, 'Friends', 'Work'),
        item({ jid: 'carol@example.com', subscription: 'to' }),
      ),
    );
    assert.deepEqual(items, [
      { jid: 'alice@example.com', name: 'Alice', subscription: 'both', groups: ['Friends', 'Work'] },
      { jid: 'carol@example.com', subscription: 'to', groups: [] },
    ]);
  });

  test('items with a missing or bad jid are dropped', () => {
    const items = parseRosterItems(
      rosterQuery(
        item({ name: 'no jid' }),
        item({ jid: '' }),
        item({ jid: 'dave@' }),
        item({ jid: '/only-resource' }),
        item({ jid: 'e'.repeat(3_100) + '@example.com' }),
        item({ jid: 'ok@example.com' }),
      ),
    );
    assert.deepEqual(items.map((i) => i.jid), ['ok@example.com']);
  });

  test('a jid with a resource becomes bare', () => {
    assert.equal(parseRosterItems(rosterQuery(item({ jid: 'bob@example.com/phone' })))[0]?.jid, 'bob@example.com');
  });

  test('an unknown or missing subscription is "none"; "remove" is kept', () => {
    const items = parseRosterItems(
      rosterQuery(
        item({ jid: 'a@example.com', subscription: 'admin' }),
        item({ jid: 'b@example.com' }),
        item({ jid: 'c@example.com', subscription: 'remove' }),
        item({ jid: 'd@example.com', subscription: 'from' }),
        item({ jid: 'e@example.com', subscription: '__proto__' }),
      ),
    );
    assert.deepEqual(items.map((i) => i.subscription), ['none', 'none', 'remove', 'from', 'none']);
  });

  test('empty groups are dropped, long names and groups are cut to 256', () => {
    const [parsed] = parseRosterItems(rosterQuery(item({ jid: 'a@example.com', name: 'n'.repeat(1_000) }, '', 'g'.repeat(1_000), 'Team')));
    assert.equal(parsed?.name?.length, 256);
    assert.deepEqual(parsed?.groups.map((g) => g.length), [256, 4]);
  });

  test('a blank name is left out', () => {
    const [parsed] = parseRosterItems(rosterQuery(item({ jid: 'a@example.com', name: '   ' })));
    assert.equal(parsed && 'name' in parsed, false);
  });

  test('a large roster is parsed a slice per event-loop turn, to the same items', async () => {
    const query = rosterQuery(...Array.from({ length: 2 * ROSTER_ITEMS_PER_TURN + 7 }, (_, i) => item({ jid: `C${i}@Example.com/x`, subscription: 'both', name: `c ${i}` }, 'Team')));
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const items = await parseRosterItemsInTurns(query);
    counting = false;
    assert.deepEqual(items, parseRosterItems(query));
    assert.equal(items.length, 2 * ROSTER_ITEMS_PER_TURN + 7);
    assert.ok(turns >= 2, `other work ran between the slices (${turns} turns)`);
    assert.deepEqual(await parseRosterItemsInTurns(undefined), []);
  });

  test('no query, or an empty one, is an empty roster', () => {
    assert.deepEqual(parseRosterItems(undefined), []);
    assert.deepEqual(parseRosterItems(rosterQuery()), []);
  });
});

describe('parseMessage', () => {
  test('a chat message', () => {
    const parsed = parseMessage(message({ from: FROM, type: 'chat', id: 'm1' }, body('Hello')));
    assert.deepEqual(parsed, {
      id: 'm1',
      from: FROM,
      fromBare: 'bob@example.com',
      type: 'chat',
      body: 'Hello',
      errorText: undefined,
      errorCondition: undefined,
      stampedAt: undefined,
    });
  });

  test('no type means normal', () => {
    assert.equal(parseMessage(message({ from: FROM }, body('x')))?.type, 'normal');
    assert.equal(parseMessage(message({ from: FROM, type: 'normal' }, body('x')))?.type, 'normal');
  });

  test('groupchat and headline messages are not handled (yet)', () => {
    assert.equal(parseMessage(message({ from: FROM, type: 'groupchat' }, body('x'))), undefined);
    assert.equal(parseMessage(message({ from: FROM, type: 'headline' }, body('x'))), undefined);
  });

  test('an unknown type is treated as normal (RFC 6121 §5.2.2)', () => {
    assert.equal(parseMessage(message({ from: FROM, type: 'shout' }, body('x')))?.type, 'normal');
  });

  test('an error message carries the error text, or the condition', () => {
    const withText = message(
      { from: FROM, type: 'error', id: 'm1' },
      xml(
        'error',
        { type: 'cancel' },
        xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
        xml('text', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }, 'User is gone'),
      ),
    );
    const conditionOnly = message(
      { from: FROM, type: 'error', id: 'm2' },
      xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
    );
    assert.equal(parseMessage(withText)?.type, 'error');
    assert.equal(parseMessage(withText)?.errorText, 'User is gone');
    assert.equal(parseMessage(conditionOnly)?.errorText, 'item-not-found');
    // The condition itself, so that a bounce from another company's server (remote-server-*) is told apart.
    assert.equal(parseMessage(withText)?.errorCondition, 'service-unavailable');
    assert.equal(parseMessage(conditionOnly)?.errorCondition, 'item-not-found');
    assert.equal(parseMessage(message({ from: FROM, type: 'error' }, xml('error', {})))?.errorText, 'error');
  });

  test('a message without a body has body undefined', () => {
    const parsed = parseMessage(message({ from: FROM, type: 'chat' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    assert.equal(parsed?.body, undefined);
  });

  test('a XEP-0203 delay stamp is read', () => {
    const parsed = parseMessage(message({ from: FROM, type: 'chat' }, body('x'), delay('2002-09-10T23:08:25Z')));
    assert.equal(parsed?.stampedAt, Date.UTC(2002, 8, 10, 23, 8, 25));
    const fractional = parseMessage(message({ from: FROM }, body('x'), delay('2002-09-10T23:08:25.123+02:00')));
    assert.equal(fractional?.stampedAt, Date.UTC(2002, 8, 10, 21, 8, 25, 123));
  });

  test('an invalid stamp, or a delay in another namespace, is ignored', () => {
    assert.equal(parseMessage(message({ from: FROM }, body('x'), delay('yesterday')))?.stampedAt, undefined);
    assert.equal(parseMessage(message({ from: FROM }, body('x'), delay('')))?.stampedAt, undefined);
    assert.equal(parseMessage(message({ from: FROM }, body('x'), delay('2002-09-10T23:08:25Z', 'jabber:x:delay')))?.stampedAt, undefined);
  });

  test('a missing or invalid from is ignored', () => {
    for (const from of [undefined, '', 'bob@', '/x', 'y'.repeat(4_000)]) {
      assert.equal(parseMessage(message({ from, type: 'chat' }, body('x'))), undefined, String(from));
    }
  });
});

describe('bareJid', () => {
  test('canonical bare form: no resource, lower case', () => {
    assert.equal(bareJid('Alice@Example.COM/Laptop'), 'alice@example.com');
    assert.equal(bareJid('alice@example.com'), 'alice@example.com');
    assert.equal(bareJid('example.com'), 'example.com');
  });

  test('garbage gives undefined and never throws', () => {
    const garbage = [undefined, '', '@', 'user@', '/', '/resource', '@/', 'a'.repeat(3_072), 'x@' + 'y'.repeat(5_000), 'z'.repeat(1_000_000)];
    for (const address of garbage) {
      assert.doesNotThrow(() => bareJid(address));
      assert.equal(bareJid(address), undefined, `${String(address).slice(0, 20)}…`);
    }
  });

  test('odd input never throws', () => {
    const odd = ['\u0000', '\uD800@example.com', 'a@b/c/d', '💬@example.com', '<x/>@example.com', 'a@[::1]', ' '.repeat(10), '@@@', '///'];
    for (const address of odd) assert.doesNotThrow(() => bareJid(address), address);
  });

  test('its shortcut past @xmpp/jid gives what @xmpp/jid gives', () => {
    const viaLibrary = (address: string): string | undefined => {
      const slash = address.indexOf('/');
      const bare = slash < 0 ? address : address.slice(0, slash);
      return bareJid(bare) === undefined ? undefined : parseJid(bare).bare().toString().toLowerCase();
    };
    const locals = ['', 'alice', 'ALICE', 'Ölaf', 'ΟΔΟΣ', 'İstanbul', 'straße', 'a\\5cb', 'back\\slash', 'x\\20y', '\\', '💬', 'a.b-c_d'];
    const domains = ['example.com', 'EXAMPLE.COM', 'ΣΙΣ.test', 'İ.test', 'xn--mller-kva.de', '127.0.0.1'];
    const resources = ['', '/', '/Phone', '/a/b', '/@x'];
    for (const local of locals) {
      for (const domain of domains) {
        for (const resource of resources) {
          const address = `${local ? `${local}@` : ''}${domain}${resource}`;
          assert.equal(bareJid(address), viaLibrary(address), address);
          const parsed = parsePresence(presence({ from: address }));
          if (parsed) assert.equal(parsed.resource, parseJid(address).resource ?? '', address);
        }
      }
    }
  });

  test('strings that are not RFC 7622 JIDs give undefined', () => {
    // Empty localpart, '@' or space in the domain, control characters, a lone surrogate.
    const invalid = ['@example.com', 'a@b@example.com', 'bob@exa mple.com', 'bob@example.com\u0000', 'bob\u0007@example.com', '\uD800@example.com'];
    const accepted = invalid.filter((address) => bareJid(address) !== undefined);
    assert.deepEqual(accepted, []);
  });
});

/** Whether `text` holds anything outside XML 1.0's Char production: C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates. */
function hasCharForbiddenInXml(text: string): boolean {
  for (const char of text) {
    const c = char.codePointAt(0)!;
    const allowed = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    if (!allowed) return true;
  }
  return false;
}

describe('builders', () => {
  test('roster get', () => {
    const iq = rosterGet();
    assert.equal(iq.name, 'iq');
    assert.equal(iq.attrs.type, 'get');
    assert.ok(iq.getChild('query', NS_ROSTER));
  });

  test('own presence: no <show> when online, no <status> when empty', () => {
    assert.equal(presenceStanza('online', '').toString(), '<presence/>');
    const away = presenceStanza('dnd', 'Meeting');
    assert.equal(away.getChildText('show'), 'dnd');
    assert.equal(away.getChildText('status'), 'Meeting');
  });

  test('a chat message escapes its body', () => {
    const stanza = chatMessage('bob@example.com', 'id-1', '<b>&"hi"</b>');
    assert.equal(stanza.attrs.type, 'chat');
    assert.equal(stanza.attrs.to, 'bob@example.com');
    assert.equal(stanza.attrs.id, 'id-1');
    assert.equal(stanza.getChildText('body'), '<b>&"hi"</b>');
    assert.ok(!stanza.toString().includes('<b>'));
  });

  test('text with characters XML 1.0 forbids still makes a well-formed stanza', () => {
    // Pasted terminal output (ESC, form feed) or a broken surrogate must not make the server close the stream.
    assert.equal(hasCharForbiddenInXml(chatMessage('bob@example.com', 'id-0', 'fine: 💬 ü\t\r\n').toString()), false);
    const text = 'red \u001b[31mtext\u001b[0m, page\u000Cbreak, nul\u0000, bell\u0007, \uFFFE, half \uD83D';
    for (const stanza of [chatMessage('bob@example.com', 'id-1', text), presenceStanza('away', text)]) {
      const serialized = stanza.toString();
      assert.equal(hasCharForbiddenInXml(serialized), false, `not well-formed: ${JSON.stringify(serialized)}`);
    }
  });
});
