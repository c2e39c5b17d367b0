/**
 * npm run bench:chat [-- --json] [--messages N] [--warmup N] [--servers LIST] [--profiles DIR] [--timeline] — chat
 * latency on loopback, against the floor: two raw XMPP clients through the same server in the same run.
 *
 * The cores' profiles are in the OS temp folder unless `--profiles` names another (e.g. /dev/shm): a
 * message is on disk (the outbox, fsync'd) before it goes on the wire, so the disk's fsync time is part
 * of every message's latency; a tmpfs leaves it out and shows the network path alone.
 *
 * Servers (untimed setup, one after the other; `--servers` picks some, comma-separated):
 * - `prosody`: a Prosody as it comes (Nagle's algorithm on its sockets);
 * - `prosody-nodelay`: the same with `network_settings = { nagle = false }`, as docs/admin.md recommends;
 * - `ejabberd`: an ejabberd with the test fixture's configuration;
 * - `ejabberd-nodelay`: the same with the Erlang VM's `inet_default_listen_options [{nodelay,true}]` (docs/admin.md).
 * Each from the test fixtures (tests/fixtures/prosody.ts, ejabberd.ts, core.ts, raw-xmpp.ts: temp dirs,
 * the fixture's test CA, TLS verified), with two users who are contacts of each other.
 *
 * On each server, `messages` messages A→B, then `messages` B→A, one at a time, in three modes:
 * - raw: two raw clients (raw-xmpp.ts: direct TLS, no stream management, no receipts); from just before
 *   the sender's socket write to the receiver's socket data that holds the message. The floor.
 * - plaintext: two cores (alice, bob); from just before the sender's `sendMessage` request to the
 *   receiver core's `messageUpserted` event for it (shown in the other store). Policy "never".
 * - private: the same in a private (OTR) conversation ("manual", startPrivate, both private); every
 *   message is checked to arrive encrypted.
 * Warm-up messages (untimed) come first in each mode. Everything the cores normally do runs too
 * (stream management, receipts, history store). The next message goes once the sender has handled the
 * receipt of the one before (untimed): both cores share this process's event loop, and a message timed
 * while the last one's receipt is still being handled would measure that instead.
 *
 * Where the time goes: probe points along the message's way (electron/core/latency-probe.ts) split each
 * core message into steps — outbox on disk (the request, the outbox written and fsync'd), prepare/encrypt
 * (history row, encryption, stanza), to socket (write coalescing), server and loopback (from our socket
 * write to the receiver's read: the server's own work, the kernel, and whatever else this process did
 * meanwhile, shown beside it as "busy meanwhile"), parse, handle/decrypt, history on disk (the receiver's
 * durable commit; a message not kept has none), show (to the event). Median per step, both directions.
 * `--timeline` prints the marks of the first timed message of each mode and direction on stderr.
 *
 * Reported per server: median and p99 per mode over both directions (and per direction), the cores'
 * median and p99 as a multiple of the floor, what privacy adds, the breakdown. Targets (pass/FAIL):
 * - a server as it comes: plaintext median ≤ 3 ms and ≤ 5× the floor;
 * - the recommended server setting: plaintext median ≤ 2 ms;
 * - everywhere: a private conversation adds < 0.5 ms at the median.
 * --json: one JSON object on stdout (progress on stderr). Exit code 0 whether targets pass or not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import type { AccountView, ChatMessage, EventName, EventOf } from '../shared/contract.js';
import { startProsody } from '../tests/fixtures/prosody.js';
import { startEjabberd } from '../tests/fixtures/ejabberd.js';
import { startTestCore, type TestCore } from '../tests/fixtures/core.js';
import { esc, rawLogin, type RawStream } from '../tests/fixtures/raw-xmpp.js';
import { reportedPrivacy } from '../tests/fixtures/contact-trust.js';
import { latencyProbe, type ProbePoint } from '../electron/core/latency-probe.js';

const TARGET_DEFAULT_SERVER_MS = 3;
const TARGET_DEFAULT_SERVER_FLOOR_RATIO = 5;
const TARGET_RECOMMENDED_SERVER_MS = 2;
const TARGET_ADDED_MS = 0.5;
const password = 'bench-chat-pw';

const SERVERS = ['prosody', 'prosody-nodelay', 'ejabberd', 'ejabberd-nodelay'] as const;
type ServerKind = (typeof SERVERS)[number];

interface Args {
  json: boolean;
  messages: number;
  warmup: number;
  servers: ServerKind[];
  /** Where the cores' temp profiles go (default: the OS temp folder). */
  profiles: string | undefined;
  /** Print the probe marks of the first timed message of each mode and direction (stderr). */
  timeline: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let json = false;
  let profiles: string | undefined;
  let timeline = false;
  let messages = 300;
  let warmup = 30;
  let servers: ServerKind[] = [...SERVERS];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const number = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} needs a positive whole number`);
      return n;
    };
    if (a === '--json') json = true;
    else if (a === '--timeline') timeline = true;
    else if (a === '--messages') messages = number();
    else if (a === '--warmup') warmup = number();
    else if (a === '--servers') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = list.filter((name) => !(SERVERS as readonly string[]).includes(name));
      if (list.length === 0 || unknown.length > 0) throw new Error(`--servers takes a comma-separated list of ${SERVERS.join(', ')}`);
      servers = list as ServerKind[];
    } else if (a === '--profiles') {
      profiles = argv[++i];
      if (!profiles) throw new Error('--profiles needs a folder');
    } else throw new Error(`usage: tsx scripts/bench-chat.ts [--json] [--messages N] [--warmup N] [--servers ${SERVERS.join(',')}] [--profiles DIR] [--timeline] (bad argument ${a})`);
  }
  return { json, messages, warmup, servers, profiles, timeline };
}

interface Side {
  name: 'alice' | 'bob';
  core: TestCore;
  account: AccountView;
  /** Arrival time (performance.now) and message of each incoming body still awaited or just seen. */
  arrivals: Map<string, (at: number, message: ChatMessage) => void>;
  /** Ids of our messages the contact's app confirmed (XEP-0184 receipt), and who waits for which. */
  delivered: Set<string>;
  deliveredWaits: Map<string, () => void>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

interface Stats {
  n: number;
  medianMs: number;
  p99Ms: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = samples.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return { n: sorted.length, medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

type Mode = 'raw' | 'plaintext' | 'private';

/**
 * Where a core's message spends its time: each step ends at a probe point (electron/core/latency-probe.ts),
 * the first starts at the sendMessage request, the last ends at the receiver's messageUpserted event. A
 * point a message does not pass (a private message is not kept in the history) adds its time to the next step.
 */
const STEPS = [
  { point: 'outbox-written', label: 'outbox on disk' },
  { point: 'stanza-queued', label: 'prepare, encrypt' },
  { point: 'socket-write', label: 'to socket' },
  { point: 'socket-read', label: 'server, loopback' },
  // Of that step, how long this process was busy (not waiting for the socket): the other core's work, timers.
  { point: 'busy', label: '(busy meanwhile)' },
  { point: 'stanza-parsed', label: 'parse' },
  { point: 'incoming-handled', label: 'handle, decrypt' },
  { point: 'history-written', label: 'history on disk' },
  { point: 'shown', label: 'show' },
] as const satisfies readonly { point: ProbePoint | 'shown' | 'busy'; label: string }[];
type StepLabel = (typeof STEPS)[number]['label'];
/** Per step, the milliseconds of each message (both directions). */
type Breakdown = Record<StepLabel, number[]>;

interface ProbeMark {
  at: number;
  point: ProbePoint;
  key: string | Buffer;
  /** The event loop's idle time so far (ms), at socket marks. */
  idle?: number;
}

function emptyBreakdown(): Breakdown {
  return Object.fromEntries(STEPS.map(({ label }) => [label, []])) as unknown as Breakdown;
}

/** Splits one message's time (from `t0` to `shownAt`) into STEPS by the probe marks taken meanwhile. */
function splitMessage(marks: readonly ProbeMark[], id: string, t0: number, shownAt: number, into: Breakdown): void {
  const quoted = [`'${id}'`, `"${id}"`];
  let from = t0;
  let index = 0;
  let pending: StepLabel[] = [];
  let lastIdle: number | undefined;
  let lastSpan = 0;
  let idleAt: number | undefined;
  for (const { point, label } of STEPS) {
    if (point === 'busy') {
      into[label].push(pending.length === 0 && lastIdle !== undefined && idleAt !== undefined ? Math.max(0, lastSpan - (lastIdle - idleAt)) : Number.NaN);
      continue;
    }
    let at: number | undefined;
    if (point === 'shown') at = shownAt;
    else {
      // The first mark of this point for this message after the previous point: ids for stanzas, the id in the data for sockets.
      for (let i = index; i < marks.length; i++) {
        const mark = marks[i]!;
        if (mark.point !== point || mark.at < from) continue;
        const matches = typeof mark.key === 'string' && point !== 'socket-write' ? mark.key === id : quoted.some((q) => mark.key.includes(q));
        if (!matches) continue;
        at = mark.at;
        index = i + 1;
        if (point === 'socket-write') idleAt = mark.idle;
        lastIdle = mark.idle;
        break;
      }
    }
    pending.push(label);
    if (at === undefined) continue;
    // A step not passed is counted as 0 and its time goes to the next one passed.
    for (const skipped of pending.slice(0, -1)) into[skipped].push(0);
    into[label].push(at - from);
    lastSpan = at - from;
    pending = [];
    from = at;
  }
}
type ModeResult = Record<'aToB' | 'bToA' | 'both', Stats>;

interface ServerResult {
  server: ServerKind;
  /** The server's configuration is the one docs/admin.md recommends (no Nagle). */
  recommended: boolean;
  raw: ModeResult;
  plaintext: ModeResult;
  private: ModeResult;
  /** The cores' plaintext median and p99 over the floor's. */
  floorRatioMedian: number;
  floorRatioP99: number;
  addedPrivateMedianMs: number;
  targets: { name: string; met: boolean; measured: string }[];
  /** Per mode, the median of each step (STEPS) over the messages of both directions. */
  breakdown?: Record<'plaintext' | 'private', Record<StepLabel, number>>;
}

function stepMedians(breakdown: Breakdown): Record<StepLabel, number> {
  return Object.fromEntries(STEPS.map(({ label }) => [label, stats(breakdown[label]).medianMs])) as Record<StepLabel, number>;
}

/** A server with two users, alice and bob, who are contacts of each other. */
interface BenchServer {
  domain: string;
  c2sPort: number;
  directTlsPort: number;
  caPem: string;
  dispose(): Promise<void>;
}

async function startServer(kind: ServerKind): Promise<BenchServer> {
  const users = [
    { username: 'alice', password },
    { username: 'bob', password },
  ];
  const contacts: [string, string][] = [['alice', 'bob']];
  const server =
    kind === 'ejabberd'
      ? await startEjabberd({ users, contacts })
      : kind === 'ejabberd-nodelay'
      ? await startEjabberd({ users, contacts, nodelay: true })
      : await startProsody({ users, contacts, ...(kind === 'prosody-nodelay' ? { nagle: false } : {}) });
  return { domain: server.domain, c2sPort: server.c2sPort, directTlsPort: server.directTlsPort, caPem: server.ca.caCertPem, dispose: () => server.dispose() };
}

/** Repeats `one` for warm-up, then `messages` times each way; returns the stats. */
async function measure(messages: number, warmup: number, one: (aToB: boolean, body: string) => Promise<number>, label: string): Promise<ModeResult> {
  for (let i = 0; i < warmup; i++) {
    await one(true, `warmup ${label} a ${i}`);
    await one(false, `warmup ${label} b ${i}`);
  }
  const aToB: number[] = [];
  const bToA: number[] = [];
  for (let i = 0; i < messages; i++) aToB.push(await one(true, `bench ${label} a→b ${i}`));
  for (let i = 0; i < messages; i++) bToA.push(await one(false, `bench ${label} b→a ${i}`));
  return { aToB: stats(aToB), bToA: stats(bToA), both: stats([...aToB, ...bToA]) };
}

/** The floor: two raw clients through the same server, one message at a time. */
async function rawFloor(server: BenchServer, messages: number, warmup: number): Promise<ModeResult> {
  const target = { host: '127.0.0.1', port: server.directTlsPort, domain: server.domain, ca: server.caPem };
  const streams: RawStream[] = [];
  try {
    const alice = await rawLogin(target, 'alice', password);
    streams.push(alice);
    const bob = await rawLogin(target, 'bob', password);
    streams.push(bob);
    const awaited = new Map<RawStream, { marker: string; arrived: (at: number) => void }>();
    for (const stream of [alice, bob]) {
      // Timestamped in the data event itself; text() already holds the chunk (its listener came first).
      stream.socket.on('data', () => {
        const wait = awaited.get(stream);
        if (wait && stream.text().includes(wait.marker)) {
          awaited.delete(stream);
          wait.arrived(performance.now());
        }
      });
    }
    let seq = 0;
    const one = async (aToB: boolean, body: string): Promise<number> => {
      const [from, to] = aToB ? [alice, bob] : [bob, alice];
      const marker = `${body} #${seq++}#`;
      const arrived = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`raw message ${marker} did not arrive within 10 s`)), 10_000);
        awaited.set(to, {
          marker: esc(marker),
          arrived: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        });
      });
      const t0 = performance.now();
      from.send(`<message to='${esc(to.jid)}' type='chat' id='raw${seq}'><body>${esc(marker)}</body></message>`);
      return (await arrived) - t0;
    };
    return await measure(messages, warmup, one, 'raw');
  } finally {
    for (const stream of streams) stream.close();
  }
}

/** Two cores signed in to `server`: plaintext, then private. */
async function coreModes(
  server: BenchServer,
  messages: number,
  warmup: number,
  profiles: string | undefined,
  timeline: boolean,
): Promise<{ modes: Record<'plaintext' | 'private', ModeResult>; breakdowns: Record<'plaintext' | 'private', Breakdown> }> {
  const sides: Side[] = [];
  const made: string[] = [];
  // Both cores run in this process: one list of probe marks, emptied before each message.
  const marks: ProbeMark[] = [];
  const breakdowns = { plaintext: emptyBreakdown(), private: emptyBreakdown() };
  latencyProbe.mark = (point, key) =>
    marks.push({ at: performance.now(), point, key, ...(point === 'socket-write' || point === 'socket-read' ? { idle: performance.eventLoopUtilization().idle } : {}) });
  try {
    const jid = (user: string) => `${user}@${server.domain}`;
    for (const name of ['alice', 'bob'] as const) {
      const profileDir = profiles ? await mkdtemp(path.join(profiles, 'klatsch-bench-profile-')) : undefined;
      if (profileDir) made.push(profileDir);
      const core = await startTestCore({ caPem: server.caPem, ...(profileDir ? { profileDir } : {}) });
      const account = await core.call('addAccount', {
        jid: jid(name),
        password,
        rememberPassword: false,
        host: '127.0.0.1',
        port: server.c2sPort,
      });
      const side: Side = { name, core, account, arrivals: new Map(), delivered: new Set(), deliveredWaits: new Map() };
      // Timestamps taken in the event itself, not when a waiting promise gets to run.
      core.core.onEvent(<E extends EventName>(event: E, payload: EventOf<E>) => {
        if (event !== 'messageUpserted') return;
        const { message } = payload as EventOf<'messageUpserted'>;
        if (message.direction === 'out' && message.state === 'delivered') {
          side.delivered.add(message.id);
          side.deliveredWaits.get(message.id)?.();
        }
        if (message.direction !== 'in') return;
        side.arrivals.get(message.body)?.(performance.now(), message);
      });
      sides.push(side);
    }
    const [alice, bob] = sides as [Side, Side];
    await alice.core.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    await bob.core.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.presence.show === 'online');
    const peerOf = (side: Side) => jid(side.name === 'alice' ? 'bob' : 'alice');

    /** One message from `from` to `to`; resolves with its latency in ms. */
    const oneMessage = async (from: Side, to: Side, body: string, encrypted: boolean): Promise<number> => {
      const arrived = new Promise<{ at: number; message: ChatMessage }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`message ${body} did not arrive within 10 s`)), 10_000);
        to.arrivals.set(body, (at, message) => {
          clearTimeout(timer);
          to.arrivals.delete(body);
          resolve({ at, message });
        });
      });
      marks.length = 0;
      const t0 = performance.now();
      const sent = await from.core.call('sendMessage', { accountId: from.account.id, to: peerOf(from), body });
      const { at, message } = await arrived;
      if ((message.encrypted ?? false) !== encrypted) throw new Error(`message ${body} arrived ${encrypted ? 'in plaintext' : 'encrypted'}`);
      if (!body.startsWith('warmup ')) splitMessage(marks, sent.id, t0, at, breakdowns[encrypted ? 'private' : 'plaintext']);
      if (timeline && body.startsWith('bench ') && body.endsWith(' 0')) {
        // The first timed message of each mode and direction, mark by mark (what a socket carried: its start).
        console.error(`--- ${body} (${sent.id}): ${(at - t0).toFixed(3)} ms`);
        for (const m of marks) console.error(`${(m.at - t0).toFixed(3).padStart(9)} ms  ${m.point}  ${String(m.key).slice(0, 90).replace(/\s+/g, ' ')}`);
        console.error(`${(at - t0).toFixed(3).padStart(9)} ms  shown`);
      }
      // Untimed: the message's receipt is back and handled before the next one goes, so that no message is timed
      // while the one before it still keeps the two cores (one process here, one event loop) busy.
      await new Promise<void>((resolve, reject) => {
        if (from.delivered.delete(sent.id)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no receipt for ${body} within 10 s`)), 10_000);
        from.deliveredWaits.set(sent.id, () => {
          clearTimeout(timer);
          from.deliveredWaits.delete(sent.id);
          from.delivered.delete(sent.id);
          resolve();
        });
      });
      await new Promise((resolve) => setImmediate(resolve));
      return at - t0;
    };

    const setPolicy = async (policy: 'never' | 'manual') => {
      for (const side of sides) await side.core.call('setOtrPolicy', { accountId: side.account.id, peer: peerOf(side), policy });
    };

    const results = {} as Record<'plaintext' | 'private', ModeResult>;
    for (const mode of ['plaintext', 'private'] as const) {
      if (mode === 'plaintext') {
        await setPolicy('never');
      } else {
        await setPolicy('manual');
        await alice.core.call('startPrivate', { accountId: alice.account.id, peer: jid('bob') });
        await alice.core.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private');
        await bob.core.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && reportedPrivacy(e.contact) === 'private');
      }
      const encrypted = mode === 'private';
      results[mode] = await measure(messages, warmup, (aToB, body) => (aToB ? oneMessage(alice, bob, body, encrypted) : oneMessage(bob, alice, body, encrypted)), mode);
    }
    return { modes: results, breakdowns };
  } finally {
    latencyProbe.mark = undefined;
    for (const side of sides) await side.core.dispose().catch(() => undefined);
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  }
}

function judge(kind: ServerKind, raw: ModeResult, plaintext: ModeResult, privateMode: ModeResult): ServerResult {
  const recommended = kind === 'prosody-nodelay' || kind === 'ejabberd-nodelay';
  const median = plaintext.both.medianMs;
  const floorRatioMedian = median / raw.both.medianMs;
  const added = privateMode.both.medianMs - median;
  const targets = recommended
    ? [{ name: `median ≤ ${TARGET_RECOMMENDED_SERVER_MS} ms`, met: median <= TARGET_RECOMMENDED_SERVER_MS, measured: `${median.toFixed(3)} ms` }]
    : [
        { name: `median ≤ ${TARGET_DEFAULT_SERVER_MS} ms`, met: median <= TARGET_DEFAULT_SERVER_MS, measured: `${median.toFixed(3)} ms` },
        { name: `median ≤ ${TARGET_DEFAULT_SERVER_FLOOR_RATIO}× floor`, met: floorRatioMedian <= TARGET_DEFAULT_SERVER_FLOOR_RATIO, measured: `${floorRatioMedian.toFixed(1)}×` },
      ];
  targets.push({ name: `private adds < ${TARGET_ADDED_MS} ms`, met: added < TARGET_ADDED_MS, measured: `${added.toFixed(3)} ms` });
  return {
    server: kind,
    recommended,
    raw,
    plaintext,
    private: privateMode,
    floorRatioMedian,
    floorRatioP99: plaintext.both.p99Ms / raw.both.p99Ms,
    addedPrivateMedianMs: added,
    targets,
  };
}

async function main(): Promise<void> {
  const { json, messages, warmup, servers, profiles, timeline } = parseArgs(process.argv.slice(2));
  const progress = (line: string) => (json ? console.error(line) : console.log(line));
  const started = performance.now();

  const results: ServerResult[] = [];
  for (const kind of servers) {
    progress(`${kind}: starting`);
    const server = await startServer(kind);
    try {
      const raw = await rawFloor(server, messages, warmup);
      progress(`${kind} raw: ${2 * messages} messages, median ${raw.both.medianMs.toFixed(3)} ms`);
      const { modes: cores, breakdowns } = await coreModes(server, messages, warmup, profiles, timeline);
      for (const mode of ['plaintext', 'private'] as const) progress(`${kind} ${mode}: ${2 * messages} messages, median ${cores[mode].both.medianMs.toFixed(3)} ms`);
      results.push({ ...judge(kind, raw, cores.plaintext, cores.private), breakdown: { plaintext: stepMedians(breakdowns.plaintext), private: stepMedians(breakdowns.private) } });
    } finally {
      await server.dispose();
    }
  }
  const summary = {
    messagesPerDirection: messages,
    warmupPerDirection: warmup,
    servers: results,
    allTargetsMet: results.every((r) => r.targets.every((t) => t.met)),
    // The same targets flat, in the shape every bench's --json lists them.
    targets: results.flatMap((r) => r.targets.map((t) => ({ what: `${r.server}: plaintext${t.name.startsWith('private') ? ' → private' : ''}`, target: t.name, measured: t.measured, pass: t.met }))),
    totalSeconds: (performance.now() - started) / 1000,
  };

  if (json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const ms = (v: number) => v.toFixed(3);
  const rows = [['server', 'mode', 'direction', 'messages', 'median ms', 'p99 ms', '× floor (median, p99)']];
  for (const r of results) {
    for (const mode of ['raw', 'plaintext', 'private'] as const satisfies readonly Mode[]) {
      for (const [key, label] of [['aToB', 'A→B'], ['bToA', 'B→A'], ['both', 'both']] as const) {
        const s = r[mode][key];
        const floor = r.raw[key];
        const ratio = mode === 'raw' ? '' : `${(s.medianMs / floor.medianMs).toFixed(1)}×, ${(s.p99Ms / floor.p99Ms).toFixed(1)}×`;
        rows.push([r.server, mode, label, String(s.n), ms(s.medianMs), ms(s.p99Ms), ratio]);
      }
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  console.log('');
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('');
  console.log('Where the time goes (median ms of each step, both directions; the medians need not add up to the total):');
  const stepRows = [['server', 'mode', ...STEPS.map((step) => step.label), 'total']];
  for (const r of results) {
    for (const mode of ['plaintext', 'private'] as const) {
      const steps = r.breakdown?.[mode];
      if (steps) stepRows.push([r.server, mode, ...STEPS.map(({ label }) => ms(steps[label])), ms(r[mode].both.medianMs)]);
    }
  }
  const stepWidths = stepRows[0]!.map((_, c) => Math.max(...stepRows.map((row) => row[c]!.length)));
  for (const [i, row] of stepRows.entries()) {
    console.log(row.map((cell, c) => (c < 2 ? cell.padEnd(stepWidths[c]!) : cell.padStart(stepWidths[c]!))).join('  '));
    if (i === 0) console.log(stepWidths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('');
  console.log("Latency: raw = two raw XMPP clients through the same server (the floor); plaintext/private = from the sender's sendMessage request to the receiver core's messageUpserted event. Loopback.");
  for (const r of results) {
    const setting = r.recommended ? 'recommended setting: no Nagle' : 'as it comes';
    console.log(
      `${r.server} (${setting}): plaintext median ${ms(r.plaintext.both.medianMs)} ms = ${r.floorRatioMedian.toFixed(1)}× the floor; private adds ${ms(r.addedPrivateMedianMs)} ms. ` +
        r.targets.map((t) => `${t.name}: ${t.met ? 'pass' : 'FAIL'}`).join('; '),
    );
    const steps = r.breakdown?.plaintext;
    if (steps) {
      // The busy column is part of the server step, not a step of its own.
      const largest = STEPS.filter(({ point }) => point !== 'busy')
        .map(({ label }) => [label, steps[label]] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3);
      console.log(`  plaintext's largest steps: ${largest.map(([label, v]) => `${label} ${ms(v)} ms`).join(', ')}`);
      const privately = r.breakdown?.private;
      if (privately) {
        // What privacy itself costs in the cores, apart from what the server does differently with it (archiving).
        const encrypt = privately['prepare, encrypt'] - steps['prepare, encrypt'];
        const decrypt = privately['handle, decrypt'] - steps['handle, decrypt'];
        console.log(`  privacy in the cores: encrypt ${encrypt >= 0 ? '+' : ''}${ms(encrypt)} ms, decrypt ${decrypt >= 0 ? '+' : ''}${ms(decrypt)} ms (medians)`);
      }
    }
  }
  console.log(`All targets ${summary.allTargetsMet ? 'met' : 'NOT met'}. Took ${summary.totalSeconds.toFixed(1)} s.`);
}

main().catch((error: unknown) => {
  console.error(`bench-chat: ${(error as Error).message}`);
  process.exit(1);
});
