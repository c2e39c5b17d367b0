/**
 * Requests about end-to-end encryption: private conversations, and keys and trust of any scheme
 * (a key is named by its scheme and its fingerprint); the OTR policy and private history per contact.
 */
import { z } from 'zod';
import { E2eeScheme, OtrPolicy, TrustLevel } from '../e2ee.js';
import { AccountId, BareJid } from '../values.js';

export const e2eeRequests = {
  /** Start (or refresh) a private conversation, with `scheme` or the preferred one (OTR: sends a query). */
  startPrivate: { request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme.optional() }).strict(), response: z.object({}) },
  /** End the private conversation: the peer is told, messages go in plaintext again (where the policy allows). */
  endPrivate: { request: z.object({ accountId: AccountId, peer: BareJid }).strict(), response: z.object({}) },
  /** Accept the contact's new key (`keyWarning`): what waited is sent now. */
  acceptKey: { request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme, key: z.string().max(128) }).strict(), response: z.object({}) },
  /** Mark a contact's key verified by hand (fingerprints compared) or not verified. */
  setTrust: {
    request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme, key: z.string().max(128), verified: z.boolean() }).strict(),
    response: z.object({}),
  },
  /**
   * Verify OMEMO devices of `peer` named by an `xmpp:` URI (XmppLinkEvent.omemoDevices): each by its id and
   * fingerprint together. `unmatched`: devices for which no device with that id and key is known.
   */
  verifyOmemoDevices: {
    request: z
      .object({
        accountId: AccountId,
        peer: BareJid,
        devices: z.array(z.object({ deviceId: z.number().int().min(1).max(2 ** 31 - 1), fingerprint: z.string().max(128) })).min(1).max(16),
      })
      .strict(),
    response: z.object({ verified: z.number().int(), unmatched: z.number().int() }),
  },
  /** Forget a contact's key (its trust with it). */
  forgetKey: {
    request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme, key: z.string().max(128) }).strict(),
    response: z.object({}),
  },
  /** Every known key: the accounts' own and their contacts', with trust. */
  listTrust: {
    request: z.object({}).strict(),
    response: z.object({
      own: z.array(
        z.object({
          accountId: AccountId,
          jid: z.string(),
          fingerprint: z.string(),
          stored: z.boolean(),
          /** Absent: OTR's key. OMEMO: this device's key, one per version (`label` names it). */
          scheme: E2eeScheme.optional(),
          label: z.string().max(64).optional(),
          /** OMEMO: this device as the `xmpp:` URI other clients scan (Conversations' omemo-sid form), for a QR code. */
          uri: z.string().max(4096).optional(),
        }),
      ),
      contacts: z.array(
        z.object({
          accountId: AccountId,
          peer: z.string(),
          /** The key's scheme: trust requests name it with the fingerprint. */
          scheme: E2eeScheme,
          fingerprint: z.string(),
          trust: TrustLevel,
          firstSeen: z.number(),
          lastUsed: z.number().optional(),
          /** The key of the private conversation open now. */
          inUse: z.boolean(),
          /**
           * Schemes that trust per device (OMEMO): the device with this key (`peer` the account's own JID: another
           * device of ours), its version as `label`, and its state (inactive: no longer on the device list).
           */
          device: z
            .object({
              id: z.string().max(32),
              label: z.string().max(64),
              state: z.enum(['verified', 'trusted-blindly', 'held', 'inactive']),
              /** The name the device gave itself (omemo:2 device list label): untrusted text, sanitised by the core, shown as text. */
              name: z.string().max(64).optional(),
            })
            .optional(),
        }),
      ),
    }),
  },
  /**
   * Import keys, instance tags and trust from a libotr client's folder (Pidgin: ~/.purple), which main
   * asks the user to choose. `replaceKeys`: replace keys Klatsch already made (else 'already-exists').
   */
  importLibotr: {
    request: z.object({ replaceKeys: z.boolean().optional() }).strict(),
    response: z.object({
      cancelled: z.boolean(),
      accounts: z.array(z.object({ jid: z.string(), fingerprint: z.string() })),
      fingerprints: z.number().int(),
    }),
  },
  /** Write the keys, instance tags and trust as libotr files into a folder main asks the user to choose. */
  exportLibotr: { request: z.object({}).strict(), response: z.object({ cancelled: z.boolean(), folder: z.string().optional() }) },
  /** The encryption scheme for one contact; `scheme` absent: automatic again. Refused while the policy names one scheme. */
  setE2eeScheme: {
    request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme.optional() }).strict(),
    response: z.object({}),
  },
  /** The OTR policy for one contact; `policy` absent: back to the account's default. */
  setOtrPolicy: {
    request: z.object({ accountId: AccountId, peer: BareJid, policy: OtrPolicy.optional() }).strict(),
    response: z.object({}),
  },
  /** Whether this contact's private messages are kept in the local history (off by default; off also deletes them). */
  setKeepPrivateHistory: {
    request: z.object({ accountId: AccountId, peer: BareJid, keep: z.boolean() }).strict(),
    response: z.object({}),
  },
} as const;
