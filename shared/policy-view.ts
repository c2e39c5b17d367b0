/**
 * What the renderer learns about the administrator's policy: which settings
 * are locked, to which value, and why. Part of the snapshot; the main process
 * enforces all of it, this only lets the UI show the locks.
 */
import { z } from 'zod';
import { WordedReason } from './contract/errors.js';

export const LockedOtrPolicy = z.enum(['never', 'manual', 'opportunistic', 'always']);

export const PolicyView = z.object({
  /** Where the policy was read from; absent: this machine has no policy. */
  source: z.string().optional(),
  /** Set when the policy could not be read completely: the safest settings are in force. */
  problem: z.string().optional(),
  /** `problem` by reason (policy-incomplete, one per policy read: the machine's, the user's), for the UI to word. */
  problemReasons: z.array(WordedReason).max(2).optional(),
  serverDomain: z.string().optional(),
  serverHost: z.string().optional(),
  serverPort: z.number().int().optional(),
  directTls: z.boolean().optional(),
  /** Present when users cannot change the OTR policy: the one in force. */
  otrPolicy: LockedOtrPolicy.optional(),
  plaintextAllowed: z.boolean(),
  /** The end-to-end encryption schemes allowed, in the order of preference; absent: every one Klatsch has. */
  encryptionSchemes: z.array(z.string().max(32)).max(8).optional(),
  /** The policy names one scheme: users cannot choose another per contact. */
  encryptionSchemeLocked: z.boolean().optional(),
  /** 'server-domain-only': only an account on `serverDomain`; 'locked': no account can be added. */
  addAccounts: z.enum(['allowed', 'server-domain-only', 'locked']),
  /** Some remote addresses may not be written to. */
  remoteRestricted: z.boolean(),
  /** SHA-256 fingerprints of the server certificates the policy pins. */
  pinnedCertificates: z.array(z.string()).optional(),
  updates: z.boolean(),
  keepHistory: z.boolean(),
  /** Why locked settings are locked, in words for the user. */
  reason: z.string(),
});
export type PolicyView = z.infer<typeof PolicyView>;

/** An `xmpp:` link the user opened: what the renderer should offer. */
export const XmppLinkEvent = z.object({
  /** 'chat': open the conversation; 'add-contact': ask before adding. */
  action: z.enum(['chat', 'add-contact']),
  jid: z.string().max(3071),
  /** From `?otr-fingerprint=`: the fingerprint the user should verify. */
  otrFingerprint: z.string().max(128).optional(),
  /** From `?omemo-sid-<id>=<fingerprint>` (Conversations' QR codes): OMEMO devices to verify, each by id and key. */
  omemoDevices: z
    .array(z.object({ deviceId: z.number().int().min(1).max(2 ** 31 - 1), fingerprint: z.string().max(128) }))
    .max(16)
    .optional(),
  /** A message text to pre-fill (`?message;body=`). */
  body: z.string().max(4096).optional(),
});
export type XmppLinkEvent = z.infer<typeof XmppLinkEvent>;
