/**
 * Key derivation (Protocol-v3 "Computing AES keys, MAC keys, and the secure
 * session id") and AES-CTR.
 *
 * Known answers for the Data Message keys come from libotr itself: Debian's
 * `otr_sesskeys` (package libotr5-bin, libotr 4.1.1) on several key pairs,
 * including one whose shared secret has a leading zero byte, frozen into
 * tests/vectors/otr/sesskeys.json (tests/fixtures/otr-sesskeys.ts); the
 * integration test otr-sesskeys-live.test.ts asks the binary again.
 * otr_sesskeys also prints the v1 "session id" SHA1(0x00 || secbytes), which
 * pins down secbytes (the minimal MPI of s) that h2 hashes for the AKE keys.
 * The AKE keys' ssid is further checked against libotr in otr-ake.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { DhKeyPair } from '../../electron/core/otr/dh.js';
import { deriveAkeKeys, deriveDataKeys, deriveExtraSymmetricKey } from '../../electron/core/otr/kdf.js';
import { aesCtr, aesCtrZeroIv } from '../../electron/core/otr/aes-ctr.js';
import { bigintToBytes } from '../../electron/core/otr/wire.js';
import { evenHex, LEADING_ZERO_A, LEADING_ZERO_B, readSesskeysVectors, SESSKEYS_CASES } from '../fixtures/otr-sesskeys.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function secbytes(s: bigint): Uint8Array {
  const v = bigintToBytes(s);
  const out = new Uint8Array(4 + v.length);
  new DataView(out.buffer).setUint32(0, v.length);
  out.set(v, 4);
  return out;
}

describe('Data Message keys against libotr (otr_sesskeys, checked-in answers)', () => {
  const vectors = readSesskeysVectors();
  test('the checked-in answers are for the key pairs asked about', () => {
    assert.deepEqual(
      vectors.map((v) => [v.name, v.ourPrivate, v.theirPublic]),
      SESSKEYS_CASES.map(([name, ours, theirs]) => [name, evenHex(ours), evenHex(DhKeyPair.fromPrivate(theirs).publicKey)]),
    );
  });

  for (const lib of vectors) {
    test(lib.name, () => {
      const a = DhKeyPair.fromPrivate(BigInt(`0x${lib.ourPrivate}`));
      const theirPublic = BigInt(`0x${lib.theirPublic}`);
      const s = a.sharedSecret(theirPublic);
      assert.equal(lib.ourPublic, evenHex(a.publicKey));
      // v1 session id = SHA1(0x00 || secbytes): pins the secbytes encoding.
      assert.equal(lib.sessionId, createHash('sha1').update(Uint8Array.of(0)).update(secbytes(s)).digest('hex'));
      assert.equal(lib.high, a.publicKey > theirPublic);
      const keys = deriveDataKeys(a.publicKey, theirPublic, s);
      assert.equal(hex(keys.sendAes), lib.sendAes);
      assert.equal(hex(keys.sendMac), lib.sendMac);
      assert.equal(hex(keys.recvAes), lib.recvAes);
      assert.equal(hex(keys.recvMac), lib.recvMac);
      // And the other side's view is the mirror image.
      const mirror = deriveDataKeys(theirPublic, a.publicKey, s);
      assert.deepEqual(mirror.sendAes, keys.recvAes);
      assert.deepEqual(mirror.recvMac, keys.sendMac);
    });
  }

  test('the leading-zero case really uses a 191-byte secbytes value', () => {
    const s = DhKeyPair.fromPrivate(LEADING_ZERO_A).sharedSecret(DhKeyPair.fromPrivate(LEADING_ZERO_B).publicKey);
    assert.equal(bigintToBytes(s).length, 191);
  });
});

describe('AKE keys (h2)', () => {
  test('ssid, c, c\', m1, m2, m1\', m2\' are slices of SHA256(b || secbytes)', () => {
    for (const s of [DhKeyPair.fromPrivate(LEADING_ZERO_A).sharedSecret(DhKeyPair.fromPrivate(LEADING_ZERO_B).publicKey), 0xabcdefn]) {
      const h2 = (b: number): Buffer => createHash('sha256').update(Uint8Array.of(b)).update(secbytes(s)).digest();
      const k = deriveAkeKeys(s);
      assert.equal(hex(k.ssid), h2(0).subarray(0, 8).toString('hex'));
      assert.equal(hex(k.c), h2(1).subarray(0, 16).toString('hex'));
      assert.equal(hex(k.cPrime), h2(1).subarray(16, 32).toString('hex'));
      assert.equal(hex(k.m1), h2(2).toString('hex'));
      assert.equal(hex(k.m2), h2(3).toString('hex'));
      assert.equal(hex(k.m1Prime), h2(4).toString('hex'));
      assert.equal(hex(k.m2Prime), h2(5).toString('hex'));
      assert.equal(hex(deriveExtraSymmetricKey(s)), h2(0xff).toString('hex'));
    }
  });

  test('known answer for a tiny secret (s = 1: secbytes = 00000001 01)', () => {
    const k = deriveAkeKeys(1n);
    assert.equal(hex(k.ssid), createHash('sha256').update(unhex('000000000101')).digest('hex').slice(0, 16));
  });

  test('rejects s <= 0', () => {
    assert.throws(() => deriveAkeKeys(0n));
    assert.throws(() => deriveDataKeys(2n, 3n, 0n));
  });
});

describe('AES-128-CTR', () => {
  const key = unhex('2b7e151628aed2a6abf7158809cf4f3c');
  const ecb = (block: Uint8Array): Buffer => createCipheriv('aes-128-ecb', key, null).setAutoPadding(false).update(block);
  const xor = (a: Uint8Array, b: Uint8Array): string => hex(a.map((v, i) => v ^ (b[i] as number)));

  test('counter block is ctr || 0^8, incrementing the low half', () => {
    const ctr = unhex('0102030405060708');
    const data = new Uint8Array(40).map((_, i) => i);
    const out = aesCtr(key, ctr, data);
    const block = (n: number): Uint8Array => {
      const b = new Uint8Array(16);
      b.set(ctr, 0);
      b[15] = n;
      return b;
    };
    const keystream = Buffer.concat([ecb(block(0)), ecb(block(1)), ecb(block(2))]);
    assert.equal(hex(out), xor(data, keystream));
    assert.deepEqual(aesCtr(key, ctr, out), data);
  });

  test('AKE encryption uses initial counter 0', () => {
    const data = unhex('000000c0ffeeddccbbaa99887766554433221100');
    assert.equal(hex(aesCtrZeroIv(key, data)), xor(data, Buffer.concat([ecb(new Uint8Array(16)), ecb(unhex('00000000000000000000000000000001'))])));
    assert.deepEqual(aesCtrZeroIv(key, data), aesCtr(key, new Uint8Array(8), data));
  });

  test('rejects bad key or counter sizes; empty data is fine', () => {
    assert.throws(() => aesCtr(new Uint8Array(15), new Uint8Array(8), new Uint8Array(1)), RangeError);
    assert.throws(() => aesCtr(key, new Uint8Array(16), new Uint8Array(1)), RangeError);
    assert.equal(aesCtrZeroIv(key, new Uint8Array(0)).length, 0);
  });
});
