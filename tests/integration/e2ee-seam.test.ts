/**
 * The end-to-end encryption seam carries a second scheme (issue 12): two Klatsch cores on a real
 * Prosody register a test double of the seam (tests/fixtures/double-e2ee.ts, OMEMO's shape: the bare
 * JID as target, an element payload, copies that can be decrypted) next to OTR. With no change to
 * OTR's code, the router sends and receives through it, a carbon of another device of ours and the
 * server's archive are decrypted through it, and the contract shows its conversation as private.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import type { AccountView, ChatMessage, Contact } from '../../shared/contract.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { DOUBLE_FALLBACK, DOUBLE_KEY, DOUBLE_SCHEME, DoubleProvider, NS_DOUBLE, doubleMessage } from '../fixtures/double-e2ee.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'seam-pw';

describe('a second end-to-end encryption scheme through the seam', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  /** Each core's double, to see what the router handed it. */
  const doubles = { alice: [] as DoubleProvider[], bob: [] as DoubleProvider[] };
  const jid = (user: string) => `${user}@${server.domain}`;
  const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
  const chat = (core: TestCore, accountId: string, peer: string): ChatMessage[] => core.core.snapshot().chats[accountId]?.[peer] ?? [];
  const contact = (core: TestCore, accountId: string, peer: string): Contact => core.core.snapshot().rosters[accountId]!.find((c) => c.jid === peer)!;
  const withDouble = (into: DoubleProvider[]) => [
    (host: ConstructorParameters<typeof DoubleProvider>[0]) => {
      const made = new DoubleProvider(host);
      into.push(made);
      return made;
    },
  ];

  before(async () => {
    server = await startProsody({
      users: ['alice', 'bob'].map((username) => ({ username, password })),
      contacts: [['alice', 'bob']],
      extraConfig: '\tdefault_archive_policy = true\n',
    });
    alice = await startTestCore({ caPem: server.ca.caCertPem, e2eeProviders: withDouble(doubles.alice) });
    bob = await startTestCore({ caPem: server.ca.caCertPem, e2eeProviders: withDouble(doubles.bob) });
    aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
    await bob.call<AccountView>('addAccount', login('bob'));
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.presence.show === 'online');
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  test('the router sends and receives through the preferred scheme; the contract shows it private', async () => {
    const from = alice.events.length;
    await alice.call('startPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    const privateNow = await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private', { after: from });
    assert.equal(privateNow.contact.e2ee?.scheme, DOUBLE_SCHEME, 'the contract names the scheme');
    assert.equal(privateNow.contact.e2ee?.fingerprint, DOUBLE_KEY, "and carries the scheme's key");

    const sent = await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'hello through the seam' });
    assert.equal(sent.encrypted, true, 'written in a private conversation');
    const received = await bob.waitFor('messageUpserted', (e) => e.message.body === 'hello through the seam');
    assert.equal(received.message.encrypted, true, 'decrypted by the scheme that claimed it');
    assert.equal(received.message.direction, 'in');
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'delivered' && e.message.encrypted === true);
    // Bob's side: the scheme's message made that conversation private too, in the contract.
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && reportedPrivacy(e.contact) === 'private');

    // On the wire: to the bare JID, the text only in the element, labelled (XEP-0380), allowed into copies.
    const wire = await server.receivedStanzas();
    assert.doesNotMatch(wire, /hello through the seam/, 'the text never travels in the clear');
    assert.match(wire, new RegExp(`<message[^>]*to='${jid('bob')}'[^>]*>(?:(?!</message>).)*<secret xmlns='${NS_DOUBLE}'`, 's'));
    assert.ok(doubles.bob[0]!.seen.some((s) => s.claimed), "bob's double was handed the message");
    for (const core of [alice, bob]) {
      const shown = core.events.filter((e) => e.name === 'messageUpserted').map((e) => (e.payload as { message: ChatMessage }).message);
      assert.ok(!shown.some((m) => m.body === DOUBLE_FALLBACK), 'the fallback body is never shown');
      assert.ok(!shown.some((m) => m.notice?.kind === 'not-encrypted' || m.notice?.kind === 'other-device-private'), 'no OTR notice about it');
    }
  });

  test("a carbon of another device's message in the scheme is decrypted through it", async () => {
    const laptop = await XmppSession.open({
      local: 'alice',
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    try {
      await laptop.send(xml('presence', {}, xml('priority', {}, '-1')));
      await laptop.send(doubleMessage(jid('bob'), 'laptop-double-1', 'from my laptop, privately'));
      const copy = await alice.waitFor('messageUpserted', (e) => e.message.body === 'from my laptop, privately');
      assert.equal(copy.message.direction, 'out', 'ours, sent from another device');
      assert.equal(copy.message.encrypted, true);
      assert.equal(copy.message.peer, jid('bob'));
      await bob.waitFor('messageUpserted', (e) => e.message.body === 'from my laptop, privately' && e.message.encrypted === true);
    } finally {
      await laptop.close();
    }
  });

  test("the server's archive copies are decrypted through the scheme on a new device", async () => {
    const fresh: DoubleProvider[] = [];
    const newDevice = await startTestCore({ caPem: server.ca.caCertPem, e2eeProviders: withDouble(fresh) });
    try {
      const account = await newDevice.call<AccountView>('addAccount', login('alice'));
      for (const body of ['hello through the seam', 'from my laptop, privately']) {
        const archived = await newDevice.waitFor('messageUpserted', (e) => e.message.body === body && e.message.archiveId !== undefined);
        assert.equal(archived.message.encrypted, true, `${body}: decrypted, and marked private`);
        assert.equal(archived.message.direction, 'out');
      }
      const list = chat(newDevice, account.id, jid('bob'));
      assert.ok(!list.some((m) => m.body === DOUBLE_FALLBACK || m.notice?.kind === 'archive-private'), 'no fallback text, no "cannot be read" notice');
      assert.equal(reportedPrivacy(contact(newDevice, account.id, jid('bob'))), undefined, 'copies start no conversation');
    } finally {
      await newDevice.dispose();
    }
  });

  test('the user ends the private conversation: the scheme ends it, and the contract says plaintext again', async () => {
    const from = alice.events.length;
    await alice.call('endPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === undefined, { after: from });
    assert.equal(doubles.alice[0]!.active.has(jid('bob')), false);
  });
});
