/**
 * The OMEMO engine against the Python reference (python-oldmemo / python-twomemo
 * 1.0, live): sessions started from either side, replies, out-of-order delivery,
 * the skipped-key bound, payloads both ways, and signatures each side makes
 * verified by the other.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createOwnDevice, decryptKey, decryptPayload, encryptKey, encryptPayload, getBundle, OmemoError, startSession,
  MAX_SKIPPED_PER_MESSAGE, type Bundle, type OmemoVersion, type OwnDevice, type Session, type KeyElement,
} from '../../electron/core/omemo/index.js';
import { xeddsaSign, x25519PublicKey, clampPrivateKey, ed25519Sign, ed25519FromSeed } from '../../electron/core/omemo/crypto/xeddsa.js';
import { OmemoReference, hex, unhex } from '../fixtures/omemo-reference.js';
import { secureRandom } from '../../electron/core/otr/random.js';

const reference = new OmemoReference();
after(() => reference.close());

const VERSIONS: OmemoVersion[] = ['oldmemo', 'twomemo'];
let peerCounter = 0;

function bundleToJson(bundle: Bundle): Record<string, unknown> {
  return {
    identityKey: hex(bundle.identityKey),
    signedPreKeyId: bundle.signedPreKeyId,
    signedPreKey: hex(bundle.signedPreKey),
    signedPreKeySignature: hex(bundle.signedPreKeySignature),
    preKeys: bundle.preKeys.map((p) => ({ id: p.id, key: hex(p.key) })),
  };
}

function bundleFromJson(version: OmemoVersion, json: Record<string, unknown>): Bundle {
  const preKeys = json.preKeys as { id: number; key: string }[];
  return {
    version,
    identityKey: unhex(json.identityKey),
    signedPreKeyId: Number(json.signedPreKeyId),
    signedPreKey: unhex(json.signedPreKey),
    signedPreKeySignature: unhex(json.signedPreKeySignature),
    preKeys: preKeys.map((p) => ({ id: p.id, key: unhex(p.key) })),
  };
}

const keyMaterialFor = (version: OmemoVersion, i: number): Uint8Array =>
  new Uint8Array(version === 'oldmemo' ? 32 : 48).map((_, j) => (i * 31 + j) & 0xff);

class Ours {
  device: OwnDevice;
  session?: Session;
  constructor(readonly version: OmemoVersion) {
    this.device = createOwnDevice(version, { preKeyCount: 10 });
  }
  send(km: Uint8Array): KeyElement {
    const { session, element } = encryptKey(this.session!, km);
    this.session = session;
    return element;
  }
  receive(element: KeyElement): Uint8Array {
    const result = decryptKey(this.device, this.session, element);
    this.device = result.device;
    this.session = result.session;
    return result.keyMaterial;
  }
}

class Theirs {
  readonly peer = `py${++peerCounter}`;
  bundle?: Bundle;
  constructor(readonly version: OmemoVersion) {}
  async create(): Promise<this> {
    const response = await reference.ok({ op: 'create', peer: this.peer, version: this.version, preKeys: 10 });
    this.bundle = bundleFromJson(this.version, response.bundle as Record<string, unknown>);
    return this;
  }
  async start(bundle: Bundle, km: Uint8Array): Promise<KeyElement> {
    const r = await reference.ok({ op: 'start', peer: this.peer, name: 'ours', bundle: bundleToJson(bundle), keyMaterial: hex(km) });
    return { data: unhex(r.data), keyExchange: r.keyExchange === true };
  }
  async send(km: Uint8Array): Promise<KeyElement> {
    const r = await reference.ok({ op: 'encrypt', peer: this.peer, name: 'ours', keyMaterial: hex(km) });
    return { data: unhex(r.data), keyExchange: r.keyExchange === true };
  }
  async receive(element: KeyElement): Promise<Uint8Array> {
    const r = await reference.ok({ op: 'decrypt', peer: this.peer, name: 'ours', data: hex(element.data), keyExchange: element.keyExchange });
    return unhex(r.keyMaterial);
  }
}

for (const version of VERSIONS) {
  test(`${version}: we start the session with the reference, then talk both ways`, async () => {
    const ours = new Ours(version);
    const theirs = await new Theirs(version).create();
    ours.session = startSession(ours.device, theirs.bundle!);
    let i = 0;
    for (const _ of [1, 2]) {
      const km = keyMaterialFor(version, i++);
      const element = ours.send(km);
      assert.equal(element.keyExchange, true);
      assert.deepEqual(await theirs.receive(element), km);
    }
    for (let round = 0; round < 3; round++) {
      const fromThem = keyMaterialFor(version, i++);
      const theirElement = await theirs.send(fromThem);
      assert.equal(theirElement.keyExchange, false);
      assert.deepEqual(ours.receive(theirElement), fromThem);
      const fromUs = keyMaterialFor(version, i++);
      const ourElement = ours.send(fromUs);
      assert.equal(ourElement.keyExchange, false, 'confirmed once the reference answered');
      assert.deepEqual(await theirs.receive(ourElement), fromUs);
    }
  });

  test(`${version}: the reference starts the session with us; out-of-order and replays`, async () => {
    const ours = new Ours(version);
    const theirs = await new Theirs(version).create();
    const km0 = keyMaterialFor(version, 100);
    const first = await theirs.start(getBundle(ours.device), km0);
    assert.equal(first.keyExchange, true);
    assert.deepEqual(ours.receive(first), km0);
    const replyKm = keyMaterialFor(version, 101);
    assert.deepEqual(await theirs.receive(ours.send(replyKm)), replyKm);
    const batch: { km: Uint8Array; element: KeyElement }[] = [];
    for (let j = 0; j < 5; j++) {
      const km = keyMaterialFor(version, 110 + j);
      batch.push({ km, element: await theirs.send(km) });
    }
    for (const j of [4, 1, 3, 0, 2]) assert.deepEqual(ours.receive(batch[j]!.element), batch[j]!.km);
    assert.throws(() => ours.receive(batch[2]!.element), (e: unknown) => e instanceof OmemoError && e.code === 'duplicate');
    // Our answers go back out of order too.
    const ourBatch = [0, 1, 2].map((j) => ({ km: keyMaterialFor(version, 120 + j), element: ours.send(keyMaterialFor(version, 120 + j)) }));
    for (const j of [2, 0, 1]) assert.deepEqual(await theirs.receive(ourBatch[j]!.element), ourBatch[j]!.km);
  });

  test(`${version}: the skipped-key bound holds against the reference's messages`, async () => {
    const ours = new Ours(version);
    const theirs = await new Theirs(version).create();
    const first = await theirs.start(getBundle(ours.device), keyMaterialFor(version, 1));
    ours.receive(first);
    await theirs.receive(ours.send(keyMaterialFor(version, 2)));
    for (let j = 0; j < MAX_SKIPPED_PER_MESSAGE + 1; j++) await theirs.send(keyMaterialFor(version, 3));
    const far = await theirs.send(keyMaterialFor(version, 4));
    assert.throws(() => ours.receive(far), (e: unknown) => e instanceof OmemoError && e.code === 'too-many-skipped');
  });

  test(`${version}: payloads decrypt both ways`, async () => {
    const peer = await new Theirs(version).create();
    const sealed = encryptPayload(version, new TextEncoder().encode('Grüße aus Klatsch'), secureRandom);
    const theirPlain = await reference.ok({
      op: 'decrypt-payload', peer: peer.peer, payload: hex(sealed.payload), keyMaterial: hex(sealed.keyMaterial), iv: sealed.iv ? hex(sealed.iv) : undefined,
    });
    assert.equal(Buffer.from(unhex(theirPlain.plaintext)).toString('utf8'), 'Grüße aus Klatsch');
    const theirs = await reference.ok({ op: 'encrypt-payload', peer: peer.peer, plaintext: hex(new TextEncoder().encode('from python')) });
    const plain = decryptPayload(version, {
      payload: unhex(theirs.payload), keyMaterial: unhex(theirs.keyMaterial), ...(theirs.iv ? { iv: unhex(theirs.iv) } : {}),
    });
    assert.equal(new TextDecoder().decode(plain), 'from python');
  });

  test(`${version}: the reference refuses our message with a flipped MAC bit`, async () => {
    const ours = new Ours(version);
    const theirs = await new Theirs(version).create();
    ours.session = startSession(ours.device, theirs.bundle!);
    const element = ours.send(keyMaterialFor(version, 9));
    const tampered = Uint8Array.from(element.data);
    tampered[tampered.length - 1]! ^= 1;
    const response = await reference.call({ op: 'decrypt', peer: theirs.peer, name: 'ours', data: hex(tampered), keyExchange: true });
    assert.equal(response.ok, false);
  });
}

test('XEdDSA: our signatures verify in the reference, the reference\'s in ours', async () => {
  const { xeddsaVerify, ed25519Verify } = await import('../../electron/core/omemo/crypto/xeddsa.js');
  for (let i = 0; i < 20; i++) {
    const priv = clampPrivateKey(secureRandom(32));
    const message = secureRandom(1 + i * 7);
    const nonce = secureRandom(64);
    const ours = xeddsaSign(priv, message, nonce);
    const verified = await reference.ok({ op: 'xeddsa-verify', curvePub: hex(x25519PublicKey(priv)), message: hex(message), signature: hex(ours) });
    assert.equal(verified.valid, true);
    const wrong = await reference.ok({ op: 'xeddsa-verify', curvePub: hex(x25519PublicKey(priv)), message: hex(new Uint8Array([...message, 0])), signature: hex(ours) });
    assert.equal(wrong.valid, false);
    const theirs = await reference.ok({ op: 'xeddsa-sign', curvePriv: hex(priv), message: hex(message), nonce: hex(nonce) });
    assert.equal(xeddsaVerify(x25519PublicKey(priv), message, unhex(theirs.signature)), true);
    assert.equal(hex(unhex(theirs.signature)), hex(ours), 'same nonce, same signature');
    const seed = secureRandom(32);
    const edSig = ed25519Sign(seed, message);
    const edOk = await reference.ok({ op: 'ed25519-verify', edPub: hex(ed25519FromSeed(seed).edPub), message: hex(message), signature: hex(edSig) });
    assert.equal(edOk.valid, true);
    assert.equal(ed25519Verify(ed25519FromSeed(seed).edPub, message, edSig), true);
  }
});
