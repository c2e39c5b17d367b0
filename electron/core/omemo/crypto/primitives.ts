// Symmetric primitives for OMEMO: HKDF-SHA-256 (RFC 5869), HMAC-SHA-256
// (short inputs in JS, ./sha256.ts; long ones and the ciphers from
// node:crypto), AES-CBC with PKCS#7 padding and AES-GCM. Failures of the
// ciphers become OmemoError so nothing of another type escapes.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { OmemoError } from '../errors.js';
import { hkdf, hmac, JS_HASH_MAX_BYTES } from './sha256.js';
import { secretKey } from '../../secret-key.js';

const infoBytes = new Map<string, Uint8Array>();

/**
 * HKDF-SHA-256. Short inputs (all of OMEMO's) in JS, see ./sha256.ts.
 * @example hkdfSha256(ikm, new Uint8Array(32), 'OMEMO Payload', 80)
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  let infoData: Uint8Array;
  if (typeof info === 'string') {
    infoData = infoBytes.get(info) ?? new Uint8Array(Buffer.from(info, 'ascii'));
    if (infoBytes.size < 16) infoBytes.set(info, infoData); // the few fixed labels of the versions
  } else {
    infoData = info;
  }
  if (ikm.length + salt.length + infoData.length <= JS_HASH_MAX_BYTES) return hkdf(ikm, salt, infoData, length);
  return new Uint8Array(hkdfSync('sha256', secretKey(ikm), salt, infoData, length));
}

/** HMAC-SHA-256; short data in JS (chain steps, ratchet MACs), long data (payloads) through node:crypto. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length <= JS_HASH_MAX_BYTES) return hmac(key, data);
  return new Uint8Array(createHmac('sha256', secretKey(key)).update(data).digest());
}

/** update() || final() in one fresh array (Buffer.concat would copy through a pooled Buffer first). */
function joined(first: Uint8Array, last: Uint8Array): Uint8Array {
  const out = new Uint8Array(first.length + last.length);
  out.set(first, 0);
  out.set(last, first.length);
  return out;
}

/** AES-CBC (key length picks AES-128/256) with PKCS#7 padding. */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv(`aes-${key.length * 8}-cbc`, secretKey(key), iv);
  return joined(cipher.update(plaintext), cipher.final());
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new OmemoError('decrypt-failed', 'ciphertext is not a whole number of AES blocks');
  }
  try {
    const decipher = createDecipheriv(`aes-${key.length * 8}-cbc`, secretKey(key), iv);
    return joined(decipher.update(ciphertext), decipher.final());
  } catch {
    throw new OmemoError('decrypt-failed', 'bad padding');
  }
}

/** AES-GCM with a 16-byte tag; returns ciphertext and tag separately. */
export function aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array } {
  const cipher = createCipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', secretKey(key), iv);
  const ciphertext = joined(cipher.update(plaintext), cipher.final());
  return { ciphertext, tag: new Uint8Array(cipher.getAuthTag()) };
}

export function aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array {
  if (tag.length !== 16) throw new OmemoError('malformed', 'GCM tag must be 16 bytes');
  if (iv.length < 12 || iv.length > 16) throw new OmemoError('malformed', 'GCM IV must be 12 to 16 bytes');
  if (key.length !== 16 && key.length !== 32) throw new OmemoError('malformed', 'GCM key must be 16 or 32 bytes');
  try {
    const decipher = createDecipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', secretKey(key), iv);
    decipher.setAuthTag(tag);
    return joined(decipher.update(ciphertext), decipher.final());
  } catch {
    throw new OmemoError('bad-mac', 'payload authentication failed');
  }
}
