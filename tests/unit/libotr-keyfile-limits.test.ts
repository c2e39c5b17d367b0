/**
 * A crafted otr.private_key must not freeze the main loop: oversized DSA
 * numbers and too many accounts are refused as a damaged file before any
 * arithmetic, and a key's parts are checked against each other natively.
 * Every crafted key below is also inconsistent (its y is not g^x), so that
 * the error proves which check came first: had the arithmetic run, the file
 * would be refused as "its parts do not belong together" instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey, modPow, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import { MAX_KEYFILE_ACCOUNTS, OtrKeyFileError, readLibotrPrivateKeys, writeLibotrPrivateKeys } from '../../electron/core/otr/libotr-keyfile.js';
import { importLibotr } from '../../electron/core/e2ee/otr/store/libotr-files.js';
import { OtrStoreError, type OtrStore } from '../../electron/core/e2ee/otr/store/otr-store.js';

const KEY = generateDsaKey();
/** An odd number of exactly `bits` bits. */
const oddOfBits = (bits: number): bigint => (1n << BigInt(bits - 1)) | 0x1234567n | 1n;
const file = (...keys: DsaPrivateKey[]) =>
  writeLibotrPrivateKeys(keys.map((key, i) => ({ account: `user${i}@example.com`, protocol: 'xmpp', key })));

const refused = (text: string, message: RegExp) =>
  assert.throws(() => readLibotrPrivateKeys(text), (e: Error) => e instanceof OtrKeyFileError && message.test(e.message), message.source);

test('a key with a huge p (or q, g, y, x) is refused as damaged by its size, before any arithmetic', () => {
  const hugeP = oddOfBits(4096);
  refused(file({ ...KEY, p: hugeP, y: KEY.y + 1n }), /^The key file is damaged: the key of user0@example\.com has a DSA p of 4096 bits \(at most 3072\)\.$/);
  // The reviewer's file: every number 4096 bits, x too (a 4096-bit exponent in a BigInt loop took ~180 ms per key).
  const all = { p: hugeP, q: oddOfBits(4095), g: oddOfBits(4094), y: oddOfBits(4094), x: oddOfBits(4093) };
  refused(file(all), /damaged: the key of user0@example\.com has a DSA p of 4096 bits/);
  refused(file({ ...KEY, q: oddOfBits(4095), x: oddOfBits(4093), y: KEY.y + 1n }), /has a DSA q of 4096 bits \(at most 160\)/);
  refused(file({ ...KEY, x: oddOfBits(1024), y: KEY.y + 1n }), /has a DSA x of 1024 bits \(at most 160\)/);
  refused(file({ ...KEY, g: oddOfBits(3100), y: KEY.y + 1n }), /has a DSA g of 3104 bits \(at most 3072\)/);
  // Within the byte limits but out of range: still refused by size, not by arithmetic.
  refused(file({ ...KEY, q: oddOfBits(152), x: 5n, y: KEY.y + 1n }), /damaged: .* its DSA q has 152 bits \(OTR keys have 160\)/);
  refused(file({ ...KEY, p: oddOfBits(1016), y: KEY.y + 1n }), /its DSA p has 1016 bits/);
  refused(file({ ...KEY, x: KEY.q + 1n, y: KEY.y + 1n }), /its DSA x is out of range/);
  refused(file({ ...KEY, g: KEY.p + 2n, y: KEY.y + 1n }), /its DSA g is out of range/);
  refused(file({ ...KEY, y: KEY.p }), /its DSA y is out of range/);
});

test('a file with more accounts than any libotr user has is refused by the count, before any key is checked', () => {
  const bad = { ...KEY, y: KEY.y + 1n };
  refused(file(...Array.from({ length: MAX_KEYFILE_ACCOUNTS + 1 }, () => bad)), /^The key file is damaged: it has 101 accounts \(a libotr key file has at most 100\)\.$/);
  refused(file(...Array.from({ length: 800 }, () => KEY)), /it has 800 accounts/);
  // Up to the limit, a file of good keys reads.
  assert.equal(readLibotrPrivateKeys(file(...Array.from({ length: MAX_KEYFILE_ACCOUNTS }, () => KEY))).length, MAX_KEYFILE_ACCOUNTS);
});

test('the parts of a key must belong together: y = g^x, and g of order q', () => {
  assert.deepEqual(readLibotrPrivateKeys(file(KEY))[0]!.key, KEY);
  refused(file({ ...KEY, y: KEY.y + 1n }), /damaged: the key of user0@example\.com is damaged \(its parts do not belong together\)/);
  // y = g^x holds, but g does not have order q: signatures made with it would never verify.
  const g = 3n;
  assert.notEqual(modPow(g, KEY.q, KEY.p), 1n);
  refused(file({ ...KEY, g, y: modPow(g, KEY.x, KEY.p) }), /its parts do not belong together/);
});

test('the import says so and changes nothing', async () => {
  const store = {} as OtrStore; // never reached: the file is refused first
  await assert.rejects(
    importLibotr(store, { privateKeyText: file({ ...KEY, p: oddOfBits(4096) }), protocol: 'xmpp' }),
    (e: Error) =>
      e instanceof OtrStoreError && /^otr\.private_key: The key file is damaged: .* DSA p of 4096 bits .*Nothing was imported\.$/.test(e.message),
  );
});
