/**
 * npm run bench:otr [-- --json] — our OTR engine (electron/core/otr) against
 * libotr 4.1.x on this machine, same workloads, one invocation.
 *
 * libotr side: tests/otr-peer/otr-bench.c (built by tests/otr-peer/build.sh otr-bench
 * into tests/otr-peer/build/otr-bench when missing or older than its sources),
 * run as a child process first; then our side runs in this process. Both:
 *   - AKE: the query message → both sides encrypted, two parties in one process,
 *     messages passed in memory until quiet; fresh conversations every run
 *     (long-term keys and instance tags made beforehand, untimed); warm-up runs first.
 *   - data: one AKE, then messages of 100 B and 10 KiB (ASCII) with the sender
 *     alternating every message (so DH keys rotate as in a chat); one message =
 *     encrypt+send on one side, receive+decrypt (+ any reply) on the other. For
 *     information (table only, no target): the same with one sender ("one-way",
 *     no key rotation), which isolates symmetric crypto and encoding.
 *   - SMP (initiation to both sides done): in the session of the data messages, alice
 *     starts SMP with a shared secret (libotr: otrl_message_initiate_smp; ours:
 *     startSmp), messages pass until quiet, bob answers (otrl_message_respond_smp /
 *     respondSmp), messages pass until quiet; both sides must report success.
 *   - keygen: DSA-1024 keys (libotr: otrl_privkey_generate_start/calculate/finish;
 *     ours: generateDsaKey(secureRandom)).
 * Every ratio is ours_time / libotr_time (< 1 = we are faster); targets: AKE ≤ 0.5,
 * data ≤ 1.0, SMP ≤ 0.5 (keygen has none).
 *
 * Both run in `rounds` interleaved rounds (libotr, ours, libotr, ours, …) with the
 * counts below per round; AKE and data report the best round (lowest mean) of each
 * side (SMP likewise), so a round disturbed by other load on the machine does not decide the ratio;
 * keygen pools all keys (its spread is the random prime search, not noise).
 *
 * Options: --json (only one JSON object on stdout; progress goes to stderr),
 * --rounds N (3), and per round: --ake N (30), --msgs-100b N (1000), --msgs-10kb N (500),
 * --keygen N (15), --ake-warmup N (5), --msg-warmup N (50), --smp N (10), --smp-warmup N (2),
 * and once: --loop N (5) AKEs then SMPs for the main event-loop delay (monitorEventLoopDelay, p99 < 10 ms:
 * every message handled in an event-loop turn of its own, as stanzas arrive in the app, and the SMP math on the
 * worker thread as PrivateChats runs it); beside it the main thread's own CPU time between two ticks of a 1 ms timer
 * (electron/devhost/loop-watch.ts, as bench:roster), which load from other processes does not inflate.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { generateDsaKey, type DsaPrivateKey } from '../electron/core/otr/dsa.js';
import { mergeOutput, type OtrOutput } from '../electron/core/otr/events.js';
import { secureRandom } from '../electron/core/otr/random.js';
import { OtrConversation } from '../electron/core/otr/session.js';
import { SmpWorker } from '../electron/core/otr/smp-worker-client.js';
import { LoopWatch } from '../electron/devhost/loop-watch.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const peerDir = join(root, 'tests', 'otr-peer');
const benchBin = join(peerDir, 'build', 'otr-bench');
const benchSources = [join(peerDir, 'otr-bench.c'), join(peerDir, 'build.sh')];

const TARGETS = { ake: 0.5, data: 1.0, smp: 0.5 } as const;
/** The main event loop's delay, p99 in ms, while AKE / SMP messages arrive (the app must never stall). */
const LOOP_P99_TARGET_MS = 10;

// ---- options ----

interface Counts {
  rounds: number;
  ake: number;
  msgs100b: number;
  msgs10kb: number;
  keygen: number;
  akeWarmup: number;
  msgWarmup: number;
  smp: number;
  smpWarmup: number;
  loop: number;
}

function parseArgs(argv: readonly string[]): { json: boolean; counts: Counts } {
  const counts: Counts = { rounds: 3, ake: 30, msgs100b: 1000, msgs10kb: 500, keygen: 15, akeWarmup: 5, msgWarmup: 50, smp: 10, smpWarmup: 2, loop: 5 };
  const names: Record<string, keyof Counts> = {
    '--rounds': 'rounds',
    '--ake': 'ake',
    '--msgs-100b': 'msgs100b',
    '--msgs-10kb': 'msgs10kb',
    '--keygen': 'keygen',
    '--ake-warmup': 'akeWarmup',
    '--msg-warmup': 'msgWarmup',
    '--smp': 'smp',
    '--smp-warmup': 'smpWarmup',
    '--loop': 'loop',
  };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') {
      json = true;
      continue;
    }
    const key = names[a];
    const value = Number(argv[i + 1]);
    const min = key === 'akeWarmup' || key === 'msgWarmup' || key === 'smpWarmup' ? 0 : 1;
    if (!key || !Number.isInteger(value) || value < min) {
      throw new Error(`usage: tsx scripts/bench-otr.ts [--json] [${Object.keys(names).map((n) => `${n} N`).join('] [')}] (bad argument ${a})`);
    }
    counts[key] = value;
    i++;
  }
  return { json, counts };
}

// ---- libotr side ----

interface CStats {
  runs: number;
  mean_ms: number;
  median_ms: number;
  min_ms: number;
  max_ms: number;
}

interface CData {
  bytes: number;
  msgs: number;
  total_ms: number;
  ms_per_msg: number;
  msgs_per_s: number;
}

interface LibotrResult {
  libotr_version: string;
  gcrypt_version: string;
  direction: string;
  ake: CStats;
  data_100b: CData;
  data_10kb: CData;
  data_100b_oneway: CData;
  data_10kb_oneway: CData;
  smp: CStats;
  keygen: CStats;
}

function ensureBenchBinary(log: (line: string) => void): void {
  const built = existsSync(benchBin) ? statSync(benchBin).mtimeMs : -1;
  if (built >= 0 && benchSources.every((s) => statSync(s).mtimeMs <= built)) return;
  log('building tests/otr-peer/build/otr-bench …');
  try {
    execFileSync(join(peerDir, 'build.sh'), ['otr-bench'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    throw new Error('tests/otr-peer/build.sh otr-bench failed (see above)');
  }
}

function runLibotr(c: Counts): LibotrResult {
  const args = [c.ake, c.msgs100b, c.msgs10kb, c.keygen, c.akeWarmup, c.msgWarmup, c.smp, c.smpWarmup].map(String);
  const stdout = execFileSync(benchBin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as LibotrResult;
}

// ---- our side (same workloads as otr-bench.c) ----

interface Party {
  conv: OtrConversation;
  peer: Party;
  private: number;
  smpSuccess: number;
}

const ALICE_TAG = 0xa11ce001;
const BOB_TAG = 0xb0b00001;

function makePair(aliceKey: DsaPrivateKey, bobKey: DsaPrivateKey, smpDeferred = false): { alice: Party; bob: Party } {
  const conv = (account: string, peer: string, longTerm: DsaPrivateKey, ourInstance: number): OtrConversation =>
    new OtrConversation({ account, peer, longTerm, ourInstance, policy: 'manual', random: secureRandom, now: Date.now, smpDeferred });
  const alice = { conv: conv('alice@bench', 'bob@bench', aliceKey, ALICE_TAG), private: 0, smpSuccess: 0 } as Party;
  const bob = { conv: conv('bob@bench', 'alice@bench', bobKey, BOB_TAG), private: 0, smpSuccess: 0 } as Party;
  alice.peer = bob;
  bob.peer = alice;
  return { alice, bob };
}

function check(out: OtrOutput, who: Party): void {
  for (const e of out.events) {
    if (e.type === 'private') who.private++;
    else if (e.type === 'smp-result' && e.success) who.smpSuccess++;
    else if (e.type !== 'ake-started' && e.type !== 'heartbeat' && e.type !== 'encrypted-sent' && e.type !== 'smp-request' && e.type !== 'smp-progress') {
      throw new Error(`unexpected event: ${JSON.stringify(e)}`);
    }
  }
}

/** Delivers `texts` from `from` to its peer and every reply back and forth until quiet. */
function drain(from: Party, texts: readonly string[]): void {
  const pending = texts.map((text) => ({ to: from.peer, text }));
  for (let rounds = 0; pending.length > 0; rounds++) {
    if (rounds > 1000) throw new Error('the parties did not settle');
    const { to, text } = pending.shift()!;
    const out = to.conv.receive(text);
    check(out, to);
    for (const t of out.send) pending.push({ to: to.peer, text: t });
  }
}

/** One AKE from fresh conversations; returns { ms, pair }. */
function runAke(aliceKey: DsaPrivateKey, bobKey: DsaPrivateKey): { ms: number; alice: Party; bob: Party } {
  const { alice, bob } = makePair(aliceKey, bobKey);
  const t0 = performance.now();
  const out = alice.conv.startPrivate();
  check(out, alice);
  drain(alice, out.send);
  const ms = performance.now() - t0;
  const v3 = alice.conv.privateSession?.version === 3 && bob.conv.privateSession?.version === 3;
  if (alice.conv.state !== 'encrypted' || bob.conv.state !== 'encrypted' || !v3 || alice.private !== 1 || bob.private !== 1) {
    throw new Error(`AKE did not complete (alice ${alice.conv.state}/${alice.private}, bob ${bob.conv.state}/${bob.private})`);
  }
  return { ms, alice, bob };
}

/** Sends `count` messages of `text`, alternating the sender (alice only if oneWay); returns the total ms. */
function runMessages(alice: Party, bob: Party, text: string, count: number, sent: { n: number }, oneWay = false): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const from = sent.n++ % 2 === 0 || oneWay ? alice : bob;
    const out = from.conv.sendText(text);
    check(out, from);
    if (out.send.length !== 1) throw new Error(`sendText produced ${out.send.length} messages`);
    const got = from.peer.conv.receive(out.send[0] as string);
    check(got, from.peer);
    const shown = got.display[0];
    if (got.display.length !== 1 || !shown || !shown.encrypted || shown.text !== text) {
      throw new Error(`message ${sent.n} was not decrypted correctly`);
    }
    if (got.send.length > 0) drain(from.peer, got.send);
  }
  return performance.now() - t0;
}

/** One SMP (alice starts, bob answers with the same secret) in their private session; returns the ms. */
function runSmp(alice: Party, bob: Party): number {
  const secret = 'correct horse battery staple';
  alice.smpSuccess = bob.smpSuccess = 0;
  const t0 = performance.now();
  const start = alice.conv.startSmp(secret);
  check(start, alice);
  drain(alice, start.send);
  const answer = bob.conv.respondSmp(secret);
  check(answer, bob);
  drain(bob, answer.send);
  const ms = performance.now() - t0;
  if (alice.smpSuccess !== 1 || bob.smpSuccess !== 1) {
    throw new Error(`SMP did not succeed on both sides (alice ${alice.smpSuccess}, bob ${bob.smpSuccess})`);
  }
  return ms;
}

/** What PrivateChats does with smp-compute events: the step on the worker thread, the result back in. */
async function computeSmp(who: Party, out: OtrOutput, worker: SmpWorker): Promise<OtrOutput> {
  for (;;) {
    const jobs = out.events.flatMap((e) => (e.type === 'smp-compute' ? [e.job] : []));
    if (jobs.length === 0) return out;
    out.events = out.events.filter((e) => e.type !== 'smp-compute');
    for (const job of jobs) mergeOutput(out, who.conv.smpComputed(job.id, await worker.compute(job)));
  }
}

/** As drain, but one message per event-loop turn, as stanzas reach the app (SMP steps on `worker`). */
async function drainByTurns(from: Party, texts: readonly string[], worker: SmpWorker): Promise<void> {
  const pending = texts.map((text) => ({ to: from.peer, text }));
  for (let rounds = 0; pending.length > 0; rounds++) {
    if (rounds > 1000) throw new Error('the parties did not settle');
    await nextTurn();
    const { to, text } = pending.shift()!;
    const out = await computeSmp(to, to.conv.receive(text), worker);
    check(out, to);
    for (const t of out.send) pending.push({ to: to.peer, text: t });
  }
}

/**
 * The main event loop's delay (perf_hooks.monitorEventLoopDelay, p99 and max in ms) while `count` AKEs, then
 * `count` SMPs run with every message handled in a turn of its own: the longest step the engine takes on the
 * main thread is what a user would feel as a stall of the window.
 */
async function measureLoopDelay(aliceKey: DsaPrivateKey, bobKey: DsaPrivateKey, count: number): Promise<{ ake: LoopDelay; smp: LoopDelay }> {
  const measure = async (work: () => Promise<void>): Promise<LoopDelay> => {
    const watch = new LoopWatch();
    watch.start();
    await work();
    watch.stop();
    const r = watch.report();
    return { p99_ms: round(r.p99Ms), max_ms: round(r.maxMs), work_p99_ms: round(r.workP99Ms), work_max_ms: round(r.workMaxMs), pass: r.p99Ms < LOOP_P99_TARGET_MS };
  };
  const worker = new SmpWorker();
  let pair = makePair(aliceKey, bobKey, true);
  const ake = await measure(async () => {
    for (let i = 0; i < count; i++) {
      pair = makePair(aliceKey, bobKey, true);
      const out = pair.alice.conv.startPrivate();
      check(out, pair.alice);
      await drainByTurns(pair.alice, out.send, worker);
      if (pair.alice.conv.state !== 'encrypted' || pair.bob.conv.state !== 'encrypted') throw new Error('AKE did not complete');
    }
  });
  const { alice, bob } = pair;
  const smp = await measure(async () => {
    for (let i = 0; i < count; i++) {
      alice.smpSuccess = bob.smpSuccess = 0;
      const start = await computeSmp(alice, alice.conv.startSmp('correct horse battery staple'), worker);
      check(start, alice);
      await drainByTurns(alice, start.send, worker);
      await nextTurn();
      const answer = await computeSmp(bob, bob.conv.respondSmp('correct horse battery staple'), worker);
      check(answer, bob);
      await drainByTurns(bob, answer.send, worker);
      if (alice.smpSuccess !== 1 || bob.smpSuccess !== 1) throw new Error('SMP did not succeed on both sides');
    }
  });
  await worker.close();
  return { ake, smp };
}

interface LoopDelay {
  p99_ms: number;
  max_ms: number;
  /** The main thread's own CPU time between two ticks of a 1 ms timer (other load on the machine does not inflate it). */
  work_p99_ms: number;
  work_max_ms: number;
  pass: boolean;
}

function makeText(len: number): string {
  const words = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ';
  let s = '';
  while (s.length < len) s += words;
  return s.slice(0, len);
}

function stats(v: number[]): CStats {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
  return { runs: n, mean_ms: v.reduce((a, b) => a + b, 0) / n, median_ms: median, min_ms: s[0] as number, max_ms: s[n - 1] as number };
}

function data(bytes: number, msgs: number, totalMs: number): CData {
  return { bytes, msgs, total_ms: totalMs, ms_per_msg: totalMs / msgs, msgs_per_s: (msgs / totalMs) * 1e3 };
}

type Results = Omit<LibotrResult, 'libotr_version' | 'gcrypt_version' | 'direction'>;

function runOurs(c: Counts, aliceKey: DsaPrivateKey, bobKey: DsaPrivateKey): Results {
  for (let i = 0; i < c.akeWarmup; i++) runAke(aliceKey, bobKey);
  const akeTimes: number[] = [];
  let last: { alice: Party; bob: Party } | undefined;
  for (let i = 0; i < c.ake; i++) {
    const r = runAke(aliceKey, bobKey);
    akeTimes.push(r.ms);
    last?.alice.conv.dispose();
    last?.bob.conv.dispose();
    last = r;
  }
  const { alice, bob } = last!;

  const small = makeText(100);
  const large = makeText(10 * 1024);
  const sent = { n: 0 };
  runMessages(alice, bob, small, c.msgWarmup, sent);
  const smallMs = runMessages(alice, bob, small, c.msgs100b, sent);
  runMessages(alice, bob, large, c.msgWarmup, sent);
  const largeMs = runMessages(alice, bob, large, c.msgs10kb, sent);
  // For information: one direction only (no DH key rotation: symmetric crypto and encoding only).
  runMessages(alice, bob, small, c.msgWarmup, sent, true);
  const smallOneWayMs = runMessages(alice, bob, small, c.msgs100b, sent, true);
  runMessages(alice, bob, large, c.msgWarmup, sent, true);
  const largeOneWayMs = runMessages(alice, bob, large, c.msgs10kb, sent, true);

  for (let i = 0; i < c.smpWarmup; i++) runSmp(alice, bob);
  const smpTimes: number[] = [];
  for (let i = 0; i < c.smp; i++) smpTimes.push(runSmp(alice, bob));

  const keygenTimes: number[] = [];
  for (let i = 0; i < c.keygen; i++) {
    const t0 = performance.now();
    generateDsaKey(secureRandom);
    keygenTimes.push(performance.now() - t0);
  }
  return {
    ake: stats(akeTimes),
    data_100b: data(100, c.msgs100b, smallMs),
    data_10kb: data(10 * 1024, c.msgs10kb, largeMs),
    data_100b_oneway: data(100, c.msgs100b, smallOneWayMs),
    data_10kb_oneway: data(10 * 1024, c.msgs10kb, largeOneWayMs),
    smp: stats(smpTimes),
    keygen: stats(keygenTimes),
  };
}

/**
 * Best of the rounds (lowest per-round mean) for AKE and data: a round disturbed by
 * other processes on the machine is dropped, the same way for both implementations.
 * Keygen times are random (prime search), so all keys of all rounds are pooled instead.
 */
function combine(rounds: readonly Results[]): Results {
  const best = <T>(pick: (r: Results) => T, value: (t: T) => number): T =>
    rounds.map(pick).reduce((a, b) => (value(b) < value(a) ? b : a));
  const keygens = rounds.map((r) => r.keygen);
  const runs = keygens.reduce((n, k) => n + k.runs, 0);
  return {
    ake: best((r) => r.ake, (a) => a.mean_ms),
    data_100b: best((r) => r.data_100b, (d) => d.ms_per_msg),
    data_10kb: best((r) => r.data_10kb, (d) => d.ms_per_msg),
    data_100b_oneway: best((r) => r.data_100b_oneway, (d) => d.ms_per_msg),
    data_10kb_oneway: best((r) => r.data_10kb_oneway, (d) => d.ms_per_msg),
    smp: best((r) => r.smp, (s) => s.mean_ms),
    keygen: {
      runs,
      mean_ms: keygens.reduce((sum, k) => sum + k.mean_ms * k.runs, 0) / runs,
      median_ms: Number.NaN, // not derivable from per-round medians; not shown
      min_ms: Math.min(...keygens.map((k) => k.min_ms)),
      max_ms: Math.max(...keygens.map((k) => k.max_ms)),
    },
  };
}

// ---- report ----

const round = (x: number, digits = 4): number => Number(x.toPrecision(digits));

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(1) : ms >= 10 ? ms.toFixed(2) : ms.toFixed(3);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ');
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const { json, counts } = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    if (!json) console.log(line);
    else process.stderr.write(`${line}\n`);
  };
  ensureBenchBinary(log);
  const t0 = performance.now();
  // Untimed: our long-term keys (this also warms up node:crypto's DSA and DH code).
  const aliceKey = generateDsaKey(secureRandom);
  const bobKey = generateDsaKey(secureRandom);
  const libRounds: LibotrResult[] = [];
  const ourRounds: Results[] = [];
  log(
    `${counts.rounds} interleaved rounds (libotr, then ours), each: ${counts.akeWarmup}+${counts.ake} AKEs, ` +
      `${counts.msgWarmup}+${counts.msgs100b} × 100 B and ${counts.msgWarmup}+${counts.msgs10kb} × 10 KiB messages (alternating, then one-way), ` +
      `${counts.smpWarmup}+${counts.smp} SMPs, ${counts.keygen} keys`,
  );
  for (let r = 1; r <= counts.rounds; r++) {
    libRounds.push(runLibotr(counts));
    ourRounds.push(runOurs(counts, aliceKey, bobKey));
    log(
      `  round ${r}: AKE ${fmtMs(ourRounds[r - 1]!.ake.mean_ms)} ms ours, ${fmtMs(libRounds[r - 1]!.ake.mean_ms)} ms libotr; ` +
        `SMP ${fmtMs(ourRounds[r - 1]!.smp.mean_ms)} ms ours, ${fmtMs(libRounds[r - 1]!.smp.mean_ms)} ms libotr`,
    );
  }
  log(`event-loop delay: ${counts.loop} AKEs, then ${counts.loop} SMPs, one message per turn …`);
  const loop = await measureLoopDelay(aliceKey, bobKey, counts.loop);
  const lib = { ...libRounds[0]!, ...combine(libRounds) };
  const ours = combine(ourRounds);
  const totalS = (performance.now() - t0) / 1e3;

  const result = {
    ake: { ours_ms: round(ours.ake.mean_ms), libotr_ms: round(lib.ake.mean_ms), ratio: round(ours.ake.mean_ms / lib.ake.mean_ms, 3) },
    data_100b: {
      ours_ms_per_msg: round(ours.data_100b.ms_per_msg),
      libotr_ms_per_msg: round(lib.data_100b.ms_per_msg),
      ratio: round(ours.data_100b.ms_per_msg / lib.data_100b.ms_per_msg, 3),
    },
    data_10kb: {
      ours_ms_per_msg: round(ours.data_10kb.ms_per_msg),
      libotr_ms_per_msg: round(lib.data_10kb.ms_per_msg),
      ratio: round(ours.data_10kb.ms_per_msg / lib.data_10kb.ms_per_msg, 3),
    },
    smp: { ours_ms: round(ours.smp.mean_ms), libotr_ms: round(lib.smp.mean_ms), ratio: round(ours.smp.mean_ms / lib.smp.mean_ms, 3) },
    keygen: { ours_ms: round(ours.keygen.mean_ms), libotr_ms: round(lib.keygen.mean_ms), ratio: round(ours.keygen.mean_ms / lib.keygen.mean_ms, 3) },
    event_loop_delay: { target_p99_ms: LOOP_P99_TARGET_MS, ake: loop.ake, smp: loop.smp },
  };
  const targets = [
    { what: 'AKE, ours/libotr', target: `≤ ${TARGETS.ake}`, measured: result.ake.ratio, pass: result.ake.ratio <= TARGETS.ake },
    { what: 'data 100 B, ours/libotr', target: `≤ ${TARGETS.data}`, measured: result.data_100b.ratio, pass: result.data_100b.ratio <= TARGETS.data },
    { what: 'data 10 KiB, ours/libotr', target: `≤ ${TARGETS.data}`, measured: result.data_10kb.ratio, pass: result.data_10kb.ratio <= TARGETS.data },
    { what: 'SMP, ours/libotr', target: `≤ ${TARGETS.smp}`, measured: result.smp.ratio, pass: result.smp.ratio <= TARGETS.smp },
    { what: 'main event loop delay p99 during AKEs (ms)', target: `< ${LOOP_P99_TARGET_MS}`, measured: loop.ake.p99_ms, pass: loop.ake.pass },
    { what: 'main event loop delay p99 during SMPs (ms)', target: `< ${LOOP_P99_TARGET_MS}`, measured: loop.smp.p99_ms, pass: loop.smp.pass },
  ];
  if (json) {
    console.log(JSON.stringify({ ...result, targets }));
    return;
  }

  const met = (ratio: number, target: number): string => (ratio <= target ? 'pass' : 'FAIL');
  const perMsg = (d: CData): string => `${fmtMs(d.ms_per_msg)} ms (${Math.round(d.msgs_per_s)}/s)`;
  const info = (label: string, o: CData, l: CData): string[] => [label, perMsg(o), perMsg(l), (o.ms_per_msg / l.ms_per_msg).toFixed(3), '-', 'info'];
  const rows = [
    ['metric', 'ours', 'libotr', 'ratio ours/libotr', 'target', 'result'],
    ['AKE, ms per AKE (mean)', fmtMs(ours.ake.mean_ms), fmtMs(lib.ake.mean_ms), result.ake.ratio.toFixed(3), `≤ ${TARGETS.ake}`, met(result.ake.ratio, TARGETS.ake)],
    ['data 100 B, time per msg (msgs/s)', perMsg(ours.data_100b), perMsg(lib.data_100b), result.data_100b.ratio.toFixed(3), `≤ ${TARGETS.data.toFixed(1)}`, met(result.data_100b.ratio, TARGETS.data)],
    ['data 10 KiB, time per msg (msgs/s)', perMsg(ours.data_10kb), perMsg(lib.data_10kb), result.data_10kb.ratio.toFixed(3), `≤ ${TARGETS.data.toFixed(1)}`, met(result.data_10kb.ratio, TARGETS.data)],
    info('data 100 B one-way, time per msg', ours.data_100b_oneway, lib.data_100b_oneway),
    info('data 10 KiB one-way, time per msg', ours.data_10kb_oneway, lib.data_10kb_oneway),
    ['SMP (initiation to both sides done), ms (mean)', fmtMs(ours.smp.mean_ms), fmtMs(lib.smp.mean_ms), result.smp.ratio.toFixed(3), `≤ ${TARGETS.smp}`, met(result.smp.ratio, TARGETS.smp)],
    ['DSA-1024 keygen, ms per key (mean)', fmtMs(ours.keygen.mean_ms), fmtMs(lib.keygen.mean_ms), result.keygen.ratio.toFixed(3), '-', '-'],
  ];
  const loopRow = (label: string, d: LoopDelay): string[] => [
    label,
    `${fmtMs(d.p99_ms)} ms (max ${fmtMs(d.max_ms)}; own work between ticks p99 ${fmtMs(d.work_p99_ms)}, max ${fmtMs(d.work_max_ms)})`,
    '-',
    '-',
    `< ${LOOP_P99_TARGET_MS} ms`,
    d.pass ? 'pass' : 'FAIL',
  ];
  rows.push(loopRow('main event-loop delay p99 during AKE', loop.ake), loopRow('main event-loop delay p99 during SMP', loop.smp));
  console.log('');
  console.log(table(rows));
  console.log('');
  console.log(`ratio = ours_time / libotr_time (< 1: we are faster; for data, time per message = 1 / throughput).`);
  console.log(
    `AKE and data: best of ${counts.rounds} interleaved rounds (lowest round mean, ${counts.ake} AKEs / ${counts.msgs100b} and ${counts.msgs10kb} messages per round, after warm-up); ` +
      `in that round AKE median/min: ours ${fmtMs(ours.ake.median_ms)}/${fmtMs(ours.ake.min_ms)} ms, libotr ${fmtMs(lib.ake.median_ms)}/${fmtMs(lib.ake.min_ms)} ms.`,
  );
  console.log(
    `SMP: best of ${counts.rounds} rounds (${counts.smp} SMPs each after ${counts.smpWarmup} warm-up, shared secret, in the session of the data messages), ` +
      `from alice's initiation through bob's answer until both report success; median/min: ours ${fmtMs(ours.smp.median_ms)}/${fmtMs(ours.smp.min_ms)} ms, ` +
      `libotr ${fmtMs(lib.smp.median_ms)}/${fmtMs(lib.smp.min_ms)} ms.`,
  );
  console.log(
    `Keygen: mean of all ${ours.keygen.runs} keys per side (${counts.keygen} per round); min–max: ours ${fmtMs(ours.keygen.min_ms)}–${fmtMs(ours.keygen.max_ms)} ms, ` +
      `libotr ${fmtMs(lib.keygen.min_ms)}–${fmtMs(lib.keygen.max_ms)} ms (random prime search: this ratio varies a lot between invocations; no target).`,
  );
  console.log(
    `Data messages: sender alternates every message (DH keys rotate), encrypt+send → receive+decrypt, in-memory; ` +
      `"one-way" rows (no target): alice sends every message, so no DH work, only symmetric crypto and encoding; ` +
      `libotr ${lib.libotr_version} / libgcrypt ${lib.gcrypt_version} (gcc -O2), node ${process.version} / OpenSSL ${process.versions.openssl}. ` +
      `Total ${totalS.toFixed(1)} s.`,
  );
  const allMet =
    result.ake.ratio <= TARGETS.ake &&
    result.data_100b.ratio <= TARGETS.data &&
    result.data_10kb.ratio <= TARGETS.data &&
    result.smp.ratio <= TARGETS.smp &&
    loop.ake.pass &&
    loop.smp.pass;
  console.log(allMet ? 'All targets met.' : 'Some targets are NOT met.');
}

main().catch((e: unknown) => {
  console.error(`bench-otr: ${(e as Error).message}`);
  process.exit(1);
});
