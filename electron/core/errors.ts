/**
 * The core's one error for the user: a code (what kind, shared/contract.ts ErrorCode), what exactly
 * (`reason` with its parameters, shared/error-reasons.ts) for the renderer to word, and English for logs.
 * Domain code throws it; `toAppError` is the one place that turns an error into what crosses the wire.
 */
import type { AppError, ErrorCode } from '../../shared/contract.js';
import type { ErrorParams, ErrorReason } from '../../shared/error-reasons.js';
import { ClassifiedError } from './xmpp/errors.js';

/** What an error carries beyond code and message: a reason and its parameters, or the remote-list refusal. */
export type ErrorDetail = { [R in ErrorReason]: { reason: R } & ([keyof ErrorParams<R>] extends [never] ? { params?: undefined } : { params: ErrorParams<R> }) }[ErrorReason] | { remote: NonNullable<AppError['remote']> };

export class KlatschError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** English, for logs and for a renderer that does not know the reason. */
    message: string,
    readonly detail?: ErrorDetail,
  ) {
    super(message);
    this.name = 'KlatschError';
  }

  toAppError(): AppError {
    const detail = this.detail;
    if (!detail) return { code: this.code, message: this.message };
    if ('remote' in detail) return { code: this.code, message: this.message, remote: detail.remote };
    return { code: this.code, message: this.message, reason: detail.reason, ...(detail.params ? { params: detail.params } : {}) };
  }
}

/** What the user is told of an error, or undefined when it is not theirs to read (then it is `internal`). */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof KlatschError) return error.toAppError();
  if (error instanceof ClassifiedError) return error.appError;
  return undefined;
}
