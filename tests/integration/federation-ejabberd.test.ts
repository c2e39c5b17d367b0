/**
 * Company to company across two server products: corp-a on Prosody, corp-b on ejabberd 23.01
 * (tests/fixtures/federation.ts). Both link over TLS with certificates from the one test CA and
 * authenticate each other by certificate (SASL EXTERNAL; ejabberd has no dialback module loaded and
 * Prosody runs `s2s_secure_auth`), each finding the other without real DNS (Prosody: its private hosts
 * file; ejabberd: SRV records on a dnsmasq of its own). Users on both sides add each other, see each
 * other's presence, chat both ways and go private (OTR) across the pair.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signedInCore, startFederation, type Federation } from '../fixtures/federation.js';
import type { TestCore } from '../fixtures/core.js';
import { arrives, contactIn } from '../fixtures/waits.js';
import type { ProsodyServer } from '../fixtures/prosody.js';
import type { EjabberdServer } from '../fixtures/ejabberd.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'federation-ej-pw-47';
const ALICE = 'alice@corp-a.test';
const BOB = 'bob@corp-b.test';

describe('federation between Prosody (corp-a) and ejabberd (corp-b)', () => {
  let fed: Federation;
  let prosody: ProsodyServer;
  let ejabberd: EjabberdServer;
  const cores: TestCore[] = [];
  let alice: TestCore;
  let bob: TestCore;
  let aliceId: string;
  let bobId: string;

  async function signIn(server: { domain: string; c2sPort: number }, user: string): Promise<{ core: TestCore; id: string }> {
    const signedIn = await signedInCore(fed, server, `${user}@${server.domain}`, password);
    cores.push(signedIn.core);
    return signedIn;
  }

  before(async () => {
    fed = await startFederation([
      { domain: 'corp-a.test', users: [{ username: 'alice', password }] },
      { domain: 'corp-b.test', server: 'ejabberd', users: [{ username: 'bob', password }] },
    ]);
    [prosody, ejabberd] = fed.servers as [ProsodyServer, EjabberdServer];
    [{ core: alice, id: aliceId }, { core: bob, id: bobId }] = await Promise.all([signIn(prosody, 'alice'), signIn(ejabberd, 'bob')]);
  });
  after(async () => {
    await Promise.all(cores.map((c) => c.dispose()));
    await fed?.dispose();
  });

  test('a Prosody user and an ejabberd user add each other and see each other online', async () => {
    // The request goes from ejabberd to Prosody: ejabberd's outgoing link, found through its SRV record.
    await bob.call('addContact', { accountId: bobId, jid: ALICE });
    await alice.waitFor('subscriptionRequestsChanged', (e) => e.requests.some((r) => r.jid === BOB), { timeoutMs: 20_000 });
    await alice.call('approveSubscription', { accountId: aliceId, jid: BOB });
    await contactIn(alice, BOB, (c) => c.subscription === 'both' && c.presence.show === 'online');
    await contactIn(bob, ALICE, (c) => c.subscription === 'both' && c.presence.show === 'online');
  });

  test('both links are TLS and authenticated by certificate (no dialback)', async () => {
    const ejabberdLog = await ejabberd.logText();
    assert.match(ejabberdLog, /Accepted outbound s2s EXTERNAL authentication corp-b\.test -> corp-a\.test/);
    assert.match(ejabberdLog, /Accepted inbound s2s EXTERNAL authentication corp-a\.test -> corp-b\.test/);
    const prosodyLog = await prosody.logText();
    assert.match(prosodyLog, /Incoming s2s connection corp-b\.test->corp-a\.test complete/);
    assert.match(prosodyLog, /Outgoing s2s connection corp-a\.test->corp-b\.test complete/);
    assert.doesNotMatch(prosodyLog, /dialback/i);
  });

  test('they chat both ways', async () => {
    const fromA = await alice.call('sendMessage', { accountId: aliceId, to: BOB, body: 'Hello ejabberd, this is Prosody' });
    assert.equal((await arrives(bob, 'Hello ejabberd, this is Prosody')).id, fromA.id);
    const fromB = await bob.call('sendMessage', { accountId: bobId, to: ALICE, body: 'Hello Prosody, ejabberd here' });
    assert.equal((await arrives(alice, 'Hello Prosody, ejabberd here')).id, fromB.id);
    await alice.waitFor('messageUpserted', (e) => e.message.id === fromA.id && e.message.state === 'delivered', { timeoutMs: 20_000 });
    await bob.waitFor('messageUpserted', (e) => e.message.id === fromB.id && e.message.state === 'delivered', { timeoutMs: 20_000 });
  });

  test('they go private (OTR) across the pair, both ways, and neither server sees the text', async () => {
    await bob.call('startPrivate', { accountId: bobId, peer: ALICE });
    await contactIn(alice, BOB, (c) => reportedPrivacy(c) === 'private');
    await contactIn(bob, ALICE, (c) => reportedPrivacy(c) === 'private');
    const fromB = await bob.call('sendMessage', { accountId: bobId, to: ALICE, body: 'PRIVATE-EJABBERD-TO-PROSODY' });
    assert.equal(fromB.encrypted, true);
    assert.equal((await arrives(alice, 'PRIVATE-EJABBERD-TO-PROSODY')).encrypted, true);
    const fromA = await alice.call('sendMessage', { accountId: aliceId, to: BOB, body: 'PRIVATE-PROSODY-TO-EJABBERD' });
    assert.equal(fromA.encrypted, true);
    assert.equal((await arrives(bob, 'PRIVATE-PROSODY-TO-EJABBERD')).encrypted, true);
    // What alice's client handed to Prosody for corp-b: the plain chat as text, the private one only as OTR data.
    const handed = await prosody.receivedStanzas();
    assert.ok(handed.includes('Hello ejabberd, this is Prosody') && handed.includes('?OTR:'));
    assert.ok(!handed.includes('PRIVATE-PROSODY-TO-EJABBERD'), 'Prosody never saw the text');
    const beforeEnd = alice.events.length;
    await bob.call('endPrivate', { accountId: bobId, peer: ALICE });
    await contactIn(alice, BOB, (c) => reportedPrivacy(c) === 'finished', { after: beforeEnd });
  });
});
