/**
 * What the preload (or the development bridge) puts on `window.klatsch`, and the IPC channels it uses.
 */
import type { Result } from './errors.js';
import type { EventName, EventOf } from './events.js';
import type { RequestName, RequestOf, ResponseOf } from './requests.js';

export type KlatschApi = {
  [K in RequestName]: (payload: RequestOf<K>) => Promise<Result<ResponseOf<K>>>;
} & {
  on: { [E in EventName]: (listener: (payload: EventOf<E>) => void) => () => void };
};

/** Channel names used on Electron's IPC. */
export const requestChannel = (name: RequestName): string => `klatsch:request:${name}`;
export const eventChannel = (name: EventName): string => `klatsch:event:${name}`;
