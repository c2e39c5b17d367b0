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
    if (e.condition === 'not-authorized') {
      return fatal('auth-failed', 'The server refused the sign-in: wrong address or password. Check your password (is Caps Lock on?) and the part of the address before the @, then try again.');
    }
    if (e.condition === 'account-disabled') return fatal('auth-failed', 'The server refused the sign-in: this account is disabled. Ask your administrator.');
    // sasl-login's own refusal when no offered mechanism is one we support (the text lists them).
    if (e.condition === 'invalid-mechanism' && e.text) return fatal('auth-failed', `Klatsch cannot sign in to this server: ${e.text}.`);
    return fatal('auth-failed', `The server refused the sign-in (${e.condition ?? 'unknown reason'}). Ask your administrator.`);
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
      return Object.assign(new ClassifiedError({ code: 'connection-lost', message: 'The connection to the server was lost.' }, true, true), { cause: e.code });
  }
  if (typeof e.code === 'string' && e.code.startsWith('ERR_SSL')) {
    return new ClassifiedError({ code: 'connection-lost', message: 'The encrypted connection failed.' }, true, true);
  }
  if (e.name === 'XMLError' || /parse|xml/i.test(e.message ?? '')) {
    return new ClassifiedError({ code: 'stream-error', message: 'The server sent data that is not valid XMPP.' }, true, false);
  }
  return new ClassifiedError({ code: 'connection-lost', message: 'The connection to the server failed.' }, true, true);
}

/**
 * A sign-in that failed before the stream was up, told with the places it tried: the domain looked up and
 * the host:port endpoints. A connection that never came up is "could not reach", never "lost".
 */
export function atSignIn(error: ClassifiedError, domain: string, tried: string[]): ClassifiedError {
  const list = tried.join(', ');
  const at = tried.length > 0 ? ` (tried ${list})` : '';
  const where = { domain, tried };
  const reword = (code: ErrorCode, message: string) =>
    new ClassifiedError({ ...error.appError, code, message, where }, error.transient, error.tryNextEndpoint, error.presentedPem);
  switch (error.appError.code) {
    case 'host-not-found':
      return reword(
        'host-not-found',
        `Could not reach the server: Klatsch looked up “${domain}”${at} and found no server by that name. Check the part of your address after the @, or the server setting.`,
      );
    case 'connection-refused':
      return reword(
        'connection-refused',
        `Could not reach the server for ${domain}: ${list || domain} refused the connection, so no chat service answers there. Check the server and port in the settings, or ask your administrator.`,
      );
    case 'timeout':
      return reword('timeout', `The server for ${domain}${at} did not answer in time. Check your network connection, or try again later.`);
    case 'connection-lost': {
      const unreachable = ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN'].includes(error.cause as string);
      if (unreachable || tried.length === 0) {
        return reword('server-unreachable', `Could not reach the server for ${domain}${at}. Check your network connection; if it works, the server may be down.`);
      }
      // It did connect, and then the server hung up: that is a connection lost, told as what it was.
      return reword('connection-lost', `The server for ${domain}${at} closed the connection before the sign-in was complete. Try again later, or ask your administrator.`);
    }
    default:
      return error;
  }
}
