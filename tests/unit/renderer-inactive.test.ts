/**
 * The 'inactive' chat state (XEP-0085 §5.1) from the renderer's side: leaving a chat tells it
 * 'inactive' at once, the window out of focus for a while tells the open chat; coming back tells
 * 'active' again. (Main decides whether anything goes out: only changes, never while private.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KlatschApi, RequestOf } from '../../shared/contract';
import { createAppStore } from '../../renderer/store/store';
import { createActions, INACTIVE_AFTER_BLUR_MS } from '../../renderer/store/actions';

function setUp() {
  const states: RequestOf<'setChatState'>[] = [];
  const ok = () => Promise.resolve({ ok: true as const, value: {} });
  const api = {
    setChatState: (p: RequestOf<'setChatState'>) => {
      states.push(p);
      return ok();
    },
    markRead: ok,
  } as unknown as KlatschApi;
  const store = createAppStore();
  store.getState().windowFocusChanged(true);
  return { states, actions: createActions(store, api) };
}

const bob = { accountId: 'a', peer: 'bob@example.com' };
const carol = { accountId: 'a', peer: 'carol@example.com' };

test('leaving a chat tells it inactive; coming back tells it active', () => {
  const { states, actions } = setUp();
  actions.selectChat(bob);
  assert.deepEqual(states, [], 'opening a chat says nothing by itself');
  actions.selectChat(carol);
  assert.deepEqual(states, [{ ...bob, state: 'inactive' }]);
  actions.selectChat(carol);
  assert.equal(states.length, 1, 'selecting the same chat again changes nothing');
  actions.selectChat(bob);
  assert.deepEqual(states.slice(1), [
    { ...carol, state: 'inactive' },
    { ...bob, state: 'active' },
  ]);
  actions.selectChat(null);
  assert.deepEqual(states.at(-1), { ...bob, state: 'inactive' });
});

test('out of focus for a while: inactive in the open chat; focus back: active', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { states, actions } = setUp();
  actions.selectChat(bob);
  actions.windowFocusChanged(false);
  t.mock.timers.tick(INACTIVE_AFTER_BLUR_MS - 1);
  assert.deepEqual(states, [], 'a short look elsewhere says nothing');
  t.mock.timers.tick(1);
  assert.deepEqual(states, [{ ...bob, state: 'inactive' }]);
  actions.windowFocusChanged(true);
  assert.deepEqual(states.at(-1), { ...bob, state: 'active' });
  // Back within the time: nothing at all.
  actions.windowFocusChanged(false);
  t.mock.timers.tick(1_000);
  actions.windowFocusChanged(true);
  t.mock.timers.tick(INACTIVE_AFTER_BLUR_MS);
  assert.equal(states.length, 2);
});
