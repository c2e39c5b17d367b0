// OtrConversation: OTR with one peer (our account × peer), transport-free.
// receive(text) / sendText(text) / startPrivate() / end() / refresh() /
// sendTlvs() / startSmp() / respondSmp() / abortSmp() return what to send
// (already fragmented), what to show and events; randomness and the clock
// are injected. One InstanceSession per peer instance (v3 instance tags;
// the v2 session is key 0); a v3 AKE we start before knowing the peer's
// instance (query, whitespace tag) lives in `masterAke` until an instance
// answers it, as libotr's master context.
// Follows Protocol-v3 "The protocol state machine" and libotr message.c
// (otrl_message_sending / otrl_message_receiving) where the spec is silent.
// Over 400 lines because it is that one state machine (msgstate, the instances, the master AKE, the
// error quiet time and the send queue decided together); its parts already live apart: receiving in
// session-receive.ts and session-otr-message.ts, one instance in session-instance.ts, SMP in
// smp-session.ts, the queue in send-queue.ts.
//
// @example
//   const alice = new OtrConversation({ account: 'alice@x', peer: 'bob@x', longTerm,
//     ourInstance: 0x1234abcd, policy: 'opportunistic', random: secureRandom, now: Date.now });
//   const out = alice.receive(incomingBody); // { send, display, events }

import { Ake } from './ake.js';
import type { DsaPrivateKey } from './dsa.js';
import { buildErrorMessage, buildQueryMessage, buildWhitespaceTag, encodeOtrMessage } from './encoding.js';
import { emptyOutput, messageId, type OtrOutput, type OtrTlvRecord } from './events.js';
import { FragmentReassembler, fragmentMessage, type ReassemblyLimits } from './fragment.js';
import { FLAG_IGNORE_UNREADABLE, MAX_MESSAGE_BYTES } from './data-message.js';
import { allowedVersions, otrEnabled, policyFlags, type Policy, type PolicyFlags } from './policy.js';
import type { RandomSource } from './random.js';
import { receiveText } from './session-receive.js';
import { InstanceSession } from './session-instance.js';
import { TLV_DISCONNECTED, TLV_SYMMETRIC_KEY } from './tlv.js';
import { NOT_ENCRYPTED, SendQueue, WAIT_EXPIRED } from './send-queue.js';
import type { SmpStepResult } from './smp.js';
import { SmpSessions } from './smp-session.js';
import { MIN_INSTANCE_TAG } from './wire.js';

export type { Policy } from './policy.js';
export type { OtrEvent, OtrOutput } from './events.js';

/** libotr message.c HEARTBEAT_INTERVAL (60 s). */
export const HEARTBEAT_INTERVAL_MS = 60_000;
/** How long an AKE (or a query we sent) may take before queued messages fail (libotr MAX_AKE_WAIT_TIME). */
export const AKE_TIMEOUT_MS = 60_000;
/**
 * OTR errors are about messages sent before, and come in bursts (one per unreadable message): within this long
 * after a refresh or an AKE an error started they start no other, and we send at most one error per this long.
 */
export const ERROR_QUIET_MS = 20_000;
export const MAX_QUEUED_MESSAGES = 100;
/**
 * Messages that wait for a private conversation until a time of their own (sendText's `waitUntil`:
 * the app's outbox holds them on disk and hands them in again on each new stream). A reconnect hands
 * in everything written meanwhile at once; these bounds only keep memory finite.
 */
export const MAX_WAITING_MESSAGES = 10_000;
export const MAX_WAITING_BYTES = 64 * 1024 * 1024;
/** Most peer instances tracked at once. */
export const MAX_INSTANCES = 16;

export { ERROR_MALFORMED, ERROR_UNREADABLE } from './session-otr-message.js';

export interface OtrConversationOptions {
  account: string;
  peer: string;
  longTerm: DsaPrivateKey;
  /** Our v3 instance tag (>= 0x100), persistent per account and device. */
  ourInstance: number;
  policy: Policy;
  /** Refuse OTR version 2 (see policyFlags). Default false. */
  v3Only?: boolean;
  /** Largest text the network carries; longer OTR messages are fragmented. Unlimited if absent. */
  maxFragmentSize?: number;
  random: RandomSource;
  /** Milliseconds; only differences are used. */
  now: () => number;
  heartbeatIntervalMs?: number;
  akeTimeoutMs?: number;
  maxQueued?: number;
  reassembly?: Partial<ReassemblyLimits>;
  /**
   * Whether the peer may get OTR answers it asked for on its own (an AKE for its Query Message,
   * whitespace tag or D-H Commit, a Query for its Error Message, an OTR error for unreadable data).
   * False for a stranger the user has not written to: any answer would tell that the user is online,
   * from which resource, and (once the AKE completes) with which key. Absent: always.
   */
  answersPeer?: () => boolean;
  /**
   * Asked when a private conversation starts with the peer's `fingerprint`
   * ("XXXXXXXX …"). True: nothing the user typed is sent with that key until
   * approveKey(fingerprint) (event key-approval-needed) — for a contact who
   * shows up with a key not seen before although other keys of theirs are known.
   */
  keyNeedsApproval?: (fingerprint: string) => boolean;
  /**
   * True: the SMP math (tens of ms per step) is not done here but handed out as smp-compute events
   * (runSmpStep on another thread, smp-worker.ts); the caller returns each result with smpComputed()
   * (or smpComputeFailed()) before it gives this conversation anything else. Absent: computed inline.
   */
  smpDeferred?: boolean;
}

type WhitespaceOffer = 'none' | 'sent' | 'rejected' | 'accepted';

export class OtrConversation {
  readonly account: string;
  readonly peer: string;
  readonly ourInstance: number;
  /** Internal state, shared with session-receive.ts. */
  readonly sessions = new Map<number, InstanceSession>();
  masterAke: Ake | undefined;
  akePendingSince: number | undefined;
  /** The peer instance the message just received came from (v2: 0), if it was an OTR message; set by receive(). */
  lastSenderInstance: number | undefined;
  offer: WhitespaceOffer = 'none';
  readonly longTerm: DsaPrivateKey;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly heartbeatIntervalMs: number;
  readonly answersPeer: () => boolean;
  private policyName: Policy;
  private v3OnlySetting: boolean;
  private flags: PolicyFlags;
  private readonly maxFragmentSize: number | undefined;
  private readonly akeTimeoutMs: number;
  readonly reassembler: FragmentReassembler;
  private readonly queue: SendQueue;
  private readonly smp = new SmpSessions(this);
  /**
   * Fingerprints that wait for approveKey(): nothing the user typed is sent with them. One per key,
   * not one for the conversation, so a second new key (another instance) cannot stand in for the first.
   */
  private readonly unapprovedKeys = new Set<string>();
  readonly keyNeedsApproval: ((fingerprint: string) => boolean) | undefined;
  readonly smpDeferred: boolean;

  constructor(opts: OtrConversationOptions) {
    if (!Number.isInteger(opts.ourInstance) || opts.ourInstance < MIN_INSTANCE_TAG || opts.ourInstance > 0xffffffff) {
      throw new RangeError('ourInstance must be a valid instance tag (>= 0x100)');
    }
    this.account = opts.account;
    this.peer = opts.peer;
    this.ourInstance = opts.ourInstance;
    this.longTerm = opts.longTerm;
    this.random = opts.random;
    this.now = opts.now;
    this.policyName = opts.policy;
    this.v3OnlySetting = opts.v3Only ?? false;
    this.flags = policyFlags(opts.policy, { v3Only: this.v3OnlySetting });
    this.maxFragmentSize = opts.maxFragmentSize;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.akeTimeoutMs = opts.akeTimeoutMs ?? AKE_TIMEOUT_MS;
    this.queue = new SendQueue({ count: opts.maxQueued ?? MAX_QUEUED_MESSAGES, waitingCount: MAX_WAITING_MESSAGES, waitingBytes: MAX_WAITING_BYTES });
    this.reassembler = new FragmentReassembler(opts.reassembly, opts.now);
    this.answersPeer = opts.answersPeer ?? (() => true);
    this.keyNeedsApproval = opts.keyNeedsApproval;
    this.smpDeferred = opts.smpDeferred ?? false;
  }

  // ---- State ----

  get policy(): Policy {
    return this.policyName;
  }

  get policyFlags(): PolicyFlags {
    return this.flags;
  }

  /**
   * Changes the policy. Turning OTR off ('never') while private (or starting
   * to be, with messages held) first ends the private conversation (its
   * output is returned: send it), so nothing typed afterwards can go out in
   * plaintext to a peer who thinks it is private, and nothing held waits forever.
   */
  setPolicy(policy: Policy, v3Only: boolean = this.v3OnlySetting): OtrOutput {
    const flags = policyFlags(policy, { v3Only });
    const engaged = this.state !== 'plaintext' || this.queue.length > 0 || this.akePendingSince !== undefined;
    // Likewise a version 2 conversation once v2 is refused: its messages could no longer be read.
    const v2Private = [...this.sessions.values()].some((s) => s.state.kind !== 'plaintext' && s.state.version === 2);
    const out = (!otrEnabled(flags) && engaged) || (!flags.allowV2 && v2Private) ? this.end() : emptyOutput();
    this.policyName = policy;
    this.v3OnlySetting = v3Only;
    this.flags = flags;
    return out;
  }

  /** The state of the instance messages go to: the most secure, then the most recently active. */
  get state(): 'plaintext' | 'encrypted' | 'finished' {
    return this.current()?.kind ?? 'plaintext';
  }

  /** Details of the private conversation messages go to, if any. */
  get privateSession(): { instance: number; version: 2 | 3; ssid: string; fingerprint: string; initiator: boolean } | undefined {
    const s = this.current();
    if (!s || s.state.kind !== 'encrypted') return undefined;
    const { version, ssid, fingerprint, initiator } = s.state;
    return { instance: s.instance, version, ssid, fingerprint, initiator };
  }

  /** Number of messages held until the conversation is private. */
  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * The instance session messages go to; undefined means plaintext. A private session whose key
   * waits for approval ranks below every approved one: it never takes messages from them.
   */
  current(): InstanceSession | undefined {
    const rank = (s: InstanceSession): number => (s.kind === 'encrypted' ? (this.awaitingApproval(s) ? 2 : 3) : s.kind === 'finished' ? 1 : 0);
    let best: InstanceSession | undefined;
    for (const s of this.sessions.values()) {
      if (s.kind === 'plaintext') continue;
      if (!best || rank(s) > rank(best) || (rank(s) === rank(best) && s.lastActivity > best.lastActivity)) best = s;
    }
    return best;
  }

  /** The key of the private conversation messages go to, if it waits for approveKey() (what the user is asked about). */
  get keyAwaitingApproval(): string | undefined {
    const target = this.current();
    return target?.state.kind === 'encrypted' && this.awaitingApproval(target) ? target.state.fingerprint : undefined;
  }

  /**
   * The session for `instance`, created if needed. At most MAX_INSTANCES are
   * kept: the oldest plaintext one is forgotten to make room; undefined if
   * all are private (or finished), so random instance tags cannot grow memory.
   */
  session(instance: number): InstanceSession | undefined {
    let s = this.sessions.get(instance);
    if (s) return s;
    if (this.sessions.size >= MAX_INSTANCES) {
      const victim = [...this.sessions.values()].find((v) => v.kind === 'plaintext');
      if (!victim) return undefined;
      victim.dispose();
      this.sessions.delete(victim.instance);
    }
    s = new InstanceSession(instance, this.random);
    this.sessions.set(instance, s);
    return s;
  }

  /** When an instance's private conversation was last refreshed (replaced by a new AKE), for errorMayStartAke. */
  private refreshedAt: number | undefined;
  /** When an OTR error from the peer last made us send a query. */
  private errorQueryAt: number | undefined;
  /** When we last answered an unreadable message with an OTR error. */
  private unreadableReportedAt: number | undefined;

  /**
   * Whether an OTR error from the peer may start an AKE now (ERROR_START_AKE). Not while one runs, not more
   * than once per ERROR_QUIET_MS, and not just after a refresh: errors then are about the messages the
   * replaced keys sealed, still in flight, and a new AKE for them would replace the keys of what is in flight now.
   */
  errorMayStartAke(): boolean {
    if (this.akeInProgress()) return false;
    const now = this.now();
    if (this.inErrorQuiet(now)) {
      // Held back, not dropped: if no new private conversation comes meanwhile, poll() asks for one once the
      // quiet time is over, so a peer that really cannot read us (it lost its keys) is not left so for good.
      this.errorDeferred = true;
      return false;
    }
    this.errorQueryAt = now;
    this.errorDeferred = false;
    return true;
  }

  /** Within ERROR_QUIET_MS of a refresh or of the last query an error made us send. */
  private inErrorQuiet(now: number): boolean {
    return [this.refreshedAt, this.errorQueryAt].some((at) => at !== undefined && now >= at && now - at < ERROR_QUIET_MS);
  }

  /** A peer's error held back in the quiet time, still without a new private conversation since. */
  private errorDeferred = false;

  /** Whether an unreadable message is answered with an OTR error: at most one per ERROR_QUIET_MS. */
  mayReportUnreadable(): boolean {
    const now = this.now();
    if (this.unreadableReportedAt !== undefined && now - this.unreadableReportedAt < ERROR_QUIET_MS && now >= this.unreadableReportedAt) return false;
    this.unreadableReportedAt = now;
    return true;
  }

  akeInProgress(): boolean {
    return this.akePendingSince !== undefined && this.now() - this.akePendingSince < this.akeTimeoutMs;
  }

  // ---- User actions ----

  /**
   * "User types a message to be sent". Never sends it in plaintext unless the policy allows it.
   * `id`: the caller's message id, carried by this message's queued / queued-sent / send-failed events;
   * a message with an id is held at most once, however often it is handed in. `waitUntil` (a now()
   * time): if it must wait for a private conversation, it waits until then (also across conversations
   * that end without the user, end({ keepWaiting })), not just for one AKE.
   */
  sendText(text: string, options: { requirePrivate?: boolean; id?: string; waitUntil?: number } = {}): OtrOutput {
    const id = options.id;
    const queued = { id, text, at: this.now(), ...(options.waitUntil !== undefined ? { waitUntil: options.waitUntil } : {}) };
    const out = emptyOutput();
    if (!otrEnabled(this.flags)) {
      out.send.push(text);
      return out;
    }
    this.expireQueue(out);
    if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
      out.events.push({ type: 'send-failed', ...messageId(id), text, reason: 'The message is too long to send privately (at most 1 MiB).', code: 'private-too-long' });
      return out;
    }
    const target = this.current();
    if (target?.kind === 'encrypted' && this.awaitingApproval(target)) {
      this.queue.push(queued, out);
      return out;
    }
    if (target?.kind === 'encrypted') {
      try {
        this.sendData(target, text, [], 0, out);
        out.events.push({ type: 'encrypted-sent' });
      } catch (e) {
        // libotr: "if encryption fails, do not send the message in the clear".
        out.events.push({ type: 'send-failed', ...messageId(id), text, reason: NOT_ENCRYPTED, code: 'private-not-encrypted', debug: (e as Error).message });
      }
      return out;
    }
    if (target?.kind === 'finished') {
      out.events.push({ type: 'send-failed', ...messageId(id), text, reason: `${this.peer} has ended the private conversation; end it too or refresh it`, code: 'private-ended-by-peer' });
      return out;
    }
    // requirePrivate: this one message waits for a private conversation whatever the policy (written in one).
    if (this.flags.requireEncryption || this.akeInProgress() || options.requirePrivate) {
      if (options.waitUntil !== undefined && options.waitUntil <= this.now()) {
        out.events.push({ type: 'send-failed', ...messageId(id), text, reason: WAIT_EXPIRED, code: 'private-wait-expired', expired: true });
        return out;
      }
      this.queue.push(queued, out);
      if (!this.akeInProgress()) this.sendQuery(out);
      return out;
    }
    if (this.flags.sendWhitespaceTag && this.offer !== 'rejected') {
      out.send.push(text + buildWhitespaceTag(allowedVersions(this.flags)));
      this.offer = 'sent';
    } else {
      out.send.push(text);
    }
    return out;
  }

  /** "User requests to start an OTR conversation": send a Query Message. */
  startPrivate(): OtrOutput {
    const out = emptyOutput();
    if (!otrEnabled(this.flags)) {
      out.events.push({ type: 'error', message: 'OTR is turned off for this conversation' });
      return out;
    }
    this.sendQuery(out);
    return out;
  }

  /** Re-run the AKE (new keys, same or new instance) by sending a Query Message. */
  refresh(): OtrOutput {
    return this.startPrivate();
  }

  /**
   * "User requests to end an OTR conversation": encrypted instances get a
   * data message with the disconnected TLV, then every instance is back to
   * PLAINTEXT. Queued messages fail; with `keepWaiting` (the conversation ended without the user:
   * the peer or we went offline) those with a `waitUntil` go on waiting for the next one.
   */
  end({ keepWaiting = false }: { keepWaiting?: boolean } = {}): OtrOutput {
    const out = emptyOutput();
    for (const s of this.sessions.values()) {
      s.resetAke();
      if (s.kind === 'encrypted') {
        try {
          this.sendData(s, '', [{ type: TLV_DISCONNECTED, value: new Uint8Array(0) }], FLAG_IGNORE_UNREADABLE, out);
        } catch {
          // Keys unusable: nothing to tell the peer with.
        }
      }
      if (s.kind !== 'plaintext') {
        s.toPlaintext();
        out.events.push({ type: 'not-private', instance: s.instance });
      }
    }
    this.masterAke?.reset();
    this.masterAke = undefined;
    this.akePendingSince = undefined;
    this.unapprovedKeys.clear();
    this.queue.failAll('private-ended', 'the private conversation was ended', out, { keepWaiting });
    this.offer = 'none';
    this.smp.sync(out);
    return out;
  }

  /**
   * Sends TLVs (e.g. SMP) in a data message with an empty (or given)
   * human-readable part, flagged IGNORE_UNREADABLE like libotr's SMP messages.
   */
  sendTlvs(tlvs: readonly OtrTlvRecord[], options: { text?: string; instance?: number } = {}): OtrOutput {
    const out = emptyOutput();
    const target = options.instance === undefined ? this.current() : this.sessions.get(options.instance);
    if (!target || target.kind !== 'encrypted') {
      out.events.push({ type: 'error', message: 'not in a private conversation' });
      return out;
    }
    this.sendData(target, options.text ?? '', tlvs, FLAG_IGNORE_UNREADABLE, out);
    return out;
  }

  // ---- SMP (Protocol-v3 "Socialist Millionaires' Protocol"; smp.ts, smp-session.ts) ----

  /**
   * "User requests to begin SMP" with the private conversation messages go to
   * (or `instance`): sends SMP message 1, or 1Q carrying `question` (no NUL).
   * The peer gets smp-request; both get smp-result in the end. An SMP already
   * running on that instance is aborted first. `secret` is compared as raw
   * UTF-8 (no trimming, case folding or normalisation).
   */
  startSmp(secret: string, question?: string, instance?: number): OtrOutput {
    return this.smp.start(secret, question, instance);
  }

  /**
   * Answers the peer's smp-request (on `instance`, else the current or latest one) with `secret`;
   * with `request` (the smp-request's number) only that request, else an smp-error.
   */
  respondSmp(secret: string, instance?: number, request?: number): OtrOutput {
    return this.smp.respond(secret, instance, request);
  }

  /** The result of an smp-compute event's `job` (smpDeferred): continues that SMP (a stale job is dropped). */
  smpComputed(job: number, result: SmpStepResult): OtrOutput {
    return this.smp.computed(job, result);
  }

  /** The smp-compute `job` could not be computed: that SMP ends with an smp-error and the peer gets an abort. */
  smpComputeFailed(job: number, reason: string): OtrOutput {
    return this.smp.computeFailed(job, reason);
  }

  /** "User requests to abort SMP": sends the abort TLV; SMP starts over. */
  abortSmp(instance?: number): OtrOutput {
    return this.smp.abort(instance);
  }

  /**
   * Tells the peer we use the extra symmetric key for `use` (TLV 8) and
   * returns the 32-byte key, which the peer derives too.
   */
  useExtraSymmetricKey(use: number, useData: Uint8Array = new Uint8Array(0)): OtrOutput & { key?: Uint8Array } {
    const out = emptyOutput();
    const target = this.current();
    if (!target || target.kind !== 'encrypted' || this.awaitingApproval(target)) {
      out.events.push({ type: 'error', message: 'not in a private conversation' });
      return out;
    }
    const value = new Uint8Array(4 + useData.length);
    new DataView(value.buffer).setUint32(0, use >>> 0);
    value.set(useData, 4);
    const key = this.sendData(target, '', [{ type: TLV_SYMMETRIC_KEY, value }], FLAG_IGNORE_UNREADABLE, out);
    return { ...out, key };
  }

  /** Call now and then (e.g. every 10 s): queued messages whose AKE timed out fail visibly. */
  poll(): OtrOutput {
    const out = emptyOutput();
    this.expireQueue(out);
    // An error held back in the quiet time (errorMayStartAke), and nothing has mended it since: ask now.
    if (this.errorDeferred && this.answersPeer() && !this.akeInProgress() && !this.inErrorQuiet(this.now())) {
      this.errorDeferred = false;
      this.errorQueryAt = this.now();
      this.sendQuery(out);
    }
    this.reassembler.expire();
    return out;
  }

  /**
   * Wipes all key material (e.g. on logout); queued messages fail. Sends
   * nothing: call end() first to tell the peer.
   */
  dispose(): OtrOutput {
    const out = emptyOutput();
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
    this.masterAke?.reset();
    this.masterAke = undefined;
    this.akePendingSince = undefined;
    this.queue.failAll('private-closed', 'the conversation was closed', out);
    this.reassembler.clear();
    this.smp.clear();
    return out;
  }

  // ---- Receiving ----

  /** Handles one message body from the peer (never throws on hostile input). */
  receive(wireText: string): OtrOutput {
    const out = emptyOutput();
    this.lastSenderInstance = undefined;
    try {
      receiveText(this, wireText, out);
    } catch (e) {
      out.events.push({ type: 'error', message: `could not process an OTR message: ${(e as Error).message}` });
    }
    this.smp.process(out); // SMP TLVs → smp-* events and replies; never throws
    return out;
  }

  // ---- Shared with session-receive.ts and session-otr-message.ts ----

  /** Encodes, fragments and queues for sending one binary OTR message to `instance`. */
  sendEncoded(bytes: Uint8Array, version: 2 | 3, instance: number, out: OtrOutput): void {
    const text = encodeOtrMessage(bytes);
    if (this.maxFragmentSize === undefined) {
      out.send.push(text);
      return;
    }
    out.send.push(...fragmentMessage(text, { version, senderInstance: this.ourInstance, receiverInstance: instance, maxSize: this.maxFragmentSize }));
  }

  /** Seals and sends a data message; returns the extra symmetric key of the keys used. */
  sendData(session: InstanceSession, text: string, tlvs: readonly OtrTlvRecord[], flags: number, out: OtrOutput): Uint8Array {
    if (session.state.kind !== 'encrypted') throw new Error('not in a private conversation');
    const version = session.state.version;
    const sealed = session.seal(this.ourInstance, text, tlvs, flags, this.now());
    this.sendEncoded(sealed.bytes, version, session.instance, out);
    return sealed.extraKey;
  }

  /** An OTR Error Message to the peer (plain text, like libotr's inject_message). */
  sendError(message: string, out: OtrOutput): void {
    out.send.push(buildErrorMessage(message));
  }

  sendQuery(out: OtrOutput): void {
    out.send.push(buildQueryMessage(allowedVersions(this.flags), this.account));
    this.akePendingSince = this.now();
    if (this.offer !== 'accepted') this.offer = 'sent';
  }

  /** Sends a D-H Commit: v3 to any instance (master AKE), v2 on the v2 session. */
  startAke(version: 2 | 3, out: OtrOutput): void {
    const ake = new Ake({ version, ourInstance: this.ourInstance, theirInstance: 0, longTerm: this.longTerm, random: this.random });
    if (version === 3) {
      this.masterAke?.reset();
      this.masterAke = ake;
    } else {
      const s = this.session(0);
      if (!s) {
        out.events.push({ type: 'error', message: 'too many instances of the peer' });
        return;
      }
      s.resetAke();
      s.ake = ake;
    }
    this.sendEncoded(ake.start(), version, 0, out);
    this.akePendingSince = this.now();
    out.events.push({ type: 'ake-started', version });
  }

  /**
   * The user accepted the peer's key `fingerprint` ("XXXXXXXX …", exactly the one they were
   * shown): that key, and no other, may be used now, and what waited goes out if messages now go
   * to a session with an approved key. An error event if that key is not waiting for approval.
   */
  approveKey(fingerprint: string): OtrOutput {
    const out = emptyOutput();
    const waiting = [...this.sessions.values()].some((s) => s.state.kind === 'encrypted' && s.state.fingerprint === fingerprint && this.awaitingApproval(s));
    if (!waiting) {
      out.events.push({ type: 'error', message: 'there is no new key waiting for approval' });
      return out;
    }
    this.unapprovedKeys.delete(fingerprint);
    const target = this.current();
    if (target?.kind === 'encrypted' && !this.awaitingApproval(target)) this.flushQueue(target, out);
    return out;
  }

  /** Whether `session`'s key waits for approveKey(). */
  awaitingApproval(session: InstanceSession): boolean {
    return session.state.kind === 'encrypted' && this.unapprovedKeys.has(session.state.fingerprint);
  }

  /**
   * Just gone private with `session`: asks keyNeedsApproval, and holds the
   * queue (key-approval-needed) or sends it. A refresh with an approved key
   * needs no new approval.
   */
  enteredPrivate(session: InstanceSession, refreshed: boolean, out: OtrOutput): void {
    if (session.state.kind !== 'encrypted') return;
    if (refreshed) this.refreshedAt = this.now();
    this.errorDeferred = false; // a new private conversation: what the held-back error was about is mended
    const fp = session.state.fingerprint;
    // A refresh with a key the user approved needs no new approval; one still waiting keeps waiting.
    if (this.unapprovedKeys.has(fp) || (!refreshed && this.keyNeedsApproval?.(fp))) {
      this.unapprovedKeys.add(fp);
      out.events.push({ type: 'key-approval-needed', fingerprint: fp, instance: session.instance });
      if (!this.anyAkeRunning()) this.akePendingSince = undefined;
      return;
    }
    this.flushQueue(session, out);
  }

  /** After an AKE: send the queued messages through the now private instance. */
  flushQueue(session: InstanceSession, out: OtrOutput): void {
    for (const q of this.queue.take()) {
      try {
        this.sendData(session, q.text, [], 0, out);
        out.events.push({ type: 'queued-sent', ...messageId(q.id), text: q.text, lastSend: out.send.length - 1 });
      } catch (e) {
        out.events.push({ type: 'send-failed', ...messageId(q.id), text: q.text, reason: NOT_ENCRYPTED, code: 'private-not-encrypted', debug: (e as Error).message });
      }
    }
    if (!this.anyAkeRunning()) this.akePendingSince = undefined;
  }

  private anyAkeRunning(): boolean {
    if (this.masterAke && this.masterAke.state !== 'none') return true;
    for (const s of this.sessions.values()) if (s.ake && s.ake.state !== 'none') return true;
    return false;
  }

  /** Fails queued messages whose AKE timed out, and those whose own `waitUntil` is past. */
  expireQueue(out: OtrOutput): void {
    if (this.queue.length === 0) return;
    const target = this.current();
    if (target && this.awaitingApproval(target)) return; // the user decides; no timeout
    this.queue.failExpired(this.now(), this.akeInProgress() ? undefined : 'the private conversation could not be started in time', out);
  }
}
