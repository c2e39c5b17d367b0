/**
 * Last Message Correction (XEP-0308), plaintext chats only. A correction replaces the text of the
 * sender's own last message, and only that: a peer can never rewrite our messages or older ones
 * (a correction that does not fit is shown as a new message). Private (OTR) messages are never
 * corrected: the correction would go out, or be taken, in plaintext.
 */
import xml, { type Element } from '@xmpp/xml';
import type { ChatMessage } from '../../../shared/contract.js';
import { chatMessage } from '../xmpp/stanzas.js';

export const NS_CORRECT = 'urn:xmpp:message-correct:0';

/** The corrected text of message `replaces`, as a new stanza `id` (XEP-0308 §4: `replaces` is the first message's id). */
export function correctionMessage(to: string, id: string, body: string, replaces: string): Element {
  const message = chatMessage(to, id, body, true);
  const replace = xml('replace', { id: replaces, xmlns: NS_CORRECT });
  replace.parent = message;
  message.children.push(replace);
  return message;
}

/** The id a received message corrects, if it is a correction (bounded like our own ids). */
export function parseReplace(stanza: Element): string | undefined {
  if (stanza.attrs.type === 'error' || stanza.attrs.type === 'groupchat') return undefined;
  const replaces = stanza.getChildren('replace', NS_CORRECT);
  if (replaces.length !== 1) return undefined;
  const id = replaces[0]!.attrs.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
}

/** The last message of `direction` (in, out or notice) in a chat (oldest first). */
export function lastOf(messages: readonly ChatMessage[], direction: ChatMessage['direction']): ChatMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.direction === direction) return messages[i];
  return undefined;
}

/**
 * The message an incoming correction of `replaces` applies to: the sender's last message, if its id
 * is that one and it was plaintext; otherwise none (the correction then shows as a new message).
 */
export function correctionTarget(messages: readonly ChatMessage[], replaces: string): ChatMessage | undefined {
  const last = lastOf(messages, 'in');
  return last && last.id === replaces && !last.encrypted ? last : undefined;
}

/** Whether our message `id` may be corrected: our last message, plaintext, not failed or held. */
export function correctable(messages: readonly ChatMessage[], id: string): ChatMessage | undefined {
  const last = lastOf(messages, 'out');
  if (!last || last.id !== id || last.encrypted) return undefined;
  return last.state === 'sent' || last.state === 'delivered' ? last : undefined;
}
