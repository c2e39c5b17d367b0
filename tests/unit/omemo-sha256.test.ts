/**
 * The JS SHA-256 / HMAC / HKDF that serve the ratchet's short inputs
 * (electron/core/omemo/crypto/sha256.ts) against published answers (FIPS
 * 180-4 examples, RFC 4231, RFC 5869) and against node:crypto on every length
 * around the block boundaries, keys longer than a block, reused HMAC keys and
 * inputs given in parts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { hkdf, hmac, hmacKey, sha256 } from '../../electron/core/omemo/crypto/sha256.js';
import { hkdfSha256, hmacSha256 } from '../../electron/core/omemo/crypto/primitives.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'ascii'));

test('SHA-256: FIPS 180-4 examples', () => {
  assert.equal(hex(sha256(ascii('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hex(sha256(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  assert.equal(hex(sha256()), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('HMAC-SHA-256: RFC 4231 test cases 1, 2 and 6 (key longer than a block)', () => {
  assert.equal(hex(hmac(new Uint8Array(20).fill(0x0b), ascii('Hi There'))), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
  assert.equal(hex(hmac(ascii('Jefe'), ascii('what do ya want for nothing?'))), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  assert.equal(
    hex(hmac(new Uint8Array(131).fill(0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'))),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  );
});

test('HKDF-SHA-256: RFC 5869 test cases 1 and 3 (empty salt and info)', () => {
  const ikm = new Uint8Array(22).fill(0x0b);
  assert.equal(
    hex(hkdf(ikm, unhex('000102030405060708090a0b0c'), unhex('f0f1f2f3f4f5f6f7f8f9'), 42)),
    '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  );
  assert.equal(
    hex(hkdf(ikm, new Uint8Array(0), new Uint8Array(0), 42)),
    '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  );
});

test('SHA-256, HMAC and HKDF give node:crypto\'s answers for every length around the block and buffer boundaries', () => {
  const random = deterministicRandom('omemo-sha256');
  // Up to 200 bytes one by one; around 1 KiB (the largest padded message hashed in place) and around 2 KiB (where
  // hmacSha256 hands over to node:crypto).
  const lengths = [...Array.from({ length: 201 }, (_, i) => i), ...Array.from({ length: 24 }, (_, i) => 1000 + i), ...Array.from({ length: 12 }, (_, i) => 2040 + i)];
  for (const length of lengths) {
    const data = random(length);
    const key = random(length % 97); // 0 .. 96 bytes: shorter and longer than a block
    assert.equal(hex(sha256(data)), createHash('sha256').update(data).digest('hex'), `sha256 of ${length} bytes`);
    const half = length >> 1;
    assert.equal(hex(sha256(data.subarray(0, half), data.subarray(half))), createHash('sha256').update(data).digest('hex'), `sha256 in parts, ${length} bytes`);
    const expected = createHmac('sha256', key).update(data).digest('hex');
    assert.equal(hex(hmac(key, data)), expected, `hmac of ${length} bytes`);
    assert.equal(hex(hmac(hmacKey(key), data.subarray(0, half), data.subarray(half))), expected, `hmac with a prepared key, ${length} bytes`);
    assert.equal(hex(hmacSha256(key, data)), expected, `hmacSha256 of ${length} bytes`);
    const info = random(length % 40);
    const salt = length % 3 === 0 ? new Uint8Array(32) : random(length % 70);
    const outLength = 1 + ((length * 13) % 130);
    assert.equal(
      hex(hkdf(data, salt, info, outLength)),
      Buffer.from(hkdfSync('sha256', data, salt, info, outLength)).toString('hex'),
      `hkdf of ${length} bytes to ${outLength}`,
    );
  }
});

test('a prepared HMAC key gives the same MAC every time; long data and long HKDF output agree with node:crypto', () => {
  const random = deterministicRandom('omemo-sha256-long');
  const key = hmacKey(random(32));
  const first = hex(hmac(key, Uint8Array.of(1)));
  assert.equal(hex(hmac(key, Uint8Array.of(2))) === first, false);
  assert.equal(hex(hmac(key, Uint8Array.of(1))), first);
  const long = random(100_000); // through node:crypto
  const k = random(32);
  assert.equal(hex(hmacSha256(k, long)), createHmac('sha256', k).update(long).digest('hex'));
  assert.equal(hex(hkdfSha256(k, new Uint8Array(32), 'OMEMO Payload', 255 * 32)), Buffer.from(hkdfSync('sha256', k, new Uint8Array(32), 'OMEMO Payload', 255 * 32)).toString('hex'));
  assert.throws(() => hkdf(k, new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1), RangeError);
});
