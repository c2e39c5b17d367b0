/**
 * Bad input to the OMEMO engine gets a clear, typed refusal: truncated and
 * oversized protobufs, missing fields, wrong version bytes, keys of the wrong
 * size or order, wrong MACs, messages for another session, bad signatures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createOwnDevice, decryptKey, encryptKey, getBundle, OmemoError, startSession, type OmemoVersion, type KeyElement,
} from '../../electron/core/omemo/index.js';
import {
  decodeAuthenticatedMessage, decodeKeyExchange, encodeAuthenticatedMessage, encodeKeyExchange, encodeOmemoMessage, macInputFor,
  MAX_KEY_ELEMENT_BYTES,
} from '../../electron/core/omemo/wire/proto.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof OmemoError && error.code === code, `expected ${code}`);
}

function pair(version: OmemoVersion) {
  const alice = createOwnDevice(version, { random: deterministicRandom(`wa-${version}`), preKeyCount: 2 });
  const bob = createOwnDevice(version, { random: deterministicRandom(`wb-${version}`), preKeyCount: 2 });
  const session = startSession(alice, getBundle(bob));
  const km = new Uint8Array(version === 'oldmemo' ? 32 : 48).fill(1);
  const first = encryptKey(session, km);
  return { alice, bob, session: first.session, first: first.element, km };
}

for (const version of ['oldmemo', 'twomemo'] as const) {
  test(`${version}: truncated, empty, oversized and wrongly versioned key exchanges are 'malformed'`, () => {
    const { bob, first } = pair(version);
    for (const length of [0, 1, 5, first.data.length - 1]) {
      rejects(() => decryptKey(bob, undefined, { data: first.data.subarray(0, length), keyExchange: true }), 'malformed');
    }
    rejects(() => decryptKey(bob, undefined, { data: new Uint8Array(MAX_KEY_ELEMENT_BYTES + 1), keyExchange: true }), 'malformed');
    rejects(() => decryptKey(bob, undefined, { data: 'AAAA' as unknown as Uint8Array, keyExchange: true }), 'malformed');
    if (version === 'oldmemo') {
      const wrongVersion = Uint8Array.from(first.data);
      wrongVersion[0] = 0x22;
      rejects(() => decodeKeyExchange(version, wrongVersion), 'malformed');
    }
  });

  test(`${version}: fields of the wrong size and missing fields are 'malformed'`, () => {
    const { first } = pair(version);
    const kex = decodeKeyExchange(version, first.data);
    rejects(() => decodeKeyExchange(version, encodeKeyExchange(version, { ...kex, identityKey: new Uint8Array(31) })), 'malformed');
    rejects(() => decodeKeyExchange(version, encodeKeyExchange(version, { ...kex, ephemeralKey: new Uint8Array(64) })), 'malformed');
    // A ratchet message without ciphertext, and one whose ciphertext is oversized.
    const header = { dhPub: new Uint8Array(32).fill(9), n: 0, pn: 0 };
    const noCiphertext = encodeAuthenticatedMessage(version, macInputFor(version, encodeOmemoMessage(version, header)), new Uint8Array(version === 'oldmemo' ? 8 : 16));
    rejects(() => decodeAuthenticatedMessage(version, noCiphertext), 'malformed');
    const huge = encodeAuthenticatedMessage(version, macInputFor(version, encodeOmemoMessage(version, header, new Uint8Array(2048))), new Uint8Array(version === 'oldmemo' ? 8 : 16));
    rejects(() => decodeAuthenticatedMessage(version, huge), 'malformed');
    if (version === 'twomemo') {
      const shortMac = encodeAuthenticatedMessage(version, encodeOmemoMessage(version, header, new Uint8Array(16)), new Uint8Array(8));
      rejects(() => decodeAuthenticatedMessage(version, shortMac), 'malformed');
    }
  });

  test(`${version}: a wrong MAC, a message for another session, a low-order key`, () => {
    const { alice, bob, first, km } = pair(version);
    const firstKex = decodeKeyExchange(version, first.data);
    const tamperedMessage = Uint8Array.from(firstKex.message);
    tamperedMessage[tamperedMessage.length - 1]! ^= 0x40; // 0.3: the MAC itself; omemo:2: ciphertext under the MAC
    const tampered = encodeKeyExchange(version, { ...firstKex, message: tamperedMessage });
    rejects(() => decryptKey(bob, undefined, { data: tampered, keyExchange: true }), 'bad-mac');
    const { session: bobSession } = decryptKey(bob, undefined, first);
    // Carol's message to Bob, fed into Bob's session with Alice.
    const carol = createOwnDevice(version, { preKeyCount: 1 });
    const carolToBob = encryptKey(startSession(carol, getBundle(bob)), km).element;
    const inner = decodeKeyExchange(version, carolToBob.data).message;
    rejects(() => decryptKey(bob, bobSession, { data: inner, keyExchange: false }), 'bad-mac');
    // An ephemeral key of small order (the identity point): X25519 yields zero.
    const kex = decodeKeyExchange(version, first.data);
    const lowOrder = new Uint8Array(32);
    lowOrder[0] = 1;
    rejects(() => decryptKey(bob, undefined, { data: encodeKeyExchange(version, { ...kex, ephemeralKey: lowOrder }), keyExchange: true }), 'bad-key');
    void alice;
  });

  test(`${version}: no session for a plain message; a bundle with a bad signature`, () => {
    const { alice, bob, first } = pair(version);
    const { session } = decryptKey(bob, undefined, first);
    const reply: KeyElement = encryptKey(session, new Uint8Array(version === 'oldmemo' ? 32 : 48)).element;
    rejects(() => decryptKey(alice, undefined, reply), 'bad-state');
    const bundle = getBundle(bob);
    const signature = Uint8Array.from(bundle.signedPreKeySignature);
    signature[5]! ^= 1;
    rejects(() => startSession(alice, { ...bundle, signedPreKeySignature: signature }), 'bad-signature');
    rejects(() => startSession(alice, { ...bundle, signedPreKey: new Uint8Array(33) }), 'malformed');
    rejects(() => startSession(alice, { ...bundle, version: version === 'oldmemo' ? 'twomemo' : 'oldmemo' }), 'malformed');
  });
}
