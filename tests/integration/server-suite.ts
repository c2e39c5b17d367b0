/**
 * One suite for every real server (tests/fixtures/xmpp-server.ts): sign-in over STARTTLS and direct TLS
 * with SCRAM-SHA-256, a wrong password, the roster with presence, messages both ways between two cores
 * (private by the default policy), sending while signed out, and reconnecting by themselves after the
 * server is stopped and started again, or stops answering. Run by server-prosody.test.ts and
 * ejabberd.test.ts; a server's own quirks stay in its own file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type AccountView, type AppError } from '../../shared/contract.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { jidOn, loginOn, usersWith, type XmppServer } from '../fixtures/xmpp-server.js';

const password = 'pässwörd with spaces';

/** Starts the server with these users and mutual contacts, offering SCRAM-SHA-256. */
export type StartServer = (options: { users: { username: string; password: string }[]; contacts: [string, string][] }) => Promise<XmppServer>;

export function serverSuite(name: string, startServer: StartServer): void {
  describe(name, () => {
    let server: XmppServer;
    const cores: TestCore[] = [];
    const newCore = async () => {
      const core = await startTestCore({ caPem: server.ca.caCertPem });
      cores.push(core);
      return core;
    };
    const jid = (user: string) => jidOn(server, user);
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
      server = await startServer({ users: usersWith(password, 'alice', 'bob', 'carol'), contacts: [['alice', 'bob']] });
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
      const account = await core.call('addAccount', loginOn(server, 'alice', password, { rememberPassword: false }));
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
      const account = await core.call('addAccount', loginOn(server, 'carol', password, { rememberPassword: false, directTls: true }));
      assert.equal(account.connection.kind, 'online');
      assert.match(account.connection.kind === 'online' ? account.connection.jid : '', new RegExp(`^carol@${server.domain}/klatsch-`));
      await core.call('disconnectAccount', { accountId: account.id });
    });

    test("a wrong password gives 'auth-failed' and no account is kept", async () => {
      await assert.rejects(session('alice', 'wrong password', false), (e: { appError?: AppError }) => e.appError?.code === 'auth-failed');
      const core = await newCore();
      const result = await core.request('addAccount', loginOn(server, 'alice', 'wrong password'));
      assert.equal(result.ok, false);
      const error = (result as { ok: false; error: AppError }).error;
      assert.equal(error.code, 'auth-failed');
      assert.match(error.message, /password/i);
      const snapshot = await core.call('getSnapshot', {});
      assert.equal(snapshot.accounts.length, 0);
    });

    describe('two cores', () => {
      let alice: TestCore;
      let bob: TestCore;
      let aliceAccount: AccountView;
      let bobAccount: AccountView;

      before(async () => {
        // Bob over direct TLS (XEP-0368).
        ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, { password, login: [{}, { port: server.directTlsPort, directTls: true }] }));
        cores.push(alice, bob);
      });

      test('each sees the other online in the roster, and presence changes with status text', async () => {
        await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
        await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.presence.show === 'online');
        await bob.call('setPresence', { accountId: bobAccount.id, show: 'dnd', status: 'In a meeting until 3' });
        const seen = await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'dnd');
        assert.equal(seen.contact.presence.status, 'In a meeting until 3');
        const from = alice.events.length;
        await bob.call('setPresence', { accountId: bobAccount.id, show: 'online', status: '' });
        await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online' && !e.contact.presence.status, { after: from });
        await bob.call('setPresence', { accountId: bobAccount.id, show: 'away', status: '' });
        await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'away');
      });

      test('messages go both ways, with unread counts', async () => {
        const body = 'Hallo Bob! Grüße 👋\nzweite Zeile';
        const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body });
        assert.equal(sent.direction, 'out');
        // 'sending' until the server acknowledged it (XEP-0198), then 'sent'.
        assert.ok(sent.state === 'sending' || sent.state === 'sent', sent.state);
        await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && (e.message.state === 'sent' || e.message.state === 'delivered'));

        const received = await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body);
        assert.equal(received.message.peer, jid('alice'));
        assert.equal(received.message.id, sent.id, 'the sender id is kept (for de-duplication)');
        const unread = await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.unread === 1);
        assert.equal(unread.contact.unread, 1);

        await bob.call('markRead', { accountId: bobAccount.id, peer: jid('alice') });
        await bob.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.unread === 0);

        await bob.call('sendMessage', { accountId: bobAccount.id, to: jid('alice'), body: 'Hi Alice <b>not bold</b> &amp;' });
        const reply = await alice.waitFor('messageUpserted', (e) => e.message.direction === 'in');
        assert.equal(reply.message.body, 'Hi Alice <b>not bold</b> &amp;', 'text arrives as text, not markup');

        // The default policy (XEP-0364) offered OTR with the first message; the answer came privately.
        assert.equal(reply.message.encrypted, true);
        const snapshot = await alice.call('getSnapshot', {});
        // Shown in the order written (message-time.ts): Bob wrote his reply before the private conversation it
        // waited for had started, so both chats show it above the notice of that start, and agree.
        assert.deepEqual(
          snapshot.chats[aliceAccount.id]?.[jid('bob')]?.map((m) => m.direction),
          ['out', 'in', 'notice'],
          'a notice says when the conversation became private',
        );
        const bobs = await bob.call('getSnapshot', {});
        assert.deepEqual(bobs.chats[bobAccount.id]?.[jid('alice')]?.map((m) => m.direction), ['in', 'out', 'notice'], 'the same order on both sides');
      });

      test('sending while signed out fails visibly instead of silently', async () => {
        await bob.call('disconnectAccount', { accountId: bobAccount.id });
        const result = await bob.request('sendMessage', { accountId: bobAccount.id, to: jid('alice'), body: 'lost?' });
        assert.equal(result.ok, false);
        assert.equal(!result.ok && result.error.code, 'not-connected');
        await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'offline');
        await bob.call('connectAccount', { accountId: bobAccount.id });
        await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'away');
      });

      test('after the server is stopped and started again, both reconnect by themselves', async () => {
        const [aliceFrom, bobFrom] = [alice.events.length, bob.events.length];
        await server.stop();
        const reconnecting = await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: aliceFrom });
        assert.ok(reconnecting.connection.kind === 'reconnecting');
        assert.ok(reconnecting.connection.retryAt > Date.now() - 5_000, 'the UI can count down to the next attempt');
        assert.ok(reconnecting.connection.reason.length > 0, 'the reason is shown');
        assert.ok(ErrorCode.safeParse(reconnecting.connection.reasonCode).success, 'with its code, for the UI to say it in the user’s language');
        const dropped = await alice.waitFor('rosterReplaced', () => true, { after: aliceFrom });
        assert.deepEqual(
          dropped.contacts.map((c) => c.presence.show),
          ['offline'],
          'without a connection nobody is shown online',
        );
        await bob.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: bobFrom });
        await server.start();
        await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: aliceFrom, timeoutMs: 30_000 });
        await bob.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: bobFrom, timeoutMs: 30_000 });
        await alice.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'away', {
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
}
