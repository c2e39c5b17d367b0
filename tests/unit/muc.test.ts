/**
 * Group chat (XEP-0045) pieces in plain Node: the stanzas we build, the parsers
 * against hostile and malformed input, the bounded room state, the rooms
 * manager dropping traffic from rooms we are not in, and the renderer's rooms slice.
 *
 * Run: npx tsx --test tests/unit/muc.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import parse from '@xmpp/xml/lib/parse.js';
import type { EventName, RoomView, Snapshot } from '../../shared/contract.js';
import {
  cleanNick,
  groupchatMessage,
  instantRoomIq,
  isMucService,
  joinPresence,
  parseDiscoItems,
  parseGroupchatMessage,
  parseMucPresence,
  parseMucPresenceError,
  roomAddress,
} from '../../electron/core/muc/muc-stanzas.js';
import { joinRefusal, removalReason, roomErrorView, ROOM_REFUSED_BY_POLICY } from '../../electron/core/muc/muc-errors.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { wordedText } from '../../renderer/i18n/errors.js';
import { noticeText } from '../../renderer/i18n/notices.js';
import { MAX_OCCUPANTS, Room } from '../../electron/core/muc/room.js';
import { Rooms } from '../../electron/core/muc/rooms.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { createAppStore } from '../../renderer/store/store.js';

const ROOM = 'team@conference.example.com';
const el = (text: string) => parse(text);
const presence = (from: string, inner: string, type?: string) =>
  el(`<presence from='${from}'${type ? ` type='${type}'` : ''}><x xmlns='http://jabber.org/protocol/muc#user'>${inner}</x></presence>`);

describe('muc stanzas we send', () => {
  test('entering asks for history and carries the password, escaped', () => {
    const first = joinPresence(ROOM, 'Alice', { maxStanzas: 50 }, 'p<&>"w');
    assert.equal(first.attrs.to, `${ROOM}/Alice`);
    const x = first.getChild('x', 'http://jabber.org/protocol/muc')!;
    assert.equal(x.getChild('history')!.attrs.maxstanzas, '50');
    assert.equal(x.getChildText('password'), 'p<&>"w');
    assert.match(first.toString(), /<password>p&lt;&amp;&gt;"w<\/password>/);
    const again = joinPresence(ROOM, 'Alice', { since: Date.UTC(2026, 0, 2, 3, 4, 5) });
    assert.equal(again.getChild('x')!.getChild('history')!.attrs.since, '2026-01-02T03:04:05.000Z');
    assert.equal(again.getChild('x')!.getChild('password'), undefined);
    assert.equal(again.getChild('show'), undefined, 'online: no show');
    assert.equal(joinPresence(ROOM, 'Alice', { maxStanzas: 0 }, undefined, 'dnd').getChildText('show'), 'dnd');
  });

  test('messages are type groupchat to the bare room; the instant room form is an empty submit', () => {
    const m = groupchatMessage(ROOM, 'id-1', 'hi \u0000 there');
    assert.deepEqual([m.attrs.to, m.attrs.type, m.attrs.id], [ROOM, 'groupchat', 'id-1']);
    assert.equal(m.getChildText('body'), 'hi \uFFFD there', 'no character that would break the stream');
    const form = instantRoomIq(ROOM).getChild('query', 'http://jabber.org/protocol/muc#owner')!.getChild('x', 'jabber:x:data')!;
    assert.equal(form.attrs.type, 'submit');
    assert.equal(form.children.length, 0);
  });

  test('nicknames and room addresses are checked', () => {
    assert.equal(cleanNick('  Alice  '), 'Alice');
    assert.equal(cleanNick(''), undefined);
    assert.equal(cleanNick('x'.repeat(65)), undefined);
    assert.equal(cleanNick('a\u0007b'), undefined);
    assert.equal(roomAddress('Team@Conference.Example.com'), ROOM);
    assert.equal(roomAddress('conference.example.com'), undefined, 'a service is not a room');
    assert.equal(roomAddress(`${ROOM}/nick`), undefined);
  });
});

describe('muc parsers against hostile input', () => {
  test('an occupant presence: role, affiliation, real address, status codes; junk values become none', () => {
    const p = parseMucPresence(
      presence(`${ROOM}/Alice`, "<item affiliation='owner' role='moderator' jid='alice@example.com/x'/><status code='110'/><status code='201'/>"),
    )!;
    assert.deepEqual([p.room, p.nick, p.role, p.affiliation, p.realJid, p.available], [ROOM, 'Alice', 'moderator', 'owner', 'alice@example.com', true]);
    assert.deepEqual([...p.codes].sort(), ['110', '201']);
    const junk = parseMucPresence(presence(`${ROOM}/Eve`, "<item affiliation='god' role='&lt;script&gt;'/><status code='abc'/>"))!;
    assert.deepEqual([junk.role, junk.affiliation, junk.codes.size], ['none', 'none', 0]);
    const many = parseMucPresence(presence(`${ROOM}/Eve`, Array.from({ length: 1000 }, (_, i) => `<status code='${100 + (i % 900)}'/>`).join('')))!;
    assert.ok(many.codes.size <= 16, 'status codes are bounded');
  });

  test('presences that are not from an occupant address are not room presences', () => {
    assert.equal(parseMucPresence(presence(ROOM, "<item role='participant'/>")), undefined, 'no nickname');
    assert.equal(parseMucPresence(presence('conference.example.com/x', "<item role='participant'/>")), undefined, 'no room');
    assert.equal(parseMucPresence(presence(`${ROOM}/${'n'.repeat(65)}`, '')), undefined, 'nickname too long');
    assert.equal(parseMucPresence(el(`<presence from='${ROOM}/Bob'/>`)), undefined, 'no muc#user');
    assert.equal(parseMucPresence(presence(`${ROOM}/Bob`, '', 'subscribe')), undefined);
  });

  test('kicks, bans, nickname changes and destroyed rooms are told apart', () => {
    const kicked = parseMucPresence(presence(`${ROOM}/Carol`, "<item role='none'><reason>Off topic</reason></item><status code='307'/><status code='110'/>", 'unavailable'))!;
    assert.deepEqual(removalReason(kicked), { reason: 'room-kicked', params: { said: 'Off topic' }, text: 'You were removed from this room (kicked). Reason: Off topic' });
    const banned = parseMucPresence(presence(`${ROOM}/Carol`, "<item affiliation='outcast' role='none'/><status code='301'/>", 'unavailable'))!;
    assert.deepEqual(removalReason(banned), { reason: 'room-banned-now', params: { said: '' }, text: 'You were banned from this room.' });
    const destroyed = parseMucPresence(presence(`${ROOM}/Carol`, "<item role='none'/><destroy><reason>Project over</reason></destroy>", 'unavailable'))!;
    assert.deepEqual(removalReason(destroyed), { reason: 'room-destroyed', params: { said: 'Project over' }, text: 'The room was closed by its owner. Reason: Project over' });
    const renamed = parseMucPresence(presence(`${ROOM}/Carol`, "<item nick='Caro' role='participant'/><status code='303'/>", 'unavailable'))!;
    assert.equal(renamed.newNick, 'Caro');
    assert.equal(removalReason(parseMucPresence(presence(`${ROOM}/Carol`, "<item role='none'/>", 'unavailable'))!), undefined, 'we left');
  });

  test('why a room let us go reaches the UI as a reason it words in the user’s language, the room’s own words kept', () => {
    const de = catalogFor('de');
    const kicked = removalReason(parseMucPresence(presence(`${ROOM}/Carol`, "<item role='none'><reason>Off topic</reason></item><status code='307'/><status code='110'/>", 'unavailable'))!)!;
    assert.equal(wordedText(de, roomErrorView(kicked)), 'Sie wurden aus diesem Raum entfernt. Grund: Off topic', 'the room’s error');
    // The notice in the room's log: the reason is its kind, the room's words its detail (rooms.ts `notice`).
    assert.equal(noticeText(de, { body: kicked.text, notice: { kind: kicked.reason, detail: 'Off topic' } }, ROOM), 'Sie wurden aus diesem Raum entfernt. Grund: Off topic');
    assert.equal(noticeText(catalogFor('en'), { body: kicked.text, notice: { kind: kicked.reason, detail: 'Off topic' } }, ROOM), kicked.text, 'English says what the core said');
    assert.deepEqual(roomErrorView(ROOM_REFUSED_BY_POLICY), { reason: 'room-policy-refused', text: ROOM_REFUSED_BY_POLICY.text }, 'no empty parameters');
    assert.match(wordedText(de, roomErrorView(ROOM_REFUSED_BY_POLICY)), /Richtlinie Ihres Administrators/);
    const taken = joinRefusal({ room: ROOM, nick: 'Bob', condition: 'conflict' }).problem;
    assert.equal(wordedText(de, roomErrorView(taken)), 'Der Spitzname „Bob“ ist in diesem Raum schon vergeben. Bitte wählen Sie einen anderen.');
    // An unknown reason from a newer core shows its English.
    assert.equal(wordedText(de, { reason: 'room-from-the-future', text: 'Something new.' }), 'Something new.');
  });

  test('a taken nickname reads as such; other refusals say what they mean', () => {
    const conflict = parseMucPresenceError(
      el(`<presence from='${ROOM}/Bob' type='error'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`),
    )!;
    assert.deepEqual(joinRefusal(conflict), {
      problem: { reason: 'room-nick-taken', params: { nick: 'Bob' }, text: 'The nickname “Bob” is already taken in this room. Choose another nickname.' },
      nickTaken: true,
    });
    const password = parseMucPresenceError(
      el(
        `<presence from='${ROOM}/Bob' type='error'><error type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>&lt;b&gt;nope</text></error></presence>`,
      ),
    )!;
    const refusal = joinRefusal(password);
    assert.equal(refusal.nickTaken, false);
    assert.deepEqual(refusal.problem, { reason: 'room-password', params: { said: '<b>nope' }, text: 'This room needs a password, or the password was wrong. (the room said: <b>nope)' });
    assert.equal(parseMucPresenceError(el(`<presence from='${ROOM}/Bob'/>`)), undefined);
  });

  test('groupchat messages: sender, subject, delay, bounded body; the stanza id counts only when the room gave it', () => {
    const m = parseGroupchatMessage(
      el(
        `<message from='${ROOM}/Alice' type='groupchat' id='a1'><body>${'x'.repeat(70_000)}</body><delay xmlns='urn:xmpp:delay' stamp='2026-01-01T10:00:00Z'/><stanza-id xmlns='urn:xmpp:sid:0' by='evil@example.com' id='forged'/></message>`,
      ),
    )!;
    assert.deepEqual([m.room, m.nick, m.id, m.stanzaId, m.stampedAt], [ROOM, 'Alice', 'a1', undefined, Date.UTC(2026, 0, 1, 10)]);
    assert.equal(m.body!.length, 65_536);
    const subject = parseGroupchatMessage(el(`<message from='${ROOM}' type='groupchat'><subject>Plans</subject></message>`))!;
    assert.deepEqual([subject.nick, subject.subject, subject.body], [undefined, 'Plans', undefined]);
    const sid = parseGroupchatMessage(el(`<message from='${ROOM}/A' type='groupchat'><body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='${ROOM}' id='s1'/></message>`))!;
    assert.equal(sid.stanzaId, 's1');
    assert.equal(parseGroupchatMessage(el(`<message from='${ROOM}/A' type='chat'><body>x</body></message>`)), undefined);
    assert.equal(parseGroupchatMessage(el(`<message from='example.com' type='groupchat'><body>x</body></message>`)), undefined);
    assert.equal(parseGroupchatMessage(el(`<message type='groupchat'><body>x</body></message>`)), undefined);
  });

  test('disco: items bounded and checked; a group chat service is identity conference/text with the muc feature', () => {
    const items = parseDiscoItems(
      el(`<query>${Array.from({ length: 30 }, (_, i) => `<item jid='s${i}.example.com' name='S${i}'/>`).join('')}<item jid='bad jid'/></query>`),
      10,
    );
    assert.equal(items.length, 10);
    assert.deepEqual(items[0], { jid: 's0.example.com', name: 'S0' });
    assert.equal(
      isMucService(el("<query><identity category='conference' type='text'/><feature var='http://jabber.org/protocol/muc'/></query>")),
      true,
    );
    assert.equal(isMucService(el("<query><identity category='conference' type='text'/></query>")), false);
    assert.equal(isMucService(undefined), false);
  });
});

describe('room state and the rooms manager', () => {
  test('a huge occupant list is bounded: the list holds MAX_OCCUPANTS, the rest is counted', () => {
    const room = new Room(ROOM, 'Me');
    for (let i = 0; i < MAX_OCCUPANTS + 500; i++) room.applyPresence(parseMucPresence(presence(`${ROOM}/n${i}`, "<item role='participant'/>"))!);
    const view = room.view();
    assert.equal(view.occupants.length, MAX_OCCUPANTS);
    assert.equal(view.occupantsOmitted, 500);
    room.applyPresence(parseMucPresence(presence(`${ROOM}/n0`, "<item role='none'/>", 'unavailable'))!);
    assert.equal(room.view().occupants.length, MAX_OCCUPANTS - 1);
  });

  test('traffic from rooms we are not in is taken (never a one-to-one chat) and dropped', () => {
    const emitted: EventName[] = [];
    const rooms = new Rooms([{ jid: ROOM, nick: 'Me' }, { jid: 'not a room', nick: 'x' }], {
      session: () => undefined,
      domain: () => 'example.com',
      roomUpdated: () => emitted.push('roomUpdated'),
      roomRemoved: () => emitted.push('roomRemoved'),
      messageUpserted: () => emitted.push('roomMessageUpserted'),
      saveRooms: async () => undefined,
      now: () => 1_000,
    });
    assert.deepEqual(
      rooms.views().map((r) => [r.jid, r.state]),
      [[ROOM, 'offline']],
      'the stored room waits for a session; the damaged entry is skipped',
    );
    assert.equal(rooms.onStanza(el(`<message from='other@conference.example.com/Eve' type='groupchat'><body>forged</body></message>`)), true);
    assert.equal(rooms.onStanza(el(`<message from='${ROOM}/Eve' type='groupchat'><body>not in it yet</body></message>`)), true);
    assert.equal(rooms.onStanza(presence(`other@conference.example.com/Eve`, "<item role='moderator'/><status code='110'/>")), true);
    assert.equal(rooms.onStanza(el(`<message from='${ROOM}/Eve' type='chat'><body>private message through the room</body></message>`)), true);
    assert.equal(rooms.onStanza(el(`<message from='bob@example.com/x' type='chat'><body>a chat</body></message>`)), false, 'chats are not ours');
    assert.equal(rooms.onStanza(el(`<presence from='bob@example.com/x'/>`)), false);
    assert.deepEqual(emitted, []);
    assert.deepEqual(rooms.messagesSnapshot(), { [ROOM]: [] });
    rooms.close();
  });

  test('a room message that cannot be read is a code the UI words (German too), and a plaintext room refused by policy likewise', () => {
    const de = catalogFor('de');
    const who = 'petra (petra@example.com)';
    for (const [kind, german] of [
      ['room-message-undecryptable', /konnte nicht entschlüsselt werden/],
      ['room-message-not-for-us', /nicht für dieses Gerät/],
      ['room-message-held', /auf Ihre Entscheidung wartet/],
      ['room-message-sender-unknown', /nicht mitgeteilt, wer/],
    ] as const) {
      const said = noticeText(de, { body: 'English from the core', notice: { kind, detail: who } }, ROOM);
      assert.match(said, german);
      assert.ok(said.includes(kind === 'room-message-sender-unknown' ? who : 'petra (petra@example.com)'));
    }
    assert.match(noticeText(de, { body: 'English', notice: { kind: 'room-plaintext-refused' } }, ROOM), /nicht Ende-zu-Ende-verschlüsselt/);
  });

  test('where every message must be private, plaintext rooms are refused; all rooms only when OMEMO is not allowed', () => {
    const gate = (values: object) => new PolicyGate(readPolicy(values, '/etc/klatsch/policy.json'));
    assert.equal(gate({}).groupChatRefusal(), undefined);
    assert.equal(gate({}).plaintextGroupChatRefusal(), undefined);
    assert.equal(gate({ otrPolicy: 'opportunistic' }).plaintextGroupChatRefusal(), undefined);
    for (const strict of [{ otrPolicy: 'always' }, { allowPlaintext: false }]) {
      assert.match(gate(strict).plaintextGroupChatRefusal()!, /not end-to-end encrypted/);
      assert.equal(gate(strict).groupChatRefusal(), undefined, 'encrypted (OMEMO) rooms stay allowed');
      assert.equal(gate({ ...strict, encryptionSchemes: ['omemo', 'otr'] }).groupChatRefusal(), undefined);
      assert.match(gate({ ...strict, encryptionSchemes: ['otr'] }).groupChatRefusal()!, /does not allow OMEMO/);
    }
  });
});

describe('renderer rooms slice', () => {
  const room = (jid: string, extra: Partial<RoomView> = {}): RoomView => ({ jid, nick: 'Me', state: 'joined', occupants: [], unread: 0, ...extra });
  const snapshot = (extra: Partial<Snapshot>): Snapshot => ({ accounts: [], rosters: {}, chats: {}, secretStorage: { available: true }, ...extra });

  test('rooms and their messages come with the snapshot; updates replace, removal clears the selection', () => {
    const store = createAppStore();
    store.getState().snapshotLoaded(
      snapshot({
        rooms: { a: [room('z@c.example.com'), room('b@c.example.com')] },
        roomMessages: { a: { 'b@c.example.com': [{ id: '2', peer: 'b@c.example.com', direction: 'in', body: 'later', timestamp: 2, state: 'received', nick: 'X' }, { id: '1', peer: 'b@c.example.com', direction: 'in', body: 'first', timestamp: 1, state: 'received', nick: 'Y' }] } },
      }),
    );
    assert.deepEqual(store.getState().rooms.a!.map((r) => r.jid), ['b@c.example.com', 'z@c.example.com']);
    assert.deepEqual(store.getState().roomMessages.a!['b@c.example.com']!.map((m) => m.body), ['first', 'later']);
    store.getState().chatSelected({ accountId: 'a', peer: 'bob@example.com' });
    store.getState().roomSelected({ accountId: 'a', peer: 'b@c.example.com' });
    assert.equal(store.getState().selected, null, 'a room on screen replaces the chat');
    store.getState().roomUpdated('a', room('b@c.example.com', { subject: 'New' }));
    assert.equal(store.getState().rooms.a!.find((r) => r.jid === 'b@c.example.com')!.subject, 'New');
    assert.equal(store.getState().rooms.a!.length, 2);
    store.getState().roomRemoved('a', 'b@c.example.com');
    assert.equal(store.getState().selectedRoom, null);
    assert.deepEqual(store.getState().rooms.a!.map((r) => r.jid), ['z@c.example.com']);
    store.getState().roomSelected({ accountId: 'a', peer: 'z@c.example.com' });
    store.getState().accountRemoved('a');
    assert.deepEqual([store.getState().rooms, store.getState().roomMessages, store.getState().selectedRoom], [{}, {}, null], 'an account\u2019s rooms go with it');
  });
});
