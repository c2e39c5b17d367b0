/**
 * SMP (Protocol-v3 "Socialist Millionaires' Protocol"): the state machine on
 * its own (smp.ts) and through two of our OtrConversations: matching and
 * wrong secrets, the question variant, an abort by either side at every
 * step, SMP messages in the wrong state, malformed messages (MPI counts,
 * ranges, proofs, truncation) and a seeded fuzz loop over mutated SMP TLVs.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateDsaKey, modPow, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import type { OtrEvent, OtrOutput, OtrTlvRecord } from '../../electron/core/otr/events.js';
import { deterministicRandom, secureRandom } from '../../electron/core/otr/random.js';
import { OtrConversation } from '../../electron/core/otr/session.js';
import { SmpMachine, smpSecret, type SmpReceiveResult } from '../../electron/core/otr/smp.js';
import { SMP_MODULUS, SMP_ORDER, isExponent, isGroupElement, powMod, smpHash } from '../../electron/core/otr/smp-group.js';
import { TLV_SMP1, TLV_SMP1Q, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT } from '../../electron/core/otr/tlv.js';
import { Reader, Writer, bytesToBigint } from '../../electron/core/otr/wire.js';
import { prng } from '../fixtures/prng.js';

const P = SMP_MODULUS;
const Q = SMP_ORDER;
const ALICE_TAG = 0xa11ce001;
const BOB_TAG = 0xb0b00001;

let aliceKey: DsaPrivateKey;
let bobKey: DsaPrivateKey;
before(() => {
  aliceKey = generateDsaKey();
  bobKey = generateDsaKey();
});

// ---- conversations ----

interface Side {
  conv: OtrConversation;
  events: OtrEvent[];
  shown: string[];
}

type SmpEvent = Extract<OtrEvent, { type: `smp-${string}` }>;

function pair(seed = 'smp'): { alice: Side; bob: Side } {
  const make = (account: string, peer: string, key: DsaPrivateKey, tag: number): Side => ({
    conv: new OtrConversation({ account, peer, longTerm: key, ourInstance: tag, policy: 'manual', random: deterministicRandom(`${seed}/${account}`), now: () => 0 }),
    events: [],
    shown: [],
  });
  const alice = make('alice@x', 'bob@x', aliceKey, ALICE_TAG);
  const bob = make('bob@x', 'alice@x', bobKey, BOB_TAG);
  relay(alice, bob, alice.conv.startPrivate());
  assert.equal(alice.conv.state, 'encrypted');
  assert.equal(bob.conv.state, 'encrypted');
  alice.events.length = 0;
  bob.events.length = 0;
  return { alice, bob };
}

function record(s: Side, out: OtrOutput): void {
  s.events.push(...out.events);
  s.shown.push(...out.display.map((d) => d.text));
}

/** Delivers `out` (from `from`) and every reply back and forth until quiet. */
function relay(from: Side, to: Side, out: OtrOutput): void {
  record(from, out);
  const pending = out.send.map((text) => ({ target: to, source: from, text }));
  for (let i = 0; pending.length > 0; i++) {
    assert.ok(i < 200, 'relay did not settle');
    const { target, source, text } = pending.shift()!;
    const reply = target.conv.receive(text);
    record(target, reply);
    for (const t of reply.send) pending.push({ target: source, source: target, text: t });
  }
}

/** Delivers exactly the texts of `out` to `to`, recording; returns `to`'s output (not relayed further). */
function hop(from: Side, to: Side, out: OtrOutput): OtrOutput {
  record(from, out);
  const all: OtrOutput = { send: [], display: [], events: [] };
  for (const t of out.send) {
    const r = to.conv.receive(t);
    all.send.push(...r.send);
    all.display.push(...r.display);
    all.events.push(...r.events);
  }
  return all;
}

function smp(s: Side): SmpEvent[] {
  return s.events.filter((e): e is SmpEvent => e.type.startsWith('smp-'));
}

function take(s: Side): SmpEvent[] {
  const e = smp(s);
  s.events.length = 0;
  return e;
}

function results(s: Side): { success: boolean; weVerifiedThem: boolean }[] {
  return smp(s)
    .filter((e): e is Extract<SmpEvent, { type: 'smp-result' }> => e.type === 'smp-result')
    .map(({ success, weVerifiedThem }) => ({ success, weVerifiedThem }));
}

function fullSmp(alice: Side, bob: Side, secretA: string, secretB: string, question?: string): void {
  relay(alice, bob, alice.conv.startSmp(secretA, question));
  relay(bob, alice, bob.conv.respondSmp(secretB));
}

/** An SMP TLV from `from` to `to` as a data message (what a hostile or buggy peer could send). */
function inject(from: Side, to: Side, tlv: OtrTlvRecord): OtrOutput {
  const out = from.conv.sendTlvs([tlv]);
  assert.equal(out.send.length, 1);
  const got = to.conv.receive(out.send[0]!);
  record(to, got);
  return got;
}

// ---- machines on their own ----

const SECRET_A = smpSecret(new Uint8Array(20).fill(1), new Uint8Array(20).fill(2), new Uint8Array(8).fill(3), 'same');
const SECRET_B = smpSecret(new Uint8Array(20).fill(1), new Uint8Array(20).fill(2), new Uint8Array(8).fill(3), 'other');

interface Transcript {
  /** Alice in EXPECT2, Bob in EXPECT1 with a request, Bob in EXPECT3, Alice in EXPECT4 (clones). */
  alice2: SmpMachine;
  bobRequest: SmpMachine;
  bob3: SmpMachine;
  alice4: SmpMachine;
  bob1: SmpMachine;
  tlv1: OtrTlvRecord;
  tlv2: OtrTlvRecord;
  tlv3: OtrTlvRecord;
  tlv4: OtrTlvRecord;
}

function transcript(seed: string, question?: string): Transcript {
  const alice = new SmpMachine(deterministicRandom(`${seed}/a`));
  const bob = new SmpMachine(deterministicRandom(`${seed}/b`));
  const bob1 = bob.clone();
  const tlv1 = alice.start(SECRET_A, question);
  const alice2 = alice.clone();
  assert.equal(bob.receive(tlv1).kind, 'request');
  const bobRequest = bob.clone();
  const tlv2 = bob.respond(SECRET_A);
  const bob3 = bob.clone();
  const r3 = alice.receive(tlv2);
  assert.equal(r3.kind, 'reply');
  const tlv3 = (r3 as Extract<SmpReceiveResult, { kind: 'reply' }>).tlv;
  const alice4 = alice.clone();
  const r4 = bob.receive(tlv3);
  assert.equal(r4.kind, 'done');
  const tlv4 = (r4 as Extract<SmpReceiveResult, { kind: 'done' }>).tlv!;
  assert.deepEqual(alice.receive(tlv4), { kind: 'done', success: true, weVerifiedThem: true, initiator: true });
  return { alice2, bobRequest, bob3, alice4, bob1, tlv1, tlv2, tlv3, tlv4 };
}

/** The MPIs of an SMP TLV value (after the question, for SMP1Q). */
function mpisOf(tlv: OtrTlvRecord): { prefix: Uint8Array; values: bigint[] } {
  let body = tlv.value;
  let prefix = new Uint8Array(0);
  if (tlv.type === TLV_SMP1Q) {
    const nul = body.indexOf(0);
    prefix = body.slice(0, nul + 1);
    body = body.subarray(nul + 1);
  }
  const r = new Reader(body);
  const n = r.int();
  const values: bigint[] = [];
  for (let i = 0; i < n; i++) values.push(r.mpi());
  r.end();
  return { prefix, values };
}

function withMpis(tlv: OtrTlvRecord, values: readonly bigint[], prefix = mpisOf(tlv).prefix): OtrTlvRecord {
  const w = new Writer().raw(prefix).int(values.length);
  for (const v of values) w.mpi(v);
  return { type: tlv.type, value: w.bytes() };
}

/** Which indexes of each message are group elements, D values and hashes (c). */
const LAYOUT: Record<number, { group: number[]; exps: number[]; hashes: number[] }> = {
  [TLV_SMP1]: { group: [0, 3], exps: [2, 5], hashes: [1, 4] },
  [TLV_SMP2]: { group: [0, 3, 6, 7], exps: [2, 5, 9, 10], hashes: [1, 4, 8] },
  [TLV_SMP3]: { group: [0, 1, 5], exps: [3, 4, 7], hashes: [2, 6] },
  [TLV_SMP4]: { group: [0], exps: [2], hashes: [1] },
};
LAYOUT[TLV_SMP1Q] = LAYOUT[TLV_SMP1]!;

describe('SMP arithmetic and secret', () => {
  test('native modexp agrees with BigInt, including the fallback cases', () => {
    const rnd = deterministicRandom('modexp');
    for (let i = 0; i < 5; i++) {
      const base = (bytesToBigint(rnd(192)) % (P - 3n)) + 2n;
      const exp = bytesToBigint(rnd(1 + (i * 47) % 192));
      assert.equal(powMod(base, exp), modPow(base, exp, P));
    }
    assert.equal(powMod(1n, 12345n), 1n, 'base 1 (not a legal public value for OpenSSL)');
    assert.equal(powMod(P - 1n, 3n), P - 1n, 'base p-1');
    assert.equal(powMod(5n, 0n), 1n, 'exponent 0');
    assert.equal(powMod(0n, 7n), 0n);
    assert.equal(powMod(2n, Q), 1n, 'g1 = 2 has order q');
  });

  test('range checks are those of libotr (check_group_elem, check_expon)', () => {
    assert.deepEqual([1n, 2n, P - 2n, P - 1n, P].map(isGroupElement), [false, true, true, false, false]);
    assert.deepEqual([0n, 1n, Q - 1n, Q].map(isExponent), [false, true, true, false]);
  });

  test('the SMP hash is SHA-256 of the version byte and the MPIs', () => {
    const expected = (bytes: number[]) => bytesToBigint(createHash('sha256').update(Uint8Array.from(bytes)).digest());
    assert.equal(smpHash(7, 0x0102n), expected([7, 0, 0, 0, 2, 1, 2]));
    assert.equal(smpHash(8, 0xffn, 0x10000n), expected([8, 0, 0, 0, 1, 0xff, 0, 0, 0, 3, 1, 0, 0]));
  });

  test('the combined secret: SHA-256(0x01, initiator fp, responder fp, ssid, UTF-8 secret), nothing normalised', () => {
    const fa = new Uint8Array(20).fill(0xaa);
    const fb = new Uint8Array(20).fill(0xbb);
    const ssid = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const h = createHash('sha256')
      .update(Uint8Array.of(1))
      .update(fa)
      .update(fb)
      .update(ssid)
      .update(Buffer.from('Grüße 🙂', 'utf8'))
      .digest();
    assert.equal(smpSecret(fa, fb, ssid, 'Grüße 🙂'), bytesToBigint(h));
    assert.notEqual(smpSecret(fa, fb, ssid, 'x'), smpSecret(fb, fa, ssid, 'x'), 'the order of the fingerprints matters');
    assert.notEqual(smpSecret(fa, fb, ssid, 'x'), smpSecret(fa, fb, ssid, 'x '), 'no trimming');
    assert.notEqual(smpSecret(fa, fb, ssid, 'X'), smpSecret(fa, fb, ssid, 'x'), 'no case folding');
    assert.notEqual(smpSecret(fa, fb, ssid, 'M\u00fcller'), smpSecret(fa, fb, ssid, 'Mu\u0308ller'), 'no normalisation');
  });

  test('two machines: equal secrets succeed, different ones fail; the question is carried', () => {
    const t = transcript('machines', 'Wer bin ich? 🙂');
    assert.equal(t.tlv1.type, TLV_SMP1Q);
    assert.deepEqual(t.bob1.clone().receive(t.tlv1), { kind: 'request', question: 'Wer bin ich? 🙂' });
    assert.deepEqual(t.bobRequest.request, { question: 'Wer bin ich? 🙂' });
    // MPI counts 6 / 11 / 8 / 3.
    assert.deepEqual([t.tlv1, t.tlv2, t.tlv3, t.tlv4].map((x) => mpisOf(x).values.length), [6, 11, 8, 3]);

    const alice = new SmpMachine(secureRandom);
    const bob = new SmpMachine(secureRandom);
    assert.equal(bob.receive(alice.start(SECRET_A)).kind, 'request');
    const r3 = alice.receive(bob.respond(SECRET_B)) as Extract<SmpReceiveResult, { kind: 'reply' }>;
    const r4 = bob.receive(r3.tlv) as Extract<SmpReceiveResult, { kind: 'done' }>;
    assert.deepEqual({ ...r4, tlv: undefined }, { kind: 'done', tlv: undefined, success: false, weVerifiedThem: false, initiator: false });
    assert.deepEqual(alice.receive(r4.tlv!), { kind: 'done', success: false, weVerifiedThem: false, initiator: true });
    assert.equal(alice.expecting, 1);
    assert.equal(bob.expecting, 1);
  });
});

describe('SMP between two conversations', () => {
  test('matching shared secret: success on both sides, both may verify', () => {
    const { alice, bob } = pair();
    fullSmp(alice, bob, 'correct horse', 'correct horse');
    assert.deepEqual(results(alice), [{ success: true, weVerifiedThem: true }]);
    assert.deepEqual(results(bob), [{ success: true, weVerifiedThem: true }]);
    assert.deepEqual(
      smp(alice).map((e) => e.type + ('step' in e ? e.step : '')),
      ['smp-progress1', 'smp-progress3', 'smp-result'],
    );
    assert.deepEqual(
      smp(bob).map((e) => e.type + ('step' in e ? e.step : '')),
      ['smp-request', 'smp-progress2', 'smp-progress4', 'smp-result'],
    );
    assert.deepEqual(smp(bob)[0], { type: 'smp-request', instance: ALICE_TAG, request: 1 });
    const result = smp(alice).at(-1) as Extract<SmpEvent, { type: 'smp-result' }>;
    assert.equal(result.instance, BOB_TAG);
    assert.equal(result.fingerprint, bob.conv.privateSession && alice.conv.privateSession?.fingerprint);
    assert.deepEqual(alice.shown, [], 'SMP messages show nothing');
    assert.deepEqual(bob.shown, []);
  });

  test('wrong secret: failure on both sides', () => {
    const { alice, bob } = pair();
    fullSmp(alice, bob, 'correct horse', 'Correct horse');
    assert.deepEqual(results(alice), [{ success: false, weVerifiedThem: false }]);
    assert.deepEqual(results(bob), [{ success: false, weVerifiedThem: false }]);
  });

  test('question: the asker may verify, the one who answered may not', () => {
    const { alice, bob } = pair();
    fullSmp(alice, bob, 'Mietze', 'Mietze', 'Name of the cat? 🐈');
    assert.deepEqual(smp(bob)[0], { type: 'smp-request', question: 'Name of the cat? 🐈', instance: ALICE_TAG, request: 1 });
    assert.deepEqual(results(alice), [{ success: true, weVerifiedThem: true }]);
    assert.deepEqual(results(bob), [{ success: true, weVerifiedThem: false }]);
    take(alice);
    take(bob);
    // An empty question is still a question (TLV 7).
    fullSmp(bob, alice, 'x', 'y', '');
    assert.deepEqual(smp(alice)[0], { type: 'smp-request', question: '', instance: BOB_TAG, request: 1 });
    assert.deepEqual(results(alice), [{ success: false, weVerifiedThem: false }]);
  });

  test('repeated SMPs in one session, each side starting', () => {
    const { alice, bob } = pair();
    for (let i = 0; i < 3; i++) {
      fullSmp(alice, bob, `s${i}`, `s${i}`);
      fullSmp(bob, alice, `t${i}`, i === 1 ? 'nope' : `t${i}`);
    }
    assert.deepEqual(
      results(alice).map((r) => r.success),
      [true, true, true, false, true, true],
    );
    assert.deepEqual(
      results(bob).map((r) => r.success),
      [true, true, true, false, true, true],
    );
  });

  // After `point` SMP messages were delivered (0: started, 1: request at the responder, 2: SMP2 at the
  // initiator, 3: SMP3 at the responder, which has its result) one side aborts; the message in flight
  // arrives afterwards. Both sides end idle and a new SMP works.
  for (const aborter of ['initiator', 'responder'] as const) {
    for (const point of [0, 1, 2, 3]) {
      test(`abort by the ${aborter} after ${point} SMP message(s)`, () => {
        const { alice, bob } = pair(`abort/${aborter}/${point}`);
        let inFlight: { to: Side; from: Side; out: OtrOutput } = { to: bob, from: alice, out: alice.conv.startSmp('same') };
        record(alice, inFlight.out);
        if (point >= 1) {
          assert.deepEqual(hop(alice, bob, { ...inFlight.out, events: [] }).send, []);
          inFlight = { to: alice, from: bob, out: bob.conv.respondSmp('same') };
          record(bob, inFlight.out);
        }
        for (let k = 2; k <= point; k++) {
          const got = hop(inFlight.from, inFlight.to, { ...inFlight.out, events: [] });
          record(inFlight.to, got);
          inFlight = { to: inFlight.from, from: inFlight.to, out: got };
        }
        const initiatorActive = true;
        const responderActive = point === 1 || point === 2;
        const [who, other] = aborter === 'initiator' ? [alice, bob] : [bob, alice];
        const otherActive = aborter === 'initiator' ? responderActive : initiatorActive;
        take(alice);
        take(bob);

        relay(who, other, who.conv.abortSmp());
        assert.deepEqual(
          smp(who).filter((e) => e.type === 'smp-aborted'),
          [{ type: 'smp-aborted', byPeer: false, instance: who === alice ? BOB_TAG : ALICE_TAG }],
        );
        assert.deepEqual(
          smp(other),
          otherActive ? [{ type: 'smp-aborted', byPeer: true, instance: other === alice ? BOB_TAG : ALICE_TAG }] : [],
        );
        // The late message: refused with an abort (or, at point 0, a request the responder may ignore).
        take(alice);
        take(bob);
        relay(inFlight.from, inFlight.to, { ...inFlight.out, events: [] });
        assert.ok(!smp(alice).some((e) => e.type === 'smp-result') && !smp(bob).some((e) => e.type === 'smp-result'));

        // Idle again: a complete SMP, started by the other side.
        take(alice);
        take(bob);
        fullSmp(bob, alice, 'again', 'again');
        assert.deepEqual(results(alice), [{ success: true, weVerifiedThem: true }]);
        assert.deepEqual(results(bob), [{ success: true, weVerifiedThem: true }]);
      });
    }
  }

  test('an SMP message in the wrong state is answered with an abort', () => {
    const { alice, bob } = pair();
    const t = transcript('wrong-state');
    // Bob idle: SMP 2, 3, 4 are all unexpected.
    for (const tlv of [t.tlv2, t.tlv3, t.tlv4]) {
      take(bob);
      const got = inject(alice, bob, tlv);
      assert.equal(got.send.length, 1, 'an abort goes back');
      const errors = smp(bob);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.type, 'smp-error');
      assert.match((errors[0] as { message: string }).message, /unexpected SMP message \d \(expecting SMP message 1\); SMP aborted/);
    }
    // Alice waits for SMP2 and gets SMP1 (both started at once): both abort, both end idle.
    take(alice);
    take(bob);
    const a1 = alice.conv.startSmp('a');
    const b1 = bob.conv.startSmp('b');
    record(alice, a1);
    record(bob, b1);
    const atBob = bob.conv.receive(a1.send[0]!);
    const atAlice = alice.conv.receive(b1.send[0]!);
    record(bob, atBob);
    record(alice, atAlice);
    assert.ok(smp(alice).some((e) => e.type === 'smp-error'));
    assert.ok(smp(bob).some((e) => e.type === 'smp-error'));
    relay(bob, alice, { ...atBob, events: [] }); // the aborts cross
    relay(alice, bob, { ...atAlice, events: [] });
    take(alice);
    take(bob);
    fullSmp(alice, bob, 'z', 'z');
    assert.deepEqual(results(bob), [{ success: true, weVerifiedThem: true }]);
    // A replayed SMP message 3 after the end of an SMP (Bob back in EXPECT1).
    take(bob);
    inject(alice, bob, t.tlv3);
    assert.equal(smp(bob)[0]?.type, 'smp-error');
  });

  test('an abort from the peer while nothing runs is quiet; an abort is sent in all cases', () => {
    const { alice, bob } = pair();
    const out = alice.conv.abortSmp();
    assert.equal(out.send.length, 1, '"In all cases, send a type 6 TLV"');
    relay(alice, bob, out);
    assert.deepEqual(smp(bob), []);
    assert.deepEqual(inject(alice, bob, { type: TLV_SMP_ABORT, value: Uint8Array.of(1, 2, 3) }).send, [], 'the value of TLV 6 is ignored');
  });

  test('user errors: not private, nothing to answer, NUL in the question', () => {
    const lone = new OtrConversation({ account: 'a', peer: 'b', longTerm: aliceKey, ourInstance: 0x1000, policy: 'manual', random: secureRandom, now: () => 0 });
    for (const out of [lone.startSmp('x'), lone.respondSmp('x'), lone.abortSmp()]) {
      assert.deepEqual(out.send, []);
      assert.deepEqual(
        out.events.map((e) => e.type),
        ['smp-error'],
      );
    }
    const { alice, bob } = pair();
    const none = bob.conv.respondSmp('x');
    assert.deepEqual(none.send, []);
    assert.match((none.events[0] as { message: string }).message, /no SMP request/);
    const nul = alice.conv.startSmp('x', 'a\0b');
    assert.deepEqual(nul.send, []);
    assert.equal(nul.events[0]?.type, 'smp-error');
  });

  test('restarting while an SMP runs aborts it first, in a message of its own', () => {
    const { alice, bob } = pair();
    relay(alice, bob, alice.conv.startSmp('old'));
    take(alice);
    take(bob);
    const again = alice.conv.startSmp('new', 'Again?');
    assert.equal(again.send.length, 2, 'abort, then SMP message 1Q');
    assert.deepEqual(
      again.events.map((e) => e.type),
      ['smp-aborted', 'smp-progress'],
    );
    relay(alice, bob, again);
    assert.deepEqual(
      smp(bob).map((e) => e.type),
      ['smp-aborted', 'smp-request'],
    );
    relay(bob, alice, bob.conv.respondSmp('new'));
    assert.deepEqual(results(alice), [{ success: true, weVerifiedThem: true }]);
    // The responder may start its own SMP instead of answering: the request is aborted.
    take(alice);
    take(bob);
    relay(alice, bob, alice.conv.startSmp('q'));
    relay(bob, alice, bob.conv.startSmp('r'));
    assert.deepEqual(
      smp(alice).map((e) => e.type),
      ['smp-progress', 'smp-aborted', 'smp-request'],
    );
    relay(alice, bob, alice.conv.respondSmp('r'));
    assert.deepEqual(results(bob), [{ success: true, weVerifiedThem: true }]);
  });

  test('ending the private conversation abandons the SMP on both sides', () => {
    const { alice, bob } = pair();
    relay(alice, bob, alice.conv.startSmp('s'));
    relay(bob, alice, bob.conv.respondSmp('s')); // completes
    take(alice);
    take(bob);
    relay(alice, bob, alice.conv.startSmp('s'));
    take(alice);
    take(bob);
    relay(bob, alice, bob.conv.end());
    assert.deepEqual(smp(bob), [{ type: 'smp-aborted', byPeer: false, instance: ALICE_TAG }]);
    assert.deepEqual(smp(alice), [{ type: 'smp-aborted', byPeer: true, instance: BOB_TAG }]);
    assert.equal(alice.conv.state, 'finished');
    const late = bob.conv.respondSmp('s');
    assert.equal(late.events[0]?.type, 'smp-error');
  });

  test('a refresh with the same keys keeps the SMP going (spec: only leaving ENCRYPTED abandons it)', () => {
    const { alice, bob } = pair();
    relay(alice, bob, alice.conv.startSmp('kept', 'Still?'));
    relay(alice, bob, alice.conv.refresh());
    assert.ok(alice.events.some((e) => e.type === 'private' && e.refreshed));
    take(alice);
    take(bob);
    relay(bob, alice, bob.conv.respondSmp('kept'));
    assert.deepEqual(results(alice), [{ success: true, weVerifiedThem: true }]);
    assert.deepEqual(results(bob), [{ success: true, weVerifiedThem: false }]);
  });
});

describe('SMP with two instances of the peer', () => {
  test('each instance has its own SMP; respondSmp finds the request, abortSmp reaches the running one', () => {
    const { alice, bob } = pair('two-instances');
    // Alice's second device, same key, another instance tag.
    const alice2: Side = {
      conv: new OtrConversation({ account: 'alice@x', peer: 'bob@x', longTerm: aliceKey, ourInstance: ALICE_TAG + 1, policy: 'manual', random: deterministicRandom('alice2'), now: () => 0 }),
      events: [],
      shown: [],
    };
    relay(alice2, bob, alice2.conv.startPrivate());
    assert.equal(bob.conv.privateSession?.instance, ALICE_TAG + 1, 'messages now go to the second device');
    take(bob);

    // The first device asks; Bob answers without naming the instance.
    relay(alice, bob, alice.conv.startSmp('one', 'Device one?'));
    assert.deepEqual(smp(bob), [{ type: 'smp-request', question: 'Device one?', instance: ALICE_TAG, request: 1 }]);
    relay(bob, alice, bob.conv.respondSmp('one'));
    assert.deepEqual(
      smp(bob).filter((e) => e.type === 'smp-result').map((e) => e.instance),
      [ALICE_TAG],
    );
    assert.deepEqual(results(alice), [{ success: true, weVerifiedThem: true }]);

    // Both devices start at once; Bob aborts everything running.
    take(alice);
    take(bob);
    relay(alice, bob, alice.conv.startSmp('a'));
    relay(alice2, bob, alice2.conv.startSmp('b'));
    const out = bob.conv.abortSmp();
    assert.deepEqual(
      out.events.filter((e) => e.type === 'smp-aborted').map((e) => (e.type === 'smp-aborted' ? e.instance : 0)).sort(),
      [ALICE_TAG, ALICE_TAG + 1].sort(),
    );
    assert.equal(out.send.length, 2, 'one abort per instance');
    record(bob, out);
    for (const text of out.send) {
      record(alice, alice.conv.receive(text));
      record(alice2, alice2.conv.receive(text));
    }
    assert.deepEqual(smp(alice).at(-1), { type: 'smp-aborted', byPeer: true, instance: BOB_TAG });
    assert.deepEqual(smp(alice2).at(-1), { type: 'smp-aborted', byPeer: true, instance: BOB_TAG });
  });
});

describe('malformed SMP messages', () => {
  /** The state that expects each message type. */
  const expecting = (t: Transcript, type: number): SmpMachine =>
    (type === TLV_SMP1 || type === TLV_SMP1Q ? t.bob1 : type === TLV_SMP2 ? t.alice2 : type === TLV_SMP3 ? t.bob3 : t.alice4).clone();

  test('wrong MPI counts, values out of range, bad proofs, truncation: an error, never an exception', () => {
    const t = transcript('malformed');
    const tq = transcript('malformed-q', 'Frage?');
    const cases: { name: string; tlv: OtrTlvRecord; machine: SmpMachine }[] = [];
    const add = (name: string, tlv: OtrTlvRecord, base: OtrTlvRecord, tr: Transcript = t) => cases.push({ name, tlv, machine: expecting(tr, base.type) });
    for (const [tr, base] of [
      [t, t.tlv1],
      [tq, tq.tlv1],
      [t, t.tlv2],
      [t, t.tlv3],
      [t, t.tlv4],
    ] as const) {
      const { values } = mpisOf(base);
      const layout = LAYOUT[base.type]!;
      add(`${base.type}: one MPI missing`, withMpis(base, values.slice(0, -1)), base, tr);
      add(`${base.type}: one MPI too many`, withMpis(base, [...values, 5n]), base, tr);
      const wrongCount = withMpis(base, values);
      const view = new DataView(wrongCount.value.buffer, wrongCount.value.byteOffset + mpisOf(base).prefix.length);
      view.setUint32(0, values.length + 1);
      add(`${base.type}: count says one more`, wrongCount, base, tr);
      add(`${base.type}: truncated by one byte`, { type: base.type, value: base.value.slice(0, -1) }, base, tr);
      add(`${base.type}: truncated to 3 bytes`, { type: base.type, value: base.value.slice(0, 3) }, base, tr);
      add(`${base.type}: empty`, { type: base.type, value: new Uint8Array(0) }, base, tr);
      add(`${base.type}: a trailing byte`, { type: base.type, value: Uint8Array.of(...base.value, 0) }, base, tr);
      for (const i of layout.group) {
        for (const bad of [0n, 1n, P - 1n, P, P + 1n]) {
          const v = [...values];
          v[i] = bad;
          add(`${base.type}: group element ${i} = ${bad < 2n ? bad : `p${bad - P >= 0n ? '+' : ''}${bad - P}`}`, withMpis(base, v), base, tr);
        }
      }
      for (const i of layout.exps) {
        for (const bad of [0n, Q, Q + 1n, P]) {
          const v = [...values];
          v[i] = bad;
          add(`${base.type}: exponent ${i} out of range`, withMpis(base, v), base, tr);
        }
      }
      for (const i of layout.hashes) {
        for (const bad of [values[i]! ^ 1n, 0n, 1n << 256n, values[i]! + (1n << 256n)]) {
          const v = [...values];
          v[i] = bad;
          add(`${base.type}: proof hash ${i} altered`, withMpis(base, v), base, tr);
        }
      }
      // A D value changed within range: the proof no longer verifies.
      for (const i of layout.exps) {
        const v = [...values];
        v[i] = (v[i]! % (Q - 2n)) + 1n;
        add(`${base.type}: D value ${i} altered`, withMpis(base, v), base, tr);
      }
      // A group element swapped for another legal one.
      for (const i of layout.group) {
        const v = [...values];
        v[i] = 4n;
        add(`${base.type}: group element ${i} replaced`, withMpis(base, v), base, tr);
      }
    }
    add('1Q without a NUL', { type: TLV_SMP1Q, value: new TextEncoder().encode('question without end') }, tq.tlv1, tq);
    add('1Q whose NUL is the last byte', { type: TLV_SMP1Q, value: Uint8Array.of(0x41, 0) }, tq.tlv1, tq);
    add('1Q: SMP1 values after the NUL, short', { type: TLV_SMP1Q, value: Uint8Array.of(0x41, 0, 0, 0, 0, 6) }, tq.tlv1, tq);

    assert.ok(cases.length > 150, `${cases.length} cases`);
    for (const c of cases) {
      let r: SmpReceiveResult;
      assert.doesNotThrow(() => {
        r = c.machine.receive(c.tlv);
      }, c.name);
      assert.equal(r!.kind, 'error', `${c.name}: ${JSON.stringify(r!)}`);
      assert.equal(c.machine.expecting, 1, `${c.name}: back to EXPECT1`);
      assert.equal(c.machine.active, false);
    }
    // The unaltered messages are accepted by the same states (so the cases above fail for their defect).
    assert.equal(expecting(t, TLV_SMP1).receive(t.tlv1).kind, 'request');
    assert.equal(expecting(tq, TLV_SMP1Q).receive(tq.tlv1).kind, 'request');
    assert.equal(expecting(t, TLV_SMP2).receive(t.tlv2).kind, 'reply');
    assert.equal(expecting(t, TLV_SMP3).receive(t.tlv3).kind, 'done');
    assert.equal(expecting(t, TLV_SMP4).receive(t.tlv4).kind, 'done');
    // Leading zero bytes in an MPI are tolerated (as libotr's gcry_mpi_scan).
    const padded = new Writer().int(3);
    const { values } = mpisOf(t.tlv4);
    for (const v of values) {
      const raw = new Writer().mpi(v).bytes().subarray(4);
      padded.int(raw.length + 2).raw(Uint8Array.of(0, 0, ...raw));
    }
    assert.equal(expecting(t, TLV_SMP4).receive({ type: TLV_SMP4, value: padded.bytes() }).kind, 'done');
  });

  test('through the conversation: a bad SMP message aborts cleanly and SMP still works afterwards', () => {
    const { alice, bob } = pair('bad-through-conv');
    const t = transcript('conv');
    // Alice's SMP is running (its SMP1 never arrives); Bob gets garbage, aborts, and Alice hears of it.
    record(alice, alice.conv.startSmp('lost'));
    take(alice);
    const truncated = { type: TLV_SMP1, value: t.tlv1.value.slice(0, 40) };
    const got = inject(alice, bob, truncated);
    assert.equal(smp(bob)[0]?.type, 'smp-error');
    assert.match((smp(bob)[0] as { message: string }).message, /malformed SMP message 1/);
    relay(bob, alice, { ...got, events: [] });
    assert.deepEqual(smp(alice), [{ type: 'smp-aborted', byPeer: true, instance: BOB_TAG }]);
    // Several SMP TLVs in one message: each type counts once.
    take(bob);
    const many = alice.conv.sendTlvs([truncated, truncated, { type: TLV_SMP4, value: new Uint8Array(3) }]);
    const r = bob.conv.receive(many.send[0]!);
    assert.deepEqual(
      r.events.map((e) => e.type),
      ['smp-error', 'ignored', 'smp-error', 'heartbeat'],
    );
    take(alice);
    take(bob);
    fullSmp(alice, bob, 'ok', 'ok');
    assert.deepEqual(results(bob), [{ success: true, weVerifiedThem: true }]);
  });
});

describe('SMP fuzzing', () => {
  test('10,000 mutated SMP TLVs (seeded): no exception, a defined result, a consistent state', () => {
    const ROUNDS = 10_000;
    const rand = prng(0x5eed5);
    const int = (n: number) => Math.floor(rand() * n);
    const t = transcript('fuzz');
    const tq = transcript('fuzz-q', 'Frage 🙂');
    const states: Record<number, SmpMachine> = { [TLV_SMP1]: t.bob1, [TLV_SMP1Q]: tq.bob1, [TLV_SMP2]: t.alice2, [TLV_SMP3]: t.bob3, [TLV_SMP4]: t.alice4 };
    const valid = [t.tlv1, tq.tlv1, t.tlv2, t.tlv3, t.tlv4];
    const edge = [0n, 1n, 2n, Q - 1n, Q, Q + 1n, P - 2n, P - 1n, P, 1n << 256n, (1n << 256n) - 1n];
    const kinds = new Map<string, number>();

    const mutate = (base: OtrTlvRecord): OtrTlvRecord => {
      let type = base.type;
      let value: Uint8Array = Uint8Array.from(base.value);
      const n = 1 + int(3);
      for (let m = 0; m < n; m++) {
        switch (int(9)) {
          case 0: // flip a bit
            if (value.length) value[int(value.length)]! ^= 1 << int(8);
            break;
          case 1: // random byte
            if (value.length) value[int(value.length)] = int(256);
            break;
          case 2: // truncate
            value = value.slice(0, int(value.length + 1));
            break;
          case 3: // append
            value = Uint8Array.from([...value, ...Array.from({ length: 1 + int(8) }, () => int(256))]);
            break;
          case 4: // another SMP type
            type = [TLV_SMP1, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP_ABORT, TLV_SMP1Q][int(6)]!;
            break;
          case 5: // a length field (count or MPI length) changed
            if (value.length >= 4) {
              const at = int(value.length - 3);
              new DataView(value.buffer).setUint32(at, [0, 1, 5, 6, 11, 192, 0xffff, 0xffffffff][int(8)]!);
            }
            break;
          case 6: // one MPI set to an edge value (re-encoded)
          case 7: {
            try {
              const parsed = mpisOf({ type, value });
              if (parsed.values.length) {
                parsed.values[int(parsed.values.length)] = edge[int(edge.length)]!;
                value = withMpis({ type, value }, parsed.values, parsed.prefix).value;
              }
            } catch {
              // not parseable any more: leave it
            }
            break;
          }
          case 8: // two MPIs swapped
            try {
              const parsed = mpisOf({ type, value });
              const [i, j] = [int(parsed.values.length), int(parsed.values.length)];
              [parsed.values[i], parsed.values[j]] = [parsed.values[j]!, parsed.values[i]!];
              value = withMpis({ type, value }, parsed.values, parsed.prefix).value;
            } catch {
              // leave it
            }
            break;
        }
      }
      return { type, value };
    };

    for (let i = 0; i < ROUNDS; i++) {
      const base = valid[int(valid.length)]!;
      const tlv = mutate(base);
      // Usually the state that expects the original message; sometimes another one.
      const machine = (rand() < 0.85 ? states[base.type]! : states[valid[int(valid.length)]!.type]!).clone();
      let r: SmpReceiveResult | undefined;
      try {
        r = machine.receive(tlv);
      } catch (e) {
        assert.fail(`round ${i}: exception ${(e as Error).stack} for ${tlv.type}:${Buffer.from(tlv.value).toString('hex')}`);
      }
      kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
      if (r.kind === 'request' || r.kind === 'reply' || r.kind === 'done') {
        // Accepted: its values must be the original ones (only the question of 1Q may differ).
        assert.deepEqual(mpisOf(tlv).values, mpisOf(base).values, `round ${i}: a changed SMP message was accepted`);
      }
      switch (r.kind) {
        case 'error':
        case 'aborted':
        case 'done':
          assert.equal(machine.active, false, `round ${i}: idle after ${r.kind}`);
          break;
        case 'request':
          assert.ok(machine.request, `round ${i}`);
          break;
        case 'reply':
          assert.equal(machine.expecting, 4, `round ${i}`);
          break;
        case 'ignored':
          assert.fail(`round ${i}: an SMP type was ignored`);
      }
    }
    const total = [...kinds.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, ROUNDS);
    assert.ok((kinds.get('error') ?? 0) > ROUNDS / 2, JSON.stringify([...kinds]));
  });

  test('mutated SMP TLVs through real data messages: receive() never throws', () => {
    const { alice, bob } = pair('fuzz-conv');
    const rand = prng(0xc0ffee);
    const int = (n: number) => Math.floor(rand() * n);
    const t = transcript('fuzz-conv');
    const valid = [t.tlv1, t.tlv2, t.tlv3, t.tlv4];
    for (let i = 0; i < 300; i++) {
      const base = valid[int(valid.length)]!;
      const value = Uint8Array.from(base.value);
      for (let m = 0; m < 1 + int(3); m++) if (value.length) value[int(value.length)] = int(256);
      const cut = rand() < 0.3 ? value.slice(0, int(value.length)) : value;
      const out = alice.conv.sendTlvs([{ type: [TLV_SMP1, TLV_SMP2, TLV_SMP3, TLV_SMP4, TLV_SMP1Q][int(5)]!, value: cut }]);
      const got = bob.conv.receive(out.send[0]!);
      assert.ok(!got.events.some((e) => e.type === 'error'), `round ${i}: ${JSON.stringify(got.events)}`);
      // Bob's replies (aborts) go back to Alice, who must stay sane too.
      for (const s of got.send) assert.ok(!alice.conv.receive(s).events.some((e) => e.type === 'error'));
    }
    take(alice);
    take(bob);
    fullSmp(alice, bob, 'still works', 'still works');
    assert.deepEqual(results(bob), [{ success: true, weVerifiedThem: true }]);
  });
});
