/**
 * The one place that answers "may the user do this?" and "which value is in
 * force?" under the administrator's policy. Precedence everywhere: the policy,
 * then the user's setting, then the default. The core asks it before acting,
 * so the renderer cannot get around a lock; `view()` tells the renderer what
 * is locked and why, so it can show the lock.
 */
import type { E2eeScheme, NotificationSetting, OmemoTrustMode, OtrPolicy, PolicyView } from '../../../shared/contract.js';
import { fingerprintOfPem } from '../xmpp/tls-policy.js';
import { NO_POLICY, type LoadedPolicy } from './read-policy.js';

export const DEFAULTS = { updates: true, keepHistory: true, allowPlaintext: true, allowAddAccounts: true } as const;

/**
 * What the remote lists refused, for the renderer to word in the user's language: the action, the address
 * asked for, and what refuses it (its domain, or the address alone).
 */
export interface RemoteRefusal {
  action: 'message' | 'contact' | 'room';
  address: string;
  blocked: string;
}

export class PolicyRefusal extends Error {
  override name = 'PolicyRefusal';

  constructor(
    message: string,
    readonly remote?: RemoteRefusal,
  ) {
    super(message);
  }
}

export interface ConnectionOverride {
  host?: string;
  port?: number;
  directTls: boolean;
}

export class PolicyGate {
  private current: LoadedPolicy;

  constructor(loaded: LoadedPolicy = NO_POLICY) {
    this.current = loaded;
  }

  get loaded(): LoadedPolicy {
    return this.current;
  }

  /**
   * A policy changed while the app runs: from now on every decision follows the new one.
   * Returns the keys whose value in force changed (the user is told which).
   */
  replace(loaded: LoadedPolicy): string[] {
    const before = this.current;
    this.current = loaded;
    const keys = new Set([...Object.keys(before.values), ...Object.keys(loaded.values)]);
    const changed = [...keys].filter(
      (k) => JSON.stringify(before.values[k as keyof typeof before.values]) !== JSON.stringify(loaded.values[k as keyof typeof loaded.values]),
    );
    if (before.remoteOwnDomainOnly !== loaded.remoteOwnDomainOnly && !changed.includes('remoteAllow')) changed.push('remoteAllow');
    return changed.sort();
  }

  private get values() {
    return this.loaded.values;
  }

  /** Why locked settings are locked, as the `why`/`source` parameters of the `*-locked` reasons (for the user's own words). */
  get lockedParams(): { why: 'set' | 'unreadable'; source: string } {
    return this.loaded.problem ? { why: 'unreadable', source: '' } : { why: 'set', source: this.loaded.source ?? '' };
  }

  /** A short "why" for locked settings, in English (logs; the renderer words `lockedParams`). */
  get reason(): string {
    if (this.loaded.problem) return 'Locked to the safest setting because the administrator\u2019s policy could not be read.';
    return `Set by your administrator (${this.loaded.source ?? 'policy'}).`;
  }

  /** Throws `PolicyRefusal` unless an account with this address may be added now. */
  checkNewAccount(jid: string, existing: readonly string[]): void {
    const domain = domainOf(jid);
    const company = this.values.serverDomain;
    const mayAddAny = this.values.allowAddAccounts ?? DEFAULTS.allowAddAccounts;
    if (mayAddAny) return;
    if (company === undefined) throw new PolicyRefusal(`Adding accounts is turned off by your administrator. ${this.hint()}`);
    if (domain !== company) throw new PolicyRefusal(`Your administrator allows only accounts on ${company}.`);
    if (existing.some((j) => domainOf(j) === company)) throw new PolicyRefusal(`Your administrator allows only one account, on ${company}.`);
  }

  /** Host, port and TLS mode for an account: the policy's for the company domain, else the user's. */
  connection(jid: string, user: ConnectionOverride): ConnectionOverride {
    if (!this.appliesTo(jid)) return user;
    const { serverHost, serverPort, directTls } = this.values;
    const host = serverHost ?? user.host;
    const port = serverPort ?? user.port;
    return { ...(host ? { host } : {}), ...(port ? { port } : {}), directTls: directTls ?? user.directTls };
  }

  /** Whether the policy sets any connection detail the user gave differently. */
  connectionConflict(jid: string, user: { host?: string | undefined; port?: number | undefined; directTls?: boolean | undefined }): string | undefined {
    if (!this.appliesTo(jid)) return undefined;
    const { serverHost, serverPort, directTls } = this.values;
    if (serverHost !== undefined && user.host !== undefined && user.host.toLowerCase() !== serverHost.toLowerCase()) {
      return `Your administrator set the server to ${serverHost}.`;
    }
    if (serverPort !== undefined && user.port !== undefined && user.port !== serverPort) return `Your administrator set the port to ${serverPort}.`;
    if (directTls !== undefined && user.directTls !== undefined && user.directTls !== directTls) return `Your administrator set the connection to ${directTls ? 'direct TLS' : 'STARTTLS'}.`;
    return undefined;
  }

  /** The OTR policy in force for a conversation, given the user's choice (or the default). */
  otrPolicy(userOrDefault: OtrPolicy): OtrPolicy {
    const chosen = this.values.otrPolicy ?? userOrDefault;
    // No plaintext at all: every conversation must be private before anything is sent.
    return this.plaintextAllowed ? chosen : 'always';
  }

  /** Whether users may change the OTR policy of conversations. */
  get otrPolicyLocked(): boolean {
    return this.values.otrPolicy !== undefined || !this.plaintextAllowed;
  }

  get plaintextAllowed(): boolean {
    return this.values.allowPlaintext ?? DEFAULTS.allowPlaintext;
  }

  /**
   * Why plaintext group chats are refused, or undefined when they are allowed: where the policy wants every
   * message private, nothing is sent to a room that is not end-to-end encrypted (OMEMO rooms are, and stay allowed).
   */
  plaintextGroupChatRefusal(): string | undefined {
    if (this.otrPolicy(this.values.otrPolicy ?? 'opportunistic') !== 'always') return undefined;
    return `This group chat is not end-to-end encrypted, and your administrator requires every message to be, so Klatsch does not take part in it (only members-only group chats that show every member\u2019s address are encrypted). ${this.reason}`;
  }

  /**
   * Why all group chats are refused, or undefined when they are allowed: plaintext ones are refused and the
   * policy does not allow OMEMO, the one scheme that encrypts group chats (OTR is one-to-one).
   */
  groupChatRefusal(): string | undefined {
    if (!this.plaintextGroupChatRefusal()) return undefined;
    const schemes = this.encryptionSchemes();
    if (!schemes || schemes.includes('omemo')) return undefined;
    return `Group chats are turned off: your administrator requires every message to be end-to-end encrypted, and does not allow OMEMO, the only encryption for group chats. ${this.reason}`;
  }

  /**
   * Throws `PolicyRefusal` unless the account may write to this bare address. `action` words the refusal:
   * sending a message (default), adding a contact or entering a room, which name the other company's
   * domain when the whole domain is refused (federation: the lists name other companies' servers).
   */
  checkRemote(accountJid: string, peer: string, action: RemoteRefusal['action'] = 'message'): void {
    const blocked = this.blockedRemote(accountJid, peer);
    if (blocked === undefined) return;
    const address = peer.toLowerCase();
    const remote: RemoteRefusal = { action, address, blocked };
    const wholeDomain = blocked === domainOf(address);
    if (action === 'message') throw new PolicyRefusal(`Your administrator does not allow messages to ${address}. The message was not sent.`, remote);
    if (action === 'room') {
      throw new PolicyRefusal(
        wholeDomain ? `Your administrator does not allow group chats at ${blocked}, so ${address} cannot be entered.` : `Your administrator does not allow the group chat ${address}.`,
        remote,
      );
    }
    throw new PolicyRefusal(
      wholeDomain ? `Your administrator does not allow contacts at ${blocked}, so ${address} cannot be added.` : `Your administrator does not allow ${address} as a contact.`,
      remote,
    );
  }

  /**
   * What the remote lists refuse of this bare address: its whole domain (a domain entry, or no entry at all
   * for it), the address alone, or undefined when it is allowed.
   */
  blockedRemote(accountJid: string, peer: string): string | undefined {
    const address = peer.toLowerCase();
    const domain = domainOf(address);
    // `wholeDomain`: is every address there refused (a single allowed address at it does not count as refused)?
    const refused = (who: string, wholeDomain = false): boolean => {
      const { remoteAllow, remoteDeny } = this.values;
      const denied = (remoteDeny ?? []).some((entry) => matches(entry, who, domain, true));
      const allowed = this.loaded.remoteOwnDomainOnly
        ? domain === domainOf(accountJid)
        : remoteAllow === undefined || remoteAllow.some((entry) => matches(entry, who, domain) || (wholeDomain && entry.endsWith(`@${domain}`)));
      return denied || !allowed;
    };
    if (!refused(address)) return undefined;
    return refused(domain, true) ? domain : address;
  }

  /** SHA-256 fingerprints and PEMs the policy pins for this account's server; undefined: no pin by policy. */
  pinnedCertificates(jid: string): readonly string[] | undefined {
    const pems = this.values.pinnedCertificates;
    return pems && this.appliesTo(jid) ? pems : undefined;
  }

  /** Updates: policy, then the user's setting, then on. */
  updatesEnabled(user?: boolean): boolean {
    return this.values.updates ?? user ?? DEFAULTS.updates;
  }

  /** History: policy, then the user's setting, then kept. */
  historyKept(user?: boolean): boolean {
    return this.values.keepHistory ?? user ?? DEFAULTS.keepHistory;
  }

  /** What notifications show: the policy's, else the user's. */
  notifications(user: NotificationSetting): NotificationSetting {
    return this.values.notifications ?? user;
  }

  get notificationsLocked(): boolean {
    return this.values.notifications !== undefined;
  }

  /** Whether a first message waits for a private conversation: the policy's, else the user's. */
  waitForPrivate(user: boolean): boolean {
    return this.values.waitForPrivate ?? user;
  }

  get waitForPrivateLocked(): boolean {
    return this.values.waitForPrivate !== undefined;
  }

  /** The end-to-end encryption schemes allowed, in the order of preference; undefined: every one Klatsch has. */
  encryptionSchemes(): readonly string[] | undefined {
    return this.values.encryptionSchemes;
  }

  /**
   * The scheme for a contact, given the user's override: the override where the policy allows it, else
   * undefined (automatic). A policy that names one scheme leaves no choice (encryptionSchemeLocked).
   */
  e2eeOverride(user: E2eeScheme | undefined): E2eeScheme | undefined {
    const allowed = this.values.encryptionSchemes;
    if (user === undefined || this.encryptionSchemeLocked) return undefined;
    return allowed === undefined || allowed.includes(user) ? user : undefined;
  }

  /** The policy names one scheme: users cannot set another per contact. */
  get encryptionSchemeLocked(): boolean {
    return this.values.encryptionSchemes?.length === 1;
  }

  /** How new OMEMO devices are trusted: the policy's, else the user's. */
  omemoTrust(user: OmemoTrustMode): OmemoTrustMode {
    return this.values.omemoTrust ?? user;
  }

  get omemoTrustLocked(): boolean {
    return this.values.omemoTrust !== undefined;
  }

  /** OTR version 3 only: the policy's, else the user's. */
  otrV3Only(user: boolean): boolean {
    return this.values.otrV3Only ?? user;
  }

  get otrV3OnlyLocked(): boolean {
    return this.values.otrV3Only !== undefined;
  }

  /** What the renderer shows as locked, and why. */
  view(existingAccounts: readonly string[]): PolicyView {
    const v = this.values;
    let addAccounts: PolicyView['addAccounts'] = 'allowed';
    if (!(v.allowAddAccounts ?? DEFAULTS.allowAddAccounts)) {
      const company = v.serverDomain;
      addAccounts = company && !existingAccounts.some((j) => domainOf(j) === company) ? 'server-domain-only' : 'locked';
    }
    return {
      ...(this.loaded.source ? { source: this.loaded.source } : {}),
      ...(this.loaded.problem ? { problem: this.loaded.problem } : {}),
      ...(this.loaded.problemReasons ? { problemReasons: this.loaded.problemReasons } : {}),
      ...(v.serverDomain ? { serverDomain: v.serverDomain } : {}),
      ...(v.serverHost ? { serverHost: v.serverHost } : {}),
      ...(v.serverPort ? { serverPort: v.serverPort } : {}),
      ...(v.directTls !== undefined ? { directTls: v.directTls } : {}),
      ...(this.otrPolicyLocked ? { otrPolicy: this.otrPolicy(v.otrPolicy ?? 'always') } : {}),
      plaintextAllowed: this.plaintextAllowed,
      ...(v.encryptionSchemes ? { encryptionSchemes: [...v.encryptionSchemes] } : {}),
      ...(this.encryptionSchemeLocked ? { encryptionSchemeLocked: true } : {}),
      addAccounts,
      remoteRestricted: this.loaded.remoteOwnDomainOnly || v.remoteAllow !== undefined || (v.remoteDeny?.length ?? 0) > 0,
      ...(v.pinnedCertificates ? { pinnedCertificates: v.pinnedCertificates.map((pem) => safeFingerprint(pem)) } : {}),
      updates: this.updatesEnabled(),
      keepHistory: this.historyKept(),
      reason: this.reason,
    };
  }

  /** The server settings apply to accounts on the company domain (all accounts when no domain is named). */
  private appliesTo(jid: string): boolean {
    const company = this.values.serverDomain;
    return company === undefined || domainOf(jid) === company;
  }

  private hint(): string {
    return this.loaded.problem ? 'The policy could not be read; ask your IT department.' : 'Ask your IT department.';
  }
}

function domainOf(address: string): string {
  const bare = address.split('/')[0] ?? '';
  return bare.slice(bare.indexOf('@') + 1).toLowerCase();
}

/**
 * `bob@example.com` matches that address only; `example.com` the domain; `*.example.com` its subdomains.
 * `orSubdomains` (deny lists): `example.com` covers its subdomains too, since a company's group chats and
 * other services live there (`conference.example.com`); refusing the company refuses them as well.
 */
function matches(entry: string, address: string, domain: string, orSubdomains = false): boolean {
  if (entry.includes('@')) return entry === address;
  if (entry.startsWith('*.')) return domain.endsWith(entry.slice(1));
  return domain === entry || (orSubdomains && domain.endsWith(`.${entry}`));
}

function safeFingerprint(pem: string): string {
  try {
    return fingerprintOfPem(pem);
  } catch {
    return 'unreadable';
  }
}
