/**
 * Encryption of small secrets (passwords, later keys) at rest. The app uses the
 * OS keyring through Electron's safeStorage; Node tests and the development
 * host use a key file. Callers record `backend` beside what they stored.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { SecretStorageStatus } from '../../../shared/contract.js';
import { writeFileAtomic } from './atomic-file.js';

export interface SecretBox {
  readonly backend: string;
  status(): SecretStorageStatus;
  encrypt(plain: string): Buffer;
  decrypt(data: Buffer): string;
}

/** What the core needs of Electron's `safeStorage` (passed in by main). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(data: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export class SafeStorageSecretBox implements SecretBox {
  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  get backend(): string {
    return `safeStorage:${this.linuxBackend() ?? this.platform}`;
  }

  status(): SecretStorageStatus {
    if (!this.safeStorage.isEncryptionAvailable()) {
      return { available: false, why: 'no-secure-storage', reason: 'This system offers no secure storage for passwords, so Klatsch will ask for it at each start.' };
    }
    // On Linux without a keyring, Chromium "encrypts" with a fixed key: that is no protection.
    const linux = this.linuxBackend();
    if (linux === 'basic_text' || linux === 'unknown') {
      return {
        available: false,
        why: 'no-keyring',
        reason: 'No keyring (such as GNOME Keyring or KWallet) is running, so a stored password would not really be encrypted. Klatsch will ask for it at each start.',
      };
    }
    return { available: true };
  }

  encrypt(plain: string): Buffer {
    this.assertAvailable();
    return this.safeStorage.encryptString(plain);
  }

  decrypt(data: Buffer): string {
    this.assertAvailable();
    return this.safeStorage.decryptString(data);
  }

  private assertAvailable(): void {
    const status = this.status();
    if (!status.available) throw new Error(status.reason);
  }

  private linuxBackend(): string | undefined {
    return this.platform === 'linux' ? this.safeStorage.getSelectedStorageBackend?.() : undefined;
  }
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 1;

/**
 * AES-256-GCM under a key kept in a file (mode 0600). For tests and the
 * development host only: a key beside the data protects nothing on its own.
 */
export class FileKeySecretBox implements SecretBox {
  readonly backend = 'file-key';

  private constructor(private readonly key: Buffer) {}

  static async open(keyFile: string): Promise<FileKeySecretBox> {
    try {
      const key = await fs.readFile(keyFile);
      if (key.length !== KEY_BYTES) throw new Error(`The key file ${keyFile} is damaged (wrong length).`);
      return new FileKeySecretBox(key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const key = randomBytes(KEY_BYTES);
      await writeFileAtomic(keyFile, key, 0o600);
      return new FileKeySecretBox(key);
    }
  }

  status(): SecretStorageStatus {
    return { available: true };
  }

  encrypt(plain: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(FORMAT), iv, cipher.getAuthTag(), body]);
  }

  decrypt(data: Buffer): string {
    if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== FORMAT) throw new Error('The encrypted data is damaged.');
    const iv = data.subarray(1, 1 + IV_BYTES);
    const tag = data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
