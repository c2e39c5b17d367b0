/**
 * D-H over the RFC 3526 1536-bit MODP group (Protocol-v3 "Encoded messages"):
 * constants, range checks, 320-bit private keys, and shared secrets against a
 * plain BigInt reference, including a secret with a leading zero byte.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { getDiffieHellman } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { DH_GENERATOR, DH_MODULUS_MINUS_2, DH_PRIME, DhKeyPair, isValidDhPublic, sharedDhGroup } from '../../electron/core/otr/dh.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';
import { powMod } from '../../electron/core/otr/smp-group.js';
import { bytesToBigint } from '../../electron/core/otr/wire.js';

/** Reference: right-to-left square-and-multiply, written independently of the code under test. */
function refModPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

const privateFrom = (seed: string): bigint => bytesToBigint(deterministicRandom(seed)(40));

// Found by search: the secret between these two keys is 1528 bits long, i.e.
// its 192-byte big-endian form starts with a 0x00 byte.
const LEADING_ZERO_A = privateFrom('lz-a');
const LEADING_ZERO_B = BigInt('0xf52f47bc7a04021a1b33f7c5c1c7af564c17521fc2012f75db84e43f635614d549c6b1626a7060e8');

describe('DH group', () => {
  test('the prime is RFC 3526 group 5 (as shipped by OpenSSL), g = 2', () => {
    assert.equal(DH_PRIME, bytesToBigint(getDiffieHellman('modp5').getPrime()));
    assert.equal(DH_PRIME.toString(2).length, 1536);
    assert.equal(DH_GENERATOR, 2n);
    assert.equal(DH_MODULUS_MINUS_2, DH_PRIME - 2n);
    assert.ok(DH_PRIME.toString(16).toUpperCase().startsWith('FFFFFFFFFFFFFFFFC90FDAA22168C234'));
  });

  test('isValidDhPublic: 2 <= x <= p-2', () => {
    assert.equal(isValidDhPublic(-1n), false);
    assert.equal(isValidDhPublic(0n), false);
    assert.equal(isValidDhPublic(1n), false);
    assert.equal(isValidDhPublic(2n), true);
    assert.equal(isValidDhPublic(DH_PRIME - 2n), true);
    assert.equal(isValidDhPublic(DH_PRIME - 1n), false);
    assert.equal(isValidDhPublic(DH_PRIME), false);
    assert.equal(isValidDhPublic(DH_PRIME + 5n), false);
  });
});

describe('DhKeyPair', () => {
  test('generate draws 320 bits and publicKey = 2^x mod p', () => {
    const requests: number[] = [];
    const rnd = deterministicRandom('dh-gen');
    const kp = DhKeyPair.generate((n) => {
      requests.push(n);
      return rnd(n);
    });
    assert.deepEqual(requests, [40]);
    assert.equal(kp.publicKey, refModPow(2n, privateFrom('dh-gen'), DH_PRIME));
    // Deterministic given the same random source.
    assert.equal(DhKeyPair.generate(deterministicRandom('dh-gen')).publicKey, kp.publicKey);
  });

  test('shared secrets match the BigInt reference and are symmetric', () => {
    const pairs: Array<[bigint, bigint]> = [
      [privateFrom('a1'), privateFrom('b1')],
      [privateFrom('a2'), privateFrom('b2')],
      [2n, 3n],
      [(1n << 320n) - 1n, 12345678901234567890n],
      [LEADING_ZERO_A, LEADING_ZERO_B],
    ];
    for (const [x, y] of pairs) {
      const a = DhKeyPair.fromPrivate(x);
      const b = DhKeyPair.fromPrivate(y);
      const expected = refModPow(refModPow(2n, x, DH_PRIME), y, DH_PRIME);
      assert.equal(a.publicKey, refModPow(2n, x, DH_PRIME));
      assert.equal(a.sharedSecret(b.publicKey), expected);
      assert.equal(b.sharedSecret(a.publicKey), expected);
    }
  });

  test('the leading-zero secret really is shorter than the modulus', () => {
    const s = DhKeyPair.fromPrivate(LEADING_ZERO_A).sharedSecret(DhKeyPair.fromPrivate(LEADING_ZERO_B).publicKey);
    assert.ok(s < 1n << 1528n, 'secret has a leading zero byte');
    assert.equal(s, refModPow(refModPow(2n, LEADING_ZERO_B, DH_PRIME), LEADING_ZERO_A, DH_PRIME));
  });

  test('sharedSecret rejects out-of-range public values', () => {
    const a = DhKeyPair.generate(deterministicRandom('reject'));
    for (const bad of [0n, 1n, DH_PRIME - 1n, DH_PRIME, DH_PRIME + 2n, -5n]) {
      assert.throws(() => a.sharedSecret(bad), RangeError);
    }
  });

  test('fromPrivate rejects degenerate private keys', () => {
    for (const bad of [0n, 1n, DH_PRIME - 1n, DH_PRIME]) assert.throws(() => DhKeyPair.fromPrivate(bad), RangeError);
  });

  test('wipe() makes the key pair unusable', () => {
    const a = DhKeyPair.generate(deterministicRandom('wipe'));
    const b = DhKeyPair.generate(deterministicRandom('wipe-2'));
    a.wipe();
    assert.throws(() => a.sharedSecret(b.publicKey));
  });
});

describe('one native group per process', () => {
  test('key pairs, shared secrets and SMP exponentiations never build another DiffieHellman (Node 24 checks the prime in each: ~0.6 s)', () => {
    const original = crypto.createDiffieHellman;
    let built = 0;
    crypto.createDiffieHellman = ((...args: Parameters<typeof original>) => {
      built++;
      return original(...args);
    }) as typeof original;
    syncBuiltinESMExports(); // the code under test imports it by name
    try {
      for (let i = 0; i < 5; i++) {
        // Each use sets its own private key on the shared object: values stay right when uses interleave.
        const x = privateFrom(`a${i}`);
        const y = privateFrom(`b${i}`);
        const a = DhKeyPair.fromPrivate(x);
        const b = DhKeyPair.fromPrivate(y);
        assert.equal(a.publicKey, refModPow(DH_GENERATOR, x, DH_PRIME));
        assert.equal(powMod(a.publicKey, 3n), refModPow(a.publicKey, 3n, DH_PRIME));
        assert.equal(a.sharedSecret(b.publicKey), refModPow(b.publicKey, x, DH_PRIME));
        assert.equal(b.sharedSecret(a.publicKey), refModPow(a.publicKey, y, DH_PRIME));
      }
      assert.ok(built <= 1, `built ${built} DiffieHellman objects`);
    } finally {
      crypto.createDiffieHellman = original;
      syncBuiltinESMExports();
    }
  });
});

describe('the shared native DH object', () => {
  test('holds a secret exponent only until the turn that used it ends', async () => {
    const random = deterministicRandom('scrub');
    const ours = DhKeyPair.generate(random);
    const theirs = DhKeyPair.generate(random);
    ours.sharedSecret(theirs.publicKey);
    const during = sharedDhGroup().getPrivateKey();
    assert.ok(during.length > 1, 'the last exponent is still set within the turn');
    await Promise.resolve();
    assert.deepEqual([...sharedDhGroup().getPrivateKey()], [2], 'cleared when the turn ends');
  });
});
