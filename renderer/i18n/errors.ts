/**
 * Errors from the core in the user's language: the renderer's own text for the error's code,
 * with the core's (English) message as the detail. No DOM, no React.
 */
import type { AppError } from '../../shared/contract';
import type { Catalog } from './catalog';

export function errorText(texts: Catalog, error: (Pick<AppError, 'code' | 'message'> & Pick<Partial<AppError>, 'where'>) | undefined): string {
  if (!error) return texts.errors.unknown;
  // A sign-in that could not connect is told in full in the user's language, naming where it tried.
  const where = error.where ? (texts.errors.where as Record<string, (domain: string, tried: string) => string>)[error.code] : undefined;
  if (where && error.where) return where(error.where.domain, error.where.tried.join(', '));
  const summary = (texts.errors.codes as Record<string, string>)[error.code] ?? texts.errors.unknown;
  return texts.errors.withDetail(summary, error.message.trim());
}
