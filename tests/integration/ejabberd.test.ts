/**
 * The app against a second real server, Debian's ejabberd 23.01: sign-in over
 * STARTTLS and direct TLS with SCRAM-SHA-256, a wrong password, the roster with
 * presence, messages both ways between two cores, and reconnecting by
 * themselves after the server is stopped and started again, or stops answering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, AppError, ChatMessage } from '../../shared/contract.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { startEjabberd, type EjabberdServer } from '../fixtures/ejabberd.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'pässwörd with spaces';

describe('ejabberd', () => {
  let server: EjabberdServer;
  const cores: TestCore[] = [];
  const newCore = async () => {
    const core = await startTestCore({ caPem: server.ca.caCertPem });
    cores.push(core);
    return core;
  };
  const jid = (user: string) => `${user}@${server.domain}`;
  const session = (user: string, pw: string, directTls: boolean) =>
    XmppSession.open({
      local: user,
      domain: server.domain,
      password: pw,
      trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: directTls ? server.directTlsPort : server.c2sPort, directTls }],
      stepTimeoutMs: 5_000,
      loginTimeoutMs: 15_000,
    });

  before(async () => {
    server = await startEjabberd({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
        { username: 'carol', password },
      ],
      contacts: [['alice', 'bob']],
    });
  });
  after(async () => {
    for (const c of cores) await c.dispose();
    await server?.dispose();
  });

  test('STARTTLS login uses SCRAM-SHA-256 and a verified certificate, and loads the roster', async () => {
    const s = await session('carol', password, false);
    try {
      assert.equal(s.mechanism, 'SCRAM-SHA-256');
      assert.match(s.jid, new RegExp(`^carol@${server.domain}/klatsch-`));
    } finally {
      await s.close();
    }

    const core = await newCore();
    const account = await core.call<AccountView>('addAccount', {
      jid: jid('alice'),
      password,
      rememberPassword: false,
      host: '127.0.0.1',
      port: server.c2sPort,
    });
    assert.equal(account.connection.kind, 'online');
    assert.equal(account.pinnedCertificate, undefined, 'a verified certificate needs no pin');
    const roster = await core.waitFor('rosterReplaced', (e) => e.accountId === account.id && e.contacts.length > 0);
    assert.deepEqual(
      roster.contacts.map((c) => [c.jid, c.name]),
      [[jid('bob'), 'bob']],
    );
    await core.call('disconnectAccount', { accountId: account.id });
  });

  test('direct TLS login uses SCRAM-SHA-256', async () => {
    const s = await session('carol', password, true);
    try {
      assert.equal(s.mechanism, 'SCRAM-SHA-256');
    } finally {
      await s.close();
    }
    const core = await newCore();
    const account = await core.call<AccountView>('addAccount', {
      jid: jid('carol'),
      password,
      rememberPassword: false,
      host: '127.0.0.1',
      port: server.directTlsPort,
      directTls: true,
    });
    assert.equal(account.connection.kind, 'online');
    assert.match(account.connection.kind === 'online' ? account.connection.jid : '', new RegExp(`^carol@${server.domain}/klatsch-`));
    await core.call('disconnectAccount', { accountId: account.id });
  });

  test("a wrong password gives 'auth-failed' and no account is kept", async () => {
    await assert.rejects(session('alice', 'wrong password', false), (e: { appError?: AppError }) => e.appError?.code === 'auth-failed');
    const core = await newCore();
    const result = await core.request('addAccount', {
      jid: jid('alice'),
      password: 'wrong password',
      rememberPassword: true,
      host: '127.0.0.1',
      port: server.c2sPort,
    });
    assert.equal(result.ok, false);
    const error = (result as { ok: false; error: AppError }).error;
    assert.equal(error.code, 'auth-failed');
    assert.match(error.message, /password/i);
    const snapshot = await core.call<{ accounts: unknown[] }>('getSnapshot', {});
    assert.equal(snapshot.accounts.length, 0);
  });

  describe('two cores', () => {
    let alice: TestCore;
    let bob: TestCore;
    let aliceAccount: AccountView;
    let bobAccount: AccountView;

    before(async () => {
      alice = await newCore();
      bob = await newCore();
      const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
      aliceAccount = await alice.call<AccountView>('addAccount', login('alice'));
      bobAccount = await bob.call<AccountView>('addAccount', { ...login('bob'), port: server.directTlsPort, directTls: true });
    });

    test('each sees the other online in the roster, and presence changes with status text', async () => {
      await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
      await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.presence.show === 'online');
      await bob.call('setPresence', { accountId: bobAccount.id, show: 'dnd', status: 'In a meeting until 3' });
      const seen = await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'dnd');
      assert.equal(seen.contact.presence.status, 'In a meeting until 3');
      await bob.call('setPresence', { accountId: bobAccount.id, show: 'online', status: '' });
      await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online' && !e.contact.presence.status);
    });

    test('messages go both ways', async () => {
      const body = 'Hallo Bob! Grüße 👋\nzweite Zeile';
      const sent = await alice.call<ChatMessage>('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body });
      assert.ok(sent.state === 'sending' || sent.state === 'sent', sent.state); // 'sent' once ejabberd acknowledged it (XEP-0198)
      await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && (e.message.state === 'sent' || e.message.state === 'delivered'));
      const received = await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body);
      assert.equal(received.message.peer, jid('alice'));
      assert.equal(received.message.id, sent.id, 'the sender id is kept (for de-duplication)');

      await bob.call('sendMessage', { accountId: bobAccount.id, to: jid('alice'), body: 'Hi Alice <b>not bold</b> &amp;' });
      const reply = await alice.waitFor('messageUpserted', (e) => e.message.direction === 'in');
      assert.equal(reply.message.body, 'Hi Alice <b>not bold</b> &amp;', 'text arrives as text, not markup');
      // OTR (XEP-0364) between the two cores works across ejabberd as it does across Prosody.
      assert.equal(reply.message.encrypted, true);
    });

    test('after the server is stopped and started again, both reconnect by themselves', async () => {
      const [aliceFrom, bobFrom] = [alice.events.length, bob.events.length];
      await server.stop();
      const reconnecting = await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: aliceFrom });
      assert.ok(reconnecting.connection.kind === 'reconnecting');
      assert.ok(reconnecting.connection.reason.length > 0, 'the reason is shown');
      await bob.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: bobFrom });
      await server.start();
      await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: aliceFrom, timeoutMs: 30_000 });
      await bob.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: bobFrom, timeoutMs: 30_000 });
      await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online', {
        after: aliceFrom,
        timeoutMs: 30_000,
      });
      // The private conversation the connection loss ended starts again for the next message (which waits for it,
      // as libotr's opportunistic policy: no request by itself when nothing waits); then the message goes through.
      // Until the new stream shows it was not resumed (XEP-0198), the old conversation still counts: look from then on.
      const back = alice.events.findIndex((e, i) => i >= aliceFrom && e.name === 'accountUpdated' && (e.payload as AccountView).connection.kind === 'online');
      await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: 'still there?' });
      await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private', { after: back, timeoutMs: 30_000 });
      const got = await bob.waitFor('messageUpserted', (e) => e.message.body === 'still there?');
      assert.equal(got.message.encrypted, true);
    });

    test('a server that silently stops answering is noticed by keepalive pings, and the app reconnects', async () => {
      const from = alice.events.length;
      server.freeze();
      try {
        const lost = await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: from, timeoutMs: 15_000 });
        assert.ok(lost.connection.kind === 'reconnecting');
        assert.match(lost.connection.reason, /stopped answering|lost|did not answer/i);
      } finally {
        server.thaw();
      }
      await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: from, timeoutMs: 30_000 });
    });
  });
});
