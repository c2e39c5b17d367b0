/**
 * Import and export of libotr's files (otr.private_key, otr.fingerprints,
 * otr.instance_tags) into the OTR store, with files written here in libotr's
 * formats. tests/integration/otr-import.test.ts does the same with files
 * written by libotr itself.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDsaKey, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import { readLibotrPrivateKeys, writeLibotrPrivateKeys } from '../../electron/core/otr/libotr-keyfile.js';
import { FileKeySecretBox, type SecretBox } from '../../electron/core/store/secret-box.js';
import { OtrStore, OtrStoreError, fingerprintOf } from '../../electron/core/e2ee/otr/store/otr-store.js';
import { exportLibotr, importLibotr, type LibotrImportOptions } from '../../electron/core/e2ee/otr/store/libotr-files.js';
import { importLibotrFolder } from '../../electron/core/e2ee/otr/store/libotr-folder.js';
import { KlatschError } from '../../electron/core/errors.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { errorText } from '../../renderer/i18n/errors.js';

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-otr-libotr-'));
  folders.push(dir);
  return dir;
}

const KEYS: DsaPrivateKey[] = Array.from({ length: 4 }, () => generateDsaKey());
const [ALICE_KEY, ICQ_KEY, OTHER_KEY, BOB_KEY] = KEYS as [DsaPrivateKey, DsaPrivateKey, DsaPrivateKey, DsaPrivateKey];

async function openStore(box?: SecretBox): Promise<{ store: OtrStore; file: string; box: SecretBox }> {
  const dir = await tempDir();
  const file = path.join(dir, 'otr-store.json');
  const b = box ?? (await FileKeySecretBox.open(path.join(await tempDir(), 'secret.key')));
  let n = 0;
  return { store: await OtrStore.open(file, b, { generateKey: async () => KEYS[n++ % KEYS.length]! }), file, box: b };
}

const fp = (c: string) => c.repeat(40);
const FP_B = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';

// What Pidgin (pidgin-otr on libotr 4) keeps for alice@example.com/Home, plus an ICQ account.
const pidgin = {
  privateKeyText: writeLibotrPrivateKeys([
    { account: 'alice@example.com/Home', protocol: 'prpl-jabber', key: ALICE_KEY },
    { account: '123456789', protocol: 'prpl-icq', key: ICQ_KEY },
  ]),
  fingerprintsText: [
    `bob@example.com\talice@example.com/Home\tprpl-jabber\t${FP_B}\tverified`,
    `bob@example.com/Phone\talice@example.com/Home\tprpl-jabber\t${fp('2')}\tsmp`,
    `carol@example.com\talice@example.com/Home\tprpl-jabber\t${fp('3')}\t`,
    `dave@example.com\talice@example.com/Home\tprpl-jabber\t${fp('4')}`,
    `erin@example.com\talice@example.com/Home\tprpl-jabber\t${fp('5')}\tsomething-else`,
    `Buddy With Spaces\tmyaimname\tprpl-aim\t${fp('6')}\tverified`,
    '',
  ].join('\n'),
  instanceTagsText:
    "# WARNING! You shouldn't copy this file to another computer. It is unnecessary and can cause problems.\n" +
    'alice@example.com/Home\tprpl-jabber\t1a2b3c4d\n' +
    '123456789\tprpl-icq\t00000aaa\n',
  protocol: 'prpl-jabber' as const,
};

describe('importLibotr', () => {
  test("a Pidgin user's identity, instance tag and trust arrive under bare JIDs", async () => {
    const { store } = await openStore();
    const result = await importLibotr(store, pidgin);
    assert.deepEqual(result, {
      accounts: [{ account: 'alice@example.com', fingerprint: fingerprintOf(ALICE_KEY), instanceTag: 0x1a2b3c4d }],
      fingerprints: 5,
    });
    const id = await store.identity('alice@example.com');
    assert.deepEqual(id.key, ALICE_KEY);
    assert.equal(id.instanceTag, 0x1a2b3c4d);
    assert.equal(id.stored, true);
    const A = 'alice@example.com';
    assert.equal(store.trust(A, 'bob@example.com', FP_B), 'verified-manual');
    assert.equal(store.trust(A, 'bob@example.com', fp('2')), 'verified-smp');
    assert.equal(store.trust(A, 'carol@example.com', fp('3')), 'unverified');
    assert.equal(store.trust(A, 'dave@example.com', fp('4')), 'unverified');
    assert.equal(store.trust(A, 'erin@example.com', fp('5')), 'unverified');
    assert.equal(store.fingerprints().length, 5, 'the AIM line is not imported');
    assert.ok(store.fingerprints().every((f) => f.lastUsed === undefined && f.firstSeen > 0));
    // A later session with bob's other key is flagged.
    assert.equal((await store.sawFingerprint(A, 'bob@example.com', fp('9'))).changedFromVerified, true);
  });

  test('"xmpp" files, an account filter and no optional files', async () => {
    const { store } = await openStore();
    const text = writeLibotrPrivateKeys([
      { account: 'alice@example.com', protocol: 'xmpp', key: ALICE_KEY },
      { account: 'bob@example.com', protocol: 'xmpp', key: BOB_KEY },
    ]);
    await importLibotr(store, { privateKeyText: text, protocol: 'xmpp', accounts: ['Bob@Example.com'] });
    assert.deepEqual(store.ownFingerprints(), [{ account: 'bob@example.com', fingerprint: fingerprintOf(BOB_KEY), stored: true }]);
    assert.ok((await store.identity('bob@example.com')).instanceTag >= 0x100, 'a fresh instance tag');
  });

  test('several Pidgin accounts of one JID: the same key is fine, verifications count from any', async () => {
    const { store } = await openStore();
    await importLibotr(store, {
      protocol: 'prpl-jabber',
      privateKeyText: writeLibotrPrivateKeys([
        { account: 'alice@example.com/Home', protocol: 'prpl-jabber', key: ALICE_KEY },
        { account: 'alice@example.com/Work', protocol: 'prpl-jabber', key: ALICE_KEY },
      ]),
      fingerprintsText:
        `bob@example.com\talice@example.com/Home\tprpl-jabber\t${fp('1')}\tsmp\n` +
        `bob@example.com\talice@example.com/Work\tprpl-jabber\t${fp('1')}\t\n`,
      instanceTagsText: 'alice@example.com/Work\tprpl-jabber\t00001000\nalice@example.com/Home\tprpl-jabber\t00002000\n',
    });
    assert.equal(store.trust('alice@example.com', 'bob@example.com', fp('1')), 'verified-smp');
    assert.equal((await store.identity('alice@example.com')).instanceTag, 0x2000, "the tag of the account whose key was taken");
  });

  test('an import never weakens a verification already in Klatsch', async () => {
    const { store } = await openStore();
    await store.setTrust('alice@example.com', 'carol@example.com', fp('3'), 'verified-smp');
    await importLibotr(store, pidgin);
    assert.equal(store.trust('alice@example.com', 'carol@example.com', fp('3')), 'verified-smp');
  });

  test('bad files give a clear error and change nothing', async () => {
    const { store, file } = await openStore();
    await store.identity('zed@example.com');
    await store.sawFingerprint('zed@example.com', 'bob@example.com', fp('7'));
    const before = await fs.readFile(file);
    const memory = () => JSON.stringify([store.ownFingerprints(), store.fingerprints()]);
    const memoryBefore = memory();

    const key = pidgin.privateKeyText;
    const cases: [string, Partial<LibotrImportOptions>, RegExp][] = [
      ['garbage key file', { privateKeyText: 'hello world' }, /otr\.private_key: .*not valid/],
      ['empty key file', { privateKeyText: '' }, /otr\.private_key/],
      ['truncated key file', { privateKeyText: key.slice(0, Math.floor(key.length / 2)) }, /otr\.private_key: .*not valid/],
      ['x does not match y', { privateKeyText: key.replace(/\(x #[0-9A-F]+#\)/, '(x #0123#)') }, /otr\.private_key: .*damaged/],
      ['not a libotr key file', { privateKeyText: '(public-key (dsa (p #01#)))' }, /not a libotr private key file/],
      ['no key for the protocol', { privateKeyText: key, protocol: 'xmpp' }, /no key for the protocol "xmpp".*alice@example.com\/Home \(prpl-jabber\)/],
      ['an account without a key', { accounts: ['nobody@example.com'] }, /no prpl-jabber key for nobody@example.com/],
      [
        'two keys for one JID',
        {
          privateKeyText: writeLibotrPrivateKeys([
            { account: 'alice@example.com/Home', protocol: 'prpl-jabber', key: ALICE_KEY },
            { account: 'alice@example.com/Work', protocol: 'prpl-jabber', key: OTHER_KEY },
          ]),
        },
        /two different keys for alice@example.com/,
      ],
      ['fingerprints: three columns', { fingerprintsText: `bob@example.com\talice@example.com\t${fp('1')}\n` }, /otr\.fingerprints: line 1 has 3 tab-separated columns/],
      ['fingerprints: six columns', { fingerprintsText: `${pidgin.fingerprintsText}bob@x\talice@x\tprpl-jabber\t${fp('1')}\tverified\textra\n` }, /line 7 has 6/],
      ['fingerprints: trust in the fingerprint column', { fingerprintsText: `bob@x\talice@x\tprpl-jabber\tverified\t${fp('1')}\n` }, /line 1: the fingerprint must be 40 hex digits/],
      ['fingerprints: short fingerprint', { fingerprintsText: `bob@x\talice@x\tprpl-jabber\t${'a'.repeat(39)}\t\n` }, /40 hex digits/],
      ['fingerprints: contact is no JID', { fingerprintsText: `bob smith\talice@x\tprpl-jabber\t${fp('1')}\t\n` }, /the contact "bob smith" is not a JID/],
      ['fingerprints: a key file', { fingerprintsText: key }, /otr\.fingerprints: line 1 has 1 tab-separated/],
      ['fingerprints: binary', { fingerprintsText: '\0\x01\x02' }, /not a text file/],
      ['instance tags: two columns', { instanceTagsText: 'alice@example.com/Home\t1a2b3c4d\n' }, /otr\.instance_tags: line 1 has 2/],
      ['instance tags: too small', { instanceTagsText: 'alice@example.com/Home\tprpl-jabber\t000000ff\n' }, /not valid \(the smallest is 00000100\)/],
      ['instance tags: not hex', { instanceTagsText: 'alice@example.com/Home\tprpl-jabber\tzzzzzzzz\n' }, /up to 8 hex digits/],
      [
        'instance tags: two for one account',
        { instanceTagsText: 'alice@example.com/A\tprpl-jabber\t00001000\nalice@example.com/B\tprpl-jabber\t00002000\n' },
        /different instance tags for alice@example.com/,
      ],
    ];
    for (const [what, change, message] of cases) {
      await assert.rejects(
        importLibotr(store, { ...pidgin, ...change }),
        (e: Error) => e instanceof OtrStoreError && message.test(e.message) && /Nothing was imported/.test(e.message),
        what,
      );
    }
    await store.flushed();
    assert.deepEqual(await fs.readFile(file), before, 'the store file is unchanged');
    assert.equal(memory(), memoryBefore, 'and so is the store in memory');
  });

  test('a different key already in Klatsch is only replaced when asked to', async () => {
    const { store, file } = await openStore();
    const own = await store.identity('alice@example.com'); // ALICE_KEY is KEYS[0]: use another
    assert.deepEqual(own.key, ALICE_KEY);
    const otherFile = writeLibotrPrivateKeys([{ account: 'alice@example.com/Home', protocol: 'prpl-jabber', key: OTHER_KEY }]);
    const before = await fs.readFile(file);
    await assert.rejects(
      importLibotr(store, { ...pidgin, privateKeyText: otherFile }),
      (e: Error) => e instanceof OtrStoreError && /already has a different OTR key/.test(e.message),
    );
    assert.deepEqual(await fs.readFile(file), before);
    assert.equal(store.fingerprints().length, 0, 'no fingerprints were imported either');

    await importLibotr(store, { ...pidgin, privateKeyText: pidgin.privateKeyText }); // the same key: fine
    await importLibotr(store, { ...pidgin, privateKeyText: otherFile, replaceKeys: true });
    assert.equal((await store.identity('alice@example.com')).fingerprint, fingerprintOf(OTHER_KEY));
  });

  test('keys cannot be imported without secure storage, nor into a damaged store', async () => {
    const unavailable: SecretBox = {
      backend: 'none',
      status: () => ({ available: false, reason: 'no keyring is running' }),
      encrypt: () => {
        throw new Error('unavailable');
      },
      decrypt: () => {
        throw new Error('unavailable');
      },
    };
    const { store, file } = await openStore(unavailable);
    await assert.rejects(importLibotr(store, pidgin), /cannot import the OTR keys.*no keyring is running/);
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });

    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'otr-store.json'), 'garbage');
    const damaged = await OtrStore.open(path.join(dir, 'otr-store.json'), await FileKeySecretBox.open(path.join(dir, 'k')));
    await assert.rejects(importLibotr(damaged, pidgin), OtrStoreError);
    assert.equal(await fs.readFile(path.join(dir, 'otr-store.json'), 'utf8'), 'garbage');
  });
});

describe('exportLibotr', () => {
  test("libotr's formats, and back again", async () => {
    const { store } = await openStore();
    await importLibotr(store, pidgin);
    await store.identity('bob@example.com'); // made here
    const out = exportLibotr(store, 'prpl-jabber', { accountName: (jid) => `${jid}/Klatsch` });

    const keys = readLibotrPrivateKeys(out.privateKeyText);
    assert.deepEqual(
      keys.map((k) => [k.account, k.protocol, fingerprintOf(k.key)]),
      [
        ['alice@example.com/Klatsch', 'prpl-jabber', fingerprintOf(ALICE_KEY)],
        ['bob@example.com/Klatsch', 'prpl-jabber', fingerprintOf((await store.identity('bob@example.com')).key)],
      ],
    );
    const lines = out.fingerprintsText.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.ok(lines.includes(`bob@example.com\talice@example.com/Klatsch\tprpl-jabber\t${FP_B.toLowerCase()}\tverified`));
    assert.ok(lines.includes(`bob@example.com\talice@example.com/Klatsch\tprpl-jabber\t${fp('2')}\tsmp`));
    assert.ok(lines.includes(`carol@example.com\talice@example.com/Klatsch\tprpl-jabber\t${fp('3')}\t`));
    assert.match(out.instanceTagsText, /^# WARNING!.*\nalice@example\.com\/Klatsch\tprpl-jabber\t1a2b3c4d\nbob@example\.com\/Klatsch\tprpl-jabber\t[0-9a-f]{8}\n$/);

    const { store: again } = await openStore();
    await importLibotr(again, { ...out, protocol: 'prpl-jabber' });
    assert.deepEqual(again.ownFingerprints(), store.ownFingerprints());
    assert.deepEqual(
      again.fingerprints().map(({ lastUsed: _l, firstSeen: _f, ...rest }) => rest),
      store.fingerprints().map(({ lastUsed: _l, firstSeen: _f, ...rest }) => rest),
    );
    for (const account of ['alice@example.com', 'bob@example.com']) {
      assert.equal((await again.identity(account)).instanceTag, (await store.identity(account)).instanceTag);
    }
  });

  test('an empty store exports empty files', async () => {
    const { store } = await openStore();
    const out = exportLibotr(store, 'xmpp');
    assert.deepEqual(readLibotrPrivateKeys(out.privateKeyText), []);
    assert.equal(out.fingerprintsText, '');
  });
});

test('an import that fails is told to a German user in German, naming the file, without the core’s English', async () => {
  const { store } = await openStore();
  const de = catalogFor('de');
  const refusal = async (dir: string): Promise<string> => {
    const error = await importLibotrFolder(store, dir, { accounts: ['alice@example.com'], replaceKeys: false }).then(
      () => assert.fail('the import should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof OtrStoreError);
    // As the importLibotr handler passes it on.
    return errorText(de, new KlatschError('storage', error.message, error.detail).toAppError());
  };
  const empty = await tempDir();
  assert.equal(await refusal(empty), `In ${empty} gibt es keine Datei otr.private_key. Es wurde nichts importiert.`);
  const damaged = await tempDir();
  await fs.writeFile(path.join(damaged, 'otr.private_key'), '(privkeys (account (name "x');
  assert.equal(await refusal(damaged), 'otr.private_key ist keine libotr-Datei, die Klatsch lesen kann. Es wurde nichts importiert.');
});
