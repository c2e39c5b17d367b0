/**
 * App-wide settings (language, theme, notifications, sound): kept in the
 * profile's settings file next to the accounts, validated on read, changed
 * through the same dispatcher the renderer's requests pass, and locked where
 * the administrator's policy says so.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventName, Result, SettingsView, PresenceShow } from '../../shared/contract.js';
import { createDispatcher } from '../../electron/core/ipc/dispatch.js';
import { KlatschCore } from '../../electron/core/klatsch-core.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import { DEFAULT_APP_SETTINGS, SettingsStore } from '../../electron/core/store/settings-store.js';
import type { DesktopShell } from '../../electron/core/desktop/desktop-shell.js';
import type { TrayTexts } from '../../electron/core/desktop/desktop-shell.js';

const cores: KlatschCore[] = [];
const dirs: string[] = [];
after(async () => {
  for (const core of cores) await core.stop();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function profile(settings?: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-app-settings-'));
  dirs.push(dir);
  if (settings !== undefined) await fs.writeFile(path.join(dir, 'settings.json'), settings);
  return dir;
}

const settingsFile = (dir: string) => path.join(dir, 'settings.json');
const oneAccount = {
  version: 1,
  accounts: [{ id: 'acc-1', jid: 'me@example.com', directTls: false, rememberPassword: false, ownPresence: { show: 'online', status: '' } }],
};

async function startCore(profileDir: string, { policy, systemLanguages }: { policy?: object; systemLanguages?: string[] } = {}) {
  const tray: { presence: PresenceShow; texts: TrayTexts }[] = [];
  const shell: DesktopShell = {
    notify: () => {},
    setUnreadCount: () => {},
    setTrayPresence: (presence, texts) => tray.push({ presence, texts }),
    focusWindow: () => {},
  };
  const core = new KlatschCore({
    profileDir,
    secretBox: await FileKeySecretBox.open(path.join(profileDir, 'k.key')),
    ...(policy ? { policy: new PolicyGate(readPolicy(policy, '/etc/klatsch/policy.json')) } : {}),
    shell,
    ...(systemLanguages ? { systemLanguages: () => systemLanguages } : {}),
    connection: { lookup: async () => Promise.reject(Object.assign(new Error('no DNS in tests'), { code: 'ENOTFOUND' })) },
  });
  cores.push(core);
  const events: { name: EventName; payload: unknown }[] = [];
  core.onEvent((name, payload) => events.push({ name, payload }));
  await core.start();
  const dispatch = createDispatcher(core.handlers, (name, error) => {
    throw new Error(`internal error in ${name}: ${String(error)}`);
  });
  return { core, dispatch, events, tray };
}

describe('app settings in the settings store', () => {
  test('a first start has the defaults; a change survives a restart and leaves the accounts alone', async () => {
    const dir = await profile(JSON.stringify(oneAccount));
    const store = SettingsStore.inProfile(dir);
    await store.load();
    assert.deepEqual(store.appSettings(), DEFAULT_APP_SETTINGS);
    await store.setAppSettings({ language: 'de', notifications: 'sender-only' });
    await store.setAppSettings({ theme: 'dark' });
    const again = SettingsStore.inProfile(dir);
    await again.load();
    assert.deepEqual(again.appSettings(), { ...DEFAULT_APP_SETTINGS, language: 'de', theme: 'dark', notifications: 'sender-only' });
    assert.equal(again.accounts().length, 1);
    assert.equal(again.account('acc-1')?.jid, 'me@example.com');
  });

  test('a value Klatsch does not know makes the file damaged: defaults apply, the file is kept, changes are refused', async () => {
    const text = JSON.stringify({ ...oneAccount, app: { language: 'fr' } });
    const dir = await profile(text);
    const store = SettingsStore.inProfile(dir);
    await store.load();
    assert.match(store.problem ?? '', /unexpected content/);
    assert.deepEqual(store.appSettings(), DEFAULT_APP_SETTINGS);
    await assert.rejects(store.setAppSettings({ theme: 'dark' }), /unexpected content/);
    assert.equal(await fs.readFile(settingsFile(dir), 'utf8'), text);
  });

  test('through the core: a damaged file is reported in the snapshot and setSettings says why it cannot save', async () => {
    const dir = await profile('{"version": 1, "accounts": [], "app": ');
    const { dispatch } = await startCore(dir);
    const snapshot = (await dispatch('getSnapshot', {})) as Result<{ storageProblem?: string; settings?: SettingsView }>;
    assert.ok(snapshot.ok);
    assert.match(snapshot.value.storageProblem ?? '', /damaged/);
    assert.deepEqual(snapshot.value.settings?.values, DEFAULT_APP_SETTINGS);
    const result = await dispatch('setSettings', { language: 'de' });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'storage');
  });
});

describe('app settings through the core', () => {
  test('setSettings answers the new view, tells every window, and the snapshot has it after a restart', async () => {
    const dir = await profile();
    const first = await startCore(dir);
    const result = (await first.dispatch('setSettings', { theme: 'light', notificationSound: false })) as Result<SettingsView>;
    assert.ok(result.ok);
    assert.deepEqual(result.value, { values: { ...DEFAULT_APP_SETTINGS, theme: 'light', notificationSound: false }, locked: {} });
    assert.deepEqual(first.events.filter((e) => e.name === 'settingsChanged').map((e) => e.payload), [result.value]);
    await first.core.stop();
    const second = await startCore(dir);
    const snapshot = (await second.dispatch('getSnapshot', {})) as Result<{ settings?: SettingsView }>;
    assert.ok(snapshot.ok);
    assert.deepEqual(snapshot.value.settings, result.value);
  });

  test('the policy locks the notification setting: its value wins, the lock says why, a change is refused, others still change', async () => {
    const dir = await profile(JSON.stringify({ ...oneAccount, app: { notifications: 'sender-and-text' } }));
    const { dispatch } = await startCore(dir, { policy: { notifications: 'sender-only' } });
    const snapshot = (await dispatch('getSnapshot', {})) as Result<{ settings?: SettingsView }>;
    assert.ok(snapshot.ok);
    assert.equal(snapshot.value.settings?.values.notifications, 'sender-only');
    assert.match(snapshot.value.settings?.locked.notifications ?? '', /administrator/);
    const refused = await dispatch('setSettings', { notifications: 'sender-and-text' });
    assert.equal(!refused.ok && refused.error.code, 'forbidden-by-policy');
    const other = (await dispatch('setSettings', { language: 'de' })) as Result<SettingsView>;
    assert.ok(other.ok);
    assert.equal(other.value.values.language, 'de');
    assert.equal(other.value.values.notifications, 'sender-only');
  });

  test('a damaged policy locks notifications to the sender only', async () => {
    const { dispatch } = await startCore(await profile(), { policy: { notifications: 'loud' } });
    const snapshot = (await dispatch('getSnapshot', {})) as Result<{ settings?: SettingsView }>;
    assert.ok(snapshot.ok);
    assert.equal(snapshot.value.settings?.values.notifications, 'sender-only');
    assert.match(snapshot.value.settings?.locked.notifications ?? '', /could not be read/);
  });

  test('OTR version 3 only: off by default, the user turns it on; the policy key otrV3Only wins and locks it; a damaged policy turns it on', async () => {
    const user = await startCore(await profile());
    const turned = (await user.dispatch('setSettings', { otrV3Only: true })) as Result<SettingsView>;
    assert.ok(turned.ok);
    assert.equal(DEFAULT_APP_SETTINGS.otrV3Only, false);
    assert.equal(turned.value.values.otrV3Only, true);
    assert.equal(turned.value.locked.otrV3Only, undefined);

    const dir = await profile(JSON.stringify({ ...oneAccount, app: { otrV3Only: false } }));
    const { dispatch } = await startCore(dir, { policy: { otrV3Only: true } });
    const snapshot = (await dispatch('getSnapshot', {})) as Result<{ settings?: SettingsView }>;
    assert.ok(snapshot.ok);
    assert.equal(snapshot.value.settings?.values.otrV3Only, true);
    assert.match(snapshot.value.settings?.locked.otrV3Only ?? '', /administrator/);
    const refused = await dispatch('setSettings', { otrV3Only: false });
    assert.equal(!refused.ok && refused.error.code, 'forbidden-by-policy');
    assert.match(!refused.ok ? refused.error.message : '', /OTR version setting is locked/);

    const damaged = await startCore(await profile(), { policy: { otrV3Only: 'yes please' } });
    const locked = (await damaged.dispatch('getSnapshot', {})) as Result<{ settings?: SettingsView }>;
    assert.ok(locked.ok);
    assert.equal(locked.value.settings?.values.otrV3Only, true);
    assert.match(locked.value.settings?.locked.otrV3Only ?? '', /could not be read/);
  });

  test("the tray's menu speaks the language in force: the OS's for 'system', then the one chosen", async () => {
    const { dispatch, tray } = await startCore(await profile(JSON.stringify(oneAccount)), { systemLanguages: ['de-AT', 'en-US'] });
    assert.deepEqual(tray.map((t) => [t.presence, t.texts.quit]), [['offline', 'Klatsch beenden']]);
    assert.ok((await dispatch('setSettings', { language: 'en' })).ok);
    assert.deepEqual(tray.at(-1)?.texts.quit, 'Quit Klatsch');
    assert.equal(tray.at(-1)?.presence, 'offline', 'the only account is not signed in');
  });
});
