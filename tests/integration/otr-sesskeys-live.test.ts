/**
 * The checked-in libotr answers (tests/vectors/otr/sesskeys.json, used by the unit test otr-kdf.test.ts)
 * are what the installed `otr_sesskeys` (libotr5-bin) says today. If the binary is missing this FAILS
 * (install: apt-get install -y libotr5-bin).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveSesskeysVectors, readSesskeysVectors } from '../fixtures/otr-sesskeys.js';

test('otr_sesskeys still gives the checked-in answers', () => {
  assert.deepEqual(liveSesskeysVectors(), readSesskeysVectors());
});
