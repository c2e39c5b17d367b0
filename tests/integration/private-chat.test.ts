/**
 * Private conversations over a real Prosody (XEP-0364): started by the default
 * policy on their own, never readable by the server (its log of every stanza,
 * its archive and offline store), never copied to our other resources, ended
 * visibly when the peer signs out, and never sent in plaintext under "always".
 * A stranger's OTR offer gets no answer until the user writes to them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import xml, { type Element } from '@xmpp/xml';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { buildWhitespaceTag } from '../../electron/core/otr/encoding.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import type { TestCore } from '../fixtures/core.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { usersWith } from '../fixtures/xmpp-server.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'private-chat-pw';

/** Every file Prosody keeps (archive, offline messages, rosters…), as one string. */
async function storedData(dir: string): Promise<string> {
  let all = '';
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) all += await fs.readFile(path.join(entry.parentPath, entry.name), 'latin1');
  }
  return all;
}

describe('private conversations over XMPP', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob', 'carol'), contacts: [['alice', 'bob']] });
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, { password }));
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  const send = (core: TestCore, account: AccountView, to: string, body: string) =>
    core.call('sendMessage', { accountId: account.id, to, body });
  const arrives = (core: TestCore, body: string) =>
    core.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body);
  const privacyOf = (core: TestCore, peer: string, privacy: string | undefined, after = 0) =>
    core.waitFor('contactUpdated', (e) => e.contact.jid === peer && reportedPrivacy(e.contact) === privacy, { after });

  test('the default policy starts a private conversation by itself; the server never sees its text', async () => {
    await send(alice, aliceAccount, jid('bob'), 'Hi Bob (plaintext, with the OTR offer)');
    await arrives(bob, 'Hi Bob (plaintext, with the OTR offer)');
    await privacyOf(alice, jid('bob'), 'private');
    await privacyOf(bob, jid('alice'), 'private');

    const sent = await send(alice, aliceAccount, jid('bob'), 'SECRET-ALPHA 🤫');
    assert.equal(sent.encrypted, true);
    const got = await arrives(bob, 'SECRET-ALPHA 🤫');
    assert.equal(got.message.encrypted, true);
    await send(bob, bobAccount, jid('alice'), 'SECRET-BRAVO');
    assert.equal((await arrives(alice, 'SECRET-BRAVO')).message.encrypted, true);

    const wire = await server.receivedStanzas();
    assert.match(wire, /Hi Bob \(plaintext, with the OTR offer\)/, 'the capture does see message bodies');
    const otr = wire.split('\n').filter((line) => line.includes('?OTR:'));
    assert.ok(otr.length > 0);
    for (const line of otr) {
      // XEP-0364: to a full JID, kept out of archives and carbons, labelled (XEP-0380).
      assert.match(line, /to='[^'/]+\/[^']+'/, 'sent to the full JID');
      for (const hint of ['<no-copy xmlns=.urn:xmpp:hints.', '<no-permanent-store xmlns=.urn:xmpp:hints.', '<private xmlns=.urn:xmpp:carbons:2.', "namespace='urn:xmpp:otr:0'"]) {
        assert.match(line, new RegExp(hint));
      }
    }
    for (const secret of ['SECRET-ALPHA', 'SECRET-BRAVO']) {
      assert.ok(!wire.includes(secret), `${secret} crossed the server in plaintext`);
      assert.ok(!(await storedData(server.dataDir)).includes(secret), `${secret} is stored by the server`);
    }
    assert.ok((await storedData(server.dataDir)).length > 0);
  });

  test('another resource of the same account gets no copy of a private message', async () => {
    const third = await XmppSession.open({
      local: 'alice',
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    const seen: Element[] = [];
    third.on('stanza', (s: Element) => seen.push(s));
    third.start();
    try {
      await third.iq.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
      await third.send(xml('presence', {}, xml('priority', {}, '-1')));
      await send(alice, aliceAccount, jid('bob'), 'SECRET-CHARLIE');
      await arrives(bob, 'SECRET-CHARLIE');
      await send(bob, bobAccount, jid('alice'), 'SECRET-CHARLIE-REPLY');
      await arrives(alice, 'SECRET-CHARLIE-REPLY');
      const copies = seen.filter((s) => s.name === 'message').map((s) => s.toString());
      assert.deepEqual(
        copies.filter((c) => c.includes('SECRET-CHARLIE') || c.includes('?OTR:')),
        [],
        'no readable copy, and not even an encrypted one',
      );
    } finally {
      await third.close();
    }
  });

  test('the peer signs out: the conversation ends visibly; what is typed meanwhile waits for a new one and goes out in it', async () => {
    const from = alice.events.length;
    await bob.call('disconnectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'finished', from);
    const offline = await alice.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && /went offline/.test(e.message.body), { after: from });
    assert.deepEqual(offline.message.notice, { kind: 'peer-offline' }, 'the UI words it by its kind');

    const held = await send(alice, aliceAccount, jid('bob'), 'SECRET-DELTA');
    assert.equal(held.state, 'waiting', 'waits for the next private conversation, never sent in plaintext');
    assert.deepEqual(typeof held.error === 'object' && [held.error.reason, held.error.params?.peer], ['private-waiting', jid('bob')], 'a reason the UI words');
    assert.match(typeof held.error === 'object' ? held.error.text : '', /Waiting for a private conversation/);

    // Bob comes back: the private conversation starts again by itself, and the message goes out in it.
    const beforeReturn = alice.events.length;
    await bob.call('connectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'private', beforeReturn);
    await alice.waitFor('messageUpserted', (e) => e.message.id === held.id && e.message.state === 'sent');
    const got = await arrives(bob, 'SECRET-DELTA');
    assert.equal(got.message.encrypted, true);
    assert.equal(got.message.id, held.id);
    assert.ok(!(await server.receivedStanzas()).includes('SECRET-DELTA'));
  });

  test('under "always" a message waits for the private conversation and is never sent in plaintext', async () => {
    const from = alice.events.length;
    await alice.call('endPrivate', { accountId: aliceAccount.id, peer: jid('bob') });
    await privacyOf(alice, jid('bob'), undefined, from);
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'always' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.otrPolicy === 'always', { after: from });

    const message = await send(alice, aliceAccount, jid('bob'), 'SECRET-ECHO');
    assert.ok(['waiting', 'sent'].includes(message.state), `state ${message.state}`);
    await alice.waitFor('messageUpserted', (e) => e.message.id === message.id && e.message.state === 'sent');
    const got = await arrives(bob, 'SECRET-ECHO');
    assert.equal(got.message.encrypted, true);
    assert.equal(got.message.id, message.id, 'the stanza that finally carried it has the message id');
    await alice.waitFor('messageUpserted', (e) => e.message.id === message.id && e.message.state === 'delivered');
    assert.ok(!(await server.receivedStanzas()).includes('SECRET-ECHO'), 'never on the wire in plaintext');
  });

  test('turning private conversations off ends the conversation on both sides; OTR that still comes is noticed, never shown or confirmed', async () => {
    await privacyOf(alice, jid('bob'), 'private');
    const fromAlice = alice.events.length;
    const fromBob = bob.events.length;
    await alice.call('setOtrPolicy', { accountId: aliceAccount.id, peer: jid('bob'), policy: 'never' });
    await privacyOf(alice, jid('bob'), undefined, fromAlice);
    const ours = await alice.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && e.message.notice?.kind === 'ended-otr-off', { after: fromAlice });
    assert.match(ours.message.body, /turned off/);
    // Bob's app was told (the engine's disconnect message), so it sends nothing private any more.
    await privacyOf(bob, jid('alice'), 'finished', fromBob);
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && e.message.notice?.kind === 'ended-by-peer', { after: fromBob });

    // A private message sent anyway (a real one, replayed from the server's capture) by another client of Bob's, with a receipt request.
    const ciphertext = /<body>(\?OTR:AAMD[^<]+)<\/body>/.exec(await server.receivedStanzas())?.[1];
    assert.ok(ciphertext, 'the capture has an OTR data message');
    const raw = await XmppSession.open({
      local: 'bob',
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    const receipts: string[] = [];
    raw.on('stanza', (st: Element) => {
      const id = st.getChild('received', 'urn:xmpp:receipts')?.attrs.id as string | undefined;
      if (id) receipts.push(id);
    });
    raw.start();
    try {
      await raw.send(xml('presence', {}, xml('priority', {}, '-1')));
      const aliceFull = (alice.core.snapshot().accounts[0]!.connection as { jid?: string }).jid!;
      const withRequest = (id: string, body: string) =>
        xml('message', { to: aliceFull, type: 'chat', id }, xml('body', {}, body), xml('request', { xmlns: 'urn:xmpp:receipts' }));
      const from = alice.events.length;
      const plainConfirmed = new Promise<void>((resolve) => raw.on('stanza', () => receipts.includes('plain-after-otr') && resolve()));
      await raw.send(withRequest('otr-while-off', ciphertext));
      await raw.send(withRequest('plain-after-otr', 'plain after the private message'));
      await alice.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === 'plain after the private message', { after: from });
      const notice = await alice.waitFor('messageUpserted', (e) => e.message.notice?.kind === 'private-message-otr-off', { after: from });
      assert.match(notice.message.body, /sent a private message, but private conversations are turned off/);
      // Same stream, in order: a receipt owed for the private message would have come before this one.
      await plainConfirmed;
      assert.deepEqual(receipts, ['plain-after-otr'], 'no receipt for the OTR message');
      const shownToAlice = alice.events.filter((e, i) => i >= from && e.name === 'messageUpserted').map((e) => (e.payload as { message: ChatMessage }).message);
      assert.ok(!shownToAlice.some((m) => m.body.includes('?OTR')), 'ciphertext is never shown');
    } finally {
      await raw.close();
    }

    // Alice's reply goes out as the chat now is: plainly, once (no "Not sent").
    const reply = await send(alice, aliceAccount, jid('bob'), 'plain reply after turning OTR off');
    assert.notEqual(reply.state, 'failed', JSON.stringify(reply.error));
    assert.equal(reply.encrypted ?? false, false);
    await arrives(bob, 'plain reply after turning OTR off');
  });

  test('a stranger’s OTR query or tagged message gets no answer: nothing says we are online, or from where', async () => {
    // carol is not in alice's roster: an XMPP client of her own, speaking OTR's first words to alice's bare JID.
    const stranger = await XmppSession.open({
      local: 'carol',
      domain: server.domain,
      password,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.c2sPort, directTls: false }],
    });
    const bodies: string[] = [];
    const wakers = new Set<() => void>();
    stranger.on('stanza', (st: Element) => {
      const body = st.name === 'message' ? st.getChildText('body') : null;
      if (body !== null) bodies.push(body);
      for (const wake of [...wakers]) wake();
    });
    stranger.start();
    const received = (match: (body: string) => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          wakers.delete(check);
          reject(new Error(`carol got no ${what}; she got: ${JSON.stringify(bodies)}`));
        }, 15_000);
        const check = () => {
          if (!bodies.some(match)) return;
          wakers.delete(check);
          clearTimeout(timer);
          resolve();
        };
        wakers.add(check);
        check();
      });
    const toAlice = (id: string, body: string) => stranger.send(xml('message', { to: jid('alice'), type: 'chat', id }, xml('body', {}, body)));
    try {
      await stranger.send(xml('presence')); // available: messages to her bare JID reach this client
      await toAlice('stranger-query', '?OTRv23?');
      await toAlice('stranger-tagged', `Hello from a stranger${buildWhitespaceTag([3, 2])}`);
      await alice.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === 'Hello from a stranger');
      // One sender's messages are handled in order, and alice's stanzas reach carol in order: what alice
      // sent for the query or the tag came before the user's own message.
      await send(alice, aliceAccount, jid('carol'), 'MARKER: the user writes back');
      await received((b) => b.startsWith('MARKER'), 'message from the user');
      const marker = bodies.findIndex((b) => b.startsWith('MARKER'));
      assert.deepEqual(bodies.slice(0, marker).filter((b) => b.includes('?OTR')), [], 'an OTR answer went to a stranger');

      // Once the user wrote to carol, her offer is answered like anyone's.
      await toAlice('stranger-query-2', '?OTRv3?');
      await received((b) => b.startsWith('?OTR:'), 'answer to her OTR query');
    } finally {
      await stranger.close();
    }
  });
});
