/**
 * The administrator's deny list across federation, on every path by which another company reaches the user:
 * group chat invitations (direct and through a room), the server's message archive, carbon copies of what
 * another device of the user received or sent, presence, and rooms on a denied company's group chat service.
 * Nothing of it is shown, and the account notes the refused domain (AccountView.blockedSenders), so the user
 * is told why. Each path has an account of its own at corp-a, so that its note is its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import xml from '@xmpp/xml';
import type { ChatMessage } from '../../shared/contract.js';
import { signedInCore, startFederation, type Federation } from '../fixtures/federation.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import type { ProsodyServer } from '../fixtures/prosody.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import { directInvitation } from '../../electron/core/muc/invitations.js';

const password = 'federation-blocked-pw-7';
const DENIED = 'corp-d.test';
const DENIED_ROOMS = 'conference.corp-d.test';
/** The users at corp-a: one per path. */
const LOCALS = ['add', 'inv1', 'inv2', 'inv3', 'mam', 'carb1', 'carb2', 'pres', 'room1', 'room2'] as const;

describe('a denied domain on every path across federation', () => {
  let fed: Federation;
  let corpA: ProsodyServer;
  let corpB: ProsodyServer;
  let corpD: ProsodyServer;
  const cores: TestCore[] = [];
  const sessions: XmppSession[] = [];
  const profiles: string[] = [];
  let bob: TestCore;
  let bobId: string;
  let dave: TestCore;
  let daveId: string;
  const BOB = 'bob@corp-b.test';
  const DAVE = `dave@${DENIED}`;
  const at = (local: string) => `${local}@corp-a.test`;
  const policy = () => new PolicyGate(readPolicy({ remoteDeny: [DENIED] }, '/etc/klatsch/policy.json'));

  async function signIn(server: ProsodyServer, jid: string, options: { policy?: PolicyGate; profileDir?: string } = {}): Promise<{ core: TestCore; id: string }> {
    const signedIn = await signedInCore(fed, server, jid, password, options);
    cores.push(signedIn.core);
    return signedIn;
  }
  /** Another device of `local@server` (a plain XMPP client of our own stack), priority -1: bare-JID messages go elsewhere. */
  async function device(server: ProsodyServer, local: string): Promise<XmppSession> {
    const session = await XmppSession.open({
      local,
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [fed.ca.caCertPem] },
      endpoints: [{ host: server.host, port: server.c2sPort, directTls: false }],
    });
    sessions.push(session);
    session.start();
    await session.send(xml('presence', {}, xml('priority', {}, '-1')));
    return session;
  }
  const noted = (core: TestCore, id: string, who: string) =>
    core.waitFor('accountUpdated', (a) => a.id === id && (a.blockedSenders ?? []).includes(who), { timeoutMs: 20_000 });
  const blockedOf = (core: TestCore, id: string) => core.core.snapshot().accounts.find((a) => a.id === id)?.blockedSenders;

  before(async () => {
    fed = await startFederation([
      { domain: 'corp-a.test', users: LOCALS.map((username) => ({ username, password })) },
      { domain: 'corp-b.test', users: [{ username: 'bob', password }], muc: true },
      // Valid, but on the corp-a users' administrator's deny list, with a group chat service of its own.
      { domain: DENIED, users: [{ username: 'dave', password }], muc: true },
    ]);
    [corpA, corpB, corpD] = fed.servers as [ProsodyServer, ProsodyServer, ProsodyServer];
    [{ core: bob, id: bobId }, { core: dave, id: daveId }] = await Promise.all([signIn(corpB, BOB), signIn(corpD, DAVE)]);
  });
  after(async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    await Promise.all(cores.map((c) => c.dispose()));
    await Promise.all(profiles.map((p) => fs.rm(p, { recursive: true, force: true })));
    await fed?.dispose();
  });

  test('adding a contact at the denied domain is refused with the domain as a parameter, for the UI to word', async () => {
    const { core, id } = await signIn(corpA, at('add'), { policy: policy() });
    const refused = await core.request('addContact', { accountId: id, jid: DAVE });
    assert.equal(refused.ok, false);
    assert.deepEqual(!refused.ok && refused.error.remote, { action: 'contact', address: DAVE, blocked: DENIED });
  });

  test('a direct invitation (XEP-0249) from a user of the denied domain is not shown, and the domain is noted', async () => {
    const { core, id } = await signIn(corpA, at('inv1'), { policy: policy() });
    const room = await dave.call('joinRoom', { accountId: daveId, room: `dave-direct@${DENIED_ROOMS}`, nick: 'Dave' });
    await dave.call('inviteToRoom', { accountId: daveId, room: room.jid, contact: at('inv1') });
    await noted(core, id, DENIED);
    assert.deepEqual(core.core.snapshot().invitations?.[id] ?? [], [], 'no invitation shown');
    assert.ok(!core.events.some((e) => e.name === 'invitationsChanged' && JSON.stringify(e.payload).includes(DENIED)), 'none was ever listed');
  });

  test('an invitation from an allowed company to a room on the denied domain’s group chat service is not shown, naming the service', async () => {
    const { core, id } = await signIn(corpA, at('inv2'), { policy: policy() });
    // bob (corp-b, allowed) invites directly, naming a room at conference.corp-d.test.
    const bobDevice = await device(corpB, 'bob');
    await bobDevice.send(directInvitation(at('inv2'), 'inv-to-denied-room', `secret-plans@${DENIED_ROOMS}`, 'Come in'));
    await noted(core, id, DENIED_ROOMS);
    assert.deepEqual(blockedOf(core, id), [DENIED_ROOMS], 'bob himself is not blocked');
    assert.deepEqual(core.core.snapshot().invitations?.[id] ?? [], []);
  });

  test('a mediated invitation (XEP-0045) handed on by a room at the denied domain is not shown', async () => {
    const { core, id } = await signIn(corpA, at('inv3'), { policy: policy() });
    const room = await dave.call('joinRoom', { accountId: daveId, room: `dave-mediated@${DENIED_ROOMS}`, nick: 'Dave' });
    await dave.call('inviteToRoom', { accountId: daveId, room: room.jid, contact: at('inv3'), via: 'room' });
    await noted(core, id, DENIED_ROOMS);
    assert.deepEqual(core.core.snapshot().invitations?.[id] ?? [], []);
    assert.ok(!core.events.some((e) => e.name === 'invitationsChanged' && JSON.stringify(e.payload).includes(DENIED)), 'none was ever listed');
  });

  test('messages with the denied domain in the server’s archive (MAM) are neither shown nor kept, and the domain is noted', async () => {
    // Another device of the user, without the policy, is online: the messages are archived, not kept offline.
    const { core: other, id: otherId } = await signIn(corpA, at('mam'));
    await dave.call('setOtrPolicy', { accountId: daveId, peer: at('mam'), policy: 'never' });
    await dave.call('sendMessage', { accountId: daveId, to: at('mam'), body: 'archived from a denied company 5581' });
    await other.waitFor('messageUpserted', (e) => e.message.body === 'archived from a denied company 5581', { timeoutMs: 20_000 });
    await other.call('setOtrPolicy', { accountId: otherId, peer: DAVE, policy: 'never' });
    await other.call('sendMessage', { accountId: otherId, to: DAVE, body: 'archived to a denied company 5582' });
    await dave.waitFor('messageUpserted', (e) => e.message.body === 'archived to a denied company 5582', { timeoutMs: 20_000 });
    await bob.call('setOtrPolicy', { accountId: bobId, peer: at('mam'), policy: 'never' });
    await bob.call('sendMessage', { accountId: bobId, to: at('mam'), body: 'archived from an allowed company' });
    await other.waitFor('messageUpserted', (e) => e.message.body === 'archived from an allowed company', { timeoutMs: 20_000 });
    await other.dispose();
    cores.splice(cores.indexOf(other), 1);

    // A new device with the policy catches up from the archive: bob's message, the newest, comes after dave's.
    const { core, id } = await signIn(corpA, at('mam'), { policy: policy() });
    await core.waitFor('messageUpserted', (e) => e.message.body === 'archived from an allowed company', { timeoutMs: 20_000 });
    const chats = core.core.snapshot().chats[id] ?? {};
    assert.equal(chats[DAVE], undefined, 'nothing with dave in the chats (nor in the history they are kept in)');
    assert.ok(!JSON.stringify(core.events).includes('denied company'), 'never the text');
    assert.deepEqual(blockedOf(core, id), [DENIED]);
  });

  test('a carbon of a message a user of the denied domain sent to another device of the user is not shown, and noted', async () => {
    const { core, id } = await signIn(corpA, at('carb1'), { policy: policy() });
    const laptop = await device(corpA, 'carb1');
    const daveDevice = await device(corpD, 'dave');
    await daveDevice.send(chatMessage(laptop.jid, 'to-the-laptop-1', 'to your laptop from a denied company 5591'));
    await noted(core, id, DENIED);
    assert.equal((core.core.snapshot().chats[id] ?? {})[DAVE], undefined);
    assert.ok(!JSON.stringify(core.events).includes('denied company'), 'never the text');
  });

  test('a carbon of a message another device of the user sent to the denied domain is not shown, and noted', async () => {
    const { core, id } = await signIn(corpA, at('carb2'), { policy: policy() });
    const laptop = await device(corpA, 'carb2');
    await laptop.send(chatMessage(DAVE, 'from-the-laptop-1', 'from my laptop to a denied company 5592'));
    await noted(core, id, DENIED);
    assert.equal((core.core.snapshot().chats[id] ?? {})[DAVE], undefined);
    assert.ok(!JSON.stringify(core.events).includes('denied company'), 'never the text');
  });

  test('a contact at the denied domain (added before the policy) never shows online, and the domain is noted', async () => {
    // Without the policy (another device, or before the administrator set it), the user and dave became contacts.
    const { core: before, id: beforeId } = await signIn(corpA, at('pres'));
    await before.call('addContact', { accountId: beforeId, jid: DAVE });
    await dave.waitFor('subscriptionRequestsChanged', (e) => e.requests.some((r) => r.jid === at('pres')), { timeoutMs: 20_000 });
    await dave.call('approveSubscription', { accountId: daveId, jid: at('pres') });
    await before.waitFor('contactUpdated', (e) => e.contact.jid === DAVE && e.contact.subscription === 'both' && e.contact.presence.show === 'online', { timeoutMs: 20_000 });
    await before.dispose();
    cores.splice(cores.indexOf(before), 1);

    // Signed in under the policy: dave's server answers the probe with his presence; it is not shown.
    const { core, id } = await signIn(corpA, at('pres'), { policy: policy() });
    await noted(core, id, DENIED);
    const contact = core.core.snapshot().rosters[id]?.find((c) => c.jid === DAVE);
    assert.equal(contact?.presence.show, 'offline');
    assert.ok(!core.events.some((e) => e.name === 'contactUpdated' && (e.payload as { contact: { jid: string; presence: { show: string } } }).contact.jid === DAVE && (e.payload as { contact: { presence: { show: string } } }).contact.presence.show !== 'offline'));
  });

  test('entering a room on the denied domain’s group chat service is refused with a sentence naming it', async () => {
    const { core, id } = await signIn(corpA, at('room1'), { policy: policy() });
    const refused = await core.request('joinRoom', { accountId: id, room: `dave-direct@${DENIED_ROOMS}`, nick: 'Room1' });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'forbidden-by-policy');
    assert.equal(
      !refused.ok && refused.error.message,
      `Your administrator does not allow group chats at ${DENIED_ROOMS}, so dave-direct@${DENIED_ROOMS} cannot be entered.`,
    );
    assert.deepEqual(!refused.ok && refused.error.remote, { action: 'room', address: `dave-direct@${DENIED_ROOMS}`, blocked: DENIED_ROOMS });
    assert.deepEqual(core.core.snapshot().rooms?.[id] ?? [], []);
  });

  test('a room on the denied domain entered before the policy is not entered again at sign-in: its messages never show', async () => {
    const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-profile-'));
    profiles.push(profileDir);
    const ROOM = `dave-room@${DENIED_ROOMS}`;
    await dave.call('joinRoom', { accountId: daveId, room: ROOM, nick: 'Dave' });
    const { core: before, id: beforeId } = await signIn(corpA, at('room2'), { profileDir });
    await before.call('joinRoom', { accountId: beforeId, room: ROOM, nick: 'Room2' });
    await dave.call('sendRoomMessage', { accountId: daveId, room: ROOM, body: 'room message before the policy' });
    await before.waitFor('roomMessageUpserted', (e) => e.message.body === 'room message before the policy', { timeoutMs: 20_000 });
    await before.core.stop();
    cores.splice(cores.indexOf(before), 1);

    // The administrator's policy came meanwhile: the same profile signs in under it.
    const core = await startTestCore({ caPem: fed.ca.caCertPem, names: fed.names, profileDir, policy: policy() });
    cores.push(core);
    const removed = await core.waitFor('roomUpdated', (e) => e.room.jid === ROOM && e.room.state === 'removed', { timeoutMs: 20_000 });
    assert.match(removed.room.error?.text ?? '', /policy does not allow this group chat/);
    const id = removed.accountId;
    await noted(core, id, DENIED_ROOMS);
    await core.waitFor('accountUpdated', (a) => a.id === id && a.connection.kind === 'online');
    await dave.call('sendRoomMessage', { accountId: daveId, room: ROOM, body: 'room message under the policy 5601' });
    // bob's message to the user comes after it (other link): the user's core is online and reading.
    await bob.call('setOtrPolicy', { accountId: bobId, peer: at('room2'), policy: 'never' });
    await bob.call('sendMessage', { accountId: bobId, to: at('room2'), body: 'to room2 after the room message' });
    await core.waitFor('messageUpserted', (e) => e.message.body === 'to room2 after the room message', { timeoutMs: 20_000 });
    const occupants = dave.core.snapshot().rooms?.[daveId]?.find((r) => r.jid === ROOM)?.occupants ?? [];
    assert.ok(!occupants.some((o) => o.nick === 'Room2'), 'the user is not in the room');
    assert.ok(!core.events.some((e) => e.name === 'roomMessageUpserted' && (e.payload as { message: ChatMessage }).message.body.includes('under the policy')));
  });
});
