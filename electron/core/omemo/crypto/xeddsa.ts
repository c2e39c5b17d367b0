// XEdDSA (Signal's "The XEdDSA and VXEdDSA Signature Schemes", rev. 1, §2.3,
// §3) and the Curve25519 <-> Ed25519 conversions OMEMO needs. OMEMO 0.3
// (eu.siacs.conversations.axolotl) identities are Curve25519 keys that sign
// their signed prekey with XEdDSA; urn:xmpp:omemo:2 identities are Ed25519 keys
// that take part in X3DH through their Montgomery form (RFC 7748 §4.1).
// Point arithmetic for XEdDSA signing and the key conversions from
// @noble/curves; X25519 and Ed25519 verification through node:crypto
// (OpenSSL), which is more than ten times faster and gives the same answers
// (tests/unit/omemo-vectors.test.ts); SHA-512 from node:crypto.
//
// @example
//   const sig = xeddsaSign(curvePriv, message, random(64));
//   xeddsaVerify(x25519PublicKey(curvePriv), message, sig) === true
import {
  createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject,
} from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { mod } from '@noble/curves/abstract/modular.js';
import { OmemoError } from '../errors.js';
import { bytesEqual } from '../bytes.js';
import { secureRandom, type RandomSource } from '../../otr/random.js';

const P = 2n ** 255n - 19n;
const L = ed25519.Point.Fn.ORDER;
const Point = ed25519.Point;
// No base-point table: @noble builds one in the turn of its first multiplication (~30 ms here with its default
// window of 6, ~6 ms with none), a stall of the main loop when the first signed prekey is made; XEdDSA signs
// only a signed prekey now and then (~2 ms a multiplication without the table). Everything else is native.
Point.BASE.precompute(1);

// Through hex: one BigInt parse or print instead of 32 BigInt shifts (a few µs per key conversion).
function leToBigint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`);
}

function bigintToLe32(n: bigint): Uint8Array {
  if (n < 0n || n >= 2n ** 256n) throw new RangeError('bigintToLe32: out of range');
  return new Uint8Array(Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse());
}

function sha512(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new OmemoError('malformed', `${what} must be ${length} bytes`);
  }
}

/** RFC 7748 clamping of a Curve25519 private scalar. */
export function clampPrivateKey(priv: Uint8Array): Uint8Array {
  requireLength(priv, 32, 'private key');
  const out = Uint8Array.from(priv);
  out[0] = out[0]! & 248;
  out[31] = (out[31]! & 127) | 64;
  return out;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
// Private keys go to node:crypto as PEM strings: given an object (a JWK, or DER with options), Node 24 first runs
// brand checks that throw and catch for anything not a KeyObject, four per import (~10 µs with their stack traces;
// see ../../secret-key.ts). Public keys, imported for every new peer key, go as JWKs without stack traces (below).
const pem = (label: 'PRIVATE KEY', derPrefix: string, raw: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${b64(concatDer(derPrefix, raw))}\n-----END ${label}-----\n`;
const concatDer = (prefixHex: string, raw: Uint8Array): Uint8Array => Buffer.concat([Buffer.from(prefixHex, 'hex'), raw]);

/**
 * A peer's public key as a KeyObject, from its raw bytes as a JWK: no PEM and DER decoders in OpenSSL (~10 µs of a
 * PEM import). Node's brand checks throw and catch for a JWK (see above); what makes a throw slow is the stack
 * trace it captures, so none is captured here: 7 µs instead of 25 (9 through PEM). Nothing else runs meanwhile.
 */
function publicKeyObject(crv: 'X25519' | 'Ed25519', raw: Uint8Array): KeyObject {
  const jwk = { kty: 'OKP', crv, x: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url') };
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** DER in front of a raw 32-byte private key: PKCS#8 with the OID of X25519 (1.3.101.110) or Ed25519 (1.3.101.112). */
const X25519_PKCS8_PREFIX = '302e020100300506032b656e04220420';
const ED25519_PKCS8_PREFIX = '302e020100300506032b657004220420';
/** Private key objects by key bytes: ratchet and identity keys are used many times. */
const privateKeyObjects = new WeakMap<Uint8Array, KeyObject>();

function x25519PrivateKeyObject(priv: Uint8Array): KeyObject {
  let key = privateKeyObjects.get(priv);
  if (!key) {
    key = createPrivateKey(pem('PRIVATE KEY', X25519_PKCS8_PREFIX, priv));
    privateKeyObjects.set(priv, key);
  }
  return key;
}

/**
 * A small cache by key bytes for values derived from public keys, which come back often (X3DH uses the signed
 * prekey and the ephemeral key three times each, the ratchet a peer's key twice; a contact's identity in every
 * session). The newest `size` keys, looked up by comparing bytes from the newest back: most comparisons end at the
 * first byte, cheaper than building a string key for a Map (a miss then costs about a microsecond less).
 */
class PublicCache<T> {
  private readonly entries: { bytes: Uint8Array; value: T }[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  get(key: Uint8Array, make: () => T): T {
    const entries = this.entries;
    for (let i = 1; i <= entries.length; i++) {
      const entry = entries[(this.next - i + this.size) % this.size]!;
      if (bytesEqual(entry.bytes, key)) return entry.value;
    }
    const value = make();
    entries[this.next] = { bytes: Uint8Array.from(key), value };
    this.next = (this.next + 1) % this.size;
    return value;
  }
}

const x25519PublicKeyObjects = new PublicCache<KeyObject>(64);
const ed25519PublicKeyObjects = new PublicCache<KeyObject>(64);

const publicKeys = new WeakMap<Uint8Array, Uint8Array>();

export function x25519PublicKey(priv: Uint8Array): Uint8Array {
  requireLength(priv, 32, 'private key');
  let pub = publicKeys.get(priv);
  if (!pub) {
    const jwk = createPublicKey(x25519PrivateKeyObject(priv)).export({ format: 'jwk' }); // no brand checks: a KeyObject
    pub = new Uint8Array(Buffer.from(String(jwk.x), 'base64url'));
    publicKeys.set(priv, pub);
  }
  return Uint8Array.from(pub);
}

/**
 * A fresh X25519 private key (ephemeral and ratchet keys). With the default CSPRNG, OpenSSL makes the pair: one
 * scalar multiplication, where random bytes imported as a key cost that plus the import (~14 µs, a third more),
 * and the public key comes with it. An injected source (deterministic tests) is used as given.
 */
export function x25519NewPrivateKey(random: RandomSource): Uint8Array {
  if (random !== secureRandom) {
    const priv = random(32);
    if (!(priv instanceof Uint8Array) || priv.length !== 32) throw new RangeError('random source returned the wrong length');
    return priv;
  }
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' }); // d and x
  const priv = new Uint8Array(Buffer.from(String(jwk.d), 'base64url'));
  privateKeyObjects.set(priv, privateKey);
  publicKeys.set(priv, new Uint8Array(Buffer.from(String(jwk.x), 'base64url')));
  return priv;
}

/** X25519; a low-order public key (all-zero result, refused by OpenSSL) is rejected as 'bad-key'. */
export function x25519SharedSecret(priv: Uint8Array, pub: Uint8Array): Uint8Array {
  requireLength(priv, 32, 'private key');
  requireLength(pub, 32, 'public key');
  let shared: Uint8Array;
  try {
    const publicKey = x25519PublicKeyObjects.get(pub, () => publicKeyObject('X25519', pub));
    shared = new Uint8Array(diffieHellman({ privateKey: x25519PrivateKeyObject(priv), publicKey }));
  } catch {
    throw new OmemoError('bad-key', 'X25519 with an unusable public key');
  }
  if (shared.every((b) => b === 0)) throw new OmemoError('bad-key', 'X25519 shared secret is all zero');
  return shared;
}

/**
 * Ed25519 public key -> Curve25519 public key (u = (1+y)/(1-y), RFC 7748
 * §4.1). Only y is needed; a key that is no curve point or of small order
 * fails later where it is used (signature check, X25519's all-zero result).
 */
export function ed25519PublicToCurve25519(edPub: Uint8Array): Uint8Array {
  requireLength(edPub, 32, 'Ed25519 public key');
  // A field inversion in BigInt (tens of µs), for a contact's identity in every session: once per key.
  return Uint8Array.from(curveForms.get(edPub, () => edToCurve(edPub)));
}

const curveForms = new PublicCache<Uint8Array>(64);
const edwardsForms = [new PublicCache<Uint8Array>(64), new PublicCache<Uint8Array>(64)] as const;

/**
 * a^-1 mod p for 0 < a < p = 2^255 - 19: Lehmer's extended Euclid (Knuth, TAOCP vol. 2, §4.5.2, Algorithm L).
 * The quotients come from the leading 48 bits of both numbers in doubles, where they are exact, and are applied to
 * the BigInts a batch at a time: a conversion costs about 10 µs where @noble's Euclid, one BigInt division per
 * quotient, takes 25 (a contact's key in every new session). Checked against @noble's `invert` in
 * tests/unit/omemo-vectors.test.ts.
 */
export function invertModP(a: bigint): bigint {
  if (a <= 0n || a >= P) throw new RangeError('invertModP: out of range');
  let u = P;
  let v = a;
  let xu = 0n; // xu * a ≡ u, xv * a ≡ v (mod p)
  let xv = 1n;
  while (v !== 0n) {
    // Math.log2 of the rounded double may say one bit more, never fewer: the leading parts stay below 2^49.
    const bits = Math.floor(Math.log2(Number(u))) + 1;
    const shift = bits > 48 ? BigInt(bits - 48) : 0n;
    let uh = Number(u >> shift);
    let vh = Number(v >> shift);
    let A = 1;
    let B = 0;
    let C = 0;
    let D = 1;
    for (;;) {
      if (vh + C === 0 || vh + D === 0) break;
      const q = Math.floor((uh + A) / (vh + C));
      if (q !== Math.floor((uh + B) / (vh + D))) break;
      [A, C] = [C, A - q * C];
      [B, D] = [D, B - q * D];
      [uh, vh] = [vh, uh - q * vh];
    }
    if (B === 0) {
      // The leading parts decided nothing: one full Euclid step.
      const q = u / v;
      [u, v] = [v, u - q * v];
      [xu, xv] = [xv, xu - q * xv];
    } else {
      const [bA, bB, bC, bD] = [BigInt(A), BigInt(B), BigInt(C), BigInt(D)];
      [u, v] = [bA * u + bB * v, bC * u + bD * v];
      [xu, xv] = [bA * xu + bB * xv, bC * xu + bD * xv];
    }
  }
  return mod(xu, P); // u is gcd(p, a) = 1 here: p is prime
}

function edToCurve(edPub: Uint8Array): Uint8Array {
  const yBytes = Uint8Array.from(edPub);
  yBytes[31] = yBytes[31]! & 0x7f;
  const y = leToBigint(yBytes);
  if (y >= P || y === 1n) throw new OmemoError('bad-key', 'Ed25519 public key out of range');
  return bigintToLe32(mod((1n + y) * invertModP(mod(1n - y, P)), P));
}

/** Curve25519 public key -> Ed25519 public key (y = (u-1)/(u+1)) with the given sign bit. */
export function curve25519PublicToEd25519(curvePub: Uint8Array, signBit: 0 | 1): Uint8Array {
  requireLength(curvePub, 32, 'Curve25519 public key');
  return Uint8Array.from(edwardsForms[signBit].get(curvePub, () => curveToEd(curvePub, signBit)));
}

function curveToEd(curvePub: Uint8Array, signBit: 0 | 1): Uint8Array {
  const u = leToBigint(curvePub);
  if (u >= P || u === P - 1n) throw new OmemoError('bad-key', 'Curve25519 public key out of range');
  const y = mod((u - 1n) * invertModP(u + 1n), P);
  const out = bigintToLe32(y);
  out[31] = out[31]! | (signBit << 7);
  return out;
}

/** XEdDSA hash_1 prefix: the 32-byte little-endian encoding of 2^256 - 1 - 1. */
const HASH1_PREFIX = Uint8Array.from([0xfe, ...new Array<number>(31).fill(0xff)]);

/**
 * XEdDSA signature with a Curve25519 private key (the sign bit of the Edwards
 * public key is forced to 0, so the signature verifies under the Montgomery
 * public key alone). `nonce` is 64 random bytes (Z).
 */
export function xeddsaSign(curvePriv: Uint8Array, message: Uint8Array, nonce: Uint8Array): Uint8Array {
  requireLength(nonce, 64, 'XEdDSA nonce');
  const kBytes = clampPrivateKey(curvePriv);
  const k = leToBigint(kBytes);
  const E = Point.BASE.multiply(mod(k, L));
  const A = E.toBytes();
  const negative = (A[31]! & 0x80) !== 0;
  A[31] = A[31]! & 0x7f;
  // As libsignal's xed25519_sign: a is k itself when E's sign is 0, else -k mod q.
  const aBytes = negative ? bigintToLe32(mod(-k, L)) : kBytes;
  const a = mod(leToBigint(aBytes), L);
  const r = mod(leToBigint(sha512(HASH1_PREFIX, aBytes, message, nonce)), L);
  const R = Point.BASE.multiply(r === 0n ? L : r).toBytes();
  const h = mod(leToBigint(sha512(R, A, message)), L);
  const s = mod(r + h * a, L);
  const signature = new Uint8Array(64);
  signature.set(R, 0);
  signature.set(bigintToLe32(s), 32);
  return signature;
}

/**
 * XEdDSA verification under a Curve25519 public key. libsignal's older
 * signatures (and python-oldmemo's) carry the Edwards sign bit in the top bit
 * of the last signature byte; it is honoured and cleared before verifying.
 */
export function xeddsaVerify(curvePub: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  if (!(curvePub instanceof Uint8Array) || curvePub.length !== 32) return false;
  const signBit = (signature[63]! >> 7) as 0 | 1;
  const sig = Uint8Array.from(signature);
  sig[63] = sig[63]! & 0x7f;
  let edPub: Uint8Array;
  try {
    edPub = curve25519PublicToEd25519(curvePub, signBit);
  } catch {
    return false;
  }
  return ed25519Verify(edPub, message, sig);
}

/** RFC 8032 Ed25519 verification (OpenSSL); any malformed input is simply "does not verify". */
export function ed25519Verify(edPub: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || edPub.length !== 32) return false;
  try {
    const key = ed25519PublicKeyObjects.get(edPub, () => publicKeyObject('Ed25519', edPub));
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Ed25519 private key objects by seed (OpenSSL derives the public key on import). */
const ed25519PrivateKeyObjects = new WeakMap<Uint8Array, KeyObject>();

function ed25519PrivateKeyObject(seed: Uint8Array): KeyObject {
  let key = ed25519PrivateKeyObjects.get(seed);
  if (!key) {
    key = createPrivateKey(pem('PRIVATE KEY', ED25519_PKCS8_PREFIX, seed));
    ed25519PrivateKeyObjects.set(seed, key);
  }
  return key;
}

/**
 * Ed25519 key pair from a 32-byte seed (RFC 8032): the public key and the matching X25519 private key. Native
 * (OpenSSL): @noble's first base-point multiplication builds its tables, tens of ms of one turn.
 */
export function ed25519FromSeed(seed: Uint8Array): { edPub: Uint8Array; curvePriv: Uint8Array } {
  requireLength(seed, 32, 'Ed25519 seed');
  const jwk = createPublicKey(ed25519PrivateKeyObject(seed)).export({ format: 'jwk' });
  return { edPub: new Uint8Array(Buffer.from(String(jwk.x), 'base64url')), curvePriv: ed25519SeedToCurvePrivate(seed) };
}

/** The X25519 private key of an Ed25519 seed: the clamped first half of SHA-512(seed) (RFC 8032 §5.1.5). */
export function ed25519SeedToCurvePrivate(seed: Uint8Array): Uint8Array {
  requireLength(seed, 32, 'Ed25519 seed');
  return clampPrivateKey(sha512(seed).slice(0, 32));
}

/** RFC 8032 Ed25519 signature with a seed (deterministic). */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  requireLength(seed, 32, 'Ed25519 seed');
  return new Uint8Array(nodeSign(null, message, ed25519PrivateKeyObject(seed))); // deterministic: the same bytes as @noble's
}
