// The SMP math off the main thread: a worker_threads entry that runs one
// runSmpStep per message (smp.ts, the same code the inline path runs) and
// posts back the new state and outcome. Started by smp-worker-client.ts;
// bundled as its own file by scripts/build-electron.mjs. Secrets pass
// through here as BigInts (which cannot be wiped) and are never logged.

import { parentPort, threadId } from 'node:worker_threads';
import { secureRandom } from './random.js';
import { runSmpStep } from './smp.js';
import type { SmpWorkerReply, SmpWorkerRequest } from './smp-worker-client.js';

const port = parentPort;
if (!port) throw new Error('smp-worker.ts runs as a worker thread only');

port.on('message', (request: SmpWorkerRequest) => {
  let reply: SmpWorkerReply;
  try {
    reply = { req: request.req, ok: true, result: runSmpStep(request.state, request.step, secureRandom), threadId };
  } catch (e) {
    reply = { req: request.req, ok: false, error: e instanceof Error ? e.message : 'unknown error', threadId };
  }
  port.postMessage(reply);
});
