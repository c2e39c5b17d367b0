/**
 * What PrivateChats needs from its account (PrivateChatsDeps) and what it keeps per contact (PeerState).
 */
import type { DsaPrivateKey } from '../../otr/dsa.js';
import type { RandomSource } from '../../otr/random.js';
import type { OtrConversation, Policy } from '../../otr/session.js';
import type { SmpCompute } from '../../otr/smp-worker-client.js';
import type { NoticeKind, NotSentReason, SmpView } from '../../../../shared/contract.js';
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
  messageState(peer: string, id: string, state: 'sent' | 'waiting' | 'failed', error?: NotSentReason | string, encrypted?: boolean): void;
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

/** What PrivateChats keeps per contact: the engine's conversation and what the UI and the wire need beside it. */
export interface PeerState {
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
