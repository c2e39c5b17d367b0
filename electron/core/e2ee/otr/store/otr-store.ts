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
 * An EncryptedFileStore whose one secret, the private keys, is sealed on its
 * own: a file that cannot be read is reported (`problem`) and never written
 * over (the store turns read-only); writes are atomic and one after another.
 *
 * Fingerprints go in and come out as 40 lowercase hex digits (input may use
 * any case and spacing); `humanFingerprint` gives libotr's display form.
 * Account and contact JIDs are reduced to lowercase bare JIDs (`requireBareJid`, electron/core/values).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { fingerprint as dsaFingerprint, ownKeyProblem, type DsaPrivateKey } from '../../../otr/dsa.js';
import { MIN_INSTANCE_TAG } from '../../../otr/wire.js';
import { requireBareJid } from '../../../values/jid.js';
import { humanFingerprint, toOtrFingerprint } from '../../../values/fingerprint.js';
import { EncryptedFileStore, FileStoreDamaged, Sealed, seal, unseal, UnsealError } from '../../../store/encrypted-file-store.js';
import type { SecretBox } from '../../../store/secret-box.js';
import type { ErrorDetail } from '../../../errors.js';
import { damageReason, storageProblem } from '../../../store/storage-problem.js';
import type { WordedReason } from '../../../../../shared/contract.js';
import { dsaKeyWorks, generateDsaKeyAsync } from './generate-key.js';

export type Trust = 'unverified' | 'verified-manual' | 'verified-smp';
export const TRUST_LEVELS: readonly Trust[] = ['unverified', 'verified-manual', 'verified-smp'];

/** A problem the user should read (damaged file, keys that cannot be unlocked or stored, a bad import). */
/** Why an own OTR key lives only until Klatsch quits (AccountView.otrKey.notStored). */
export type OtrKeyNotStored = 'store-problem' | 'replaces-locked' | 'no-secure-storage' | 'save-failed';

export class OtrStoreError extends Error {
  constructor(
    message: string,
    /** What went wrong, for the user's own words (KlatschError); the message is the English for logs. */
    readonly detail?: ErrorDetail,
  ) {
    super(message);
    this.name = 'OtrStoreError';
  }
}

export interface FingerprintRecord {
  account: string;
  contact: string;
  /** 40 lowercase hex digits. */
  fingerprint: string;
  trust: Trust;
  /** Epoch ms. */
  firstSeen: number;
  /** Epoch ms of the last session with this key; undefined if never used here (e.g. imported). */
  lastUsed: number | undefined;
}

export interface OtrIdentity {
  key: DsaPrivateKey;
  instanceTag: number;
  /** 40 lowercase hex digits. */
  fingerprint: string;
  /** False when the key lives only in memory until Klatsch quits; `notStoredReason` says why (show it). */
  stored: boolean;
  notStoredReason?: string;
  /** `notStoredReason` by kind, for the user's own words. */
  notStored?: OtrKeyNotStored;
}

export interface OtrStoreDeps {
  now?: () => number;
  generateKey?: () => Promise<DsaPrivateKey>;
}

/** What libotr-files.ts hands to `applyImport`, already validated and normalized. */
export interface OtrStoreImport {
  keys: { account: string; key: DsaPrivateKey }[];
  instanceTags: { account: string; instanceTag: number }[];
  fingerprints: { account: string; contact: string; fingerprint: string; trust: Trust }[];
  /** Replace an account's existing, different key (else that is an error). */
  replaceKeys: boolean;
}

export interface OtrStoreExport {
  keys: { account: string; key: DsaPrivateKey }[];
  instanceTags: { account: string; instanceTag: number }[];
  fingerprints: FingerprintRecord[];
}

// ---- normalization ----

const MAX_JID = 3071;

export function fingerprintOf(key: DsaPrivateKey): string {
  return Buffer.from(dsaFingerprint(key)).toString('hex');
}

export function randomInstanceTag(): number {
  for (;;) {
    const tag = randomBytes(4).readUInt32BE(0);
    if (tag >= MIN_INSTANCE_TAG) return tag;
  }
}

const TRUST_RANK: Record<Trust, number> = { unverified: 0, 'verified-manual': 1, 'verified-smp': 2 };

/** The stronger of two trust levels (an import never weakens a verification). */
export function strongerTrust(a: Trust, b: Trust): Trust {
  return TRUST_RANK[a] >= TRUST_RANK[b] ? a : b;
}

// ---- file format ----

const Jid = z
  .string()
  .min(1)
  .max(MAX_JID)
  .refine((s) => {
    try {
      return requireBareJid(s) === s;
    } catch {
      return false;
    }
  });
const Hex40 = z.string().regex(/^[0-9a-f]{40}$/);
const Epoch = z.number().int().nonnegative();
const TrustSchema = z.enum(['unverified', 'verified-manual', 'verified-smp']);

const StoredAccount = z.object({
  account: Jid,
  instanceTag: z.number().int().min(MIN_INSTANCE_TAG).max(0xffffffff),
  /** Fingerprint of the key in `privateKeys`; absent while the account has no stored key. */
  fingerprint: Hex40.optional(),
});

const StoredFingerprint = z.object({
  account: Jid,
  contact: Jid,
  fingerprint: Hex40,
  trust: TrustSchema,
  firstSeen: Epoch,
  lastUsed: Epoch.optional(),
});

const StoreFile = z
  .object({
    version: z.literal(1),
    accounts: z.array(StoredAccount),
    fingerprints: z.array(StoredFingerprint),
    /** The private keys (PrivateKeys below as JSON), encrypted by the named SecretBox backend; base64. */
    privateKeys: Sealed.optional(),
  })
  .superRefine((file, ctx) => {
    const accounts = new Set<string>();
    for (const a of file.accounts) {
      if (accounts.has(a.account)) ctx.addIssue({ code: 'custom', message: `account ${a.account} twice` });
      accounts.add(a.account);
    }
    const seen = new Set<string>();
    for (const f of file.fingerprints) {
      const id = `${f.account}\n${f.contact}\n${f.fingerprint}`;
      if (seen.has(id)) ctx.addIssue({ code: 'custom', message: 'fingerprint twice' });
      seen.add(id);
    }
    if (file.accounts.some((a) => a.fingerprint) && !file.privateKeys) {
      ctx.addIssue({ code: 'custom', message: 'account key fingerprints without keys' });
    }
  });
type StoreFile = z.infer<typeof StoreFile>;

const BigHex = z.string().regex(/^[0-9a-f]{1,1024}$/);
const PrivateKeys = z.object({
  version: z.literal(1),
  keys: z.array(z.object({ account: Jid, p: BigHex, q: BigHex, g: BigHex, y: BigHex, x: BigHex })),
});

// ---- in memory ----

interface AccountEntry {
  instanceTag: number;
  fingerprint?: string;
}

interface State {
  accounts: ReadonlyMap<string, AccountEntry>;
  fingerprints: readonly FingerprintRecord[];
  /** The stored private keys, decrypted. Replaced (never mutated) when they change. */
  keys: ReadonlyMap<string, DsaPrivateKey>;
}

type EncryptedKeys = Sealed;

const EMPTY: State = { accounts: new Map(), fingerprints: [], keys: new Map() };

function sameRecord(r: FingerprintRecord, account: string, contact: string, fp: string): boolean {
  return r.account === account && r.contact === contact && r.fingerprint === fp;
}

export class OtrStore {
  private state: State = EMPTY;
  private problemText: string | undefined;
  /** `problemText` by reason, for the user's own words. */
  private problemReason: WordedReason | undefined;
  /** Encrypted keys that could not be decrypted now (secure storage unavailable): written back as they are. */
  private lockedKeys: EncryptedKeys | undefined;
  private lockedReason: string | undefined;
  /** The ciphertext of `state.keys` as last read or written, so unchanged keys are not encrypted again. */
  private encrypted: { keys: ReadonlyMap<string, DsaPrivateKey>; blob: EncryptedKeys } | undefined;
  /** Keys that could not be stored: used until Klatsch quits. */
  private readonly sessionKeys = new Map<string, OtrIdentity>();
  private readonly pendingIdentities = new Map<string, Promise<OtrIdentity>>();
  private writing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly generateKey: () => Promise<DsaPrivateKey>;

  private readonly store: EncryptedFileStore<StoreFile>;

  private constructor(
    private readonly file: string,
    private readonly secretBox: SecretBox,
    deps: OtrStoreDeps,
  ) {
    this.store = new EncryptedFileStore(file, { schema: StoreFile, encryption: 'secrets-sealed-inside' });
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

  /** Set when the file could not be read: nothing is written over it then (read-only). */
  get problem(): string | undefined {
    return this.problemText;
  }

  /** `problem` by reason (`storage-*`), for the user's own words. */
  get storageProblem(): WordedReason | undefined {
    return this.problemReason;
  }

  // ---- loading ----

  private async load(): Promise<void> {
    const leftAlone = 'It was left as it is; OTR keys and trust changes are not saved until it is repaired or removed.';
    let file: StoreFile | undefined;
    try {
      file = await this.store.load();
    } catch (error) {
      if (!(error instanceof FileStoreDamaged)) throw error;
      const { damage } = error;
      if (damage.kind === 'unreadable') this.problemText = `Klatsch could not read its OTR keys and trust file ${this.file} (${damage.why}). ${leftAlone}`;
      else if (damage.kind === 'not-json') this.problemText = `The OTR keys and trust file ${this.file} is damaged (not valid JSON). ${leftAlone}`;
      else this.problemText = `The OTR keys and trust file ${this.file} has unexpected content. ${leftAlone}`;
      this.problemReason = storageProblem(damageReason(damage), 'otr', this.file, this.problemText);
      return;
    }
    if (!file) return; // first start
    // The public part is usable even if the keys are not: trust warnings keep working.
    this.state = {
      accounts: new Map(file.accounts.map(({ account, ...entry }) => [account, entry])),
      fingerprints: file.fingerprints.map((f) => ({ ...f, lastUsed: f.lastUsed })),
      keys: new Map(),
    };
    if (!file.privateKeys) return;

    const status = this.secretBox.status();
    if (!status.available) {
      this.lockedKeys = file.privateKeys;
      this.lockedReason = status.reason ?? 'the secure storage is not available';
      return;
    }
    const keys = this.decryptKeys(file, leftAlone);
    if (!(keys instanceof Map)) {
      this.problemText = keys.text;
      this.problemReason = keys;
      return;
    }
    this.state = { ...this.state, keys };
    this.encrypted = { keys, blob: file.privateKeys };
  }

  /** The decrypted keys, or the problem. */
  private decryptKeys(file: StoreFile, leftAlone: string): Map<string, DsaPrivateKey> | WordedReason {
    const blob = file.privateKeys!;
    let plain: string;
    try {
      plain = unseal(this.secretBox, blob);
    } catch (error) {
      if (!(error instanceof UnsealError) || error.problem.kind !== 'wrong-key') throw error;
      const { sealedWith, now } = error.problem;
      const backends =
        sealedWith === now
          ? `(they were encrypted with "${sealedWith}", whose key seems to have changed)`
          : `(they were encrypted with "${sealedWith}", but Klatsch now uses "${now}")`;
      return storageProblem('storage-wrong-key', 'otr', this.file, `The private OTR keys in ${this.file} could not be decrypted ${backends}. ${leftAlone}`);
    }
    const damaged = storageProblem('storage-damaged', 'otr', this.file, `The private OTR keys in ${this.file} are damaged. ${leftAlone}`);
    let json: unknown;
    try {
      json = JSON.parse(plain);
    } catch {
      return damaged;
    }
    const parsed = PrivateKeys.safeParse(json);
    if (!parsed.success) return damaged;
    const keys = new Map<string, DsaPrivateKey>();
    for (const k of parsed.data.keys) {
      const key: DsaPrivateKey = { p: BigInt(`0x${k.p}`), q: BigInt(`0x${k.q}`), g: BigInt(`0x${k.g}`), y: BigInt(`0x${k.y}`), x: BigInt(`0x${k.x}`) };
      // Sizes before the self-test: an oversized key would stall the main loop in it.
      if (keys.has(k.account) || ownKeyProblem(key) !== undefined) return damaged;
      if (this.state.accounts.get(k.account)?.fingerprint !== fingerprintOf(key) || !dsaKeyWorks(key)) return damaged;
      keys.set(k.account, key);
    }
    for (const [account, entry] of this.state.accounts) {
      if (entry.fingerprint && !keys.has(account)) return damaged;
    }
    return keys;
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
      if (why !== undefined) throw new OtrStoreError(`Klatsch cannot import the OTR keys: the key ${why.text}.`);
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
        );
      }
      keys.set(acc, key);
      accounts.set(acc, { instanceTag: accounts.get(acc)?.instanceTag ?? randomInstanceTag(), fingerprint });
    }
    for (const { account, instanceTag } of plan.instanceTags) {
      if (!Number.isInteger(instanceTag) || instanceTag < MIN_INSTANCE_TAG || instanceTag > 0xffffffff) {
        throw new OtrStoreError(`The instance tag ${instanceTag} is not valid.`);
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
    if (this.problemText) throw new OtrStoreError(this.problemText);
    const missing = [...this.state.accounts].filter(([account, entry]) => entry.fingerprint && !this.state.keys.has(account));
    if (missing.length > 0) {
      throw new OtrStoreError(
        `The OTR keys of ${missing.map(([a]) => a).join(', ')} cannot be exported now: the secure storage is not available (${this.lockedReason}).`,
      );
    }
    return {
      keys: [...this.state.keys].map(([account, key]) => ({ account, key })),
      instanceTags: [...this.state.accounts].map(([account, entry]) => ({ account, instanceTag: entry.instanceTag })),
      fingerprints: this.fingerprints(),
    };
  }

  // ---- writing ----

  private assertWritable(): void {
    if (this.problemText) throw new OtrStoreError(this.problemText);
  }

  private serialize(next: State): StoreFile {
    let privateKeys: EncryptedKeys | undefined;
    if (this.lockedKeys) {
      privateKeys = this.lockedKeys; // unchanged: no key is added while they are locked
    } else if (next.keys.size > 0) {
      if (this.encrypted?.keys !== next.keys) {
        const plain = JSON.stringify({
          version: 1,
          keys: [...next.keys].map(([account, k]) => ({
            account,
            p: k.p.toString(16),
            q: k.q.toString(16),
            g: k.g.toString(16),
            y: k.y.toString(16),
            x: k.x.toString(16),
          })),
        });
        const blob = seal(this.secretBox, plain);
        this.encrypted = { keys: next.keys, blob };
      }
      privateKeys = this.encrypted.blob;
    }
    const file: StoreFile = {
      version: 1,
      accounts: [...next.accounts].map(([account, entry]) => ({ account, ...entry })),
      fingerprints: next.fingerprints.map((f) => {
        const { lastUsed, ...rest } = f;
        return lastUsed === undefined ? rest : { ...rest, lastUsed };
      }),
      ...(privateKeys ? { privateKeys } : {}),
    };
    return file;
  }

  /** Writes one after another, so a slow disk cannot reorder two changes. */
  private save(next: State): Promise<void> {
    if (this.problemText) return Promise.reject(new OtrStoreError(this.problemText));
    let file: StoreFile;
    try {
      file = this.serialize(next);
    } catch (error) {
      return Promise.reject(new OtrStoreError(`The OTR keys could not be encrypted (${(error as Error).message}).`));
    }
    const previous = this.state;
    this.state = next;
    const write = this.store.save(file).catch((error: Error) => {
      throw new OtrStoreError(`Klatsch could not save its OTR keys and trust to ${this.file} (${error.message}).`);
    });
    // Writes end in order: waiting for the last one waits for all, and for what each undoes.
    this.writing = write.catch(() => {
      // What failed to reach the disk is not kept in memory either, unless newer changes came meanwhile.
      if (this.state === next) this.state = previous;
    });
    return write;
  }

  /** Resolves when every write asked for so far has finished (or failed). */
  async flushed(): Promise<void> {
    await this.writing;
  }
}
