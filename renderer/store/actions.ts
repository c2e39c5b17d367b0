/**
 * What the user can do, as functions over the store and the API. DOM-free: the
 * window focus reaches us through the `ui` slice, so this runs in plain Node too.
 */
import { asksTheUser, type AccountId, type AccountView, type AppSettings, type ChatMessage, type ChatRef, type E2eeScheme, type KlatschApi, type OwnShow, type RequestOf, type Result, type OtrPolicy, type SearchHit } from '../../shared/contract';
import type { AppStore } from './store';
import { chatKeyString, type ChatKey, type MainDialog } from './types';
import { createRoomActions } from './roomActions';

export type AddAccountInput = RequestOf<'addAccount'>;

export type Actions = ReturnType<typeof createActions>;

/** How long the window may be out of focus before the open chat is told 'inactive' (XEP-0085 suggests minutes; focus is a stronger sign). */
export const INACTIVE_AFTER_BLUR_MS = 30_000;

/** Turns a rejected promise (a broken bridge) into the same shape as any other failure. */
async function settle<T>(promise: Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await promise;
  } catch (e) {
    return { ok: false, error: { code: 'internal', message: e instanceof Error ? e.message : String(e) } };
  }
}

export function createActions(store: AppStore, api: KlatschApi) {
  // Several reasons to mark one chat read in the same tick (selecting it, a message
  // arriving, its counter going up) end in a single request.
  const pendingMarkRead = new Map<string, ChatKey>();
  let markReadScheduled = false;
  /** When each chat last told main that the user types (keystrokes are many; main sends only changes anyway). */
  const lastComposing = new Map<string, number>();
  /** Chats told 'inactive' (XEP-0085 §5.1: the user left them or the window lost focus for a while). */
  const inactiveChats = new Map<string, ChatKey>();
  let blurTimer: ReturnType<typeof setTimeout> | undefined;

  function tellInactive(chat: ChatKey): void {
    const key = chatKeyString(chat);
    if (inactiveChats.has(key)) return;
    inactiveChats.set(key, chat);
    lastComposing.delete(key);
    void settle(api.setChatState({ accountId: chat.accountId, peer: chat.peer, state: 'inactive' }));
  }

  function tellActive(chat: ChatKey): void {
    if (!inactiveChats.delete(chatKeyString(chat))) return;
    void settle(api.setChatState({ accountId: chat.accountId, peer: chat.peer, state: 'active' }));
  }

  function markRead(chat: ChatKey): void {
    store.getState().unreadCleared(chat.accountId, chat.peer);
    pendingMarkRead.set(chatKeyString(chat), chat);
    if (markReadScheduled) return;
    markReadScheduled = true;
    queueMicrotask(() => {
      markReadScheduled = false;
      const chats = [...pendingMarkRead.values()];
      pendingMarkRead.clear();
      for (const c of chats) void settle(api.markRead({ accountId: c.accountId, peer: c.peer }));
    });
  }

  /** True when `chat` is on screen and the user can see it. */
  function isVisible(accountId: AccountId, peer: string): boolean {
    const s = store.getState();
    return s.windowFocused && s.selected?.accountId === accountId && s.selected.peer === peer;
  }

  const roomActions = createRoomActions(store, api, settle);

  return {
    async loadSnapshot(): Promise<Result<unknown>> {
      const result = await settle(api.getSnapshot({}));
      if (result.ok) {
        store.getState().snapshotLoaded(result.value);
        if (result.value.settings) store.getState().settingsChanged(result.value.settings);
      } else store.getState().snapshotFailed(result.error.message);
      return result;
    },

    async addAccount(input: AddAccountInput): Promise<Result<AccountView>> {
      const result = await settle(api.addAccount(input));
      if (result.ok) {
        const s = store.getState();
        s.accountUpdated(result.value);
        s.activeAccountChosen(result.value.id);
        s.addingAccountSet(false);
      }
      return result;
    },

    connectAccount(accountId: AccountId, password?: { password: string; rememberPassword: boolean }) {
      return settle(api.connectAccount(password ? { accountId, ...password } : { accountId }));
    },

    disconnectAccount(accountId: AccountId) {
      return settle(api.disconnectAccount({ accountId }));
    },

    async removeAccount(accountId: AccountId) {
      const result = await settle(api.removeAccount({ accountId }));
      if (result.ok) store.getState().accountRemoved(accountId);
      return result;
    },

    /** Re-pins after a `certificate-changed` error (main reconnects by itself when it has the password). */
    trustNewCertificate(accountId: AccountId, sha256: string) {
      return settle(api.trustCertificate({ accountId, sha256 }));
    },

    async setPresence(accountId: AccountId, show: OwnShow, status: string) {
      const result = await settle(api.setPresence({ accountId, show, status }));
      if (result.ok) store.getState().ownPresenceApplied(accountId, { show, status });
      return result;
    },

    async sendMessage(accountId: AccountId, to: string, body: string): Promise<Result<ChatMessage>> {
      const result = await settle(api.sendMessage({ accountId, to, body }));
      if (result.ok) store.getState().messageUpserted(accountId, result.value);
      return result;
    },

    async correctMessage(accountId: AccountId, peer: string, id: string, body: string): Promise<Result<ChatMessage>> {
      const result = await settle(api.correctMessage({ accountId, peer, id, body }));
      if (result.ok) store.getState().messageUpserted(accountId, result.value);
      return result;
    },

    async resendMessage(accountId: AccountId, peer: string, id: string): Promise<Result<ChatMessage>> {
      const result = await settle(api.resendMessage({ accountId, peer, id }));
      if (result.ok) store.getState().messageUpserted(accountId, result.value);
      return result;
    },

    startPrivate(accountId: AccountId, peer: string) {
      return settle(api.startPrivate({ accountId, peer }));
    },

    endPrivate(accountId: AccountId, peer: string) {
      return settle(api.endPrivate({ accountId, peer }));
    },

    startSmp(accountId: AccountId, peer: string, secret: string, question?: string) {
      return settle(api.startSmp({ accountId, peer, secret, ...(question !== undefined ? { question } : {}) }));
    },

    /** Answers the request the user read (`requestId`: its SmpView id); the core refuses it if the request changed. */
    respondSmp(accountId: AccountId, peer: string, requestId: string, secret: string) {
      return settle(api.respondSmp({ accountId, peer, requestId, secret }));
    },

    abortSmp(accountId: AccountId, peer: string) {
      return settle(api.abortSmp({ accountId, peer }));
    },

    dismissSmp(accountId: AccountId, peer: string) {
      return settle(api.dismissSmp({ accountId, peer }));
    },

    acceptKey(accountId: AccountId, peer: string, { scheme, key }: { scheme: E2eeScheme; key: string }) {
      return settle(api.acceptKey({ accountId, peer, scheme, key }));
    },

    setTrust(accountId: AccountId, peer: string, { scheme, key }: { scheme: E2eeScheme; key: string }, verified: boolean) {
      return settle(api.setTrust({ accountId, peer, scheme, key, verified }));
    },

    forgetKey(accountId: AccountId, peer: string, { scheme, key }: { scheme: E2eeScheme; key: string }) {
      return settle(api.forgetKey({ accountId, peer, scheme, key }));
    },

    listTrust() {
      return settle(api.listTrust({}));
    },

    importLibotr(replaceKeys: boolean) {
      return settle(api.importLibotr(replaceKeys ? { replaceKeys } : {}));
    },

    exportLibotr() {
      return settle(api.exportLibotr({}));
    },

    setOtrPolicy(accountId: AccountId, peer: string, policy: OtrPolicy | undefined) {
      return settle(api.setOtrPolicy({ accountId, peer, ...(policy ? { policy } : {}) }));
    },

    /** The contact's encryption scheme; undefined: automatic. */
    setE2eeScheme(accountId: AccountId, peer: string, scheme: string | undefined) {
      return settle(api.setE2eeScheme({ accountId, peer, ...(scheme ? { scheme } : {}) }));
    },

    /** A link named the fingerprint this contact should have: the authenticate dialog compares it. */
    rememberExpectedFingerprint(chat: ChatKey, fingerprint: string): void {
      store.getState().expectedFingerprintSet(chat, fingerprint);
    },

    addContact(accountId: AccountId, jid: string, name?: string, groups?: string[]) {
      return settle(api.addContact({ accountId, jid, ...(name ? { name } : {}), ...(groups?.length ? { groups } : {}) }));
    },

    removeContact(accountId: AccountId, jid: string) {
      return settle(api.removeContact({ accountId, jid }));
    },

    renameContact(accountId: AccountId, jid: string, name: string) {
      return settle(api.renameContact({ accountId, jid, name }));
    },

    setContactGroups(accountId: AccountId, jid: string, groups: string[]) {
      return settle(api.setContactGroups({ accountId, jid, groups }));
    },

    /** Answers a subscription request; the request leaves the list at once (main confirms with its event). */
    async answerSubscription(accountId: AccountId, jid: string, approve: boolean) {
      const result = await settle(approve ? api.approveSubscription({ accountId, jid }) : api.denySubscription({ accountId, jid }));
      if (result.ok) {
        const s = store.getState();
        s.subscriptionRequestsChanged(accountId, (s.subscriptionRequests[accountId] ?? []).filter((r) => r.jid !== jid));
      }
      return result;
    },

    /** Our picture as base64 (undefined: remove it). */
    setAvatar(accountId: AccountId, image: string | undefined) {
      return settle(api.setAvatar(image === undefined ? { accountId } : { accountId, image }));
    },

    setRosterFilter(text: string): void {
      store.getState().rosterFilterChanged(text);
    },

    toggleGroup(accountId: AccountId, group: string): void {
      store.getState().groupToggled(accountId, group);
    },

    selectChat(chat: ChatKey | null): void {
      const before = store.getState().selected;
      store.getState().chatSelected(chat);
      // Leaving a chat makes us inactive in it; coming back, active (main sends only what changes, never while private).
      if (before && (!chat || chatKeyString(before) !== chatKeyString(chat))) tellInactive(before);
      if (chat) tellActive(chat);
      if (chat) markRead(chat);
    },

    /** One older page of the chat from the server's archive (the user scrolled to the top). */
    loadOlderMessages(accountId: AccountId, peer: string) {
      return settle(api.loadOlderMessages({ accountId, peer }));
    },

    chooseAccount(accountId: AccountId): void {
      store.getState().activeAccountChosen(accountId);
    },

    /** Verify OMEMO devices an `xmpp:` link named (each by id and fingerprint). */
    verifyOmemoDevices(accountId: AccountId, peer: string, devices: { deviceId: number; fingerprint: string }[]) {
      return settle(api.verifyOmemoDevices({ accountId, peer, devices }));
    },

    /** An `xmpp:` URI the user pasted: read by the core like an opened link (XmppLinkPanel then offers what it names). */
    openXmppUri(uri: string) {
      return settle(api.openExternalLink({ url: uri.trim() }));
    },

    clearXmppLink(): void {
      store.getState().xmppLinkSet(null);
    },

    setAddingAccount(adding: boolean): void {
      store.getState().addingAccountSet(adding);
    },

    setDraft(chat: ChatKey, text: string): void {
      store.getState().draftChanged(chat, text);
    },

    getDraft(chat: ChatKey): string {
      return store.getState().drafts[chatKeyString(chat)] ?? '';
    },

    /** The window gained or lost focus: coming back to an open chat with news reads it. */
    windowFocusChanged(focused: boolean): void {
      const s = store.getState();
      if (s.windowFocused === focused) return;
      s.windowFocusChanged(focused);
      const sel = s.selected;
      // Away from the window for a while: inactive in the open chat; back: active again.
      if (blurTimer !== undefined) clearTimeout(blurTimer);
      blurTimer = undefined;
      if (!focused && sel) {
        blurTimer = setTimeout(() => {
          blurTimer = undefined;
          const now = store.getState().selected;
          if (now && chatKeyString(now) === chatKeyString(sel) && !store.getState().windowFocused) tellInactive(sel);
        }, INACTIVE_AFTER_BLUR_MS);
      }
      if (focused && sel) tellActive(sel);
      if (focused && sel && (s.rosters[sel.accountId]?.find((c) => c.jid === sel.peer)?.unread ?? 0) > 0) {
        markRead(sel);
      }
      const room = s.selectedRoom;
      const roomView = room && !sel ? s.rooms[room.accountId]?.find((r) => r.jid === room.peer) : undefined;
      if (focused && room && roomView) roomActions.roomChanged(room.accountId, roomView);
    },

    /** Called for every message event: one arriving in the chat the user is looking at is read. */
    messageArrived(accountId: AccountId, message: ChatMessage): void {
      if ((message.direction === 'in' || asksTheUser(message)) && isVisible(accountId, message.peer)) markRead({ accountId, peer: message.peer });
    },

    /**
     * The composer's text changed: typing ('composing', at most every 2 s; main turns it into
     * 'paused' ~5 s after the last one) or emptied ('active').
     */
    composerChanged(accountId: AccountId, peer: string, text: string) {
      const key = chatKeyString({ accountId, peer });
      const now = Date.now();
      if (text === '') {
        if (!lastComposing.delete(key)) return;
        void settle(api.setChatState({ accountId, peer, state: 'active' }));
        return;
      }
      const last = lastComposing.get(key);
      if (last !== undefined && now - last < 2_000) return;
      lastComposing.set(key, now);
      void settle(api.setChatState({ accountId, peer, state: 'composing' }));
    },

    /** A message went out: it carries 'active' itself (main adds it), so typing starts afresh. */
    composerSent(accountId: AccountId, peer: string) {
      lastComposing.delete(chatKeyString({ accountId, peer }));
    },

    setKeepPrivateHistory(accountId: AccountId, peer: string, keep: boolean) {
      return settle(api.setKeepPrivateHistory({ accountId, peer, keep }));
    },

    // --- accounts-search: dialogs, history search, links ---

    /** Opens one of the main screen's dialogs (closing any other of them). */
    openDialog(dialog: MainDialog): void {
      store.getState().dialogOpened(dialog);
    },

    closeDialog(): void {
      store.getState().dialogClosed();
    },

    /** "Add contact" for the account in front (the shortcut's "new chat"). */
    openAddContact(accountId?: AccountId, address = ''): void {
      const s = store.getState();
      const id = accountId ?? s.activeAccountId;
      if (id) s.dialogOpened({ kind: 'add-contact', accountId: id, address });
    },

    setSearchQuery(text: string): void {
      store.getState().searchQueryChanged(text);
    },

    /** Searches the stored history of every account. */
    searchHistory(query: string, limit = 100) {
      return settle(api.searchHistory({ query: query.slice(0, 256), limit }));
    },

    /** A search result was chosen: its chat opens (its account in front) and the message is brought into view. */
    openSearchResult(hit: Pick<SearchHit, 'accountId' | 'peer' | 'id'>): void {
      const s = store.getState();
      if (!s.accounts.some((a) => a.id === hit.accountId)) return;
      s.dialogClosed();
      const chat = { accountId: hit.accountId, peer: hit.peer };
      s.chatSelected(chat);
      markRead(chat);
      store.getState().messageFocusRequested({ accountId: hit.accountId, peer: hit.peer }, hit.id);
    },

    /** The list showed the message asked for. */
    messageFocusDone(seq: number): void {
      store.getState().messageFocusDone(seq);
    },

    /** A link in a message was clicked: nothing opens before the user confirmed the address. */
    askToOpenLink(text: string): void {
      store.getState().linkToConfirmSet(text);
    },

    cancelLink(): void {
      store.getState().linkToConfirmSet(null);
    },

    /** The user confirmed: main checks the address again and opens it (https/mailto outside, xmpp in Klatsch). */
    async confirmLink(href: string) {
      const result = await settle(api.openExternalLink({ url: href }));
      if (result.ok) store.getState().linkToConfirmSet(null);
      return result;
    },

    /** Changes app-wide settings; main answers with the settings in force (a locked one is refused). */
    async setSettings(changes: Partial<AppSettings>) {
      const result = await settle(api.setSettings(changes));
      if (result.ok) store.getState().settingsChanged(result.value);
      return result;
    },

    /** A notification was clicked: its account and chat come on screen (and are read). */
    openChatFromNotification(chat: ChatRef): void {
      const s = store.getState();
      if (!s.accounts.some((a) => a.id === chat.accountId)) return;
      s.activeAccountChosen(chat.accountId);
      if (s.dialog?.kind === 'settings') s.dialogClosed();
      const key = { accountId: chat.accountId, peer: chat.peer };
      s.chatSelected(key);
      markRead(key);
    },

    /** Called for every contact event: a counter going up in the visible chat goes back to 0. */
    contactChanged(accountId: AccountId, jid: string, unread: number): void {
      if (unread > 0 && isVisible(accountId, jid)) markRead({ accountId, peer: jid });
    },

    // Group chats (roomActions.ts)
    ...roomActions,
  };
}
