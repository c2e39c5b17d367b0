/**
 * OMEMO beside OTR (issue 15), against a real Prosody, Klatsch cores and the reference OMEMO peer
 * (python-omemo, tests/fixtures/omemo-peer.ts):
 * - the scheme of a chat: OMEMO when the contact announces devices, else OTR; never both at once — when
 *   OMEMO engages in a chat with an OTR session, that session is ended (the contact's app is told) and the
 *   chat says so; the user's override per contact, and the policy that names one scheme and locks it;
 * - trust notices: every OMEMO trust change is a notice in the chat (kind and fingerprint);
 * - verification by a Conversations-style `xmpp:` URI: a device by its id and key together, never another.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage, Contact } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { failureOf } from '../fixtures/harness.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { loginOn, usersWith } from '../fixtures/xmpp-server.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../fixtures/omemo-peer.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';

const password = 'omemo-scheme-pw';
const T = { timeoutMs: 20_000 };

/** The next notice of `kind` in the chat with `peer` (from event index `after` on). */
async function notice(core: TestCore, peer: string, kind: string, after: number): Promise<ChatMessage> {
  const e = await core.waitFor('messageUpserted', (m) => m.message.peer === peer && m.message.direction === 'notice' && m.message.notice?.kind === kind, { after, ...T });
  return e.message;
}

function noticesOf(core: TestCore, peer: string, after = 0): string[] {
  return core.events
    .slice(after)
    .filter((e) => e.name === 'messageUpserted')
    .map((e) => (e.payload as { message: ChatMessage }).message)
    .filter((m) => m.peer === peer && m.direction === 'notice')
    .map((m) => m.notice?.kind ?? '');
}

describe('the scheme of a chat: OMEMO or OTR, never both at once', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const peers: OmemoPeer[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;
  const contactOf = (core: TestCore, accountId: string, peer: string): Contact | undefined => core.core.snapshot().rosters[accountId]?.find((c) => c.jid === peer);

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob', 'carol'), contacts: [['alice', 'bob'], ['carol', 'bob']], extraConfig: OMEMO_PROSODY_CONFIG });
    // Alice has OMEMO and OTR (as the app); Bob's Klatsch here speaks OTR only.
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, { password, cores: [{ omemo: true }, {}] }));
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  test('OMEMO engaging in a chat with an OTR session ends that session: the contact’s app is told, the chat says why', async () => {
    // Bob has no OMEMO device: his OTR offer makes the chat private with OTR.
    await bob.call('startPrivate', { accountId: bobAccount.id, peer: jid('alice') });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.e2ee?.scheme === 'otr' && e.contact.e2ee.state === 'private', T);
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.e2ee?.state === 'private', T);

    // Bob signs in on a phone with OMEMO: its device list reaches Alice (PEP), and OMEMO takes the chat.
    const aliceFrom = alice.events.length;
    const bobFrom = bob.events.length;
    const phone = await startOmemoPeer({ server, username: 'bob', password, register: false, versions: ['twomemo'] });
    peers.push(phone);
    const said = await notice(alice, jid('bob'), 'ended-for-other-scheme', aliceFrom);
    assert.equal(said.notice?.detail, 'omemo');
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.e2ee?.scheme === 'omemo', { after: aliceFrom, ...T });

    // OTR's disconnect reached Bob's Klatsch: his side of the OTR conversation ended.
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.e2ee?.state === 'finished', { after: bobFrom, ...T });
    assert.ok(noticesOf(bob, jid('alice'), bobFrom).includes('ended-by-peer'), 'Bob is told the contact ended it');
    assert.ok(!noticesOf(alice, jid('bob'), aliceFrom).includes('ended-by-us'), 'one notice on Alice’s side, the one that says why');

    // What Alice writes now goes out with OMEMO.
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'now with OMEMO' });
    await phone.nextMessage((m) => m.text === 'now with OMEMO', 20_000);
    const record = await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'sent', T);
    assert.equal(record.message.encrypted, true);
  });

  test('the override per contact: OTR keeps an OTR session beside announced devices; OMEMO ends it again', async () => {
    const from = alice.events.length;
    await alice.call('setE2eeScheme', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'otr' });
    assert.equal(contactOf(alice, aliceAccount.id, jid('bob'))?.e2eeScheme, 'otr', 'the contract carries the choice');
    assert.notEqual(contactOf(alice, aliceAccount.id, jid('bob'))?.e2ee?.scheme, 'omemo');

    // Bob's Klatsch starts OTR again: the chat stays OTR although Bob's phone announces OMEMO devices.
    const bobFrom = bob.events.length;
    await bob.call('startPrivate', { accountId: bobAccount.id, peer: jid('alice') });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.e2ee?.scheme === 'otr' && e.contact.e2ee.state === 'private', { after: from, ...T });
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.e2ee?.state === 'private', { after: bobFrom, ...T });
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'through OTR' });
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === 'through OTR' && e.message.encrypted === true, T);
    assert.equal((await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'sent', T)).message.encrypted, true);
    assert.ok(!noticesOf(alice, jid('bob'), from).includes('ended-for-other-scheme'));

    // The setting is kept with the account (settings.json), and survives being read back.
    assert.equal(alice.core.settings.account(aliceAccount.id)?.e2eeSchemes?.[jid('bob')], 'otr');

    // The user picks OMEMO: the OTR session ends (never both), Bob's Klatsch is told.
    const now = alice.events.length;
    const bobNow = bob.events.length;
    await alice.call('setE2eeScheme', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'omemo' });
    assert.equal((await notice(alice, jid('bob'), 'ended-for-other-scheme', now)).notice?.detail, 'omemo');
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.e2ee?.state === 'finished', { after: bobNow, ...T });
    assert.equal(contactOf(alice, aliceAccount.id, jid('bob'))?.e2ee?.scheme, 'omemo');

    // Back to automatic: OMEMO still (Bob announces devices).
    await alice.call('setE2eeScheme', { accountId: aliceAccount.id, peer: jid('bob') });
    assert.equal(contactOf(alice, aliceAccount.id, jid('bob'))?.e2eeScheme, undefined);
    assert.equal(contactOf(alice, aliceAccount.id, jid('bob'))?.e2ee?.scheme, 'omemo');

    // A scheme Klatsch does not have is refused as such.
    assert.equal((await failureOf(alice, 'setE2eeScheme', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'pgp' })).reason, 'unknown-scheme');
  });

  test('a policy that names one scheme locks the choice per contact', async () => {
    // The lock is the policy's alone (no OMEMO store here: nothing is written while the profile is removed).
    const carol = await startTestCore({ caPem: server.ca.caCertPem, policy: new PolicyGate(readPolicy({ encryptionSchemes: ['omemo'] }, 'test')) });
    try {
      const account = await carol.call('addAccount', loginOn(server, 'carol', password));
      assert.equal(carol.core.snapshot().policy?.encryptionSchemeLocked, true, 'the renderer greys the choice out');
      const refused = await failureOf(carol, 'setE2eeScheme', { accountId: account.id, peer: jid('bob'), scheme: 'otr' });
      assert.equal(refused.reason, 'e2ee-scheme-locked');
      assert.equal(refused.code, 'forbidden-by-policy');
    } finally {
      await carol.dispose();
    }
  });
});

describe('OMEMO trust notices and verification by URI, against python-omemo', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let account: AccountView;
  const peers: OmemoPeer[] = [];

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice'), contacts: [['alice', 'hanna'], ['alice', 'ida']], extraConfig: OMEMO_PROSODY_CONFIG });
    alice = await startTestCore({ caPem: server.ca.caCertPem, omemo: true });
    account = await alice.call('addAccount', loginOn(server, 'alice', password));
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await alice?.dispose();
    await server?.dispose();
  });

  test('each trust change writes a notice in the chat: new, verified, held, accepted, unverified, removed, forgotten', async () => {
    const from = alice.events.length;
    const phone = await startOmemoPeer({ server, username: 'hanna', versions: ['twomemo'], label: '\u202EenohP' });
    peers.push(phone);
    const hanna = phone.jid;
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === hanna && e.contact.e2ee?.scheme === 'omemo', T);
    await alice.call('sendMessage', { accountId: account.id, to: hanna, body: 'hello' });
    await phone.nextMessage((m) => m.text === 'hello', 20_000);
    const phoneKey = (await notice(alice, hanna, 'omemo-device-new', from)).notice?.detail;
    assert.equal(phoneKey?.replace(/ /g, ''), phone.own!.identityKey.toLowerCase(), 'the notice names the device’s key');

    // The device's label came from the network: shown without its right-to-left override.
    const rows = (await alice.call('listTrust', {})).contacts.filter((r) => r.peer === hanna);
    assert.equal(rows[0]?.device?.name, 'enohP');

    let at = alice.events.length;
    await alice.call('setTrust', { accountId: account.id, peer: hanna, scheme: 'omemo', key: phoneKey!, verified: true });
    assert.equal((await notice(alice, hanna, 'omemo-device-verified', at)).notice?.detail, phoneKey);

    at = alice.events.length;
    const tablet = await phone.secondDevice({ versions: ['twomemo'] });
    peers.push(tablet);
    await alice.call('sendMessage', { accountId: account.id, to: hanna, body: 'to the verified phone' });
    await phone.nextMessage((m) => m.text === 'to the verified phone', 20_000);
    const tabletKey = (await notice(alice, hanna, 'omemo-device-held', at)).notice?.detail;
    assert.equal(tabletKey?.replace(/ /g, ''), tablet.own!.identityKey.toLowerCase());

    at = alice.events.length;
    await alice.call('acceptKey', { accountId: account.id, peer: hanna, scheme: 'omemo', key: tabletKey! });
    assert.equal((await notice(alice, hanna, 'omemo-device-accepted', at)).notice?.detail, tabletKey);

    at = alice.events.length;
    await alice.call('setTrust', { accountId: account.id, peer: hanna, scheme: 'omemo', key: phoneKey!, verified: false });
    assert.equal((await notice(alice, hanna, 'omemo-device-unverified', at)).notice?.detail, phoneKey, 'trust revoked');

    // The tablet leaves Hanna's device list (another client of hers republished it without it).
    at = alice.events.length;
    const list = `<devices xmlns='urn:xmpp:omemo:2'><device id='${phone.own!.deviceId}'/></devices>`;
    await phone.raw(`<iq type='set' id='drop-tablet'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:omemo:2:devices'><item id='current'>${list}</item></publish></pubsub></iq>`);
    assert.equal((await notice(alice, hanna, 'omemo-device-removed', at)).notice?.detail, tabletKey);

    at = alice.events.length;
    await alice.call('forgetKey', { accountId: account.id, peer: hanna, scheme: 'omemo', key: tabletKey! });
    assert.equal((await notice(alice, hanna, 'omemo-device-forgotten', at)).notice?.detail, tabletKey);
  });

  test('an xmpp: URI verifies the device whose id AND key it names; a right key under another id verifies nothing', async () => {
    const laptop = await startOmemoPeer({ server, username: 'ida', versions: ['twomemo'] });
    peers.push(laptop);
    const ida = laptop.jid;
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === ida && e.contact.e2ee?.scheme === 'omemo', T);
    const { deviceId, curveIdentityKey } = laptop.own!;

    // Conversations' form: omemo-sid-<id>=<Curve25519 key>, read by the core like any opened link.
    const opened = await alice.call('openExternalLink', { url: `xmpp:${ida}?omemo-sid-${deviceId}=05${curveIdentityKey}` });
    assert.equal(opened.opened, 'in-app');
    const link = await alice.waitFor('xmppLinkOpened', () => true, T);
    assert.deepEqual(link.omemoDevices?.map((d) => d.deviceId), [deviceId]);

    const wrongId = await alice.call('verifyOmemoDevices', { accountId: account.id, peer: ida, devices: [{ deviceId: deviceId + 1, fingerprint: link.omemoDevices![0]!.fingerprint }] });
    assert.deepEqual(wrongId, { verified: 0, unmatched: 1 }, 'never by position or by key alone');
    const otherKey = await alice.call('verifyOmemoDevices', { accountId: account.id, peer: ida, devices: [{ deviceId, fingerprint: 'ab'.repeat(32) }] });
    assert.deepEqual(otherKey, { verified: 0, unmatched: 1 });
    assert.notEqual((await alice.call('listTrust', {})).contacts.find((r) => r.peer === ida)?.device?.state, 'verified');

    const at = alice.events.length;
    const done = await alice.call('verifyOmemoDevices', { accountId: account.id, peer: ida, devices: link.omemoDevices! });
    assert.deepEqual(done, { verified: 1, unmatched: 0 });
    const row = (await alice.call('listTrust', {})).contacts.find((r) => r.peer === ida && r.device?.id === String(deviceId));
    assert.equal(row?.device?.state, 'verified', "the omemo:2 device's Ed25519 key is the 0.3 key the URI names");
    await notice(alice, ida, 'omemo-device-verified', at);

    // Our own device's URI, for its QR code: the same form, with our 0.3 key.
    const own = (await alice.call('listTrust', {})).own.find((o) => o.scheme === 'omemo' && o.uri !== undefined);
    assert.match(own?.uri ?? '', new RegExp(`^xmpp:alice@${server.domain.replace(/\./g, '\\.')}\\?omemo-sid-\\d+=[0-9a-f]{64}$`));
    assert.equal(own?.uri?.split('=')[1], own?.fingerprint.replace(/ /g, ''), 'the row showing that fingerprint carries the code');
  });

  test("trust mode 'ask': a new contact's first device waits for the user", async () => {
    await alice.call('setSettings', { omemoTrust: 'ask' });
    const from = alice.events.length;
    const other = await startOmemoPeer({ server, username: 'jo', versions: ['twomemo'] });
    peers.push(other);
    await alice.call('addContact', { accountId: account.id, jid: other.jid });
    await alice.call('startPrivate', { accountId: account.id, peer: other.jid, scheme: 'omemo' });
    const failed = await alice.call('sendMessage', { accountId: account.id, to: other.jid, body: 'held?' });
    await alice.waitFor('messageUpserted', (e) => e.message.id === failed.id && e.message.state === 'failed', T);
    const held = await notice(alice, other.jid, 'omemo-device-held', from);
    assert.equal(held.notice?.detail?.replace(/ /g, ''), other.own!.identityKey.toLowerCase());
    assert.ok(!noticesOf(alice, other.jid, from).includes('omemo-device-new'), 'not used blindly');
    await alice.call('setSettings', { omemoTrust: 'blind' });
  });
});
