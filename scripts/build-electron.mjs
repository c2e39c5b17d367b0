// Bundles the main process, the preload and the development bridge with esbuild.
// The renderer is built by Vite (vite.config.ts).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * zod's `z.locales` carries its error messages in ~50 languages (~400 KB of the bundle, more than
 * half of zod); the core only ever uses English, zod's default (our own texts come from shared/i18n).
 * Loading and running the rest cost the main process ~3 MB of RSS at start, so only `en` is bundled.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: path.join(path.dirname(args.importer), args.path), namespace: 'zod-english-only' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({ contents: "export { default as en } from './en.js';\n", resolveDir: path.dirname(args.path) }));
  },
};

const common = { bundle: true, sourcemap: true, logLevel: 'warning', target: 'es2023', plugins: [zodEnglishOnly] };

await Promise.all([
  build({
    ...common,
    entryPoints: ['electron/app/main.ts'],
    outfile: 'dist/electron/main.cjs',
    platform: 'node',
    format: 'cjs',
    // A native module is loaded from node_modules, never bundled.
    external: ['electron', 'better-sqlite3-multiple-ciphers'],
    // CommonJS has __dirname, which smp-worker-client.ts uses before import.meta.url.
    define: { 'import.meta.url': 'undefined' },
  }),
  build({
    ...common,
    entryPoints: ['electron/app/preload.ts'],
    outfile: 'dist/electron/preload.cjs',
    platform: 'node',
    format: 'cjs',
    external: ['electron'],
  }),
  // The SMP worker thread (electron/core/otr/smp-worker-client.ts loads smp-worker.cjs beside the bundle that
  // starts it): one copy for the app's main process, one for the development host.
  ...['dist/electron/smp-worker.cjs', 'dist/devhost/smp-worker.cjs'].map((outfile) =>
    build({ ...common, entryPoints: ['electron/core/otr/smp-worker.ts'], outfile, platform: 'node', format: 'cjs' }),
  ),
  // Development and tests only; electron-builder.yml leaves dist/devhost out of the app.
  build({
    ...common,
    entryPoints: ['renderer/dev-bridge.ts'],
    outfile: 'dist/devhost/dev-bridge.js',
    platform: 'browser',
    format: 'iife',
  }),
  // The development host bundled like the app's main process (`npm run bench:roster` measures its memory this way).
  build({
    ...common,
    entryPoints: ['electron/devhost/main.ts'],
    outfile: 'dist/devhost/host.mjs',
    platform: 'node',
    format: 'esm',
    external: ['better-sqlite3-multiple-ciphers'],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  }),
]);

/**
 * V8 keeps a script's source for as long as the script lives, one byte per character when every
 * character is Latin-1, two otherwise. esbuild escapes non-ASCII characters in strings, templates and
 * regular expressions, but keeps the comments it carries over as they are, and a few of ours say "—",
 * "→" or "…": that made the 2 MB bundle a 4 MB string on the main process's heap. Escaped there
 * (inside a comment, `\u2014` is just text; outside one it would mean the same character).
 */
async function latin1Only(file) {
  const text = await fs.readFile(file, 'utf8');
  // eslint-disable-next-line no-control-regex -- every character above Latin-1, by code unit
  const escaped = text.replace(/[^\u0000-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped !== text) await fs.writeFile(file, escaped);
}

await Promise.all(['dist/electron/main.cjs', 'dist/electron/smp-worker.cjs', 'dist/devhost/smp-worker.cjs', 'dist/devhost/host.mjs'].map(latin1Only));
