/**
 * The OTR key and trust store (electron/core/e2ee/otr/store/otr-store.ts), in
 * throw-away folders with the key-file SecretBox.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dsaSign, dsaVerify, generateDsaKey, modPow, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { FileKeySecretBox, type SecretBox } from '../../electron/core/store/secret-box.js';
import { UnavailableBox } from '../fixtures/unavailable-box.js';
import { generateDsaKeyAsync } from '../../electron/core/e2ee/otr/store/generate-key.js';
import {
  OtrStore,
  OtrStoreError,
  fingerprintOf,
  type OtrStoreDeps,
} from '../../electron/core/e2ee/otr/store/otr-store.js';
import { requireBareJid } from '../../electron/core/values/jid.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { humanFingerprint, toOtrFingerprint } from '../../electron/core/values/fingerprint.js';

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-otr-store-'));
  folders.push(dir);
  return dir;
}

/** A key-file box whose key lives outside the store's folder. */
async function newBox(): Promise<FileKeySecretBox> {
  return FileKeySecretBox.open(path.join(await tempDir(), 'secret.key'));
}

// Real keys, made once (about 30 ms each); the store gets them through the injected generator.
const KEYS: DsaPrivateKey[] = Array.from({ length: 4 }, () => generateDsaKey());

function generator(keys = KEYS): { deps: OtrStoreDeps; calls: () => number } {
  let n = 0;
  return {
    deps: {
      generateKey: async () => {
        await new Promise((r) => setTimeout(r, 5));
        return keys[n++ % keys.length]!;
      },
    },
    calls: () => n,
  };
}

function clock(start = 1_700_000_000_000): { now: () => number; tick: (ms: number) => void } {
  let t = start;
  return { now: () => t, tick: (ms) => (t += ms) };
}

const fp = (c: string) => c.repeat(40);
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const storeFile = (dir: string) => path.join(dir, 'otr-store.json');
const leftovers = async (dir: string) => (await fs.readdir(dir)).filter((n) => n !== 'otr-store.json');

describe('OtrStore: identities', () => {
  test('a key is made on first need (with progress), then the same key and instance tag come back', async () => {
    const dir = await tempDir();
    const gen = generator();
    const store = await OtrStore.open(storeFile(dir), await newBox(), gen.deps);
    assert.equal(store.problem, undefined);
    assert.deepEqual(store.ownFingerprints(), []);
    const phases: string[] = [];
    const first = await store.identity(ALICE, (p) => phases.push(p.phase));
    assert.deepEqual(phases, ['generating', 'done']);
    assert.equal(first.key, KEYS[0]);
    assert.equal(first.fingerprint, fingerprintOf(KEYS[0]!));
    assert.match(first.fingerprint, /^[0-9a-f]{40}$/);
    assert.ok(first.instanceTag >= 0x100 && first.instanceTag <= 0xffffffff);
    assert.equal(first.stored, true);
    assert.equal(first.notStoredReason, undefined);

    const again = await store.identity(`${ALICE.toUpperCase()}/Laptop`, (p) => phases.push(p.phase));
    assert.deepEqual(phases, ['generating', 'done'], 'no second generation');
    assert.equal(again.key, first.key);
    assert.equal(again.instanceTag, first.instanceTag);
    assert.deepEqual(store.ownFingerprints(), [{ account: ALICE, fingerprint: first.fingerprint, stored: true }]);
    assert.equal(gen.calls(), 1);
  });

  test('a failed generation is reported (progress ends) and the next call tries again', async () => {
    let fail = true;
    const store = await OtrStore.open(storeFile(await tempDir()), await newBox(), {
      generateKey: async () => {
        if (fail) throw new Error('no entropy');
        return KEYS[1]!;
      },
    });
    const phases: string[] = [];
    await assert.rejects(store.identity(ALICE, (p) => phases.push(p.phase)), /no entropy/);
    assert.deepEqual(phases, ['generating', 'done']);
    fail = false;
    assert.equal((await store.identity(ALICE)).key, KEYS[1]);
  });

  test('concurrent first calls make one key', async () => {
    const gen = generator();
    const store = await OtrStore.open(storeFile(await tempDir()), await newBox(), gen.deps);
    const all = await Promise.all(Array.from({ length: 5 }, () => store.identity(ALICE)));
    assert.equal(gen.calls(), 1);
    for (const id of all) assert.equal(id.key, all[0]!.key);
  });

  test('accounts get their own keys and instance tags', async () => {
    const store = await OtrStore.open(storeFile(await tempDir()), await newBox(), generator().deps);
    const a = await store.identity(ALICE);
    const b = await store.identity(BOB);
    assert.notEqual(a.fingerprint, b.fingerprint);
    assert.deepEqual(store.ownFingerprints().map((f) => f.account).sort(), [ALICE, BOB]);
  });

  test('reopening keeps the key, the instance tag and the trust', async () => {
    const dir = await tempDir();
    const box = await newBox();
    const time = clock();
    const store = await OtrStore.open(storeFile(dir), box, { ...generator().deps, now: time.now });
    const id = await store.identity(ALICE);
    await store.sawFingerprint(ALICE, BOB, fp('a'));
    time.tick(1000);
    await store.sawFingerprint(ALICE, BOB, fp('a'));
    await store.setTrust(ALICE, BOB, fp('a'), 'verified-smp');
    await store.sawFingerprint(ALICE, 'carol@example.com', fp('b'));

    const gen = generator();
    const reopened = await OtrStore.open(storeFile(dir), box, gen.deps);
    assert.equal(reopened.problem, undefined);
    const again = await reopened.identity(ALICE);
    assert.equal(gen.calls(), 0, 'no new key');
    assert.deepEqual(again.key, id.key);
    assert.equal(again.instanceTag, id.instanceTag);
    assert.equal(reopened.trust(ALICE, BOB, fp('a')), 'verified-smp');
    assert.deepEqual(reopened.fingerprints(ALICE), [
      { account: ALICE, contact: BOB, fingerprint: fp('a'), trust: 'verified-smp', firstSeen: 1_700_000_000_000, lastUsed: 1_700_000_001_000 },
      { account: ALICE, contact: 'carol@example.com', fingerprint: fp('b'), trust: 'unverified', firstSeen: 1_700_000_001_000, lastUsed: 1_700_000_001_000 },
    ]);
    assert.deepEqual(reopened.fingerprints(BOB), []);
  });

  test('the private key is encrypted at rest; the backend is recorded', async () => {
    const dir = await tempDir();
    const box = await newBox();
    const store = await OtrStore.open(storeFile(dir), box, generator().deps);
    const { key } = await store.identity(ALICE);
    await store.identity(BOB);
    const text = await fs.readFile(storeFile(dir), 'utf8');
    for (const k of [KEYS[0]!, KEYS[1]!]) {
      for (const form of [k.x.toString(16), k.x.toString(10), Buffer.from(k.x.toString(16).padStart(40, '0'), 'hex').toString('base64')]) {
        assert.ok(!text.toLowerCase().includes(form.toLowerCase()), 'x does not appear');
      }
    }
    const json = JSON.parse(text);
    assert.equal(json.privateKeys.backend, 'file-key');
    assert.equal(json.accounts[0].fingerprint, fingerprintOf(key));
    assert.equal((await fs.stat(storeFile(dir))).mode & 0o777, 0o600);
  });

  test('the default generator makes a working DSA-1024/160 key without blocking the event loop', async () => {
    let ticks = 0;
    let during = 0;
    let generating = false;
    const timer = setInterval(() => {
      ticks++;
      if (generating) during++;
    }, 1);
    try {
      for (let i = 0; i < 3; i++) {
        generating = true;
        const key = await generateDsaKeyAsync();
        generating = false;
        assert.equal(key.p.toString(2).length, 1024);
        assert.equal(key.q.toString(2).length, 160);
        assert.equal(modPow(key.g, key.x, key.p), key.y);
        const m = secureRandom(20);
        assert.ok(dsaVerify(key, m, dsaSign(key, m, secureRandom)));
      }
    } finally {
      clearInterval(timer);
    }
    assert.ok(during > 0, `timers ran while keys were generated (${during} of ${ticks} ticks)`);

    // And it is what the store uses when nothing is injected.
    const store = await OtrStore.open(storeFile(await tempDir()), await newBox());
    const id = await store.identity(ALICE);
    assert.equal(modPow(id.key.g, id.key.x, id.key.p), id.key.y);
  });
});

describe('OtrStore: contacts’ fingerprints', () => {
  test('first seen / last used, new or known, trust changes and forgetting', async () => {
    const time = clock();
    const store = await OtrStore.open(storeFile(await tempDir()), await newBox(), { now: time.now });
    assert.deepEqual(await store.sawFingerprint(ALICE, `${BOB}/phone`, fp('A')), { isNew: true, changedFromVerified: false, trust: 'unverified' });
    time.tick(50);
    assert.deepEqual(await store.sawFingerprint(ALICE, BOB, humanFingerprint(fp('a'))), { isNew: false, changedFromVerified: false, trust: 'unverified' });
    assert.deepEqual(store.fingerprints(), [
      { account: ALICE, contact: BOB, fingerprint: fp('a'), trust: 'unverified', firstSeen: time.now() - 50, lastUsed: time.now() },
    ]);
    await store.setTrust(ALICE, BOB, fp('a'), 'verified-manual');
    assert.equal(store.trust(ALICE, BOB, fp('a')), 'verified-manual');
    assert.equal(store.trust(BOB, ALICE, fp('a')), 'unverified', 'trust is per account');
    assert.equal(store.trust(ALICE, BOB, fp('c')), 'unverified');
    await store.forget(ALICE, BOB, fp('a'));
    assert.deepEqual(store.fingerprints(), []);
    await store.forget(ALICE, BOB, fp('a')); // nothing to forget: fine
    await store.setTrust(ALICE, BOB, fp('d'), 'verified-manual'); // typed in before the first session
    assert.deepEqual(store.fingerprints()[0], { account: ALICE, contact: BOB, fingerprint: fp('d'), trust: 'verified-manual', firstSeen: time.now(), lastUsed: undefined });
  });

  test('a changed fingerprint of a contact with a verified one is flagged', async () => {
    const store = await OtrStore.open(storeFile(await tempDir()), await newBox());
    await store.sawFingerprint(ALICE, BOB, fp('1'));
    await store.setTrust(ALICE, BOB, fp('1'), 'verified-smp');
    assert.deepEqual(await store.sawFingerprint(ALICE, BOB, fp('2')), { isNew: true, changedFromVerified: true, trust: 'unverified' });
    assert.deepEqual(await store.sawFingerprint(ALICE, BOB, fp('2')), { isNew: false, changedFromVerified: true, trust: 'unverified' }, 'still, until verified');
    assert.deepEqual(await store.sawFingerprint(ALICE, BOB, fp('1')), { isNew: false, changedFromVerified: false, trust: 'verified-smp' });
    await store.setTrust(ALICE, BOB, fp('2'), 'verified-manual');
    assert.deepEqual(await store.sawFingerprint(ALICE, BOB, fp('2')), { isNew: false, changedFromVerified: false, trust: 'verified-manual' }, 'two verified devices');
    // Unverified history does not count, nor another account's or contact's verification.
    await store.sawFingerprint(ALICE, 'carol@example.com', fp('3'));
    assert.equal((await store.sawFingerprint(ALICE, 'carol@example.com', fp('4'))).changedFromVerified, false);
    assert.equal((await store.sawFingerprint(BOB, BOB, fp('5'))).changedFromVerified, false);
  });

  test('concurrent writes all land, in one valid file, with no temp files left', async () => {
    const dir = await tempDir();
    const box = await newBox();
    const store = await OtrStore.open(storeFile(dir), box, generator().deps);
    const hex = (i: number) => i.toString(16).padStart(40, '0');
    await Promise.all([
      store.identity(ALICE),
      ...Array.from({ length: 40 }, (_, i) => store.sawFingerprint(ALICE, `c${i}@example.com`, hex(i))),
      ...Array.from({ length: 20 }, (_, i) => store.setTrust(ALICE, `c${i}@example.com`, hex(i), i % 2 ? 'verified-smp' : 'verified-manual')),
      ...Array.from({ length: 10 }, (_, i) => store.sawFingerprint(BOB, `d${i}@example.com`, hex(100 + i))),
    ]);
    await store.forget(ALICE, 'c39@example.com', hex(39));
    assert.deepEqual(await leftovers(dir), []);
    const reopened = await OtrStore.open(storeFile(dir), box);
    assert.equal(reopened.problem, undefined);
    assert.equal(reopened.fingerprints(ALICE).length, 39);
    assert.equal(reopened.fingerprints(BOB).length, 10);
    for (let i = 0; i < 20; i++) {
      assert.equal(reopened.trust(ALICE, `c${i}@example.com`, hex(i)), i % 2 ? 'verified-smp' : 'verified-manual');
    }
    assert.equal(reopened.trust(ALICE, 'c25@example.com', hex(25)), 'unverified');
    assert.equal(reopened.ownFingerprints().length, 1);
  });

  test('bad arguments are refused', async () => {
    const store = await OtrStore.open(storeFile(await tempDir()), await newBox());
    await assert.rejects(store.sawFingerprint(ALICE, BOB, 'abc'), TypeError);
    await assert.rejects(store.sawFingerprint(ALICE, 'bob @x', fp('a')), TypeError);
    await assert.rejects(store.identity(''), TypeError);
    await assert.rejects(store.setTrust(ALICE, BOB, fp('a'), 'trusted' as never), TypeError);
    assert.equal(requireBareJid(' Alice@Example.COM/Pidgin '), 'alice@example.com');
    assert.equal(toOtrFingerprint('0123ABCD 0123ABCD 0123ABCD 0123ABCD 0123ABCD'), '0123abcd'.repeat(5));
  });
});

describe('OtrStore: damaged files are reported and never overwritten', () => {
  async function assertReadOnly(dir: string, box: SecretBox, problem: RegExp): Promise<OtrStore> {
    const before = await fs.readFile(storeFile(dir));
    const store = await OtrStore.open(storeFile(dir), box, generator().deps);
    assert.match(store.problem ?? '', problem);
    assert.match(store.problem ?? '', /left as it is/);
    await assert.rejects(store.setTrust(ALICE, BOB, fp('a'), 'verified-manual'), OtrStoreError);
    await assert.rejects(store.forget(ALICE, BOB, fp('a')), OtrStoreError);
    // Sightings and identities still work for this session, in memory only.
    assert.equal((await store.sawFingerprint(ALICE, BOB, fp('e'))).isNew, true);
    const id = await store.identity('zoe@example.com');
    assert.equal(id.stored, false);
    assert.match(id.notStoredReason ?? '', /only until Klatsch quits/);
    assert.throws(() => store.exportAll(), OtrStoreError);
    await store.flushed();
    assert.deepEqual(await fs.readFile(storeFile(dir)), before, 'byte for byte unchanged');
    assert.deepEqual(await leftovers(dir), []);
    return store;
  }

  test('not JSON', async () => {
    const dir = await tempDir();
    await fs.writeFile(storeFile(dir), '{"version": 1, "accounts": [');
    await assertReadOnly(dir, await newBox(), /damaged \(not valid JSON\)/);
  });

  test('JSON of the wrong shape', async () => {
    for (const content of [
      '[]',
      '{"version": 2, "accounts": [], "fingerprints": []}',
      '{"version": 1, "accounts": [{"account": "alice@x", "instanceTag": 5}], "fingerprints": []}',
      `{"version": 1, "accounts": [], "fingerprints": [{"account": "A@x", "contact": "b@x", "fingerprint": "${fp('a')}", "trust": "unverified", "firstSeen": 1}]}`,
      `{"version": 1, "accounts": [], "fingerprints": [{"account": "a@x", "contact": "b@x", "fingerprint": "${fp('a')}", "trust": "trusted", "firstSeen": 1}]}`,
      `{"version": 1, "accounts": [{"account": "a@x", "instanceTag": 300, "fingerprint": "${fp('a')}"}], "fingerprints": []}`,
    ]) {
      const dir = await tempDir();
      await fs.writeFile(storeFile(dir), content);
      await assertReadOnly(dir, await newBox(), /unexpected content/);
    }
  });

  test('keys encrypted with another key cannot be decrypted; the public part still warns', async () => {
    const dir = await tempDir();
    const first = await OtrStore.open(storeFile(dir), await newBox(), generator().deps);
    await first.identity(ALICE);
    await first.sawFingerprint(ALICE, BOB, fp('1'));
    await first.setTrust(ALICE, BOB, fp('1'), 'verified-manual');
    const store = await assertReadOnly(dir, await newBox(), /could not be decrypted/);
    assert.equal(store.trust(ALICE, BOB, fp('1')), 'verified-manual');
    assert.equal((await store.sawFingerprint(ALICE, BOB, fp('2'))).changedFromVerified, true);
  });

  test('an undecryptable blob and keys that do not match their fingerprints are refused', async () => {
    const dir = await tempDir();
    const box = await newBox();
    const first = await OtrStore.open(storeFile(dir), box, generator().deps);
    await first.identity(ALICE);
    const json = JSON.parse(await fs.readFile(storeFile(dir), 'utf8'));
    json.accounts[0].fingerprint = fp('f');
    await fs.writeFile(storeFile(dir), JSON.stringify(json));
    await assertReadOnly(dir, box, /keys in .* are damaged/);

    // Decrypts, matches the fingerprint, but x is not the key's: refused too.
    json.accounts[0].fingerprint = fingerprintOf(KEYS[0]!);
    const inner = JSON.parse(box.decrypt(Buffer.from(json.privateKeys.data, 'base64')));
    inner.keys[0].x = (KEYS[0]!.x ^ 1n).toString(16);
    json.privateKeys.data = box.encrypt(JSON.stringify(inner)).toString('base64');
    await fs.writeFile(storeFile(dir), JSON.stringify(json));
    await assertReadOnly(dir, box, /keys in .* are damaged/);

    json.privateKeys.data = Buffer.from('garbage').toString('base64');
    await fs.writeFile(storeFile(dir), JSON.stringify(json));
    await assertReadOnly(dir, box, /could not be decrypted/);
  });

  test('a failed write is reported and not kept in memory', async () => {
    const dir = await tempDir();
    const store = await OtrStore.open(storeFile(dir), await newBox());
    await store.sawFingerprint(ALICE, BOB, fp('1'));
    // The target turns into a non-empty folder: the rename over it fails.
    await fs.rm(storeFile(dir));
    await fs.mkdir(storeFile(dir));
    await fs.writeFile(path.join(storeFile(dir), 'x'), '');
    await assert.rejects(store.setTrust(ALICE, BOB, fp('1'), 'verified-manual'), (e: Error) => e instanceof OtrStoreError && /could not save/.test(e.message));
    assert.equal(store.trust(ALICE, BOB, fp('1')), 'unverified');
    assert.deepEqual((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp')), []);
  });
});

describe('OtrStore: without secure storage', () => {
  test('a private key is not stored, and the reason is given', async () => {
    const dir = await tempDir();
    const store = await OtrStore.open(storeFile(dir), new UnavailableBox(), generator().deps);
    assert.equal(store.problem, undefined);
    const id = await store.identity(ALICE);
    assert.equal(id.stored, false);
    assert.match(id.notStoredReason ?? '', /only until Klatsch quits.*secure storage is not available \(no keyring is running\)/);
    // The sidebar words it by kind: a German user reads German, not the core's English.
    assert.equal(id.notStored, 'no-secure-storage');
    assert.equal(catalogFor('de').sidebar.keyNotStoredWhy[id.notStored], 'Ihr Schlüssel bleibt nur bis zum Beenden von Klatsch erhalten: Der sichere Speicher ist nicht verfügbar. Ihre Kontakte sehen beim nächsten Mal einen neuen Fingerabdruck.');
    assert.equal((await store.identity(ALICE)).key, id.key, 'the same key for the whole session');
    assert.deepEqual(store.ownFingerprints(), [{ account: ALICE, fingerprint: id.fingerprint, stored: false }]);
    // Trust is still stored; the key is not, the instance tag is.
    await store.sawFingerprint(ALICE, BOB, fp('1'));
    await store.setTrust(ALICE, BOB, fp('1'), 'verified-smp');
    const text = await fs.readFile(storeFile(dir), 'utf8');
    assert.ok(!text.includes(id.key.x.toString(16)) && !text.includes(id.key.x.toString(10)));
    const json = JSON.parse(text);
    assert.equal(json.privateKeys, undefined);
    assert.deepEqual(json.accounts, [{ account: ALICE, instanceTag: id.instanceTag }]);

    const later = await OtrStore.open(storeFile(dir), await newBox(), generator([KEYS[2]!]).deps);
    const next = await later.identity(ALICE);
    assert.equal(next.stored, true);
    assert.notEqual(next.fingerprint, id.fingerprint, 'a new key: the old one was never stored');
    assert.equal(next.instanceTag, id.instanceTag);
    assert.equal(later.trust(ALICE, BOB, fp('1')), 'verified-smp');
  });

  test('stored keys stay locked but intact while the secure storage is unavailable', async () => {
    const dir = await tempDir();
    const box = await newBox();
    const first = await OtrStore.open(storeFile(dir), box, generator().deps);
    const id = await first.identity(ALICE);
    const blob = JSON.parse(await fs.readFile(storeFile(dir), 'utf8')).privateKeys;

    const locked = await OtrStore.open(storeFile(dir), new UnavailableBox(), generator([KEYS[3]!]).deps);
    assert.equal(locked.problem, undefined);
    const temp = await locked.identity(ALICE);
    assert.equal(temp.stored, false);
    assert.notEqual(temp.fingerprint, id.fingerprint);
    assert.match(temp.notStoredReason ?? '', /saved key, which cannot be unlocked now \(no keyring is running\)/);
    assert.equal(temp.notStored, 'replaces-locked');
    assert.match(catalogFor('de').sidebar.keyNotStoredWhy[temp.notStored], /^Ihr neuer Schlüssel .* Der gespeicherte kann gerade nicht entsperrt werden/);
    await locked.setTrust(ALICE, BOB, fp('1'), 'verified-manual'); // trust changes still save
    assert.throws(() => locked.exportAll(), /cannot be exported/);
    assert.deepEqual(JSON.parse(await fs.readFile(storeFile(dir), 'utf8')).privateKeys, blob, 'keys written back untouched');

    const unlocked = await OtrStore.open(storeFile(dir), box);
    const back = await unlocked.identity(ALICE);
    assert.equal(back.fingerprint, id.fingerprint);
    assert.equal(unlocked.trust(ALICE, BOB, fp('1')), 'verified-manual');
  });
});
