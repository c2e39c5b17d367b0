/**
 * The renderer's state logic in plain Node: the pure transitions, the store slices,
 * the binding of the store to a (fake) `KlatschApi`, the form helpers, and the
 * development bridge against a fake WebSocket.
 *
 * Run: npx tsx --test tests/unit/renderer-store.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  AccountView,
  ChatMessage,
  Contact,
  KlatschApi,
  Snapshot,
} from '../../shared/contract';
import {
  changedCertificate,
  chooseScreen,
  compareContacts,
  contactsWithConversations,
  displayName,
  needsPassword,
  replaceRoster,
  setUnread,
  sortContacts,
  updateContact,
  upsertAccount,
  upsertChatMessage,
  upsertMessage,
} from '../../renderer/store/transitions';
import { eventNames } from '../../shared/contract';
import { createAppStore } from '../../renderer/store/store';
import { chatKeyString } from '../../renderer/store/types';
import { createActions } from '../../renderer/store/actions';
import { bindStoreToApi } from '../../renderer/store/bind';
import { messageToSend, readLoginForm } from '../../renderer/forms';
import { secondsUntil } from '../../renderer/format';
import { accountView, fakeApi } from '../fixtures/fake-api';

// ---------------------------------------------------------------------------
// Builders

function msg(id: string, timestamp: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { id, peer: 'bob@example.com', direction: 'in', body: `body ${id}`, timestamp, state: 'received', ...extra };
}

function contact(jid: string, show: Contact['presence']['show'], extra: Partial<Contact> = {}): Contact {
  return { jid, subscription: 'both', groups: [], presence: { show, status: '' }, unread: 0, ...extra };
}

const account = accountView;

const ids = (list: { id: string }[]) => list.map((m) => m.id);
const jids = (list: { jid: string }[]) => list.map((c) => c.jid);

// ---------------------------------------------------------------------------
// Messages

test('upsertMessage inserts new messages in time order, whatever order they arrive in', () => {
  let list: ChatMessage[] = [];
  for (const m of [msg('c', 300), msg('a', 100), msg('d', 400), msg('b', 200)]) list = upsertMessage(list, m);
  assert.deepEqual(ids(list), ['a', 'b', 'c', 'd']);
});

test('upsertMessage keeps arrival order for equal timestamps', () => {
  let list: ChatMessage[] = [];
  for (const m of [msg('first', 100), msg('second', 100), msg('early', 50), msg('third', 100)]) {
    list = upsertMessage(list, m);
  }
  assert.deepEqual(ids(list), ['early', 'first', 'second', 'third']);
});

test('upsertMessage replaces a message with the same id in place (state update)', () => {
  const sending = msg('m1', 100, { direction: 'out', state: 'sending' });
  const list = [msg('m0', 50), sending, msg('m2', 200)];
  const next = upsertMessage(list, { ...sending, state: 'failed', error: 'connection lost' });
  assert.deepEqual(ids(next), ['m0', 'm1', 'm2']);
  assert.equal(next[1]!.state, 'failed');
  assert.equal(next[1]!.error, 'connection lost');
  assert.equal(next.length, 3);
  // The input is untouched.
  assert.equal(list[1]!.state, 'sending');
});

test('upsertMessage moves a message whose timestamp changed', () => {
  const list = [msg('a', 100), msg('b', 200), msg('c', 300)];
  assert.deepEqual(ids(upsertMessage(list, msg('a', 250))), ['b', 'a', 'c']);
});

test('upsertMessage returns the same array for a repeated, identical event', () => {
  const list = [msg('a', 100), msg('b', 200)];
  assert.equal(upsertMessage(list, { ...list[1]! }), list);
});

test('upsertMessage takes an update that only marks the message private', () => {
  const list = [msg('a', 100)];
  const next = upsertMessage(list, { ...list[0]!, encrypted: true });
  assert.notEqual(next, list);
  assert.equal(next[0]?.encrypted, true);
});

test('upsertChatMessage files messages per account and peer', () => {
  let chats = upsertChatMessage({}, 'acc1', msg('a', 100));
  chats = upsertChatMessage(chats, 'acc1', msg('b', 50, { peer: 'carol@example.com' }));
  chats = upsertChatMessage(chats, 'acc2', msg('c', 10));
  assert.deepEqual(ids(chats['acc1']!['bob@example.com']!), ['a']);
  assert.deepEqual(ids(chats['acc1']!['carol@example.com']!), ['b']);
  assert.deepEqual(ids(chats['acc2']!['bob@example.com']!), ['c']);
  assert.equal(upsertChatMessage(chats, 'acc1', msg('a', 100)), chats, 'unchanged map for a repeated event');
});

// ---------------------------------------------------------------------------
// Contacts

test('contacts: online, away and dnd come before offline, then by name or address', () => {
  const sorted = sortContacts([
    contact('zed@example.com', 'offline'),
    contact('anna@example.com', 'offline'),
    contact('yves@example.com', 'dnd'),
    contact('x@example.com', 'away', { name: 'Bert' }),
    contact('mia@example.com', 'online'),
    contact('c@example.com', 'online', { name: 'alice' }),
  ]);
  assert.deepEqual(jids(sorted), [
    'c@example.com', // alice
    'x@example.com', // Bert
    'mia@example.com',
    'yves@example.com',
    'anna@example.com',
    'zed@example.com',
  ]);
});

test('contacts: a blank name falls back to the address', () => {
  assert.equal(displayName({ jid: 'a@example.com', name: '  ' }), 'a@example.com');
  assert.equal(displayName({ jid: 'a@example.com', name: 'Anna' }), 'Anna');
  assert.ok(compareContacts(contact('b@x.org', 'online', { name: ' ' }), contact('a@x.org', 'online')) > 0);
});

test('replaceRoster drops removed entries and sorts', () => {
  const roster = replaceRoster([
    contact('b@example.com', 'offline'),
    contact('gone@example.com', 'online', { subscription: 'remove' }),
    contact('a@example.com', 'away'),
  ]);
  assert.deepEqual(jids(roster), ['a@example.com', 'b@example.com']);
});

test('updateContact replaces, re-sorts on presence change, adds and removes', () => {
  const roster = replaceRoster([contact('a@example.com', 'online'), contact('b@example.com', 'online')]);
  const aOffline = updateContact(roster, contact('a@example.com', 'offline', { presence: { show: 'offline', status: 'bye' } }));
  assert.deepEqual(jids(aOffline), ['b@example.com', 'a@example.com']);
  assert.equal(aOffline[1]!.presence.status, 'bye');
  assert.equal(aOffline.length, 2);

  const added = updateContact(aOffline, contact('aa@example.com', 'online'));
  assert.deepEqual(jids(added), ['aa@example.com', 'b@example.com', 'a@example.com']);

  const removed = updateContact(added, contact('b@example.com', 'online', { subscription: 'remove' }));
  assert.deepEqual(jids(removed), ['aa@example.com', 'a@example.com']);
  assert.equal(updateContact(removed, contact('nobody@example.com', 'online', { subscription: 'remove' })), removed);
});

test('setUnread changes one counter only', () => {
  const roster = [contact('a@example.com', 'online', { unread: 3 }), contact('b@example.com', 'online', { unread: 1 })];
  const next = setUnread(roster, 'a@example.com', 0);
  assert.deepEqual(next.map((c) => c.unread), [0, 1]);
  assert.equal(roster[0]!.unread, 3);
  assert.equal(setUnread(next, 'a@example.com', 0), next);
});

test('contactsWithConversations lists strangers who wrote to us', () => {
  const roster = [contact('a@example.com', 'online')];
  const list = contactsWithConversations(roster, {
    'a@example.com': [msg('1', 1, { peer: 'a@example.com' })],
    'stranger@example.org': [msg('2', 2, { peer: 'stranger@example.org' })],
  });
  assert.deepEqual(jids(list), ['a@example.com', 'stranger@example.org']);
  assert.equal(list[1]!.presence.show, 'offline');
  assert.equal(contactsWithConversations(roster, { 'a@example.com': [] }), roster);
});

// ---------------------------------------------------------------------------
// Accounts and screens

test('upsertAccount replaces in place and appends new accounts', () => {
  const list = [account('a'), account('b')];
  const next = upsertAccount(list, account('a', { connection: { kind: 'offline' } }));
  assert.deepEqual(next.map((a) => [a.id, a.connection.kind]), [['a', 'offline'], ['b', 'online']]);
  assert.deepEqual(upsertAccount(list, account('c')).map((a) => a.id), ['a', 'b', 'c']);
});

test('needsPassword: no stored password and not connected or on the way', () => {
  const noPw = (connection: AccountView['connection']) => account('a', { hasStoredPassword: false, connection });
  assert.equal(needsPassword(noPw({ kind: 'offline' })), true);
  assert.equal(needsPassword(noPw({ kind: 'error', error: { code: 'auth-failed', message: 'no' } })), true);
  assert.equal(needsPassword(noPw({ kind: 'connecting' })), false);
  assert.equal(needsPassword(noPw({ kind: 'reconnecting', retryAt: 0, attempt: 1, reason: 'x' })), false);
  assert.equal(needsPassword(noPw({ kind: 'online', jid: 'a@example.com/r' })), false);
  assert.equal(needsPassword(account('a', { connection: { kind: 'offline' } })), false);
});

test('chooseScreen: loading, first start, password, main, adding', () => {
  const ready = { kind: 'ready' } as const;
  assert.equal(chooseScreen({ load: { kind: 'loading' }, accounts: [], activeAccountId: null, addingAccount: false }).kind, 'loading');
  assert.deepEqual(chooseScreen({ load: ready, accounts: [], activeAccountId: null, addingAccount: false }), {
    kind: 'add-account',
    canCancel: false,
  });
  const locked = account('b', { hasStoredPassword: false, connection: { kind: 'offline' } });
  const s1 = chooseScreen({ load: ready, accounts: [account('a'), locked], activeAccountId: 'b', addingAccount: false });
  assert.equal(s1.kind, 'password');
  const s2 = chooseScreen({ load: ready, accounts: [account('a'), locked], activeAccountId: 'gone', addingAccount: false });
  assert.equal(s2.kind === 'main' && s2.account.id, 'a');
  assert.deepEqual(chooseScreen({ load: ready, accounts: [account('a')], activeAccountId: 'a', addingAccount: true }), {
    kind: 'add-account',
    canCancel: true,
  });
  assert.deepEqual(chooseScreen({ load: { kind: 'failed', message: 'boom' }, accounts: [], activeAccountId: null, addingAccount: false }), {
    kind: 'load-failed',
    message: 'boom',
  });
});

test('changedCertificate only for a certificate-changed error', () => {
  const certificate = {
    subject: 'CN=x',
    issuer: 'CN=x',
    validFrom: '',
    validTo: '',
    sha256: 'AA:BB',
    selfSigned: true,
    problem: 'changed',
  };
  assert.equal(
    changedCertificate(account('a', { connection: { kind: 'error', error: { code: 'certificate-changed', message: 'm', certificate } } }))
      ?.sha256,
    'AA:BB',
  );
  assert.equal(
    changedCertificate(account('a', { connection: { kind: 'error', error: { code: 'untrusted-certificate', message: 'm', certificate } } })),
    undefined,
  );
});

// ---------------------------------------------------------------------------
// The store

function snapshot(extra: Partial<Snapshot> = {}): Snapshot {
  return {
    accounts: [account('a')],
    rosters: { a: [contact('z@example.com', 'online'), contact('b@example.com', 'offline'), contact('m@example.com', 'away')] },
    chats: { a: { 'bob@example.com': [msg('2', 200), msg('1', 100)] } },
    secretStorage: { available: true },
    ...extra,
  };
}

test('store: the snapshot fills every slice, sorted', () => {
  const store = createAppStore();
  assert.equal(store.getState().load.kind, 'loading');
  store.getState().snapshotLoaded(snapshot());
  const s = store.getState();
  assert.equal(s.load.kind, 'ready');
  assert.equal(s.activeAccountId, 'a');
  assert.deepEqual(jids(s.rosters['a']!), ['m@example.com', 'z@example.com', 'b@example.com']);
  assert.deepEqual(ids(s.chats['a']!['bob@example.com']!), ['1', '2']);
  assert.equal(s.secretStorage.available, true);
});

test('store: removing an account clears its roster, chats, drafts and selection', () => {
  const store = createAppStore();
  store.getState().snapshotLoaded(snapshot({ accounts: [account('a'), account('b')] }));
  store.getState().chatSelected({ accountId: 'a', peer: 'bob@example.com' });
  store.getState().draftChanged({ accountId: 'a', peer: 'bob@example.com' }, 'half a sentence');
  store.getState().draftChanged({ accountId: 'b', peer: 'bob@example.com' }, 'keep me');
  store.getState().accountRemoved('a');
  const s = store.getState();
  assert.deepEqual(s.accounts.map((a) => a.id), ['b']);
  assert.equal(s.rosters['a'], undefined);
  assert.equal(s.chats['a'], undefined);
  assert.equal(s.selected, null);
  assert.equal(s.activeAccountId, 'b');
  assert.deepEqual(Object.values(s.drafts), ['keep me']);
});

test('store: choosing another account closes the open chat of the previous one', () => {
  const store = createAppStore();
  store.getState().snapshotLoaded(snapshot({ accounts: [account('a'), account('b')] }));
  store.getState().chatSelected({ accountId: 'a', peer: 'bob@example.com' });
  store.getState().activeAccountChosen('b');
  assert.equal(store.getState().selected, null);
  assert.equal(store.getState().activeAccountId, 'b');
});

// ---------------------------------------------------------------------------
// Binding to the API (a fake KlatschApi)

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function boundStore() {
  const fake = fakeApi({ holdSnapshot: true });
  const store = createAppStore();
  const actions = createActions(store, fake.api);
  const unbind = bindStoreToApi(store, fake.api, actions);
  return { fake, store, actions, unbind };
}

test('bind: listeners exist before the snapshot is requested; the snapshot fills the store', async () => {
  const { fake, store, unbind } = boundStore();
  assert.equal(fake.listenerCount(), eventNames.length, 'one listener for every event of the contract');
  assert.deepEqual(fake.calls.map((c) => c.name), ['getSnapshot']);
  fake.answerSnapshot({ ok: true, value: snapshot() });
  await tick();
  assert.equal(store.getState().load.kind, 'ready');
  unbind();
  assert.equal(fake.listenerCount(), 0);
});

test('bind: events that arrive before the snapshot are replayed in order, ending at the newest state', async () => {
  const { fake, store } = boundStore();
  // Sent by main before it built the snapshot (the snapshot already holds their effect)…
  fake.emit('accountUpdated', account('a', { connection: { kind: 'connecting' } }));
  fake.emit('messageUpserted', { accountId: 'a', message: msg('1', 100, { body: 'body 1', state: 'sending' }) });
  fake.emit('messageUpserted', { accountId: 'a', message: msg('1', 100, { body: 'body 1', state: 'sent' }) });
  // …and after it, before its answer arrived: these must not be lost.
  fake.emit('accountUpdated', account('a', { connection: { kind: 'reconnecting', retryAt: 9000, attempt: 1, reason: 'lost' } }));
  fake.emit('messageUpserted', { accountId: 'a', message: msg('3', 300) });
  assert.equal(store.getState().load.kind, 'loading', 'nothing is applied before the snapshot');
  fake.answerSnapshot({ ok: true, value: snapshot() });
  await tick();
  const s = store.getState();
  assert.equal(s.accounts[0]!.connection.kind, 'reconnecting');
  assert.deepEqual(ids(s.chats['a']!['bob@example.com']!), ['1', '2', '3']);
  assert.equal(s.chats['a']!['bob@example.com']![0]!.state, 'sent');
});

test('bind: events after the snapshot keep the store current', async () => {
  const { fake, store } = boundStore();
  fake.answerSnapshot({ ok: true, value: snapshot() });
  await tick();
  fake.emit('accountUpdated', account('a', { connection: { kind: 'reconnecting', retryAt: 5000, attempt: 1, reason: 'lost' } }));
  fake.emit('contactUpdated', { accountId: 'a', contact: contact('b@example.com', 'online', { name: 'Aaron' }) });
  fake.emit('messageUpserted', { accountId: 'a', message: msg('0', 50) });
  fake.emit('rosterReplaced', { accountId: 'a', contacts: [contact('q@example.com', 'dnd')] });
  const s = store.getState();
  assert.equal(s.accounts[0]!.connection.kind, 'reconnecting');
  assert.deepEqual(jids(s.rosters['a']!), ['q@example.com']);
  assert.deepEqual(ids(s.chats['a']!['bob@example.com']!), ['0', '1', '2']);
  fake.emit('accountRemoved', { accountId: 'a' });
  assert.deepEqual(store.getState().accounts, []);
});

test('bind: a failed snapshot is shown, and a retry loads it', async () => {
  const { fake, store, actions } = boundStore();
  fake.answerSnapshot({ ok: false, error: { code: 'storage', message: 'settings unreadable' } });
  await tick();
  assert.deepEqual(store.getState().load, { kind: 'failed', message: 'settings unreadable' });
  const retry = actions.loadSnapshot();
  fake.answerSnapshot({ ok: true, value: snapshot() });
  await retry;
  assert.equal(store.getState().load.kind, 'ready');
  fake.emit('accountUpdated', account('a', { connection: { kind: 'offline' } }));
  assert.equal(store.getState().accounts[0]!.connection.kind, 'offline', 'events apply after the late snapshot');
});

test('markRead: selecting a chat clears its badge and tells main once', async () => {
  const { fake, store, actions } = boundStore();
  fake.answerSnapshot({
    ok: true,
    value: snapshot({ rosters: { a: [contact('bob@example.com', 'online', { unread: 2 })] } }),
  });
  await tick();
  actions.selectChat({ accountId: 'a', peer: 'bob@example.com' });
  assert.equal(store.getState().rosters['a']![0]!.unread, 0);
  await tick();
  assert.deepEqual(
    fake.calls.filter((c) => c.name === 'markRead').map((c) => c.payload),
    [{ accountId: 'a', peer: 'bob@example.com' }],
  );
});

test('markRead: a message in the open chat is read only while the window has focus', async () => {
  const { fake, store, actions } = boundStore();
  fake.answerSnapshot({ ok: true, value: snapshot({ rosters: { a: [contact('bob@example.com', 'online')] } }) });
  await tick();
  actions.selectChat({ accountId: 'a', peer: 'bob@example.com' });
  await tick();
  const markReads = () => fake.calls.filter((c) => c.name === 'markRead').length;
  assert.equal(markReads(), 1);

  // Focused: main's two events for one incoming message give one markRead.
  fake.emit('messageUpserted', { accountId: 'a', message: msg('n1', 1000) });
  fake.emit('contactUpdated', { accountId: 'a', contact: contact('bob@example.com', 'online', { unread: 1 }) });
  await tick();
  assert.equal(markReads(), 2);
  assert.equal(store.getState().rosters['a']![0]!.unread, 0);

  // Our own messages and other chats do not count.
  fake.emit('messageUpserted', { accountId: 'a', message: msg('o1', 1001, { direction: 'out', state: 'sent' }) });
  fake.emit('messageUpserted', { accountId: 'a', message: msg('x1', 1002, { peer: 'carol@example.com' }) });
  await tick();
  assert.equal(markReads(), 2);

  // Not focused: the message stays unread…
  actions.windowFocusChanged(false);
  fake.emit('messageUpserted', { accountId: 'a', message: msg('n2', 1003) });
  fake.emit('contactUpdated', { accountId: 'a', contact: contact('bob@example.com', 'online', { unread: 1 }) });
  await tick();
  assert.equal(markReads(), 2);
  assert.equal(store.getState().rosters['a']![0]!.unread, 1);

  // …until the window comes back.
  actions.windowFocusChanged(true);
  await tick();
  assert.equal(markReads(), 3);
  assert.equal(store.getState().rosters['a']![0]!.unread, 0);
});

test('actions: sendMessage stores the returned message; setPresence applies what main accepted', async () => {
  const { fake, store, actions } = boundStore();
  fake.answerSnapshot({ ok: true, value: snapshot() });
  await tick();
  fake.responses.sendMessage = (p: { to: string; body: string }) => ({
    ok: true,
    value: { id: 'out1', peer: p.to, direction: 'out', body: p.body, timestamp: 500, state: 'sending' },
  });
  const sent = await actions.sendMessage('a', 'bob@example.com', 'hi\nthere');
  assert.equal(sent.ok, true);
  const list = store.getState().chats['a']!['bob@example.com']!;
  assert.deepEqual(ids(list), ['1', '2', 'out1']);
  assert.equal(list[2]!.body, 'hi\nthere');

  await actions.setPresence('a', 'dnd', 'in a meeting');
  assert.deepEqual(store.getState().accounts[0]!.ownPresence, { show: 'dnd', status: 'in a meeting' });

  fake.responses.setPresence = () => ({ ok: false, error: { code: 'not-connected', message: 'offline' } });
  const failed = await actions.setPresence('a', 'away', '');
  assert.equal(failed.ok, false);
  assert.deepEqual(store.getState().accounts[0]!.ownPresence, { show: 'dnd', status: 'in a meeting' });
});

test('actions: a broken bridge (rejected promise) becomes an internal error result', async () => {
  const { fake } = boundStore();
  const fakeApiReject = { ...fake.api, connectAccount: () => Promise.reject(new Error('bridge gone')) } as KlatschApi;
  const r = await createActions(createAppStore(), fakeApiReject).connectAccount('a');
  assert.deepEqual(r, { ok: false, error: { code: 'internal', message: 'bridge gone' } });
});

test('actions: addAccount opens the new account', async () => {
  const { fake, store, actions } = boundStore();
  fake.answerSnapshot({ ok: true, value: snapshot({ accounts: [], rosters: {}, chats: {} }) });
  await tick();
  actions.setAddingAccount(true);
  fake.responses.addAccount = () => ({ ok: true, value: account('new') });
  const r = await actions.addAccount({ jid: 'new@example.com', password: 'pw', rememberPassword: false });
  assert.equal(r.ok, true);
  const s = store.getState();
  assert.deepEqual(s.accounts.map((a) => a.id), ['new']);
  assert.equal(s.activeAccountId, 'new');
  assert.equal(s.addingAccount, false);
});

// ---------------------------------------------------------------------------
// Forms and formatting

test('readLoginForm validates and builds the addAccount values', () => {
  const base = { jid: ' me@example.com ', password: 'pw', rememberPassword: true, host: '', port: '', directTls: false };
  assert.deepEqual(readLoginForm(base), { ok: true, values: { jid: 'me@example.com', password: 'pw', rememberPassword: true } });
  assert.deepEqual(readLoginForm({ ...base, host: ' xmpp.example.com ', port: '5223', directTls: true }), {
    ok: true,
    values: { jid: 'me@example.com', password: 'pw', rememberPassword: true, host: 'xmpp.example.com', port: 5223, directTls: true },
  });
  assert.equal(readLoginForm({ ...base, jid: 'no-at-sign' }).ok, false);
  assert.equal(readLoginForm({ ...base, jid: 'me@example.com/resource' }).ok, false);
  assert.equal(readLoginForm({ ...base, password: '' }).ok, false);
  for (const port of ['0', '65536', '52x', '-1', '1.5']) assert.equal(readLoginForm({ ...base, port }).ok, false, port);
});

test('messageToSend refuses blank messages and keeps inner newlines', () => {
  assert.equal(messageToSend(''), null);
  assert.equal(messageToSend('  \n\t \n'), null);
  assert.equal(messageToSend('\n\nhello\n  world  \n\n'), 'hello\n  world');
  assert.equal(messageToSend('  indented'), '  indented');
});

test('countdown seconds round up and stop at zero', () => {
  assert.equal(secondsUntil(10_000, 7_001), 3);
  assert.equal(secondsUntil(10_000, 7_000), 3);
  assert.equal(secondsUntil(10_000, 9_999), 1);
  assert.equal(secondsUntil(10_000, 12_000), 0);
});

// ---------------------------------------------------------------------------
// The development bridge, against a fake WebSocket and a fake page location

class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;
  static instances: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  sent: unknown[] = [];
  private handlers = new Map<string, ((e: { data?: unknown; code?: number }) => void)[]>();
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  addEventListener(type: string, fn: (e: { data?: unknown; code?: number }) => void) {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), fn]);
  }
  send(data: string) {
    if (this.readyState !== FakeSocket.OPEN) throw new Error('send before open');
    this.sent.push(JSON.parse(data));
  }
  private fire(type: string, e: { data?: unknown; code?: number } = {}) {
    for (const fn of this.handlers.get(type) ?? []) fn(e);
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.fire('open');
  }
  receive(message: unknown) {
    this.fire('message', { data: typeof message === 'string' ? message : JSON.stringify(message) });
  }
  close(code = 1000) {
    this.readyState = FakeSocket.CLOSED;
    this.fire('close', { code });
  }
}

test('dev bridge: hello first, queued requests, responses by id, events, disconnect', async () => {
  const g = globalThis as Record<string, unknown>;
  const replaced: string[] = [];
  const location = { protocol: 'http:', host: '127.0.0.1:4321', pathname: '/', search: '', hash: '#token=s3cret' };
  g.window = globalThis;
  g.location = location;
  g.history = {
    state: null,
    replaceState: (_s: unknown, _t: string, url: string) => {
      replaced.push(url);
      location.hash = '';
    },
  };
  g.WebSocket = FakeSocket;
  const warn = console.warn;
  console.warn = () => {};
  try {
    // A computed specifier: the bridge is DOM code and is not type-checked with the Node settings.
    const bridgePath = '../../renderer/dev-bridge.ts';
    await import(bridgePath);
    const api = g.klatsch as KlatschApi;
    assert.ok(api, 'window.klatsch is set synchronously');
    assert.deepEqual(replaced, ['/'], 'the token is removed from the address');
    const socket = FakeSocket.instances[0]!;
    assert.equal(socket.url, 'ws://127.0.0.1:4321/ipc');

    const events: unknown[] = [];
    const off = api.on.contactUpdated((p) => events.push(p));

    // Requested before the socket is open: queued behind the hello.
    const snap = api.getSnapshot({});
    const read = api.markRead({ accountId: 'a', peer: 'bob@example.com' });
    socket.open();
    assert.deepEqual(socket.sent, [{ type: 'hello', token: 's3cret' }], 'nothing but the hello until the host lets the socket in');
    socket.receive({ type: 'ready' });
    assert.deepEqual(socket.sent, [
      { type: 'hello', token: 's3cret' },
      { type: 'request', id: 1, name: 'getSnapshot', payload: {} },
      { type: 'request', id: 2, name: 'markRead', payload: { accountId: 'a', peer: 'bob@example.com' } },
    ]);

    // Answers may come in any order.
    socket.receive({ type: 'response', id: 2, result: { ok: true, value: {} } });
    socket.receive('not json at all');
    socket.receive({ type: 'response', id: 1, result: { ok: true, value: snapshot() } });
    assert.deepEqual(await read, { ok: true, value: {} });
    const s = await snap;
    assert.equal(s.ok && s.value.accounts[0]!.id, 'a');

    const payload = { accountId: 'a', contact: contact('b@example.com', 'online') };
    socket.receive({ type: 'event', name: 'contactUpdated', payload });
    off();
    socket.receive({ type: 'event', name: 'contactUpdated', payload });
    assert.deepEqual(events, [payload], 'delivered once, not after unsubscribing');

    // Lost connection: what is pending and what comes later fails the same way.
    const pending = api.sendMessage({ accountId: 'a', to: 'bob@example.com', body: 'hi' });
    socket.close();
    const disconnected = { ok: false, error: { code: 'internal', message: 'development host disconnected' } };
    assert.deepEqual(await pending, disconnected);
    // A later request ("Try again") connects again with the same token and goes out once let in.
    const again = api.setPresence({ accountId: 'a', show: 'away', status: '' });
    const second = FakeSocket.instances[1]!;
    assert.ok(second, 'a new socket after the old one closed');
    second.open();
    second.receive({ type: 'ready' });
    assert.deepEqual(second.sent, [
      { type: 'hello', token: 's3cret' },
      { type: 'request', id: 4, name: 'setPresence', payload: { accountId: 'a', show: 'away', status: '' } },
    ]);
    // Refused by the host with a wrong token: nothing is retried, everything fails plainly.
    const refusedRequest = api.markRead({ accountId: 'a', peer: 'bob@example.com' });
    second.close(4003);
    assert.deepEqual(await again, disconnected);
    assert.deepEqual(await refusedRequest, disconnected);
    assert.deepEqual(await api.markRead({ accountId: 'a', peer: 'bob@example.com' }), disconnected);
    assert.equal(FakeSocket.instances.length, 2, 'no new socket after the token was refused');
  } finally {
    console.warn = warn;
    // `klatsch` stays: the bridge defines it as non-configurable on purpose.
    for (const key of ['window', 'location', 'history', 'WebSocket']) delete g[key];
  }
});

test('bind: a trustChanged event moves the trust revision, so an open trust list fetches again', async () => {
  const { fake, store } = boundStore();
  fake.answerSnapshot({ ok: true, value: snapshot() });
  await tick();
  const before = store.getState().trustRevision;
  fake.emit('trustChanged', { accountId: 'a' });
  fake.emit('trustChanged', { accountId: 'a' });
  assert.equal(store.getState().trustRevision, before + 2);
});

test('actions: a fingerprint from an xmpp: link is remembered for that chat only', () => {
  const { store, actions } = boundStore();
  actions.rememberExpectedFingerprint({ accountId: 'a', peer: 'bob@example.com' }, 'AAAAAAAA BBBBBBBB CCCCCCCC DDDDDDDD EEEEEEEE');
  const s = store.getState();
  assert.deepEqual(Object.values(s.expectedFingerprints), ['AAAAAAAA BBBBBBBB CCCCCCCC DDDDDDDD EEEEEEEE']);
  assert.equal(s.expectedFingerprints[chatKeyString({ accountId: 'a', peer: 'carol@example.com' })], undefined);
  assert.equal(s.expectedFingerprints[chatKeyString({ accountId: 'a', peer: 'bob@example.com' })], 'AAAAAAAA BBBBBBBB CCCCCCCC DDDDDDDD EEEEEEEE');
});
