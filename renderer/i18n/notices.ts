/**
 * A notice in a chat in the user's language: the catalog's text for its kind (ChatMessage.notice),
 * or the core's English body for history from before notices had kinds, and for kinds this
 * version does not know. No DOM, no React.
 */
import type { ChatMessage } from '../../shared/contract';
import type { Catalog } from '../../shared/i18n/catalog';

type NoticeText = (name: string, detail: string) => string;

export function noticeText(texts: Catalog, message: Pick<ChatMessage, 'body' | 'notice'>, peerName: string): string {
  const kind = message.notice?.kind;
  if (kind === undefined || !Object.hasOwn(texts.notices, kind)) return message.body;
  const say = (texts.notices as Record<string, NoticeText>)[kind]!;
  return say(peerName, message.notice?.detail ?? '');
}
