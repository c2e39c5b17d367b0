/**
 * The settings file and the atomic writes under it, in throw-away folders.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SettingsStore, type StoredAccount } from '../../electron/core/store/settings-store.js';
import { writeFileAtomic } from '../../electron/core/store/atomic-file.js';

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-settings-'));
  folders.push(dir);
  return dir;
}

const account = (id: string, extra: Partial<StoredAccount> = {}): StoredAccount => ({
  id,
  jid: `${id}@example.com`,
  directTls: false,
  rememberPassword: false,
  ownPresence: { show: 'online', status: '' },
  ...extra,
});

async function loadedStore(dir: string): Promise<SettingsStore> {
  const store = SettingsStore.inProfile(dir);
  await store.load();
  return store;
}

const settingsFile = (dir: string) => path.join(dir, 'settings.json');
const modeOf = async (file: string) => (await fs.stat(file)).mode & 0o777;
const leftovers = async (dir: string) => (await fs.readdir(dir)).filter((name) => name.endsWith('.tmp'));

describe('SettingsStore: round trip', () => {
  test('a first start has no accounts and no problem', async () => {
    const store = await loadedStore(await tempDir());
    assert.deepEqual(store.accounts(), []);
    assert.equal(store.problem, undefined);
  });

  test('accounts written are read back by a new store', async () => {
    const dir = await tempDir();
    const full = account('work', {
      host: 'xmpp.example.com',
      port: 5223,
      directTls: true,
      rememberPassword: true,
      password: { backend: 'file-key', data: 'AQID' },
      pinnedCertificate: { sha256: 'AB:CD', pem: '-----BEGIN CERTIFICATE-----\n…' },
      ownPresence: { show: 'dnd', status: 'Ünïcödé 💬' },
    });
    const store = await loadedStore(dir);
    await store.upsertAccount(full);
    await store.upsertAccount(account('home'));

    const reread = await loadedStore(dir);
    assert.equal(reread.problem, undefined);
    assert.deepEqual(reread.accounts(), [full, account('home')]);
    assert.deepEqual(reread.account('work'), full);
    assert.equal(reread.account('nope'), undefined);
  });

  test('an upsert replaces in place; remove removes', async () => {
    const dir = await tempDir();
    const store = await loadedStore(dir);
    for (const id of ['a', 'b', 'c']) await store.upsertAccount(account(id));
    await store.upsertAccount(account('b', { rememberPassword: true }));
    assert.deepEqual(store.accounts().map((a) => a.id), ['a', 'b', 'c']);
    assert.equal(store.account('b')?.rememberPassword, true);
    await store.removeAccount('a');
    await store.removeAccount('not-there');
    assert.deepEqual((await loadedStore(dir)).accounts().map((a) => a.id), ['b', 'c']);
  });

  test('the file is written with mode 0600, also over a looser existing file', async () => {
    const dir = await tempDir();
    await fs.writeFile(settingsFile(dir), JSON.stringify({ version: 1, accounts: [] }), { mode: 0o644 });
    await fs.chmod(settingsFile(dir), 0o644);
    const store = await loadedStore(dir);
    await store.upsertAccount(account('a'));
    assert.equal(await modeOf(settingsFile(dir)), 0o600);
  });

  test('a missing profile folder is created, private', async () => {
    const dir = path.join(await tempDir(), 'profile', 'nested');
    const store = await loadedStore(dir);
    await store.upsertAccount(account('a'));
    assert.equal(await modeOf(dir), 0o700);
    assert.equal(await modeOf(settingsFile(dir)), 0o600);
  });

  test('no temp files are left behind after writes', async () => {
    const dir = await tempDir();
    const store = await loadedStore(dir);
    for (let i = 0; i < 5; i++) await store.upsertAccount(account(`a${i}`));
    await store.removeAccount('a0');
    assert.deepEqual(await fs.readdir(dir), ['settings.json']);
  });

  test('concurrent upserts all land, in order', async () => {
    const dir = await tempDir();
    const store = await loadedStore(dir);
    const ids = Array.from({ length: 25 }, (_, i) => `acc-${i}`);
    await Promise.all(ids.map((id) => store.upsertAccount(account(id))));
    assert.deepEqual(store.accounts().map((a) => a.id), ids);
    assert.deepEqual((await loadedStore(dir)).accounts().map((a) => a.id), ids);
    assert.deepEqual(await leftovers(dir), []);
  });

  test('concurrent upserts and removes end as the last call says', async () => {
    const dir = await tempDir();
    const store = await loadedStore(dir);
    await Promise.all([
      store.upsertAccount(account('a')),
      store.upsertAccount(account('b')),
      store.removeAccount('a'),
      store.upsertAccount(account('b', { directTls: true })),
    ]);
    const reread = await loadedStore(dir);
    assert.deepEqual(reread.accounts(), [account('b', { directTls: true })]);
  });
});

describe('SettingsStore: a damaged file', () => {
  /** Writes `content` as the settings file, loads it, and checks that the store refuses to overwrite it. */
  async function assertProtected(content: string): Promise<SettingsStore> {
    const dir = await tempDir();
    await fs.writeFile(settingsFile(dir), content);
    const before = await fs.readFile(settingsFile(dir));
    const store = await loadedStore(dir);
    assert.ok(store.problem, 'a problem is reported');
    assert.deepEqual(store.accounts(), []);
    await assert.rejects(store.upsertAccount(account('a')));
    await assert.rejects(store.removeAccount('a'));
    assert.deepEqual(await fs.readFile(settingsFile(dir)), before, 'the file is byte-for-byte unchanged');
    assert.deepEqual(await fs.readdir(dir), ['settings.json']);
    return store;
  }

  test('not JSON', async () => {
    const store = await assertProtected('{"version": 1, "accounts": [ {"id": "wo');
    assert.match(store.problem!, /not valid JSON/);
  });

  test('JSON of the wrong shape', async () => {
    for (const content of [
      '[]',
      'null',
      '"settings"',
      '{}',
      JSON.stringify({ version: 2, accounts: [] }),
      JSON.stringify({ version: 1, accounts: {} }),
      JSON.stringify({ version: 1, accounts: [{ id: 'bad id!', jid: 'a@b.c' }] }),
      JSON.stringify({ version: 1, accounts: [{ ...account('a'), port: 70_000 }] }),
    ]) {
      const store = await assertProtected(content);
      assert.match(store.problem!, /unexpected content/, content);
    }
  });

  test('an empty file', async () => {
    await assertProtected('');
  });

  test('a settings path that cannot be read', async () => {
    const dir = await tempDir();
    await fs.mkdir(settingsFile(dir));
    const store = await loadedStore(dir);
    assert.ok(store.problem);
    await assert.rejects(store.upsertAccount(account('a')));
    assert.ok((await fs.stat(settingsFile(dir))).isDirectory());
  });
});

describe('writeFileAtomic', () => {
  test('replaces the whole file and leaves nothing else', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'data.bin');
    await writeFileAtomic(target, 'first version, rather long');
    await writeFileAtomic(target, Uint8Array.of(1, 2, 3));
    assert.deepEqual(await fs.readFile(target), Buffer.of(1, 2, 3));
    assert.deepEqual(await fs.readdir(dir), ['data.bin']);
    assert.equal(await modeOf(target), 0o600);
  });

  test('honours an explicit mode', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'public.txt');
    await writeFileAtomic(target, 'x', 0o640);
    assert.equal(await modeOf(target), 0o640 & ~process.umask());
  });

  test('a failed write leaves the old file and no temp file behind', async () => {
    // The disk "fills up": a child process limited to a tiny file size (RLIMIT_FSIZE) gets EFBIG.
    const dir = await tempDir();
    const target = path.join(dir, 'settings.json');
    await fs.writeFile(target, 'old');
    const script = path.join(dir, 'write.mts');
    const moduleUrl = new URL('../../electron/core/store/atomic-file.ts', import.meta.url).href;
    await fs.writeFile(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(moduleUrl)};\n` +
        `try { await writeFileAtomic(process.argv[2], 'x'.repeat(1 << 20)); console.log('written'); }\n` +
        `catch (error) { console.log('failed:' + error.code); }\n`,
    );
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await promisify(execFile)(
      '/bin/sh',
      ['-c', 'ulimit -f 8 && exec "$@"', 'sh', process.execPath, '--import', 'tsx', script, target],
      { cwd: repo, timeout: 30_000 },
    );
    assert.equal(stdout.trim(), 'failed:EFBIG');
    await fs.rm(script);
    assert.equal(await fs.readFile(target, 'utf8'), 'old');
    assert.deepEqual(await fs.readdir(dir), ['settings.json']);
  });
});
