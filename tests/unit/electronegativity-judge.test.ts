/** `npm run lint:electron` fails on new unexplained findings and on stale explanations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { judge } from '../../scripts/electronegativity-judge.mjs';

const finding = (issue: string, severity: string, file: string, sample: string) => ({ issue, severity, file, sample });

test('a new high or medium finding is unexplained; a low one does not count', () => {
  const explained = [{ check: 'SANDBOX_JS_CHECK', file: 'electron/app/main.ts', sample: 'new BrowserWindow(mainWindowOptions(', why: 'options from security.ts' }];
  const result = judge(
    [
      finding('SANDBOX_JS_CHECK', 'MEDIUM', 'electron/app/main.ts', "const window = new BrowserWindow(mainWindowOptions(path.join(__dirname, 'preload.cjs')));"),
      finding('NODE_INTEGRATION_JS_CHECK', 'HIGH', 'electron/other.ts', 'new BrowserWindow({ nodeIntegration: true })'),
      finding('SANDBOX_JS_CHECK', 'MEDIUM', 'electron/other.ts', 'new BrowserWindow({})'),
      finding('CSP_GLOBAL_CHECK', 'LOW', 'renderer/index.html', "default-src 'none'"),
    ],
    explained,
  );
  assert.deepEqual(result.unexplained.map((f) => `${f.issue} ${f.file}`), ['NODE_INTEGRATION_JS_CHECK electron/other.ts', 'SANDBOX_JS_CHECK electron/other.ts']);
  assert.equal(result.relevant.length, 3);
  assert.deepEqual(result.stale, []);
});

test('an explanation whose finding is gone is stale', () => {
  const result = judge([], [{ check: 'OPEN_EXTERNAL_JS_CHECK', file: 'electron/app/main.ts', why: 'x' }]);
  assert.equal(result.stale.length, 1);
});

test('every checked-in explanation names a check, a file and a reason', () => {
  const explained = JSON.parse(readFileSync(new URL('../../security/electronegativity-explained.json', import.meta.url), 'utf8')) as { check: string; file: string; why: string }[];
  assert.ok(explained.length > 0);
  for (const e of explained) {
    assert.match(e.check, /^[A-Z_]+_CHECK$/);
    assert.match(e.file, /^(electron|renderer)\//);
    assert.ok(e.why.length > 40, e.check);
  }
});
