/**
 * OMEMO trust through the contract's trust requests (issue 15): against the reference peer (python-omemo,
 * tests/fixtures/omemo-peer.ts), the trust manager's rows name each device of the contact with its key and
 * state; after the user verifies the contact's device, a NEW device of the contact is held — nothing is
 * encrypted for it — until the user accepts it; verify, accept and forget name the key by its fingerprint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, Contact, ResponseOf } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { failureOf } from '../fixtures/harness.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../fixtures/omemo-peer.js';

const password = 'omemo-trust-pw';
type Row = ResponseOf<'listTrust'>['contacts'][number];

describe('OMEMO trust by device, against python-omemo', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let account: AccountView;
  const peers: OmemoPeer[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const contact = (peer: string): Contact | undefined => alice.core.snapshot().rosters[account.id]?.find((c) => c.jid === peer);
  const rowsOf = async (peer: string): Promise<Row[]> => (await alice.call('listTrust', {})).contacts.filter((r) => r.peer === peer && r.scheme === 'omemo');

  before(async () => {
    server = await startProsody({ users: [{ username: 'alice', password }], contacts: [['alice', 'hanna']], extraConfig: OMEMO_PROSODY_CONFIG });
    alice = await startTestCore({ caPem: server.ca.caCertPem, omemo: true });
    account = await alice.call('addAccount', { jid: jid('alice'), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await alice?.dispose();
    await server?.dispose();
  });

  test('after verifying the contact’s device, a new device of theirs is held (not encrypted for) until accepted', async () => {
    const phone = await startOmemoPeer({ server, username: 'hanna', versions: ['twomemo'] });
    peers.push(phone);
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === phone.jid && e.contact.e2ee?.scheme === 'omemo' && e.contact.e2ee.state === 'private', { timeoutMs: 20_000 });
    await alice.call('sendMessage', { accountId: account.id, to: phone.jid, body: 'hello hanna' });
    await phone.nextMessage((m) => m.text === 'hello hanna', 20_000);

    // The trust manager lists the device: its id, its key in groups of 8 hex digits, trusted blindly.
    const [first, ...others] = await rowsOf(phone.jid);
    assert.deepEqual(others, []);
    assert.equal(first!.device?.id, String(phone.own!.deviceId));
    assert.equal(first!.device?.state, 'trusted-blindly');
    assert.match(first!.fingerprint, /^([0-9a-f]{8} ){7}[0-9a-f]{8}$/);
    assert.equal(first!.fingerprint.replace(/ /g, ''), phone.own!.identityKey.toLowerCase());
    assert.equal(contact(phone.jid)?.e2ee?.verified, false);

    // The user compared the fingerprint and verifies it (any spacing, any case: the same key).
    await alice.call('setTrust', { accountId: account.id, peer: phone.jid, scheme: 'omemo', key: first!.fingerprint.toUpperCase().replace(/ /g, ''), verified: true });
    assert.equal((await rowsOf(phone.jid))[0]?.device?.state, 'verified');
    assert.equal((await rowsOf(phone.jid))[0]?.trust, 'verified-manual');
    assert.equal(contact(phone.jid)?.e2ee?.verified, true, 'the header says verified');

    // Hanna adds a device: Klatsch learns it from her device list.
    const from = alice.events.length;
    const tablet = await phone.secondDevice({ versions: ['twomemo'] });
    peers.push(tablet);
    const tabletId = String(tablet.own!.deviceId);
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === phone.jid && (e.contact.e2ee?.devices ?? []).some((d) => d.id === tabletId), { after: from, timeoutMs: 20_000 });

    // A message now goes to the verified device only; the new one is held, and the header says so.
    await alice.call('sendMessage', { accountId: account.id, to: phone.jid, body: 'only for the verified phone' });
    await phone.nextMessage((m) => m.text === 'only for the verified phone', 20_000);
    const held = (await rowsOf(phone.jid)).find((r) => r.device?.id === tabletId);
    assert.equal(held?.device?.state, 'held');
    assert.equal(held?.inUse, false);
    assert.equal(held?.fingerprint.replace(/ /g, ''), tablet.own!.identityKey.toLowerCase());
    const warned = contact(phone.jid)?.e2ee;
    assert.equal(warned?.keyWarning?.fingerprint, held?.fingerprint);
    assert.equal(warned?.keyWarning?.changedFromVerified, true);

    // Verifying a key that is not a fingerprint is refused as such; accepting one that is not held too.
    const bad = await failureOf(alice, 'acceptKey', { accountId: account.id, peer: phone.jid, scheme: 'omemo', key: 'not a key' });
    assert.equal(bad.reason, 'not-an-omemo-fingerprint');
    const notHeld = await failureOf(alice, 'acceptKey', { accountId: account.id, peer: phone.jid, scheme: 'omemo', key: first!.fingerprint });
    assert.equal(notHeld.reason, 'key-not-pending');

    // Accepted: the new device gets what is sent next, and never got what was sent while it was held
    // (both went out on one stream in order: had the first been encrypted for it, it would have come first).
    await alice.call('acceptKey', { accountId: account.id, peer: phone.jid, scheme: 'omemo', key: held!.fingerprint });
    assert.equal((await rowsOf(phone.jid)).find((r) => r.device?.id === tabletId)?.device?.state, 'trusted-blindly');
    assert.equal(contact(phone.jid)?.e2ee?.keyWarning, undefined);
    await alice.call('sendMessage', { accountId: account.id, to: phone.jid, body: 'now for both' });
    await tablet.nextMessage((m) => m.text === 'now for both', 20_000);
    assert.ok(
      tablet.events.every((e) => (e as { text?: unknown }).text !== 'only for the verified phone'),
      JSON.stringify(tablet.events),
    );
    // Not every device is verified now: the header says so.
    assert.equal(contact(phone.jid)?.e2ee?.verified, false);

    // Forgetting the verified key takes the verification away with it.
    await alice.call('forgetKey', { accountId: account.id, peer: phone.jid, scheme: 'omemo', key: first!.fingerprint });
    assert.equal((await rowsOf(phone.jid)).some((r) => r.device?.id === String(phone.own!.deviceId)), false);
  });
});
