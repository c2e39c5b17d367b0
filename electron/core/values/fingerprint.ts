/**
 * The two kinds of fingerprint Klatsch compares, each with its one normal
 * form: an OTR key's (SHA-1 of the DSA public key: 40 lowercase hex digits)
 * and a server certificate's (SHA-256: uppercase hex pairs joined by colons,
 * Node's `fingerprint256` form). Any spacing, colons and case are accepted.
 */
import { formatFingerprint } from '../otr/dsa.js';

declare const otrBrand: unique symbol;
declare const certBrand: unique symbol;
/** 40 lowercase hex digits. */
export type OtrFingerprint = string & { readonly [otrBrand]: true };
/** Uppercase hex pairs joined by colons ("AB:CD:…"). */
export type CertFingerprint = string & { readonly [certBrand]: true };

/** A fingerprint a caller handed in that is not one. */
export class FingerprintError extends TypeError {
  readonly code = 'invalid-fingerprint' as const;
}

/** The OTR fingerprint in normal form, or undefined if `fp` is not 40 hex digits (spacing, colons and case aside). */
export function parseOtrFingerprint(fp: string): OtrFingerprint | undefined {
  const hex = fp.replace(/[\s:]+/g, '').toLowerCase();
  return /^[0-9a-f]{40}$/.test(hex) ? (hex as OtrFingerprint) : undefined;
}

/** The OTR fingerprint in normal form; throws a `FingerprintError` if `fp` is not one. */
export function toOtrFingerprint(fp: string): OtrFingerprint {
  const parsed = parseOtrFingerprint(fp);
  if (!parsed) throw new FingerprintError(`Not an OTR fingerprint: ${JSON.stringify(fp.slice(0, 100))}`);
  return parsed;
}

/** Whether two OTR fingerprints name the same key (false if either is not a fingerprint). */
export function sameOtrFingerprint(a: string, b: string): boolean {
  const left = parseOtrFingerprint(a);
  return left !== undefined && left === parseOtrFingerprint(b);
}

/** libotr's display form: five groups of 8 uppercase hex digits. Throws a `FingerprintError` if `fp` is not one. */
export function humanFingerprint(fp: string): string {
  return formatFingerprint(new Uint8Array(Buffer.from(toOtrFingerprint(fp), 'hex')));
}

/** A certificate fingerprint in normal form (separators and case of the input do not matter). */
export function toCertFingerprint(fp: string): CertFingerprint {
  return fp.replace(/[^0-9a-fA-F]/g, '').toUpperCase().replace(/(..)(?!$)/g, '$1:') as CertFingerprint;
}
