/**
 * Long-term DSA keys (Protocol-v3 "Public keys, signatures, and
 * fingerprints"): key generation, signing the 32-byte value as an integer mod
 * q (no hashing, no truncation), r||s left-padded, verification that never
 * throws, PUBKEY encoding/decoding, fingerprints and their human form.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  type DsaPublicKey,
  decodePublicKey,
  dsaSign,
  dsaVerify,
  encodePublicKey,
  fingerprint,
  formatFingerprint,
  generateDsaKey,
  modPow,
} from '../../electron/core/otr/dsa.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';
import { OtrParseError, Reader, Writer, bigintToFixed, bytesToBigint } from '../../electron/core/otr/wire.js';
import { fixedKey, G, P, Q } from '../fixtures/otr-test-keys.js';


const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const message = (seed: string): Uint8Array => deterministicRandom(seed)(32);

describe('modPow', () => {
  test('matches naive exponentiation', () => {
    const rnd = deterministicRandom('modpow');
    for (let i = 0; i < 20; i++) {
      const m = bytesToBigint(rnd(24)) | 1n;
      const b = bytesToBigint(rnd(30));
      const e = bytesToBigint(rnd(3));
      let naive = 1n;
      for (let k = 0n; k < e % 500n; k++) naive = (naive * b) % m;
      assert.equal(modPow(b, e % 500n, m), naive);
    }
    assert.equal(modPow(5n, 0n, 7n), 1n);
    assert.equal(modPow(5n, 3n, 1n), 0n);
  });
});

describe('key generation', () => {
  test('generateDsaKey gives a valid DSA-1024/160 key', () => {
    const k = generateDsaKey();
    assert.equal(k.p.toString(2).length, 1024);
    assert.equal(k.q.toString(2).length, 160);
    assert.equal((k.p - 1n) % k.q, 0n);
    assert.equal(modPow(k.g, k.q, k.p), 1n);
    assert.ok(k.x > 0n && k.x < k.q);
    assert.equal(k.y, modPow(k.g, k.x, k.p));
    const m = message('gen');
    assert.ok(dsaVerify(k, m, dsaSign(k, m, deterministicRandom('gen-k'))));
  });

  test('with a random source, x comes from it', () => {
    const k = generateDsaKey(deterministicRandom('x-source'));
    assert.equal(k.y, modPow(k.g, k.x, k.p));
    assert.ok(k.x > 0n && k.x < k.q);
  });
});

describe('sign and verify', () => {
  const key = fixedKey('dsa-alice');
  const other = fixedKey('dsa-bob');

  test('round trip; signatures are 40 bytes and deterministic given the randomness', () => {
    for (let i = 0; i < 10; i++) {
      const m = message(`m${i}`);
      const sig = dsaSign(key, m, deterministicRandom(`k${i}`));
      assert.equal(sig.length, 40);
      assert.ok(dsaVerify(key, m, sig));
      assert.deepEqual(dsaSign(key, m, deterministicRandom(`k${i}`)), sig);
    }
  });

  test('the signed value is m mod q: not hashed, not truncated', () => {
    const m = new Uint8Array(32).fill(0xff); // far above q
    const sig = dsaSign(key, m, deterministicRandom('modq'));
    const reduced = bigintToFixed(bytesToBigint(m) % Q, 32);
    assert.ok(dsaVerify(key, reduced, sig), 'verifies against m mod q');
    assert.ok(!dsaVerify(key, m.subarray(0, 20), sig), 'not FIPS truncation');
    // Textbook check of s: s = k^-1 (m + x r) mod q with k = the first draw.
    const r = bytesToBigint(sig.subarray(0, 20));
    const s = bytesToBigint(sig.subarray(20));
    const w = modPow(s, Q - 2n, Q);
    const u1 = ((bytesToBigint(m) % Q) * w) % Q;
    const u2 = (r * w) % Q;
    assert.equal(((modPow(G, u1, P) * modPow(key.y, u2, P)) % P) % Q, r);
  });

  test('r and s are left-padded to 20 bytes', () => {
    let found = 0;
    for (let i = 0; i < 2000 && found < 2; i++) {
      const m = message(`pad${i}`);
      const sig = dsaSign(key, m, deterministicRandom(`pad-k${i}`));
      assert.equal(sig.length, 40);
      if (sig[0] === 0 || sig[20] === 0) {
        found++;
        assert.ok(dsaVerify(key, m, sig));
      }
    }
    assert.ok(found > 0, 'found a signature with a short r or s');
  });

  test('native verification: m = 0 mod q (u1 = 0) verifies, a public key y = p-1 is refused without an exception', () => {
    const m = bigintToFixed(key.q, 20);
    const sig = dsaSign(key, m, deterministicRandom('zero-k'));
    assert.ok(dsaVerify(key, m, sig));
    assert.ok(dsaVerify({ ...key }, m, sig), 'a copy of the key (another object, as a peer key from the wire)');
    assert.equal(dsaVerify({ ...key, y: key.p - 1n }, m, sig), false);
  });

  test('tampering makes verification fail', () => {
    const m = message('tamper');
    const sig = dsaSign(key, m, deterministicRandom('tamper-k'));
    assert.ok(dsaVerify(key, m, sig));
    for (const i of [0, 19, 20, 39]) {
      const bad = sig.slice();
      bad[i] = (bad[i] as number) ^ 0x01;
      assert.equal(dsaVerify(key, m, bad), false, `flipped sig byte ${i}`);
    }
    const m2 = m.slice();
    m2[31] = (m2[31] as number) ^ 1;
    assert.equal(dsaVerify(key, m2, sig), false, 'other message');
    assert.equal(dsaVerify(other, m, sig), false, 'other key');
  });

  test('garbage never throws, just returns false', () => {
    const m = message('garbage');
    const sig = dsaSign(key, m, deterministicRandom('garbage-k'));
    const zero = new Uint8Array(40);
    const qBytes = bigintToFixed(Q, 20);
    const rIsQ = new Uint8Array(40);
    rIsQ.set(qBytes, 0);
    rIsQ.set(sig.subarray(20), 20);
    const sIsQ = new Uint8Array(40);
    sIsQ.set(sig.subarray(0, 20), 0);
    sIsQ.set(qBytes, 20);
    for (const bad of [new Uint8Array(0), zero, rIsQ, sIsQ, sig.subarray(0, 39), new Uint8Array(41), new Uint8Array(40).fill(0xff)]) {
      assert.equal(dsaVerify(key, m, bad), false);
    }
    const broken: DsaPublicKey[] = [
      { p: 0n, q: 0n, g: 0n, y: 0n },
      { p: P, q: 1n, g: G, y: key.y },
      { p: P, q: Q, g: 0n, y: key.y },
      { p: P, q: Q, g: G, y: 1n },
      { p: 1n, q: Q, g: G, y: key.y },
      { p: -P, q: -Q, g: G, y: key.y },
    ];
    for (const k of broken) assert.equal(dsaVerify(k, m, sig), false);
  });
});

describe('PUBKEY encoding', () => {
  const key = fixedKey('enc');

  test('type 0x0000 then MPIs p, q, g, y; round trip', () => {
    const enc = encodePublicKey(key);
    const expected = new Writer().short(0).mpi(P).mpi(Q).mpi(G).mpi(key.y).bytes();
    assert.deepEqual(enc, expected);
    assert.equal(hex(enc.subarray(0, 6)), '000000000080');
    const r = new Reader(enc);
    assert.deepEqual(decodePublicKey(r), { p: P, q: Q, g: G, y: key.y });
    r.end();
  });

  test('rejects other key types, implausible parameters and truncation', () => {
    const enc = encodePublicKey(key);
    const withType = enc.slice();
    withType[1] = 1;
    assert.throws(() => decodePublicKey(new Reader(withType)), OtrParseError);
    const bad = (k: DsaPublicKey): Uint8Array => new Writer().short(0).mpi(k.p).mpi(k.q).mpi(k.g).mpi(k.y).bytes();
    const cases: DsaPublicKey[] = [
      { p: 0n, q: Q, g: G, y: key.y },
      { p: P >> 600n, q: Q, g: 2n, y: 2n }, // p too small
      { p: (1n << 4000n) + 1n, q: Q, g: G, y: key.y }, // p too large
      { p: P, q: 3n, g: G, y: key.y }, // q too small
      { p: P, q: (1n << 300n) + 1n, g: G, y: key.y }, // q too large
      { p: P - 1n, q: Q, g: G, y: key.y }, // p even
      { p: P, q: Q, g: 1n, y: key.y },
      { p: P, q: Q, g: G, y: P },
      { p: P, q: Q, g: P + 1n, y: key.y },
    ];
    for (const k of cases) assert.throws(() => decodePublicKey(new Reader(bad(k))), OtrParseError);
    for (let cut = 0; cut < enc.length; cut++) {
      assert.throws(() => decodePublicKey(new Reader(enc.subarray(0, cut))), OtrParseError);
    }
  });

  test('random garbage only ever raises OtrParseError', () => {
    const rnd = deterministicRandom('pubkey-fuzz');
    const enc = encodePublicKey(key);
    for (let i = 0; i < 300; i++) {
      const mutated = enc.slice();
      const pos = (rnd(1)[0] as number) % 12; // mostly length fields and type
      mutated[pos] = rnd(1)[0] as number;
      try {
        decodePublicKey(new Reader(mutated));
      } catch (e) {
        assert.ok(e instanceof OtrParseError, String(e));
      }
    }
  });
});

describe('fingerprints', () => {
  const key = fixedKey('fp');

  test('SHA-1 of the PUBKEY without its 2-byte type', () => {
    const enc = encodePublicKey(key);
    assert.equal(hex(fingerprint(key)), createHash('sha1').update(enc.subarray(2)).digest('hex'));
  });

  test('human form: five groups of eight uppercase hex digits', () => {
    const fp = new Uint8Array(Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex'));
    assert.equal(formatFingerprint(fp), '01234567 89ABCDEF 01234567 89ABCDEF 01234567');
    assert.match(formatFingerprint(fingerprint(key)), /^[0-9A-F]{8}( [0-9A-F]{8}){4}$/);
    assert.throws(() => formatFingerprint(new Uint8Array(19)), RangeError);
  });
});
