// Bundles the main process, the preload and the development bridge with esbuild.
// The renderer is built by Vite (vite.config.ts).
import { build } from 'esbuild';
import { latin1Only, zodEnglishOnly } from './bundle-memory.mjs';

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

await Promise.all(['dist/electron/main.cjs', 'dist/electron/smp-worker.cjs', 'dist/devhost/smp-worker.cjs', 'dist/devhost/host.mjs'].map(latin1Only));
