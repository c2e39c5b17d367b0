/** Chat State Notifications (XEP-0085), their side: which contacts are typing now, as the chat shows it. */
import type { IncomingChatMessage, StanzaHandler } from '../incoming/pipeline.js';
import { parseChatState } from './chat-states.js';

export class ContactTyping {
  /** Contacts typing now (contacts only, so bounded by the roster). */
  private readonly typing = new Set<string>();

  /** `changed`: the contact's typing as shown changed (the account tells the UI). */
  constructor(private readonly changed: (peer: string) => void) {}

  has(peer: string): boolean {
    return this.typing.has(peer);
  }

  /** A contact's typing as we show it; emits only on a change. */
  set(peer: string, typing: boolean): void {
    if (typing === this.typing.has(peer)) return;
    if (typing) this.typing.add(peer);
    else this.typing.delete(peer);
    this.changed(peer);
  }

  /** A message of `peer`'s shows: typing ends with it (the caller tells the UI of the contact). */
  ended(peer: string): void {
    this.typing.delete(peer);
  }

  /** The stream is gone: nobody is seen typing. */
  clear(): void {
    this.typing.clear();
  }

  /** The incoming step: typing is shown for contacts only; a message (or any other state) ends it. */
  handler(isContact: (peer: string) => boolean): StanzaHandler<IncomingChatMessage> {
    return ({ stanza, message }, next) => {
      const chatState = parseChatState(stanza);
      if (chatState !== undefined && isContact(message.fromBare)) this.set(message.fromBare, chatState === 'composing');
      next();
    };
  }
}
