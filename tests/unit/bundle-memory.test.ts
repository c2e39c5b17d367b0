import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { latin1Only, zodEnglishOnly } from '../../scripts/bundle-memory.mjs';

/** Bundles `source` as scripts/build-electron.mjs bundles the main process (with or without our two steps). */
async function bundle(source: string, ours: boolean): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-bundle-'));
  try {
    const entry = path.join(process.cwd(), `.bundle-memory-entry-${process.pid}.ts`);
    await fs.writeFile(entry, source);
    const outfile = path.join(dir, 'out.cjs');
    try {
      await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'es2023', logLevel: 'silent', plugins: ours ? [zodEnglishOnly] : [] });
    } finally {
      await fs.rm(entry);
    }
    if (ours) await latin1Only(outfile);
    return await fs.readFile(outfile, 'utf8');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const source = `import { z } from 'zod';
export const Request = z.object({
  /** A comment esbuild keeps: the peer → the user — as written … */
  body: z.string().min(1),
});
export const firstIssue = (input: unknown) => Request.safeParse(input).error?.issues[0]?.message;
`;

test('the main-process bundle is Latin-1 only and carries no zod locale but English, and zod still answers in English', async () => {
  const text = await bundle(source, true);
  assert.deepEqual([...text].filter((c) => c.charCodeAt(0) > 0xff), []);
  assert.doesNotMatch(text, /locales\/de\.js|locales\/ar\.js|locales\/zh-CN\.js/);
  assert.match(text, /locales\/en\.js/);
  const loaded = { exports: {} as { firstIssue(input: unknown): string | undefined } };
  new Function('module', 'exports', 'require', text)(loaded, loaded.exports, (await import('node:module')).createRequire(import.meta.url));
  assert.equal(loaded.exports.firstIssue({ body: '' }), 'Too small: expected string to have >=1 characters');
  assert.equal(loaded.exports.firstIssue({ body: 'hello' }), undefined);
  // Without the two steps: every locale, and the comment's characters as they are (what made the source two bytes a character).
  const plain = await bundle(source, false);
  assert.match(plain, /locales\/de\.js/);
  assert.ok([...plain].some((c) => c.charCodeAt(0) > 0xff));
});
