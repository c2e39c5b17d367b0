/**
 * A notice in a chat in the user's language: the catalog's text for its kind (ChatMessage.notice),
 * or the core's English body for history from before notices had kinds, and for kinds this
 * version does not know. No DOM, no React.
 */
import type { ChatMessage } from '../../shared/contract';
import { ERROR_REASONS, isErrorReason } from '../../shared/error-reasons';
import type { Catalog } from '../../shared/i18n/catalog';
import { reasonText } from './errors';

type NoticeText = (name: string, detail: string) => string;

export function noticeText(texts: Catalog, message: Pick<ChatMessage, 'body' | 'notice'>, peerName: string): string {
  const kind = message.notice?.kind;
  // A notice whose kind is an error reason (a room that let us go): its one parameter is the detail.
  if (kind !== undefined && isErrorReason(kind) && ERROR_REASONS[kind].length <= 1) {
    const [param] = ERROR_REASONS[kind] as readonly string[];
    return reasonText(texts, kind, param === undefined ? undefined : { [param]: message.notice?.detail ?? '' }) ?? message.body;
  }
  if (kind === undefined || !Object.hasOwn(texts.notices, kind)) return message.body;
  const say = (texts.notices as Record<string, NoticeText>)[kind]!;
  return say(peerName, message.notice?.detail ?? '');
}
