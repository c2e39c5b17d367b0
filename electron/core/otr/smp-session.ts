// SMP for OtrConversation: one SmpMachine (smp.ts) per private instance
// session, fed with the SMP TLVs of received data messages and driven by the
// user actions startSmp / respondSmp / abortSmp. SMP messages go out like
// libotr's: an empty data message flagged IGNORE_UNREADABLE carrying one TLV.
//
// Lifetime (Protocol-v3 "The SMP state machine": "If at any point
// MSGSTATE_ENCRYPTED becomes unset, SMP must abandon its state"): an
// instance's SMP is dropped when that instance is no longer ENCRYPTED or is
// now private with another key (fingerprint); that is reported as
// smp-aborted (byPeer: the peer ended its side). A refresh with the same key
// keeps the SMP going, as libotr does. The combined secret binds the
// fingerprints and session id of when the SMP began: the initiator's at
// startSmp, the responder's when the request arrived.
//
// Off the main thread (conv.smpDeferred): each step's math (start, respond,
// receiving SMP 1-4) leaves as an smp-compute event with the machine's state
// and comes back through computed(), which continues exactly where the inline
// path would (the same runSmpStep either way). While a step is out, further
// SMP TLVs of that instance wait in `backlog`, in order; an abort, reset or
// key change drops the job, so a late result is ignored.

import { FLAG_IGNORE_UNREADABLE } from './data-message.js';
import { fingerprint } from './dsa.js';
import { emptyOutput, type OtrOutput, type OtrTlvRecord } from './events.js';
import type { InstanceSession, MessageState } from './session-instance.js';
import type { OtrConversation } from './session.js';
import { SmpMachine, runSmpStep, smpSecret, type SmpReceiveResult, type SmpStep, type SmpStepResult } from './smp.js';
import { TLV_SMP1, TLV_SMP1Q, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT } from './tlv.js';

type Encrypted = Extract<MessageState, { kind: 'encrypted' }>;

interface Slot {
  machine: SmpMachine;
  /** The peer's fingerprint ("XXXXXXXX …") of the private conversation the SMP runs in. */
  fingerprint: string;
  /** For a pending request: the peer's raw fingerprint and the ssid when it arrived (`seq`: arrival order). */
  request?: { theirFingerprint: Uint8Array; ssid: Uint8Array; seq: number };
  /** The smp-compute job out for this SMP (smpDeferred), and the TLVs received meanwhile. */
  job?: number;
  backlog: OtrTlvRecord[];
}

/** The TLVs whose handling is the heavy math (the abort and unknown types are handled at once). */
const SMP_MATH_TLVS = new Set([TLV_SMP1, TLV_SMP1Q, TLV_SMP2, TLV_SMP3, TLV_SMP4]);

const ABORT_TLV: OtrTlvRecord = { type: TLV_SMP_ABORT, value: new Uint8Array(0) };

/** The 8 bytes of a "%08x %08x" secure session id. */
function ssidBytes(ssid: string): Uint8Array {
  return new Uint8Array(Buffer.from(ssid.replace(' ', ''), 'hex'));
}

export class SmpSessions {
  private readonly slots = new Map<number, Slot>();
  private ourFingerprintBytes: Uint8Array | undefined;
  private requestSeq = 0;
  private jobSeq = 0;

  constructor(private readonly conv: OtrConversation) {}

  // ---- User actions ----

  start(secret: string, question: string | undefined, instance: number | undefined): OtrOutput {
    const out = emptyOutput();
    this.sync(out);
    const session = this.encryptedSession(instance);
    if (!session) return this.error(out, 'SMP needs a private conversation', instance);
    if (question !== undefined && question.includes('\0')) {
      return this.error(out, 'the SMP question must not contain NUL characters', session.instance);
    }
    const state = session.state as Encrypted;
    const slot = this.slot(session, out);
    if (slot.machine.active || slot.job !== undefined) {
      // "If you wish to restart SMP, send a type 6 TLV (SMP abort) … then proceed": in a message
      // of its own, since libotr handles the SMP TLVs of one message in a fixed order (1Q, 1, 2, 3,
      // 4, abort), not in the order sent.
      this.abortSlot(session, slot, out);
    }
    const x = smpSecret(this.ourFingerprint(), fingerprint(state.theirLongTerm), ssidBytes(state.ssid), secret);
    this.step(session, slot, question === undefined ? { op: 'start', x } : { op: 'start', x, question }, out);
    return out;
  }

  /** Answers the pending request; with `request`, only that one (smp-request's number), never a later one. */
  respond(secret: string, instance: number | undefined, requestSeq?: number): OtrOutput {
    const out = emptyOutput();
    this.sync(out);
    const found = this.pending(instance, requestSeq);
    if (!found) return this.error(out, requestSeq === undefined ? 'there is no SMP request to answer' : 'that SMP request is no longer pending', instance);
    const { session, slot, request } = found;
    const y = smpSecret(request.theirFingerprint, this.ourFingerprint(), request.ssid, secret);
    slot.request = undefined;
    this.step(session, slot, { op: 'respond', y }, out);
    return out;
  }

  /** "User requests to abort SMP": TLV 6 to `instance`, else to every instance with an SMP, else to the current one. */
  abort(instance: number | undefined): OtrOutput {
    const out = emptyOutput();
    this.sync(out);
    let targets: InstanceSession[] = [];
    if (instance === undefined) {
      for (const [tag, slot] of this.slots) {
        const s = this.conv.sessions.get(tag);
        if ((slot.machine.active || slot.job !== undefined) && s) targets.push(s);
      }
    }
    if (targets.length === 0) {
      const s = this.encryptedSession(instance);
      targets = s ? [s] : [];
    }
    if (targets.length === 0) return this.error(out, 'SMP needs a private conversation', instance);
    for (const s of targets) this.abortSlot(s, this.slot(s, out), out);
    return out;
  }

  // ---- Received TLVs ----

  /**
   * Replaces the 'smp-tlv' events of one receive() with what SMP makes of
   * them (events in their place, replies appended to `out.send`), then drops
   * the SMP of instances that are no longer private. Never throws.
   */
  process(out: OtrOutput): void {
    const incoming = out.events;
    if (incoming.some((e) => e.type === 'smp-tlv')) {
      out.events = [];
      // As libotr, at most one TLV of each SMP type per message counts (bounds the work per message).
      const seen = new Set<string>();
      for (const e of incoming) {
        if (e.type !== 'smp-tlv') {
          out.events.push(e);
          continue;
        }
        const key = `${e.instance}/${e.tlv.type}`;
        if (seen.has(key)) {
          out.events.push({ type: 'ignored', reason: `repeated SMP TLV ${e.tlv.type} in one message` });
          continue;
        }
        seen.add(key);
        this.handleSafely(e.instance, e.tlv, out);
      }
    }
    this.sync(out);
  }

  /** The result of smp-compute `id`: continues that SMP, then what its backlog holds. */
  computed(id: number, result: SmpStepResult): OtrOutput {
    const out = emptyOutput();
    this.sync(out);
    const found = this.jobSlot(id);
    if (found) {
      const { session, slot } = found;
      slot.job = undefined;
      try {
        this.apply(session, slot, result, out);
      } catch (err) {
        this.resetSlot(slot);
        out.events.push({ type: 'smp-error', message: `SMP failed: ${(err as Error).message}`, instance: session.instance });
      }
      while (slot.job === undefined && slot.backlog.length > 0) this.handleSafely(session.instance, slot.backlog.shift()!, out);
    }
    this.sync(out);
    return out;
  }

  /** smp-compute `id` failed (the worker crashed or threw): that SMP ends, reported and aborted towards the peer. */
  computeFailed(id: number, reason: string): OtrOutput {
    const out = emptyOutput();
    this.sync(out);
    const found = this.jobSlot(id);
    if (found) {
      const { session, slot } = found;
      this.resetSlot(slot);
      this.send(session, slot, ABORT_TLV, out);
      out.events.push({ type: 'smp-error', message: `SMP failed: ${reason}; SMP aborted`, instance: session.instance });
    }
    return out;
  }

  private jobSlot(id: number): { session: InstanceSession; slot: Slot } | undefined {
    for (const [instance, slot] of this.slots) {
      const session = this.conv.sessions.get(instance);
      if (slot.job === id && session?.state.kind === 'encrypted') return { session, slot };
    }
    return undefined;
  }

  private handleSafely(instance: number, tlv: OtrTlvRecord, out: OtrOutput): void {
    try {
      this.handle(instance, tlv, out);
    } catch (err) {
      const slot = this.slots.get(instance);
      if (slot) this.resetSlot(slot);
      out.events.push({ type: 'smp-error', message: `SMP failed: ${(err as Error).message}`, instance });
    }
  }

  /** Runs `step` here, or (smpDeferred) hands it out as an smp-compute event; apply() continues either way. */
  private step(session: InstanceSession, slot: Slot, step: SmpStep, out: OtrOutput): void {
    if (this.conv.smpDeferred) {
      slot.job = ++this.jobSeq;
      out.events.push({ type: 'smp-compute', job: { id: slot.job, state: slot.machine.snapshot, step } });
      return;
    }
    this.apply(session, slot, runSmpStep(slot.machine.snapshot, step, this.conv.random), out);
  }

  private apply(session: InstanceSession, slot: Slot, result: SmpStepResult, out: OtrOutput): void {
    slot.machine.restore(result.state);
    const { outcome } = result;
    if (outcome.op === 'receive') {
      this.received(session, slot, outcome.result, out);
      return;
    }
    if (this.send(session, slot, outcome.tlv, out)) {
      out.events.push({ type: 'smp-progress', step: outcome.op === 'start' ? 1 : 2, instance: session.instance });
    }
  }

  private handle(instance: number, tlv: OtrTlvRecord, out: OtrOutput): void {
    const session = this.conv.sessions.get(instance);
    // Not private (any more, e.g. the same message carried TLV 1): the SMP is abandoned (see sync).
    if (!session || session.state.kind !== 'encrypted') return;
    const slot = this.slot(session, out);
    if (slot.job !== undefined) {
      slot.backlog.push(tlv);
      return;
    }
    if ((tlv.type === TLV_SMP1 || tlv.type === TLV_SMP1Q) && slot.request && slot.machine.request) {
      // A new request while the user may be typing the answer to the old one: an answer meant for
      // a question must never answer a shared-secret request (which would verify the asker). Both
      // go: the abort resets the peer's SMP too, so the new one could not be completed anyway.
      this.abortSlot(session, slot, out, true);
      return;
    }
    if (tlv.type === TLV_SMP_ABORT || !SMP_MATH_TLVS.has(tlv.type)) {
      this.received(session, slot, slot.machine.receive(tlv), out);
      return;
    }
    this.step(session, slot, { op: 'receive', tlv }, out);
  }

  private received(session: InstanceSession, slot: Slot, r: SmpReceiveResult, out: OtrOutput): void {
    const instance = session.instance;
    const state = session.state as Encrypted;
    switch (r.kind) {
      case 'request':
        slot.request = { theirFingerprint: fingerprint(state.theirLongTerm), ssid: ssidBytes(state.ssid), seq: ++this.requestSeq };
        out.events.push({ type: 'smp-request', ...(r.question === undefined ? {} : { question: r.question }), instance, request: slot.request.seq });
        return;
      case 'reply':
        if (this.send(session, slot, r.tlv, out)) out.events.push({ type: 'smp-progress', step: 3, instance });
        return;
      case 'done':
        if (r.tlv) {
          if (!this.send(session, slot, r.tlv, out)) return;
          out.events.push({ type: 'smp-progress', step: 4, instance });
        }
        out.events.push({ type: 'smp-result', success: r.success, weVerifiedThem: r.weVerifiedThem, fingerprint: state.fingerprint, instance });
        return;
      case 'aborted':
        slot.request = undefined;
        if (r.wasActive) out.events.push({ type: 'smp-aborted', byPeer: true, instance });
        return;
      case 'error':
        // Spec: "Set smpstate to SMPSTATE_EXPECT1 and send a type 6 TLV"; libotr: CHEATED / ERROR, then abort.
        slot.request = undefined;
        this.send(session, slot, ABORT_TLV, out);
        out.events.push({ type: 'smp-error', message: `${r.message}; SMP aborted`, instance });
        return;
      case 'ignored':
        return;
    }
  }

  // ---- Lifetime ----

  /** Drops the SMP of instances no longer private with the same key, reporting running ones as aborted. */
  sync(out: OtrOutput): void {
    for (const [instance, slot] of this.slots) {
      const session = this.conv.sessions.get(instance);
      if (session && session.state.kind === 'encrypted' && session.state.fingerprint === slot.fingerprint) continue;
      if (slot.machine.active || slot.job !== undefined) out.events.push({ type: 'smp-aborted', byPeer: session?.kind === 'finished', instance });
      this.resetSlot(slot);
      this.slots.delete(instance);
    }
  }

  /** Forgets everything (conversation disposed). */
  clear(): void {
    for (const slot of this.slots.values()) this.resetSlot(slot);
    this.slots.clear();
  }

  // ---- Helpers ----

  private ourFingerprint(): Uint8Array {
    this.ourFingerprintBytes ??= fingerprint(this.conv.longTerm);
    return this.ourFingerprintBytes;
  }

  /** The ENCRYPTED session `instance`, or (undefined) the one messages go to. */
  private encryptedSession(instance: number | undefined): InstanceSession | undefined {
    const s = instance === undefined ? this.conv.current() : this.conv.sessions.get(instance);
    return s && s.state.kind === 'encrypted' ? s : undefined;
  }

  /** The SMP of a private session (a new one if its key changed). */
  private slot(session: InstanceSession, out: OtrOutput): Slot {
    const fp = session.state.kind === 'encrypted' ? session.state.fingerprint : '';
    let slot = this.slots.get(session.instance);
    if (slot && slot.fingerprint !== fp) {
      if (slot.machine.active || slot.job !== undefined) out.events.push({ type: 'smp-aborted', byPeer: false, instance: session.instance });
      this.resetSlot(slot);
      slot = undefined;
    }
    if (!slot) {
      slot = { machine: new SmpMachine(this.conv.random), fingerprint: fp, backlog: [] };
      this.slots.set(session.instance, slot);
    }
    return slot;
  }

  /** The request to answer: `seq` (wherever it is), else on `instance`, else on the current instance, else the latest one. */
  private pending(instance: number | undefined, seq?: number): { session: InstanceSession; slot: Slot; request: NonNullable<Slot['request']> } | undefined {
    const usable = (tag: number) => {
      const slot = this.slots.get(tag);
      const session = this.conv.sessions.get(tag);
      return slot?.request && slot.machine.request && session?.state.kind === 'encrypted' ? { session, slot, request: slot.request } : undefined;
    };
    if (seq !== undefined) {
      for (const tag of instance !== undefined ? [instance] : this.slots.keys()) {
        const found = usable(tag);
        if (found?.request.seq === seq) return found;
      }
      return undefined;
    }
    if (instance !== undefined) return usable(instance);
    const current = this.conv.current();
    const own = current ? usable(current.instance) : undefined;
    if (own) return own;
    let latest: ReturnType<typeof usable>;
    for (const tag of this.slots.keys()) {
      const found = usable(tag);
      if (found && (!latest || found.request.seq > latest.request.seq)) latest = found;
    }
    return latest;
  }

  /** Back to the start: no exchange, no request, no job out (a late result is ignored), no backlog. */
  private resetSlot(slot: Slot): void {
    slot.machine.reset();
    slot.request = undefined;
    slot.job = undefined;
    slot.backlog = [];
  }

  private abortSlot(session: InstanceSession, slot: Slot, out: OtrOutput, replaced = false): void {
    this.resetSlot(slot);
    this.send(session, slot, ABORT_TLV, out);
    out.events.push({ type: 'smp-aborted', byPeer: false, instance: session.instance, ...(replaced ? { replaced: true as const } : {}) });
  }

  /** Sends one SMP TLV; on failure the SMP is reset and an smp-error reported. */
  private send(session: InstanceSession, slot: Slot, tlv: OtrTlvRecord, out: OtrOutput): boolean {
    try {
      this.conv.sendData(session, '', [tlv], FLAG_IGNORE_UNREADABLE, out);
      return true;
    } catch (e) {
      this.resetSlot(slot);
      out.events.push({ type: 'smp-error', message: `could not send the SMP message: ${(e as Error).message}`, instance: session.instance });
      return false;
    }
  }

  private error(out: OtrOutput, message: string, instance: number | undefined): OtrOutput {
    out.events.push(instance === undefined ? { type: 'smp-error', message } : { type: 'smp-error', message, instance });
    return out;
  }
}
