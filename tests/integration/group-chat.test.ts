/**
 * Group chat (XEP-0045) against a real Prosody with its `muc` component:
 * creating a room by name, three occupants, messages seen by all, history on
 * entering, nickname conflicts, the subject, being kicked, forged room traffic,
 * entering again after a reconnect and after a restart (history from the
 * encrypted store, no duplicates), and the policy that refuses group chats.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AccountView, RoomView } from '../../shared/contract.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { iq, rawLogin, type RawStream } from '../fixtures/raw-xmpp.js';
import { loginOn, usersWith } from '../fixtures/xmpp-server.js';

const password = 'muc-Passw0rd';

describe('group chat', () => {
  let server: ProsodyServer;
  const cores: Record<'alice' | 'bob' | 'carol', TestCore> = {} as never;
  const accounts: Record<'alice' | 'bob' | 'carol', AccountView> = {} as never;
  let room = '';
  /** Cores replaced by a restart: disposed at the end (their profile folders with them). */
  const stopped: TestCore[] = [];
  const login = (user: string) => loginOn(server, user, password);
  const target = () => ({ host: '127.0.0.1', port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem });
  const joinRoom = (user: 'alice' | 'bob' | 'carol', nick: string, address = room) =>
    cores[user].call('joinRoom', { accountId: accounts[user].id, room: address, nick });
  const inRoom = (user: 'alice' | 'bob' | 'carol', body: string) =>
    cores[user].waitFor('roomMessageUpserted', (e) => e.message.peer === room && e.message.body === body);

  before(async () => {
    server = await startProsody({
      muc: true,
      users: usersWith(password, 'alice', 'bob', 'carol', 'mallory'),
    });
    for (const user of ['alice', 'bob', 'carol'] as const) {
      cores[user] = await startTestCore({ caPem: server.ca.caCertPem });
      accounts[user] = await cores[user].call('addAccount', login(user));
    }
  });
  after(async () => {
    for (const core of Object.values(cores)) await core?.dispose();
    for (const core of stopped) await core.dispose();
    await server?.dispose();
  });

  test('a room created by name on the server\u2019s group chat service (found by disco)', async () => {
    const view = await joinRoom('alice', 'Alice', 'Team');
    assert.equal(view.jid, `team@conference.${server.domain}`, 'the name became the local part, on the service disco found');
    assert.equal(view.state, 'joined');
    assert.equal(view.created, true, 'the room was new: created as an instant room');
    assert.equal(view.nick, 'Alice');
    assert.deepEqual(
      view.occupants.map((o) => [o.nick, o.affiliation]),
      [['Alice', 'owner']],
    );
    room = view.jid;
    // Remembered in the account's settings, to be entered again after signing in (no password there).
    const settings = JSON.parse(await fs.readFile(path.join(cores.alice.profileDir, 'settings.json'), 'utf8')) as { accounts: { rooms?: unknown }[] };
    assert.deepEqual(settings.accounts[0]!.rooms, [{ jid: room, nick: 'Alice' }]);
  });

  test('the server\u2019s public rooms are listed (disco#items on its group chat service)', async () => {
    const listed = await cores.bob.call('listRooms', { accountId: accounts.bob.id });
    assert.equal(listed.service, `conference.${server.domain}`);
    assert.deepEqual(
      listed.rooms.map((r) => r.jid),
      [room],
    );
  });

  test('what was said before someone entered comes with the room history', async () => {
    const sent = await cores.alice.call('sendRoomMessage', { accountId: accounts.alice.id, room, body: 'Welcome, <b>team</b>!' });
    assert.equal(sent.direction, 'out');
    await cores.alice.waitFor('roomMessageUpserted', (e) => e.message.id === sent.id && e.message.state === 'sent');

    const view = await joinRoom('bob', 'Bob');
    assert.equal(view.state, 'joined');
    assert.equal(view.created, undefined, 'bob entered an existing room');
    const history = await inRoom('bob', 'Welcome, <b>team</b>!');
    assert.equal(history.message.nick, 'Alice');
    assert.equal(history.message.direction, 'in');
    assert.ok(history.message.timestamp <= Date.now());
  });

  test('a nickname already taken is refused clearly; another one works', async () => {
    const taken = await cores.carol.request('joinRoom', { accountId: accounts.carol.id, room, nick: 'Bob' });
    assert.equal(taken.ok, false);
    assert.ok(!taken.ok && taken.error.code === 'already-exists', JSON.stringify(taken));
    assert.match(!taken.ok ? taken.error.message : '', /nickname .Bob. is already taken.*Choose another/);
    const view = await joinRoom('carol', 'Carol');
    assert.equal(view.state, 'joined');
    assert.deepEqual(
      view.occupants.map((o) => o.nick),
      ['Alice', 'Bob', 'Carol'],
    );
  });

  test('three occupants: everyone sees everyone, and every message', async () => {
    for (const user of ['alice', 'bob'] as const) {
      await cores[user].waitFor('roomUpdated', (e) => e.room.jid === room && e.room.occupants.map((o) => o.nick).join() === 'Alice,Bob,Carol');
    }
    const lines: ['alice' | 'bob' | 'carol', string][] = [
      ['alice', 'Stand-up in 5 minutes'],
      ['bob', 'On my way 🏃'],
      ['carol', 'Text <i>not markup</i> &amp; fine'],
    ];
    for (const [from, body] of lines) {
      await cores[from].call('sendRoomMessage', { accountId: accounts[from].id, room, body });
      for (const user of ['alice', 'bob', 'carol'] as const) {
        const seen = await inRoom(user, body);
        assert.equal(seen.message.nick, { alice: 'Alice', bob: 'Bob', carol: 'Carol' }[from]);
        assert.equal(seen.message.direction, user === from ? 'out' : 'in');
        assert.equal(seen.message.encrypted, undefined, 'group chats are never marked private');
      }
    }
    const unread = await cores.bob.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.unread === 2);
    assert.equal(unread.room.unread, 2, 'alice\u2019s and carol\u2019s live messages');
    await cores.bob.call('markRoomRead', { accountId: accounts.bob.id, room });
    await cores.bob.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.unread === 0);
  });

  test('the subject set by the owner reaches everyone', async () => {
    await cores.alice.call('setRoomSubject', { accountId: accounts.alice.id, room, subject: 'Release 2.0 this week' });
    for (const user of ['alice', 'bob', 'carol'] as const) {
      await cores[user].waitFor('roomUpdated', (e) => e.room.jid === room && e.room.subject === 'Release 2.0 this week');
    }
  });

  test('our availability reaches the rooms we are in', async () => {
    await cores.bob.call('setPresence', { accountId: accounts.bob.id, show: 'away', status: 'lunch' });
    await cores.alice.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.occupants.some((o) => o.nick === 'Bob' && o.show === 'away'));
    const back = cores.alice.events.length;
    await cores.bob.call('setPresence', { accountId: accounts.bob.id, show: 'online', status: '' });
    await cores.alice.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.occupants.some((o) => o.nick === 'Bob' && o.show === 'online'), { after: back });
  });

  test('forged room traffic from outside a room is dropped: no room appears, no words are put into one', async () => {
    const bobFull = (accounts.bob.connection.kind === 'online' ? accounts.bob.connection.jid : '') || (await onlineJid(cores.bob, accounts.bob.id));
    const mallory = await rawLogin(target(), 'mallory', password);
    try {
      const before = cores.bob.events.length;
      mallory.send(`<message type='groupchat' to='${bobFull}' id='f1'><body>forged into a room</body></message>`);
      mallory.send(
        `<presence to='${bobFull}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/></x></presence>`,
      );
      // A huge, malformed occupant list addressed to bob: nothing of it is believed.
      for (let i = 0; i < 50; i++) mallory.send(`<presence to='${bobFull}'><x xmlns='http://jabber.org/protocol/muc#user'><item role='x${i}'/></x></presence>`);
      // A marker that bob's core did receive mallory's stanzas (a plain chat message arrives as a chat).
      mallory.send(`<message type='chat' to='${bobFull}' id='m1'><body>marker after the forgeries</body></message>`);
      await cores.bob.waitFor('messageUpserted', (e) => e.message.body === 'marker after the forgeries', { after: before });
      const later = cores.bob.events.slice(before);
      assert.ok(!later.some((e) => e.name === 'roomMessageUpserted'), 'no room message');
      assert.ok(!later.some((e) => e.name === 'roomUpdated' && (e.payload as { room: RoomView }).room.jid !== room), 'no new room');
      assert.ok(!later.some((e) => e.name === 'messageUpserted' && JSON.stringify(e.payload).includes('forged')), 'not shown as a chat either');
    } finally {
      mallory.close();
    }
  });

  test('kicked by a moderator: the room says so and is not entered again', async () => {
    const mallory = await rawLogin(target(), 'mallory', password);
    const lair = `lair@conference.${server.domain}`;
    try {
      await enterRaw(mallory, lair, 'Mallory');
      await joinRoom('carol', 'Carol', lair);
      await iq(mallory, 'kick', 'set', `<query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Carol' role='none'><reason>Off topic</reason></item></query>`, {
        to: lair,
      });
      const removed = await cores.carol.waitFor('roomUpdated', (e) => e.room.jid === lair && e.room.state === 'removed');
      assert.match(removed.room.error?.text ?? '', /kicked.*Off topic/);
      assert.deepEqual([removed.room.error?.reason, removed.room.error?.params], ['room-kicked', { said: 'Off topic' }], 'a reason the UI words');
      assert.deepEqual(removed.room.occupants, []);
      // The settings are written right after the event: read them until the write landed (bounded).
      await eventually(async () => {
        const settings = JSON.parse(await fs.readFile(path.join(cores.carol.profileDir, 'settings.json'), 'utf8')) as { accounts: { rooms?: { jid: string }[] }[] };
        assert.deepEqual(
          settings.accounts[0]!.rooms?.map((r) => r.jid),
          [room],
          'the room carol was kicked from is not entered again',
        );
      });
      await cores.carol.call('leaveRoom', { accountId: accounts.carol.id, room: lair });
      await cores.carol.waitFor('roomRemoved', (e) => e.room === lair);
    } finally {
      mallory.close();
    }
  });

  test('after a reconnect the rooms are entered again, without the history twice', async () => {
    const before = cores.bob.events.length;
    await cores.bob.call('disconnectAccount', { accountId: accounts.bob.id });
    await cores.bob.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.state === 'offline', { after: before });
    await cores.bob.call('connectAccount', { accountId: accounts.bob.id });
    await cores.bob.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.state === 'joined', { after: before });
    await cores.alice.call('sendRoomMessage', { accountId: accounts.alice.id, room, body: 'After bob came back' });
    await cores.bob.waitFor('roomMessageUpserted', (e) => e.message.body === 'After bob came back', { after: before });
    const snapshot = await cores.bob.call('getSnapshot', {});
    const bodies = snapshot.roomMessages![accounts.bob.id]![room]!.filter((m) => m.direction !== 'notice').map((m) => m.body);
    assert.equal(new Set(bodies).size, bodies.length, `no message twice: ${JSON.stringify(bodies)}`);
    assert.ok(bodies.includes('Welcome, <b>team</b>!') && bodies.includes('After bob came back'));
  });

  test('after a restart: the room is entered again by itself, its history read from the encrypted store', async () => {
    const profileDir = cores.bob.profileDir;
    await cores.bob.core.stop();
    stopped.push(cores.bob);
    const stored = await fs.readFile(path.join(profileDir, 'history', `${accounts.bob.id}-rooms.sqlite`), 'latin1');
    assert.ok(!stored.includes('Stand-up') && !stored.includes('Welcome'), 'the stored room history is encrypted');
    cores.bob = await startTestCore({ caPem: server.ca.caCertPem, profileDir });
    const joined = await cores.bob.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.state === 'joined');
    assert.equal(joined.room.nick, 'Bob');
    const snapshot = await cores.bob.call('getSnapshot', {});
    const bodies = snapshot.roomMessages![accounts.bob.id]![room]!.filter((m) => m.direction !== 'notice').map((m) => m.body);
    assert.ok(bodies.includes('Stand-up in 5 minutes'), 'from the stored history');
    assert.equal(new Set(bodies).size, bodies.length, `no message twice: ${JSON.stringify(bodies)}`);
  });

  test('leaving: gone from the list and from the settings', async () => {
    await cores.carol.call('leaveRoom', { accountId: accounts.carol.id, room });
    await cores.carol.waitFor('roomRemoved', (e) => e.room === room);
    await cores.alice.waitFor('roomUpdated', (e) => e.room.jid === room && !e.room.occupants.some((o) => o.nick === 'Carol'));
    await eventually(async () => {
      const settings = JSON.parse(await fs.readFile(path.join(cores.carol.profileDir, 'settings.json'), 'utf8')) as { accounts: { rooms?: unknown[] }[] };
      assert.deepEqual(settings.accounts[0]!.rooms, []);
    });
  });

  test('where the administrator requires encryption for every message, plaintext group chats are refused with the reason', async () => {
    const strict = await startTestCore({ caPem: server.ca.caCertPem, policy: new PolicyGate(readPolicy({ allowPlaintext: false }, '/etc/klatsch/policy.json')) });
    try {
      const account = await strict.call('addAccount', { ...login('carol'), rememberPassword: false });
      const refused = await strict.request('joinRoom', { accountId: account.id, room, nick: 'Carol2' });
      assert.ok(!refused.ok && refused.error.code === 'forbidden-by-policy', JSON.stringify(refused));
      assert.match(!refused.ok ? refused.error.message : '', /not end-to-end encrypted/);
      const sent = await strict.request('sendRoomMessage', { accountId: account.id, room, body: 'plaintext?' });
      assert.ok(!sent.ok, 'not sent to a room it was refused');
      assert.ok(!(await server.receivedStanzas()).includes('plaintext?'), 'nothing went to the server');
    } finally {
      await strict.dispose();
    }
  });
});

/** Runs `check` until it passes, for at most 5 s (for what is written to disk right after an event). */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The full JID of an online account, from its latest accountUpdated. */
async function onlineJid(core: TestCore, accountId: string): Promise<string> {
  const view = await core.waitFor('accountUpdated', (a) => a.id === accountId && a.connection.kind === 'online');
  return view.connection.kind === 'online' ? view.connection.jid : '';
}

/** Enters (and so creates) a room from the raw client, accepting the default configuration. */
async function enterRaw(stream: RawStream, room: string, nick: string): Promise<void> {
  const from = stream.mark();
  stream.send(`<presence to='${room}/${nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
  await stream.next(/<presence[^>]*>[\s\S]*?code=['"]110['"][\s\S]*?<\/presence>/, from);
  await iq(stream, 'conf', 'set', "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query>", { to: room });
}
