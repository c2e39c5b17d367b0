/**
 * OtrConversation end to end: two of our own conversations talking through
 * a relay (Protocol-v3 "The protocol state machine", "Policies").
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import type { OtrEvent, OtrOutput } from '../../electron/core/otr/events.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { ERROR_QUIET_MS, ERROR_UNREADABLE, OtrConversation, type Policy } from '../../electron/core/otr/session.js';
import { buildWhitespaceTag, encodeOtrMessage } from '../../electron/core/otr/encoding.js';
import { TLV_SMP1 } from '../../electron/core/otr/tlv.js';
import { DEFAULT_REASSEMBLY_LIMITS } from '../../electron/core/otr/fragment.js';
import { Clock } from '../fixtures/otr-test-keys.js';

let aliceKey: DsaPrivateKey;
let bobKey: DsaPrivateKey;
before(() => {
  aliceKey = generateDsaKey();
  bobKey = generateDsaKey();
});

const ALICE_TAG = 0xa11ce001;
const BOB_TAG = 0xb0b00001;

interface Side {
  conv: OtrConversation;
  shown: { text: string; encrypted: boolean }[];
  events: OtrEvent[];
  wire: string[]; // everything this side sent
}

function side(account: string, peer: string, key: DsaPrivateKey, tag: number, policy: Policy, clock: Clock, maxFragmentSize?: number): Side {
  const conv = new OtrConversation({ account, peer, longTerm: key, ourInstance: tag, policy, random: secureRandom, now: clock.now, maxFragmentSize });
  return { conv, shown: [], events: [], wire: [] };
}

/** Delivers `out` from `from` to `to`, and every reply back and forth, until quiet. */
function relay(from: Side, to: Side, out: OtrOutput, options: { drop?: (text: string) => boolean } = {}): void {
  record(from, out);
  const pending: { target: Side; source: Side; text: string }[] = out.send.map((text) => ({ target: to, source: from, text }));
  for (let i = 0; pending.length > 0; i++) {
    assert.ok(i < 500, 'relay did not settle');
    const { target, source, text } = pending.shift()!;
    if (options.drop?.(text)) continue;
    const reply = target.conv.receive(text);
    record(target, reply);
    for (const t of reply.send) pending.push({ target: source, source: target, text: t });
  }
}

function record(s: Side, out: OtrOutput): void {
  s.shown.push(...out.display);
  s.events.push(...out.events);
  s.wire.push(...out.send);
}

function eventsOf<T extends OtrEvent['type']>(s: Side, type: T): Extract<OtrEvent, { type: T }>[] {
  return s.events.filter((e): e is Extract<OtrEvent, { type: T }> => e.type === type);
}

function pair(policyA: Policy = 'manual', policyB: Policy = 'manual', maxFragmentSize?: number) {
  const clock = new Clock();
  const alice = side('alice@example.org', 'bob@example.org', aliceKey, ALICE_TAG, policyA, clock, maxFragmentSize);
  const bob = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, policyB, clock, maxFragmentSize);
  return { clock, alice, bob };
}

function goPrivate(alice: Side, bob: Side): void {
  relay(alice, bob, alice.conv.startPrivate());
  assert.equal(alice.conv.state, 'encrypted');
  assert.equal(bob.conv.state, 'encrypted');
}

describe('AKE and messages', () => {
  test('AKE by query message, then messages both ways', () => {
    const { alice, bob } = pair();
    const query = alice.conv.startPrivate();
    assert.equal(query.send.length, 1);
    assert.match(query.send[0]!, /^\?OTRv23\?\nalice@example\.org has requested an Off-the-Record private conversation/);
    relay(alice, bob, query);
    assert.equal(alice.conv.state, 'encrypted');
    assert.equal(bob.conv.state, 'encrypted');
    const [pa] = eventsOf(alice, 'private');
    const [pb] = eventsOf(bob, 'private');
    assert.ok(pa && pb);
    assert.equal(pa.ssid, pb.ssid);
    assert.match(pa.ssid, /^[0-9a-f]{8} [0-9a-f]{8}$/);
    assert.equal(pa.instance, BOB_TAG);
    assert.equal(pb.instance, ALICE_TAG);
    assert.equal(pa.version, 3);
    assert.notEqual(pa.fingerprint, pb.fingerprint);
    assert.match(pa.fingerprint, /^([0-9A-F]{8} ){4}[0-9A-F]{8}$/);
    assert.equal(alice.conv.privateSession?.initiator, !bob.conv.privateSession?.initiator);
    assert.equal(bob.shown.length, 0, 'the query is not shown');

    for (let i = 0; i < 5; i++) {
      const a = alice.conv.sendText(`hello ${i}`);
      assert.equal(a.send.length, 1);
      assert.match(a.send[0]!, /^\?OTR:AAMD/);
      assert.ok(!a.send[0]!.includes('hello'));
      relay(alice, bob, a);
      relay(bob, alice, bob.conv.sendText(`hi back ${i}`));
    }
    assert.deepEqual(
      bob.shown.map((d) => d.text),
      [0, 1, 2, 3, 4].map((i) => `hello ${i}`),
    );
    assert.ok(bob.shown.every((d) => d.encrypted));
    assert.deepEqual(
      alice.shown.map((d) => d.text),
      [0, 1, 2, 3, 4].map((i) => `hi back ${i}`),
    );
  });

  test('AKE by whitespace tag under opportunistic policy; the tag is stripped', () => {
    const { alice, bob } = pair('opportunistic', 'opportunistic');
    const first = alice.conv.sendText('Hi Bob');
    assert.deepEqual(first.send, [`Hi Bob${buildWhitespaceTag([2, 3])}`]);
    relay(alice, bob, first);
    assert.deepEqual(bob.shown, [{ text: 'Hi Bob', encrypted: false }]);
    assert.equal(alice.conv.state, 'encrypted');
    assert.equal(bob.conv.state, 'encrypted');
    relay(bob, alice, bob.conv.sendText('now private'));
    assert.deepEqual(alice.shown.at(-1), { text: 'now private', encrypted: true });
  });

  test('a whitespace tag does not start the AKE under manual policy', () => {
    const { alice, bob } = pair('opportunistic', 'manual');
    relay(alice, bob, alice.conv.sendText('Hi'));
    assert.deepEqual(bob.shown, [{ text: 'Hi', encrypted: false }]);
    assert.equal(bob.conv.state, 'plaintext');
    assert.equal(eventsOf(bob, 'ake-started').length, 0);
  });

  test('we stop tagging after the peer answers in plaintext without a tag', () => {
    const { alice } = pair('opportunistic');
    assert.ok(alice.conv.sendText('one').send[0]!.endsWith(buildWhitespaceTag([2, 3])));
    assert.ok(alice.conv.sendText('two').send[0]!.endsWith(buildWhitespaceTag([2, 3])));
    alice.conv.receive('a plain reply');
    assert.deepEqual(alice.conv.sendText('three').send, ['three']);
  });

  test('v2-only peer: the query selects version 2', () => {
    const { alice, bob } = pair();
    relay(bob, alice, { send: ['?OTRv2?'], display: [], events: [] });
    assert.equal(eventsOf(alice, 'private')[0]?.version, 2);
    assert.equal(bob.conv.state, 'encrypted');
    const out = alice.conv.sendText('over v2');
    assert.match(out.send[0]!, /^\?OTR:AAID/);
    relay(alice, bob, out);
    assert.deepEqual(bob.shown.at(-1), { text: 'over v2', encrypted: true });
  });

  test('query variants: v1-only is ignored, unknown versions tolerated', () => {
    const { alice } = pair();
    const v1 = alice.conv.receive('?OTR?');
    assert.deepEqual(v1.send, []);
    assert.equal(v1.events[0]?.type, 'ignored');
    const future = alice.conv.receive('?OTRv34x?');
    assert.match(future.send[0]!, /^\?OTR:AAMC/); // D-H Commit, v3
  });
});

describe('fragmentation', () => {
  test('AKE and data messages through a network with a 120-character limit', () => {
    const { alice, bob } = pair('manual', 'manual', 120);
    goPrivate(alice, bob);
    const long = 'x'.repeat(1500);
    const out = alice.conv.sendText(long);
    assert.ok(out.send.length > 10);
    assert.ok(out.send.every((f) => f.length <= 120 && f.startsWith(`?OTR|${ALICE_TAG.toString(16)}|${BOB_TAG.toString(16)},`)));
    relay(alice, bob, out);
    assert.deepEqual(bob.shown.at(-1), { text: long, encrypted: true });
    assert.ok(alice.wire.every((f) => f.length <= 120 || f.startsWith('?OTRv')), 'every OTR message was fragmented');
  });

  test('plaintext from another client of the peer does not break a fragmented message', () => {
    const { alice, bob } = pair('manual', 'manual', 120);
    goPrivate(alice, bob);
    const frags = bob.conv.sendText('w'.repeat(500)).send;
    assert.ok(frags.length > 3);
    for (const [i, f] of frags.entries()) {
      record(alice, alice.conv.receive(f));
      if (i === 1) record(alice, alice.conv.receive('plaintext from my other device'));
    }
    assert.deepEqual(alice.shown.at(-1), { text: 'w'.repeat(500), encrypted: true });
  });

  test('an unfragmented message from the same instance abandons its partial message', () => {
    const { alice, bob } = pair('manual', 'manual', 120);
    goPrivate(alice, bob);
    const frags = bob.conv.sendText('v'.repeat(500)).send;
    alice.conv.receive(frags[0]!);
    // Any unfragmented v3 message from Bob's instance (here a stray D-H Key) ends the partial one.
    const stray = Buffer.alloc(3 + 8 + 5);
    stray.set([0, 3, 0x0a], 0);
    stray.writeUInt32BE(BOB_TAG, 3);
    stray.writeUInt32BE(ALICE_TAG, 7);
    stray.set([0, 0, 0, 1, 5], 11);
    alice.conv.receive(encodeOtrMessage(stray));
    for (const f of frags.slice(1)) record(alice, alice.conv.receive(f));
    assert.equal(alice.shown.length, 0);
  });

  test('a missing fragment loses only that message', () => {
    const { alice, bob } = pair('manual', 'manual', 120);
    goPrivate(alice, bob);
    const out = alice.conv.sendText('y'.repeat(600));
    relay(alice, bob, out, { drop: (t) => t.includes(',00002,') });
    assert.equal(bob.shown.length, 0);
    relay(alice, bob, alice.conv.sendText('next'));
    assert.deepEqual(bob.shown, [{ text: 'next', encrypted: true }]);
  });
});

describe('ending and restarting', () => {
  test('end() sends the disconnected TLV; the peer is FINISHED and refuses to send', () => {
    const { alice, bob } = pair('opportunistic', 'manual');
    goPrivate(alice, bob);
    relay(alice, bob, alice.conv.end());
    assert.equal(alice.conv.state, 'plaintext');
    assert.equal(bob.conv.state, 'finished');
    assert.equal(eventsOf(bob, 'finished').length, 1);
    assert.equal(eventsOf(alice, 'not-private').length, 1);

    const refused = bob.conv.sendText('are you there?');
    assert.deepEqual(refused.send, [], 'nothing leaks in plaintext');
    assert.equal(refused.events[0]?.type, 'send-failed');

    // Alice is back to plaintext (and tags again, having re-entered PLAINTEXT).
    assert.deepEqual(alice.conv.sendText('plain now').send, [`plain now${buildWhitespaceTag([2, 3])}`]);
    relay(bob, alice, bob.conv.end());
    assert.equal(bob.conv.state, 'plaintext');
  });

  test('re-AKE after FINISHED and refresh while private', () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    const firstSsid = alice.conv.privateSession!.ssid;
    relay(alice, bob, alice.conv.end());
    relay(bob, alice, bob.conv.startPrivate());
    assert.equal(alice.conv.state, 'encrypted');
    assert.equal(bob.conv.state, 'encrypted');
    assert.notEqual(alice.conv.privateSession!.ssid, firstSsid);
    relay(bob, alice, bob.conv.sendText('back'));
    assert.deepEqual(alice.shown.at(-1), { text: 'back', encrypted: true });

    relay(alice, bob, alice.conv.refresh());
    const refreshed = eventsOf(alice, 'private').at(-1)!;
    assert.equal(refreshed.refreshed, true);
    relay(alice, bob, alice.conv.sendText('after refresh'));
    assert.deepEqual(bob.shown.at(-1), { text: 'after refresh', encrypted: true });
  });
});

describe("'always' policy", () => {
  test('messages are queued, never sent in plaintext, and sent encrypted once private', () => {
    const { alice, bob } = pair('always', 'manual');
    const out = alice.conv.sendText('top secret');
    assert.equal(out.send.length, 1);
    assert.match(out.send[0]!, /^\?OTRv23\?/);
    assert.ok(!out.send[0]!.includes('top secret'));
    assert.deepEqual(out.events, [{ type: 'queued', count: 1 }]);
    const second = alice.conv.sendText('also secret');
    assert.deepEqual(second.send, [], 'one query is enough');
    assert.deepEqual(second.events, [{ type: 'queued', count: 2 }]);
    relay(alice, bob, out);
    assert.equal(alice.conv.state, 'encrypted');
    assert.deepEqual(bob.shown, [
      { text: 'top secret', encrypted: true },
      { text: 'also secret', encrypted: true },
    ]);
    assert.equal(alice.conv.queuedCount, 0);
    assert.ok(alice.wire.every((w) => !w.includes('secret')));
  });

  test('a queued message that cannot be sent fails visibly', () => {
    const { alice, clock } = pair('always');
    alice.conv.sendText('waiting');
    clock.advance(30_000);
    assert.deepEqual(alice.conv.poll().events, []);
    clock.advance(31_000);
    assert.deepEqual(alice.conv.poll().events, [
      { type: 'send-failed', text: 'waiting', reason: 'the private conversation could not be started in time', code: 'private-not-started' },
    ]);
    assert.equal(alice.conv.queuedCount, 0);
  });

  test('plaintext received under always is shown with a warning', () => {
    const { alice } = pair('always');
    const out = alice.conv.receive('hello in clear');
    assert.deepEqual(out.display, [{ text: 'hello in clear', encrypted: false }]);
    assert.deepEqual(out.events, [{ type: 'unencrypted-received', text: 'hello in clear' }]);
  });

  test('while an AKE runs, opportunistic messages are held too', () => {
    const { alice, bob } = pair('manual', 'manual');
    const query = alice.conv.startPrivate();
    const held = alice.conv.sendText('during AKE');
    assert.deepEqual(held.send, []);
    assert.equal(held.events[0]?.type, 'queued');
    relay(alice, bob, query);
    assert.deepEqual(bob.shown, [{ text: 'during AKE', encrypted: true }]);
  });
});

describe('errors, unreadable messages, heartbeats', () => {
  test('an unreadable data message gets an OTR error reply; the error restarts the AKE (opportunistic)', () => {
    const { alice, bob } = pair('opportunistic', 'opportunistic');
    goPrivate(alice, bob);
    const msg = alice.conv.sendText('lost on the way');
    relay(bob, alice, bob.conv.end()); // Bob forgets the keys first
    assert.equal(alice.conv.state, 'finished');
    const fresh = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'opportunistic', new Clock());
    const reply = fresh.conv.receive(msg.send[0]!);
    assert.deepEqual(reply.send, [`?OTR Error: ${ERROR_UNREADABLE}`]);
    assert.equal(reply.events[0]?.type, 'unreadable');
    assert.deepEqual(reply.display, []);
    const back = alice.conv.receive(reply.send[0]!);
    assert.deepEqual(back.events[0], { type: 'remote-error', message: ERROR_UNREADABLE });
    assert.match(back.send[0]!, /^\?OTRv23\?/);
  });

  test('a burst of unreadable messages gets one OTR error; errors start one AKE, none just after a refresh', () => {
    // The loop this prevents: each error a query, each query an AKE replacing the session, whose messages in
    // flight are unreadable at the other side: more errors, more AKEs, and messages lost without end.
    const { clock, alice, bob } = pair('always', 'always');
    goPrivate(alice, bob);
    clock.advance(ERROR_QUIET_MS);
    const burst = ['one', 'two', 'three'].map((t) => alice.conv.sendText(t).send[0]!);
    relay(bob, alice, bob.conv.end());
    const fresh = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'always', clock);
    const replies = burst.map((m) => fresh.conv.receive(m));
    assert.deepEqual(replies.map((r) => r.events[0]?.type), ['unreadable', 'unreadable', 'unreadable']);
    assert.deepEqual(replies.flatMap((r) => r.send), [`?OTR Error: ${ERROR_UNREADABLE}`]);
    // Errors of a peer app that answers each one (libotr does): one query, not one per error.
    const queries = [0, 1, 2].flatMap(() => alice.conv.receive(`?OTR Error: ${ERROR_UNREADABLE}`).send);
    assert.equal(queries.length, 1);
    assert.match(queries[0]!, /^\?OTRv23\?/);
    relay(alice, fresh, { send: queries, display: [], events: [] });
    assert.equal(alice.conv.state, 'encrypted');
    assert.equal(fresh.conv.state, 'encrypted');
    // Late errors about the messages of the replaced keys start no new AKE.
    assert.deepEqual(alice.conv.receive(`?OTR Error: ${ERROR_UNREADABLE}`).send, []);
    clock.advance(ERROR_QUIET_MS);
    assert.equal(alice.conv.receive(`?OTR Error: ${ERROR_UNREADABLE}`).send.length, 1);
  });

  test('an error held back in the quiet time is not dropped: once the quiet time is over, one query asks for a new conversation', () => {
    // Held back for good, a peer that really lost its keys (its app restarted) would never read us again, and
    // what waits for its receipt would never go (a private message lost in the soak).
    const { clock, alice, bob } = pair('always', 'always');
    goPrivate(alice, bob);
    clock.advance(ERROR_QUIET_MS);
    relay(bob, alice, bob.conv.end());
    const fresh = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'always', clock);
    const queries = alice.conv.receive(`?OTR Error: ${ERROR_UNREADABLE}`).send;
    relay(alice, fresh, { send: queries, display: [], events: [] });
    assert.equal(alice.conv.state, 'encrypted');
    // Just after that refresh: held back, and nothing asked while the quiet time lasts.
    assert.deepEqual(alice.conv.receive(`?OTR Error: ${ERROR_UNREADABLE}`).send, []);
    assert.deepEqual(alice.conv.poll().send, []);
    clock.advance(ERROR_QUIET_MS);
    const asked = alice.conv.poll().send;
    assert.equal(asked.length, 1, 'asked once the quiet time is over');
    assert.match(asked[0]!, /^\?OTRv23\?/);
    relay(alice, fresh, { send: asked, display: [], events: [] });
    assert.equal(fresh.conv.state, 'encrypted');
    clock.advance(ERROR_QUIET_MS);
    assert.deepEqual(alice.conv.poll().send, [], 'once: the new conversation mended it');
  });

  test('replayed data messages are unreadable', () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    const out = alice.conv.sendText('once');
    assert.deepEqual(bob.conv.receive(out.send[0]!).display, [{ text: 'once', encrypted: true }]);
    const again = bob.conv.receive(out.send[0]!);
    assert.deepEqual(again.display, []);
    assert.deepEqual(again.events[0], { type: 'unreadable', reason: 'replayed-counter', instance: ALICE_TAG });
    assert.deepEqual(again.send, [`?OTR Error: ${ERROR_UNREADABLE}`]);
  });

  test('IGNORE_UNREADABLE messages (heartbeats, TLVs) fail silently', () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    const tlv = alice.conv.sendTlvs([{ type: TLV_SMP1, value: Uint8Array.of(1) }]);
    const stranger = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'manual', new Clock());
    assert.deepEqual(stranger.conv.receive(tlv.send[0]!), { send: [], display: [], events: [] });
    const got = bob.conv.receive(tlv.send[0]!);
    // SMP TLVs are handled inside the conversation (tests/unit/otr-smp.test.ts): this malformed SMP
    // message 1 is answered with an SMP abort.
    assert.deepEqual(
      got.events.map((e) => [e.type, 'instance' in e ? e.instance : undefined]),
      [
        ['smp-error', ALICE_TAG],
        ['heartbeat', ALICE_TAG],
      ],
    );
    assert.equal(got.send.length, 1);
  });

  test('a heartbeat goes out when we have been silent for 60 s after receiving', () => {
    const { alice, bob, clock } = pair();
    goPrivate(alice, bob);
    relay(bob, alice, bob.conv.sendText('right after the AKE'));
    assert.equal(eventsOf(alice, 'heartbeat').length, 0, 'the AKE messages count as sent (libotr)');
    clock.advance(61_000);
    relay(bob, alice, bob.conv.sendText('a minute later'));
    assert.deepEqual(eventsOf(alice, 'heartbeat'), [{ type: 'heartbeat', direction: 'sent', instance: BOB_TAG }]);
    assert.deepEqual(eventsOf(bob, 'heartbeat'), [{ type: 'heartbeat', direction: 'received', instance: ALICE_TAG }]);
    assert.deepEqual(
      bob.shown.map((d) => d.text),
      [],
      'heartbeats are never shown',
    );
    assert.equal(alice.shown.length, 2);
    clock.advance(10_000);
    relay(bob, alice, bob.conv.sendText('soon after'));
    assert.equal(eventsOf(alice, 'heartbeat').length, 1, 'no heartbeat within 60 s of the last one');
    clock.advance(61_000);
    relay(bob, alice, bob.conv.sendText('much later'));
    assert.equal(eventsOf(alice, 'heartbeat').length, 2);
    // A heartbeat does not answer a heartbeat, and rotates keys: everything stays readable.
    relay(alice, bob, alice.conv.sendText('still fine'));
    assert.deepEqual(bob.shown.at(-1), { text: 'still fine', encrypted: true });
  });

  test('plaintext while private is shown with a warning', () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    const out = alice.conv.receive('sneaky plaintext');
    assert.deepEqual(out.display, [{ text: 'sneaky plaintext', encrypted: false }]);
    assert.deepEqual(out.events, [{ type: 'unencrypted-received', text: 'sneaky plaintext' }]);
  });

  test("malformed encodings are reported, not shown", () => {
    const { alice } = pair();
    const out = alice.conv.receive('?OTR:AAMD!!!.');
    assert.deepEqual(out.display, []);
    assert.equal(out.events[0]?.type, 'error');
  });

  test("switching to 'never' while private ends the conversation first", () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    relay(alice, bob, alice.conv.setPolicy('never'));
    assert.equal(alice.conv.state, 'plaintext');
    assert.equal(bob.conv.state, 'finished');
    assert.deepEqual(alice.conv.sendText('plain').send, ['plain']);
  });

  test("switching to 'never' while a message waits for the AKE fails it at once (it is not left waiting)", () => {
    const { alice } = pair('always');
    alice.conv.sendText('held', { id: 'held-1' });
    const off = alice.conv.setPolicy('never');
    assert.deepEqual(off.events.filter((e) => e.type === 'send-failed').map((e) => (e as { id?: string }).id), ['held-1']);
    assert.equal(alice.conv.queuedCount, 0);
  });

  test("policy 'never' passes plaintext through and acts on nothing", () => {
    const { alice } = pair('never');
    assert.deepEqual(alice.conv.sendText('x'), { send: ['x'], display: [], events: [] });
    assert.deepEqual(alice.conv.receive('plain words'), { send: [], display: [{ text: 'plain words', encrypted: false }], events: [] });
    // A request to go private is not shown as text: the user is told.
    assert.deepEqual(alice.conv.receive('?OTRv3?'), { send: [], display: [], events: [{ type: 'otr-off-received', what: 'request' }] });
    // A peer's offer (the whitespace tag) is neither acted on nor shown.
    const tagged = pair('opportunistic').alice.conv.sendText('Hello').send[0]!;
    assert.notEqual(tagged, 'Hello');
    assert.deepEqual(alice.conv.receive(tagged), { send: [], display: [{ text: 'Hello', encrypted: false }], events: [] });
  });
});

test("policy 'never': a private message (whole or in fragments) is never shown as text, only noticed once", () => {
  const { alice, bob } = pair('manual', 'manual', 200);
  goPrivate(alice, bob);
  const whole = pair('manual', 'manual');
  goPrivate(whole.alice, whole.bob);
  const data = whole.alice.conv.sendText('SECRET in one piece').send;
  const fragments = alice.conv.sendText('SECRET '.repeat(60)).send;
  assert.equal(data.length, 1);
  assert.ok(fragments.length > 2);
  const off = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'never', new Clock());
  assert.deepEqual(off.conv.receive(data[0]!), { send: [], display: [], events: [{ type: 'otr-off-received', what: 'message' }] });
  const outs = fragments.map((f) => off.conv.receive(f));
  assert.deepEqual(outs.flatMap((o) => o.display), []);
  assert.deepEqual(outs.flatMap((o) => o.send), []);
  assert.deepEqual(outs.flatMap((o) => o.events), [{ type: 'otr-off-received', what: 'message' }]);
  // The peer's OTR error is a notice, not a message; text that merely mentions a marker is text.
  assert.deepEqual(off.conv.receive('?OTR Error: oops').display, []);
  assert.deepEqual(off.conv.receive('what is ?OTR|x about').display, [{ text: 'what is ?OTR|x about', encrypted: false }]);
});

describe('instance tags', () => {
  test('messages for another instance of ours are dropped', () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    const other = side('alice@example.org', 'bob@example.org', aliceKey, 0xa11ce002, 'manual', new Clock());
    const msg = bob.conv.sendText('for alice #1');
    assert.deepEqual(other.conv.receive(msg.send[0]!), { send: [], display: [], events: [{ type: 'other-instance' }] });
  });

  /** Alice and two clients of Bob; the network copies Alice's messages to both clients. */
  function threeWay(first: { from: 'alice' | 'bob1'; out: (s: { alice: Side; bob1: Side; bob2: Side }) => OtrOutput }) {
    const clock = new Clock();
    const alice = side('alice@example.org', 'bob@example.org', aliceKey, ALICE_TAG, 'opportunistic', clock);
    const bob1 = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'opportunistic', clock);
    const bob2 = side('bob@example.org', 'alice@example.org', bobKey, 0xb0b00002, 'opportunistic', clock);
    const all = { alice, bob1, bob2 };
    const pending: { to: Side; text: string }[] = [];
    const fanOut = (from: Side, texts: string[]): void => {
      for (const text of texts) {
        if (from === alice) pending.push({ to: bob1, text }, { to: bob2, text });
        else pending.push({ to: alice, text });
      }
    };
    const start = first.out(all);
    record(all[first.from], start);
    fanOut(all[first.from], start.send);
    for (let i = 0; pending.length > 0; i++) {
      assert.ok(i < 300, 'did not settle');
      const { to, text } = pending.shift()!;
      const out = to.conv.receive(text);
      record(to, out);
      fanOut(to, out.send);
    }
    return all;
  }

  function bothPrivate({ alice, bob1, bob2 }: { alice: Side; bob1: Side; bob2: Side }): void {
    assert.equal(bob1.conv.state, 'encrypted');
    assert.equal(bob2.conv.state, 'encrypted');
    assert.deepEqual(eventsOf(alice, 'private').map((e) => e.instance).sort(), [BOB_TAG, 0xb0b00002].sort());
    const m1 = bob1.conv.sendText('from bob1');
    const m2 = bob2.conv.sendText('from bob2');
    assert.deepEqual(alice.conv.receive(m1.send[0]!).display, [{ text: 'from bob1', encrypted: true }]);
    assert.deepEqual(alice.conv.receive(m2.send[0]!).display, [{ text: 'from bob2', encrypted: true }]);
    // Alice writes to the instance she heard from last; the other client drops it.
    const a = alice.conv.sendText('to the last one');
    assert.equal(bob2.conv.receive(a.send[0]!).display[0]?.text, 'to the last one');
    assert.deepEqual(bob1.conv.receive(a.send[0]!).events, [{ type: 'other-instance' }]);
  }

  test('query to two instances of Bob: each gets its own private session', () => {
    const all = threeWay({ from: 'alice', out: ({ alice }) => alice.conv.startPrivate() });
    bothPrivate(all);
    assert.ok(eventsOf(all.bob1, 'other-instance').length > 0, 'bob1 saw (and dropped) messages meant for bob2');
  });

  test("whitespace tag: Alice's commit (to any instance) is answered by both of Bob's clients", () => {
    const all = threeWay({ from: 'bob1', out: ({ bob1 }) => bob1.conv.sendText('hello from my phone') });
    assert.deepEqual(all.alice.shown[0], { text: 'hello from my phone', encrypted: false });
    bothPrivate(all);
  });
});

describe('hostile input', () => {
  test('a fragment flood never buffers more than the cap', () => {
    const { alice } = pair();
    const piece = 'A'.repeat(1000);
    for (let i = 0; i < 3000; i++) {
      const sender = (0x100 + (i % 40)).toString(16);
      const out = alice.conv.receive(`?OTR|${sender}|${ALICE_TAG.toString(16)},${(Math.floor(i / 40) + 1) % 65536},65000,${piece},`);
      assert.deepEqual(out.display, []);
      assert.deepEqual(out.send, []);
    }
    assert.ok(alice.conv.reassembler.bufferedChars <= DEFAULT_REASSEMBLY_LIMITS.maxSenders * DEFAULT_REASSEMBLY_LIMITS.maxBufferedChars);
    assert.ok(alice.conv.reassembler.senderCount <= 8);
  });

  test("a partial fragmented message is let go after two idle minutes, by the conversation's timer and against late pieces", () => {
    const { clock, alice, bob } = pair('manual', 'manual', 200);
    goPrivate(alice, bob);
    const pieces = bob.conv.sendText('x'.repeat(600)).send;
    assert.ok(pieces.length >= 3);
    alice.conv.receive(pieces[0]!);
    assert.equal(alice.conv.reassembler.senderCount, 1);
    clock.advance(DEFAULT_REASSEMBLY_LIMITS.maxIdleMs);
    alice.conv.poll(); // what the account's timer calls every few seconds
    assert.equal(alice.conv.reassembler.senderCount, 0);
    assert.equal(alice.conv.reassembler.bufferedChars, 0);
    // The rest arriving afterwards does not complete (nor show) anything.
    for (const piece of pieces.slice(1)) assert.deepEqual(alice.conv.receive(piece).display, []);
    // A message sent in time still arrives.
    const again = bob.conv.sendText('y'.repeat(600)).send;
    const shown = again.flatMap((piece) => alice.conv.receive(piece).display);
    assert.deepEqual(shown, [{ text: 'y'.repeat(600), encrypted: true }]);
  });

  test('random OTR-looking garbage never throws, shows nothing, sends at most an error', () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    const real = Buffer.from(bob.conv.sendText('x').send[0]!.slice(5, -1), 'base64');
    for (let i = 0; i < 400; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = Uint8Array.from({ length: next() }, next);
        if (bytes.length > 3) bytes.set([0, 3, [2, 3, 10, 17, 18][i % 5]!], 0);
      } else {
        bytes = Uint8Array.from(real);
        const at = next() % bytes.length;
        bytes[at] = (bytes[at] as number) ^ (1 << next() % 8);
      }
      const out = alice.conv.receive(encodeOtrMessage(bytes));
      assert.deepEqual(out.display, []);
      assert.ok(out.send.every((t) => t.startsWith('?OTR Error:')));
      assert.ok(!out.events.some((e) => e.type === 'error' && e.message.startsWith('could not process')), JSON.stringify(out.events));
    }
    relay(bob, alice, bob.conv.sendText('still works'));
    assert.deepEqual(alice.shown.at(-1), { text: 'still works', encrypted: true });
  });

  test('messages from countless instance tags keep a bounded number of sessions', () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    for (let i = 0; i < 100; i++) {
      const stray = Buffer.alloc(3 + 8 + 5);
      stray.set([0, 3, 0x0a], 0);
      stray.writeUInt32BE(0x1000 + i, 3);
      stray.writeUInt32BE(ALICE_TAG, 7);
      stray.set([0, 0, 0, 1, 5], 11);
      alice.conv.receive(encodeOtrMessage(stray));
    }
    assert.ok(alice.conv.sessions.size <= 16);
    relay(bob, alice, bob.conv.sendText('the real Bob is still private'));
    assert.deepEqual(alice.shown.at(-1), { text: 'the real Bob is still private', encrypted: true });
  });

  test('a v3 message other than the D-H Commit must name our instance', () => {
    const { alice, bob } = pair();
    goPrivate(alice, bob);
    const msg = Buffer.from(bob.conv.sendText('x').send[0]!.slice(5, -1), 'base64');
    msg.writeUInt32BE(0, 7); // receiver instance 0
    assert.deepEqual(alice.conv.receive(encodeOtrMessage(msg)).events, [{ type: 'other-instance' }]);
    msg.writeUInt32BE(0x42, 3); // sender instance below 0x100
    assert.equal(alice.conv.receive(encodeOtrMessage(msg)).events[0]?.type, 'error');
  });
});

describe('a key that needs the user’s approval', () => {
  function approvalPair(needsApproval: (fp: string) => boolean) {
    const clock = new Clock();
    const conv = new OtrConversation({
      account: 'alice@example.org',
      peer: 'bob@example.org',
      longTerm: aliceKey,
      ourInstance: ALICE_TAG,
      policy: 'always',
      random: secureRandom,
      now: clock.now,
      keyNeedsApproval: needsApproval,
    });
    const alice: Side = { conv, shown: [], events: [], wire: [] };
    const bob = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'manual', clock);
    return { clock, alice, bob };
  }

  test('queued and new messages wait for approveKey(), then go out encrypted; no timeout fails them', () => {
    const asked: string[] = [];
    const { alice, bob, clock } = approvalPair((fp) => (asked.push(fp), true));
    relay(alice, bob, alice.conv.sendText('held during the AKE'));
    assert.equal(alice.conv.state, 'encrypted');
    assert.equal(asked.length, 1);
    assert.deepEqual(eventsOf(alice, 'key-approval-needed').map((e) => e.fingerprint), asked);
    relay(alice, bob, alice.conv.sendText('typed after'));
    assert.equal(bob.shown.length, 0, 'nothing is sent with an unapproved key');
    assert.equal(alice.conv.queuedCount, 2);
    clock.advance(120_000);
    assert.deepEqual(eventsOf({ ...alice, events: alice.conv.poll().events }, 'send-failed'), []);
    relay(alice, bob, alice.conv.approveKey(asked[0]!));
    assert.deepEqual(bob.shown, [
      { text: 'held during the AKE', encrypted: true },
      { text: 'typed after', encrypted: true },
    ]);
    relay(alice, bob, alice.conv.sendText('and now directly'));
    assert.equal(bob.shown.at(-1)?.text, 'and now directly');
    assert.ok(alice.wire.every((w) => !w.includes('held') && !w.includes('typed')));
  });

  test('a refresh with the approved key asks no more; end() fails what waits', () => {
    let needs = true;
    const { alice, bob } = approvalPair(() => needs);
    relay(alice, bob, alice.conv.startPrivate());
    relay(alice, bob, alice.conv.approveKey(alice.conv.keyAwaitingApproval!));
    const before = eventsOf(alice, 'key-approval-needed').length;
    relay(alice, bob, alice.conv.refresh());
    assert.equal(eventsOf(alice, 'key-approval-needed').length, before, 'approved key: no second question');
    needs = true;
    // A new AKE after end() asks again; ending while waiting fails the held message.
    relay(alice, bob, alice.conv.end());
    relay(bob, alice, bob.conv.end());
    relay(alice, bob, alice.conv.startPrivate());
    assert.equal(eventsOf(alice, 'key-approval-needed').length, before + 1);
    alice.conv.sendText('never sent');
    const ended = alice.conv.end();
    assert.deepEqual(
      ended.events.filter((e) => e.type === 'send-failed').map((e) => (e as { text: string }).text),
      ['never sent'],
    );
    assert.deepEqual(alice.conv.approveKey(eventsOf(alice, 'key-approval-needed')[0]!.fingerprint).events.map((e) => e.type), ['error']);
  });

  test('keys that need no approval are used at once', () => {
    const { alice, bob } = approvalPair(() => false);
    relay(alice, bob, alice.conv.sendText('straight through'));
    assert.deepEqual(bob.shown, [{ text: 'straight through', encrypted: true }]);
    assert.deepEqual(eventsOf(alice, 'key-approval-needed'), []);
  });
});

describe('two new keys from two instances of the peer', () => {
  /**
   * Someone who can send as Bob (his server, his password) runs one AKE from instance A with key M1
   * and a second from instance B with key M2; both keys need the user's approval.
   */
  function twoImpostors() {
    const clock = new Clock();
    const asked: string[] = [];
    const conv = new OtrConversation({
      account: 'alice@example.org',
      peer: 'bob@example.org',
      longTerm: aliceKey,
      ourInstance: ALICE_TAG,
      policy: 'opportunistic',
      random: secureRandom,
      now: clock.now,
      keyNeedsApproval: (fp) => (asked.push(fp), true),
    });
    const alice: Side = { conv, shown: [], events: [], wire: [] };
    const a = side('bob@example.org', 'alice@example.org', mallory1, 0xbad0000a, 'manual', clock);
    const b = side('bob@example.org', 'alice@example.org', mallory2, 0xbad0000b, 'manual', clock);
    relay(a, alice, a.conv.startPrivate());
    relay(b, alice, b.conv.startPrivate());
    const [m1, m2] = eventsOf(alice, 'key-approval-needed').map((e) => e.fingerprint);
    assert.ok(m1 && m2 && m1 !== m2, 'two different new keys, each asked about');
    assert.equal(a.conv.state, 'encrypted');
    assert.equal(b.conv.state, 'encrypted');
    // One data message from instance A makes it the most recently active one.
    relay(a, alice, a.conv.sendText('hello from A'));
    /** Alice's output as the network sees it: every instance of "Bob" gets it (each drops what is not its own). */
    const toBoth = (out: OtrOutput): void => {
      record(alice, out);
      for (const text of out.send) for (const s of [a, b]) record(s, s.conv.receive(text));
    };
    return { alice, a, b, m1, m2, toBoth };
  }

  let mallory1: DsaPrivateKey;
  let mallory2: DsaPrivateKey;
  before(() => {
    mallory1 = generateDsaKey();
    mallory2 = generateDsaKey();
  });

  test('a second new key does not approve the first: nothing goes to either before the user accepts one', () => {
    const { alice, a, b, m1, toBoth } = twoImpostors();
    toBoth(alice.conv.sendText('secret for Bob', { id: 'msg-1' }));
    assert.deepEqual(a.shown.filter((d) => d.encrypted), [], 'nothing reached instance A (key M1, never accepted)');
    assert.deepEqual(b.shown, [], 'nothing reached instance B');
    assert.equal(alice.conv.queuedCount, 1);
    assert.deepEqual(eventsOf(alice, 'queued').map((e) => e.id), ['msg-1']);
    // What the user is asked about is the key the message would go to (the header's key).
    assert.equal(alice.conv.keyAwaitingApproval, m1);
    assert.equal(alice.conv.privateSession?.fingerprint, m1);
  });

  test('approving one key sends only with that key; the other stays unusable', () => {
    const { alice, a, b, m2, toBoth } = twoImpostors();
    toBoth(alice.conv.sendText('secret for Bob', { id: 'msg-1' }));
    const approved = alice.conv.approveKey(m2);
    assert.deepEqual(eventsOf({ ...alice, events: approved.events }, 'queued-sent').map((e) => e.id), ['msg-1']);
    toBoth(approved);
    assert.deepEqual(b.shown, [{ text: 'secret for Bob', encrypted: true }], 'sent with M2, the key the user accepted');
    assert.deepEqual(a.shown.filter((d) => d.encrypted), []);
    // A keeps talking: still no send target while its key waits.
    relay(a, alice, a.conv.sendText('hello again from A'));
    toBoth(alice.conv.sendText('second secret', { id: 'msg-2' }));
    assert.deepEqual(a.shown.filter((d) => d.encrypted), []);
    assert.equal(b.shown.at(-1)?.text, 'second secret');
    // Approving a key nobody is waiting for (or twice) does nothing.
    assert.deepEqual(alice.conv.approveKey(m2).events.map((e) => e.type), ['error']);
  });

  test('a timed-out held message fails with its own id, not the message being sent', () => {
    const clock = new Clock();
    const alice = side('alice@example.org', 'bob@example.org', aliceKey, ALICE_TAG, 'always', clock);
    const first = alice.conv.sendText('same text', { id: 'first' });
    assert.deepEqual(first.events.filter((e) => e.type === 'queued').map((e) => (e as { id?: string }).id), ['first']);
    clock.advance(120_000);
    const second = alice.conv.sendText('same text', { id: 'second' });
    assert.deepEqual(
      second.events.filter((e) => e.type === 'send-failed' || e.type === 'queued').map((e) => [e.type, (e as { id?: string }).id]),
      [
        ['send-failed', 'first'],
        ['queued', 'second'],
      ],
    );
  });
});

describe('OTR version 3 only', () => {
  function v3OnlyAlice(clock: Clock, policy: Policy = 'opportunistic'): Side {
    const conv = new OtrConversation({ account: 'alice@example.org', peer: 'bob@example.org', longTerm: aliceKey, ourInstance: ALICE_TAG, policy, v3Only: true, random: secureRandom, now: clock.now });
    return { conv, shown: [], events: [], wire: [] };
  }

  test('our query and whitespace tag offer only version 3', () => {
    assert.match(v3OnlyAlice(new Clock()).conv.startPrivate().send[0]!, /^\?OTRv3\?\n/);
    const tagged = v3OnlyAlice(new Clock()).conv.sendText('hello').send[0]!;
    assert.ok(tagged.endsWith(buildWhitespaceTag([3])), 'the v3 tag, not the v2 one');
    assert.ok(!tagged.includes(buildWhitespaceTag([2]).slice(-8)));
  });

  test('a v2-only peer is refused with an event (query, whitespace tag, its D-H commit); nothing is answered', () => {
    const clock = new Clock();
    const alice = v3OnlyAlice(clock);
    for (const offer of ['?OTRv2?', `hello${buildWhitespaceTag([2])}`]) {
      const out = alice.conv.receive(offer);
      assert.deepEqual(out.send, [], offer);
      assert.deepEqual(out.events.filter((e) => e.type === 'version-refused'), [{ type: 'version-refused', version: 2 }], offer);
    }
    // A v2 AKE started by the peer (what an attacker gets by removing the 3 from our offer).
    const bob = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'manual', clock);
    const commit = bob.conv.receive('?OTRv2?').send;
    assert.match(commit[0]!, /^\?OTR:AAIC/, 'a v2 D-H commit');
    const out = alice.conv.receive(commit[0]!);
    assert.deepEqual(out.send, []);
    assert.deepEqual(out.events, [{ type: 'version-refused', version: 2 }]);
    assert.equal(alice.conv.state, 'plaintext');
  });

  test('the "3" stripped from our query: the peer falls back to v2, which we refuse; never private in v2', () => {
    const clock = new Clock();
    const alice = v3OnlyAlice(clock, 'manual');
    const bob = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'manual', clock);
    const query = alice.conv.startPrivate().send[0]!;
    relay(bob, alice, bob.conv.receive(query.replace('?OTRv3?', '?OTRv2?')));
    assert.equal(alice.conv.state, 'plaintext');
    assert.equal(bob.conv.state, 'plaintext');
    assert.ok(eventsOf(alice, 'version-refused').length > 0);
  });

  test('the default still speaks v2 with an old peer', () => {
    const { bob } = pair('opportunistic');
    assert.match(bob.conv.receive('?OTRv2?').send[0]!, /^\?OTR:AAIC/);
  });

  test('a v3 peer works as before', () => {
    const clock = new Clock();
    const alice = v3OnlyAlice(clock, 'manual');
    const bob = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'manual', clock);
    goPrivate(alice, bob);
    relay(alice, bob, alice.conv.sendText('private in v3'));
    assert.deepEqual(bob.shown.at(-1), { text: 'private in v3', encrypted: true });
    assert.deepEqual(eventsOf(alice, 'version-refused'), []);
  });

  test('turned on during a v2 conversation, that conversation ends (its messages could no longer be read)', () => {
    const clock = new Clock();
    const alice = side('alice@example.org', 'bob@example.org', aliceKey, ALICE_TAG, 'manual', clock);
    const bob = side('bob@example.org', 'alice@example.org', bobKey, BOB_TAG, 'manual', clock);
    relay(bob, alice, bob.conv.receive('?OTRv2?'));
    assert.equal(alice.conv.state, 'encrypted');
    const out = alice.conv.setPolicy('manual', true);
    assert.equal(alice.conv.state, 'plaintext');
    assert.ok(out.events.some((e) => e.type === 'not-private'));
    assert.equal(alice.conv.policyFlags.allowV2, false);
  });
});
