/**
 * Messages held for a private conversation (send-queue.ts, OtrConversation.sendText's `id` and
 * `waitUntil`, PrivateChats.send): a message the outbox hands in again on every new stream is held
 * once and goes out once with its id; it waits until its own bound across ended conversations and
 * AKE timeouts, then fails with the reason; a reconnect's burst is not cut at the AKE queue's cap.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import type { OtrEvent, OtrOutput } from '../../electron/core/otr/events.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { MAX_QUEUED_MESSAGES, OtrConversation, type Policy } from '../../electron/core/otr/session.js';
import { PrivateChats } from '../../electron/core/e2ee/otr/private-chats.js';
import { PRIVATE_WAIT_MS } from '../../shared/private-wait.js';
import { Clock } from '../fixtures/otr-test-keys.js';

let aliceKey: DsaPrivateKey;
let bobKey: DsaPrivateKey;
before(() => {
  aliceKey = generateDsaKey();
  bobKey = generateDsaKey();
});

const HOUR = 60 * 60 * 1000;

interface Side {
  conv: OtrConversation;
  shown: string[];
  events: OtrEvent[];
}

function pair(policy: Policy = 'manual') {
  const clock = new Clock();
  const make = (account: string, peer: string, key: DsaPrivateKey, tag: number): Side => ({
    conv: new OtrConversation({ account, peer, longTerm: key, ourInstance: tag, policy, random: secureRandom, now: clock.now }),
    shown: [],
    events: [],
  });
  return { clock, alice: make('alice@example.org', 'bob@example.org', aliceKey, 0xa11ce001), bob: make('bob@example.org', 'alice@example.org', bobKey, 0xb0b00001) };
}

/** Delivers `out` from `from` to `to`, and every reply back and forth, until quiet. */
function relay(from: Side, to: Side, out: OtrOutput): void {
  record(from, out);
  const pending = out.send.map((text) => ({ target: to, source: from, text }));
  for (let i = 0; pending.length > 0; i++) {
    assert.ok(i < 5_000, 'relay did not settle');
    const { target, source, text } = pending.shift()!;
    const reply = target.conv.receive(text);
    record(target, reply);
    for (const t of reply.send) pending.push({ target: source, source: target, text: t });
  }
}

function record(s: Side, out: OtrOutput): void {
  s.shown.push(...out.display.map((d) => d.text));
  s.events.push(...out.events);
}

const failures = (events: OtrEvent[]) => events.filter((e) => e.type === 'send-failed');

describe('the engine holds messages by id, until their own bound', () => {
  test('handed in three times (three new streams), a message is held once and goes out once, naming its id', () => {
    const { alice, bob, clock } = pair();
    const waitUntil = clock.now() + PRIVATE_WAIT_MS;
    for (let stream = 0; stream < 3; stream++) record(alice, alice.conv.sendText('only once', { requirePrivate: true, id: 'm-1', waitUntil }));
    assert.equal(alice.conv.queuedCount, 1);
    relay(alice, bob, alice.conv.startPrivate());
    assert.deepEqual(bob.shown, ['only once']);
    const sent = alice.events.filter((e) => e.type === 'queued-sent');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.type === 'queued-sent' && sent[0].id, 'm-1');
  });

  test('a message with its own bound outlives the AKE timeout and conversations that end without the user, and goes out in the next one', () => {
    const { alice, bob, clock } = pair();
    relay(alice, bob, alice.conv.startPrivate());
    record(alice, alice.conv.end({ keepWaiting: true })); // the contact went offline
    record(alice, alice.conv.sendText('after the contact left', { requirePrivate: true, id: 'm-2', waitUntil: clock.now() + PRIVATE_WAIT_MS }));
    clock.advance(10 * 60_000);
    record(alice, alice.conv.poll());
    record(alice, alice.conv.end({ keepWaiting: true })); // and our connection dropped
    clock.advance(HOUR);
    record(alice, alice.conv.poll());
    assert.deepEqual(failures(alice.events), []);
    assert.equal(alice.conv.queuedCount, 1);
    relay(alice, bob, alice.conv.startPrivate());
    assert.deepEqual(bob.shown, ['after the contact left']);
    assert.equal(alice.conv.queuedCount, 0);
  });

  test('past its bound it fails, flagged expired and named by id, and is never sent; handed in after the bound it fails at once', () => {
    const { alice, bob, clock } = pair();
    const writtenAt = clock.now();
    record(alice, alice.conv.sendText('too late', { requirePrivate: true, id: 'm-3', waitUntil: writtenAt + PRIVATE_WAIT_MS }));
    clock.advance(PRIVATE_WAIT_MS - 1);
    record(alice, alice.conv.poll());
    assert.deepEqual(failures(alice.events), []);
    clock.advance(1);
    record(alice, alice.conv.poll());
    assert.deepEqual(failures(alice.events), [{ type: 'send-failed', text: 'too late', reason: 'no private conversation could be made in time', code: 'private-wait-expired', id: 'm-3', expired: true }]);
    const again = alice.conv.sendText('too late', { requirePrivate: true, id: 'm-3', waitUntil: writtenAt + PRIVATE_WAIT_MS });
    assert.deepEqual(failures(again.events).map((e) => e.type === 'send-failed' && e.expired), [true]);
    assert.deepEqual(again.send, [], 'no request for a private conversation for it');
    relay(alice, bob, alice.conv.startPrivate());
    assert.deepEqual(bob.shown, []);
  });

  test("a reconnect's burst of 1,000 waiting messages is held and goes out in order; messages waiting only for an AKE keep their cap", () => {
    const { alice, bob, clock } = pair();
    const waitUntil = clock.now() + PRIVATE_WAIT_MS;
    const texts = Array.from({ length: 1_000 }, (_, i) => `burst ${i}`);
    texts.forEach((text, i) => record(alice, alice.conv.sendText(text, { requirePrivate: true, id: `b-${i}`, waitUntil })));
    assert.deepEqual(failures(alice.events), []);
    assert.equal(alice.conv.queuedCount, 1_000);
    relay(alice, bob, alice.conv.startPrivate());
    assert.deepEqual(bob.shown, texts);

    const always = pair('always').alice;
    for (let i = 0; i <= MAX_QUEUED_MESSAGES; i++) record(always, always.conv.sendText(`typed ${i}`));
    assert.deepEqual(
      failures(always.events).map((e) => e.type === 'send-failed' && e.text),
      [`typed ${MAX_QUEUED_MESSAGES}`],
    );
  });
});

describe('PrivateChats: what the user sees of a message that waits', () => {
  function chats(clock: Clock) {
    const states: { id: string; state: string; error?: string }[] = [];
    const wire: { to: string; body: string; id: string | undefined }[] = [];
    const chats = new PrivateChats({
      account: 'alice@example.org',
      identities: { identity: async () => ({ key: aliceKey, instanceTag: 0xa11ce001, fingerprint: 'x' }) },
      policyFor: () => 'opportunistic',
      transmit: async (to, body, _kind, id) => {
        wire.push({ to, body, id });
      },
      show: () => undefined,
      notice: () => undefined,
      messageState: (_peer, id, state, error) => states.push({ id, state, ...(error ? { error: typeof error === 'object' ? error.text : error } : {}) }),
      privacyChanged: () => undefined,
      random: secureRandom,
      now: clock.now,
    });
    return { chats, states, wire };
  }

  test('it shows "waiting" with why, for 24 hours from when it was written, then "not sent" with the reason', async () => {
    const clock = new Clock();
    const { chats: pc, states, wire } = chats(clock);
    const writtenAt = clock.now();
    await pc.send('bob@example.org', 'm-5', 'later', { requirePrivate: true, writtenAt });
    assert.equal(states.at(-1)?.state, 'waiting');
    assert.match(states.at(-1)?.error ?? '', /Waiting for a private conversation with bob@example\.org/);
    clock.advance(PRIVATE_WAIT_MS - 60_000);
    await pc.send('bob@example.org', 'm-5', 'later', { requirePrivate: true, writtenAt }); // a new stream hands it in again
    pc.tick();
    await pc.dismissSmp('bob@example.org'); // after the tick's work
    assert.ok(!states.some((s) => s.state === 'failed'));
    clock.advance(60_000);
    pc.tick();
    await pc.dismissSmp('bob@example.org');
    const failed = states.filter((s) => s.state === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.id, 'm-5');
    assert.match(failed[0]?.error ?? '', /no private conversation with bob@example\.org could be made within 24 hours/);
    assert.ok(!wire.some((w) => w.body.includes('later')), 'never in plaintext');

    // Handed in after a restart, more than 24 hours after it was written: not sent, at once.
    await pc.send('bob@example.org', 'm-6', 'old', { requirePrivate: true, writtenAt: clock.now() - PRIVATE_WAIT_MS - 1 });
    assert.equal(states.at(-1)?.id, 'm-6');
    assert.equal(states.at(-1)?.state, 'failed');
    assert.match(states.at(-1)?.error ?? '', /within 24 hours/);
  });
  test('a request for a private conversation made on a stream that was lost is made again on the next one', async () => {
    const clock = new Clock();
    const { chats: pc, states, wire } = chats(clock);
    const queries = () => wire.filter((w) => w.body.startsWith('?OTRv')).length;
    await pc.send('bob@example.org', 'm-7', 'asks again', { requirePrivate: true, writtenAt: clock.now() });
    assert.equal(queries(), 1);
    clock.advance(5_000); // well within the AKE timeout: the request may still be on its way
    await pc.disconnected(); // the stream it went on is gone, and perhaps the request with it
    await pc.send('bob@example.org', 'm-7', 'asks again', { requirePrivate: true, writtenAt: clock.now() }); // the next stream's outbox
    assert.equal(queries(), 2);
    assert.deepEqual(
      states.filter((s) => s.id === 'm-7').map((s) => s.state),
      ['waiting', 'waiting'],
      'still waiting, not failed by the lost stream',
    );
  });
});

// Issue 17: the soak under load left bob's messages "sending" for good. They waited for a private conversation; when
// it came, the engine sealed them all and reported each one sent (queued-sent), then the connection dropped while
// their stanzas were being written. Reported sent, they were on their way for the account, and no later stream sent
// them. A held message whose stanza the stream did not take is reported failed for the connection (the account sends
// such a message again on the next stream), and goes out when handed in again.
describe('PrivateChats: held messages whose stanzas the connection lost', () => {
  test('reported not sent for the connection, after they were reported sent; handed in again, they go out in the same conversation', async () => {
    const clock = new Clock();
    const states: { id: string; state: string; error?: string }[] = [];
    const shownByBob: string[] = [];
    /** While set, alice's stream takes no private message (the connection just dropped). */
    let connectionDown = false;
    let inFlight = 0;
    const pass = (deliver: () => Promise<void>) => {
      inFlight++;
      setImmediate(() => void deliver().finally(() => inFlight--));
    };
    const common = { policyFor: () => 'opportunistic' as const, privacyChanged: () => undefined, notice: () => undefined, random: secureRandom, now: clock.now };
    const bob: PrivateChats = new PrivateChats({
      ...common,
      account: 'bob@example.org',
      identities: { identity: async () => ({ key: bobKey, instanceTag: 0xb0b00001, fingerprint: 'b' }) },
      transmit: async (_to, body) => pass(() => alice.receive('bob@example.org/phone', { id: undefined, stampedAt: undefined }, body)),
      show: (_peer, message) => shownByBob.push(message.text),
      messageState: () => undefined,
    });
    const alice: PrivateChats = new PrivateChats({
      ...common,
      account: 'alice@example.org',
      identities: { identity: async () => ({ key: aliceKey, instanceTag: 0xa11ce001, fingerprint: 'a' }) },
      transmit: async (_to, body, _kind, id) => {
        if (connectionDown && body.startsWith('?OTR:AAMD')) throw new Error('not connected');
        pass(() => bob.receive('alice@example.org/laptop', { id, stampedAt: undefined }, body));
      },
      show: () => undefined,
      messageState: (_peer, id, state, error) => states.push({ id, state, ...(error ? { error: typeof error === 'object' ? error.text : error } : {}) }),
    });
    const settle = async () => {
      for (let i = 0; i < 200 && inFlight > 0; i++) await new Promise((r) => setImmediate(r));
      await alice.dismissSmp('bob@example.org'); // after the queued work
    };

    connectionDown = true;
    await alice.send('bob@example.org', 'm-1', 'held, then lost on the wire', { requirePrivate: true, writtenAt: clock.now() });
    await settle();
    assert.equal(alice.privacy('bob@example.org'), 'private', 'the private conversation came');
    assert.deepEqual(
      states.map((s) => s.state),
      ['waiting', 'sent', 'failed'],
      'sent as far as the engine goes, then not sent: the stream did not take it',
    );
    assert.equal(states.at(-1)?.error, 'The connection was lost before the message went out.');
    assert.deepEqual(shownByBob, []);

    // The next stream (a resumed one keeps the conversation) hands it in again: it goes out, private.
    connectionDown = false;
    await alice.send('bob@example.org', 'm-1', 'held, then lost on the wire', { requirePrivate: true, writtenAt: clock.now() });
    await settle();
    assert.deepEqual(shownByBob, ['held, then lost on the wire']);
    assert.equal(states.at(-1)?.state, 'sent');
  });
});
