/**
 * A server (or whoever holds its certificate) that breaks the stream's rules after TLS: a stanza
 * before SASL ends the login; a stanza before the resource is bound never reaches the app; an
 * element that never closes — an endless text node, endless children, endless nesting — ends the
 * connection at its limit with a clear error, in the login and on a signed-in stream, with memory bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import xml, { type Element } from '@xmpp/xml';
import type { ClassifiedError } from '../../electron/core/xmpp/errors.js';
import { MAX_STANZA_BYTES } from '../../electron/core/xmpp/guarded-client.js';
import { FLOOD_CAP_BYTES, startScriptedServer, type ScriptedServer } from '../fixtures/hostile-server.js';
import { hostileLogins, type HostileLogins } from '../fixtures/hostile-login.js';

const domain = 'klatsch.test';
const username = 'alice';
const password = 'Tr0ub4dor&3-horse';

const forged = (id: string, text: string) =>
  `<message from='boss@corp.test/phone' to='${username}@${domain}' type='chat' id='${id}'><body>${text}</body></message>`;

describe('a stream that breaks the rules after TLS', { timeout: 120_000 }, () => {
  let logins: HostileLogins;

  before(async () => {
    logins = await hostileLogins({ tempPrefix: 'klatsch-hostile-stream-', domain, username, password, loginTimeoutMs: 20_000 });
  });
  after(() => logins.dispose());

  const serve = async (script: Omit<Parameters<typeof startScriptedServer>[2], 'username'>) =>
    logins.track(await startScriptedServer(domain, logins.cert, { username, ...script }));
  const open = (server: ScriptedServer) => logins.open(server);
  const refusal = (server: ScriptedServer) => logins.refusal(server);

  test('a stanza before SASL ends the login: nothing is authenticated, nothing shown', async () => {
    const server = await serve({ beforeFeatures: forged('early', 'before sign-in') });
    const error = await refusal(server);
    assert.equal(error.code, 'protocol-violation');
    assert.match(error.message, /before the sign-in was complete/);
    assert.doesNotMatch(server.received(), /<auth\b/, 'no credentials sent');
  });

  test('a stanza after SASL but before the resource is bound is not handed to the app', async () => {
    const server = await serve({ beforeBindResult: forged('unbound', 'before binding'), afterBindResult: forged('bound', 'after binding') });
    const session = await open(server);
    try {
      const seen: string[] = [];
      const bound = new Promise<void>((resolve) =>
        session.on('stanza', (stanza: Element) => {
          seen.push(stanza.attrs.id ?? '');
          if (stanza.attrs.id === 'bound') resolve();
        }),
      );
      session.start();
      await bound; // the stanza after the bind result arrives; the one before it (same read, earlier) was not handed on
      assert.deepEqual(seen, ['bound']);
    } finally {
      await session.close();
    }
  });

  for (const kind of ['text', 'children', 'nested'] as const) {
    test(`an element that never closes (endless ${kind}) ends the login at the limit`, async () => {
      const server = await serve({ flood: { when: 'in-login', kind } });
      const heapBefore = liveHeap();
      const error = await refusal(server);
      assert.equal(error.code, 'protocol-violation');
      assert.match(error.message, /larger or more deeply nested than Klatsch accepts/);
      assertBounded(server, heapBefore);
      assert.doesNotMatch(server.received(), /<auth\b/);
    });

    test(`an element that never closes (endless ${kind}) on a signed-in stream closes the session with the error`, async () => {
      const server = await serve({ flood: { when: 'online', kind } });
      const session = await open(server);
      const closed = new Promise<ClassifiedError | null>((resolve) => session.once('closed', resolve));
      const heapBefore = liveHeap();
      await session.send(xml('presence')); // the server floods from here on
      const reason = await closed;
      assert.ok(reason, 'closed by the limit, not by us');
      assert.equal(reason.appError.code, 'protocol-violation');
      assert.match(reason.appError.message, /larger or more deeply nested than Klatsch accepts/);
      assert.equal(reason.transient, false, 'not retried by itself: the server would send it again');
      assertBounded(server, heapBefore);
    });
  }
});

/** The client stopped the flood long before its cap, and held on to a bounded amount of it. */
function assertBounded(server: ScriptedServer, heapBefore: number): void {
  assert.equal(server.floodCompleted(), false, 'the client closed the connection before the flood ended');
  // What the server could write: what the client parsed (the limit) plus the socket buffers on both sides.
  assert.ok(server.floodWritten() < FLOOD_CAP_BYTES / 2, `the server wrote ${server.floodWritten()} bytes`);
  const grown = liveHeap() - heapBefore;
  assert.ok(grown < 32 * MAX_STANZA_BYTES, `the heap grew by ${grown} bytes`);
}

/**
 * The heap still reachable now: after a full collection, so garbage the parser already let go of (which a busy
 * machine may not have collected yet) does not count as held.
 */
function liveHeap(): number {
  fullGc();
  return process.memoryUsage().heapUsed;
}
const fullGc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
