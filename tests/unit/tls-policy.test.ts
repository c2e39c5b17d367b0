/**
 * Trust decisions against real TLS handshakes on 127.0.0.1, with certificates
 * made by `openssl` in a temporary folder. Verification is never switched off:
 * every connection below uses `tlsOptions` as the app does.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls, { type PeerCertificate } from 'node:tls';
import { promisify } from 'node:util';
import {
  capturePeerCertificate,
  derToPem,
  describeCertificate,
  explainCertificateFailure,
  fingerprintOfPem,
  hasSharedContext,
  prepareVerifiedTrust,
  tlsOptions,
  withSharedContext,
  type TrustMode,
} from '../../electron/core/xmpp/tls-policy.js';
import { toCertFingerprint } from '../../electron/core/values/fingerprint.js';

const DOMAIN = 'example.com';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

interface KeyPair {
  key: string;
  cert: string;
}

let dir: string;
const run = promisify(execFile);
const openssl = (...args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
const read = (name: string) => fs.readFile(path.join(dir, name), 'utf8');
const readPair = async (name: string): Promise<KeyPair> => ({ key: await read(`${name}.key`), cert: await read(`${name}.pem`) });

/** A self-signed certificate for `san`. */
async function selfSigned(name: string, san = DOMAIN): Promise<KeyPair> {
  await openssl('req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${san}`, '-addext', `subjectAltName=DNS:${san}`);
  return readPair(name);
}

/** A small certificate authority. */
async function authority(name: string): Promise<KeyPair> {
  await openssl(
    'req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', '/CN=Klatsch Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  );
  return readPair(name);
}

/** A server certificate for `san` issued by the authority `ca`. */
async function issued(name: string, ca: string, san = DOMAIN): Promise<KeyPair> {
  await fs.writeFile(path.join(dir, `${name}.ext`), `subjectAltName=DNS:${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  await openssl('req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${san}`);
  await openssl(
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', '2',
    '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  );
  return readPair(name);
}

/** A self-signed certificate for `san` that expired in 2020 (`openssl ca` can set the dates). */
async function expiredSelfSigned(name: string, san = DOMAIN): Promise<KeyPair> {
  await fs.writeFile(
    path.join(dir, `${name}.cnf`),
    [
      '[ca]', 'default_ca = d', '[d]', `database = ${name}.index`, 'new_certs_dir = .', `serial = ${name}.serial`,
      'default_md = sha256', 'policy = p', 'unique_subject = no', '[p]', 'commonName = supplied',
      '[ext]', `subjectAltName = DNS:${san}`, '',
    ].join('\n'),
  );
  await fs.writeFile(path.join(dir, `${name}.index`), '');
  await fs.writeFile(path.join(dir, `${name}.serial`), '01\n');
  await openssl('req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${san}`);
  await openssl(
    'ca', '-batch', '-config', `${name}.cnf`, '-selfsign', '-keyfile', `${name}.key`, '-in', `${name}.csr`,
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-extensions', 'ext', '-notext', '-out', `${name}.pem`,
  );
  return readPair(name);
}

const servers: tls.Server[] = [];

/** A TLS server on 127.0.0.1 presenting `pair` (plus `chain` after it); returns its port. */
async function serve(pair: KeyPair, chain = ''): Promise<number> {
  const server = tls.createServer({ key: pair.key, cert: pair.cert + chain }, (socket) => socket.end());
  server.on('tlsClientError', () => {}); // the client refusing us is the point of most tests
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

type Outcome = { authorized: boolean; error?: undefined; presented: PeerCertificate | undefined } | { authorized?: undefined; error: Error; presented: PeerCertificate | undefined };

/** Connects as the app does (trust from `tlsOptions` on a shared context, certificate captured) and reports how the handshake ended. */
function handshake(port: number, domain: string, trust: TrustMode): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...withSharedContext(tlsOptions(domain, trust)) });
    const presented = capturePeerCertificate(socket);
    socket.once('secureConnect', () => {
      resolve({ authorized: socket.authorized, presented: presented() });
      socket.end();
    });
    socket.once('error', (error) => {
      resolve({ error, presented: presented() });
      socket.destroy();
    });
  });
}

async function assertConnects(port: number, domain: string, trust: TrustMode): Promise<void> {
  const outcome = await handshake(port, domain, trust);
  assert.equal(outcome.error, undefined, `handshake failed: ${outcome.error?.message}`);
  assert.equal(outcome.authorized, true);
}

/** Expects the handshake to fail and returns the explanation the app would show. */
async function refusal(port: number, domain: string, trust: TrustMode) {
  const outcome = await handshake(port, domain, trust);
  assert.ok(outcome.error, 'the handshake must fail');
  const explained = explainCertificateFailure(outcome.error, trust, outcome.presented);
  assert.ok(explained, `not explained as a certificate problem: ${(outcome.error as { code?: string }).code} ${outcome.error.message}`);
  return { explained, error: outcome.error as Error & { code?: string } };
}

const verified = (...extraAnchors: string[]): TrustMode => ({ kind: 'verified', extraAnchors });
const pinned = (pem: string, sha256: string = fingerprintOfPem(pem)): TrustMode => ({ kind: 'pinned', certificatePem: pem, sha256 });

let self: KeyPair;
let other: KeyPair;
let ca: KeyPair;
let leaf: KeyPair;
let expired: KeyPair;
let selfPort: number;
let leafPort: number;
let expiredPort: number;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-tls-'));
  [self, other, ca, expired] = await Promise.all([selfSigned('self'), selfSigned('other'), authority('ca'), expiredSelfSigned('expired')]);
  leaf = await issued('leaf', 'ca');
  [selfPort, leafPort, expiredPort] = await Promise.all([serve(self), serve(leaf), serve(expired)]);
});

after(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await fs.rm(dir, { recursive: true, force: true });
});

describe('fingerprints and PEM', () => {
  test('toCertFingerprint accepts the usual spellings', () => {
    const canonical = 'AB:CD:EF:01:23';
    for (const form of ['AB:CD:EF:01:23', 'ab:cd:ef:01:23', 'ABCDEF0123', 'abcdef0123', 'ab cd ef 01 23', 'AB-CD-EF-01-23', ' ab:CD:ef:01:23\n']) {
      assert.equal(toCertFingerprint(form), canonical, JSON.stringify(form));
    }
    assert.equal(toCertFingerprint(''), '');
    assert.equal(toCertFingerprint('a'.repeat(64)), Array(32).fill('AA').join(':'));
  });

  test('derToPem gives back the PEM openssl wrote, and the same fingerprint', () => {
    for (const pem of [self.cert, ca.cert, leaf.cert]) {
      const x509 = new X509Certificate(pem);
      const again = derToPem(x509.raw);
      assert.equal(again, pem);
      assert.equal(new X509Certificate(again).fingerprint256, x509.fingerprint256);
      assert.equal(fingerprintOfPem(again), toCertFingerprint(x509.fingerprint256));
    }
  });

  test('derToPem wraps at 64 characters without blank lines, at any length', () => {
    for (const length of [1, 47, 48, 49, 96, 1_000]) {
      const pem = derToPem(Buffer.alloc(length, 0xa5));
      const lines = pem.trimEnd().split('\n');
      assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
      assert.equal(lines.at(-1), '-----END CERTIFICATE-----');
      const body = lines.slice(1, -1);
      assert.ok(body.every((line) => line.length > 0 && line.length <= 64), `length ${length}`);
      assert.deepEqual(Buffer.from(body.join(''), 'base64'), Buffer.alloc(length, 0xa5));
    }
  });

  test('fingerprintOfPem matches X509Certificate and tells certificates apart', () => {
    assert.equal(fingerprintOfPem(self.cert), new X509Certificate(self.cert).fingerprint256);
    assert.match(fingerprintOfPem(self.cert), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.notEqual(fingerprintOfPem(self.cert), fingerprintOfPem(other.cert));
  });
});

describe('verified trust', () => {
  test('a self-signed certificate is refused as untrusted, with its details', async () => {
    const { explained, error } = await refusal(selfPort, DOMAIN, verified());
    assert.equal(error.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.equal(explained.code, 'untrusted-certificate');
    assert.equal(explained.certificate?.sha256, fingerprintOfPem(self.cert));
    assert.equal(explained.certificate?.selfSigned, true);
    assert.match(explained.certificate?.subject ?? '', /CN=example\.com/);
    assert.match(explained.certificate?.problem ?? '', /self-signed/);
    assert.equal(explained.presentedPem, self.cert, 'the presented PEM is kept for an explicit trust');
  });

  test('a certificate from an unknown authority is refused', async () => {
    const { explained } = await refusal(leafPort, DOMAIN, verified());
    assert.equal(explained.code, 'untrusted-certificate');
    assert.equal(explained.certificate?.sha256, fingerprintOfPem(leaf.cert));
    assert.equal(explained.certificate?.selfSigned, false);
  });

  test('a certificate from an added authority is accepted for its domain', async () => {
    await assertConnects(leafPort, DOMAIN, verified(ca.cert));
  });

  test('the same certificate is refused for another domain', async () => {
    const { explained, error } = await refusal(leafPort, 'other.example.org', verified(ca.cert));
    assert.equal(error.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(explained.code, 'untrusted-certificate');
    assert.equal(explained.certificate?.sha256, fingerprintOfPem(leaf.cert));
    assert.match(explained.certificate?.problem ?? '', /different server name/);
  });

  test('an added authority does not make a self-signed certificate trusted', async () => {
    const { explained } = await refusal(selfPort, DOMAIN, verified(ca.cert));
    assert.equal(explained.code, 'untrusted-certificate');
  });
});

describe('pinned trust', () => {
  test('the pinned self-signed certificate is accepted', async () => {
    await assertConnects(selfPort, DOMAIN, pinned(self.cert));
  });

  test('a pinned certificate issued by an authority is accepted without that authority', async () => {
    await assertConnects(leafPort, DOMAIN, pinned(leaf.cert));
  });

  test('the pin ignores the name: it is the certificate the user chose', async () => {
    await assertConnects(selfPort, 'another-name.example.org', pinned(self.cert));
  });

  test('a fingerprint written differently still matches', async () => {
    await assertConnects(selfPort, DOMAIN, pinned(self.cert, fingerprintOfPem(self.cert).replace(/:/g, '').toLowerCase()));
  });

  test('another certificate than the pinned one is reported as changed', async () => {
    const { explained } = await refusal(selfPort, DOMAIN, pinned(other.cert));
    assert.equal(explained.code, 'certificate-changed');
    assert.equal(explained.certificate?.sha256, fingerprintOfPem(self.cert), 'shows what the server presented now');
    assert.equal(explained.presentedPem, self.cert);
  });

  test('the right PEM with another fingerprint is refused as changed', async () => {
    const { explained } = await refusal(selfPort, DOMAIN, pinned(self.cert, fingerprintOfPem(other.cert)));
    assert.equal(explained.code, 'certificate-changed');
  });

  test('pinning the authority does not pin what it issued', async () => {
    const { explained } = await refusal(leafPort, DOMAIN, pinned(ca.cert));
    assert.equal(explained.code, 'certificate-changed');
  });

  test('the pinned certificate itself having expired is not reported as a different certificate', async () => {
    const trust = pinned(expired.cert);
    const { explained, error } = await refusal(expiredPort, DOMAIN, trust);
    assert.equal(error.code, 'CERT_HAS_EXPIRED');
    assert.equal(explained.certificate?.sha256, toCertFingerprint(trust.kind === 'pinned' ? trust.sha256 : ''));
    assert.notEqual(explained.code, 'certificate-changed', explained.message);
    assert.match(explained.certificate?.problem ?? '', /expired/);
  });
});

describe('explainCertificateFailure', () => {
  test('errors that are not about the certificate are not explained as such', () => {
    const notCertificate = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5222'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
      new Error('timeout'),
      null,
      undefined,
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    ];
    for (const error of notCertificate) {
      assert.equal(explainCertificateFailure(error, verified(), undefined), undefined, String(error));
      assert.equal(explainCertificateFailure(error, pinned(self.cert), undefined), undefined, String(error));
    }
  });

  test('without a captured certificate the refusal is still explained', () => {
    const error = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const explained = explainCertificateFailure(error, verified(), undefined);
    assert.equal(explained?.code, 'untrusted-certificate');
    assert.equal(explained?.certificate, undefined);
    assert.equal(explained?.presentedPem, undefined);
  });

  test('describeCertificate gives ISO dates and one-line names', () => {
    const x509 = new X509Certificate(leaf.cert);
    const info = describeCertificate({ raw: x509.raw } as PeerCertificate, 'because');
    assert.equal(info.subject, 'CN=example.com');
    assert.equal(info.issuer, 'CN=Klatsch Test CA');
    assert.equal(info.validFrom, new Date(x509.validFrom).toISOString());
    assert.equal(info.validTo, new Date(x509.validTo).toISOString());
    assert.equal(info.problem, 'because');
    assert.equal(info.selfSigned, false);
  });
});

describe('tlsOptions', () => {
  test('never switches verification off and requires TLS 1.2 or later', () => {
    for (const trust of [verified(), verified(ca.cert), pinned(self.cert)]) {
      const options = tlsOptions(DOMAIN, trust);
      assert.equal(options.rejectUnauthorized, true);
      assert.equal(options.minVersion, 'TLSv1.2');
      assert.equal(options.servername, DOMAIN);
    }
  });

  test('pinned trust has the pinned certificate as its only anchor', () => {
    assert.deepEqual(tlsOptions(DOMAIN, pinned(self.cert)).ca, [self.cert]);
  });

  test('verified trust keeps the default anchors and adds the extra ones', () => {
    const ca0 = tlsOptions(DOMAIN, verified()).ca as string[];
    const ca1 = tlsOptions(DOMAIN, verified(ca.cert)).ca as string[];
    assert.ok(ca0.length > 10, 'the bundled roots are there');
    assert.deepEqual(ca1, [...ca0, ca.cert]);
  });
});

describe('shared secure contexts', () => {
  test('one context per set of anchors: made once, not at every connection; other anchors, another context', () => {
    const context = (trust: TrustMode, domain = DOMAIN) => withSharedContext(tlsOptions(domain, trust)).secureContext;
    assert.ok(context(verified(ca.cert)));
    assert.equal(context(verified(ca.cert)), context(verified(ca.cert), 'other.test'), 'the same anchors share one context');
    assert.notEqual(context(verified(ca.cert)), context(verified()), 'an added authority is another context');
    assert.notEqual(context(pinned(self.cert)), context(pinned(other.cert)), 'each pin its own');
    assert.notEqual(context(pinned(ca.cert)), context(verified(ca.cert)), 'pinning an authority is not trusting it as an anchor');
  });
});

describe('trust prepared before the first sign-in', () => {
  test('prepareVerifiedTrust builds the verified context in later turns, and connections on it verify as strictly', async () => {
    // Anchors no other test uses, so the context is not built yet.
    const trust = verified(ca.cert, other.cert);
    const options = tlsOptions(DOMAIN, trust);
    assert.equal(hasSharedContext(options), false);
    const prepared = prepareVerifiedTrust([ca.cert, other.cert]);
    assert.equal(hasSharedContext(options), false, 'nothing is parsed in the calling turn');
    await prepared;
    assert.equal(hasSharedContext(options), true, 'the first connection finds its context built');
    await assertConnects(leafPort, DOMAIN, trust);
    const { explained } = await refusal(selfPort, DOMAIN, trust);
    assert.equal(explained.code, 'untrusted-certificate');
    const wrongName = await refusal(leafPort, 'other.test', trust);
    assert.equal(wrongName.explained.code, 'untrusted-certificate');
  });
});
