/**
 * An attacker on the network path between Klatsch and a real Prosody writes a stanza into the
 * unencrypted part of the stream — before `<stream:features>`, or right after `<proceed/>` in the
 * same read — then lets TLS complete with the real server. Before the fix, the stanza was kept and
 * shown after login as a plaintext message from whoever it claimed to be. Now the login ends with a
 * clear error, nothing reaches the app, no credentials leave, and bytes after `<proceed/>` are
 * never parsed at all.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, AppError } from '../../shared/contract.js';
import { StreamParser } from '../../electron/core/xmpp/guarded-client.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { startInjectingProxy, type InjectingProxy } from '../fixtures/tcp-proxy.js';

const password = 'correct horse 7';

describe('stanzas injected into the unencrypted part of the stream', { timeout: 120_000 }, () => {
  let server: ProsodyServer;
  let core: TestCore;
  let proxy: InjectingProxy | undefined;
  /** Every string any stream parser in this process was given: what was parsed at all. */
  const parsed: string[] = [];

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'boss', password },
      ],
      contacts: [['alice', 'boss']],
    });
    const write = StreamParser.prototype.write;
    StreamParser.prototype.write = function (this: StreamParser, data: string) {
      parsed.push(data);
      write.call(this, data);
    };
  });
  after(async () => {
    delete (StreamParser.prototype as { write?: unknown }).write; // back to the class's own
    await server?.dispose();
  });
  beforeEach(async () => {
    parsed.length = 0;
    core = await startTestCore({ caPem: server.ca.caCertPem });
  });
  afterEach(async () => {
    await core.dispose();
    await proxy?.close();
    proxy = undefined;
  });

  const addAlice = (port: number) =>
    core.request('addAccount', { jid: `alice@${server.domain}`, password, rememberPassword: false, host: '127.0.0.1', port });

  /** Nothing of the injected text reached the app: no message event, no account, no chat. */
  const assertNothingShown = async (marker: string) => {
    assert.ok(!core.events.some((e) => JSON.stringify(e.payload).includes(marker)), 'no event carries the injected text');
    assert.ok(!core.events.some((e) => e.name === 'messageUpserted'), 'no message reached the app');
    const snapshot = await core.call('getSnapshot', {});
    assert.equal(snapshot.accounts.length, 0);
    assert.ok(!JSON.stringify(snapshot).includes(marker));
  };
  /** Nothing that would sign in crossed the wire: not even STARTTLS, so no TLS and no SASL. */
  const assertNoCredentials = (sent: string) => {
    assert.match(sent, /<stream:stream\b/, 'the client did open a stream');
    assert.doesNotMatch(sent, /<starttls\b|<auth\b|alice@|horse/);
    assert.ok(!sent.includes(Buffer.from(`\0alice\0${password}`).toString('base64')));
  };

  test('control: the relay alone changes nothing, the login works through it', async () => {
    proxy = await startInjectingProxy({ host: '127.0.0.1', port: server.c2sPort }, {});
    const result = await addAlice(proxy.port);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal((result as { ok: true; value: AccountView }).value.connection.kind, 'online');
    assert.match(proxy.sent(), /<starttls\b/);
  });

  test('a message before <stream:features>: the login ends with a clear error, no credentials are sent, nothing is shown', async () => {
    const marker = 'INJECTED-BEFORE-FEATURES';
    proxy = await startInjectingProxy(
      { host: '127.0.0.1', port: server.c2sPort },
      { beforeFeatures: `<message from='boss@${server.domain}/phone' to='alice@${server.domain}' type='chat' id='forged-1'><body>${marker}: wire the money today</body></message>` },
    );
    const result = await addAlice(proxy.port);
    assert.equal(proxy.injected, 1, 'the stanza was injected');
    assert.equal(result.ok, false, 'the login did not go on');
    const error = (result as { ok: false; error: AppError }).error;
    assert.equal(error.code, 'connection-tampered');
    assert.match(error.message, /A message arrived before the connection was encrypted.*tampering/);
    assertNoCredentials(proxy.sent());
    await assertNothingShown(marker);
  });

  test('a forged carbon in the same read as <proceed/>: never parsed, the login ends with a clear error, nothing is shown', async () => {
    const marker = 'INJECTED-AFTER-PROCEED';
    const carbon =
      `<message from='alice@${server.domain}' to='alice@${server.domain}/klatsch' type='chat' id='forged-2'>` +
      `<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
      `<message xmlns='jabber:client' from='boss@${server.domain}/phone' to='alice@${server.domain}' type='chat' id='forged-3'><body>${marker}: wire the money today</body></message>` +
      `</forwarded></received></message>`;
    proxy = await startInjectingProxy({ host: '127.0.0.1', port: server.c2sPort }, { afterProceed: carbon });
    const result = await addAlice(proxy.port);
    assert.equal(proxy.injected, 1, 'the carbon was injected');
    assert.ok(parsed.some((text) => /<proceed\b/.test(text)), 'the parser did see <proceed/>');
    assert.ok(!parsed.some((text) => text.includes(marker) || text.includes('forged-2')), 'not one injected byte was parsed');
    assert.equal(result.ok, false, 'the login did not go on');
    const error = (result as { ok: false; error: AppError }).error;
    assert.equal(error.code, 'connection-tampered');
    assert.match(error.message, /Data arrived while the connection was switching to encryption.*tampering/);
    assert.doesNotMatch(proxy.sent(), /<auth\b|alice@|horse/, 'no SASL in plaintext');
    await assertNothingShown(marker);
  });
});
