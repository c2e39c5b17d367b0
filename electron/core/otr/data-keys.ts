// Data-message key management (Protocol-v3 "Key Management", "Revealing MAC
// keys", "Computing AES keys, MAC keys…"): our two most recent DH key pairs
// and their two most recent public keys, with key ids; session keys per
// (our key, their key) pair, cached, each with its own send and receive
// counters; rotation when the peer acknowledges our newest key or sends a
// new one; the receiving MAC keys of forgotten keys queued for revealing.
// Mirrors libotr proto.c (rotate_dh_keys, rotate_y_keys, reveal_macs).
// Off the message's path: our next key pair (made when a message of ours
// first names it) comes from a pool made in an earlier turn (dh-pool.ts), and the session keys the next messages each way
// will need are derived in a later turn after each message (warmSoon); a
// message that comes first derives them itself, as before.
//
// @example
//   const keys = DataKeyState.fromAke(akeResult, random);
//   const bytes = keys.seal({ version: 3, senderInstance, receiverInstance }, 0, encodePlaintext('hi', []));
//   const opened = peerKeys.open(parseDataMessage(bytes)); // { ok: true, plaintext, extraKey }

import type { AkeResult } from './ake.js';
import { DhKeyPair, isValidDhPublic } from './dh.js';
import { DhKeyPairPool, laterTurn, type Scheduler } from './dh-pool.js';
import { deriveDataKeys, deriveExtraSymmetricKey } from './kdf.js';
import type { RandomSource } from './random.js';
import { decryptDataMessage, sealDataMessage, verifyDataMessage, type DataMessage } from './data-message.js';
import { MSG_DATA, bigintToFixed, bytesToBigint } from './wire.js';

const MAX_COUNTER = (1n << 64n) - 1n;

/** Keys for one (our key id, their key id) pair. */
interface SessionKeys {
  ourKeyId: number;
  theirKeyId: number;
  sendAes: Uint8Array;
  sendMac: Uint8Array;
  recvAes: Uint8Array;
  recvMac: Uint8Array;
  extraKey: Uint8Array;
  /** Last top-half counter we sent with this pair. */
  sendCtr: bigint;
  /** Last top-half counter we accepted with this pair. */
  recvCtr: bigint;
  /** A MAC was verified with recvMac (so it is revealed when the pair is forgotten). */
  recvMacUsed: boolean;
}

export type OpenResult =
  | { ok: true; plaintext: Uint8Array; extraKey: Uint8Array }
  | { ok: false; reason: 'unknown-keys' | 'bad-mac' | 'replayed-counter' | 'bad-next-key' };

export interface SealedMessage {
  bytes: Uint8Array;
  /** The extra symmetric key of the pair this message was sent with. */
  extraKey: Uint8Array;
}

export interface InstanceAddress {
  version: 2 | 3;
  senderInstance: number;
  receiverInstance: number;
}

export class DataKeyState {
  private ourKeyId: number;
  /**
   * our_dh[our_keyid], made when first needed: only a message we send names it (a peer can use it only after
   * that), so the AKE's last step does not wait for its exponentiation (a tenth of an AKE).
   */
  private ourCurrent: DhKeyPair | undefined;
  private ourPrevious: DhKeyPair;
  private theirKeyId: number;
  private theirCurrent: bigint;
  private theirPrevious: bigint | undefined;
  private readonly sessions = new Map<string, SessionKeys>();
  private macKeysToReveal: Uint8Array[] = [];
  private wiped = false;
  private readonly pool: DhKeyPairPool;
  private warmPending = false;

  private constructor(
    random: RandomSource,
    private readonly schedule: Scheduler,
    ourPrevious: DhKeyPair,
    ourPreviousId: number,
    theirKey: bigint,
    theirKeyId: number,
  ) {
    this.pool = new DhKeyPairPool(() => DhKeyPair.generate(random), schedule);
    this.ourPrevious = ourPrevious;
    this.ourCurrent = undefined;
    // Made in a later turn, so that our first message finds it ready.
    this.pool.refillSoon();
    this.ourKeyId = ourPreviousId + 1;
    this.theirCurrent = theirKey;
    this.theirKeyId = theirKeyId;
    this.theirPrevious = undefined;
  }

  /**
   * "Upon completing the AKE": our AKE key becomes our_dh[our_keyid-1] and a
   * fresh pair our_dh[our_keyid]; their AKE key is their_y[their_keyid] and
   * their_y[their_keyid-1] is unset. Takes ownership of `result.ourDh`.
   * `schedule` runs the work kept off the messages' path (tests pass their own to decide when).
   */
  static fromAke(result: AkeResult, random: RandomSource, schedule: Scheduler = laterTurn): DataKeyState {
    if (result.ourKeyId < 1 || result.theirKeyId < 1) throw new RangeError('AKE key ids must be > 0');
    if (!isValidDhPublic(result.theirDh)) throw new RangeError('invalid DH public key from the AKE');
    const state = new DataKeyState(random, schedule, result.ourDh, result.ourKeyId, result.theirDh, result.theirKeyId);
    state.warmSoon();
    return state;
  }

  /** Key ids in use, for diagnostics and tests. */
  get keyIds(): { ourKeyId: number; theirKeyId: number; hasTheirPrevious: boolean } {
    return { ourKeyId: this.ourKeyId, theirKeyId: this.theirKeyId, hasTheirPrevious: this.theirPrevious !== undefined };
  }

  /** Number of cached session-key pairs (at most 4). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Pre-generated key pairs ready for our next rotation, for tests. */
  get pooledKeyPairs(): number {
    return this.pool.size;
  }

  /** MAC keys waiting to be revealed in the next message we send. */
  get pendingRevealCount(): number {
    return this.macKeysToReveal.length;
  }

  private ourPair(id: number): DhKeyPair | undefined {
    if (id === this.ourKeyId) return this.ourCurrent; // undefined until a message of ours has named it
    if (id === this.ourKeyId - 1 && id > 0) return this.ourPrevious;
    return undefined;
  }

  private theirKey(id: number): bigint | undefined {
    if (id === this.theirKeyId) return this.theirCurrent;
    if (id === this.theirKeyId - 1 && id > 0) return this.theirPrevious;
    return undefined;
  }

  /** Session keys for the pair, derived on first use. */
  private session(ourKeyId: number, theirKeyId: number): SessionKeys | undefined {
    const id = `${ourKeyId}:${theirKeyId}`;
    const cached = this.sessions.get(id);
    if (cached) return cached;
    const ours = this.ourPair(ourKeyId);
    const theirs = this.theirKey(theirKeyId);
    if (!ours || theirs === undefined) return undefined;
    const secret = ours.sharedSecret(theirs);
    const keys = deriveDataKeys(ours.publicKey, theirs, secret);
    const created: SessionKeys = {
      ourKeyId,
      theirKeyId,
      ...keys,
      extraKey: deriveExtraSymmetricKey(secret),
      sendCtr: 0n,
      recvCtr: 0n,
      recvMacUsed: false,
    };
    this.sessions.set(id, created);
    return created;
  }

  /**
   * "When you send a Data Message": sender keyid our_keyid-1, recipient
   * keyid their_keyid, next DH = our_dh[our_keyid], counter + 1, and every
   * MAC key waiting to be revealed.
   */
  seal(address: InstanceAddress, flags: number, plaintext: Uint8Array): SealedMessage {
    this.assertLive();
    const senderKeyId = this.ourKeyId - 1;
    const keys = this.session(senderKeyId, this.theirKeyId);
    if (!keys) throw new Error('no session keys for sending');
    if (keys.sendCtr >= MAX_COUNTER) throw new Error('counter exhausted');
    keys.sendCtr += 1n;
    const reveal = concat(this.macKeysToReveal);
    const bytes = sealDataMessage(
      {
        header: { version: address.version, type: MSG_DATA, senderInstance: address.senderInstance, receiverInstance: address.receiverInstance },
        flags,
        senderKeyId,
        recipientKeyId: this.theirKeyId,
        nextDh: this.ourNewest().publicKey,
        ctr: bigintToFixed(keys.sendCtr, 8),
        plaintext,
      },
      keys.sendAes,
      keys.sendMac,
      reveal,
    );
    for (const k of this.macKeysToReveal) k.fill(0);
    this.macKeysToReveal = [];
    this.warmSoon();
    return { bytes, extraKey: keys.extraKey.slice() };
  }

  /**
   * "When you receive a Data Message": select keys by the key ids (reject
   * unknown ones), verify the MAC, require a strictly larger counter,
   * decrypt, then rotate our keys if they used our newest one and theirs if
   * they sent from their newest one. Nothing changes unless all checks pass.
   */
  open(msg: DataMessage): OpenResult {
    this.assertLive();
    const keys = msg.senderKeyId > 0 && msg.recipientKeyId > 0 ? this.session(msg.recipientKeyId, msg.senderKeyId) : undefined;
    if (!keys) return { ok: false, reason: 'unknown-keys' };
    if (!verifyDataMessage(msg, keys.recvMac)) return { ok: false, reason: 'bad-mac' };
    const ctr = bytesToBigint(msg.ctr);
    if (ctr <= keys.recvCtr) return { ok: false, reason: 'replayed-counter' };
    const rotateTheirs = msg.senderKeyId === this.theirKeyId;
    if (rotateTheirs && !isValidDhPublic(msg.nextDh)) return { ok: false, reason: 'bad-next-key' };
    keys.recvMacUsed = true;
    keys.recvCtr = ctr;
    const plaintext = decryptDataMessage(msg, keys.recvAes);
    const extraKey = keys.extraKey.slice();
    // Before the rotation, so that our reply's keys are derived before the pool's refill runs.
    this.warmSoon();
    if (msg.recipientKeyId === this.ourKeyId) this.rotateOurs();
    if (rotateTheirs) this.rotateTheirs(msg.nextDh);
    return { ok: true, plaintext, extraKey };
  }

  private ourNewest(): DhKeyPair {
    return (this.ourCurrent ??= this.pool.take());
  }

  /** Forget our_dh[our_keyid-1]; our newest pair becomes the previous one; make a new one. */
  private rotateOurs(): void {
    this.forgetSessions((s) => s.ourKeyId === this.ourKeyId - 1);
    this.ourPrevious.wipe();
    this.ourPrevious = this.ourNewest();
    this.ourCurrent = undefined;
    this.ourKeyId += 1;
  }

  /**
   * In a later turn, derives the session keys the next messages will need,
   * one pair per turn: ours for sending (our_keyid-1, their_keyid), and the
   * peer's reply once it has seen our newest key (our_keyid, their_keyid).
   * Reads the key ids when it runs, so it follows any rotation meanwhile.
   */
  private warmSoon(): void {
    if (this.warmPending || this.wiped) return;
    this.warmPending = true;
    this.schedule(() => {
      this.warmPending = false;
      if (this.wiped) return;
      const missing = [this.ourKeyId - 1, this.ourKeyId].filter((ours) => !this.sessions.has(`${ours}:${this.theirKeyId}`));
      const ours = missing[0];
      if (ours === undefined) return;
      let derived;
      try {
        derived = this.session(ours, this.theirKeyId);
      } catch {
        // A bad key fails the same way when a message needs it, where it is reported; not here, in a timer.
        return;
      }
      // (our_keyid, their_keyid) waits until a message of ours has named our newest key.
      if (derived && missing.length > 1) this.warmSoon();
    });
  }

  /** Forget their_y[their_keyid-1]; their newest key becomes the previous one. */
  private rotateTheirs(next: bigint): void {
    this.forgetSessions((s) => s.theirKeyId === this.theirKeyId - 1);
    this.theirPrevious = this.theirCurrent;
    this.theirCurrent = next;
    this.theirKeyId += 1;
  }

  /** Drops the matching pairs, queueing their used receiving MAC keys for revealing. */
  private forgetSessions(match: (s: SessionKeys) => boolean): void {
    for (const [id, s] of this.sessions) {
      if (!match(s)) continue;
      if (s.recvMacUsed) this.macKeysToReveal.push(s.recvMac.slice());
      wipeSession(s);
      this.sessions.delete(id);
    }
  }

  /** Wipes every key (end of the private conversation). */
  wipe(): void {
    if (this.wiped) return;
    this.wiped = true;
    for (const s of this.sessions.values()) wipeSession(s);
    this.sessions.clear();
    for (const k of this.macKeysToReveal) k.fill(0);
    this.macKeysToReveal = [];
    this.ourCurrent?.wipe();
    this.ourPrevious.wipe();
    this.pool.wipe();
  }

  private assertLive(): void {
    if (this.wiped) throw new Error('data keys have been wiped');
  }
}

function wipeSession(s: SessionKeys): void {
  s.sendAes.fill(0);
  s.sendMac.fill(0);
  s.recvAes.fill(0);
  s.recvMac.fill(0);
  s.extraKey.fill(0);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
