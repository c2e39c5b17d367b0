/**
 * A policy that changes while Klatsch runs applies without a restart. The files (Linux JSON,
 * macOS managed preferences) are watched through their folders — tools replace a file rather
 * than write into it, which a watch on the file itself would miss; the Windows registry is
 * polled (reg.exe every `pollMs`, default 5 minutes). Every change is read again whole
 * (machine and user, merged) and reported only when something in it differs.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { LINUX_POLICY_FILE, loadEffectivePolicy, MAC_POLICY_FILE, macUserPolicyFile, type PolicySources } from './load-policy.js';
import type { LoadedPolicy } from './read-policy.js';
import os from 'node:os';

export interface PolicyWatch {
  close(): void;
}

export const DEFAULT_REGISTRY_POLL_MS = 5 * 60_000;

export function watchPolicy(
  sources: PolicySources,
  current: LoadedPolicy,
  onChange: (loaded: LoadedPolicy) => void,
  { pollMs = DEFAULT_REGISTRY_POLL_MS, settleMs = 200 }: { pollMs?: number; settleMs?: number } = {},
): PolicyWatch {
  let last = current;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> = Promise.resolve();
  const reread = () => {
    reading = reading.then(async () => {
      const loaded = await loadEffectivePolicy(sources);
      if (closed || isDeepStrictEqual(loaded, last)) return;
      last = loaded;
      onChange(loaded);
    });
  };
  // Editors and deployment tools write in several steps: read once they are done.
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(reread, settleMs);
  };

  const watchers: FSWatcher[] = [];
  let poll: NodeJS.Timeout | undefined;
  if (sources.platform === 'win32') {
    poll = setInterval(reread, pollMs);
    poll.unref();
  } else {
    const files =
      sources.platform === 'darwin'
        ? [sources.macFile ?? MAC_POLICY_FILE, sources.macUserFile ?? macUserPolicyFile(sources.userName ?? os.userInfo().username)]
        : [sources.linuxFile ?? LINUX_POLICY_FILE, ...(sources.linuxUserFile ? [sources.linuxUserFile] : [])];
    for (const dir of new Set(files.map((f) => path.dirname(f)))) {
      const names = new Set(files.filter((f) => path.dirname(f) === dir).map((f) => path.basename(f)));
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(String(name))) soon();
        });
        watcher.on('error', () => undefined); // the folder went away: the last policy read stays in force
        watchers.push(watcher);
      } catch {
        // No such folder (no policy on this machine yet): nothing to watch there.
      }
    }
  }
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
