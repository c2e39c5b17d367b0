/**
 * Group chat invitations and bookmarks against a real Prosody 0.12 (its `muc` component, `pep`,
 * `private` and `bookmarks`, which keeps XEP-0402 and XEP-0048 in step): a contact's direct
 * (XEP-0249) and mediated (XEP-0045) invitations are shown and entered only when accepted, a
 * decline goes back through the room, a stranger's invitation is never entered by itself, and the
 * rooms the user is in follow them to a second device, live (bookmark notifications), also where the
 * server has only XEP-0048 private storage.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, Invitation, RoomView } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { iq, rawLogin } from '../fixtures/raw-xmpp.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loginOn, usersWith } from '../fixtures/xmpp-server.js';

const password = 'invite-Passw0rd';

describe('group chat invitations and bookmarks', () => {
  let server: ProsodyServer;
  const cores: Record<'alice' | 'bob' | 'alice2', TestCore> = {} as never;
  const accounts: Record<'alice' | 'bob' | 'alice2', AccountView> = {} as never;
  const jid = (user: string) => `${user}@${server.domain}`;
  const login = (user: string) => loginOn(server, user, password);
  const target = () => ({ host: '127.0.0.1', port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem });
  const roomJid = (name: string) => `${name}@conference.${server.domain}`;
  const join = (user: 'alice' | 'bob' | 'alice2', room: string, nick: string) =>
    cores[user].call('joinRoom', { accountId: accounts[user].id, room, nick });
  const invitationTo = (user: 'bob', room: string, after = 0) =>
    cores[user].waitFor('invitationsChanged', (e) => e.invitations.some((i) => i.room === room), { after }).then((e) => e.invitations.find((i) => i.room === room)!);

  before(async () => {
    server = await startProsody({
      muc: true,
      users: usersWith(password, 'alice', 'bob', 'mallory'),
      contacts: [['alice', 'bob']],
      // Prosody 0.12: PEP, private XML storage, and mod_bookmarks bridging XEP-0402 and XEP-0048.
      extraConfig: '\tmodules_enabled = { "pep"; "private"; "bookmarks" }\n',
    });
    for (const user of ['alice', 'bob'] as const) {
      cores[user] = await startTestCore({ caPem: server.ca.caCertPem });
      accounts[user] = await cores[user].call('addAccount', login(user));
      await cores[user].waitFor('accountUpdated', (a) => a.id === accounts[user].id && a.connection.kind === 'online');
    }
  });
  after(async () => {
    for (const core of Object.values(cores)) await core?.dispose();
    await server?.dispose();
  });

  test('a contact invites directly (XEP-0249): shown as a request, entered only when accepted', async () => {
    const room = roomJid('plans');
    await join('alice', room, 'Alice');
    const mark = cores.bob.events.length;
    await cores.alice.call('inviteToRoom', { accountId: accounts.alice.id, room, contact: jid('bob'), reason: 'Release plan' });
    const invitation: Invitation = await invitationTo('bob', room, mark);
    assert.equal(invitation.from, jid('alice'));
    assert.equal(invitation.reason, 'Release plan');
    assert.equal(invitation.stranger, false, 'alice is a contact');
    assert.equal(invitation.mediated, false);
    assert.ok(
      !cores.bob.events.slice(mark).some((e) => e.name === 'roomUpdated' && (e.payload as { room: RoomView }).room.jid === room),
      'nothing entered before the user accepts',
    );
    const view = await cores.bob.call('acceptInvitation', { accountId: accounts.bob.id, id: invitation.id, nick: 'Bob' });
    assert.equal(view.jid, room);
    assert.equal(view.state, 'joined');
    await cores.alice.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.occupants.some((o) => o.nick === 'Bob'));
    await cores.bob.waitFor('invitationsChanged', (e) => !e.invitations.some((i) => i.room === room), { after: mark });
  });

  test('an invitation through the room (XEP-0045 mediated): declined goes back through the room; accepted enters', async () => {
    const room = roomJid('mediated');
    await join('alice', room, 'Alice');
    let mark = cores.bob.events.length;
    await cores.alice.call('inviteToRoom', { accountId: accounts.alice.id, room, contact: jid('bob'), reason: 'Come in', via: 'room' });
    let invitation = await invitationTo('bob', room, mark);
    assert.equal(invitation.mediated, true);
    // Prosody's rooms hide real addresses: the room names the inviter by nickname, which proves nobody's identity.
    assert.equal(invitation.from, `${room}/Alice`, 'the room names who invited');
    assert.equal(invitation.stranger, true, 'a nickname in a room is not the contact alice');
    assert.equal(invitation.reason, 'Come in');
    await cores.bob.call('declineInvitation', { accountId: accounts.bob.id, id: invitation.id });
    await cores.bob.waitFor('invitationsChanged', (e) => e.invitations.every((i) => i.room !== room), { after: mark });
    const received = await server.receivedStanzas();
    assert.match(received, new RegExp(`to=['"]${room}['"][^\\n]*<decline[^>]*to=['"]${room}/Alice['"]`), 'the decline went to the room, for alice');

    mark = cores.bob.events.length;
    await cores.alice.call('inviteToRoom', { accountId: accounts.alice.id, room, contact: jid('bob'), via: 'room' });
    invitation = await invitationTo('bob', room, mark);
    const view = await cores.bob.call('acceptInvitation', { accountId: accounts.bob.id, id: invitation.id, nick: 'Bob' });
    assert.equal(view.state, 'joined');
  });

  test('a stranger\u2019s invitation is shown as a stranger\u2019s, with the full address, and never entered by itself', async () => {
    const mallory = await rawLogin(target(), 'mallory', password);
    const room = roomJid('lure');
    try {
      const mark = cores.bob.events.length;
      mallory.send(`<message to='${jid('bob')}' id='lure1'><x xmlns='jabber:x:conference' jid='${room}' reason='Free stuff'/></message>`);
      // Pretending to be alice inside the stanza changes nothing: the sender is mallory.
      mallory.send(`<message to='${jid('bob')}' id='lure2'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='${jid('alice')}'/></x></message>`);
      const invitation = await invitationTo('bob', room, mark);
      assert.equal(invitation.stranger, true);
      assert.equal(invitation.from, jid('mallory'));
      // A marker: bob's core has read everything mallory sent before it.
      mallory.send(`<message type='chat' to='${jid('bob')}' id='m1'><body>marker after the lure</body></message>`);
      await cores.bob.waitFor('messageUpserted', (e) => e.message.body === 'marker after the lure', { after: mark });
      const later = cores.bob.events.slice(mark);
      assert.ok(!later.some((e) => e.name === 'roomUpdated' && (e.payload as { room: RoomView }).room.jid === room), 'no room entered');
      const lists = later.filter((e) => e.name === 'invitationsChanged').map((e) => (e.payload as { invitations: Invitation[] }).invitations);
      assert.ok(!lists.some((l) => l.some((i) => i.mediated && i.from === jid('alice'))), 'a mediated invitation not from a room is not believed');
    } finally {
      mallory.close();
    }
  });

  test('an invitation to a password-protected room carries the password: used to enter, never stored or shown', async () => {
    const roomSecret = 'vault-Secr3t';
    const room = roomJid('vault');
    const owner = await rawLogin(target(), 'mallory', password);
    try {
      // The room's owner (a raw client) creates it with a password; alice enters with it.
      const from = owner.mark();
      owner.send(`<presence to='${room}/Owner'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
      await owner.next(/<presence[^>]*>[\s\S]*?code=['"]110['"][\s\S]*?<\/presence>/, from);
      await iq(
        owner,
        'conf',
        'set',
        `<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field><field var='muc#roomconfig_roomsecret'><value>${roomSecret}</value></field></x></query>`,
        { to: room },
      );
      const refused = await cores.bob.request('joinRoom', { accountId: accounts.bob.id, room, nick: 'Bob' });
      assert.equal(refused.ok, false, 'the room does need its password');
      await cores.alice.call('joinRoom', { accountId: accounts.alice.id, room, nick: 'Alice', password: roomSecret });
      const mark = cores.bob.events.length;
      await cores.alice.call('inviteToRoom', { accountId: accounts.alice.id, room, contact: jid('bob') });
      const invitation = await invitationTo('bob', room, mark);
      assert.equal(invitation.passwordProtected, true);
      assert.ok(!JSON.stringify(cores.bob.events).includes(roomSecret), 'the password never reaches the UI');
      const view = await cores.bob.call('acceptInvitation', { accountId: accounts.bob.id, id: invitation.id, nick: 'Bob' });
      assert.equal(view.state, 'joined', 'entered with the password the invitation carried');
      const settings = await fs.readFile(path.join(cores.bob.profileDir, 'settings.json'), 'utf8');
      assert.ok(settings.includes(room) && !settings.includes(roomSecret), 'the room is remembered, its password is not');
    } finally {
      owner.close();
    }
  });

  test('a second device of the same account enters the bookmarked rooms, and follows joins and leaves live', async () => {
    cores.alice2 = await startTestCore({ caPem: server.ca.caCertPem });
    accounts.alice2 = await cores.alice2.call('addAccount', login('alice'));
    for (const name of ['plans', 'mediated']) {
      const entered = await cores.alice2.waitFor('roomUpdated', (e) => e.room.jid === roomJid(name) && e.room.state === 'joined');
      assert.equal(entered.room.nick, 'Alice', 'with the nickname from the bookmark');
    }
    // alice joins a room on her first device: the second follows (a bookmark notification).
    const live = roomJid('live');
    await join('alice', live, 'Alice');
    await cores.alice2.waitFor('roomUpdated', (e) => e.room.jid === live && e.room.state === 'joined');
    // …and leaves it there: the second device leaves too.
    await cores.alice.call('leaveRoom', { accountId: accounts.alice.id, room: live });
    await cores.alice2.waitFor('roomRemoved', (e) => e.room === live);
  });

  test('a forged bookmark notification from someone else is not believed', async () => {
    const mallory = await rawLogin(target(), 'mallory', password);
    const room = roomJid('trap');
    try {
      const mark = cores.alice2.events.length;
      const aliceFull = (await cores.alice2.waitFor('accountUpdated', (a) => a.id === accounts.alice2.id && a.connection.kind === 'online')).connection;
      const to = aliceFull.kind === 'online' ? aliceFull.jid : jid('alice');
      mallory.send(
        `<message to='${to}' id='bm1'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'><item id='${room}'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item></items></event></message>`,
      );
      mallory.send(`<message type='chat' to='${to}' id='m2'><body>marker after the forged bookmark</body></message>`);
      await cores.alice2.waitFor('messageUpserted', (e) => e.message.body === 'marker after the forged bookmark', { after: mark });
      // A real change from alice's own account, after the forgery, is followed: the second device is listening.
      const genuine = roomJid('genuine');
      await join('alice', genuine, 'Alice');
      await cores.alice2.waitFor('roomUpdated', (e) => e.room.jid === genuine && e.room.state === 'joined', { after: mark });
      assert.ok(!cores.alice2.events.slice(mark).some((e) => e.name === 'roomUpdated' && (e.payload as { room: RoomView }).room.jid === room), 'no room entered');
    } finally {
      mallory.close();
    }
  });
});

describe('bookmarks on a server without XEP-0402 (XEP-0048 in private XML storage)', () => {
  let server: ProsodyServer;
  const cores: TestCore[] = [];

  before(async () => {
    // Only mod_private: no PEP bookmarks, so the account does not announce urn:xmpp:bookmarks:1#compat.
    server = await startProsody({ muc: true, users: [{ username: 'alice', password }], extraConfig: '\tmodules_enabled = { "private" }\n' });
  });
  after(async () => {
    for (const core of cores) await core.dispose();
    await server?.dispose();
  });

  test('a room joined on one device is entered by a second device of the same account', async () => {
    const login = { jid: `alice@${server.domain}`, password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort };
    const room = `legacy@conference.${server.domain}`;
    const first = await startTestCore({ caPem: server.ca.caCertPem });
    cores.push(first);
    const firstAccount = await first.call('addAccount', login);
    await first.waitFor('accountUpdated', (a) => a.id === firstAccount.id && a.connection.kind === 'online');
    await first.call('joinRoom', { accountId: firstAccount.id, room, nick: 'Alice' });
    const second = await startTestCore({ caPem: server.ca.caCertPem });
    cores.push(second);
    await second.call('addAccount', login);
    const entered = await second.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.state === 'joined');
    assert.equal(entered.room.nick, 'Alice');
  });
});
