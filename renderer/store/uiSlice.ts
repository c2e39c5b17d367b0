import type { StateCreator } from 'zustand/vanilla';
import { chatKeyString, type AppState, type UiSlice } from './types';
import { omitKey } from './transitions';

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  activeAccountId: null,
  addingAccount: false,
  windowFocused: true,
  drafts: {},
  xmppLink: null,
  expectedFingerprints: {},
  trustRevision: 0,
  rosterFilter: '',
  collapsedGroups: {},
  shortcutsHelpOpen: false,
  // accounts-search
  dialog: null,
  linkToConfirm: null,
  searchQuery: '',
  focusMessage: null,

  activeAccountChosen: (accountId) =>
    set((s) => ({
      activeAccountId: accountId,
      selected: s.selected?.accountId === accountId ? s.selected : null,
    })),

  addingAccountSet: (adding) => set({ addingAccount: adding }),

  windowFocusChanged: (focused) => set({ windowFocused: focused }),

  trustChanged: () => set((s) => ({ trustRevision: s.trustRevision + 1 })),

  rosterFilterChanged: (text) => set({ rosterFilter: text.slice(0, 256) }),

  groupToggled: (accountId, group) =>
    set((s) => {
      const now = s.collapsedGroups[accountId] ?? [];
      const next = now.includes(group) ? now.filter((g) => g !== group) : [...now, group];
      return { collapsedGroups: { ...s.collapsedGroups, [accountId]: next } };
    }),

  draftChanged: (chat, text) =>
    set((s) => {
      const key = chatKeyString(chat);
      return { drafts: text === '' ? omitKey(s.drafts, key) : { ...s.drafts, [key]: text } };
    }),

  xmppLinkSet: (link) => set({ xmppLink: link }),

  shortcutsHelpSet: (open) => set({ shortcutsHelpOpen: open }),

  expectedFingerprintSet: (chat, fingerprint) =>
    set((s) => ({ expectedFingerprints: { ...s.expectedFingerprints, [chatKeyString(chat)]: fingerprint } })),

  // --- accounts-search ---
  // Search starts afresh each time, as in Signal and Element: the last query is not what the user looks for now.
  dialogOpened: (dialog) => set(dialog.kind === 'search' ? { dialog, searchQuery: '' } : { dialog }),

  dialogClosed: () => set({ dialog: null }),

  linkToConfirmSet: (link) => set({ linkToConfirm: link === null ? null : link.slice(0, 8192) }),

  searchQueryChanged: (text) => set({ searchQuery: text.slice(0, 256) }),

  messageFocusRequested: (chat, id) =>
    set((s) => ({ focusMessage: { accountId: chat.accountId, peer: chat.peer, id, seq: (s.focusMessage?.seq ?? 0) + 1 } })),

  messageFocusDone: (seq) => set((s) => (s.focusMessage?.seq === seq ? { focusMessage: null } : {})),
});
