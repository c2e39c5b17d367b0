/**
 * Group chats under an administrator's policy that allows no plaintext (issue 15): OMEMO-encrypted rooms
 * (members-only, non-anonymous) are entered and written to — their messages are never plaintext — while a
 * plaintext room is refused with the policy's reason, and nothing is sent to it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView } from '../../shared/contract.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../fixtures/omemo-peer.js';

const password = 'omemo-groups-policy-pw';

describe('group chats when the policy allows no plaintext', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let account: AccountView;
  let peer: OmemoPeer | undefined;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ muc: true, users: [{ username: 'alice', password }], contacts: [['alice', 'petra']], extraConfig: OMEMO_PROSODY_CONFIG });
    alice = await startTestCore({ caPem: server.ca.caCertPem, omemo: true, policy: new PolicyGate(readPolicy({ allowPlaintext: false }, '/etc/klatsch/policy.json')) });
    account = await alice.call('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
  });
  after(async () => {
    await peer?.close();
    await alice?.dispose();
    await server?.dispose();
  });

  test('an encrypted room is entered and written to, encrypted', async () => {
    const room = `secret@conference.${server.domain}`;
    peer = await startOmemoPeer({ server, username: 'petra', password, versions: ['twomemo'] });
    await peer.joinRoom(room, 'petra', { config: { membersOnly: true, nonAnonymous: true }, members: [jid('alice')] });
    const view = await alice.call('joinRoom', { accountId: account.id, room, nick: 'Alice' });
    assert.deepEqual(view.e2ee, { scheme: 'omemo' });
    const from = peer.events.length;
    const mine = await alice.call('sendRoomMessage', { accountId: account.id, room, body: 'allowed, encrypted' });
    assert.equal(mine.encrypted, true);
    const onPeer = await peer.nextRoomMessage((m) => m.text === 'allowed, encrypted', 20_000, from);
    assert.equal(onPeer.from, jid('alice'));
  });

  test('a plaintext room is refused with the reason, and left', async () => {
    const room = `lounge@conference.${server.domain}`;
    const refused = await alice.request('joinRoom', { accountId: account.id, room, nick: 'Alice' });
    assert.ok(!refused.ok && refused.error.code === 'forbidden-by-policy', JSON.stringify(refused));
    assert.match(refused.error.message, /not end-to-end encrypted/);
    const sent = await alice.request('sendRoomMessage', { accountId: account.id, room, body: 'plaintext?' });
    assert.ok(!sent.ok, 'nothing is sent to a refused room');
    assert.ok(!(await server.receivedStanzas()).includes('plaintext?'), 'nothing went to the server');
    assert.equal(alice.core.snapshot().rooms?.[account.id]?.some((r) => r.jid === `lounge@conference.${server.domain}` && r.state === 'joined') ?? false, false);
  });
});
