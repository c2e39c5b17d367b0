/**
 * The accounts and their settings, one JSON file in the profile folder (an EncryptedFileStore whose
 * secrets, the passwords, are sealed one by one). A file that cannot be read as settings is reported and
 * left untouched (the store becomes read-only) rather than overwritten.
 */
import path from 'node:path';
import { z } from 'zod';
import { AppSettings, E2eeScheme, OtrPolicy, OwnShow, type WordedReason } from '../../../shared/contract.js';
import { EncryptedFileStore, FileStoreDamaged } from './encrypted-file-store.js';
import { damageReason, storageProblem } from './storage-problem.js';

const StoredAccount = z.object({
  id: z.string().regex(/^[a-zA-Z0-9-]{1,64}$/),
  jid: z.string().min(3),
  host: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  directTls: z.boolean(),
  rememberPassword: z.boolean(),
  /** Encrypted by the named SecretBox backend; base64. */
  password: z.object({ backend: z.string(), data: z.string() }).optional(),
  pinnedCertificate: z.object({ sha256: z.string(), pem: z.string() }).optional(),
  ownPresence: z.object({ show: OwnShow, status: z.string().max(1024) }),
  /** Per-contact OTR policies (bare JID → policy); absent: the default. */
  otrPolicies: z.record(z.string(), OtrPolicy).optional(),
  /** Per-contact encryption scheme the user chose (bare JID → 'omemo' | 'otr'); absent: automatic. */
  e2eeSchemes: z.record(z.string(), E2eeScheme).optional(),
  /** Contacts (bare JIDs) whose private messages the user chose to keep in the local history. */
  keepPrivateHistory: z.array(z.string()).optional(),
  /** Contacts whose private messages the user chose not to keep (kept by default). */
  dropPrivateHistory: z.array(z.string()).optional(),
  /** Group chats the account enters again after signing in (XEP-0045); never a room password. */
  rooms: z.array(z.object({ jid: z.string().max(3071), nick: z.string().max(256) })).max(500).optional(),
  /** Contacts (bare JIDs) whose app was seen speaking OTR (their offer, query or an OTR message). */
  otrContacts: z.array(z.string()).max(10_000).optional(),
});
export type StoredAccount = z.infer<typeof StoredAccount>;

/** The app-wide settings before the user changed any. */
export const DEFAULT_APP_SETTINGS: AppSettings = {
  language: 'system',
  theme: 'system',
  notifications: 'sender-and-text',
  notificationSound: true,
  // Old libotr apps speak only v2; the user or the administrator may refuse it.
  otrV3Only: false,
  waitForPrivate: false,
  omemoTrust: 'blind',
};

const SettingsFile = z.object({
  version: z.literal(1),
  accounts: z.array(StoredAccount),
  /** Absent until the user changes one; each missing field is its default. Validated like the rest. */
  app: AppSettings.partial().optional(),
});
type SettingsFile = z.infer<typeof SettingsFile>;

export class SettingsStore {
  private data: SettingsFile = { version: 1, accounts: [] };
  /** Set when the file on disk could not be read: nothing is written over it then. */
  problem: string | undefined;
  /** `problem` by reason (`storage-*`), for the user's own words. */
  storageProblem: WordedReason | undefined;
  private readonly store: EncryptedFileStore<SettingsFile>;

  constructor(file: string) {
    this.store = new EncryptedFileStore(file, { schema: SettingsFile, encryption: 'secrets-sealed-inside' });
  }

  static inProfile(profileDir: string): SettingsStore {
    return new SettingsStore(path.join(profileDir, 'settings.json'));
  }

  async load(): Promise<void> {
    try {
      this.data = (await this.store.load()) ?? this.data;
    } catch (error) {
      if (!(error instanceof FileStoreDamaged)) throw error;
      this.problem = settingsProblem(error);
      this.storageProblem = storageProblem(damageReason(error.damage), 'settings', error.file, this.problem);
    }
  }

  accounts(): readonly StoredAccount[] {
    return this.data.accounts;
  }

  account(id: string): StoredAccount | undefined {
    return this.data.accounts.find((a) => a.id === id);
  }

  async upsertAccount(account: StoredAccount): Promise<void> {
    const others = this.data.accounts.filter((a) => a.id !== account.id);
    const index = this.data.accounts.findIndex((a) => a.id === account.id);
    const accounts = [...others];
    accounts.splice(index < 0 ? accounts.length : index, 0, account);
    await this.save({ ...this.data, accounts });
  }

  async removeAccount(id: string): Promise<void> {
    await this.save({ ...this.data, accounts: this.data.accounts.filter((a) => a.id !== id) });
  }

  /** The app-wide settings: what the file holds, defaults for the rest (all defaults when it is damaged). */
  appSettings(): AppSettings {
    return { ...DEFAULT_APP_SETTINGS, ...this.data.app };
  }

  async setAppSettings(changes: Partial<AppSettings>): Promise<void> {
    await this.save({ ...this.data, app: { ...this.data.app, ...changes } });
  }

  /** Writes one after another, so a slow disk cannot reorder two changes. */
  private save(next: SettingsFile): Promise<void> {
    if (this.problem) return Promise.reject(new Error(this.problem));
    const previous = this.data;
    this.data = next;
    const write = this.store.save(next);
    write.catch(() => {
      // What failed to reach the disk is not kept in memory either, unless newer changes came meanwhile.
      if (this.data === next) this.data = previous;
    });
    return write;
  }
}

function settingsProblem({ file, damage }: FileStoreDamaged): string {
  const leftAlone = 'It was left as it is; changes are not saved until it is repaired or removed.';
  switch (damage.kind) {
    case 'unreadable':
      return `Klatsch could not read its settings (${damage.why}).`;
    case 'not-json':
      return `The settings file ${file} is damaged (not valid JSON). ${leftAlone}`;
    default:
      return `The settings file ${file} has unexpected content. ${leftAlone}`;
  }
}
