// The OTR authenticated key exchange (SIGMA variant), Protocol-v3
// "Authenticated Key Exchange (AKE)" and "The protocol state machine"
// (authstate transitions incl. commit collisions and retransmissions), for
// protocol versions 3 and 2; the message formats are in ake-messages.ts.
// Transport-free: bytes in, bytes out.
import { aesCtrZeroIv } from './aes-ctr.js';
import {
  compareBytes,
  computeAuthenticator,
  constantTimeEqual,
  decodeAkeMessage,
  decodeSignedPart,
  encodeAkeMessage,
  encodeSignedPart,
  macEncryptedSignature,
  R_LENGTH,
  sha256,
  TYPE_CODES,
  type AkeMessage,
  type AkeMessageBase,
  type DhCommitMessage,
  type DhKeyMessage,
  type RevealSignatureMessage,
  type SignatureMessage,
  type SignedPart,
} from './ake-messages.js';
import { DhKeyPair, isValidDhPublic } from './dh.js';
import { type DsaPrivateKey, type DsaPublicKey, dsaSign, dsaVerify, encodePublicKey } from './dsa.js';
import { type AkeKeys, deriveAkeKeys } from './kdf.js';
import type { RandomSource } from './random.js';
import { MIN_INSTANCE_TAG, OtrParseError, Reader, checkInstanceTags, encodeMpi } from './wire.js';

// ---- The state machine ----

export interface AkeContext {
  version: 2 | 3;
  /** Our v3 instance tag (>= 0x100); ignored for v2. */
  ourInstance: number;
  /** Their v3 instance tag, or 0 if not yet known (learned from their first accepted message). */
  theirInstance: number;
  longTerm: DsaPrivateKey;
  random: RandomSource;
  /** Key id of the D-H key we use in the AKE; default 1. */
  ourKeyId?: number;
}

export interface AkeResult {
  /** 8-byte secure session id. */
  ssid: Uint8Array;
  theirLongTerm: DsaPublicKey;
  /** Our D-H key pair; ownership passes to the caller. */
  ourDh: DhKeyPair;
  ourKeyId: number;
  theirDh: bigint;
  theirKeyId: number;
  /**
   * True if we sent the Reveal Signature message (we committed first); the
   * spec then shows the first half of the ssid in bold, else the second.
   */
  initiator: boolean;
  secret?: never;
}

export type AkeState = 'none' | 'awaiting-dhkey' | 'awaiting-revealsig' | 'awaiting-sig';

export interface AkeOutput {
  /** Message to send (full OTR message bytes, to be base64'd). */
  reply?: Uint8Array;
  /** Set when the AKE completed successfully. */
  done?: AkeResult;
  /** Why the message was ignored (no state change). Never contains secrets. */
  ignored?: string;
}

interface Committed {
  dh: DhKeyPair;
  r: Uint8Array;
  hashedGx: Uint8Array;
  message: Uint8Array;
}

interface Responding {
  dh: DhKeyPair;
  theirEncryptedGx: Uint8Array;
  theirHashedGx: Uint8Array;
  message: Uint8Array;
}

interface AwaitingSig {
  dh: DhKeyPair;
  theirGy: bigint;
  keys: AkeKeys;
  message: Uint8Array;
}

type Internal =
  | { state: 'none' }
  | { state: 'awaiting-dhkey'; data: Committed }
  | { state: 'awaiting-revealsig'; data: Responding }
  | { state: 'awaiting-sig'; data: AwaitingSig };

function wipeKeys(keys: AkeKeys): void {
  for (const k of [keys.ssid, keys.c, keys.cPrime, keys.m1, keys.m2, keys.m1Prime, keys.m2Prime]) k.fill(0);
}

export class Ake {
  private readonly ctx: AkeContext;
  private readonly ourKeyId: number;
  private readonly ourPublicKeyBytes: Uint8Array;
  private theirTag: number;
  private internal: Internal = { state: 'none' };

  constructor(ctx: AkeContext) {
    if (ctx.version !== 2 && ctx.version !== 3) throw new RangeError('unsupported OTR version');
    if (ctx.version === 3 && (ctx.ourInstance < MIN_INSTANCE_TAG || ctx.ourInstance > 0xffffffff)) throw new RangeError('invalid instance tag');
    const keyId = ctx.ourKeyId ?? 1;
    if (!Number.isInteger(keyId) || keyId < 1 || keyId > 0xffffffff) throw new RangeError('key id must be > 0');
    this.ctx = ctx;
    this.ourKeyId = keyId;
    this.theirTag = ctx.version === 3 ? ctx.theirInstance : 0;
    this.ourPublicKeyBytes = encodePublicKey(ctx.longTerm);
  }

  get state(): AkeState {
    return this.internal.state;
  }

  get version(): 2 | 3 {
    return this.ctx.version;
  }

  /** Their instance tag: given, or learned from the first accepted message; 0 if unknown (and always for v2). */
  get theirInstance(): number {
    return this.theirTag;
  }

  /** The last AKE message we sent in the current state (for retransmission), if any. */
  get lastSent(): Uint8Array | undefined {
    return this.internal.state === 'none' ? undefined : this.internal.data.message;
  }

  /** Sends a (new) D-H Commit message; enters awaiting-dhkey. */
  start(): Uint8Array {
    this.reset();
    const dh = DhKeyPair.generate(this.ctx.random);
    const r = this.ctx.random(R_LENGTH).slice();
    if (r.length !== R_LENGTH) throw new Error('random source returned wrong length');
    const gxmpi = encodeMpi(dh.publicKey);
    const hashedGx = sha256(gxmpi);
    const message = this.encode({ type: 'dh-commit', encryptedGx: aesCtrZeroIv(r, gxmpi), hashedGx });
    this.internal = { state: 'awaiting-dhkey', data: { dh, r, hashedGx, message } };
    return message;
  }

  /** Forgets any AKE in progress (wiping its secrets). */
  reset(): void {
    const cur = this.internal;
    if (cur.state !== 'none') {
      cur.data.dh.wipe();
      if (cur.state === 'awaiting-dhkey') cur.data.r.fill(0);
      if (cur.state === 'awaiting-sig') wipeKeys(cur.data.keys);
    }
    this.internal = { state: 'none' };
  }

  /** Processes one incoming message (full OTR message bytes). */
  receive(bytes: Uint8Array): AkeOutput {
    let msg: AkeMessage;
    try {
      msg = decodeAkeMessage(bytes);
    } catch (e) {
      if (e instanceof OtrParseError) return { ignored: `malformed: ${e.message}` };
      throw e;
    }
    const problem = this.checkEnvelope(msg);
    if (problem) return { ignored: problem };
    switch (msg.type) {
      case 'dh-commit':
        return this.onCommit(msg);
      case 'dh-key':
        return this.onKey(msg);
      case 'reveal-signature':
        return this.onRevealSignature(msg);
      case 'signature':
        return this.onSignature(msg);
    }
  }

  // ---- helpers ----

  private encode(body: DistributiveOmit<AkeMessage, keyof AkeMessageBase>): Uint8Array {
    const v3 = this.ctx.version === 3;
    const base: AkeMessageBase = { version: this.ctx.version, senderInstance: v3 ? this.ctx.ourInstance : 0, receiverInstance: v3 ? this.theirTag : 0 };
    return encodeAkeMessage({ ...base, ...body } as AkeMessage);
  }

  private checkEnvelope(msg: AkeMessage): string | undefined {
    if (msg.version !== this.ctx.version) return `protocol version ${msg.version} (expected ${this.ctx.version})`;
    if (msg.version === 2) return undefined;
    const header = { version: msg.version, type: TYPE_CODES[msg.type], senderInstance: msg.senderInstance, receiverInstance: msg.receiverInstance };
    const bad = checkInstanceTags(header, this.ctx.ourInstance, msg.type === 'dh-commit');
    if (bad) return bad;
    if (this.theirTag !== 0 && msg.senderInstance !== this.theirTag) return 'message from another instance';
    return undefined;
  }

  private learnInstance(msg: AkeMessage): void {
    if (msg.version === 3 && this.theirTag === 0) this.theirTag = msg.senderInstance;
  }

  /** Reply with a D-H Key message (fresh y), remembering their commitment. */
  private respondToCommit(msg: DhCommitMessage): AkeOutput {
    this.reset();
    this.learnInstance(msg);
    const dh = DhKeyPair.generate(this.ctx.random);
    const message = this.encode({ type: 'dh-key', gy: dh.publicKey });
    this.internal = {
      state: 'awaiting-revealsig',
      data: { dh, theirEncryptedGx: msg.encryptedGx, theirHashedGx: msg.hashedGx, message },
    };
    return { reply: message };
  }

  private onCommit(msg: DhCommitMessage): AkeOutput {
    const cur = this.internal;
    switch (cur.state) {
      case 'none':
      case 'awaiting-sig':
        return this.respondToCommit(msg);
      case 'awaiting-dhkey':
        // Commit collision: the higher hashed g^x (32-byte big-endian) wins.
        if (compareBytes(cur.data.hashedGx, msg.hashedGx) > 0) return { reply: cur.data.message };
        return this.respondToCommit(msg);
      case 'awaiting-revealsig':
        // Use the new commitment, but retransmit the same D-H Key message.
        cur.data.theirEncryptedGx = msg.encryptedGx;
        cur.data.theirHashedGx = msg.hashedGx;
        return { reply: cur.data.message };
    }
  }

  private onKey(msg: DhKeyMessage): AkeOutput {
    const cur = this.internal;
    if (cur.state === 'awaiting-sig') {
      if (msg.gy === cur.data.theirGy) return { reply: cur.data.message };
      return { ignored: 'different D-H Key message while awaiting signature' };
    }
    if (cur.state !== 'awaiting-dhkey') return { ignored: `unexpected D-H Key message in state ${cur.state}` };
    if (!isValidDhPublic(msg.gy)) return { ignored: 'g^y out of range' };
    const { dh, r } = cur.data;
    const keys = deriveAkeKeys(dh.sharedSecret(msg.gy));
    this.learnInstance(msg);
    const authenticator = computeAuthenticator(keys.m1, dh.publicKey, msg.gy, this.ourPublicKeyBytes, this.ourKeyId);
    const encryptedSignature = this.encryptSignedPart(keys.c, authenticator);
    const message = this.encode({
      type: 'reveal-signature',
      revealedKey: r,
      encryptedSignature,
      mac: macEncryptedSignature(keys.m2, encryptedSignature),
    });
    r.fill(0);
    this.internal = { state: 'awaiting-sig', data: { dh, theirGy: msg.gy, keys, message } };
    return { reply: message };
  }

  private onRevealSignature(msg: RevealSignatureMessage): AkeOutput {
    const cur = this.internal;
    if (cur.state !== 'awaiting-revealsig') return { ignored: `unexpected Reveal Signature message in state ${cur.state}` };
    const { dh, theirEncryptedGx, theirHashedGx } = cur.data;
    const gxmpi = aesCtrZeroIv(msg.revealedKey, theirEncryptedGx);
    if (!constantTimeEqual(sha256(gxmpi), theirHashedGx)) return { ignored: 'revealed g^x does not match its hash' };
    let gx: bigint;
    try {
      const r = new Reader(gxmpi);
      gx = r.mpi();
      r.end();
    } catch {
      return { ignored: 'malformed g^x' };
    }
    if (!isValidDhPublic(gx)) return { ignored: 'g^x out of range' };
    const keys = deriveAkeKeys(dh.sharedSecret(gx));
    const verified = this.verifySignedPart(msg, keys.m2, keys.c, keys.m1, gx, dh.publicKey);
    if (typeof verified === 'string') {
      wipeKeys(keys);
      return { ignored: verified };
    }
    // Reply with our Signature message: M_A = MAC_m1'(g^y, g^x, pub_A, keyid_A).
    const authenticator = computeAuthenticator(keys.m1Prime, dh.publicKey, gx, this.ourPublicKeyBytes, this.ourKeyId);
    const encryptedSignature = this.encryptSignedPart(keys.cPrime, authenticator);
    const reply = this.encode({ type: 'signature', encryptedSignature, mac: macEncryptedSignature(keys.m2Prime, encryptedSignature) });
    const done = this.result(keys, verified, dh, gx, false);
    return { reply, done };
  }

  private onSignature(msg: SignatureMessage): AkeOutput {
    const cur = this.internal;
    if (cur.state !== 'awaiting-sig') return { ignored: `unexpected Signature message in state ${cur.state}` };
    const { dh, theirGy, keys } = cur.data;
    const verified = this.verifySignedPart(msg, keys.m2Prime, keys.cPrime, keys.m1Prime, theirGy, dh.publicKey);
    if (typeof verified === 'string') return { ignored: verified };
    return { done: this.result(keys, verified, dh, theirGy, true) };
  }

  /** pub, keyid, sig(M) encrypted with AES-CTR(c), initial counter 0. */
  private encryptSignedPart(c: Uint8Array, authenticator: Uint8Array): Uint8Array {
    const signature = dsaSign(this.ctx.longTerm, authenticator, this.ctx.random);
    return aesCtrZeroIv(c, encodeSignedPart(this.ourPublicKeyBytes, this.ourKeyId, signature));
  }

  /**
   * Checks MAC_m2(AES_c(X)), decrypts X and verifies sig(M) with
   * M = MAC_m1(theirDh, ourDh, pub, keyid). Returns X or a reason.
   */
  private verifySignedPart(
    msg: RevealSignatureMessage | SignatureMessage,
    m2: Uint8Array,
    c: Uint8Array,
    m1: Uint8Array,
    theirDh: bigint,
    ourDh: bigint,
  ): SignedPart | string {
    if (!constantTimeEqual(macEncryptedSignature(m2, msg.encryptedSignature), msg.mac)) return 'bad MAC';
    let x: SignedPart;
    try {
      x = decodeSignedPart(aesCtrZeroIv(c, msg.encryptedSignature));
    } catch (e) {
      return `malformed signature block${e instanceof OtrParseError ? `: ${e.message}` : ''}`;
    }
    // Only canonical PUBKEY encodings, so the fingerprint is of what was signed.
    if (!constantTimeEqual(encodePublicKey(x.publicKey), x.publicKeyBytes)) return 'non-canonical public key encoding';
    const authenticator = computeAuthenticator(m1, theirDh, ourDh, x.publicKeyBytes, x.keyId);
    if (!dsaVerify(x.publicKey, authenticator, x.signature)) return 'bad signature';
    return x;
  }

  private result(keys: AkeKeys, x: SignedPart, ourDh: DhKeyPair, theirDh: bigint, initiator: boolean): AkeResult {
    const ssid = keys.ssid.slice();
    wipeKeys(keys);
    // Ownership of ourDh passes to the caller: leave the state without wiping it.
    this.internal = { state: 'none' };
    return { ssid, theirLongTerm: x.publicKey, ourDh, ourKeyId: this.ourKeyId, theirDh, theirKeyId: x.keyId, initiator };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
