/**
 * Group chat invitations (XEP-0249, XEP-0045 mediated) and bookmarks (XEP-0402, XEP-0048) in plain
 * Node: the stanzas we build, and the parsers against forged and malformed input.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import parse from '@xmpp/xml/lib/parse.js';
import type { Invitation } from '../../shared/contract.js';
import {
  directInvitation,
  Invitations,
  MAX_STRANGER_INVITATIONS,
  mediatedDecline,
  mediatedInvitation,
  parseInvitation,
} from '../../electron/core/muc/invitations.js';
import {
  parseBookmarkEvent,
  parseBookmarkItem,
  parseLegacyStorage,
  publishBookmarkIq,
  retractBookmarkIq,
  storeLegacyIq,
} from '../../electron/core/muc/bookmarks.js';

const ROOM = 'team@conference.example.com';
const OWN = 'alice@example.com';

describe('invitation stanzas', () => {
  test('a direct invitation names the room, the reason and (only when given) the password', () => {
    assert.equal(
      directInvitation('bob@example.com', 'i1', ROOM, 'Plans <b>', 'pw').toString(),
      `<message to="bob@example.com" id="i1"><x xmlns="jabber:x:conference" jid="${ROOM}" reason="Plans &lt;b&gt;" password="pw"/></message>`,
    );
    assert.doesNotMatch(directInvitation('bob@example.com', 'i2', ROOM).toString(), /password|reason/);
  });

  test('a mediated invitation and a decline go to the room', () => {
    assert.equal(
      mediatedInvitation(ROOM, 'i3', 'bob@example.com', 'Come').toString(),
      `<message to="${ROOM}" id="i3"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="bob@example.com"><reason>Come</reason></invite></x></message>`,
    );
    assert.equal(
      mediatedDecline(ROOM, 'd1', 'alice@example.com').toString(),
      `<message to="${ROOM}" id="d1"><x xmlns="http://jabber.org/protocol/muc#user"><decline to="alice@example.com"/></x></message>`,
    );
  });

  test('a direct invitation is parsed with its sender as the inviter (never what the stanza claims)', () => {
    const parsed = parseInvitation(
      parse(`<message from="Bob@Example.com/phone" to="${OWN}"><x xmlns="jabber:x:conference" jid="${ROOM}" reason=" Plans " password="s3cret"/></message>`),
    );
    assert.deepEqual(parsed, { kind: 'direct', room: ROOM, from: 'bob@example.com', reason: 'Plans', password: 's3cret' });
  });

  test('a mediated invitation is believed only from a room\u2019s bare address; a hidden inviter is named room/nick', () => {
    const mediated = (from: string, inviter: string) =>
      parse(`<message from="${from}"><x xmlns="http://jabber.org/protocol/muc#user"><invite from="${inviter}"><reason>Hi</reason></invite><password>pw</password></x></message>`);
    assert.deepEqual(parseInvitation(mediated(ROOM, 'carol@example.com/laptop')), { kind: 'mediated', room: ROOM, from: 'carol@example.com', reason: 'Hi', password: 'pw' });
    assert.equal(parseInvitation(mediated(ROOM, `${ROOM}/Carol`))?.from, `${ROOM}/Carol`);
    assert.equal(parseInvitation(mediated(`${ROOM}/Mallory`, 'carol@example.com')), undefined, 'from an occupant, not the room');
    assert.equal(parseInvitation(mediated('conference.example.com', 'carol@example.com')), undefined, 'from a service, not a room');
    assert.equal(parseInvitation(mediated(ROOM, `${ROOM}/`)), undefined, 'no nickname');
  });

  test('malformed and hostile invitations are dropped, never thrown', () => {
    for (const text of [
      `<message from="bob@example.com"><x xmlns="jabber:x:conference"/></message>`,
      `<message from="bob@example.com"><x xmlns="jabber:x:conference" jid="not a room"/></message>`,
      `<message from="bob@example.com"><x xmlns="jabber:x:conference" jid="${ROOM}/nick"/></message>`,
      `<message from="bob@example.com"><x xmlns="jabber:x:conference" jid="conference.example.com"/></message>`,
      `<message from="${ROOM}"><x xmlns="jabber:x:conference" jid="${ROOM}"/></message>`,
      `<message from="bob@example.com" type="error"><x xmlns="jabber:x:conference" jid="${ROOM}"/></message>`,
      `<message from="bob@example.com" type="groupchat"><x xmlns="jabber:x:conference" jid="${ROOM}"/></message>`,
      `<message><x xmlns="jabber:x:conference" jid="${ROOM}"/></message>`,
      `<message from="${ROOM}"><x xmlns="http://jabber.org/protocol/muc#user"><invite/></x></message>`,
      `<presence from="bob@example.com"><x xmlns="jabber:x:conference" jid="${ROOM}"/></presence>`,
    ]) {
      assert.equal(parseInvitation(parse(text)), undefined, text);
    }
    const long = parseInvitation(parse(`<message from="bob@example.com"><x xmlns="jabber:x:conference" jid="${ROOM}" reason="${'r'.repeat(5000)}" password="${'p'.repeat(5000)}"/></message>`));
    assert.equal(long?.reason?.length, 1024, 'a long reason is cut');
    assert.equal(long?.password, undefined, 'an absurd password is not kept');
  });
});

describe('invitations waiting for an answer', () => {
  const make = (contacts: string[] = ['bob@example.com']) => {
    const seen: Invitation[][] = [];
    const invitations = new Invitations({
      isContact: (jid) => contacts.includes(jid),
      accepts: (from) => from !== 'denied@example.com',
      inRoom: (room) => room === 'here@conference.example.com',
      changed: (list) => seen.push(list),
      now: () => 1000,
    });
    return { invitations, seen };
  };
  const direct = (from: string, room = ROOM, extra = '') => parse(`<message from="${from}/r"><x xmlns="jabber:x:conference" jid="${room}"${extra}/></message>`);

  test('a contact\u2019s invitation is a request; the password stays in the core', () => {
    const { invitations, seen } = make();
    assert.equal(invitations.onMessage(direct('bob@example.com', ROOM, ' password="pw"')), true);
    const [view] = invitations.list();
    assert.deepEqual({ ...view, id: '' }, { id: '', room: ROOM, from: 'bob@example.com', stranger: false, mediated: false, passwordProtected: true, receivedAt: 1000 });
    assert.doesNotMatch(JSON.stringify(seen), /"pw"/, 'the password never reaches the UI');
    assert.deepEqual(invitations.take(view!.id), { view, password: 'pw' });
    assert.equal(invitations.list().length, 0);
    assert.throws(() => invitations.take(view!.id), /no longer there/);
  });

  test('strangers\u2019 invitations are marked, bounded, and a denied sender or a room we are in is dropped', () => {
    const { invitations } = make();
    for (let i = 0; i < 20; i++) invitations.onMessage(direct(`spam${i}@example.com`, `r${i}@conference.example.com`));
    const list = invitations.list();
    assert.equal(list.length, MAX_STRANGER_INVITATIONS);
    assert.ok(list.every((i) => i.stranger));
    assert.equal(list.at(-1)!.from, 'spam19@example.com', 'the newest are kept');
    assert.equal(invitations.onMessage(direct('denied@example.com')), true);
    assert.equal(invitations.onMessage(direct('bob@example.com', 'here@conference.example.com')), true);
    assert.equal(invitations.list().length, MAX_STRANGER_INVITATIONS, 'neither was added');
    // The same room from the same person again: one invitation, the newer.
    invitations.onMessage(direct('bob@example.com'));
    invitations.onMessage(direct('bob@example.com'));
    assert.equal(invitations.list().filter((i) => i.room === ROOM).length, 1);
    invitations.joined(ROOM);
    assert.equal(invitations.list().filter((i) => i.room === ROOM).length, 0, 'entering the room answers its invitations');
  });

  test('a message that is no invitation is left to others', () => {
    const { invitations } = make();
    assert.equal(invitations.onMessage(parse(`<message from="bob@example.com/r" type="chat"><body>hi</body></message>`)), false);
  });
});

describe('bookmark stanzas', () => {
  test('a bookmark is published privately, every item kept; removal notifies', () => {
    const iq = publishBookmarkIq({ jid: ROOM, autojoin: true, nick: 'Alice', name: 'Team' }).toString();
    assert.match(iq, /<publish node="urn:xmpp:bookmarks:1"><item id="team@conference.example.com"><conference xmlns="urn:xmpp:bookmarks:1" name="Team" autojoin="true"><nick>Alice<\/nick>/);
    assert.match(iq, /pubsub#access_model"><value>whitelist/);
    assert.match(iq, /pubsub#max_items"><value>max/);
    assert.doesNotMatch(iq, /password/);
    assert.match(retractBookmarkIq(ROOM).toString(), /<retract node="urn:xmpp:bookmarks:1" notify="true"><item id="team@conference.example.com"\/>/);
    assert.match(storeLegacyIq([{ jid: ROOM, autojoin: false }]).toString(), /<storage xmlns="storage:bookmarks"><conference jid="team@conference.example.com" autojoin="false"\/>/);
  });

  test('items: malformed ones are skipped, names and nicknames bounded', () => {
    const item = (id: string, inner: string) => parse(`<item id="${id}" xmlns="http://jabber.org/protocol/pubsub">${inner}</item>`);
    assert.deepEqual(parseBookmarkItem(item(ROOM, `<conference xmlns="urn:xmpp:bookmarks:1" autojoin="1" name="T"><nick>Al</nick></conference>`)), {
      jid: ROOM,
      name: 'T',
      autojoin: true,
      nick: 'Al',
    });
    assert.equal(parseBookmarkItem(item('not a room', `<conference xmlns="urn:xmpp:bookmarks:1"/>`)), undefined);
    assert.equal(parseBookmarkItem(item(ROOM, `<conference xmlns="storage:bookmarks"/>`)), undefined, 'wrong namespace');
    assert.deepEqual(parseBookmarkItem(item(ROOM, `<conference xmlns="urn:xmpp:bookmarks:1" autojoin="yes"><nick>${'n'.repeat(100)}</nick></conference>`)), {
      jid: ROOM,
      autojoin: false,
    });
    const legacy = parseLegacyStorage(
      parse(`<storage xmlns="storage:bookmarks"><conference jid="${ROOM}" autojoin="true"/><conference jid="${ROOM}"/><conference jid="x"/><conference/></storage>`),
    );
    assert.deepEqual(legacy, [{ jid: ROOM, autojoin: true }]);
  });

  test('a notification is believed only from our own account', () => {
    const event = (from: string) =>
      parse(
        `<message from="${from}"><event xmlns="http://jabber.org/protocol/pubsub#event"><items node="urn:xmpp:bookmarks:1"><item id="${ROOM}"><conference xmlns="urn:xmpp:bookmarks:1" autojoin="true"/></item><retract id="old@conference.example.com"/></items></event></message>`,
      );
    assert.deepEqual(parseBookmarkEvent(event(OWN), OWN), [
      { kind: 'set', bookmark: { jid: ROOM, autojoin: true } },
      { kind: 'removed', jid: 'old@conference.example.com' },
    ]);
    assert.deepEqual(parseBookmarkEvent(event('mallory@example.com'), OWN), [], 'taken (not shown anywhere) but nothing believed');
    assert.deepEqual(parseBookmarkEvent(event(`${OWN}/other`), OWN), [], 'PEP notifications come from the bare address');
    assert.equal(parseBookmarkEvent(parse(`<message from="${OWN}"><body>hi</body></message>`), OWN), undefined);
  });
});
