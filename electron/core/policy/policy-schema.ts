/**
 * The administrator's policy: the keys IT can preset and lock, one schema for
 * all three platforms (registry, managed preferences, JSON file), and what
 * each key falls back to when the policy cannot be trusted.
 *
 * Every key is optional: a key that is absent leaves the user's setting (or
 * the default) in force. A policy that is present but damaged never means
 * "everything allowed": the keys it does not validly set take their SAFEST
 * value below.
 */
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { E2eeScheme, NotificationSetting, OmemoTrustMode, OtrPolicy } from '../../../shared/contract.js';
import { derToPem } from '../xmpp/tls-policy.js';

/** A domain (`example.com`), a wildcard for its subdomains (`*.example.com`) or one address (`bob@example.com`). */
const RemoteEntry = z
  .string()
  .min(1)
  .max(3071)
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => /^(\*\.)?[^@/\s*]+$/.test(s) || /^[^@/\s*]+@[^@/\s*]+$/.test(s), 'expected a domain, *.domain or user@domain');

const Domain = z
  .string()
  .min(1)
  .max(253)
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(s), 'expected a domain like example.com');

/** A certificate as PEM, or as bare base64 DER (a registry string cannot hold line breaks). */
const Pem = z
  .string()
  .max(65536)
  .transform((s) => (s.includes('-----BEGIN') ? s.trim() : derToPem(Buffer.from(s.replace(/\s+/g, ''), 'base64'))))
  .refine((pem) => parsesAsCertificate(pem), 'expected a certificate (PEM or base64 DER)');

function parsesAsCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** One schema per key, so that a bad key spoils only itself (see `readPolicy`). */
export const policyKeys = {
  /** The company's XMPP domain: the sign-in form shows it; with `allowAddAccounts: false` it is the only one. */
  serverDomain: Domain,
  /** Connect to this host instead of the domain's DNS records (accounts on `serverDomain`). */
  serverHost: z.string().min(1).max(253),
  serverPort: z.number().int().min(1).max(65535),
  /** Direct TLS (XEP-0368, usually 5223) instead of STARTTLS. */
  directTls: z.boolean(),
  /** The OTR policy of every conversation; users cannot change it. */
  otrPolicy: OtrPolicy,
  /** true: private conversations in OTR version 3 only (version 2 refused); users cannot change it. */
  otrV3Only: z.boolean(),
  /** false: no message ever goes out unencrypted (every conversation behaves as OTR 'always'). */
  allowPlaintext: z.boolean(),
  /** Only these remote domains/addresses may be written to (absent: any). */
  remoteAllow: z.array(RemoteEntry).max(10_000),
  /** Never these (wins over `remoteAllow`). */
  remoteDeny: z.array(RemoteEntry).max(10_000),
  /** The server certificates (PEM) accepted for `serverDomain`; nothing else is, and users cannot trust another one. */
  pinnedCertificates: z.array(Pem).min(1).max(16),
  /** false: users may not add accounts beyond their account on `serverDomain`. */
  allowAddAccounts: z.boolean(),
  /** false: Klatsch does not look for or install updates (IT deploys new versions). */
  updates: z.boolean(),
  /** false: no chat history is kept beyond the running session. */
  keepHistory: z.boolean(),
  /** What desktop notifications show ('sender-only': never the text; 'off': none); users cannot change it. */
  notifications: NotificationSetting,
  /** true: the first message to a contact whose app speaks OTR waits until the conversation is private; users cannot change it. */
  waitForPrivate: z.boolean(),
  /** The end-to-end encryption schemes allowed ('otr', later 'omemo'), in the order of preference (absent: every one Klatsch has). */
  encryptionSchemes: z.array(E2eeScheme).min(1).max(8),
  /** How new OMEMO devices are trusted ('blind' before verification, or 'ask' every time); users cannot change it. */
  omemoTrust: OmemoTrustMode,
} as const;

export type PolicyKey = keyof typeof policyKeys;
export type AdminPolicy = { [K in PolicyKey]?: z.output<(typeof policyKeys)[K]> };
export const policyKeyNames = Object.keys(policyKeys) as PolicyKey[];

/** Keys whose value is a boolean: registry DWORDs 0/1 are read as false/true for these. */
export const booleanKeys: ReadonlySet<PolicyKey> = new Set(['directTls', 'otrV3Only', 'allowPlaintext', 'allowAddAccounts', 'updates', 'keepHistory', 'waitForPrivate']);
/** Keys whose value is a list: a single registry/plist string is read as a list of one. */
export const listKeys: ReadonlySet<PolicyKey> = new Set(['remoteAllow', 'remoteDeny', 'pinnedCertificates', 'encryptionSchemes']);

/**
 * What a damaged policy falls back to, key by key: the most restrictive
 * reading. Remote addresses: the account's own domain only. Updates: off, so
 * that a managed machine does not change its software behind IT's back.
 */
export const SAFEST: Required<Pick<AdminPolicy, 'otrPolicy' | 'otrV3Only' | 'allowPlaintext' | 'allowAddAccounts' | 'updates' | 'keepHistory' | 'notifications'>> & {
  remoteOwnDomainOnly: true;
} = {
  otrPolicy: 'always',
  otrV3Only: true,
  allowPlaintext: false,
  allowAddAccounts: false,
  updates: false,
  keepHistory: false,
  // Who wrote, never what: a notification's text can stay in the OS's notification centre.
  notifications: 'sender-only',
  remoteOwnDomainOnly: true,
};
