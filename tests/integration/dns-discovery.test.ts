/**
 * Discovery as RFC 6120 §3.2, XEP-0368 and RFC 2782 say, against a real DNS server (dnsmasq on
 * loopback, the only resolver the code under test asks) and Prosody behind the SRV records:
 * lowest priority first, the next record after a refusal, the domain on 5222 without records,
 * "." as "no service here", an error naming what was tried, and a certificate that must name the
 * XMPP domain, never the SRV target.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startDnsServer, type DnsServer } from '../fixtures/dns-server.js';
import { freePort } from '../fixtures/ports.js';
import { ConnectionManager } from '../../electron/core/xmpp/connection-manager.js';
import type { ClassifiedError } from '../../electron/core/xmpp/errors.js';

const password = 'srv-secret-1';

describe('discovery through DNS SRV records', { timeout: 90_000 }, () => {
  let corpA: ProsodyServer;
  let corpB: ProsodyServer;
  let dns: DnsServer;
  let closedPort: number;
  const managers: ConnectionManager[] = [];

  before(async () => {
    // corp-a's certificate names the XMPP domain only (no wildcard): it does not name the SRV target.
    corpA = await startProsody({ domain: 'corp-a.test', users: [{ username: 'alice', password }], certificateNames: ['corp-a.test'] });
    // corp-b's certificate names only the SRV target host.
    corpB = await startProsody({ domain: 'corp-b.test', ca: corpA.ca, users: [{ username: 'bob', password }], certificateNames: ['xmpp.corp-b.test'] });
    closedPort = await freePort();
    dns = await startDnsServer({
      srv: [
        // Priority 1 first: nothing listens there, so the next record (priority 5) is tried.
        { name: '_xmpp-client._tcp.corp-a.test', target: 'down.corp-a.test', port: closedPort, priority: 1, weight: 0 },
        { name: '_xmpp-client._tcp.corp-a.test', target: 'xmpp.corp-a.test', port: corpA.c2sPort, priority: 5, weight: 0 },
        { name: '_xmpps-client._tcp.corp-a.test', target: 'xmpp.corp-a.test', port: closedPort, priority: 10, weight: 0 },
        { name: '_xmpps-client._tcp.corp-b.test', target: 'xmpp.corp-b.test', port: corpB.directTlsPort, priority: 0, weight: 0 },
        { name: '_xmpp-client._tcp.corp-c.test', target: '.', port: 0, priority: 0, weight: 0 },
      ],
      hosts: { 'xmpp.corp-a.test': '127.0.0.1', 'down.corp-a.test': '127.0.0.1', 'xmpp.corp-b.test': '127.0.0.1' },
    });
  });
  after(async () => {
    for (const m of managers) await m.disconnect();
    await dns?.stop();
    await corpA?.dispose();
    await corpB?.dispose();
  });

  const manager = (local: string, domain: string) => {
    const m = new ConnectionManager({
      target: () => ({ local, domain, override: {}, trust: { kind: 'verified', extraAnchors: [corpA.ca.caCertPem] } }),
      dnsServers: [dns.address],
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      stepTimeoutMs: 5_000,
      loginTimeoutMs: 15_000,
    });
    managers.push(m);
    return m;
  };

  test('SRV target xmpp.corp-a.test, certificate only for corp-a.test: verified and signed in, after the refused record', async () => {
    const m = manager('alice', 'corp-a.test');
    const session = await m.connect(password, false);
    assert.match(session.jid, /^alice@corp-a\.test\//);
  });

  test('a certificate that names only the SRV target is refused', async () => {
    const m = manager('bob', 'corp-b.test');
    const error = (await m.connect(password, false).then(
      () => assert.fail('signed in with a certificate that does not name corp-b.test'),
      (e: ClassifiedError) => e,
    )) as ClassifiedError;
    assert.equal(error.appError.code, 'untrusted-certificate', error.appError.message);
    assert.equal(error.tryNextEndpoint, false, 'a refused certificate is not worked around by another record');
  });

  test('a "." target says there is no service: nothing is tried, not even the domain on 5222', async () => {
    const error = (await manager('carol', 'corp-c.test').connect(password, false).catch((e: ClassifiedError) => e)) as ClassifiedError;
    assert.equal(error.appError.code, 'host-not-found');
    assert.deepEqual(error.appError.where, { domain: 'corp-c.test', tried: [] });
  });

  test('no records at all: the domain itself on 5222 is tried, and the error says so', async () => {
    const error = (await manager('dave', 'corp-d.test').connect(password, false).catch((e: ClassifiedError) => e)) as ClassifiedError;
    assert.equal(error.appError.code, 'host-not-found');
    assert.deepEqual(error.appError.where, { domain: 'corp-d.test', tried: ['corp-d.test:5222'] });
    assert.match(error.appError.message, /corp-d\.test:5222/);
  });
});
