/**
 * Private conversations of one account over XMPP (XEP-0364): one OTR engine
 * conversation per contact, fed with message bodies, and its output turned
 * into stanzas, chat messages, notices and privacy changes. What goes on the
 * wire, and where, is decided here; the engine itself does no I/O.
 *
 * Rules kept here:
 * - OTR messages go to the full JID of the resource the private conversation
 *   is with; only the start (query, tagged plaintext) goes to the bare JID.
 * - A message the engine holds until the conversation is private is shown as
 *   'waiting' and becomes 'sent' or 'failed' later; none is sent in plaintext
 *   against the policy, none disappears silently.
 * - When the peer's resource goes offline, the private conversation ends,
 *   visibly.
 */
import { bareJid } from './xmpp/stanzas.js';
import type { DsaPrivateKey } from './otr/dsa.js';
import type { RandomSource } from './otr/random.js';
import { OtrConversation, type OtrEvent, type OtrOutput, type Policy } from './otr/session.js';
import type { NoticeKind, Privacy, SmpView } from '../../shared/contract.js';

export interface OtrIdentity {
  key: DsaPrivateKey;
  instanceTag: number;
  fingerprint: string;
}

/** Where an account's long-term OTR key and instance tag come from (the OTR store in the app). */
export interface OtrIdentitySource {
  identity(account: string): Promise<OtrIdentity>;
}

/** What a received stanza said about its body, passed on with the text it shows. */
export interface StanzaInfo {
  id: string | undefined;
  /** XEP-0203 delay stamp (epoch ms), for messages the server kept for us. */
  stampedAt: number | undefined;
  /** XEP-0308: the id of the message this one corrects (decided when shown, in the order received). */
  replaces?: string;
  /** XEP-0359: the id our server's archive gave the message (message-archive.ts de-duplicates by it). */
  archiveId?: string;
}

export interface IncomingText extends StanzaInfo {
  text: string;
  encrypted: boolean;
}

export interface PrivateChatsDeps {
  /** Our own bare JID. */
  account: string;
  identities: OtrIdentitySource;
  policyFor(peer: string): Policy;
  /**
   * Puts one body on the wire: 'otr' bodies with the XEP-0364 hints, 'plain' ones as ordinary chat
   * messages. `id` is the stanza id to use (the user's message id on the stanza that completes it).
   */
  transmit(to: string, body: string, kind: 'otr' | 'plain', id: string | undefined): Promise<void>;
  show(peer: string, message: IncomingText): void;
  /** A notice in the chat: `text` in English (kept in history), `notice` says which, for the UI's own words. */
  notice(peer: string, text: string, notice?: { kind: NoticeKind; detail?: string }): void;
  messageState(peer: string, id: string, state: 'sent' | 'waiting' | 'failed', error?: string): void;
  privacyChanged(peer: string): void;
  /** Whether a private conversation's fingerprint is verified (the trust store decides). */
  isVerified?(peer: string, fingerprint: string): boolean;
  /** Records the fingerprint of a new private conversation (first seen / last used). */
  sawFingerprint?(peer: string, fingerprint: string): Promise<unknown>;
  /**
   * Whether the user must accept `fingerprint` before anything is sent with it: the contact had
   * other keys, not this one. `changedFromVerified`: one of those was verified.
   */
  newKey?(peer: string, fingerprint: string): { needsApproval: boolean; changedFromVerified: boolean };
  /**
   * An SMP ended: `verify` the contact's key (it was proved), `clear` its trust (a failed proof on
   * the side that would have verified it, as libotr), or leave it (`keep`).
   */
  smpTrust?(peer: string, fingerprint: string, change: 'verify' | 'clear'): Promise<void>;
  random: RandomSource;
  now: () => number;
  /** XMPP servers limit stanza sizes; longer OTR messages are fragmented below this. */
  maxFragmentSize?: number;
}

interface PeerState {
  conversation: OtrConversation;
  /** The full JID the private conversation is with, once the peer's resource is known. */
  resource: string | undefined;
  /**
   * The full JID each instance of the peer last wrote from: messages go to the resource of the
   * instance the engine sends to, which need not be the one heard from last (e.g. its key waits).
   */
  resources: Map<number, string>;
  /** Our messages the engine holds until the conversation is private, oldest first. */
  held: { id: string }[];
  /**
   * The conversation was private and ended without the user ending it (peer offline, our
   * connection lost): the user still expects privacy, so nothing goes out in plaintext
   * until the user ends the conversation or it is private again.
   */
  expectsPrivacy: boolean;
  /**
   * New keys of the contact the engine asked about, by fingerprint: whether another key of theirs
   * was verified. Which one the user is shown is the engine's (keyAwaitingApproval), never a copy.
   */
  newKeys: Map<string, boolean>;
  /** Authentication in progress or its last result, for the UI. */
  smp: SmpView | undefined;
}

const OTR_PREFIX = '?OTR';
/** A user action that needs a private conversation (or a request) there is not. */
const notPrivate = (message: string) => Object.assign(new Error(message), { code: 'not-private' as const });
const normalize = (fp: string) => fp.replace(/\s+/g, '').toLowerCase();

export class PrivateChats {
  private readonly peers = new Map<string, Promise<PeerState>>();
  /** Per peer, so that the engine sees messages in the order they were sent and received. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: PrivateChatsDeps) {}

  /**
   * The user sends `text` (our message `id`) to `peer`. `requirePrivate`: it was written in a private
   * conversation (the outbox sends it after a reconnect or restart): it waits for a new private
   * conversation, started here, and never goes out in plaintext.
   */
  send(peer: string, id: string, text: string, { requirePrivate = false }: { requirePrivate?: boolean } = {}): Promise<void> {
    return this.serialize(peer, async (state) => {
      // Reasons are what follows the UI's "Not sent: ".
      if (requirePrivate && this.deps.policyFor(peer) === 'never') {
        this.deps.messageState(peer, id, 'failed', 'this message was written in a private conversation, and private conversations are now turned off for this contact.');
        return;
      }
      if (!requirePrivate && state.expectsPrivacy && state.conversation.state !== 'encrypted') {
        this.deps.messageState(peer, id, 'failed', 'the private conversation has ended, and this message will not go out unencrypted. Send it again once the conversation is private, or end the private conversation to send it in plaintext.');
        return;
      }
      const out = state.conversation.sendText(text, { requirePrivate, id });
      // Events about this message carry its id; others in the same output (held ones that timed out) are theirs.
      const failed = out.events.find((e) => e.type === 'send-failed' && e.id === id);
      if (failed?.type === 'send-failed') {
        // Reported here; handleEvents (failHeld) would not find it among the held ones anyway.
        this.deps.messageState(peer, id, 'failed', failed.reason);
      } else if (out.events.some((e) => e.type === 'queued' && e.id === id)) {
        state.held.push({ id });
        this.deps.messageState(peer, id, 'waiting');
      }
      // A held message gets its id on the stanza that finally carries it (queued-sent), not on the query.
      const held = state.held.some((h) => h.id === id);
      const delivered = await this.deliver(peer, state, out, undefined, held ? undefined : id);
      if (!failed && !state.held.some((h) => h.id === id)) {
        this.deps.messageState(peer, id, delivered ? 'sent' : 'failed', delivered ? undefined : 'The connection was lost before the message went out.');
      }
    });
  }

  /** A message body from `from` (a full JID) arrived. */
  receive(from: string, stanza: StanzaInfo, body: string): Promise<void> {
    const peer = bareJid(from);
    if (!peer) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      if (body.includes(OTR_PREFIX) && from !== peer) state.resource = from;
      const out = state.conversation.receive(body);
      const instance = state.conversation.lastSenderInstance;
      if (instance !== undefined && from !== peer) {
        state.resources.set(instance, from);
        // Only instances the engine keeps (it bounds them), so random instance tags cannot grow this.
        for (const known of state.resources.keys()) if (!state.conversation.sessions.has(known)) state.resources.delete(known);
      }
      // The stanza id names the message it completed (the last one, when fragments end several).
      out.display.forEach((d, i) =>
        this.deps.show(peer, { ...stanza, id: i === out.display.length - 1 ? stanza.id : undefined, text: d.text, encrypted: d.encrypted }),
      );
      await this.deliver(peer, state, out, from);
    });
  }

  // ---- Authentication (SMP) and new keys ----

  /** Ask `question` (or compare a shared secret, without one). */
  startSmp(peer: string, secret: string, question: string | undefined): Promise<void> {
    return this.serialize(peer, async (state) => {
      if (state.conversation.state !== 'encrypted') throw notPrivate('Authenticating needs a private conversation: start one first.');
      const out = state.conversation.startSmp(secret, question);
      if (out.events.some((e) => e.type === 'smp-progress')) {
        state.smp = { phase: 'running', weStarted: true, step: 1, ...(question !== undefined ? { question } : {}) };
      }
      await this.deliver(peer, state, out, undefined);
      this.deps.privacyChanged(peer);
    });
  }

  /** Answer the contact's request. */
  respondSmp(peer: string, secret: string): Promise<void> {
    return this.serialize(peer, async (state) => {
      const asked = state.smp?.phase === 'asked' ? state.smp : undefined;
      if (!asked || state.conversation.state !== 'encrypted') throw notPrivate('There is no authentication request to answer.');
      const out = state.conversation.respondSmp(secret);
      if (out.events.some((e) => e.type === 'smp-progress')) {
        state.smp = { phase: 'running', weStarted: false, step: 2, ...(asked?.question !== undefined ? { question: asked.question } : {}) };
      }
      await this.deliver(peer, state, out, undefined);
      this.deps.privacyChanged(peer);
    });
  }

  abortSmp(peer: string): Promise<void> {
    return this.serialize(peer, async (state) => {
      await this.deliver(peer, state, state.conversation.abortSmp(), undefined);
      state.smp = undefined;
      this.deps.privacyChanged(peer);
    });
  }

  /** The user read the result: nothing to show any more. */
  dismissSmp(peer: string): Promise<void> {
    if (!this.peers.has(peer)) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      if (state.smp && state.smp.phase !== 'running' && state.smp.phase !== 'asked') state.smp = undefined;
      this.deps.privacyChanged(peer);
    });
  }

  /**
   * The user accepts the contact's new key `fingerprint` ("XXXXXXXX …"), the one they were shown, unverified:
   * what waited goes out, and the chat says so. False (nothing approved) if that is not the key waiting now.
   */
  acceptKey(peer: string, fingerprint: string): Promise<boolean> {
    return this.approveKey(peer, fingerprint, 'by-user');
  }

  /**
   * The user verified or unverified `peer`'s key `fingerprint` ("XXXXXXXX …") by comparing fingerprints, or
   * forgot a verified one: the chat says so, so that its log never contradicts the header. A key that waited
   * for acceptance and is verified now needs no acceptance any more (as after an SMP proof).
   */
  async trustChangedByUser(peer: string, fingerprint: string, change: 'verified' | 'unverified' | 'forgotten'): Promise<void> {
    const said = {
      verified: { text: `You verified ${peer}'s key ${fingerprint} by comparing fingerprints.`, kind: 'verified-by-fingerprint' },
      unverified: { text: `You marked ${peer}'s key ${fingerprint} as not verified.`, kind: 'unverified-by-fingerprint' },
      forgotten: { text: `You forgot ${peer}'s verified key ${fingerprint}; it is not verified any more.`, kind: 'key-forgotten' },
    } as const;
    this.deps.notice(peer, said[change].text, { kind: said[change].kind, detail: fingerprint });
    if (change === 'verified') await this.approveKey(peer, fingerprint, 'by-proof');
    this.deps.privacyChanged(peer);
  }

  /** The new key `fingerprint` waits no more: what waited goes out. Only the user's acceptance is a notice (a proof has its own). */
  private approveKey(peer: string, fingerprint: string, how: 'by-user' | 'by-proof'): Promise<boolean> {
    if (!this.peers.has(peer)) return Promise.resolve(false);
    return this.serialize(peer, async (state) => {
      const accepted = state.conversation.keyAwaitingApproval;
      if (!accepted || normalize(accepted) !== normalize(fingerprint)) return false;
      state.newKeys.delete(accepted);
      if (how === 'by-user') {
        this.deps.notice(peer, `You accepted ${peer}'s new key ${accepted} without verifying it.`, { kind: 'key-accepted', detail: accepted });
      }
      // What waited goes out now; its queued-sent events mark each message sent.
      await this.deliver(peer, state, state.conversation.approveKey(accepted), undefined);
      await this.deps.sawFingerprint?.(peer, accepted)?.catch?.(() => undefined);
      this.deps.privacyChanged(peer);
      return true;
    });
  }

  /** What the UI shows about the conversation's keys and authentication. */
  details(peer: string): { fingerprint?: string; keyWarning?: { fingerprint: string; changedFromVerified: boolean }; smp?: SmpView } {
    const state = this.settled.get(peer);
    if (!state) return {};
    const fingerprint = state.conversation.privateSession?.fingerprint;
    const keyWarning = this.keyWarning(state);
    return {
      ...(fingerprint ? { fingerprint } : {}),
      ...(keyWarning ? { keyWarning } : {}),
      ...(state.smp ? { smp: state.smp } : {}),
    };
  }

  /** The new key messages wait for: the key of the conversation they would go to (as the header shows it). */
  private keyWarning(state: PeerState): { fingerprint: string; changedFromVerified: boolean } | undefined {
    const fingerprint = state.conversation.keyAwaitingApproval;
    return fingerprint ? { fingerprint, changedFromVerified: state.newKeys.get(fingerprint) ?? false } : undefined;
  }

  start(peer: string): Promise<void> {
    return this.serialize(peer, async (state) => {
      await this.deliver(peer, state, state.conversation.startPrivate(), undefined);
    });
  }

  end(peer: string): Promise<void> {
    return this.serialize(peer, async (state) => {
      const wasPrivate = state.conversation.state !== 'plaintext' || state.expectsPrivacy;
      state.expectsPrivacy = false;
      await this.deliver(peer, state, state.conversation.end(), undefined);
      if (wasPrivate) this.deps.notice(peer, 'You ended the private conversation.', { kind: 'ended-by-us' });
      this.deps.privacyChanged(peer);
    });
  }

  /**
   * The contact's policy changed. Turned off ('never') during a private conversation: it ends on
   * both sides (the engine's end goes to the peer, who then sends nothing private), visibly.
   */
  setPolicy(peer: string): Promise<void> {
    if (!this.peers.has(peer)) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      const policy = this.deps.policyFor(peer);
      const wasPrivate = state.conversation.state !== 'plaintext' || state.expectsPrivacy;
      const out = state.conversation.setPolicy(policy);
      if (policy === 'never') state.expectsPrivacy = false;
      await this.deliver(peer, state, out, undefined);
      if (policy === 'never' && wasPrivate) {
        this.deps.notice(peer, 'Private conversations are now turned off for this contact; the private conversation has ended.', { kind: 'ended-otr-off' });
      }
      this.deps.privacyChanged(peer);
    });
  }

  /** The peer's resource went offline: a private conversation with it is over (nothing to tell it). */
  resourceOffline(full: string): Promise<void> {
    const peer = bareJid(full);
    if (!peer || !this.peers.has(peer)) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      if (this.resourceOf(state) !== full || state.conversation.state === 'plaintext') return;
      this.endLocally(peer, state);
      this.deps.notice(peer, `${peer} went offline; the private conversation has ended.`, { kind: 'peer-offline' });
    });
  }

  /**
   * A resource of `full`'s contact came online. If our private conversation with that contact
   * ended without the user ending it (they or we went offline), a new one starts by itself.
   */
  peerAvailable(full: string): Promise<void> {
    const peer = bareJid(full);
    if (!peer || !this.settled.get(peer)?.expectsPrivacy) return Promise.resolve();
    // Both sides notice each other at once; only one starts, so that two AKEs do not cross.
    if (this.deps.account.toLowerCase() > peer) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      // A presence seen twice (our probe's answer and the contact's own broadcast) must not start a second AKE across the first.
      if (!state.expectsPrivacy || state.conversation.state === 'encrypted' || state.conversation.akeInProgress() || this.deps.policyFor(peer) === 'never') return;
      await this.deliver(peer, state, state.conversation.startPrivate(), undefined);
    });
  }

  /**
   * The account's key was replaced (an import): every private conversation made with the old one
   * ends, telling the peer; the next one is made with the new key. A chat that expected privacy
   * still does (nothing goes out in plaintext) until the user ends it or a new one is private.
   */
  async identityChanged(): Promise<void> {
    const peers = [...this.peers.keys()];
    const expectingPrivacy = new Set<string>();
    await Promise.all(
      peers.map((peer) =>
        this.serialize(peer, async (state) => {
          const wasPrivate = state.conversation.state === 'encrypted';
          if (state.conversation.state !== 'plaintext' || state.expectsPrivacy) expectingPrivacy.add(peer);
          const out = state.conversation.end();
          this.failHeld(peer, state, out.events);
          await this.deliver(peer, state, { ...out, events: [] }, undefined);
          if (wasPrivate) {
            this.deps.notice(peer, 'Your key was replaced; the private conversation has ended. Start a new one to use the new key.', { kind: 'key-replaced' });
          }
        }).catch(() => undefined),
      ),
    );
    for (const peer of peers) {
      this.peers.delete(peer);
      this.settled.delete(peer);
    }
    // The new conversations (with the new key) are made now, so privacy() never reads "plaintext" in between.
    await Promise.all(
      peers.map(async (peer) => {
        if (expectingPrivacy.has(peer)) await this.state(peer, { expectsPrivacy: true }).catch(() => undefined);
        this.deps.privacyChanged(peer);
      }),
    );
  }

  /**
   * Our own connection ended: every private conversation is over. The chat says that it was our
   * connection, not the contact, that went away (their presence is unknown now, not offline).
   */
  disconnected(): Promise<void> {
    const ended = [...this.peers.keys()].map((peer) =>
      this.serialize(peer, async (state) => {
        const wasPrivate = state.conversation.state === 'encrypted';
        if (state.conversation.state !== 'plaintext') this.endLocally(peer, state);
        if (wasPrivate) this.deps.notice(peer, 'You went offline; the private conversation has ended.', { kind: 'own-offline' });
      }).catch(() => undefined),
    );
    return Promise.all(ended).then(() => undefined);
  }

  /** Timers of the engine (AKE timeouts for held messages). Call every few seconds. */
  tick(): void {
    for (const peer of this.peers.keys()) {
      void this.serialize(peer, (state) => this.deliver(peer, state, state.conversation.poll(), undefined));
    }
  }

  privacy(peer: string): Privacy | undefined {
    const state = this.settled.get(peer);
    if (!state) return undefined;
    const conversation = state.conversation;
    // Ended without the user ending it: shown like "finished" (nothing is sent until the user decides).
    if (conversation.state === 'finished' || (state.expectsPrivacy && conversation.state !== 'encrypted')) return 'finished';
    const session = conversation.privateSession;
    if (conversation.state !== 'encrypted' || !session) return undefined;
    return this.deps.isVerified?.(peer, session.fingerprint) ? 'private-verified' : 'private';
  }

  /** The full JID of the peer instance messages go to (the engine's choice), else the one heard from last. */
  private resourceOf(state: PeerState): string | undefined {
    const target = state.conversation.current();
    return (target && state.resources.get(target.instance)) ?? state.resource;
  }

  /** Peer states already made (privacy() must answer synchronously). */
  private readonly settled = new Map<string, PeerState>();

  private endLocally(peer: string, state: PeerState): void {
    const out = state.conversation.end(); // what it would send goes nowhere: the resource is gone
    this.failHeld(peer, state, out.events);
    state.resource = undefined;
    state.resources.clear();
    this.deps.privacyChanged(peer);
  }

  private serialize<T>(peer: string, work: (state: PeerState) => Promise<T>): Promise<T> {
    const previous = this.chains.get(peer) ?? Promise.resolve();
    const next = previous.then(() => this.state(peer)).then(work);
    this.chains.set(
      peer,
      next.catch(() => undefined),
    );
    return next;
  }

  private state(peer: string, initial: { expectsPrivacy?: boolean } = {}): Promise<PeerState> {
    let state = this.peers.get(peer);
    if (!state) {
      state = this.deps.identities.identity(this.deps.account).then((identity) => {
        const made: PeerState = {
          conversation: new OtrConversation({
            account: this.deps.account,
            peer,
            longTerm: identity.key,
            ourInstance: identity.instanceTag,
            policy: this.deps.policyFor(peer),
            ...(this.deps.maxFragmentSize ? { maxFragmentSize: this.deps.maxFragmentSize } : {}),
            random: this.deps.random,
            now: this.deps.now,
            keyNeedsApproval: (fp) => this.deps.newKey?.(peer, fp).needsApproval ?? false,
          }),
          resource: undefined,
          resources: new Map(),
          held: [],
          expectsPrivacy: initial.expectsPrivacy ?? false,
          newKeys: new Map(),
          smp: undefined,
        };
        this.settled.set(peer, made);
        return made;
      });
      state.catch(() => this.peers.delete(peer));
      this.peers.set(peer, state);
    }
    return state;
  }

  /** Sends what the engine produced and turns its events into notices and states. Returns false if sending failed. */
  private async deliver(
    peer: string,
    state: PeerState,
    out: OtrOutput,
    replyTo: string | undefined,
    messageId?: string,
  ): Promise<boolean> {
    const heldIds = this.heldStanzaIds(state, out);
    this.handleEvents(peer, state, out.events);
    let delivered = true;
    for (const [i, body] of out.send.entries()) {
      const otr = body.startsWith(OTR_PREFIX) && !/^\?OTRv?\d*\?/.test(body);
      const to = otr ? (replyTo ?? this.resourceOf(state) ?? peer) : peer;
      try {
        await this.deps.transmit(to, body, otr ? 'otr' : 'plain', heldIds.get(i) ?? (i === out.send.length - 1 ? messageId : undefined));
      } catch {
        delivered = false;
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

  private handleEvents(peer: string, state: PeerState, events: OtrEvent[]): void {
    // First what the engine asks about new keys: the banner reads it (via privacyChanged) from the first event on.
    for (const event of events) {
      if (event.type !== 'key-approval-needed') continue;
      const { changedFromVerified } = this.deps.newKey?.(peer, event.fingerprint) ?? { changedFromVerified: false };
      state.newKeys.set(event.fingerprint, changedFromVerified || (state.newKeys.get(event.fingerprint) ?? false));
      // A finished authentication was about the old key: its "verified" must not stay beside this warning.
      if (state.smp && state.smp.phase !== 'running' && state.smp.phase !== 'asked') state.smp = undefined;
    }
    for (const event of events) {
      switch (event.type) {
        case 'private': {
          const verified = this.deps.isVerified?.(peer, event.fingerprint);
          this.deps.notice(
            peer,
            event.refreshed
              ? 'The private conversation was refreshed.'
              : verified
                ? 'Private conversation started. The contact is verified.'
                : `Private conversation started. ${peer} is not verified yet.`,
            { kind: event.refreshed ? 'private-refreshed' : verified ? 'private-started-verified' : 'private-started-unverified' },
          );
          state.expectsPrivacy = true;
          const waitsForUser = events.some((e) => e.type === 'key-approval-needed' && e.instance === event.instance);
          if (!waitsForUser) {
            void this.deps.sawFingerprint?.(peer, event.fingerprint)?.catch?.(() => undefined);
            // The engine sends what it held in this same output: each one's queued-sent event follows.
          }
          this.deps.privacyChanged(peer);
          break;
        }
        case 'queued-sent': {
          const index = state.held.findIndex((h) => h.id === event.id);
          if (index >= 0) this.deps.messageState(peer, state.held.splice(index, 1)[0]!.id, 'sent');
          break;
        }
        case 'key-approval-needed': {
          const changedFromVerified = state.newKeys.get(event.fingerprint) ?? false;
          this.deps.notice(
            peer,
            changedFromVerified
              ? `Warning: ${peer} is using a new key, although you had verified another one. This can mean a new device or an attack. Nothing is sent until you authenticate ${peer} or accept the new key.`
              : `${peer} is using a key you have not seen before. Nothing is sent until you authenticate ${peer} or accept the new key.`,
            { kind: changedFromVerified ? 'new-key-after-verified' : 'new-key' },
          );
          this.deps.privacyChanged(peer);
          break;
        }
        case 'smp-request':
          state.smp = { phase: 'asked', ...(event.question !== undefined ? { question: event.question } : {}) };
          this.deps.notice(
            peer,
            event.question !== undefined ? `${peer} wants to authenticate you and asks: “${event.question}”` : `${peer} wants to authenticate you with a secret you both know.`,
            event.question !== undefined ? { kind: 'smp-question', detail: event.question } : { kind: 'smp-secret' },
          );
          this.deps.privacyChanged(peer);
          break;
        case 'smp-progress':
          if (state.smp?.phase === 'running') state.smp = { ...state.smp, step: event.step };
          this.deps.privacyChanged(peer);
          break;
        case 'smp-result':
          this.smpFinished(peer, state, event.success, event.weVerifiedThem, event.fingerprint);
          break;
        case 'smp-aborted':
          if (state.smp && (state.smp.phase === 'running' || state.smp.phase === 'asked')) {
            state.smp = { phase: 'aborted', byPeer: event.byPeer };
            this.deps.notice(peer, event.byPeer ? `${peer} cancelled the authentication.` : 'The authentication was cancelled.', {
              kind: event.byPeer ? 'smp-cancelled-by-peer' : 'smp-cancelled',
            });
          }
          this.deps.privacyChanged(peer);
          break;
        case 'smp-error':
          state.smp = { phase: 'error', message: event.message };
          this.deps.notice(peer, `The authentication did not work: ${event.message}.`, { kind: 'smp-error', detail: event.message });
          this.deps.privacyChanged(peer);
          break;
        case 'finished':
          this.deps.notice(peer, `${peer} ended the private conversation. End it too, or start a new one; nothing is sent until then.`, { kind: 'ended-by-peer' });
          this.deps.privacyChanged(peer);
          break;
        case 'not-private':
          if (state.conversation.state === 'plaintext') state.newKeys.clear();
          this.deps.privacyChanged(peer);
          break;
        case 'otr-off-received':
          this.deps.notice(
            peer,
            event.what === 'message'
              ? `${peer} sent a private message, but private conversations are turned off for this contact.`
              : `${peer} wants to start a private conversation, but private conversations are turned off for this contact.`,
            { kind: event.what === 'message' ? 'private-message-otr-off' : 'private-request-otr-off' },
          );
          break;
        case 'unreadable':
          this.deps.notice(peer, `A private message from ${peer} could not be read.`, { kind: 'unreadable' });
          break;
        case 'remote-error':
          this.deps.notice(peer, `${peer}'s app reported a problem with the private conversation: ${event.message}`, { kind: 'peer-error', detail: event.message });
          break;
        case 'unencrypted-received':
          this.deps.notice(peer, 'The message above was not encrypted.', { kind: 'not-encrypted' });
          break;
        case 'send-failed':
          this.failHeld(peer, state, [event]);
          break;
        default:
          break; // heartbeats, AKE progress and protocol details are not for the chat
      }
    }
  }

  /** Trust like libotr's set_smp_trust: the side that would verify the key verifies it, or clears it on failure. */
  private smpFinished(peer: string, state: PeerState, success: boolean, weVerifiedThem: boolean, fingerprint: string): void {
    const role = state.smp?.phase === 'running' ? state.smp : { weStarted: false, question: undefined };
    const question = role.question !== undefined ? { question: role.question } : {};
    const wouldVerify = role.weStarted || role.question === undefined;
    state.smp = success
      ? { phase: 'succeeded', weStarted: role.weStarted, weVerifiedThem, ...question }
      : { phase: 'failed', weStarted: role.weStarted, ...question };
    this.deps.notice(
      peer,
      success
        ? weVerifiedThem
          ? `Authentication succeeded: ${peer} is verified.`
          : `Authentication succeeded: ${peer} has verified you. You have not verified ${peer} yet; ask a question back to do so.`
        : `Authentication failed: the answers did not match. ${peer} is not verified.`,
      { kind: success ? (weVerifiedThem ? 'smp-verified' : 'smp-verified-by-them') : 'smp-failed' },
    );
    const change = success ? (weVerifiedThem ? 'verify' : undefined) : wouldVerify ? 'clear' : undefined;
    // The proof was about the key that waits for acceptance: nothing more to accept.
    const waiting = state.conversation.keyAwaitingApproval;
    if (change === 'verify' && waiting && normalize(waiting) === normalize(fingerprint)) {
      void this.approveKey(peer, fingerprint, 'by-proof');
    }
    if (!change || !this.deps.smpTrust) {
      this.deps.privacyChanged(peer);
      return;
    }
    void this.deps.smpTrust(peer, fingerprint, change).then(
      () => this.deps.privacyChanged(peer),
      () => {
        this.deps.notice(peer, 'The result could not be saved: the OTR store cannot be written.', { kind: 'trust-not-saved' });
        this.deps.privacyChanged(peer);
      },
    );
  }

  private failHeld(peer: string, state: PeerState, events: OtrEvent[]): void {
    for (const event of events) {
      if (event.type !== 'send-failed') continue;
      const index = state.held.findIndex((h) => h.id === event.id);
      if (index < 0) continue;
      const [held] = state.held.splice(index, 1);
      this.deps.messageState(peer, held!.id, 'failed', event.reason);
    }
  }
}
