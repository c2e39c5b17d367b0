/** The update service: off by policy, only with a verifiable publisher on Windows, no downgrades. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateService, type UpdaterLike, type UpdateServiceOptions } from '../../electron/app/updates.js';

function fakeUpdater(active = true) {
  const calls: string[] = [];
  const verify = () => Promise.resolve(null);
  const updater = {
    autoDownload: false,
    autoInstallOnAppQuit: false,
    allowDowngrade: true,
    allowPrerelease: true,
    forceDevUpdateConfig: true,
    disableWebInstaller: false,
    verifyUpdateCodeSignature: verify,
    isUpdaterActive: () => active,
    checkForUpdates: async () => void calls.push('check'),
    on: ((event: string) => void calls.push(`on ${event}`)) as UpdaterLike['on'],
  };
  return { updater: updater as UpdaterLike & typeof updater, calls, verify };
}

const options = (extra: Partial<UpdateServiceOptions>): UpdateServiceOptions => ({
  enabled: true,
  platform: 'darwin',
  readUpdateConfig: async () => 'provider: generic\nurl: https://updates.example.com/\n',
  log: () => {},
  setInterval: () => ({}),
  ...extra,
});

test('off when the policy says so: the updater is not even touched', async () => {
  const { updater, calls } = fakeUpdater();
  assert.equal(await new UpdateService(updater, options({ enabled: false })).start(), 'disabled-by-policy');
  assert.deepEqual(calls, []);
  assert.equal(updater.allowDowngrade, true, 'untouched');
});

test('signed updates only: no downgrade, no pre-release, no forced dev config, the signature check left in place', async () => {
  const { updater, calls, verify } = fakeUpdater();
  assert.equal(await new UpdateService(updater, options({})).start(), 'started');
  assert.equal(updater.allowDowngrade, false);
  assert.equal(updater.allowPrerelease, false);
  assert.equal(updater.forceDevUpdateConfig, false);
  assert.equal(updater.disableWebInstaller, true);
  assert.equal(updater.verifyUpdateCodeSignature, verify, 'the publisher check is electron-updater\u2019s own');
  assert.deepEqual(calls, ['on error', 'check']);
});

test('Windows: no publisher name in app-update.yml means no updates (they could not be verified)', async () => {
  for (const config of ['provider: generic\nurl: https://u.example/\n', 'publisherName:\n', 'publisherName: []\n']) {
    const { updater, calls } = fakeUpdater();
    assert.equal(await new UpdateService(updater, options({ platform: 'win32', readUpdateConfig: async () => config })).start(), 'unsigned-config', config);
    assert.deepEqual(calls, []);
  }
  const missing = fakeUpdater();
  assert.equal(await new UpdateService(missing.updater, options({ platform: 'win32', readUpdateConfig: () => Promise.reject(new Error('ENOENT')) })).start(), 'unsigned-config');
  for (const config of ['publisherName: Klatsch GmbH\n', 'publisherName:\n  - Klatsch GmbH\n', "publisherName: ['Klatsch GmbH']\n"]) {
    const { updater } = fakeUpdater();
    assert.equal(await new UpdateService(updater, options({ platform: 'win32', readUpdateConfig: async () => config })).start(), 'started', config);
  }
});

test('Linux: only an AppImage updates itself; not packaged: nothing runs', async () => {
  assert.equal(await new UpdateService(fakeUpdater().updater, options({ platform: 'linux' })).start(), 'package-manager');
  assert.equal(await new UpdateService(fakeUpdater().updater, options({ platform: 'linux', appImage: '/home/u/Klatsch.AppImage' })).start(), 'started');
  const inactive = fakeUpdater(false);
  assert.equal(await new UpdateService(inactive.updater, options({})).start(), 'not-packaged');
  assert.deepEqual(inactive.calls, []);
});

test('errors are logged by kind only (an update URL may carry a token)', async () => {
  const logs: string[] = [];
  let onError: ((e: Error) => void) | undefined;
  const { updater } = fakeUpdater();
  updater.on = ((_e: string, l: (e: Error) => void) => void (onError = l)) as UpdaterLike['on'];
  await new UpdateService(updater, options({ log: (l) => logs.push(l) })).start();
  onError!(Object.assign(new Error('GET https://u.example/?token=s3cret failed'), { name: 'HttpError' }));
  assert.deepEqual(logs, ['update failed: HttpError']);
});
