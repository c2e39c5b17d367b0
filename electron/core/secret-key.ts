// Raw key bytes as a node:crypto KeyObject for createHmac / createCipheriv /
// createDecipheriv / hkdfSync. Given plain bytes, Node 24 (Electron 41's Node too) first
// runs its KeyObject and CryptoKey brand checks, which are slow for anything
// that is neither (--cpu-prof: getKeyObjectSlots, getSlots): ~10 µs per call,
// several times the work itself. Measured with Node 24.21: HMAC-SHA-256 of 64
// bytes 12.8 µs with raw bytes, 4.9 µs through createSecretKey; AES-CBC of 64
// bytes 15 µs → 4.7 µs. The KeyObject holds its own copy until it is
// collected, as node:crypto's cipher and HMAC contexts do; wipe `bytes` as before.
//
// @example
//   createHmac('sha256', secretKey(macKey)).update(data).digest()
import { createSecretKey, type KeyObject } from 'node:crypto';

export function secretKey(bytes: Uint8Array): KeyObject {
  return createSecretKey(bytes);
}
