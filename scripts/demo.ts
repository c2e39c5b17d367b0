/**
 * `npm run demo`: Klatsch without a company server. Starts a throwaway local
 * Prosody (Debian's package) with two accounts that are contacts of each other,
 * signs in as both, and opens one window for each (browser pages on the
 * development host). Everything lives in a temp folder and is gone on Ctrl+C.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KlatschCore } from '../electron/core/klatsch-core.js';
import { FileKeySecretBox } from '../electron/core/store/secret-box.js';
import { startDevHost, type DevHost } from '../electron/devhost/dev-host.js';
import { startProsody } from '../tests/fixtures/prosody.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  if (!hasCommand('prosody') || !hasCommand('prosodyctl')) {
    console.error('The demo needs Debian\'s Prosody: sudo apt-get install prosody');
    process.exit(1);
  }
  const users = ['alice', 'bob'].map((username) => ({ username, password: randomBytes(9).toString('base64url') }));
  console.log('Starting a local Prosody…');
  const server = await startProsody({ users, contacts: [['alice', 'bob']] });
  const cleanups: (() => Promise<void>)[] = [() => server.dispose()];
  const hosts: DevHost[] = [];
  try {
    for (const user of users) {
      const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), `klatsch-demo-${user.username}-`));
      const core = new KlatschCore({
        profileDir,
        secretBox: await FileKeySecretBox.open(path.join(profileDir, 'dev-secret.key')),
        extraAnchors: [server.ca.caCertPem],
      });
      await core.start();
      const result = await core.handlers.addAccount({
        jid: `${user.username}@${server.domain}`,
        password: user.password,
        rememberPassword: true,
        host: '127.0.0.1',
        port: server.c2sPort,
      });
      const host = await startDevHost({
        core,
        rendererDir: path.join(root, 'dist/renderer'),
        bridgeFile: path.join(root, 'dist/devhost/dev-bridge.js'),
      });
      hosts.push(host);
      cleanups.unshift(async () => {
        await host.close();
        await core.stop();
        await fs.rm(profileDir, { recursive: true, force: true });
      });
      console.log(`${result.jid} is signed in.`);
    }
  } catch (error) {
    for (const cleanup of cleanups) await cleanup();
    throw error;
  }

  const browsers = openWindows(hosts.map((h) => h.url));
  console.log('\nKlatsch demo is running. Each address is one app window (its token works once):');
  hosts.forEach((h, i) => console.log(`  ${users[i]!.username}: ${h.url}`));
  console.log('\nPress Ctrl+C to stop and remove everything.');

  const stop = async () => {
    for (const b of browsers) b.kill();
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** Opens app-style Chromium windows where a display and Chromium exist; otherwise the user opens the addresses. */
function openWindows(urls: string[]): ChildProcess[] {
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
  const display = process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY;
  if (!chromium || !display) return [];
  return urls.map((url) => {
    const profile = path.join(os.tmpdir(), `klatsch-demo-browser-${randomBytes(4).toString('hex')}`);
    return spawn(chromium, [`--app=${url}`, `--user-data-dir=${profile}`, '--no-first-run', '--disable-background-networking'], {
      stdio: 'ignore',
    });
  });
}

main().catch((error: unknown) => {
  console.error(`The demo could not start: ${(error as Error).message}`);
  process.exit(1);
});
