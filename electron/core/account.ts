/**
 * One account at work: its connection, roster, presence and chats, turned into
 * the contract's events. Knows nothing of Electron or of how events travel.
 */
import { randomUUID } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { asksTheUser, MAX_BLOCKED_SENDERS, type AccountView, type ChatMessage, type Contact, type EventName, type EventOf, type OwnShow } from '../../shared/contract.js';
import { ChatLog } from './chat-log.js';
import { Avatars } from './avatars/avatars.js';
import { ContactManager } from './roster/contacts.js';
import { E2eeRouter, type E2eeProviderFactory } from './e2ee/router.js';
import type { E2eeHost, E2eeScheme, Envelope, IncomingText } from './e2ee/provider.js';
import { Roster } from './roster/roster.js';
import type { HistoryStore } from './store/history-store.js';
import type { StoredAccount } from './store/settings-store.js';
import { carbonChatState, carbonCopy, checkCarbon, enableCarbons, type CarbonChatState, type CarbonCopy } from './carbons/carbons.js';
import { receiptFor, receiptMessage, wantsReceipt } from './receipts/receipts.js';
import { correctable, correctionMessage, correctionTarget, lastOf, parseReplace } from './correction/correction.js';
import { chatStateMessage, OutgoingChatStates, parseChatState, withChatState, type ChatState } from './chat-states/chat-states.js';
import { ConnectionManager, type ConnectionManagerOptions } from './xmpp/connection-manager.js';
import {
  chatMessage,
  encryptedMessage,
  errorCondition,
  NS_ROSTER,
  parseMessage,
  parsePresence,
  parseRosterItems,
  parseRosterItemsInTurns,
  presenceStanza,
  rosterGet,
  withDelay,
  type RosterItem,
} from './xmpp/stanzas.js';
import { parseAvatarHash } from './avatars/avatar-stanzas.js';
import { bareJid } from './values/jid.js';
import { PRIVATE_WAIT_MS } from '../../shared/private-wait.js';
import { placeIncoming } from './message-time.js';
import { isRosterPushFrom, parseSubscriptionPresence } from './roster/roster-stanzas.js';
import type { TrustMode } from './xmpp/tls-policy.js';
import type { XmppSession } from './xmpp/xmpp-session.js';
import type { AccountPolicyHooks } from './policy/account-policy.js';
import { Rooms, type StoredRoom } from './muc/rooms.js';
import { OutboxStore, type OutboxEntry } from './store/outbox-store.js';
import { latencyProbe } from './latency-probe.js';
import { withOriginId } from './origin-id/origin-id.js';
import { withCaps } from './xmpp/caps.js';
import { MessageArchive } from './archive/message-archive.js';
import { ownStanzaId } from './archive/mam.js';
import { domainOfAddress, isRemoteServerCondition, requestNotDelivered } from './xmpp/remote-server.js';
import { backoffDelay } from './xmpp/backoff.js';
import { KlatschError } from './errors.js';

export type EventSink = <E extends EventName>(name: E, payload: EventOf<E>) => void;

export interface AccountDeps {
  emit: EventSink;
  /** Trust anchors added by the installation (a company CA; the tests' CA). */
  extraAnchors: readonly string[];
  /** Whether a stored password exists (the core owns the secrets, not the account). */
  hasStoredPassword: (stored: StoredAccount) => boolean;
  now?: () => number;
  connection?: Partial<Omit<ConnectionManagerOptions, 'target'>>;
  /**
   * The end-to-end encryption schemes of this account (e2ee/): one provider each, made for this account; the
   * order is the preference. None: every chat is plaintext.
   */
  e2ee?: readonly E2eeProviderFactory[];
  /** The schemes the administrator allows, in the order of preference; absent: every one given. */
  allowedSchemes?: () => readonly E2eeScheme[] | undefined;
  /** The scheme the user set for a contact, where the policy allows it; undefined: automatic. */
  e2eeOverride?: (peer: string) => E2eeScheme | undefined;
  /** The account's own OTR key as the UI shows it (otr-trust.ts); none: not shown. */
  ownKey?: (jid: string) => AccountView['otrKey'];
  /** The administrator's policy: it may replace the connection details, the trust and the OTR policy in force. */
  policy?: AccountPolicyHooks;
  /** The account's stored chats (encrypted at rest); absent: chats live in memory only. */
  history?: HistoryStore;
  /**
   * A new message from someone else was just shown: arriving now ('live') or a carbon of one another
   * of our devices received. For desktop notifications; never called for history or archive messages.
   */
  incoming?: (message: ChatMessage, source: 'live' | 'carbon') => void;
  /** Group chats: their stored messages (encrypted at rest), and storing the rooms to enter again. */
  rooms?: {
    history?: HistoryStore;
    save: (rooms: StoredRoom[]) => Promise<void>;
    joinTimeoutMs?: number;
    /** The administrator's rules for a room (and whoever invites to it): refused rooms are not entered from bookmarks. */
    allowed?: (room: string, from?: string) => boolean;
    /** Why the administrator refuses rooms that are not end-to-end encrypted; undefined: they are allowed. */
    plaintextRefused?: () => string | undefined;
  };
  /** Messages not yet acknowledged by the server, and ids received lately (encrypted at rest); absent: in memory only. */
  outbox?: OutboxStore;
}

/** Sending again what our server could not pass to another company's server: from ~5 s up to ~5 min apart. */
const REMOTE_RETRY_BACKOFF = { baseMs: 5_000, maxMs: 300_000 } as const;
/** How long signing out waits for the private conversations' end messages to be written. */
const SIGN_OFF_WAIT_MS = 1_000;
/** Messages of the stored history per "load older" (the user scrolled to the top of a chat). */
const OLDER_PAGE = 200;

export class Account {
  readonly roster = new Roster();
  readonly chats = new ChatLog();
  readonly connection: ConnectionManager;
  /** End-to-end encryption: the scheme of each conversation, and every stanza a scheme claims (e2ee/router.ts). */
  readonly e2ee: E2eeRouter;
  /** Adding, removing, renaming, grouping contacts; subscription requests. */
  readonly contactManager: ContactManager;
  /** Contacts' pictures and our own. */
  readonly avatars: Avatars;
  private stored: StoredAccount;
  private readonly now: () => number;
  /** Received messages that asked for a receipt (XEP-0184), by peer and stanza id → the full JID to answer. */
  private readonly receiptsOwed = new Map<string, string>();
  /** The time of writing given to the user's last message (writtenNow). */
  private lastWrittenAt = 0;
  /** Per chat, the time of the contact's message shown last: a notice about it ("not encrypted") goes right below it. */
  private readonly lastShownAt = new Map<string, number>();
  /** Chats where we already said that a private conversation happened on another device. */
  private readonly otherDeviceNoticed = new Set<string>();
  /** Senders the policy blocked since Klatsch started (AccountView.blockedSenders): the user is told once each. */
  private readonly blockedSenders = new Set<string>();
  /** What we told contacts of our typing (XEP-0085). */
  readonly chatStates: OutgoingChatStates;
  /** When the current (not resumed) session began: archive results stamped later were live messages. */
  private onlineSince: number | undefined;
  /** Contacts typing now (contacts only, so bounded by the roster). */
  private readonly typing = new Set<string>();
  /** Group chats (muc/rooms.ts): OMEMO in members-only, non-anonymous rooms, else plaintext; never through the OTR engine. */
  readonly rooms: Rooms;
  /** The server's message archive (XEP-0313): catching up after sign-in, older pages on request. */
  readonly archive: MessageArchive;
  /** Where there is no stored history, the archive mark lives as long as the app runs. */
  private archiveMarkInMemory: string | undefined;

  // ---- Outbox (XEP-0198 acknowledgements; see sendMessage and flushOutbox) ----
  /** The user's messages until the server has them. */
  private readonly outbox: OutboxStore;
  /** Outbox messages put on the current stream (or one it resumes), waiting for the server's acknowledgement. */
  private readonly inFlight = new Set<string>();
  /** The stream dropped and may be resumed: presences and private conversations wait to see if it is. */
  private streamInDoubt = false;
  private presencesInDoubt: ReturnType<Roster['takePresences']> | undefined;
  /** While the sign-in's roster is parsed (startSession): the pushes that came meanwhile, applied after it. */
  private pushesDuringRosterLoad: RosterItem[] | undefined;
  /** Ending the private conversations of a lost stream: what fails meanwhile fails for that, and goes out again. */
  private losingStream: Promise<void> | undefined;
  /**
   * Messages our server bounced because it could not reach the contact's server (federation): back in the
   * outbox, each with how often it bounced and the timer that sends it again.
   */
  private readonly bounced = new Map<string, { attempts: number; timer: NodeJS.Timeout | undefined }>();
  /** Outbox messages whose stanza the stream refused (it was ending), by id → that stream (null: there was none). */
  private readonly lostOnTheWay = new Map<string, XmppSession | null>();
  /** The outbox is being sent on this stream; `flushAgain`: something went back into it meanwhile. */
  private flushing: XmppSession | undefined;
  private flushAgain = false;
  /** The stream whose flush went through the whole outbox: new messages go out on it directly. */
  private flushedFor: XmppSession | undefined;
  /**
   * The archive's catch-up of the current stream: the contact's receipts that came to a stream of ours that died are
   * only there. Private messages the server has wait for it before they go again (most turn out confirmed).
   */
  private catchingUp: Promise<void> = Promise.resolve();

  constructor(stored: StoredAccount, private readonly deps: AccountDeps) {
    this.stored = stored;
    this.now = deps.now ?? Date.now;
    this.outbox = deps.outbox ?? OutboxStore.inMemory();
    const host: E2eeHost = {
      account: stored.jid,
      transmit: async (envelope) => {
        const id = envelope.messageId;
        const session = this.connection.activeSession;
        if (!session) {
          if (id !== undefined) this.lostOnTheWay.set(id, null);
          throw new Error('not connected');
        }
        if (id !== undefined) this.lostOnTheWay.delete(id);
        const sent = this.transmitOn(session, envelope);
        // A write the stream refused (it is ending: a stream error, a reset) is a connection problem, not the message's.
        if (id !== undefined) sent.catch(() => this.lostOnTheWay.set(id, session));
        return sent;
      },
      show: (peer, m) => this.showIncoming(peer, m),
      notice: (peer, text, notice, options) => {
        // About a message of the contact's (by its id): none when that message is shown already (a copy came first).
        const about = options?.about !== undefined && options.about.length <= 256 ? options.about : undefined;
        if (about !== undefined && (this.chats.has(peer, about, 'in') || this.outbox.seen(peer, about))) return;
        const shown = this.upsertMessage({
          id: about !== undefined ? unreadableNoticeId(about) : randomUUID(),
          peer,
          direction: 'notice',
          body: text,
          // "The message above was not encrypted" stays right below that message, wherever its time put it.
          timestamp: notice?.kind === 'not-encrypted' ? (this.lastShownAt.get(peer) ?? this.now()) : this.now(),
          state: 'received',
          ...(notice ? { notice } : {}),
          // Said inside the private conversation (an SMP question): private like its messages.
          ...(options?.private ? { encrypted: true } : {}),
        });
        // The contact waits for an answer: unread and announced like a message, or it goes unseen in another chat.
        if (asksTheUser(shown)) {
          this.chats.countUnread(peer);
          this.emitContact(peer);
          this.deps.incoming?.(shown, 'live');
        }
      },
      messageState: (peer, id, given, reason, leftEncrypted) => {
        const state = this.outboxState(id, given, reason, leftEncrypted);
        const error = state === 'sending' ? undefined : reason;
        const message = this.chats.find(peer, id, 'out');
        if (!message) return;
        // Whether it went out private is what the engine did with it, recorded as it leaves.
        const privately = leftEncrypted ?? message.encrypted ?? false;
        // A receipt may arrive before we noted that the message went out, or a copy may go again (its receipt was
        // late): 'delivered' stays, the contact's app has it.
        if (message.state === 'delivered') {
          if (privately !== (message.encrypted ?? false)) this.upsertMessage(withEncrypted(message, privately));
          return;
        }
        const { error: _old, ...rest } = message;
        this.upsertMessage(withEncrypted({ ...rest, state, ...(error ? { error } : {}) }, privately));
      },
      privacyChanged: (peer) => {
        this.chatStates.privacyChanged(peer);
        this.emitContact(peer);
      },
      isContact: (peer) => this.roster.has(peer),
      privateStarted: (peer) => this.offerUnconfirmed(peer),
      unconfirmed: (peer) => this.outbox.entries().some((e) => e.peer === peer && this.waitsForReceipt(e)),
      request: async (iq, timeoutMs) => {
        const session = this.connection.activeSession;
        if (!session) throw new Error('not connected');
        // An error answer is an answer: the scheme reads its condition (a missing node, a refused option).
        return session.iq.request(iq, timeoutMs).catch((error: { element?: Element }) => {
          if (error?.element?.name === 'error') return xml('iq', { type: 'error', ...(iq.attrs.to ? { from: iq.attrs.to } : {}) }, error.element);
          throw error;
        });
      },
    };
    this.e2ee = new E2eeRouter(host, deps.e2ee ?? [], {
      ...(deps.allowedSchemes ? { allowedSchemes: deps.allowedSchemes } : {}),
      ...(deps.e2eeOverride ? { override: deps.e2eeOverride } : {}),
    });
    this.chatStates = new OutgoingChatStates({
      allowed: (peer) => this.chatStatesAllowed(peer),
      send: async (peer, state) => {
        await this.connection.activeSession?.send(chatStateMessage(peer, randomUUID(), state), { confirm: false });
      },
    });
    this.rooms = new Rooms(stored.rooms ?? [], {
      session: () => this.connection.activeSession ?? undefined,
      domain: () => this.stored.jid.split('@')[1] ?? '',
      roomUpdated: (room) => this.deps.emit('roomUpdated', { accountId: this.id, room }),
      roomRemoved: (room) => this.deps.emit('roomRemoved', { accountId: this.id, room }),
      messageUpserted: (message) => this.deps.emit('roomMessageUpserted', { accountId: this.id, message }),
      saveRooms: (rooms) => deps.rooms?.save(rooms) ?? Promise.resolve(),
      show: () => this.stored.ownPresence.show,
      ...(deps.rooms?.history ? { history: deps.rooms.history } : {}),
      ...(deps.rooms?.joinTimeoutMs ? { joinTimeoutMs: deps.rooms.joinTimeoutMs } : {}),
      // A room or inviter the remote lists refuse is noted like a blocked sender (an invitation, a room to enter again).
      allowed: (room, from) => (from === undefined || this.acceptsSender(from)) && this.acceptsSender(room) && (deps.rooms?.allowed?.(room, from) ?? true),
      ownBare: () => this.ownBare(),
      isContact: (jid) => this.roster.has(jid),
      invitationsChanged: (invitations) => this.deps.emit('invitationsChanged', { accountId: this.id, invitations }),
      groupE2ee: () => this.e2ee.groupScheme(),
      ...(deps.rooms?.plaintextRefused ? { plaintextRefused: deps.rooms.plaintextRefused } : {}),
      now: this.now,
    });
    this.archive = new MessageArchive({
      session: () => this.connection.activeSession ?? undefined,
      ownBare: () => this.ownBare(),
      list: (peer) => this.chats.list(peer),
      has: (peer, id, direction) => this.chats.has(peer, id, direction),
      put: (message, unread) => this.putArchived(message, unread),
      accepts: (peer) => this.acceptsSender(peer),
      mark: () => (this.deps.history ? this.deps.history.archiveMark : this.archiveMarkInMemory),
      setMark: (id) => {
        if (this.deps.history) this.deps.history.setArchiveMark(id);
        else this.archiveMarkInMemory = id;
      },
      now: () => this.now(),
      readCopy: (copy, body) => this.e2ee.readCopy(copy, body),
      receiptArrived: (peer, id) => this.receiptArrived(peer, id),
    });
    this.connection = new ConnectionManager({
      ...deps.connection,
      target: () => {
        const [local = '', domain = ''] = this.stored.jid.split('@');
        return { local, domain, override: this.override(), trust: this.trust() };
      },
    });
    this.connection.on('state', () => {
      const kind = this.connection.state.kind;
      if (kind !== 'online') {
        this.chatStates.reset();
        this.typing.clear();
        // A stream that may be resumed keeps its private conversations, and gets its presences back (XEP-0198): decided on the next session.
        const resumable = this.connection.canResume && (kind === 'reconnecting' || kind === 'connecting');
        const presences = this.roster.takePresences();
        if (this.roster.jids().length > 0) this.emitRoster();
        if (resumable) {
          // Taken once, at the drop: later attempts (reconnecting again) find nothing new to keep.
          if (!this.streamInDoubt) this.presencesInDoubt = presences;
          this.streamInDoubt = true;
        } else {
          this.streamInDoubt = false;
          this.presencesInDoubt = undefined;
          this.streamLost();
        }
      }
      this.emitView();
    });
    this.connection.on('session', (session: XmppSession) => this.onSession(session));
    this.connection.on('acked', (stanza: Element) => this.onAcked(stanza));
    for (const [peer, list] of Object.entries(deps.history?.chats() ?? {})) this.chats.restore(peer, list);
    this.restoreOutbox();
    this.contactManager = new ContactManager({
      roster: this.roster,
      session: () => this.connection.activeSession ?? undefined,
      ownBare: () => this.ownBare(),
      requestsChanged: (requests) => this.deps.emit('subscriptionRequestsChanged', { accountId: this.id, requests }),
      now: this.now,
    });
    this.avatars = new Avatars({
      session: () => this.connection.activeSession ?? undefined,
      wanted: (jid) => jid === this.ownBare() || this.roster.has(jid),
      changed: (jid, avatar) => this.deps.emit('avatarChanged', { accountId: this.id, jid, ...(avatar ? { avatar } : {}) }),
      announce: () => this.setPresence(this.stored.ownPresence.show, this.stored.ownPresence.status),
    });
  }

  /** One stanza of an encryption provider's output on `session`; `messageId`: it carries (the end of) the user's message. */
  private async transmitOn(session: XmppSession, { to, body, payload, encryption, messageId: id }: Envelope): Promise<void> {
    // A stanza with the user's message id carries (the end of) what the user wrote: ask for a receipt.
    const receipt = id !== undefined;
    const stanzaId = id ?? randomUUID();
    // The user's message carries when it was written: one that waited (outbox, a frozen stream, a new private
    // conversation) is put by the receiver among the others in the order they were written, not as it arrived.
    const writtenAt = id !== undefined ? this.outbox.get(id)?.timestamp : undefined;
    // Only what the outbox waits for asks the server for an acknowledgement; a scheme's own messages need none.
    if (encryption) {
      const encrypted = encryptedMessage(to, stanzaId, { ...(body !== undefined ? { body } : {}), ...(payload ? { payload } : {}), ...encryption }, receipt);
      if (receipt) withOriginId(encrypted, stanzaId);
      if (receipt && writtenAt !== undefined) withDelay(encrypted, this.ownBare(), writtenAt);
      return session.send(encrypted, { confirm: receipt });
    }
    const message = chatMessage(to, stanzaId, body ?? '', receipt);
    for (const element of payload ?? []) {
      element.parent = message;
      message.children.push(element);
    }
    if (receipt) withOriginId(message, stanzaId);
    if (receipt && writtenAt !== undefined) withDelay(message, this.ownBare(), writtenAt);
    // What the user wrote ends their typing; in plaintext it says so (XEP-0085 §5.1), never while private.
    const peer = bareJid(to);
    if (receipt && peer && this.chatStates.messageSent(peer)) withChatState(message, 'active');
    await session.send(message, { confirm: receipt });
  }

  /** The account's own state changed outside it (its OTR key): tell the UI. */
  refreshView(): void {
    this.emitView();
  }

  /** Trust changed: every contact's privacy may read differently now. */
  refreshContacts(): void {
    for (const jid of this.roster.jids()) this.emitContact(jid);
  }

  get id(): string {
    return this.stored.id;
  }

  get settings(): StoredAccount {
    return this.stored;
  }

  /** The core changed what is stored (pin, password, presence). */
  update(stored: StoredAccount): void {
    this.stored = stored;
    this.emitView();
  }

  trust(): TrustMode {
    const pin = this.stored.pinnedCertificate;
    const mode: TrustMode = pin ? { kind: 'pinned', certificatePem: pin.pem, sha256: pin.sha256 } : { kind: 'verified', extraAnchors: this.deps.extraAnchors };
    return this.deps.policy ? this.deps.policy.trust(this.stored.jid, mode) : mode;
  }

  private override() {
    const { host, port, directTls } = this.stored;
    const user = { ...(host ? { host } : {}), ...(port ? { port } : {}), directTls };
    return this.deps.policy ? this.deps.policy.connection(this.stored.jid, user) : user;
  }

  view(): AccountView {
    const s = this.stored;
    const otrKey = this.deps.ownKey?.(s.jid);
    return {
      id: s.id,
      jid: s.jid,
      ...(s.host ? { host: s.host } : {}),
      ...(s.port ? { port: s.port } : {}),
      directTls: s.directTls,
      rememberPassword: s.rememberPassword,
      hasStoredPassword: this.deps.hasStoredPassword(s),
      ...(s.pinnedCertificate ? { pinnedCertificate: s.pinnedCertificate.sha256 } : {}),
      connection: this.connection.state,
      ownPresence: s.ownPresence,
      ...(otrKey ? { otrKey } : {}),
      ...(this.blockedSenders.size > 0 ? { blockedSenders: [...this.blockedSenders] } : {}),
    };
  }

  /**
   * Whether the administrator's policy lets this sender's message or request reach the user. When it does not,
   * nothing of it is shown, but the account says once that something from that domain (or address) was blocked,
   * so that a colleague at another company is not simply ignored without anybody knowing why.
   */
  private acceptsSender(peer: string): boolean {
    const blocked = this.deps.policy?.blockedSender(this.stored.jid, peer);
    if (blocked === undefined) return true;
    if (!this.blockedSenders.has(blocked) && this.blockedSenders.size < MAX_BLOCKED_SENDERS) {
      this.blockedSenders.add(blocked);
      this.emitView();
    }
    return false;
  }

  contacts() {
    return this.roster.jids().map((jid) => this.contactView(jid)!);
  }

  async setPresence(show: OwnShow, status: string): Promise<void> {
    await this.connection.activeSession?.send(withCaps(presenceStanza(show, status)));
    await this.rooms.presenceChanged(show);
  }

  /** Sends through the contact's private conversation (or in plaintext where the policy allows it). */
  async sendMessage(to: string, body: string): Promise<ChatMessage> {
    const peer = bareJid(to);
    if (!peer) throw new KlatschError('invalid-request', 'That is not a valid address.', { reason: 'invalid-address' });
    // Signed out (by the user or for good): not sent. On the way back (connecting, reconnecting): the outbox keeps it.
    const kind = this.connection.state.kind;
    if (kind === 'offline' || kind === 'error') throw new KlatschError('not-connected', 'You are not connected; the message was not sent.', { reason: 'offline-not-sent' });
    // Written in a private conversation (or under "always"): it may leave only encrypted, also after a restart.
    const mustBePrivate = !this.plaintextChat(peer);
    const message: ChatMessage = { id: randomUUID(), peer, direction: 'out', body, timestamp: this.writtenNow(), state: 'sending', ...(mustBePrivate ? { encrypted: true } : {}) };
    // In the outbox and in the history as "sending" in one commit (one database), on disk (fsync'd) before the user
    // sees it and before anything goes on the wire: killed at any point after, Klatsch sends it after the restart
    // (without a writable outbox it is still kept in memory). Meanwhile a flush of the outbox (a stream just came
    // up) leaves it alone: it is this call's to send.
    this.inFlight.add(message.id);
    const durable = this.outbox.add({ id: message.id, peer, body, timestamp: message.timestamp, private: mustBePrivate });
    this.upsertMessage(message, false, false);
    await durable.catch(() => undefined);
    latencyProbe.mark?.('outbox-written', message.id);
    this.deps.emit('messageUpserted', { accountId: this.id, message: this.chats.find(peer, message.id, 'out') ?? message });
    const entry = this.outbox.get(message.id);
    const session = this.connection.activeSession;
    // Oldest first: until this stream's flush has sent what waited longer, the flush sends this one too, after them.
    if (entry && session && this.flushedFor === session && this.flushing !== session) await this.transmitFromOutbox(entry);
    else {
      this.inFlight.delete(message.id);
      if (session && this.flushing === session) this.flushAgain = true;
    }
    const now = this.chats.find(peer, message.id, 'out') ?? message;
    // Marked private when written privately, or when the engine encrypted it (messageState): never by the chat's state now.
    return now;
  }

  /**
   * The time of writing of the user's next message: its stamp orders it at the contact's (message-time.ts), so two
   * written in the same millisecond (sends queued while the app was busy) get different ones, in the order written.
   */
  private writtenNow(): number {
    this.lastWrittenAt = Math.max(this.now(), this.lastWrittenAt + 1);
    return this.lastWrittenAt;
  }

  /** A failed message goes out again, privately if the conversation is private now. */
  async resendMessage(peer: string, id: string): Promise<ChatMessage> {
    const message = this.chats.find(peer, id, 'out');
    if (!message || message.state !== 'failed') throw new KlatschError('not-found', 'There is no failed message to send again.', { reason: 'no-failed-message' });
    if (!this.connection.activeSession) throw new KlatschError('not-connected', 'You are not connected; the message was not sent.', { reason: 'offline-not-sent' });
    // Private or not as the chat is now: the user may have ended the private conversation to send it in plaintext.
    const mustBePrivate = !this.plaintextChat(peer);
    const { error: _error, encrypted: _before, ...rest } = message;
    this.inFlight.add(id); // ours to send, as in sendMessage
    // Into the outbox and "sending" in the history in one commit, as in sendMessage.
    const durable = this.outbox.add({ id, peer, body: message.body, timestamp: message.timestamp, private: mustBePrivate });
    this.upsertMessage({ ...rest, state: 'sending', ...(mustBePrivate ? { encrypted: true } : {}) });
    await durable.catch(() => undefined);
    const entry = this.outbox.get(id); // acknowledged meanwhile (a flush of the outbox sent it): nothing left to do
    if (entry) await this.transmitFromOutbox(entry);
    // How it went out is on the message now (messageState): the engine's record, not the chat's state.
    return this.chats.find(peer, id, 'out')!;
  }

  /**
   * The user typed in the composer ('composing'), left the chat ('inactive') or came back ('active').
   * Sent only when it changes, only to contacts, never in plaintext while the conversation is private.
   */
  async setChatState(peer: string, state: ChatState): Promise<void> {
    const jid = bareJid(peer);
    if (!jid) throw new KlatschError('invalid-request', 'That is not a valid address.', { reason: 'invalid-address' });
    if (!this.connection.activeSession) return; // nothing to tell while offline
    await this.chatStates.set(jid, state);
  }

  /** Chat states may go to `peer` in plaintext: a contact, no private conversation, a policy that allows plaintext. */
  private chatStatesAllowed(peer: string): boolean {
    return this.roster.has(peer) && this.plaintextChat(peer);
  }

  /** The chat with `peer` is plaintext and may stay so: no private conversation, no policy that requires one. */
  private plaintextChat(peer: string): boolean {
    return this.e2ee.plaintextChat(peer);
  }

  /**
   * Corrects our last plaintext message (XEP-0308): the new text goes out referring to the message's
   * id, and the message keeps its id and place, marked edited. Never in or for a private conversation.
   */
  async correctMessage(peer: string, id: string, body: string): Promise<ChatMessage> {
    const jid = bareJid(peer);
    if (!jid) throw new KlatschError('invalid-request', 'That is not a valid address.', { reason: 'invalid-address' });
    const session = this.connection.activeSession;
    if (!session) throw new KlatschError('not-connected', 'You are not connected; the correction was not sent.', { reason: 'offline-correction-not-sent' });
    const message = correctable(this.chats.list(jid), id);
    if (!message) throw new KlatschError('not-found', 'Only your last sent plaintext message can be corrected.', { reason: 'correction-not-found' });
    if (!this.plaintextChat(jid)) {
      throw new KlatschError('invalid-request', 'Messages cannot be corrected in a private conversation.', { reason: 'correction-private' });
    }
    await session.send(correctionMessage(jid, randomUUID(), body, id));
    this.chatStates.messageSent(jid);
    return this.upsertMessage({ ...message, body, edited: true });
  }

  /** A contact's typing as we show it; emits only on a change. */
  private setTyping(peer: string, typing: boolean): void {
    if (typing === this.typing.has(peer)) return;
    if (typing) this.typing.add(peer);
    else this.typing.delete(peer);
    this.emitContact(peer);
  }

  /** The user asks for a private conversation (with `scheme`, or the preferred one). */
  startPrivate(peer: string, scheme?: E2eeScheme): Promise<void> {
    return this.e2ee.start(peer, scheme);
  }

  endPrivate(peer: string): Promise<void> {
    return this.e2ee.end(peer);
  }

  /** The policy of one contact (stored by the core), or of all (a setting such as OTR's v3-only), changed: conversations follow it now. */
  async e2eePolicyChanged(peer?: string): Promise<void> {
    await this.e2ee.policyChanged(peer);
    if (peer !== undefined) this.emitContact(peer);
  }

  /** The user set (or cleared) the contact's encryption scheme: it applies now (the other scheme's session ends). */
  e2eeSchemeChanged(peer: string): Promise<void> {
    return this.e2ee.overrideChanged(peer);
  }

  markRead(peer: string): void {
    const jid = bareJid(peer);
    if (!jid || this.chats.unread(jid) === 0) return;
    this.chats.markRead(jid);
    this.emitContact(jid);
  }

  /**
   * Signs out: private conversations end properly first (the peer is told, as by libotr clients), then
   * the stream closes. Bounded, so that a stalled stream never holds up a sign-out or the app's quit.
   */
  async signOut(): Promise<void> {
    if (this.connection.activeSession) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SIGN_OFF_WAIT_MS);
      });
      await Promise.race([this.e2ee.signingOff(), bound]);
      clearTimeout(timer);
    }
    await this.connection.disconnect();
  }

  async close(): Promise<void> {
    this.e2ee.close();
    for (const retry of this.bounced.values()) clearTimeout(retry.timer);
    this.rooms.close();
    await this.signOut();
    await this.deps.history?.close();
    await this.deps.rooms?.history?.close();
    await this.outbox.close();
  }

  /**
   * Private messages are kept by default (as Signal and Gajim keep history); the user's choice per contact
   * wins: turned off (`dropPrivateHistory`) or on (`keepPrivateHistory`, also what older versions stored).
   */
  keepsPrivateHistory(peer: string): boolean {
    if (this.stored.keepPrivateHistory?.includes(peer)) return true;
    return !(this.stored.dropPrivateHistory?.includes(peer) ?? false);
  }

  /** The user turned keeping this contact's private messages on (what is in memory is kept too) or off (deleted). */
  keepPrivateHistoryChanged(peer: string): void {
    const history = this.deps.history;
    if (history) {
      if (this.keepsPrivateHistory(peer)) for (const m of this.chats.list(peer)) history.put(m);
      else for (const m of this.chats.list(peer)) if (!this.storable(m)) this.leaveOut(history, m);
      history.removeWhere(peer, (m) => !this.storable(m));
    }
    this.emitContact(peer);
  }

  /**
   * A message that is not stored: a private message of ours or theirs is counted where it was (once it
   * is final: ours still on the way may yet go out in plaintext); anything else just stays out.
   */
  private leaveOut(history: HistoryStore, m: ChatMessage): void {
    const counts = m.direction === 'in' || (m.direction === 'out' && m.state !== 'sending' && m.state !== 'waiting');
    if (counts) history.leaveOut(m);
    else history.remove(m.peer, m.id, m.direction);
  }

  /**
   * Whether a message may go into the stored history: plaintext and notices do; private messages only
   * when the user asked for them. Ours still on the way count as private when the conversation is
   * (or must be) private, since they turn 'encrypted' only once they went out.
   */
  private storable(m: ChatMessage): boolean {
    if (this.keepsPrivateHistory(m.peer)) return true;
    if (m.encrypted) return false; // private messages, and notices from inside a private conversation
    if (m.direction === 'notice') return true;
    if (m.direction === 'out' && this.outbox.get(m.id)?.private) return false; // written privately, whatever happens to it on the way
    if (m.direction === 'out' && m.state !== 'sent' && m.state !== 'delivered') return this.plaintextChat(m.peer);
    return true;
  }

  /**
   * One older page of the chat with `peer` (the user scrolled to the top): from the stored history while it
   * has older messages, then from the server's archive (plaintext only); `complete` when that has nothing older.
   */
  async loadOlderMessages(peer: string): Promise<{ added: number; complete: boolean }> {
    const jid = bareJid(peer);
    if (!jid) throw new KlatschError('invalid-request', 'That is not a valid address.', { reason: 'invalid-address' });
    // The stored history first (offline too); the server's archive once it has nothing older.
    const older = this.deps.history?.before(jid, this.chats.list(jid)[0], OLDER_PAGE) ?? [];
    if (older.length > 0) {
      this.chats.prepend(jid, older);
      for (const message of older) this.deps.emit('messageUpserted', { accountId: this.id, message });
      return { added: older.length, complete: false };
    }
    if (!this.connection.activeSession) throw new KlatschError('not-connected', 'Sign in to load older messages.', { reason: 'archive-offline' });
    try {
      return await this.archive.loadOlder(jid);
    } catch (error) {
      const condition = (error as { condition?: string }).condition;
      // A server without an archive (or one that keeps none for us) has nothing older to give.
      if (condition === 'feature-not-implemented' || condition === 'service-unavailable') return { added: 0, complete: true };
      if (error instanceof KlatschError) throw error;
      const said = condition ?? (error as Error).message;
      throw new KlatschError('server-error', `The server could not send older messages (${said}).`, { reason: 'archive-refused', params: { condition: said } });
    }
  }

  /** A message from the archive: into the chat in time order; one the user has not seen counts as unread. */
  private putArchived(message: ChatMessage, unread: boolean): void {
    if (unread) this.chats.countUnread(message.peer);
    // New to the user, as a live message is: on disk before it is shown (see showIncoming).
    const shown = this.upsertMessage(message, unread && message.direction === 'in');
    if (unread) this.emitContact(message.peer);
    // Stamped after this session began, it is a live message the archive's answer overtook (its live copy is
    // then dropped as a duplicate): it notifies like one. The archive stamps to the second, hence the slack.
    if (unread && shown.direction === 'in' && this.onlineSince !== undefined && shown.timestamp >= this.onlineSince - 1_000) {
      this.deps.incoming?.(shown, 'live');
    }
  }

  private onSession(session: XmppSession): void {
    if (!session.resumed) this.archive.sessionStarted(); // a resumed stream (XEP-0198) has caught up already
    session.callee.set(NS_ROSTER, 'query', (ctx) => {
      // RFC 6121 §2.1.6: a push from anyone but our own server is ignored (and answered with an error).
      if (!isRosterPushFrom(ctx.stanza.attrs.from, this.ownBare())) return undefined as never;
      if (this.pushesDuringRosterLoad) {
        this.pushesDuringRosterLoad.push(...parseRosterItems(ctx.element));
        return {};
      }
      for (const jid of this.roster.push(parseRosterItems(ctx.element))) {
        if (this.roster.has(jid)) this.emitContact(jid);
        else {
          this.avatars.forget(jid);
          this.deps.emit('contactUpdated', { accountId: this.id, contact: Roster.removed(jid) });
        }
      }
      this.contactManager.rosterChanged();
      return {};
    });
    session.on('stanza', (stanza: Element) => {
      try {
        this.onStanza(stanza);
      } catch {
        // A stanza we cannot make sense of is dropped; the stream goes on.
      }
    });
    const doubted = this.streamInDoubt;
    const presences = this.presencesInDoubt;
    this.streamInDoubt = false;
    this.presencesInDoubt = undefined;
    if (session.resumed) {
      // The same stream goes on (XEP-0198): roster, presences, private conversations carried over.
      if (presences && presences.size > 0) {
        this.roster.restorePresences(presences);
        this.emitRoster();
      }
      void this.flushOutbox(session);
      return;
    }
    if (doubted) this.streamLost();
    this.onlineSince = this.now();
    // The old stream is gone, and with it what it had not acknowledged: the outbox sends all of that again.
    this.inFlight.clear();
    void this.startSession(session).then(() => this.flushOutbox(session));
  }

  /** Roster first, then initial presence (RFC 6121 §2.2: so that presence reaches the roster). */
  private async startSession(session: XmppSession): Promise<void> {
    let caughtUp = () => {};
    this.catchingUp = new Promise<void>((resolve) => (caughtUp = resolve));
    try {
      const result = await session.iq.request(rosterGet());
      // Parsed over several turns: pushes that arrive meanwhile are newer than the result, so they go on top.
      this.pushesDuringRosterLoad = [];
      const items = await parseRosterItemsInTurns(result.getChild('query', NS_ROSTER));
      this.roster.replace(items);
      for (const jid of this.roster.push(this.pushesDuringRosterLoad)) if (!this.roster.has(jid)) this.avatars.forget(jid);
      this.pushesDuringRosterLoad = undefined;
      this.emitRoster();
      // Carbons before presence, so that no copy is missed; a server without them just answers an error.
      await session.iq.request(enableCarbons()).catch(() => undefined);
      this.contactManager.rosterChanged();
      await session.send(withCaps(presenceStanza(this.stored.ownPresence.show, this.stored.ownPresence.status)));
      this.rooms.sessionStarted(session); // after our presence: rooms are entered by presence too
      void this.e2ee.sessionStarted();
    } catch {
      // The session ended meanwhile; the connection manager reports that.
      caughtUp();
      return;
    }
    // What arrived while we were away (offline storage may deliver some of it too: de-duplicated). Not awaited:
    // the outbox goes out meanwhile, and messages written now wait for the outbox, not for the archive.
    void this.archive
      .catchUp()
      .catch(() => undefined)
      .finally(caughtUp);
  }

  private onStanza(stanza: Element): void {
    if (this.rooms.onStanza(stanza)) return; // group chat traffic never reaches the one-to-one chats
    if (stanza.name === 'presence') {
      if (stanza.attrs.type === 'error') return this.onPresenceBounce(stanza);
      const subscription = parseSubscriptionPresence(stanza);
      if (subscription) {
        // A request from an address the administrator denies is never shown (nobody can answer it anyway).
        if (subscription.type === 'subscribe' ? !this.acceptsSender(subscription.from) : this.deps.policy && !this.deps.policy.acceptsFrom(this.stored.jid, subscription.from)) return;
        return this.contactManager.onPresence(subscription);
      }
      const presence = parsePresence(stanza);
      // A contact at a refused address never shows online; the user is told why (a stranger's presence is ignored anyway).
      if (presence && !(this.roster.has(presence.bare) ? this.acceptsSender(presence.bare) : this.deps.policy?.blockedSender(this.stored.jid, presence.bare) === undefined)) return;
      const avatarHash = presence?.available ? parseAvatarHash(stanza) : undefined;
      if (presence && avatarHash !== undefined) this.avatars.onHash(presence.bare, avatarHash);
      if (presence && !presence.available) void this.e2ee.resourceOffline(stanza.attrs.from ?? '');
      if (presence && !presence.available) this.setTyping(presence.bare, false);
      if (presence?.available && this.roster.has(presence.bare)) void this.e2ee.resourceAvailable(stanza.attrs.from ?? '');
      if (presence && this.roster.has(presence.bare) && this.roster.applyPresence(presence)) this.emitContact(presence.bare);
      return;
    }
    if (stanza.name === 'message') this.onMessage(stanza);
  }

  /**
   * Our contact request came back because our server could not reach the contact's server: said in the
   * chat with them, naming their domain (otherwise the request would just seem unanswered forever).
   */
  private onPresenceBounce(stanza: Element): void {
    const error = stanza.getChild('error');
    const condition = error ? errorCondition(error) : undefined;
    const peer = bareJid(stanza.attrs.from);
    if (!peer || !isRemoteServerCondition(condition) || this.roster.item(peer)?.ask !== 'subscribe') return;
    if (this.deps.policy && !this.deps.policy.acceptsFrom(this.stored.jid, peer)) return;
    this.upsertMessage({ id: randomUUID(), peer, direction: 'notice', body: requestNotDelivered(condition, peer), timestamp: this.now(), state: 'received' });
  }

  private onMessage(stanza: Element): void {
    if (this.archive.onStanza(stanza)) return; // an archive result (ours, kept for its query) or a forged one (dropped)
    if (this.e2ee.pubsubEvent(stanza)) return; // a scheme's PEP notification (OMEMO device lists)
    const carbon = checkCarbon(stanza, this.ownBare());
    if (carbon.kind === 'rejected') return; // a spoofed or malformed carbon: nothing of it is believed
    if (carbon.kind === 'carbon') {
      const state = carbonChatState(carbon, this.ownBare());
      if (state) this.carbonChatState(state);
      const copy = carbonCopy(carbon, this.ownBare(), (message) => this.e2ee.claimant(message) !== undefined);
      if (copy) void this.showCarbon(copy);
      return;
    }
    const parsed = parseMessage(stanza);
    if (!parsed) return;
    const receipted = receiptFor(stanza);
    if (receipted !== undefined && parsed.fromBare !== this.ownBare()) this.receiptArrived(parsed.fromBare, receipted);
    if (parsed.type === 'error') {
      const sent = parsed.id ? this.chats.find(parsed.fromBare, parsed.id, 'out') : undefined;
      if (!sent) return;
      // The link between the servers failed, not the message: it waits and goes again, never lost.
      if (isRemoteServerCondition(parsed.errorCondition)) this.waitForRemoteServer(sent);
      else if (parsed.errorCondition === 'recipient-unavailable' && (sent.encrypted || this.outbox.get(sent.id)?.private)) this.waitForPrivateAgain(sent, parsed.from);
      else {
        const problem = parsed.errorText ?? 'error';
        this.upsertMessage({ ...sent, state: 'failed', error: { reason: 'not-delivered', params: { problem }, text: `Not delivered: ${problem}` } });
      }
      return;
    }
    if (parsed.fromBare === this.ownBare()) return; // carbons are not enabled; nothing else of ours is a chat
    // The administrator's deny list: a message with a text is noted (never its text), chat states are not.
    if (parsed.body ? !this.acceptsSender(parsed.fromBare) : this.deps.policy && !this.deps.policy.acceptsFrom(this.stored.jid, parsed.fromBare)) return;
    const chatState = parseChatState(stanza);
    // Typing is shown for contacts only; a message (or any other state) ends it.
    if (chatState !== undefined && this.roster.has(parsed.fromBare)) this.setTyping(parsed.fromBare, chatState === 'composing');
    const body = parsed.body === '' ? undefined : parsed.body;
    // Chat states and receipts only (a scheme's message may have no body: its payload is its own).
    if (body === undefined && !this.e2ee.claimant(stanza)) return;
    // A receipt is owed only if the body turns out to be something shown (see showIncoming).
    // Only contacts get receipts: to a stranger, a receipt would tell that we are online and reading.
    const owed = wantsReceipt(stanza) && parsed.id && this.roster.has(parsed.fromBare) ? `${parsed.fromBare}\n${parsed.id}` : undefined;
    if (owed) this.receiptsOwed.set(owed, parsed.from);
    // Every message passes the encryption router: the scheme that claims it decrypts it or hides its protocol
    // noise; plaintext goes to the conversation's scheme, which shows it as it is (with a notice where needed).
    const live = this.liveArchiveId(stanza);
    void this.e2ee
      .receive(parsed.from, { id: parsed.id, stampedAt: parsed.stampedAt, ...withReplaces(parseReplace(stanza)), ...live }, stanza, body)
      .finally(() => {
        if (owed) this.receiptsOwed.delete(owed);
        // Shown (on disk) or dropped: the archive mark may pass it now, never before (a kill meanwhile would lose it).
        if (live.archiveId !== undefined) this.archive.liveSettled(live.archiveId);
      });
  }

  /**
   * A plaintext correction (XEP-0308) of the sender's own last message replaces its text; true when
   * applied. Anything else (another message's id, ours, a private message, a private conversation)
   * is not a correction: it goes on as a new message. Decided when the correction is shown, after
   * every message received before it, so "the sender's last message" is the one the user saw last.
   */
  private applyCorrection(peer: string, replaces: string, text: string, stanzaId: string | undefined): boolean {
    if (!this.plaintextChat(peer)) return false;
    const target = correctionTarget(this.chats.list(peer), replaces);
    if (!target) return false;
    this.setTyping(peer, false);
    this.upsertMessage({ ...target, body: text, edited: true });
    if (stanzaId) this.sendReceipt(peer, stanzaId);
    return true;
  }

  /** Answers a receipt request once the message it came with is on screen. */
  private sendReceipt(peer: string, id: string): void {
    const key = `${peer}\n${id}`;
    const to = this.receiptsOwed.get(key);
    if (to === undefined) return;
    this.receiptsOwed.delete(key);
    this.connection.activeSession?.send(receiptMessage(to, id, randomUUID()), { confirm: false }).catch(() => undefined);
  }

  /** The peer's app confirmed one of our messages (only the peer can confirm messages to it). */
  private receiptArrived(peer: string, id: string): void {
    const message = this.chats.find(peer, id, 'out');
    const retry = this.bounced.get(id);
    if (retry && message) {
      clearTimeout(retry.timer);
      this.bounced.delete(id);
    }
    // The contact's app confirms messages: its private messages wait for that from now on (see onAcked).
    if (message) this.outbox.setConfirms(peer, true);
    if (this.outbox.get(id)?.peer === peer) {
      // It got there, so the server has it: out of the outbox, and 'sent' on the way to 'delivered' (the ack may come after).
      this.leftOutbox(id);
      if (message?.state === 'sending') this.upsertMessage({ ...message, state: 'sent' });
    }
    if (message && (message.state === 'sent' || message.state === 'sending')) this.upsertMessage({ ...message, state: 'delivered' });
  }

  /**
   * A chat state in a carbon: the contact typing to another device of ours shows in the contact's
   * chat; a state our other device sent means this device's last word to the contact is stale.
   */
  private carbonChatState({ direction, peer, state }: CarbonChatState): void {
    if (this.deps.policy && !this.deps.policy.acceptsFrom(this.stored.jid, peer)) return;
    if (direction === 'out') return this.chatStates.toldElsewhere(peer);
    if (this.roster.has(peer)) this.setTyping(peer, state === 'composing');
  }

  /**
   * A correction (XEP-0308) in a carbon: of our last message (sent from another device) or of the
   * contact's last one; plaintext only. True when applied; otherwise the copy shows as a new message.
   */
  private applyCarbonCorrection(copy: CarbonCopy, body: string): boolean {
    if (copy.replaces === undefined) return false;
    const list = this.chats.list(copy.peer);
    const target = copy.direction === 'in' ? correctionTarget(list, copy.replaces) : lastOf(list, 'out');
    if (!target || target.id !== copy.replaces || target.encrypted) return false;
    if (copy.direction === 'in') this.setTyping(copy.peer, false);
    this.upsertMessage({ ...target, body, edited: true });
    return true;
  }

  /**
   * A copy of a message another of our devices sent or received. Plaintext shows in its chat (ours as
   * outgoing). A scheme's traffic goes to its provider: shown decrypted where copies can be decrypted
   * (OMEMO); otherwise (OTR) it is not ours to decrypt, nor to feed to our engine: one notice says so.
   */
  private showCarbon(copy: CarbonCopy): void {
    const { peer } = copy;
    if (!this.acceptsSender(peer)) return; // the administrator's deny list, for copies too (either way: noted, never shown)
    const scheme = this.e2ee.claimant(copy.message);
    if (!scheme) {
      const body = this.e2ee.plaintextOf(copy.body ?? '');
      if (!this.applyCarbonCorrection(copy, body)) this.showCopy(copy, body, false);
      return;
    }
    void this.e2ee.readCopy({ peer, direction: copy.direction, message: copy.message }, copy.body).then((reading) => {
      if (reading.kind === 'decrypted') this.showCopy(copy, reading.text, true);
      else if (reading.kind === 'unreadable') this.otherDevicePrivate(peer);
    });
  }

  /** One notice per stretch of a chat: a private conversation took place on another device, unreadable here. */
  private otherDevicePrivate(peer: string): void {
    if (this.otherDeviceNoticed.has(peer)) return;
    this.otherDeviceNoticed.add(peer);
    this.upsertMessage({
      id: randomUUID(),
      peer,
      direction: 'notice',
      body: `A private conversation with ${peer} took place on another of your devices; its messages can be read only there.`,
      timestamp: this.now(),
      state: 'received',
      notice: { kind: 'other-device-private' },
    });
  }

  /** A carbon's message in its chat: `body` as it reads here, `encrypted` when it was decrypted. */
  private showCopy(copy: CarbonCopy, body: string, encrypted: boolean): void {
    const { peer } = copy;
    let id = copy.id ?? randomUUID();
    if (this.chats.has(peer, id, copy.direction)) return; // already shown
    if (this.chats.has(peer, id, copy.direction === 'in' ? 'out' : 'in')) id = randomUUID();
    const timestamp = placeIncoming(copy.stampedAt, this.now());
    if (copy.direction === 'in') this.chats.countUnread(peer);
    if (copy.direction === 'in') this.typing.delete(peer);
    const shown = this.upsertMessage({
      id,
      peer,
      direction: copy.direction,
      body,
      timestamp,
      state: copy.direction === 'in' ? 'received' : 'sent',
      ...(encrypted ? { encrypted: true } : {}),
    });
    // In a private conversation, a plaintext copy is flagged as a live plaintext message is.
    if (!encrypted && this.e2ee.plaintextNeedsNotice(peer)) {
      this.upsertMessage({ id: randomUUID(), peer, direction: 'notice', body: 'The message above was not encrypted.', timestamp, state: 'received', notice: { kind: 'not-encrypted' } });
    }
    if (copy.direction === 'in') this.emitContact(peer);
    if (copy.direction === 'in') this.deps.incoming?.(shown, 'carbon');
  }

  /** The archive id our server gave a live message, believed only from a server that has an archive. */
  private liveArchiveId(stanza: Element): { archiveId?: string } {
    const archiveId = this.archive.available ? ownStanzaId(stanza, this.ownBare()) : undefined;
    if (archiveId !== undefined) this.archive.sawLive(archiveId);
    return archiveId === undefined ? {} : { archiveId };
  }

  private showIncoming(peer: string, { id: stanzaId, stampedAt, text, encrypted, replaces, archiveId }: IncomingText): void {
    if (replaces !== undefined && !encrypted && this.applyCorrection(peer, replaces, text, stanzaId)) return;
    let id = stanzaId && stanzaId.length <= 256 ? stanzaId : randomUUID();
    // A message sent again (after the sender's reconnect or restart) has the id of the first copy: shown once.
    if (this.chats.has(peer, id, 'in') || (stanzaId !== undefined && this.outbox.seen(peer, stanzaId))) {
      if (stanzaId) this.sendReceipt(peer, stanzaId); // a duplicate (resent after a reconnect): shown before, confirmed again
      return;
    }
    // Ids are unique within a chat, so that no peer can replace one of our messages by reusing its id.
    if (this.chats.has(peer, id, 'out')) id = randomUUID();
    // Placed at the sender's time of writing (message-time.ts): a copy that waited or came again (a private message
    // offered again in a new private conversation) goes among the others in the order written, also after a restart.
    const timestamp = placeIncoming(stampedAt, this.now());
    this.lastShownAt.set(peer, timestamp);
    const received: ChatMessage = {
      id,
      peer,
      direction: 'in',
      body: text,
      timestamp,
      state: 'received',
      ...(encrypted ? { encrypted } : {}),
      ...(archiveId !== undefined && !encrypted ? { archiveId } : {}),
    };
    // Durable before it is shown or confirmed: killed right after, the app must not show it again when it comes again.
    // What the history keeps goes into the same commit as its id as seen (one database; putDurably in upsertMessage
    // commits both): never the id without the message, which would drop a copy as seen and never show it.
    latencyProbe.mark?.('incoming-handled', id);
    const kept = this.deps.history !== undefined && this.storable(received);
    if (stanzaId) this.outbox.markSeen(peer, stanzaId, !kept);
    this.chats.countUnread(peer);
    this.typing.delete(peer);
    // Its "could not be read" changes first, so the message's commit to disk takes that change along.
    if (encrypted) this.readAfterAll(peer, id);
    const shown = this.upsertMessage(received, true);
    if (stanzaId) this.sendReceipt(peer, stanzaId);
    this.emitContact(peer);
    this.deps.incoming?.(shown, 'live');
  }

  /**
   * A private message that could not be read (its conversation died with a restart of ours) came again, readable
   * (the sender offers it again in the next private conversation, same id): its notice no longer claims it lost.
   */
  private readAfterAll(peer: string, id: string): void {
    const notice = this.chats.find(peer, unreadableNoticeId(id), 'notice') ?? this.deps.history?.find(peer, unreadableNoticeId(id), 'notice');
    if (notice?.notice?.kind !== 'unreadable') return;
    this.upsertMessage({ ...notice, body: `A private message from ${peer} could not be read at first; it came again and is shown in its place.`, notice: { kind: 'unreadable-resent' } });
  }

  /**
   * `durably`: a received message about to be shown and confirmed, on disk before (see HistoryStore.putDurably).
   * `announce` false: the caller tells the UI itself, once the message is on disk (sendMessage).
   */
  private upsertMessage(given: ChatMessage, durably = false, announce = true): ChatMessage {
    // Waiting for the other company's server ends with the waiting, whatever state comes next.
    const { waitingForServer: _server, ...rest } = given;
    const message = given.state === 'waiting' || given.waitingForServer === undefined ? given : rest;
    this.chats.upsert(message);
    if (message.direction !== 'notice') this.otherDeviceNoticed.delete(message.peer);
    const history = this.deps.history;
    if (history) {
      if (this.storable(message)) {
        if (durably) history.putDurably(message);
        else history.put(message);
      } else this.leaveOut(history, message);
    }
    if (announce) this.deps.emit('messageUpserted', { accountId: this.id, message });
    return message;
  }

  // ---- Outbox ----

  /** Messages that were waiting when Klatsch stopped show as 'sending' again, and go out with the next session. */
  private restoreOutbox(): void {
    for (const entry of this.outbox.entries()) {
      const known = this.chats.find(entry.peer, entry.id, 'out') ?? this.deps.history?.find(entry.peer, entry.id, 'out');
      // The history has it as sent or delivered (an earlier version's outbox file lagged behind it). Done, not sent again
      // (a private one still waits for the contact's confirmation, if their app gives one: onAcked).
      const onServer = entry.onServer || known?.state === 'sent';
      if (known?.state === 'delivered' || (known?.state === 'sent' && !this.waitsForReceipt({ ...entry, onServer: true }))) {
        this.outbox.remove(entry.id);
        continue;
      }
      if (onServer && !entry.onServer) this.outbox.setOnServer(entry.id, true);
      const { error: _error, ...rest } = known ?? { id: entry.id, peer: entry.peer, direction: 'out' as const, body: entry.body, timestamp: entry.timestamp, state: 'sending' as const };
      this.chats.upsert({
        ...rest,
        state: entry.failed ? 'failed' : onServer ? 'sent' : 'sending',
        ...(entry.failed ? { error: entry.failed } : {}),
        ...(entry.private ? { encrypted: true } : {}),
      });
    }
  }

  /**
   * Puts one outbox message on the current stream. The first time, the chat's rules decide as for any
   * message (they keep a private one private). `again` (a new stream, a restart): the private conversation
   * it was written in is gone, so a private one waits for a new one, started for it, never in plaintext.
   */
  private async transmitFromOutbox(entry: OutboxEntry, again = false): Promise<void> {
    const retry = this.bounced.get(entry.id);
    if (retry) {
      // Going now (a new stream came first): the timed retry is no longer needed.
      clearTimeout(retry.timer);
      retry.timer = undefined;
    }
    this.inFlight.add(entry.id);
    await this.e2ee.send(entry.peer, entry.id, entry.body, { requirePrivate: again && entry.private, writtenAt: entry.timestamp }).catch(() => {
      this.inFlight.delete(entry.id);
      const message = this.chats.find(entry.peer, entry.id, 'out');
      if (message) this.upsertMessage({ ...message, state: 'failed', error: { reason: 'not-prepared', text: 'The message could not be prepared for sending.' } });
      this.outbox.setFailed(entry.id, 'The message could not be prepared for sending.');
    });
  }

  /** A new or resumed stream: what waits (and is not on its way already) goes out, oldest first. */
  private async flushOutbox(session: XmppSession): Promise<void> {
    // One pass at a time per stream, so that the oldest goes first; a message put back meanwhile makes it start over.
    if (this.flushing === session) {
      this.flushAgain = true;
      return;
    }
    this.flushing = session;
    let unconfirmed = false;
    try {
      await this.losingStream;
      do {
        this.flushAgain = false;
        for (const entry of this.outbox.entries()) {
          if (!session.isOpen || this.connection.activeSession !== session) return;
          if (entry.failed || this.inFlight.has(entry.id)) continue;
          if (entry.onServer) {
            if (!this.waitsForReceipt(entry)) {
              this.outbox.remove(entry.id); // unconfirmed for PRIVATE_WAIT_MS: it stays "sent", and goes no more
              continue;
            }
            // A resumed stream goes on with the same private conversations: nothing of theirs was lost. On a new one it
            // goes again once the archive was read (resendUnconfirmed); what was never sent does not wait for that.
            unconfirmed = true;
            continue;
          }
          await this.transmitFromOutbox(entry, true);
        }
      } while (this.flushAgain);
      this.flushedFor = session;
    } finally {
      if (this.flushing === session) this.flushing = undefined;
    }
    if (unconfirmed && !session.resumed) await this.resendUnconfirmed(session);
  }

  /**
   * Private messages the server has but the contact's app did not confirm go again on a new stream (their private
   * conversation is gone), after the archive's catch-up: receipts that came to our stream that died are there, and
   * otherwise each new stream would send every such message again, hundreds ahead of new ones under load.
   */
  private async resendUnconfirmed(session: XmppSession, peer?: string): Promise<void> {
    await this.catchingUp;
    if (!session.isOpen || this.connection.activeSession !== session) return;
    // All in one turn, oldest first (the engine takes them in this order): each is on its way before any is acknowledged.
    for (const entry of this.outbox.entries()) {
      if ((peer !== undefined && entry.peer !== peer) || !entry.onServer || entry.failed || this.inFlight.has(entry.id)) continue;
      if (this.waitsForReceipt(entry)) void this.transmitFromOutbox(entry, true);
      else this.outbox.remove(entry.id); // past PRIVATE_WAIT_MS, or the contact's app confirms nothing
    }
  }

  /**
   * What a message of the outbox shows while the engine reports on it: 'sent' only once the server
   * acknowledged it (until then 'sending'); a failure because the connection went away is no
   * failure (it goes out with the next stream); other failures wait for the user's resend.
   */
  private outboxState(id: string, state: 'sent' | 'waiting' | 'failed', reason: string | undefined, leftEncrypted?: boolean): ChatMessage['state'] {
    const entry = this.outbox.get(id);
    if (!entry) return state;
    if (state === 'sent') {
      // Out encrypted but not yet acknowledged: if it must go again (a new stream), then privately only.
      if (leftEncrypted && !entry.private) void this.outbox.add({ ...entry, private: true }).catch(() => undefined);
      return entry.onServer ? 'sent' : 'sending'; // the server's acknowledgement may come before this
    }
    if (state === 'waiting') {
      // Held for a private conversation: after a restart it must wait for one again.
      if (!entry.private) void this.outbox.add({ ...entry, private: true }).catch(() => undefined);
      return 'waiting';
    }
    const lostOn = this.lostOnTheWay.get(id);
    this.lostOnTheWay.delete(id);
    if (lostOn !== undefined) {
      // What the stream could not take goes out again on the next stream (a private message in a new private
      // conversation there), as if it had never left; the user is never asked to send it again for a connection
      // problem. A stream that took over already sends it now.
      this.inFlight.delete(id);
      const active = this.connection.activeSession;
      if (active && active !== lostOn) void this.flushOutbox(active);
      return 'sending';
    }
    if (!this.connection.activeSession || this.losingStream) {
      this.inFlight.delete(id);
      return 'sending';
    }
    this.inFlight.delete(id);
    this.outbox.setFailed(id, reason ?? 'Not sent.');
    return 'failed';
  }

  /**
   * Our server bounced a message it could not pass to the contact's server: back into the outbox (as
   * private as it left), shown as waiting with why, and sent again after a growing delay (or with the
   * next stream, whichever comes first).
   */
  private waitForRemoteServer(sent: ChatMessage): void {
    if (sent.state === 'delivered') return; // the contact's app has it: a late bounce of an earlier copy
    const retry = this.bounced.get(sent.id) ?? { attempts: 0, timer: undefined };
    clearTimeout(retry.timer);
    this.inFlight.delete(sent.id);
    const entry: OutboxEntry = { id: sent.id, peer: sent.peer, body: sent.body, timestamp: sent.timestamp, private: sent.encrypted ?? false };
    void this.outbox.add(entry).catch(() => undefined); // kept in memory when the disk fails
    const { error: _old, ...rest } = sent;
    this.upsertMessage({ ...rest, state: 'waiting', waitingForServer: domainOfAddress(sent.peer) });
    const backoff = this.deps.connection?.backoff ?? REMOTE_RETRY_BACKOFF;
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      const session = this.connection.activeSession;
      const waiting = this.outbox.get(sent.id);
      // No stream now: flushOutbox sends it with the next one.
      if (!session?.isOpen || !waiting || waiting.failed || this.inFlight.has(sent.id)) return;
      void this.transmitFromOutbox(waiting, true);
    }, backoffDelay(retry.attempts, backoff));
    retry.attempts += 1;
    this.bounced.set(sent.id, retry);
  }

  /** The server has one of our stanzas (XEP-0198 `<a/>`, or the ping after it): an outbox message leaves. */
  private onAcked(stanza: Element): void {
    const id = stanza.attrs.id;
    if (stanza.name !== 'message' || id === undefined) return;
    const entry = this.outbox.get(id);
    if (!entry) return;
    if (this.bounced.get(id)?.timer) return; // an ack of the copy that bounced: the entry waits for its next try
    if (this.waitsForReceipt({ ...entry, onServer: true })) {
      // The server has it, but the contact's app may be killed before it decrypts it, and then it never can:
      // it stays until their app confirms it, and goes again in the next private conversation otherwise.
      this.inFlight.delete(id);
      this.outbox.setOnServer(id, true);
    } else this.leftOutbox(id);
    const message = this.chats.find(entry.peer, id, 'out');
    if (message && (message.state === 'sending' || message.state === 'waiting')) {
      const { error: _error, ...rest } = message;
      this.upsertMessage({ ...rest, state: 'sent' });
    }
  }

  /**
   * Whether an outbox entry the server has waits for the contact's receipt: a private message (which only the
   * private conversation it went out in can decrypt) to a contact whose app confirms messages, within
   * PRIVATE_WAIT_MS of its writing. Apps without receipts (libotr's, e.g. Pidgin) are not sent copies.
   */
  private waitsForReceipt(entry: OutboxEntry): boolean {
    return entry.private && entry.onServer === true && !entry.failed && this.outbox.confirms(entry.peer) && this.now() < entry.timestamp + PRIVATE_WAIT_MS;
  }

  /** A private conversation with `peer` was made: what the contact did not confirm goes again in it, oldest first, with its id. */
  private offerUnconfirmed(peer: string): void {
    const session = this.connection.activeSession;
    if (session) void this.resendUnconfirmed(session, peer);
  }

  /**
   * Our server bounced a private message: the resource it went to is gone (the contact's app was killed
   * or signed off before it took it), and with it the private conversation there. It waits for the next
   * private conversation and goes in it by itself, never in plaintext; not "failed".
   */
  private waitForPrivateAgain(sent: ChatMessage, to: string): void {
    if (sent.state === 'delivered') return; // the contact's app has it: a late bounce of an earlier copy
    this.inFlight.delete(sent.id);
    void this.outbox.add({ id: sent.id, peer: sent.peer, body: sent.body, timestamp: sent.timestamp, private: true }).catch(() => undefined);
    void this.e2ee.resourceOffline(to).then(() => {
      const entry = this.outbox.get(sent.id);
      if (entry && !entry.failed && !this.inFlight.has(entry.id) && this.connection.activeSession) void this.transmitFromOutbox(entry, true);
    });
  }

  private leftOutbox(id: string): void {
    this.inFlight.delete(id);
    // Out of the outbox in the open transaction of the history's database; the caller writes it "sent" there right
    // after, with no commit between: killed at any point, the message is waiting or sent, never neither.
    this.outbox.remove(id);
  }

  /** Our stream is gone for good (not resumed): presences, private conversations and room occupancy with it. */
  private streamLost(): void {
    this.rooms.offline();
    const losing = this.e2ee.streamLost().finally(() => {
      if (this.losingStream === losing) this.losingStream = undefined;
    });
    this.losingStream = losing;
  }


  private ownBare(): string {
    return this.stored.jid.toLowerCase();
  }

  private emitView(): void {
    this.deps.emit('accountUpdated', this.view());
  }

  private emitRoster(): void {
    this.deps.emit('rosterReplaced', { accountId: this.id, contacts: this.contacts() });
  }

  private contactView(jid: string): Contact | undefined {
    const contact = this.roster.contact(jid, this.chats.unread(jid));
    if (!contact) return undefined;
    const policy = this.stored.otrPolicies?.[jid];
    const scheme = this.stored.e2eeSchemes?.[jid];
    const keep = this.keepsPrivateHistory(jid);
    const e2ee = this.e2ee.view(jid);
    return {
      ...contact,
      ...(e2ee ? { e2ee } : {}),
      ...(policy ? { otrPolicy: policy } : {}),
      ...(scheme ? { e2eeScheme: scheme } : {}),
      ...(keep ? { keepPrivateHistory: true } : {}),
      ...(this.typing.has(jid) ? { chatState: 'composing' as const } : {}),
    };
  }

  private emitContact(jid: string): void {
    const contact = this.contactView(jid);
    if (contact) this.deps.emit('contactUpdated', { accountId: this.id, contact });
  }
}

/** `message` marked as sent privately or not (the field is absent when not). */
function withEncrypted(message: ChatMessage, encrypted: boolean): ChatMessage {
  const { encrypted: _was, ...rest } = message;
  return encrypted ? { ...rest, encrypted: true } : rest;
}

/** The `replaces` field of StanzaInfo, present only when the stanza corrects a message. */
function withReplaces(replaces: string | undefined): { replaces?: string } {
  return replaces === undefined ? {} : { replaces };
}

/** The id of the notice that the contact's message `id` could not be read (found again when the message comes again). */
function unreadableNoticeId(id: string): string {
  return `unreadable:${id}`;
}
