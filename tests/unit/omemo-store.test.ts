// The OMEMO state at rest (electron/core/e2ee/omemo/omemo-store.ts): encrypted as a whole, read back
// as written, and a damaged file reported and never written over (its sessions would be lost).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import { OmemoFileStore, emptyOmemoState } from '../../electron/core/e2ee/omemo/omemo-store.js';

async function withDir(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'klatsch-omemo-store-'));
  try {
    await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const KEY = 'ab'.repeat(32);

test('the OMEMO state is stored encrypted and read back as written', () =>
  withDir(async (dir) => {
    const box = await FileKeySecretBox.open(path.join(dir, 'key'));
    const store = OmemoFileStore.inProfile(dir, 'Alice@Example.com', box);
    const state = { ...emptyOmemoState(), deviceId: 4711, trust: { 'bob@example.com|1|oldmemo': { key: KEY, trust: 'verified' as const, firstSeen: 1 } } };
    await store.save(state);
    const again = await OmemoFileStore.inProfile(dir, 'alice@example.com', box).load();
    assert.deepEqual(again, state);
    const [file] = (await import('node:fs')).readdirSync(path.join(dir, 'omemo'));
    const text = await readFile(path.join(dir, 'omemo', file!), 'utf8');
    assert.doesNotMatch(text, /bob@example\.com|4711|alice/i, 'nothing readable in the file, not even whose it is');
  }));

test('a damaged OMEMO file is reported and never written over', () =>
  withDir(async (dir) => {
    const box = await FileKeySecretBox.open(path.join(dir, 'key'));
    const store = OmemoFileStore.inProfile(dir, 'alice@example.com', box);
    await store.save({ ...emptyOmemoState(), deviceId: 1 });
    const file = path.join(dir, 'omemo', (await import('node:fs')).readdirSync(path.join(dir, 'omemo'))[0]!);
    await writeFile(file, '{"version":1,"backend":"x","data":"garbage"}\n');
    const damaged = OmemoFileStore.inProfile(dir, 'alice@example.com', box);
    await assert.rejects(damaged.load());
    assert.match(damaged.problem ?? '', /damaged/);
    await damaged.save({ ...emptyOmemoState(), deviceId: 2 });
    assert.equal(await readFile(file, 'utf8'), '{"version":1,"backend":"x","data":"garbage"}\n');
  }));
