/**
 * Errors from the core in the user's language: the renderer's own text for the error's code,
 * with the core's (English) message as the detail. No DOM, no React.
 */
import type { AppError } from '../../shared/contract';
import type { Catalog } from './catalog';

export function errorText(texts: Catalog, error: (Pick<AppError, 'code' | 'message'> & Pick<Partial<AppError>, 'where' | 'remote'>) | undefined): string {
  if (!error) return texts.errors.unknown;
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
