/**
 * Data messages (Protocol-v3 "Data Message", "Key Management", "Revealing
 * MAC keys"): layout, MAC, counters, replays, key rotation, MAC key reveal.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { DataKeyState, type InstanceAddress } from '../../electron/core/otr/data-keys.js';
import {
  FLAG_IGNORE_UNREADABLE,
  decodePlaintext,
  encodePlaintext,
  parseDataMessage,
  readDataFlags,
  sealDataMessage,
} from '../../electron/core/otr/data-message.js';
import { DhKeyPair } from '../../electron/core/otr/dh.js';
import { deriveDataKeys } from '../../electron/core/otr/kdf.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { TLV_DISCONNECTED, TLV_PADDING } from '../../electron/core/otr/tlv.js';
import { OtrParseError } from '../../electron/core/otr/wire.js';

const dummyKey = { p: 23n, q: 11n, g: 4n, y: 8n };
const A_TAG = 0x1111_1111;
const B_TAG = 0x2222_2222;

/** Alice's and Bob's key states as right after an AKE with key ids 1 / 1. */
function afterAke(): { alice: DataKeyState; bob: DataKeyState; a1: bigint; b1: bigint; secret11: bigint } {
  const a = DhKeyPair.generate(secureRandom);
  const b = DhKeyPair.generate(secureRandom);
  const secret11 = a.sharedSecret(b.publicKey);
  const common = { ssid: new Uint8Array(8), theirLongTerm: dummyKey, ourKeyId: 1, theirKeyId: 1 };
  const alice = DataKeyState.fromAke({ ...common, ourDh: a, theirDh: b.publicKey, initiator: true }, secureRandom);
  const bob = DataKeyState.fromAke({ ...common, ourDh: b, theirDh: a.publicKey, initiator: false }, secureRandom);
  return { alice, bob, a1: a.publicKey, b1: b.publicKey, secret11 };
}

const toBob = { version: 3 as const, senderInstance: A_TAG, receiverInstance: B_TAG };
const toAlice = { version: 3 as const, senderInstance: B_TAG, receiverInstance: A_TAG };

function send(from: DataKeyState, text: string, address: InstanceAddress = toBob, flags = 0): Uint8Array {
  return from.seal(address, flags, encodePlaintext(text, [])).bytes;
}

function read(to: DataKeyState, bytes: Uint8Array): string {
  const opened = to.open(parseDataMessage(bytes));
  assert.ok(opened.ok, `open failed: ${opened.ok ? '' : opened.reason}`);
  return decodePlaintext(opened.plaintext).text;
}

describe('data message layout', () => {
  test('fields, counter, MAC over version … encrypted message', () => {
    const { alice, a1, b1, secret11 } = afterAke();
    const bytes = alice.seal(toBob, FLAG_IGNORE_UNREADABLE, encodePlaintext('hello', [])).bytes;
    assert.deepEqual([...bytes.subarray(0, 3)], [0, 3, 3]);
    const msg = parseDataMessage(bytes);
    assert.deepEqual(msg.header, { version: 3, type: 3, senderInstance: A_TAG, receiverInstance: B_TAG });
    assert.equal(msg.flags, FLAG_IGNORE_UNREADABLE);
    assert.equal(msg.senderKeyId, 1);
    assert.equal(msg.recipientKeyId, 1);
    assert.notEqual(msg.nextDh, a1); // the *next* key (keyid 2)
    assert.deepEqual([...msg.ctr], [0, 0, 0, 0, 0, 0, 0, 1]);
    assert.equal(msg.oldMacKeys.length, 0);
    assert.equal(msg.encrypted.length, 'hello'.length + 1);
    // Independent derivation of Alice's sending keys for (A1, B1).
    const keys = deriveDataKeys(a1, b1, secret11);
    const mac = createHmac('sha1', keys.sendMac).update(msg.authenticated).digest();
    assert.deepEqual(msg.mac, new Uint8Array(mac));
    assert.equal(msg.authenticated.length, bytes.length - 20 - 4);
    assert.equal(readDataFlags(bytes), FLAG_IGNORE_UNREADABLE);
  });

  test('v2 messages have no instance tags', () => {
    const { alice, bob } = afterAke();
    const bytes = send(alice, 'v2!', { version: 2, senderInstance: 0, receiverInstance: 0 });
    assert.deepEqual([...bytes.subarray(0, 3)], [0, 2, 3]);
    assert.equal(parseDataMessage(bytes).header.senderInstance, 0);
    assert.equal(read(bob, bytes), 'v2!');
  });

  test('garbage is rejected by the parser; flags read best-effort', () => {
    const { alice } = afterAke();
    const bytes = send(alice, 'x');
    for (const bad of [bytes.subarray(0, 10), bytes.subarray(0, bytes.length - 1), Uint8Array.of(...bytes, 0), Uint8Array.of(0, 3, 2, ...bytes.subarray(3)), Uint8Array.of(0, 4, 3)]) {
      assert.throws(() => parseDataMessage(bad), OtrParseError);
    }
    assert.equal(readDataFlags(Uint8Array.of(1, 2)), 0);
    assert.equal(readDataFlags(Uint8Array.of(0, 2, 3, 1)), 1);
  });

  test('sealing refuses an all-zero counter', () => {
    assert.throws(() =>
      sealDataMessage(
        { header: { version: 3, type: 3, senderInstance: A_TAG, receiverInstance: B_TAG }, flags: 0, senderKeyId: 1, recipientKeyId: 1, nextDh: 5n, ctr: new Uint8Array(8), plaintext: new Uint8Array(1) },
        new Uint8Array(16),
        new Uint8Array(20),
        new Uint8Array(0),
      ),
    );
  });
});

describe('plaintext: message, NUL, TLVs', () => {
  test('round trip with TLVs; heartbeat is empty', () => {
    const bytes = encodePlaintext('héllo', [{ type: TLV_DISCONNECTED, value: new Uint8Array(0) }, { type: TLV_PADDING, value: Uint8Array.of(1, 2) }]);
    assert.deepEqual(decodePlaintext(bytes), {
      text: 'héllo',
      tlvs: [
        { type: 1, value: new Uint8Array(0) },
        { type: 0, value: Uint8Array.of(1, 2) },
      ],
    });
    assert.deepEqual(decodePlaintext(encodePlaintext('', [])), { text: '', tlvs: [] });
    assert.deepEqual([...encodePlaintext('', [])], [0]);
  });

  test('NUL in the text cannot smuggle TLVs; no NUL means no TLVs', () => {
    assert.deepEqual(decodePlaintext(encodePlaintext('a\u0000\u0000\u0001\u0000\u0000b', [])), { text: 'a\u0001b', tlvs: [] });
    assert.deepEqual(decodePlaintext(new TextEncoder().encode('plain')), { text: 'plain', tlvs: [] });
    assert.equal(decodePlaintext(Uint8Array.of(0xff, 0x41)).text, '\ufffdA');
  });
});

describe('receiving: MAC, counters, key ids', () => {
  test('a message opens once; replays and older counters are rejected', () => {
    const { alice, bob } = afterAke();
    const m1 = send(alice, 'one');
    const m2 = send(alice, 'two');
    assert.deepEqual([...parseDataMessage(m2).ctr], [0, 0, 0, 0, 0, 0, 0, 2]);
    assert.equal(read(bob, m2), 'two');
    assert.deepEqual(bob.open(parseDataMessage(m2)), { ok: false, reason: 'replayed-counter' });
    assert.deepEqual(bob.open(parseDataMessage(m1)), { ok: false, reason: 'replayed-counter' });
    assert.equal(read(bob, send(alice, 'three')), 'three');
  });

  test('a tampered message fails the MAC and changes nothing', () => {
    const { alice, bob } = afterAke();
    const m = send(alice, 'secret');
    const before = bob.keyIds;
    for (const at of [3, 9, 20, m.length - 30]) {
      const bad = m.slice();
      bad[at] = (bad[at] as number) ^ 0x01;
      const opened = (() => {
        try {
          return bob.open(parseDataMessage(bad));
        } catch {
          return { ok: false as const, reason: 'parse' };
        }
      })();
      assert.equal(opened.ok, false, `byte ${at}`);
    }
    assert.deepEqual(bob.keyIds, before);
    assert.equal(read(bob, m), 'secret');
  });

  test('unknown key ids are rejected', () => {
    const { alice, bob } = afterAke();
    const msg = parseDataMessage(send(alice, 'x'));
    assert.deepEqual(bob.open({ ...msg, senderKeyId: 7 }), { ok: false, reason: 'unknown-keys' });
    assert.deepEqual(bob.open({ ...msg, recipientKeyId: 0 }), { ok: false, reason: 'unknown-keys' });
    assert.deepEqual(bob.open({ ...msg, senderKeyId: 0 }), { ok: false, reason: 'unknown-keys' });
    // their_y[their_keyid-1] is unset right after the AKE.
    assert.deepEqual(bob.open({ ...msg, senderKeyId: 0, recipientKeyId: 1 }), { ok: false, reason: 'unknown-keys' });
  });

  test('a next DH key out of range is refused before anything rotates', () => {
    const { bob, a1, b1, secret11 } = afterAke();
    const keys = deriveDataKeys(a1, b1, secret11);
    const forged = sealDataMessage(
      { header: { version: 3, type: 3, senderInstance: A_TAG, receiverInstance: B_TAG }, flags: 0, senderKeyId: 1, recipientKeyId: 1, nextDh: 1n, ctr: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1), plaintext: encodePlaintext('x', []) },
      keys.sendAes,
      keys.sendMac,
      new Uint8Array(0),
    );
    const before = bob.keyIds;
    assert.deepEqual(bob.open(parseDataMessage(forged)), { ok: false, reason: 'bad-next-key' });
    assert.deepEqual(bob.keyIds, before);
  });
});

describe('key rotation and MAC key reveal', () => {
  test('rotation follows the spec step by step', () => {
    const { alice, bob } = afterAke();
    assert.deepEqual(alice.keyIds, { ourKeyId: 2, theirKeyId: 1, hasTheirPrevious: false });
    // Alice → Bob with (A1, B1), next A2: Bob learns A2.
    read(bob, send(alice, 'a1'));
    assert.deepEqual(bob.keyIds, { ourKeyId: 2, theirKeyId: 2, hasTheirPrevious: true });
    // Bob → Alice with (B1, A2), next B2: Alice's A2 acknowledged → A3; learns B2.
    const m = parseDataMessage(send(bob, 'b1', toAlice));
    assert.deepEqual([m.senderKeyId, m.recipientKeyId], [1, 2]);
    read(alice, send(bob, 'b2', toAlice));
    assert.deepEqual(alice.keyIds, { ourKeyId: 3, theirKeyId: 2, hasTheirPrevious: true });
    const m2 = parseDataMessage(send(alice, 'a2'));
    assert.deepEqual([m2.senderKeyId, m2.recipientKeyId], [2, 2]);
    assert.deepEqual([...m2.ctr], [0, 0, 0, 0, 0, 0, 0, 1]); // new key pair: counter starts again
    assert.ok(alice.sessionCount <= 4);
  });

  test('many messages both ways, in bursts, all readable; at most 4 key pairs cached', () => {
    const { alice, bob } = afterAke();
    let lastA = 0;
    for (let round = 0; round < 12; round++) {
      const burst = (round % 3) + 1;
      for (let i = 0; i < burst; i++) assert.equal(read(bob, send(alice, `a${round}.${i}`)), `a${round}.${i}`);
      for (let i = 0; i < burst; i++) assert.equal(read(alice, send(bob, `b${round}.${i}`, toAlice)), `b${round}.${i}`);
      assert.ok(alice.keyIds.ourKeyId > lastA, 'Alice keeps rotating');
      lastA = alice.keyIds.ourKeyId;
      assert.ok(alice.sessionCount <= 4 && bob.sessionCount <= 4);
    }
    assert.ok(alice.keyIds.ourKeyId >= 12 && bob.keyIds.ourKeyId >= 12);
  });

  test('a message sent before a rotation is still readable with the previous keys', () => {
    const { alice, bob } = afterAke();
    read(bob, send(alice, 'hi'));
    const late = send(alice, 'late (A1,B1)');
    read(alice, send(bob, 'rotate you', toAlice)); // Alice rotates: A1 forgotten, A2 is now previous
    const fresh = send(alice, 'fresh (A2,B2)');
    assert.equal(read(bob, fresh), 'fresh (A2,B2)'); // Bob: rotates ours → B1 forgotten
    // The late message used (A1,B1): B1 is gone and A1 too → unreadable, as the spec requires.
    assert.deepEqual(bob.open(parseDataMessage(late)), { ok: false, reason: 'unknown-keys' });
  });

  test('receiving MAC keys of forgotten keys are revealed once, in the next message', () => {
    const { alice, bob, a1, b1, secret11 } = afterAke();
    const aliceSendMac11 = deriveDataKeys(a1, b1, secret11).sendMac;
    read(bob, send(alice, 'm1')); // Bob verified a MAC with (B1, A1)
    read(alice, send(bob, 'r1', toAlice)); // Alice: A2 acknowledged
    assert.equal(read(bob, send(alice, 'm2')), 'm2'); // recipient keyid 2 = Bob's newest: B1 forgotten
    assert.equal(bob.pendingRevealCount, 1);
    const reveal = parseDataMessage(send(bob, 'r2', toAlice));
    assert.deepEqual(reveal.oldMacKeys, aliceSendMac11);
    assert.equal(bob.pendingRevealCount, 0);
    assert.equal(parseDataMessage(send(bob, 'r3', toAlice)).oldMacKeys.length, 0);
  });

  test('keys that never verified a MAC are not revealed', () => {
    const { alice, bob } = afterAke();
    // Only Bob talks: Alice never acknowledges anything, nothing is forgotten on Bob's side.
    for (let i = 0; i < 3; i++) read(alice, send(bob, `b${i}`, toAlice));
    assert.equal(bob.pendingRevealCount, 0);
    // Alice only learned B2 (their_keyid-1 = B1 stays): she forgot nothing either.
    assert.equal(alice.pendingRevealCount, 0);
    assert.equal(parseDataMessage(send(alice, 'a')).oldMacKeys.length, 0);
  });

  test('wipe() makes the state unusable', () => {
    const { alice } = afterAke();
    alice.wipe();
    assert.throws(() => send(alice, 'x'), /wiped/);
  });
});

describe('our next D-H key pair', () => {
  test('is made by the first message we send, not when the AKE completes (the AKE does not wait for it)', () => {
    const a = DhKeyPair.generate(secureRandom);
    const b = DhKeyPair.generate(secureRandom);
    let drawn = 0;
    const counting = (n: number): Uint8Array => {
      drawn += n;
      return secureRandom(n);
    };
    const common = { ssid: new Uint8Array(8), theirLongTerm: dummyKey, ourKeyId: 1, theirKeyId: 1 };
    const alice = DataKeyState.fromAke({ ...common, ourDh: a, theirDh: b.publicKey, initiator: true }, counting);
    const bob = DataKeyState.fromAke({ ...common, ourDh: b, theirDh: a.publicKey, initiator: false }, secureRandom);
    assert.equal(drawn, 0, 'no key pair made by fromAke');
    assert.deepEqual(alice.keyIds, { ourKeyId: 2, theirKeyId: 1, hasTheirPrevious: false });
    const first = send(alice, 'one');
    assert.equal(drawn, 40, 'one 320-bit private key for the first message');
    // The key the message announces is the one the peer's reply rotates onto.
    assert.equal(read(bob, first), 'one');
    assert.equal(read(alice, send(bob, 'two', toAlice)), 'two');
    assert.equal(read(bob, send(alice, 'three')), 'three');
    assert.deepEqual(alice.keyIds.ourKeyId, 3);
  });
});
