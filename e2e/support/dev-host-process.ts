/**
 * One app instance for end-to-end tests: the development host as a child
 * process with its own profile, exactly as `npm run dev:host` starts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordedShellCall } from '../../electron/devhost/recording-shell.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface AppInstance {
  url: string;
  profileDir: string;
  /** Everything the host wrote to stdout and stderr, for checks that nothing private was logged. */
  output(): string;
  /** What the desktop would have shown (notifications, unread badge, tray), with `recordShell`; in order. */
  shellCalls(): Promise<RecordedShellCall[]>;
  stop(): Promise<void>;
  /** SIGKILL, as when the app is killed hard: nothing is flushed or closed; the profile stays (for a restart). */
  kill(): Promise<void>;
  /** The host's process.memoryUsage() (now, and after a GC with `nodeArgs: ['--expose-gc']`), read through SIGUSR2. */
  memory(): Promise<HostMemory>;
}

export interface HostMemory {
  now: NodeJS.MemoryUsage;
  /** The highest resident set size the process had so far (bytes). */
  peakRss: number;
  /** V8's heap statistics (bytes), before the GC. */
  heap: { totalHeapSize: number; usedHeapSize: number; mallocedMemory: number; peakMallocedMemory: number };
  afterGc?: NodeJS.MemoryUsage;
  /** With `args: ['--loop-delay']`: the main event loop's delay since the previous report (or the start). */
  loopDelay?: { p99Ms: number; maxMs: number; samples: number; workP99Ms: number; workMaxMs: number };
}

/** `prepare` may put files into the new profile before the app starts (e.g. a damaged settings file). */
export async function startAppInstance(
  caFile: string,
  prepare?: (profileDir: string) => Promise<void>,
  {
    policyFile,
    recordShell,
    profileDir: reuse,
    args = [],
    nodeArgs = [],
    bundled = false,
  }: {
    policyFile?: string;
    recordShell?: boolean;
    profileDir?: string;
    args?: string[];
    nodeArgs?: string[];
    /** Run the host as `npm run build` bundled it (dist/devhost/host.mjs), as the app's main process runs bundled code, instead of through tsx. */
    bundled?: boolean;
  } = {},
): Promise<AppInstance> {
  // `profileDir`: start again on the profile of an instance that was killed.
  const profileDir = reuse ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-e2e-')));
  await prepare?.(profileDir);
  const shellFile = path.join(profileDir, 'desktop-shell.jsonl');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...nodeArgs,
      ...(bundled ? ['dist/devhost/host.mjs'] : ['--import', 'tsx', 'electron/devhost/main.ts']),
      '--profile',
      profileDir,
      '--extra-ca',
      caFile,
      ...(policyFile ? ['--policy', policyFile] : []),
      ...(recordShell ? ['--record-notifications', shellFile] : []),
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`development host did not start:\n${output}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /KLATSCH_URL=(\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`development host exited (${code}):\n${output}`));
    });
  });
  return {
    url,
    profileDir,
    output: () => output,
    memory: async () => {
      const seen = output.length;
      child.kill('SIGUSR2');
      for (let i = 0; i < 200; i++) {
        const match = /KLATSCH_MEMORY=(\{.*\})/.exec(output.slice(seen));
        if (match) return JSON.parse(match[1]!) as HostMemory;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error('the development host did not report its memory');
    },
    shellCalls: async () => {
      const text = await fs.readFile(shellFile, 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as RecordedShellCall);
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await fs.rm(profileDir, { recursive: true, force: true });
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
