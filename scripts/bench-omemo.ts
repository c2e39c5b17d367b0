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
 * not inflate it. Then where our time goes: one more run of ours under V8's
 * sampling profiler, each phase's time split by protocol step (verify, X3DH,
 * ratchet start, encoding, ...) and by primitive (X25519, key import, Ed25519
 * verify, SHA-256/HMAC/HKDF, AES, protobuf, glue). --json prints only one JSON
 * object on stdout (with the breakdown).
 */
import { Session as InspectorSession } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import {
  createOwnDevice, decryptKey, decryptPayload, encryptKey, encryptPayload, getBundle, startSession,
  type OmemoVersion, type OwnDevice, type Session,
} from '../electron/core/omemo/index.js';
import { OmemoReference } from '../tests/fixtures/omemo-reference.js';

const TARGET = 0.2;
/** Operations of each kind in the profiled run: enough samples for the shortest, decrypt. */
const PROFILE_N = 200;
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

type Phase = 'setup' | 'encrypt' | 'decrypt';
const PHASES: readonly Phase[] = ['setup', 'encrypt', 'decrypt'];

/** Runs one phase's `n` operations and returns the time per operation: timed, or profiled (see breakdown()). */
type PhaseRunner = (phase: Phase, n: number, body: () => void) => { wall: number; cpu: number };

const timed: PhaseRunner = (_phase, n, body) => {
  const t0 = clock();
  body();
  return since(t0, n);
};

function ours(version: OmemoVersion, n: number, run: PhaseRunner = timed): Measured {
  const km = new Uint8Array(version === 'oldmemo' ? 32 : 48).map((_, i) => i);
  const pairs = Array.from({ length: n }, () => [createOwnDevice(version, { preKeyCount: 1 }), createOwnDevice(version, { preKeyCount: 1 })] as const);
  const setup = run('setup', n, () => {
    for (const [alice, bob] of pairs) {
      const { element } = encryptKey(startSession(alice, getBundle(bob)), km);
      decryptKey(bob, undefined, element);
    }
  });
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
  const encrypt = run('encrypt', n, () => {
    for (let i = 0; i < n; i++) {
      const sealed = encryptPayload(version, PLAINTEXT);
      const elements = sessions.map((session, j) => {
        const out = encryptKey(session, sealed.keyMaterial);
        sessions[j] = out.session;
        return out.element;
      });
      messages.push({ sealed, element: elements[0]! });
    }
  });
  const receiver = receivers[0]!;
  const decrypt = run('decrypt', n, () => {
    for (const { sealed, element } of messages) {
      const r = decryptKey(receiver.device, receiver.session, element);
      receiver.session = r.session;
      decryptPayload(version, { ...sealed, keyMaterial: r.keyMaterial });
    }
  });
  return {
    wall: { setup: setup.wall, encrypt: encrypt.wall, decrypt: decrypt.wall },
    cpu: { setup: setup.cpu, encrypt: encrypt.cpu, decrypt: decrypt.cpu },
  };
}

/*
 * Where the time goes: one more run of our side under V8's sampling profiler
 * (node:inspector, in this process), each sample put down to the protocol step
 * (the nearest engine function on its stack that names one) and to the
 * primitive it was in (the innermost frame that names one). Shares of the
 * samples, shown as µs of the best measured time per operation; the profiler's
 * own cost is spread over all of them alike.
 */
interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples?: number[] }

const STEPS: readonly [string, string][] = [
  ['verifySignedPreKey', 'verify the bundle\'s signed prekey'],
  ['x3dhActive', 'X3DH, initiator (4 DH, ephemeral key)'],
  ['ratchetInitActive', 'ratchet start, initiator (key pair, DH)'],
  ['encodeKeyExchange', 'key exchange encoding'],
  ['decodeKeyExchange', 'key exchange decoding'],
  ['x3dhPassive', 'X3DH, responder (4 DH)'],
  ['ratchetInitPassive', 'ratchet start, responder (2 DH, key pair)'],
  ['encryptPayload', 'payload encryption'],
  ['decryptPayload', 'payload decryption'],
  ['ratchetEncrypt', 'ratchet encryption (chain step, MAC, AES)'],
  ['ratchetDecrypt', 'ratchet decryption (chain step, MAC, AES)'],
];
const STEP_NAMES = new Map(STEPS);

/** The primitive a frame names, by function; undefined for frames that name none. */
function primitiveOf(frame: ProfileNode['callFrame']): string | undefined {
  const { functionName: name, url } = frame;
  if (name === 'diffieHellman') return 'X25519 DH (OpenSSL)';
  if (name === 'generateKeyPairSync') return 'X25519 key pair (OpenSSL)';
  if (name === 'verifyOneShot') return 'Ed25519 verify (OpenSSL)';
  if (name === 'createPublicKey') return 'public key import (OpenSSL)';
  if (name === 'createPrivateKey') return 'private key import (OpenSSL)';
  if (name === 'edToCurve' || name === 'curveToEd') return 'Ed25519 <-> Curve25519 (BigInt)';
  if (url.endsWith('/sha256.ts') || name === 'hkdfSync' || name === 'createHmac') return 'SHA-256, HMAC, HKDF';
  // The cipher object, its update/final, and the KeyObject made for its key (electron/core/secret-key.ts).
  if (url.includes('internal/crypto/cipher') || url.endsWith('/secret-key.ts') || name === 'createCipheriv' || name === 'createDecipheriv') {
    return 'AES (OpenSSL, with its key object)';
  }
  if (url.includes('protobufjs') || url.endsWith('/proto.ts')) return 'protobuf';
  return undefined;
}

/** Frames outside any primitive: node:crypto's glue (key objects, argument checks) and buffer copies. */
function glueOf(frame: ProfileNode['callFrame']): string | undefined {
  if (frame.url.includes('internal/crypto')) return 'node:crypto glue (key objects, checks)';
  if (frame.url.includes('buffer')) return 'buffer copies';
  return undefined;
}

function attribute(profile: CpuProfile): { steps: Map<string, number>; primitives: Map<string, number>; total: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const steps = new Map<string, number>();
  const primitives = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples ?? []) {
    let step: string | undefined;
    let primitive: string | undefined;
    let glue: string | undefined;
    let inEngine = false;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      primitive ??= primitiveOf(frame);
      glue ??= glueOf(frame);
      step ??= STEP_NAMES.get(frame.functionName);
      if (frame.url.includes('/electron/core/')) inEngine = true;
    }
    if (!inEngine) continue; // idle, the profiler, the loop of this script
    total++;
    const s = step ?? 'other engine code (state copies, checks)';
    const p = primitive ?? glue ?? 'other JS (engine)';
    steps.set(s, (steps.get(s) ?? 0) + 1);
    primitives.set(p, (primitives.get(p) ?? 0) + 1);
  }
  return { steps, primitives, total };
}

type Breakdown = Record<Phase, { steps: Record<string, number>; primitives: Record<string, number> }>;

function breakdown(version: OmemoVersion, n: number, best: Times): Breakdown {
  const session = new InspectorSession();
  session.connect();
  const post = <T>(method: string, params?: object): T => {
    let result: T | undefined;
    let failure: Error | null = null;
    session.post(method, params ?? {}, (error, value) => {
      failure = error;
      result = value as T;
    }); // an in-process session answers synchronously
    if (failure) throw failure;
    return result as T;
  };
  const out = {} as Breakdown;
  try {
    post('Profiler.enable');
    post('Profiler.setSamplingInterval', { interval: 25 });
    ours(version, n, (phase, _count, body) => {
      post('Profiler.start');
      body();
      const { profile } = post<{ profile: CpuProfile }>('Profiler.stop');
      const { steps, primitives, total } = attribute(profile);
      const asMicros = (counts: Map<string, number>) =>
        Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, (best[phase] * 1e6 * v) / Math.max(total, 1)]));
      out[phase] = { steps: asMicros(steps), primitives: asMicros(primitives) };
      return { wall: 0, cpu: 0 };
    });
  } finally {
    session.disconnect();
  }
  return out;
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
  const result: Record<string, {
    ours: Times; reference: Times; ratio: Times; cpu: { ours: Times; reference: Times; ratio: Times };
    /** Where our time goes, µs per operation by step and by primitive. */
    breakdown: Breakdown;
  }> = {};
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
      const where = breakdown(version, Math.max(n, PROFILE_N), o);
      result[version] = { ours: o, reference: p, ratio, cpu: { ours: oc, reference: pc, ratio: cpuRatio }, breakdown: where };
      const us = (v: number): string => `${v.toFixed(1).padStart(7)} µs`;
      log(`${version}: where our time goes (sampling profile; µs per operation as shares of the best time)`);
      for (const phase of PHASES) {
        log(`  ${phase} (${us(o[phase] * 1e6).trim()}) by step:`);
        for (const [step, v] of Object.entries(where[phase].steps)) log(`    ${us(v)}  ${step}`);
        log(`  ${phase} by primitive:`);
        for (const [primitive, v] of Object.entries(where[phase].primitives)) log(`    ${us(v)}  ${primitive}`);
      }
    }
    log('');
    const ms = (s: number): string => `${(s * 1000).toFixed(3).padStart(8)} ms`;
    for (const [version, { ours: o, reference: p, ratio, cpu: { ours: oc, reference: pc, ratio: cpuRatio } }] of Object.entries(result)) {
      for (const op of PHASES) {
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
