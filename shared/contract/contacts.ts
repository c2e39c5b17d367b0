/**
 * Contacts in the roster and subscription requests.
 */
import { z } from 'zod';
import { E2eeScheme, E2eeView, OtrPolicy } from './e2ee.js';
import { Presence } from './values.js';

export const Contact = z.object({
  jid: z.string(),
  /** The conversation's end-to-end encryption; absent: plaintext, with nothing to say about keys. */
  e2ee: E2eeView.optional(),
  /** The contact's own OTR policy, when it differs from the account's default. */
  otrPolicy: OtrPolicy.optional(),
  /** The scheme the user set for this contact (OMEMO or OTR); absent: automatic (OMEMO when the contact announces devices). */
  e2eeScheme: E2eeScheme.optional(),
  /** True when the user chose to keep this contact's private messages in the local history. */
  keepPrivateHistory: z.boolean().optional(),
  name: z.string().optional(),
  subscription: z.enum(['none', 'to', 'from', 'both', 'remove']),
  groups: z.array(z.string()),
  presence: Presence,
  unread: z.number().int(),
  /** We asked to see the contact's presence and they have not answered yet (RFC 6121 ask='subscribe'). */
  ask: z.literal('subscribe').optional(),
  /** The contact is typing to us now (XEP-0085); absent: not (or paused, or gone). */
  chatState: z.enum(['composing']).optional(),
});
export type Contact = z.infer<typeof Contact>;

/** Someone asks to see our presence (RFC 6121 §3.1.3) and waits for the user's answer. */
export const SubscriptionRequest = z.object({
  jid: z.string(),
  /** Epoch ms of the first time it arrived. */
  receivedAt: z.number(),
  /** What they wrote with it, if anything (shown as text). */
  text: z.string().optional(),
});
export type SubscriptionRequest = z.infer<typeof SubscriptionRequest>;
