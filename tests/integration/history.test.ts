/**
 * Local history over a real Prosody: a core restarted on the same profile
 * shows its chats again; the file on disk is unreadable without the key;
 * private messages are stored only for a contact the user chose, and turning
 * that off deletes them. What is private is recorded on the message as it
 * leaves (a message held while the conversation turns private is private),
 * and notices from inside a private conversation (SMP questions) are private too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, ChatMessage, ResponseOf } from '../../shared/contract.js';
import { HistoryStore } from '../../electron/core/store/history-store.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { decryptedBytes } from '../fixtures/history-database.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'history-pw';

const arrivesAt = (core: TestCore, body: string) => core.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body);

/**
 * The review's case: under the default policy, `from` writes while the AKE runs (the peer is offline, so
 * the query waits in its offline store); the message is held, and goes out encrypted once the peer is back.
 * Returns the message as `from` shows it once the server has it.
 */
async function heldWhileGoingPrivate(
  from: { core: TestCore; account: AccountView },
  to: { core: TestCore; account: AccountView },
  body: string,
): Promise<ChatMessage> {
  const peer = to.account.jid;
  await from.core.call('setOtrPolicy', { accountId: from.account.id, peer }); // the default (opportunistic)
  const mark = from.core.events.length;
  await to.core.call('disconnectAccount', { accountId: to.account.id });
  await from.core.waitFor('contactUpdated', (e) => e.contact.jid === peer && e.contact.presence.show === 'offline', { after: mark });
  await from.core.call('startPrivate', { accountId: from.account.id, peer });
  const held = await from.core.call<ChatMessage>('sendMessage', { accountId: from.account.id, to: peer, body });
  assert.equal(held.state, 'waiting', 'held until the conversation is private');
  await to.core.call('connectAccount', { accountId: to.account.id });
  const got = await arrivesAt(to.core, body);
  assert.equal(got.message.encrypted, true, 'it went out encrypted');
  const sent = await from.core.waitFor('messageUpserted', (e) => e.message.id === held.id && (e.message.state === 'sent' || e.message.state === 'delivered'));
  return sent.message;
}

describe('local history across restarts', () => {
  let server: ProsodyServer;
  let profileDir: string;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-history-profile-'));
    alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
    bobAccount = await bob.call<AccountView>('addAccount', login('bob'));
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'manual' });
    await bob.call('setOtrPolicy', { accountId: bobAccount.id, peer: jid('alice'), policy: 'manual' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    // Kept by default: Bob never chose; Alice turns it off for Bob, for the tests of what is not kept.
    assert.equal(bob.core.snapshot().rosters[bobAccount.id]?.find((c) => c.jid === jid('alice'))?.keepPrivateHistory, true, 'kept by default');
    await alice.call('setKeepPrivateHistory', { accountId: aliceAccount.id, peer: jid('bob'), keep: false });
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
    if (profileDir) await fs.rm(profileDir, { recursive: true, force: true });
  });

  const send = (core: TestCore, account: AccountView, to: string, body: string) =>
    core.call<ChatMessage>('sendMessage', { accountId: account.id, to, body });
  const arrives = (core: TestCore, body: string) => core.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body);
  const goPrivate = async () => {
    const from = alice.events.length;
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private', { after: from });
  };
  /** Stops alice's core (it writes what is pending) and starts a new one on the same profile, signed in again. */
  const restartAlice = async () => {
    await alice.dispose();
    alice = await startTestCore({ caPem: server.ca.caCertPem, profileDir });
    await alice.waitFor('accountUpdated', (e) => e.connection.kind === 'online');
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
  };
  const storedBodies = () => (alice.core.snapshot().chats[aliceAccount.id]?.[jid('bob')] ?? []).map((m) => m.body);

  test('plaintext chats come back after a restart; private messages do not', async () => {
    await send(alice, aliceAccount, jid('bob'), 'PLAIN-HISTORY-1');
    await arrives(bob, 'PLAIN-HISTORY-1');
    await send(bob, bobAccount, jid('alice'), 'PLAIN-REPLY-2');
    await arrives(alice, 'PLAIN-REPLY-2');
    await goPrivate();
    await send(alice, aliceAccount, jid('bob'), 'SECRET-HISTORY-3');
    await arrives(bob, 'SECRET-HISTORY-3');
    await send(bob, bobAccount, jid('alice'), 'SECRET-HISTORY-4');
    await arrives(alice, 'SECRET-HISTORY-4');

    await restartAlice();
    const bodies = storedBodies();
    assert.ok(bodies.includes('PLAIN-HISTORY-1') && bodies.includes('PLAIN-REPLY-2'), `restored: ${JSON.stringify(bodies)}`);
    assert.ok(bodies.some((b) => /Private conversation started/.test(b)), 'notices are kept with their chat');
    assert.ok(!bodies.some((b) => b.startsWith('SECRET')), 'a private message was stored');
    // Where they were, the chat says how many were left out (one row for the run, no text).
    const chat = alice.core.snapshot().chats[aliceAccount.id]?.[jid('bob')] ?? [];
    const unkept = chat.filter((m) => m.notice?.kind === 'private-not-kept');
    assert.deepEqual(unkept.map((m) => m.notice?.detail), ['2'], `one row for the two private messages: ${JSON.stringify(chat.map((m) => m.body))}`);
    const at = chat.findIndex((m) => m.notice?.kind === 'private-not-kept');
    const started = chat.findIndex((m) => /Private conversation started/.test(m.body));
    assert.ok(at > chat.findIndex((m) => m.body === 'PLAIN-REPLY-2') && at > started, 'in their place: after the plaintext and the start of the private conversation');

    const raw = await fs.readFile(HistoryStore.fileInProfile(profileDir, aliceAccount.id), 'utf8');
    for (const text of ['PLAIN-HISTORY-1', 'PLAIN-REPLY-2', jid('bob')]) assert.ok(!raw.includes(text), `${text} readable on disk`);
  });

  test('a message held while the conversation turns private is shown as private and not stored', async () => {
    const sent = await heldWhileGoingPrivate({ core: alice, account: aliceAccount }, { core: bob, account: bobAccount }, 'SECRET-HELD-7');
    assert.equal(sent.encrypted, true, 'marked as sent privately, as it was');
    await alice.waitFor('messageUpserted', (e) => e.message.body === 'SECRET-HELD-7' && e.message.state === 'delivered');
    const shown = alice.core.snapshot().chats[aliceAccount.id]?.[jid('bob')]?.find((m) => m.body === 'SECRET-HELD-7');
    assert.equal(shown?.encrypted, true, 'still private once the server and the contact confirmed it');
    await restartAlice();
    assert.ok(!storedBodies().includes('SECRET-HELD-7'), 'a private message was stored');
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'manual' });
  });

  test('an SMP question, asked inside the private conversation, is not stored either', async () => {
    const bobFrom = bob.events.length;
    await goPrivate();
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && reportedPrivacy(e.contact) === 'private', { after: bobFrom });
    const from = alice.events.length;
    await bob.call('startSmp', { accountId: bobAccount.id, peer: jid('alice'), question: 'SMP-QUESTION-SECRET: where did we meet?', secret: 'x' });
    const notice = await alice.waitFor('messageUpserted', (e) => e.message.notice?.kind === 'smp-question', { after: from });
    assert.equal(notice.message.encrypted, true, 'said inside the private conversation');
    await restartAlice();
    const bodies = storedBodies();
    assert.ok(!bodies.some((b) => b.includes('SMP-QUESTION-SECRET')), `the question was stored: ${JSON.stringify(bodies)}`);
    assert.ok(bodies.some((b) => /Private conversation started/.test(b)), 'notices about the conversation are kept');
  });

  test('kept for a contact the user chose; turning it off deletes them', async () => {
    const from = alice.events.length;
    await alice.call('setKeepPrivateHistory', { accountId: aliceAccount.id, peer: jid('bob'), keep: true });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.keepPrivateHistory === true, { after: from });
    await goPrivate();
    await send(alice, aliceAccount, jid('bob'), 'SECRET-KEPT-5');
    await arrives(bob, 'SECRET-KEPT-5');
    await send(bob, bobAccount, jid('alice'), 'SECRET-KEPT-6');
    await arrives(alice, 'SECRET-KEPT-6');

    await restartAlice();
    const kept = alice.core.snapshot().chats[aliceAccount.id]?.[jid('bob')] ?? [];
    for (const body of ['SECRET-KEPT-5', 'SECRET-KEPT-6']) {
      assert.equal(kept.find((m) => m.body === body)?.encrypted, true, `${body} kept, marked private`);
    }
    assert.ok(!kept.some((m) => m.body.startsWith('SECRET-HISTORY')), 'what was not kept before stays gone');
    assert.equal(alice.core.snapshot().rosters[aliceAccount.id]?.find((c) => c.jid === jid('bob'))?.keepPrivateHistory, true);

    await alice.call('setKeepPrivateHistory', { accountId: aliceAccount.id, peer: jid('bob'), keep: false });
    // Deleted, not only hidden: nothing of them is anywhere in the database's file, its log or its index,
    // read as the holder of the key would, at once and while the app runs.
    const databaseFile = HistoryStore.fileInProfile(profileDir, aliceAccount.id);
    const box = await FileKeySecretBox.open(path.join(profileDir, 'test-secret.key'));
    const inside = await decryptedBytes(databaseFile, box);
    assert.ok(inside.includes('PLAIN-HISTORY-1'), 'the decrypted copy does show what is kept');
    for (const body of ['SECRET-KEPT-5', 'SECRET-KEPT-6', 'secret-kept']) assert.ok(!inside.includes(body), `${body} is still in the database file`);
    await restartAlice();
    const after = storedBodies();
    assert.ok(!after.some((b) => b.startsWith('SECRET')), `private messages left after turning it off: ${JSON.stringify(after)}`);
    assert.ok(after.includes('PLAIN-HISTORY-1'), 'plaintext stays');
  });
});

describe('no history by policy', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    const noHistory = new PolicyGate(readPolicy({ keepHistory: false }, '/etc/klatsch/policy.json'));
    alice = await startTestCore({ caPem: server.ca.caCertPem, policy: noHistory });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
    bobAccount = await bob.call<AccountView>('addAccount', login('bob'));
    await bob.call('setOtrPolicy', { accountId: bobAccount.id, peer: jid('alice'), policy: 'manual' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  test('a message held while the conversation turns private is private: not searchable where the policy keeps no history', async () => {
    await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'PLAIN-FINDABLE-1' });
    await arrivesAt(bob, 'PLAIN-FINDABLE-1');
    const sent = await heldWhileGoingPrivate({ core: alice, account: aliceAccount }, { core: bob, account: bobAccount }, 'SECRET-HELD-POLICY-2');
    assert.equal(sent.encrypted, true);
    const search = (query: string) => alice.call<ResponseOf<'searchHistory'>>('searchHistory', { query });
    assert.equal((await search('PLAIN-FINDABLE-1')).hits.length, 1, 'the search does look at this session');
    assert.deepEqual((await search('SECRET-HELD-POLICY-2')).hits, [], 'a private message is searchable');
  });
});
