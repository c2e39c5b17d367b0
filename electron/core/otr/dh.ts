// Diffie-Hellman over the 1536-bit MODP group of RFC 3526 (group 5), g = 2,
// as required by Protocol-v3 "Encoded messages" (the D-H group). Private keys
// are 320 random bits ("Authenticated Key Exchange": x, y "at least 320
// bits", libotr uses exactly 320). Modular exponentiation is native
// (node:crypto DiffieHellman).
import { createDiffieHellman, type DiffieHellman } from 'node:crypto';
import type { RandomSource } from './random.js';
import { bigintToFixed, bytesToBigint } from './wire.js';

const PRIME_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1' +
  '29024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245' +
  'E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D' +
  'C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D' +
  '670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF';

export const DH_PRIME: bigint = BigInt(`0x${PRIME_HEX}`);
export const DH_GENERATOR = 2n;
export const DH_MODULUS_MINUS_2: bigint = DH_PRIME - 2n;
/** Byte length of the modulus (192). */
export const DH_PRIME_BYTES = 192;
/** Private key size used by libotr (bits). */
export const DH_PRIVATE_BITS = 320;

const PRIME_BUFFER = Buffer.from(PRIME_HEX, 'hex');
const GENERATOR_BUFFER = Buffer.from([2]);

/** Spec: a legal D-H public value satisfies 2 <= x <= p-2. */
export function isValidDhPublic(x: bigint): boolean {
  return x >= 2n && x <= DH_MODULUS_MINUS_2;
}

/**
 * One native object for the group, for the whole process; each use sets its private key first. Node 24
 * (OpenSSL 3.5; Electron 41's Node) checks the prime in every createDiffieHellman: ~0.6 s of one turn per
 * key pair, i.e. per AKE and per key rotation, where Node 20 took microseconds.
 */
let sharedGroup: DiffieHellman | undefined;
/** Left in a native object after use, so that no private key stays there. */
const NO_KEY = Buffer.from([2]);
/** Native objects that held a private exponent in this turn (cleared when it ends). */
const toScrub = new Set<DiffieHellman>();

/**
 * Call before `dh.setPrivateKey(secret)`: the object gets NO_KEY back once the current synchronous work is done
 * (a microtask), so a secret exponent stays in native memory only for the turn that uses it. One clearing per
 * turn instead of one per exponentiation: setPrivateKey costs 12–30 µs here, and an AKE step makes several.
 */
export function scrubAfterTurn(dh: DiffieHellman): void {
  if (toScrub.size === 0) queueMicrotask(scrubAll);
  toScrub.add(dh);
}

function scrubAll(): void {
  for (const dh of toScrub) dh.setPrivateKey(NO_KEY);
  toScrub.clear();
}

/** The group's one native object (SMP's exponentiations use it too); throws where crypto has no finite-field DH. */
export function sharedDhGroup(): DiffieHellman {
  return (sharedGroup ??= createDiffieHellman(PRIME_BUFFER, GENERATOR_BUFFER));
}

/** `use` with the group's native object holding `privateBytes` as its private key. */
function withPrivateKey<T>(privateBytes: Buffer, use: (dh: DiffieHellman) => T): T {
  const dh = sharedDhGroup();
  scrubAfterTurn(dh);
  dh.setPrivateKey(privateBytes);
  return use(dh);
}

export class DhKeyPair {
  readonly publicKey: bigint;
  private privateBytes: Buffer;
  private isWiped = false;

  private constructor(privateBytes: Buffer) {
    const x = bytesToBigint(privateBytes);
    if (x < 1n || x >= DH_PRIME - 1n) throw new RangeError('invalid DH private key');
    this.privateBytes = privateBytes;
    this.publicKey = bytesToBigint(withPrivateKey(privateBytes, (dh) => dh.generateKeys()));
    if (!isValidDhPublic(this.publicKey)) throw new RangeError('degenerate DH private key');
  }

  /** Fresh key pair with a 320-bit private exponent. */
  static generate(random: RandomSource): DhKeyPair {
    for (;;) {
      const bytes = Buffer.from(random(DH_PRIVATE_BITS / 8));
      if (bytes.length !== DH_PRIVATE_BITS / 8) throw new Error('random source returned wrong length');
      // x = 0 or 1 would give a degenerate public key (astronomically unlikely).
      if (bytesToBigint(bytes) > 1n) return new DhKeyPair(bytes);
    }
  }

  static fromPrivate(x: bigint): DhKeyPair {
    if (x < 2n || x >= DH_PRIME - 1n) throw new RangeError('invalid DH private key');
    return new DhKeyPair(Buffer.from(bigintToFixed(x, DH_PRIME_BYTES)));
  }

  /** s = theirPublic ^ x mod p. Throws on an out-of-range public value. */
  sharedSecret(theirPublic: bigint): bigint {
    if (this.isWiped) throw new Error('DH key pair has been wiped');
    if (!isValidDhPublic(theirPublic)) throw new RangeError('invalid DH public value');
    const s = bytesToBigint(withPrivateKey(this.privateBytes, (dh) => dh.computeSecret(Buffer.from(bigintToFixed(theirPublic, DH_PRIME_BYTES)))));
    if (s < 2n) throw new RangeError('degenerate DH shared secret');
    return s;
  }

  /** Best effort: zero our copy of the private key (the shared native object keeps it only until the turn ends). */
  wipe(): void {
    this.privateBytes.fill(0);
    this.isWiped = true;
  }

  get wiped(): boolean {
    return this.isWiped;
  }
}
