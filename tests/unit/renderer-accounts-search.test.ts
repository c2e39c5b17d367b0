/**
 * Renderer store and actions for several accounts, the history search and links:
 * dialogs in the store, focusMessage, choosing a chat brings its account to the front,
 * removing an account keeps the others, search results grouped by chat, links confirmed first.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Contact, ResponseOf, Result, SearchHit, Snapshot } from '../../shared/contract';
import { createAppStore } from '../../renderer/store/store';
import { createActions } from '../../renderer/store/actions';
import { chooseScreen } from '../../renderer/store/transitions';
import { groupHitsByChat, highlightParts } from '../../renderer/search';
import { accountView, fakeApi, type FakeResponses } from '../fixtures/fake-api';

const account = accountView;
const contact = (jid: string): Contact => ({ jid, subscription: 'both', groups: [], presence: { show: 'online', status: '' }, unread: 0 });

function twoAccounts(): Snapshot {
  return {
    accounts: [account('work'), account('home')],
    rosters: { work: [contact('boss@example.com')], home: [contact('mum@example.com')] },
    chats: {},
    secretStorage: { available: true },
  };
}

function setup(responses?: FakeResponses) {
  const store = createAppStore();
  store.getState().snapshotLoaded(twoAccounts());
  const fake = fakeApi(responses ? { responses } : {});
  return { store, actions: createActions(store, fake.api), calls: fake.calls };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('several accounts', () => {
  test('choosing a contact of the other account brings that account to the front', () => {
    const { store, actions } = setup();
    assert.equal(store.getState().activeAccountId, 'work');
    actions.selectChat({ accountId: 'home', peer: 'mum@example.com' });
    const s = store.getState();
    assert.equal(s.activeAccountId, 'home');
    assert.deepEqual(s.selected, { accountId: 'home', peer: 'mum@example.com' });
    const screen = chooseScreen(s);
    assert.equal(screen.kind === 'main' && screen.account.id, 'home');
  });

  test('removing one account keeps the others, their rosters and chats; its dialogs and focus go', () => {
    const { store, actions } = setup();
    actions.selectChat({ accountId: 'work', peer: 'boss@example.com' });
    actions.openDialog({ kind: 'edit-contact', accountId: 'home', jid: 'mum@example.com' });
    store.getState().messageFocusRequested({ accountId: 'home', peer: 'mum@example.com' }, 'm1');
    store.getState().accountRemoved('home');
    const s = store.getState();
    assert.deepEqual(s.accounts.map((a) => a.id), ['work']);
    assert.deepEqual(Object.keys(s.rosters), ['work']);
    assert.deepEqual(s.selected, { accountId: 'work', peer: 'boss@example.com' });
    assert.equal(s.dialog, null);
    assert.equal(s.focusMessage, null);
    assert.equal(s.activeAccountId, 'work');
  });

  test('a dialog not of the removed account stays open', () => {
    const { store, actions } = setup();
    actions.openDialog({ kind: 'add-contact', accountId: 'work', address: '' });
    store.getState().accountRemoved('home');
    assert.deepEqual(store.getState().dialog, { kind: 'add-contact', accountId: 'work', address: '' });
  });
});

describe('dialogs in the store', () => {
  test('the add-contact shortcut opens the dialog for the account in front; one dialog at a time', () => {
    const { store, actions } = setup();
    actions.openAddContact();
    assert.deepEqual(store.getState().dialog, { kind: 'add-contact', accountId: 'work', address: '' });
    actions.openAddContact('home', 'new@example.com');
    assert.deepEqual(store.getState().dialog, { kind: 'add-contact', accountId: 'home', address: 'new@example.com' });
    actions.openDialog({ kind: 'search' });
    assert.deepEqual(store.getState().dialog, { kind: 'search' });
    actions.closeDialog();
    assert.equal(store.getState().dialog, null);
  });

  test('without any account the add-contact shortcut does nothing', () => {
    const store = createAppStore();
    store.getState().snapshotLoaded({ ...twoAccounts(), accounts: [], rosters: {} });
    createActions(store, fakeApi().api).openAddContact();
    assert.equal(store.getState().dialog, null);
  });
});

describe('history search', () => {
  const hit = (accountId: string, peer: string, id: string, timestamp: number): SearchHit => ({
    accountId,
    peer,
    id,
    direction: 'in',
    timestamp,
    snippet: 'lunch at noon',
    highlights: [[0, 5]],
  });

  test('results are grouped by chat, the chat of the newest hit first, hits in order', () => {
    const groups = groupHitsByChat([hit('work', 'boss@example.com', '3', 30), hit('home', 'mum@example.com', '2', 20), hit('work', 'boss@example.com', '1', 10)]);
    assert.deepEqual(
      groups.map((g) => [g.accountId, g.peer, g.hits.map((h) => h.id)]),
      [
        ['work', 'boss@example.com', ['3', '1']],
        ['home', 'mum@example.com', ['2']],
      ],
    );
    assert.deepEqual(groupHitsByChat([]), []);
  });

  test('snippets are cut into text and marked parts; bad ranges are ignored', () => {
    assert.deepEqual(highlightParts('lunch at noon', [[0, 5], [9, 13]]), [
      ['lunch', true],
      [' at ', false],
      ['noon', true],
    ]);
    assert.deepEqual(highlightParts('abc', [[2, 1], [1, 99], [-1, 1]]), [['abc', false]]);
  });

  test('searching asks main with the query (bounded); choosing a result opens its chat, account and message', async () => {
    const { store, actions, calls } = setup({ searchHistory: () => ({ ok: true, value: { hits: [], more: false } }) });
    await actions.searchHistory('x'.repeat(300));
    assert.equal((calls[0]!.payload as { query: string }).query.length, 256);
    actions.openDialog({ kind: 'search' });
    actions.openSearchResult({ accountId: 'home', peer: 'mum@example.com', id: 'm-7' });
    const s = store.getState();
    assert.equal(s.dialog, null, 'the search closes');
    assert.equal(s.activeAccountId, 'home');
    assert.deepEqual(s.selected, { accountId: 'home', peer: 'mum@example.com' });
    assert.deepEqual(s.focusMessage, { accountId: 'home', peer: 'mum@example.com', id: 'm-7', seq: 1 });
    await tick();
    assert.ok(calls.some((c) => c.name === 'markRead'), 'the chat is read');
  });

  test('focusMessage: each request has a new seq; done clears only the request it answers', () => {
    const { store, actions } = setup();
    actions.openSearchResult({ accountId: 'work', peer: 'boss@example.com', id: 'a' });
    actions.openSearchResult({ accountId: 'work', peer: 'boss@example.com', id: 'a' });
    assert.equal(store.getState().focusMessage?.seq, 2, 'the same result twice scrolls again');
    actions.messageFocusDone(1);
    assert.equal(store.getState().focusMessage?.seq, 2, 'an old answer does not clear a newer request');
    actions.messageFocusDone(2);
    assert.equal(store.getState().focusMessage, null);
  });

  test('a result of an account that is gone does nothing', () => {
    const { store, actions } = setup();
    actions.openSearchResult({ accountId: 'gone', peer: 'x@example.com', id: 'a' });
    assert.equal(store.getState().focusMessage, null);
    assert.equal(store.getState().selected, null);
  });
});

describe('links', () => {
  test('a clicked link waits for confirmation; cancelling asks main for nothing', async () => {
    const { store, actions, calls } = setup();
    actions.askToOpenLink('https://example.com/a');
    assert.equal(store.getState().linkToConfirm, 'https://example.com/a');
    actions.cancelLink();
    await tick();
    assert.equal(store.getState().linkToConfirm, null);
    assert.deepEqual(calls.filter((c) => c.name === 'openExternalLink'), []);
  });

  test('confirmed, main is asked to open it; a refusal keeps the dialog to show why', async () => {
    let answer: Result<ResponseOf<'openExternalLink'>> = { ok: true, value: { opened: 'external' } };
    const { store, actions, calls } = setup({ openExternalLink: () => answer });
    actions.askToOpenLink('https://example.com/a');
    await actions.confirmLink('https://example.com/a');
    assert.deepEqual(calls.filter((c) => c.name === 'openExternalLink').map((c) => c.payload), [{ url: 'https://example.com/a' }]);
    assert.equal(store.getState().linkToConfirm, null);
    answer = { ok: false, error: { code: 'invalid-request', message: 'no' } };
    actions.askToOpenLink('https://example.com/b');
    const result = await actions.confirmLink('https://example.com/b');
    assert.equal(result.ok, false);
    assert.equal(store.getState().linkToConfirm, 'https://example.com/b');
  });
});
