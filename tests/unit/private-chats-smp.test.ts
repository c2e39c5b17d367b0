/**
 * Authentication (SMP) through PrivateChats against a hostile contact who holds the session (an
 * OtrConversation of our engine, driven by the test to send what an honest client would not):
 * a question swapped for a shared secret before the user answers verifies nobody, an answer names
 * the request it answers, and an SMP the contact started never accepts a key warning.
 *
 * Run: npx tsx --test tests/unit/private-chats-smp.test.ts
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import type { OtrEvent, OtrOutput } from '../../electron/core/otr/events.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { OtrConversation } from '../../electron/core/otr/session.js';
import { PrivateChats } from '../../electron/core/e2ee/otr/private-chats.js';
import type { SmpView } from '../../shared/contract.js';

const ALICE = 'alice@klatsch.test';
const MALLORY = 'mallory@klatsch.test';
const MALLORY_FULL = `${MALLORY}/evil`;

let aliceKey: DsaPrivateKey;
let malloryKey: DsaPrivateKey;
before(() => {
  aliceKey = generateDsaKey(secureRandom);
  malloryKey = generateDsaKey(secureRandom);
});

interface Harness {
  chats: PrivateChats;
  mallory: OtrConversation;
  /** What Alice's PrivateChats put on the wire, not yet read by Mallory. */
  wire: string[];
  malloryEvents: OtrEvent[];
  malloryShown: string[];
  trust: ('verify' | 'clear')[];
  notices: { kind: string | undefined; private: boolean }[];
  states: { id: string; state: string }[];
  /** Mallory's output reaches Alice; Alice's answers reach Mallory, back and forth until quiet. */
  relay(out: OtrOutput): Promise<void>;
  /** Only these texts reach Alice (no answers go back yet). */
  deliver(out: OtrOutput): Promise<void>;
  smp(): SmpView | undefined;
}

/** Alice (PrivateChats, the user) in a private conversation with Mallory; `keyWarning`: Mallory's key waits for acceptance. */
async function privateWithMallory({ keyWarning = false } = {}): Promise<Harness> {
  const wire: string[] = [];
  const trust: Harness['trust'] = [];
  const notices: Harness['notices'] = [];
  const states: Harness['states'] = [];
  const malloryEvents: OtrEvent[] = [];
  const malloryShown: string[] = [];
  const chats = new PrivateChats({
    account: ALICE,
    identities: { identity: async () => ({ key: aliceKey, instanceTag: 0xa11ce001, fingerprint: '' }) },
    policyFor: () => 'manual',
    transmit: async (_to, body) => {
      wire.push(body);
    },
    show: () => undefined,
    notice: (_peer, _text, notice, options) => notices.push({ kind: notice?.kind, private: options?.private === true }),
    messageState: (_peer, id, state) => states.push({ id, state }),
    privacyChanged: () => undefined,
    isVerified: () => false,
    newKey: () => ({ needsApproval: keyWarning, changedFromVerified: keyWarning }),
    smpTrust: async (_peer, _fp, change) => {
      trust.push(change);
    },
    random: secureRandom,
    now: () => 0,
  });
  const mallory = new OtrConversation({ account: MALLORY, peer: ALICE, longTerm: malloryKey, ourInstance: 0xbad00001, policy: 'manual', random: secureRandom, now: () => 0 });
  const deliver = async (out: OtrOutput) => {
    malloryEvents.push(...out.events);
    for (const body of out.send) await chats.receive(MALLORY_FULL, { id: undefined, stampedAt: undefined }, body);
  };
  const relay = async (out: OtrOutput) => {
    let pending = out;
    for (let i = 0; i < 50; i++) {
      await deliver(pending);
      const answers = wire.splice(0);
      if (answers.length === 0) return;
      pending = { send: [], display: [], events: [] };
      for (const body of answers) {
        const reply = mallory.receive(body);
        pending.send.push(...reply.send);
        malloryShown.push(...reply.display.map((d) => d.text));
        pending.events.push(...reply.events);
      }
    }
    assert.fail('the exchange did not settle');
  };
  await relay(mallory.startPrivate());
  assert.equal(mallory.state, 'encrypted');
  assert.ok(chats.privacy(MALLORY)?.startsWith('private'));
  assert.equal(chats.details(MALLORY).keyWarning !== undefined, keyWarning);
  return { chats, mallory, wire, malloryEvents, malloryShown, trust, notices, states, relay, deliver, smp: () => chats.details(MALLORY).smp };
}

const idOf = (smp: SmpView | undefined) => (smp?.phase === 'asked' ? smp.id : assert.fail(`no request open: ${JSON.stringify(smp)}`));

describe('SMP requests of a hostile contact', () => {
  test('a question swapped for a shared secret before the user answers: both are cancelled, the typed answer is refused, nobody is verified', async () => {
    const h = await privateWithMallory({ keyWarning: true });
    // Mallory asks a question whose answer Mallory knows…
    await h.deliver(h.mallory.startSmp('the answer', 'Where did we meet?'));
    const asked = h.smp();
    assert.equal(asked?.phase === 'asked' && asked.question, 'Where did we meet?');
    const questionId = idOf(asked);
    // …then, before the user answers, a plain SMP1 (shared secret) with the same secret. Mallory's
    // own abort is never sent: the request is replaced, not cancelled.
    h.mallory.abortSmp();
    await h.deliver(h.mallory.startSmp('the answer'));
    assert.deepEqual(h.smp(), { phase: 'aborted', byPeer: true, replaced: true }, 'no request is open for the typed answer');
    assert.ok(h.notices.some((n) => n.kind === 'smp-replaced'));
    // Alice told Mallory: an SMP abort.
    const fromAlice = h.wire.splice(0);
    assert.ok(fromAlice.length > 0, 'an abort went to the contact');
    const seen = fromAlice.flatMap((body) => h.mallory.receive(body).events);
    assert.ok(seen.some((e) => e.type === 'smp-aborted' && e.byPeer), `Mallory saw: ${JSON.stringify(seen.map((e) => e.type))}`);

    // The user submits the answer typed for the question: refused, nothing sent.
    await assert.rejects(h.chats.respondSmp(MALLORY, questionId, 'the answer'), /no authentication request|changed/);
    assert.deepEqual(h.wire, []);
    assert.deepEqual(h.trust, [], 'nothing verified');
    assert.ok(h.chats.details(MALLORY).keyWarning, 'the key warning still waits for the user');
  });

  test('an answer names its request: a request replaced after an abort gets a new id, and the old id is refused', async () => {
    const h = await privateWithMallory();
    await h.deliver(h.mallory.startSmp('the answer', 'Where did we meet?'));
    const questionId = idOf(h.smp());
    // Mallory aborts (delivered) and at once asks for a shared secret: a new request.
    await h.relay(h.mallory.abortSmp());
    await h.deliver(h.mallory.startSmp('the answer'));
    const secretRequest = h.smp();
    assert.equal(secretRequest?.phase === 'asked' && secretRequest.question, undefined);
    const secretId = idOf(secretRequest);
    assert.notEqual(secretId, questionId);
    await assert.rejects(h.chats.respondSmp(MALLORY, questionId, 'the answer'), /changed/);
    assert.deepEqual(h.wire, [], 'the answer to the question was not used for the shared secret');
    assert.deepEqual(h.trust, []);
    // Answering the request on screen works.
    const out = await (async () => {
      await h.chats.respondSmp(MALLORY, secretId, 'the answer');
      const sent = h.wire.splice(0);
      const replies: OtrOutput = { send: [], display: [], events: [] };
      for (const body of sent) {
        const r = h.mallory.receive(body);
        replies.send.push(...r.send);
        replies.events.push(...r.events);
      }
      return replies;
    })();
    await h.relay(out);
    assert.equal(h.smp()?.phase, 'succeeded');
  });

  test('an SMP the contact started never accepts a key warning; what waits stays held', async () => {
    const h = await privateWithMallory({ keyWarning: true });
    await h.chats.send(MALLORY, 'held-1', 'HELD-FOR-THE-KEY');
    assert.deepEqual(h.states, [{ id: 'held-1', state: 'waiting' }]);
    // Mallory asks for a shared secret and the user, talked into it, types it.
    await h.deliver(h.mallory.startSmp('told you so'));
    await h.chats.respondSmp(MALLORY, idOf(h.smp()), 'told you so');
    const sent = h.wire.splice(0);
    const replies: OtrOutput = { send: [], display: [], events: [] };
    for (const body of sent) {
      const r = h.mallory.receive(body);
      replies.send.push(...r.send);
      replies.events.push(...r.events);
    }
    await h.relay(replies);
    await h.chats.setPolicy(MALLORY); // queued behind anything the result set off (an acceptKey would run before it)
    assert.equal(h.smp()?.phase, 'succeeded');
    assert.deepEqual(h.trust, ['verify'], 'a shared secret verifies the contact (as libotr)…');
    assert.ok(h.chats.details(MALLORY).keyWarning, '…but the key warning still waits for the user');
    assert.deepEqual(h.states, [{ id: 'held-1', state: 'waiting' }], 'the held message was not released');
    assert.ok(!h.malloryShown.includes('HELD-FOR-THE-KEY'));
  });

  test('SMP notices come from inside the private conversation', async () => {
    const h = await privateWithMallory();
    await h.deliver(h.mallory.startSmp('x', 'A private question?'));
    const question = h.notices.find((n) => n.kind === 'smp-question');
    assert.deepEqual(question, { kind: 'smp-question', private: true });
    assert.ok(h.notices.filter((n) => n.kind?.startsWith('private-started')).every((n) => !n.private), 'the start of privacy is said outside it');
  });
});
