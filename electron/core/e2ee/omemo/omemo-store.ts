/**
 * OMEMO state of one account at rest: our device (id, identity, signed prekey, prekeys — one per
 * OMEMO version), the sessions with every peer device, and the trust in each peer device's key.
 * One file per account under `omemo/` in the profile, an EncryptedFileStore that encrypts all of it
 * (private keys and ratchet states are in it). A file that cannot be read or decrypted is reported
 * (`problem`) and never written over: OMEMO stays off for the account (a new device would orphan the
 * sessions the file holds). Where there is no keyring, the state lives in memory only and
 * `notStoredReason` says why.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { EncryptedFileStore, FileStoreDamaged } from '../../store/encrypted-file-store.js';
import type { SecretBox } from '../../store/secret-box.js';
import { damageReason, storageProblem } from '../../store/storage-problem.js';
import type { WordedReason } from '../../../../shared/contract.js';

/** How a peer device's key is trusted. */
export type DeviceTrust =
  /** Used without verification (no device of the contact is verified yet). */
  | 'blind'
  /** The user compared and confirmed the fingerprint. */
  | 'verified'
  /** New (or a changed key) after the user verified a device of the contact: not used until decided. */
  | 'held'
  /** The user refused it. */
  | 'distrusted';

export const OmemoState = z.object({
  deviceId: z.number().int().positive().optional(),
  /** deviceToJSON per engine version ('oldmemo', 'twomemo'). */
  devices: z.record(z.string(), z.unknown()),
  /** sessionToJSON by `jid|deviceId|version`. */
  sessions: z.record(z.string(), z.unknown()),
  /** By `jid|deviceId|version`: the identity key (hex) and its trust. */
  trust: z.record(z.string(), z.object({ key: z.string().regex(/^[0-9a-f]{64}$/), trust: z.enum(['blind', 'verified', 'held', 'distrusted']), firstSeen: z.number() })),
});
export type OmemoState = z.infer<typeof OmemoState>;

export function emptyOmemoState(): OmemoState {
  return { devices: {}, sessions: {}, trust: {} };
}

/** Where the provider keeps its state: the file store in the app, memory in unit tests. */
export interface OmemoStateStore {
  /** Resolves with the stored state (or a fresh one); rejects when it cannot be read (OMEMO stays off). */
  load(): Promise<OmemoState>;
  /** Stores the whole state (coalesced; the last one wins). */
  save(state: OmemoState): Promise<void>;
  /** Set when the state is not kept on disk (no keyring). */
  readonly notStoredReason?: string | undefined;
}

export class MemoryOmemoStore implements OmemoStateStore {
  state: OmemoState = emptyOmemoState();
  async load(): Promise<OmemoState> {
    return structuredClone(this.state);
  }
  async save(state: OmemoState): Promise<void> {
    this.state = structuredClone(state);
  }
}

export class OmemoFileStore implements OmemoStateStore {
  /** A damaged file: reported, never written over. */
  problem: string | undefined;
  /** The same, by reason, for the renderer to word (the profile's storage problems). */
  storageProblem: WordedReason | undefined;
  notStoredReason: string | undefined;
  private readonly store: EncryptedFileStore<OmemoState>;
  private readonly file: string;

  constructor(
    file: string,
    private readonly secretBox: SecretBox,
  ) {
    this.file = file;
    this.store = new EncryptedFileStore(file, { schema: OmemoState, encryption: secretBox });
  }

  static inProfile(profileDir: string, accountJid: string, secretBox: SecretBox): OmemoFileStore {
    // The JID hashed: file names say nothing about whom the profile belongs to.
    const name = createHash('sha256').update(accountJid.toLowerCase()).digest('hex').slice(0, 32);
    return new OmemoFileStore(path.join(profileDir, 'omemo', `${name}.json`), secretBox);
  }

  async load(): Promise<OmemoState> {
    const status = this.secretBox.status();
    if (!status.available) this.notStoredReason = status.reason ?? 'There is no secure storage for OMEMO keys on this system.';
    try {
      return (await this.store.load()) ?? emptyOmemoState();
    } catch (error) {
      this.problem =
        error instanceof FileStoreDamaged && error.damage.kind === 'unreadable'
          ? 'The OMEMO key file cannot be read.'
          : 'The OMEMO key file is damaged or cannot be decrypted; it is left as it is.';
      this.storageProblem = storageProblem(error instanceof FileStoreDamaged ? damageReason(error.damage) : 'storage-unreadable', 'omemo', this.file, this.problem);
      throw new Error(this.problem, { cause: error });
    }
  }

  save(state: OmemoState): Promise<void> {
    if (this.problem || this.notStoredReason) return Promise.resolve();
    // A copy: the provider goes on changing its state while this one waits for the disk.
    return this.store.save(structuredClone(state)).catch(() => undefined);
  }
}
