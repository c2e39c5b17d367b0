/**
 * The field inversion behind the Ed25519 <-> Curve25519 key conversions
 * (invertModP in electron/core/omemo/crypto/xeddsa.ts, Lehmer's Euclid)
 * against @noble/curves' plain Euclid, on the edges of its range, on small
 * numbers and powers of two near the 48-bit window it works in, and on random
 * field elements; and the conversions both ways on fresh Ed25519 keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { invert } from '@noble/curves/abstract/modular.js';
import { curve25519PublicToEd25519, ed25519PublicToCurve25519, invertModP } from '../../electron/core/omemo/crypto/xeddsa.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';

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
