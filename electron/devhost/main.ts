/**
 * `npm run dev:host -- --profile DIR [--port N] [--extra-ca FILE]… [--pick-folder DIR] [--policy FILE]`
 * Starts one app instance (one profile) as a development host and prints the
 * URL to open. Each instance is separate, like two installations of the app.
 * `--policy FILE` reads an administrator policy in the JSON form of
 * /etc/klatsch/policy.json from FILE (the tests' way to try policies).
 * Links the user confirmed are not opened: a browser page has no system
 * browser to hand them to, so each is appended to `opened-links.txt` in the
 * profile (one address a line) — what the tests read.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { KlatschCore } from '../core/klatsch-core.js';
import { FileKeySecretBox } from '../core/store/secret-box.js';
import { startDevHost } from './dev-host.js';
import { loadPolicy } from '../core/policy/load-policy.js';
import { PolicyGate } from '../core/policy/policy-gate.js';

/** Where the development host records the links it would have opened. */
const OPENED_LINKS_FILE = 'opened-links.txt';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string' },
      port: { type: 'string' },
      'extra-ca': { type: 'string', multiple: true },
      policy: { type: 'string' },
      // A browser page cannot show a native folder dialog: tests name the folder every "choose a folder" answers with.
      'pick-folder': { type: 'string' },
    },
  });
  if (!values.profile) throw new Error('--profile DIR is required');
  const profileDir = path.resolve(values.profile);
  await fs.mkdir(profileDir, { recursive: true, mode: 0o700 });
  const extraAnchors = await Promise.all((values['extra-ca'] ?? []).map((f) => fs.readFile(f, 'utf8')));
  const core = new KlatschCore({
    profileDir,
    secretBox: await FileKeySecretBox.open(path.join(profileDir, 'dev-secret.key')),
    extraAnchors,
    ...(values.policy ? { policy: new PolicyGate(await loadPolicy({ platform: 'linux', linuxFile: path.resolve(values.policy) })) } : {}),
    ...(values['pick-folder'] ? { pickFolder: async () => path.resolve(values['pick-folder']!) } : {}),
    openExternal: async (href) => {
      await fs.appendFile(path.join(profileDir, OPENED_LINKS_FILE), `${href}\n`, { mode: 0o600 });
      console.error(`development host: a link was recorded in ${OPENED_LINKS_FILE} instead of being opened`);
    },
  });
  await core.start();
  const host = await startDevHost({
    core,
    rendererDir: path.join(root, 'dist/renderer'),
    bridgeFile: path.join(root, 'dist/devhost/dev-bridge.js'),
    ...(values.port ? { port: Number(values.port) } : {}),
    log: (line) => console.error(line),
  });
  console.log(`KLATSCH_URL=${host.url}`);
  const stop = async () => {
    await host.close();
    await core.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`development host failed: ${(error as Error).message}`);
  process.exit(1);
});
