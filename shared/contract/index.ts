/**
 * The one IPC contract between the renderer and the main process.
 *
 * Requests go renderer → main and answer with a `Result`; events go main → renderer.
 * Every request payload is parsed by main with its schema (requests.ts) before a handler
 * sees it, so handlers only ever get typed, bounded values.
 *
 * Split by domain, one file each; this index is the one import path (shared/contract.ts only
 * re-exports it). These files import neither Node nor the DOM: both sides, and the development
 * host, import them as they are.
 */
export { PolicyView, XmppLinkEvent } from '../policy-view.js';
export * from './values.js';
export * from './errors.js';
export * from './accounts.js';
export * from './e2ee.js';
export * from './contacts.js';
export * from './messages.js';
export * from './settings.js';
export * from './rooms.js';
export * from './snapshot.js';
export * from './requests.js';
export * from './events.js';
export * from './api.js';
