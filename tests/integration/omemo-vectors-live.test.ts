/**
 * The checked-in OMEMO vectors (tests/vectors/omemo) are what the installed
 * Python reference computes today: scripts/omemo-vectors.py, run again into a
 * temp folder, writes the same files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_PYTHON } from '../fixtures/omemo-reference.js';

const script = fileURLToPath(new URL('../../scripts/omemo-vectors.py', import.meta.url));
const checkedIn = fileURLToPath(new URL('../vectors/omemo/', import.meta.url));

test('the Python reference regenerates the checked-in OMEMO vectors exactly', () => {
  const out = mkdtempSync(join(tmpdir(), 'klatsch-omemo-vectors-'));
  try {
    execFileSync(REFERENCE_PYTHON, [script, out], { stdio: ['ignore', 'ignore', 'inherit'] });
    const files = readdirSync(checkedIn).sort();
    assert.deepEqual(readdirSync(out).sort(), files);
    for (const file of files) assert.equal(readFileSync(join(out, file), 'utf8'), readFileSync(join(checkedIn, file), 'utf8'), file);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
