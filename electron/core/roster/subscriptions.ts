/**
 * Incoming presence subscription requests (RFC 6121 §3.1.3) and what to do
 * about them: which requests wait for the user, which are answered without
 * asking, and what an approval sends. Pure: no connection, no events.
 */
import type { SubscriptionRequest } from '../../../shared/contract.js';
import type { RosterItem } from '../xmpp/stanzas.js';
import type { SubscriptionType } from './roster-stanzas.js';

/** More waiting requests than this is a flood: the oldest are dropped (the server delivers them again at the next login). */
export const MAX_PENDING_REQUESTS = 500;

/**
 * What to do with a `subscribe` from someone:
 * - they already see our presence (subscription from/both): answer again, nothing to ask;
 * - we added them ourselves (we are subscribed to them, or asked to be): the user wanted to
 *   share presence with them, so approve without asking (as Conversations and Dino do);
 * - anyone else: ask the user.
 */
export function onSubscribeRequest(item: Pick<RosterItem, 'subscription' | 'ask'> | undefined): 'approve' | 'ask-user' {
  if (!item) return 'ask-user';
  if (item.subscription === 'from' || item.subscription === 'both' || item.subscription === 'to') return 'approve';
  return item.ask === 'subscribe' ? 'approve' : 'ask-user';
}

/** An approval says `subscribed`, and asks back when we do not see their presence yet (so both see each other). */
export function approvalStanzas(item: Pick<RosterItem, 'subscription' | 'ask'> | undefined): SubscriptionType[] {
  const weSeeThem = item?.subscription === 'to' || item?.subscription === 'both';
  return weSeeThem || item?.ask === 'subscribe' ? ['subscribed'] : ['subscribed', 'subscribe'];
}

/** The requests waiting for the user's answer, one per bare JID, oldest first. */
export class PendingRequests {
  private readonly byJid = new Map<string, SubscriptionRequest>();

  /** Returns true if the list changed (a repeated request, as re-delivered after a login, changes nothing). */
  add(jid: string, receivedAt: number, text?: string): boolean {
    const old = this.byJid.get(jid);
    if (old && old.text === text) return false;
    this.byJid.set(jid, { jid, receivedAt: old?.receivedAt ?? receivedAt, ...(text ? { text } : {}) });
    while (this.byJid.size > MAX_PENDING_REQUESTS) this.byJid.delete(this.byJid.keys().next().value!);
    return true;
  }

  remove(jid: string): boolean {
    return this.byJid.delete(jid);
  }

  has(jid: string): boolean {
    return this.byJid.has(jid);
  }

  /** Drops requests answered elsewhere (another of the user's clients): they see our presence now. */
  reconcile(itemOf: (jid: string) => Pick<RosterItem, 'subscription'> | undefined): boolean {
    let changed = false;
    for (const jid of [...this.byJid.keys()]) {
      const s = itemOf(jid)?.subscription;
      if (s === 'from' || s === 'both') changed = this.byJid.delete(jid) || changed;
    }
    return changed;
  }

  list(): SubscriptionRequest[] {
    return [...this.byJid.values()];
  }
}
