// What keeps the main process's bundles small in memory (scripts/build-electron.mjs; tests/unit/bundle-memory.test.ts).
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * zod's `z.locales` carries its error messages in ~50 languages (~400 KB of the bundle, more than
 * half of zod); the core only ever uses English, zod's default (our own texts come from shared/i18n).
 * Loading and running the rest cost the main process ~3 MB of RSS at start, so only `en` is bundled.
 */
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: path.join(path.dirname(args.importer), args.path), namespace: 'zod-english-only' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({ contents: "export { default as en } from './en.js';\n", resolveDir: path.dirname(args.path) }));
  },
};

/**
 * V8 keeps a script's source for as long as the script lives, one byte per character when every
 * character is Latin-1, two otherwise. esbuild escapes non-ASCII characters in strings, templates and
 * regular expressions, but keeps the comments it carries over as they are, and a few of ours say "—",
 * "→" or "…": that made the 2 MB bundle a 4 MB string on the main process's heap. Escaped there
 * (inside a comment, `\u2014` is just text; outside one it would mean the same character).
 */
export async function latin1Only(file) {
  const text = await fs.readFile(file, 'utf8');
  // eslint-disable-next-line no-control-regex -- every character above Latin-1, by code unit
  const escaped = text.replace(/[^\u0000-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped !== text) await fs.writeFile(file, escaped);
}
