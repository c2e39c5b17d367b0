/**
 * `npm run demo` for a newcomer, headless (no display, so no windows): it prints what another client
 * needs to join (the server's port, three accounts with their passwords, the group chat service), the
 * one-time addresses, where notifications are recorded, and that Ctrl+C stops it; on Ctrl+C (SIGINT)
 * it exits cleanly and removes what it made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installExitHook, liveChildren, SETPRIV } from '../fixtures/child-cleanup.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const READY_TIMEOUT_MS = 60_000;

test('the demo prints three accounts with passwords, the port, the one-time note and Ctrl+C, and stops cleanly', async () => {
  installExitHook();
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const argv = [process.execPath, '--import', 'tsx', 'scripts/demo.ts'];
  const child = SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', ...argv], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not get ready:\n${output}`)), READY_TIMEOUT_MS);
      const look = (): void => {
        if (!/Ctrl\+C/.test(output)) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout!.on('data', look);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the demo exited early:\n${output}`));
      });
    });

    const port = /port (\d+) \(STARTTLS/.exec(output);
    assert.ok(port && Number(port[1]) > 0, `the server's port: ${output}`);
    assert.match(output, /group chats: conference\.\S+/);
    for (const user of ['alice', 'bob', 'carol']) {
      assert.match(output, new RegExp(`^  ${user}@\\S+  \\S{8,}$`, 'm'), `${user}'s address and password`);
      assert.match(output, new RegExp(`^  ${user}: http://127\\.0\\.0\\.1:\\d+/\\S+$`, 'm'), `${user}'s address to open`);
    }
    assert.match(output, /works once \(a one-time token\)/);
    assert.match(output, /Press Ctrl\+C to stop/);
    const notifications = [...output.matchAll(/^ {2}\w+: (\/\S+notifications\.jsonl)$/gm)].map((m) => m[1]!);
    assert.equal(notifications.length, 3, 'where each account\'s notifications are recorded');
    const caFile = /trust in another client \(Pidgin, Profanity\): (\S+)/.exec(output)?.[1];
    assert.ok(caFile && existsSync(caFile), 'the certificate authority file exists while the demo runs');

    child.kill('SIGINT');
    assert.equal(await exited, 0, `a clean stop:\n${output}`);
    for (const file of [...notifications, caFile]) assert.ok(!existsSync(path.dirname(file)), `${path.dirname(file)} was removed`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    liveChildren.delete(child);
  }
});
