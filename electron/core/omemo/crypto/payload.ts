// The message body ("payload") encryption, outside the ratchet.
//  - 0.3 (Conversations' convention): AES-128-GCM with a 12-byte IV sent in
//    the <iv> element; the ratchet carries key (16) || tag (16). Older
//    senders carried only the key and appended the tag to the payload; both
//    are read.
//  - omemo:2 (XEP-0384 0.8 §"Message Encryption"): a random 32-byte key,
//    HKDF-SHA-256 (zero salt, info "OMEMO Payload") to 80 bytes = AES-256 key,
//    HMAC key, IV; AES-256-CBC with PKCS#7; HMAC-SHA-256 over the ciphertext
//    truncated to 16 bytes; the ratchet carries key (32) || tag (16).
//
// @example
//   const sealed = encryptPayload('twomemo', utf8('hi'), secureRandom);
//   decryptPayload('twomemo', sealed) // -> utf8('hi')
import { OmemoError } from '../errors.js';
import { concatBytes, macEqual } from '../bytes.js';
import { aesCbcDecrypt, aesCbcEncrypt, aesGcmDecrypt, aesGcmEncrypt, hkdfSha256, hmacSha256 } from './primitives.js';
import type { OmemoVersion } from '../version.js';
import { secureRandom, type RandomSource } from '../../otr/random.js';

/** Payloads larger than this are refused (a chat message, not a file). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

export interface SealedPayload {
  /** The <payload> bytes. */
  payload: Uint8Array;
  /** The <iv> bytes (0.3 only). */
  iv?: Uint8Array;
  /** What each recipient device's ratchet carries: key || tag. */
  keyMaterial: Uint8Array;
}

function payloadKeys(key: Uint8Array): { encKey: Uint8Array; authKey: Uint8Array; iv: Uint8Array } {
  const out = hkdfSha256(key, new Uint8Array(32), 'OMEMO Payload', 80);
  return { encKey: out.slice(0, 32), authKey: out.slice(32, 64), iv: out.slice(64, 80) };
}

export function encryptPayload(version: OmemoVersion, plaintext: Uint8Array, random: RandomSource = secureRandom): SealedPayload {
  if (plaintext.length > MAX_PAYLOAD_BYTES) throw new OmemoError('malformed', 'payload too large');
  if (version === 'oldmemo') {
    const key = random(16);
    const iv = random(12);
    const { ciphertext, tag } = aesGcmEncrypt(key, iv, plaintext);
    return { payload: ciphertext, iv, keyMaterial: concatBytes(key, tag) };
  }
  const key = random(32);
  const { encKey, authKey, iv } = payloadKeys(key);
  const payload = aesCbcEncrypt(encKey, iv, plaintext);
  const tag = hmacSha256(authKey, payload).slice(0, 16);
  return { payload, keyMaterial: concatBytes(key, tag) };
}

export function decryptPayload(version: OmemoVersion, sealed: SealedPayload): Uint8Array {
  const { payload, keyMaterial } = sealed;
  if (!(payload instanceof Uint8Array) || !(keyMaterial instanceof Uint8Array)) throw new OmemoError('malformed', 'payload: not bytes');
  if (payload.length > MAX_PAYLOAD_BYTES + 32) throw new OmemoError('malformed', 'payload too large');
  if (version === 'oldmemo') {
    const iv = sealed.iv;
    if (!(iv instanceof Uint8Array)) throw new OmemoError('malformed', 'payload: IV missing');
    if (keyMaterial.length === 32) return aesGcmDecrypt(keyMaterial.subarray(0, 16), iv, payload, keyMaterial.subarray(16));
    if (keyMaterial.length === 16) {
      // Legacy senders: tag appended to the payload.
      if (payload.length < 16) throw new OmemoError('malformed', 'payload: shorter than its tag');
      return aesGcmDecrypt(keyMaterial, iv, payload.subarray(0, payload.length - 16), payload.subarray(payload.length - 16));
    }
    throw new OmemoError('malformed', 'key material of wrong length');
  }
  if (keyMaterial.length !== 48) throw new OmemoError('malformed', 'key material of wrong length');
  const { encKey, authKey, iv } = payloadKeys(keyMaterial.subarray(0, 32));
  if (!macEqual(hmacSha256(authKey, payload).slice(0, 16), keyMaterial.subarray(32))) {
    throw new OmemoError('bad-mac', 'payload authentication failed');
  }
  return aesCbcDecrypt(encKey, iv, payload);
}

/**
 * Key material for an "empty" OMEMO message (session completion, heartbeat)
 * that carries no payload: python-oldmemo sends a fresh 16-byte key,
 * python-twomemo 32 zero bytes.
 */
export function emptyKeyMaterial(version: OmemoVersion, random: RandomSource = secureRandom): Uint8Array {
  return version === 'oldmemo' ? random(16) : new Uint8Array(32);
}
