/**
 * The suite every server runs (server-suite.ts: sign-in, the roster with presence, messages both ways
 * between two cores, reconnecting after the server is stopped and started again, or stops answering),
 * against Prosody storing SHA-256 so that it offers SCRAM-SHA-256 as ejabberd does.
 */
import { startProsody } from '../fixtures/prosody.js';
import { serverSuite } from './server-suite.js';

serverSuite('Prosody', (options) => startProsody({ ...options, passwordHash: 'SHA-256' }));
