/**
 * What the OTR store holds and hands out (trust levels, fingerprint records, identities, imports and
 * exports), its error, and the normalization both the store and libotr-files.ts use.
 */
import { randomBytes } from 'node:crypto';
import { fingerprint as dsaFingerprint, type DsaPrivateKey } from '../../../otr/dsa.js';
import { MIN_INSTANCE_TAG } from '../../../otr/wire.js';
import type { ErrorDetail } from '../../../errors.js';

export type Trust = 'unverified' | 'verified-manual' | 'verified-smp';
export const TRUST_LEVELS: readonly Trust[] = ['unverified', 'verified-manual', 'verified-smp'];

/** A problem the user should read (damaged file, keys that cannot be unlocked or stored, a bad import). */
/** Why an own OTR key lives only until Klatsch quits (AccountView.otrKey.notStored). */
export type OtrKeyNotStored = 'store-problem' | 'replaces-locked' | 'no-secure-storage' | 'save-failed';

export class OtrStoreError extends Error {
  constructor(
    message: string,
    /** What went wrong, for the user's own words (KlatschError); the message is the English for logs. */
    readonly detail?: ErrorDetail,
  ) {
    super(message);
    this.name = 'OtrStoreError';
  }
}

export interface FingerprintRecord {
  account: string;
  contact: string;
  /** 40 lowercase hex digits. */
  fingerprint: string;
  trust: Trust;
  /** Epoch ms. */
  firstSeen: number;
  /** Epoch ms of the last session with this key; undefined if never used here (e.g. imported). */
  lastUsed: number | undefined;
}

export interface OtrIdentity {
  key: DsaPrivateKey;
  instanceTag: number;
  /** 40 lowercase hex digits. */
  fingerprint: string;
  /** False when the key lives only in memory until Klatsch quits; `notStoredReason` says why (show it). */
  stored: boolean;
  notStoredReason?: string;
  /** `notStoredReason` by kind, for the user's own words. */
  notStored?: OtrKeyNotStored;
}

export interface OtrStoreDeps {
  now?: () => number;
  generateKey?: () => Promise<DsaPrivateKey>;
}

/** What libotr-files.ts hands to `applyImport`, already validated and normalized. */
export interface OtrStoreImport {
  keys: { account: string; key: DsaPrivateKey }[];
  instanceTags: { account: string; instanceTag: number }[];
  fingerprints: { account: string; contact: string; fingerprint: string; trust: Trust }[];
  /** Replace an account's existing, different key (else that is an error). */
  replaceKeys: boolean;
}

export interface OtrStoreExport {
  keys: { account: string; key: DsaPrivateKey }[];
  instanceTags: { account: string; instanceTag: number }[];
  fingerprints: FingerprintRecord[];
}

// ---- normalization ----

export const MAX_JID = 3071;

export function fingerprintOf(key: DsaPrivateKey): string {
  return Buffer.from(dsaFingerprint(key)).toString('hex');
}

export function randomInstanceTag(): number {
  for (;;) {
    const tag = randomBytes(4).readUInt32BE(0);
    if (tag >= MIN_INSTANCE_TAG) return tag;
  }
}

const TRUST_RANK: Record<Trust, number> = { unverified: 0, 'verified-manual': 1, 'verified-smp': 2 };

/** The stronger of two trust levels (an import never weakens a verification). */
export function strongerTrust(a: Trust, b: Trust): Trust {
  return TRUST_RANK[a] >= TRUST_RANK[b] ? a : b;
}
export function sameRecord(r: FingerprintRecord, account: string, contact: string, fp: string): boolean {
  return r.account === account && r.contact === contact && r.fingerprint === fp;
}
