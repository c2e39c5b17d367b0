/**
 * The application core: accounts, their connections and chats, settings and
 * secrets, behind the IPC contract. Plain Node: Electron's services come in
 * through the constructor, so the same core runs in the app, in the
 * development host and in tests.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AccountView, EventName, EventOf, OwnShow, PresenceShow, SettingsView, Snapshot } from '../../shared/contract.js';
import { Account, type AccountDeps } from './account.js';
import { type Handlers, UserError } from './ipc/dispatch.js';
import { HistoryStore, type HistoryStoreOptions } from './store/history-store.js';
import { OutboxStore } from './store/outbox-store.js';
import type { SecretBox } from './store/secret-box.js';
import { SettingsStore, type StoredAccount } from './store/settings-store.js';
import { ClassifiedError } from './xmpp/errors.js';
import { normalizeFingerprint } from './xmpp/tls-policy.js';
import { OtrTrust } from './e2ee/otr/otr-trust.js';
import { KeyConflictError } from './e2ee/otr/store/libotr-folder.js';
import { OtrStoreError, humanFingerprint, normalizeFingerprint as normalizeOtrFingerprint } from './e2ee/otr/store/otr-store.js';
import type { OtrIdentitySource, PrivateChats } from './e2ee/otr/private-chats.js';
import type { E2eeProviderFactory } from './e2ee/router.js';
import type { E2eeHost } from './e2ee/provider.js';
import { OmemoProvider } from './e2ee/omemo/provider.js';
import { OmemoFileStore } from './e2ee/omemo/omemo-store.js';
import { DEFAULT_OTR_POLICY, OTR_SCHEME, OtrProvider, type OtrProviderDeps } from './e2ee/otr/provider.js';
import { PolicyGate, PolicyRefusal } from './policy/policy-gate.js';
import type { LoadedPolicy } from './policy/read-policy.js';
import { accountPolicyHooks } from './policy/account-policy.js';
import { searchMessages, type SearchSource } from './search/history-search.js';
import { safeExternalUrl } from '../external-links.js';
import { parseXmppUri } from '../xmpp-uri.js';
import { NO_SHELL, type DesktopShell } from './desktop/desktop-shell.js';
import { Notifier } from './desktop/notifications.js';
import { shellLanguage } from './desktop/shell-texts.js';

export interface CoreOptions {
  profileDir: string;
  secretBox: SecretBox;
  /** Trust anchors (PEM) beyond the system's: a company CA set by the installation, or a test CA. */
  extraAnchors?: readonly string[];
  /** Timeouts, backoff, DNS: tests shorten them. */
  connection?: AccountDeps['connection'];
  /** Asks the user for a folder (a native dialog in the app); undefined: cancelled. Absent: not possible here. */
  pickFolder?: (purpose: 'import-libotr' | 'export-libotr') => Promise<string | undefined>;
  /** Long-term OTR keys and instance tags; the profile's OTR store when absent. */
  otrIdentities?: OtrIdentitySource;
  /** The administrator's policy (main reads it from the registry, managed preferences or /etc); none when absent. */
  policy?: PolicyGate;
  /** Bounds and write coalescing of the chat history (tests and benchmarks shorten them). */
  history?: HistoryStoreOptions;
  /**
   * Hands an https: or mailto: address (already checked here) to the system: Electron's shell in the app,
   * a record in the development host. Absent: links cannot be opened here.
   */
  openExternal?: (href: string) => Promise<void>;
  /** Notifications, unread badge, tray (Electron's in the app, a recording one in the development host); none when absent. */
  shell?: DesktopShell;
  /** The OS's preferred languages (BCP 47), best first: the 'system' language setting follows them. */
  systemLanguages?: () => readonly string[];
  /**
   * End-to-end encryption schemes besides OTR, preferred to it in this order (e2ee/provider.ts). The app has
   * none yet; tests register a double of the seam.
   */
  e2eeProviders?: readonly E2eeProviderFactory[];
  /**
   * OMEMO (e2ee/omemo/) beside OTR, preferred to it for contacts who announce OMEMO devices; its keys in the
   * profile's omemo/ folder, encrypted by the secret box. Off unless asked for (the app turns it on).
   */
  omemo?: boolean;
}

/** Errors of the private conversations that are the user's to read ('not-private'). */
async function userFacing(work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if ((error as { code?: string }).code === 'not-private') throw new UserError('invalid-request', (error as Error).message);
    throw error;
  }
}

export class KlatschCore {
  private readonly events = new EventEmitter();
  private readonly settings: SettingsStore;
  private readonly accounts = new Map<string, Account>();
  /** The last certificate each account (or pending new account, by JID) was refused with: only this may be pinned. */
  private readonly refused = new Map<string, { sha256: string; pem: string }>();
  private readonly otrIdentities: OtrIdentitySource;
  /** Keys, instance tags and the trust in contacts' fingerprints (encrypted at rest). */
  private readonly otr: OtrTrust;
  readonly policy: PolicyGate;
  /** Each account's stored chats (by account id). */
  private readonly histories = new Map<string, HistoryStore>();
  /** Desktop notifications, the unread badge and the tray (desktop/notifications.ts). */
  private readonly notifier: Notifier;
  private desktopRefreshScheduled = false;
  /** Each account's stored group chat messages (by account id): a file of their own. */
  private readonly roomHistories = new Map<string, HistoryStore>();
  /** Per account: messages the server has not acknowledged yet (store/outbox-store.ts). */
  private readonly outboxes = new Map<string, OutboxStore>();

  constructor(private readonly options: CoreOptions) {
    this.policy = options.policy ?? new PolicyGate();
    this.settings = SettingsStore.inProfile(options.profileDir);
    this.otr = new OtrTrust(options.profileDir, options.secretBox, {
      keyChanged: (jid) => this.accountByJid(jid)?.refreshView(),
      trustChanged: (jid) => {
        const account = this.accountByJid(jid);
        if (!account) return;
        account.refreshContacts();
        this.emit('trustChanged', { accountId: account.id });
      },
    });
    this.otrIdentities = options.otrIdentities ?? this.otr.identities;
    this.notifier = new Notifier({
      shell: options.shell ?? NO_SHELL,
      prefs: () => {
        const { values } = this.settingsView();
        return { notifications: values.notifications, sound: values.notificationSound, language: this.shellLanguage() };
      },
      openChat: (chat) => this.emit('chatOpenRequested', chat),
    });
  }

  private accountByJid(jid: string): Account | undefined {
    return [...this.accounts.values()].find((a) => a.settings.jid === jid.toLowerCase());
  }

  /** Loads settings and signs in every account whose password is stored. */
  async start(): Promise<void> {
    await this.settings.load();
    await this.otr.ready.catch(() => undefined);
    for (const stored of this.settings.accounts()) {
      const account = this.makeAccount(stored, { history: await this.openHistory(stored.id), roomHistory: await this.openRoomHistory(stored.id), outbox: await this.openOutbox(stored.id) });
      const password = this.storedPassword(stored);
      if (password !== undefined) account.connection.connect(password).catch(() => undefined);
    }
    this.refreshDesktop();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.accounts.values()].map((a) => a.close()));
  }

  onEvent(listener: <E extends EventName>(name: E, payload: EventOf<E>) => void): () => void {
    const wrapped = (name: EventName, payload: unknown) => listener(name, payload as never);
    this.events.on('event', wrapped);
    return () => this.events.off('event', wrapped);
  }

  private emit<E extends EventName>(name: E, payload: EventOf<E>): void {
    this.events.emit('event', name, payload);
    if (name === 'contactUpdated' || name === 'rosterReplaced' || name === 'accountRemoved' || name === 'accountUpdated') this.scheduleDesktopRefresh();
  }

  /**
   * The administrator's policy changed while the app runs (the main process watches it): it
   * applies from now on, and the user is told which settings changed. Accounts follow it at their
   * next sign-in; the settings on screen at once.
   */
  applyPolicy(loaded: LoadedPolicy): string[] {
    const changed = this.policy.replace(loaded);
    if (changed.length === 0) return changed;
    const accounts = [...this.accounts.values()];
    this.emit('policyChanged', { policy: this.policy.view(accounts.map((a) => a.settings.jid)), changed: changed.slice(0, 64) });
    this.emit('settingsChanged', this.settingsView());
    return changed;
  }

  snapshot(): Snapshot {
    const accounts = [...this.accounts.values()];
    return {
      accounts: accounts.map((a) => a.view()),
      rosters: Object.fromEntries(accounts.map((a) => [a.id, a.contacts()])),
      chats: Object.fromEntries(accounts.map((a) => [a.id, a.chats.snapshot()])),
      secretStorage: this.options.secretBox.status(),
      ...(this.storageProblems() ? { storageProblem: this.storageProblems() } : {}),
      policy: this.policy.view(accounts.map((a) => a.settings.jid)),
      subscriptionRequests: Object.fromEntries(accounts.map((a) => [a.id, a.contactManager.requests()])),
      avatars: Object.fromEntries(accounts.map((a) => [a.id, a.avatars.snapshot()])),
      settings: this.settingsView(),
      rooms: Object.fromEntries(accounts.map((a) => [a.id, a.rooms.views()])),
      roomMessages: Object.fromEntries(accounts.map((a) => [a.id, a.rooms.messagesSnapshot()])),
      invitations: Object.fromEntries(accounts.map((a) => [a.id, a.rooms.invitations.list()])),
    };
  }

  private storageProblems(): string | undefined {
    const histories = [...this.histories.values(), ...this.roomHistories.values()].flatMap((h) => [h.problem, h.saveError]);
    const outboxes = [...this.outboxes.values()].flatMap((o) => [o.problem, o.saveError]);
    const problems = [this.settings.problem, this.otr.problem, ...histories, ...outboxes].filter(Boolean);
    return problems.length > 0 ? problems.join(' ') : undefined;
  }

  /** The request handlers, for `createDispatcher`. */
  readonly handlers: Handlers = {
    getSnapshot: async () => this.snapshot(),

    addAccount: async ({ jid, password, rememberPassword, host, port, directTls, trustCertificate }) => {
      const bare = jid.toLowerCase();
      if ([...this.accounts.values()].some((a) => a.settings.jid === bare)) {
        throw new UserError('already-exists', 'This account is already set up.');
      }
      this.allowedByPolicy(() => {
        this.policy.checkNewAccount(bare, [...this.accounts.values()].map((a) => a.settings.jid));
        const conflict = this.policy.connectionConflict(bare, { host, port, directTls });
        if (conflict) throw new PolicyRefusal(conflict);
        if (trustCertificate && this.policy.pinnedCertificates(bare)) throw new PolicyRefusal('Your administrator decides which certificates this server may use.');
      });
      const stored: StoredAccount = {
        id: randomUUID(),
        jid: bare,
        ...(host ? { host } : {}),
        ...(port ? { port } : {}),
        directTls: directTls ?? false,
        rememberPassword,
        ownPresence: { show: 'online', status: '' },
      };
      if (trustCertificate) stored.pinnedCertificate = this.takeRefused(bare, trustCertificate);
      const account = this.makeAccount(stored, { announce: false, history: await this.openHistory(stored.id), roomHistory: await this.openRoomHistory(stored.id), outbox: await this.openOutbox(stored.id) });
      try {
        await account.connection.connect(password, false);
      } catch (error) {
        this.accounts.delete(account.id);
        await account.close();
        await this.dropHistory(account.id);
        this.rememberRefused(bare, error);
        throw error;
      }
      try {
        await this.settings.upsertAccount(this.withPassword(stored, rememberPassword ? password : undefined));
      } catch (error) {
        this.accounts.delete(account.id);
        await account.close();
        await this.dropHistory(account.id);
        throw new UserError('storage', `The account could not be saved: ${(error as Error).message}`);
      }
      account.update(this.settings.account(stored.id)!);
      this.emit('rosterReplaced', { accountId: account.id, contacts: account.contacts() });
      // Messages that came before the account was saved (offline storage, the archive's newest page) were not announced.
      for (const list of Object.values(account.chats.snapshot())) for (const message of list) this.emit('messageUpserted', { accountId: account.id, message });
      return account.view();
    },

    connectAccount: async ({ accountId, password, rememberPassword }) => {
      const account = this.account(accountId);
      const stored = account.settings;
      const secret = password ?? this.storedPassword(stored);
      if (secret === undefined) {
        if (account.connection.retry()) return {}; // the password typed earlier in this session
        throw new UserError('auth-failed', 'Enter the password to sign in.');
      }
      if (password !== undefined && rememberPassword !== undefined) {
        await this.saveAccount(account, this.withPassword({ ...stored, rememberPassword }, rememberPassword ? password : undefined));
      }
      try {
        await account.connection.connect(secret);
      } catch (error) {
        this.rememberRefused(accountId, error);
        if (error instanceof ClassifiedError && error.appError.code === 'auth-failed' && stored.password) {
          // A stored password that the server refuses is dropped rather than retried forever.
          await this.saveAccount(account, this.withPassword(account.settings, undefined));
        }
        throw error;
      }
      return {};
    },

    disconnectAccount: async ({ accountId }) => {
      await this.account(accountId).signOut();
      return {};
    },

    removeAccount: async ({ accountId }) => {
      const account = this.account(accountId);
      await this.settings.removeAccount(accountId);
      this.accounts.delete(accountId);
      await account.close();
      await this.dropHistory(accountId); // the account's chats go with it
      this.emit('accountRemoved', { accountId });
      return {};
    },

    trustCertificate: async ({ accountId, sha256 }) => {
      const account = this.account(accountId);
      this.allowedByPolicy(() => {
        if (this.policy.pinnedCertificates(account.settings.jid)) throw new PolicyRefusal('Your administrator decides which certificates this server may use.');
      });
      const pinned = this.takeRefused(accountId, sha256);
      await this.saveAccount(account, { ...account.settings, pinnedCertificate: pinned });
      const password = this.storedPassword(account.settings);
      if (password !== undefined) account.connection.connect(password).catch(() => undefined);
      else if (!account.connection.retry()) await account.connection.disconnect(); // offline: the UI asks for the password
      return {};
    },

    setPresence: async ({ accountId, show, status }) => {
      const account = this.account(accountId);
      await this.saveAccount(account, { ...account.settings, ownPresence: { show, status } });
      await account.setPresence(show, status);
      return {};
    },

    sendMessage: async ({ accountId, to, body }) => {
      this.allowedByPolicy(() => this.policy.checkRemote(this.account(accountId).settings.jid, to));
      try {
        return await this.account(accountId).sendMessage(to, body);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'not-connected' || code === 'invalid-request') throw new UserError(code, (error as Error).message);
        throw error;
      }
    },

    setChatState: async ({ accountId, peer, state }) => {
      this.allowedByPolicy(() => this.policy.checkRemote(this.account(accountId).settings.jid, peer));
      await this.account(accountId).setChatState(peer, state);
      return {};
    },

    correctMessage: async ({ accountId, peer, id, body }) => {
      this.allowedByPolicy(() => this.policy.checkRemote(this.account(accountId).settings.jid, peer));
      try {
        return await this.account(accountId).correctMessage(peer, id, body);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'not-connected' || code === 'not-found' || code === 'invalid-request') throw new UserError(code, (error as Error).message);
        throw error;
      }
    },

    markRead: async ({ accountId, peer }) => {
      this.account(accountId).markRead(peer);
      return {};
    },

    resendMessage: async ({ accountId, peer, id }) => {
      this.allowedByPolicy(() => this.policy.checkRemote(this.account(accountId).settings.jid, peer));
      try {
        return await this.account(accountId).resendMessage(peer.toLowerCase(), id);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'not-connected' || code === 'not-found') throw new UserError(code, (error as Error).message);
        throw error;
      }
    },

    startPrivate: async ({ accountId, peer, scheme }) => {
      const account = this.account(accountId);
      this.allowedByPolicy(() => this.policy.checkRemote(account.settings.jid, peer));
      if (!account.connection.activeSession) throw new UserError('not-connected', 'Sign in first to start a private conversation.');
      await userFacing(account.startPrivate(peer.toLowerCase(), scheme));
      return {};
    },

    endPrivate: async ({ accountId, peer }) => {
      await this.account(accountId).endPrivate(peer.toLowerCase());
      return {};
    },

    startSmp: async ({ accountId, peer, secret, question }) => {
      await userFacing(this.otrChats(this.privateAccount(accountId)).startSmp(peer.toLowerCase(), secret, question));
      return {};
    },

    respondSmp: async ({ accountId, peer, requestId, secret }) => {
      await userFacing(this.otrChats(this.privateAccount(accountId)).respondSmp(peer.toLowerCase(), requestId, secret));
      return {};
    },

    abortSmp: async ({ accountId, peer }) => {
      await this.otrChats(this.account(accountId)).abortSmp(peer.toLowerCase());
      return {};
    },

    dismissSmp: async ({ accountId, peer }) => {
      await this.otrChats(this.account(accountId)).dismissSmp(peer.toLowerCase());
      return {};
    },

    acceptKey: async ({ accountId, peer, scheme, key }) => {
      this.otrKeys(scheme);
      const accepted = await this.otrChats(this.account(accountId)).acceptKey(peer.toLowerCase(), key);
      if (!accepted) throw new UserError('not-found', 'That key is no longer waiting to be accepted.');
      return {};
    },

    setTrust: async ({ accountId, peer, scheme, key, verified }) => {
      this.otrKeys(scheme);
      const account = this.account(accountId);
      const fp = this.fingerprintArg(key);
      const changed = await this.trustChange(() => this.otr.setTrust(account.settings.jid, peer.toLowerCase(), fp, verified));
      // The chat says so: its log never contradicts the header.
      if (changed) await this.otrChats(account).trustChangedByUser(peer.toLowerCase(), humanFingerprint(fp), verified ? 'verified' : 'unverified');
      return {};
    },

    forgetKey: async ({ accountId, peer, scheme, key }) => {
      this.otrKeys(scheme);
      const account = this.account(accountId);
      const fp = this.fingerprintArg(key);
      const wasVerified = await this.trustChange(() => this.otr.forget(account.settings.jid, peer.toLowerCase(), fp));
      if (wasVerified) await this.otrChats(account).trustChangedByUser(peer.toLowerCase(), humanFingerprint(fp), 'forgotten');
      return {};
    },

    listTrust: async () =>
      this.otr.list(
        [...this.accounts.values()].map((a) => ({
          id: a.id,
          jid: a.settings.jid,
          inUse: (peer: string) => (a.e2ee.view(peer)?.scheme === OTR_SCHEME ? a.e2ee.view(peer)?.fingerprint : undefined),
        })),
      ),

    importLibotr: async ({ replaceKeys }) => {
      const dir = await this.pick('import-libotr');
      if (dir === undefined) return { cancelled: true, accounts: [], fingerprints: 0 };
      const accounts = [...this.accounts.values()];
      let result;
      try {
        result = await this.otr.importFolder(dir, accounts.map((a) => a.settings.jid), replaceKeys ?? false);
      } catch (error) {
        if (error instanceof KeyConflictError) throw new UserError('already-exists', error.message);
        if (error instanceof OtrStoreError) throw new UserError('storage', error.message);
        throw error;
      }
      // Private conversations made with the old keys end; new ones use the imported key.
      for (const imported of result.accounts) {
        const account = this.accountByJid(imported.jid);
        if (account) await this.otrChats(account).identityChanged();
      }
      return { cancelled: false, ...result };
    },

    exportLibotr: async () => {
      const dir = await this.pick('export-libotr');
      if (dir === undefined) return { cancelled: true };
      try {
        await this.otr.exportFolder(dir);
      } catch (error) {
        throw new UserError('storage', `The files could not be written: ${(error as Error).message}`);
      }
      return { cancelled: false, folder: dir };
    },

    setOtrPolicy: async ({ accountId, peer, policy }) => {
      const account = this.account(accountId);
      if (this.policy.otrPolicyLocked) throw new UserError('forbidden-by-policy', `The privacy setting is locked. ${this.policy.reason}`);
      const jid = peer.toLowerCase();
      const { [jid]: _old, ...others } = account.settings.otrPolicies ?? {};
      await this.saveAccount(account, { ...account.settings, otrPolicies: policy ? { ...others, [jid]: policy } : others });
      await account.e2eePolicyChanged(jid);
      return {};
    },

    setKeepPrivateHistory: async ({ accountId, peer, keep }) => {
      const account = this.account(accountId);
      if (keep && !this.policy.historyKept()) throw new UserError('forbidden-by-policy', `Your administrator has turned the chat history off. ${this.policy.reason}`);
      const jid = peer.toLowerCase();
      const kept = (account.settings.keepPrivateHistory ?? []).filter((p) => p !== jid);
      const dropped = (account.settings.dropPrivateHistory ?? []).filter((p) => p !== jid);
      await this.saveAccount(account, {
        ...account.settings,
        keepPrivateHistory: keep ? [...kept, jid] : kept,
        dropPrivateHistory: keep ? dropped : [...dropped, jid],
      });
      account.keepPrivateHistoryChanged(jid);
      return {};
    },

    // Contacts and subscriptions (contacts.ts): errors there are already the user's to read.
    addContact: async ({ accountId, jid, name, groups }) => {
      this.allowedByPolicy(() => this.policy.checkRemote(this.account(accountId).settings.jid, jid, 'contact'));
      await this.account(accountId).contactManager.add(jid, name, groups);
      return {};
    },

    removeContact: async ({ accountId, jid }) => {
      await this.account(accountId).contactManager.remove(jid);
      return {};
    },

    renameContact: async ({ accountId, jid, name }) => {
      await this.account(accountId).contactManager.rename(jid, name);
      return {};
    },

    setContactGroups: async ({ accountId, jid, groups }) => {
      await this.account(accountId).contactManager.setGroups(jid, groups);
      return {};
    },

    approveSubscription: async ({ accountId, jid }) => {
      await this.account(accountId).contactManager.approve(jid);
      return {};
    },

    denySubscription: async ({ accountId, jid }) => {
      await this.account(accountId).contactManager.deny(jid);
      return {};
    },

    setAvatar: async ({ accountId, image }) => {
      const account = this.account(accountId);
      await account.avatars.setOwn(account.settings.jid, image);
      return {};
    },

    // --- accounts-search ---
    searchHistory: async ({ query, accountId, limit }) => {
      if (accountId !== undefined) this.account(accountId);
      const unkept = this.unkeptChats(accountId);
      return { ...searchMessages(this.searchSources(accountId), query, limit), ...(unkept.length > 0 ? { unkept } : {}) };
    },

    openExternalLink: async ({ url }) => {
      // The renderer asked the user, but what reaches the system is decided here, again.
      const safe = safeExternalUrl(url);
      if (!safe) throw new UserError('invalid-request', 'Klatsch opens only https:, mailto: and xmpp: links, and none that hide their address.');
      if (safe.protocol === 'xmpp:') {
        const link = parseXmppUri(safe.href);
        if (!link) throw new UserError('invalid-request', 'That xmpp: link could not be read.');
        this.emit('xmppLinkOpened', link);
        return { opened: 'in-app' as const };
      }
      if (!this.options.openExternal) throw new UserError('invalid-request', 'Opening links is not possible here.');
      await this.options.openExternal(safe.href);
      return { opened: 'external' as const };
    },

    // App-wide settings and the window's state (desktop notifications).
    setSettings: async (changes) => {
      if (changes.notifications !== undefined && this.policy.notificationsLocked) {
        throw new UserError('forbidden-by-policy', `The notification setting is locked. ${this.policy.reason}`);
      }
      if (changes.waitForPrivate !== undefined && this.policy.waitForPrivateLocked) {
        throw new UserError('forbidden-by-policy', `Waiting for a private conversation is set by your administrator. ${this.policy.reason}`);
      }
      if (changes.otrV3Only !== undefined && this.policy.otrV3OnlyLocked) {
        throw new UserError('forbidden-by-policy', `The OTR version setting is locked. ${this.policy.reason}`);
      }
      const v3OnlyBefore = this.otrV3Only();
      try {
        await this.settings.setAppSettings(changes);
      } catch (error) {
        throw new UserError('storage', `The settings could not be saved: ${(error as Error).message}`);
      }
      if (this.otrV3Only() !== v3OnlyBefore) await Promise.all([...this.accounts.values()].map((a) => a.e2eePolicyChanged()));
      const view = this.settingsView();
      this.emit('settingsChanged', view);
      this.refreshDesktop(); // the tray's menu follows the language
      return view;
    },

    windowStateChanged: async ({ focused, openChat }) => {
      this.notifier.windowState({ focused, openChat: openChat ? { accountId: openChat.accountId, peer: openChat.peer.toLowerCase() } : null });
      return {};
    },

    // Group chats (muc/rooms.ts): errors there are already the user's to read.
    joinRoom: async ({ accountId, room, nick, password }) => {
      const account = this.account(accountId);
      this.groupChatsAllowed(account, room.includes('@') ? room : undefined, 'room');
      return account.rooms.join(room, nick, password);
    },

    leaveRoom: async ({ accountId, room }) => {
      await this.account(accountId).rooms.leave(room);
      return {};
    },

    sendRoomMessage: async ({ accountId, room, body }) => {
      const account = this.account(accountId);
      this.groupChatsAllowed(account, room);
      return account.rooms.send(room, body);
    },

    setRoomSubject: async ({ accountId, room, subject }) => {
      const account = this.account(accountId);
      this.groupChatsAllowed(account, room);
      await account.rooms.setSubject(room, subject);
      return {};
    },

    markRoomRead: async ({ accountId, room }) => {
      this.account(accountId).rooms.markRead(room);
      return {};
    },

    listRooms: async ({ accountId }) => {
      const account = this.account(accountId);
      this.groupChatsAllowed(account, undefined);
      return account.rooms.list();
    },

    inviteToRoom: async ({ accountId, room, contact, reason, via }) => {
      const account = this.account(accountId);
      this.groupChatsAllowed(account, room);
      this.allowedByPolicy(() => this.policy.checkRemote(account.settings.jid, contact));
      await account.rooms.invite(room, contact, reason, via);
      return {};
    },

    acceptInvitation: async ({ accountId, id, nick }) => {
      const account = this.account(accountId);
      // The policy may have changed since the invitation came (it was checked then).
      this.groupChatsAllowed(account, account.rooms.invitations.list().find((i) => i.id === id)?.room, 'room');
      return account.rooms.acceptInvitation(id, nick);
    },

    declineInvitation: async ({ accountId, id }) => {
      await this.account(accountId).rooms.declineInvitation(id);
      return {};
    },

    // --- Message archive (XEP-0313) ---
    loadOlderMessages: async ({ accountId, peer }) => {
      this.allowedByPolicy(() => this.policy.checkRemote(this.account(accountId).settings.jid, peer));
      try {
        return await this.account(accountId).loadOlderMessages(peer);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'not-connected' || code === 'invalid-request' || code === 'server-error') throw new UserError(code, (error as Error).message);
        throw error;
      }
    },
  };

  /**
   * What a search looks through: each account's stored history — which holds private messages only where
   * the user keeps them (the default). Without a stored history (the policy keeps none) the chats of this session,
   * less their private messages: the same promise, nothing private is searchable unless kept.
   */
  private *searchSources(accountId?: string): Generator<SearchSource> {
    for (const account of this.accounts.values()) {
      if (accountId !== undefined && account.id !== accountId) continue;
      const history = this.histories.get(account.id);
      if (history) {
        yield { accountId: account.id, search: (words, max) => history.search(words, max) };
        continue;
      }
      const chats = Object.entries(account.chats.snapshot()).map(
        ([peer, list]) => [peer, list.filter((m) => !m.encrypted)] as [string, typeof list],
      );
      yield { accountId: account.id, chats };
    }
  }

  /**
   * Per chat, how many private messages the search cannot find because they were not kept: the stored
   * history's count (this session's included), or without one this session's private messages.
   */
  private unkeptChats(accountId?: string): { accountId: string; peer: string; count: number }[] {
    const found: { accountId: string; peer: string; count: number }[] = [];
    for (const account of this.accounts.values()) {
      if (accountId !== undefined && account.id !== accountId) continue;
      const history = this.histories.get(account.id);
      const counts = history
        ? history.unkeptCounts()
        : new Map(
            Object.entries(account.chats.snapshot()).map(([peer, list]) => [peer, list.filter((m) => m.encrypted && m.direction !== 'notice').length] as const),
          );
      for (const [peer, count] of counts) if (count > 0) found.push({ accountId: account.id, peer, count });
    }
    return found;
  }

  /** The app-wide settings in force: the administrator's policy over the user's choice. */
  settingsView(): SettingsView {
    const stored = this.settings.appSettings();
    return {
      values: {
        ...stored,
        notifications: this.policy.notifications(stored.notifications),
        otrV3Only: this.otrV3Only(),
        waitForPrivate: this.policy.waitForPrivate(stored.waitForPrivate),
      },
      locked: {
        ...(this.policy.notificationsLocked ? { notifications: this.policy.reason } : {}),
        ...(this.policy.otrV3OnlyLocked ? { otrV3Only: this.policy.reason } : {}),
        ...(this.policy.waitForPrivateLocked ? { waitForPrivate: this.policy.reason } : {}),
      },
    };
  }

  /** Private conversations in OTR version 3 only: the administrator's policy over the user's choice. */
  private otrV3Only(): boolean {
    return this.policy.otrV3Only(this.settings.appSettings().otrV3Only);
  }

  /** Electron's BrowserWindow gained or lost the focus. */
  windowFocusChanged(focused: boolean): void {
    this.notifier.windowFocused(focused);
  }

  /** The tray's presence menu: every account takes this presence, keeping its status text. */
  async setPresenceEverywhere(show: OwnShow): Promise<void> {
    for (const account of [...this.accounts.values()]) {
      await this.handlers.setPresence({ accountId: account.id, show, status: account.settings.ownPresence.status });
    }
  }

  private shellLanguage() {
    return shellLanguage(this.settings.appSettings().language, this.options.systemLanguages?.() ?? []);
  }

  /** Many events come in bursts (a roster of thousands): the badge and the tray are updated once per burst. */
  private scheduleDesktopRefresh(): void {
    if (this.desktopRefreshScheduled) return;
    this.desktopRefreshScheduled = true;
    setImmediate(() => {
      this.desktopRefreshScheduled = false;
      this.refreshDesktop();
    });
  }

  /** The unread count (contacts' chats, as the window title counts them) and the tray's presence: the first signed-in account's. */
  private refreshDesktop(): void {
    let unread = 0;
    let presence: PresenceShow = 'offline';
    for (const account of this.accounts.values()) {
      for (const peer of account.chats.peers()) if (account.roster.has(peer)) unread += account.chats.unread(peer);
      if (presence === 'offline' && account.connection.state.kind === 'online') presence = account.settings.ownPresence.show;
    }
    this.notifier.unreadCount(unread);
    this.notifier.trayPresence(presence);
  }

  /**
   * Group chats are plaintext to the server and every occupant: refused where the administrator
   * requires end-to-end encryption for every message, and for rooms the remote-address rules deny.
   */
  private groupChatsAllowed(account: Account, room: string | undefined, action: 'message' | 'room' = 'message'): void {
    const refusal = this.policy.groupChatRefusal();
    if (refusal) throw new UserError('forbidden-by-policy', refusal);
    if (room) this.allowedByPolicy(() => this.policy.checkRemote(account.settings.jid, room, action));
  }

  /** The account's group chat messages, in a store of their own (none when the policy keeps no history). */
  private async openRoomHistory(accountId: string): Promise<HistoryStore | undefined> {
    if (!this.policy.historyKept()) return HistoryStore.erase(HistoryStore.fileInProfile(this.options.profileDir, `${accountId}-rooms`));
    const history = await HistoryStore.open(HistoryStore.fileInProfile(this.options.profileDir, `${accountId}-rooms`), this.options.secretBox, this.options.history);
    this.roomHistories.set(accountId, history);
    return history;
  }

  /**
   * None when the administrator's policy keeps no history beyond the session. A history stored before
   * the policy came is then deleted: "keep no history" must also hold for what is already on disk.
   */
  private async openHistory(accountId: string): Promise<HistoryStore | undefined> {
    if (!this.policy.historyKept()) return HistoryStore.erase(HistoryStore.fileInProfile(this.options.profileDir, accountId));
    const history = await HistoryStore.open(HistoryStore.fileInProfile(this.options.profileDir, accountId), this.options.secretBox, this.options.history);
    this.histories.set(accountId, history);
    return history;
  }

  private async dropHistory(accountId: string): Promise<void> {
    await this.histories.get(accountId)?.destroy();
    this.histories.delete(accountId);
    await this.roomHistories.get(accountId)?.destroy();
    this.roomHistories.delete(accountId);
    await this.dropOutbox(accountId);
  }

  // ---- Outbox: kept whatever the history policy, since it holds only what is still to be sent ----

  private async openOutbox(accountId: string): Promise<OutboxStore> {
    const outbox = await OutboxStore.open(OutboxStore.fileInProfile(this.options.profileDir, accountId), this.options.secretBox);
    this.outboxes.set(accountId, outbox);
    return outbox;
  }

  private async dropOutbox(accountId: string): Promise<void> {
    await this.outboxes.get(accountId)?.destroy();
    this.outboxes.delete(accountId);
  }

  private makeAccount(
    stored: StoredAccount,
    { announce = true, history, roomHistory, outbox }: { announce?: boolean; history?: HistoryStore; roomHistory?: HistoryStore | undefined; outbox?: OutboxStore } = {},
  ): Account {
    const account = new Account(stored, {
      emit: (name, payload) => {
        // A new account's events start once it is saved: the UI must not show a half-made account.
        if (announce || this.settings.account(stored.id)) this.emit(name, payload);
      },
      extraAnchors: this.options.extraAnchors ?? [],
      hasStoredPassword: (s) => this.storedPassword(s) !== undefined,
      // OTR (e2ee/otr/provider.ts) after any scheme given: the router prefers them in this order.
      e2ee: [
        ...(this.options.e2eeProviders ?? []),
        ...(this.options.omemo ? [(host: E2eeHost) => new OmemoProvider(host, { store: OmemoFileStore.inProfile(this.options.profileDir, stored.jid, this.options.secretBox), request: (iq, ms) => host.request(iq, ms), label: 'Klatsch' })] : []),
        (host) => new OtrProvider(host, this.otrDeps(stored.id)),
      ],
      ownKey: (jid) => this.otr.accountKey(jid),
      allowedSchemes: () => this.policy.encryptionSchemes(),
      ...(history ? { history } : {}),
      rooms: {
        ...(roomHistory ? { history: roomHistory } : {}),
        // The rooms to enter again after signing in, in the account's settings (written atomically).
        save: async (rooms) => {
          const account = this.accounts.get(stored.id);
          if (account && this.settings.account(stored.id)) await this.saveAccount(account, { ...account.settings, rooms });
        },
        allowed: (room, from) => {
          try {
            if (this.policy.groupChatRefusal()) return false;
            this.policy.checkRemote(stored.jid, room);
            if (from) this.policy.checkRemote(stored.jid, from);
            return true;
          } catch {
            return false;
          }
        },
      },
      ...(outbox ? { outbox } : {}),
      ...(this.options.connection ? { connection: this.options.connection } : {}),
      policy: accountPolicyHooks(this.policy),
      incoming: (message, source) =>
        this.notifier.incoming({
          chat: { accountId: account.id, peer: message.peer },
          senderName: account.roster.item(message.peer)?.name ?? message.peer,
          message,
          source,
          ownShow: account.settings.ownPresence.show,
        }),
    });
    account.connection.on('refused', (error: ClassifiedError) => this.rememberRefused(account.id, error));
    this.accounts.set(account.id, account);
    return account;
  }

  /** Runs a policy check; its refusal reaches the user as `forbidden-by-policy`. */
  private allowedByPolicy(check: () => void): void {
    try {
      check();
    } catch (error) {
      if (error instanceof PolicyRefusal) throw new UserError('forbidden-by-policy', error.message, error.remote);
      throw error;
    }
  }

  private pick(purpose: 'import-libotr' | 'export-libotr'): Promise<string | undefined> {
    if (!this.options.pickFolder) throw new UserError('invalid-request', 'Choosing a folder is not possible here.');
    return this.options.pickFolder(purpose);
  }

  /** What OTR needs of the core for account `accountId`: keys, trust, the contact's policy, the settings it follows. */
  private otrDeps(accountId: string): OtrProviderDeps {
    const settings = () => this.accounts.get(accountId)?.settings ?? this.settings.account(accountId);
    return {
      identities: this.otrIdentities,
      trust: this.otr,
      policyFor: (peer) => this.policy.otrPolicy(settings()?.otrPolicies?.[peer] ?? DEFAULT_OTR_POLICY),
      waitForPrivate: () => this.policy.waitForPrivate(this.settings.appSettings().waitForPrivate),
      otrContacts: () => settings()?.otrContacts ?? [],
      // Contacts whose app speaks OTR, kept with the account (the first message to them may wait for privacy).
      saveOtrContacts: async (otrContacts) => {
        const account = this.accounts.get(accountId);
        if (account && this.settings.account(accountId)) await this.saveAccount(account, { ...account.settings, otrContacts });
      },
      v3Only: () => this.otrV3Only(),
    };
  }

  /** Keys and trust are OTR's store's today: a key of another scheme is refused as such. */
  private otrKeys(scheme: string): void {
    if (scheme !== OTR_SCHEME) throw new UserError('invalid-request', `Keys of the scheme “${scheme}” are not known here.`);
  }

  /** The account's OTR conversations, for the requests only OTR has (SMP, a key to accept, trust set by hand). */
  private otrChats(account: Account): PrivateChats {
    const otr = account.e2ee.provider<OtrProvider>(OTR_SCHEME);
    if (!otr) throw new UserError('invalid-request', 'OTR is not available for this account.');
    return otr.chats;
  }

  /** An account that is signed in (SMP messages go through the private conversation). */
  private privateAccount(id: string): Account {
    const account = this.account(id);
    if (!account.connection.activeSession) throw new UserError('not-connected', 'Sign in first to authenticate a contact.');
    return account;
  }

  /** The store's own normalization (any spacing or case → 40 lowercase hex digits), its refusal the user's to read. */
  private fingerprintArg(fingerprint: string): string {
    try {
      return normalizeOtrFingerprint(fingerprint);
    } catch {
      throw new UserError('invalid-request', 'That is not an OTR fingerprint (40 hex digits).');
    }
  }

  /** Store failures (a damaged, read-only store) reach the user as such. */
  private async trustChange<T>(change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error) {
      throw new UserError('storage', (error as Error).message);
    }
  }

  private account(id: string): Account {
    const account = this.accounts.get(id);
    if (!account) throw new UserError('not-found', 'There is no such account.');
    return account;
  }

  private async saveAccount(account: Account, stored: StoredAccount): Promise<void> {
    try {
      await this.settings.upsertAccount(stored);
    } catch (error) {
      throw new UserError('storage', (error as Error).message);
    }
    account.update(stored);
  }

  private withPassword(stored: StoredAccount, password: string | undefined): StoredAccount {
    const { password: _old, ...rest } = stored;
    const box = this.options.secretBox;
    if (password === undefined || !stored.rememberPassword || !box.status().available) return rest;
    return { ...rest, password: { backend: box.backend, data: box.encrypt(password).toString('base64') } };
  }

  private storedPassword(stored: StoredAccount): string | undefined {
    const box = this.options.secretBox;
    if (!stored.password || stored.password.backend !== box.backend || !box.status().available) return undefined;
    try {
      return box.decrypt(Buffer.from(stored.password.data, 'base64'));
    } catch {
      return undefined; // the keyring changed: the user types the password again
    }
  }

  private rememberRefused(key: string, error: unknown): void {
    if (error instanceof ClassifiedError && error.presentedPem && error.appError.certificate) {
      this.refused.set(key, { sha256: error.appError.certificate.sha256, pem: error.presentedPem });
    }
  }

  /** Only a certificate the server really presented, and the user saw, can be pinned. */
  private takeRefused(key: string, sha256: string): { sha256: string; pem: string } {
    const seen = this.refused.get(key);
    if (!seen || normalizeFingerprint(seen.sha256) !== normalizeFingerprint(sha256)) {
      throw new UserError('invalid-request', 'That certificate was not the one the server presented. Try signing in again.');
    }
    this.refused.delete(key);
    return seen;
  }
}

export type { AccountView };
