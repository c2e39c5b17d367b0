/**
 * The OTR store's errors carry a reason (shared/error-reasons.ts) with its parameters, which the request handlers
 * pass on (KlatschError) for the UI to word in the user's language; the English message stays for logs.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDsaKey } from '../../electron/core/otr/dsa.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import { UnavailableBox } from '../fixtures/unavailable-box.js';
import { OtrStore, OtrStoreError } from '../../electron/core/e2ee/otr/store/otr-store.js';
import { isErrorReason } from '../../shared/error-reasons.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { reasonText } from '../../renderer/i18n/errors.js';

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-otr-reasons-'));
  folders.push(dir);
  return dir;
}

const KEYS = [generateDsaKey(), generateDsaKey()];
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const FP = 'a'.repeat(40);

/** `error` is an OtrStoreError with `reason` (and these parameters), which both catalogs word, German not as the English. */
function hasReason(reason: string, params?: Record<string, string>): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof OtrStoreError, String(error));
    const detail = error.detail as { reason?: string; params?: Record<string, string | number> } | undefined;
    assert.equal(detail?.reason, reason, error.message);
    assert.ok(isErrorReason(reason), reason);
    if (params) for (const [name, value] of Object.entries(params)) assert.equal(detail?.params?.[name], value, name);
    const german = reasonText(catalogFor('de'), reason, detail?.params);
    assert.ok(german && german !== error.message && german !== reasonText(catalogFor('en'), reason, detail?.params), `worded: ${german}`);
    return true;
  };
}

describe('OTR store errors name their reason', () => {
  test('a damaged file: every change is refused with its storage reason', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'otr-store.json');
    await fs.writeFile(file, '{"version": 1, "accounts": [');
    const store = await OtrStore.open(file, await FileKeySecretBox.open(path.join(await tempDir(), 'k')));
    await assert.rejects(store.setTrust(ALICE, BOB, FP, 'verified-manual'), hasReason('storage-damaged', { store: 'otr', file }));
    assert.throws(() => store.exportAll(), hasReason('storage-damaged'));
  });

  test('a failed write: otr-store-not-saved', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'otr-store.json');
    const store = await OtrStore.open(file, await FileKeySecretBox.open(path.join(await tempDir(), 'k')));
    await store.sawFingerprint(ALICE, BOB, FP);
    await fs.rm(file);
    await fs.mkdir(file);
    await fs.writeFile(path.join(file, 'x'), '');
    await assert.rejects(store.setTrust(ALICE, BOB, FP, 'verified-manual'), hasReason('otr-store-not-saved'));
  });

  test('without secure storage: keys neither imported nor exported, each with its reason', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'otr-store.json');
    const box = await FileKeySecretBox.open(path.join(await tempDir(), 'k'));
    await (await OtrStore.open(file, box, { generateKey: async () => KEYS[0]! })).identity(ALICE);
    const locked = await OtrStore.open(file, new UnavailableBox());
    assert.throws(() => locked.exportAll(), hasReason('otr-keys-not-exportable', { accounts: ALICE }));
    const plan = { keys: [{ account: BOB, key: KEYS[1]! }], instanceTags: [], fingerprints: [], replaceKeys: false };
    await assert.rejects(locked.applyImport(plan), hasReason('otr-keys-not-importable', { why: 'no-secure-storage' }));
  });

  test('an import that would replace a different key, or brings a bad instance tag', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'otr-store.json');
    const store = await OtrStore.open(file, await FileKeySecretBox.open(path.join(await tempDir(), 'k')), { generateKey: async () => KEYS[0]! });
    await store.identity(ALICE);
    await assert.rejects(
      store.applyImport({ keys: [{ account: ALICE, key: KEYS[1]! }], instanceTags: [], fingerprints: [], replaceKeys: false }),
      hasReason('libotr-key-conflict', { accounts: ALICE }),
    );
    await assert.rejects(store.applyImport({ keys: [], instanceTags: [{ account: ALICE, instanceTag: 5 }], fingerprints: [], replaceKeys: false }), hasReason('libotr-file-invalid', { file: 'otr.instance_tags' }));
  });
});
