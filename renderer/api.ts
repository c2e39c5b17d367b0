/**
 * The one way the renderer talks to the rest of the application: `window.klatsch`,
 * a `KlatschApi` from the preload script (or the development bridge).
 */
import { eventNamesForCheck, requestNamesForCheck } from './apiShape';
import type { KlatschApi } from '../shared/contract';

/** Returns the API, or null when it is missing or incomplete (e.g. the page opened in a plain browser). */
export function getApi(): KlatschApi | null {
  const api: unknown = window.klatsch;
  if (typeof api !== 'object' || api === null) return null;
  const candidate = api as Record<string, unknown> & { on?: unknown };
  if (!requestNamesForCheck.every((name) => typeof candidate[name] === 'function')) return null;
  const on = candidate.on as Record<string, unknown> | undefined;
  if (typeof on !== 'object' || on === null) return null;
  if (!eventNamesForCheck.every((name) => typeof on[name] === 'function')) return null;
  return api as KlatschApi;
}
