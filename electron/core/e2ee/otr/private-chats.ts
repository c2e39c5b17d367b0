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
import { randomUUID } from 'node:crypto';
import { bareJid } from '../../values/jid.js';
import { sameOtrFingerprint } from '../../values/fingerprint.js';
import { KlatschError } from '../../errors.js';
import type { DsaPrivateKey } from '../../otr/dsa.js';
import type { RandomSource } from '../../otr/random.js';
import { OtrConversation, type OtrEvent, type OtrOutput, type Policy } from '../../otr/session.js';
import { classifyMessage } from '../../otr/encoding.js';
import { mergeOutput } from '../../otr/events.js';
import { SmpWorker, type SmpCompute } from '../../otr/smp-worker-client.js';
import type { NoticeKind, Privacy, SmpView } from '../../../../shared/contract.js';
import { PRIVATE_WAIT_MS } from '../../../../shared/private-wait.js';
import type { IncomingText, StanzaInfo } from '../provider.js';

export interface OtrIdentity {
  key: DsaPrivateKey;
  instanceTag: number;
  fingerprint: string;
}

/** Where an account's long-term OTR key and instance tag come from (the OTR store in the app). */
export interface OtrIdentitySource {
  identity(account: string): Promise<OtrIdentity>;
}

export type { IncomingText, StanzaInfo };

export interface PrivateChatsDeps {
  /** Our own bare JID. */
  account: string;
  identities: OtrIdentitySource;
  policyFor(peer: string): Policy;
  /** The scheme the chat uses instead of OTR (policyFor is then 'never'); undefined: none. */
  otherScheme?(peer: string): string | undefined;
  /**
   * Puts one body on the wire: 'otr' bodies with the XEP-0364 hints, 'plain' ones as ordinary chat
   * messages. `id` is the stanza id to use (the user's message id on the stanza that completes it).
   */
  transmit(to: string, body: string, kind: 'otr' | 'plain', id: string | undefined): Promise<void>;
  show(peer: string, message: IncomingText): void;
  /**
   * A notice in the chat: `text` in English, `notice` says which, for the UI's own words. `private`: it
   * comes from inside the private conversation (an SMP question, its result): kept like a private message.
   * `about`: the id of the contact's message it is about (one that could not be read, and may come again).
   */
  notice(peer: string, text: string, notice?: { kind: NoticeKind; detail?: string; debug?: string }, options?: { private?: true; about?: string }): void;
  /**
   * Our message `id` changed state. `encrypted` (with 'sent'): whether the engine encrypted it as it
   * left — the record of whether it went out private, whatever the chat was when it was typed.
   */
  messageState(peer: string, id: string, state: 'sent' | 'waiting' | 'failed', error?: string, encrypted?: boolean): void;
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
  /**
   * Whether the first message to `peer` waits for a private conversation (the user's setting, and the
   * contact's app is known to speak OTR). Absent: it goes out in plaintext with the OTR offer.
   */
  firstMessageWaits?(peer: string): boolean;
  /** `peer`'s app spoke OTR (its offer, a query, an OTR message): worth remembering for firstMessageWaits. */
  speaksOtr?(peer: string): void;
  random: RandomSource;
  now: () => number;
  /** XMPP servers limit stanza sizes; longer OTR messages are fragmented below this. */
  maxFragmentSize?: number;
  /** Where the SMP math runs: default one worker thread shared by all accounts, never the main thread. */
  smpCompute?: SmpCompute;
  /**
   * Whether `peer` is in the roster; others' conversations are bounded in number (MAX_STRANGER_PEERS),
   * and their OTR offers get no answer until the user writes to them or starts a private conversation
   * (as receipts: nothing tells a stranger we are here). Default: everyone is.
   */
  isContact?(peer: string): boolean;
  /** Refuse OTR version 2 (the v3-only setting); absent: v2 and v3. */
  v3Only?(): boolean;
  /**
   * A private conversation with `peer` was made (new or refreshed): our private messages it may not have
   * (sent in an earlier one, not confirmed by the contact's app) go again in it, with their ids.
   */
  privateStarted?(peer: string): void;
  /** Whether private messages to `peer` wait for its confirmation (see privateStarted): worth a new private conversation. */
  unconfirmed?(peer: string): boolean;
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
  /** An OTR message came while another scheme had the chat, and the user was told (once, until OTR is back). */
  toldOtherScheme?: boolean;
  /**
   * New keys of the contact the engine asked about, by fingerprint: whether another key of theirs
   * was verified. Which one the user is shown is the engine's (keyAwaitingApproval), never a copy.
   */
  newKeys: Map<string, boolean>;
  /** The user wrote to the peer or started a private conversation: the peer's OTR offers are answered even if a stranger. */
  userActed: boolean;
  /** Resources (full JIDs) whose coming online already got our request for a private conversation, until they go offline. */
  askedOnline: Set<string>;
  /** Authentication in progress or its last result, for the UI. */
  smp: SmpView | undefined;
  /** The user ended a private conversation here: what they write next goes out as the policy says, without waiting. */
  endedByUser: boolean;
  /** The open request of the contact: its id in SmpView, and the engine's number for it. */
  smpRequest: { id: string; engineRequest: number } | undefined;
}

const OTR_PREFIX = '?OTR';
/** Why a message did not go out although the engine sealed it: the stream would not take it (the account sends it again). */
const CONNECTION_LOST = 'The connection was lost before the message went out.';
/** An authentication that broke off, whatever the engine's reason: what the user can do about it. */
const SMP_ERROR_TEXT = 'The authentication could not be completed. You can start it again.';
/** PRIVATE_WAIT_MS in hours, for the texts. */
const PRIVATE_WAIT_HOURS = PRIVATE_WAIT_MS / (60 * 60 * 1000);
/**
 * Most conversations kept for senders not in the roster: a flood from thousands of made-up JIDs
 * must not grow memory without bound. The longest idle one that is not private makes room.
 */
export const MAX_STRANGER_PEERS = 64;

/** The SMP worker thread of this process, started at the first SMP step. */
let sharedSmpWorker: SmpWorker | undefined;

export class PrivateChats {
  /** In the order of last use (the least recently used first). */
  private readonly peers = new Map<string, Promise<PeerState>>();
  /** Per peer, so that the engine sees messages in the order they were sent and received. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Per peer, the work queued or running in its chain (a peer with none is idle). */
  private readonly pending = new Map<string, number>();

  constructor(private readonly deps: PrivateChatsDeps) {}

  /**
   * The user sends `text` (our message `id`, written at `writtenAt`) to `peer`. `requirePrivate`: it
   * was written in a private conversation (the outbox sends it after a reconnect or restart): it waits
   * for a new private conversation, started here, and never goes out in plaintext. So does one written
   * while the conversation expects privacy but is not private right now (the contact or we went
   * offline). A message that waits does so for PRIVATE_WAIT_MS from when it was written, then fails
   * with the reason; handed in again (every new stream does), it is held once and keeps its id.
   */
  send(
    peer: string,
    id: string,
    text: string,
    { requirePrivate = false, writtenAt }: { requirePrivate?: boolean; writtenAt?: number } = {},
  ): Promise<void> {
    return this.serialize(peer, async (state) => {
      state.userActed = true;
      const mustWait = requirePrivate || (state.expectsPrivacy && state.conversation.state === 'plaintext');
      // Reasons are what follows the UI's "Not sent: ".
      if (mustWait && this.deps.policyFor(peer) === 'never') {
        this.deps.messageState(peer, id, 'failed', 'this message was written in a private conversation, and private conversations are now turned off for this contact.');
        return;
      }
      if (mustWait && !state.expectsPrivacy) {
        state.expectsPrivacy = true; // written in a private conversation: nothing goes out in plaintext in this chat until the user ends it
        this.deps.privacyChanged(peer);
      }
      // "Wait for a private conversation before the first message": this one waits for it (started now, for
      // one AKE), instead of going out in plaintext with the offer, to a contact whose app is known to speak OTR.
      const waitsFirst =
        !mustWait &&
        !state.endedByUser &&
        state.conversation.state === 'plaintext' &&
        this.deps.policyFor(peer) === 'opportunistic' &&
        (this.deps.firstMessageWaits?.(peer) ?? false);
      // Only a message written in a private conversation waits that long; others wait for one AKE, as before.
      const waitUntil = mustWait ? { waitUntil: (writtenAt ?? this.deps.now()) + PRIVATE_WAIT_MS } : {};
      const out = state.conversation.sendText(text, { requirePrivate: mustWait || waitsFirst, id, ...waitUntil });
      // Events about this message carry its id; others in the same output (held ones that timed out) are theirs.
      const failed = out.events.find((e) => e.type === 'send-failed' && e.id === id);
      if (failed?.type === 'send-failed') {
        // Reported here, once (handed in again, it may have been among the held ones).
        if (state.held.some((h) => h.id === id)) this.failHeld(peer, state, [failed]);
        else this.deps.messageState(peer, id, 'failed', this.failureText(peer, failed));
      } else if (out.events.some((e) => e.type === 'queued' && e.id === id)) {
        if (!state.held.some((h) => h.id === id)) state.held.push({ id });
        this.deps.messageState(
          peer,
          id,
          'waiting',
          mustWait ? `Waiting for a private conversation with ${peer}; it goes out by itself once there is one, or is marked not sent ${PRIVATE_WAIT_HOURS} hours after it was written.` : undefined,
        );
      }
      // A held message gets its id on the stanza that finally carries it (queued-sent), not on the query.
      const held = state.held.some((h) => h.id === id);
      const delivered = await this.deliver(peer, state, { ...out, events: out.events.filter((e) => e !== failed) }, undefined, held ? undefined : id);
      if (!failed && !state.held.some((h) => h.id === id)) {
        const encrypted = out.events.some((e) => e.type === 'encrypted-sent');
        if (delivered) this.deps.messageState(peer, id, 'sent', undefined, encrypted);
        else this.deps.messageState(peer, id, 'failed', CONNECTION_LOST);
      }
    });
  }

  /** A message body from `from` (a full JID) arrived. */
  receive(from: string, stanza: StanzaInfo, body: string): Promise<void> {
    const peer = bareJid(from);
    if (!peer) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      if (body.includes(OTR_PREFIX) && from !== peer) state.resource = from;
      if (classifyMessage(body).kind !== 'plaintext') this.deps.speaksOtr?.(peer);
      const out = await this.computeSmp(state, state.conversation.receive(body));
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
      await this.deliver(peer, state, out, from, undefined, stanza.id);
    });
  }

  // ---- Authentication (SMP) and new keys ----

  /** Ask `question` (or compare a shared secret, without one). */
  startSmp(peer: string, secret: string, question: string | undefined): Promise<void> {
    return this.serialize(peer, async (state) => {
      if (state.conversation.state !== 'encrypted') throw new KlatschError('invalid-request', 'Authenticating needs a private conversation: start one first.', { reason: 'smp-needs-private' });
      const out = await this.computeSmp(state, state.conversation.startSmp(secret, question));
      if (out.events.some((e) => e.type === 'smp-progress')) {
        state.smp = { phase: 'running', weStarted: true, step: 1, ...(question !== undefined ? { question } : {}) };
      }
      await this.deliver(peer, state, out, undefined);
      this.deps.privacyChanged(peer);
    });
  }

  /** Answer the contact's request `requestId` (the one the user read), never another. */
  respondSmp(peer: string, requestId: string, secret: string): Promise<void> {
    return this.serialize(peer, async (state) => {
      const asked = state.smp?.phase === 'asked' ? state.smp : undefined;
      if (!asked || state.conversation.state !== 'encrypted') throw new KlatschError('invalid-request', 'There is no authentication request to answer.', { reason: 'smp-no-request' });
      const request = state.smpRequest;
      if (asked.id !== requestId || request?.id !== requestId) {
        throw new KlatschError('invalid-request', 'The authentication request changed before you answered; nothing was sent. Read the new request, then answer it.', { reason: 'smp-request-changed' });
      }
      const out = await this.computeSmp(state, state.conversation.respondSmp(secret, undefined, request.engineRequest));
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
      if (!accepted || !sameOtrFingerprint(accepted, fingerprint)) return false;
      state.newKeys.delete(accepted);
      if (how === 'by-user') {
        this.deps.notice(peer, `You accepted ${peer}'s new key ${accepted} without verifying it.`, { kind: 'key-accepted', detail: accepted });
      }
      // What waited goes out now; its queued-sent events mark each message sent.
      await this.deliver(peer, state, state.conversation.approveKey(accepted), undefined);
      this.deps.privateStarted?.(peer); // what the contact did not confirm goes too, as in any new private conversation
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
      state.userActed = true;
      await this.deliver(peer, state, state.conversation.startPrivate(), undefined);
    });
  }

  /** Ends the conversation (OTR's disconnect to the peer); `quiet`: another scheme took the chat and says so itself. */
  end(peer: string, quiet = false): Promise<void> {
    return this.serialize(peer, async (state) => {
      const wasPrivate = state.conversation.state !== 'plaintext' || state.expectsPrivacy;
      state.expectsPrivacy = false;
      state.endedByUser = true;
      await this.deliver(peer, state, state.conversation.end(), undefined);
      if (wasPrivate && !quiet) this.deps.notice(peer, 'You ended the private conversation.', { kind: 'ended-by-us' });
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
      const wasEncrypted = state.conversation.state !== 'plaintext';
      const out = state.conversation.setPolicy(policy, this.deps.v3Only?.() ?? false);
      if (policy === 'never') state.expectsPrivacy = false;
      const otherScheme = this.deps.otherScheme?.(peer);
      if (otherScheme === undefined) state.toldOtherScheme = false;
      await this.deliver(peer, state, out, undefined);
      // Another scheme took the chat: the router ends OTR and says so itself.
      if (policy === 'never' && wasPrivate && otherScheme === undefined) {
        this.deps.notice(peer, 'Private conversations are now turned off for this contact; the private conversation has ended.', { kind: 'ended-otr-off' });
      } else if (wasEncrypted && state.conversation.state === 'plaintext') {
        // A version 2 conversation, ended by the v3-only setting (the peer was told).
        state.expectsPrivacy = false;
        this.deps.notice(peer, 'You ended the private conversation.', { kind: 'ended-by-us' });
      }
      this.deps.privacyChanged(peer);
    });
  }

  /** The policies of every conversation (the v3-only setting) changed: each follows now. */
  async policiesChanged(): Promise<void> {
    await Promise.all([...this.peers.keys()].map((peer) => this.setPolicy(peer).catch(() => undefined)));
  }

  /** The peer's resource went offline: a private conversation with it is over (nothing to tell it). */
  resourceOffline(full: string): Promise<void> {
    const peer = bareJid(full);
    if (!peer || !this.peers.has(peer)) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      state.askedOnline.delete(full); // its next coming online is a new one
      if (this.resourceOf(state) !== full || state.conversation.state === 'plaintext') return;
      this.endLocally(peer, state);
      this.deps.notice(peer, `${peer} went offline; the private conversation has ended.`, { kind: 'peer-offline' });
    });
  }

  /**
   * A resource of `full`'s contact came online after our private conversation with that contact ended
   * without the user ending it (they or we went offline). As libotr's opportunistic policy: no request
   * by itself (a contact without OTR would read it as text; the next message the user writes asks for
   * privacy, since this chat expects it). A request goes out only when messages wait for a private
   * conversation (starting one is what the user asked for) or the policy is "always"; once per coming online.
   */
  peerAvailable(full: string): Promise<void> {
    const peer = bareJid(full);
    if (!peer || !this.settled.get(peer)?.expectsPrivacy) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      const policy = this.deps.policyFor(peer);
      if (!state.expectsPrivacy || state.conversation.akeInProgress() || policy === 'never') return;
      // Private with another resource, while messages of ours wait for the contact's confirmation: this may be
      // their app started again (killed before it decrypted them, its old connection not yet timed out at the
      // server). A new private conversation (with the same instance, or a second device) lets them go again.
      const unconfirmed = this.deps.unconfirmed?.(peer) ?? false;
      if (state.conversation.state === 'encrypted' && !(unconfirmed && this.resourceOf(state) !== full)) return;
      const waiting = state.held.length > 0 || unconfirmed;
      if (!waiting && policy !== 'always') return;
      // Both sides notice each other at once; with nothing waiting here only one starts, so that two AKEs do not cross.
      if (!waiting && this.deps.account.toLowerCase() > peer) return;
      // A presence seen twice (our probe's answer and the contact's own broadcast, a status change) asks once.
      if (state.askedOnline.has(full)) return;
      state.askedOnline.add(full);
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
   * Our own connection ended: every private conversation is over, and so is a request for one made on
   * that stream (it may never have reached the server): what waits asks again on the next stream.
   * The chat says that it was our connection, not the contact, that went away (their presence is
   * unknown now, not offline).
   */
  disconnected(): Promise<void> {
    const ended = [...this.peers.keys()].map((peer) =>
      this.serialize(peer, async (state) => {
        const conversation = state.conversation;
        state.askedOnline.clear(); // the next stream sees every presence anew
        const wasPrivate = conversation.state === 'encrypted';
        if (conversation.state !== 'plaintext' || conversation.queuedCount > 0 || conversation.akeInProgress()) this.endLocally(peer, state);
        if (wasPrivate) this.deps.notice(peer, 'You went offline; the private conversation has ended.', { kind: 'own-offline' });
      }).catch(() => undefined),
    );
    return Promise.all(ended).then(() => undefined);
  }

  /**
   * We sign out or quit: every private conversation ends properly, as libotr clients do (the peer gets
   * the "disconnected" message and goes back to plaintext instead of encrypting to a session that is
   * gone). Resolves once those messages were handed to the stream. The chat says that our going
   * offline ended it; a conversation the user expected private stays so (nothing goes out in
   * plaintext until it is private again or the user ends it).
   */
  signingOff(): Promise<void> {
    const ended = [...this.peers.keys()].map((peer) =>
      this.serialize(peer, async (state) => {
        if (state.conversation.state !== 'encrypted') return;
        // The peer is told; what the user wrote and is held waits for the next private conversation, as after a drop.
        const out = state.conversation.end({ keepWaiting: true });
        this.failHeld(peer, state, out.events);
        await this.deliver(peer, state, { ...out, events: [] }, undefined);
        state.resource = undefined;
        state.resources.clear();
        this.deps.notice(peer, 'You went offline; the private conversation has ended.', { kind: 'own-offline' });
        this.deps.privacyChanged(peer);
      }).catch(() => undefined),
    );
    return Promise.all(ended).then(() => undefined);
  }

  /** Timers of the engine (AKE timeouts for held messages). Call every few seconds. */
  tick(): void {
    // Strangers made in a burst (all busy then) are let go once idle.
    this.trimStrangers(MAX_STRANGER_PEERS);
    // A copy: serialize() moves each peer to the end of the map.
    for (const peer of [...this.peers.keys()]) {
      void this.serialize(peer, (state) => this.deliver(peer, state, state.conversation.poll(), undefined));
    }
  }

  /**
   * Whether a plaintext message with `peer` gets the "not encrypted" notice now: the engine's rule for
   * live messages (a private or ended conversation, or a policy that requires encryption), for the
   * copies of another device of ours (carbons), which never pass the engine.
   */
  plaintextNeedsNotice(peer: string): boolean {
    const conversation = this.settled.get(peer)?.conversation;
    if (!conversation) return this.deps.policyFor(peer) === 'always';
    return conversation.state !== 'plaintext' || conversation.policyFlags.requireEncryption;
  }

  /** Whether an OTR session runs with `peer` (private, or finished by the peer): one to end before another scheme takes the chat. */
  inSession(peer: string): boolean {
    const state = this.settled.get(peer);
    return !!state && state.conversation.state !== 'plaintext';
  }

  /** Every peer inSession() holds for now. */
  peersInSession(): string[] {
    return [...this.settled.keys()].filter((peer) => this.inSession(peer));
  }

  /**
   * Whether the conversation with `peer` is in OTR's hands now: private or ended (not by the user),
   * expected private, or holding messages for a private conversation.
   */
  engaged(peer: string): boolean {
    const state = this.settled.get(peer);
    if (!state) return false;
    return state.conversation.state !== 'plaintext' || state.expectsPrivacy || state.held.length > 0;
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
    // What it would send goes nowhere: the resource is gone. What the user wrote waits for the next one.
    const out = state.conversation.end({ keepWaiting: true });
    this.failHeld(peer, state, out.events);
    state.resource = undefined;
    state.resources.clear();
    this.deps.privacyChanged(peer);
  }

  /** Conversations kept in memory (contacts', and at most MAX_STRANGER_PEERS others' beyond busy or private ones). */
  get peerCount(): number {
    return this.peers.size;
  }

  private serialize<T>(peer: string, work: (state: PeerState) => Promise<T>): Promise<T> {
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
  private trimStrangers(limit: number): void {
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

  private state(peer: string, initial: { expectsPrivacy?: boolean } = {}): Promise<PeerState> {
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

  /** Sends what the engine produced and turns its events into notices and states. Returns false if sending failed. */
  /**
   * Computes the SMP steps the engine handed out (smp-compute) on the worker thread and folds what the
   * engine then does into `out`. Runs inside the peer's chain, so nothing else reaches the conversation
   * meanwhile; a failed step ends that SMP with an error (and an abort to the peer), never a hang.
   */
  private async computeSmp(state: PeerState, out: OtrOutput): Promise<OtrOutput> {
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

  private async deliver(
    peer: string,
    state: PeerState,
    out: OtrOutput,
    replyTo: string | undefined,
    messageId?: string,
    receivedId?: string,
  ): Promise<boolean> {
    const heldIds = this.heldStanzaIds(state, out);
    this.handleEvents(peer, state, out.events, receivedId);
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

  /** `receivedId`: the id of the stanza whose reading gave these events. */
  private handleEvents(peer: string, state: PeerState, events: OtrEvent[], receivedId?: string): void {
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
          state.endedByUser = false;
          this.deps.speaksOtr?.(peer);
          const waitsForUser = events.some((e) => e.type === 'key-approval-needed' && e.instance === event.instance);
          if (!waitsForUser) {
            void this.deps.sawFingerprint?.(peer, event.fingerprint)?.catch?.(() => undefined);
            // The engine sends what it held in this same output: each one's queued-sent event follows.
            // What an earlier conversation carried and the contact did not confirm goes again (queued after this work).
            this.deps.privateStarted?.(peer);
          }
          this.deps.privacyChanged(peer);
          break;
        }
        case 'queued-sent': {
          const index = state.held.findIndex((h) => h.id === event.id);
          // Held messages leave only through the private conversation (queued-sent: encrypted now).
          if (index >= 0) this.deps.messageState(peer, state.held.splice(index, 1)[0]!.id, 'sent', undefined, true);
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
        case 'smp-request': {
          const id = randomUUID();
          state.smp = { phase: 'asked', id, ...(event.question !== undefined ? { question: event.question } : {}) };
          state.smpRequest = { id, engineRequest: event.request };
          this.deps.notice(
            peer,
            event.question !== undefined ? `${peer} wants to authenticate you and asks: “${event.question}”` : `${peer} wants to authenticate you with a secret you both know.`,
            event.question !== undefined ? { kind: 'smp-question', detail: event.question } : { kind: 'smp-secret' },
            { private: true },
          );
          this.deps.privacyChanged(peer);
          break;
        }
        case 'smp-progress':
          if (state.smp?.phase === 'running') state.smp = { ...state.smp, step: event.step };
          this.deps.privacyChanged(peer);
          break;
        case 'smp-result':
          this.smpFinished(peer, state, event.success, event.weVerifiedThem, event.fingerprint);
          break;
        case 'smp-aborted':
          if (event.replaced) {
            state.smp = { phase: 'aborted', byPeer: true, replaced: true };
            this.deps.notice(
              peer,
              `${peer} sent a new authentication request before you answered the first one; both were cancelled. If ${peer} asks again, you will be asked again.`,
              { kind: 'smp-replaced' },
              { private: true },
            );
          } else if (state.smp && (state.smp.phase === 'running' || state.smp.phase === 'asked')) {
            state.smp = { phase: 'aborted', byPeer: event.byPeer };
            this.deps.notice(
              peer,
              event.byPeer ? `${peer} cancelled the authentication.` : 'The authentication was cancelled.',
              { kind: event.byPeer ? 'smp-cancelled-by-peer' : 'smp-cancelled' },
              { private: true },
            );
          }
          this.deps.privacyChanged(peer);
          break;
        case 'smp-error':
          // The engine's words ("unexpected SMP message 2") are for a bug report, not for the user.
          state.smp = { phase: 'error' };
          this.deps.notice(peer, SMP_ERROR_TEXT, { kind: 'smp-error', debug: event.message }, { private: true });
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
        case 'otr-off-received': {
          const otherScheme = this.deps.otherScheme?.(peer);
          if (otherScheme !== undefined) {
            // Another scheme has the chat: offers go unanswered quietly, a message is reported once (never shown raw).
            if (event.what === 'message' && !state.toldOtherScheme) {
              state.toldOtherScheme = true;
              this.deps.notice(peer, `${peer} sent an OTR message, which could not be read: this chat uses ${otherScheme.toUpperCase()}.`, { kind: 'otr-message-other-scheme', detail: otherScheme });
            }
            break;
          }
          this.deps.notice(
            peer,
            event.what === 'message'
              ? `${peer} sent a private message, but private conversations are turned off for this contact.`
              : `${peer} wants to start a private conversation, but private conversations are turned off for this contact.`,
            { kind: event.what === 'message' ? 'private-message-otr-off' : 'private-request-otr-off' },
          );
          break;
        }
        case 'unreadable':
          // Named by its id: the sender may offer it again (same id) in a new private conversation (see Account).
          this.deps.notice(peer, `A private message from ${peer} could not be read.`, { kind: 'unreadable' }, receivedId !== undefined ? { about: receivedId } : undefined);
          break;
        case 'remote-error':
          // The peer app's text is its own (protocol terms, any language): kept for a bug report only.
          this.deps.notice(
            peer,
            `${peer}'s app reported a problem with the private conversation. If it happens again, end the private conversation and start a new one.`,
            { kind: 'peer-error', debug: event.message },
          );
          break;
        case 'version-refused':
          this.deps.notice(
            peer,
            `${peer}'s app offered a private conversation only in the old OTR version 2, which your settings refuse. The conversation stays unencrypted.`,
            { kind: 'v2-refused' },
          );
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
          : `Authentication succeeded: ${peer} has verified you.`
        : 'Authentication failed: the answers did not match.',
      { kind: success ? (weVerifiedThem ? 'smp-verified' : 'smp-verified-by-them') : 'smp-failed' },
      { private: true },
    );
    const change = success ? (weVerifiedThem ? 'verify' : undefined) : wouldVerify ? 'clear' : undefined;
    // The proof was about the key that waits for acceptance: nothing more to accept. Only a proof the
    // user asked for: one the contact started is the contact's move, and never releases what waits.
    const waiting = state.conversation.keyAwaitingApproval;
    if (change === 'verify' && role.weStarted && waiting && sameOtrFingerprint(waiting, fingerprint)) {
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
      this.deps.messageState(peer, held!.id, 'failed', this.failureText(peer, event));
    }
  }

  /** Why a message was not sent, for the user (what follows the UI's "Not sent: "). */
  private failureText(peer: string, event: Extract<OtrEvent, { type: 'send-failed' }>): string {
    return event.expired
      ? `no private conversation with ${peer} could be made within ${PRIVATE_WAIT_HOURS} hours after it was written, and it does not go out unencrypted.`
      : event.reason;
  }
}
