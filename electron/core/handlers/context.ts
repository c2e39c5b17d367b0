/**
 * What the request handlers (one file per domain here) may use of the core: its accounts and stores, its
 * policy, its events. The core composes; the handlers decide what a request does.
 */
import type { KlatschCore } from '../klatsch-core.js';

export type CoreContext = Pick<
  KlatschCore,
  | 'account'
  | 'accountByJid'
  | 'accounts'
  | 'allowedByPolicy'
  | 'dropHistory'
  | 'emit'
  | 'histories'
  | 'makeAccount'
  | 'notifier'
  | 'openHistory'
  | 'openOutbox'
  | 'openOmemoStore'
  | 'openRoomHistory'
  | 'options'
  | 'otr'
  | 'otrV3Only'
  | 'policy'
  | 'refreshDesktop'
  | 'rememberRefused'
  | 'saveAccount'
  | 'settings'
  | 'settingsView'
  | 'snapshot'
  | 'storedPassword'
  | 'takeRefused'
  | 'withPassword'
>;
