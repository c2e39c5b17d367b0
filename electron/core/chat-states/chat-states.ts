/**
 * Chat State Notifications (XEP-0085): "bob is typing…". What we send is rate-limited (a state goes
 * out only when it changes; 'paused' follows ~5 s after the last keystroke) and never leaves in
 * plaintext while the conversation with that contact is private or must be (the typing pattern is
 * metadata the user meant to keep private). What we accept comes from contacts only.
 */
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../values/jid.js';

export const NS_CHAT_STATES = 'http://jabber.org/protocol/chatstates';
export const CHAT_STATES = ['active', 'composing', 'paused', 'inactive', 'gone'] as const;
export type ChatState = (typeof CHAT_STATES)[number];
/** After this long without typing, 'composing' turns into 'paused' (XEP-0085 §5.2 suggests about 5 s). */
export const PAUSE_AFTER_MS = 5_000;

/** The state element that goes into a message (with a body: 'active'; alone: any). */
export function chatStateElement(state: ChatState): Element {
  return xml(state, { xmlns: NS_CHAT_STATES });
}

/** `message` with `<active/>` added (a message with a body, XEP-0085 §5.1). */
export function withChatState(message: Element, state: ChatState): Element {
  const child = chatStateElement(state);
  child.parent = message;
  message.children.push(child);
  return message;
}

/** A standalone notification (no body, no receipt request). */
export function chatStateMessage(to: string, id: string, state: ChatState): Element {
  return xml('message', { to, id, type: 'chat' }, chatStateElement(state));
}

/** The chat state a received message carries: exactly one known state element, else none. */
export function parseChatState(stanza: Element): ChatState | undefined {
  if (stanza.attrs.type === 'error' || stanza.attrs.type === 'groupchat') return undefined;
  const found = stanza.getChildElements().filter((c) => c.attrs.xmlns === NS_CHAT_STATES && (CHAT_STATES as readonly string[]).includes(c.name));
  return found.length === 1 ? (found[0]!.name as ChatState) : undefined;
}

export interface ChatStatesDeps {
  /** Whether a chat state may go to this contact in plaintext now (not private, policy not 'always'). */
  allowed: (peer: string) => boolean;
  /** Puts a standalone notification on the wire. */
  send: (peer: string, state: ChatState) => Promise<void>;
  setTimer?: (fn: () => void, ms: number) => NodeJS.Timeout;
  clearTimer?: (t: NodeJS.Timeout) => void;
}

/** Our side: the last state each contact was told, and the timer that turns typing into 'paused'. */
export class OutgoingChatStates {
  private readonly told = new Map<string, ChatState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly setTimer: (fn: () => void, ms: number) => NodeJS.Timeout;
  private readonly clearTimer: (t: NodeJS.Timeout) => void;

  constructor(private readonly deps: ChatStatesDeps) {
    this.setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t));
  }

  /** The user typed ('composing'), stopped, left the chat ('inactive') or came back ('active'). */
  async set(peer: string, state: ChatState): Promise<void> {
    this.stopTimer(peer);
    if (state === 'composing') {
      const t = this.setTimer(() => {
        this.timers.delete(peer);
        void this.set(peer, 'paused').catch(() => undefined);
      }, PAUSE_AFTER_MS);
      t.unref?.();
      this.timers.set(peer, t);
    }
    if (!this.deps.allowed(peer)) return;
    if (this.told.get(peer) === state) return; // only changes go out
    // Nothing was said yet: 'paused' or 'inactive' would tell nothing new.
    if (!this.told.has(peer) && (state === 'paused' || state === 'inactive' || state === 'active')) return;
    this.told.set(peer, state);
    await this.deps.send(peer, state);
  }

  /**
   * A message with a body goes out: whether it may carry `<active/>` (it may when states may be sent).
   * Either way typing is over.
   */
  messageSent(peer: string): boolean {
    this.stopTimer(peer);
    if (!this.deps.allowed(peer)) {
      this.told.delete(peer);
      return false;
    }
    this.told.set(peer, 'active');
    return true;
  }

  /** The conversation went private (or back): start again from nothing said; nothing goes out for it. */
  privacyChanged(peer: string): void {
    this.stopTimer(peer);
    this.told.delete(peer);
  }

  /** Another of our devices told `peer` a state (seen in a carbon): what we told it last no longer holds. */
  toldElsewhere(peer: string): void {
    this.stopTimer(peer);
    this.told.delete(peer);
  }

  /** The connection dropped: the next session starts from nothing said. */
  reset(): void {
    for (const t of this.timers.values()) this.clearTimer(t);
    this.timers.clear();
    this.told.clear();
  }

  private stopTimer(peer: string): void {
    const t = this.timers.get(peer);
    if (t) this.clearTimer(t);
    this.timers.delete(peer);
  }
}

/** What we show of a contact's typing: only 'composing' and 'paused' are worth a line. */
export type ShownChatState = 'composing' | 'paused';
export function shownState(state: ChatState): ShownChatState | undefined {
  return state === 'composing' || state === 'paused' ? state : undefined;
}

/** The outgoing filter (delivery/outgoing.ts): what the user wrote ends their typing; in plaintext it says so (XEP-0085 §5.1), never while private. */
export function chatStateFilter(states: OutgoingChatStates): (message: { stanza: Element; to: string; encrypted: boolean }) => void {
  return ({ stanza, to, encrypted }) => {
    const peer = bareJid(to);
    if (!encrypted && peer && states.messageSent(peer)) withChatState(stanza, 'active');
  };
}
