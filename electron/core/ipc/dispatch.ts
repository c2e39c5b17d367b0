/**
 * The one gate every request passes: an unknown name or a payload that does not
 * match the contract's schema is answered with `invalid-request` and reaches no
 * handler. Handlers throw; the renderer only ever gets a `Result`: the user's errors
 * (errors.ts, `toAppError`) as they are, anything else as `internal`.
 * Error texts never echo payload values (a payload may hold a password).
 */
import type { z } from 'zod';
import { requests, type AppError, type RequestName, type ResponseOf, type Result } from '../../../shared/contract.js';
import { toAppError } from '../errors.js';

export type Handlers = {
  [K in RequestName]: (payload: z.infer<(typeof requests)[K]['request']>) => Promise<ResponseOf<K>>;
};

export type Dispatch = (name: unknown, payload: unknown) => Promise<Result<unknown>>;

export function createDispatcher(handlers: Handlers, onInternalError: (name: string, error: unknown) => void = () => {}): Dispatch {
  return async (name, payload) => {
    if (typeof name !== 'string' || !Object.hasOwn(requests, name)) {
      return failure({ code: 'invalid-request', message: 'Unknown request.' });
    }
    const key = name as RequestName;
    const parsed = requests[key].request.safeParse(payload);
    if (!parsed.success) {
      const details = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.length ? i.path.join('.') : 'payload'}: ${i.message}`)
        .join('; ');
      return failure({ code: 'invalid-request', message: `Invalid ${key} request (${details}).` });
    }
    try {
      const handler = handlers[key] as (p: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (error) {
      const appError = toAppError(error);
      if (appError) return failure(appError);
      onInternalError(key, error);
      return failure({ code: 'internal', message: 'Something went wrong inside Klatsch. Please try again.' });
    }
  };
}

function failure(error: AppError): Result<never> {
  return { ok: false, error };
}
