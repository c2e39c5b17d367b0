/**
 * Chat messages and the notices Klatsch writes into a chat; history search hits.
 */
import { z } from 'zod';
import { NotSentReason } from './errors.js';
import { AccountId } from './values.js';

// ---- Notices in a chat, by kind (i18n): the UI says each in the user's language; `body` keeps the core's English text. ----
/** The notices the core writes; their texts are the renderer catalog's `notices` section. */
export const NOTICE_KINDS = [
  'ended-by-us',
  'peer-offline',
  'key-replaced',
  'ended-otr-off',
  'private-message-otr-off',
  'private-request-otr-off',
  'private-refreshed',
  'private-started-verified',
  'private-started-unverified',
  'new-key-after-verified',
  'new-key',
  'smp-question',
  'smp-secret',
  'smp-cancelled-by-peer',
  'smp-cancelled',
  'smp-replaced',
  'smp-error',
  'smp-verified',
  'smp-verified-by-them',
  'smp-failed',
  'trust-not-saved',
  'ended-by-peer',
  'unreadable',
  'unreadable-resent',
  'peer-error',
  'not-encrypted',
  'other-device-private',
  'archive-private',
  'own-offline',
  'key-accepted',
  'verified-by-fingerprint',
  'unverified-by-fingerprint',
  'key-forgotten',
  'v2-refused',
  'private-not-kept',
  // Encryption scheme switched (detail: the scheme the chat uses now); OMEMO device trust (detail: the device key's fingerprint).
  'ended-for-other-scheme',
  // An OTR message in a chat that uses another scheme (detail: that scheme): it cannot be read there.
  'otr-message-other-scheme',
  'ended-scheme-not-allowed',
  // A group chat message that could not be shown (detail: who sent it, "nick (address)", or the nick alone).
  'room-message-sender-unknown',
  'room-message-held',
  'room-message-not-for-us',
  'room-message-undecryptable',
  // A member's new device whose key waits (detail: the member's address); the room turned encrypted or not.
  'room-device-held',
  'room-e2ee-on',
  'room-e2ee-off',
  'omemo-device-new',
  'omemo-device-held',
  'omemo-device-verified',
  'omemo-device-unverified',
  'omemo-device-accepted',
  'omemo-device-distrusted',
  'omemo-device-forgotten',
  'omemo-device-removed',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/**
 * The notices that ask the user for something (the contact's authentication request): like a message,
 * they count as unread and raise a desktop notification when the user does not see them.
 */
export function asksTheUser(message: Pick<ChatMessage, 'direction' | 'notice'>): boolean {
  return message.direction === 'notice' && (message.notice?.kind === 'smp-question' || message.notice?.kind === 'smp-secret');
}
/**
 * Which notice it is, and its one variable part (the question asked, the peer app's error). The kind is
 * any short string, not an enum: history written by a newer Klatsch still loads, and an unknown kind shows `body`.
 * A kind may also be an error reason (shared/error-reasons.ts) of at most one parameter, `detail` (a room that let us go).
 */
export const ChatNotice = z.object({
  kind: z.string().max(64),
  detail: z.string().max(4096).optional(),
  /** The engine's or the peer app's own words (protocol terms): for bug reports, never shown as the notice's text. */
  debug: z.string().max(4096).optional(),
});
export type ChatNotice = z.infer<typeof ChatNotice>;

export const ChatMessage = z.object({
  id: z.string(),
  peer: z.string(),
  /** 'notice': said by Klatsch about the conversation (it went private, the peer ended it, …), not by a person. */
  direction: z.enum(['in', 'out', 'notice']),
  body: z.string(),
  /** Sent or received inside a private (OTR) conversation. */
  encrypted: z.boolean().optional(),
  /** Epoch ms: when sent (ours) or when received / stamped by the sender's server (theirs). */
  timestamp: z.number(),
  /** 'waiting': held until the conversation is private (never sent in plaintext). 'delivered': the peer's app confirmed it (XEP-0184). */
  state: z.enum(['sending', 'waiting', 'sent', 'failed', 'received', 'delivered']),
  /**
   * 'failed': why. 'waiting': set when it waits for a private conversation up to PRIVATE_WAIT_MS (shared/private-wait.ts) from `timestamp`.
   * A reason for the UI to word, or English (written by an older Klatsch, kept in the history: shown as it is).
   */
  error: z.union([z.string(), NotSentReason]).optional(),
  /** The text was corrected after it was first sent (XEP-0308); `body` is the corrected text. */
  edited: z.boolean().optional(),
  /**
   * 'waiting' only: our server could not reach this domain's server (federation: it is down, unknown or its
   * certificate does not verify). The message is kept and goes again by itself.
   */
  waitingForServer: z.string().max(1023).optional(),
  /**
   * 'sent' only: the server took it, but the contact's app, which confirms messages (XEP-0184), has not confirmed
   * this one — the server may have lost it (receipts/unconfirmed.ts). 'later-confirmed': their app confirmed a
   * message of ours the server took after this one; 'silence': the contact was online for minutes and it stayed
   * unconfirmed. The user may send it again (same id: a copy the contact has is shown once); a late receipt makes it 'delivered'.
   */
  unconfirmed: z.enum(['later-confirmed', 'silence']).optional(),
  /** Group chats only: the sender's nickname in the room (`peer` is the room's address). */
  nick: z.string().optional(),
  /** The id our server's archive gave it (XEP-0313/XEP-0359), to recognize it when fetched again. */
  archiveId: z.string().max(256).optional(),
  /** On notices: which one (i18n), so the UI can say it in the user's language. Older history has none: `body` shows. */
  notice: ChatNotice.optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** One message found by `searchHistory`: where it is, and the text around the match (plain text). */
export const SearchHit = z.object({
  accountId: AccountId,
  peer: z.string(),
  id: z.string(),
  direction: z.enum(['in', 'out', 'notice']),
  timestamp: z.number(),
  snippet: z.string(),
  /** [start, end) of the matched words in `snippet`. */
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export type SearchHit = z.infer<typeof SearchHit>;
