/**
 * Accounts: their connection and what the renderer sees of them.
 */
import { z } from 'zod';
import { AppError, ErrorCode } from './errors.js';
import { AccountId, OwnShow } from './values.js';

export const ConnectionState = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('offline') }),
  z.object({ kind: z.literal('connecting') }),
  z.object({ kind: z.literal('online'), jid: z.string() }),
  z.object({
    kind: z.literal('reconnecting'),
    /** Epoch ms of the next attempt, so the UI can count down. */
    retryAt: z.number(),
    attempt: z.number().int(),
    reason: z.string(),
    /** What `reason` is, by code (i18n): the UI words it in the user's language, `reason` as the detail. */
    reasonCode: ErrorCode.optional(),
  }),
  z.object({ kind: z.literal('error'), error: AppError }),
]);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const AccountView = z.object({
  id: AccountId,
  jid: z.string(),
  host: z.string().optional(),
  port: z.number().int().optional(),
  directTls: z.boolean(),
  rememberPassword: z.boolean(),
  /** True when a password is stored (encrypted); false means the user must type it. */
  hasStoredPassword: z.boolean(),
  pinnedCertificate: z.string().optional(),
  connection: ConnectionState,
  ownPresence: z.object({ show: OwnShow, status: z.string() }),
  /** The account's own OTR key: its fingerprint once made; `generating` while it is being made. */
  otrKey: z
    .object({
      fingerprint: z.string().optional(),
      generating: z.boolean(),
      /** The core's English, for logs. */
      notStoredReason: z.string().optional(),
      /** Why the key lives only until Klatsch quits, for the UI to word. */
      notStored: z.enum(['store-problem', 'replaces-locked', 'no-secure-storage', 'save-failed']).optional(),
    })
    .optional(),
  /**
   * Senders whose messages or contact requests were not shown since Klatsch started because the administrator's
   * policy blocks them: a whole domain (federation's deny list) or a single address. One entry each, first come
   * first listed, at most MAX_BLOCKED_SENDERS: the UI says so once per sender, never with what they wrote.
   */
  blockedSenders: z.array(z.string().max(1023)).max(10).optional(),
});
export type AccountView = z.infer<typeof AccountView>;
export const MAX_BLOCKED_SENDERS = 10;

export const SecretStorageStatus = z.object({
  available: z.boolean(),
  /** Why passwords cannot be remembered, when they cannot, for the UI to word: no secure storage at all, or no keyring running (Linux). */
  why: z.enum(['no-secure-storage', 'no-keyring']).optional(),
  /** The same in the core's English (logs, and the core's own messages). */
  reason: z.string().optional(),
});
export type SecretStorageStatus = z.infer<typeof SecretStorageStatus>;
