// The SMP's building blocks (Protocol-v3 "Socialist Millionaires' Protocol (SMP)": the TLV values as MPI
// lists, the range checks of libotr's sm.c, and the zero-knowledge proofs "Proof of knowledge of a discrete
// log", "of coordinates", "of equality of two discrete logs"). Pure functions; smp.ts runs the state machine.
import type { OtrTlvRecord } from './events.js';
import type { RandomSource } from './random.js';
import { SMP_GENERATOR as G1, isExponent, isGroupElement, isHashValue, mulMod, powMod, randomExponent, smpHash, subMulModQ } from './smp-group.js';
import { OtrParseError, Reader, Writer } from './wire.js';

/** SMP values are < p (192 bytes); leading zeros are tolerated as by libotr, within reason. */
const MAX_SMP_MPI_BYTES = 1024;

/** Wrong state, malformed message or failed proof: the machine resets and the caller aborts. */
export class SmpFailure extends Error {}

/** Parses INT count + exactly `count` MPIs, nothing after them. */
export function readMpis(value: Uint8Array, count: number, what: string): bigint[] {
  try {
    const r = new Reader(value);
    const n = r.int();
    if (n !== count) throw new SmpFailure(`${what} has ${n} values instead of ${count}`);
    const out: bigint[] = [];
    for (let i = 0; i < count; i++) out.push(r.mpi(MAX_SMP_MPI_BYTES));
    // libotr ignores bytes after the last MPI; nothing honest sends any.
    r.end();
    return out;
  } catch (e) {
    if (e instanceof SmpFailure) throw e;
    if (e instanceof OtrParseError) throw new SmpFailure(`malformed ${what}: ${e.message}`);
    throw e;
  }
}

export function writeMpis(type: number, values: readonly bigint[], prefix?: Uint8Array): OtrTlvRecord {
  const w = new Writer();
  if (prefix) w.raw(prefix);
  w.int(values.length);
  for (const v of values) w.mpi(v);
  return { type, value: w.bytes() };
}

export function requireGroup(what: string, ...values: bigint[]): void {
  if (!values.every(isGroupElement)) throw new SmpFailure(`${what}: a group element is out of range`);
}

export function requireExponents(what: string, ...values: bigint[]): void {
  if (!values.every(isExponent)) throw new SmpFailure(`${what}: an exponent is out of range`);
}

/** Proof of knowledge of log_g1(X): c = H(v, g1^r), D = r - x c mod q. */
export function proveLog(x: bigint, version: number, random: RandomSource): { c: bigint; d: bigint } {
  const r = randomExponent(random);
  const c = smpHash(version, powMod(G1, r));
  return { c, d: subMulModQ(r, x, c) };
}

/** c = H(v, g1^D X^c). */
export function checkLog(c: bigint, d: bigint, x: bigint, version: number): boolean {
  return isHashValue(c) && smpHash(version, mulMod(powMod(G1, d), powMod(x, c))) === c;
}

/** c = H(v, g3^D5 P^c, g1^D5 g2^D6 Q^c) for P = g3^r, Q = g1^r g2^secret. */
export function checkCoords(c: bigint, d5: bigint, d6: bigint, p: bigint, q: bigint, g2: bigint, g3: bigint, version: number): boolean {
  if (!isHashValue(c)) return false;
  const first = mulMod(powMod(g3, d5), powMod(p, c));
  const second = mulMod(mulMod(powMod(G1, d5), powMod(g2, d6)), powMod(q, c));
  return smpHash(version, first, second) === c;
}

/** c = H(v, g1^D g3o^c, qab^D R^c) for R = qab^x3, g3o = g1^x3. */
export function checkLogs(c: bigint, d: bigint, r: bigint, g3o: bigint, qab: bigint, version: number): boolean {
  if (!isHashValue(c)) return false;
  const first = mulMod(powMod(G1, d), powMod(g3o, c));
  const second = mulMod(powMod(qab, d), powMod(r, c));
  return smpHash(version, first, second) === c;
}
