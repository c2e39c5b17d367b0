/**
 * Authenticating contacts through the core, over a real Prosody: SMP by
 * question and by shared secret (trust like libotr: the asker verifies, the
 * one who answered a question does not), failure clearing trust, manual
 * verification, the trust list, and a contact's new key holding every
 * message until the user accepts it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import type { AccountView, ChatMessage, Contact, ResponseOf } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'authenticate-pw';
type TrustList = ResponseOf<'listTrust'>;

describe('authenticating contacts', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const jid = (user: string) => `${user}@${server.domain}`;
  const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
    bobAccount = await bob.call<AccountView>('addAccount', login('bob'));
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.presence.show === 'online');
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await contactWhere(alice, jid('bob'), (c) => reportedPrivacy(c) === 'private');
    await contactWhere(bob, jid('alice'), (c) => reportedPrivacy(c) === 'private');
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  function contactWhere(core: TestCore, peer: string, match: (c: Contact) => boolean, after = 0) {
    return core.waitFor('contactUpdated', (e) => e.contact.jid === peer && match(e.contact), { after }).then((e) => e.contact);
  }
  const requestIdOf = (c: Contact) => (c.e2ee?.auth?.phase === 'asked' ? c.e2ee?.auth.id : '');
  /** The notices of these kinds `core` wrote into `peer`'s chat since event `from`, as [kind, detail]. */
  const noticesSince = (core: TestCore, peer: string, from: number, kinds: string[]) =>
    core.events
      .slice(from)
      .filter((e) => e.name === 'messageUpserted')
      .map((e) => (e.payload as { message: ChatMessage }).message)
      .filter((m) => m.direction === 'notice' && m.peer === peer && kinds.includes(m.notice?.kind ?? ''))
      .map((m) => [m.notice!.kind, m.notice!.detail]);
  const trustOf = async (core: TestCore, peer: string) =>
    (await core.call<TrustList>('listTrust', {})).contacts.filter((c) => c.peer === peer).map((c) => c.trust);

  test('both see each other’s fingerprint and their own; the keys were made and stored', async () => {
    const aliceView = await alice.waitFor('accountUpdated', (a) => a.otrKey?.fingerprint !== undefined && !a.otrKey.generating);
    const bobSeen = await contactWhere(bob, jid('alice'), (c) => c.e2ee?.fingerprint !== undefined);
    assert.equal(bobSeen.e2ee?.fingerprint, aliceView.otrKey!.fingerprint, 'Bob sees the key Alice has');
    assert.match(bobSeen.e2ee!.fingerprint!, /^([0-9A-F]{8} ){4}[0-9A-F]{8}$/);
    await alice.waitFor('trustChanged', (e) => e.accountId === aliceAccount.id);
    const list = await alice.call<TrustList>('listTrust', {});
    assert.deepEqual(list.own.map((o) => [o.jid, o.fingerprint, o.stored]), [[jid('alice'), aliceView.otrKey!.fingerprint, true]]);
    assert.deepEqual(list.contacts.map((c) => [c.peer, c.trust, c.inUse]), [[jid('bob'), 'unverified', true]]);
    const stored = await fs.readFile(`${alice.profileDir}/otr-store.json`, 'utf8');
    assert.ok(!stored.includes('"x"'), 'the private key is not stored in the clear');
  });

  test('a question answered right: the asker verifies, the one who answered does not', async () => {
    const from = bob.events.length;
    await alice.call('startSmp', { accountId: aliceAccount.id, peer: jid('bob'), question: 'Where did we eat on Friday?', secret: 'Pizzeria Ü' });
    const asked = await contactWhere(bob, jid('alice'), (c) => c.e2ee?.auth?.phase === 'asked', from);
    const requestId = asked.e2ee?.auth?.phase === 'asked' ? asked.e2ee?.auth.id : '';
    assert.deepEqual(asked.e2ee?.auth, { phase: 'asked', id: requestId, question: 'Where did we eat on Friday?' });
    await bob.call('respondSmp', { accountId: bobAccount.id, peer: jid('alice'), requestId, secret: 'Pizzeria Ü' });
    const aliceDone = await contactWhere(alice, jid('bob'), (c) => c.e2ee?.auth?.phase === 'succeeded' && reportedPrivacy(c) === 'private-verified');
    assert.deepEqual(aliceDone.e2ee?.auth, { phase: 'succeeded', weStarted: true, weVerifiedThem: true, question: 'Where did we eat on Friday?' });
    const bobDone = await contactWhere(bob, jid('alice'), (c) => c.e2ee?.auth?.phase === 'succeeded', from);
    assert.deepEqual(bobDone.e2ee?.auth, { phase: 'succeeded', weStarted: false, weVerifiedThem: false, question: 'Where did we eat on Friday?' });
    assert.equal(reportedPrivacy(bobDone), 'private', 'answering a question proves nothing about the asker');
    assert.deepEqual(await trustOf(alice, jid('bob')), ['verified-smp']);
    assert.deepEqual(await trustOf(bob, jid('alice')), ['unverified']);
    const notice = await bob.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && /has verified you/.test(e.message.body), { after: from });
    assert.deepEqual(notice.message.notice, { kind: 'smp-verified-by-them' }, 'the UI words it by its kind');
  });

  test('a wrong answer fails on both sides and clears the asker’s trust', async () => {
    const from = alice.events.length;
    await alice.call('startSmp', { accountId: aliceAccount.id, peer: jid('bob'), question: 'Our project’s name?', secret: 'Klatsch' });
    const asked = await contactWhere(bob, jid('alice'), (c) => c.e2ee?.auth?.phase === 'asked', bob.events.length);
    await bob.call('respondSmp', { accountId: bobAccount.id, peer: jid('alice'), requestId: requestIdOf(asked), secret: 'klatsch' }); // no case folding
    const aliceDone = await contactWhere(alice, jid('bob'), (c) => c.e2ee?.auth?.phase === 'failed' && reportedPrivacy(c) === 'private', from);
    assert.equal(aliceDone.e2ee?.auth?.phase, 'failed');
    await contactWhere(bob, jid('alice'), (c) => c.e2ee?.auth?.phase === 'failed');
    assert.deepEqual(await trustOf(alice, jid('bob')), ['unverified']);
  });

  test('a shared secret verifies both sides', async () => {
    await bob.call('startSmp', { accountId: bobAccount.id, peer: jid('alice'), secret: 'blue-whale-42' });
    const asked = await contactWhere(alice, jid('bob'), (c) => c.e2ee?.auth?.phase === 'asked' && c.e2ee?.auth.question === undefined);
    await alice.call('respondSmp', { accountId: aliceAccount.id, peer: jid('bob'), requestId: requestIdOf(asked), secret: 'blue-whale-42' });
    await contactWhere(alice, jid('bob'), (c) => reportedPrivacy(c) === 'private-verified' && c.e2ee?.auth?.phase === 'succeeded');
    await contactWhere(bob, jid('alice'), (c) => reportedPrivacy(c) === 'private-verified' && c.e2ee?.auth?.phase === 'succeeded');
    assert.deepEqual(await trustOf(alice, jid('bob')), ['verified-smp']);
    assert.deepEqual(await trustOf(bob, jid('alice')), ['verified-smp']);
    await alice.call('dismissSmp', { accountId: aliceAccount.id, peer: jid('bob') });
    await contactWhere(alice, jid('bob'), (c) => c.e2ee?.auth === undefined);
  });

  test('SMP requests are refused plainly when there is nothing to answer, and garbage is rejected', async () => {
    const answer = await alice.request('respondSmp', { accountId: aliceAccount.id, peer: jid('bob'), requestId: 'none', secret: 'x' });
    assert.equal(answer.ok, false);
    assert.match(!answer.ok ? answer.error.message : '', /no authentication request/);
    const empty = await alice.request('startSmp', { accountId: aliceAccount.id, peer: jid('bob'), secret: '' });
    assert.equal(!empty.ok && empty.error.code, 'invalid-request');
    const badFp = await alice.request('setTrust', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'otr', key: 'not hex', verified: true });
    assert.equal(!badFp.ok && badFp.error.code, 'invalid-request');
  });

  test('manual verification by fingerprint, and taking it back', async () => {
    const bobKey = (await alice.call<TrustList>('listTrust', {})).contacts.find((c) => c.peer === jid('bob'))!.fingerprint;
    const from = alice.events.length;
    await alice.call('setTrust', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'otr', key: bobKey, verified: false });
    await contactWhere(alice, jid('bob'), (c) => reportedPrivacy(c) === 'private', from);
    assert.deepEqual(await trustOf(alice, jid('bob')), ['unverified']);
    await alice.call('setTrust', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'otr', key: bobKey, verified: true });
    await contactWhere(alice, jid('bob'), (c) => reportedPrivacy(c) === 'private-verified');
    assert.deepEqual(await trustOf(alice, jid('bob')), ['verified-manual']);
    // Marked verified again: nothing changed, so nothing more is said.
    await alice.call('setTrust', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'otr', key: bobKey, verified: true });
    assert.deepEqual(
      noticesSince(alice, jid('bob'), from, ['verified-by-fingerprint', 'unverified-by-fingerprint']),
      [
        ['unverified-by-fingerprint', bobKey],
        ['verified-by-fingerprint', bobKey],
      ],
      'the chat says each change, so that its log never contradicts the header',
    );
  });

  test('Bob comes back with a new key: Alice is warned and nothing is sent until she accepts it', async () => {
    // Bob on a new device: a fresh profile, so a new OTR key for the same account. Counted from before he
    // leaves: his new device may be online before addAccount answers.
    const from = alice.events.length;
    await bob.dispose();
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    bobAccount = await bob.call<AccountView>('addAccount', login('bob'));
    // Bob's old device ended the conversation as it signed off ("ended by peer": nothing goes out until Alice
    // decides); she starts a new one with the new device, and her message waits for her to accept its key.
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online', { after: from });
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await alice.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && /had verified another one/.test(e.message.body), { after: from });
    const held = await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'HELD-UNTIL-ACCEPTED' });
    assert.equal(held.state, 'waiting');
    const warned = await contactWhere(alice, jid('bob'), (c) => c.e2ee?.keyWarning !== undefined, from);
    assert.equal(warned.e2ee!.keyWarning!.changedFromVerified, true);
    assert.equal(reportedPrivacy(warned), 'private', 'private, but with a key that is not verified');
    await alice.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && /had verified another one/.test(e.message.body), { after: from });
    const bobFrom = bob.events.length;
    // The message really waits: Bob, private with Alice, has not got it.
    await contactWhere(bob, jid('alice'), (c) => reportedPrivacy(c) === 'private', 0);
    assert.ok(!bob.events.slice(bobFrom).some((e) => JSON.stringify(e.payload).includes('HELD-UNTIL-ACCEPTED')));
    assert.ok(!(await server.receivedStanzas()).includes('HELD-UNTIL-ACCEPTED'));

    const wrong = await alice.request('acceptKey', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'otr', key: '0'.repeat(40) });
    assert.equal(wrong.ok, false, 'only the key that is shown can be accepted');
    await alice.call('acceptKey', { accountId: aliceAccount.id, peer: jid('bob'), scheme: 'otr', key: warned.e2ee!.keyWarning!.fingerprint });
    assert.deepEqual(noticesSince(alice, jid('bob'), from, ['key-accepted']), [['key-accepted', warned.e2ee!.keyWarning!.fingerprint]], 'accepting is in the log');
    const got = await bob.waitFor('messageUpserted', (e) => e.message.body === 'HELD-UNTIL-ACCEPTED');
    assert.equal(got.message.encrypted, true);
    await alice.waitFor('messageUpserted', (e) => e.message.id === held.id && e.message.state === 'sent');
    const accepted = await contactWhere(alice, jid('bob'), (c) => c.e2ee?.keyWarning === undefined && reportedPrivacy(c) === 'private', from);
    assert.equal(accepted.e2ee?.fingerprint, warned.e2ee!.keyWarning!.fingerprint);
    const trust = await alice.call<TrustList>('listTrust', {});
    assert.deepEqual(
      trust.contacts.filter((c) => c.peer === jid('bob')).map((c) => [c.trust, c.inUse]).sort(),
      [['unverified', true], ['verified-manual', false]],
      'the old key keeps its trust; the new one is known but not verified',
    );

    const old = trust.contacts.find((c) => c.peer === jid('bob') && !c.inUse)!;
    const forgotFrom = alice.events.length;
    await alice.call('forgetKey', { accountId: aliceAccount.id, peer: jid('bob'), scheme: old.scheme, key: old.fingerprint });
    assert.deepEqual(await trustOf(alice, jid('bob')), ['unverified']);
    assert.deepEqual(noticesSince(alice, jid('bob'), forgotFrom, ['key-forgotten']), [['key-forgotten', old.fingerprint]], 'forgetting a verified key is in the log');
  });
});
