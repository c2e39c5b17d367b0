/** The renderer's share of the policy and of xmpp: links: what the store keeps from main. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KlatschApi, PolicyView, Snapshot, XmppLinkEvent } from '../../shared/contract';
import { eventNames } from '../../shared/contract';
import { createAppStore } from '../../renderer/store/store';
import { createActions } from '../../renderer/store/actions';
import { bindStoreToApi } from '../../renderer/store/bind';

const policy: PolicyView = {
  source: '/etc/klatsch/policy.json',
  serverDomain: 'example.com',
  otrPolicy: 'always',
  plaintextAllowed: false,
  addAccounts: 'server-domain-only',
  remoteRestricted: true,
  updates: false,
  keepHistory: true,
  reason: 'Set by your administrator (/etc/klatsch/policy.json).',
};

function fakeApi(snapshot: Snapshot) {
  const listeners = new Map<string, (payload: unknown) => void>();
  const on = Object.fromEntries(eventNames.map((name) => [name, (l: (p: unknown) => void) => (listeners.set(name, l), () => listeners.delete(name))]));
  const api = { getSnapshot: async () => ({ ok: true, value: snapshot }), on } as unknown as KlatschApi;
  return { api, emit: (name: string, payload: unknown) => listeners.get(name)!(payload) };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the snapshot\u2019s policy reaches the store; without one, nothing is locked', async () => {
  const store = createAppStore();
  const fake = fakeApi({ accounts: [], rosters: {}, chats: {}, secretStorage: { available: true }, policy });
  bindStoreToApi(store, fake.api, createActions(store, fake.api));
  await tick();
  assert.deepEqual(store.getState().policy, policy);
  const bare = createAppStore();
  bare.getState().snapshotLoaded({ accounts: [], rosters: {}, chats: {}, secretStorage: { available: true } });
  assert.equal(bare.getState().policy, null);
});

test('an xmpp: link from main is kept until the user acts on it', async () => {
  const store = createAppStore();
  const fake = fakeApi({ accounts: [], rosters: {}, chats: {}, secretStorage: { available: true } });
  const actions = createActions(store, fake.api);
  bindStoreToApi(store, fake.api, actions);
  await tick();
  const link: XmppLinkEvent = { action: 'add-contact', jid: 'bob@example.com', otrFingerprint: 'A1B2C3D4 E5F60718 293A4B5C 6D7E8F90 12345678' };
  fake.emit('xmppLinkOpened', link);
  assert.deepEqual(store.getState().xmppLink, link);
  actions.clearXmppLink();
  assert.equal(store.getState().xmppLink, null);
});

test('a policy changed while the app runs replaces the one in the store and is noticed until dismissed', async () => {
  const store = createAppStore();
  const fake = fakeApi({ accounts: [], rosters: {}, chats: {}, secretStorage: { available: true }, policy });
  bindStoreToApi(store, fake.api, createActions(store, fake.api));
  await tick();
  assert.equal(store.getState().policyChanges, null);
  fake.emit('policyChanged', { policy: { ...policy, keepHistory: false }, changed: ['keepHistory'] });
  fake.emit('policyChanged', { policy: { ...policy, keepHistory: false, updates: true }, changed: ['updates'] });
  assert.equal(store.getState().policy?.keepHistory, false);
  assert.equal(store.getState().policy?.updates, true);
  assert.deepEqual(store.getState().policyChanges, ['keepHistory', 'updates'], 'both changes are told until the user has seen them');
  store.getState().policyChangesDismissed();
  assert.equal(store.getState().policyChanges, null);
});
