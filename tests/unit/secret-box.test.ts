/**
 * Encryption of stored passwords: the key-file box (tests, development host)
 * and the safeStorage box (the app), the latter with a fake safeStorage.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileKeySecretBox, SafeStorageSecretBox, type SafeStorageLike } from '../../electron/core/store/secret-box.js';

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function keyFile(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-secret-'));
  folders.push(dir);
  return path.join(dir, 'secret.key');
}

const openBox = async () => FileKeySecretBox.open(await keyFile());

describe('FileKeySecretBox', () => {
  test('round trip of ASCII, UTF-8, emoji and the empty string', async () => {
    const box = await openBox();
    for (const plain of ['hunter2', 'Pässwörd-ß-çå', '密码', '🔐💬👩‍💻', '', 'x'.repeat(10_000)]) {
      assert.equal(box.decrypt(box.encrypt(plain)), plain);
    }
    assert.equal(box.backend, 'file-key');
    assert.deepEqual(box.status(), { available: true });
  });

  test('the ciphertext does not contain the plaintext, and differs each time', async () => {
    const box = await openBox();
    const plain = 'correct horse battery staple';
    const a = box.encrypt(plain);
    const b = box.encrypt(plain);
    for (const encoding of ['utf8', 'utf16le', 'latin1'] as const) {
      assert.equal(a.includes(Buffer.from(plain, encoding)), false, encoding);
    }
    assert.equal(a.includes(Buffer.from('horse')), false);
    assert.notDeepEqual(a, b, 'a fresh IV each time');
  });

  test('tampered ciphertext throws', async () => {
    const box = await openBox();
    const sealed = box.encrypt('secret password');
    for (let i = 0; i < sealed.length; i++) {
      const tampered = Buffer.from(sealed);
      tampered[i]! ^= 0x01;
      assert.throws(() => box.decrypt(tampered), `byte ${i} flipped`);
    }
    assert.throws(() => box.decrypt(sealed.subarray(0, sealed.length - 1)), 'truncated');
    assert.throws(() => box.decrypt(Buffer.concat([sealed, Buffer.of(0)])), 'extended');
    assert.throws(() => box.decrypt(Buffer.alloc(0)), 'empty');
    assert.throws(() => box.decrypt(Buffer.alloc(10)), 'too short');
  });

  test('another key cannot decrypt', async () => {
    const sealed = (await openBox()).encrypt('secret');
    const other = await openBox();
    assert.throws(() => other.decrypt(sealed));
  });

  test('the key file is created with mode 0600 and 32 bytes, and reused on reopen', async () => {
    const file = await keyFile();
    const first = await FileKeySecretBox.open(file);
    const key = await fs.readFile(file);
    assert.equal(key.length, 32);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await fs.readdir(path.dirname(file)), ['secret.key']);

    const sealed = first.encrypt('kept across restarts');
    const second = await FileKeySecretBox.open(file);
    assert.equal(second.decrypt(sealed), 'kept across restarts');
    assert.deepEqual(await fs.readFile(file), key, 'the key was not rewritten');
  });

  test('a key file of the wrong length is a clear error, and is left alone', async () => {
    for (const length of [0, 16, 31, 33, 64]) {
      const file = await keyFile();
      const content = Buffer.alloc(length, 7);
      await fs.writeFile(file, content);
      await assert.rejects(FileKeySecretBox.open(file), (error: Error) => {
        assert.match(error.message, /damaged/);
        assert.match(error.message, /wrong length/);
        assert.ok(error.message.includes(file), 'names the file');
        return true;
      });
      assert.deepEqual(await fs.readFile(file), content, 'not replaced by a new key');
    }
  });
});

/** A fake of Electron's safeStorage: "encrypts" by reversing and tagging, records calls. */
function fakeSafeStorage(options: { available?: boolean; backend?: string } = {}) {
  const calls: string[] = [];
  const storage: SafeStorageLike = {
    isEncryptionAvailable: () => options.available ?? true,
    encryptString: (plain) => {
      calls.push('encrypt');
      return Buffer.from(`enc:${[...plain].reverse().join('')}`);
    },
    decryptString: (data) => {
      calls.push('decrypt');
      return [...data.toString().slice(4)].reverse().join('');
    },
    ...(options.backend === undefined ? {} : { getSelectedStorageBackend: () => options.backend! }),
  };
  return { storage, calls };
}

function assertUnavailable(box: SafeStorageSecretBox, calls: string[]): void {
  const status = box.status();
  assert.equal(status.available, false);
  assert.ok(status.reason && status.reason.length > 10, 'a reason is given');
  assert.throws(() => box.encrypt('hunter2'), (error: Error) => error.message === status.reason);
  assert.throws(() => box.decrypt(Buffer.from('enc:2retnuh')));
  assert.deepEqual(calls, [], 'safeStorage was never asked to encrypt or decrypt');
}

describe('SafeStorageSecretBox', () => {
  test('Linux with the basic_text backend (no keyring) is not available', () => {
    const { storage, calls } = fakeSafeStorage({ backend: 'basic_text' });
    const box = new SafeStorageSecretBox(storage, 'linux');
    assertUnavailable(box, calls);
    assert.match(box.status().reason!, /keyring/i);
    assert.equal(box.status().why, 'no-keyring', 'for the UI to word');
    assert.equal(box.backend, 'safeStorage:basic_text');
  });

  test('Linux with an unknown backend is not available', () => {
    const { storage, calls } = fakeSafeStorage({ backend: 'unknown' });
    assertUnavailable(new SafeStorageSecretBox(storage, 'linux'), calls);
  });

  test('encryption not available is not available, on any platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const { storage, calls } = fakeSafeStorage({ available: false, backend: 'gnome_libsecret' });
      const box = new SafeStorageSecretBox(storage, platform);
      assertUnavailable(box, calls);
      assert.equal(box.status().why, 'no-secure-storage');
    }
  });

  test('Linux with gnome_libsecret or kwallet is available and round-trips', () => {
    for (const backend of ['gnome_libsecret', 'kwallet5', 'kwallet6']) {
      const { storage, calls } = fakeSafeStorage({ backend });
      const box = new SafeStorageSecretBox(storage, 'linux');
      assert.deepEqual(box.status(), { available: true });
      assert.equal(box.backend, `safeStorage:${backend}`);
      const sealed = box.encrypt('pässwörd 🔐');
      assert.equal(box.decrypt(sealed), 'pässwörd 🔐');
      assert.deepEqual(calls, ['encrypt', 'decrypt']);
    }
  });

  test('macOS and Windows are available when encryption is, whatever a backend query says', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const { storage } = fakeSafeStorage({ backend: 'basic_text' });
      const box = new SafeStorageSecretBox(storage, platform);
      assert.deepEqual(box.status(), { available: true });
      assert.equal(box.backend, `safeStorage:${platform}`);
      assert.equal(box.decrypt(box.encrypt('secret')), 'secret');
    }
  });
});
