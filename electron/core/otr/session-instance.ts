// The OTR state kept for one instance of the peer (Protocol-v3 "The protocol
// state machine": msgstate PLAINTEXT / ENCRYPTED / FINISHED, plus the AKE in
// progress with that instance). v3 sessions are keyed by the peer's instance
// tag; the single v2 session uses key 0. OtrConversation (session.ts) routes
// messages to these and turns their results into OtrOutput.

import type { Ake, AkeResult } from './ake.js';
import { DataKeyState, type OpenResult } from './data-keys.js';
import { encodePlaintext, type DataMessage } from './data-message.js';
import { fingerprint, formatFingerprint, type DsaPublicKey } from './dsa.js';
import type { OtrTlvRecord } from './events.js';
import type { RandomSource } from './random.js';

export type MessageState =
  | { kind: 'plaintext' }
  | {
      kind: 'encrypted';
      version: 2 | 3;
      keys: DataKeyState;
      /** "%08x %08x" of the 64-bit secure session id. */
      ssid: string;
      /** True if we sent the Reveal Signature message (the first half of the ssid is ours to read out). */
      initiator: boolean;
      theirLongTerm: DsaPublicKey;
      fingerprint: string;
    }
  | { kind: 'finished'; version: 2 | 3 };

export function formatSsid(ssid: Uint8Array): string {
  const hex = Buffer.from(ssid).toString('hex');
  return `${hex.slice(0, 8)} ${hex.slice(8, 16)}`;
}

export class InstanceSession {
  ake: Ake | undefined;
  state: MessageState = { kind: 'plaintext' };
  /** now() of the last data message we sent with this instance. */
  lastSent = Number.NEGATIVE_INFINITY;
  /** Increases each time we accept a message from this instance or go private with it. */
  lastActivity = 0;
  private static activitySeq = 0;

  constructor(
    /** The peer's instance tag (0 for the v2 session). */
    readonly instance: number,
    private readonly random: RandomSource,
  ) {}

  get kind(): MessageState['kind'] {
    return this.state.kind;
  }

  /**
   * Enters ENCRYPTED with the AKE's keys (wiping any previous ones). Returns
   * true if this refreshed a private conversation with the same key.
   */
  goEncrypted(version: 2 | 3, result: AkeResult): boolean {
    const fp = formatFingerprint(fingerprint(result.theirLongTerm));
    const refreshed = this.state.kind === 'encrypted' && this.state.fingerprint === fp;
    const keys = DataKeyState.fromAke(result, this.random);
    this.wipeKeys();
    this.state = {
      kind: 'encrypted',
      version,
      keys,
      ssid: formatSsid(result.ssid),
      initiator: result.initiator,
      theirLongTerm: result.theirLongTerm,
      fingerprint: fp,
    };
    result.ssid.fill(0);
    this.touch();
    return refreshed;
  }

  /** Seals a data message; the caller encodes and fragments it. Requires ENCRYPTED. */
  seal(ourInstance: number, text: string, tlvs: readonly OtrTlvRecord[], flags: number, now: number): { bytes: Uint8Array; extraKey: Uint8Array } {
    if (this.state.kind !== 'encrypted') throw new Error('not in a private conversation');
    const plaintext = encodePlaintext(text, tlvs);
    try {
      const sealed = this.state.keys.seal(
        { version: this.state.version, senderInstance: ourInstance, receiverInstance: this.instance },
        flags,
        plaintext,
      );
      this.lastSent = now;
      return sealed;
    } finally {
      plaintext.fill(0);
    }
  }

  open(msg: DataMessage): OpenResult {
    if (this.state.kind !== 'encrypted') return { ok: false, reason: 'unknown-keys' };
    const result = this.state.keys.open(msg);
    if (result.ok) this.touch();
    return result;
  }

  private touch(): void {
    this.lastActivity = ++InstanceSession.activitySeq;
  }

  /** The peer closed its side: forget the keys, refuse to send until end() or a new AKE. */
  finish(): void {
    const version = this.state.kind === 'plaintext' ? 3 : this.state.version;
    this.wipeKeys();
    this.state = { kind: 'finished', version };
  }

  /** Back to PLAINTEXT (user ended the conversation). */
  toPlaintext(): void {
    this.wipeKeys();
    this.state = { kind: 'plaintext' };
  }

  /** Forgets the AKE in progress, if any. */
  resetAke(): void {
    this.ake?.reset();
    this.ake = undefined;
  }

  /** Wipes everything (conversation disposed). */
  dispose(): void {
    this.resetAke();
    this.toPlaintext();
  }

  private wipeKeys(): void {
    if (this.state.kind === 'encrypted') this.state.keys.wipe();
  }
}
