/**
 * One account at work: its connection, roster, presence and chats, turned into
 * the contract's events. Knows nothing of Electron or of how events travel.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { AccountView, ChatMessage, EventName, EventOf, OwnShow } from '../../shared/contract.js';
import { ChatLog } from './chat-log.js';
import { Roster } from './roster.js';
import type { StoredAccount } from './store/settings-store.js';
import { ConnectionManager, type ConnectionManagerOptions } from './xmpp/connection-manager.js';
import {
  bareJid,
  chatMessage,
  NS_ROSTER,
  parseMessage,
  parsePresence,
  parseRosterItems,
  presenceStanza,
  rosterGet,
} from './xmpp/stanzas.js';
import type { TrustMode } from './xmpp/tls-policy.js';
import type { XmppSession } from './xmpp/xmpp-session.js';

export type EventSink = <E extends EventName>(name: E, payload: EventOf<E>) => void;

export interface AccountDeps {
  emit: EventSink;
  /** Trust anchors added by the installation (a company CA; the tests' CA). */
  extraAnchors: readonly string[];
  /** Whether a stored password exists (the core owns the secrets, not the account). */
  hasStoredPassword: (stored: StoredAccount) => boolean;
  now?: () => number;
  connection?: Partial<Omit<ConnectionManagerOptions, 'target'>>;
}

export class Account {
  readonly roster = new Roster();
  readonly chats = new ChatLog();
  readonly connection: ConnectionManager;
  private stored: StoredAccount;
  private readonly now: () => number;

  constructor(stored: StoredAccount, private readonly deps: AccountDeps) {
    this.stored = stored;
    this.now = deps.now ?? Date.now;
    this.connection = new ConnectionManager({
      ...deps.connection,
      target: () => {
        const [local = '', domain = ''] = this.stored.jid.split('@');
        return { local, domain, override: this.override(), trust: this.trust() };
      },
    });
    this.connection.on('state', () => {
      if (this.connection.state.kind !== 'online') this.dropPresences();
      this.emitView();
    });
    this.connection.on('session', (session: XmppSession) => this.onSession(session));
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
    return pin ? { kind: 'pinned', certificatePem: pin.pem, sha256: pin.sha256 } : { kind: 'verified', extraAnchors: this.deps.extraAnchors };
  }

  private override() {
    const { host, port, directTls } = this.stored;
    return { ...(host ? { host } : {}), ...(port ? { port } : {}), directTls };
  }

  view(): AccountView {
    const s = this.stored;
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
    };
  }

  contacts() {
    return this.roster.jids().map((jid) => this.roster.contact(jid, this.chats.unread(jid))!);
  }

  async setPresence(show: OwnShow, status: string): Promise<void> {
    await this.connection.activeSession?.send(presenceStanza(show, status));
  }

  async sendMessage(to: string, body: string): Promise<ChatMessage> {
    const peer = bareJid(to);
    const session = this.connection.activeSession;
    if (!peer) throw Object.assign(new Error('That is not a valid address.'), { code: 'invalid-request' });
    if (!session) throw Object.assign(new Error('You are not connected; the message was not sent.'), { code: 'not-connected' });
    const message: ChatMessage = { id: randomUUID(), peer, direction: 'out', body, timestamp: this.now(), state: 'sending' };
    this.upsertMessage(message);
    try {
      await session.send(chatMessage(peer, message.id, body));
      return this.upsertMessage({ ...message, state: 'sent' });
    } catch {
      return this.upsertMessage({ ...message, state: 'failed', error: 'The connection was lost before the message went out.' });
    }
  }

  markRead(peer: string): void {
    const jid = bareJid(peer);
    if (!jid || this.chats.unread(jid) === 0) return;
    this.chats.markRead(jid);
    this.emitContact(jid);
  }

  async close(): Promise<void> {
    await this.connection.disconnect();
  }

  private onSession(session: XmppSession): void {
    session.callee.set(NS_ROSTER, 'query', (ctx) => {
      // RFC 6121 §2.1.6: a push from anyone but our own server is ignored (and answered with an error).
      const from = ctx.stanza.attrs.from;
      if (from !== undefined && bareJid(from) !== this.ownBare()) return undefined as never;
      for (const jid of this.roster.push(parseRosterItems(ctx.element))) this.emitContact(jid);
      return {};
    });
    session.on('stanza', (stanza: Element) => {
      try {
        this.onStanza(stanza);
      } catch {
        // A stanza we cannot make sense of is dropped; the stream goes on.
      }
    });
    void this.startSession(session);
  }

  /** Roster first, then initial presence (RFC 6121 §2.2: so that presence reaches the roster). */
  private async startSession(session: XmppSession): Promise<void> {
    try {
      const result = await session.iq.request(rosterGet());
      this.roster.replace(parseRosterItems(result.getChild('query', NS_ROSTER)));
      this.emitRoster();
      await session.send(presenceStanza(this.stored.ownPresence.show, this.stored.ownPresence.status));
    } catch {
      // The session ended meanwhile; the connection manager reports that.
    }
  }

  private onStanza(stanza: Element): void {
    if (stanza.name === 'presence') {
      const presence = parsePresence(stanza);
      if (presence && this.roster.has(presence.bare) && this.roster.applyPresence(presence)) this.emitContact(presence.bare);
      return;
    }
    if (stanza.name === 'message') this.onMessage(stanza);
  }

  private onMessage(stanza: Element): void {
    const parsed = parseMessage(stanza);
    if (!parsed) return;
    if (parsed.type === 'error') {
      const sent = parsed.id ? this.chats.find(parsed.fromBare, parsed.id, 'out') : undefined;
      if (sent) this.upsertMessage({ ...sent, state: 'failed', error: `Not delivered: ${parsed.errorText ?? 'error'}` });
      return;
    }
    if (parsed.body === undefined || parsed.body === '') return; // chat states and receipts: later
    if (parsed.fromBare === this.ownBare()) return; // carbons are not enabled; nothing else of ours is a chat
    let id = parsed.id && parsed.id.length <= 256 ? parsed.id : randomUUID();
    if (this.chats.has(parsed.fromBare, id, 'in')) return; // a duplicate (resent after a reconnect)
    // Ids are unique within a chat, so that no peer can replace one of our messages by reusing its id.
    if (this.chats.has(parsed.fromBare, id, 'out')) id = randomUUID();
    const now = this.now();
    const timestamp = parsed.stampedAt !== undefined && parsed.stampedAt <= now ? parsed.stampedAt : now;
    this.chats.countUnread(parsed.fromBare);
    this.upsertMessage({ id, peer: parsed.fromBare, direction: 'in', body: parsed.body, timestamp, state: 'received' });
    this.emitContact(parsed.fromBare);
  }

  private upsertMessage(message: ChatMessage): ChatMessage {
    this.chats.upsert(message);
    this.deps.emit('messageUpserted', { accountId: this.id, message });
    return message;
  }

  private dropPresences(): void {
    if (this.roster.jids().length === 0) return;
    this.roster.clearPresences();
    this.emitRoster();
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

  private emitContact(jid: string): void {
    const contact = this.roster.contact(jid, this.chats.unread(jid));
    if (contact) this.deps.emit('contactUpdated', { accountId: this.id, contact });
  }
}
