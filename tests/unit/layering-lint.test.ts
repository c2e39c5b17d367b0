/**
 * The layout's one rule, checked through ESLint with the project's own config:
 * electron/core is plain Node and never imports upward (not Electron, not
 * electron/app or electron/devhost, nothing outside electron/core and shared/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const eslint = new ESLint({ cwd: root });

/** The layering messages ESLint reports for `code` as if it were the file `file`. */
async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const upward = /never imports upward/;

test('a core file importing Electron or climbing out of electron/core is an error', async () => {
  // The import klatsch-core.ts had before the links moved into the core.
  assert.match((await layeringErrors('electron/core/klatsch-core.ts', "export { safeExternalUrl } from '../external-links.js';\n"))[0] ?? '', upward);
  assert.match((await layeringErrors('electron/core/xmpp/x.ts', "export { wireIpc } from '../../app/ipc-main.js';\n"))[0] ?? '', upward);
  assert.match((await layeringErrors('electron/core/e2ee/otr/x.ts', "export { DevHost } from '../../../devhost/dev-host.js';\n"))[0] ?? '', upward);
  // Past shared/ into the repository root or renderer/.
  assert.match((await layeringErrors('electron/core/x.ts', "export { api } from '../../renderer/api.js';\n"))[0] ?? '', upward);
  assert.match((await layeringErrors('electron/core/x.ts', "import { app } from 'electron';\nexport { app };\n"))[0] ?? '', /plain Node/);
});

test('imports inside electron/core and into shared/ are allowed at every depth', async () => {
  assert.deepEqual(await layeringErrors('electron/core/x.ts', "export { ChatLog } from './chat-log.js';\nexport type { ChatMessage } from '../../shared/contract.js';\n"), []);
  assert.deepEqual(await layeringErrors('electron/core/xmpp/x.ts', "export { ChatLog } from '../chat-log.js';\nexport type { ChatMessage } from '../../../shared/contract.js';\n"), []);
  assert.deepEqual(
    await layeringErrors('electron/core/e2ee/otr/store/x.ts', "export { dsaSign } from '../../../otr/dsa.js';\nexport type { ChatMessage } from '../../../../../shared/contract.js';\n"),
    [],
  );
});

test('the Electron-bound side (electron/app) may import Electron and the core', async () => {
  assert.deepEqual(await layeringErrors('electron/app/x.ts', "import { app } from 'electron';\nexport { app };\nexport { KlatschCore } from '../core/klatsch-core.js';\n"), []);
});

test('the rule reaches every folder depth the core has, and one more', async () => {
  const depths = (readdirSync(path.join(root, 'electron/core'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split(path.sep).length - 1);
  for (let depth = 0; depth <= Math.max(...depths) + 1; depth++) {
    const file = `electron/core/${'sub/'.repeat(depth)}x.ts`;
    const errors = await layeringErrors(file, `export { wireIpc } from '${'../'.repeat(depth + 1)}app/ipc-main.js';\n`);
    assert.match(errors[0] ?? '', upward, `${file} may import electron/app: raise CORE_DEPTHS in eslint.config.js`);
  }
});
