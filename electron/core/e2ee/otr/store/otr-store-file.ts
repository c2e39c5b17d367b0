/**
 * The OTR store's file (otr-store.json, version 1): its format, reading it (the private keys decrypted
 * through the SecretBox) and writing it. An EncryptedFileStore whose one secret, the private keys, is
 * sealed on its own: a file that cannot be read is reported (`problem`) and never written over (the
 * store turns read-only); writes are atomic and one after another.
 */
import { z } from 'zod';
import { ownKeyProblem, type DsaPrivateKey } from '../../../otr/dsa.js';
import { MIN_INSTANCE_TAG } from '../../../otr/wire.js';
import { requireBareJid } from '../../../values/jid.js';
import { EncryptedFileStore, FileStoreDamaged, Sealed, seal, unseal, UnsealError } from '../../../store/encrypted-file-store.js';
import type { SecretBox } from '../../../store/secret-box.js';
import { damageReason, storageProblem } from '../../../store/storage-problem.js';
import type { WordedReason } from '../../../../../shared/contract.js';
import { dsaKeyWorks } from './generate-key.js';
import type { ErrorDetail } from '../../../errors.js';
import { fingerprintOf, MAX_JID, OtrStoreError, type FingerprintRecord } from './otr-store-types.js';

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

/** What the store holds, in memory. */
export interface State {
  accounts: ReadonlyMap<string, AccountEntry>;
  fingerprints: readonly FingerprintRecord[];
  /** The stored private keys, decrypted. Replaced (never mutated) when they change. */
  keys: ReadonlyMap<string, DsaPrivateKey>;
}

type EncryptedKeys = Sealed;

const EMPTY: State = { accounts: new Map(), fingerprints: [], keys: new Map() };

export abstract class OtrStoreFile {
  protected state: State = EMPTY;
  protected problemText: string | undefined;
  /** `problemText` by reason, for the user's own words. */
  private problemReason: WordedReason | undefined;
  /** Encrypted keys that could not be decrypted now (secure storage unavailable): written back as they are. */
  protected lockedKeys: EncryptedKeys | undefined;
  protected lockedReason: string | undefined;
  /** The ciphertext of `state.keys` as last read or written, so unchanged keys are not encrypted again. */
  private encrypted: { keys: ReadonlyMap<string, DsaPrivateKey>; blob: EncryptedKeys } | undefined;
  private writing: Promise<void> = Promise.resolve();

  private readonly store: EncryptedFileStore<StoreFile>;

  protected constructor(
    private readonly file: string,
    protected readonly secretBox: SecretBox,
  ) {
    this.store = new EncryptedFileStore(file, { schema: StoreFile, encryption: 'secrets-sealed-inside' });
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

  protected async load(): Promise<void> {
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
  // ---- writing ----

  protected assertWritable(): void {
    if (this.problemText) throw this.problemError();
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

  /** The file's problem as an error: its English, and its reason (`storage-*`) for the user's own words. */
  protected problemError(): OtrStoreError {
    return new OtrStoreError(this.problemText ?? '', this.problemReason as ErrorDetail | undefined);
  }

  /** Writes one after another, so a slow disk cannot reorder two changes. */
  protected save(next: State): Promise<void> {
    if (this.problemText) return Promise.reject(this.problemError());
    let file: StoreFile;
    try {
      file = this.serialize(next);
    } catch (error) {
      const detail = `The OTR keys could not be encrypted (${(error as Error).message}).`;
      return Promise.reject(new OtrStoreError(detail, { reason: 'otr-store-not-saved', params: { detail } }));
    }
    const previous = this.state;
    this.state = next;
    const write = this.store.save(file).catch((error: Error) => {
      throw new OtrStoreError(`Klatsch could not save its OTR keys and trust to ${this.file} (${error.message}).`, { reason: 'otr-store-not-saved', params: { detail: error.message } });
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
