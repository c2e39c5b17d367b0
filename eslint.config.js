// Lint, including the layering rules: shared/ is pure (no Node, no DOM, no
// Electron), the core never imports Electron, the renderer never imports Node.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import { builtinModules } from 'node:module';
import globals from 'globals';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
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
    files: ['electron/core/**/*.ts', 'electron/devhost/**/*.ts', 'tests/**/*.ts', 'e2e/**/*.ts', 'scripts/**/*'],
    rules: restrict(['electron'], 'The core is plain Node: Electron services come in through constructors.'),
  },
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
