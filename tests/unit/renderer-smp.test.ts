/**
 * The renderer's part in answering an authentication request: the answer names the request it
 * answers, and a new request is a new form (the answer field starts empty).
 *
 * Run: npx tsx --test tests/unit/renderer-smp.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KlatschApi, SmpView } from '../../shared/contract';
import { createAppStore } from '../../renderer/store/store';
import { createActions } from '../../renderer/store/actions';
import { smpFormKey } from '../../renderer/forms';

test('respondSmp sends the id of the request the user answered', async () => {
  const calls: unknown[] = [];
  const api = { respondSmp: async (payload: unknown) => (calls.push(payload), { ok: true, value: {} }) } as unknown as KlatschApi;
  const actions = createActions(createAppStore(), api);
  const result = await actions.respondSmp('acc-1', 'mallory@example.test', 'request-2', 'the answer');
  assert.equal(result.ok, true);
  assert.deepEqual(calls, [{ accountId: 'acc-1', peer: 'mallory@example.test', requestId: 'request-2', secret: 'the answer' }]);
});

test('a new request of the contact is a new answer form; the same request keeps its form', () => {
  const question: SmpView = { phase: 'asked', id: 'request-1', question: 'Where did we meet?' };
  const swapped: SmpView = { phase: 'asked', id: 'request-2' };
  assert.notEqual(smpFormKey(question), smpFormKey(swapped), 'the answer typed for the question would stand under the shared secret');
  assert.equal(smpFormKey(question), smpFormKey({ ...question }));
  assert.notEqual(smpFormKey(question), smpFormKey({ phase: 'aborted', byPeer: true, replaced: true }));
});
