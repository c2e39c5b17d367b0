/**
 * An account's settings are changed by several requests that can run at once (a per-contact scheme, a
 * per-contact OTR policy, the presence, the rooms to enter again): each save must keep the others' changes,
 * in memory and on disk. Before saves were run one after the other, each spread the settings as they were
 * when it started, so the save that finished last undid the one before it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Result } from '../../shared/contract.js';
import { createDispatcher } from '../../electron/core/ipc/dispatch.js';
import { KlatschCore } from '../../electron/core/klatsch-core.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';

const dirs: string[] = [];
const cores: KlatschCore[] = [];
after(async () => {
  for (const core of cores) await core.stop();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

test('requests that change one account at the same time all keep their change, in memory and on disk', async () => {
  const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-account-saves-'));
  dirs.push(profileDir);
  // One account without a stored password: it stays offline, nothing touches the network.
  await fs.writeFile(
    path.join(profileDir, 'settings.json'),
    JSON.stringify({ version: 1, accounts: [{ id: 'acc-1', jid: 'me@example.com', directTls: false, rememberPassword: false, ownPresence: { show: 'online', status: '' } }] }),
  );
  const core = new KlatschCore({
    profileDir,
    secretBox: await FileKeySecretBox.open(path.join(profileDir, 'k.key')),
    connection: { lookup: async () => Promise.reject(Object.assign(new Error('no DNS in tests'), { code: 'ENOTFOUND' })) },
  });
  cores.push(core);
  await core.start();
  const dispatch = createDispatcher(core.handlers, (name, error) => {
    throw new Error(`internal error in ${name}: ${String(error)}`);
  });
  const peers = ['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com'];
  const results = (await Promise.all([
    ...peers.map((peer) => dispatch('setOtrPolicy', { accountId: 'acc-1', peer, policy: 'always' })),
    ...peers.map((peer) => dispatch('setKeepPrivateHistory', { accountId: 'acc-1', peer, keep: false })),
  ])) as Result<unknown>[];
  assert.deepEqual(results.filter((r) => !r.ok), []);

  const inMemory = core.account('acc-1').settings;
  assert.deepEqual(Object.keys(inMemory.otrPolicies ?? {}).sort(), peers, 'every OTR policy kept in memory');
  assert.deepEqual([...(inMemory.dropPrivateHistory ?? [])].sort(), peers, 'every history choice kept in memory');
  const onDisk = JSON.parse(await fs.readFile(path.join(profileDir, 'settings.json'), 'utf8')) as {
    accounts: { otrPolicies?: Record<string, string>; dropPrivateHistory?: string[] }[];
  };
  assert.deepEqual(Object.keys(onDisk.accounts[0]?.otrPolicies ?? {}).sort(), peers, 'every OTR policy on disk');
  assert.deepEqual([...(onDisk.accounts[0]?.dropPrivateHistory ?? [])].sort(), peers, 'every history choice on disk');
});
