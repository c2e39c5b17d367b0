/**
 * No protocol noise for a contact without OTR: after a private conversation ended (the contact went
 * offline), the contact comes back on a client without OTR (a raw XMPP client here). Under the default
 * (opportunistic) policy Klatsch asks for a private conversation by itself only when messages wait for
 * one, and then once per coming online, however often the presence is seen (libotr's behaviour).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { iq, rawLogin, type RawStream, type RawTarget } from '../fixtures/raw-xmpp.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'otr-query-noise-pw';

describe('no OTR query noise for a contact who comes back without OTR', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let target: RawTarget;
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({ users: [{ username: 'alice', password }, { username: 'bob', password }], contacts: [['alice', 'bob']] });
    target = { host: '127.0.0.1', port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem };
    alice = await startTestCore({ caPem: server.ca.caCertPem });
    bob = await startTestCore({ caPem: server.ca.caCertPem });
    const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
    const bobAccount = await bob.call<AccountView>('addAccount', login('bob'));
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    // A private conversation (the default policy starts it), then Bob's Klatsch signs out: it ended without the user.
    await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'hello' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private');
    const from = alice.events.length;
    await bob.call('disconnectAccount', { accountId: bobAccount.id });
    await alice.waitFor('messageUpserted', (e) => e.message.direction === 'notice' && e.message.notice?.kind === 'peer-offline', { after: from });
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  /**
   * Bob signs in on a client without OTR and announces himself twice (initial presence, then a status),
   * writes a line, and pings Alice's app: once the ping is answered, everything Alice's app sent on his
   * coming online (it handles his presences before his message, and answers the ping after) has arrived.
   */
  async function comeBackWithoutOtr(line: string): Promise<{ raw: RawStream; received: string }> {
    const raw = await rawLogin(target, 'bob', password);
    const start = raw.mark();
    const from = alice.events.length;
    raw.send('<presence/>');
    raw.send('<presence><status>back</status></presence>');
    raw.send(`<message type='chat' to='${jid('alice')}' id='${line}'><body>${line}</body></message>`);
    await alice.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === line, { after: from });
    const aliceFull = await raw.next(new RegExp(`from=['"](${jid('alice').replace(/\./g, '\\.')}/[^'"]+)['"]`), start);
    const full = new RegExp(`from=['"]([^'"]+)['"]`).exec(aliceFull)![1]!;
    await iq(raw, `ping-${line}`, 'get', "<ping xmlns='urn:xmpp:ping'/>", { to: full });
    return { raw, received: raw.text().slice(start) };
  }

  const queries = (text: string) => text.match(/\?OTRv\d*\?/g)?.length ?? 0;

  test('coming online with nothing waiting: no request for a private conversation', async () => {
    const { raw, received } = await comeBackWithoutOtr('plain-hello');
    try {
      assert.match(received, /<presence\b/, 'Bob did see Alice online');
      assert.equal(queries(received), 0, `no ?OTR query: ${received}`);
      assert.ok(!received.includes('Off-the-Record'), 'no "has requested an Off-the-Record private conversation" text');
    } finally {
      raw.close();
    }
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'offline');
  });

  test('coming online while a message waits for a private conversation: exactly one request', async () => {
    const waiting = await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'SECRET-WAITS' });
    assert.equal(waiting.state, 'waiting', 'this chat expects privacy: the message waits, never sent in plaintext');
    const { raw, received } = await comeBackWithoutOtr('plain-again');
    try {
      assert.equal(queries(received), 1, `exactly one ?OTR query: ${received}`);
      assert.ok(!received.includes('SECRET-WAITS'));
    } finally {
      raw.close();
    }
  });
});
