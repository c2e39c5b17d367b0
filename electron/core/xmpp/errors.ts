/**
 * Every way a login or a stream can fail, reduced to what the user is told and
 * what the app does next: try the next endpoint, reconnect later, or stop and
 * wait for the user (wrong password, certificate, no TLS).
 */
import type { AppError, ErrorCode } from '../../../shared/contract.js';
import { CertificateRejected } from './tls-policy.js';
import { TlsRequiredError } from './require-tls.js';
import { ScramError } from './scram.js';
import { MAX_STANZA_BYTES, StreamViolation, type ViolationKind } from './guarded-client.js';

export class ClassifiedError extends Error {
  constructor(
    readonly appError: AppError,
    /** Worth trying the same login again later, by itself. */
    readonly transient: boolean,
    /** Worth trying the next SRV endpoint now. */
    readonly tryNextEndpoint: boolean,
    /** PEM of a refused certificate, kept for an explicit "trust". Never sent to the renderer. */
    readonly presentedPem?: string,
  ) {
    super(appError.message);
    this.name = 'ClassifiedError';
  }
}

const fatal = (code: ErrorCode, message: string) => new ClassifiedError({ code, message }, false, false);

const TAMPERING = 'Someone on the network may be tampering with the connection, so Klatsch did not sign in.';
/** What the user reads when the stream broke our rules (guarded-client.ts); each ends the connection, none is retried by itself. */
const VIOLATIONS: Record<ViolationKind, string> = {
  'plaintext-stanza': `A message arrived before the connection was encrypted. ${TAMPERING}`,
  'data-after-proceed': `Data arrived while the connection was switching to encryption. ${TAMPERING}`,
  'unauthenticated-stanza': 'The server sent a message before the sign-in was complete, so Klatsch ended the connection.',
  'stanza-too-large': `The server sent a piece of data larger or more deeply nested than Klatsch accepts (at most ${MAX_STANZA_BYTES / (1024 * 1024)} MB), so Klatsch ended the connection.`,
};

export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof ClassifiedError) return error;
  if (error instanceof CertificateRejected) {
    return new ClassifiedError(
      { code: error.code, message: error.message, ...(error.certificate ? { certificate: error.certificate } : {}) },
      false,
      false,
      error.presentedPem,
    );
  }
  if (error instanceof TlsRequiredError) return fatal('tls-required', error.message);
  if (error instanceof StreamViolation) {
    const beforeTls = error.kind === 'plaintext-stanza' || error.kind === 'data-after-proceed';
    return fatal(beforeTls ? 'connection-tampered' : 'protocol-violation', VIOLATIONS[error.kind]);
  }
  if (error instanceof ScramError) {
    return fatal('auth-failed', `Klatsch stopped signing in: ${error.message}. Check the server address, or ask your administrator.`);
  }

  const e = (error ?? {}) as { name?: string; code?: string; condition?: string; text?: string; message?: string };
  if (e.name === 'SASLError') {
    if (e.condition === 'not-authorized') return fatal('auth-failed', 'Wrong address or password.');
    if (e.condition === 'account-disabled') return fatal('auth-failed', 'This account is disabled on the server.');
    // sasl-login's own refusal when no offered mechanism is one we support (the text lists them).
    if (e.condition === 'invalid-mechanism' && e.text) return fatal('auth-failed', `Klatsch cannot sign in to this server: ${e.text}.`);
    return fatal('auth-failed', `The server refused the sign-in (${e.condition ?? 'unknown reason'}).`);
  }
  if (e.name === 'StreamError') {
    const condition = e.condition ?? 'undefined-condition';
    const message = `The server ended the connection (${condition}${e.text ? `: ${e.text}` : ''}).`;
    if (condition === 'host-unknown' || condition === 'not-authorized' || condition === 'policy-violation') {
      return fatal('stream-error', message);
    }
    // conflict (signed in elsewhere with our resource), system-shutdown, reset…: try again later.
    return new ClassifiedError({ code: 'stream-error', message }, true, false);
  }
  if (e.name === 'TimeoutError') {
    return new ClassifiedError({ code: 'timeout', message: 'The server did not answer in time.' }, true, true);
  }
  switch (e.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return new ClassifiedError({ code: 'host-not-found', message: 'The server could not be found. Check the address.' }, true, true);
    case 'ECONNREFUSED':
      return new ClassifiedError({ code: 'connection-refused', message: 'The server refused the connection.' }, true, true);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return new ClassifiedError({ code: 'connection-lost', message: 'The connection to the server was lost.' }, true, true);
  }
  if (typeof e.code === 'string' && e.code.startsWith('ERR_SSL')) {
    return new ClassifiedError({ code: 'connection-lost', message: 'The encrypted connection failed.' }, true, true);
  }
  if (e.name === 'XMLError' || /parse|xml/i.test(e.message ?? '')) {
    return new ClassifiedError({ code: 'stream-error', message: 'The server sent data that is not valid XMPP.' }, true, false);
  }
  return new ClassifiedError({ code: 'connection-lost', message: 'The connection to the server failed.' }, true, true);
}
