/**
 * Reads the machine-wide policy where each platform keeps it:
 * - Windows: `HKLM\Software\Policies\Klatsch` (Group Policy, Intune, SCCM);
 * - macOS: `/Library/Managed Preferences/<appId>.plist` (an MDM profile);
 * - Linux: `/etc/klatsch/policy.json`.
 * The command runner and the file reader are injected, so the tests feed
 * sample registry output and files. Never throws: a source that cannot be read
 * becomes a reported problem with the safest reading.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { NO_POLICY, readPolicy, unreadablePolicy, type LoadedPolicy } from './read-policy.js';
import { parseRegQuery, POLICY_KEY, RegistryParseError, USER_POLICY_KEY } from './registry.js';
import { mergePolicies } from './merge-policy.js';

export const APP_ID = 'com.klatsch.desktop';
export const LINUX_POLICY_FILE = '/etc/klatsch/policy.json';
export const MAC_POLICY_FILE = `/Library/Managed Preferences/${APP_ID}.plist`;
/** Per-user managed preferences: an MDM profile installed for one user (root-owned, like the machine's). */
export const macUserPolicyFile = (user: string) => `/Library/Managed Preferences/${user}/${APP_ID}.plist`;

export type RunCommand = (file: string, args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
export type ReadFile = (path: string) => Promise<Buffer>;

export interface PolicySources {
  platform: NodeJS.Platform;
  run?: RunCommand;
  readFile?: ReadFile;
  linuxFile?: string;
  macFile?: string;
  /** The per-user policy on macOS (default: the per-user managed preferences of the logged-in user). */
  macUserFile?: string;
  /**
   * A per-user policy file on Linux. None by default: a file the user could write is no policy.
   * Tests and a deployment that places a root-owned file per user set it.
   */
  linuxUserFile?: string;
  /** The login name for macOS's per-user managed preferences (default: the current user's). */
  userName?: string;
}

/**
 * The policy in force: the machine's and the user's, the machine's winning key by key
 * (a user policy can set what the machine's leaves open, never loosen what it sets).
 */
export async function loadEffectivePolicy(sources: PolicySources): Promise<LoadedPolicy> {
  const [machine, user] = await Promise.all([loadPolicy(sources), loadUserPolicy(sources)]);
  return mergePolicies(machine, user);
}

/** The per-user policy alone: `HKCU\Software\Policies\Klatsch`, per-user managed preferences, or the Linux file when given. */
export async function loadUserPolicy(sources: PolicySources): Promise<LoadedPolicy> {
  const run = sources.run ?? runCommand;
  const readFile = sources.readFile ?? ((p: string) => fs.readFile(p));
  try {
    if (sources.platform === 'win32') return await fromRegistry(run, USER_POLICY_KEY);
    if (sources.platform === 'darwin') return await fromPlist(sources.macUserFile ?? macUserPolicyFile(sources.userName ?? os.userInfo().username), readFile, run);
    return sources.linuxUserFile ? await fromJson(sources.linuxUserFile, readFile) : NO_POLICY;
  } catch (error) {
    return unreadablePolicy(`${sources.platform} (user)`, `unexpected error (${(error as Error)?.message ?? 'unknown'})`);
  }
}

export async function loadPolicy(sources: PolicySources): Promise<LoadedPolicy> {
  const run = sources.run ?? runCommand;
  const readFile = sources.readFile ?? ((p: string) => fs.readFile(p));
  try {
    if (sources.platform === 'win32') return await fromRegistry(run);
    if (sources.platform === 'darwin') return await fromPlist(sources.macFile ?? MAC_POLICY_FILE, readFile, run);
    return await fromJson(sources.linuxFile ?? LINUX_POLICY_FILE, readFile);
  } catch (error) {
    // Belt and braces: a bug in a reader must not open everything up either.
    return unreadablePolicy(sources.platform, `unexpected error (${(error as Error)?.message ?? 'unknown'})`);
  }
}

async function fromRegistry(run: RunCommand, key: string = POLICY_KEY): Promise<LoadedPolicy> {
  const source = `registry ${key}`;
  let result;
  try {
    result = await run('reg.exe', ['query', key]);
  } catch (error) {
    return unreadablePolicy(source, `reg.exe could not be run (${(error as Error).message})`);
  }
  // reg.exe exits 1 with an error on stderr and nothing on stdout when the key does not exist. Its
  // message is translated on localized Windows, so only "access denied" (which we can recognise in
  // English) counts as a problem; any other exit 1 without output is "no policy on this machine".
  if (result.code !== 0) {
    if (result.code === 1 && result.stdout.trim() === '' && !/denied/i.test(result.stderr)) return NO_POLICY;
    return unreadablePolicy(source, `reg.exe failed (exit code ${result.code})`);
  }
  try {
    return readPolicy(parseRegQuery(result.stdout, key), source, { coerceNumbers: true, caseInsensitive: true });
  } catch (error) {
    if (error instanceof RegistryParseError) return unreadablePolicy(source, error.message);
    throw error;
  }
}

async function fromPlist(file: string, readFile: ReadFile, run: RunCommand): Promise<LoadedPolicy> {
  const bytes = await readOrAbsent(file, readFile);
  if (bytes === 'absent') return NO_POLICY;
  if (bytes instanceof Error) return unreadablePolicy(file, bytes.message);
  let xml = bytes.toString('utf8');
  if (bytes.subarray(0, 8).toString('latin1') === 'bplist00') {
    // MDM profiles usually install binary plists; plutil (part of macOS) prints the XML form.
    const converted = await run('/usr/bin/plutil', ['-convert', 'xml1', '-o', '-', file]).catch((error: Error) => error);
    if (converted instanceof Error || converted.code !== 0) return unreadablePolicy(file, 'the binary property list could not be converted by plutil');
    xml = converted.stdout;
  }
  // Loaded only here (macOS with a managed profile): plist and its XML parsers are ~320 KB the main process need not run otherwise.
  const { parsePlist, PlistParseError } = await import('./plist.js');
  try {
    return readPolicy(parsePlist(xml), file);
  } catch (error) {
    if (error instanceof PlistParseError) return unreadablePolicy(file, `not a valid property list (${error.message})`);
    throw error;
  }
}

async function fromJson(file: string, readFile: ReadFile): Promise<LoadedPolicy> {
  const bytes = await readOrAbsent(file, readFile);
  if (bytes === 'absent') return NO_POLICY;
  if (bytes instanceof Error) return unreadablePolicy(file, bytes.message);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return unreadablePolicy(file, 'it is not valid JSON');
  }
  return readPolicy(parsed, file);
}

async function readOrAbsent(file: string, readFile: ReadFile): Promise<Buffer | 'absent' | Error> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'absent';
    return new Error(`it could not be read (${code ?? 'error'})`);
  }
}

const runCommand: RunCommand = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { windowsHide: true, timeout: 10_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
