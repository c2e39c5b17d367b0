/**
 * Nothing lost, nothing doubled, under every fault: the soak benchmark (`npm run soak`) in a
 * smaller size — 100 messages each way, in plaintext and then in a private (OTR) conversation,
 * while Prosody is restarted, each side's connection cut, the server frozen, and each side's app
 * killed with SIGKILL during a burst and started again on its profile. Every message the
 * sender's app accepted is shown exactly once, in order, none is left for the user to send
 * again, and no private text crosses the server in the clear. About two minutes.
 *
 * Private mode holds the case plaintext cannot show: a receiver killed after the server handed it
 * an OTR message but before it decrypted it can never decrypt it (its session keys die with it).
 * The sender keeps a private message until the contact's app confirms it (XEP-0184) and sends it
 * again, with its id, in the next private conversation; the receiver shows a copy once.
 *
 * The run is its own process (scripts/soak.ts, under `setpriv --pdeathsig KILL`): it has a hard
 * deadline of its own, this test stops it after a longer one, and whatever way it ends, its
 * Prosody and development hosts die with it (they run under the same pdeathsig).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SoakReport } from '../../scripts/soak.js';
import { installExitHook, liveChildren, SETPRIV } from '../fixtures/child-cleanup.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MESSAGES = 100;
const RUN_DEADLINE_S = 300;
const KILL_AFTER_MS = (RUN_DEADLINE_S + 20) * 1_000;

function runSoak(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  installExitHook();
  const argv = [
    process.execPath,
    '--import',
    'tsx',
    'scripts/soak.ts',
    '--json',
    '--messages',
    String(MESSAGES),
    '--faults',
    'small',
    '--mode',
    'both',
    '--settle-s',
    '30',
    '--timeout-s',
    String(RUN_DEADLINE_S),
  ];
  const child = SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-32_768)));
  return new Promise((resolve) => {
    // Past its own deadline: SIGTERM (it cleans up), then SIGKILL (pdeathsig takes its children).
    const term = setTimeout(() => child.kill('SIGTERM'), KILL_AFTER_MS);
    const kill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS + 15_000);
    child.once('exit', (code) => {
      clearTimeout(term);
      clearTimeout(kill);
      liveChildren.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

test('soak (plaintext and private): under server restarts, cuts, freezes and SIGKILLs every accepted message is shown exactly once, in order, and none is left to send again by hand', { timeout: KILL_AFTER_MS + 30_000 }, async () => {
  const { code, stdout, stderr } = await runSoak();
  assert.equal(code, 0, `the soak run did not complete:\n${stderr}`);
  const report = JSON.parse(stdout) as SoakReport;

  // The faults really happened (per mode: 1 restart, 2 cuts, 1 freeze, 2 kills).
  assert.deepEqual(report.faultsInjected, { restart: 2, cut: 4, freeze: 2, kill: 4 });
  assert.deepEqual(
    report.results.map((r) => `${r.mode} ${r.from}`),
    ['plain alice', 'plain bob', 'private alice', 'private bob'],
    'both modes, both directions',
  );
  assert.deepEqual(report.appCrashes, { alice: 0, bob: 0 }, 'no app exited by itself');

  for (const r of report.results) {
    const where = `${r.mode} ${r.from}→${r.to}`;
    assert.equal(r.attempted, MESSAGES, `${where}: every message was tried`);
    assert.ok(r.sent > 0, `${where}: something was sent`);
    assert.equal(r.lost, 0, `${where}: lost ${r.lost}: ${JSON.stringify(r.lostDetails)}`);
    assert.equal(r.duplicated, 0, `${where}: shown more than once: ${JSON.stringify(r.duplicatedDetails)}`);
    assert.equal(r.shownOnce, r.sent, `${where}: every sent message shown exactly once`);
    // Also in private mode: a copy offered again after the receiver's restart stands where its sender wrote it.
    assert.equal(r.outOfOrder, 0, `${where}: shown out of order`);
    assert.equal(r.leaks, 0, `${where}: private texts the server had in the clear`);
    assert.equal(r.manualResends, 0, `${where}: messages left failed, to be sent again by hand (final states: ${JSON.stringify(r.senderStates)})`);
    assert.equal(r.refused, 0, `${where}: sends the app refused`);
  }
  assert.equal(report.clean, true, 'the report calls the run clean');
});
