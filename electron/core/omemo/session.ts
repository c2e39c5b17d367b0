// The OMEMO engine's API for the encryption provider: own device keys, bundles,
// sessions per peer device, encrypting and decrypting the key material that
// travels in <key> elements, and JSON forms of all state for the encrypted
// store. No I/O, no XMPP: bytes in, bytes and new state out. Randomness and the
// clock are injected. Every state value is treated as immutable: functions
// return the next state, and one that throws leaves the old one valid.
//
// Flow (both versions):
//   own = createOwnDevice('twomemo');            publish getBundle(own)
//   s = startSession(own, peerBundle);           // active X3DH
//   ({ session: s, element } = encryptKey(s, keyMaterial));  // element.keyExchange until s.confirmed
//   peer: ({ device, session, keyMaterial } = decryptKey(peerOwn, undefined, element));
import { OmemoError } from './errors.js';
import { bytesEqual, toHex } from './bytes.js';
import { ratchetDecrypt, ratchetEncrypt, ratchetInitActive, ratchetInitPassive, type RatchetState } from './crypto/double-ratchet.js';
import { x3dhActive, x3dhPassive, signedPreKeyMessage, type Bundle, type X3dhIdentity } from './crypto/x3dh.js';
import { clampPrivateKey, ed25519FromSeed, ed25519SeedToCurvePrivate, ed25519Sign, x25519NewPrivateKey, x25519PublicKey, xeddsaSign } from './crypto/xeddsa.js';
import { decodeAuthenticatedMessage, decodeKeyExchange, encodeKeyExchange, MAX_KEY_ELEMENT_BYTES } from './wire/proto.js';
import { PARAMS, type OmemoVersion } from './version.js';
import { secureRandom, type RandomSource } from '../otr/random.js';

export type { Bundle } from './crypto/x3dh.js';
export type { OmemoVersion } from './version.js';

export const DEFAULT_PREKEY_COUNT = 100;
/** python-omemo replaces the signed prekey weekly and keeps the old one a further period. */
export const SIGNED_PREKEY_ROTATION_MS = 7 * 24 * 3600 * 1000;

export interface PreKeyPair {
  id: number;
  priv: Uint8Array;
  pub: Uint8Array;
}

export interface SignedPreKeyPair extends PreKeyPair {
  signature: Uint8Array;
  /** ms since the epoch. */
  createdAt: number;
}

export interface OwnDevice {
  version: OmemoVersion;
  identity: {
    /** 0.3: Curve25519 private key (clamped); omemo:2: Ed25519 seed. */
    secret: Uint8Array;
    /** 0.3: Curve25519 public key; omemo:2: Ed25519 public key. */
    publicKey: Uint8Array;
  };
  signedPreKey: SignedPreKeyPair;
  /** The signed prekey before the last rotation, still accepted in key exchanges. */
  previousSignedPreKey: SignedPreKeyPair | null;
  /** Published one-time prekeys. */
  preKeys: PreKeyPair[];
  /** Prekeys used by a key exchange: no longer published, still usable until deleteUsedPreKeys(). */
  usedPreKeys: PreKeyPair[];
  nextPreKeyId: number;
  nextSignedPreKeyId: number;
}

export interface Session {
  version: OmemoVersion;
  initiation: 'active' | 'passive';
  /** Active sessions send key exchanges until the peer's first message decrypts. */
  confirmed: boolean;
  /** The peer device's identity key (0.3: Curve25519; omemo:2: Ed25519). */
  peerIdentityKey: Uint8Array;
  /** Initiator's identity || responder's identity, encoded per version. */
  associatedData: Uint8Array;
  /** The X3DH values that started the session (sent again with every message until confirmed). */
  keyExchange: { preKeyId: number; signedPreKeyId: number; ephemeralKey: Uint8Array };
  ratchet: RatchetState;
}

/** One <key> element's content for one device. */
export interface KeyElement {
  data: Uint8Array;
  /** 0.3: prekey="true"; omemo:2: kex="true". */
  keyExchange: boolean;
}

export interface EngineOptions {
  random?: RandomSource;
  now?: () => number;
}

/** omemo:2 identities' X25519 private keys by seed: the same array every session, so its key object is made once. */
const curvePrivates = new WeakMap<Uint8Array, Uint8Array>();

function identityForX3dh(device: OwnDevice): X3dhIdentity {
  const seed = device.identity.secret;
  let dhPriv = device.version === 'oldmemo' ? seed : curvePrivates.get(seed);
  if (!dhPriv) {
    dhPriv = ed25519SeedToCurvePrivate(seed);
    curvePrivates.set(seed, dhPriv);
  }
  return { publicKey: device.identity.publicKey, dhPriv };
}

function makeSignedPreKey(version: OmemoVersion, identitySecret: Uint8Array, id: number, random: RandomSource, now: number): SignedPreKeyPair {
  const priv = x25519NewPrivateKey(random);
  const pub = x25519PublicKey(priv);
  const message = signedPreKeyMessage(version, pub);
  const signature = version === 'oldmemo' ? xeddsaSign(identitySecret, message, random(64)) : ed25519Sign(identitySecret, message);
  return { id, priv, pub, signature, createdAt: now };
}

function makePreKeys(first: number, count: number, random: RandomSource): PreKeyPair[] {
  const keys: PreKeyPair[] = [];
  for (let i = 0; i < count; i++) {
    const priv = x25519NewPrivateKey(random);
    keys.push({ id: first + i, priv, pub: x25519PublicKey(priv) });
  }
  return keys;
}

/** A random device id in 1 .. 2^31-1, as XEP-0384 asks. */
export function generateDeviceId(random: RandomSource = secureRandom): number {
  for (;;) {
    const b = random(4);
    const id = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) & 0x7fffffff;
    if (id !== 0) return id;
  }
}

/** New identity, signed prekey (id 1) and `preKeyCount` one-time prekeys (ids 1..n). */
export function createOwnDevice(version: OmemoVersion, options: EngineOptions & { preKeyCount?: number } = {}): OwnDevice {
  const random = options.random ?? secureRandom;
  const now = (options.now ?? Date.now)();
  const preKeyCount = options.preKeyCount ?? DEFAULT_PREKEY_COUNT;
  let secret: Uint8Array;
  let publicKey: Uint8Array;
  if (version === 'oldmemo') {
    secret = clampPrivateKey(random(32));
    publicKey = x25519PublicKey(secret);
  } else {
    secret = random(32);
    const keys = ed25519FromSeed(secret);
    publicKey = keys.edPub;
    // Its X25519 key is used in every session: converted and imported now, as 0.3's identity is by x25519PublicKey.
    curvePrivates.set(secret, keys.curvePriv);
    x25519PublicKey(keys.curvePriv);
  }
  return {
    version,
    identity: { secret, publicKey },
    signedPreKey: makeSignedPreKey(version, secret, 1, random, now),
    previousSignedPreKey: null,
    preKeys: makePreKeys(1, preKeyCount, random),
    usedPreKeys: [],
    nextPreKeyId: preKeyCount + 1,
    nextSignedPreKeyId: 2,
  };
}

/** What to publish. */
export function getBundle(device: OwnDevice): Bundle {
  return {
    version: device.version,
    identityKey: device.identity.publicKey,
    signedPreKeyId: device.signedPreKey.id,
    signedPreKey: device.signedPreKey.pub,
    signedPreKeySignature: device.signedPreKey.signature,
    preKeys: device.preKeys.map((p) => ({ id: p.id, key: p.pub })),
  };
}

/** Tops the published prekeys up to `target` with fresh ids. */
export function refillPreKeys(device: OwnDevice, options: EngineOptions & { target?: number } = {}): OwnDevice {
  const missing = (options.target ?? DEFAULT_PREKEY_COUNT) - device.preKeys.length;
  if (missing <= 0) return device;
  const fresh = makePreKeys(device.nextPreKeyId, missing, options.random ?? secureRandom);
  return { ...device, preKeys: [...device.preKeys, ...fresh], nextPreKeyId: device.nextPreKeyId + missing };
}

/** Whether the signed prekey is due for rotation. */
export function signedPreKeyDue(device: OwnDevice, now: number = Date.now()): boolean {
  return now - device.signedPreKey.createdAt >= SIGNED_PREKEY_ROTATION_MS;
}

/** New signed prekey; the current one stays accepted until the next rotation. */
export function rotateSignedPreKey(device: OwnDevice, options: EngineOptions = {}): OwnDevice {
  const random = options.random ?? secureRandom;
  const now = (options.now ?? Date.now)();
  return {
    ...device,
    previousSignedPreKey: device.signedPreKey,
    signedPreKey: makeSignedPreKey(device.version, device.identity.secret, device.nextSignedPreKeyId, random, now),
    nextSignedPreKeyId: device.nextSignedPreKeyId + 1,
  };
}

/** Forgets prekeys consumed by key exchanges (after catching up with offline messages). */
export function deleteUsedPreKeys(device: OwnDevice): OwnDevice {
  return { ...device, usedPreKeys: [] };
}

/** Active session start: X3DH with the peer device's bundle. Throws 'bad-signature', 'unknown-prekey', 'malformed', 'bad-key'. */
export function startSession(device: OwnDevice, bundle: Bundle, options: EngineOptions = {}): Session {
  const random = options.random ?? secureRandom;
  if (bundle.version !== device.version) throw new OmemoError('malformed', 'bundle of another OMEMO version');
  const x3dh = x3dhActive(device.version, identityForX3dh(device), bundle, random);
  const ratchet = ratchetInitActive(device.version, x3dh.sharedSecret, bundle.signedPreKey, random);
  return {
    version: device.version,
    initiation: 'active',
    confirmed: false,
    peerIdentityKey: Uint8Array.from(bundle.identityKey),
    associatedData: x3dh.associatedData,
    keyExchange: { preKeyId: x3dh.preKeyId, signedPreKeyId: x3dh.signedPreKeyId, ephemeralKey: x3dh.ephemeralPub },
    ratchet,
  };
}

/** 0.3 authenticates sender identity || recipient identity (libsignal); omemo:2 always initiator || responder. */
function adFor(session: Session, direction: 'send' | 'receive'): Uint8Array {
  const ad = session.associatedData;
  if (session.version === 'twomemo') return ad;
  const swap = direction === 'send' ? session.initiation === 'passive' : session.initiation === 'active';
  if (!swap) return ad;
  const half = PARAMS.oldmemo.adKeyLength;
  const out = new Uint8Array(ad.length);
  out.set(ad.subarray(half), 0);
  out.set(ad.subarray(0, half), half);
  return out;
}

/** Encrypts key material (payload key || tag) for the session's device. */
export function encryptKey(session: Session, keyMaterial: Uint8Array): { session: Session; element: KeyElement } {
  const { state, message } = ratchetEncrypt(session.version, session.ratchet, keyMaterial, adFor(session, 'send'));
  const next: Session = { ...session, ratchet: state };
  if (session.initiation === 'active' && !session.confirmed) {
    const data = encodeKeyExchange(session.version, {
      preKeyId: session.keyExchange.preKeyId,
      signedPreKeyId: session.keyExchange.signedPreKeyId,
      identityKey: ownIdentityOf(session),
      ephemeralKey: session.keyExchange.ephemeralKey,
      message,
    });
    return { session: next, element: { data, keyExchange: true } };
  }
  return { session: next, element: { data: message, keyExchange: false } };
}

/** Our identity key as the session's associated data holds it (initiator first). */
function ownIdentityOf(session: Session): Uint8Array {
  const half = PARAMS[session.version].adKeyLength;
  const encoded = session.initiation === 'active' ? session.associatedData.subarray(0, half) : session.associatedData.subarray(half);
  return session.version === 'oldmemo' ? encoded.slice(1) : encoded.slice();
}

export interface DecryptResult {
  device: OwnDevice;
  session: Session;
  keyMaterial: Uint8Array;
  /** True when this message started a new session (a key exchange we had not seen). */
  newSession: boolean;
}

function findPreKey(device: OwnDevice, id: number): PreKeyPair | undefined {
  return device.preKeys.find((p) => p.id === id) ?? device.usedPreKeys.find((p) => p.id === id);
}

function sameKeyExchange(session: Session, identityKey: Uint8Array, kex: { preKeyId: number; signedPreKeyId: number; ephemeralKey: Uint8Array }): boolean {
  return session.initiation === 'passive'
    && bytesEqual(session.peerIdentityKey, identityKey)
    && session.keyExchange.preKeyId === kex.preKeyId
    && session.keyExchange.signedPreKeyId === kex.signedPreKeyId
    && bytesEqual(session.keyExchange.ephemeralKey, kex.ephemeralKey);
}

/**
 * Decrypts the key material in a <key> element from one peer device.
 * `existing` is the stored session with that device, if any. A key exchange
 * that matches the existing session is decrypted in it (a repeat of the first
 * messages); another one replaces it (the peer started over) and is reported
 * as `newSession`. The provider must check `session.peerIdentityKey` against
 * the device's trusted key. Throws OmemoError only.
 */
export function decryptKey(device: OwnDevice, existing: Session | undefined, element: KeyElement, options: EngineOptions = {}): DecryptResult {
  const random = options.random ?? secureRandom;
  if (!(element?.data instanceof Uint8Array)) throw new OmemoError('malformed', 'key element: no data');
  if (element.data.length > MAX_KEY_ELEMENT_BYTES) throw new OmemoError('malformed', 'key element: too large');
  const version = device.version;
  if (existing && existing.version !== version) throw new OmemoError('bad-state', 'session of another OMEMO version');
  if (!element.keyExchange) {
    if (!existing) throw new OmemoError('bad-state', 'no session with this device');
    const { state, plaintext } = ratchetDecrypt(version, existing.ratchet, element.data, adFor(existing, 'receive'), random);
    return { device, session: { ...existing, ratchet: state, confirmed: true }, keyMaterial: checkKeyMaterial(version, plaintext), newSession: false };
  }
  const kex = decodeKeyExchange(version, element.data);
  if (existing && sameKeyExchange(existing, kex.identityKey, kex)) {
    const { state, plaintext } = ratchetDecrypt(version, existing.ratchet, kex.message, adFor(existing, 'receive'), random);
    return { device, session: { ...existing, ratchet: state }, keyMaterial: checkKeyMaterial(version, plaintext), newSession: false };
  }
  const signedPreKey = [device.signedPreKey, device.previousSignedPreKey].find((k) => k && k.id === kex.signedPreKeyId);
  if (!signedPreKey) throw new OmemoError('unknown-signed-prekey', `no signed prekey with id ${kex.signedPreKeyId}`);
  const preKey = findPreKey(device, kex.preKeyId);
  if (!preKey) throw new OmemoError('unknown-prekey', `no prekey with id ${kex.preKeyId}`);
  const x3dh = x3dhPassive(version, identityForX3dh(device), { signedPreKeyPriv: signedPreKey.priv, preKeyPriv: preKey.priv }, kex.identityKey, kex.ephemeralKey);
  // The first ratchet key is in the message header: parse it before starting the ratchet (and decrypt it as parsed).
  const first = decodeAuthenticatedMessage(version, kex.message);
  const initial = ratchetInitPassive(version, x3dh.sharedSecret, signedPreKey.priv, first.header.dhPub, random);
  const session: Session = {
    version,
    initiation: 'passive',
    confirmed: true,
    peerIdentityKey: kex.identityKey,
    associatedData: x3dh.associatedData,
    keyExchange: { preKeyId: kex.preKeyId, signedPreKeyId: kex.signedPreKeyId, ephemeralKey: kex.ephemeralKey },
    ratchet: initial,
  };
  const { state, plaintext } = ratchetDecrypt(version, initial, kex.message, adFor(session, 'receive'), random, first);
  const keyMaterial = checkKeyMaterial(version, plaintext);
  // The prekey is used up: no longer published, kept until deleteUsedPreKeys() for repeats of this exchange.
  const nextDevice: OwnDevice = device.preKeys.some((p) => p.id === preKey.id)
    ? { ...device, preKeys: device.preKeys.filter((p) => p.id !== preKey.id), usedPreKeys: [...device.usedPreKeys, preKey] }
    : device;
  return { device: nextDevice, session: { ...session, ratchet: state }, keyMaterial, newSession: true };
}

function checkKeyMaterial(version: OmemoVersion, plaintext: Uint8Array): Uint8Array {
  const { keyLength, tagLength } = PARAMS[version];
  // Full key || tag, or the key alone (empty messages; 0.3's legacy senders).
  if (plaintext.length !== keyLength + tagLength && plaintext.length !== keyLength) {
    throw new OmemoError('decrypt-failed', 'key material of unexpected length');
  }
  return plaintext;
}

/** Fingerprint of an identity key as clients show it: lowercase hex in groups of 8 (0.3: Curve25519 form; omemo:2: Ed25519). */
export function fingerprint(identityKey: Uint8Array): string {
  if (identityKey.length !== 32) throw new OmemoError('malformed', 'identity key must be 32 bytes');
  return toHex(identityKey).match(/.{8}/g)!.join(' ');
}
