/**
 * Signing in against a real Prosody: STARTTLS and direct TLS, refusal of every
 * unsafe or failed login with a clear error, and the certificate pinning flow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { makeSelfSigned } from '../fixtures/ca.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { startDroppingServer, startPlaintextServer } from '../fixtures/hostile-server.js';
import { freePort } from '../fixtures/ports.js';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { failureOf } from '../fixtures/harness.js';

const password = 'correct horse 7';


describe('signing in', () => {
  let server: ProsodyServer;
  const cores: TestCore[] = [];
  const newCore = async (profileDir?: string) => {
    const core = await startTestCore({ caPem: server.ca.caCertPem, ...(profileDir ? { profileDir } : {}) });
    cores.push(core);
    return core;
  };

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
  });
  after(async () => {
    for (const c of cores) await c.dispose();
    await server?.dispose();
  });

  test('STARTTLS login verifies the certificate and loads the roster', async () => {
    const core = await newCore();
    const account = await core.call('addAccount', {
      jid: `alice@${server.domain}`,
      password,
      rememberPassword: false,
      host: '127.0.0.1',
      port: server.c2sPort,
    });
    assert.equal(account.connection.kind, 'online');
    assert.equal(account.pinnedCertificate, undefined, 'a verified certificate needs no pin');
    const roster = await core.waitFor('rosterReplaced', (e) => e.accountId === account.id && e.contacts.length > 0);
    assert.deepEqual(
      roster.contacts.map((c) => c.jid),
      [`bob@${server.domain}`],
    );
  });

  test('the login uses SCRAM: SCRAM-SHA-1 by default, SCRAM-SHA-256 where Prosody stores SHA-256', async () => {
    const mechanismOf = async (on: ProsodyServer, directTls: boolean) => {
      const session = await XmppSession.open({
        local: 'alice',
        domain: on.domain,
        password,
        trust: { kind: 'verified', extraAnchors: [on.ca.caCertPem] },
        endpoints: [{ host: '127.0.0.1', port: directTls ? on.directTlsPort : on.c2sPort, directTls }],
      });
      await session.close();
      return session.mechanism;
    };
    // Prosody 0.12's default (password_hash "SHA-1") offers SCRAM-SHA-1 and PLAIN: SCRAM is chosen.
    assert.equal(await mechanismOf(server, false), 'SCRAM-SHA-1');
    assert.equal(await mechanismOf(server, true), 'SCRAM-SHA-1');
    const sha256 = await startProsody({ ca: server.ca, passwordHash: 'SHA-256', users: [{ username: 'alice', password }] });
    try {
      assert.equal(await mechanismOf(sha256, false), 'SCRAM-SHA-256');
      assert.equal(await mechanismOf(sha256, true), 'SCRAM-SHA-256');
    } finally {
      await sha256.dispose();
    }
  });

  test('direct TLS login', async () => {
    const core = await newCore();
    const account = await core.call('addAccount', {
      jid: `bob@${server.domain}`,
      password,
      rememberPassword: false,
      host: '127.0.0.1',
      port: server.directTlsPort,
      directTls: true,
    });
    assert.equal(account.connection.kind, 'online');
    assert.match(account.connection.kind === 'online' ? account.connection.jid : '', new RegExp(`^bob@${server.domain}/klatsch-`));
  });

  test('a wrong password is refused and no account is kept', async () => {
    const core = await newCore();
    const error = await failureOf(core, 'addAccount', {
      jid: `alice@${server.domain}`,
      password: 'wrong password',
      rememberPassword: true,
      host: '127.0.0.1',
      port: server.c2sPort,
    });
    assert.equal(error.code, 'auth-failed');
    assert.match(error.message, /password/i);
    const snapshot = await core.call('getSnapshot', {});
    assert.equal(snapshot.accounts.length, 0);
  });

  test('an unknown host and a closed port give clear errors', async () => {
    const core = await newCore();
    const unknown = await failureOf(core, 'addAccount', {
      jid: 'alice@nowhere.test',
      password,
      rememberPassword: false,
    });
    assert.equal(unknown.code, 'host-not-found');
    const closed = await failureOf(core, 'addAccount', {
      jid: `alice@${server.domain}`,
      password,
      rememberPassword: false,
      host: '127.0.0.1',
      port: await freePort(),
    });
    assert.equal(closed.code, 'connection-refused');
  });

  test('a server without STARTTLS gets no credentials', async () => {
    const hostile = await startPlaintextServer(server.domain);
    try {
      const core = await newCore();
      const error = await failureOf(core, 'addAccount', {
        jid: `alice@${server.domain}`,
        password,
        rememberPassword: false,
        host: '127.0.0.1',
        port: hostile.port,
      });
      assert.equal(error.code, 'tls-required');
      assert.match(hostile.received(), /<stream:stream/, 'the client did open a stream');
      assert.doesNotMatch(hostile.received(), /<auth|<starttls|alice|horse/i);
      assert.ok(!hostile.received().includes(Buffer.from(`\0alice\0${password}`).toString('base64')));
    } finally {
      await hostile.close();
    }
  });

  test('a server closing the stream mid-login gives connection-lost', async () => {
    const hostile = await startDroppingServer(server.domain, server.serverCert);
    try {
      const core = await newCore();
      const error = await failureOf(core, 'addAccount', {
        jid: `alice@${server.domain}`,
        password,
        rememberPassword: false,
        host: '127.0.0.1',
        port: hostile.port,
        directTls: true,
      });
      assert.equal(error.code, 'connection-lost');
    } finally {
      await hostile.close();
    }
  });

  test('a remembered password is stored encrypted and signs in again after a restart', async () => {
    const first = await newCore();
    await first.call('addAccount', {
      jid: `alice@${server.domain}`,
      password,
      rememberPassword: true,
      host: '127.0.0.1',
      port: server.c2sPort,
    });
    const settings = await fs.readFile(`${first.profileDir}/settings.json`, 'utf8');
    assert.ok(!settings.includes(password), 'the password is not in the settings file in clear');
    assert.match(settings, /"backend": "file-key"/);
    await first.core.stop();

    const second = await newCore(first.profileDir);
    const online = await second.waitFor('accountUpdated', (a) => a.connection.kind === 'online');
    assert.equal(online.jid, `alice@${server.domain}`);
    assert.equal(online.hasStoredPassword, true);
  });
});

describe('a server with a self-signed certificate', () => {
  let server: ProsodyServer;
  const cores: TestCore[] = [];
  before(async () => {
    server = await startProsody({ certificate: 'self-signed', users: [{ username: 'carol', password }] });
  });
  after(async () => {
    for (const c of cores) await c.dispose();
    await server?.dispose();
  });

  test('is refused until the user pins it; a later different certificate is refused', async () => {
    const core = await startTestCore({ caPem: server.ca.caCertPem });
    cores.push(core);
    const login = { jid: `carol@${server.domain}`, password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort };

    const refused = await failureOf(core, 'addAccount', login);
    assert.equal(refused.code, 'untrusted-certificate');
    assert.ok(refused.certificate, 'the certificate is shown to the user');
    assert.equal(refused.certificate.sha256, server.serverCert.sha256);
    assert.equal(refused.certificate.selfSigned, true);
    assert.match(refused.certificate.subject, new RegExp(server.domain));

    // Only the certificate the server really presented can be pinned.
    const forged = await failureOf(core, 'addAccount', { ...login, trustCertificate: 'AA:BB' });
    assert.equal(forged.code, 'invalid-request');
    await failureOf(core, 'addAccount', login); // presented again, remembered again

    const account = await core.call('addAccount', { ...login, trustCertificate: refused.certificate.sha256 });
    assert.equal(account.connection.kind, 'online');
    assert.equal(account.pinnedCertificate, server.serverCert.sha256);

    // The server now presents another certificate: refused with a warning, not accepted.
    await server.stop();
    const other = await makeSelfSigned(`${server.dir}/other-cert`, server.domain);
    await fs.copyFile(other.certFile, server.serverCert.certFile);
    await fs.copyFile(other.keyFile, server.serverCert.keyFile);
    await server.start();
    const changed = await core.waitFor(
      'accountUpdated',
      (a) => a.id === account.id && a.connection.kind === 'error',
      { timeoutMs: 20_000 },
    );
    assert.ok(changed.connection.kind === 'error');
    assert.equal(changed.connection.error.code, 'certificate-changed');
    assert.equal(changed.connection.error.certificate?.sha256, other.sha256);
    assert.equal(changed.pinnedCertificate, server.serverCert.sha256, 'the old pin stays');

    // An explicit decision pins the new one.
    await core.call('trustCertificate', { accountId: account.id, sha256: other.sha256 });
    await core.waitFor('accountUpdated', (a) => a.id === account.id && a.pinnedCertificate === other.sha256 && a.connection.kind === 'online');
  });
});
