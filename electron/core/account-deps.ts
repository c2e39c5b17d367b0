/** What the core gives each account (account.ts): how it tells the UI, its stores, the policy in force, its encryption schemes. */
import type { AccountView, ChatMessage, EventName, EventOf } from '../../shared/contract.js';
import type { E2eeProviderFactory } from './e2ee/router.js';
import type { E2eeScheme } from './e2ee/provider.js';
import type { StoredRoom } from './muc/rooms.js';
import type { AccountPolicyHooks } from './policy/account-policy.js';
import type { UnconfirmedTimings } from './receipts/unconfirmed.js';
import type { HistoryStore } from './store/history-store.js';
import type { OutboxStore } from './store/outbox-store.js';
import type { StoredAccount } from './store/settings-store.js';
import type { ConnectionManagerOptions } from './xmpp/connection-manager.js';

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
  /** When a message the server took but the contact's app did not confirm is marked (receipts/unconfirmed.ts); tests shorten it. */
  unconfirmed?: UnconfirmedTimings;
}
