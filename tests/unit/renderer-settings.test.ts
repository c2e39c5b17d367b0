/**
 * The renderer's side of settings and notifications in plain Node: the
 * language and theme in force, the snapshot's and main's settings landing in
 * the store, the window state reported to main only when it changes, and a
 * clicked notification opening its chat. Against a recording KlatschApi, as
 * in renderer-store.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, SettingsView, Snapshot } from '../../shared/contract';
import { languageInForce, themeAttribute } from '../../renderer/appSettings';
import { createAppStore } from '../../renderer/store/store';
import { createActions } from '../../renderer/store/actions';
import { bindStoreToApi } from '../../renderer/store/bind';
import { reportWindowState } from '../../renderer/store/reportWindowState';
import { fakeApi } from '../fixtures/fake-api';

const view: SettingsView = { values: { language: 'de', theme: 'dark', notifications: 'sender-only', notificationSound: true, otrV3Only: false, waitForPrivate: false, omemoTrust: 'blind' }, locked: {} };
const account: AccountView = {
  id: 'acc-1',
  jid: 'me@example.com',
  directTls: false,
  rememberPassword: false,
  hasStoredPassword: false,
  connection: { kind: 'online', jid: 'me@example.com/x' },
  ownPresence: { show: 'online', status: '' },
};

/** Answers the snapshot at once, and `setSettings` with the values it was given. */
function recordingApi(snapshot: Snapshot) {
  return fakeApi({
    responses: {
      getSnapshot: () => ({ ok: true, value: snapshot }),
      setSettings: (payload) => ({ ok: true, value: { ...view, values: { ...view.values, ...payload } } }),
    },
  });
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("the language in force: the choice, or the OS's first language Klatsch speaks", () => {
  assert.equal(languageInForce('system', ['fr-FR', 'de-DE']), 'de');
  assert.equal(languageInForce('system', ['ja']), 'en');
  assert.equal(languageInForce('en', ['de-DE']), 'en');
  assert.equal(languageInForce('de', []), 'de');
  assert.equal(themeAttribute('system'), undefined);
  assert.equal(themeAttribute('dark'), 'dark');
  assert.equal(themeAttribute('light'), 'light');
});

test("the snapshot's settings, then main's settingsChanged, land in the store; setSettings applies main's answer", async () => {
  const { api, emit } = recordingApi({ accounts: [account], rosters: {}, chats: {}, secretStorage: { available: true }, settings: view });
  const store = createAppStore();
  const actions = createActions(store, api);
  bindStoreToApi(store, api, actions);
  await settle();
  assert.deepEqual(store.getState().settings, view);
  const changed = { ...view, values: { ...view.values, language: 'en' as const } };
  emit('settingsChanged', changed);
  assert.deepEqual(store.getState().settings, changed);
  const result = await actions.setSettings({ theme: 'light' });
  assert.ok(result.ok);
  assert.equal(store.getState().settings?.values.theme, 'light');
});

test('the window state goes to main when the focus or the open chat changes, and only then', async () => {
  const { api, calls } = recordingApi({ accounts: [account], rosters: {}, chats: {}, secretStorage: { available: true } });
  const store = createAppStore();
  reportWindowState(store, api);
  const reported = () => calls.filter((c) => c.name === 'windowStateChanged').map((c) => c.payload);
  assert.deepEqual(reported(), [{ focused: true, openChat: null }]);
  store.getState().windowFocusChanged(false);
  store.getState().rosterFilterChanged('x'); // nothing main cares about
  store.getState().chatSelected({ accountId: 'acc-1', peer: 'bob@example.com' });
  assert.deepEqual(reported(), [
    { focused: true, openChat: null },
    { focused: false, openChat: null },
    { focused: false, openChat: { accountId: 'acc-1', peer: 'bob@example.com' } },
  ]);
});

test('a clicked notification opens its account and chat, closes the settings and reads the chat', async () => {
  const { api, calls, emit } = recordingApi({ accounts: [account], rosters: {}, chats: {}, secretStorage: { available: true } });
  const store = createAppStore();
  const actions = createActions(store, api);
  bindStoreToApi(store, api, actions);
  await settle();
  store.getState().dialogOpened({ kind: 'settings' });
  emit('chatOpenRequested', { accountId: 'acc-1', peer: 'bob@example.com' });
  await settle();
  const s = store.getState();
  assert.equal(s.activeAccountId, 'acc-1');
  assert.deepEqual(s.selected, { accountId: 'acc-1', peer: 'bob@example.com' });
  assert.equal(s.dialog, null);
  assert.ok(calls.some((c) => c.name === 'markRead'));
  // An account that is gone: nothing happens.
  emit('chatOpenRequested', { accountId: 'acc-9', peer: 'eve@example.com' });
  assert.deepEqual(store.getState().selected, { accountId: 'acc-1', peer: 'bob@example.com' });
});
