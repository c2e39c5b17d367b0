/**
 * npm run bench:omemo [-- --json] — our OMEMO engine (electron/core/omemo)
 * against the Python reference (python-oldmemo / python-twomemo 1.0 under
 * /usr/bin/python3, driven through scripts/omemo_reference.py) on this
 * machine, same workloads, one invocation, both OMEMO versions:
 *   - setup: a peer's bundle -> X3DH -> first key exchange message -> decrypted
 *     by the peer (devices made beforehand, untimed);
 *   - encrypt: one chat message for 3 + 2 devices (payload once, key material
 *     per device in confirmed sessions);
 *   - decrypt: one device's key material, then the payload.
 * Every ratio is ours_time / reference_time (< 1 = we are faster); target ≤ 0.2.
 * Runs `--rounds N` (3) interleaved rounds of `--n N` (30) operations each and
 * reports each side's best round, so other load on the machine does not decide
 * the ratio. Beside the wall-clock times (which decide pass or FAIL) each side's
 * CPU time of its own thread, for information: load from other processes does
 * not inflate it. --json prints only one JSON object on stdout.
 */
import { performance } from 'node:perf_hooks';
import {
  createOwnDevice, decryptKey, decryptPayload, encryptKey, encryptPayload, getBundle, startSession,
  type OmemoVersion, type OwnDevice, type Session,
} from '../electron/core/omemo/index.js';
import { OmemoReference } from '../tests/fixtures/omemo-reference.js';

const TARGET = 0.2;
const PLAINTEXT = new TextEncoder().encode('Hello! This is a chat message of ordinary length, with an ümlaut.');

type Times = { setup: number; encrypt: number; decrypt: number };
type Measured = { wall: Times; cpu: Times };

/** Wall-clock and this thread's CPU time, in ms. */
function clock(): { wall: number; cpu: number } {
  const c = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.call(process) ?? process.cpuUsage();
  return { wall: performance.now(), cpu: (c.user + c.system) / 1000 };
}

function since(t0: { wall: number; cpu: number }, n: number): { wall: number; cpu: number } {
  const t1 = clock();
  return { wall: (t1.wall - t0.wall) / n / 1000, cpu: (t1.cpu - t0.cpu) / n / 1000 };
}

function parseArgs(argv: readonly string[]): { json: boolean; rounds: number; n: number } {
  const out = { json: false, rounds: 3, n: 30 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = true;
    else if ((a === '--rounds' || a === '--n') && Number.isInteger(Number(argv[i + 1])) && Number(argv[i + 1]) > 0) {
      out[a === '--rounds' ? 'rounds' : 'n'] = Number(argv[++i]);
    } else throw new Error('usage: tsx scripts/bench-omemo.ts [--json] [--rounds N] [--n N]');
  }
  return out;
}

function ours(version: OmemoVersion, n: number): Measured {
  const km = new Uint8Array(version === 'oldmemo' ? 32 : 48).map((_, i) => i);
  const pairs = Array.from({ length: n }, () => [createOwnDevice(version, { preKeyCount: 1 }), createOwnDevice(version, { preKeyCount: 1 })] as const);
  let t0 = clock();
  for (const [alice, bob] of pairs) {
    const { element } = encryptKey(startSession(alice, getBundle(bob)), km);
    decryptKey(bob, undefined, element);
  }
  const setup = since(t0, n);
  const sender = createOwnDevice(version, { preKeyCount: 1 });
  const receivers: { device: OwnDevice; session?: Session }[] = Array.from({ length: 5 }, () => ({ device: createOwnDevice(version, { preKeyCount: 1 }) }));
  const sessions: Session[] = receivers.map((receiver) => {
    const first = encryptKey(startSession(sender, getBundle(receiver.device)), km);
    const r = decryptKey(receiver.device, undefined, first.element);
    receiver.device = r.device;
    const reply = encryptKey(r.session, km);
    receiver.session = reply.session;
    return decryptKey(sender, first.session, reply.element).session;
  });
  const messages: { sealed: ReturnType<typeof encryptPayload>; element: ReturnType<typeof encryptKey>['element'] }[] = [];
  t0 = clock();
  for (let i = 0; i < n; i++) {
    const sealed = encryptPayload(version, PLAINTEXT);
    const elements = sessions.map((session, j) => {
      const out = encryptKey(session, sealed.keyMaterial);
      sessions[j] = out.session;
      return out.element;
    });
    messages.push({ sealed, element: elements[0]! });
  }
  const encrypt = since(t0, n);
  const receiver = receivers[0]!;
  t0 = clock();
  for (const { sealed, element } of messages) {
    const r = decryptKey(receiver.device, receiver.session, element);
    receiver.session = r.session;
    decryptPayload(version, { ...sealed, keyMaterial: r.keyMaterial });
  }
  const decrypt = since(t0, n);
  return {
    wall: { setup: setup.wall, encrypt: encrypt.wall, decrypt: decrypt.wall },
    cpu: { setup: setup.cpu, encrypt: encrypt.cpu, decrypt: decrypt.cpu },
  };
}

const mean = (runs: Times[]): Times => ({
  setup: runs.reduce((sum, r) => sum + r.setup, 0) / runs.length,
  encrypt: runs.reduce((sum, r) => sum + r.encrypt, 0) / runs.length,
  decrypt: runs.reduce((sum, r) => sum + r.decrypt, 0) / runs.length,
});

const best = (runs: Times[]): Times => ({
  setup: Math.min(...runs.map((r) => r.setup)),
  encrypt: Math.min(...runs.map((r) => r.encrypt)),
  decrypt: Math.min(...runs.map((r) => r.decrypt)),
});

async function main(): Promise<void> {
  const { json, rounds, n } = parseArgs(process.argv.slice(2));
  const log = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
  const reference = new OmemoReference();
  const result: Record<string, { ours: Times; reference: Times; ratio: Times; cpu: { ours: Times; reference: Times; ratio: Times } }> = {};
  try {
    for (const version of ['oldmemo', 'twomemo'] as const) {
      ours(version, 5); // warm-up
      const oursRuns: Measured[] = [];
      const refRuns: Measured[] = [];
      for (let r = 0; r < rounds; r++) {
        const response = await reference.ok({ op: 'bench', version, rounds: n });
        refRuns.push({
          wall: { setup: Number(response.setup), encrypt: Number(response.encrypt), decrypt: Number(response.decrypt) },
          cpu: { setup: Number(response.cpu_setup), encrypt: Number(response.cpu_encrypt), decrypt: Number(response.cpu_decrypt) },
        });
        oursRuns.push(ours(version, n));
      }
      const o = best(oursRuns.map((r) => r.wall));
      const p = best(refRuns.map((r) => r.wall));
      const ratio = { setup: o.setup / p.setup, encrypt: o.encrypt / p.encrypt, decrypt: o.decrypt / p.decrypt };
      // CPU time: the mean over all rounds (the thread's CPU clock counts in steps too coarse for one round's minimum).
      const oc = mean(oursRuns.map((r) => r.cpu));
      const pc = mean(refRuns.map((r) => r.cpu));
      const cpuRatio = { setup: oc.setup / pc.setup, encrypt: oc.encrypt / pc.encrypt, decrypt: oc.decrypt / pc.decrypt };
      result[version] = { ours: o, reference: p, ratio, cpu: { ours: oc, reference: pc, ratio: cpuRatio } };
      const ms = (s: number): string => `${(s * 1000).toFixed(3).padStart(8)} ms`;
      for (const op of ['setup', 'encrypt', 'decrypt'] as const) {
        log(
          `${version.padEnd(8)} ${op.padEnd(8)} ours ${ms(o[op])}   reference ${ms(p[op])}   ratio ${ratio[op].toFixed(3)}   target ≤ ${TARGET}: ${ratio[op] <= TARGET ? 'pass' : 'FAIL'}` +
            `   (CPU time: ours ${ms(oc[op])}, reference ${ms(pc[op])}, ratio ${cpuRatio[op].toFixed(3)})`,
        );
      }
    }
  } finally {
    await reference.close();
  }
  const targets = Object.entries(result).flatMap(([version, r]) =>
    (['setup', 'encrypt', 'decrypt'] as const).map((op) => ({ what: `${version} ${op}, ours/reference`, target: `≤ ${TARGET}`, measured: r.ratio[op], pass: r.ratio[op] <= TARGET })),
  );
  if (json) process.stdout.write(`${JSON.stringify({ target: TARGET, rounds, n, versions: result, targets })}\n`);
}

await main();
