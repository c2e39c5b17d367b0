/**
 * Building blocks: ids, addresses, presence, certificates.
 */
import { z } from 'zod';
import { text } from './bounds.js';

export const AccountId = z.string().regex(/^[a-zA-Z0-9-]{1,64}$/, 'not an account id');
export type AccountId = z.infer<typeof AccountId>;

/** A bare JID as typed by a user: `local@domain`. Checked further by the core's JID parser. */
export const BareJid = z
  .string()
  .min(3)
  .max(3071)
  .regex(/^[^@/\s]+@[^@/\s]+$/, 'expected an address like user@example.com');
export type BareJid = z.infer<typeof BareJid>;

export const PresenceShow = z.enum(['online', 'away', 'dnd', 'offline']);
export type PresenceShow = z.infer<typeof PresenceShow>;

/** What the user can choose for themselves ("offline" is signing out, not a presence). */
export const OwnShow = z.enum(['online', 'away', 'dnd']);
export type OwnShow = z.infer<typeof OwnShow>;

export const Presence = z.object({ show: PresenceShow, status: text(1024) });
export type Presence = z.infer<typeof Presence>;

export const CertificateInfo = z.object({
  subject: z.string(),
  issuer: z.string(),
  validFrom: z.string(),
  validTo: z.string(),
  /** SHA-256 of the DER certificate, colon-separated uppercase hex. */
  sha256: z.string(),
  selfSigned: z.boolean(),
  /** Why Node refused it, in words (e.g. "self-signed certificate"). */
  problem: z.string(),
});
export type CertificateInfo = z.infer<typeof CertificateInfo>;
