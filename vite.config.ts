import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: fromRoot('./renderer'),
  // Electron loads the page from file://, so every asset URL must be relative.
  base: './',
  // Only index.html (and what main.tsx imports) is built. renderer/dev-bridge.ts is
  // bundled separately by the development host (esbuild, IIFE) and never shipped.
  plugins: [react()],
  build: {
    outDir: fromRoot('./dist/renderer'),
    emptyOutDir: true,
    // No inlined data: URLs for scripts or styles; the CSP only allows 'self' for them.
    assetsInlineLimit: 0,
  },
});
