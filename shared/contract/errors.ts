/**
 * Errors and results: what a request answers when it fails, and why a message was not sent.
 */
import { z } from 'zod';
import { CertificateInfo } from './values.js';

export const ErrorCode = z.enum([
  'invalid-request',
  'not-found',
  'already-exists',
  'auth-failed',
  'tls-required',
  'untrusted-certificate',
  'certificate-changed',
  'host-not-found',
  'connection-refused',
  'connection-lost',
  /** No connection to the server could be made at all (as opposed to one that was made and dropped). */
  'server-unreachable',
  'timeout',
  'stream-error',
  'not-connected',
  'storage',
  'internal',
  /** The administrator's policy does not allow it. */
  'forbidden-by-policy',
  /** The XMPP server refused a request (a roster change, …); the message says what it answered. */
  'server-error',
  /** Data arrived on the connection before it was encrypted: someone on the network may be tampering with it. */
  'connection-tampered',
  /** The server broke the stream's rules (a stanza before sign-in, one too large): Klatsch ended the connection. */
  'protocol-violation',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

const ErrorParamsSchema = z.record(z.string().max(64), z.union([z.string().max(4096), z.number()]));

export const AppError = z.object({
  code: ErrorCode,
  message: z.string(),
  /** Present with `untrusted-certificate` and `certificate-changed`. */
  certificate: CertificateInfo.optional(),
  /** Where a sign-in tried to connect: the domain looked up and the host:port endpoints tried, so the UI can name them. */
  where: z.object({ domain: z.string().max(1024), tried: z.array(z.string().max(1100)).max(16) }).optional(),
  /**
   * With `forbidden-by-policy` from the remote allow/deny lists: what was refused (a message to, adding or
   * entering `address`) and what refuses it (`blocked`: its domain, or the address alone), for the UI to word.
   */
  remote: z
    .object({ action: z.enum(['message', 'contact', 'room']), address: z.string().max(3071), blocked: z.string().max(3071) })
    .optional(),
  /**
   * What exactly went wrong (shared/error-reasons.ts) and its parameters, for the UI to word; `message` is the
   * core's English for logs. Any short string: a reason from a newer core still parses, and shows `message`.
   */
  reason: z.string().max(64).optional(),
  params: ErrorParamsSchema.optional(),
});
export type AppError = z.infer<typeof AppError>;

/**
 * Why something is as it is, by reason (shared/error-reasons.ts) with its parameters, for the UI to word;
 * `text` is the core's English (logs, and a reason this renderer does not know).
 */
export const WordedReason = z.object({ reason: z.string().max(64), params: ErrorParamsSchema.optional(), text: z.string().max(4096) });
export type WordedReason = z.infer<typeof WordedReason>;
/** Why a message was not sent. */
export const NotSentReason = WordedReason;
export type NotSentReason = WordedReason;

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };
