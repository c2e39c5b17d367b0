/**
 * Requests about one-to-one chats: sending, reading, correcting, chat states.
 */
import { z } from 'zod';
import { ChatMessage } from '../messages.js';
import { AccountId, BareJid } from '../values.js';

export const chatRequests = {
  sendMessage: {
    request: z.object({ accountId: AccountId, to: BareJid, body: z.string().min(1).max(65536) }).strict(),
    response: ChatMessage,
  },
  markRead: { request: z.object({ accountId: AccountId, peer: BareJid }).strict(), response: z.object({}) },
  /** Sends a message that failed, or one the contact's app did not confirm (`unconfirmed`), again with the same id (the receiver de-duplicates). */
  resendMessage: {
    request: z.object({ accountId: AccountId, peer: BareJid, id: z.string().min(1).max(256) }).strict(),
    response: ChatMessage,
  },
  /** What the user is doing in the chat with `peer` (XEP-0085); only changes go out, never while private. */
  setChatState: {
    request: z.object({ accountId: AccountId, peer: BareJid, state: z.enum(['active', 'composing', 'paused', 'inactive']) }).strict(),
    response: z.object({}),
  },
  /** Correct our last sent plaintext message (XEP-0308); not in a private conversation. */
  correctMessage: {
    request: z.object({ accountId: AccountId, peer: BareJid, id: z.string().min(1).max(256), body: z.string().min(1).max(65536) }).strict(),
    response: ChatMessage,
  },
} as const;
