/**
 * Who we trust on a TLS connection, and how a refusal is explained.
 *
 * Two modes, never a third:
 * - verified: the chain must lead to a trust anchor (system store + bundled roots
 *   + anchors the installation adds) and the certificate must name the XMPP domain
 *   (RFC 6120 §13.7.2.1: the domain, not the SRV target host);
 * - pinned: the user explicitly trusted one certificate for this account; only a
 *   certificate with exactly that SHA-256 fingerprint is accepted.
 * Verification is never switched off: a pinned certificate becomes the only trust
 * anchor, so OpenSSL still checks the handshake signature against it.
 */
import tls, { type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { CertificateInfo } from '../../../shared/contract.js';
import { toCertFingerprint, type CertFingerprint } from '../values/fingerprint.js';

export type TrustMode =
  | { kind: 'verified'; extraAnchors: readonly string[] }
  | { kind: 'pinned'; certificatePem: string; sha256: string }
  /** The administrator's policy pins the server's certificates: only these, and users cannot trust another. */
  | { kind: 'pinned-by-policy'; certificates: readonly { pem: string; sha256: string }[] };

/** System store where Node can read it (Node ≥ 22.15, i.e. Electron), plus the bundled roots. */
export function defaultTrustAnchors(): string[] {
  const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (typeof get === 'function') {
    // Node reads and parses the system store once per process (~20 ms in one turn), then answers from its cache.
    const anchors = new Set<string>([...get('bundled'), ...safeList(() => get('system'))]);
    return [...anchors];
  }
  return [...tls.rootCertificates];
}

/**
 * Reads the system store and builds the secure context a verified connection under `extraAnchors`
 * will use, each in its own later turn, so the first sign-in finds both ready instead of doing
 * ~30 ms of parsing in the turn that starts TLS. The context is the very one `tlsOptions` +
 * `withSharedContext` would build (same anchors, same key): verification is unchanged.
 */
export async function prepareVerifiedTrust(extraAnchors: readonly string[]): Promise<void> {
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  await nextTurn();
  const anchors = defaultTrustAnchors();
  await nextTurn();
  withSharedContext({ ...baseOptions(), ca: [...anchors, ...extraAnchors] });
}

/** Whether a secure context for exactly these options is already built (tests). */
export function hasSharedContext(options: ConnectionOptions): boolean {
  return contexts.has(contextKey(options));
}

function safeList(f: () => string[]): string[] {
  try {
    return f();
  } catch {
    return [];
  }
}

export class CertificateRejected extends Error {
  constructor(
    readonly code: 'untrusted-certificate' | 'certificate-changed',
    message: string,
    readonly certificate: CertificateInfo | undefined,
    /** PEM of what the server presented, kept in the core so a later "trust" pins exactly this. */
    readonly presentedPem: string | undefined,
  ) {
    super(message);
    this.name = 'CertificateRejected';
  }
}

/** Secure contexts by what makes them (anchors, version, partial chains): a few trust settings per app. */
const contexts = new Map<string, tls.SecureContext>();
const MAX_CONTEXTS = 8;

/**
 * `options` with a secure context made once for its anchors: tls.connect would otherwise parse every
 * root certificate again at each connection (60–90 ms in one turn of the main process, at each sign-in
 * and reconnection).
 */
function contextKey(options: ConnectionOptions): string {
  const { ca, minVersion, allowPartialTrustChain } = options as ConnectionOptions & { allowPartialTrustChain?: boolean };
  return JSON.stringify([minVersion, allowPartialTrustChain ?? false, ca]);
}

export function withSharedContext(options: ConnectionOptions): ConnectionOptions {
  const { ca, minVersion, allowPartialTrustChain } = options as ConnectionOptions & { allowPartialTrustChain?: boolean };
  const key = contextKey(options);
  let context = contexts.get(key);
  if (!context) {
    context = tls.createSecureContext({ ca, minVersion, ...(allowPartialTrustChain ? { allowPartialTrustChain } : {}) } as tls.SecureContextOptions);
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
    contexts.set(key, context);
  }
  return { ...options, secureContext: context };
}

/** Options for `tls.connect` (direct TLS or STARTTLS upgrade) under the given trust. */
/** What every connection asks for, whatever the trust (the context key depends on `minVersion`). */
function baseOptions(): ConnectionOptions {
  return { minVersion: 'TLSv1.2', rejectUnauthorized: true };
}

export function tlsOptions(domain: string, trust: TrustMode): ConnectionOptions {
  const common: ConnectionOptions = {
    servername: domain,
    ...baseOptions(),
  };
  if (trust.kind === 'verified') {
    return {
      ...common,
      ca: [...defaultTrustAnchors(), ...trust.extraAnchors],
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(domain, cert),
    };
  }
  if (trust.kind === 'pinned-by-policy') {
    const accepted = new Set(trust.certificates.map((c) => toCertFingerprint(c.sha256)));
    return {
      ...common,
      ca: trust.certificates.map((c) => c.pem),
      allowPartialTrustChain: true,
      checkServerIdentity: (_host, cert) =>
        accepted.has(toCertFingerprint(cert.fingerprint256)) ? undefined : new Error('certificate differs from the ones pinned by policy'),
    } as ConnectionOptions;
  }
  return {
    ...common,
    ca: [trust.certificatePem],
    // Lets a pinned leaf that is not self-signed act as its own anchor (Node ≥ 22.9, Electron).
    allowPartialTrustChain: true,
    checkServerIdentity: (_host, cert) =>
      toCertFingerprint(cert.fingerprint256) === toCertFingerprint(trust.sha256)
        ? undefined
        : new Error('certificate differs from the pinned one'),
  } as ConnectionOptions;
}

/**
 * Remembers the certificate the server presented, before Node's own check may
 * destroy the socket: a refused certificate must still be shown to the user.
 * Node emits the internal 'secure' event right before it verifies the peer;
 * prepending our listener runs it first. If a future Node changes that, the
 * refusal is still reported, only without the certificate details.
 */
export function capturePeerCertificate(socket: TLSSocket): () => PeerCertificate | undefined {
  let captured: PeerCertificate | undefined;
  socket.prependListener('secure', () => {
    const cert = socket.getPeerCertificate(true);
    if (cert && cert.raw) captured = cert;
  });
  socket.once('secureConnect', () => {
    const cert = socket.getPeerCertificate(true);
    if (cert && cert.raw) captured = cert;
  });
  return () => captured;
}

const certificateErrorCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
]);

const problems: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'The certificate is self-signed.',
  SELF_SIGNED_CERT_IN_CHAIN: 'The certificate chain ends in an authority that is not trusted.',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'The certificate was issued by an authority that is not trusted.',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'The certificate was issued by an authority that is not trusted.',
  CERT_HAS_EXPIRED: 'The certificate has expired.',
  CERT_NOT_YET_VALID: 'The certificate is not valid yet.',
  ERR_TLS_CERT_ALTNAME_INVALID: 'The certificate is for a different server name.',
};

/** Turns a TLS handshake failure into a `CertificateRejected` when it is about the certificate. */
export function explainCertificateFailure(
  error: unknown,
  trust: TrustMode,
  presented: PeerCertificate | undefined,
): CertificateRejected | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const isCertProblem =
    (typeof code === 'string' && certificateErrorCodes.has(code)) ||
    (error instanceof Error && /pinned/.test(error.message));
  if (!isCertProblem) return undefined;
  const problem = (typeof code === 'string' && problems[code]) || (error instanceof Error ? error.message : 'not trusted');
  const info = presented ? describeCertificate(presented, problem) : undefined;
  const pem = presented ? derToPem(presented.raw) : undefined;
  const samePinned =
    trust.kind === 'pinned' && !!presented && toCertFingerprint(presented.fingerprint256) === toCertFingerprint(trust.sha256);
  if (trust.kind === 'pinned-by-policy') {
    return new CertificateRejected(
      'untrusted-certificate',
      'The server presented a certificate that your administrator has not approved for this server. Contact your IT department.',
      info ? { ...info, problem: 'It is not one of the certificates pinned by your administrator.' } : undefined,
      undefined, // nothing to pin: the policy decides
    );
  }
  if (trust.kind === 'pinned' && !samePinned) {
    return new CertificateRejected(
      'certificate-changed',
      'The server presented a different certificate from the one you trusted for this account. ' +
        'This can be a planned renewal or an attack; ask your administrator before trusting it.',
      info ? { ...info, problem: 'It differs from the pinned certificate.' } : undefined,
      pem,
    );
  }
  return new CertificateRejected('untrusted-certificate', `The server's certificate is not trusted: ${problem}`, info, pem);
}

export function describeCertificate(cert: PeerCertificate, problem: string): CertificateInfo {
  const x509 = new X509Certificate(cert.raw);
  return {
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    validFrom: new Date(x509.validFrom).toISOString(),
    validTo: new Date(x509.validTo).toISOString(),
    sha256: toCertFingerprint(x509.fingerprint256),
    selfSigned: x509.checkIssued(x509) && x509.verify(x509.publicKey),
    problem,
  };
}

export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

export function fingerprintOfPem(pem: string): CertFingerprint {
  return toCertFingerprint(new X509Certificate(pem).fingerprint256);
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}
