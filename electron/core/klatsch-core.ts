/**
 * The application core: accounts, their connections and chats, settings and
 * secrets, behind the IPC contract. Plain Node: Electron's services come in
 * through the constructor, so the same core runs in the app, in the
 * development host and in tests.
 *
 * Composition only: what each request does lives in handlers/ (one file per domain). Over 400 lines because
 * the per-account stores (history, rooms, outbox), the refused certificates and the stored passwords open,
 * close and drop together with the accounts they belong to; split apart, their lifecycles would drift.
 */
import { EventEmitter } from 'node:events';
import type { AccountView, EventName, EventOf, OwnShow, PresenceShow, SettingsView, Snapshot, WordedReason } from '../../shared/contract.js';
import { Account, type AccountDeps } from './account.js';
import type { Handlers } from './ipc/dispatch.js';
import { KlatschError } from './errors.js';
import { accountHandlers } from './handlers/accounts.js';
import { archiveHandlers } from './handlers/archive.js';
import { chatHandlers } from './handlers/chat.js';
import { contactHandlers } from './handlers/contacts.js';
import { e2eeHandlers } from './handlers/e2ee.js';
import { roomHandlers } from './handlers/rooms.js';
import { settingsHandlers } from './handlers/settings.js';
import { HistoryStore, type HistoryStoreOptions } from './store/history-store.js';
import { OutboxStore } from './store/outbox-store.js';
import type { SecretBox } from './store/secret-box.js';
import { SettingsStore, type StoredAccount } from './store/settings-store.js';
import { ClassifiedError } from './xmpp/errors.js';
import { prepareVerifiedTrust } from './xmpp/tls-policy.js';
import { toCertFingerprint } from './values/fingerprint.js';
import { OtrTrust } from './e2ee/otr/otr-trust.js';
import type { OtrIdentitySource } from './e2ee/otr/private-chats.js';
import type { E2eeProviderFactory } from './e2ee/router.js';
import type { E2eeHost } from './e2ee/provider.js';
import { OmemoProvider } from './e2ee/omemo/provider.js';
import { OmemoFileStore, type OmemoState, type OmemoStateStore } from './e2ee/omemo/omemo-store.js';
import { DEFAULT_OTR_POLICY, OtrProvider, type OtrProviderDeps } from './e2ee/otr/provider.js';
import { PolicyGate, PolicyRefusal } from './policy/policy-gate.js';
import type { LoadedPolicy } from './policy/read-policy.js';
import { accountPolicyHooks } from './policy/account-policy.js';
import { NO_SHELL, type DesktopShell } from './desktop/desktop-shell.js';
import { Notifier } from './desktop/notifications.js';
import { languageFor } from '../../shared/i18n/catalog.js';

export interface CoreOptions {
  profileDir: string;
  secretBox: SecretBox;
  /** Trust anchors (PEM) beyond the system's: a company CA set by the installation, or a test CA. */
  extraAnchors?: readonly string[];
  /** Timeouts, backoff, DNS: tests shorten them. */
  connection?: AccountDeps['connection'];
  /** When an unconfirmed message is marked (receipts/unconfirmed.ts): tests shorten it. */
  unconfirmed?: AccountDeps['unconfirmed'];
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

export class KlatschCore {
  private readonly events = new EventEmitter();
  readonly settings: SettingsStore;
  readonly accounts = new Map<string, Account>();
  /** Each account's settings save in progress (saveAccount runs them one after the other). */
  private readonly accountSaves = new Map<string, Promise<void>>();
  /** The last certificate each account (or pending new account, by JID) was refused with: only this may be pinned. */
  private readonly refused = new Map<string, { sha256: string; pem: string }>();
  private readonly otrIdentities: OtrIdentitySource;
  /** Keys, instance tags and the trust in contacts' fingerprints (encrypted at rest). */
  readonly otr: OtrTrust;
  readonly policy: PolicyGate;
  /** Each account's stored chats (by account id). */
  readonly histories = new Map<string, HistoryStore>();
  /** Desktop notifications, the unread badge and the tray (desktop/notifications.ts). */
  readonly notifier: Notifier;
  private desktopRefreshScheduled = false;
  /** Each account's stored group chat messages (by account id): a file of their own. */
  private readonly roomHistories = new Map<string, HistoryStore>();
  /** Per account: messages the server has not acknowledged yet (store/outbox-store.ts), in the history's database. */
  private readonly outboxes = new Map<string, OutboxStore>();
  /** Each account's OMEMO key file (when OMEMO is on): a damaged one is among the storage problems. */
  private readonly omemoStores = new Map<string, OmemoFileStore>();

  constructor(readonly options: CoreOptions) {
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

  accountByJid(jid: string): Account | undefined {
    return [...this.accounts.values()].find((a) => a.settings.jid === jid.toLowerCase());
  }

  /** Loads settings and signs in every account whose password is stored. */
  async start(): Promise<void> {
    // Off the sign-in's critical turn: the first TLS connection finds its trust anchors parsed.
    prepareVerifiedTrust(this.options.extraAnchors ?? []).catch(() => undefined);
    await this.settings.load();
    await this.otr.ready.catch(() => undefined);
    for (const stored of this.settings.accounts()) {
      const account = this.makeAccount(stored, { history: await this.openHistory(stored.id), roomHistory: await this.openRoomHistory(stored.id), outbox: await this.openOutbox(stored.id), omemoStore: await this.openOmemoStore(stored) });
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

  emit<E extends EventName>(name: E, payload: EventOf<E>): void {
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
    // Conversations follow it now: a session of a scheme no longer allowed ends (the peer told, the chat says so).
    for (const account of accounts) void account.e2eePolicyChanged().catch(() => undefined);
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
      ...(this.storageProblems() ? { storageProblem: this.storageProblems(), storageProblems: this.storageReasons() } : {}),
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
    const omemo = [...this.omemoStores.values()].map((s) => s.problem);
    const problems = [this.settings.problem, this.otr.problem, ...histories, ...outboxes, ...omemo].filter(Boolean);
    return problems.length > 0 ? problems.join(' ') : undefined;
  }

  /** The same problems by reason, for the renderer to word. */
  private storageReasons(): WordedReason[] {
    const stores = [...this.histories.values(), ...this.roomHistories.values(), ...this.outboxes.values()];
    const omemo = [...this.omemoStores.values()].map((s) => s.storageProblem);
    return [this.settings.storageProblem, this.otr.storageProblem, ...stores.flatMap((s) => s.storageProblems()), ...omemo].filter((p) => p !== undefined).slice(0, 64);
  }

  /** The request handlers, for `createDispatcher`. */
  /** Every request's handler, grouped by domain (handlers/), checked against the contract as one table. */
  readonly handlers: Handlers = {
    ...accountHandlers(this),
    ...chatHandlers(this),
    ...e2eeHandlers(this),
    ...contactHandlers(this),
    ...roomHandlers(this),
    ...archiveHandlers(this),
    ...settingsHandlers(this),
  };



  /** The app-wide settings in force: the administrator's policy over the user's choice. */
  settingsView(): SettingsView {
    const stored = this.settings.appSettings();
    return {
      values: {
        ...stored,
        notifications: this.policy.notifications(stored.notifications),
        otrV3Only: this.otrV3Only(),
        waitForPrivate: this.policy.waitForPrivate(stored.waitForPrivate),
        omemoTrust: this.policy.omemoTrust(stored.omemoTrust),
      },
      locked: {
        ...(this.policy.notificationsLocked ? { notifications: this.policy.reason } : {}),
        ...(this.policy.otrV3OnlyLocked ? { otrV3Only: this.policy.reason } : {}),
        ...(this.policy.waitForPrivateLocked ? { waitForPrivate: this.policy.reason } : {}),
        ...(this.policy.omemoTrustLocked ? { omemoTrust: this.policy.reason } : {}),
      },
    };
  }

  /** Private conversations in OTR version 3 only: the administrator's policy over the user's choice. */
  otrV3Only(): boolean {
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
    return languageFor(this.settings.appSettings().language, this.options.systemLanguages?.() ?? []);
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
  refreshDesktop(): void {
    let unread = 0;
    let presence: PresenceShow = 'offline';
    for (const account of this.accounts.values()) {
      for (const peer of account.chats.peers()) if (account.roster.has(peer)) unread += account.chats.unread(peer);
      if (presence === 'offline' && account.connection.state.kind === 'online') presence = account.settings.ownPresence.show;
    }
    this.notifier.unreadCount(unread);
    this.notifier.trayPresence(presence);
  }


  /** The account's group chat messages, in a store of their own (none when the policy keeps no history). */
  async openRoomHistory(accountId: string): Promise<HistoryStore | undefined> {
    if (!this.policy.historyKept()) return HistoryStore.erase(HistoryStore.fileInProfile(this.options.profileDir, `${accountId}-rooms`));
    const history = await HistoryStore.open(HistoryStore.fileInProfile(this.options.profileDir, `${accountId}-rooms`), this.options.secretBox, this.options.history);
    this.roomHistories.set(accountId, history);
    return history;
  }

  /**
   * None when the administrator's policy keeps no history beyond the session. A history stored before
   * the policy came is then deleted: "keep no history" must also hold for what is already on disk.
   */
  async openHistory(accountId: string): Promise<HistoryStore | undefined> {
    if (!this.policy.historyKept()) {
      // The outbox lived in the history's database: what still waits to be sent moves out before it goes (if that
      // cannot be written, the database stays until a start that can: messages not sent are never deleted).
      const file = HistoryStore.fileInProfile(this.options.profileDir, accountId);
      if (await OutboxStore.rescueFrom(file, OutboxStore.fileInProfile(this.options.profileDir, accountId), this.options.secretBox)) return HistoryStore.erase(file);
      return undefined;
    }
    const history = await HistoryStore.open(HistoryStore.fileInProfile(this.options.profileDir, accountId), this.options.secretBox, this.options.history);
    this.histories.set(accountId, history);
    return history;
  }

  async dropHistory(accountId: string): Promise<void> {
    await this.histories.get(accountId)?.destroy();
    this.histories.delete(accountId);
    await this.roomHistories.get(accountId)?.destroy();
    this.roomHistories.delete(accountId);
    await this.dropOutbox(accountId);
  }

  // ---- Outbox: kept whatever the history policy, since it holds only what is still to be sent ----

  /** After openHistory: the outbox goes into the history's database (one commit for both), or its own without one. */
  async openOutbox(accountId: string): Promise<OutboxStore> {
    const outbox = await OutboxStore.open(OutboxStore.fileInProfile(this.options.profileDir, accountId), this.options.secretBox, { history: this.histories.get(accountId) });
    this.outboxes.set(accountId, outbox);
    return outbox;
  }

  private async dropOutbox(accountId: string): Promise<void> {
    await this.outboxes.get(accountId)?.destroy();
    this.outboxes.delete(accountId);
    this.omemoStores.delete(accountId);
  }

  /**
   * The account's OMEMO store (undefined without OMEMO), read once here, before the account exists: a damaged file is
   * among the storage problems from the first snapshot on. The provider gets what was read (later reads read again).
   */
  async openOmemoStore(stored: StoredAccount): Promise<OmemoStateStore | undefined> {
    if (!this.options.omemo) return undefined;
    const file = OmemoFileStore.inProfile(this.options.profileDir, stored.jid, this.options.secretBox);
    this.omemoStores.set(stored.id, file);
    let first: Promise<OmemoState> | undefined = file.load();
    await first.catch(() => undefined);
    return {
      load: () => {
        const read = first ?? file.load();
        first = undefined;
        return read;
      },
      save: (state) => file.save(state),
      get notStoredReason() {
        return file.notStoredReason;
      },
    };
  }

  makeAccount(
    stored: StoredAccount,
    { announce = true, history, roomHistory, outbox, omemoStore }: { announce?: boolean; history?: HistoryStore; roomHistory?: HistoryStore | undefined; outbox?: OutboxStore; omemoStore?: OmemoStateStore | undefined } = {},
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
        ...(this.options.omemo ? [(host: E2eeHost) => new OmemoProvider(host, { store: omemoStore ?? OmemoFileStore.inProfile(this.options.profileDir, stored.jid, this.options.secretBox), request: (iq, ms) => host.request(iq, ms), label: 'Klatsch', trustMode: () => this.policy.omemoTrust(this.settings.appSettings().omemoTrust) })] : []),
        (host) => new OtrProvider(host, this.otrDeps(stored.id)),
      ],
      ownKey: (jid) => this.otr.accountKey(jid),
      allowedSchemes: () => this.policy.encryptionSchemes(),
      e2eeOverride: (peer) => this.policy.e2eeOverride((this.accounts.get(stored.id)?.settings ?? stored).e2eeSchemes?.[peer]),
      ...(history ? { history } : {}),
      rooms: {
        ...(roomHistory ? { history: roomHistory } : {}),
        // The rooms to enter again after signing in, in the account's settings (written atomically).
        save: async (rooms) => {
          const account = this.accounts.get(stored.id);
          if (account && this.settings.account(stored.id)) await this.saveAccount(account, (current) => ({ ...current, rooms }));
        },
        plaintextRefused: () => this.policy.plaintextGroupChatRefusal(),
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
      ...(this.options.unconfirmed ? { unconfirmed: this.options.unconfirmed } : {}),
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
  allowedByPolicy(check: () => void): void {
    try {
      check();
    } catch (error) {
      if (error instanceof PolicyRefusal) throw new KlatschError('forbidden-by-policy', error.message, error.remote ? { remote: error.remote } : undefined);
      throw error;
    }
  }


  /** What OTR needs of the core for account `accountId`: keys, trust, the contact's policy, the settings it follows. */
  private otrDeps(accountId: string): OtrProviderDeps {
    const settings = () => this.accounts.get(accountId)?.settings ?? this.settings.account(accountId);
    return {
      identities: this.otrIdentities,
      trust: this.otr,
      policyFor: (peer) => this.policy.otrPolicy(settings()?.otrPolicies?.[peer] ?? DEFAULT_OTR_POLICY),
      // Another scheme has the chat (a policy without OTR, or the user's override): OTR declines the contact's offers.
      otherScheme: (peer) => {
        const allowed = this.policy.encryptionSchemes();
        if (allowed && !allowed.includes('otr')) return allowed[0] ?? 'none';
        const override = this.policy.e2eeOverride(settings()?.e2eeSchemes?.[peer]);
        return override !== undefined && override !== 'otr' && (override !== 'omemo' || this.options.omemo) ? override : undefined;
      },
      waitForPrivate: () => this.policy.waitForPrivate(this.settings.appSettings().waitForPrivate),
      otrContacts: () => settings()?.otrContacts ?? [],
      // Contacts whose app speaks OTR, kept with the account (the first message to them may wait for privacy).
      saveOtrContacts: async (otrContacts) => {
        const account = this.accounts.get(accountId);
        if (account && this.settings.account(accountId)) await this.saveAccount(account, (current) => ({ ...current, otrContacts }));
      },
      v3Only: () => this.otrV3Only(),
    };
  }






  account(id: string): Account {
    const account = this.accounts.get(id);
    if (!account) throw new KlatschError('not-found', 'There is no such account.', { reason: 'no-such-account' });
    return account;
  }

  /**
   * Changes an account's stored settings: `change` gets them as they are when this save's turn comes, so two
   * saves at once (the rooms list and a per-contact setting, say) never write over each other's change. Saves of
   * one account run one after the other; the account takes the new settings once they are on disk.
   */
  saveAccount(account: Account, change: (current: StoredAccount) => StoredAccount): Promise<void> {
    const save = (this.accountSaves.get(account.id) ?? Promise.resolve()).then(async () => {
      const stored = change(account.settings);
      try {
        await this.settings.upsertAccount(stored);
      } catch (error) {
        throw new KlatschError('storage', (error as Error).message);
      }
      account.update(stored);
    });
    const settled = save.catch(() => undefined);
    this.accountSaves.set(account.id, settled);
    void settled.then(() => {
      if (this.accountSaves.get(account.id) === settled) this.accountSaves.delete(account.id);
    });
    return save;
  }

  withPassword(stored: StoredAccount, password: string | undefined): StoredAccount {
    const { password: _old, ...rest } = stored;
    const box = this.options.secretBox;
    if (password === undefined || !stored.rememberPassword || !box.status().available) return rest;
    return { ...rest, password: { backend: box.backend, data: box.encrypt(password).toString('base64') } };
  }

  storedPassword(stored: StoredAccount): string | undefined {
    const box = this.options.secretBox;
    if (!stored.password || stored.password.backend !== box.backend || !box.status().available) return undefined;
    try {
      return box.decrypt(Buffer.from(stored.password.data, 'base64'));
    } catch {
      return undefined; // the keyring changed: the user types the password again
    }
  }

  rememberRefused(key: string, error: unknown): void {
    if (error instanceof ClassifiedError && error.presentedPem && error.appError.certificate) {
      this.refused.set(key, { sha256: error.appError.certificate.sha256, pem: error.presentedPem });
    }
  }

  /** Only a certificate the server really presented, and the user saw, can be pinned. */
  takeRefused(key: string, sha256: string): { sha256: string; pem: string } {
    const seen = this.refused.get(key);
    if (!seen || toCertFingerprint(seen.sha256) !== toCertFingerprint(sha256)) {
      throw new KlatschError('invalid-request', 'That certificate was not the one the server presented. Try signing in again.', { reason: 'certificate-not-presented' });
    }
    this.refused.delete(key);
    return seen;
  }
}

export type { AccountView };
