/**
 * Company to company: users of two companies, each on its own Prosody, federating over TLS
 * (tests/fixtures/federation.ts: own loopback address each, certificates from the test CA,
 * `s2s_secure_auth`). They add each other, see presence, chat, go private and authenticate each
 * other; a room on corp-a has a member from corp-b. When the link between the servers fails
 * (a server down, a domain that does not exist, a certificate that does not verify) the user reads
 * a sentence naming the other domain, and the message waits and goes out once the link is back.
 * The administrator's deny list holds across federation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { signedInCore, startFederation, type Federation } from '../fixtures/federation.js';
import type { TestCore } from '../fixtures/core.js';
import { arrives, contactIn } from '../fixtures/waits.js';
import type { ProsodyServer } from '../fixtures/prosody.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'federation-pw-31';

/** Every file a server keeps (archive, offline messages, rosters…), as one string. */
async function storedData(dir: string): Promise<string> {
  let all = '';
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) all += await fs.readFile(path.join(entry.parentPath, entry.name), 'latin1');
  }
  return all;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('federation between two companies', () => {
  let fed: Federation;
  let corpA: ProsodyServer;
  let corpB: ProsodyServer;
  const cores: TestCore[] = [];
  let alice: TestCore;
  let bob: TestCore;
  let dave: TestCore;
  let aliceId: string;
  let bobId: string;
  let daveId: string;
  const ALICE = 'alice@corp-a.test';
  const BOB = 'bob@corp-b.test';
  const CAROL = 'carol@corp-c.test';
  const DAVE = 'dave@corp-d.test';

  async function signIn(server: ProsodyServer, user: string, policy?: PolicyGate): Promise<{ core: TestCore; id: string }> {
    const signedIn = await signedInCore(fed, server, `${user}@${server.domain}`, password, policy ? { policy } : {});
    cores.push(signedIn.core);
    return signedIn;
  }
  const statesOf = (core: TestCore, id: string) =>
    core.events
      .filter((e) => e.name === 'messageUpserted' && (e.payload as { message: ChatMessage }).message.id === id)
      .map((e) => (e.payload as { message: ChatMessage }).message.state);

  before(async () => {
    fed = await startFederation([
      { domain: 'corp-a.test', users: [{ username: 'alice', password }], muc: true },
      { domain: 'corp-b.test', users: [{ username: 'bob', password }] },
      // Its certificate is its own, not from the CA the others trust: no link to it can be made.
      { domain: 'corp-c.test', users: [{ username: 'carol', password }], certificate: 'self-signed' },
      // Valid, but on alice's administrator's deny list.
      { domain: 'corp-d.test', users: [{ username: 'dave', password }] },
    ]);
    [corpA, corpB] = fed.servers as [ProsodyServer, ProsodyServer, ProsodyServer, ProsodyServer];
    const policy = new PolicyGate(readPolicy({ remoteDeny: ['corp-d.test'] }, '/etc/klatsch/policy.json'));
    [{ core: alice, id: aliceId }, { core: bob, id: bobId }, { core: dave, id: daveId }] = await Promise.all([
      signIn(corpA, 'alice', policy),
      signIn(corpB, 'bob'),
      signIn(fed.servers[3] as ProsodyServer, 'dave'),
    ]);
  });
  after(async () => {
    await Promise.all(cores.map((c) => c.dispose()));
    await fed?.dispose();
  });

  test('a user of corp-a and a user of corp-b add each other and see each other online', async () => {
    await alice.call('addContact', { accountId: aliceId, jid: BOB });
    await bob.waitFor('subscriptionRequestsChanged', (e) => e.requests.some((r) => r.jid === ALICE), { timeoutMs: 20_000 });
    await bob.call('approveSubscription', { accountId: bobId, jid: ALICE });
    await contactIn(alice, BOB, (c) => c.subscription === 'both' && c.presence.show === 'online');
    await contactIn(bob, ALICE, (c) => c.subscription === 'both' && c.presence.show === 'online');
  });

  test('they chat, go private (OTR) and authenticate each other by a question (SMP)', async () => {
    await alice.call('sendMessage', { accountId: aliceId, to: BOB, body: 'Hello from corp-a' });
    await arrives(bob, 'Hello from corp-a');
    await alice.call('startPrivate', { accountId: aliceId, peer: BOB });
    await contactIn(alice, BOB, (c) => reportedPrivacy(c) === 'private');
    await contactIn(bob, ALICE, (c) => reportedPrivacy(c) === 'private');
    const secret = await alice.call('sendMessage', { accountId: aliceId, to: BOB, body: 'PRIVATE-ACROSS-COMPANIES' });
    assert.equal(secret.encrypted, true);
    assert.equal((await arrives(bob, 'PRIVATE-ACROSS-COMPANIES')).encrypted, true);
    for (const server of [corpA, corpB]) {
      assert.ok(!(await server.receivedStanzas()).includes('PRIVATE-ACROSS-COMPANIES'), `${server.domain} never saw the text`);
    }

    const from = bob.events.length;
    await alice.call('startSmp', { accountId: aliceId, peer: BOB, question: 'Which floor is our meeting room on?', secret: 'the fourth' });
    const asked = await contactIn(bob, ALICE, (c) => c.e2ee?.auth?.phase === 'asked', { after: from });
    assert.equal(asked.e2ee?.auth?.phase === 'asked' && asked.e2ee?.auth.question, 'Which floor is our meeting room on?');
    const requestId = asked.e2ee?.auth?.phase === 'asked' ? asked.e2ee?.auth.id : '';
    await bob.call('respondSmp', { accountId: bobId, peer: ALICE, requestId, secret: 'the fourth' });
    await contactIn(alice, BOB, (c) => c.e2ee?.auth?.phase === 'succeeded' && reportedPrivacy(c) === 'private-verified');
    const beforeEnd = bob.events.length;
    await alice.call('endPrivate', { accountId: aliceId, peer: BOB });
    await contactIn(bob, ALICE, (c) => reportedPrivacy(c) === 'finished', { after: beforeEnd });
  });

  test('a group chat on corp-a has a member from corp-b', async () => {
    const room = await alice.call('joinRoom', { accountId: aliceId, room: 'projects', nick: 'Alice' });
    assert.equal(room.jid, 'projects@conference.corp-a.test');
    await alice.call('inviteToRoom', { accountId: aliceId, room: room.jid, contact: BOB });
    const invited = await bob.waitFor('invitationsChanged', (e) => e.invitations.some((i) => i.room === room.jid), { timeoutMs: 20_000 });
    const invitation = invited.invitations.find((i) => i.room === room.jid)!;
    await bob.call('acceptInvitation', { accountId: bobId, id: invitation.id, nick: 'Bob' });
    await bob.call('sendRoomMessage', { accountId: bobId, room: room.jid, body: 'Bob from corp-b in the room' });
    await alice.waitFor('roomMessageUpserted', (e) => e.message.body === 'Bob from corp-b in the room' && e.message.direction === 'in', { timeoutMs: 20_000 });
    await alice.call('sendRoomMessage', { accountId: aliceId, room: room.jid, body: 'Welcome, corp-b' });
    await bob.waitFor('roomMessageUpserted', (e) => e.message.body === 'Welcome, corp-b' && e.message.direction === 'in', { timeoutMs: 20_000 });
  });

  test('while corp-b is down the message waits with a sentence naming corp-b.test, and arrives once it is back', async () => {
    await corpB.stop();
    const waiting = await alice.call('sendMessage', { accountId: aliceId, to: BOB, body: 'Sent while corp-b was down' });
    const held = await alice.waitFor('messageUpserted', (e) => e.message.id === waiting.id && e.message.state === 'waiting', { timeoutMs: 20_000 });
    assert.equal(held.message.waitingForServer, 'corp-b.test', 'the UI names the other company');
    assert.equal(held.message.error, undefined, 'no raw server text (and not the wait for a private conversation)');
    await corpB.start();
    assert.equal((await arrives(bob, 'Sent while corp-b was down', 30_000)).id, waiting.id);
    const delivered = await alice.waitFor('messageUpserted', (e) => e.message.id === waiting.id && e.message.state === 'delivered', { timeoutMs: 20_000 });
    assert.equal(delivered.message.waitingForServer, undefined, 'no longer waiting for corp-b');
    assert.ok(!statesOf(alice, waiting.id).includes('failed'), 'never shown as failed');
  });

  test('a domain that does not exist and a server whose certificate does not verify: the message waits, naming the domain', async () => {
    const nowhere = await alice.call('sendMessage', { accountId: aliceId, to: 'someone@nowhere.test', body: 'to nowhere' });
    const toCarol = await alice.call('sendMessage', { accountId: aliceId, to: CAROL, body: 'to an untrusted server' });
    const a = await alice.waitFor('messageUpserted', (e) => e.message.id === nowhere.id && e.message.state === 'waiting', { timeoutMs: 20_000 });
    assert.equal(a.message.waitingForServer, 'nowhere.test');
    const c = await alice.waitFor('messageUpserted', (e) => e.message.id === toCarol.id && e.message.state === 'waiting', { timeoutMs: 20_000 });
    assert.equal(c.message.waitingForServer, 'corp-c.test');
    const outbox = alice.core.snapshot().chats[aliceId]?.[CAROL]?.find((m) => m.id === toCarol.id);
    assert.equal(outbox?.state === 'waiting' || outbox?.state === 'sending', true, 'still queued, not failed');
  });

  test('a contact request to a server that cannot be reached is answered by a sentence naming its domain', async () => {
    await alice.call('addContact', { accountId: aliceId, jid: 'erin@nowhere.test' });
    const notice = await alice.waitFor('messageUpserted', (e) => e.message.peer === 'erin@nowhere.test' && e.message.direction === 'notice', { timeoutMs: 20_000 });
    assert.match(notice.message.body, /erin@nowhere\.test.*nowhere\.test/);
  });

  test('a denied domain: its user cannot be added, and its requests and messages never show', async () => {
    const refused = await alice.request('addContact', { accountId: aliceId, jid: DAVE });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'forbidden-by-policy');
    assert.equal(!refused.ok && refused.error.message, 'Your administrator does not allow contacts at corp-d.test, so dave@corp-d.test cannot be added.');

    await dave.call('addContact', { accountId: daveId, jid: ALICE });
    await dave.call('sendMessage', { accountId: daveId, to: ALICE, body: 'from a denied company 4471' });
    // It crossed to corp-a and was handed to alice's stream (her server archived it as it did)…
    await waitUntil(async () => (await storedData(corpA.dataDir)).includes('from a denied company 4471'));
    // …and a message from bob, sent after that, arrives on the same stream: alice's core had the denied one first.
    await contactIn(bob, ALICE, (c) => c.presence.show === 'online');
    await bob.call('sendMessage', { accountId: bobId, to: ALICE, body: 'after the denied one' });
    await arrives(alice, 'after the denied one');
    const chats = alice.core.snapshot().chats[aliceId] ?? {};
    assert.equal(chats[DAVE], undefined, 'nothing of dave is shown');
    assert.deepEqual(alice.core.snapshot().subscriptionRequests?.[aliceId] ?? [], [], 'nor his contact request');
  });

  test('a denied domain: the user is told once that its messages are blocked, naming the domain, never the text', async () => {
    // The test before: dave's request and message were refused. The account says so, naming his domain.
    const view = alice.core.snapshot().accounts.find((a) => a.id === aliceId);
    assert.deepEqual(view?.blockedSenders, ['corp-d.test']);
    // Each change of the list is one note the user gets (other account updates repeat the list unchanged).
    const told = () => {
      const lists = alice.events
        .filter((e) => e.name === 'accountUpdated' && (e.payload as AccountView).id === aliceId)
        .map((e) => JSON.stringify((e.payload as AccountView).blockedSenders ?? []));
      return lists.filter((list, i) => list !== (lists[i - 1] ?? '[]'));
    };
    const toldBefore = told().length;
    assert.deepEqual(told(), ['["corp-d.test"]'], 'said once, when the first one was refused');

    // More from the same domain (another message, a second request) adds no second note: no flood.
    await dave.call('sendMessage', { accountId: daveId, to: ALICE, body: 'again from a denied company 4472' });
    await waitUntil(async () => (await storedData(corpA.dataDir)).includes('again from a denied company 4472'));
    await bob.call('sendMessage', { accountId: bobId, to: ALICE, body: 'after the second denied one' });
    await arrives(alice, 'after the second denied one');
    assert.equal(told().length, toldBefore);
    assert.deepEqual(alice.core.snapshot().accounts.find((a) => a.id === aliceId)?.blockedSenders, ['corp-d.test']);
    // Nothing dave wrote reached alice's UI, in any event.
    assert.ok(!JSON.stringify(alice.events).includes('denied company'), 'never the text');
  });
});
