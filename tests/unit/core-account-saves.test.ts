/**
 * An account's settings are changed by several requests that can run at once (a per-contact scheme, a
 * per-contact OTR policy, the presence, the rooms to enter again): each save must keep the others' changes,
 * in memory and on disk. Before saves were run one after the other, each spread the settings as they were
 * when it started, so the save that finished last undid the one before it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Result } from '../../shared/contract.js';
import { disposeOfflineCores, offlineProfile, startOfflineCore } from '../fixtures/offline-core.js';

after(disposeOfflineCores);

test('requests that change one account at the same time all keep their change, in memory and on disk', async () => {
  const profileDir = await offlineProfile('klatsch-account-saves-');
  const { core, dispatch } = await startOfflineCore(profileDir);
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
