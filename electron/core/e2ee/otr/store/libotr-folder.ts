/**
 * A libotr client's folder (Pidgin: ~/.purple) ↔ the OTR store: the three
 * files by their usual names, read with a size cap and written atomically
 * (the private key readable by the user only). The parsing and the
 * all-or-nothing import are in libotr-files.ts.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../../store/atomic-file.js';
import { exportLibotr, importLibotrKeys, readLibotrKeyFile, type LibotrImportResult, type LibotrProtocol } from './libotr-files.js';
import { OtrStoreError, fingerprintOf, type OtrStore } from './otr-store.js';

export const LIBOTR_FILES = { privateKey: 'otr.private_key', fingerprints: 'otr.fingerprints', instanceTags: 'otr.instance_tags' } as const;

/** libotr's files are small; anything much larger is not one of them. */
const MAX_FILE_BYTES = 4 << 20;

/** Some accounts already have another key in Klatsch: importing would replace it (the user decides). */
export class KeyConflictError extends OtrStoreError {
  constructor(readonly accounts: string[]) {
    super(
      `Klatsch already has another key for ${accounts.join(', ')}. Importing replaces it: contacts who verified the key Klatsch made will see a new one.`,
      { reason: 'libotr-key-conflict', params: { accounts: accounts.join(', ') } },
    );
    this.name = 'KeyConflictError';
  }
}

async function readCapped(file: string, required: true): Promise<Buffer>;
async function readCapped(file: string, required: false): Promise<Buffer | undefined>;
async function readCapped(file: string, required: boolean): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new OtrStoreError(`There is no ${path.basename(file)} in ${path.dirname(file)}. Nothing was imported.`, {
        reason: 'libotr-file-missing',
        params: { file: path.basename(file), folder: path.dirname(file) },
      });
    }
    throw new OtrStoreError(`${path.basename(file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}). Nothing was imported.`, {
      reason: 'libotr-file-unreadable',
      params: { file: path.basename(file) },
    });
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) {
      throw new OtrStoreError(`${path.basename(file)} is too large to be a libotr file. Nothing was imported.`, { reason: 'libotr-file-invalid', params: { file: path.basename(file) } });
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Pidgin writes "prpl-jabber", most other libotr clients "xmpp": take the one the key file uses. */
function protocolOf(privateKey: Buffer): LibotrProtocol {
  return /\(protocol\s+"?prpl-jabber"?\s*\)/.test(privateKey.toString('latin1')) ? 'prpl-jabber' : 'xmpp';
}

/**
 * Imports the keys of `accounts` (bare JIDs; those without a key in the files
 * are left alone), their instance tags and every fingerprint with its trust.
 * Throws OtrStoreError (KeyConflictError where a key would be replaced without
 * `replaceKeys`) and then changes nothing.
 */
export async function importLibotrFolder(
  store: OtrStore,
  dir: string,
  options: { accounts: string[]; replaceKeys: boolean },
): Promise<LibotrImportResult> {
  // The key file as bytes (a key's x may be raw binary in quotes); the other two are text.
  const privateKeyText = await readCapped(path.join(dir, LIBOTR_FILES.privateKey), true);
  const fingerprintsText = (await readCapped(path.join(dir, LIBOTR_FILES.fingerprints), false))?.toString('utf8');
  const instanceTagsText = (await readCapped(path.join(dir, LIBOTR_FILES.instanceTags), false))?.toString('utf8');
  const protocol = protocolOf(privateKeyText);

  // Read and checked once, here; the import below takes the keys as read.
  const privateKeys = readLibotrKeyFile(privateKeyText);
  // Which of our accounts have a key there (Pidgin names accounts with a resource).
  const inFile = privateKeys
    .filter((k) => k.protocol === protocol)
    .map((k) => ({ account: k.account.split('/')[0]!.toLowerCase(), fingerprint: fingerprintOf(k.key) }));
  const wanted = options.accounts.filter((a) => inFile.some((k) => k.account === a));
  if (wanted.length === 0) {
    const found = [...new Set(inFile.map((k) => k.account))].join(', ') || 'none';
    throw new OtrStoreError(`The files have no key for ${options.accounts.join(', ') || 'your accounts'} (they have: ${found}). Nothing was imported.`, {
      reason: 'libotr-no-key',
      params: { accounts: options.accounts.join(', '), found: [...new Set(inFile.map((k) => k.account))].join(', ') },
    });
  }
  if (!options.replaceKeys) {
    const own = store.ownFingerprints();
    const conflicts = wanted.filter((a) => {
      const mine = own.find((o) => o.account === a);
      return mine !== undefined && !inFile.some((k) => k.account === a && k.fingerprint === mine.fingerprint);
    });
    if (conflicts.length > 0) throw new KeyConflictError(conflicts);
  }
  return importLibotrKeys(store, privateKeys, {
    ...(fingerprintsText !== undefined ? { fingerprintsText } : {}),
    ...(instanceTagsText !== undefined ? { instanceTagsText } : {}),
    protocol,
    accounts: wanted,
    replaceKeys: options.replaceKeys,
  });
}

/** Writes the three files into `dir` for a libotr client (Pidgin's protocol name by default). */
export async function exportLibotrFolder(store: OtrStore, dir: string, protocol: LibotrProtocol = 'prpl-jabber'): Promise<void> {
  const files = exportLibotr(store, protocol);
  await writeFileAtomic(path.join(dir, LIBOTR_FILES.privateKey), files.privateKeyText, 0o600);
  await writeFileAtomic(path.join(dir, LIBOTR_FILES.fingerprints), files.fingerprintsText, 0o600);
  await writeFileAtomic(path.join(dir, LIBOTR_FILES.instanceTags), files.instanceTagsText, 0o600);
}
