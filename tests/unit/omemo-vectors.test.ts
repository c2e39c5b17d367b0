/**
 * Known answers from the Python reference (python-xeddsa, -x3dh,
 * -doubleratchet, -oldmemo, -twomemo 1.0), generated from fixed seeds by
 * scripts/omemo-vectors.py into tests/vectors/omemo/: XEdDSA signatures and
 * key conversions, X3DH's shared secret and associated data, and whole
 * conversations whose every message our engine must produce byte for byte
 * (fed the same random values) and decrypt, in either role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  curve25519PublicToEd25519, ed25519FromSeed, ed25519PublicToCurve25519, x25519PublicKey, xeddsaSign, xeddsaVerify,
} from '../../electron/core/omemo/crypto/xeddsa.js';
import { x3dhActive, x3dhPassive, type Bundle } from '../../electron/core/omemo/crypto/x3dh.js';
import {
  createOwnDevice, decryptKey, decryptPayload, encryptKey, encryptPayload, startSession,
  type OmemoVersion, type OwnDevice, type Session,
} from '../../electron/core/omemo/index.js';
import type { RandomSource } from '../../electron/core/otr/random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../vectors/omemo/${name}`, import.meta.url), 'utf8')) as T;

/** Hands out the reference's random values in order; the prekey pick (4 bytes) is moot with one prekey. */
function replay(draws: string[]): RandomSource {
  const queue = draws.map(unhex);
  return (length: number) => {
    if (length === 4) return new Uint8Array(4);
    const next = queue.shift();
    assert.ok(next, `engine asked for ${length} more random bytes than the reference drew`);
    assert.equal(next.length, length, 'random draws in the same order as the reference');
    return next;
  };
}

interface XeddsaVectors {
  sign: { curvePriv: string; curvePub: string; message: string; nonce: string; signature: string }[];
  signBitInSignature: { curvePub: string; message: string; signature: string }[];
  conversions: { seed: string; edPub: string; curvePub: string; signBit: 0 | 1; curvePriv: string }[];
}

test('XEdDSA: our signatures equal the reference\'s for the same nonce, and verify', () => {
  const v = load<XeddsaVectors>('xeddsa.json');
  for (const s of v.sign) {
    assert.equal(hex(x25519PublicKey(unhex(s.curvePriv))), s.curvePub);
    assert.equal(hex(xeddsaSign(unhex(s.curvePriv), unhex(s.message), unhex(s.nonce))), s.signature);
    assert.equal(xeddsaVerify(unhex(s.curvePub), unhex(s.message), unhex(s.signature)), true);
    assert.equal(xeddsaVerify(unhex(s.curvePub), unhex(`${s.message}00`), unhex(s.signature)), false);
  }
});

test('XEdDSA: signatures carrying the Edwards sign bit (python-oldmemo, old libsignal) verify; without it they do not', () => {
  const v = load<XeddsaVectors>('xeddsa.json');
  for (const s of v.signBitInSignature) {
    const signature = unhex(s.signature);
    assert.equal(xeddsaVerify(unhex(s.curvePub), unhex(s.message), signature), true);
    signature[63] = signature[63]! & 0x7f;
    assert.equal(xeddsaVerify(unhex(s.curvePub), unhex(s.message), signature), false);
  }
});

test('Ed25519 <-> Curve25519 conversions match the reference', () => {
  const v = load<XeddsaVectors>('xeddsa.json');
  for (const c of v.conversions) {
    assert.equal(hex(ed25519PublicToCurve25519(unhex(c.edPub))), c.curvePub);
    assert.equal(hex(curve25519PublicToEd25519(unhex(c.curvePub), c.signBit)), c.edPub);
    const ours = ed25519FromSeed(unhex(c.seed));
    assert.equal(hex(ours.edPub), c.edPub);
    assert.equal(hex(x25519PublicKey(ours.curvePriv)), hex(x25519PublicKey(unhex(c.curvePriv))));
  }
});

interface Step { from: 'alice' | 'bob'; keyMaterial: string; data: string; keyExchange: boolean; senderDraws: string[]; receiverDraws: string[] }
interface SessionVectors {
  version: OmemoVersion;
  alice: { identitySecret: string; identityPublic: string };
  bob: {
    identitySecret: string; identityPublic: string; signedPreKeyPriv: string; preKeyPriv: string;
    bundle: { identityKey: string; signedPreKeyId: number; signedPreKey: string; signedPreKeySignature: string; preKeys: { id: number; key: string }[] };
  };
  x3dh: { sharedSecret: string; associatedData: string };
  steps: Step[];
  payloads: { plaintext: string; draws: string[]; payload: string; keyMaterial: string; iv?: string }[];
}

function bundleOf(v: SessionVectors): Bundle {
  const b = v.bob.bundle;
  return {
    version: v.version,
    identityKey: unhex(b.identityKey),
    signedPreKeyId: b.signedPreKeyId,
    signedPreKey: unhex(b.signedPreKey),
    signedPreKeySignature: unhex(b.signedPreKeySignature),
    preKeys: b.preKeys.map((p) => ({ id: p.id, key: unhex(p.key) })),
  };
}

function bobDevice(v: SessionVectors): OwnDevice {
  const b = v.bob.bundle;
  const template = createOwnDevice(v.version, { preKeyCount: 0 });
  return {
    ...template,
    identity: { secret: unhex(v.bob.identitySecret), publicKey: unhex(v.bob.identityPublic) },
    signedPreKey: { id: b.signedPreKeyId, priv: unhex(v.bob.signedPreKeyPriv), pub: unhex(b.signedPreKey), signature: unhex(b.signedPreKeySignature), createdAt: 0 },
    preKeys: [{ id: b.preKeys[0]!.id, priv: unhex(v.bob.preKeyPriv), pub: unhex(b.preKeys[0]!.key) }],
  };
}

function aliceDevice(v: SessionVectors): OwnDevice {
  const template = createOwnDevice(v.version, { preKeyCount: 0 });
  return { ...template, identity: { secret: unhex(v.alice.identitySecret), publicKey: unhex(v.alice.identityPublic) } };
}

for (const version of ['oldmemo', 'twomemo'] as const) {
  const v = load<SessionVectors>(`${version}-session.json`);

  test(`${version}: X3DH shared secret and associated data equal the reference's, both halves`, () => {
    const alice = aliceDevice(v);
    const dhPriv = version === 'oldmemo' ? alice.identity.secret : ed25519FromSeed(alice.identity.secret).curvePriv;
    const active = x3dhActive(version, { publicKey: alice.identity.publicKey, dhPriv }, bundleOf(v), replay(v.steps[0]!.senderDraws.slice(0, 1)));
    assert.equal(hex(active.sharedSecret), v.x3dh.sharedSecret);
    assert.equal(hex(active.associatedData), v.x3dh.associatedData);
    const bob = bobDevice(v);
    const bobDh = version === 'oldmemo' ? bob.identity.secret : ed25519FromSeed(bob.identity.secret).curvePriv;
    const passive = x3dhPassive(version, { publicKey: bob.identity.publicKey, dhPriv: bobDh },
      { signedPreKeyPriv: unhex(v.bob.signedPreKeyPriv), preKeyPriv: unhex(v.bob.preKeyPriv) }, alice.identity.publicKey, active.ephemeralPub);
    assert.equal(hex(passive.sharedSecret), v.x3dh.sharedSecret);
    assert.equal(hex(passive.associatedData), v.x3dh.associatedData);
  });

  test(`${version}: as the passive side (Bob) we decrypt the reference's messages and write its replies byte for byte`, () => {
    let device = bobDevice(v);
    let session: Session | undefined;
    for (const [i, step] of v.steps.entries()) {
      if (step.from === 'alice') {
        const result = decryptKey(device, session, { data: unhex(step.data), keyExchange: step.keyExchange }, { random: replay(step.receiverDraws) });
        assert.equal(hex(result.keyMaterial), step.keyMaterial, `step ${i}`);
        device = result.device;
        session = result.session;
      } else {
        const { session: next, element } = encryptKey(session!, unhex(step.keyMaterial));
        assert.equal(element.keyExchange, step.keyExchange, `step ${i}`);
        assert.equal(hex(element.data), step.data, `step ${i}`);
        session = next;
      }
    }
  });

  test(`${version}: as the active side (Alice) we write the reference's key exchange and messages byte for byte`, () => {
    const device = aliceDevice(v);
    let session: Session | undefined;
    for (const [i, step] of v.steps.entries()) {
      if (step.from === 'alice') {
        if (!session) session = startSession(device, bundleOf(v), { random: replay(step.senderDraws) });
        const { session: next, element } = encryptKey(session, unhex(step.keyMaterial));
        assert.equal(element.keyExchange, step.keyExchange, `step ${i}`);
        assert.equal(hex(element.data), step.data, `step ${i}`);
        session = next;
      } else {
        const result = decryptKey(device, session, { data: unhex(step.data), keyExchange: step.keyExchange }, { random: replay(step.receiverDraws) });
        assert.equal(hex(result.keyMaterial), step.keyMaterial, `step ${i}`);
        session = result.session;
      }
    }
    assert.equal(session!.confirmed, true);
  });

  test(`${version}: payload encryption equals the reference's for the same key (and IV)`, () => {
    for (const p of v.payloads) {
      const sealed = encryptPayload(version, unhex(p.plaintext), replay(p.draws));
      assert.equal(hex(sealed.payload), p.payload);
      assert.equal(hex(sealed.keyMaterial), p.keyMaterial);
      if (p.iv) assert.equal(hex(sealed.iv!), p.iv);
      const plain = decryptPayload(version, { payload: unhex(p.payload), keyMaterial: unhex(p.keyMaterial), ...(p.iv ? { iv: unhex(p.iv) } : {}) });
      assert.equal(hex(plain), p.plaintext);
    }
  });
}
