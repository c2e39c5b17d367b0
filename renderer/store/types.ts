/**
 * The shape of the one renderer store, made of four typed slices.
 * Type-only module: no runtime code, no DOM.
 */
import type {
  AccountId,
  AccountView,
  ChatMessage,
  Contact,
  OwnShow,
  SecretStorageStatus,
  Snapshot,
  PolicyView,
  XmppLinkEvent,
  SubscriptionRequest,
  SettingsView,
  RoomView,
  Invitation,
  WordedReason,
} from '../../shared/contract';
import type { ChatsByAccount } from './transitions';

export type LoadState = { kind: 'loading' } | { kind: 'ready' } | { kind: 'failed'; message: string };

/** Accounts and their connections, plus whether passwords can be stored at all. */
export type ConnectionSlice = {
  load: LoadState;
  accounts: AccountView[];
  secretStorage: SecretStorageStatus;
  /** Main could not read its settings file: changes are not saved until it is fixed. */
  storageProblem: string | null;
  /** The same by reason (`storage-*`), worded in the user's language (storageProblemText). */
  storageProblems: WordedReason[];
  snapshotLoaded: (snapshot: Snapshot) => void;
  snapshotFailed: (message: string) => void;
  accountUpdated: (account: AccountView) => void;
  accountRemoved: (accountId: AccountId) => void;
  /** Applies a presence main accepted, before its `accountUpdated` arrives. */
  ownPresenceApplied: (accountId: AccountId, presence: { show: OwnShow; status: string }) => void;
  /** The administrator's policy: what is locked and why (null: not loaded yet). */
  policy: PolicyView | null;
  /** The policy keys that changed while the app ran, until the user dismisses the notice (null: none). */
  policyChanges: string[] | null;
  policyChanged: (policy: PolicyView, changed: string[]) => void;
  policyChangesDismissed: () => void;
};

/** Contacts per account, always sorted for display. */
export type RosterSlice = {
  rosters: Record<AccountId, Contact[]>;
  rosterReplaced: (accountId: AccountId, contacts: Contact[]) => void;
  contactUpdated: (accountId: AccountId, contact: Contact) => void;
  unreadCleared: (accountId: AccountId, jid: string) => void;
  /** Subscription requests waiting for the user's answer, per account. */
  subscriptionRequests: Record<AccountId, SubscriptionRequest[]>;
  subscriptionRequestsChanged: (accountId: AccountId, requests: SubscriptionRequest[]) => void;
  /** Pictures (data: URLs) per account and bare JID, the account's own included. */
  avatars: Record<AccountId, Record<string, string>>;
  avatarChanged: (accountId: AccountId, jid: string, avatar: string | undefined) => void;
};

export type ChatKey = { accountId: AccountId; peer: string };

/** Messages per account and peer, in time order, and the open conversation. */
export type ChatsSlice = {
  chats: ChatsByAccount;
  selected: ChatKey | null;
  messageUpserted: (accountId: AccountId, message: ChatMessage) => void;
  chatSelected: (chat: ChatKey | null) => void;
};

/** What only the window cares about. */
export type UiSlice = {
  activeAccountId: AccountId | null;
  addingAccount: boolean;
  windowFocused: boolean;
  /** Unsent composer text per conversation (key from `chatKeyString`). */
  drafts: Record<string, string>;
  /** Counts main's `trustChanged` events: a trust list on screen fetches again when it moves. */
  trustRevision: number;
  activeAccountChosen: (accountId: AccountId) => void;
  addingAccountSet: (adding: boolean) => void;
  windowFocusChanged: (focused: boolean) => void;
  draftChanged: (chat: ChatKey, text: string) => void;
  /** An `xmpp:` link the user opened, until they act on it or dismiss it. */
  xmppLink: XmppLinkEvent | null;
  xmppLinkSet: (link: XmppLinkEvent | null) => void;
  /** Fingerprints an opened `xmpp:…?otr-fingerprint=` link named, per chat (key from `chatKeyString`), to compare with. */
  expectedFingerprints: Record<string, string>;
  expectedFingerprintSet: (chat: ChatKey, fingerprint: string) => void;
  trustChanged: () => void;
  /** What the user typed into the roster's filter field. */
  rosterFilter: string;
  /** Roster groups folded away, per account (NO_GROUP for the contacts without a group). */
  collapsedGroups: Record<AccountId, string[]>;
  rosterFilterChanged: (text: string) => void;
  groupToggled: (accountId: AccountId, group: string) => void;
  /** The "Keyboard shortcuts" help is open. */
  shortcutsHelpOpen: boolean;
  shortcutsHelpSet: (open: boolean) => void;

  // --- accounts-search: dialogs, search, links, several accounts (own block) ---
  /** Which dialog of the main screen is open (at most one): shortcuts and buttons change this, never the DOM. */
  dialog: MainDialog | null;
  dialogOpened: (dialog: MainDialog) => void;
  dialogClosed: () => void;
  /** A link from a message the user clicked, waiting for their confirmation (the text as written). */
  linkToConfirm: string | null;
  linkToConfirmSet: (link: string | null) => void;
  /** The history search: what was typed (kept while the panel is closed). */
  searchQuery: string;
  searchQueryChanged: (text: string) => void;
  /**
   * A message to bring into view and highlight, asked for by a search result. The message list
   * honours it when its chat is shown: scrolls the message with this id into view, highlights it,
   * then calls `messageFocusDone(seq)`. `seq` grows with every request, so choosing the same
   * result twice scrolls again. A list that cannot find the id (not loaded) leaves it be.
   */
  focusMessage: (ChatKey & { id: string; seq: number }) | null;
  messageFocusRequested: (chat: ChatKey, id: string) => void;
  messageFocusDone: (seq: number) => void;
};

/** The dialogs of the main screen whose open state lives in the store. */
export type MainDialog =
  | { kind: 'add-contact'; accountId: AccountId; address: string }
  | { kind: 'edit-contact'; accountId: AccountId; jid: string }
  | { kind: 'trust-manager' }
  | { kind: 'search' }
  | { kind: 'settings' };

/** App-wide settings (language, theme, notifications) from main; the settings screen is a `MainDialog`. */
export type SettingsSlice = {
  /** null until the snapshot is loaded (the OS's language and theme apply until then). */
  settings: SettingsView | null;
  settingsChanged: (view: SettingsView) => void;
};

/** Group chats per account (not end-to-end encrypted), their messages, and the room on screen. */
export type RoomsSlice = {
  rooms: Record<AccountId, RoomView[]>;
  /** Per account and room address, in time order. */
  roomMessages: Record<AccountId, Record<string, ChatMessage[]>>;
  /** The room on screen (`peer`: its address); shown while no one-to-one chat is selected. */
  selectedRoom: ChatKey | null;
  /** Invitations to group chats waiting for the user's answer, per account (the core's list, whole). */
  invitations: Record<AccountId, Invitation[]>;
  invitationsChanged: (accountId: AccountId, invitations: Invitation[]) => void;
  roomUpdated: (accountId: AccountId, room: RoomView) => void;
  roomRemoved: (accountId: AccountId, room: string) => void;
  roomMessageUpserted: (accountId: AccountId, message: ChatMessage) => void;
  roomSelected: (room: ChatKey | null) => void;
};

export type AppState = ConnectionSlice & RosterSlice & ChatsSlice & UiSlice & SettingsSlice & RoomsSlice;

export const chatKeyString = (chat: ChatKey): string => `${chat.accountId}\n${chat.peer}`;
