/**
 * End-to-end encryption in group chats (electron/core/muc/room-e2ee.ts, rooms.ts): which rooms qualify
 * (members-only and non-anonymous, both), who a message is encrypted for (occupants' real addresses and the
 * room's affiliation lists, never ourselves or an outcast), and the rooms manager with a fake stream and a
 * fake scheme: an encrypted room never gets plaintext, whatever goes wrong.
 *
 * Run: npx tsx --test tests/unit/muc-e2ee.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import parse from '@xmpp/xml/lib/parse.js';
import xml, { type Element } from '@xmpp/xml';
import type { ChatMessage, RoomView } from '../../shared/contract.js';
import { affiliationListIq, groupRecipients, MAX_MEMBERS, parseAffiliationList, realJidOnMessage, roomFeatures, roomQualifiesForE2ee } from '../../electron/core/muc/room-e2ee.js';
import { Rooms } from '../../electron/core/muc/rooms.js';
import type { GroupEncryption, GroupOpened, GroupSealed } from '../../electron/core/e2ee/provider.js';
import type { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';

const el = (text: string): Element => parse(text) as Element;
const ROOM = 'team@conference.example.com';

describe('room eligibility', () => {
  const disco = (...vars: string[]) =>
    el(`<query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text'/>${vars.map((v) => `<feature var='${v}'/>`).join('')}</query>`);

  test('only a room that is members-only and non-anonymous qualifies', () => {
    assert.equal(roomQualifiesForE2ee(roomFeatures(disco('http://jabber.org/protocol/muc', 'muc_membersonly', 'muc_nonanonymous', 'muc_persistent'))), true);
    assert.equal(roomQualifiesForE2ee(roomFeatures(disco('muc_membersonly', 'muc_semianonymous'))), false, 'members-only but semi-anonymous: real addresses hidden');
    assert.equal(roomQualifiesForE2ee(roomFeatures(disco('muc_open', 'muc_nonanonymous'))), false, 'non-anonymous but open: anyone may come in');
    assert.equal(roomQualifiesForE2ee(roomFeatures(disco('muc_open', 'muc_semianonymous'))), false);
    assert.equal(roomQualifiesForE2ee(roomFeatures(undefined)), false, 'no answer: not encrypted');
    assert.equal(roomQualifiesForE2ee(roomFeatures(el(`<query xmlns='http://jabber.org/protocol/disco#info'><feature/><feature var=''/></query>`))), false);
  });
});

describe('recipient set', () => {
  test('occupants with an affiliation and the affiliation lists, each once, sorted, never ourselves', () => {
    const occupants = [
      { jid: 'Bob@Example.com', affiliation: 'member' as const },
      { jid: 'me@example.com', affiliation: 'owner' as const },
      { affiliation: 'member' as const }, // real address not told
      { jid: 'visitor@example.com', affiliation: 'none' as const },
      { jid: 'banned@example.com', affiliation: 'outcast' as const },
      { jid: 'carol@example.com', affiliation: 'admin' as const },
    ];
    assert.deepEqual(groupRecipients('me@example.com', occupants, ['dora@example.com', 'bob@example.com', 'ME@example.com', 'not a jid@@']), [
      'bob@example.com',
      'carol@example.com',
      'dora@example.com',
    ]);
    assert.deepEqual(groupRecipients('me@example.com', [], []), [], 'nobody else: nobody to encrypt for');
  });

  test('the affiliation list: bare addresses of owners, admins and members; errors, junk and floods bounded', () => {
    assert.equal(affiliationListIq(ROOM, 'member').getChild('query', 'http://jabber.org/protocol/muc#admin')?.getChild('item')?.attrs.affiliation, 'member');
    const answer = el(
      `<iq type='result' from='${ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>` +
        `<item affiliation='member' jid='bob@example.com'/><item affiliation='owner' jid='Carol@Example.com'/>` +
        `<item affiliation='member' jid='full@example.com/phone'/><item affiliation='outcast' jid='eve@example.com'/><item affiliation='member'/></query></iq>`,
    );
    assert.deepEqual(parseAffiliationList(answer), ['bob@example.com', 'carol@example.com']);
    assert.deepEqual(parseAffiliationList(el(`<iq type='error' from='${ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='x@example.com'/></query><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)), []);
    assert.deepEqual(parseAffiliationList(undefined), []);
    const flood = xml('iq', { type: 'result' }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, ...Array.from({ length: MAX_MEMBERS + 10 }, (_, i) => xml('item', { affiliation: 'member', jid: `u${i}@example.com` }))));
    assert.equal(parseAffiliationList(flood).length, MAX_MEMBERS);
  });

  test('the real address the room put on its history', () => {
    assert.equal(realJidOnMessage(el(`<message><x xmlns='http://jabber.org/protocol/muc#user'><item jid='Bob@example.com/phone'/></x></message>`)), 'bob@example.com');
    assert.equal(realJidOnMessage(el(`<message><x xmlns='jabber:x:other'><item jid='bob@example.com'/></x></message>`)), undefined);
  });
});

describe('rooms manager in an encrypted room', () => {
  /** A stream that answers as a members-only, non-anonymous room would, and records what was sent. */
  function fakeRoomSession(features: string[]) {
    const sent: Element[] = [];
    let rooms: Rooms | undefined;
    const session = {
      send: async (stanza: Element) => {
        sent.push(stanza);
        if (stanza.name === 'presence' && stanza.attrs.to?.startsWith(`${ROOM}/`)) {
          queueMicrotask(() =>
            rooms!.onStanza(el(`<presence from='${ROOM}/Me'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant' jid='me@example.com/x'/><status code='110'/></x></presence>`)),
          );
        }
      },
      iq: {
        request: async (iq: Element) => {
          if (iq.getChild('query', 'http://jabber.org/protocol/disco#info')) return el(`<query xmlns='http://jabber.org/protocol/disco#info'>${features.map((f) => `<feature var='${f}'/>`).join('')}</query>`);
          const affiliation = iq.getChild('query', 'http://jabber.org/protocol/muc#admin')?.getChild('item')?.attrs.affiliation;
          const items = affiliation === 'member' ? `<item affiliation='member' jid='bob@example.com'/><item affiliation='member' jid='me@example.com'/>` : '';
          return el(`<iq type='result' from='${ROOM}'><query xmlns='http://jabber.org/protocol/muc#admin'>${items}</query></iq>`);
        },
      },
    } as unknown as XmppSession;
    return { session, sent, attach: (r: Rooms) => (rooms = r) };
  }

  function setup(features: string[], scheme: GroupEncryption | undefined) {
    const fake = fakeRoomSession(features);
    const upserted: ChatMessage[] = [];
    const views: RoomView[] = [];
    const rooms = new Rooms([], {
      session: () => fake.session,
      domain: () => 'example.com',
      roomUpdated: (v) => views.push(v),
      roomRemoved: () => undefined,
      messageUpserted: (m) => upserted.push(m),
      saveRooms: async () => undefined,
      ownBare: () => 'me@example.com',
      groupE2ee: () => scheme,
      now: () => Date.now(),
    });
    fake.attach(rooms);
    return { rooms, sent: fake.sent, upserted, views };
  }

  const scheme = (seal: (members: readonly string[]) => GroupSealed, open: GroupOpened = { kind: 'text', text: 'decrypted' }) => {
    const calls: { members: readonly string[] }[] = [];
    const s: GroupEncryption = {
      scheme: 'omemo',
      claims: (m) => m.getChild('encrypted', 'eu.siacs.conversations.axolotl') !== undefined,
      encryptGroup: async (_room, members) => {
        calls.push({ members });
        return seal(members);
      },
      decryptGroup: async () => open,
    };
    return { s, calls };
  };
  const sealedOk: GroupSealed = { ok: true, held: [], stanzas: [{ payload: [xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' })], body: 'fallback', encryption: { namespace: 'eu.siacs.conversations.axolotl', name: 'OMEMO', noCopies: false } }] };
  const groupchats = (sent: Element[]) => sent.filter((s) => s.name === 'message' && s.attrs.type === 'groupchat');

  test('a qualifying room is marked encrypted and its messages go out sealed for the members (from the affiliation list)', async () => {
    const { s, calls } = scheme(() => sealedOk);
    const { rooms, sent } = setup(['muc_membersonly', 'muc_nonanonymous'], s);
    const view = await rooms.join(ROOM, 'Me');
    assert.deepEqual(view.e2ee, { scheme: 'omemo' });
    const message = await rooms.send(ROOM, 'secret plans');
    assert.equal(message.encrypted, true);
    assert.deepEqual(calls.map((c) => c.members), [['bob@example.com']]);
    const out = groupchats(sent);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.attrs.id, message.id, 'the stanza carries the message id (its reflection is recognised by it)');
    assert.ok(out[0]!.getChild('encrypted', 'eu.siacs.conversations.axolotl'));
    assert.equal(out[0]!.getChildText('body'), 'fallback');
    assert.ok(!JSON.stringify(out[0]!.toString()).includes('secret plans'), 'the text is not on the wire');
    rooms.close();
  });

  test('a member no device reaches: the message fails, naming them, and nothing goes to the room', async () => {
    const { s } = scheme((members) => ({ ok: false, unreachable: [...members] }));
    const { rooms, sent, upserted } = setup(['muc_membersonly', 'muc_nonanonymous'], s);
    await rooms.join(ROOM, 'Me');
    const message = await rooms.send(ROOM, 'never in plaintext');
    assert.equal(message.state, 'failed');
    assert.match(JSON.stringify(message.error), /bob@example\.com/);
    assert.equal(groupchats(sent).length, 0);
    assert.ok(upserted.every((m) => m.state !== 'sent'));
    rooms.close();
  });

  test('encryption gone after entering (the scheme is no longer allowed): failed, not plaintext', async () => {
    let current: GroupEncryption | undefined = scheme(() => sealedOk).s;
    const f2 = fakeRoomSession(['muc_membersonly', 'muc_nonanonymous']);
    const rooms = new Rooms([], {
      session: () => f2.session,
      domain: () => 'example.com',
      roomUpdated: () => undefined,
      roomRemoved: () => undefined,
      messageUpserted: () => undefined,
      saveRooms: async () => undefined,
      ownBare: () => 'me@example.com',
      groupE2ee: () => current,
      now: () => Date.now(),
    });
    f2.attach(rooms);
    assert.deepEqual((await rooms.join(ROOM, 'Me')).e2ee, { scheme: 'omemo' });
    current = undefined;
    const message = await rooms.send(ROOM, 'must not leak');
    assert.equal(message.state, 'failed');
    assert.equal(groupchats(f2.sent).length, 0);
    rooms.close();
  });

  test('an open or semi-anonymous room is plaintext (and says nothing about encryption)', async () => {
    const { s, calls } = scheme(() => sealedOk);
    const { rooms, sent } = setup(['muc_open', 'muc_semianonymous'], s);
    const view = await rooms.join(ROOM, 'Me');
    assert.equal(view.e2ee, undefined);
    const message = await rooms.send(ROOM, 'plain');
    assert.notEqual(message.encrypted, true);
    assert.equal(calls.length, 0);
    assert.equal(groupchats(sent)[0]!.getChildText('body'), 'plain');
    rooms.close();
  });

  test('an encrypted message is decrypted as from the occupant\u2019s real address; one that cannot be read is a notice, never its payload', async () => {
    const seen: string[] = [];
    const s: GroupEncryption = {
      scheme: 'omemo',
      claims: (m) => m.getChild('encrypted', 'eu.siacs.conversations.axolotl') !== undefined,
      encryptGroup: async () => sealedOk,
      decryptGroup: async (_room, sender, message) => {
        seen.push(sender);
        return message.attrs.id === 'bad' ? { kind: 'failed' } : { kind: 'text', text: 'hello from bob' };
      },
    };
    const { rooms, upserted } = setup(['muc_membersonly', 'muc_nonanonymous'], s);
    await rooms.join(ROOM, 'Me');
    rooms.onStanza(el(`<presence from='${ROOM}/Bobby'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant' jid='bob@example.com/phone'/></x></presence>`));
    const enc = (id: string, nick: string) => `<message from='${ROOM}/${nick}' id='${id}' type='groupchat'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/><payload>QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB</payload></encrypted><body>I sent you an OMEMO encrypted message</body></message>`;
    rooms.onStanza(el(enc('good', 'Bobby')));
    rooms.onStanza(el(enc('bad', 'Bobby')));
    rooms.onStanza(el(enc('who', 'Stranger')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(seen, ['bob@example.com', 'bob@example.com'], 'decrypted as from the real address; an unknown nickname is not guessed');
    const inRoom = upserted.filter((m) => m.peer === ROOM && m.direction !== 'out');
    assert.deepEqual(inRoom.filter((m) => m.direction === 'in').map((m) => [m.body, m.nick, m.encrypted]), [['hello from bob', 'Bobby', true]]);
    const notices = inRoom.filter((m) => m.direction === 'notice').map((m) => m.body);
    assert.equal(notices.length, 2);
    assert.ok(notices.every((b) => !/QUFB|OMEMO encrypted message/.test(b)), JSON.stringify(notices));
    rooms.close();
  });
});
