/**
 * The app's view of OTR identities and trust: the OTR store (otr-store/)
 * seen through bare JIDs and display fingerprints, plus what the UI needs
 * around it — whether an account's key is being made, whether a contact's
 * new key must be accepted before anything is sent, and the trust list.
 *
 * Fingerprints reach the renderer only in libotr's display form
 * ("XXXXXXXX XXXXXXXX …"); they are public. Private keys never leave the store.
 */
import type { AccountView, ResponseOf, TrustLevel, WordedReason } from '../../../../shared/contract.js';
import { exportLibotrFolder, importLibotrFolder } from './store/libotr-folder.js';
import { OtrStore, type OtrKeyNotStored, type OtrStoreDeps } from './store/otr-store.js';
import { humanFingerprint, toOtrFingerprint } from '../../values/fingerprint.js';
import type { OtrIdentitySource } from './private-chats.js';
import type { SecretBox } from '../../store/secret-box.js';

export interface OtrTrustEvents {
  /** An account's key started or finished being made: its AccountView changed. */
  keyChanged(account: string): void;
  /** Some trust of `account` changed (a key verified, cleared, seen or forgotten). */
  trustChanged(account: string): void;
}

export type TrustList = ResponseOf<'listTrust'>;

export class OtrTrust {
  readonly ready: Promise<OtrStore>;
  private store: OtrStore | undefined;
  /** Accounts whose key is being made right now. */
  private readonly generating = new Set<string>();
  /** Accounts whose key's fingerprint the UI has been told about. */
  private readonly announced = new Set<string>();
  /** Why an account's key lives only in memory, if it does. */
  private readonly notStored = new Map<string, { text: string; kind: OtrKeyNotStored | undefined }>();

  constructor(
    profileDir: string,
    secretBox: SecretBox,
    private readonly events: OtrTrustEvents,
    deps?: OtrStoreDeps,
  ) {
    this.ready = OtrStore.inProfile(profileDir, secretBox, deps).then((store) => (this.store = store));
    this.ready.catch(() => undefined);
  }

  get problem(): string | undefined {
    return this.store?.problem;
  }

  /** `problem` by reason, for the user's own words. */
  get storageProblem(): WordedReason | undefined {
    return this.store?.storageProblem;
  }

  /** Keys and instance tags for the accounts' private conversations; made on first need, off the main thread. */
  readonly identities: OtrIdentitySource = {
    identity: async (account) => {
      const store = await this.ready;
      const identity = await store.identity(account, ({ phase }) => {
        if (phase === 'generating') this.generating.add(account);
        else this.generating.delete(account);
        this.events.keyChanged(account);
      });
      if (!identity.stored && identity.notStoredReason) this.notStored.set(account, { text: identity.notStoredReason, kind: identity.notStored });
      if (!this.announced.has(account)) {
        // The key is saved now (or known to be unsaved): the account view shows its fingerprint.
        this.announced.add(account);
        this.events.keyChanged(account);
      }
      return identity;
    },
  };

  /** What the account view says about the account's own key. */
  accountKey(account: string): AccountView['otrKey'] {
    const own = this.store?.ownFingerprints().find((o) => o.account === account);
    const generating = this.generating.has(account);
    if (!own && !generating) return undefined;
    const notStored = this.notStored.get(account);
    return {
      generating,
      ...(own ? { fingerprint: humanFingerprint(own.fingerprint) } : {}),
      ...(notStored ? { notStoredReason: notStored.text } : {}),
      ...(notStored?.kind ? { notStored: notStored.kind } : {}),
    };
  }

  isVerified(account: string, peer: string, fingerprint: string): boolean {
    return (this.store?.trust(account, peer, fingerprint) ?? 'unverified') !== 'unverified';
  }

  /**
   * A contact who had other keys shows up with one not seen before: the user
   * accepts it first (a new device, or someone in the middle).
   */
  newKey(account: string, peer: string, fingerprint: string): { needsApproval: boolean; changedFromVerified: boolean } {
    const fp = toOtrFingerprint(fingerprint);
    const known = (this.store?.fingerprints(account) ?? []).filter((r) => r.contact === peer.toLowerCase());
    if (known.length === 0 || known.some((r) => r.fingerprint === fp)) return { needsApproval: false, changedFromVerified: false };
    return { needsApproval: true, changedFromVerified: known.some((r) => r.trust !== 'unverified') };
  }

  /** Whether a private conversation with `peer` happened before (a key of theirs is on record). */
  knowsPeer(account: string, peer: string): boolean {
    const contact = peer.toLowerCase();
    return (this.store?.fingerprints(account) ?? []).some((r) => r.contact === contact);
  }

  async sawFingerprint(account: string, peer: string, fingerprint: string): Promise<void> {
    await (await this.ready).sawFingerprint(account, peer, fingerprint);
    this.events.trustChanged(account);
  }

  /** An SMP proved the key (`verify`) or failed on the side that would have verified it (`clear`). */
  async smpTrust(account: string, peer: string, fingerprint: string, change: 'verify' | 'clear'): Promise<void> {
    const store = await this.ready;
    if (change === 'verify') await store.setTrust(account, peer, fingerprint, 'verified-smp');
    else if (store.trust(account, peer, fingerprint) !== 'unverified') await store.setTrust(account, peer, fingerprint, 'unverified');
    this.events.trustChanged(account);
  }

  /**
   * The user compared fingerprints (or takes that back). A key verified by SMP stays so when marked verified again.
   * Whether the key's verification changed (so the chat can say so once, not on every repeat).
   */
  async setTrust(account: string, peer: string, fingerprint: string, verified: boolean): Promise<boolean> {
    const store = await this.ready;
    const now = store.trust(account, peer, fingerprint);
    const next: TrustLevel = verified ? (now === 'unverified' ? 'verified-manual' : now) : 'unverified';
    if (next !== now) await store.setTrust(account, peer, fingerprint, next);
    this.events.trustChanged(account);
    return next !== now;
  }

  /** Whether the forgotten key was verified (then the chat says it is not any more). */
  async forget(account: string, peer: string, fingerprint: string): Promise<boolean> {
    const store = await this.ready;
    const wasVerified = store.trust(account, peer, fingerprint) !== 'unverified';
    await store.forget(account, peer, fingerprint);
    this.events.trustChanged(account);
    return wasVerified;
  }

  /** Imports a libotr client's folder for `accounts` (bare JIDs); what was imported, display form. */
  async importFolder(dir: string, accounts: string[], replaceKeys: boolean): Promise<{ accounts: { jid: string; fingerprint: string }[]; fingerprints: number }> {
    const result = await importLibotrFolder(await this.ready, dir, { accounts, replaceKeys });
    for (const a of result.accounts) {
      this.announced.delete(a.account);
      this.notStored.delete(a.account);
      this.events.keyChanged(a.account);
      this.events.trustChanged(a.account);
    }
    return { accounts: result.accounts.map((a) => ({ jid: a.account, fingerprint: humanFingerprint(a.fingerprint) })), fingerprints: result.fingerprints };
  }

  async exportFolder(dir: string): Promise<void> {
    await exportLibotrFolder(await this.ready, dir);
  }

  /** Every key of the given accounts; `inUse(account, peer)` names the key of a private conversation open now. */
  list(accounts: { id: string; jid: string; inUse: (peer: string) => string | undefined }[]): TrustList {
    const store = this.store;
    if (!store) return { own: [], contacts: [] };
    const own = store.ownFingerprints();
    const result: TrustList = { own: [], contacts: [] };
    for (const account of accounts) {
      const mine = own.find((o) => o.account === account.jid);
      if (mine) result.own.push({ accountId: account.id, jid: account.jid, fingerprint: humanFingerprint(mine.fingerprint), stored: mine.stored });
      for (const r of store.fingerprints(account.jid)) {
        const current = account.inUse(r.contact);
        result.contacts.push({
          accountId: account.id,
          peer: r.contact,
          scheme: 'otr',
          fingerprint: humanFingerprint(r.fingerprint),
          trust: r.trust,
          firstSeen: r.firstSeen,
          ...(r.lastUsed !== undefined ? { lastUsed: r.lastUsed } : {}),
          inUse: current !== undefined && toOtrFingerprint(current) === r.fingerprint,
        });
      }
    }
    result.contacts.sort((a, b) => a.peer.localeCompare(b.peer) || b.firstSeen - a.firstSeen);
    return result;
  }
}
