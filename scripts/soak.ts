/**
 * npm run soak [-- --json] [--messages N] [--faults small|full] [--mode plain|private|both]
 *              [--rate R] [--settle-s S] [--timeout-s T] [--seed N] [--dump DIR]
 *
 * "Nothing lost, nothing doubled, under every fault." Two users (alice, bob), each a real app core
 * (the development host as its own process, driven over its loopback WebSocket with its one-time
 * token, as the page would), on a throwaway Prosody (tests/fixtures/prosody.ts); each user's
 * connection goes through its own TCP relay (tests/fixtures/tcp-proxy.ts). Loopback only.
 *
 * Per mode (plain: OTR policy "never" on both sides; private: "always", the conversation made
 * private first, private messages kept in the history), N messages each way at a steady rate
 * (`--rate` per direction per second), each text holding a unique marker with the direction and
 * sequence number, while faults are injected one after the other, spread over the traffic:
 *   restart  Prosody stopped (SIGTERM) and started again on the same data
 *   cut      one side's TCP connection reset at its relay
 *   freeze   Prosody stopped with SIGSTOP for a while, then SIGCONT
 *   kill     one side sends a burst and its app is killed with SIGKILL during it, then started
 *            again on the same profile (it signs in by itself: the password is remembered)
 * full: 5 restarts, 5 cuts, 2 freezes of 15 s, 10 kills; small: 1, 2, 1 of 10 s, 2.
 * Then a settle period (until every accepted message arrived, or `--settle-s`), and per mode
 * and direction:
 *   sent           messages the sender's UI accepted (sendMessage answered, or the message showed
 *                  in the sender's chat, also after a restart)
 *   shownOnce      shown at the receiver exactly once
 *   duplicated     shown more than once: two entries of it in the chat, or shown again as new
 *                  after a restart (the user saw it appear twice)
 *   lost           never shown; with the sender's final state of each (sending, waiting, sent,
 *                  failed, delivered, or missing: no longer in the sender's chat)
 *   outOfOrder     in the receiver's chat at the end, how many would have to move to put the
 *                  sender's sequence in order (count minus the longest increasing run)
 *   leaks          private messages whose text the server had in the clear: every stanza clients
 *                  sent (the fixture's capture module), the server's data (archive, offline
 *                  storage) and its log are searched for their markers
 *   manualResends  messages left "failed" at the sender: the user would have to send them again
 *   notConfirmed   messages the sender shows as "sent, not confirmed" (the receiver's app confirmed later ones,
 *                  or none for a minute; the apps run with a 5 s grace, not the app's 30 s:
 *                  receipts/unconfirmed.ts), with "Send again" offered; how many of them the
 *                  receiver has (a receipt was lost, not the message) is reported beside it. Not counted against
 *                  a clean run: one the receiver lacks is counted as lost as well
 *   refused        sends the app refused outright (the user saw an error and must send again)
 *   unconfirmed    sends made just as the app was killed that it never confirmed (not counted as sent)
 *   goneAfterRestart  shown, but no longer in the receiver's chat at the end (lost from its history)
 * --json prints the same as one JSON object (progress goes to stderr).
 * Exit code: 0 when the run completed (whatever it measured), 1 when it could not run or hit
 * `--timeout-s`; every process and temp folder it made is removed in every case.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AccountView, ChatMessage, Contact, EventName, EventOf } from '../shared/contract.js';
import { upsertMessage } from '../renderer/store/transitions.js';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { startTcpProxy, type TcpProxy } from '../tests/fixtures/tcp-proxy.js';
import { startHostedApp, type HostedApp } from '../tests/fixtures/dev-host-client.js';
import { liveDirs } from '../tests/fixtures/child-cleanup.js';
import { reportedPrivacy } from '../tests/fixtures/contact-trust.js';
import type { UnconfirmedTimings } from '../electron/core/receipts/unconfirmed.js';
import { prng } from '../tests/fixtures/prng.js';

// ---- options ---------------------------------------------------------------------------------

type ModeName = 'plain' | 'private';
type FaultKind = 'restart' | 'cut' | 'freeze' | 'kill';
type UserName = 'alice' | 'bob';

interface Options {
  json: boolean;
  messages: number;
  faults: 'small' | 'full';
  modes: ModeName[];
  rate: number;
  settleSeconds: number;
  timeoutSeconds: number;
  seed: number;
  /** Write each side's final chat (as its UI shows it) here, one JSON file per mode and side, to look into a finding. */
  dump?: string;
}

const FAULT_PLANS: Record<Options['faults'], { counts: Record<FaultKind, number>; freezeMs: number }> = {
  full: { counts: { restart: 5, cut: 5, freeze: 2, kill: 10 }, freezeMs: 15_000 },
  small: { counts: { restart: 1, cut: 2, freeze: 1, kill: 2 }, freezeMs: 10_000 },
};
/** When the apps mark a message the other's app did not confirm: the app's 30 s and 5 min, shortened to show under faults. */
const SOAK_UNCONFIRMED: UnconfirmedTimings = { graceMs: 5_000, silenceMs: 60_000 };
/** Messages a side sends back to back before its app is killed in the middle of them. */
const BURST = 10;
const BURST_SPACING_MS = 10;
const RECOVERY_TIMEOUT_MS = 90_000;
const QUIET_AFTER_SETTLE_MS = 3_000;
const password = 'soak-Passw0rd';

const USAGE =
  'usage: npm run soak -- [--json] [--messages N] [--faults small|full] [--mode plain|private|both] [--rate R] [--settle-s S] [--timeout-s T] [--seed N] [--dump DIR]';

export function parseOptions(argv: readonly string[]): Options {
  const o: Options = { json: false, messages: 1_000, faults: 'full', modes: ['plain', 'private'], rate: 8, settleSeconds: 90, timeoutSeconds: 3_600, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const positive = (): number => {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} needs a positive number\n${USAGE}`);
      return n;
    };
    if (a === '--json') o.json = true;
    else if (a === '--messages') o.messages = Math.floor(positive());
    else if (a === '--faults') {
      const v = value();
      if (v !== 'small' && v !== 'full') throw new Error(`--faults is small or full\n${USAGE}`);
      o.faults = v;
    } else if (a === '--mode') {
      const v = value();
      if (v === 'both') o.modes = ['plain', 'private'];
      else if (v === 'plain' || v === 'private') o.modes = [v];
      else throw new Error(`--mode is plain, private or both\n${USAGE}`);
    } else if (a === '--rate') o.rate = positive();
    else if (a === '--settle-s') o.settleSeconds = positive();
    else if (a === '--timeout-s') o.timeoutSeconds = positive();
    else if (a === '--seed') o.seed = Math.floor(positive());
    else if (a === '--dump') o.dump = path.resolve(value());
    else throw new Error(`bad argument ${a}\n${USAGE}`);
  }
  return o;
}

/** The faults of a plan in the order they run: each kind spread evenly, sides alternating. */
export function faultSchedule(counts: Record<FaultKind, number>): { kind: FaultKind; side: UserName }[] {
  const slots: { at: number; kind: FaultKind; side: UserName }[] = [];
  for (const kind of ['kill', 'restart', 'cut', 'freeze'] as const) {
    for (let i = 0; i < counts[kind]; i++) slots.push({ at: (i + 0.5) / counts[kind], kind, side: i % 2 === 0 ? 'alice' : 'bob' });
  }
  return slots.sort((x, y) => x.at - y.at).map(({ kind, side }) => ({ kind, side }));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---- what each side's UI shows ---------------------------------------------------------------

interface SentRecord {
  mode: ModeName;
  from: UserName;
  seq: number;
  marker: string;
  /** sendMessage answered with the message. */
  answered: boolean;
  /** sendMessage answered with an error (code). */
  refused?: string;
  id?: string;
}

/** A message newly in the receiver's chat: in which of its app processes (counted from 1), under which id, when (s into the run). */
export interface Appearance {
  incarnation: number;
  id: string;
  /** It came with the snapshot of a restarted app (from its history), not as a live event. */
  restored: boolean;
  atS: number;
  /** The message's own time (as the chat orders it). */
  timestamp: number;
}

const runStarted = performance.now();
const secondsIntoRun = () => Math.round((performance.now() - runStarted) / 100) / 10;

/** What the accounting of one side's chat needs (the harness's Side has more). */
export interface ChatSide {
  peerJid: string;
  /** The chat with the peer as the UI shows it now (the current app process: snapshot, then events). */
  chat: ChatMessage[];
  /** Which app process this is, counted from 1 (each start, also after a kill, is a new one). */
  incarnation: number;
  /** Per marker of an incoming message: each time it appeared as new in the chat. */
  appearances: Map<string, Appearance[]>;
  seenIds: Map<string, Set<string>>;
  /** Markers of our own messages the UI showed at any time (accepted), with their ids. */
  ownShown: Map<string, string>;
}

export function newChatSide(peerJid: string): ChatSide {
  return { peerJid, chat: [], incarnation: 0, appearances: new Map(), seenIds: new Map(), ownShown: new Map() };
}

interface Side extends ChatSide {
  name: UserName;
  jid: string;
  peerJid: string;
  profileDir: string;
  proxy: TcpProxy;
  app: HostedApp | null;
  accountId: string;
  account: AccountView | undefined;
  peer: Contact | undefined;
  /** Waiters woken on every change. */
  wake: Set<() => void>;
  /** Set while the harness itself kills or stops the app; any other exit is a crash. */
  expectingExit: boolean;
  crashes: number;
  /** A crashed app being started again (as the user would). */
  relaunching?: Promise<void>;
}

const MARKER = /\[soak:([0-9a-z]+):(plain|private):(alice|bob):(\d{6})\]/;

/** The unique part of a message's text: the run, the mode, the sender and the sender's sequence number. */
export function markerOf(runId: string, mode: ModeName, from: UserName, seq: number): string {
  return `[soak:${runId}:${mode}:${from}:${String(seq).padStart(6, '0')}]`;
}

/** A live messageUpserted of the chat: an incoming message whose id the chat does not hold is new to the user (again, after a restart that lost it). */
export function applyMessage(side: ChatSide, message: ChatMessage): void {
  if (message.peer !== side.peerJid) return;
  const marker = MARKER.exec(message.body)?.[0];
  if (marker && message.direction === 'in') {
    const isNew = !side.chat.some((m) => m.id === message.id);
    if (isNew) noteAppearance(side, marker, message, false);
  }
  if (marker && message.direction === 'out' && !side.ownShown.has(marker)) side.ownShown.set(marker, message.id);
  side.chat = upsertMessage(side.chat, message);
}

/** A (re)started app's chat from its snapshot: what it restored from its history is new to the user only if never shown before. */
export function restoreChat(side: ChatSide, messages: readonly ChatMessage[]): void {
  side.incarnation++;
  side.chat = [];
  for (const message of messages) {
    const marker = MARKER.exec(message.body)?.[0];
    if (marker && message.direction === 'in' && !side.seenIds.get(marker)?.has(message.id)) noteAppearance(side, marker, message, true);
    if (marker && message.direction === 'out' && !side.ownShown.has(marker)) side.ownShown.set(marker, message.id);
    side.chat = upsertMessage(side.chat, message);
  }
}

function noteAppearance(side: ChatSide, marker: string, { id, timestamp }: ChatMessage, restored: boolean): void {
  (side.appearances.get(marker) ?? side.appearances.set(marker, []).get(marker)!).push({ incarnation: side.incarnation, id, restored, atS: secondsIntoRun(), timestamp });
  (side.seenIds.get(marker) ?? side.seenIds.set(marker, new Set()).get(marker)!).add(id);
}

function applyEvent(side: Side, name: EventName, payload: unknown): void {
  if (name === 'messageUpserted') {
    const { accountId, message } = payload as EventOf<'messageUpserted'>;
    if (accountId === side.accountId) applyMessage(side, message);
  } else if (name === 'accountUpdated') {
    const account = payload as EventOf<'accountUpdated'>;
    if (account.id === side.accountId || !side.accountId) side.account = account;
  } else if (name === 'contactUpdated') {
    const { contact } = payload as EventOf<'contactUpdated'>;
    if (contact.jid === side.peerJid) side.peer = contact;
  } else if (name === 'rosterReplaced') {
    const { contacts } = payload as EventOf<'rosterReplaced'>;
    side.peer = contacts.find((c) => c.jid === side.peerJid) ?? side.peer;
  }
  for (const wake of [...side.wake]) wake();
}

/** Resolves once `check()` holds (checked on every change of the side and every 250 ms), or throws after `ms`. */
async function until(sides: Side[], check: () => boolean, ms: number, what: string): Promise<void> {
  if (check()) return;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      if (!check()) return;
      cleanup();
      resolve();
    };
    const poll = setInterval(done, 250);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const cleanup = () => {
      clearInterval(poll);
      clearTimeout(timer);
      for (const side of sides) side.wake.delete(done);
    };
    for (const side of sides) side.wake.add(done);
  });
}

const online = (side: Side) => side.app?.alive === true && side.account?.connection.kind === 'online';

// ---- the run ---------------------------------------------------------------------------------

export interface DirectionResult {
  mode: ModeName;
  from: UserName;
  to: UserName;
  attempted: number;
  sent: number;
  shownOnce: number;
  duplicated: number;
  lost: number;
  /** Each lost message: its sequence number and the sender's final state. */
  lostDetails: { seq: number; senderState: string }[];
  /** Each message shown more than once: when (the receiver's app process, counted from 1) and under which id. */
  duplicatedDetails: { seq: number; shown: Appearance[] }[];
  outOfOrder: number;
  leaks: number;
  manualResends: number;
  notConfirmed: number;
  /** Of `notConfirmed`: the receiver shows them (the receipt was lost, not the message). */
  notConfirmedShown: number;
  refused: number;
  unconfirmed: number;
  goneAfterRestart: number;
  /** The sender's final state of every sent message, counted. */
  senderStates: Record<string, number>;
}

export interface SoakReport {
  options: Omit<Options, 'json'>;
  faultsInjected: Record<FaultKind, number>;
  /** How often each app exited by itself (it was started again each time). */
  appCrashes: Record<UserName, number>;
  results: DirectionResult[];
  totals: Pick<DirectionResult, 'sent' | 'shownOnce' | 'duplicated' | 'lost' | 'outOfOrder' | 'leaks' | 'manualResends' | 'notConfirmed' | 'notConfirmedShown' | 'refused' | 'unconfirmed' | 'goneAfterRestart'>;
  /** Every count that must be zero is zero, and everything sent was shown exactly once. */
  clean: boolean;
  seconds: number;
}

async function run(options: Options, progress: (line: string) => void, cleanups: (() => Promise<void>)[]): Promise<SoakReport> {
  const started = performance.now();
  const random = prng(options.seed); // the same seed, the same kill moments
  const runId = Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0');
  const plan = FAULT_PLANS[options.faults];

  const server: ProsodyServer = await startProsody({
    users: [
      { username: 'alice', password },
      { username: 'bob', password },
    ],
    contacts: [['alice', 'bob']],
    // With --dump, the server's log says what it did with each stream's unacknowledged stanzas.
    ...(options.dump ? { logLevel: 'debug' as const } : {}),
  });
  cleanups.push(() => server.dispose());
  const jid = (user: UserName) => `${user}@${server.domain}`;

  const sides = {} as Record<UserName, Side>;
  const other = (name: UserName): UserName => (name === 'alice' ? 'bob' : 'alice');
  for (const name of ['alice', 'bob'] as const) {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.c2sPort });
    cleanups.push(() => proxy.close());
    const profileDir = await mkdtemp(path.join(os.tmpdir(), `klatsch-soak-${name}-`));
    liveDirs.add(profileDir);
    cleanups.push(async () => {
      await rm(profileDir, { recursive: true, force: true });
      liveDirs.delete(profileDir);
    });
    sides[name] = {
      name,
      jid: jid(name),
      peerJid: jid(other(name)),
      profileDir,
      proxy,
      app: null,
      accountId: '',
      account: undefined,
      peer: undefined,
      chat: [],
      incarnation: 0,
      appearances: new Map(),
      seenIds: new Map(),
      ownShown: new Map(),
      wake: new Set(),
      expectingExit: false,
      crashes: 0,
    };
    cleanups.push(async () => {
      sides[name].expectingExit = true;
      await sides[name].app?.stop();
    });
  }

  /** Starts (or starts again, on the same profile) a side's app and loads what its UI would show. */
  const launch = async (side: Side): Promise<void> => {
    let queue: [EventName, unknown][] | null = [];
    side.app = await startHostedApp({
      caFile: server.ca.caCertFile,
      profileDir: side.profileDir,
      // Every message of the run stays in the stored history (the default keeps 1,000 per chat).
      args: [
        '--history-recent-per-chat',
        String(4 * options.messages + 1_000),
        // Unconfirmed messages are marked sooner than in the app, so that marks can show during the run.
        '--unconfirmed-grace-ms',
        String(SOAK_UNCONFIRMED.graceMs),
        '--unconfirmed-silence-ms',
        String(SOAK_UNCONFIRMED.silenceMs),
      ],
      onEvent: (name, payload) => (queue ? queue.push([name, payload]) : applyEvent(side, name, payload)),
      onExit: () => {
        for (const wake of [...side.wake]) wake();
        if (side.expectingExit) return;
        // Not our doing: a crash. Report it, and start the app again as the user would.
        side.crashes++;
        progress(`  ${side.name}'s app exited by itself at ${secondsIntoRun()} s; its last output:\n${app.output().slice(-3_000)}`);
        side.relaunching = launch(side)
          .catch((error: Error) => progress(`  ${side.name}'s app could not be started again: ${error.message}`))
          .finally(() => (side.relaunching = undefined));
      },
    });
    const app = side.app;
    // As the renderer does: events that came before the snapshot are replayed after it.
    const snapshot = await side.app.call('getSnapshot', {});
    side.account = snapshot.accounts.find((a) => a.jid === side.jid) ?? snapshot.accounts[0];
    if (side.account) side.accountId = side.account.id;
    side.peer = snapshot.rosters[side.accountId]?.find((c) => c.jid === side.peerJid);
    restoreChat(side, snapshot.chats[side.accountId]?.[side.peerJid] ?? []);
    const pending = queue;
    queue = null;
    for (const [name, payload] of pending) applyEvent(side, name, payload);
  };

  for (const side of Object.values(sides)) {
    await launch(side);
    const account = await side.app!.call('addAccount', {
      jid: side.jid,
      password,
      rememberPassword: true,
      host: '127.0.0.1',
      port: side.proxy.port,
    });
    side.accountId = account.id;
    side.account = account;
  }
  const both = Object.values(sides);
  await until(both, () => both.every((s) => online(s) && s.peer?.presence.show === 'online'), 60_000, 'both signed in and seeing each other online');
  progress(`soak ${runId}: Prosody and two apps up (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  const records = new Map<string, SentRecord>();
  const faultsInjected: Record<FaultKind, number> = { restart: 0, cut: 0, freeze: 0, kill: 0 };
  const results: DirectionResult[] = [];

  for (const mode of options.modes) {
    // ---- set the mode up
    for (const side of both) {
      const base = { accountId: side.accountId, peer: side.peerJid };
      await side.app!.call('setOtrPolicy', { ...base, policy: mode === 'plain' ? 'never' : 'always' });
      if (mode === 'private') await side.app!.call('setKeepPrivateHistory', { ...base, keep: true });
    }
    if (mode === 'private') {
      await sides.alice.app!.call('startPrivate', { accountId: sides.alice.accountId, peer: sides.alice.peerJid });
      await until(both, () => both.every((s) => reportedPrivacy(s.peer)?.startsWith('private') === true), 60_000, 'a private conversation on both sides');
    }

    // ---- traffic and faults
    const schedule = faultSchedule(plan.counts);
    const total = options.messages;
    const attempts: Record<UserName, number> = { alice: 0, bob: 0 };
    const paused: Record<UserName, boolean> = { alice: false, bob: false };
    let faultsStarted = 0;
    const intervalMs = 1_000 / options.rate;
    const inFlight = new Set<Promise<void>>();

    const send = (side: Side): void => {
      const seq = attempts[side.name]++;
      const marker = markerOf(runId, mode, side.name, seq);
      const record: SentRecord = { mode, from: side.name, seq, marker, answered: false };
      records.set(marker, record);
      const body = `${marker} ${mode === 'private' ? 'private' : 'plain'} message ${seq} from ${side.name}`;
      const app = side.app!;
      const request = app
        .request('sendMessage', { accountId: side.accountId, to: side.peerJid, body })
        .then((result) => {
          if (result.ok) {
            record.answered = true;
            record.id = (result.value as ChatMessage).id;
          } else record.refused = result.error.code;
        })
        .catch(() => undefined /* killed before it answered: unconfirmed unless it shows up */)
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    };

    const trafficLoop = async (side: Side): Promise<void> => {
      let next = performance.now();
      while (attempts[side.name] < total) {
        const allowed = () =>
          !paused[side.name] && side.app?.alive === true && faultsStarted >= Math.floor((attempts[side.name] * schedule.length) / total);
        if (!allowed()) {
          await until([side], allowed, 600_000, `${side.name} to be ready to send`);
          next = Math.max(next, performance.now());
        }
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        if (!allowed() || attempts[side.name] >= total) continue;
        send(side);
        next += intervalMs;
      }
    };

    const recover = async (what: string): Promise<void> => {
      await until(both, () => both.every(online), RECOVERY_TIMEOUT_MS, `both online again after ${what}`).catch((error: Error) =>
        progress(`  (${error.message}; going on)`),
      );
      await sleep(1_000);
    };

    const faultLoop = async (): Promise<void> => {
      for (const [k, fault] of schedule.entries()) {
        const threshold = Math.floor(((k + 0.5) * total) / schedule.length);
        await until(both, () => Math.min(attempts.alice, attempts.bob) >= threshold || both.some((s) => attempts[s.name] >= total), 600_000, 'traffic to reach the next fault');
        faultsStarted++;
        for (const side of both) for (const wake of [...side.wake]) wake();
        const t0 = performance.now();
        const startedAtS = secondsIntoRun();
        const victim = sides[fault.side];
        if (fault.kind === 'restart') {
          await server.stop();
          await sleep(1_000);
          await server.start();
        } else if (fault.kind === 'cut') {
          victim.proxy.cut();
        } else if (fault.kind === 'freeze') {
          server.freeze();
          await sleep(plan.freezeMs);
          server.thaw();
        } else {
          // A burst from the victim, and its app killed in the middle of it.
          paused[victim.name] = true;
          victim.expectingExit = true;
          const burst = Math.min(BURST, total - attempts[victim.name]);
          const killAt = BURST_SPACING_MS * (1 + random() * Math.max(1, burst - 2));
          const killed = sleep(killAt).then(() => victim.app!.kill());
          for (let i = 0; i < burst && victim.app?.alive; i++) {
            send(victim);
            await sleep(BURST_SPACING_MS);
          }
          await killed;
          victim.expectingExit = false;
          await (victim.relaunching ?? launch(victim));
          paused[victim.name] = false;
        }
        faultsInjected[fault.kind]++;
        progress(
          `  ${mode}: fault ${k + 1}/${schedule.length} ${fault.kind}${fault.kind === 'cut' || fault.kind === 'kill' ? ` (${fault.side})` : ''} at ${startedAtS} s, took ${((performance.now() - t0) / 1000).toFixed(1)} s; sent alice ${attempts.alice}, bob ${attempts.bob}`,
        );
        await recover(fault.kind);
      }
    };

    await Promise.all([trafficLoop(sides.alice), trafficLoop(sides.bob), faultLoop()]);
    await Promise.all([...inFlight]);

    // ---- settle: until everything accepted has arrived (or the time is up), then a quiet while for late copies
    const accepted = (r: SentRecord) => r.answered || sides[r.from].ownShown.has(r.marker) || (sides[other(r.from)].appearances.get(r.marker)?.length ?? 0) > 0;
    const ofMode = [...records.values()].filter((r) => r.mode === mode);
    const settleStart = performance.now();
    await until(
      both,
      () => both.every(online) && ofMode.filter(accepted).every((r) => (sides[other(r.from)].appearances.get(r.marker)?.length ?? 0) > 0),
      options.settleSeconds * 1_000,
      'every accepted message to arrive',
    ).catch(() => undefined);
    await sleep(QUIET_AFTER_SETTLE_MS);
    // Messages the receiver's app did not confirm are marked after a grace (receipts/unconfirmed.ts): let it pass.
    await sleep(SOAK_UNCONFIRMED.graceMs + 2_000);
    progress(`  ${mode}: settled in ${((performance.now() - settleStart) / 1000).toFixed(1)} s`);

    if (options.dump) {
      await mkdir(options.dump, { recursive: true });
      for (const side of both) await writeFile(path.join(options.dump, `${mode}-${side.name}.json`), JSON.stringify(side.chat, null, 1));
      // The server's side too (archive, offline storage, log), to follow a finding to where it went.
      await cp(server.dataDir, path.join(options.dump, `${mode}-prosody-data`), { recursive: true }).catch(() => undefined);
      await writeFile(path.join(options.dump, `${mode}-prosody.log`), await server.logText().catch(() => ''));
      // What the server received, as it received it (ids, <delay> stamps, errors): where a message out of order got its time.
      const received = await server.receivedStanzas();
      await writeFile(path.join(options.dump, `${mode}-server-stanzas.txt`), received);
      // Each copy of a user's message must carry its time of writing (message-time.ts): name those that did not.
      for (const side of both) {
        const own = new Map(side.chat.filter((m) => m.direction === 'out').map((m) => [m.id, m] as const));
        for (const line of received.split('\n')) {
          if (!line.startsWith('<message') || !line.includes(` from='${side.jid}/`)) continue;
          const message = own.get(/^<message[^>]* id='([^']+)'/.exec(line)?.[1] ?? '');
          if (!message) continue;
          const stamp = /<delay[^>]* stamp='([^']+)'/.exec(line)?.[1];
          if (stamp !== undefined && Date.parse(stamp) === message.timestamp) continue;
          progress(`  ${mode}: ${side.name}'s ${MARKER.exec(message.body)?.[0] ?? message.id} went out stamped ${stamp ?? '(none)'}, written ${new Date(message.timestamp).toISOString()}`);
        }
      }
    }

    // ---- measure
    for (const from of ['alice', 'bob'] as const) {
      const sender = sides[from];
      const receiver = sides[other(from)];
      const mine = ofMode.filter((r) => r.from === from);
      const sent = mine.filter(accepted);
      const atSender = (r: SentRecord): ChatMessage | undefined => {
        const id = r.id ?? sender.ownShown.get(r.marker);
        return sender.chat.find((m) => m.direction === 'out' && (id ? m.id === id : MARKER.exec(m.body)?.[0] === r.marker));
      };
      const stateAtSender = (r: SentRecord): string => atSender(r)?.state ?? 'missing';
      const notConfirmed = (r: SentRecord) => atSender(r)?.unconfirmed !== undefined;
      const senderStates: Record<string, number> = {};
      for (const r of sent) senderStates[stateAtSender(r)] = (senderStates[stateAtSender(r)] ?? 0) + 1;
      const shown = (r: SentRecord) => receiver.appearances.get(r.marker)?.length ?? 0;
      const lostOnes = sent.filter((r) => shown(r) === 0);
      const oldestInChat = receiver.chat[0]?.timestamp ?? Infinity;
      const inFinalChat = new Set(receiver.chat.filter((m) => m.direction === 'in').map((m) => MARKER.exec(m.body)?.[0]));
      // Order: the receiver's chat as it is now, this direction's messages, each once.
      const seqs: number[] = [];
      const seen = new Set<string>();
      for (const m of receiver.chat) {
        const match = MARKER.exec(m.body);
        if (!match || m.direction !== 'in' || match[2] !== mode || match[3] !== from || seen.has(match[0])) continue;
        seen.add(match[0]);
        seqs.push(Number(match[4]));
      }
      results.push({
        mode,
        from,
        to: receiver.name,
        attempted: mine.length,
        sent: sent.length,
        shownOnce: sent.filter((r) => shown(r) === 1).length,
        duplicated: mine.filter((r) => shown(r) > 1).length,
        duplicatedDetails: mine.filter((r) => shown(r) > 1).map((r) => ({ seq: r.seq, shown: receiver.appearances.get(r.marker)! })),
        lost: lostOnes.length,
        lostDetails: lostOnes.map((r) => ({ seq: r.seq, senderState: stateAtSender(r) })),
        outOfOrder: seqs.length - longestIncreasing(seqs),
        leaks: 0, // counted below, once the server's records are read
        manualResends: sent.filter((r) => stateAtSender(r) === 'failed').length,
        notConfirmed: sent.filter(notConfirmed).length,
        notConfirmedShown: sent.filter((r) => notConfirmed(r) && shown(r) > 0).length,
        refused: mine.filter((r) => r.refused !== undefined).length,
        unconfirmed: mine.length - sent.length - mine.filter((r) => r.refused !== undefined && !accepted(r)).length,
        // Not counted: what the chat dropped for its size (it keeps the newest 2,000 messages per contact).
        goneAfterRestart: sent.filter((r) => shown(r) > 0 && !inFinalChat.has(r.marker) && receiver.appearances.get(r.marker)![0]!.timestamp >= oldestInChat).length,
        senderStates,
      });
    }
    const mineNow = results.slice(-2);
    progress(`  ${mode}: ${mineNow.map((r) => `${r.from}→${r.to} sent ${r.sent}, once ${r.shownOnce}, lost ${r.lost}, doubled ${r.duplicated}`).join('; ')}`);
  }

  // ---- leaks: any private marker in what the server received, stored or logged
  const serverText = [await server.receivedStanzas(), await server.logText(), ...(await readTree(server.dataDir))].join('\n');
  const leaked = new Set<string>();
  for (const match of serverText.matchAll(new RegExp(MARKER.source, 'g'))) if (match[1] === runId && match[2] === 'private') leaked.add(match[0]);
  for (const result of results) {
    if (result.mode !== 'private') continue;
    result.leaks = [...leaked].filter((marker) => MARKER.exec(marker)?.[3] === result.from).length;
  }

  const sum = (key: keyof SoakReport['totals']) => results.reduce((n, r) => n + r[key], 0);
  const totals: SoakReport['totals'] = {
    sent: sum('sent'),
    shownOnce: sum('shownOnce'),
    duplicated: sum('duplicated'),
    lost: sum('lost'),
    outOfOrder: sum('outOfOrder'),
    leaks: sum('leaks'),
    manualResends: sum('manualResends'),
    notConfirmed: sum('notConfirmed'),
    notConfirmedShown: sum('notConfirmedShown'),
    refused: sum('refused'),
    unconfirmed: sum('unconfirmed'),
    goneAfterRestart: sum('goneAfterRestart'),
  };
  const { json: _json, ...shownOptions } = options;
  return {
    options: shownOptions,
    faultsInjected,
    appCrashes: { alice: sides.alice.crashes, bob: sides.bob.crashes },
    results,
    totals,
    clean:
      totals.shownOnce === totals.sent &&
      sides.alice.crashes + sides.bob.crashes === 0 &&
      totals.duplicated + totals.lost + totals.outOfOrder + totals.leaks + totals.manualResends + totals.refused === 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Length of the longest strictly increasing subsequence (patience sorting). */
export function longestIncreasing(values: readonly number[]): number {
  const tails: number[] = [];
  for (const v of values) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tails[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = v;
  }
  return tails.length;
}

/** The text of every file under `dir` (the server's stores are small Lua files). */
async function readTree(dir: string): Promise<string[]> {
  const texts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await stat(file)).size < 256 * 1024 * 1024) texts.push(await readFile(file, 'latin1'));
  }
  return texts;
}

function printTable(report: SoakReport): void {
  const columns = ['mode', 'direction', 'sent', 'once', 'doubled', 'lost', 'out of order', 'leaks', 'manual resends', 'not confirmed (receiver has)', 'refused', 'unconfirmed', 'gone after restart'];
  const rows = [columns];
  for (const r of report.results) {
    rows.push([r.mode, `${r.from}→${r.to}`, ...[r.sent, r.shownOnce, r.duplicated, r.lost, r.outOfOrder, r.leaks, r.manualResends, `${r.notConfirmed} (${r.notConfirmedShown})`, r.refused, r.unconfirmed, r.goneAfterRestart].map(String)]);
  }
  const widths = columns.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  console.log('');
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('');
  for (const r of report.results) {
    if (r.lost > 0) {
      const byState: Record<string, number[]> = {};
      for (const l of r.lostDetails) (byState[l.senderState] ??= []).push(l.seq);
      const parts = Object.entries(byState).map(([state, seqs]) => `${seqs.length} ${state} (#${seqs.slice(0, 12).join(', #')}${seqs.length > 12 ? ', …' : ''})`);
      console.log(`lost ${r.mode} ${r.from}→${r.to}, by the sender's final state: ${parts.join('; ')}`);
    }
    for (const d of r.duplicatedDetails.slice(0, 12)) {
      const ids = new Set(d.shown.map((a) => a.id));
      const how = d.shown.map((a) => `app run ${a.incarnation} at ${a.atS} s${a.restored ? ' (from its history)' : ''}`).join(', ');
      console.log(`doubled ${r.mode} ${r.from}→${r.to} #${d.seq}: shown in ${how}, ${ids.size === 1 ? 'same id' : `${ids.size} different ids`}`);
    }
    console.log(`sender's final states, ${r.mode} ${r.from}→${r.to}: ${Object.entries(r.senderStates).map(([s, n]) => `${s} ${n}`).join(', ')}`);
  }
  if (report.appCrashes.alice + report.appCrashes.bob > 0) console.log(`Apps that exited by themselves (and were started again): alice ${report.appCrashes.alice}, bob ${report.appCrashes.bob}.`);
  const f = report.faultsInjected;
  console.log(
    `Faults injected per run: ${f.restart} server restarts, ${f.cut} connection cuts, ${f.freeze} server freezes, ${f.kill} app kills (SIGKILL during a burst). ` +
      `${report.clean ? 'Nothing lost, nothing doubled.' : 'NOT clean.'} Took ${report.seconds.toFixed(0)} s.`,
  );
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const progress = (line: string) => (options.json ? console.error(line) : console.log(line));
  const cleanups: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (const step of cleanups.reverse()) await step().catch(() => undefined);
    })());
  const abort = (why: string) => {
    console.error(`soak: ${why}`);
    void cleanUp().finally(() => process.exit(1));
  };
  const deadline = setTimeout(() => abort(`did not finish within --timeout-s ${options.timeoutSeconds}`), options.timeoutSeconds * 1_000);
  process.once('SIGTERM', () => abort('stopped (SIGTERM)'));
  process.once('SIGINT', () => abort('stopped (SIGINT)'));
  try {
    const report = await run(options, progress, cleanups);
    clearTimeout(deadline);
    await cleanUp();
    if (options.json) console.log(JSON.stringify(report));
    else printTable(report);
    process.exit(0);
  } catch (error) {
    abort((error as Error).stack ?? String(error));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) void main();
