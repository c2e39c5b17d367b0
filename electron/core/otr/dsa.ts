// Long-term DSA keys, Protocol-v3 "Public keys, signatures, and
// fingerprints": PUBKEY encoding (type 0x0000 + MPIs p, q, g, y), SIG = r || s
// (each left-padded to the byte length of q), fingerprints (SHA-1 of the
// PUBKEY without the type). As in libotr (and the "Reveal Signature Message"
// section), the signed 32-byte value is used as an integer mod q: not hashed
// again, not truncated.
import { createDiffieHellman, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type DiffieHellman } from 'node:crypto';
import { Der } from './der.js';
import { scrubAfterTurn } from './dh.js';
import type { RandomSource } from './random.js';
import { OtrParseError, Reader, Writer, bigintToBytes, bigintToFixed, bytesToBigint } from './wire.js';

export interface DsaPublicKey {
  p: bigint;
  q: bigint;
  g: bigint;
  y: bigint;
}

export interface DsaPrivateKey extends DsaPublicKey {
  x: bigint;
}

export const PUBKEY_TYPE_DSA = 0x0000;
const MIN_P_BITS = 1024;
const MAX_P_BITS = 3072;
const MIN_Q_BITS = 160;
const MAX_Q_BITS = 256;
/** Our own key's limits (libotr makes DSA-1024/160; OTR signs a 160-bit value mod q). */
export const OWN_KEY_MAX_P_BITS = MAX_P_BITS;
export const OWN_KEY_Q_BITS = 160;

// ---- BigInt arithmetic ----

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function byteLength(n: bigint): number {
  return Math.ceil(bitLength(n) / 8);
}

/** base^exp mod m, left-to-right with a 4-bit fixed window. For public data. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m <= 0n || exp < 0n) throw new RangeError('modPow: bad arguments');
  if (m === 1n) return 0n;
  const b = ((base % m) + m) % m;
  const table: bigint[] = [1n];
  for (let i = 1; i < 16; i++) table.push(((table[i - 1] as bigint) * b) % m);
  let result = 1n;
  const hex = exp.toString(16);
  for (const digit of hex) {
    for (let i = 0; i < 4; i++) result = (result * result) % m;
    const d = Number.parseInt(digit, 16);
    if (d !== 0) result = (result * (table[d] as bigint)) % m;
  }
  return result;
}

/**
 * Inverse of a mod a prime m, a not a multiple of m (extended Euclid: a fifth of the time of Fermat's
 * a^(m-2) with BigInt, which took 5 % of an AKE). Its running time depends on a: for a secret a, use
 * blindedInverse.
 */
function modInversePrime(a: bigint, m: bigint): bigint {
  let r0 = m;
  let r1 = ((a % m) + m) % m;
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const quotient = r0 / r1;
    const r2 = r0 - quotient * r1;
    r0 = r1;
    r1 = r2;
    const t2 = t0 - quotient * t1;
    t0 = t1;
    t1 = t2;
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return t0 < 0n ? t0 + m : t0;
}

/** 1/k mod q for a secret k: Euclid sees only k·b for a fresh random b, which says nothing about k. */
function blindedInverse(k: bigint, q: bigint, random: RandomSource): bigint {
  const b = randomScalar(q, random);
  return (modInversePrime((k * b) % q, q) * b) % q;
}

// Native DH contexts for (p, g), cached per key object: constructing one runs
// OpenSSL's (slow) parameter check, reusing it with setPrivateKey is cheap.
const nativeContexts = new WeakMap<DsaPublicKey, DiffieHellman>();
// The same by (p, g) for peers' keys, which arrive as new objects in every AKE (public values; a few).
const MAX_SHARED_CONTEXTS = 16;
const sharedContexts = new Map<string, DiffieHellman>();

function nativeContext(key: DsaPublicKey): DiffieHellman {
  let dh = nativeContexts.get(key);
  if (!dh) {
    const id = `${key.p.toString(16)}/${key.g.toString(16)}`;
    dh = sharedContexts.get(id);
    if (!dh) {
      const pLen = byteLength(key.p);
      dh = createDiffieHellman(Buffer.from(bigintToFixed(key.p, pLen)), Buffer.from(bigintToFixed(key.g, pLen)));
      if (sharedContexts.size >= MAX_SHARED_CONTEXTS) sharedContexts.delete(sharedContexts.keys().next().value as string);
      sharedContexts.set(id, dh);
    }
    nativeContexts.set(key, dh);
  }
  return dh;
}

/**
 * g^e1 · y^e2 mod p natively for public exponents (signature verification): g^e1 as a DH public
 * key, y^e2 as the DH secret of the "private key" e2 with y. Node's BigInt modPow took a fifth of an AKE.
 */
function publicModPow2(key: DsaPublicKey, e1: bigint, e2: bigint): bigint {
  const dh = nativeContext(key);
  // Public exponents: nothing to clear afterwards (the object is cleared at the end of a turn that signed).
  dh.setPrivateKey(Buffer.from(bigintToFixed(e1, Math.max(1, byteLength(e1)))));
  const ge1 = bytesToBigint(dh.generateKeys());
  dh.setPrivateKey(Buffer.from(bigintToFixed(e2, Math.max(1, byteLength(e2)))));
  const ye2 = bytesToBigint(dh.computeSecret(Buffer.from(bigintToFixed(key.y, byteLength(key.p)))));
  return (ge1 * ye2) % key.p;
}

/** g^k mod p computed natively (OpenSSL constant-time modexp) for secret k. */
function secretModPow(key: DsaPublicKey, k: bigint): bigint {
  const dh = nativeContext(key);
  const kBytes = Buffer.from(bigintToFixed(k, byteLength(k)));
  scrubAfterTurn(dh); // don't leave k in the cached context
  dh.setPrivateKey(kBytes);
  const out = bytesToBigint(dh.generateKeys());
  kBytes.fill(0);
  return out;
}

/** Uniform integer in [1, q-1] (extra 64 bits make the mod bias negligible). */
function randomScalar(q: bigint, random: RandomSource): bigint {
  for (;;) {
    const bytes = random(byteLength(q) + 8);
    const k = (bytesToBigint(bytes) % (q - 1n)) + 1n;
    bytes.fill(0);
    if (k > 0n && k < q) return k;
  }
}

// ---- DER (just enough for node:crypto's PKCS#8 DSA export; the reader is der.ts) ----

function derTlv(tag: number, body: Buffer): Buffer {
  const length: number[] = [];
  for (let n = body.length; n > 0; n = Math.floor(n / 256)) length.unshift(n % 256);
  const header = body.length < 0x80 ? [tag, body.length] : [tag, 0x80 | length.length, ...length];
  return Buffer.concat([Buffer.from(header), body]);
}

function derInteger(n: bigint): Buffer {
  const raw = Buffer.from(bigintToBytes(n));
  return derTlv(0x02, raw.length === 0 || (raw[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
}

const ID_DSA = Buffer.from('06072a8648ce380401', 'hex'); // OID 1.2.840.10040.4.1

function parsePkcs8Dsa(der: Uint8Array): { p: bigint; q: bigint; g: bigint; x: bigint } {
  const d = new Der(der);
  d.enter(0x30); // PrivateKeyInfo
  d.integer(); // version
  d.enter(0x30); // AlgorithmIdentifier
  d.skip(0x06); // id-dsa
  d.enter(0x30); // Dss-Parms
  const p = d.integer();
  const q = d.integer();
  const g = d.integer();
  d.enter(0x04); // privateKey OCTET STRING
  const x = d.integer();
  return { p, q, g, x };
}

// ---- Checking a private key read from a file ----

/**
 * Why (p, q, g, y, x) cannot be our own OTR key, or undefined. Sizes and
 * ranges only, no arithmetic: cheap for any input, so it runs before the
 * (native) checks below and a crafted key file cannot stall the main loop.
 */
export function ownKeyProblem(key: DsaPrivateKey): string | undefined {
  const pBits = bitLength(key.p);
  const qBits = bitLength(key.q);
  if (pBits < MIN_P_BITS || pBits > OWN_KEY_MAX_P_BITS || (key.p & 1n) === 0n) {
    return `its DSA p has ${pBits} bits (OTR keys have ${MIN_P_BITS} to ${OWN_KEY_MAX_P_BITS}, libotr's ${MIN_P_BITS})`;
  }
  if (qBits !== OWN_KEY_Q_BITS || (key.q & 1n) === 0n) return `its DSA q has ${qBits} bits (OTR keys have ${OWN_KEY_Q_BITS})`;
  if (key.g <= 1n || key.g >= key.p) return 'its DSA g is out of range';
  if (key.y <= 1n || key.y >= key.p) return 'its DSA y is out of range';
  if (key.x <= 0n || key.x >= key.q) return 'its DSA x is out of range';
  return undefined;
}

/**
 * g^x mod p computed by OpenSSL (constant-time, native): it derives the
 * public value when it loads a DSA private key. Unlike a DiffieHellman
 * context this runs no primality test on p (hundreds of ms for 3072 bits).
 * Throws if OpenSSL refuses the numbers. Callers check sizes first.
 */
function nativeDsaPublicValue(p: bigint, q: bigint, g: bigint, x: bigint): bigint {
  const params = derTlv(0x30, Buffer.concat([derInteger(p), derInteger(q), derInteger(g)]));
  const secret = derInteger(x);
  const pkcs8 = derTlv(0x30, Buffer.concat([derInteger(0n), derTlv(0x30, Buffer.concat([ID_DSA, params])), derTlv(0x04, secret)]));
  try {
    const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
    const d = new Der(new Uint8Array(spki));
    d.enter(0x30); // SubjectPublicKeyInfo
    d.skip(0x30); // AlgorithmIdentifier
    d.enterBitString();
    return d.integer();
  } finally {
    secret.fill(0);
    pkcs8.fill(0);
  }
}

/**
 * Whether the parts of a private key belong together: y = g^x mod p and g
 * has order q (g^(q-1) * g = 1 mod p), so that signatures made with it
 * verify. Both exponentiations native; false (never a throw) for a key that
 * fails `ownKeyProblem`, which is checked first.
 */
export function ownKeyIsConsistent(key: DsaPrivateKey): boolean {
  if (ownKeyProblem(key) !== undefined) return false;
  try {
    if (nativeDsaPublicValue(key.p, key.q, key.g, key.x) !== key.y) return false;
    return (nativeDsaPublicValue(key.p, key.q, key.g, key.q - 1n) * key.g) % key.p === 1n;
  } catch {
    return false;
  }
}

// ---- Keys ----

/**
 * New DSA-1024/160 key. Domain parameters always come from node:crypto; the
 * private exponent comes from `random` when given (else from node:crypto).
 */
export function generateDsaKey(random?: RandomSource): DsaPrivateKey {
  const { privateKey } = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 });
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const { p, q, g, x: nativeX } = parsePkcs8Dsa(new Uint8Array(der));
  der.fill(0);
  const x = random ? randomScalar(q, random) : nativeX;
  const key: DsaPrivateKey = { p, q, g, x, y: 0n };
  key.y = secretModPow(key, x);
  return key;
}

export function publicPart(key: DsaPublicKey): DsaPublicKey {
  return { p: key.p, q: key.q, g: key.g, y: key.y };
}

/** Byte length of r and s in a signature made by `key`. */
export function signatureLength(key: DsaPublicKey): number {
  return 2 * byteLength(key.q);
}

// ---- Signatures ----

/** Signs the integer (m mod q). Returns r || s, each left-padded to |q| bytes. */
export function dsaSign(key: DsaPrivateKey, m: Uint8Array, random: RandomSource): Uint8Array {
  const { q, x } = key;
  const qLen = byteLength(q);
  const h = bytesToBigint(m) % q;
  for (;;) {
    const k = randomScalar(q, random);
    const r = secretModPow(key, k) % q;
    if (r === 0n) continue;
    const s = (blindedInverse(k, q, random) * ((h + x * r) % q)) % q;
    if (s === 0n) continue;
    const out = new Uint8Array(2 * qLen);
    out.set(bigintToFixed(r, qLen), 0);
    out.set(bigintToFixed(s, qLen), qLen);
    return out;
  }
}

/** Verifies r || s over (m mod q). Returns false on any malformed input. */
export function dsaVerify(key: DsaPublicKey, m: Uint8Array, signature: Uint8Array): boolean {
  try {
    const { p, q, g, y } = key;
    if (p < 3n || q < 3n || g < 2n || g >= p || y < 2n || y >= p) return false;
    const qLen = byteLength(q);
    if (signature.length !== 2 * qLen) return false;
    const r = bytesToBigint(signature.subarray(0, qLen));
    const s = bytesToBigint(signature.subarray(qLen));
    if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
    const w = modInversePrime(s, q);
    const u1 = ((bytesToBigint(m) % q) * w) % q;
    const u2 = (r * w) % q;
    // u1, u2 in [1, q): r, s, w are non-zero mod the prime q; h may be 0 (then g^0 = 1).
    const v = (u1 === 0n ? modPow(y, u2, p) : publicModPow2(key, u1, u2)) % q;
    return v === r;
  } catch {
    return false;
  }
}

// ---- Encoding and fingerprints ----

/** PUBKEY: SHORT type 0x0000, then MPIs p, q, g, y. */
export function encodePublicKey(key: DsaPublicKey): Uint8Array {
  return new Writer().short(PUBKEY_TYPE_DSA).mpi(key.p).mpi(key.q).mpi(key.g).mpi(key.y).bytes();
}

/** Reads a PUBKEY; rejects other key types and implausible DSA parameters. */
export function decodePublicKey(reader: Reader): DsaPublicKey {
  const type = reader.short();
  if (type !== PUBKEY_TYPE_DSA) throw new OtrParseError(`unsupported public key type ${type}`);
  const p = reader.mpi(MAX_P_BITS / 8);
  const q = reader.mpi(MAX_Q_BITS / 8);
  const g = reader.mpi(MAX_P_BITS / 8);
  const y = reader.mpi(MAX_P_BITS / 8);
  const pBits = bitLength(p);
  const qBits = bitLength(q);
  if (pBits < MIN_P_BITS || pBits > MAX_P_BITS || (p & 1n) === 0n) throw new OtrParseError('bad DSA p');
  if (qBits < MIN_Q_BITS || qBits > MAX_Q_BITS || (q & 1n) === 0n) throw new OtrParseError('bad DSA q');
  if (g < 2n || g >= p) throw new OtrParseError('bad DSA g');
  if (y < 2n || y >= p) throw new OtrParseError('bad DSA y');
  return { p, q, g, y };
}

/** SHA-1 of the PUBKEY encoding without its 2-byte type (type 0 exception). */
export function fingerprint(key: DsaPublicKey): Uint8Array {
  const encoded = encodePublicKey(key);
  return new Uint8Array(createHash('sha1').update(encoded.subarray(2)).digest());
}

/** libotr's human form: five groups of 8 uppercase hex digits. */
export function formatFingerprint(fp: Uint8Array): string {
  if (fp.length !== 20) throw new RangeError('fingerprint must be 20 bytes');
  const hex = Buffer.from(fp).toString('hex').toUpperCase();
  return (hex.match(/.{8}/g) ?? []).join(' ');
}
