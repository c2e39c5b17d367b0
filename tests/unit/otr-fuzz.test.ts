/**
 * Mutation fuzzing of the OTR engine's receive path: real wire texts from a
 * full conversation (query, whitespace tag, the four AKE messages, data
 * messages with TLVs, fragments, error messages), mutated 100,000 times with a
 * seeded generator (so a failure names a reproducible case). No input may
 * make an exception escape `receive()` or take unbounded time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey } from '../../electron/core/otr/dsa.js';
import { deterministicRandom, secureRandom } from '../../electron/core/otr/random.js';
import { OtrConversation } from '../../electron/core/otr/session.js';
import { prng } from '../fixtures/prng.js';

const ROUNDS = 100_000;

const aliceKey = generateDsaKey(secureRandom);
const bobKey = generateDsaKey(secureRandom);

function conversation(name: string, peer: string, seed: string, maxFragmentSize?: number): OtrConversation {
  return new OtrConversation({
    account: name,
    peer,
    longTerm: name.startsWith('alice') ? aliceKey : bobKey,
    ourInstance: name.startsWith('alice') ? 0x1111 : 0x2222,
    policy: 'opportunistic',
    ...(maxFragmentSize ? { maxFragmentSize } : {}),
    random: deterministicRandom(seed),
    now: () => 0,
  });
}

/** Plays a real conversation and records every wire text that crossed, in order. */
function recordCorpus(): { corpus: string[]; alice: OtrConversation; bob: OtrConversation } {
  const alice = conversation('alice@x', 'bob@x', 'alice', 400);
  const bob = conversation('bob@x', 'alice@x', 'bob', 400);
  const corpus: string[] = [];
  const pump = (from: OtrConversation, texts: string[]) => {
    let queue: [OtrConversation, string][] = texts.map((t) => [from === alice ? bob : alice, t]);
    while (queue.length > 0) {
      const next: [OtrConversation, string][] = [];
      for (const [to, text] of queue) {
        corpus.push(text);
        const out = to.receive(text);
        for (const reply of out.send) next.push([to === alice ? bob : alice, reply]);
      }
      queue = next;
    }
  };
  pump(alice, alice.sendText('hello, tagged for OTR').send);
  pump(alice, alice.startPrivate().send);
  for (let i = 0; i < 6; i++) {
    pump(alice, alice.sendText(`message ${i} ${'x'.repeat(i * 150)}`).send);
    pump(bob, bob.sendText(`reply ${i}`).send);
  }
  pump(bob, bob.sendTlvs([{ type: 2, value: new Uint8Array(64).fill(7) }]).send);
  corpus.push('?OTR Error: You transmitted an unreadable encrypted message.', '?OTRv23? Let us talk privately', '?OTR?v2?');
  pump(alice, alice.end().send);
  return { corpus, alice, bob };
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';

function mutate(text: string, rand: () => number): string {
  const pick = (n: number) => Math.floor(rand() * n);
  const encoded = /^\?OTR:([A-Za-z0-9+/=]*)\.$/.exec(text);
  switch (pick(8)) {
    case 0: // flip bits inside the decoded message, keeping valid base64
    case 1: {
      if (!encoded) break;
      const bytes = Buffer.from(encoded[1]!, 'base64');
      if (bytes.length === 0) break;
      for (let i = 0, n = 1 + pick(4); i < n; i++) bytes[pick(bytes.length)]! ^= 1 << pick(8);
      return `?OTR:${bytes.toString('base64')}.`;
    }
    case 2: {
      // truncate or extend the decoded message (lengths and MPIs that lie)
      if (!encoded) break;
      const bytes = Buffer.from(encoded[1]!, 'base64');
      const cut = pick(bytes.length + 1);
      const tail = rand() < 0.5 ? Buffer.alloc(0) : Buffer.from(deterministicRandom(String(rand()))(pick(300)));
      return `?OTR:${Buffer.concat([bytes.subarray(0, cut), tail]).toString('base64')}.`;
    }
    case 3: {
      // overwrite a 4-byte field with an extreme value (lengths, key ids, counters, instance tags)
      if (!encoded) break;
      const bytes = Buffer.from(encoded[1]!, 'base64');
      if (bytes.length < 4) break;
      const at = pick(bytes.length - 3);
      bytes.writeUInt32BE([0, 1, 0xff, 0x7fffffff, 0xffffffff, 0x100][pick(6)]!, at);
      return `?OTR:${bytes.toString('base64')}.`;
    }
  }
  // text-level damage: change, insert or delete characters anywhere
  const chars = [...text];
  for (let i = 0, n = 1 + pick(3); i < n; i++) {
    const at = pick(chars.length + 1);
    const op = pick(3);
    const ch = rand() < 0.7 ? BASE64[pick(BASE64.length)]! : String.fromCharCode(pick(0x3000));
    if (op === 0) chars.splice(at, 1, ch);
    else if (op === 1) chars.splice(at, 0, ch);
    else chars.splice(at, 1);
  }
  return chars.join('');
}

test(`${ROUNDS.toLocaleString('en')} mutated OTR messages: no exception escapes receive()`, () => {
  const { corpus } = recordCorpus();
  assert.ok(corpus.length > 20, `a real corpus (${corpus.length} texts)`);
  assert.ok(corpus.some((t) => t.startsWith('?OTR|')), 'fragments are in the corpus');

  // Receivers in different states: fresh (plaintext), and fresh ones re-established every 5,000 inputs.
  let receivers: OtrConversation[] = [];
  const refresh = (seed: number) => {
    const { alice, bob } = recordCorpus();
    const fresh = conversation('bob@x', 'alice@x', `fresh-${seed}`, 400);
    receivers = [alice, bob, fresh];
  };
  const rand = prng(0x5eed);
  const slowest = { ms: 0, input: '' };
  const outcomes = new Map<string, number>();
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 5_000 === 0) refresh(round);
    const input = mutate(corpus[Math.floor(rand() * corpus.length)]!, rand);
    const receiver = receivers[round % receivers.length]!;
    const t0 = performance.now();
    try {
      const out = receiver.receive(input);
      assert.ok(Array.isArray(out.send) && Array.isArray(out.display) && Array.isArray(out.events));
      for (const e of out.events) outcomes.set(e.type, (outcomes.get(e.type) ?? 0) + 1);
      if (out.display.length > 0) outcomes.set('display', (outcomes.get('display') ?? 0) + 1);
    } catch (error) {
      assert.fail(`round ${round}: receive() threw ${(error as Error)?.stack ?? String(error)}\ninput: ${JSON.stringify(input).slice(0, 400)}`);
    }
    const ms = performance.now() - t0;
    if (ms > slowest.ms) Object.assign(slowest, { ms, input: input.slice(0, 80) });
  }
  const total = performance.now() - started;
  // The mutations reach deep: past base64 and parsing into MAC checks, the AKE and the display path.
  for (const reached of ['unreadable', 'ake-started', 'error', 'display', 'remote-error']) {
    assert.ok((outcomes.get(reached) ?? 0) > 100, `inputs reached "${reached}": ${JSON.stringify(Object.fromEntries(outcomes))}`);
  }
  // A single input may cost a few modular exponentiations (milliseconds), never a hang. The bound is
  // loose on purpose: on a loaded 2-core machine a GC pause or a descheduled thread took ~0.5 s once.
  // Speed itself is measured by bench:otr, not here.
  assert.ok(slowest.ms < 5_000, `slowest input took ${slowest.ms.toFixed(1)} ms: ${slowest.input}`);
  assert.ok(total < 240_000, `the whole run took ${(total / 1000).toFixed(1)} s`);
});

test('1 MB inputs: garbage is refused quickly, a real 1 MB private message arrives whole', () => {
  const alice = conversation('alice@x', 'bob@x', 'big-a');
  const bob = conversation('bob@x', 'alice@x', 'big-b');
  const relay = (from: OtrConversation, texts: string[]): string[] => {
    const shown: string[] = [];
    let queue = texts.map((t) => [from === alice ? bob : alice, t] as const);
    while (queue.length > 0) {
      const next: (readonly [OtrConversation, string])[] = [];
      for (const [to, text] of queue) {
        const out = to.receive(text);
        shown.push(...out.display.map((d) => d.text));
        for (const reply of out.send) next.push([to === alice ? bob : alice, reply]);
      }
      queue = next;
    }
    return shown;
  };
  relay(alice, alice.startPrivate().send);
  assert.equal(bob.state, 'encrypted');

  const megabyte = 1 << 20;
  const hostile = [
    `?OTR:${'A'.repeat(megabyte)}.`,
    `?OTR:${Buffer.from(deterministicRandom('mb')(megabyte)).toString('base64')}.`,
    '?OTR|00001111|00002222,00001,00002,' + 'x'.repeat(megabyte) + ',',
    '?OTR Error: ' + 'e'.repeat(megabyte),
    'plain '.repeat(megabyte / 6),
  ];
  for (const input of hostile) {
    const t0 = performance.now();
    const out = bob.receive(input);
    assert.ok(performance.now() - t0 < 2_000, 'handled in bounded time');
    assert.ok(out.send.every((s) => s.length < 10_000), 'no amplification');
  }

  const big = 'ü'.repeat(megabyte / 2);
  const shown = relay(alice, alice.sendText(big).send);
  assert.ok(shown.length === 1 && shown[0] === big, 'the 1 MiB message arrived whole');
  const tooBig = alice.sendText(`${big}!`);
  assert.deepEqual(tooBig.send, [], 'a longer one is not sent');
  assert.ok(tooBig.events.some((e) => e.type === 'send-failed'), 'and the user is told');
});
