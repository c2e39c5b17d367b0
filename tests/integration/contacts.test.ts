/**
 * Contacts and presence subscriptions between real app cores on one real Prosody:
 * add → the request arrives → approve → both see each other ('both', online);
 * deny; rename and groups kept by the server (a fresh login sees them); remove;
 * errors the user can read; roster pushes from anyone else are ignored.
 * None of the users starts as anyone's contact.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Contact, RequestName, RequestOf, SubscriptionRequest } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { iq, rawLogin } from '../fixtures/raw-xmpp.js';
import { usersWith } from '../fixtures/xmpp-server.js';

const password = 'contacts-Passw0rd';

describe('contacts and subscriptions', () => {
  let server: ProsodyServer;
  const cores: TestCore[] = [];
  let alice: TestCore;
  let bob: TestCore;
  let carol: TestCore;
  let aliceId: string;
  let bobId: string;
  let carolId: string;
  const jid = (user: string) => `${user}@${server.domain}`;

  async function signIn(user: string): Promise<{ core: TestCore; id: string }> {
    const core = await startTestCore({ caPem: server.ca.caCertPem });
    cores.push(core);
    const account = await core.call('addAccount', {
      jid: jid(user),
      password,
      rememberPassword: false,
      host: '127.0.0.1',
      port: server.c2sPort,
    });
    // Initial presence follows the roster: wait for the roster so that presence has gone out.
    await core.waitFor('rosterReplaced', (e) => e.accountId === account.id);
    return { core, id: account.id };
  }

  const contactIn = (core: TestCore, id: string, peer: string, match: (c: Contact) => boolean, after = 0) =>
    core.waitFor('contactUpdated', (e) => e.accountId === id && e.contact.jid === peer && match(e.contact), { after }).then((e) => e.contact);
  const requestsIn = (core: TestCore, id: string, match: (r: SubscriptionRequest[]) => boolean, after = 0) =>
    core.waitFor('subscriptionRequestsChanged', (e) => e.accountId === id && match(e.requests), { after }).then((e) => e.requests);

  before(async () => {
    server = await startProsody({
      users: usersWith(password, 'alice', 'bob', 'carol', 'mallory'),
    });
    ({ core: alice, id: aliceId } = await signIn('alice'));
    ({ core: bob, id: bobId } = await signIn('bob'));
    ({ core: carol, id: carolId } = await signIn('carol'));
  });
  after(async () => {
    for (const core of cores) await core.dispose();
    await server?.dispose();
  });

  test('add → the request arrives → approve → both see each other online, subscription "both"', async () => {
    await alice.call('addContact', { accountId: aliceId, jid: jid('bob'), name: 'Bob B.', groups: ['Team', ' Team ', ''] });
    const pending = await contactIn(alice, aliceId, jid('bob'), (c) => c.ask === 'subscribe');
    assert.equal(pending.name, 'Bob B.');
    assert.deepEqual(pending.groups, ['Team']);
    assert.equal(pending.subscription, 'none');

    const requests = await requestsIn(bob, bobId, (r) => r.length > 0);
    assert.deepEqual(requests.map((r) => r.jid), [jid('alice')]);
    const snapshot = await bob.call('getSnapshot', {});
    assert.deepEqual(snapshot.subscriptionRequests?.[bobId]?.map((r) => r.jid), [jid('alice')], 'waiting requests are part of the snapshot');

    const from = bob.events.length;
    await bob.call('approveSubscription', { accountId: bobId, jid: jid('alice') });
    await requestsIn(bob, bobId, (r) => r.length === 0, from);

    // Bob asked back; Alice had added Bob, so her side approved without asking her.
    const aliceSeesBob = await contactIn(alice, aliceId, jid('bob'), (c) => c.subscription === 'both' && c.presence.show === 'online');
    assert.equal(aliceSeesBob.ask, undefined);
    const bobSeesAlice = await contactIn(bob, bobId, jid('alice'), (c) => c.subscription === 'both' && c.presence.show === 'online');
    assert.equal(bobSeesAlice.ask, undefined);
    assert.equal(
      alice.events.some((e) => e.name === 'subscriptionRequestsChanged' && (e.payload as { requests: unknown[] }).requests.length > 0),
      false,
      'Alice was never asked about the contact she added herself',
    );
  });

  test('an unanswered request survives a reconnect and shows on a fresh login too, listed once', async () => {
    await carol.call('addContact', { accountId: carolId, jid: jid('bob') });
    await requestsIn(bob, bobId, (r) => r.some((x) => x.jid === jid('carol')));

    await bob.call('disconnectAccount', { accountId: bobId });
    const offline = await bob.call('getSnapshot', {});
    assert.deepEqual(offline.subscriptionRequests?.[bobId]?.map((r) => r.jid), [jid('carol')], 'kept while signed out');
    const from = bob.events.length;
    await bob.call('connectAccount', { accountId: bobId, password });
    await bob.waitFor('rosterReplaced', (e) => e.accountId === bobId, { after: from });

    // Bob's second device: the server delivers the unanswered request again after login.
    const { core: bob2, id: bob2Id } = await signIn('bob');
    const again = await requestsIn(bob2, bob2Id, (r) => r.length > 0);
    assert.deepEqual(again.map((r) => r.jid), [jid('carol')]);
    const online = await bob.call('getSnapshot', {});
    assert.deepEqual(online.subscriptionRequests?.[bobId]?.map((r) => r.jid), [jid('carol')], 'de-duplicated after the re-delivery');

    // Answered on the second device.
    await bob2.call('denySubscription', { accountId: bob2Id, jid: jid('carol') });
    await requestsIn(bob2, bob2Id, (r) => r.length === 0);
    await bob2.core.stop();
  });

  test('deny: the requester is told (no subscription, no longer pending)', async () => {
    // Carol's request to Bob was denied above.
    const denied = await contactIn(carol, carolId, jid('bob'), (c) => c.ask === undefined && c.subscription === 'none');
    assert.equal(denied.presence.show, 'offline');

    await carol.call('addContact', { accountId: carolId, jid: jid('alice') });
    await requestsIn(alice, aliceId, (r) => r.some((x) => x.jid === jid('carol')));
    const from = carol.events.length;
    await alice.call('denySubscription', { accountId: aliceId, jid: jid('carol') });
    await requestsIn(alice, aliceId, (r) => r.length === 0);
    await contactIn(carol, carolId, jid('alice'), (c) => c.ask === undefined && c.subscription === 'none', from);
  });

  test('rename and groups are kept by the server: a fresh login sees them', async () => {
    await alice.call('renameContact', { accountId: aliceId, jid: jid('bob'), name: 'Robert' });
    await contactIn(alice, aliceId, jid('bob'), (c) => c.name === 'Robert');
    await alice.call('setContactGroups', { accountId: aliceId, jid: jid('bob'), groups: ['Berlin', 'Team'] });
    const grouped = await contactIn(alice, aliceId, jid('bob'), (c) => c.groups.length === 2);
    assert.deepEqual([...grouped.groups].sort(), ['Berlin', 'Team']);
    assert.equal(grouped.name, 'Robert', 'changing groups keeps the name');
    assert.equal(grouped.subscription, 'both', 'and the subscription');

    const { core: fresh, id: freshId } = await signIn('alice');
    const roster = (await fresh.call('getSnapshot', {})).rosters[freshId] ?? [];
    const bobThere = roster.find((c) => c.jid === jid('bob'));
    assert.equal(bobThere?.name, 'Robert');
    assert.deepEqual([...(bobThere?.groups ?? [])].sort(), ['Berlin', 'Team']);

    await alice.call('renameContact', { accountId: aliceId, jid: jid('bob'), name: '' });
    const unnamed = await contactIn(alice, aliceId, jid('bob'), (c) => c.name === undefined);
    assert.deepEqual([...unnamed.groups].sort(), ['Berlin', 'Team'], 'renaming keeps the groups');
    await fresh.core.stop();
  });

  test('remove: gone from the roster, and the other side no longer sees us', async () => {
    const from = bob.events.length;
    await alice.call('removeContact', { accountId: aliceId, jid: jid('bob') });
    await contactIn(alice, aliceId, jid('bob'), (c) => c.subscription === 'remove');
    const roster = (await alice.call('getSnapshot', {})).rosters[aliceId] ?? [];
    assert.equal(roster.some((c) => c.jid === jid('bob')), false);
    const bobSide = await contactIn(bob, bobId, jid('alice'), (c) => c.subscription === 'none' && c.presence.show === 'offline', from);
    assert.equal(bobSide.ask, undefined);
  });

  test('clear errors: bad address, own address, unknown contact, server refusal, not connected', async () => {
    const code = async <K extends RequestName>(name: K, payload: RequestOf<K>) => {
      const result = await alice.request(name, payload);
      assert.equal(result.ok, false, `${name} ${JSON.stringify(payload)} succeeded`);
      return result.ok ? undefined : result.error;
    };
    assert.equal((await code('addContact', { accountId: aliceId, jid: 'bob@' }))?.code, 'invalid-request');
    assert.equal((await code('addContact', { accountId: aliceId, jid: 'bob@klatsch..test' }))?.code, 'invalid-request');
    const self = await code('addContact', { accountId: aliceId, jid: jid('alice') });
    assert.equal(self?.code, 'invalid-request');
    assert.match(self?.message ?? '', /your own address/);
    assert.equal((await code('renameContact', { accountId: aliceId, jid: jid('nobody'), name: 'X' }))?.code, 'not-found');
    assert.equal((await code('addContact', { accountId: aliceId, jid: jid('bob'), groups: Array(33).fill('g').map((g, i) => g + i) }))?.code, 'invalid-request');
    // A private-use character passes our address check but not the server's (nodeprep): its refusal is shown.
    const refused = await code('addContact', { accountId: aliceId, jid: `bob\uE000@${server.domain}` });
    assert.equal(refused?.code, 'server-error');
    assert.match(refused?.message ?? '', /server refused/);

    await carol.call('disconnectAccount', { accountId: carolId });
    const offline = await carol.request('addContact', { accountId: carolId, jid: jid('mallory') });
    assert.equal(!offline.ok && offline.error.code, 'not-connected');
    const approveOffline = await carol.request('approveSubscription', { accountId: carolId, jid: jid('mallory') });
    assert.equal(!approveOffline.ok && approveOffline.error.code, 'not-connected');
  });

  test('roster pushes from anyone but our own account are ignored (RFC 6121 §2.1.6)', async () => {
    const online = (await alice.call('getSnapshot', {})).accounts.find((a) => a.id === aliceId)?.connection;
    assert.ok(online?.kind === 'online');
    const forged = `<query xmlns='jabber:iq:roster'><item jid='${jid('mallory')}' name='Your Boss' subscription='both'/></query>`;
    const target = { host: '127.0.0.1', port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem };

    // Another user, and another device of Alice's own: both pushes to her full JID are refused with an error.
    for (const [user, id] of [['mallory', 'forged-1'], ['alice', 'forged-2']] as const) {
      const raw = await rawLogin(target, user, password);
      try {
        await assert.rejects(iq(raw, id, 'set', forged, { to: online.jid }), /type=['"]error['"]/);
      } finally {
        raw.close();
      }
    }
    const roster = (await alice.call('getSnapshot', {})).rosters[aliceId] ?? [];
    assert.equal(roster.some((c) => c.jid === jid('mallory')), false, 'the forged item did not reach the roster');
    assert.equal(alice.events.some((e) => e.name === 'contactUpdated' && (e.payload as { contact: Contact }).contact.jid === jid('mallory')), false);
  });
});
