/**
 * One value of the profile in one JSON file: checked against its schema when read, replaced atomically
 * when written (atomic-file.ts), encrypted at rest. Settings, OTR keys and trust, and OMEMO state use it.
 *
 * Encrypted at rest means one of two things, and the owner says which:
 *  - the whole value, under the SecretBox: {"version":1,"backend":"<SecretBox backend>","data":"<base64>"}
 *    (OMEMO state: nothing in it may be read without the key);
 *  - only its secrets, each sealed by the owner with `seal` (settings: passwords; OTR: the private keys),
 *    so the rest stays readable when the keyring is not (OTR warns of changed keys even then).
 *
 * A file that cannot be read, parsed, decrypted or validated is damaged: `load` throws FileStoreDamaged
 * (what is wrong, as data) and from then on every `save` rejects with it. The file is left exactly as it
 * is, never written over: a key or a session in it may still be rescued, and a new key written over an
 * old one would lose it for good. What interrupted writes left beside the file is removed when it is read.
 */
import { z } from 'zod';
import { readTextIfPresent, removeStaleTemps, writeFileAtomic } from './atomic-file.js';
import type { SecretBox } from './secret-box.js';

/** A secret as it is stored: the SecretBox's ciphertext and which backend made it. */
export const Sealed = z.object({ backend: z.string().min(1).max(200), data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/) });
export type Sealed = z.infer<typeof Sealed>;

/** Why a sealed secret cannot be opened. */
export type UnsealProblem =
  /** No secure storage now (no keyring): the secret is fine, only locked. */
  | { kind: 'locked'; why: string }
  /** It was sealed with another key: `sealedWith` is the backend that did, `now` the one in use. */
  | { kind: 'wrong-key'; sealedWith: string; now: string };

export class UnsealError extends Error {
  constructor(readonly problem: UnsealProblem) {
    super(
      problem.kind === 'locked'
        ? `it cannot be unlocked now (${problem.why})`
        : problem.sealedWith === problem.now
          ? `it was encrypted with "${problem.sealedWith}", whose key seems to have changed`
          : `it was encrypted with "${problem.sealedWith}", but Klatsch now uses "${problem.now}"`,
    );
    this.name = 'UnsealError';
  }
}

export function seal(secretBox: SecretBox, plain: string): Sealed {
  return { backend: secretBox.backend, data: secretBox.encrypt(plain).toString('base64') };
}

/** The plaintext of `sealed`; throws UnsealError when the keyring is unavailable or the key is not the one that sealed it. */
export function unseal(secretBox: SecretBox, sealed: Sealed): string {
  const status = secretBox.status();
  if (!status.available) throw new UnsealError({ kind: 'locked', why: status.reason ?? 'the secure storage is not available' });
  try {
    return secretBox.decrypt(Buffer.from(sealed.data, 'base64'));
  } catch {
    throw new UnsealError({ kind: 'wrong-key', sealedWith: sealed.backend, now: secretBox.backend });
  }
}

/** What is wrong with a damaged file. */
export type FileDamage =
  /** It exists but cannot be read (permissions, a folder in its place, an I/O error). */
  | { kind: 'unreadable'; why: string }
  /** Not JSON (cut short, overwritten by something else). */
  | { kind: 'not-json' }
  /** JSON, but not what the schema (or the encrypted envelope) describes. */
  | { kind: 'unexpected-content' }
  /** Encrypted, and it cannot be decrypted now. */
  | UnsealProblem;

export class FileStoreDamaged extends Error {
  constructor(
    readonly file: string,
    readonly damage: FileDamage,
  ) {
    super(`${file} ${describe(damage)}; it was left as it is`);
    this.name = 'FileStoreDamaged';
  }
}

function describe(damage: FileDamage): string {
  switch (damage.kind) {
    case 'unreadable':
      return `cannot be read (${damage.why})`;
    case 'not-json':
      return 'is damaged (not valid JSON)';
    case 'unexpected-content':
      return 'has unexpected content';
    default:
      return new UnsealError(damage).message.replace(/^it /, '');
  }
}

const Envelope = z.object({ version: z.literal(1), backend: z.string().min(1).max(200), data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/) });

export interface EncryptedFileStoreOptions<T> {
  /** What the file holds (inside the envelope when the whole value is encrypted). */
  schema: z.ZodType<T>;
  /** The SecretBox that encrypts the whole value, or 'secrets-sealed-inside' when the owner seals each secret. */
  encryption: SecretBox | 'secrets-sealed-inside';
}

export class EncryptedFileStore<T> {
  private damagedBy: FileStoreDamaged | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The newest value asked to be saved and not yet being written: saves in a row write only the last. */
  private pending: { value: T; written: Promise<void> } | undefined;

  constructor(
    readonly file: string,
    private readonly options: EncryptedFileStoreOptions<T>,
  ) {}

  /** Set once `load` found the file damaged: nothing is written over it then. */
  get damaged(): FileStoreDamaged | undefined {
    return this.damagedBy;
  }

  /** The stored value; undefined when there is no file yet. Throws FileStoreDamaged (and stays read-only). */
  async load(): Promise<T | undefined> {
    try {
      return await this.read();
    } catch (error) {
      if (error instanceof FileStoreDamaged) this.damagedBy = error;
      throw error;
    }
  }

  private async read(): Promise<T | undefined> {
    await removeStaleTemps(this.file);
    const text = await readTextIfPresent(this.file, (error) => new FileStoreDamaged(this.file, { kind: 'unreadable', why: error.message }));
    if (text === undefined) return undefined;
    let json = parseJson(text, this.file);
    const encryption = this.options.encryption;
    if (encryption !== 'secrets-sealed-inside') {
      const envelope = Envelope.safeParse(json);
      if (!envelope.success) throw new FileStoreDamaged(this.file, { kind: 'unexpected-content' });
      let plain: string;
      try {
        plain = unseal(encryption, envelope.data);
      } catch (error) {
        if (error instanceof UnsealError) throw new FileStoreDamaged(this.file, error.problem);
        throw error;
      }
      json = parseJson(plain, this.file);
    }
    const parsed = this.options.schema.safeParse(json);
    if (!parsed.success) throw new FileStoreDamaged(this.file, { kind: 'unexpected-content' });
    return parsed.data;
  }

  /**
   * Replaces the stored value atomically. Saves are written one after another in the order asked (a slow
   * disk cannot reorder them); saves asked while one is being written are written once, as the last of them.
   * Rejects when the file is damaged (it is never written over) or when the write or the encryption fails.
   */
  save(value: T): Promise<void> {
    if (this.damagedBy) return Promise.reject(this.damagedBy);
    if (this.pending) {
      this.pending.value = value;
      return this.pending.written;
    }
    const pending: { value: T; written: Promise<void> } = { value, written: Promise.resolve() };
    pending.written = this.writing.then(() => {
      if (this.pending === pending) this.pending = undefined;
      return writeFileAtomic(this.file, this.serialize(pending.value), 0o600);
    });
    this.pending = pending;
    this.writing = pending.written.catch(() => undefined);
    return pending.written;
  }

  /** Resolves when every write asked for so far has finished (or failed). */
  async flushed(): Promise<void> {
    await this.writing;
  }

  private serialize(value: T): string {
    const encryption = this.options.encryption;
    if (encryption === 'secrets-sealed-inside') return `${JSON.stringify(value, null, 2)}\n`;
    return `${JSON.stringify({ version: 1, ...seal(encryption, JSON.stringify(value)) })}\n`;
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FileStoreDamaged(file, { kind: 'not-json' });
  }
}
