// The main thread's side of smp-worker.ts: one lazily started worker thread
// for all conversations, so the ~15 ms modexps of an SMP step never block the
// event loop. A crashed or failing worker rejects every step it had (the SMP
// ends with an error, it never hangs) and the next step starts a new worker.

import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SmpJob } from './events.js';
import type { SmpState, SmpStep, SmpStepResult } from './smp.js';

export interface SmpWorkerRequest {
  req: number;
  state: SmpState;
  step: SmpStep;
}

export type SmpWorkerReply =
  | { req: number; ok: true; result: SmpStepResult; threadId: number }
  | { req: number; ok: false; error: string; threadId: number };

/** Computes SMP steps elsewhere; `threadId` says where (tests check it is not the main thread). */
export interface SmpCompute {
  compute(job: SmpJob): Promise<SmpStepResult & { threadId: number }>;
}

/** A bundled worker file, or (development) TypeScript source loaded through tsx. */
export type SmpWorkerEntry = { file: string } | { tsSource: string };

/**
 * The worker's file: smp-worker.cjs beside the bundle (scripts/build-electron.mjs emits it next to
 * main.cjs and host.mjs), else the TypeScript source run through tsx (development, tests). import.meta.url
 * only where __dirname is missing (ESM: tsx, host.mjs); build-electron.mjs blanks it in the CommonJS main.cjs.
 */
export function smpWorkerEntry(): SmpWorkerEntry {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const bundled = join(here, 'smp-worker.cjs');
  // In the packaged app it is unpacked beside app.asar (electron-builder.yml asarUnpack).
  const unpacked = bundled.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`);
  if (unpacked !== bundled && existsSync(unpacked)) return { file: unpacked };
  if (existsSync(bundled)) return { file: bundled };
  return { tsSource: join(here, 'smp-worker.ts') };
}

export class SmpWorker implements SmpCompute {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (r: SmpStepResult & { threadId: number }) => void; reject: (e: Error) => void }>();
  private nextReq = 0;

  constructor(private readonly entry: SmpWorkerEntry = smpWorkerEntry()) {}

  compute(job: SmpJob): Promise<SmpStepResult & { threadId: number }> {
    return new Promise((resolve, reject) => {
      const worker = this.running();
      const req = ++this.nextReq;
      this.pending.set(req, { resolve, reject });
      worker.ref(); // a step in flight keeps the process alive until its answer
      const request: SmpWorkerRequest = { req, state: job.state, step: job.step };
      worker.postMessage(request);
    });
  }

  /** Stops the worker; steps in flight fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    this.failAll('the SMP worker was stopped');
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    const worker =
      'file' in this.entry
        ? new Worker(this.entry.file)
        : // A worker does not inherit tsx's loader: register it, then load the source.
          new Worker(
            `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(this.entry.tsSource).href)}); })`,
            { eval: true },
          );
    worker.on('message', (reply: SmpWorkerReply) => {
      const waiting = this.pending.get(reply.req);
      if (!waiting) return;
      this.pending.delete(reply.req);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) waiting.resolve({ ...reply.result, threadId: reply.threadId });
      else waiting.reject(new Error(reply.error));
    });
    const gone = (reason: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(reason);
    };
    worker.on('error', (e) => gone(`the SMP worker failed (${e.message})`));
    worker.on('exit', (code) => gone(`the SMP worker stopped (exit code ${code})`));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(reason: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiting) w.reject(new Error(reason));
  }
}
