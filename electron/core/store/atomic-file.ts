/**
 * Crash-safe file replacement: write a temp file beside the target, fsync it,
 * rename it over the target, fsync the folder. A reader sees the old file or
 * the new one, never half of either. And the read every store starts with:
 * a file that is not there yet is not an error.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Temp files of writes under way in this process: never stale. */
const writing = new Set<string>();

/** The file's text; undefined when it does not exist. Any other failure is thrown as `unreadable(error)` says. */
export async function readTextIfPresent(file: string, unreadable: (error: Error) => Error): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(error as Error);
  }
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  writing.add(temp);
  try {
    await writeVia(temp, target, data, mode);
  } finally {
    writing.delete(temp);
  }
  await syncDirectory(dir);
}

async function writeVia(temp: string, target: string, data: string | Uint8Array, mode: number): Promise<void> {
  const handle = await fs.open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true }); // a full disk must not also fill up with half-written copies
    throw error;
  }
}

/**
 * Removes what interrupted writes of `target` left beside it (a crash between creating and renaming our temp
 * file): only our own temp files, never anything else, and never one of a write under way in this process.
 */
export async function removeStaleTemps(target: string): Promise<void> {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length)) && !writing.has(file)) await fs.rm(file, { force: true });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Windows cannot open a folder for fsync; its rename is already durable enough there.
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
