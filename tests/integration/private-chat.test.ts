/**
 * Private conversations over a real Prosody (XEP-0364): started by the default
 * policy on their own, never readable by the server (its log of every stanza,
 * its archive and offline store), never copied to our other resources, ended
 * visibly when the peer signs out, and never sent in plaintext under "always".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import xml, { type Element } from '@xmpp/xml';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';

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
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
    bobAccount = await bob.call<AccountView>('addAccount', login('bob'));
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.presence.show === 'online');
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  const send = (core: TestCore, account: AccountView, to: string, body: string) =>
    core.call<ChatMessage>('sendMessage', { accountId: account.id, to, body });
  const arrives = (core: TestCore, body: string) =>
    core.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body);
  const privacyOf = (core: TestCore, peer: string, privacy: string | undefined, after = 0) =>
    core.waitFor('contactUpdated', (e) => e.contact.jid === peer && e.contact.privacy === privacy, { after });

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

  test('the peer signs out: the conversation ends visibly; what is typed meanwhile waits for a new one', async () => {
    const from = alice.events.length;
    await bob.call('disconnectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'finished', from);
    const offline = await alice.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && /went offline/.test(e.message.body), { after: from });
    assert.deepEqual(offline.message.notice, { kind: 'peer-offline' }, 'the UI words it by its kind');

    const held = await send(alice, aliceAccount, jid('bob'), 'SECRET-DELTA');
    assert.equal(held.state, 'failed', 'marked in the chat, not sent in plaintext');
    assert.match(held.error ?? '', /unencrypted/);

    // Bob comes back: the private conversation starts again by itself.
    const beforeReturn = alice.events.length;
    await bob.call('connectAccount', { accountId: bobAccount.id });
    await privacyOf(alice, jid('bob'), 'private', beforeReturn);
    const resent = await alice.call<ChatMessage>('resendMessage', { accountId: aliceAccount.id, peer: jid('bob'), id: held.id });
    assert.ok(resent.state === 'sending' || resent.state === 'sent', resent.state); // 'sent' once the server acknowledged it
    await alice.waitFor('messageUpserted', (e) => e.message.id === held.id && e.message.state === 'sent');
    assert.equal(resent.encrypted, true);
    assert.equal((await arrives(bob, 'SECRET-DELTA')).message.encrypted, true);
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
});
