/**
 * "Wait for a private conversation before the first message" (private-chats.ts): the first message to
 * a contact whose app is known to speak OTR is held as 'waiting' while the AKE runs and goes out
 * private, never in plaintext by surprise; contacts are learnt from what their app sends. Also:
 * signing off ends each private conversation for the peer.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { OtrConversation, type Policy } from '../../electron/core/otr/session.js';
import { PrivateChats } from '../../electron/core/e2ee/otr/private-chats.js';

const ME = 'alice@example.org';
const BOB = 'bob@example.org';
const BOB_PHONE = `${BOB}/phone`;

let aliceKey: DsaPrivateKey;
let bobKey: DsaPrivateKey;
before(() => {
  aliceKey = generateDsaKey();
  bobKey = generateDsaKey();
});

class Harness {
  readonly sent: { to: string; body: string; kind: 'otr' | 'plain' }[] = [];
  readonly states = new Map<string, { state: string; error?: string }>();
  readonly notices: string[] = [];
  /** Contacts known to speak OTR (what the account keeps). */
  readonly speaksOtr = new Set<string>();
  waitForPrivate = true;
  policy: Policy = 'opportunistic';
  t = 1_000_000;
  /** Bob's app, answering through the engine; `answers` false: it is gone and says nothing. */
  readonly bob: OtrConversation;
  readonly bobShown: { text: string; encrypted: boolean }[] = [];
  answers = true;
  private delivered = 0;
  readonly chats: PrivateChats;

  constructor() {
    this.bob = new OtrConversation({ account: BOB, peer: ME, longTerm: bobKey, ourInstance: 0xb0b00001, policy: 'opportunistic', random: secureRandom, now: () => this.t });
    this.chats = new PrivateChats({
      account: ME,
      identities: { identity: async () => ({ key: aliceKey, instanceTag: 0xa11ce001, fingerprint: 'unused' }) },
      policyFor: () => this.policy,
      transmit: async (to, body, kind) => {
        this.sent.push({ to, body, kind });
      },
      show: () => undefined,
      notice: (_peer, _text, notice) => this.notices.push(notice?.kind ?? ''),
      messageState: (_peer, id, state, error) => this.states.set(id, { state, ...(error ? { error: typeof error === 'object' ? error.text : error } : {}) }),
      privacyChanged: () => undefined,
      firstMessageWaits: (peer) => this.waitForPrivate && this.speaksOtr.has(peer),
      speaksOtr: (peer) => this.speaksOtr.add(peer),
      random: secureRandom,
      now: () => this.t,
    });
  }

  /** Delivers our stanzas to Bob and his answers back, until quiet. */
  async pump(): Promise<void> {
    for (let rounds = 0; this.delivered < this.sent.length; rounds++) {
      assert.ok(rounds < 500, 'did not settle');
      const { body } = this.sent[this.delivered++]!;
      if (!this.answers) continue;
      const out = this.bob.receive(body);
      this.bobShown.push(...out.display);
      for (const reply of out.send) await this.chats.receive(BOB_PHONE, { id: undefined, stampedAt: undefined }, reply);
    }
  }

  plaintextOnWire(text: string): boolean {
    return this.sent.some((s) => s.body.includes(text));
  }
}

describe('wait for a private conversation before the first message', () => {
  test('to a contact whose app speaks OTR, the first message waits, then goes out private; never in plaintext', async () => {
    const h = new Harness();
    h.speaksOtr.add(BOB);
    await h.chats.send(BOB, 'first', 'SECRET first words');
    assert.equal(h.states.get('first')?.state, 'waiting');
    assert.ok(!h.plaintextOnWire('SECRET first words'), 'not sent while waiting');
    assert.match(h.sent[0]!.body, /^\?OTRv/, 'a private conversation is asked for');
    await h.pump();
    assert.equal(h.states.get('first')?.state, 'sent');
    assert.equal(h.chats.privacy(BOB), 'private');
    assert.deepEqual(h.bobShown, [{ text: 'SECRET first words', encrypted: true }]);
    assert.ok(!h.plaintextOnWire('SECRET first words'));
  });

  test('a contact not known to speak OTR gets the first message at once (with the offer); its answer teaches us', async () => {
    const h = new Harness();
    await h.chats.send(BOB, 'hello', 'hello Bob');
    assert.equal(h.states.get('hello')?.state, 'sent');
    assert.equal(h.sent[0]!.kind, 'plain');
    assert.ok(h.sent[0]!.body.startsWith('hello Bob'));
    assert.ok(!h.speaksOtr.has(BOB));
    await h.pump(); // Bob's app takes up the offer
    assert.ok(h.speaksOtr.has(BOB), 'learnt from what Bob’s app sent');
  });

  test('off: the first message goes out at once, even to a contact whose app speaks OTR', async () => {
    const h = new Harness();
    h.speaksOtr.add(BOB);
    h.waitForPrivate = false;
    await h.chats.send(BOB, 'plain', 'plain hello');
    assert.equal(h.states.get('plain')?.state, 'sent');
    assert.ok(h.plaintextOnWire('plain hello'));
  });

  test('no private conversation comes about: the message fails visibly, never goes out in plaintext', async () => {
    const h = new Harness();
    h.speaksOtr.add(BOB);
    h.answers = false;
    await h.chats.send(BOB, 'lost', 'SECRET nobody answers');
    assert.equal(h.states.get('lost')?.state, 'waiting');
    h.t += 120_000;
    h.chats.tick();
    await h.chats.send(BOB, 'probe', 'x'); // runs after the tick on the same chain
    assert.equal(h.states.get('lost')?.state, 'failed');
    assert.ok(!h.plaintextOnWire('SECRET nobody answers'));
  });

  test('after the user ended a private conversation, what they write goes out as the policy says, without waiting', async () => {
    const h = new Harness();
    h.speaksOtr.add(BOB);
    await h.chats.send(BOB, 'first', 'SECRET first');
    await h.pump();
    await h.chats.end(BOB);
    await h.pump();
    await h.chats.send(BOB, 'after', 'plain after ending');
    assert.equal(h.states.get('after')?.state, 'sent');
    assert.ok(h.plaintextOnWire('plain after ending'));
  });
});

describe('signing off', () => {
  test('each private conversation ends for the peer (OTR "disconnected"); our chat says our going offline ended it', async () => {
    const h = new Harness();
    await h.chats.start(BOB);
    await h.pump();
    assert.equal(h.bob.state, 'encrypted');
    await h.chats.signingOff();
    await h.pump();
    assert.equal(h.bob.state, 'finished', 'Bob’s app knows the conversation is over');
    assert.equal(h.notices.at(-1), 'own-offline');
  });
});
