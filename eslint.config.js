// Lint, including the layering rules: shared/ is pure (no Node, no DOM, no
// Electron), the core never imports Electron, the renderer never imports Node.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import { builtinModules } from 'node:module';
import globals from 'globals';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
// Folder depths below electron/core the layering rule covers (tests/unit/layering-lint.test.ts checks the deepest).
const CORE_DEPTHS = 8;
const restrict = (names, message) => ({
  'no-restricted-imports': ['error', { paths: names.map((name) => ({ name, message })), patterns: [] }],
});

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'node_modules/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['shared/**/*.ts'],
    rules: restrict([...nodeModules, 'electron', 'react', 'react-dom', 'zustand'], 'shared/ runs everywhere: no Node, DOM or Electron imports.'),
  },
  {
    files: ['electron/devhost/**/*.ts', 'tests/**/*.ts', 'e2e/**/*.ts', 'scripts/**/*'],
    rules: restrict(['electron'], 'Plain Node: Electron services come in through constructors.'),
  },
  // The core (electron/core) is plain Node and never imports upward: not Electron, not electron/app or
  // electron/devhost, nothing outside electron/core and shared/. The check is on the relative path itself, so
  // one block per folder depth: a file d folders below electron/core may climb d times and stay inside, or
  // climb d + 2 times only into shared/.
  ...Array.from({ length: CORE_DEPTHS }, (_, depth) => depth).map((depth) => ({
    files: [`electron/core/${'*/'.repeat(depth)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The core is plain Node: Electron services come in through constructors.' }],
          patterns: [
            {
              regex: `^(\\.\\./){${depth + 1}}(?!\\.\\./shared/)`,
              message: 'The core never imports upward: only electron/core/** and shared/** (Electron-bound code lives in electron/app).',
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...restrict([...nodeModules, 'electron'], 'The renderer is sandboxed: no Node or Electron imports; talk to main through window.klatsch.'),
      ...reactHooks.configs.recommended.rules,
    },
  },
  {
    files: ['electron/core/xmpp/xmpp-modules.d.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
