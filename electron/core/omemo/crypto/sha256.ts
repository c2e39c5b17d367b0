// SHA-256 (FIPS 180-4 §6.2), HMAC-SHA-256 (RFC 2104) and HKDF-SHA-256
// (RFC 5869) in plain JS for the short inputs of the ratchet and X3DH: chain
// keys, message keys, MACs over a few hundred bytes. Each is a handful of
// 64-byte blocks (~0.3 µs each here), where node:crypto's per-call cost (a
// KeyObject for the key, an HMAC or KDF context from the OpenSSL provider) is
// more than the hashing itself. Measured on the CI machine: a chain step (two
// MACs under one key) 8.5 µs through createHmac, 2.8 µs here; an HMAC over 130
// bytes 4.1 µs / 2.4 µs; HKDF to 80 bytes 8.2 µs through hkdfSync, 6.6 µs
// here. Long inputs (a payload's MAC) go to node:crypto, where the per-byte
// speed counts. Same answers as node:crypto (tests/unit/omemo-sha256.test.ts);
// no branch or table index depends on the data.
//
// @example
//   hkdf(ikm, new Uint8Array(32), OMEMO_INFO, 80)   // = hkdfSync('sha256', ikm, salt, info, 80)
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64);
const H = new Int32Array(8);

/** Inputs longer than this are hashed by node:crypto (see the header). */
export const JS_HASH_MAX_BYTES = 2048;

function compress(block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + 4 * i;
    W[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = H[0]!, b = H[1]!, c = H[2]!, d = H[3]!, e = H[4]!, f = H[5]!, g = H[6]!, h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

function toBytes(state: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = (v >>> 16) & 0xff;
    out[4 * i + 2] = (v >>> 8) & 0xff;
    out[4 * i + 3] = v & 0xff;
  }
  return out;
}

/**
 * SHA-256 of `prefixLength` bytes already compressed into `from` (0 and the IV
 * for a plain hash; 64 and an HMAC key's state) followed by the concatenation
 * of `parts`: one padded copy of the parts, then its blocks.
 */
/** Where messages are padded: reused while they fit (all of the ratchet's), zero between uses. */
const SCRATCH = new Uint8Array(1024);

function hashFrom(from: Int32Array, prefixLength: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  // Message, 0x80, zeros, 64-bit big-endian bit length: a whole number of blocks.
  const end = (length + 9 + 63) & ~63;
  const padded = end <= SCRATCH.length ? SCRATCH : new Uint8Array(end);
  let offset = 0;
  for (const part of parts) {
    padded.set(part, offset);
    offset += part.length;
  }
  padded[length] = 0x80;
  const bits = (prefixLength + length) * 8;
  padded[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
  padded[end - 4] = (bits >>> 24) & 0xff;
  padded[end - 3] = (bits >>> 16) & 0xff;
  padded[end - 2] = (bits >>> 8) & 0xff;
  padded[end - 1] = bits & 0xff;
  H.set(from);
  for (let i = 0; i < end; i += 64) compress(padded, i);
  padded.fill(0, 0, end); // it held the message (chain keys, key material); the scratch must be zero again
  const out = toBytes(H);
  H.fill(0);
  W.fill(0);
  return out;
}

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  return hashFrom(IV, 0, parts);
}

/** An HMAC-SHA-256 key with its padded blocks already compressed: each MAC under it costs two blocks fewer. */
export interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

export function hmacKey(key: Uint8Array): HmacKey {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  for (let i = 0; i < 64; i++) block[i] = block[i]! ^ 0x36;
  H.set(IV);
  compress(block, 0);
  const inner = H.slice();
  for (let i = 0; i < 64; i++) block[i] = block[i]! ^ 0x36 ^ 0x5c;
  H.set(IV);
  compress(block, 0);
  const outer = H.slice();
  block.fill(0);
  H.fill(0);
  W.fill(0);
  return { inner, outer };
}

/** HMAC-SHA-256 (RFC 2104) of the concatenation of `parts`. */
export function hmac(key: Uint8Array | HmacKey, ...parts: Uint8Array[]): Uint8Array {
  const k = key instanceof Uint8Array ? hmacKey(key) : key;
  const innerHash = hashFrom(k.inner, 64, parts);
  const mac = hashFrom(k.outer, 64, [innerHash]);
  innerHash.fill(0);
  return mac;
}

const ZERO_SALT = hmacKey(new Uint8Array(32));

/** HKDF-SHA-256 (RFC 5869): extract with `salt`, expand with `info` to `length` bytes (at most 255 * 32). */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * 32) throw new RangeError('HKDF output length out of range');
  // An empty salt is HashLen zeros (RFC 5869 §2.2); OMEMO's zero salt is that too.
  const zeroSalt = salt.length === 0 || (salt.length === 32 && salt.every((b) => b === 0));
  const prk = hmac(zeroSalt ? ZERO_SALT : salt, ikm);
  const prkKey = hmacKey(prk);
  prk.fill(0);
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++, offset += 32) {
    const block = hmac(prkKey, previous, info, Uint8Array.of(i));
    out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    previous.fill(0);
    previous = block;
  }
  previous.fill(0);
  prkKey.inner.fill(0);
  prkKey.outer.fill(0);
  return out;
}
