/**
 * Pure state transitions of the renderer store.
 *
 * No `window`, no DOM, no React, no API: every function takes values and returns new
 * values (never mutating its arguments), so they run and are tested in plain Node.
 */
import type { AccountId, AccountView, ChatMessage, Contact, PresenceShow } from '../../shared/contract';

// ---------------------------------------------------------------------------
// Messages

/**
 * Inserts `message`, or replaces the one with the same id, keeping the list in time
 * order. Messages with equal timestamps keep their arrival order. Returns the same
 * array when nothing changed, so selectors do not re-render for a repeated event.
 */
export function upsertMessage(list: readonly ChatMessage[], message: ChatMessage): ChatMessage[] {
  const existing = list.findIndex((m) => m.id === message.id);
  if (existing !== -1) {
    const old = list[existing]!;
    if (sameMessage(old, message)) return list as ChatMessage[];
    if (old.timestamp === message.timestamp) {
      const next = list.slice();
      next[existing] = message;
      return next;
    }
    const without = list.slice();
    without.splice(existing, 1);
    return insertByTime(without, message);
  }
  return insertByTime(list.slice(), message);
}

function insertByTime(list: ChatMessage[], message: ChatMessage): ChatMessage[] {
  // Search from the end: new messages almost always belong there.
  let i = list.length;
  while (i > 0 && list[i - 1]!.timestamp > message.timestamp) i--;
  list.splice(i, 0, message);
  return list;
}

function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return (
    a.id === b.id &&
    a.peer === b.peer &&
    a.direction === b.direction &&
    a.body === b.body &&
    a.timestamp === b.timestamp &&
    a.state === b.state &&
    a.unconfirmed === b.unconfirmed &&
    a.error === b.error &&
    a.encrypted === b.encrypted &&
    a.archiveId === b.archiveId
  );
}

/** Sorts a whole message list by time (stable), e.g. one that came with the snapshot. */
export function sortMessages(list: readonly ChatMessage[]): ChatMessage[] {
  return list.slice().sort((a, b) => a.timestamp - b.timestamp);
}

export type ChatsByAccount = Record<AccountId, Record<string, ChatMessage[]>>;

/** Upserts a message into the per-account, per-peer map. */
export function upsertChatMessage(chats: ChatsByAccount, accountId: AccountId, message: ChatMessage): ChatsByAccount {
  const peers = chats[accountId] ?? {};
  const list = peers[message.peer] ?? [];
  const next = upsertMessage(list, message);
  if (next === list && peers[message.peer]) return chats;
  return { ...chats, [accountId]: { ...peers, [message.peer]: next } };
}

// ---------------------------------------------------------------------------
// Contacts

/** What a contact is called in the UI: its roster name, or its address. */
export function displayName(contact: Pick<Contact, 'jid' | 'name'>): string {
  const name = contact.name?.trim();
  return name ? name : contact.jid;
}

export function isAvailable(show: PresenceShow): boolean {
  return show !== 'offline';
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** Online, away and do-not-disturb contacts before offline ones; then by name (or address). */
export function compareContacts(a: Contact, b: Contact): number {
  const byPresence = Number(!isAvailable(a.presence.show)) - Number(!isAvailable(b.presence.show));
  if (byPresence !== 0) return byPresence;
  const byName = collator.compare(displayName(a), displayName(b));
  if (byName !== 0) return byName;
  return a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0;
}

export function sortContacts(contacts: readonly Contact[]): Contact[] {
  return contacts.slice().sort(compareContacts);
}

/** A roster as it arrives from main: drops `remove` entries and duplicates (last wins), sorted. */
export function replaceRoster(contacts: readonly Contact[]): Contact[] {
  const byJid = new Map<string, Contact>();
  for (const c of contacts) {
    if (c.subscription === 'remove') byJid.delete(c.jid);
    else byJid.set(c.jid, c);
  }
  return sortContacts([...byJid.values()]);
}

/**
 * Adds or replaces one contact (a `remove` subscription deletes it) and keeps the order.
 * One copy and a binary search, not a re-sort: 5,000 contacts coming online one
 * presence at a time must not cost 5,000 sorts of 5,000.
 */
export function updateContact(roster: readonly Contact[], contact: Contact): Contact[] {
  const at = roster.findIndex((c) => c.jid === contact.jid);
  if (contact.subscription === 'remove') return at === -1 ? (roster as Contact[]) : roster.filter((_, i) => i !== at);
  const rest = at === -1 ? roster.slice() : roster.filter((_, i) => i !== at);
  let lo = 0;
  let hi = rest.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareContacts(rest[mid]!, contact) <= 0) lo = mid + 1;
    else hi = mid;
  }
  rest.splice(lo, 0, contact);
  return rest;
}

/** Sets the unread counter of one contact (used to clear it as soon as a chat is read). */
export function setUnread(roster: readonly Contact[], jid: string, unread: number): Contact[] {
  const i = roster.findIndex((c) => c.jid === jid);
  if (i === -1 || roster[i]!.unread === unread) return roster as Contact[];
  const next = roster.slice();
  next[i] = { ...roster[i]!, unread };
  return next;
}

/**
 * The roster plus an entry for every peer we have a conversation with but who is not
 * in the roster (a stranger wrote to us), so such chats are reachable too.
 */
export function contactsWithConversations(
  roster: readonly Contact[],
  peers: Record<string, ChatMessage[]> | undefined,
): Contact[] {
  if (!peers) return roster as Contact[];
  const known = new Set(roster.map((c) => c.jid));
  const strangers: Contact[] = [];
  for (const [peer, messages] of Object.entries(peers)) {
    if (known.has(peer) || messages.length === 0) continue;
    strangers.push({
      jid: peer,
      subscription: 'none',
      groups: [],
      presence: { show: 'offline', status: '' },
      unread: 0,
    });
  }
  return strangers.length === 0 ? (roster as Contact[]) : sortContacts([...roster, ...strangers]);
}

// ---------------------------------------------------------------------------
// Accounts

/** Replaces the account with the same id, or appends a new one (keeping the order). */
export function upsertAccount(accounts: readonly AccountView[], account: AccountView): AccountView[] {
  const i = accounts.findIndex((a) => a.id === account.id);
  if (i === -1) return [...accounts, account];
  const next = accounts.slice();
  next[i] = account;
  return next;
}

export function removeAccount(accounts: readonly AccountView[], accountId: AccountId): AccountView[] {
  return accounts.filter((a) => a.id !== accountId);
}

/** Removes one key from a record without mutating it. */
export function omitKey<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const next = { ...record };
  delete next[key];
  return next;
}

/**
 * The user has to type the password: none is stored and the account is not connected
 * or on its way there (while connecting or reconnecting main still holds it).
 */
export function needsPassword(account: AccountView): boolean {
  if (account.hasStoredPassword) return false;
  return account.connection.kind === 'offline' || account.connection.kind === 'error';
}

/** The new certificate when the account stopped because its pinned certificate changed. */
export function changedCertificate(account: AccountView) {
  const c = account.connection;
  if (c.kind === 'error' && c.error.code === 'certificate-changed' && c.error.certificate) return c.error.certificate;
  return undefined;
}

// ---------------------------------------------------------------------------
// Which screen

export type Screen =
  | { kind: 'loading' }
  | { kind: 'load-failed'; message: string }
  | { kind: 'add-account'; canCancel: boolean }
  | { kind: 'password'; account: AccountView }
  | { kind: 'main'; account: AccountView };

export function chooseScreen(input: {
  load: { kind: 'loading' } | { kind: 'ready' } | { kind: 'failed'; message: string };
  accounts: readonly AccountView[];
  activeAccountId: AccountId | null;
  addingAccount: boolean;
}): Screen {
  if (input.load.kind === 'loading') return { kind: 'loading' };
  if (input.load.kind === 'failed') return { kind: 'load-failed', message: input.load.message };
  const active = input.accounts.find((a) => a.id === input.activeAccountId) ?? input.accounts[0];
  if (!active) return { kind: 'add-account', canCancel: false };
  if (input.addingAccount) return { kind: 'add-account', canCancel: true };
  if (needsPassword(active)) return { kind: 'password', account: active };
  return { kind: 'main', account: active };
}
