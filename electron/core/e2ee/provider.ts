/**
 * The seam for end-to-end encryption: what the account asks of a scheme (OTR today, OMEMO next),
 * at the level of stanzas. A provider owns everything of its scheme — engine, XMPP glue, keys,
 * trust, its notices — and the account owns everything else (outbox, receipts, carbons, the
 * archive, history). The router (router.ts) picks the provider per conversation.
 *
 * Shaped for both schemes:
 * - OTR talks to one full JID with text in the body, cannot decrypt copies (carbons, the archive:
 *   forward secrecy), starts and ends a session explicitly.
 * - OMEMO talks to the bare JID (all its devices) with an element payload, can decrypt copies, has
 *   no session to start but device lists to fetch, and trusts per device key.
 */
import type { Element } from '@xmpp/xml';
import type { E2eeView, NoticeKind, NotSentReason } from '../../../shared/contract.js';

/** A scheme's name, as the contract and the administrator's policy name it ('otr', 'omemo', …). */
export type E2eeScheme = string;

/** Where a conversation stands, whatever the scheme: the contract's Contact.e2ee, what header, banners and roster derive from. */
export type { E2eeView };

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

/** A message to show in the chat: decrypted (`encrypted`) or plaintext. */
export interface IncomingText extends StanzaInfo {
  text: string;
  encrypted: boolean;
}

/**
 * One stanza a provider puts on the wire. The account makes the `<message type="chat">` around it
 * and adds what every message of the user's carries (stanza id, receipt request, origin id, delay).
 */
export interface Envelope {
  /** A full JID (OTR: the resource the conversation is with) or the bare JID (OMEMO: all its devices). */
  to: string;
  /** The `<body>`: OTR's encoded message or a plaintext start (query, tagged text); OMEMO: its fallback line. */
  body?: string;
  /** Elements the stanza carries (OMEMO's `<encrypted/>`). */
  payload?: Element[];
  /**
   * Encrypted with the scheme: labelled for other clients (XEP-0380, `namespace`) and, when copies of it
   * cannot be decrypted anywhere else (`noCopies`: OTR), kept out of carbons and archives (XEP-0334, XEP-0280).
   * Absent: a plaintext message.
   */
  encryption?: { namespace: string; name?: string; noCopies: boolean };
  /** The user's message this stanza carries (the end of it): its id goes on the stanza, with a receipt request. */
  messageId?: string;
}

/** A notice in the chat: `text` in English, `notice` says which (the UI's own words). */
export interface NoticeDetails {
  kind: NoticeKind;
  detail?: string;
  debug?: string;
}

export interface NoticeOptions {
  private?: true;
  about?: string;
}

/** What the account gives every provider. */
export interface E2eeHost {
  /** Our own bare JID. */
  account: string;
  /** Puts one stanza on the wire; rejects when it could not (no stream, the stream refused it). */
  transmit(envelope: Envelope): Promise<void>;
  /** A message to show in the chat with `peer`. */
  show(peer: string, message: IncomingText): void;
  /**
   * A notice in the chat; `private`: said inside the private conversation, kept like a private message.
   * `about`: the id of the contact's message it is about (one that could not be read, and may come again).
   */
  notice(peer: string, text: string, notice?: NoticeDetails, options?: NoticeOptions): void;
  /**
   * Our message `id` changed state. `encrypted` (with 'sent'): whether it was encrypted as it left — the
   * record of whether it went out private, whatever the chat was when it was typed.
   */
  messageState(peer: string, id: string, state: 'sent' | 'waiting' | 'failed', error?: NotSentReason | string, encrypted?: boolean): void;
  /** What `view(peer)` says changed: the account tells the UI. */
  privacyChanged(peer: string): void;
  /**
   * A private conversation with `peer` was made (new or refreshed): our private messages it may not have (sent in
   * an earlier one, not confirmed by the contact's app) go again in it, with their ids.
   */
  privateStarted?(peer: string): void;
  /** Whether private messages to `peer` wait for the contact's confirmation (see privateStarted): worth a new private conversation. */
  unconfirmed?(peer: string): boolean;
  /** Whether `peer` is in the roster (strangers get less: no answer to offers, bounded state). */
  isContact(peer: string): boolean;
  /**
   * Sends an IQ on the stream and resolves with the answer, a result or an error stanza (OMEMO's PEP:
   * device lists, bundles); rejects when there is no stream or no answer in `timeoutMs`.
   */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
}

/** A copy of a message of this scheme: a carbon of another device of ours, or from the server's archive. */
export interface EncryptedCopy {
  /** The contact's bare JID. */
  peer: string;
  /** Ours (sent from another device) or the contact's. */
  direction: 'in' | 'out';
  /** The copied `<message/>`, as the server forwarded it. */
  message: Element;
}

export interface SendOptions {
  /**
   * Written in a private conversation (the outbox sends it again after a reconnect or restart): it waits for
   * a new one and never goes out in plaintext.
   */
  requirePrivate?: boolean;
  /** When the user wrote it (waiting ends PRIVATE_WAIT_MS after). */
  writtenAt?: number;
}

export interface E2eeProvider {
  readonly scheme: E2eeScheme;
  /**
   * Whether `message` (a live message or a copy) is this scheme's traffic: the router hands it to this
   * provider and nothing else ever shows it raw. The only place a scheme's wire format is recognised.
   */
  claims(message: Element): boolean;
  /** Whether copies of this scheme's messages (carbons, the archive) can be decrypted (OMEMO) or not (OTR). */
  readonly decryptsCopies: boolean;
  /** The text of a copy this provider claims, when `decryptsCopies`; undefined: it cannot be read. */
  decryptCopy?(copy: EncryptedCopy): Promise<string | undefined>;
  /**
   * A live message from `from` (a full JID) with `body` (if any): one this provider claims, or a plaintext
   * message in a conversation it handles (it decides whether that needs a "not encrypted" notice). It shows
   * what the user should read (host.show) and consumes the rest.
   */
  receive(from: string, info: StanzaInfo, message: Element, body: string | undefined): Promise<void>;
  /** The user's message `id` with `text` to `peer` (bare JID); its fate goes to host.messageState. */
  send(peer: string, id: string, text: string, options?: SendOptions): Promise<void>;
  /** The user asks for a private conversation (OTR: a query; OMEMO: fetch the devices). */
  start(peer: string): Promise<void>;
  /** The user ends it; `quiet`: another scheme takes the chat and the router says so (no notice of its own). */
  end(peer: string, options?: { quiet?: boolean }): Promise<void>;
  /**
   * Whether a session of this scheme's own runs with `peer` (OTR: private or finished) that must end before
   * another scheme takes the chat. Absent: the scheme has none (OMEMO).
   */
  inSession?(peer: string): boolean;
  /** Every peer a session of this scheme's own runs with now (inSession); absent: the scheme has none. */
  peersInSession?(): string[];
  /** Where the conversation with `peer` stands for the UI; undefined: plaintext. */
  view(peer: string): E2eeView | undefined;
  /**
   * Whether this conversation is in the provider's hands now (private, ending, expected private, messages
   * held for it): the router keeps sending through it whatever the preferred scheme is.
   */
  engaged(peer: string): boolean;
  /** Whether the policy requires encryption with `peer` (OTR's 'always'): nothing the user writes goes out in plaintext. */
  requiresPrivacy(peer: string): boolean;
  /** Whether a plaintext message with `peer` (a live one or a copy) gets the "not encrypted" notice now. */
  plaintextNeedsNotice(peer: string): boolean;
  /** The text a plaintext body shows (OTR: without its whitespace tag). */
  plaintextOf(body: string): string;
  /** A resource of a contact went offline (`full`): sessions with it end. */
  resourceOffline(full: string): Promise<void>;
  /** A resource of a contact came online (OTR: ask again where privacy is expected; OMEMO: refresh devices). */
  resourceAvailable(full: string): Promise<void>;
  /** Our stream is gone for good (not resumed): sessions end, requests made on it are void. */
  streamLost(): Promise<void>;
  /** We sign out or quit: sessions end properly (the peer is told). Resolves once that went to the stream. */
  signingOff(): Promise<void>;
  /** The provider's timers (AKE timeouts, held messages): called every TICK_MS. */
  tick(): void;
  /** The policy for `peer` (or, without one, for every peer) changed: the conversation follows it now. */
  policyChanged(peer?: string): Promise<void>;
  /**
   * Whether the scheme can take a conversation with `peer` not yet in anyone's hands (OMEMO: the contact
   * announced devices); false lets the router pass it to the next scheme. Absent: always.
   */
  offers?(peer: string): boolean;
  /** A new (not resumed) stream is up, our presence sent (OMEMO: publish our device and bundle). */
  sessionStarted?(): Promise<void>;
  /** A PEP notification (XEP-0163) that is this scheme's (OMEMO's device lists): true when consumed. */
  pubsubEvent?(message: Element): boolean;
}

/**
 * A scheme that can encrypt group chats (XEP-0384 §5.6: OMEMO in members-only, non-anonymous rooms): one
 * message to the room, encrypted for every device of every member and our own other devices.
 */
export interface GroupEncryption {
  readonly scheme: E2eeScheme;
  /** Whether a groupchat `message` is this scheme's traffic (the room never shows it raw). */
  claims(message: Element): boolean;
  /** Seals `text` for `members` (bare JIDs, without us); nothing sealed when a member has no device it can use. */
  encryptGroup(room: string, members: readonly string[], text: string): Promise<GroupSealed>;
  /** Opens a room message from the member `sender` (their real bare JID). `live`: the device answers (sessions, repairs). */
  decryptGroup(room: string, sender: string, message: Element, stampedAt: number | undefined, live: boolean): Promise<GroupOpened>;
}

export type GroupSealed =
  /** `stanzas`: the payload of each stanza to send (one per version); `held`: members with devices not encrypted for (their keys wait for the user). */
  | { ok: true; stanzas: { payload: Element[]; encryption: NonNullable<Envelope['encryption']>; body: string }[]; held: string[] }
  /** `unreachable`: members none of whose devices could be encrypted for (none announced, none trusted, keys not fetched). */
  | { ok: false; unreachable: string[] };

export type GroupOpened =
  | { kind: 'text'; text: string }
  /** Protocol traffic with nothing to show (a key exchange completed, a heartbeat), or not ours to read. */
  | { kind: 'empty' }
  | { kind: 'failed'; debug?: string }
  /** From a device whose key waits for the user's decision. */
  | { kind: 'held'; fingerprint: string }
  /** Encrypted for the room's members, but not for this device. */
  | { kind: 'not-for-us' };

/** How often the router calls every provider's tick(). */
export const TICK_MS = 5_000;
