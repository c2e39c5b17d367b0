// The Double Ratchet (Signal, "The Double Ratchet Algorithm", rev. 1, §3,
// §5.2) as OMEMO parametrises it: X25519 ratchet keys; root chain HKDF-SHA-256
// (salt = root key, info per version); message chains HMAC-SHA-256 with 0x01
// (message key) and 0x02 (next chain key); message keys expanded with
// HKDF-SHA-256 (zero salt, info per version) into AES-256-CBC key, HMAC key
// and IV; the MAC (truncated to 8 bytes in 0.3, 16 in omemo:2) covers
// associated data || message. Mirrors python-doubleratchet 1.0 with the
// oldmemo / twomemo AEADs, including where skipped message keys are dropped.
//
// The state is a plain value. Every function returns a new state and leaves
// the one passed in untouched, so a message that fails to decrypt changes
// nothing.
//
// @example
//   const { state: next, message } = ratchetEncrypt('twomemo', state, keyMaterial, associatedData);
import { OmemoError } from '../errors.js';
import { bytesEqual, macEqual } from '../bytes.js';
import { aesCbcDecrypt, aesCbcEncrypt, hkdfSha256 } from './primitives.js';
import { destroyHmacKey, hmac, hmacKey } from './sha256.js';
import { x25519NewPrivateKey, x25519PublicKey, x25519SharedSecret } from './xeddsa.js';
import {
  decodeAuthenticatedMessage, encodeAuthenticatedMessage, encodeOmemoMessage, macInputFor, type AuthenticatedMessage, type RatchetHeader,
} from '../wire/proto.js';
import { CHAIN_KEY_SEED, MESSAGE_KEY_SEED, PARAMS, type OmemoVersion } from '../version.js';
import type { RandomSource } from '../../otr/random.js';

/** Most message keys one message may make us derive (python-omemo's default). */
export const MAX_SKIPPED_PER_MESSAGE = 1000;
/** Most skipped message keys a session keeps; the oldest go first. */
export const MAX_SKIPPED_PER_SESSION = 1000;

export interface ChainState {
  key: Uint8Array;
  /** Number of steps taken (= index of the next message key). */
  length: number;
}

export interface SkippedKey {
  ratchetPub: Uint8Array;
  index: number;
  messageKey: Uint8Array;
}

export interface RatchetState {
  rootKey: Uint8Array;
  ownRatchetPriv: Uint8Array;
  otherRatchetPub: Uint8Array;
  sending: ChainState;
  receiving: ChainState | null;
  previousSendingLength: number;
  /** Oldest first. */
  skipped: SkippedKey[];
  /** The peer's last few earlier ratchet keys, newest last: a message under one of them is a replay, not a new step. */
  previousPeerRatchetPubs: Uint8Array[];
}

/** How many earlier peer ratchet keys are remembered to name replays. */
const REMEMBERED_RATCHET_KEYS = 8;

function rootStep(version: OmemoVersion, rootKey: Uint8Array, dhOutput: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const out = hkdfSha256(dhOutput, rootKey, PARAMS[version].rootInfo, 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32) };
}

const CHAIN_KEY_INPUT = Uint8Array.of(CHAIN_KEY_SEED);
const MESSAGE_KEY_INPUT = Uint8Array.of(MESSAGE_KEY_SEED);

function chainStep(chain: ChainState): { chain: ChainState; messageKey: Uint8Array } {
  const key = hmacKey(chain.key); // both MACs under one chain key: its padded blocks hashed once
  const next = { chain: { key: hmac(key, CHAIN_KEY_INPUT), length: chain.length + 1 }, messageKey: hmac(key, MESSAGE_KEY_INPUT) };
  destroyHmacKey(key);
  return next;
}

function expandMessageKey(version: OmemoVersion, messageKey: Uint8Array): { encKey: Uint8Array; authKey: Uint8Array; iv: Uint8Array } {
  const out = hkdfSha256(messageKey, new Uint8Array(32), PARAMS[version].messageKeyInfo, 80);
  return { encKey: out.slice(0, 32), authKey: out.slice(32, 64), iv: out.slice(64, 80) };
}

function cloneState(state: RatchetState): RatchetState {
  return {
    ...state,
    sending: { ...state.sending },
    receiving: state.receiving ? { ...state.receiving } : null,
    skipped: state.skipped.slice(),
    previousPeerRatchetPubs: state.previousPeerRatchetPubs.slice(),
  };
}

function newRatchetPriv(random: RandomSource): Uint8Array {
  return x25519NewPrivateKey(random);
}

/** Active side (sent the key exchange): its first sending chain, towards the peer's signed prekey. */
export function ratchetInitActive(version: OmemoVersion, sharedSecret: Uint8Array, peerSignedPreKey: Uint8Array, random: RandomSource): RatchetState {
  const ownRatchetPriv = newRatchetPriv(random);
  const { rootKey, chainKey } = rootStep(version, sharedSecret, x25519SharedSecret(ownRatchetPriv, peerSignedPreKey));
  return {
    rootKey,
    ownRatchetPriv,
    otherRatchetPub: Uint8Array.from(peerSignedPreKey),
    sending: { key: chainKey, length: 0 },
    receiving: null,
    previousSendingLength: 0,
    skipped: [],
    previousPeerRatchetPubs: [],
  };
}

/** Passive side: the signed prekey is the first ratchet key; the first message's ratchet key starts the receiving chain. */
export function ratchetInitPassive(
  version: OmemoVersion, sharedSecret: Uint8Array, signedPreKeyPriv: Uint8Array, peerRatchetPub: Uint8Array, random: RandomSource,
): RatchetState {
  const receive = rootStep(version, sharedSecret, x25519SharedSecret(signedPreKeyPriv, peerRatchetPub));
  const ownRatchetPriv = newRatchetPriv(random);
  const send = rootStep(version, receive.rootKey, x25519SharedSecret(ownRatchetPriv, peerRatchetPub));
  return {
    rootKey: send.rootKey,
    ownRatchetPriv,
    otherRatchetPub: Uint8Array.from(peerRatchetPub),
    sending: { key: send.chainKey, length: 0 },
    receiving: { key: receive.chainKey, length: 0 },
    previousSendingLength: 0,
    skipped: [],
    previousPeerRatchetPubs: [],
  };
}

/** Encrypts `plaintext` (the key material) under the next sending key. */
export function ratchetEncrypt(
  version: OmemoVersion, state: RatchetState, plaintext: Uint8Array, associatedData: Uint8Array,
): { state: RatchetState; message: Uint8Array; header: RatchetHeader } {
  const next = cloneState(state);
  const header: RatchetHeader = { dhPub: x25519PublicKey(state.ownRatchetPriv), n: state.sending.length, pn: state.previousSendingLength };
  const { chain, messageKey } = chainStep(state.sending);
  next.sending = chain;
  const { encKey, authKey, iv } = expandMessageKey(version, messageKey);
  const ciphertext = aesCbcEncrypt(encKey, iv, plaintext);
  const macInput = macInputFor(version, encodeOmemoMessage(version, header, ciphertext));
  const mac = hmac(authKey, associatedData, macInput).slice(0, PARAMS[version].macLength);
  return { state: next, message: encodeAuthenticatedMessage(version, macInput, mac), header };
}

function skipUntil(state: RatchetState, until: number, limit: 'throw' | 'drop'): void {
  const receiving = state.receiving;
  if (!receiving) return;
  const count = until - receiving.length;
  if (count <= 0) return;
  if (count > MAX_SKIPPED_PER_MESSAGE) {
    if (limit === 'throw') throw new OmemoError('too-many-skipped', `message would skip ${count} keys (at most ${MAX_SKIPPED_PER_MESSAGE})`);
    // Keys of a chain the peer has left are not worth a denial of service: as python-doubleratchet, drop them.
    return;
  }
  let chain = receiving;
  for (let i = 0; i < count; i++) {
    const step = chainStep(chain);
    state.skipped.push({ ratchetPub: state.otherRatchetPub, index: chain.length, messageKey: step.messageKey });
    chain = step.chain;
  }
  state.receiving = chain;
}

/**
 * Authenticates and decrypts one ratchet message (the encoded authenticated
 * message). Returns the next state; the state passed in stays valid if this throws.
 */
export function ratchetDecrypt(
  version: OmemoVersion, state: RatchetState, message: Uint8Array, associatedData: Uint8Array, random: RandomSource,
  /** `message` already decoded (a key exchange's first message, whose header started the ratchet). */
  decoded?: AuthenticatedMessage,
): { state: RatchetState; plaintext: Uint8Array; header: RatchetHeader } {
  const parsed = decoded ?? decodeAuthenticatedMessage(version, message);
  const { header } = parsed;
  const next = cloneState(state);
  let messageKey: Uint8Array;
  const skippedIndex = next.skipped.findIndex((s) => s.index === header.n && bytesEqual(s.ratchetPub, header.dhPub));
  if (skippedIndex >= 0) {
    messageKey = next.skipped[skippedIndex]!.messageKey;
    next.skipped.splice(skippedIndex, 1);
  } else {
    if (!bytesEqual(header.dhPub, next.otherRatchetPub)) {
      if (next.previousPeerRatchetPubs.some((pub) => bytesEqual(pub, header.dhPub))) {
        throw new OmemoError('duplicate', 'message of an earlier chain whose key is gone');
      }
      skipUntil(next, header.pn, 'drop');
      // The active side's first "peer ratchet key" is the signed prekey, never a message's: not a replay marker.
      if (next.receiving) next.previousPeerRatchetPubs = [...next.previousPeerRatchetPubs, next.otherRatchetPub].slice(-REMEMBERED_RATCHET_KEYS);
      next.otherRatchetPub = Uint8Array.from(header.dhPub);
      const receive = rootStep(version, next.rootKey, x25519SharedSecret(next.ownRatchetPriv, header.dhPub));
      next.receiving = { key: receive.chainKey, length: 0 };
      next.ownRatchetPriv = newRatchetPriv(random);
      const send = rootStep(version, receive.rootKey, x25519SharedSecret(next.ownRatchetPriv, header.dhPub));
      next.rootKey = send.rootKey;
      next.previousSendingLength = next.sending.length;
      next.sending = { key: send.chainKey, length: 0 };
    }
    if (!next.receiving) throw new OmemoError('bad-state', 'no receiving chain');
    skipUntil(next, header.n, 'throw');
    if (header.n < next.receiving.length) throw new OmemoError('duplicate', 'message was already decrypted');
    const step = chainStep(next.receiving);
    next.receiving = step.chain;
    messageKey = step.messageKey;
  }
  const { encKey, authKey, iv } = expandMessageKey(version, messageKey);
  const mac = hmac(authKey, associatedData, parsed.macInput).slice(0, PARAMS[version].macLength);
  if (!macEqual(mac, parsed.mac)) throw new OmemoError('bad-mac', 'message authentication failed');
  const plaintext = aesCbcDecrypt(encKey, iv, parsed.ciphertext);
  if (next.skipped.length > MAX_SKIPPED_PER_SESSION) next.skipped = next.skipped.slice(next.skipped.length - MAX_SKIPPED_PER_SESSION);
  return { state: next, plaintext, header };
}
