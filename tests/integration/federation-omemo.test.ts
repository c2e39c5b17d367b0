/**
 * OMEMO between two companies (issue 15 with issue 16's federation): alice on corp-a's Prosody, bob on
 * corp-b's, both servers with PEP as Prosody ships it, both apps with OMEMO as the app has it. Once they
 * are contacts, each learns the other's devices across the server-to-server link, the chat is private
 * with OMEMO without anyone starting it, and messages go both ways encrypted: neither server ever
 * receives the text. A message to bob while his app is closed waits on corp-b as a key exchange and is
 * read when he comes back, on the same profile.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Contact } from '../../shared/contract.js';
import { startFederation, type Federation } from '../fixtures/federation.js';
import { startTestCore, tempProfiles, type TestCore } from '../fixtures/core.js';
import { arrives as arrivesIn, contactIn as contactInCore } from '../fixtures/waits.js';
import type { ProsodyServer } from '../fixtures/prosody.js';
import { OMEMO_PROSODY_CONFIG } from '../fixtures/omemo-peer.js';

const password = 'federation-omemo-pw';
const ALICE = 'alice@corp-a.test';
const BOB = 'bob@corp-b.test';

describe('OMEMO across federation', () => {
  let fed: Federation;
  let corpA: ProsodyServer;
  let corpB: ProsodyServer;
  const profiles = tempProfiles('klatsch-federation-omemo-');
  const cores = new Set<TestCore>();
  let alice: TestCore;
  let bob: TestCore;
  let aliceId: string;
  let bobId: string;
  let bobProfile: string;

  async function open(profileDir: string): Promise<TestCore> {
    const core = await startTestCore({ caPem: fed.ca.caCertPem, names: fed.names, profileDir, omemo: true });
    cores.add(core);
    return core;
  }
  async function signIn(server: ProsodyServer, user: string): Promise<{ core: TestCore; id: string; profile: string }> {
    const profile = await profiles.make();
    const core = await open(profile);
    const account = await core.call('addAccount', { jid: `${user}@${server.domain}`, password, rememberPassword: true, port: server.c2sPort });
    await core.waitFor('rosterReplaced', (e) => e.accountId === account.id);
    return { core, id: account.id, profile };
  }
  const contactIn = (core: TestCore, peer: string, match: (c: Contact) => boolean, after = 0) => contactInCore(core, peer, match, { after, timeoutMs: 30_000 });
  const omemo = (c: Contact) => c.e2ee?.scheme === 'omemo' && c.e2ee.state === 'private';
  const arrives = (core: TestCore, body: string) => arrivesIn(core, body, 30_000);
  /** Neither server got the text in any stanza a client sent. */
  async function neverInTheClear(text: string): Promise<void> {
    for (const server of [corpA, corpB]) {
      assert.ok(!(await server.receivedStanzas()).includes(text), `${server.domain} never saw "${text}"`);
    }
  }

  before(async () => {
    fed = await startFederation([
      { domain: 'corp-a.test', users: [{ username: 'alice', password }], extraConfig: OMEMO_PROSODY_CONFIG },
      { domain: 'corp-b.test', users: [{ username: 'bob', password }], extraConfig: OMEMO_PROSODY_CONFIG },
    ]);
    [corpA, corpB] = fed.servers as [ProsodyServer, ProsodyServer];
    [{ core: alice, id: aliceId }, { core: bob, id: bobId, profile: bobProfile }] = await Promise.all([signIn(corpA, 'alice'), signIn(corpB, 'bob')]);
  });
  after(async () => {
    await Promise.all([...cores].map((c) => c.dispose()));
    await fed?.dispose();
    await profiles.removeAll();
  });

  test('contacts across companies learn each other’s devices: the chat is private with OMEMO by itself', async () => {
    await alice.call('addContact', { accountId: aliceId, jid: BOB });
    await bob.waitFor('subscriptionRequestsChanged', (e) => e.requests.some((r) => r.jid === ALICE), { timeoutMs: 30_000 });
    await bob.call('approveSubscription', { accountId: bobId, jid: ALICE });
    await contactIn(alice, BOB, (c) => c.subscription === 'both');
    await contactIn(alice, BOB, omemo);
    await contactIn(bob, ALICE, omemo);
  });

  test('messages go both ways encrypted; neither server sees the text', async () => {
    const sent = await alice.call('sendMessage', { accountId: aliceId, to: BOB, body: 'OMEMO-ACROSS-COMPANIES-1' });
    assert.equal(sent.encrypted, true, `the chat as alice had it: ${JSON.stringify(alice.core.snapshot().rosters[aliceId]?.find((c) => c.jid === BOB)?.e2ee)}`);
    const got = await arrives(bob, 'OMEMO-ACROSS-COMPANIES-1');
    assert.equal(got.encrypted, true);
    const reply = await bob.call('sendMessage', { accountId: bobId, to: ALICE, body: 'OMEMO-ACROSS-COMPANIES-2' });
    assert.equal(reply.encrypted, true);
    assert.equal((await arrives(alice, 'OMEMO-ACROSS-COMPANIES-2')).encrypted, true);
    await neverInTheClear('OMEMO-ACROSS-COMPANIES-1');
    await neverInTheClear('OMEMO-ACROSS-COMPANIES-2');
    // Each device row the user sees has the key it can be verified by (no keyless twin of another version's row).
    for (const [core, id, peer] of [[alice, aliceId, BOB], [bob, bobId, ALICE]] as const) {
      const devices = core.core.snapshot().rosters[id]?.find((c) => c.jid === peer)?.e2ee?.devices ?? [];
      assert.ok(devices.length > 0);
      assert.deepEqual(devices.filter((d) => d.fingerprint === ''), [], JSON.stringify(devices));
    }
  });

  test('a message to bob while his app is closed is read when he is back', async () => {
    const before = alice.events.length;
    await bob.dispose();
    cores.delete(bob);
    await contactIn(alice, BOB, (c) => c.presence.show === 'offline', before);
    const sent = await alice.call('sendMessage', { accountId: aliceId, to: BOB, body: 'OMEMO-WHILE-YOU-WERE-AWAY' });
    assert.equal(sent.encrypted, true, 'encrypted for his devices although he is offline');
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'sent', { timeoutMs: 30_000 });

    bob = await open(bobProfile); // signs in by itself: the password is remembered
    const got = await arrives(bob, 'OMEMO-WHILE-YOU-WERE-AWAY');
    assert.equal(got.encrypted, true);
    assert.equal(got.id, sent.id, 'the same message, matched by id');
    await neverInTheClear('OMEMO-WHILE-YOU-WERE-AWAY');
  });
});
