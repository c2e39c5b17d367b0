/**
 * Mutation fuzzing of the OMEMO engine's receive path, both versions: real
 * <key> element contents (key exchanges and ratchet messages) from a
 * conversation, mutated 100,000 times with a seeded generator (a failure names
 * a reproducible case), decrypted against the receiver's real state. Nothing
 * but an OmemoError may come out, and a failed decryption must leave the
 * state usable. Payloads and stored state get the same treatment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createOwnDevice, decryptKey, decryptPayload, encryptKey, encryptPayload, getBundle, OmemoError, sessionFromJSON,
  sessionToJSON, startSession, type KeyElement, type OmemoVersion, type OwnDevice, type Session,
} from '../../electron/core/omemo/index.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';
import { prng } from '../fixtures/prng.js';

const ROUNDS = 100_000;

function mutate(input: Uint8Array, rand: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rand() * n);
  const bytes = Array.from(input);
  const edits = 1 + pick(3);
  for (let e = 0; e < edits; e++) {
    switch (pick(9)) {
      case 0: if (bytes.length) bytes[pick(bytes.length)]! ^= 1 << pick(8); break;
      case 1: if (bytes.length) bytes[pick(bytes.length)] = pick(256); break;
      case 2: bytes.length = pick(bytes.length + 1); break; // truncate
      case 3: bytes.splice(pick(bytes.length + 1), 0, ...Array.from({ length: 1 + pick(8) }, () => pick(256))); break;
      case 4: bytes.splice(pick(bytes.length + 1), pick(8)); break;
      case 5: bytes.splice(pick(bytes.length + 1), 0, 0xff, 0xff, 0xff, 0xff, 0x0f); break; // huge varint
      case 6: { const at = pick(bytes.length + 1); bytes.splice(at, 0, ...bytes.slice(at, at + 1 + pick(40))); break; } // duplicated field
      case 7: if (bytes.length) bytes[pick(bytes.length)] = [0x00, 0x08, 0x0a, 0x10, 0x12, 0x1a, 0x22, 0x2a, 0x33, 0x05, 0x80][pick(11)]!; break;
      default: bytes.push(...Array.from({ length: pick(4096) }, () => pick(256))); break; // oversized
    }
  }
  return Uint8Array.from(bytes);
}

interface Target { version: OmemoVersion; device: OwnDevice; session: Session | undefined; element: KeyElement }

function corpus(version: OmemoVersion): Target[] {
  let alice = createOwnDevice(version, { random: deterministicRandom(`fa-${version}`), preKeyCount: 3 });
  let bob = createOwnDevice(version, { random: deterministicRandom(`fb-${version}`), preKeyCount: 3 });
  const km = new Uint8Array(version === 'oldmemo' ? 32 : 48).fill(7);
  let aliceSession: Session | undefined = startSession(alice, getBundle(bob), { random: deterministicRandom('s') });
  let bobSession: Session | undefined;
  const targets: Target[] = [];
  for (let i = 0; i < 6; i++) {
    const sender = i % 3 === 2 ? 'bob' : 'alice';
    if (sender === 'alice') {
      const { session, element } = encryptKey(aliceSession!, km);
      aliceSession = session;
      targets.push({ version, device: bob, session: bobSession, element });
      const r = decryptKey(bob, bobSession, element);
      bob = r.device;
      bobSession = r.session;
    } else {
      const { session, element } = encryptKey(bobSession!, km);
      bobSession = session;
      targets.push({ version, device: alice, session: aliceSession, element });
      const r = decryptKey(alice, aliceSession, element);
      alice = r.device;
      aliceSession = r.session;
    }
  }
  return targets;
}

test(`${ROUNDS} mutated <key> contents: only OmemoError comes out, and the state stays usable`, () => {
  const rand = prng(0x0e3e30);
  const targets = [...corpus('oldmemo'), ...corpus('twomemo')];
  const codes = new Map<string, number>();
  let accepted = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const target = targets[Math.floor(rand() * targets.length)]!;
    const data = mutate(target.element.data, rand);
    const keyExchange = rand() < 0.05 ? !target.element.keyExchange : target.element.keyExchange;
    try {
      decryptKey(target.device, target.session, { data, keyExchange });
      accepted++;
    } catch (error) {
      if (!(error instanceof OmemoError)) {
        assert.fail(`round ${round}: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message} for ${Buffer.from(data).toString('hex')}`);
      }
      codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
    }
  }
  // Every kind of rejection showed up, and the untouched messages still decrypt in the state they were fuzzed against.
  for (const code of ['malformed', 'bad-mac']) assert.ok((codes.get(code) ?? 0) > 0, `${code} seen`);
  assert.ok(accepted < ROUNDS / 100, 'mutations are almost never accepted');
  for (const target of targets) assert.ok(decryptKey(target.device, target.session, target.element).keyMaterial.length > 0);
});

test('mutated payloads and IVs: only OmemoError comes out', () => {
  const rand = prng(0xfa1d);
  for (const version of ['oldmemo', 'twomemo'] as const) {
    const sealed = encryptPayload(version, new TextEncoder().encode('a private message'), deterministicRandom(version));
    for (let round = 0; round < 5000; round++) {
      const which = Math.floor(rand() * 3);
      const input = {
        payload: which === 0 ? mutate(sealed.payload, rand) : sealed.payload,
        keyMaterial: which === 1 ? mutate(sealed.keyMaterial, rand) : sealed.keyMaterial,
        ...(sealed.iv ? { iv: which === 2 ? mutate(sealed.iv, rand) : sealed.iv } : {}),
      };
      try {
        decryptPayload(version, input);
      } catch (error) {
        assert.ok(error instanceof OmemoError, `${version} round ${round}: ${(error as Error).message}`);
      }
    }
  }
});

test('mutated stored sessions: only OmemoError comes out', () => {
  const rand = prng(0x5707e);
  const [target] = corpus('twomemo').filter((t) => t.session);
  const text = JSON.stringify(sessionToJSON(target!.session!));
  for (let round = 0; round < 3000; round++) {
    const mutated = Buffer.from(mutate(new TextEncoder().encode(text), rand)).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(mutated);
    } catch {
      continue;
    }
    try {
      sessionFromJSON(json);
    } catch (error) {
      assert.ok(error instanceof OmemoError, `round ${round}: ${(error as Error).message}`);
    }
  }
});
