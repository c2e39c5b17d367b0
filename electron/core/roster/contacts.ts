/**
 * Managing one account's contacts on its server: add, remove, rename, groups
 * (roster sets, RFC 6121 §2.3–2.5), and presence subscriptions both ways (§3).
 * The server's roster pushes, not our requests, change what the roster shows:
 * a request only succeeds or fails.
 */
import type { SubscriptionRequest } from '../../../shared/contract.js';
import { KlatschError } from '../errors.js';
import type { Roster } from './roster.js';
import { approvalStanzas, onSubscribeRequest, PendingRequests } from './subscriptions.js';
import {
  cleanGroups,
  MAX_GROUPS,
  MAX_NAME_LENGTH,
  rosterRemove,
  rosterSet,
  subscriptionPresence,
  type SubscriptionPresence,
} from './roster-stanzas.js';
import type { RosterItem } from '../xmpp/stanzas.js';
import { bareJid } from '../values/jid.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';

export interface ContactsDeps {
  roster: Roster;
  session: () => XmppSession | undefined;
  ownBare: () => string;
  /** The waiting requests changed (the whole list). */
  requestsChanged: (requests: SubscriptionRequest[]) => void;
  now: () => number;
  /** How long the server may take to answer a roster set. */
  timeoutMs?: number;
}

export class ContactManager {
  private readonly pending = new PendingRequests();

  constructor(private readonly deps: ContactsDeps) {}

  requests(): SubscriptionRequest[] {
    return this.pending.list();
  }

  async add(address: string, name: string | undefined, groups: readonly string[] | undefined): Promise<void> {
    const jid = this.address(address);
    if (jid === this.deps.ownBare()) throw new KlatschError('invalid-request', 'That is your own address.', { reason: 'own-address' });
    const session = this.online('add contacts');
    const existing = this.deps.roster.item(jid);
    await this.rosterRequest(session, rosterSet({ jid, ...this.nameArg(name, existing), groups: this.groupsArg(groups ?? existing?.groups ?? []) }));
    // Ask to see their presence, unless we already do (adding someone twice only updates name and groups).
    if (existing?.subscription !== 'to' && existing?.subscription !== 'both') {
      await this.send(session, subscriptionPresence(jid, 'subscribe'));
    }
  }

  async remove(address: string): Promise<void> {
    const jid = this.address(address);
    const session = this.online('remove contacts');
    this.known(jid);
    await this.rosterRequest(session, rosterRemove(jid));
    if (this.pending.remove(jid)) this.emitRequests();
  }

  async rename(address: string, name: string): Promise<void> {
    const jid = this.address(address);
    const session = this.online('rename contacts');
    const item = this.known(jid);
    await this.rosterRequest(session, rosterSet({ jid, ...this.nameArg(name, undefined), groups: item.groups }));
  }

  async setGroups(address: string, groups: readonly string[]): Promise<void> {
    const jid = this.address(address);
    const session = this.online('change groups');
    const item = this.known(jid);
    await this.rosterRequest(session, rosterSet({ jid, ...(item.name ? { name: item.name } : {}), groups: this.groupsArg(groups) }));
  }

  async approve(address: string): Promise<void> {
    const jid = this.address(address);
    const session = this.online('answer requests');
    for (const type of approvalStanzas(this.deps.roster.item(jid))) await this.send(session, subscriptionPresence(jid, type));
    if (this.pending.remove(jid)) this.emitRequests();
  }

  async deny(address: string): Promise<void> {
    const jid = this.address(address);
    const session = this.online('answer requests');
    await this.send(session, subscriptionPresence(jid, 'unsubscribed'));
    if (this.pending.remove(jid)) this.emitRequests();
  }

  /** A subscription presence from someone (never from ourselves). */
  onPresence(p: SubscriptionPresence): void {
    if (p.from === this.deps.ownBare()) return;
    if (p.type === 'subscribe') {
      if (onSubscribeRequest(this.deps.roster.item(p.from)) === 'approve') {
        void this.deps.session()?.send(subscriptionPresence(p.from, 'subscribed')).catch(() => undefined);
        if (this.pending.remove(p.from)) this.emitRequests();
      } else if (this.pending.add(p.from, this.deps.now(), p.text)) {
        this.emitRequests();
      }
      return;
    }
    // They withdrew their request: nothing is left to answer. (subscribed/unsubscribed come with roster pushes.)
    if (p.type === 'unsubscribe' && this.pending.remove(p.from)) this.emitRequests();
  }

  /** After a roster push or a fresh roster: requests answered from another client are gone. */
  rosterChanged(): void {
    if (this.pending.reconcile((jid) => this.deps.roster.item(jid))) this.emitRequests();
  }

  private emitRequests(): void {
    this.deps.requestsChanged(this.pending.list());
  }

  private address(address: string): string {
    const jid = bareJid(address);
    if (!jid || !jid.includes('@') || address.includes('/')) {
      throw new KlatschError('invalid-request', 'That is not a valid address (expected name@example.com).', { reason: 'invalid-address' });
    }
    return jid;
  }

  private online(what: string): XmppSession {
    const session = this.deps.session();
    if (!session) throw new KlatschError('not-connected', `You are not connected: sign in to ${what}.`, { reason: 'contacts-offline' });
    return session;
  }

  private known(jid: string): RosterItem {
    const item = this.deps.roster.item(jid);
    if (!item) throw new KlatschError('not-found', 'That address is not in your contacts.', { reason: 'not-a-contact' });
    return item;
  }

  private nameArg(name: string | undefined, existing: RosterItem | undefined): { name?: string } {
    const given = name?.trim();
    if (given && given.length > MAX_NAME_LENGTH) throw new KlatschError('invalid-request', `A name can have at most ${MAX_NAME_LENGTH} characters.`, { reason: 'name-too-long', params: { max: MAX_NAME_LENGTH } });
    const chosen = name === undefined ? existing?.name : given;
    return chosen ? { name: chosen } : {};
  }

  private groupsArg(groups: readonly string[]): string[] {
    if (groups.some((g) => g.trim().length > MAX_NAME_LENGTH)) {
      throw new KlatschError('invalid-request', `A group name can have at most ${MAX_NAME_LENGTH} characters.`, { reason: 'group-name-too-long', params: { max: MAX_NAME_LENGTH } });
    }
    const clean = cleanGroups(groups);
    if (clean.length > MAX_GROUPS) throw new KlatschError('invalid-request', `A contact can be in at most ${MAX_GROUPS} groups.`, { reason: 'too-many-groups', params: { max: MAX_GROUPS } });
    return clean;
  }

  private async send(session: XmppSession, stanza: Parameters<XmppSession['send']>[0]): Promise<void> {
    try {
      await session.send(stanza);
    } catch {
      throw new KlatschError('not-connected', 'The connection was lost; nothing was sent.', { reason: 'lost-nothing-sent' });
    }
  }

  /** A roster set or remove; the server's refusal or silence becomes an error the user can read. */
  private async rosterRequest(session: XmppSession, iq: Parameters<XmppSession['iq']['request']>[0]): Promise<void> {
    try {
      await session.iq.request(iq, this.deps.timeoutMs ?? 15_000);
    } catch (error) {
      const e = error as { name?: string; condition?: string; text?: string };
      if (e.name === 'StanzaError') {
        const why = e.text ? `: ${e.text.slice(0, 200)}` : '';
        throw new KlatschError('server-error', `The server refused the change (${e.condition ?? 'error'}${why}).`, { reason: 'contact-change-refused', params: { condition: `${e.condition ?? 'error'}${why}` } });
      }
      if (e.name === 'TimeoutError') throw new KlatschError('timeout', 'The server did not answer in time.', { reason: 'no-answer' });
      throw new KlatschError('not-connected', 'The connection was lost before the server answered.', { reason: 'lost-before-answer' });
    }
  }
}
