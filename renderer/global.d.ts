import type { KlatschApi } from '../shared/contract';

declare global {
  interface Window {
    /** Put there by the preload script (in Electron) or by `dev-bridge.ts` (development host). */
    klatsch?: KlatschApi;
  }
}

export {};
