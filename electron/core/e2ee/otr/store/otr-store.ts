/**
 * OTR identities and trust, one JSON file in the profile folder (otr-store.json).
 *
 * Per account (bare JID): the long-term DSA key (made on first need) and the
 * v3 instance tag. Per account and contact (bare JIDs): every fingerprint
 * seen, its trust, when it was first seen and last used. The private keys are
 * encrypted through the SecretBox (its backend is recorded beside them); the
 * rest is plain JSON, since the app needs it to warn about changed keys even
 * when the keys themselves cannot be unlocked.
 *
 * The file itself (format, reading, writing, read-only after a problem) is
 * otr-store-file.ts; the types and normalization are otr-store-types.ts.
 *
 * Fingerprints go in and come out as 40 lowercase hex digits (input may use
 * any case and spacing); `humanFingerprint` gives libotr's display form.
 * Account and contact JIDs are reduced to lowercase bare JIDs (`requireBareJid`, electron/core/values).
 */
import path from 'node:path';
import type { DsaPrivateKey } from '../../../otr/dsa.js';
import { MIN_INSTANCE_TAG } from '../../../otr/wire.js';
import { requireBareJid } from '../../../values/jid.js';
import { humanFingerprint, toOtrFingerprint } from '../../../values/fingerprint.js';
import type { SecretBox } from '../../../store/secret-box.js';
import { generateDsaKeyAsync } from './generate-key.js';
import { OtrStoreFile, type State } from './otr-store-file.js';
import {
  fingerprintOf,
  OtrStoreError,
  randomInstanceTag,
  sameRecord,
  strongerTrust,
  TRUST_LEVELS,
  type FingerprintRecord,
  type OtrIdentity,
  type OtrKeyNotStored,
  type OtrStoreDeps,
  type OtrStoreExport,
  type OtrStoreImport,
  type Trust,
} from './otr-store-types.js';

export * from './otr-store-types.js';

export class OtrStore extends OtrStoreFile {
  /** Keys that could not be stored: used until Klatsch quits. */
  private readonly sessionKeys = new Map<string, OtrIdentity>();
  private readonly pendingIdentities = new Map<string, Promise<OtrIdentity>>();
  private readonly now: () => number;
  private readonly generateKey: () => Promise<DsaPrivateKey>;

  private constructor(file: string, secretBox: SecretBox, deps: OtrStoreDeps) {
    super(file, secretBox);
    this.now = deps.now ?? Date.now;
    this.generateKey = deps.generateKey ?? generateDsaKeyAsync;
  }

  static async open(file: string, secretBox: SecretBox, deps: OtrStoreDeps = {}): Promise<OtrStore> {
    const store = new OtrStore(file, secretBox, deps);
    await store.load();
    return store;
  }

  static inProfile(profileDir: string, secretBox: SecretBox, deps?: OtrStoreDeps): Promise<OtrStore> {
    return OtrStore.open(path.join(profileDir, 'otr-store.json'), secretBox, deps);
  }

  // ---- identities ----

  /**
   * This account's key and instance tag; the key is made on first need (off
   * the main thread; `onProgress` tells when, so the UI can say so). If it
   * cannot be stored, it is kept in memory for this session: `stored` is
   * false and `notStoredReason` says why.
   */
  async identity(account: string, onProgress?: (p: { phase: 'generating' | 'done' }) => void): Promise<OtrIdentity> {
    const acc = requireBareJid(account);
    const pending = this.pendingIdentities.get(acc);
    if (pending) return pending;
    const made = this.makeIdentity(acc, onProgress).finally(() => this.pendingIdentities.delete(acc));
    this.pendingIdentities.set(acc, made);
    return made;
  }

  private async makeIdentity(acc: string, onProgress?: (p: { phase: 'generating' | 'done' }) => void): Promise<OtrIdentity> {
    const stored = this.state.keys.get(acc);
    const entry = this.state.accounts.get(acc);
    if (stored && entry) return { key: stored, instanceTag: entry.instanceTag, fingerprint: fingerprintOf(stored), stored: true };
    const session = this.sessionKeys.get(acc);
    if (session) return session;

    onProgress?.({ phase: 'generating' });
    let key: DsaPrivateKey;
    try {
      key = await this.generateKey();
    } finally {
      onProgress?.({ phase: 'done' }); // also on failure, so that no "generating…" stays up
    }
    const fingerprint = fingerprintOf(key);

    // Another call (an import) may have stored a key meanwhile.
    const now = this.state.keys.get(acc);
    const nowEntry = this.state.accounts.get(acc);
    if (now && nowEntry) return { key: now, instanceTag: nowEntry.instanceTag, fingerprint: fingerprintOf(now), stored: true };

    const instanceTag = nowEntry?.instanceTag ?? randomInstanceTag();
    const cannotStore = this.whyKeysCannotBeStored(acc);
    if (cannotStore === undefined) {
      const next: State = {
        ...this.state,
        accounts: new Map(this.state.accounts).set(acc, { instanceTag, fingerprint }),
        keys: new Map(this.state.keys).set(acc, key),
      };
      try {
        await this.save(next);
        return { key, instanceTag, fingerprint, stored: true };
      } catch (error) {
        return this.sessionIdentity(acc, key, instanceTag, { kind: 'save-failed', text: `could not be saved (${(error as Error).message})` });
      }
    }
    if (!this.problemText && !nowEntry) {
      // The instance tag is no secret: keep it, so that it stays the same across restarts.
      const next: State = { ...this.state, accounts: new Map(this.state.accounts).set(acc, { instanceTag }) };
      await this.save(next).catch(() => undefined);
    }
    return this.sessionIdentity(acc, key, instanceTag, cannotStore);
  }

  private sessionIdentity(acc: string, key: DsaPrivateKey, instanceTag: number, { kind, text: why }: { kind: OtrKeyNotStored; text: string }): OtrIdentity {
    const identity: OtrIdentity = {
      key,
      instanceTag,
      fingerprint: fingerprintOf(key),
      stored: false,
      notStoredReason: `The OTR key for ${acc} is kept only until Klatsch quits: it ${why}. Your contacts will see a new fingerprint next time.`,
      notStored: kind,
    };
    this.sessionKeys.set(acc, identity);
    return identity;
  }

  /** Undefined if a new private key can be stored now, else why not (completes "it …"). */
  private whyKeysCannotBeStored(acc?: string): { kind: OtrKeyNotStored; text: string } | undefined {
    if (this.problemText) return { kind: 'store-problem', text: `cannot be stored because of a problem with the OTR store: ${this.problemText}` };
    if (this.lockedKeys) {
      const saved = acc !== undefined && this.state.accounts.get(acc)?.fingerprint !== undefined;
      return saved
        ? { kind: 'replaces-locked', text: `replaces the saved key, which cannot be unlocked now (${this.lockedReason})` }
        : { kind: 'no-secure-storage', text: `cannot be stored because the secure storage is not available (${this.lockedReason})` };
    }
    const status = this.secretBox.status();
    if (!status.available) return { kind: 'no-secure-storage', text: `cannot be stored because the secure storage is not available (${status.reason ?? 'no reason given'})` };
    return undefined;
  }

  /** The own fingerprint of every account that has a key (stored, or only for this session). */
  ownFingerprints(): { account: string; fingerprint: string; stored: boolean }[] {
    const out = new Map<string, { account: string; fingerprint: string; stored: boolean }>();
    for (const [account, entry] of this.state.accounts) {
      if (entry.fingerprint) out.set(account, { account, fingerprint: entry.fingerprint, stored: true });
    }
    for (const [account, identity] of this.sessionKeys) out.set(account, { account, fingerprint: identity.fingerprint, stored: false });
    return [...out.values()];
  }

  // ---- contacts' fingerprints ----

  /**
   * Records that `contact` used `fingerprint` (first seen / last used). Tells
   * whether it is new and whether this contact had a different, verified
   * fingerprint (the UI then warns before anything is sent). In read-only mode
   * the sighting is kept in memory only.
   */
  async sawFingerprint(
    account: string,
    contact: string,
    fingerprint: string,
  ): Promise<{ isNew: boolean; changedFromVerified: boolean; trust: Trust }> {
    const acc = requireBareJid(account);
    const who = requireBareJid(contact);
    const fp = toOtrFingerprint(fingerprint);
    const now = this.now();
    const records = this.state.fingerprints;
    const existing = records.find((r) => sameRecord(r, acc, who, fp));
    const trust = existing?.trust ?? 'unverified';
    const otherVerified = records.some((r) => r.account === acc && r.contact === who && r.fingerprint !== fp && r.trust !== 'unverified');
    const result = { isNew: !existing, changedFromVerified: trust === 'unverified' && otherVerified, trust };
    const fingerprints = existing
      ? records.map((r) => (r === existing ? { ...r, lastUsed: now } : r))
      : [...records, { account: acc, contact: who, fingerprint: fp, trust: 'unverified' as const, firstSeen: now, lastUsed: now }];
    const next: State = { ...this.state, fingerprints };
    if (this.problemText) this.state = next;
    else await this.save(next);
    return result;
  }

  trust(account: string, contact: string, fingerprint: string): Trust {
    const acc = requireBareJid(account);
    const who = requireBareJid(contact);
    const fp = toOtrFingerprint(fingerprint);
    return this.state.fingerprints.find((r) => sameRecord(r, acc, who, fp))?.trust ?? 'unverified';
  }

  /** Sets the trust (creating the record if this fingerprint was not seen yet, e.g. typed in to pre-verify). */
  async setTrust(account: string, contact: string, fingerprint: string, trust: Trust): Promise<void> {
    const acc = requireBareJid(account);
    const who = requireBareJid(contact);
    const fp = toOtrFingerprint(fingerprint);
    if (!TRUST_LEVELS.includes(trust)) throw new TypeError(`Not a trust level: ${String(trust)}`);
    this.assertWritable();
    const records = this.state.fingerprints;
    const existing = records.find((r) => sameRecord(r, acc, who, fp));
    if (existing?.trust === trust) return;
    const fingerprints = existing
      ? records.map((r) => (r === existing ? { ...r, trust } : r))
      : [...records, { account: acc, contact: who, fingerprint: fp, trust, firstSeen: this.now(), lastUsed: undefined }];
    await this.save({ ...this.state, fingerprints });
  }

  async forget(account: string, contact: string, fingerprint: string): Promise<void> {
    const acc = requireBareJid(account);
    const who = requireBareJid(contact);
    const fp = toOtrFingerprint(fingerprint);
    this.assertWritable();
    const fingerprints = this.state.fingerprints.filter((r) => !sameRecord(r, acc, who, fp));
    if (fingerprints.length === this.state.fingerprints.length) return;
    await this.save({ ...this.state, fingerprints });
  }

  fingerprints(account?: string): FingerprintRecord[] {
    const acc = account === undefined ? undefined : requireBareJid(account);
    return this.state.fingerprints.filter((r) => acc === undefined || r.account === acc).map((r) => ({ ...r }));
  }

  // ---- import / export (libotr-files.ts) ----

  /** Applies a validated import in one atomic write, or throws OtrStoreError and changes nothing. */
  async applyImport(plan: OtrStoreImport): Promise<void> {
    this.assertWritable();
    if (plan.keys.length > 0) {
      const why = this.whyKeysCannotBeStored();
      if (why !== undefined) throw new OtrStoreError(`Klatsch cannot import the OTR keys: the key ${why.text}.`, { reason: 'otr-keys-not-importable', params: { why: why.kind } });
    }
    const accounts = new Map(this.state.accounts);
    const keys = new Map(this.state.keys);
    for (const { account, key } of plan.keys) {
      const acc = requireBareJid(account);
      const fingerprint = fingerprintOf(key);
      const had = keys.get(acc);
      if (had && fingerprintOf(had) !== fingerprint && !plan.replaceKeys) {
        throw new OtrStoreError(
          `${acc} already has a different OTR key in Klatsch (fingerprint ${humanFingerprint(fingerprintOf(had))}); ` +
            `importing would replace it with ${humanFingerprint(fingerprint)}. Nothing was imported.`,
          { reason: 'libotr-key-conflict', params: { accounts: acc } },
        );
      }
      keys.set(acc, key);
      accounts.set(acc, { instanceTag: accounts.get(acc)?.instanceTag ?? randomInstanceTag(), fingerprint });
    }
    for (const { account, instanceTag } of plan.instanceTags) {
      if (!Number.isInteger(instanceTag) || instanceTag < MIN_INSTANCE_TAG || instanceTag > 0xffffffff) {
        throw new OtrStoreError(`The instance tag ${instanceTag} is not valid.`, { reason: 'libotr-file-invalid', params: { file: 'otr.instance_tags' } } /* imports come from libotr's files */);
      }
      const acc = requireBareJid(account);
      accounts.set(acc, { ...accounts.get(acc), instanceTag });
    }
    const fingerprints = [...this.state.fingerprints];
    const now = this.now();
    for (const f of plan.fingerprints) {
      const acc = requireBareJid(f.account);
      const who = requireBareJid(f.contact);
      const fp = toOtrFingerprint(f.fingerprint);
      const i = fingerprints.findIndex((r) => sameRecord(r, acc, who, fp));
      if (i < 0) fingerprints.push({ account: acc, contact: who, fingerprint: fp, trust: f.trust, firstSeen: now, lastUsed: undefined });
      else fingerprints[i] = { ...fingerprints[i]!, trust: strongerTrust(fingerprints[i]!.trust, f.trust) };
    }
    await this.save({ accounts, keys, fingerprints });
    for (const { account } of plan.keys) this.sessionKeys.delete(requireBareJid(account));
  }

  /** Everything stored, private keys included. Throws OtrStoreError if a stored key cannot be read now. */
  exportAll(): OtrStoreExport {
    if (this.problemText) throw this.problemError();
    const missing = [...this.state.accounts].filter(([account, entry]) => entry.fingerprint && !this.state.keys.has(account));
    if (missing.length > 0) {
      throw new OtrStoreError(
        `The OTR keys of ${missing.map(([a]) => a).join(', ')} cannot be exported now: the secure storage is not available (${this.lockedReason}).`,
        { reason: 'otr-keys-not-exportable', params: { accounts: missing.map(([a]) => a).join(', ') } },
      );
    }
    return {
      keys: [...this.state.keys].map(([account, key]) => ({ account, key })),
      instanceTags: [...this.state.accounts].map(([account, entry]) => ({ account, instanceTag: entry.instanceTag })),
      fingerprints: this.fingerprints(),
    };
  }
}
