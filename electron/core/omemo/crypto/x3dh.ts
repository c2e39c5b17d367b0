// X3DH (Signal, "The X3DH Key Agreement Protocol", rev. 1, §3) as OMEMO uses
// it: Curve25519, SHA-256, 32 bytes of 0xFF in front of DH1..DH4, zero salt,
// info "WhisperText" (0.3) or "OMEMO X3DH" (omemo:2); a one-time prekey is
// required (python-x3dh's require_pre_key). The signed prekey's signature is
// XEdDSA over 0x05 || key under the Curve25519 identity (0.3) or Ed25519 over
// the raw key (omemo:2). AD = Encode(IK_A) || Encode(IK_B): 0x05 || Curve25519
// key in 0.3, the Ed25519 key in omemo:2.
//
// @example
//   const active = x3dhActive('twomemo', ownIdentity, bundle, secureRandom);
//   const passive = x3dhPassive('twomemo', peerIdentity, keys, active.ephemeralPub);
//   // active.sharedSecret equals passive.sharedSecret
import { OmemoError } from '../errors.js';
import { concatBytes } from '../bytes.js';
import { hkdfSha256 } from './primitives.js';
import { ed25519PublicToCurve25519, ed25519Verify, x25519NewPrivateKey, x25519PublicKey, x25519SharedSecret, xeddsaVerify } from './xeddsa.js';
import { encodePublicKey } from '../wire/proto.js';
import { PARAMS, type OmemoVersion } from '../version.js';
import type { RandomSource } from '../../otr/random.js';

/** Identity key as X3DH needs it: the public key in the version's form and the X25519 private key. */
export interface X3dhIdentity {
  /** 0.3: Curve25519 public key; omemo:2: Ed25519 public key. */
  publicKey: Uint8Array;
  /** X25519 private key (0.3: the identity itself; omemo:2: derived from the Ed25519 seed). */
  dhPriv: Uint8Array;
}

/** A peer's published bundle, keys raw (no 0x05 type byte). */
export interface Bundle {
  version: OmemoVersion;
  /** 0.3: Curve25519 public key; omemo:2: Ed25519 public key. */
  identityKey: Uint8Array;
  signedPreKeyId: number;
  signedPreKey: Uint8Array;
  signedPreKeySignature: Uint8Array;
  preKeys: { id: number; key: Uint8Array }[];
}

/** The peer's identity key in X25519 form. */
export function identityDhPublic(version: OmemoVersion, identityKey: Uint8Array): Uint8Array {
  if (identityKey.length !== 32) throw new OmemoError('malformed', 'identity key must be 32 bytes');
  return version === 'twomemo' ? ed25519PublicToCurve25519(identityKey) : Uint8Array.from(identityKey);
}

/** The message the signed prekey's signature covers. */
export function signedPreKeyMessage(version: OmemoVersion, signedPreKey: Uint8Array): Uint8Array {
  return encodePublicKey(version, signedPreKey);
}

export function verifySignedPreKey(version: OmemoVersion, identityKey: Uint8Array, signedPreKey: Uint8Array, signature: Uint8Array): boolean {
  const message = signedPreKeyMessage(version, signedPreKey);
  return version === 'oldmemo' ? xeddsaVerify(identityKey, message, signature) : ed25519Verify(identityKey, message, signature);
}

function associatedData(version: OmemoVersion, initiatorIdentity: Uint8Array, responderIdentity: Uint8Array): Uint8Array {
  // Both forms encode to PARAMS[version].adKeyLength bytes: 33 (0x05 || key) or 32.
  return concatBytes(encodePublicKey(version, initiatorIdentity), encodePublicKey(version, responderIdentity));
}

function deriveSharedSecret(version: OmemoVersion, dhs: Uint8Array[]): Uint8Array {
  return hkdfSha256(concatBytes(new Uint8Array(32).fill(0xff), ...dhs), new Uint8Array(32), PARAMS[version].x3dhInfo, 32);
}

export interface X3dhActiveResult {
  sharedSecret: Uint8Array;
  associatedData: Uint8Array;
  ephemeralPub: Uint8Array;
  preKeyId: number;
  signedPreKeyId: number;
}

function checkBundle(bundle: Bundle): void {
  const ok = bundle.identityKey instanceof Uint8Array && bundle.identityKey.length === 32
    && bundle.signedPreKey instanceof Uint8Array && bundle.signedPreKey.length === 32
    && bundle.signedPreKeySignature instanceof Uint8Array && bundle.signedPreKeySignature.length === 64
    && Number.isInteger(bundle.signedPreKeyId) && bundle.signedPreKeyId >= 0 && bundle.signedPreKeyId <= 0xffffffff
    && Array.isArray(bundle.preKeys)
    && bundle.preKeys.every((p) => p.key instanceof Uint8Array && p.key.length === 32 && Number.isInteger(p.id) && p.id >= 0 && p.id <= 0xffffffff);
  if (!ok) throw new OmemoError('malformed', 'bundle has keys of the wrong size or bad ids');
}

/** The initiator's half: verifies the bundle, picks a one-time prekey at random, derives SK and AD. */
export function x3dhActive(version: OmemoVersion, own: X3dhIdentity, bundle: Bundle, random: RandomSource): X3dhActiveResult {
  checkBundle(bundle);
  if (!verifySignedPreKey(version, bundle.identityKey, bundle.signedPreKey, bundle.signedPreKeySignature)) {
    throw new OmemoError('bad-signature', 'the signed prekey signature does not verify');
  }
  if (bundle.preKeys.length === 0) throw new OmemoError('unknown-prekey', 'the bundle has no one-time prekey');
  const pick = random(4);
  const preKey = bundle.preKeys[(((pick[0]! << 24) | (pick[1]! << 16) | (pick[2]! << 8) | pick[3]!) >>> 0) % bundle.preKeys.length]!;
  const ephemeralPriv = x25519NewPrivateKey(random);
  const peerIdentityDh = identityDhPublic(version, bundle.identityKey);
  const sharedSecret = deriveSharedSecret(version, [
    x25519SharedSecret(own.dhPriv, bundle.signedPreKey),
    x25519SharedSecret(ephemeralPriv, peerIdentityDh),
    x25519SharedSecret(ephemeralPriv, bundle.signedPreKey),
    x25519SharedSecret(ephemeralPriv, preKey.key),
  ]);
  const ephemeralPub = x25519PublicKey(ephemeralPriv);
  ephemeralPriv.fill(0);
  return {
    sharedSecret,
    associatedData: associatedData(version, own.publicKey, bundle.identityKey),
    ephemeralPub,
    preKeyId: preKey.id,
    signedPreKeyId: bundle.signedPreKeyId,
  };
}

/** The responder's half, with the private keys the key exchange names. */
export function x3dhPassive(
  version: OmemoVersion,
  own: X3dhIdentity,
  keys: { signedPreKeyPriv: Uint8Array; preKeyPriv: Uint8Array },
  peerIdentityKey: Uint8Array,
  ephemeralPub: Uint8Array,
): { sharedSecret: Uint8Array; associatedData: Uint8Array } {
  const peerIdentityDh = identityDhPublic(version, peerIdentityKey);
  const sharedSecret = deriveSharedSecret(version, [
    x25519SharedSecret(keys.signedPreKeyPriv, peerIdentityDh),
    x25519SharedSecret(own.dhPriv, ephemeralPub),
    x25519SharedSecret(keys.signedPreKeyPriv, ephemeralPub),
    x25519SharedSecret(keys.preKeyPriv, ephemeralPub),
  ]);
  return { sharedSecret, associatedData: associatedData(version, peerIdentityKey, own.publicKey) };
}
