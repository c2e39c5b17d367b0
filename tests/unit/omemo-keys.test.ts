/**
 * The field inversion behind the Ed25519 <-> Curve25519 key conversions
 * (invertModP in electron/core/omemo/crypto/xeddsa.ts, Lehmer's Euclid)
 * against @noble/curves' plain Euclid, on the edges of its range, on small
 * numbers and powers of two near the 48-bit window it works in, and on random
 * field elements; the conversions both ways on fresh Ed25519 keys; the
 * X25519 key pairs OpenSSL makes for fresh keys (public key cached with them);
 * and the caches of key objects by key bytes, with more keys than they hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { invert } from '@noble/curves/abstract/modular.js';
import {
  curve25519PublicToEd25519, ed25519PublicToCurve25519, invertModP, x25519NewPrivateKey, x25519PublicKey, x25519SharedSecret,
} from '../../electron/core/omemo/crypto/xeddsa.js';
import { deterministicRandom, secureRandom } from '../../electron/core/otr/random.js';

const P = 2n ** 255n - 19n;

test('invertModP agrees with @noble\'s invert on edges, near powers of two and on random elements', () => {
  const cases: bigint[] = [1n, 2n, 3n, 19n, P - 1n, P - 2n, (P - 1n) / 2n, (P + 1n) / 2n];
  for (let k = 1n; k < 255n; k++) cases.push(2n ** k, 2n ** k - 1n, 2n ** k + 1n);
  const random = deterministicRandom('omemo-field');
  for (let i = 0; i < 3000; i++) {
    const bytes = random(1 + (i % 32));
    const n = BigInt(`0x${Buffer.from(bytes).toString('hex')}`) % P;
    if (n !== 0n) cases.push(n);
  }
  for (const a of cases) {
    const inverse = invertModP(a);
    assert.equal(inverse, invert(a, P), `inverse of ${a}`);
    assert.equal((inverse * a) % P, 1n);
  }
  assert.throws(() => invertModP(0n), RangeError);
  assert.throws(() => invertModP(P), RangeError);
});

test('Ed25519 -> Curve25519 -> Ed25519 gives the key back (sign bit carried over)', () => {
  for (let i = 0; i < 200; i++) {
    const ed = new Uint8Array(Buffer.from(String(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x), 'base64url'));
    const curve = ed25519PublicToCurve25519(ed);
    assert.deepEqual(curve25519PublicToEd25519(curve, (ed[31]! >> 7) as 0 | 1), ed);
  }
});

test('a fresh X25519 key from OpenSSL: the public key kept with it is the one its bytes give, and DH agrees', () => {
  for (let i = 0; i < 50; i++) {
    const a = x25519NewPrivateKey(secureRandom);
    const b = x25519NewPrivateKey(secureRandom);
    assert.equal(a.length, 32);
    // A copy of the bytes is a new array: no cached key object or public key, everything derived again.
    assert.deepEqual(x25519PublicKey(a), x25519PublicKey(Uint8Array.from(a)));
    assert.deepEqual(x25519SharedSecret(a, x25519PublicKey(b)), x25519SharedSecret(Uint8Array.from(b), x25519PublicKey(Uint8Array.from(a))));
  }
  // An injected source is used as given (deterministic tests replay the reference's draws).
  const draws = deterministicRandom('omemo-fresh-key');
  const expected = deterministicRandom('omemo-fresh-key')(32);
  assert.deepEqual(x25519NewPrivateKey(draws), expected);
});

test('X25519 through the key caches, with more distinct keys than they hold, agrees with node:crypto without them', () => {
  const random = deterministicRandom('omemo-key-cache');
  const privs = Array.from({ length: 150 }, () => random(32));
  const pubs = privs.map((priv) => x25519PublicKey(priv));
  const jwk = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < privs.length; i++) {
      const j = (i * 7 + round) % privs.length;
      const expected = diffieHellman({
        privateKey: createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: jwk(privs[i]!), x: jwk(pubs[i]!) }, format: 'jwk' }),
        publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: jwk(pubs[j]!) }, format: 'jwk' }),
      });
      assert.deepEqual(x25519SharedSecret(privs[i]!, pubs[j]!), new Uint8Array(expected), `keys ${i} and ${j}, round ${round}`);
    }
  }
});
