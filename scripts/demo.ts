/**
 * `npm run demo`: Klatsch without a company server. Starts a throwaway local
 * Prosody (Debian's package) with three accounts that are all contacts of each
 * other (alice, bob, carol) and a group chat service, signs in as each, and
 * opens one window for each (browser pages on the development host). It prints
 * the server's port and the accounts' passwords, so another client (Pidgin,
 * Profanity) can join, and records each window's desktop notifications in its
 * profile (as the development host's --record-notifications). Everything lives
 * in temp folders and is gone on Ctrl+C.
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
import { RecordingShell } from '../electron/devhost/recording-shell.js';
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
  const users = ['alice', 'bob', 'carol'].map((username) => ({ username, password: randomBytes(9).toString('base64url') }));
  console.log('Starting a local Prosody…');
  const server = await startProsody({
    users,
    contacts: [
      ['alice', 'bob'],
      ['alice', 'carol'],
      ['bob', 'carol'],
    ],
    muc: true,
  });
  const cleanups: (() => Promise<void>)[] = [() => server.dispose()];
  const hosts: DevHost[] = [];
  const notificationFiles: string[] = [];
  let caFile: string;
  try {
    // Other clients need the throwaway certificate authority to verify the server.
    const caDir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-demo-ca-'));
    cleanups.unshift(() => fs.rm(caDir, { recursive: true, force: true }));
    caFile = path.join(caDir, 'demo-ca.pem');
    await fs.writeFile(caFile, server.ca.caCertPem);
    for (const user of users) {
      const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), `klatsch-demo-${user.username}-`));
      const notifications = path.join(profileDir, 'notifications.jsonl');
      notificationFiles.push(notifications);
      const core = new KlatschCore({
        profileDir,
        secretBox: await FileKeySecretBox.open(path.join(profileDir, 'dev-secret.key')),
        extraAnchors: [server.ca.caCertPem],
        shell: new RecordingShell(notifications),
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
  console.log('\nKlatsch demo is running.');
  console.log(`\nServer: ${server.domain} on 127.0.0.1, port ${server.c2sPort} (STARTTLS; direct TLS: port ${server.directTlsPort})`);
  console.log(`  group chats: conference.${server.domain}`);
  console.log(`  certificate authority to trust in another client (Pidgin, Profanity): ${caFile}`);
  console.log('\nAccounts (address, password), all contacts of each other:');
  for (const user of users) console.log(`  ${user.username}@${server.domain}  ${user.password}`);
  console.log(
    browsers.length > 0
      ? '\nOne window is open for each account. Their addresses (each works once: a one-time token):'
      : '\nOpen each address in a browser; each is one account\'s app window and works once (a one-time token):',
  );
  hosts.forEach((h, i) => console.log(`  ${users[i]!.username}: ${h.url}`));
  console.log('\nDesktop notifications are recorded, one JSON line each, in:');
  notificationFiles.forEach((file, i) => console.log(`  ${users[i]!.username}: ${file}`));
  console.log('\nPress Ctrl+C to stop the demo and remove everything it made.');

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
