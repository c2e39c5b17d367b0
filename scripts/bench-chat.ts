/**
 * npm run bench:chat [-- --json] [--messages N] [--warmup N] — chat latency
 * through a real Prosody on loopback, plaintext against a private (OTR)
 * conversation.
 *
 * Setup (untimed): a throwaway Prosody and two cores (alice, bob) from the
 * test fixtures (tests/fixtures/prosody.ts, core.ts: temp profiles, the
 * fixture's test CA, TLS verified), both signed in and contacts of each other.
 * Each mode runs `messages` messages A→B, then `messages` B→A, one at a time:
 * a message's latency is from just before the sender's `sendMessage` request
 * to the receiver core's `messageUpserted` event for it (shown in the other
 * store). Plaintext: both sides' policy "never". Private: "manual", then
 * startPrivate and wait until both sides are private; every message is
 * checked to arrive encrypted. Warm-up messages (untimed) come first in each
 * mode. Everything the cores normally do runs too (receipts, history store).
 *
 * Reported: median and p99 per mode and direction, and over both directions;
 * the ratio private/plaintext of the medians and what privacy adds (ms).
 * Target: a private conversation adds under 1 ms at the median.
 * --json: one JSON object on stdout (progress on stderr).
 */
import { performance } from 'node:perf_hooks';
import type { AccountView, ChatMessage, EventName, EventOf } from '../shared/contract.js';
import { startProsody, type ProsodyServer } from '../tests/fixtures/prosody.js';
import { startTestCore, type TestCore } from '../tests/fixtures/core.js';

const TARGET_ADDED_MS = 1;
const password = 'bench-chat-pw';

function parseArgs(argv: readonly string[]): { json: boolean; messages: number; warmup: number } {
  let json = false;
  let messages = 1_000;
  let warmup = 50;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const number = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} needs a positive whole number`);
      return n;
    };
    if (a === '--json') json = true;
    else if (a === '--messages') messages = number();
    else if (a === '--warmup') warmup = number();
    else throw new Error(`usage: tsx scripts/bench-chat.ts [--json] [--messages N] [--warmup N] (bad argument ${a})`);
  }
  return { json, messages, warmup };
}

interface Side {
  name: 'alice' | 'bob';
  core: TestCore;
  account: AccountView;
  /** Arrival time (performance.now) and message of each incoming body still awaited or just seen. */
  arrivals: Map<string, (at: number, message: ChatMessage) => void>;
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
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

async function main(): Promise<void> {
  const { json, messages, warmup } = parseArgs(process.argv.slice(2));
  const progress = (line: string) => (json ? console.error(line) : console.log(line));
  const started = performance.now();

  let server: ProsodyServer | undefined;
  const sides: Side[] = [];
  try {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    const domain = server.domain;
    const jid = (user: string) => `${user}@${domain}`;
    for (const name of ['alice', 'bob'] as const) {
      const core = await startTestCore({ caPem: server.ca.caCertPem });
      const account = await core.call<AccountView>('addAccount', {
        jid: jid(name),
        password,
        rememberPassword: false,
        host: '127.0.0.1',
        port: server.c2sPort,
      });
      const side: Side = { name, core, account, arrivals: new Map() };
      // Timestamps taken in the event itself, not when a waiting promise gets to run.
      core.core.onEvent(<E extends EventName>(event: E, payload: EventOf<E>) => {
        if (event !== 'messageUpserted') return;
        const { message } = payload as EventOf<'messageUpserted'>;
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
      const t0 = performance.now();
      await from.core.call('sendMessage', { accountId: from.account.id, to: peerOf(from), body });
      const { at, message } = await arrived;
      if ((message.encrypted ?? false) !== encrypted) throw new Error(`message ${body} arrived ${encrypted ? 'in plaintext' : 'encrypted'}`);
      return at - t0;
    };

    const setPolicy = async (policy: 'never' | 'manual') => {
      for (const side of sides) await side.core.call('setOtrPolicy', { accountId: side.account.id, peer: peerOf(side), policy });
    };

    const results: Record<'plaintext' | 'private', Record<'aToB' | 'bToA' | 'both', Stats>> = {} as never;
    for (const mode of ['plaintext', 'private'] as const) {
      if (mode === 'plaintext') {
        await setPolicy('never');
      } else {
        await setPolicy('manual');
        await alice.core.call('startPrivate', { accountId: alice.account.id, peer: jid('bob') });
        await alice.core.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && e.contact.privacy === 'private');
        await bob.core.waitFor('contactUpdated', (e) => e.contact.jid === jid('alice') && e.contact.privacy === 'private');
      }
      const encrypted = mode === 'private';
      for (let i = 0; i < warmup; i++) {
        await oneMessage(alice, bob, `warmup ${mode} a ${i}`, encrypted);
        await oneMessage(bob, alice, `warmup ${mode} b ${i}`, encrypted);
      }
      const aToB: number[] = [];
      const bToA: number[] = [];
      for (let i = 0; i < messages; i++) aToB.push(await oneMessage(alice, bob, `bench ${mode} a→b ${i}`, encrypted));
      for (let i = 0; i < messages; i++) bToA.push(await oneMessage(bob, alice, `bench ${mode} b→a ${i}`, encrypted));
      results[mode] = { aToB: stats(aToB), bToA: stats(bToA), both: stats([...aToB, ...bToA]) };
      progress(`${mode}: ${2 * messages} messages, median ${results[mode].both.medianMs.toFixed(3)} ms`);
    }

    const plainMedian = results.plaintext.both.medianMs;
    const privateMedian = results.private.both.medianMs;
    const summary = {
      messagesPerDirection: messages,
      warmupPerDirection: warmup,
      plaintext: results.plaintext,
      private: results.private,
      ratioMedian: privateMedian / plainMedian,
      ratioP99: results.private.both.p99Ms / results.plaintext.both.p99Ms,
      addedMedianMs: privateMedian - plainMedian,
      targetAddedMedianMs: TARGET_ADDED_MS,
      targetMet: privateMedian - plainMedian < TARGET_ADDED_MS,
      totalSeconds: (performance.now() - started) / 1000,
    };

    if (json) {
      console.log(JSON.stringify(summary));
    } else {
      const ms = (v: number) => v.toFixed(3);
      const rows = [['mode', 'direction', 'messages', 'median ms', 'p99 ms']];
      for (const mode of ['plaintext', 'private'] as const) {
        for (const [key, label] of [['aToB', 'A→B'], ['bToA', 'B→A'], ['both', 'both']] as const) {
          const s = results[mode][key];
          rows.push([mode, label, String(s.n), ms(s.medianMs), ms(s.p99Ms)]);
        }
      }
      rows.push(['private/plaintext', 'both', '', `${summary.ratioMedian.toFixed(2)}×`, `${summary.ratioP99.toFixed(2)}×`]);
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      console.log('');
      for (const [i, row] of rows.entries()) {
        console.log(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
        if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
      }
      console.log('');
      console.log(`Latency: from the sender's sendMessage request to the receiver core's messageUpserted event, through Prosody on 127.0.0.1.`);
      console.log(
        `A private conversation adds ${ms(summary.addedMedianMs)} ms at the median (target < ${TARGET_ADDED_MS} ms): ${summary.targetMet ? 'met' : 'NOT met'}. ` +
          `Took ${summary.totalSeconds.toFixed(1)} s.`,
      );
    }
  } finally {
    for (const side of sides) await side.core.dispose().catch(() => undefined);
    await server?.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(`bench-chat: ${(error as Error).message}`);
  process.exit(1);
});
