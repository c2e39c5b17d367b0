/**
 * Keys reach node:crypto's HMAC, ciphers and HKDF as KeyObjects (electron/core/secret-key.ts): given bytes,
 * Node 24 first runs two brand checks that throw and catch, ~10 µs a call, which made up a third of an OMEMO
 * decryption and a good part of an OTR AKE's work besides its exponentiations.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { KeyObject } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { generateDsaKey } from '../../electron/core/otr/dsa.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { OtrConversation } from '../../electron/core/otr/session.js';
import {
  createOwnDevice, decryptKey, decryptPayload, encryptKey, encryptPayload, getBundle, startSession,
} from '../../electron/core/omemo/index.js';

/** Runs `work` with createHmac, createCipheriv, createDecipheriv and hkdfSync watched; returns the key arguments' kinds. */
function keyKinds(work: () => void): { objects: number; bytes: string[] } {
  const names = ['createHmac', 'createCipheriv', 'createDecipheriv', 'hkdfSync'] as const;
  const originals = names.map((name) => crypto[name]);
  const seen = { objects: 0, bytes: [] as string[] };
  const c = crypto as unknown as Record<string, (...args: unknown[]) => unknown>;
  names.forEach((name, i) => {
    c[name] = (...args: unknown[]) => {
      if (args[1] instanceof KeyObject) seen.objects++;
      else seen.bytes.push(name);
      return (originals[i] as (...a: unknown[]) => unknown)(...args);
    };
  });
  syncBuiltinESMExports(); // the code under test imports them by name
  try {
    work();
  } finally {
    names.forEach((name, i) => {
      c[name] = originals[i] as (...args: unknown[]) => unknown;
    });
    syncBuiltinESMExports();
  }
  return seen;
}

describe('keys given to node:crypto', () => {
  test('an OTR AKE and data messages hand every HMAC and AES key over as a KeyObject', () => {
    const aliceKey = generateDsaKey(secureRandom);
    const bobKey = generateDsaKey(secureRandom);
    const conv = (account: string, peer: string, longTerm: typeof aliceKey, ourInstance: number): OtrConversation =>
      new OtrConversation({ account, peer, longTerm, ourInstance, policy: 'manual', random: secureRandom, now: Date.now });
    const alice = conv('alice@example.test', 'bob@example.test', aliceKey, 0x100);
    const bob = conv('bob@example.test', 'alice@example.test', bobKey, 0x101);
    const seen = keyKinds(() => {
      const pending = alice.startPrivate().send.map((text) => ({ to: bob, text }));
      const deliver = (): void => {
        while (pending.length > 0) {
          const { to, text } = pending.shift()!;
          for (const reply of to.receive(text).send) pending.push({ to: to === alice ? bob : alice, text: reply });
        }
      };
      deliver();
      assert.equal(alice.state, 'encrypted');
      for (const text of alice.sendText('hello').send) pending.push({ to: bob, text });
      for (const text of bob.sendText('hi').send) pending.push({ to: alice, text });
      deliver();
    });
    assert.deepEqual(seen.bytes, []);
    assert.ok(seen.objects >= 8, `keys seen: ${seen.objects}`);
  });

  test('an OMEMO session (setup, a message each way) does the same, HKDF included', () => {
    for (const version of ['oldmemo', 'twomemo'] as const) {
      const alice = createOwnDevice(version, { preKeyCount: 1 });
      const bob = createOwnDevice(version, { preKeyCount: 1 });
      const seen = keyKinds(() => {
        const sealed = encryptPayload(version, new TextEncoder().encode('hello'));
        const first = encryptKey(startSession(alice, getBundle(bob)), sealed.keyMaterial);
        const opened = decryptKey(bob, undefined, first.element);
        assert.equal(new TextDecoder().decode(decryptPayload(version, { ...sealed, keyMaterial: opened.keyMaterial })), 'hello');
        const reply = encryptKey(opened.session, sealed.keyMaterial);
        decryptKey(alice, first.session, reply.element);
      });
      assert.deepEqual(seen.bytes, [], version);
      // HMAC and HKDF over the ratchet's short inputs run in JS (@noble/hashes, crypto/sha256.ts); AES and the
      // long inputs reach node:crypto, each key as a KeyObject.
      assert.ok(seen.objects >= 4, `${version}: keys seen: ${seen.objects}`);
    }
  });
});
