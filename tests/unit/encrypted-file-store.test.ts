// The one store of profile files (electron/core/store/encrypted-file-store.ts): a value read back as it was
// written, encrypted when asked, replaced atomically, leftovers of an interrupted write removed, and a file
// that cannot be read reported as data and never written over.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { EncryptedFileStore, FileStoreDamaged, seal, unseal, UnsealError } from '../../electron/core/store/encrypted-file-store.js';
import { FileKeySecretBox, type SecretBox } from '../../electron/core/store/secret-box.js';

const Value = z.object({ version: z.literal(1), names: z.array(z.string()) });
type Value = z.infer<typeof Value>;

async function withDir(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-file-store-'));
  try {
    await work(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A SecretBox whose keyring is not there (Linux without one). */
function lockedBox(backend: string): SecretBox {
  return {
    backend,
    status: () => ({ available: false, reason: 'no keyring' }),
    encrypt: () => assert.fail('nothing is encrypted without a keyring'),
    decrypt: () => assert.fail('nothing is decrypted without a keyring'),
  };
}

function value(...names: string[]): Value {
  return { version: 1, names };
}

async function damageOf(store: EncryptedFileStore<Value>): Promise<FileStoreDamaged> {
  const error = await store.load().then(
    () => assert.fail('load should have found the file damaged'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FileStoreDamaged, String(error));
  assert.equal(store.damaged, error);
  return error;
}

/** Checks that a damaged store refuses to save and leaves the file byte for byte. */
async function assertNeverWrittenOver(store: EncryptedFileStore<Value>, file: string): Promise<void> {
  const before = await fs.readFile(file);
  await assert.rejects(store.save(value('new')), FileStoreDamaged);
  await store.flushed();
  assert.deepEqual(await fs.readFile(file), before);
}

describe('EncryptedFileStore, encrypting the whole value', () => {
  test('reads back what it wrote; the file holds no plaintext', () =>
    withDir(async (dir) => {
      const box = await FileKeySecretBox.open(path.join(dir, 'key'));
      const file = path.join(dir, 'state.json');
      await new EncryptedFileStore(file, { schema: Value, encryption: box }).save(value('alice@example.com'));
      assert.deepEqual(await new EncryptedFileStore(file, { schema: Value, encryption: box }).load(), value('alice@example.com'));
      const text = await fs.readFile(file, 'utf8');
      assert.doesNotMatch(text, /alice/);
      assert.equal(JSON.parse(text).backend, 'file-key');
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    }));

  test('no file yet is no value, and no problem', () =>
    withDir(async (dir) => {
      const box = await FileKeySecretBox.open(path.join(dir, 'key'));
      const store = new EncryptedFileStore(path.join(dir, 'state.json'), { schema: Value, encryption: box });
      assert.equal(await store.load(), undefined);
      assert.equal(store.damaged, undefined);
    }));

  test('a file encrypted under another key is reported as such and never written over', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'state.json');
      const first = await FileKeySecretBox.open(path.join(dir, 'key-1'));
      await new EncryptedFileStore(file, { schema: Value, encryption: first }).save(value('a'));
      const other = await FileKeySecretBox.open(path.join(dir, 'key-2'));
      const store = new EncryptedFileStore(file, { schema: Value, encryption: other });
      const { damage } = await damageOf(store);
      assert.deepEqual(damage, { kind: 'wrong-key', sealedWith: 'file-key', now: 'file-key' });
      await assertNeverWrittenOver(store, file);
    }));

  test('without a keyring the file is locked, not damaged, and kept', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'state.json');
      const box = await FileKeySecretBox.open(path.join(dir, 'key'));
      await new EncryptedFileStore(file, { schema: Value, encryption: box }).save(value('a'));
      const store = new EncryptedFileStore(file, { schema: Value, encryption: lockedBox('safeStorage:linux') });
      assert.deepEqual((await damageOf(store)).damage, { kind: 'locked', why: 'no keyring' });
      await assertNeverWrittenOver(store, file);
    }));

  test('a decrypted value of the wrong shape is unexpected content', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'state.json');
      const box = await FileKeySecretBox.open(path.join(dir, 'key'));
      await fs.writeFile(file, JSON.stringify({ version: 1, ...seal(box, JSON.stringify({ version: 2, names: [] })) }));
      const store = new EncryptedFileStore(file, { schema: Value, encryption: box });
      assert.deepEqual((await damageOf(store)).damage, { kind: 'unexpected-content' });
      await assertNeverWrittenOver(store, file);
    }));

  test('a cut-short envelope is damaged', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'state.json');
      const box = await FileKeySecretBox.open(path.join(dir, 'key'));
      await new EncryptedFileStore(file, { schema: Value, encryption: box }).save(value('a'));
      const whole = await fs.readFile(file, 'utf8');
      await fs.writeFile(file, whole.slice(0, whole.length / 2));
      const store = new EncryptedFileStore(file, { schema: Value, encryption: box });
      assert.deepEqual((await damageOf(store)).damage, { kind: 'not-json' });
      await assertNeverWrittenOver(store, file);
    }));
});

describe('EncryptedFileStore, secrets sealed inside', () => {
  const plain = (file: string) => new EncryptedFileStore(file, { schema: Value, encryption: 'secrets-sealed-inside' });

  test('writes readable JSON and reads it back', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'settings.json');
      await plain(file).save(value('a', 'b'));
      assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), value('a', 'b'));
      assert.deepEqual(await plain(file).load(), value('a', 'b'));
    }));

  for (const [name, content, kind] of [
    ['not JSON', '{"version": 1, "names": ["a', 'not-json'],
    ['empty', '', 'not-json'],
    ['the wrong shape', '{"version": 1, "names": "a"}', 'unexpected-content'],
    ['a newer version', '{"version": 2, "names": []}', 'unexpected-content'],
  ] as const) {
    test(`a file that is ${name} is reported (${kind}) and never written over`, () =>
      withDir(async (dir) => {
        const file = path.join(dir, 'settings.json');
        await fs.writeFile(file, content);
        const store = plain(file);
        assert.equal((await damageOf(store)).damage.kind, kind);
        await assertNeverWrittenOver(store, file);
      }));
  }

  test('a path that cannot be read is unreadable, and left alone', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'settings.json');
      await fs.mkdir(file);
      const store = plain(file);
      assert.equal((await damageOf(store)).damage.kind, 'unreadable');
      await assert.rejects(store.save(value('a')), FileStoreDamaged);
      assert.ok((await fs.stat(file)).isDirectory());
    }));

  test('what an interrupted write left beside the file is removed when it is read; other files stay', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'settings.json');
      await plain(file).save(value('kept'));
      // A crash between writing the temp file and renaming it over the target leaves this behind.
      await fs.writeFile(path.join(dir, '.settings.json.0123456789ab.tmp'), '{"version": 1, "names": ["half');
      await fs.writeFile(path.join(dir, '.other.json.0123456789ab.tmp'), 'not ours');
      await fs.writeFile(path.join(dir, 'notes.txt'), 'not ours either');
      assert.deepEqual(await plain(file).load(), value('kept'), 'the last complete write is what is read');
      assert.deepEqual((await fs.readdir(dir)).sort(), ['.other.json.0123456789ab.tmp', 'notes.txt', 'settings.json']);
    }));

  test('a save replaces the whole file atomically and leaves no temp file', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'settings.json');
      const store = plain(file);
      await store.save(value(...Array.from({ length: 1000 }, (_, i) => `a long name number ${i}`)));
      await store.save(value('short'));
      assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), value('short'), 'nothing of the longer file is left');
      assert.deepEqual(await fs.readdir(dir), ['settings.json']);
    }));

  test('saves asked in a row end with the last one on disk, each promise resolving after its value is there', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'settings.json');
      const store = plain(file);
      const saves = ['1', '2', '3', '4'].map(async (n) => {
        await store.save(value(n));
        const onDisk = (JSON.parse(await fs.readFile(file, 'utf8')) as Value).names[0]!;
        assert.ok(Number(onDisk) >= Number(n), `save ${n} resolved with ${onDisk} on disk`);
      });
      await Promise.all(saves);
      assert.deepEqual(await plain(file).load(), value('4'));
    }));

  test('a failed write rejects, leaves the old file, and the next save still works', () =>
    withDir(async (dir) => {
      const file = path.join(dir, 'settings.json');
      const store = plain(file);
      await store.save(value('old'));
      // Creating the temp file fails, as on a full disk.
      const open = fs.open;
      fs.open = (async (name: Parameters<typeof open>[0], ...rest: unknown[]) => {
        if (String(name).endsWith('.tmp')) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        return (open as (...args: unknown[]) => ReturnType<typeof open>)(name, ...rest);
      }) as typeof open;
      try {
        await assert.rejects(store.save(value('new')), /no space left/);
      } finally {
        fs.open = open;
      }
      assert.deepEqual(await plain(file).load(), value('old'));
      await store.save(value('newer'));
      assert.deepEqual(await plain(file).load(), value('newer'));
    }));
});

test('unseal tells a locked keyring from a wrong key', async () =>
  withDir(async (dir) => {
    const box = await FileKeySecretBox.open(path.join(dir, 'key'));
    const sealed = seal(box, 'secret');
    assert.equal(unseal(box, sealed), 'secret');
    assert.throws(() => unseal(lockedBox('x'), sealed), (e: unknown) => e instanceof UnsealError && e.problem.kind === 'locked');
    const other = await FileKeySecretBox.open(path.join(dir, 'other-key'));
    assert.throws(() => unseal(other, sealed), (e: unknown) => e instanceof UnsealError && e.problem.kind === 'wrong-key');
  }));
