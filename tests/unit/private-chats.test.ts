/**
 * PrivateChats (electron/core/private-chats.ts) between our account and fake
 * peers built from the OTR engine itself: which message a result belongs to
 * (by id, never by text), new keys from two instances, an imported key, and
 * turning OTR off during a private conversation.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint, formatFingerprint, generateDsaKey, publicPart, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { OtrConversation, type Policy } from '../../electron/core/otr/session.js';
import { PrivateChats, type IncomingText, type OtrIdentity } from '../../electron/core/e2ee/otr/private-chats.js';

const ME = 'alice@example.org';
const BOB = 'bob@example.org';
const ALICE_TAG = 0xa11ce001;

let aliceKey: DsaPrivateKey;
let aliceNewKey: DsaPrivateKey;
let bobKey: DsaPrivateKey;
let malloryKey: DsaPrivateKey;
before(() => {
  aliceKey = generateDsaKey();
  aliceNewKey = generateDsaKey();
  bobKey = generateDsaKey();
  malloryKey = generateDsaKey();
});

interface Peer {
  resource: string;
  conv: OtrConversation;
  shown: { text: string; encrypted: boolean }[];
}

/** Our PrivateChats and what it did, with peers (resources of BOB) that answer through the engine. */
class Harness {
  readonly sent: { to: string; body: string; kind: 'otr' | 'plain'; id: string | undefined }[] = [];
  readonly states = new Map<string, { state: string; error?: string }>();
  readonly notices: { text: string; kind?: string }[] = [];
  readonly shown: IncomingText[] = [];
  readonly peers: Peer[] = [];
  policy: Policy;
  /** The scheme the chat uses instead of OTR (the user's override); the provider's policy is then 'never'. */
  otherScheme: string | undefined;
  identity: OtrIdentity;
  t = 1_000_000;
  private delivered = 0;
  readonly chats: PrivateChats;

  constructor(policy: Policy, options: { newKeysNeedApproval?: boolean } = {}) {
    this.policy = policy;
    this.identity = { key: aliceKey, instanceTag: ALICE_TAG, fingerprint: 'unused' };
    this.chats = new PrivateChats({
      account: ME,
      identities: { identity: async () => this.identity },
      policyFor: () => (this.otherScheme !== undefined ? 'never' : this.policy),
      otherScheme: () => this.otherScheme,
      transmit: async (to, body, kind, id) => {
        this.sent.push({ to, body, kind, id });
      },
      show: (_peer, message) => this.shown.push(message),
      notice: (_peer, text, notice) => this.notices.push({ text, ...(notice ? { kind: notice.kind } : {}) }),
      messageState: (_peer, id, state, error) => this.states.set(id, { state, ...(error ? { error: typeof error === 'object' ? error.text : error } : {}) }),
      privacyChanged: () => undefined,
      ...(options.newKeysNeedApproval ? { newKey: () => ({ needsApproval: true, changedFromVerified: false }) } : {}),
      random: secureRandom,
      now: () => this.t,
    });
  }

  peer(resource: string, key: DsaPrivateKey, tag: number): Peer {
    const conv = new OtrConversation({ account: BOB, peer: ME, longTerm: key, ourInstance: tag, policy: 'manual', random: secureRandom, now: () => this.t });
    const p: Peer = { resource: `${BOB}/${resource}`, conv, shown: [] };
    this.peers.push(p);
    return p;
  }

  /** Delivers what `from` sends to us, and everything back and forth, until quiet. */
  async fromPeer(from: Peer, bodies: string[]): Promise<void> {
    for (const body of bodies) await this.chats.receive(from.resource, { id: undefined, stampedAt: undefined }, body);
    await this.pump();
  }

  /** Our stanzas go to the resource they name (a bare JID: every resource); peers' answers come back. */
  async pump(): Promise<void> {
    for (let rounds = 0; this.delivered < this.sent.length; rounds++) {
      assert.ok(rounds < 500, 'did not settle');
      const { to, body } = this.sent[this.delivered++]!;
      for (const p of this.peers) {
        if (to !== BOB && to !== p.resource) continue;
        const out = p.conv.receive(body);
        p.shown.push(...out.display);
        for (const reply of out.send) await this.chats.receive(p.resource, { id: undefined, stampedAt: undefined }, reply);
      }
    }
  }
}

describe('results belong to messages by id', () => {
  test('two identical texts held: the one that timed out fails, the other waits and goes out with its own id', async () => {
    const h = new Harness('always');
    const bob = h.peer('phone', bobKey, 0xb0b00001);
    await h.chats.send(BOB, 'first', 'same text');
    assert.equal(h.states.get('first')?.state, 'waiting');
    h.t += 120_000; // the private conversation did not start in time for the first
    await h.chats.send(BOB, 'second', 'same text');
    assert.equal(h.states.get('first')?.state, 'failed');
    assert.equal(h.states.get('second')?.state, 'waiting', 'the second is held, not marked failed for the first');
    await h.pump();
    assert.equal(h.states.get('second')?.state, 'sent');
    assert.equal(h.states.get('first')?.state, 'failed');
    assert.deepEqual(bob.shown, [{ text: 'same text', encrypted: true }]);
    const carrying = h.sent.filter((s) => s.id === 'second');
    assert.equal(carrying.length, 1);
    assert.match(carrying[0]!.body, /^\?OTR:/);
    assert.deepEqual(h.sent.filter((s) => s.id === 'first'), []);
    assert.ok(!h.sent.some((s) => s.body.includes('same text')), 'never in plaintext');
  });

  test('two identical texts held both go out, each stanza with its message id', async () => {
    const h = new Harness('always');
    const bob = h.peer('phone', bobKey, 0xb0b00001);
    await h.chats.send(BOB, 'one', 'again');
    await h.chats.send(BOB, 'two', 'again');
    await h.pump();
    assert.equal(h.states.get('one')?.state, 'sent');
    assert.equal(h.states.get('two')?.state, 'sent');
    assert.deepEqual(h.sent.filter((s) => s.id !== undefined).map((s) => s.id), ['one', 'two']);
    assert.equal(bob.shown.length, 2);
  });
});

describe('new keys from two instances of the contact', () => {
  test('the key shown is the key messages would go to; accepting the other is refused; the shown one gets the message alone', async () => {
    const h = new Harness('manual', { newKeysNeedApproval: true });
    const a = h.peer('a', malloryKey, 0xbad0000a);
    const b = h.peer('b', bobKey, 0xbad0000b);
    await h.fromPeer(a, a.conv.startPrivate().send);
    await h.fromPeer(b, b.conv.startPrivate().send);
    assert.deepEqual(h.notices.filter((n) => n.kind === 'new-key').length, 2, 'each new key is announced');
    // A speaks last: its session is the most recently active one.
    await h.fromPeer(a, a.conv.sendText('hello from A').send);
    await h.chats.send(BOB, 'msg', 'for Bob only');
    assert.equal(h.states.get('msg')?.state, 'waiting');
    assert.equal(a.shown.length, 0, 'nothing sent with an unaccepted key');
    const details = h.chats.details(BOB);
    assert.equal(details.keyWarning?.fingerprint, fingerprintOf(malloryKey));
    assert.equal(details.fingerprint, details.keyWarning?.fingerprint, 'banner and header name the same key');
    // The other new key (not the one shown) cannot be accepted in its place.
    assert.equal(await h.chats.acceptKey(BOB, fingerprintOf(bobKey)), false);
    await h.pump();
    assert.equal(h.states.get('msg')?.state, 'waiting');
    assert.equal(a.shown.length + b.shown.length, 0);
    assert.equal(await h.chats.acceptKey(BOB, fingerprintOf(malloryKey)), true);
    await h.pump();
    assert.equal(h.states.get('msg')?.state, 'sent');
    assert.deepEqual(a.shown, [{ text: 'for Bob only', encrypted: true }]);
    assert.deepEqual(b.shown, []);
    // B's key still waits: once B speaks last, the banner names B's key, and messages go on to A's accepted one.
    await h.fromPeer(b, b.conv.sendText('hello from B').send);
    await h.chats.send(BOB, 'msg2', 'still for A');
    await h.pump();
    assert.equal(h.states.get('msg2')?.state, 'sent');
    assert.equal(a.shown.at(-1)?.text, 'still for A');
    assert.deepEqual(b.shown, []);
  });
});

/** The fingerprint of `key` as the engine reports it ("XXXXXXXX XXXXXXXX …"). */
function fingerprintOf(key: DsaPrivateKey): string {
  return formatFingerprint(fingerprint(publicPart(key)));
}

/** A harness whose chat with BOB (one resource) is private. */
async function privateWithBob(policy: Policy = 'opportunistic') {
  const h = new Harness(policy);
  const bob = h.peer('phone', bobKey, 0xb0b00001);
  await h.chats.start(BOB);
  await h.pump();
  assert.equal(h.chats.privacy(BOB), 'private');
  assert.equal(bob.conv.state, 'encrypted');
  return { h, bob };
}

describe('an imported key', () => {
  test('a formerly private chat still expects privacy: nothing in plaintext until a new private conversation or the user ends it', async () => {
    const { h, bob } = await privateWithBob();
    h.identity = { key: aliceNewKey, instanceTag: ALICE_TAG, fingerprint: 'unused' };
    await h.chats.identityChanged();
    await h.pump();
    assert.equal(bob.conv.state, 'finished', 'the peer was told');
    assert.equal(h.chats.privacy(BOB), 'finished', 'shown as ended, not as a plaintext chat');
    await h.chats.send(BOB, 'after-import', 'SECRET after the import');
    assert.equal(h.states.get('after-import')?.state, 'waiting', 'it waits for the next private conversation');
    assert.ok(!h.sent.some((s) => s.body.includes('SECRET after the import')), 'not sent in plaintext');
    // A new private conversation (with the new key) takes it up again, and what waited goes out in it.
    bob.conv.end();
    await h.chats.start(BOB);
    await h.pump();
    assert.equal(h.chats.privacy(BOB), 'private');
    assert.equal(h.states.get('after-import')?.state, 'sent');
    assert.deepEqual(bob.shown.at(-1), { text: 'SECRET after the import', encrypted: true });
    await h.chats.send(BOB, 'private-again', 'SECRET with the new key');
    await h.pump();
    assert.equal(h.states.get('private-again')?.state, 'sent');
    assert.equal(bob.shown.at(-1)?.text, 'SECRET with the new key');
    assert.equal(bob.shown.at(-1)?.encrypted, true);
  });

  test('the user ends it: plaintext is allowed again', async () => {
    const { h } = await privateWithBob();
    h.identity = { key: aliceNewKey, instanceTag: ALICE_TAG, fingerprint: 'unused' };
    await h.chats.identityChanged();
    await h.chats.end(BOB);
    assert.equal(h.chats.privacy(BOB), undefined);
    await h.chats.send(BOB, 'plain', 'plain words');
    assert.equal(h.states.get('plain')?.state, 'sent');
    assert.ok(h.sent.some((s) => s.kind === 'plain' && s.body.startsWith('plain words')));
  });
});

describe('another scheme has the chat (the override is OMEMO)', () => {
  test('the contact’s OTR offers and key exchange go unanswered, no session starts, one notice; OTR works again once the override is cleared', async () => {
    const h = new Harness('opportunistic');
    h.otherScheme = 'omemo';
    const bob = h.peer('phone', bobKey, 0xb0b00001);
    // The contact's app keeps offering: queries, whitespace-tagged text, and its D-H commits (answers to our "query").
    for (let round = 0; round < 3; round++) {
      await h.fromPeer(bob, ['?OTRv3?']);
      await h.fromPeer(bob, ['hello \t  \t\t\t\t \t \t   \t  \t\t  \t\t']);
      await h.fromPeer(bob, bob.conv.receive('?OTRv3?').send);
    }
    assert.deepEqual(h.sent, [], 'nothing of OTR answered');
    assert.equal(h.chats.privacy(BOB), undefined, 'no session');
    assert.equal(bob.conv.state, 'plaintext');
    assert.ok(!h.shown.some((m) => m.text.includes('?OTR')), 'nothing raw shown');
    assert.ok(h.notices.length <= 1, JSON.stringify(h.notices));
    assert.ok(h.notices.every((n) => n.kind === 'otr-message-other-scheme'), JSON.stringify(h.notices));
    // Back to Automatic: OTR answers again.
    h.otherScheme = undefined;
    await h.chats.setPolicy(BOB);
    await h.fromPeer(bob, ['?OTRv3?']);
    assert.equal(h.chats.privacy(BOB), 'private');
    assert.equal(bob.conv.state, 'encrypted');
  });
});

describe("turning private conversations off ('never') during one", () => {
  test('ends it on both sides, with a notice; the contact’s OTR is noticed, never shown; the reply goes out plainly', async () => {
    const { h, bob } = await privateWithBob();
    const unsent = bob.conv.sendText('SECRET from Bob').send; // on its way while the policy changes
    h.policy = 'never';
    await h.chats.setPolicy(BOB);
    await h.pump();
    assert.equal(bob.conv.state, 'finished', "the engine's end reached the contact");
    assert.equal(h.chats.privacy(BOB), undefined);
    assert.equal(h.notices.at(-1)?.kind, 'ended-otr-off');
    const shownBefore = h.shown.length;
    await h.fromPeer(bob, unsent);
    assert.equal(h.shown.length, shownBefore, 'no message bubble');
    assert.ok(!h.shown.some((m) => m.text.includes('?OTR')));
    assert.equal(h.notices.at(-1)?.kind, 'private-message-otr-off');
    await h.chats.send(BOB, 'reply', 'my reply');
    assert.equal(h.states.get('reply')?.state, 'sent');
    assert.equal(h.sent.at(-1)?.body, 'my reply');
    assert.equal(h.sent.at(-1)?.kind, 'plain');
  });

  test('a message written in a private conversation fails with one reason, not prefixed by the UI’s own "Not sent: "', async () => {
    const h = new Harness('never');
    await h.chats.send(BOB, 'kept-private', 'written while private', { requirePrivate: true });
    const failed = h.states.get('kept-private');
    assert.equal(failed?.state, 'failed');
    assert.ok(failed?.error && !/^not sent/i.test(failed.error), failed?.error);
    assert.deepEqual(h.sent, []);
  });
});
