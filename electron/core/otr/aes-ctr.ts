// AES-128 in counter mode, Protocol-v3 "Data Message" (initial counter =
// 8-byte top half || 8 zero bytes) and the AKE messages ("D-H Commit",
// "Reveal Signature", "Signature": initial counter value 0).
import { createCipheriv } from 'node:crypto';
import { secretKey } from '../secret-key.js';

function run(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 16) throw new RangeError('AES-128 key must be 16 bytes');
  const cipher = createCipheriv('aes-128-ctr', secretKey(key), iv);
  const out = Buffer.concat([cipher.update(data), cipher.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Encrypts/decrypts `data` with counter block ctr || 0^8. */
export function aesCtr(key: Uint8Array, topHalfCounter: Uint8Array, data: Uint8Array): Uint8Array {
  if (topHalfCounter.length !== 8) throw new RangeError('counter top half must be 8 bytes');
  const iv = new Uint8Array(16);
  iv.set(topHalfCounter, 0);
  return run(key, iv, data);
}

/** Encrypts/decrypts `data` with initial counter 0 (AKE). */
export function aesCtrZeroIv(key: Uint8Array, data: Uint8Array): Uint8Array {
  return run(key, new Uint8Array(16), data);
}
