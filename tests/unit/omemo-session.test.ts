/**
 * OMEMO engine, ours <-> ours, both versions: first message (key exchange),
 * replies, out-of-order delivery within bounds, the skipped-key bound,
 * replays, state through JSON, payload encryption.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createOwnDevice, decryptKey, decryptPayload, deviceFromJSON, deviceToJSON, encryptKey, encryptPayload, fingerprint,
  getBundle, OmemoError, sessionFromJSON, sessionToJSON, startSession, deleteUsedPreKeys, rotateSignedPreKey, refillPreKeys,
  MAX_SKIPPED_PER_MESSAGE, type OmemoVersion, type OwnDevice, type Session, type KeyElement,
} from '../../electron/core/omemo/index.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';

const VERSIONS: OmemoVersion[] = ['oldmemo', 'twomemo'];
const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof OmemoError && error.code === code);
}

interface Party { device: OwnDevice; session?: Session }

function setup(version: OmemoVersion, seed = 'x'): { alice: Party; bob: Party } {
  const alice: Party = { device: createOwnDevice(version, { random: deterministicRandom(`alice-${seed}`), preKeyCount: 5 }) };
  const bob: Party = { device: createOwnDevice(version, { random: deterministicRandom(`bob-${seed}`), preKeyCount: 5 }) };
  alice.session = startSession(alice.device, getBundle(bob.device));
  return { alice, bob };
}

function send(from: Party, plaintext: string, version: OmemoVersion): { element: KeyElement; sealed: ReturnType<typeof encryptPayload> } {
  const sealed = encryptPayload(version, utf8(plaintext), deterministicRandom(plaintext));
  const { session, element } = encryptKey(from.session!, sealed.keyMaterial);
  from.session = session;
  return { element, sealed };
}

function receive(to: Party, message: { element: KeyElement; sealed: ReturnType<typeof encryptPayload> }, version: OmemoVersion): string {
  const result = decryptKey(to.device, to.session, message.element);
  to.device = result.device;
  to.session = result.session;
  return text(decryptPayload(version, { ...message.sealed, keyMaterial: result.keyMaterial }));
}

for (const version of VERSIONS) {
  test(`${version}: first message, replies both ways, session confirmed`, () => {
    const { alice, bob } = setup(version);
    const first = send(alice, 'hello bob', version);
    assert.equal(first.element.keyExchange, true);
    assert.equal(receive(bob, first, version), 'hello bob');
    assert.equal(bob.device.preKeys.length, 4, 'the used prekey is no longer published');
    assert.equal(bob.device.usedPreKeys.length, 1);
    const second = send(alice, 'still unconfirmed', version);
    assert.equal(second.element.keyExchange, true, 'key exchange repeated until the peer answers');
    assert.equal(receive(bob, second, version), 'still unconfirmed');
    const reply = send(bob, 'hi alice', version);
    assert.equal(reply.element.keyExchange, false);
    assert.equal(receive(alice, reply, version), 'hi alice');
    assert.equal(alice.session!.confirmed, true);
    for (let i = 0; i < 5; i++) {
      const a = send(alice, `a${i}`, version);
      assert.equal(a.element.keyExchange, false);
      assert.equal(receive(bob, a, version), `a${i}`);
      const b = send(bob, `b${i}`, version);
      assert.equal(receive(alice, b, version), `b${i}`);
    }
    assert.deepEqual(alice.session!.peerIdentityKey, bob.device.identity.publicKey);
    assert.deepEqual(bob.session!.peerIdentityKey, alice.device.identity.publicKey);
  });

  test(`${version}: out-of-order delivery within bounds, across ratchet steps`, () => {
    const { alice, bob } = setup(version, 'ooo');
    assert.equal(receive(bob, send(alice, 'start', version), version), 'start');
    assert.equal(receive(alice, send(bob, 'ack', version), version), 'ack');
    const batch = Array.from({ length: 6 }, (_, i) => send(alice, `m${i}`, version));
    // Bob answers in between, so Alice's next messages use a new ratchet key.
    assert.equal(receive(bob, batch[5]!, version), 'm5');
    assert.equal(receive(alice, send(bob, 'turn', version), version), 'turn');
    const later = send(alice, 'later', version);
    assert.equal(receive(bob, later, version), 'later');
    for (const i of [3, 0, 4, 1, 2]) assert.equal(receive(bob, batch[i]!, version), `m${i}`);
    rejects(() => receive(bob, batch[2]!, version), 'duplicate');
  });

  test(`${version}: the first key exchange lost, the second one starts the session`, () => {
    const { alice, bob } = setup(version, 'lost');
    send(alice, 'lost', version);
    const second = send(alice, 'arrives', version);
    assert.equal(second.element.keyExchange, true);
    assert.equal(receive(bob, second, version), 'arrives');
    assert.equal(receive(alice, send(bob, 'ok', version), version), 'ok');
    assert.equal(bob.session!.ratchet.skipped.length, 1, 'the lost message can still come');
  });

  test(`${version}: a message that skips more than ${MAX_SKIPPED_PER_MESSAGE} keys is refused, state unchanged`, () => {
    const { alice, bob } = setup(version, 'skip');
    assert.equal(receive(bob, send(alice, 'start', version), version), 'start');
    assert.equal(receive(alice, send(bob, 'ack', version), version), 'ack');
    for (let i = 0; i < MAX_SKIPPED_PER_MESSAGE + 1; i++) send(alice, 'lost', version);
    const far = send(alice, 'too far', version);
    const before = bob.session;
    rejects(() => receive(bob, far, version), 'too-many-skipped');
    assert.equal(bob.session, before);
    // Exactly at the bound works.
    const { alice: a2, bob: b2 } = setup(version, 'skip2');
    assert.equal(receive(b2, send(a2, 'start', version), version), 'start');
    assert.equal(receive(a2, send(b2, 'ack', version), version), 'ack');
    for (let i = 0; i < MAX_SKIPPED_PER_MESSAGE; i++) send(a2, 'lost', version);
    assert.equal(receive(b2, send(a2, 'just in', version), version), 'just in');
    assert.equal(b2.session!.ratchet.skipped.length, MAX_SKIPPED_PER_MESSAGE);
  });

  test(`${version}: replays are refused: a message, and a key exchange after its prekey is deleted`, () => {
    const { alice, bob } = setup(version, 'replay');
    const first = send(alice, 'once', version);
    assert.equal(receive(bob, first, version), 'once');
    rejects(() => receive(bob, first, version), 'duplicate');
    const reply = send(bob, 'r', version);
    assert.equal(receive(alice, reply, version), 'r');
    rejects(() => receive(alice, reply, version), 'duplicate');
    bob.device = deleteUsedPreKeys(bob.device);
    rejects(() => decryptKey(bob.device, undefined, first.element), 'unknown-prekey');
  });

  test(`${version}: a key exchange with an unknown signed prekey or another identity's bundle`, () => {
    const { alice, bob } = setup(version, 'spk');
    const first = send(alice, 'x', version);
    let rotated = rotateSignedPreKey(bob.device);
    rotated = rotateSignedPreKey(rotated);
    rejects(() => decryptKey(rotated, undefined, first.element), 'unknown-signed-prekey');
    // One rotation back is still accepted.
    assert.ok(decryptKey(rotateSignedPreKey(bob.device), undefined, first.element).keyMaterial.length > 0);
    const mallory = createOwnDevice(version, { preKeyCount: 1 });
    const forged = { ...getBundle(bob.device), identityKey: mallory.identity.publicKey };
    rejects(() => startSession(alice.device, forged), 'bad-signature');
    rejects(() => startSession(alice.device, { ...getBundle(bob.device), preKeys: [] }), 'unknown-prekey');
  });

  test(`${version}: device and session state survive JSON`, () => {
    const { alice, bob } = setup(version, 'json');
    assert.equal(receive(bob, send(alice, 'one', version), version), 'one');
    const restore = (p: Party): Party => ({
      device: deviceFromJSON(JSON.parse(JSON.stringify(deviceToJSON(p.device)))),
      session: sessionFromJSON(JSON.parse(JSON.stringify(sessionToJSON(p.session!)))),
    });
    const bob2 = restore(bob);
    assert.deepEqual(bob2.device, bob.device);
    assert.deepEqual(bob2.session, bob.session);
    const alice2 = restore(alice);
    assert.equal(receive(alice2, send(bob2, 'two', version), version), 'two');
    assert.equal(receive(bob2, send(alice2, 'three', version), version), 'three');
    rejects(() => sessionFromJSON({ ...sessionToJSON(bob.session!), version: 'x' }), 'bad-state');
    rejects(() => deviceFromJSON({ ...deviceToJSON(bob.device), identity: { secret: 'AAAA', publicKey: 'AAAA' } }), 'bad-state');
    rejects(() => deviceFromJSON('nonsense'), 'bad-state');
  });

  test(`${version}: prekeys refill with fresh ids; fingerprint in groups of 8`, () => {
    const device = createOwnDevice(version, { preKeyCount: 3 });
    const refilled = refillPreKeys({ ...device, preKeys: device.preKeys.slice(1) }, { target: 3 });
    assert.deepEqual(refilled.preKeys.map((p) => p.id), [2, 3, 4]);
    assert.match(fingerprint(device.identity.publicKey), /^([0-9a-f]{8} ){7}[0-9a-f]{8}$/);
  });

  test(`${version}: payload with a wrong key or tag is refused`, () => {
    const sealed = encryptPayload(version, utf8('secret'), deterministicRandom('p'));
    const badKey = Uint8Array.from(sealed.keyMaterial);
    badKey[0]! ^= 1;
    rejects(() => decryptPayload(version, { ...sealed, keyMaterial: badKey }), 'bad-mac');
    const badTag = Uint8Array.from(sealed.keyMaterial);
    badTag[badTag.length - 1]! ^= 1;
    rejects(() => decryptPayload(version, { ...sealed, keyMaterial: badTag }), 'bad-mac');
    const badPayload = Uint8Array.from(sealed.payload);
    badPayload[0]! ^= 1;
    rejects(() => decryptPayload(version, { ...sealed, payload: badPayload }), 'bad-mac');
    rejects(() => decryptPayload(version, { ...sealed, keyMaterial: sealed.keyMaterial.subarray(0, 5) }), 'malformed');
  });
}

test('oldmemo: legacy key material (16 bytes, tag appended to the payload) still decrypts', () => {
  const sealed = encryptPayload('oldmemo', utf8('legacy'), deterministicRandom('l'));
  const legacy = { payload: new Uint8Array([...sealed.payload, ...sealed.keyMaterial.subarray(16)]), iv: sealed.iv, keyMaterial: sealed.keyMaterial.subarray(0, 16) };
  assert.equal(text(decryptPayload('oldmemo', legacy)), 'legacy');
});
