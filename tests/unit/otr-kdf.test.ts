/**
 * Key derivation (Protocol-v3 "Computing AES keys, MAC keys, and the secure
 * session id") and AES-CTR.
 *
 * Known answers for the Data Message keys come from libotr itself: the test
 * runs Debian's `otr_sesskeys` (package libotr5-bin, libotr 4.1.1) on several
 * key pairs, including one whose shared secret has a leading zero byte. If the
 * binary is missing the test FAILS (install: apt-get install -y libotr5-bin).
 * otr_sesskeys also prints the v1 "session id" SHA1(0x00 || secbytes), which
 * pins down secbytes (the minimal MPI of s) that h2 hashes for the AKE keys.
 * The AKE keys' ssid is further checked against libotr in otr-ake.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { DhKeyPair } from '../../electron/core/otr/dh.js';
import { deriveAkeKeys, deriveDataKeys, deriveExtraSymmetricKey } from '../../electron/core/otr/kdf.js';
import { aesCtr, aesCtrZeroIv } from '../../electron/core/otr/aes-ctr.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';
import { bigintToBytes, bytesToBigint } from '../../electron/core/otr/wire.js';

const OTR_SESSKEYS = '/usr/bin/otr_sesskeys';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const evenHex = (n: bigint): string => hex(bigintToBytes(n));
const privateFrom = (seed: string): bigint => bytesToBigint(deterministicRandom(seed)(40));

const LEADING_ZERO_A = privateFrom('lz-a');
const LEADING_ZERO_B = BigInt('0xf52f47bc7a04021a1b33f7c5c1c7af564c17521fc2012f75db84e43f635614d549c6b1626a7060e8');

interface SessKeys {
  high: boolean;
  ourPublic: string;
  sessionId: string;
  sendAes: string;
  sendMac: string;
  recvAes: string;
  recvMac: string;
}

function otrSesskeys(ourPrivate: bigint, theirPublic: bigint): SessKeys {
  const run = spawnSync(OTR_SESSKEYS, [evenHex(ourPrivate), evenHex(theirPublic)], { encoding: 'utf8' });
  assert.ifError(run.error); // ENOENT here means: apt-get install -y libotr5-bin
  assert.equal(run.status, 0, run.stderr);
  const field = (label: string): string => {
    const m = new RegExp(`^${label}:\\s*([0-9a-f]+)\\s*$`, 'm').exec(run.stdout);
    assert.ok(m?.[1], `otr_sesskeys printed no "${label}"`);
    return m[1];
  };
  return {
    high: /We are the high end/.test(run.stdout),
    ourPublic: field('Our public key'),
    sessionId: field('Session id'),
    sendAes: field('Sending +AES key'),
    sendMac: field('Sending +MAC key'),
    recvAes: field('Receiving AES key'),
    recvMac: field('Receiving MAC key'),
  };
}

function secbytes(s: bigint): Uint8Array {
  const v = bigintToBytes(s);
  const out = new Uint8Array(4 + v.length);
  new DataView(out.buffer).setUint32(0, v.length);
  out.set(v, 4);
  return out;
}

describe('Data Message keys against libotr (otr_sesskeys)', () => {
  test('otr_sesskeys is installed', () => {
    const run = spawnSync(OTR_SESSKEYS, [], { encoding: 'utf8' });
    assert.ifError(run.error);
  });

  const cases: Array<[string, bigint, bigint]> = [
    ['random pair', privateFrom('kdf-a'), privateFrom('kdf-b')],
    ['random pair, other side', privateFrom('kdf-b'), privateFrom('kdf-a')],
    ['small keys', 3n, 0x1234567890abcdefn],
    ['secret with a leading zero byte', LEADING_ZERO_A, LEADING_ZERO_B],
    ['secret with a leading zero byte, other side', LEADING_ZERO_B, LEADING_ZERO_A],
  ];
  for (const [name, ours, theirs] of cases) {
    test(name, () => {
      const a = DhKeyPair.fromPrivate(ours);
      const b = DhKeyPair.fromPrivate(theirs);
      const s = a.sharedSecret(b.publicKey);
      const lib = otrSesskeys(ours, b.publicKey);
      assert.equal(lib.ourPublic, evenHex(a.publicKey));
      // v1 session id = SHA1(0x00 || secbytes): pins the secbytes encoding.
      assert.equal(lib.sessionId, createHash('sha1').update(Uint8Array.of(0)).update(secbytes(s)).digest('hex'));
      assert.equal(lib.high, a.publicKey > b.publicKey);
      const keys = deriveDataKeys(a.publicKey, b.publicKey, s);
      assert.equal(hex(keys.sendAes), lib.sendAes);
      assert.equal(hex(keys.sendMac), lib.sendMac);
      assert.equal(hex(keys.recvAes), lib.recvAes);
      assert.equal(hex(keys.recvMac), lib.recvMac);
      // And the other side's view is the mirror image.
      const mirror = deriveDataKeys(b.publicKey, a.publicKey, s);
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
