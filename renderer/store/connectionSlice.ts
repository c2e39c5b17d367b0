import type { StateCreator } from 'zustand/vanilla';
import type { AppState, ConnectionSlice } from './types';
import { omitKey, removeAccount, replaceRoster, sortMessages, upsertAccount } from './transitions';
import { roomsFromSnapshot, roomsWithoutAccount } from './roomsSlice';

export const createConnectionSlice: StateCreator<AppState, [], [], ConnectionSlice> = (set) => ({
  load: { kind: 'loading' },
  accounts: [],
  secretStorage: { available: false },
  storageProblem: null,
  storageProblems: [],
  policy: null,
  policyChanges: null,
  policyChanged: (policy, changed) =>
    set((s) => ({ policy, policyChanges: [...new Set([...(s.policyChanges ?? []), ...changed])].sort() })),
  policyChangesDismissed: () => set({ policyChanges: null }),

  snapshotLoaded: (snapshot) =>
    set((s) => {
      const rosters: AppState['rosters'] = {};
      for (const [accountId, contacts] of Object.entries(snapshot.rosters)) rosters[accountId] = replaceRoster(contacts);
      const chats: AppState['chats'] = {};
      for (const [accountId, peers] of Object.entries(snapshot.chats)) {
        const sorted: Record<string, AppState['chats'][string][string]> = {};
        for (const [peer, messages] of Object.entries(peers)) sorted[peer] = sortMessages(messages);
        chats[accountId] = sorted;
      }
      const ids = new Set(snapshot.accounts.map((a) => a.id));
      return {
        load: { kind: 'ready' },
        accounts: snapshot.accounts,
        secretStorage: snapshot.secretStorage,
        storageProblem: snapshot.storageProblem ?? null,
        storageProblems: snapshot.storageProblems ?? [],
        policy: snapshot.policy ?? null,
        rosters,
        chats,
        subscriptionRequests: { ...snapshot.subscriptionRequests },
        avatars: { ...snapshot.avatars },
        ...roomsFromSnapshot(snapshot),
        activeAccountId:
          s.activeAccountId && ids.has(s.activeAccountId) ? s.activeAccountId : (snapshot.accounts[0]?.id ?? null),
        selected: s.selected && ids.has(s.selected.accountId) ? s.selected : null,
      };
    }),

  snapshotFailed: (message) => set({ load: { kind: 'failed', message } }),

  accountUpdated: (account) =>
    set((s) => ({
      accounts: upsertAccount(s.accounts, account),
      activeAccountId: s.activeAccountId ?? account.id,
    })),

  accountRemoved: (accountId) =>
    set((s) => {
      const accounts = removeAccount(s.accounts, accountId);
      const drafts: Record<string, string> = {};
      for (const [key, text] of Object.entries(s.drafts)) if (!key.startsWith(`${accountId}\n`)) drafts[key] = text;
      return {
        accounts,
        rosters: omitKey(s.rosters, accountId),
        chats: omitKey(s.chats, accountId),
        subscriptionRequests: omitKey(s.subscriptionRequests, accountId),
        avatars: omitKey(s.avatars, accountId),
        collapsedGroups: omitKey(s.collapsedGroups, accountId),
        drafts,
        selected: s.selected?.accountId === accountId ? null : s.selected,
        ...roomsWithoutAccount(s, accountId),
        activeAccountId: s.activeAccountId === accountId ? (accounts[0]?.id ?? null) : s.activeAccountId,
        // accounts-search: what belonged to the removed account goes with it.
        dialog: s.dialog && 'accountId' in s.dialog && s.dialog.accountId === accountId ? null : s.dialog,
        focusMessage: s.focusMessage?.accountId === accountId ? null : s.focusMessage,
      };
    }),

  ownPresenceApplied: (accountId, presence) =>
    set((s) => ({
      accounts: s.accounts.map((a) => (a.id === accountId ? { ...a, ownPresence: { ...presence } } : a)),
    })),
});
