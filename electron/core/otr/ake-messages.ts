// The AKE's messages (Protocol-v3 "D-H Commit Message", "D-H Key Message", "Reveal Signature Message",
// "Signature Message") and the authenticated part X they carry: formats and the MACs over them, no state.
// ake.ts runs the exchange with them.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { secretKey } from '../secret-key.js';
import { decodePublicKey, signatureLength, type DsaPublicKey } from './dsa.js';
import {
  MAC_LENGTH,
  MSG_DH_COMMIT,
  MSG_DH_KEY,
  MSG_REVEAL_SIGNATURE,
  MSG_SIGNATURE,
  OtrParseError,
  Reader,
  Writer,
  readHeader,
  writeHeader,
} from './wire.js';

// ---- Messages ----

export interface AkeMessageBase {
  version: 2 | 3;
  /** 0 for v2. */
  senderInstance: number;
  /** 0 for v2. */
  receiverInstance: number;
}

export interface DhCommitMessage extends AkeMessageBase {
  type: 'dh-commit';
  /** AES128-CTR_r(gxmpi), initial counter 0. */
  encryptedGx: Uint8Array;
  /** SHA256(gxmpi), 32 bytes. */
  hashedGx: Uint8Array;
}

export interface DhKeyMessage extends AkeMessageBase {
  type: 'dh-key';
  gy: bigint;
}

export interface RevealSignatureMessage extends AkeMessageBase {
  type: 'reveal-signature';
  /** r, 16 bytes. */
  revealedKey: Uint8Array;
  /** AES128-CTR_c(X_B). */
  encryptedSignature: Uint8Array;
  /** First 20 bytes of HMAC-SHA256_m2(DATA(encryptedSignature)). */
  mac: Uint8Array;
}

export interface SignatureMessage extends AkeMessageBase {
  type: 'signature';
  /** AES128-CTR_c'(X_A). */
  encryptedSignature: Uint8Array;
  /** First 20 bytes of HMAC-SHA256_m2'(DATA(encryptedSignature)). */
  mac: Uint8Array;
}

export type AkeMessage = DhCommitMessage | DhKeyMessage | RevealSignatureMessage | SignatureMessage;

export const TYPE_CODES: Record<AkeMessage['type'], number> = {
  'dh-commit': MSG_DH_COMMIT,
  'dh-key': MSG_DH_KEY,
  'reveal-signature': MSG_REVEAL_SIGNATURE,
  signature: MSG_SIGNATURE,
};

/** Bound on the encrypted gxmpi (a valid one is at most 4 + 192 bytes). */
const MAX_ENCRYPTED_GX = 4 + 2048;
/** Bound on the encrypted X (PUBKEY + keyid + SIG is well under this). */
const MAX_ENCRYPTED_SIGNATURE = 16 * 1024;
export const R_LENGTH = 16;
const HASH_LENGTH = 32;

export function isAkeMessageType(type: number): boolean {
  return type === MSG_DH_COMMIT || type === MSG_DH_KEY || type === MSG_REVEAL_SIGNATURE || type === MSG_SIGNATURE;
}

/** Full message bytes: header (version, type, v3 instance tags) and body. */
export function encodeAkeMessage(msg: AkeMessage): Uint8Array {
  const w = new Writer();
  writeHeader(w, { version: msg.version, type: TYPE_CODES[msg.type], senderInstance: msg.senderInstance, receiverInstance: msg.receiverInstance });
  switch (msg.type) {
    case 'dh-commit':
      return w.data(msg.encryptedGx).data(msg.hashedGx).bytes();
    case 'dh-key':
      return w.mpi(msg.gy).bytes();
    case 'reveal-signature':
      return w.data(msg.revealedKey).data(msg.encryptedSignature).raw(msg.mac).bytes();
    case 'signature':
      return w.data(msg.encryptedSignature).raw(msg.mac).bytes();
  }
}

/** Parses a full AKE message. Throws OtrParseError on anything malformed. */
export function decodeAkeMessage(bytes: Uint8Array): AkeMessage {
  const r = new Reader(bytes);
  const h = readHeader(r);
  const base: AkeMessageBase = { version: h.version, senderInstance: h.senderInstance, receiverInstance: h.receiverInstance };
  let msg: AkeMessage;
  switch (h.type) {
    case MSG_DH_COMMIT: {
      const encryptedGx = r.data(MAX_ENCRYPTED_GX);
      const hashedGx = r.data(HASH_LENGTH);
      if (hashedGx.length !== HASH_LENGTH) throw new OtrParseError('hashed g^x must be 32 bytes');
      msg = { ...base, type: 'dh-commit', encryptedGx, hashedGx };
      break;
    }
    case MSG_DH_KEY:
      msg = { ...base, type: 'dh-key', gy: r.mpi() };
      break;
    case MSG_REVEAL_SIGNATURE: {
      const revealedKey = r.data(R_LENGTH);
      if (revealedKey.length !== R_LENGTH) throw new OtrParseError('revealed key must be 16 bytes');
      const encryptedSignature = r.data(MAX_ENCRYPTED_SIGNATURE);
      msg = { ...base, type: 'reveal-signature', revealedKey, encryptedSignature, mac: r.fixed(MAC_LENGTH) };
      break;
    }
    case MSG_SIGNATURE: {
      const encryptedSignature = r.data(MAX_ENCRYPTED_SIGNATURE);
      msg = { ...base, type: 'signature', encryptedSignature, mac: r.fixed(MAC_LENGTH) };
      break;
    }
    default:
      throw new OtrParseError(`not an AKE message type: ${h.type}`);
  }
  r.end();
  return msg;
}

// ---- The authenticated, encrypted part X = pub, keyid, sig(M) ----

export interface SignedPart {
  publicKey: DsaPublicKey;
  /** The PUBKEY exactly as it appears in X. */
  publicKeyBytes: Uint8Array;
  keyId: number;
  signature: Uint8Array;
}

/** X_B / X_A plaintext: PUBKEY, keyid (INT), SIG. */
export function encodeSignedPart(publicKeyBytes: Uint8Array, keyId: number, signature: Uint8Array): Uint8Array {
  return new Writer().raw(publicKeyBytes).int(keyId).raw(signature).bytes();
}

/** Parses X; the SIG must be exactly 2 * |q| bytes and the keyid non-zero. */
export function decodeSignedPart(bytes: Uint8Array): SignedPart {
  const r = new Reader(bytes);
  const start = r.offset;
  const publicKey = decodePublicKey(r);
  const publicKeyBytes = bytes.slice(start, r.offset);
  const keyId = r.int();
  if (keyId === 0) throw new OtrParseError('key id must be > 0');
  const signature = r.fixed(signatureLength(publicKey));
  r.end();
  return { publicKey, publicKeyBytes, keyId, signature };
}

/** M = HMAC-SHA256_m1(ourDhPub MPI, theirDhPub MPI, PUBKEY, keyid INT), 32 bytes. */
export function computeAuthenticator(m1: Uint8Array, firstDh: bigint, secondDh: bigint, publicKeyBytes: Uint8Array, keyId: number): Uint8Array {
  const body = new Writer().mpi(firstDh).mpi(secondDh).raw(publicKeyBytes).int(keyId).bytes();
  return new Uint8Array(createHmac('sha256', secretKey(m1)).update(body).digest());
}

/** SHA256-HMAC-160 of the encrypted signature field as DATA (4-byte length included). */
export function macEncryptedSignature(m2: Uint8Array, encryptedSignature: Uint8Array): Uint8Array {
  const field = new Writer().data(encryptedSignature).bytes();
  return new Uint8Array(createHmac('sha256', secretKey(m2)).update(field).digest()).slice(0, MAC_LENGTH);
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

/** Compares two byte strings as unsigned big-endian integers of equal length. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
