/**
 * The app against a second real server, Debian's ejabberd 23.01 (SCRAM-SHA-256): the suite every
 * server runs (server-suite.ts: sign-in, the roster with presence, messages both ways between two
 * cores, reconnecting after the server is stopped and started again, or stops answering).
 */
import { startEjabberd } from '../fixtures/ejabberd.js';
import { serverSuite } from './server-suite.js';

serverSuite('ejabberd', (options) => startEjabberd(options));
