/**
 * Presence in the incoming pipeline (RFC 6121): a bounced contact request, subscription requests and answers,
 * and contacts' availability (with what rides on it: avatar hashes, encryption sessions per resource, typing).
 */
import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../../../shared/contract.js';
import type { Avatars } from '../avatars/avatars.js';
import { parseAvatarHash } from '../avatars/avatar-stanzas.js';
import type { ContactTyping } from '../chat-states/contact-typing.js';
import type { E2eeRouter } from '../e2ee/router.js';
import type { IncomingStanza, StanzaHandler } from '../incoming/pipeline.js';
import type { SenderGate } from '../policy/sender-gate.js';
import { bareJid } from '../values/jid.js';
import { isRemoteServerCondition, requestNotDelivered } from '../xmpp/remote-server.js';
import { errorCondition, parsePresence } from '../xmpp/stanzas.js';
import type { ContactManager } from './contacts.js';
import type { Roster } from './roster.js';
import { parseSubscriptionPresence } from './roster-stanzas.js';

export interface PresenceHost {
  roster: Roster;
  senders: SenderGate;
  contactManager: Pick<ContactManager, 'onPresence'>;
  avatars: Pick<Avatars, 'onHash'>;
  e2ee: Pick<E2eeRouter, 'resourceOffline' | 'resourceAvailable'>;
  typing: ContactTyping;
  /** Into the chat (a notice). */
  upsertMessage(message: ChatMessage): ChatMessage;
  /** The contact's presence changed: the account tells the UI. */
  contactChanged(peer: string): void;
  now(): number;
}

/** The incoming step for `<presence/>`: handled here; anything else goes on. */
export function presenceHandler(host: PresenceHost): StanzaHandler<IncomingStanza> {
  return ({ stanza }, next) => {
    if (stanza.name !== 'presence') return next();
    const { roster, senders } = host;
    if (stanza.attrs.type === 'error') return presenceBounce(host, stanza);
    const subscription = parseSubscriptionPresence(stanza);
    if (subscription) {
      // A request from an address the administrator denies is never shown (nobody can answer it anyway).
      if (subscription.type === 'subscribe' ? !senders.acceptsSender(subscription.from) : !senders.acceptsFrom(subscription.from)) return;
      return host.contactManager.onPresence(subscription);
    }
    const presence = parsePresence(stanza);
    // A contact at a refused address never shows online; the user is told why (a stranger's presence is ignored anyway).
    if (presence && !(roster.has(presence.bare) ? senders.acceptsSender(presence.bare) : senders.blocked(presence.bare) === undefined)) return;
    const avatarHash = presence?.available ? parseAvatarHash(stanza) : undefined;
    if (presence && avatarHash !== undefined) host.avatars.onHash(presence.bare, avatarHash);
    if (presence && !presence.available) void host.e2ee.resourceOffline(stanza.attrs.from ?? '');
    if (presence && !presence.available) host.typing.set(presence.bare, false);
    if (presence?.available && roster.has(presence.bare)) void host.e2ee.resourceAvailable(stanza.attrs.from ?? '');
    if (presence && roster.has(presence.bare) && roster.applyPresence(presence)) host.contactChanged(presence.bare);
  };
}

/**
 * Our contact request came back because our server could not reach the contact's server: said in the
 * chat with them, naming their domain (otherwise the request would just seem unanswered forever).
 */
function presenceBounce(host: PresenceHost, stanza: IncomingStanza['stanza']): void {
  const error = stanza.getChild('error');
  const condition = error ? errorCondition(error) : undefined;
  const peer = bareJid(stanza.attrs.from);
  if (!peer || !isRemoteServerCondition(condition) || host.roster.item(peer)?.ask !== 'subscribe') return;
  if (!host.senders.acceptsFrom(peer)) return;
  host.upsertMessage({ id: randomUUID(), peer, direction: 'notice', body: requestNotDelivered(condition, peer), timestamp: host.now(), state: 'received' });
}
