/**
 * End-to-end encryption: schemes, trust, OTR policy, authentication (SMP), and a conversation's state.
 */
import { z } from 'zod';

export const OtrPolicy = z.enum(['never', 'manual', 'opportunistic', 'always']);
export type OtrPolicy = z.infer<typeof OtrPolicy>;

/**
 * How the UI shows where a conversation stands: plaintext, private (verified when the key is trusted), or
 * ended without the user ending it. Derived from `Contact.e2ee` in one place (renderer/store/contactTrust.ts).
 */
export const Privacy = z.enum(['plaintext', 'private', 'private-verified', 'finished']);
export type Privacy = z.infer<typeof Privacy>;

/** An end-to-end encryption scheme by its name: 'otr' (OMEMO's will be 'omemo'). */
export const E2eeScheme = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/);
export type E2eeScheme = z.infer<typeof E2eeScheme>;

/** How far a contact's key is trusted: checked by hand (fingerprints compared) or by SMP (question or shared secret). */
export const TrustLevel = z.enum(['unverified', 'verified-manual', 'verified-smp']);
export type TrustLevel = z.infer<typeof TrustLevel>;

/**
 * Where authenticating the contact (OTR's Socialist Millionaires' Protocol) stands.
 * `weStarted`: we asked (question or shared secret); else the contact did and we answered.
 */
export const SmpView = z.discriminatedUnion('phase', [
  /**
   * The contact asked: show `question` (absent: a shared secret) and an answer field. `id` names this
   * request: the answer says which request it answers (a request replaced meanwhile is not answered).
   */
  z.object({ phase: z.literal('asked'), id: z.string(), question: z.string().optional() }),
  /** Messages are being exchanged; `step` of 4. */
  z.object({ phase: z.literal('running'), weStarted: z.boolean(), question: z.string().optional(), step: z.number().int().min(1).max(4) }),
  /**
   * Both typed the same. `weVerifiedThem`: we now trust their key (we asked, or a shared secret);
   * false after answering their question: they verified us, we learnt nothing about them.
   */
  z.object({ phase: z.literal('succeeded'), weStarted: z.boolean(), question: z.string().optional(), weVerifiedThem: z.boolean() }),
  /** The answers or secrets differ (or someone cheated). */
  z.object({ phase: z.literal('failed'), weStarted: z.boolean(), question: z.string().optional() }),
  /** `replaced`: the contact sent a new request before the user answered; both were cancelled. */
  z.object({ phase: z.literal('aborted'), byPeer: z.boolean(), replaced: z.boolean().optional() }),
  /** The authentication broke off (a protocol problem): said in plain words by the UI, never the engine's text. */
  z.object({ phase: z.literal('error') }),
]);
export type SmpView = z.infer<typeof SmpView>;

/** Where a conversation's end-to-end encryption stands, whatever the scheme: header, banners and roster derive from it. */
export const E2eeView = z.object({
  scheme: E2eeScheme,
  /** 'finished': ended without the user ending it (by the contact, or a connection lost): nothing is sent until the user decides. */
  state: z.enum(['plaintext', 'private', 'finished']),
  /** The key the conversation is private with is verified. */
  verified: z.boolean(),
  /** The contact's key in the private conversation, as the user compares it ("XXXXXXXX XXXXXXXX …"; public: safe to show). */
  fingerprint: z.string().optional(),
  /**
   * The contact shows up with a key not seen before although other keys of theirs are known
   * (`changedFromVerified`: one of those was verified). Nothing is sent until the user accepts it.
   */
  keyWarning: z.object({ fingerprint: z.string(), changedFromVerified: z.boolean() }).optional(),
  /** Authentication in progress or its last result (OTR's SMP; absent for a scheme without one). */
  auth: SmpView.optional(),
  /**
   * 'no-devices': the chat is set to this scheme (the user's override, or the only one the policy allows) but the
   * contact announced no devices for it, so nothing can be sent (never in plaintext) until that changes.
   * 'devices-gone': the chat was encrypted with this scheme, and the contact's devices are gone from their lists (or
   * the server does not say): it does not fall to another scheme or to plaintext by itself; nothing can be sent
   * until the devices are back or the user picks another scheme.
   * 'keys-unreadable': our own keys of this scheme cannot be read (a damaged file, among the storage problems).
   */
  unavailable: z.enum(['no-devices', 'devices-gone', 'keys-unreadable']).optional(),
  /** Schemes that trust per device (OMEMO): each device of the contact with its key's fingerprint and trust. */
  devices: z
    .array(z.object({ id: z.string().max(32), fingerprint: z.string().max(128), trust: z.enum(['blind', 'verified', 'held', 'distrusted', 'unknown']), label: z.string().max(128).optional() }))
    .max(500)
    .optional(),
});
export type E2eeView = z.infer<typeof E2eeView>;
