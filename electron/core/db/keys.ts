/**
 * The key of an encrypted database: 32 random bytes made once, kept beside the database only as
 * the SecretBox's ciphertext (the OS keyring through safeStorage in the app), as Signal Desktop keeps
 * its SQLCipher key. File `<database>.key`: {"version":1,"backend":"<SecretBox backend>","data":"<base64>"}.
 *
 * A key file that cannot be read or unlocked is reported, never replaced: a new key would make the
 * database behind it unreadable for good.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { readTextIfPresent, writeFileAtomic } from '../store/atomic-file.js';
import type { SecretBox } from '../store/secret-box.js';

const KeyFile = z.object({ version: z.literal(1), backend: z.string().max(200), data: z.string().max(4096) });
const KEY_HEX = /^[0-9a-f]{64}$/;

export class DatabaseKeyProblem extends Error {
  constructor(
    message: string,
    /** What is wrong with the key, for the user's own words (storage-problem.ts). */
    readonly kind: 'unreadable' | 'missing' | 'damaged' | 'wrong-key',
  ) {
    super(message);
  }
}

export function keyFileOf(databaseFile: string): string {
  return `${databaseFile}.key`;
}

/**
 * The database's key (64 hex digits). `create`: make and store one when there is no key file (only
 * when there is no database yet either: the caller knows).
 */
export async function databaseKey(databaseFile: string, secretBox: SecretBox, create: boolean): Promise<string> {
  const file = keyFileOf(databaseFile);
  const text = await readTextIfPresent(file, (error) => new DatabaseKeyProblem(`its key ${file} cannot be read (${error.message})`, 'unreadable'));
  if (text === undefined) {
    if (!create) throw new DatabaseKeyProblem(`its key ${file} is missing`, 'missing');
    const key = randomBytes(32).toString('hex');
    const data = secretBox.encrypt(key).toString('base64');
    await writeFileAtomic(file, `${JSON.stringify({ version: 1, backend: secretBox.backend, data })}\n`, 0o600);
    return key;
  }
  let stored: z.infer<typeof KeyFile>;
  try {
    stored = KeyFile.parse(JSON.parse(text));
  } catch {
    throw new DatabaseKeyProblem(`its key ${file} is damaged`, 'damaged');
  }
  let key: string;
  try {
    key = secretBox.decrypt(Buffer.from(stored.data, 'base64'));
  } catch {
    throw new DatabaseKeyProblem(
      stored.backend === secretBox.backend
        ? `its key was encrypted with "${stored.backend}", whose key seems to have changed`
        : `its key was encrypted with "${stored.backend}", but Klatsch now uses "${secretBox.backend}"`,
      'wrong-key',
    );
  }
  if (!KEY_HEX.test(key)) throw new DatabaseKeyProblem(`its key ${file} is damaged`, 'damaged');
  return key;
}
