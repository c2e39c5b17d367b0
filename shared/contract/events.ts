/**
 * Events: main → renderer.
 */
import { z } from 'zod';
import { XmppLinkEvent, PolicyView } from '../policy-view.js';
import { AccountView } from './accounts.js';
import { Contact, SubscriptionRequest } from './contacts.js';
import { ChatMessage } from './messages.js';
import { Invitation, RoomView } from './rooms.js';
import { ChatRef, SettingsView } from './settings.js';
import { AccountId } from './values.js';

export const events = {
  accountUpdated: AccountView,
  accountRemoved: z.object({ accountId: AccountId }),
  rosterReplaced: z.object({ accountId: AccountId, contacts: z.array(Contact) }),
  contactUpdated: z.object({ accountId: AccountId, contact: Contact }),
  /** A new message, or a new state of one already sent (same id): upsert. */
  messageUpserted: z.object({ accountId: AccountId, message: ChatMessage }),
  /** The user opened an `xmpp:` link (RFC 5122) with Klatsch. */
  xmppLinkOpened: XmppLinkEvent,
  /** Some key's trust changed, or a key was seen or forgotten: a trust list on screen should be fetched again. */
  trustChanged: z.object({ accountId: AccountId }),
  /** The account's waiting subscription requests, all of them, after any change. */
  subscriptionRequestsChanged: z.object({ accountId: AccountId, requests: z.array(SubscriptionRequest) }),
  /** A contact's (or the account's own) picture changed; `avatar` absent: none any more. */
  avatarChanged: z.object({ accountId: AccountId, jid: z.string(), avatar: z.string().optional() }),
  /** The app-wide settings changed (here, or by the tray). */
  settingsChanged: SettingsView,
  /** The user clicked a notification: show this chat. */
  chatOpenRequested: ChatRef,
  /** A group chat's state, occupants or subject changed (the whole room). */
  roomUpdated: z.object({ accountId: AccountId, room: RoomView }),
  /** The user left a room: it is gone from the list. */
  roomRemoved: z.object({ accountId: AccountId, room: z.string() }),
  /** A group chat message, new or in a new state (same id): upsert. `message.peer` is the room. */
  roomMessageUpserted: z.object({ accountId: AccountId, message: ChatMessage }),
  /** The account's invitations to group chats waiting for an answer, all of them, after any change. */
  invitationsChanged: z.object({ accountId: AccountId, invitations: z.array(Invitation) }),
  /** The administrator's policy changed while the app runs: it applies now; `changed` names the keys whose value changed. */
  policyChanged: z.object({ policy: PolicyView, changed: z.array(z.string().max(64)).max(64) }),
} as const;

export type EventName = keyof typeof events;
export type EventOf<K extends EventName> = z.infer<(typeof events)[K]>;
export const eventNames = Object.keys(events) as EventName[];
