/**
 * SASL against servers that misbehave on purpose (direct TLS with a certificate
 * from the test CA, so only SASL is at stake): a SCRAM-SHA-256 server that
 * cannot prove it knows the password, a nonce that does not extend ours, one
 * PBKDF2 iteration, only DIGEST-MD5. Each login fails with 'auth-failed' and a
 * clear message, stops at the point of failure, and never puts the password on
 * the wire. An honest run of the same fixture shows the failures are the
 * misbehaviour's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppError } from '../../shared/contract.js';
import { startTestCore } from '../fixtures/core.js';
import { startHostileSaslServer, type HostileSaslServer, type SaslMisbehaviour } from '../fixtures/hostile-sasl-server.js';
import { hostileLogins, type HostileLogins } from '../fixtures/hostile-login.js';

const domain = 'klatsch.test';
const username = 'alice';
const password = 'Tr0ub4dor&3-horse';

describe('SASL against a misbehaving server', () => {
  let logins: HostileLogins;

  before(async () => {
    logins = await hostileLogins({ tempPrefix: 'klatsch-hostile-sasl-', domain, username, password, loginTimeoutMs: 10_000 });
  });
  after(() => logins.dispose());

  const serve = async (mode: SaslMisbehaviour) => logins.track(await startHostileSaslServer(mode, { domain, cert: logins.cert, username, password }));
  const refusal = async (server: HostileSaslServer): Promise<AppError> => {
    const error = await logins.refusal(server);
    assert.equal(error.code, 'auth-failed');
    return error;
  };

  /** No form of the password crossed the wire, and no PLAIN was attempted. */
  const assertNoPassword = (server: HostileSaslServer) => {
    const wire = server.received();
    assert.ok(wire.length > 0);
    for (const form of [
      password,
      Buffer.from(password).toString('base64'),
      Buffer.from(`\0${username}\0${password}`).toString('base64'),
      Buffer.from(`${username}\0${password}`).toString('base64').slice(0, 12),
    ]) {
      assert.ok(!wire.includes(form), 'the password is not on the wire in any form');
    }
    assert.ok(!server.saslMessages().some((m) => m.includes(password)));
    assert.doesNotMatch(wire, /mechanism=['"]PLAIN['"]/);
  };

  test('control: the honest fixture completes a SCRAM-SHA-256 login', async () => {
    const server = await serve('honest');
    const session = await logins.open(server);
    try {
      assert.equal(session.mechanism, 'SCRAM-SHA-256');
      assert.equal(session.jid, `${username}@${domain}/hostile`);
    } finally {
      await session.close();
    }
    assert.match(server.received(), /<bind\b/);
    assertNoPassword(server);
  });

  test('a wrong server signature in <success>: the server could not prove it knows the password', async () => {
    const server = await serve('wrong-signature');
    const error = await refusal(server);
    assert.match(error.message, /server could not prove that it knows your password/);
    const [clientFirst, clientFinal] = server.saslMessages();
    assert.match(clientFirst ?? '', /^n,,n=alice,r=/);
    assert.match(clientFinal ?? '', /^c=biws,r=[^,]+,p=/);
    assert.equal(server.saslMessages().length, 2);
    const wire = server.received();
    assert.equal(wire.match(/<stream:stream\b/g)?.length, 1, 'no stream restart after the unproven <success>');
    assert.doesNotMatch(wire, /<bind\b|<iq\b/, 'no resource binding');
    assertNoPassword(server);

    // The same through the app: the user sees it, and no account is kept.
    const core = await startTestCore({ caPem: logins.ca.caCertPem });
    try {
      const result = await core.request('addAccount', {
        jid: `${username}@${domain}`,
        password,
        rememberPassword: true,
        host: '127.0.0.1',
        port: server.port,
        directTls: true,
      });
      assert.equal(result.ok, false);
      const appError = (result as { ok: false; error: AppError }).error;
      assert.equal(appError.code, 'auth-failed');
      assert.match(appError.message, /could not prove that it knows your password/);
      assert.equal((await core.call('getSnapshot', {})).accounts.length, 0);
    } finally {
      await core.dispose();
    }
  });

  test('<success/> without the server-final-message is not a login', async () => {
    const server = await serve('no-proof');
    const error = await refusal(server);
    assert.match(error.message, /no proof/);
    assert.equal(server.received().match(/<stream:stream\b/g)?.length, 1);
    assertNoPassword(server);
  });

  test('a server nonce that does not extend ours: nothing more is sent', async () => {
    const server = await serve('foreign-nonce');
    const error = await refusal(server);
    assert.match(error.message, /nonce/);
    assert.equal(server.saslMessages().length, 1, 'only the client-first-message');
    assert.doesNotMatch(server.received(), /<response\b/);
    assertNoPassword(server);
  });

  test('an iteration count of 1 is refused before any proof is sent', async () => {
    const server = await serve('one-iteration');
    const error = await refusal(server);
    assert.match(error.message, /only 1 iterations/);
    assert.equal(server.saslMessages().length, 1);
    assert.doesNotMatch(server.received(), /<response\b/);
    assertNoPassword(server);
  });

  test('only DIGEST-MD5 on offer: a clear error, and no authentication is attempted', async () => {
    const server = await serve('digest-md5-only');
    const error = await refusal(server);
    assert.match(error.message, /DIGEST-MD5/);
    assert.match(error.message, /no sign-in method Klatsch supports/);
    assert.doesNotMatch(server.received(), /<auth\b/);
    assertNoPassword(server);
  });
});
