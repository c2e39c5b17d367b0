// A connection that goes silent (the network drops packets, the socket stays open) is noticed by the
// keepalive probe going unanswered, not by the socket: the app says so and signs in again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionState } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcp-proxy.js';
import { ConnectionManager } from '../../electron/core/xmpp/connection-manager.js';
import { DEFAULT_KEEPALIVE } from '../../electron/core/xmpp/xmpp-session.js';

const password = 'dead-secret-1';

test('by default a silent connection is noticed within 20 s: a probe every 10 s, given up after 10 s', () => {
  assert.ok(DEFAULT_KEEPALIVE.everyMs + DEFAULT_KEEPALIVE.timeoutMs <= 20_000, `${DEFAULT_KEEPALIVE.everyMs} + ${DEFAULT_KEEPALIVE.timeoutMs} ms`);
  assert.ok(DEFAULT_KEEPALIVE.timeoutMs >= 5_000, 'a slow but alive network is not cut off');
});

describe('a connection that goes silent', { timeout: 60_000 }, () => {
  let server: ProsodyServer;
  let proxy: TcpProxy;
  let manager: ConnectionManager | undefined;

  before(async () => {
    server = await startProsody({ users: [{ username: 'alice', password }] });
    proxy = await startTcpProxy({ host: '127.0.0.1', port: server.c2sPort });
  });
  after(async () => {
    await manager?.disconnect();
    await proxy?.close();
    await server?.dispose();
  });

  for (const streamManagement of [true, false]) {
    test(`is noticed by the unanswered probe and signed in again (stream management ${streamManagement ? 'on' : 'off'})`, async () => {
      await manager?.disconnect();
      // A short probe for the test only; the defaults are asserted above.
      const m = new ConnectionManager({
        target: () => ({
          local: 'alice',
          domain: server.domain,
          override: { host: '127.0.0.1', port: proxy.port, directTls: false },
          trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] },
        }),
        lookup: async () => {
          throw Object.assign(new Error('no SRV in tests'), { code: 'ENOTFOUND' });
        },
        backoff: { baseMs: 50, maxMs: 100 },
        stepTimeoutMs: 5_000,
        keepalive: { everyMs: 150, timeoutMs: 400 },
        streamManagement,
      });
      manager = m;
      const states: ConnectionState[] = [];
      m.on('state', (s: ConnectionState) => states.push(s));
      await m.connect(password);
      const connectionsBefore = proxy.connections;

      const swallowedAtFreeze = proxy.swallowed;
      const noticed = new Promise<ConnectionState>((resolve) => {
        const onState = (s: ConnectionState) => {
          if (s.kind === 'online') return;
          m.off('state', onState);
          resolve(s);
        };
        m.on('state', onState);
      });
      proxy.freeze();
      const state = await noticed;

      assert.equal(state.kind, 'reconnecting', 'a silent network is a transient failure: Klatsch tries again by itself');
      if (state.kind !== 'reconnecting') return;
      assert.equal(state.reasonCode, 'connection-lost');
      assert.match(state.reason, /stopped answering \(no reply within 1 s\)/);
      assert.ok(proxy.swallowed > swallowedAtFreeze, 'the probe went out and was swallowed');

      // The network works again for new connections: back online over a new one.
      const online = await new Promise<ConnectionState>((resolve) => {
        const onState = (s: ConnectionState) => {
          if (s.kind !== 'online' && s.kind !== 'error') return;
          m.off('state', onState);
          resolve(s);
        };
        m.on('state', onState);
      });
      assert.equal(online.kind, 'online');
      assert.ok(proxy.connections > connectionsBefore);
      assert.ok(!states.some((s) => s.kind === 'error'), 'never shown as a failure that needs the user');
    });
  }
});
