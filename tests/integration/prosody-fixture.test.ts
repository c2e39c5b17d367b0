// Checks the Prosody test fixture itself: certificates verify (only) against the test CA,
// STARTTLS is offered and required, seeded contacts are real roster entries, and the
// server survives stop()/start(). Verification is always on.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';

const STREAM_NS = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'";

/** Collects a socket's text and resolves when it matches a pattern (bounded). */
function reader(sock: net.Socket): (re: RegExp, ms?: number) => Promise<string> {
  let buf = '';
  const waiters = new Set<() => void>();
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => {
    buf += d;
    for (const w of waiters) w();
  });
  return (re, ms = 5000) =>
    new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(buf);
        if (!m) return;
        buf = buf.slice(m.index + m[0].length);
        waiters.delete(check);
        clearTimeout(timer);
        resolve(m[0]);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re}; got: ${buf.slice(0, 500)}`));
      }, ms);
      waiters.add(check);
      check();
    });
}

function tlsConnect(opts: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const sock = tls.connect(opts);
    sock.once('secureConnect', () => resolve(sock));
    sock.once('error', (err) => {
      sock.destroy();
      reject(err);
    });
  });
}

/** Minimal client: direct TLS, SASL PLAIN, bind, roster get. Returns the roster result stanza. */
async function fetchRoster(server: ProsodyServer, user: string, password: string): Promise<string> {
  const sock = await tlsConnect({
    host: server.host,
    port: server.directTlsPort,
    servername: server.domain,
    ca: server.ca.caCertPem,
  });
  try {
    const next = reader(sock);
    const header = `<?xml version='1.0'?><stream:stream to='${server.domain}' ${STREAM_NS}>`;
    sock.write(header);
    await next(/<\/stream:features>/);
    const plain = Buffer.from(`\0${user}\0${password}`).toString('base64');
    sock.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`);
    await next(/<success\b[^>]*(\/>|>[\s\S]*?<\/success>)/);
    sock.write(header);
    await next(/<\/stream:features>/);
    sock.write("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
    await next(/<iq\b[^>]*type='result'[\s\S]*?<\/iq>/);
    sock.write("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
    return await next(/<iq\b[^>]*id='roster'[\s\S]*?<\/iq>/);
  } finally {
    sock.end('</stream:stream>');
  }
}

function rosterItem(stanza: string, jid: string): string | undefined {
  return stanza.match(new RegExp(`<item\\b[^>]*jid='${jid.replaceAll('.', '\\.')}'[^>]*/>`))?.[0];
}

let server: ProsodyServer;
let selfSigned: ProsodyServer | undefined;
let startMs = 0;

before(async () => {
  const t0 = Date.now();
  server = await startProsody({
    users: [
      { username: 'alice', password: 'alice-pw' },
      { username: 'bob', password: 'bob-pw' },
    ],
    contacts: [['alice', 'bob']],
  });
  startMs = Date.now() - t0;
});

after(async () => {
  await selfSigned?.dispose();
  await server?.dispose();
  if (server) assert.equal(existsSync(server.dir), false, 'dispose() removes the temp dir');
});

test('direct TLS verifies against the test CA for the domain', async (t) => {
  t.diagnostic(`startProsody took ${startMs} ms`);
  const sock = await tlsConnect({
    host: server.host,
    port: server.directTlsPort,
    servername: server.domain,
    ca: server.ca.caCertPem,
  });
  try {
    assert.equal(sock.authorized, true);
    assert.equal(sock.getPeerX509Certificate()?.fingerprint256, server.serverCert.sha256);
  } finally {
    sock.destroy();
  }
});

test('direct TLS fails verification without the CA, or for another name', async () => {
  await assert.rejects(
    tlsConnect({ host: server.host, port: server.directTlsPort, servername: server.domain }),
    (err: NodeJS.ErrnoException) => /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/.test(err.code ?? ''),
  );
  // Name check against another domain. (Sending SNI 'other.test' would not get that far:
  // Prosody aborts the handshake with unrecognized_name for hosts it does not serve.)
  await assert.rejects(
    tlsConnect({
      host: server.host,
      port: server.directTlsPort,
      servername: server.domain,
      ca: server.ca.caCertPem,
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity('other.test', cert),
    }),
    { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  );
});

test('c2s port offers (only) STARTTLS, and the upgrade verifies against the CA', async () => {
  const raw = net.connect({ host: server.host, port: server.c2sPort });
  try {
    const next = reader(raw);
    raw.write(`<?xml version='1.0'?><stream:stream to='${server.domain}' ${STREAM_NS}>`);
    const features = await next(/<stream:features[\s\S]*?<\/stream:features>/);
    assert.match(features, /<starttls\b[^>]*urn:ietf:params:xml:ns:xmpp-tls/);
    assert.match(features, /<required\/>/);
    assert.doesNotMatch(features, /<mechanisms/, 'no SASL before TLS (c2s_require_encryption)');
    raw.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await next(/<proceed\b[^>]*\/>/);
    raw.removeAllListeners('data'); // from here on, TLS owns the bytes
    const secure = await tlsConnect({ socket: raw, servername: server.domain, ca: server.ca.caCertPem });
    assert.equal(secure.authorized, true);
    secure.destroy();
  } finally {
    raw.destroy();
  }
});

test('seeded contacts are mutual roster entries (subscription both)', async () => {
  assert.ok(existsSync(path.join(server.dataDir, 'klatsch%2etest', 'roster', 'alice.dat')));
  const aliceRoster = await fetchRoster(server, 'alice', 'alice-pw');
  const bobItem = rosterItem(aliceRoster, 'bob@klatsch.test');
  assert.ok(bobItem, aliceRoster);
  assert.match(bobItem, /subscription='both'/);
  assert.match(bobItem, /name='bob'/);
  const bobRoster = await fetchRoster(server, 'bob', 'bob-pw');
  assert.match(rosterItem(bobRoster, 'alice@klatsch.test') ?? '', /subscription='both'/);
});

test('stop() then start(): same ports, same data, register while stopped', async (t) => {
  const t0 = Date.now();
  await server.stop();
  const stopMs = Date.now() - t0;
  await assert.rejects(
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: server.host, port: server.c2sPort }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    }),
    { code: 'ECONNREFUSED' },
  );
  await server.register('carol', 'carol-pw');
  const t1 = Date.now();
  await server.start();
  t.diagnostic(`stop ${stopMs} ms, start ${Date.now() - t1} ms`);

  assert.match(await fetchRoster(server, 'carol', 'carol-pw'), /type='result'/);
  assert.match(rosterItem(await fetchRoster(server, 'alice', 'alice-pw'), 'bob@klatsch.test') ?? '', /both/);
});

test("certificate: 'self-signed' presents a leaf the test CA does not vouch for", async () => {
  selfSigned = await startProsody({ certificate: 'self-signed', ca: server.ca });
  const opts = { host: selfSigned.host, port: selfSigned.directTlsPort, servername: selfSigned.domain };
  await assert.rejects(tlsConnect({ ...opts, ca: server.ca.caCertPem }), {
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  });
  // Trusting exactly that certificate (what pinning amounts to) works.
  const sock = await tlsConnect({ ...opts, ca: selfSigned.serverCert.certPem });
  assert.equal(sock.getPeerX509Certificate()?.fingerprint256, selfSigned.serverCert.sha256);
  sock.destroy();
});

test('logText() returns the server log', async () => {
  const log = await server.logText();
  assert.ok(log.length > 0);
  assert.match(log, new RegExp(`Activated service 'c2s' on \\[127\\.0\\.0\\.1\\]:${server.c2sPort}`));
  assert.doesNotMatch(log, /alice-pw|bob-pw/, 'no passwords in the log');
});
