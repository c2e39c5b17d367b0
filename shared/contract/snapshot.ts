/**
 * Everything the renderer needs at start, in one answer (`getSnapshot`).
 */
import { z } from 'zod';
import { PolicyView } from '../policy-view.js';
import { AccountView, SecretStorageStatus } from './accounts.js';
import { Contact, SubscriptionRequest } from './contacts.js';
import { ChatMessage } from './messages.js';
import { WordedReason } from './errors.js';
import { Invitation, RoomView } from './rooms.js';
import { SettingsView } from './settings.js';

export const Snapshot = z.object({
  accounts: z.array(AccountView),
  rosters: z.record(z.string(), z.array(Contact)),
  chats: z.record(z.string(), z.record(z.string(), z.array(ChatMessage))),
  secretStorage: SecretStorageStatus,
  /** Set when data on this computer could not be read or saved (the core's English, for logs). */
  storageProblem: z.string().optional(),
  /** The same, by reason (`storage-*`) with parameters, for the UI to word. */
  storageProblems: z.array(WordedReason).max(64).optional(),
  /** The administrator's policy: what is locked and why. */
  policy: PolicyView.optional(),
  /** Subscription requests waiting for an answer, per account (absent or missing account: none). */
  subscriptionRequests: z.record(z.string(), z.array(SubscriptionRequest)).optional(),
  /** Pictures per account and bare JID (the account's own included), as data: URLs of checked images. */
  avatars: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  /** The app-wide settings (language, theme, notifications) and their locks. */
  settings: SettingsView.optional(),
  /** Group chats per account, and their messages (account → room → messages, oldest first). */
  rooms: z.record(z.string(), z.array(RoomView)).optional(),
  roomMessages: z.record(z.string(), z.record(z.string(), z.array(ChatMessage))).optional(),
  /** Invitations to group chats waiting for an answer, per account. */
  invitations: z.record(z.string(), z.array(Invitation)).optional(),
});
export type Snapshot = z.infer<typeof Snapshot>;
