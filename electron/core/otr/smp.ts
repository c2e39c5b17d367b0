// The Socialist Millionaires' Protocol state machine (Protocol-v3 "Socialist
// Millionaires' Protocol (SMP)": "Secret information", "The SMP state
// machine", "SMP Hash function", "Receiving a type 2..5 TLV", "User requests
// to begin / abort SMP"), with the checks of libotr 4.1.1 (sm.c, message.c):
// MPI counts, group elements in [2, p-2], D values in [1, q), every
// zero-knowledge proof (smp-proofs.ts). Pure protocol: no I/O, no session; smp-session.ts
// wires it to OtrConversation. Alice = initiator, Bob = responder, as the spec.
//
// Message values (TLV value = INT count, then that many MPIs):
//   SMP1  (TLV 2)  g2a, c2, D2, g3a, c3, D3                      6 MPIs
//   SMP1Q (TLV 7)  question bytes, NUL, then SMP1
//   SMP2  (TLV 3)  g2b, c2, D2, g3b, c3, D3, Pb, Qb, cP, D5, D6  11 MPIs
//   SMP3  (TLV 4)  Pa, Qa, cP, D5, D6, Ra, cR, D7                8 MPIs
//   SMP4  (TLV 5)  Rb, cR, D7                                    3 MPIs
//   abort (TLV 6)  empty
//
// Who may trust what (libotr message.c set_smp_trust; both sides get
// OTRL_SMPEVENT_SUCCESS / FAILURE): the initiator, on a successful SMP4,
// marks the peer's fingerprint verified ("smp"). The responder does too on a
// successful SMP3, but only if the SMP1 carried no question (TLV 2, a shared
// secret both typed): after answering a question (TLV 7) the responder has
// shown who *it* is, but learnt nothing about the asker, who chose the
// question and its answer. This is `weVerifiedThem`. (libotr also resets the
// trust to "" on FAILURE — and on a cheating SMP3/SMP4 — on the side that
// would have marked it; what the app does with a failure is its choice.)
//
// Secrets are BigInts, which cannot be wiped; they are dropped on reset.

import { createHash } from 'node:crypto';
import type { OtrTlvRecord } from './events.js';
import type { RandomSource } from './random.js';
import { SMP_GENERATOR as G1, divMod, mulMod, powMod, randomExponent, smpHash, subMulModQ } from './smp-group.js';
import { checkCoords, checkLog, checkLogs, proveLog, readMpis, requireExponents, requireGroup, SmpFailure, writeMpis } from './smp-proofs.js';
import { TLV_SMP1, TLV_SMP1Q, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT } from './tlv.js';
import { bytesToBigint } from './wire.js';

/** Version byte of the combined secret ("Secret information"). */
export const SMP_SECRET_VERSION = 1;

/**
 * The secret compared by SMP: SHA-256(0x01 || initiator fingerprint (20) ||
 * responder fingerprint (20) || secure session id (8) || secret), the secret
 * being the user's string as raw UTF-8 bytes (no trimming, no case folding,
 * no Unicode normalisation: "Müller" typed with a combining diaeresis is
 * another secret).
 */
export function smpSecret(initiatorFingerprint: Uint8Array, responderFingerprint: Uint8Array, ssid: Uint8Array, secret: string): bigint {
  if (initiatorFingerprint.length !== 20 || responderFingerprint.length !== 20) throw new RangeError('fingerprints are 20 bytes');
  const h = createHash('sha256')
    .update(Uint8Array.of(SMP_SECRET_VERSION))
    .update(initiatorFingerprint)
    .update(responderFingerprint)
    .update(ssid)
    .update(Buffer.from(secret, 'utf8'))
    .digest();
  return bytesToBigint(h);
}

export type SmpExpect = 1 | 2 | 3 | 4;

/** The machine's whole state: plain data (bigints), so a worker thread can take it and give it back (smp-worker.ts). */
export type SmpState = State;

type State =
  /** EXPECT1; `request` is a verified SMP1 waiting for the user's secret (libotr keeps EXPECT1 too). */
  | { expect: 1; request?: Request }
  /** Alice after SMP1. */
  | { expect: 2; x: bigint; a2: bigint; a3: bigint }
  /** Bob after SMP2. */
  | { expect: 3; g2: bigint; g3: bigint; g3a: bigint; b3: bigint; pb: bigint; qb: bigint; receivedQuestion: boolean }
  /** Alice after SMP3. */
  | { expect: 4; g3b: bigint; pab: bigint; qab: bigint; a3: bigint };

interface Request {
  question: string | undefined;
  g3a: bigint;
  g2: bigint;
  g3: bigint;
  b2: bigint;
  b3: bigint;
}

export type SmpReceiveResult =
  /** A valid SMP1 (question: SMP1Q): ask the user for the secret, then respond(). */
  | { kind: 'request'; question?: string }
  /** SMP2 verified: send `tlv` (SMP3). */
  | { kind: 'reply'; tlv: OtrTlvRecord }
  /** The comparison is done (Bob: send `tlv` = SMP4 first). */
  | { kind: 'done'; tlv?: OtrTlvRecord; success: boolean; weVerifiedThem: boolean; initiator: boolean }
  /** The peer aborted (TLV 6); `wasActive` if an exchange or request was pending. */
  | { kind: 'aborted'; wasActive: boolean }
  /** Wrong state, malformed message or failed proof: the state is reset, the caller sends TLV 6. */
  | { kind: 'error'; message: string }
  /** Not an SMP TLV. */
  | { kind: 'ignored' };

export class SmpMachine {
  private state: State = { expect: 1 };

  constructor(private readonly random: RandomSource) {}

  /** Which SMP message is acceptable next (1 also while a request waits for an answer). */
  get expecting(): SmpExpect {
    return this.state.expect;
  }

  /** The peer's verified SMP1 waiting for respond(), if any. */
  get request(): { question?: string } | undefined {
    if (this.state.expect !== 1 || !this.state.request) return undefined;
    const { question } = this.state.request;
    return question === undefined ? {} : { question };
  }

  /** An exchange is under way or a request waits for an answer. */
  get active(): boolean {
    return this.state.expect !== 1 || this.state.request !== undefined;
  }

  /** Back to EXPECT1 (abort, error, end of the private conversation). */
  reset(): void {
    this.state = { expect: 1 };
  }

  /** The state as plain data, for a step computed elsewhere (runSmpStep in a worker). */
  get snapshot(): SmpState {
    return this.state;
  }

  /** Takes the state a step computed elsewhere left. */
  restore(state: SmpState): void {
    this.state = state;
  }

  /** A copy with the same state (to retry a step; tests). */
  clone(): SmpMachine {
    const copy = new SmpMachine(this.random);
    copy.state = structuredClone(this.state);
    return copy;
  }

  /**
   * "User requests to begin SMP" with the combined secret `x` (smpSecret, we
   * are the initiator). Returns SMP1, or SMP1Q when `question` is given (it
   * must not contain NUL). The caller aborts a running exchange first.
   */
  start(x: bigint, question?: string): OtrTlvRecord {
    if (question !== undefined && question.includes('\0')) throw new RangeError('the question must not contain NUL');
    const a2 = randomExponent(this.random);
    const a3 = randomExponent(this.random);
    const p2 = proveLog(a2, 1, this.random);
    const p3 = proveLog(a3, 2, this.random);
    const values = [powMod(G1, a2), p2.c, p2.d, powMod(G1, a3), p3.c, p3.d];
    this.state = { expect: 2, x, a2, a3 };
    if (question === undefined) return writeMpis(TLV_SMP1, values);
    const q = Buffer.from(question, 'utf8');
    const prefix = new Uint8Array(q.length + 1);
    prefix.set(q, 0);
    return writeMpis(TLV_SMP1Q, values, prefix);
  }

  /** Answers the pending request with the combined secret `y` (we are the responder): SMP2. */
  respond(y: bigint): OtrTlvRecord {
    if (this.state.expect !== 1 || !this.state.request) throw new Error('no SMP request to answer');
    const { g2, g3, g3a, b2, b3, question } = this.state.request;
    const p2 = proveLog(b2, 3, this.random);
    const p3 = proveLog(b3, 4, this.random);
    const r4 = randomExponent(this.random);
    const r5 = randomExponent(this.random);
    const r6 = randomExponent(this.random);
    const pb = powMod(g3, r4);
    const qb = mulMod(powMod(G1, r4), powMod(g2, y));
    const cp = smpHash(5, powMod(g3, r5), mulMod(powMod(G1, r5), powMod(g2, r6)));
    const d5 = subMulModQ(r5, r4, cp);
    const d6 = subMulModQ(r6, y, cp);
    this.state = { expect: 3, g2, g3, g3a, b3, pb, qb, receivedQuestion: question !== undefined };
    return writeMpis(TLV_SMP2, [powMod(G1, b2), p2.c, p2.d, powMod(G1, b3), p3.c, p3.d, pb, qb, cp, d5, d6]);
  }

  /** Handles one received TLV (never throws on hostile input). */
  receive(tlv: OtrTlvRecord): SmpReceiveResult {
    if (tlv.type === TLV_SMP_ABORT) {
      const wasActive = this.active;
      this.reset();
      return { kind: 'aborted', wasActive };
    }
    try {
      switch (tlv.type) {
        case TLV_SMP1:
        case TLV_SMP1Q:
          return this.receive1(tlv);
        case TLV_SMP2:
          return this.receive2(tlv.value);
        case TLV_SMP3:
          return this.receive3(tlv.value);
        case TLV_SMP4:
          return this.receive4(tlv.value);
        default:
          return { kind: 'ignored' };
      }
    } catch (e) {
      this.reset();
      const message = e instanceof SmpFailure ? e.message : `SMP failed: ${(e as Error).message}`;
      return { kind: 'error', message };
    }
  }

  private expect(n: SmpExpect, name: string): void {
    if (this.state.expect !== n) throw new SmpFailure(`unexpected ${name} (expecting SMP message ${this.state.expect})`);
  }

  /** "Receiving a type 2 TLV" (or type 7). */
  private receive1(tlv: OtrTlvRecord): SmpReceiveResult {
    const name = tlv.type === TLV_SMP1Q ? 'SMP message 1Q' : 'SMP message 1';
    this.expect(1, name);
    let body = tlv.value;
    let question: string | undefined;
    if (tlv.type === TLV_SMP1Q) {
      const nul = body.indexOf(0);
      if (nul < 0) throw new SmpFailure('malformed SMP message 1Q: no NUL after the question');
      question = new TextDecoder('utf-8').decode(body.subarray(0, nul));
      body = body.subarray(nul + 1);
    }
    const [g2a, c2, d2, g3a, c3, d3] = readMpis(body, 6, name) as [bigint, bigint, bigint, bigint, bigint, bigint];
    requireGroup(name, g2a, g3a);
    requireExponents(name, d2, d3);
    if (!checkLog(c2, d2, g2a, 1) || !checkLog(c3, d3, g3a, 2)) throw new SmpFailure(`${name}: a proof does not verify`);
    const b2 = randomExponent(this.random);
    const b3 = randomExponent(this.random);
    // A new SMP1 replaces a request not yet answered (libotr: EXPECT1 accepts it).
    this.state = { expect: 1, request: { question, g3a, g2: powMod(g2a, b2), g3: powMod(g3a, b3), b2, b3 } };
    return question === undefined ? { kind: 'request' } : { kind: 'request', question };
  }

  /** "Receiving a type 3 TLV" (Alice). */
  private receive2(value: Uint8Array): SmpReceiveResult {
    const name = 'SMP message 2';
    this.expect(2, name);
    const s = this.state as Extract<State, { expect: 2 }>;
    const [g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6] = readMpis(value, 11, name) as [
      bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint,
    ];
    requireGroup(name, g2b, g3b, pb, qb);
    requireExponents(name, d2, d3, d5, d6);
    if (!checkLog(c2, d2, g2b, 3) || !checkLog(c3, d3, g3b, 4)) throw new SmpFailure(`${name}: a proof does not verify`);
    const g2 = powMod(g2b, s.a2);
    const g3 = powMod(g3b, s.a3);
    if (!checkCoords(cp, d5, d6, pb, qb, g2, g3, 5)) throw new SmpFailure(`${name}: the proof for Pb, Qb does not verify`);

    const r4 = randomExponent(this.random);
    const r5 = randomExponent(this.random);
    const r6 = randomExponent(this.random);
    const r7 = randomExponent(this.random);
    const pa = powMod(g3, r4);
    const qa = mulMod(powMod(G1, r4), powMod(g2, s.x));
    const cpA = smpHash(6, powMod(g3, r5), mulMod(powMod(G1, r5), powMod(g2, r6)));
    const d5A = subMulModQ(r5, r4, cpA);
    const d6A = subMulModQ(r6, s.x, cpA);
    const pab = divMod(pa, pb);
    const qab = divMod(qa, qb);
    const ra = powMod(qab, s.a3);
    const cr = smpHash(7, powMod(G1, r7), powMod(qab, r7));
    const d7 = subMulModQ(r7, s.a3, cr);
    this.state = { expect: 4, g3b, pab, qab, a3: s.a3 };
    return { kind: 'reply', tlv: writeMpis(TLV_SMP3, [pa, qa, cpA, d5A, d6A, ra, cr, d7]) };
  }

  /** "Receiving a type 4 TLV" (Bob): answers with SMP4 and learns the result. */
  private receive3(value: Uint8Array): SmpReceiveResult {
    const name = 'SMP message 3';
    this.expect(3, name);
    const s = this.state as Extract<State, { expect: 3 }>;
    const [pa, qa, cp, d5, d6, ra, cr, d7] = readMpis(value, 8, name) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
    requireGroup(name, pa, qa, ra);
    requireExponents(name, d5, d6, d7);
    if (!checkCoords(cp, d5, d6, pa, qa, s.g2, s.g3, 6)) throw new SmpFailure(`${name}: the proof for Pa, Qa does not verify`);
    const pab = divMod(pa, s.pb);
    const qab = divMod(qa, s.qb);
    if (!checkLogs(cr, d7, ra, s.g3a, qab, 7)) throw new SmpFailure(`${name}: the proof for Ra does not verify`);

    const rb = powMod(qab, s.b3);
    const r7 = randomExponent(this.random);
    const crB = smpHash(8, powMod(G1, r7), powMod(qab, r7));
    const d7B = subMulModQ(r7, s.b3, crB);
    const success = powMod(ra, s.b3) === pab;
    const weVerifiedThem = success && !s.receivedQuestion;
    this.reset();
    return { kind: 'done', tlv: writeMpis(TLV_SMP4, [rb, crB, d7B]), success, weVerifiedThem, initiator: false };
  }

  /** "Receiving a type 5 TLV" (Alice): learns the result. */
  private receive4(value: Uint8Array): SmpReceiveResult {
    const name = 'SMP message 4';
    this.expect(4, name);
    const s = this.state as Extract<State, { expect: 4 }>;
    const [rb, cr, d7] = readMpis(value, 3, name) as [bigint, bigint, bigint];
    requireGroup(name, rb);
    requireExponents(name, d7);
    if (!checkLogs(cr, d7, rb, s.g3b, s.qab, 8)) throw new SmpFailure(`${name}: the proof for Rb does not verify`);
    const success = powMod(rb, s.a3) === s.pab;
    this.reset();
    return { kind: 'done', success, weVerifiedThem: success, initiator: true };
  }
}

/** One step of the heavy SMP math, as data: what smp-worker.ts computes off the main thread. */
export type SmpStep =
  | { op: 'start'; x: bigint; question?: string }
  | { op: 'respond'; y: bigint }
  | { op: 'receive'; tlv: OtrTlvRecord };

export type SmpStepOutcome =
  | { op: 'start' | 'respond'; tlv: OtrTlvRecord }
  | { op: 'receive'; result: SmpReceiveResult };

/** The state after `step` and what the step produced (start/respond throw on a state that does not allow them). */
export interface SmpStepResult {
  state: SmpState;
  outcome: SmpStepOutcome;
}

/** Runs one step on `state` (a snapshot): the same code SmpMachine runs inline, so either way gives the same answer. */
export function runSmpStep(state: SmpState, step: SmpStep, random: RandomSource): SmpStepResult {
  const machine = new SmpMachine(random);
  machine.restore(state);
  let outcome: SmpStepOutcome;
  switch (step.op) {
    case 'start':
      outcome = { op: 'start', tlv: machine.start(step.x, step.question) };
      break;
    case 'respond':
      outcome = { op: 'respond', tlv: machine.respond(step.y) };
      break;
    case 'receive':
      outcome = { op: 'receive', result: machine.receive(step.tlv) };
      break;
  }
  return { state: machine.snapshot, outcome };
}
