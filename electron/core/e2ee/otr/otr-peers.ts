/**
 * The contacts' conversations of PrivateChats: made on first use (at most MAX_STRANGER_PEERS for
 * senders not in the roster), each worked on in order (serialize), and what the engine produces
 * for one put on the wire (deliver) after its events became notices and states (otr-notices.ts).
 */
import { OtrConversation, type OtrOutput } from '../../otr/session.js';
import { mergeOutput } from '../../otr/events.js';
import { SmpWorker, type SmpCompute } from '../../otr/smp-worker-client.js';
import { failHeld, handleEvents } from './otr-notices.js';
import type { PeerState, PrivateChatsDeps } from './private-chats-types.js';

export const OTR_PREFIX = '?OTR';
/** Why a message did not go out although the engine sealed it: the stream would not take it (the account sends it again). */
export const CONNECTION_LOST = { reason: 'lost-before-sent', text: 'The connection was lost before the message went out.' } as const;
/**
 * Most conversations kept for senders not in the roster: a flood from thousands of made-up JIDs
 * must not grow memory without bound. The longest idle one that is not private makes room.
 */
export const MAX_STRANGER_PEERS = 64;

/** The SMP worker thread of this process, started at the first SMP step. */
let sharedSmpWorker: SmpWorker | undefined;

export abstract class OtrPeers {
  /** In the order of last use (the least recently used first). */
  protected readonly peers = new Map<string, Promise<PeerState>>();
  /** Per peer, so that the engine sees messages in the order they were sent and received. */
  protected readonly chains = new Map<string, Promise<unknown>>();
  /** Per peer, the work queued or running in its chain (a peer with none is idle). */
  protected readonly pending = new Map<string, number>();
  /** Peer states already made (privacy() must answer synchronously). */
  protected readonly settled = new Map<string, PeerState>();

  constructor(protected readonly deps: PrivateChatsDeps) {}

  /** The new key `fingerprint` waits no more (OtrAuthentication): what an SMP proof releases. */
  protected abstract approveKey(peer: string, fingerprint: string, how: 'by-user' | 'by-proof'): Promise<boolean>;

  /** Conversations kept in memory (contacts', and at most MAX_STRANGER_PEERS others' beyond busy or private ones). */
  get peerCount(): number {
    return this.peers.size;
  }

  protected serialize<T>(peer: string, work: (state: PeerState) => Promise<T>): Promise<T> {
    const made = this.peers.get(peer);
    if (made) {
      // Most recently used last: strangers are let go from the front.
      this.peers.delete(peer);
      this.peers.set(peer, made);
    }
    this.pending.set(peer, (this.pending.get(peer) ?? 0) + 1);
    const previous = this.chains.get(peer) ?? Promise.resolve();
    const next = previous.then(() => this.state(peer)).then(work);
    const done = next
      .catch(() => undefined)
      .finally(() => {
        const left = (this.pending.get(peer) ?? 1) - 1;
        if (left > 0) this.pending.set(peer, left);
        else this.pending.delete(peer);
      });
    this.chains.set(peer, done);
    return next;
  }

  /**
   * Forgets the least recently used strangers' conversations that are idle and plaintext (nothing
   * of the user's held, nothing private, no authentication or key decision) until at most `limit`
   * are left. Busy or private ones stay, even over the limit.
   */
  protected trimStrangers(limit: number): void {
    const isContact = this.deps.isContact;
    if (!isContact) return;
    const strangers = [...this.peers.keys()].filter((peer) => !isContact(peer));
    let excess = strangers.length - limit;
    for (const peer of strangers) {
      if (excess <= 0) break;
      const state = this.settled.get(peer);
      if (!state || this.pending.has(peer)) continue;
      if (state.conversation.state !== 'plaintext' || state.expectsPrivacy || state.held.length > 0 || state.smp || state.newKeys.size > 0) continue;
      state.conversation.dispose();
      this.peers.delete(peer);
      this.settled.delete(peer);
      this.chains.delete(peer);
      excess--;
    }
  }

  protected state(peer: string, initial: { expectsPrivacy?: boolean } = {}): Promise<PeerState> {
    let state = this.peers.get(peer);
    if (!state) {
      if (this.deps.isContact && !this.deps.isContact(peer)) this.trimStrangers(MAX_STRANGER_PEERS - 1);
      state = this.deps.identities.identity(this.deps.account).then((identity) => {
        const made: PeerState = {
          conversation: new OtrConversation({
            account: this.deps.account,
            peer,
            longTerm: identity.key,
            ourInstance: identity.instanceTag,
            policy: this.deps.policyFor(peer),
            v3Only: this.deps.v3Only?.() ?? false,
            ...(this.deps.maxFragmentSize ? { maxFragmentSize: this.deps.maxFragmentSize } : {}),
            random: this.deps.random,
            now: this.deps.now,
            smpDeferred: true,
            keyNeedsApproval: (fp) => this.deps.newKey?.(peer, fp).needsApproval ?? false,
            answersPeer: () => made.userActed || (this.deps.isContact?.(peer) ?? true),
          }),
          resource: undefined,
          resources: new Map(),
          held: [],
          expectsPrivacy: initial.expectsPrivacy ?? false,
          newKeys: new Map(),
          userActed: false,
          askedOnline: new Set(),
          smp: undefined,
          endedByUser: false,
          smpRequest: undefined,
        };
        this.settled.set(peer, made);
        return made;
      });
      state.catch(() => this.peers.delete(peer));
      this.peers.set(peer, state);
    }
    return state;
  }

  /**
   * Computes the SMP steps the engine handed out (smp-compute) on the worker thread and folds what the
   * engine then does into `out`. Runs inside the peer's chain, so nothing else reaches the conversation
   * meanwhile; a failed step ends that SMP with an error (and an abort to the peer), never a hang.
   */
  protected async computeSmp(state: PeerState, out: OtrOutput): Promise<OtrOutput> {
    for (;;) {
      const jobs = out.events.flatMap((e) => (e.type === 'smp-compute' ? [e.job] : []));
      if (jobs.length === 0) return out;
      out.events = out.events.filter((e) => e.type !== 'smp-compute');
      for (const job of jobs) {
        let more: OtrOutput;
        try {
          more = state.conversation.smpComputed(job.id, await this.smpCompute().compute(job));
        } catch (e) {
          more = state.conversation.smpComputeFailed(job.id, (e as Error).message);
        }
        mergeOutput(out, more);
      }
    }
  }

  private smpCompute(): SmpCompute {
    if (this.deps.smpCompute) return this.deps.smpCompute;
    sharedSmpWorker ??= new SmpWorker();
    return sharedSmpWorker;
  }

  /** Sends what the engine produced and turns its events into notices and states. Returns false if sending failed. */
  protected async deliver(
    peer: string,
    state: PeerState,
    out: OtrOutput,
    replyTo: string | undefined,
    messageId?: string,
    receivedId?: string,
  ): Promise<boolean> {
    const heldIds = this.heldStanzaIds(state, out);
    handleEvents({ deps: this.deps, approveKey: (p, fp, how) => this.approveKey(p, fp, how) }, peer, state, out.events, receivedId);
    let delivered = true;
    for (const [i, body] of out.send.entries()) {
      const otr = body.startsWith(OTR_PREFIX) && !/^\?OTRv?\d*\?/.test(body);
      const to = otr ? (replyTo ?? this.resourceOf(state) ?? peer) : peer;
      try {
        await this.deps.transmit(to, body, otr ? 'otr' : 'plain', heldIds.get(i) ?? (i === out.send.length - 1 ? messageId : undefined));
      } catch {
        delivered = false;
        // A held message was reported sent (queued-sent) before its stanza was written; the stream took nothing of
        // it: it failed for the connection after all, and the account sends it again on the next stream. Unsaid, it
        // stayed "sending", on its way for the account, and no later stream sent it (issue 17).
        const held = heldIds.get(i);
        if (held !== undefined) this.deps.messageState(peer, held, 'failed', CONNECTION_LOST);
      }
    }
    return delivered;
  }

  /**
   * Which output carries which held message (its last fragment gets the message's id, so the
   * peer's receipt names it). Read before handleEvents, which lets go of the held messages.
   */
  private heldStanzaIds(state: PeerState, out: OtrOutput): Map<number, string> {
    const ids = new Map<number, string>();
    for (const event of out.events) {
      if (event.type === 'queued-sent' && event.id !== undefined && state.held.some((h) => h.id === event.id)) ids.set(event.lastSend, event.id);
    }
    return ids;
  }

  /** The full JID of the peer instance messages go to (the engine's choice), else the one heard from last. */
  protected resourceOf(state: PeerState): string | undefined {
    const target = state.conversation.current();
    return (target && state.resources.get(target.instance)) ?? state.resource;
  }

  /** The private conversation ended on our side only (the peer's resource or our connection is gone). */
  protected endLocally(peer: string, state: PeerState): void {
    // What it would send goes nowhere: the resource is gone. What the user wrote waits for the next one.
    const out = state.conversation.end({ keepWaiting: true });
    failHeld(this.deps, peer, state, out.events);
    state.resource = undefined;
    state.resources.clear();
    this.deps.privacyChanged(peer);
  }
}
