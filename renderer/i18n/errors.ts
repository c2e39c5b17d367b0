/**
 * Errors from the core in the user's language: the renderer's own text for the error's code,
 * with the core's (English) message as the detail. No DOM, no React.
 */
import type { AppError } from '../../shared/contract';
import type { Catalog } from './catalog';

export function errorText(texts: Catalog, error: Pick<AppError, 'code' | 'message'> | undefined): string {
  if (!error) return texts.errors.unknown;
  const summary = (texts.errors.codes as Record<string, string>)[error.code] ?? texts.errors.unknown;
  return texts.errors.withDetail(summary, error.message.trim());
}
