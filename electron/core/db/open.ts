/**
 * Opening an encrypted SQLite database (better-sqlite3-multiple-ciphers: SQLite with page
 * encryption in SQLCipher 4's format; the README says why this library). Every page — messages,
 * the search index, the write-ahead log — is AES-256 encrypted with the key from keys.ts.
 *
 * Settings and why:
 * - WAL with synchronous=FULL: a commit is on disk (fsync'd) when it returns, so whatever the user
 *   was told is saved survives a kill -9 or a power cut; writers batch many messages per commit.
 * - secure_delete: deleted rows are overwritten with zeros, not only unlinked (history the user
 *   chose not to keep is gone, not hidden); a TRUNCATE checkpoint then empties the log too.
 *
 * A file that is not a database under this key (damaged, or another key) is reported as such by the
 * caller and left as it is: nothing here ever writes over an existing file it could not read.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { migrate } from './migrations.js';

export type { Database } from 'better-sqlite3-multiple-ciphers';

export class DatabaseDamaged extends Error {}

/** Opens (creating it when there is none) the database `file` under `keyHex` and brings its schema up to date. */
export async function openDatabase(file: string, keyHex: string): Promise<Database.Database> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  try {
    db.pragma(`cipher = 'sqlcipher'`);
    db.pragma('legacy = 4');
    db.pragma(`key = "x'${keyHex}'"`);
    // The first read proves the key fits (SQLITE_NOTADB otherwise).
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new DatabaseDamaged('it is damaged or locked with another key');
    throw error;
  }
}

/** A database that lives in memory only (nothing can or may be written to disk); same schema. */
export function memoryDatabase(): Database.Database {
  const db = new Database(':memory:');
  migrate(db);
  return db;
}
