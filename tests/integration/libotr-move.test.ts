/**
 * Moving from Pidgin through the app: the core asks for a folder (here the
 * test answers the dialog) and imports the otr.* files libotr wrote — the
 * user's key, instance tag and trust — then exports them for libotr again.
 * A key Klatsch already made is replaced only when the user says so, and a
 * folder without libotr files is refused with a clear error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountView } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { normalizeFingerprint, startLibotrPeer, type LibotrPeer } from '../fixtures/libotr-peer.js';

const password = 'libotr-move-pw';

describe('moving from a libotr client (Pidgin) through the app', () => {
  let server: ProsodyServer;
  let core: TestCore;
  let account: AccountView;
  const dirs: string[] = [];
  const peers: LibotrPeer[] = [];
  let pick: string | undefined;
  let pidgin: { dir: string; fingerprint: string; instanceTag: number; bob: string };

  const tempDir = async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-libotr-move-'));
    dirs.push(dir);
    return dir;
  };
  const human = (hex: string) => normalizeFingerprint(hex).toUpperCase().match(/.{8}/g)!.join(' ');

  before(async () => {
    server = await startProsody({ users: [{ username: 'alice', password }] });
    const alice = `alice@${server.domain}/Pidgin`;
    // "Pidgin": libotr makes Alice's key and meets Bob, whose key she then marks verified by hand.
    const peerDir = await tempDir();
    const a = await startLibotrPeer({ account: alice, protocol: 'prpl-jabber', dir: peerDir });
    const bob = await startLibotrPeer({ account: `bob@${server.domain}/Laptop`, protocol: 'prpl-jabber' });
    peers.push(a, bob);
    const queue = (await a.query(bob.account)).map((msg) => ({ from: a, to: bob, msg }));
    while (queue.length > 0) {
      const { from, to, msg } = queue.shift()!;
      for (const reply of (await to.receive(from.account, msg)).net) queue.push({ from: to, to: from, msg: reply });
    }
    const bobFp = normalizeFingerprint(await bob.fingerprint());
    pidgin = { dir: await tempDir(), fingerprint: await a.fingerprint(), instanceTag: await a.instanceTag(), bob: bobFp };
    await a.close();
    const base = path.join(peerDir, `${alice.replace(/[^A-Za-z0-9._-]/g, '_')}.prpl-jabber`);
    await fs.copyFile(`${base}.privkey`, path.join(pidgin.dir, 'otr.private_key'));
    await fs.copyFile(`${base}.instag`, path.join(pidgin.dir, 'otr.instance_tags'));
    const fingerprints = await fs.readFile(`${base}.fingerprints`, 'utf8');
    assert.match(fingerprints, new RegExp(`${bobFp}\\t\\n`), 'libotr recorded Bob, not verified');
    await fs.writeFile(path.join(pidgin.dir, 'otr.fingerprints'), fingerprints.replace(`${bobFp}\t\n`, `${bobFp}\tverified\n`));

    core = await startTestCore({ caPem: server.ca.caCertPem, pickFolder: async () => pick });
    account = await core.call('addAccount', {
      jid: `alice@${server.domain}`,
      password,
      rememberPassword: true,
      host: '127.0.0.1',
      port: server.c2sPort,
    });
  });
  after(async () => {
    await core?.dispose();
    await Promise.all(peers.map((p) => p.close()));
    await server?.dispose();
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  test('a cancelled dialog imports nothing; a folder without libotr files is refused plainly', async () => {
    pick = undefined;
    assert.deepEqual(await core.call('importLibotr', {}), { cancelled: true, accounts: [], fingerprints: 0 });
    pick = await tempDir();
    const empty = await core.request('importLibotr', {});
    assert.equal(!empty.ok && empty.error.code, 'storage');
    assert.match(!empty.ok ? empty.error.message : '', /no otr\.private_key/);
    await fs.writeFile(path.join(pick, 'otr.private_key'), '(privkeys (account (name "x") (protocol prpl-jabber) (private-key (dsa (p #00#)))))');
    const broken = await core.request('importLibotr', {});
    assert.equal(!broken.ok && broken.error.code, 'storage');
    assert.match(!broken.ok ? broken.error.message : '', /Nothing was imported/);
    assert.deepEqual((await core.call('listTrust', {})).own, []);
  });

  test('Pidgin’s key, instance tag and trust arrive; the account shows the same fingerprint as libotr', async () => {
    pick = pidgin.dir;
    const result = await core.call('importLibotr', {});
    assert.deepEqual(result, { cancelled: false, accounts: [{ jid: `alice@${server.domain}`, fingerprint: human(pidgin.fingerprint) }], fingerprints: 1 });
    const list = await core.call('listTrust', {});
    assert.deepEqual(list.own.map((o) => [o.fingerprint, o.stored]), [[human(pidgin.fingerprint), true]]);
    assert.deepEqual(list.contacts.map((c) => [c.peer, c.fingerprint, c.trust]), [[`bob@${server.domain}`, human(pidgin.bob), 'verified-manual']]);
    await core.waitFor('accountUpdated', (a) => a.id === account.id && a.otrKey?.fingerprint === human(pidgin.fingerprint));
  });

  test('exported files are read by libotr with the same key, instance tag and trust', async () => {
    pick = await tempDir();
    assert.deepEqual(await core.call('exportLibotr', {}), { cancelled: false, folder: pick });
    const stat = await fs.stat(path.join(pick, 'otr.private_key'));
    assert.equal(stat.mode & 0o077, 0, 'the private key is readable by its owner only');
    const peerDir = await tempDir();
    const alice = `alice@${server.domain}`;
    const base = path.join(peerDir, `${alice.replace(/[^A-Za-z0-9._-]/g, '_')}.prpl-jabber`);
    await fs.copyFile(path.join(pick, 'otr.private_key'), `${base}.privkey`);
    await fs.copyFile(path.join(pick, 'otr.instance_tags'), `${base}.instag`);
    await fs.copyFile(path.join(pick, 'otr.fingerprints'), `${base}.fingerprints`);
    const again = await startLibotrPeer({ account: alice, protocol: 'prpl-jabber', dir: peerDir });
    peers.push(again);
    assert.equal(normalizeFingerprint(await again.fingerprint()), normalizeFingerprint(pidgin.fingerprint));
    assert.equal(await again.instanceTag(), pidgin.instanceTag);
    assert.match(await fs.readFile(path.join(pick, 'otr.fingerprints'), 'utf8'), new RegExp(`${pidgin.bob}\\tverified\\n`));
  });

  test('a key Klatsch made is replaced only when the user says so', async () => {
    // Another "Pidgin" key for the same account: importing it conflicts with the one imported before.
    const peerDir = await tempDir();
    const other = await startLibotrPeer({ account: `alice@${server.domain}`, protocol: 'xmpp', dir: peerDir });
    peers.push(other);
    const otherFp = await other.fingerprint();
    await other.close();
    pick = await tempDir();
    const base = path.join(peerDir, `alice_${server.domain}.xmpp`);
    await fs.copyFile(`${base}.privkey`, path.join(pick, 'otr.private_key'));
    const refused = await core.request('importLibotr', {});
    assert.equal(!refused.ok && refused.error.code, 'already-exists');
    assert.match(!refused.ok ? refused.error.message : '', /already has another key/);
    assert.equal((await core.call('listTrust', {})).own[0]!.fingerprint, human(pidgin.fingerprint), 'nothing changed');
    const replaced = await core.call('importLibotr', { replaceKeys: true });
    assert.equal(replaced.accounts[0]!.fingerprint, human(otherFp));
    assert.equal((await core.call('listTrust', {})).own[0]!.fingerprint, human(otherFp));
    assert.equal((await core.call('listTrust', {})).contacts[0]!.trust, 'verified-manual', 'trust is kept');
  });
});
