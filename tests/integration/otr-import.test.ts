/**
 * Moving between libotr clients and Klatsch with the files libotr itself
 * writes (through the C test peer, tests/otr-peer): a "Pidgin" user's key,
 * instance tag and trust (one contact verified by SMP, which libotr records
 * itself; one marked verified by hand, as pidgin-otr does) are imported into
 * the OTR store; what the store exports is read by libotr with the same
 * fingerprint, instance tag and trust; damaged files change nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import { OtrStore, OtrStoreError } from '../../electron/core/e2ee/otr/store/otr-store.js';
import { humanFingerprint } from '../../electron/core/values/fingerprint.js';
import { exportLibotr, importLibotr, type LibotrImportOptions } from '../../electron/core/e2ee/otr/store/libotr-files.js';
import { readLibotrPrivateKeys } from '../../electron/core/otr/libotr-keyfile.js';
import { normalizeFingerprint, startLibotrPeer, type LibotrPeer, type LibotrPeerOptions } from '../fixtures/libotr-peer.js';

const dirs: string[] = [];
const peers: LibotrPeer[] = [];
after(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-otr-import-'));
  dirs.push(dir);
  return dir;
}

async function peer(options: LibotrPeerOptions): Promise<LibotrPeer> {
  const p = await startLibotrPeer(options);
  peers.push(p);
  return p;
}

/** The peer's files: `<dir>/<account, unsafe characters as _>.<protocol>.{privkey,instag,fingerprints}`. */
function peerFiles(dir: string, account: string, protocol: string) {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  const base = path.join(dir, `${safe(account)}.${safe(protocol)}`);
  return { privkey: `${base}.privkey`, instag: `${base}.instag`, fingerprints: `${base}.fingerprints` };
}

/** Delivers `messages` from `a` to `b`, then every reply either way, until nobody sends anything. */
async function relay(a: LibotrPeer, b: LibotrPeer, messages: string[]): Promise<void> {
  const queue = messages.map((msg) => ({ from: a, to: b, msg }));
  for (let steps = 0; queue.length > 0; steps++) {
    assert.ok(steps < 1000, 'relay does not settle');
    const { from, to, msg } = queue.shift()!;
    const r = await to.receive(from.account, msg);
    for (const reply of r.net) queue.push({ from: to, to: from, msg: reply });
  }
}

async function goSecure(a: LibotrPeer, b: LibotrPeer): Promise<void> {
  await relay(a, b, await a.query(b.account));
  assert.equal((await a.state(b.account)).msgstate, 'encrypted');
}

async function newStore(): Promise<{ store: OtrStore; file: string }> {
  const dir = await tempDir();
  const file = path.join(dir, 'otr-store.json');
  const box = await FileKeySecretBox.open(path.join(await tempDir(), 'secret.key'));
  return { store: await OtrStore.open(file, box), file };
}

const ALICE_PIDGIN = 'alice@klatsch.test/Pidgin';
const ALICE = 'alice@klatsch.test';

describe('libotr files ↔ OTR store', () => {
  let pidginDir: string;
  let files: ReturnType<typeof peerFiles>;
  let alice: { fingerprint: string; instanceTag: number };
  let bob: LibotrPeer;
  let carol: LibotrPeer;
  let pidginTexts: LibotrImportOptions;

  before(async () => {
    // "Pidgin": alice with a resource in her account name, protocol prpl-jabber.
    pidginDir = await tempDir();
    const a = await peer({ account: ALICE_PIDGIN, protocol: 'prpl-jabber', dir: pidginDir });
    bob = await peer({ account: 'bob@klatsch.test/Laptop', protocol: 'prpl-jabber' });
    carol = await peer({ account: 'carol@klatsch.test', protocol: 'prpl-jabber' });
    await goSecure(a, bob);
    await goSecure(a, carol);
    // SMP with bob (no question: libotr then marks the fingerprint "smp" itself and rewrites the file).
    await relay(a, bob, await a.smpStart(bob.account, 'our secret'));
    await relay(bob, a, await bob.smpRespond(a.account, 'our secret'));
    assert.ok(a.events.some((e) => e.startsWith(`smp ${bob.account} OTRL_SMPEVENT_SUCCESS`)), a.events.join('\n'));
    alice = { fingerprint: await a.fingerprint(), instanceTag: await a.instanceTag() };
    await a.close();

    files = peerFiles(pidginDir, ALICE_PIDGIN, 'prpl-jabber');
    const written = await fs.readFile(files.fingerprints, 'utf8');
    const bobFp = normalizeFingerprint(await bob.fingerprint());
    const carolFp = normalizeFingerprint(await carol.fingerprint());
    assert.equal(
      written.split('\n').filter(Boolean).sort().join('\n'),
      [`bob@klatsch.test/Laptop\t${ALICE_PIDGIN}\tprpl-jabber\t${bobFp}\tsmp`, `carol@klatsch.test\t${ALICE_PIDGIN}\tprpl-jabber\t${carolFp}\t`].join('\n'),
      'what libotr wrote',
    );
    // pidgin-otr's "authenticate manually" sets the trust to "verified" (libotr's own files do not).
    await fs.writeFile(files.fingerprints, written.replace(`${carolFp}\t\n`, `${carolFp}\tverified\n`));

    pidginTexts = {
      privateKeyText: await fs.readFile(files.privkey), // bytes: libgcrypt may write x as raw binary in quotes
      fingerprintsText: await fs.readFile(files.fingerprints, 'utf8'),
      instanceTagsText: await fs.readFile(files.instag, 'utf8'),
      protocol: 'prpl-jabber',
    };
    // libotr still reads the edited file.
    const check = await peer({ account: ALICE_PIDGIN, protocol: 'prpl-jabber', dir: pidginDir });
    assert.equal(await check.fingerprint(), alice.fingerprint);
    await check.close();
  });

  test('import: the same fingerprint and instance tag as libotr, trust kept, under bare JIDs', async () => {
    const { store } = await newStore();
    const result = await importLibotr(store, pidginTexts);
    assert.equal(result.accounts.length, 1);
    assert.equal(result.fingerprints, 2);
    const id = await store.identity(ALICE);
    assert.equal(humanFingerprint(id.fingerprint), alice.fingerprint);
    assert.equal(id.instanceTag, alice.instanceTag);
    assert.equal(id.stored, true);
    assert.deepEqual(
      store.fingerprints().map((f) => [f.account, f.contact, f.fingerprint, f.trust]),
      [
        [ALICE, 'bob@klatsch.test', normalizeFingerprint(await bob.fingerprint()), 'verified-smp'],
        [ALICE, 'carol@klatsch.test', normalizeFingerprint(await carol.fingerprint()), 'verified-manual'],
      ],
    );
  });

  test('export: libotr reads our files with the same fingerprint, instance tag and trust', async () => {
    const { store } = await newStore();
    await importLibotr(store, pidginTexts);
    await store.sawFingerprint(ALICE, 'erin@klatsch.test', 'e'.repeat(40)); // unverified, seen in Klatsch

    for (const [protocol, account] of [
      ['xmpp', ALICE],
      ['prpl-jabber', ALICE_PIDGIN],
    ] as const) {
      const out = exportLibotr(store, protocol, { accountName: (jid) => (protocol === 'prpl-jabber' ? `${jid}/Pidgin` : jid) });
      const dir = await tempDir();
      const target = peerFiles(dir, account, protocol);
      await fs.writeFile(target.privkey, out.privateKeyText);
      await fs.writeFile(target.instag, out.instanceTagsText);
      await fs.writeFile(target.fingerprints, out.fingerprintsText);

      const again = await peer({ account, protocol, dir });
      assert.equal(await again.fingerprint(), alice.fingerprint, protocol);
      assert.equal(await again.instanceTag(), alice.instanceTag, protocol);
      assert.ok(!again.events.some((e) => /privkey_generated|instag_generated/.test(e)), again.events.join('\n'));

      // A session with someone new makes libotr write its fingerprint list back: ours is in it, trust as we wrote it.
      const dave = await peer({ account: `dave-${protocol}@klatsch.test`, protocol });
      await goSecure(again, dave);
      assert.equal((await again.state(dave.account)).ourInstanceTag, alice.instanceTag);
      const daveFp = normalizeFingerprint(await dave.fingerprint());
      await again.close();
      await dave.close();
      const rewritten = (await fs.readFile(target.fingerprints, 'utf8')).split('\n').filter(Boolean).sort();
      assert.deepEqual(rewritten, [
        `bob@klatsch.test\t${account}\t${protocol}\t${normalizeFingerprint(await bob.fingerprint())}\tsmp`,
        `carol@klatsch.test\t${account}\t${protocol}\t${normalizeFingerprint(await carol.fingerprint())}\tverified`,
        `dave-${protocol}@klatsch.test\t${account}\t${protocol}\t${daveFp}\t`,
        `erin@klatsch.test\t${account}\t${protocol}\t${'e'.repeat(40)}\t`,
      ]);
    }
  });

  test('damaged libotr files give a clear error and leave the store unchanged', async () => {
    const { store, file } = await newStore();
    await store.identity('zed@klatsch.test');
    await store.setTrust('zed@klatsch.test', 'bob@klatsch.test', 'b'.repeat(40), 'verified-manual');
    const before = await fs.readFile(file);
    const state = () => JSON.stringify([store.ownFingerprints(), store.fingerprints()]);
    const stateBefore = state();

    // One char per byte, so that the edits below keep binary atoms as they are.
    const key = Buffer.from(pidginTexts.privateKeyText).toString('latin1');
    const bobKey = readLibotrPrivateKeys(await fs.readFile(peerFiles(bob.dir, bob.account, 'prpl-jabber').privkey))[0]!.key;
    const other = bobKey.x.toString(16).toUpperCase().padStart(40, '0');
    const bytes = (s: string) => Buffer.from(s, 'latin1');
    const damaged: [string, Partial<LibotrImportOptions>, RegExp][] = [
      ['garbage', { privateKeyText: 'PK\u0003\u0004 this is a zip file' }, /otr\.private_key: The key file is not valid/],
      ['truncated', { privateKeyText: bytes(key.slice(0, key.length - 40)) }, /otr\.private_key: The key file is not valid/],
      [
        "another key's x",
        { privateKeyText: bytes(key.replace(/\(x (?:#[0-9A-F]+#|"(?:[^"\\]|\\.)*")\)/, `(x #${other}#)`)) },
        /damaged \(its parts do not belong together\)/,
      ],
      ['fingerprints: columns shifted', { fingerprintsText: pidginTexts.fingerprintsText!.replace(/\tprpl-jabber\t/, '\t') }, /otr\.fingerprints: line \d+: the fingerprint must be 40 hex digits|columns/],
      ['fingerprints: extra column', { fingerprintsText: pidginTexts.fingerprintsText!.replace(/\tsmp\n/, '\tsmp\tverified\n') }, /otr\.fingerprints: line \d+ has 6 tab-separated columns/],
      ['fingerprints: truncated line', { fingerprintsText: pidginTexts.fingerprintsText!.replace(/\t[0-9a-f]{40}\tsmp/, '\t0123') }, /otr\.fingerprints: line \d+: the fingerprint must be 40 hex digits/],
      ['instance tags: garbage', { instanceTagsText: 'hello world\n' }, /otr\.instance_tags: line 1 has 1/],
      ['instance tags: truncated', { instanceTagsText: pidginTexts.instanceTagsText!.replace(/\t[0-9a-f]{8}\n$/, '\n') }, /otr\.instance_tags: line 2 has 2/],
    ];
    for (const [what, change, message] of damaged) {
      await assert.rejects(
        importLibotr(store, { ...pidginTexts, ...change }),
        (e: Error) => e instanceof OtrStoreError && message.test(e.message),
        what,
      );
    }
    assert.deepEqual(await fs.readFile(file), before);
    assert.equal(state(), stateBefore);
  });
});
