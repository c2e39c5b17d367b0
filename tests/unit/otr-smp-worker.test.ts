/**
 * SMP off the main thread (smp-worker.ts via smp-worker-client.ts, the engine's
 * smpDeferred mode): the same results as inline (the known answers of
 * otr-smp.test.ts), every step computed on another thread, the main loop free
 * while a step runs, and a crashed worker ends the SMP with a clear error and
 * an abort to the peer instead of a hang.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId as mainThreadId } from 'node:worker_threads';
import { generateDsaKey, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import { mergeOutput, type OtrEvent, type OtrOutput } from '../../electron/core/otr/events.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';
import { OtrConversation } from '../../electron/core/otr/session.js';
import { SmpMachine, runSmpStep, smpSecret } from '../../electron/core/otr/smp.js';
import { SmpWorker, type SmpCompute } from '../../electron/core/otr/smp-worker-client.js';

const ALICE_TAG = 0xa11ce001;
const BOB_TAG = 0xb0b00001;

let aliceKey: DsaPrivateKey;
let bobKey: DsaPrivateKey;
const worker = new SmpWorker();
before(() => {
  aliceKey = generateDsaKey();
  bobKey = generateDsaKey();
});
after(() => worker.close());

interface Side {
  conv: OtrConversation;
  events: OtrEvent[];
}

function pair(): { alice: Side; bob: Side } {
  const make = (account: string, peer: string, key: DsaPrivateKey, tag: number): Side => ({
    conv: new OtrConversation({ account, peer, longTerm: key, ourInstance: tag, policy: 'manual', random: deterministicRandom(account), now: () => 0, smpDeferred: true }),
    events: [],
  });
  const alice = make('alice@x', 'bob@x', aliceKey, ALICE_TAG);
  const bob = make('bob@x', 'alice@x', bobKey, BOB_TAG);
  const pending = alice.conv.startPrivate().send.map((text) => ({ to: bob, from: alice, text }));
  while (pending.length > 0) {
    const { to, from, text } = pending.shift()!;
    for (const t of to.conv.receive(text).send) pending.push({ to: from, from: to, text: t });
  }
  assert.equal(alice.conv.state, 'encrypted');
  assert.equal(bob.conv.state, 'encrypted');
  return { alice, bob };
}

/** What PrivateChats does: every smp-compute goes to `compute`, its result back into the conversation. */
async function settle(side: Side, out: OtrOutput, compute: SmpCompute, threads: number[]): Promise<OtrOutput> {
  for (;;) {
    const jobs = out.events.flatMap((e) => (e.type === 'smp-compute' ? [e.job] : []));
    if (jobs.length === 0) return out;
    out.events = out.events.filter((e) => e.type !== 'smp-compute');
    for (const job of jobs) {
      try {
        const result = await compute.compute(job);
        threads.push(result.threadId);
        mergeOutput(out, side.conv.smpComputed(job.id, result));
      } catch (e) {
        mergeOutput(out, side.conv.smpComputeFailed(job.id, (e as Error).message));
      }
    }
  }
}

async function relay(from: Side, to: Side, first: OtrOutput, compute: SmpCompute, threads: number[]): Promise<void> {
  const out = await settle(from, first, compute, threads);
  from.events.push(...out.events);
  const pending = out.send.map((text) => ({ target: to, source: from, text }));
  for (let i = 0; pending.length > 0; i++) {
    assert.ok(i < 100, 'relay did not settle');
    const { target, source, text } = pending.shift()!;
    const reply = await settle(target, target.conv.receive(text), compute, threads);
    target.events.push(...reply.events);
    for (const t of reply.send) pending.push({ target: source, source: target, text: t });
  }
}

const results = (s: Side) =>
  s.events.flatMap((e) => (e.type === 'smp-result' ? [{ success: e.success, weVerifiedThem: e.weVerifiedThem }] : []));

describe('SMP in a worker thread', () => {
  test('a step run through runSmpStep gives the very bytes SmpMachine gives inline (same randomness)', () => {
    const x = smpSecret(new Uint8Array(20).fill(1), new Uint8Array(20).fill(2), new Uint8Array(8), 'correct horse');
    const inline = new SmpMachine(deterministicRandom('kat'));
    const expected = inline.start(x, 'Wer bin ich?');
    const stepped = runSmpStep(new SmpMachine(deterministicRandom('x')).snapshot, { op: 'start', x, question: 'Wer bin ich?' }, deterministicRandom('kat'));
    assert.deepEqual(stepped.outcome, { op: 'start', tlv: expected });
    assert.deepEqual(stepped.state, inline.snapshot);
  });

  test('matching secrets succeed, wrong ones fail, a question verifies only the asker; every step ran off the main thread', { timeout: 60_000 }, async () => {
    const threads: number[] = [];
    const cases = [
      { a: 'correct horse', b: 'correct horse', question: undefined, alice: [{ success: true, weVerifiedThem: true }], bob: [{ success: true, weVerifiedThem: true }] },
      { a: 'correct horse', b: 'Correct horse', question: undefined, alice: [{ success: false, weVerifiedThem: false }], bob: [{ success: false, weVerifiedThem: false }] },
      { a: 'Berlin', b: 'Berlin', question: 'Where did we meet?', alice: [{ success: true, weVerifiedThem: true }], bob: [{ success: true, weVerifiedThem: false }] },
    ];
    for (const c of cases) {
      const { alice, bob } = pair();
      await relay(alice, bob, alice.conv.startSmp(c.a, c.question), worker, threads);
      const request = bob.events.find((e) => e.type === 'smp-request');
      assert.ok(request, 'bob got the request');
      if (c.question !== undefined) assert.equal(request.type === 'smp-request' && request.question, c.question);
      await relay(bob, alice, bob.conv.respondSmp(c.b), worker, threads);
      assert.deepEqual(results(alice), c.alice);
      assert.deepEqual(results(bob), c.bob);
      assert.ok(!alice.events.concat(bob.events).some((e) => e.type === 'smp-error'));
    }
    // start, SMP1, respond, SMP2, SMP3, SMP4 per SMP: all of them in the worker, none on this thread.
    assert.equal(threads.length, 6 * cases.length);
    assert.ok(threads.every((t) => t !== mainThreadId && t > 0), `threads: ${threads.join(',')}`);
  });

  test('the engine computes nothing on the main thread: it hands the step out, the loop turns, the result continues the SMP', async () => {
    const { alice } = pair();
    const out = alice.conv.startSmp('correct horse');
    const job = out.events.find((e) => e.type === 'smp-compute');
    assert.ok(job && job.type === 'smp-compute', 'the engine hands the step out instead of computing it');
    assert.equal(out.send.length, 0, 'nothing goes out before the step is computed');
    const computing = worker.compute(job.job);
    // The main loop is free meanwhile: a timer scheduled now fires (the step is not running on this thread).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const result = await computing;
    assert.notEqual(result.threadId, mainThreadId);
    const next = alice.conv.smpComputed(job.job.id, result);
    assert.equal(next.send.length, 1);
    assert.deepEqual(next.events.map((e) => e.type), ['smp-progress']);
  });

  test('a crashed worker ends the SMP with a clear error and an abort to the peer, never a hang; a late result is ignored', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klatsch-smp-worker-'));
    const crashing = join(dir, 'crash.cjs');
    writeFileSync(crashing, "require('node:worker_threads').parentPort.on('message', () => process.exit(7));\n");
    const broken = new SmpWorker({ file: crashing });
    const { alice, bob } = pair();
    await relay(alice, bob, alice.conv.startSmp('correct horse'), broken, []);
    const error = alice.events.find((e) => e.type === 'smp-error');
    assert.deepEqual(error, { type: 'smp-error', message: 'SMP failed: the SMP worker stopped (exit code 7); SMP aborted', instance: BOB_TAG });
    assert.ok(!bob.events.some((e) => e.type === 'smp-request'), 'no SMP message 1 went out');
    // The abort reached bob (nothing was running there: quiet), and alice can start again with a working worker.
    const threads: number[] = [];
    alice.events.length = 0;
    await relay(alice, bob, alice.conv.startSmp('correct horse'), worker, threads);
    await relay(bob, alice, bob.conv.respondSmp('correct horse'), worker, threads);
    assert.deepEqual(results(alice), [{ success: true, weVerifiedThem: true }]);

    // A result arriving after the user aborted changes nothing.
    const started = alice.conv.startSmp('again');
    const job = started.events.find((e) => e.type === 'smp-compute');
    assert.ok(job && job.type === 'smp-compute');
    alice.conv.abortSmp();
    const late = alice.conv.smpComputed(job.job.id, await worker.compute(job.job));
    assert.deepEqual(late, { send: [], display: [], events: [] });
    await broken.close();
  });
});
