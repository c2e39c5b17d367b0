/**
 * OMEMO in group chats (issue 15, XEP-0384 §5.6): two Klatsch cores and the reference peer (python-omemo over
 * slixmpp) in a members-only, non-anonymous room on the tests' Prosody. Messages go every way, encrypted for
 * every member's devices and decrypted by mapping the sender's nickname to their real address; in XEP-0384 0.3
 * (eu.siacs.conversations.axolotl, as Conversations) and in omemo:2. An open room stays plaintext and is marked
 * so; a member whose device is not trusted is not encrypted for (the user is told), and a message that would
 * reach no device of a member is not sent — never in plaintext.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage, RoomView } from '../../shared/contract.js';
import type { OmemoProvider } from '../../electron/core/e2ee/omemo/provider.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer, type OmemoVersion } from '../fixtures/omemo-peer.js';

const password = 'omemo-groups-pw';

describe('OMEMO in group chats: two Klatsch cores and python-omemo', () => {
  let server: ProsodyServer;
  const cores: Record<'alice' | 'bob', TestCore> = {} as never;
  const accounts: Record<'alice' | 'bob', AccountView> = {} as never;
  const peers: OmemoPeer[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const roomJid = (name: string) => `${name}@conference.${server.domain}`;
  const roomLog = (user: 'alice' | 'bob', room: string): ChatMessage[] => cores[user].core.snapshot().roomMessages?.[accounts[user].id]?.[room] ?? [];
  const join = (user: 'alice' | 'bob', room: string, nick: string): Promise<RoomView> => cores[user].call('joinRoom', { accountId: accounts[user].id, room, nick });
  const say = (user: 'alice' | 'bob', room: string, body: string) => cores[user].call('sendRoomMessage', { accountId: accounts[user].id, room, body });
  const heard = (user: 'alice' | 'bob', room: string, body: string) =>
    cores[user].waitFor('roomMessageUpserted', (e) => e.message.peer === room && e.message.direction === 'in' && e.message.body === body, { timeoutMs: 20_000 });
  const settled = (user: 'alice' | 'bob', id: string) =>
    cores[user].waitFor('roomMessageUpserted', (e) => e.message.id === id && (e.message.state === 'sent' || e.message.state === 'failed'), { timeoutMs: 20_000 });
  /** Each core knows the other's OMEMO devices (its device list was fetched or notified). */
  const knowsDevices = (user: 'alice' | 'bob', other: string) =>
    cores[user].waitFor('contactUpdated', (e) => e.contact.jid === other && e.contact.e2ee?.scheme === 'omemo', { timeoutMs: 20_000 });

  before(async () => {
    server = await startProsody({
      muc: true,
      users: [{ username: 'alice', password }, { username: 'bob', password }],
      contacts: [['alice', 'bob'], ['alice', 'petra'], ['bob', 'petra'], ['alice', 'tina'], ['bob', 'tina'], ['alice', 'vera'], ['bob', 'vera']],
      extraConfig: OMEMO_PROSODY_CONFIG,
    });
    for (const user of ['alice', 'bob'] as const) {
      cores[user] = await startTestCore({ caPem: server.ca.caCertPem, omemo: true });
      accounts[user] = await cores[user].call('addAccount', { jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    }
    await Promise.all([knowsDevices('alice', jid('bob')), knowsDevices('bob', jid('alice'))]);
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    for (const core of Object.values(cores)) await core?.dispose();
    await server?.dispose();
  });

  const cases: { version: OmemoVersion; user: string; room: string }[] = [
    { version: 'oldmemo', user: 'petra', room: 'axolotl' },
    { version: 'twomemo', user: 'tina', room: 'omemo2' },
  ];
  for (const { version, user, room: name } of cases) {
    test(`${version}: a members-only, non-anonymous room is encrypted; messages go every way and decrypt`, async () => {
      const room = roomJid(name);
      const peer = await startOmemoPeer({ server, username: user, password, versions: [version] });
      peers.push(peer);
      const created = await peer.joinRoom(room, user, { config: { membersOnly: true, nonAnonymous: true }, members: [jid('alice'), jid('bob')] });
      assert.equal(created.created, true);
      const [aliceView, bobView] = await Promise.all([join('alice', room, 'Alice'), join('bob', room, 'Bob')]);
      assert.deepEqual(aliceView.e2ee, { scheme: 'omemo' }, 'the room is shown as end-to-end encrypted with OMEMO');
      assert.deepEqual(bobView.e2ee, { scheme: 'omemo' });

      // The peer writes: both Klatsch cores map its nickname to its real address and decrypt.
      const sent = await peer.sendToRoom(room, `hello room from ${user}`);
      assert.deepEqual(sent.errors, []);
      assert.deepEqual(sent.members, [jid('alice'), jid('bob')], 'the peer encrypts for both members');
      assert.deepEqual(sent.messages.map((m) => m.version), [version]);
      for (const core of ['alice', 'bob'] as const) {
        const got = await heard(core, room, `hello room from ${user}`);
        assert.equal(got.message.encrypted, true);
        assert.equal(got.message.nick, user);
      }

      // Alice writes: the peer and Bob read it; her own copy is recognised by its id and recorded as sent encrypted.
      const peerFrom = peer.events.length;
      const mine = await say('alice', room, `hi ${user}, Alice here`);
      assert.equal(mine.encrypted, true);
      const onPeer = await peer.nextRoomMessage((m) => m.text === `hi ${user}, Alice here`, 20_000, peerFrom);
      assert.equal(onPeer.from, jid('alice'));
      assert.equal(onPeer.nick, 'Alice');
      assert.equal(onPeer.version, version);
      if (version === 'twomemo') assert.deepEqual(onPeer.sce?.problems, [], 'the SCE envelope names Alice and the room');
      const onBob = await heard('bob', room, `hi ${user}, Alice here`);
      assert.equal(onBob.message.encrypted, true);
      const state = await settled('alice', mine.id);
      assert.equal(state.message.state, 'sent');
      assert.equal(state.message.encrypted, true);
      assert.equal(roomLog('alice', room).filter((m) => m.body === `hi ${user}, Alice here`).length, 1, 'the reflection was not shown as a second message');

      // Bob writes: the peer and Alice read it.
      const bobSays = await say('bob', room, `and Bob, too (${version})`);
      await peer.nextRoomMessage((m) => m.text === `and Bob, too (${version})` && m.from === jid('bob'), 20_000, peerFrom);
      await heard('alice', room, `and Bob, too (${version})`);
      assert.equal((await settled('bob', bobSays.id)).message.state, 'sent');

      // Nothing raw reached a room: no fallback text, no base64, no notice of failure.
      for (const core of ['alice', 'bob'] as const) {
        const log = roomLog(core, room);
        assert.ok(log.every((m) => m.direction !== 'notice' && !/OMEMO encrypted message|[A-Za-z0-9+/]{40,}/.test(m.body)), JSON.stringify(log));
      }
      assert.equal(peer.events.filter((e) => e.event === 'muc-plain').length, 0, 'nothing went into the room in plaintext');

      // Bob is away (left the room); what is said meanwhile is encrypted for him too (a member), and he reads it
      // from the room's history (its archive) when he comes back.
      await cores.bob.call('leaveRoom', { accountId: accounts.bob.id, room });
      await peer.sendToRoom(room, `while Bob was away (${version})`);
      await heard('alice', room, `while Bob was away (${version})`);
      await say('alice', room, `Alice, also while Bob was away (${version})`);
      await peer.nextRoomMessage((m) => m.text === `Alice, also while Bob was away (${version})`, 20_000, peerFrom);
      await join('bob', room, 'Bob');
      for (const text of [`while Bob was away (${version})`, `Alice, also while Bob was away (${version})`]) {
        const caught = await heard('bob', room, text);
        assert.equal(caught.message.encrypted, true);
      }
    });
  }

  test('an open, semi-anonymous room stays plaintext and is marked so', async () => {
    const view = await join('alice', 'Lounge', 'Alice');
    assert.equal(view.e2ee, undefined, 'not end-to-end encrypted');
    const room = view.jid;
    const bobView = await join('bob', room, 'Bob');
    assert.equal(bobView.e2ee, undefined);
    const sent = await say('alice', room, 'plain words in the lounge');
    assert.notEqual(sent.encrypted, true);
    const got = await heard('bob', room, 'plain words in the lounge');
    assert.notEqual(got.message.encrypted, true);
  });

  test('a member whose device is not trusted: not encrypted for (the user is told), and no message goes out that would not reach them', async () => {
    const room = roomJid('trust');
    const vera = await startOmemoPeer({ server, username: 'vera', password, versions: ['oldmemo'] });
    peers.push(vera);
    await vera.joinRoom(room, 'vera', { config: { membersOnly: true, nonAnonymous: true }, members: [jid('alice'), jid('bob')] });
    await Promise.all([join('alice', room, 'Alice'), join('bob', room, 'Bob')]);
    const fromVera = vera.events.length;
    const first = await say('alice', room, 'before any decision');
    await vera.nextRoomMessage((m) => m.text === 'before any decision', 20_000, fromVera);
    assert.equal((await settled('alice', first.id)).message.state, 'sent');

    // Alice verifies vera's phone; vera adds a tablet: it is held, and Alice's next message is not for it.
    await cores.alice.call('setTrust', { accountId: accounts.alice.id, peer: jid('vera'), scheme: 'omemo', key: vera.own!.curveIdentityKey, verified: true });
    const tablet = await vera.secondDevice({ versions: ['oldmemo'] });
    peers.push(tablet);
    const tabletId = tablet.own!.deviceId;
    const told = cores.alice.waitFor('roomMessageUpserted', (e) => e.message.peer === room && e.message.direction === 'notice' && e.message.body.includes(jid('vera')), { timeoutMs: 20_000 });
    // The tablet's device list reaches Alice (a PEP notification) before she writes.
    for (;;) {
      const known = cores.alice.core.snapshot().rosters[accounts.alice.id]?.find((c) => c.jid === jid('vera'))?.e2ee?.devices ?? [];
      if (known.some((d) => d.id === String(tabletId))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const second = await say('alice', room, 'not for the tablet');
    await vera.nextRoomMessage((m) => m.text === 'not for the tablet', 20_000, fromVera);
    assert.equal((await settled('alice', second.id)).message.state, 'sent');
    assert.match((await told).message.body, /waits for your decision/);
    assert.deepEqual((await told).message.notice, { kind: 'room-device-held', detail: jid('vera') }, 'a notice the UI words');

    // Alice distrusts every device of vera's: nothing reaches vera, so nothing goes out at all — not in plaintext either.
    const provider = cores.alice.core.accounts.get(accounts.alice.id)!.e2ee.provider<OmemoProvider>('omemo')!;
    for (const device of [vera.own!, tablet.own!]) await provider.setTrust(jid('vera'), device.curveIdentityKey, 'distrusted');
    const veraFrom = vera.events.length;
    const refused = await say('alice', room, 'for nobody');
    const outcome = await settled('alice', refused.id);
    assert.equal(outcome.message.state, 'failed');
    assert.match(JSON.stringify(outcome.message.error), new RegExp(jid('vera').replace(/\./g, '\\.')));
    assert.equal(typeof outcome.message.error === 'object' && outcome.message.error.reason, 'room-no-devices', 'a reason the UI words');
    // Bob's message shows the room still works; vera never saw 'for nobody', neither decrypted nor plain.
    await say('bob', room, 'still here');
    await vera.nextRoomMessage((m) => m.text === 'still here', 20_000, veraFrom);
    assert.ok(vera.events.slice(veraFrom).every((e) => (e as { text?: string }).text !== 'for nobody'));

    // vera opens the room to everyone: it is no longer encrypted, the room says so, and the banner follows.
    const opened = cores.alice.waitFor('roomUpdated', (e) => e.room.jid === room && e.room.state === 'joined' && e.room.e2ee === undefined, { timeoutMs: 20_000 });
    const saidSo = cores.alice.waitFor('roomMessageUpserted', (e) => e.message.peer === room && e.message.direction === 'notice' && /no longer end-to-end encrypted/.test(e.message.body), { timeoutMs: 20_000 });
    await vera.configureRoom(room, { membersOnly: false, nonAnonymous: true });
    await opened;
    assert.equal((await saidSo).message.notice?.kind, 'room-e2ee-off', 'a notice the UI words');
  });
});
