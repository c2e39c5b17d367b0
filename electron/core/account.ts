/**
 * One account at work: its connection, roster, presence and chats, turned into the contract's events. Knows nothing
 * of Electron or of how events travel. The composition root of the account's parts: the delivery of the user's
 * messages (delivery/), the incoming stanza pipeline (incoming/, with a step from each XEP's folder), the stream's
 * coming and going (stream/), the chats (chats/), group chats (muc/), encryption (e2ee/).
 * Longer than ~400 lines because wiring a dozen parts and the API the core calls belong here, in one place; the
 * work itself is in the parts.
 */
import { randomUUID } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import type { AccountView, ChatMessage, Contact, OwnShow } from '../../shared/contract.js';
import { ChatLog } from './chat-log.js';
import { Avatars } from './avatars/avatars.js';
import { ContactManager } from './roster/contacts.js';
import { E2eeRouter } from './e2ee/router.js';
import type { E2eeHost, E2eeScheme } from './e2ee/provider.js';
import { Roster } from './roster/roster.js';
import type { StoredAccount } from './store/settings-store.js';
import { CarbonCopies } from './carbons/carbon-copies.js';
import { correctable, correctionMessage } from './correction/correction.js';
import { chatStateFilter, chatStateMessage, OutgoingChatStates, type ChatState } from './chat-states/chat-states.js';
import { ContactTyping } from './chat-states/contact-typing.js';
import { ConnectionManager } from './xmpp/connection-manager.js';
import { presenceStanza } from './xmpp/stanzas.js';
import { bareJid } from './values/jid.js';
import type { TrustMode } from './xmpp/tls-policy.js';
import { SenderGate } from './policy/sender-gate.js';
import { Rooms } from './muc/rooms.js';
import { OutboxStore } from './store/outbox-store.js';
import { originIdFilter } from './origin-id/origin-id.js';
import { withCaps } from './xmpp/caps.js';
import { MessageArchive } from './archive/message-archive.js';
import { KlatschError } from './errors.js';
import { Delivery } from './delivery/delivery.js';
import { delayFilter } from './delivery/outgoing.js';
import { ChatWriter } from './chats/chat-writer.js';
import { IncomingMessages } from './chats/incoming-messages.js';
import { loadOlderMessages } from './chats/older-messages.js';
import { Pipeline, type IncomingChatMessage, type IncomingStanza } from './incoming/pipeline.js';
import { errorsHandler, messagesOnly, parsed, receiveHandler, sendersHandler } from './incoming/chat-messages.js';
import { presenceHandler } from './roster/presence-handler.js';
import { OwedReceipts, receiptsHandler } from './receipts/owed-receipts.js';
import { UnconfirmedMessages } from './receipts/unconfirmed.js';
import { ReceiptSupport } from './receipts/receipt-support.js';
import { StreamLifecycle } from './stream/stream-lifecycle.js';
import type { AccountDeps } from './account-deps.js';

export type { AccountDeps, EventSink } from './account-deps.js';

/** How long signing out waits for the private conversations' end messages to be written. */
const SIGN_OFF_WAIT_MS = 1_000;

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
  /** What we told contacts of our typing (XEP-0085). */
  readonly chatStates: OutgoingChatStates;
  /** Group chats (muc/rooms.ts): OMEMO in members-only, non-anonymous rooms, else plaintext; never through the OTR engine. */
  readonly rooms: Rooms;
  /** The server's message archive (XEP-0313): catching up after sign-in, older pages on request. */
  readonly archive: MessageArchive;
  private stored: StoredAccount;
  private readonly now: () => number;
  /** Where there is no stored history, the archive mark lives as long as the app runs. */
  private archiveMarkInMemory: string | undefined;
  /** The user's messages until the server has them (XEP-0198 acknowledgements), and ids received lately. */
  private readonly outbox: OutboxStore;
  /** The user's messages on their way: outbox, acknowledgements, receipts, bounces, sending again (delivery/). */
  private readonly delivery: Delivery;
  /** Every message into the chat, the stored history (what it may keep) and the UI. */
  private readonly writer: ChatWriter;
  /** What others wrote, placed in the chats. */
  private readonly incomingMessages: IncomingMessages;
  /** The administrator's deny list for what reaches the user; the senders it blocked. */
  private readonly senders: SenderGate;
  /** Contacts typing now. */
  private readonly typing: ContactTyping;
  /** Our messages the server took, until the contact's app confirms them (or they are marked unconfirmed). */
  private readonly unconfirmed: UnconfirmedMessages;
  /** Receipts we owe for messages not yet shown (XEP-0184). */
  private readonly receipts: OwedReceipts;
  /** Streams coming and going (stream/stream-lifecycle.ts). */
  private readonly stream: StreamLifecycle;
  /** Every stanza of the stream passes these steps, in the order set in the constructor. */
  private readonly incoming = new Pipeline<IncomingStanza>();

  constructor(stored: StoredAccount, private readonly deps: AccountDeps) {
    this.stored = stored;
    this.now = deps.now ?? Date.now;
    this.outbox = deps.outbox ?? OutboxStore.inMemory();
    this.connection = new ConnectionManager({
      ...deps.connection,
      target: () => {
        const [local = '', domain = ''] = this.stored.jid.split('@');
        return { local, domain, override: this.override(), trust: this.trust() };
      },
    });
    // What most parts are given: the clock, our address, the chats, and the ways of telling the UI.
    const common = {
      now: () => this.now(),
      ownBare: () => this.ownBare(),
      chats: this.chats,
      history: deps.history,
      outbox: this.outbox,
      isContact: (peer: string) => this.roster.has(peer),
      plaintextChat: (peer: string) => this.plaintextChat(peer),
      contactChanged: (peer: string) => this.emitContact(peer),
      announce: (message: ChatMessage) => this.deps.emit('messageUpserted', { accountId: this.id, message }),
    };
    this.senders = new SenderGate(deps.policy, () => this.stored.jid, () => this.emitView());
    this.typing = new ContactTyping((peer) => this.emitContact(peer));
    this.receipts = new OwedReceipts((receipt) => this.connection.activeSession?.send(receipt, { confirm: false }));
    this.unconfirmed = new UnconfirmedMessages({
      find: (peer, id) => this.chats.find(peer, id, 'out'),
      mark: (message) => this.writer.upsert(message),
      confirms: (peer) => this.outbox.confirms(peer),
      resources: (peer) => this.roster.resourcesOf(peer),
      stream: () => this.connection.activeSession?.jid,
      // Private OTR messages wait for the receipt in the outbox and go again in the next private conversation.
      offeredAgain: (message) => message.encrypted === true && this.e2ee.forPeer(message.peer)?.scheme === 'otr',
      now: this.now,
    }, deps.unconfirmed);
    this.writer = new ChatWriter({ ...common, stored: () => this.stored, observe: (message) => this.unconfirmed.observe(message) });
    this.chatStates = new OutgoingChatStates({
      allowed: (peer) => this.chatStatesAllowed(peer),
      send: async (peer, state) => {
        await this.connection.activeSession?.send(chatStateMessage(peer, randomUUID(), state), { confirm: false });
      },
    });
    const receiptSupport = new ReceiptSupport({
      session: () => this.connection.activeSession,
      ownBare: () => this.ownBare(),
      isContact: common.isContact,
      confirmedOnce: (peer) => this.outbox.confirms(peer),
    });
    this.delivery = new Delivery({
      ...common,
      confirms: (peer) => receiptSupport.confirms(peer),
      connection: this.connection,
      e2ee: { send: (...args) => this.e2ee.send(...args), resourceOffline: (full) => this.e2ee.resourceOffline(full) },
      upsertMessage: (message, durably, announce) => this.writer.upsert(message, durably, announce),
      losingStream: () => this.stream.losingStream,
      catchingUp: () => this.stream.catchingUp,
      // Every stanza with the user's message: its id (XEP-0359), its time of writing (XEP-0203), the end of typing (XEP-0085).
      filters: [originIdFilter, delayFilter(() => this.ownBare()), chatStateFilter(this.chatStates)],
      backoff: deps.connection?.backoff,
    });
    this.incomingMessages = new IncomingMessages({
      ...common,
      writer: this.writer,
      typing: this.typing,
      receipts: this.receipts,
      incoming: (message) => this.deps.incoming?.(message, 'live'),
      onlineSince: () => this.stream.onlineSince,
    });
    const host: E2eeHost = {
      account: stored.jid,
      transmit: (envelope) => this.delivery.transmit(envelope),
      show: (peer, m) => this.incomingMessages.show(peer, m),
      notice: (peer, text, notice, options) => this.incomingMessages.notice(peer, text, notice, options),
      messageState: (peer, id, given, reason, leftEncrypted) => this.delivery.messageState(peer, id, given, reason, leftEncrypted),
      privacyChanged: (peer) => {
        this.chatStates.privacyChanged(peer);
        this.emitContact(peer);
      },
      isContact: (peer) => this.roster.has(peer),
      privateStarted: (peer) => this.delivery.offerUnconfirmed(peer),
      unconfirmed: (peer) => this.delivery.unconfirmed(peer),
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
      allowed: (room, from) => (from === undefined || this.senders.acceptsSender(from)) && this.senders.acceptsSender(room) && (deps.rooms?.allowed?.(room, from) ?? true),
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
      peers: () => this.chats.peers(),
      list: (peer) => this.chats.list(peer),
      has: (peer, id, direction) => this.chats.has(peer, id, direction),
      put: (message, unread) => this.incomingMessages.putArchived(message, unread),
      accepts: (peer) => this.senders.acceptsSender(peer),
      mark: () => (this.deps.history ? this.deps.history.archiveMark : this.archiveMarkInMemory),
      setMark: (id) => {
        if (this.deps.history) this.deps.history.setArchiveMark(id);
        else this.archiveMarkInMemory = id;
      },
      now: () => this.now(),
      readCopy: (copy, body) => this.e2ee.readCopy(copy, body),
      receiptArrived: (peer, id) => this.delivery.receiptArrived(peer, id),
    });
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
    const { senders, writer, typing, chatStates, e2ee } = this;
    const carbons = new CarbonCopies({ ...common, senders, e2ee, writer, typing, chatStates, incoming: (message) => this.deps.incoming?.(message, 'carbon') });
    // The one-to-one messages that pass the stanza pipeline below, in this order.
    const chatMessages = new Pipeline<IncomingChatMessage>()
      .use(
        receiptsHandler(() => this.ownBare(), (peer, id, from) => {
          this.unconfirmed.receipt(from, id);
          this.delivery.receiptArrived(peer, id);
        }),
      )
      .use(errorsHandler(this.chats, (sent, error) => this.delivery.errorReturned(sent, error)))
      .use(sendersHandler(() => this.ownBare(), this.senders))
      .use(typing.handler(common.isContact))
      .use(receiveHandler({ ...common, e2ee, receipts: this.receipts, archive: this.archive }));
    this.incoming
      .use(({ stanza }, next) => (this.rooms.onStanza(stanza) ? undefined : next())) // group chat traffic never reaches the one-to-one chats
      .use(({ stanza }, next) => {
        if (stanza.name === 'presence') receiptSupport.onPresence(stanza); // whether a contact's app confirms messages
        return next();
      })
      .use(
        presenceHandler({ ...common, roster: this.roster, senders, contactManager: this.contactManager, avatars: this.avatars, e2ee, typing, upsertMessage: (m) => writer.upsert(m) }),
      )
      .use(messagesOnly)
      .use(({ stanza }, next) => (this.archive.onStanza(stanza) ? undefined : next())) // an archive result (ours, kept for its query) or a forged one (dropped)
      .use(({ stanza }, next) => (this.e2ee.pubsubEvent(stanza) ? undefined : next())) // a scheme's PEP notification (OMEMO device lists)
      .use(carbons.handler)
      .use(parsed(chatMessages));
    this.stream = new StreamLifecycle({
      ...common,
      connection: this.connection,
      roster: this.roster,
      avatars: this.avatars,
      contactManager: this.contactManager,
      rooms: this.rooms,
      archive: this.archive,
      delivery: this.delivery,
      incoming: this.incoming,
      e2ee,
      chatStates,
      typing,
      ownPresence: () => this.stored.ownPresence,
      emitView: () => this.emitView(),
      emitRoster: () => this.emitRoster(),
      emitContact: (jid) => this.emitContact(jid),
      emitRemoved: (contact) => this.deps.emit('contactUpdated', { accountId: this.id, contact }),
    });
    this.connection.on('acked', (stanza: Element) => this.delivery.onAcked(stanza));
    for (const [peer, list] of Object.entries(deps.history?.chats() ?? {})) this.chats.restore(peer, list);
    this.delivery.restore();
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
    const blockedSenders = this.senders.list();
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
      ...(blockedSenders.length > 0 ? { blockedSenders } : {}),
    };
  }

  contacts() {
    return this.roster.jids().map((jid) => this.contactView(jid)!);
  }

  async setPresence(show: OwnShow, status: string): Promise<void> {
    await this.connection.activeSession?.send(withCaps(presenceStanza(show, status)));
    await this.rooms.presenceChanged(show);
  }

  /** Sends through the contact's private conversation (or in plaintext where the policy allows it). */
  sendMessage(to: string, body: string): Promise<ChatMessage> {
    return this.delivery.sendMessage(to, body);
  }

  /** A failed message goes out again, privately if the conversation is private now. */
  resendMessage(peer: string, id: string): Promise<ChatMessage> {
    return this.delivery.resendMessage(peer, id);
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
    return this.writer.upsert({ ...message, body, edited: true });
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
    this.unconfirmed.close();
    this.delivery.close();
    this.rooms.close();
    await this.signOut();
    await this.deps.history?.close();
    await this.deps.rooms?.history?.close();
    await this.outbox.close();
  }

  /** Whether the user's private messages with `peer` go into the stored history (chats/chat-writer.ts). */
  keepsPrivateHistory(peer: string): boolean {
    return this.writer.keepsPrivateHistory(peer);
  }

  /** The user turned keeping this contact's private messages on (what is in memory is kept too) or off (deleted). */
  keepPrivateHistoryChanged(peer: string): void {
    this.writer.keepPrivateHistoryChanged(peer);
    this.emitContact(peer);
  }

  /** One older page of the chat with `peer` (the user scrolled to the top): chats/older-messages.ts. */
  loadOlderMessages(peer: string): Promise<{ added: number; complete: boolean }> {
    const { chats, connection, archive } = this;
    return loadOlderMessages({ chats, connection, archive, history: this.deps.history, announce: (message) => this.deps.emit('messageUpserted', { accountId: this.id, message }) }, peer);
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

