// What of Klatsch's data cannot be read or saved is said in the user's language: each store gives a reason
// (`storage-*`) with the store and the file, the renderer words it, and no English reaches a German screen.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WordedReason } from '../../shared/contract.js';
import { DATA_STORES, ERROR_REASONS } from '../../shared/error-reasons.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { OtrStore } from '../../electron/core/e2ee/otr/store/otr-store.js';
import { OutboxStore } from '../../electron/core/store/outbox-store.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import { SettingsStore } from '../../electron/core/store/settings-store.js';
import { storageProblemText } from '../../renderer/i18n/errors.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-storage-words-'));
  dirs.push(dir);
  return dir;
}

/** What the banner at the top of the window says (App.tsx). */
function shown(language: 'en' | 'de', problems: (WordedReason | undefined)[]): string {
  return storageProblemText(catalogFor(language), 'English from the core', problems.filter((p) => p !== undefined)) ?? '';
}

/** Words of the core's English that must not reach a German screen. */
const ENGLISH = /\b(the|is|could|cannot|damaged|file|left as it is|saved|English)\b/;

test('a damaged settings file: told in German, naming the file', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'settings.json');
  await fs.writeFile(file, '{"version": 1, "accounts": [');
  const store = SettingsStore.inProfile(dir);
  await store.load();
  assert.match(store.problem ?? '', /damaged/, 'the English stays for logs');
  const german = shown('de', [store.storageProblem]);
  assert.equal(german, `Die Einstellungsdatei ${file} ist beschädigt. Sie wurde nicht verändert; Änderungen werden nicht gespeichert, bis sie repariert oder entfernt ist.`);
  assert.equal(shown('en', [store.storageProblem]), `The settings file ${file} is damaged. It was left as it is; changes are not saved until it is repaired or removed.`);
});

test('a damaged OTR keys and trust file: told in German, naming the file', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'otr-store.json');
  await fs.writeFile(file, 'not json');
  const store = await OtrStore.open(file, await FileKeySecretBox.open(path.join(dir, 'k.key')));
  assert.match(store.problem ?? '', /damaged/);
  const german = shown('de', [store.storageProblem]);
  assert.equal(german, `Die Datei mit OTR-Schlüsseln und Vertrauen ${file} ist beschädigt. Sie wurde nicht verändert; Änderungen an OTR-Schlüsseln und Vertrauen werden nicht gespeichert, bis sie repariert oder entfernt ist.`);
  assert.doesNotMatch(german.replace(file, ''), ENGLISH);
});

test('an outbox that cannot be opened: told in German, naming the file', async () => {
  const dir = await tempDir();
  const file = OutboxStore.fileInProfile(dir, 'acc-1');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, 'garbage');
  const store = await OutboxStore.open(file, await FileKeySecretBox.open(path.join(dir, 'k.key')));
  assert.match(store.problem ?? '', /cannot be opened/);
  const german = shown('de', store.storageProblems());
  assert.match(german, new RegExp(`^Der Postausgang ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  assert.doesNotMatch(german.replace(file, ''), ENGLISH);
});

test('every storage reason, for every store, is German in the German catalog', () => {
  const reasons = Object.keys(ERROR_REASONS).filter((r) => r.startsWith('storage-'));
  assert.ok(reasons.length >= 8);
  for (const reason of reasons) {
    for (const store of DATA_STORES) {
      const german = shown('de', [{ reason, params: { store, file: '/x/f' }, text: 'English from the core' }]);
      assert.doesNotMatch(german, ENGLISH, `${reason} for ${store}: ${german}`);
      assert.notEqual(german, shown('en', [{ reason, params: { store, file: '/x/f' }, text: 'English from the core' }]));
    }
  }
});

test('a reason this renderer does not know shows the core’s English; English alone (an older core) under the user’s summary', () => {
  assert.equal(shown('en', [{ reason: 'storage-from-the-future', params: { store: 'history' }, text: 'English from the core' }]), 'English from the core');
  assert.equal(storageProblemText(catalogFor('de'), null, []), undefined);
  assert.match(storageProblemText(catalogFor('de'), 'Some English', []) ?? '', /^Einige Daten von Klatsch.*Some English/);
});
