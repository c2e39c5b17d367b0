/**
 * libotr's private key files: a key libotr made reads here with the same
 * fingerprint libotr shows, a key we write is read by libotr with the same
 * fingerprint, and damaged files are refused with a clear error.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fingerprint, formatFingerprint, generateDsaKey } from '../../electron/core/otr/dsa.js';
import { OtrKeyFileError, readLibotrPrivateKeys, writeLibotrPrivateKeys } from '../../electron/core/otr/libotr-keyfile.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { startLibotrPeer } from '../fixtures/libotr-peer.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-keyfile-'));
  dirs.push(dir);
  return dir;
}

async function keyFileIn(dir: string): Promise<string> {
  const name = (await fs.readdir(dir)).find((f) => f.endsWith('.privkey'));
  assert.ok(name, `libotr wrote a key file in ${dir}`);
  return path.join(dir, name);
}

test('a key libotr generated has the fingerprint libotr shows', async () => {
  const dir = await tempDir();
  const peer = await startLibotrPeer({ account: 'carol@klatsch.test', dir });
  const shown = await peer.fingerprint();
  await peer.close();
  const [entry, ...rest] = readLibotrPrivateKeys(await fs.readFile(await keyFileIn(dir)));
  assert.equal(rest.length, 0);
  assert.equal(entry!.account, 'carol@klatsch.test');
  assert.equal(entry!.protocol, 'xmpp');
  assert.equal(formatFingerprint(fingerprint(entry!.key)), shown);
});

test('a key we write is read by libotr with the same fingerprint', async () => {
  const dir = await tempDir();
  const first = await startLibotrPeer({ account: 'dave@klatsch.test', dir });
  await first.close();
  const file = await keyFileIn(dir);
  const ours = generateDsaKey(secureRandom);
  await fs.writeFile(file, writeLibotrPrivateKeys([{ account: 'dave@klatsch.test', protocol: 'xmpp', key: ours }]));
  const again = await startLibotrPeer({ account: 'dave@klatsch.test', dir });
  assert.equal(await again.fingerprint(), formatFingerprint(fingerprint(ours)));
  await again.close();
  assert.deepEqual(readLibotrPrivateKeys(await fs.readFile(file))[0]!.key, ours, 'and it reads back unchanged');
});

test('damaged key files are refused with a clear error', async () => {
  const good = writeLibotrPrivateKeys([{ account: 'erin@x', protocol: 'xmpp', key: generateDsaKey(secureRandom) }]);
  const damaged = [
    '',
    'not an s-expression',
    '(privkeys',
    '(something (else))',
    good.replace(/\(x #[0-9A-F]+#\)/, '(x #01#)'), // x does not match y
    good.replace(/\(y #[0-9A-F]+#\)/, ''), // y missing
    good.replace('#00', '#0G'), // bad hex
    '('.repeat(100) + ')'.repeat(100),
    good.replace('(dsa', '(rsa'),
  ];
  for (const text of damaged) {
    assert.throws(() => readLibotrPrivateKeys(text), OtrKeyFileError, JSON.stringify(text.slice(0, 60)));
  }
});
