// HMAC-SHA-256 (RFC 2104), HKDF-SHA-256 (RFC 5869) and SHA-256 for the short inputs of the ratchet and X3DH
// (chain keys, message keys, MACs over a few hundred bytes), from @noble/hashes: each is a handful of 64-byte
// blocks, where node:crypto's per-call cost (a KeyObject for the key, an HMAC or KDF context from the OpenSSL
// provider) is more than the hashing itself — a chain step (two MACs under one key) took 8.5 µs through
// createHmac and 2.8 µs in JS. Long inputs (a payload's MAC) go to node:crypto, where the per-byte speed
// counts (JS_HASH_MAX_BYTES). Same answers as node:crypto (tests/unit/omemo-sha256.test.ts).
//
// @example
//   hkdf(ikm, new Uint8Array(32), OMEMO_INFO, 80)   // = hkdfSync('sha256', ikm, salt, info, 80)
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hmac as nobleHmac, type _HMAC } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256, type _SHA256 } from '@noble/hashes/sha2.js';

/** Inputs longer than this are hashed by node:crypto (see the header). */
export const JS_HASH_MAX_BYTES = 2048;

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = nobleSha256.create();
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** An HMAC-SHA-256 key with its padded blocks already hashed: each MAC under it starts from a copy. */
export interface HmacKey {
  readonly prepared: _HMAC<_SHA256>;
}

export function hmacKey(key: Uint8Array): HmacKey {
  return { prepared: nobleHmac.create(nobleSha256, key) as _HMAC<_SHA256> };
}

/** HMAC-SHA-256 (RFC 2104) of the concatenation of `parts`. */
export function hmac(key: Uint8Array | HmacKey, ...parts: Uint8Array[]): Uint8Array {
  const mac = key instanceof Uint8Array ? nobleHmac.create(nobleSha256, key) : key.prepared.clone();
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Forgets a prepared key (its hash states hold the key's padded blocks). */
export function destroyHmacKey(key: HmacKey): void {
  key.prepared.destroy();
}

/** HKDF-SHA-256 (RFC 5869): extract with `salt`, expand with `info` to `length` bytes (at most 255 * 32). */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * 32) throw new RangeError('HKDF output length out of range');
  return nobleHkdf(nobleSha256, ikm, salt, info, length);
}
