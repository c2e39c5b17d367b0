/**
 * `npm run dev:host -- --profile DIR [--port N] [--extra-ca FILE]… [--pick-folder DIR] [--policy FILE]`
 * Starts one app instance (one profile) as a development host and prints the
 * URL to open. Each instance is separate, like two installations of the app.
 * `--policy FILE` reads an administrator policy in the JSON form of
 * /etc/klatsch/policy.json from FILE (the tests' way to try policies).
 * `--history-recent-per-chat N` starts each chat with its newest N stored
 * messages instead of the default (benchmarks and tests of long chats).
 * On SIGUSR2 it prints `KLATSCH_MEMORY={json}` (process.memoryUsage() after a
 * GC when --expose-gc is on; peak RSS; V8's heap statistics): how `npm run bench:roster`
 * reads main's memory. `--loop-delay` adds the event loop's delay and the longest stretches
 * of work since the last report (loop-watch.ts): how it sees main stall.
 * Links the user confirmed are not opened: a browser page has no system
 * browser to hand them to, so each is appended to `opened-links.txt` in the
 * profile (one address a line) — what the tests read.
 * `--record-notifications FILE` writes what the desktop would show
 * (notifications, unread badge, tray) to FILE, one JSON line each, for tests.
 * `--unconfirmed-grace-ms N` and `--unconfirmed-silence-ms N` shorten when a message the contact's
 * app did not confirm is marked (receipts/unconfirmed.ts; the soak's way to see it under faults).
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { KlatschCore } from '../core/klatsch-core.js';
import { FileKeySecretBox } from '../core/store/secret-box.js';
import { startDevHost } from './dev-host.js';
import { loadPolicy } from '../core/policy/load-policy.js';
import { watchPolicy } from '../core/policy/watch-policy.js';
import { PolicyGate } from '../core/policy/policy-gate.js';
import { RecordingShell } from './recording-shell.js';
import { LoopWatch, type LoopReport } from './loop-watch.js';
import { UNCONFIRMED_TIMINGS } from '../core/receipts/unconfirmed.js';
import { keepYoungGenerationSmall } from '../core/young-generation.js';

/** Where the development host records the links it would have opened. */
const OPENED_LINKS_FILE = 'opened-links.txt';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  // As the app's main process does (electron/app/main.ts).
  keepYoungGenerationSmall();
  const { values } = parseArgs({
    options: {
      profile: { type: 'string' },
      port: { type: 'string' },
      'extra-ca': { type: 'string', multiple: true },
      policy: { type: 'string' },
      'record-notifications': { type: 'string' },
      // A browser page cannot show a native folder dialog: tests name the folder every "choose a folder" answers with.
      'pick-folder': { type: 'string' },
      'history-recent-per-chat': { type: 'string' },
      'loop-delay': { type: 'boolean' },
      'unconfirmed-grace-ms': { type: 'string' },
      'unconfirmed-silence-ms': { type: 'string' },
    },
  });
  // From before the core starts: its start (the history's load) is the first stretch measured.
  const loopDelay = values['loop-delay'] ? new LoopWatch() : undefined;
  loopDelay?.start();
  if (!values.profile) throw new Error('--profile DIR is required');
  const profileDir = path.resolve(values.profile);
  await fs.mkdir(profileDir, { recursive: true, mode: 0o700 });
  const extraAnchors = await Promise.all((values['extra-ca'] ?? []).map((f) => fs.readFile(f, 'utf8')));
  const policySources = values.policy ? { platform: 'linux' as const, linuxFile: path.resolve(values.policy) } : undefined;
  const systemLanguages = [Intl.DateTimeFormat().resolvedOptions().locale];
  const core = new KlatschCore({
    profileDir,
    secretBox: await FileKeySecretBox.open(path.join(profileDir, 'dev-secret.key')),
    omemo: true,
    extraAnchors,
    shell: new RecordingShell(values['record-notifications'] ? path.resolve(values['record-notifications']) : undefined),
    // Asked at every tray refresh (each roster burst); a DateTimeFormat costs ~5 ms to make, and the locale stays.
    systemLanguages: () => systemLanguages,
    ...(policySources ? { policy: new PolicyGate(await loadPolicy(policySources)) } : {}),
    ...(values['pick-folder'] ? { pickFolder: async () => path.resolve(values['pick-folder']!) } : {}),
    ...(values['history-recent-per-chat'] ? { history: { recentPerChat: positiveInteger(values['history-recent-per-chat'], '--history-recent-per-chat') } } : {}),
    ...(values['unconfirmed-grace-ms'] || values['unconfirmed-silence-ms']
      ? {
          unconfirmed: {
            graceMs: values['unconfirmed-grace-ms'] ? positiveInteger(values['unconfirmed-grace-ms'], '--unconfirmed-grace-ms') : UNCONFIRMED_TIMINGS.graceMs,
            silenceMs: values['unconfirmed-silence-ms'] ? positiveInteger(values['unconfirmed-silence-ms'], '--unconfirmed-silence-ms') : UNCONFIRMED_TIMINGS.silenceMs,
          },
        }
      : {}),
    openExternal: async (href) => {
      await fs.appendFile(path.join(profileDir, OPENED_LINKS_FILE), `${href}\n`, { mode: 0o600 });
      console.error(`development host: a link was recorded in ${OPENED_LINKS_FILE} instead of being opened`);
    },
  });
  await core.start();
  // Like the app: the policy file is watched, and a change applies while the host runs.
  if (policySources) watchPolicy(policySources, core.policy.loaded, (next) => core.applyPolicy(next));
  const host = await startDevHost({
    core,
    rendererDir: path.join(root, 'dist/renderer'),
    bridgeFile: path.join(root, 'dist/devhost/dev-bridge.js'),
    ...(values.port ? { port: Number(values.port) } : {}),
    log: (line) => console.error(line),
  });
  console.log(`KLATSCH_URL=${host.url}`);
  console.log(`\nOpen this address in a browser:\n\n  ${host.url}\n`);
  console.log('It works once (a one-time token): to open Klatsch again, restart this. Press Ctrl+C to stop.');
  const stop = async () => {
    await host.close();
    await core.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.on('SIGUSR2', () => console.log(`KLATSCH_MEMORY=${JSON.stringify(memoryReport(loopDelay))}`));
}

function positiveInteger(text: string, name: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new Error(`${name} needs a positive whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * The core's memory as it is, and after a full GC when the host runs with --expose-gc; with `loopDelay`,
 * the event loop's delay since the last report, then a fresh start (the GC here is not the app's stall).
 */
function memoryReport(loopDelay: LoopWatch | undefined): {
  now: NodeJS.MemoryUsage;
  peakRss: number;
  heap: { totalHeapSize: number; usedHeapSize: number; mallocedMemory: number; peakMallocedMemory: number };
  afterGc?: NodeJS.MemoryUsage;
  loopDelay?: LoopReport;
} {
  const delay = loopDelay?.report();
  loopDelay?.stop();
  const now = process.memoryUsage();
  const peakRss = process.resourceUsage().maxRSS * 1024; // maxRSS is in kilobytes
  const stats = v8.getHeapStatistics();
  const heap = { totalHeapSize: stats.total_heap_size, usedHeapSize: stats.used_heap_size, mallocedMemory: stats.malloced_memory, peakMallocedMemory: stats.peak_malloced_memory };
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const afterGc = gc ? process.memoryUsage() : undefined;
  loopDelay?.reset();
  loopDelay?.start();
  return { now, peakRss, heap, ...(afterGc ? { afterGc } : {}), ...(delay ? { loopDelay: delay } : {}) };
}

main().catch((error: unknown) => {
  console.error(`development host failed: ${(error as Error).message}`);
  process.exit(1);
});
