/**
 * Errors from the core in the user's language: the renderer's own text for the error's reason (with its
 * parameters), else for its code with the core's (English) message as the detail. No DOM, no React.
 */
import type { AppError, ChatMessage, SecretStorageStatus, WordedReason } from '../../shared/contract';
import { ERROR_REASONS, isErrorReason } from '../../shared/error-reasons';
import type { Catalog } from '../../shared/i18n/catalog';

export function errorText(texts: Catalog, error: (Pick<AppError, 'code' | 'message'> & Pick<Partial<AppError>, 'where' | 'remote' | 'reason' | 'params'>) | undefined): string {
  if (!error) return texts.errors.unknown;
  // What exactly went wrong, worded here from its parameters; a reason from a newer core shows the core's English.
  const worded = error.reason ? reasonText(texts, error.reason, error.params) : undefined;
  if (worded !== undefined) return worded;
  // A refusal by the administrator's remote lists is worded whole in the user's language, naming the domain.
  if (error.code === 'forbidden-by-policy' && error.remote) return remoteRefusal(texts, error.remote);
  // A sign-in that could not connect is told in full in the user's language, naming where it tried.
  const where = error.where ? (texts.errors.where as Record<string, (domain: string, tried: string) => string>)[error.code] : undefined;
  if (where && error.where) return where(error.where.domain, error.where.tried.join(', '));
  const summary = (texts.errors.codes as Record<string, string>)[error.code] ?? texts.errors.unknown;
  return texts.errors.withDetail(summary, error.message.trim());
}

function remoteRefusal(texts: Catalog, { action, address, blocked }: NonNullable<AppError['remote']>): string {
  const words = texts.errors.remote;
  const atDomain = blocked !== address;
  if (action === 'message') return words.message(address);
  if (action === 'room') return atDomain ? words.roomAtDomain(address, blocked) : words.room(address);
  return atDomain ? words.contactAtDomain(address, blocked) : words.contact(address);
}

/** A reason (shared/error-reasons.ts) worded from its parameters; undefined for one this renderer does not know. */
export function reasonText(texts: Catalog, reason: string, params: Record<string, string | number> | undefined): string | undefined {
  if (!isErrorReason(reason)) return undefined;
  const reasons = texts.errors.reasons as Record<string, (...args: string[]) => string>;
  return reasons[reason]!(...ERROR_REASONS[reason].map((name: string) => String(params?.[name] ?? '')));
}

/** Why a message was not sent, in the user's language; English kept in the history by an older Klatsch shows as it is. */
export function notSentText(texts: Catalog, error: ChatMessage['error']): string | undefined {
  if (error === undefined || typeof error === 'string') return error;
  return wordedText(texts, error);
}

/** A reason the core gave with its English (why a room let us go), in the user's language; the English for a reason this renderer does not know. */
export function wordedText(texts: Catalog, worded: WordedReason): string {
  return reasonText(texts, worded.reason, worded.params) ?? worded.text;
}

/** What of Klatsch's data on this computer cannot be read or saved, in the user's language; the core's English only from an older core. */
export function storageProblemText(texts: Catalog, english: string | null, problems: readonly WordedReason[]): string | undefined {
  // Each reason is a whole sentence naming the file and what follows; the summary frames only the core's English.
  if (problems.length > 0) return problems.map((p) => wordedText(texts, p)).join(' ');
  return english ? texts.errors.withDetail(texts.app.storageProblem, english) : undefined;
}

/** Why the administrator's locks are locked, in the user's language (from where the policy was read, or that it could not be). */
export function policyReasonText(texts: Catalog, policy: { problem?: string | undefined; source?: string | undefined }): string {
  return texts.policy.lockedWhy(policy.problem !== undefined ? 'unreadable' : 'set', policy.source ?? '');
}

/** Why a password cannot be remembered, and what follows, in the user's language (the core's English only from an older core). */
export function noSecretStorageText(texts: Catalog, status: SecretStorageStatus): string {
  const t = texts.password;
  const why = status.why === 'no-keyring' ? t.noKeyring : status.why ? t.noSecureStorage : texts.errors.withDetail(t.noSecureStorage, status.reason ?? '');
  return `${why} ${t.askedEveryStart}`;
}
