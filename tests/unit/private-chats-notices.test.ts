/**
 * What the chat log says about trust and about our own connection (private-chats.ts), with two
 * PrivateChats talking to each other in memory: verifying, unverifying, forgetting and accepting a
 * key are notices, so the log never contradicts the header; when our own connection ends, the
 * chat says that we went offline, not the contact; an authentication result about an old key does
 * not stay beside the warning about a new one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey, fingerprint, formatFingerprint } from '../../electron/core/otr/dsa.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';
import { PrivateChats, type OtrIdentity } from '../../electron/core/e2ee/otr/private-chats.js';
import type { NoticeKind } from '../../shared/contract.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';

function identity(tag: number): OtrIdentity {
  const key = generateDsaKey();
  return { key, instanceTag: tag, fingerprint: formatFingerprint(fingerprint(key)) };
}

type Notice = { peer: string; text: string; kind: NoticeKind | undefined; detail: string | undefined };

/** One side: its PrivateChats, the notices it wrote, and a way to wait for one. */
class Side {
  readonly notices: Notice[] = [];
  private readonly waiters: { match: (n: Notice) => boolean; resolve: () => void }[] = [];
  /** Trust by fingerprint ("XXXXXXXX …"), as the OTR store would keep it. */
  readonly verified = new Set<string>();
  /** Keys this side knows of its peer; a different one needs the user's acceptance. */
  readonly knownKeys = new Set<string>();
  chats!: PrivateChats;
  other!: Side;

  constructor(
    readonly jid: string,
    public id: OtrIdentity,
    seed: string,
  ) {
    this.make(seed);
  }

  make(seed: string): void {
    this.chats = new PrivateChats({
      account: this.jid,
      identities: { identity: async () => this.id },
      policyFor: () => 'opportunistic',
      // Delivered on a later turn: the two sides' chains never wait on each other.
      transmit: async (_to, body) => {
        setImmediate(() => void this.other.chats.receive(`${this.jid}/laptop`, { id: undefined, stampedAt: undefined }, body));
      },
      show: () => undefined,
      notice: (peer, text, notice) => {
        const n = { peer, text, kind: notice?.kind, detail: notice?.detail };
        this.notices.push(n);
        for (const w of this.waiters.filter((w) => w.match(n))) w.resolve();
      },
      messageState: () => undefined,
      privacyChanged: () => undefined,
      isVerified: (_peer, fp) => this.verified.has(fp),
      sawFingerprint: async (_peer, fp) => this.knownKeys.add(fp),
      newKey: (_peer, fp) => ({
        needsApproval: this.knownKeys.size > 0 && !this.knownKeys.has(fp),
        changedFromVerified: [...this.knownKeys].some((k) => this.verified.has(k)),
      }),
      smpTrust: async (_peer, fp, change) => {
        if (change === 'verify') this.verified.add(fp);
        else this.verified.delete(fp);
      },
      random: deterministicRandom(seed),
      now: () => 1_000,
    });
  }

  /** Resolves when a notice of `kind` is (or was) written. */
  noticed(kind: NoticeKind): Promise<void> {
    if (this.notices.some((n) => n.kind === kind)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ match: (n) => n.kind === kind, resolve }));
  }

  kinds(): (NoticeKind | undefined)[] {
    return this.notices.map((n) => n.kind);
  }
}

async function privatePair(): Promise<{ alice: Side; bob: Side }> {
  const alice = new Side(ALICE, identity(0x1111), 'alice');
  const bob = new Side(BOB, identity(0x2222), 'bob');
  alice.other = bob;
  bob.other = alice;
  await alice.chats.start(BOB);
  await Promise.all([alice.noticed('private-started-unverified'), bob.noticed('private-started-unverified')]);
  assert.equal(alice.chats.privacy(BOB), 'private');
  return { alice, bob };
}

test('our own connection ends: "you went offline", never "the contact went offline"', async () => {
  const { alice } = await privatePair();
  await alice.chats.disconnected();
  assert.deepEqual(
    alice.notices.filter((n) => n.kind === 'own-offline').map((n) => [n.peer, n.text]),
    [[BOB, 'You went offline; the private conversation has ended.']],
  );
  // The server's late word that the contact's resource is gone changes nothing and says nothing more.
  await alice.chats.resourceOffline(`${BOB}/laptop`);
  assert.ok(!alice.kinds().includes('peer-offline'), 'the contact did not go offline: we did');
  assert.equal(alice.chats.privacy(BOB), 'finished', 'nothing goes out in plaintext until the user decides');
  // A conversation that was not private ends without a word.
  const before = alice.notices.length;
  await alice.chats.disconnected();
  assert.equal(alice.notices.length, before);

  // And when the contact really goes offline, that is what the chat says.
  const other = await privatePair();
  await other.alice.chats.resourceOffline(`${BOB}/laptop`);
  assert.ok(other.alice.kinds().includes('peer-offline'));
  assert.ok(!other.alice.kinds().includes('own-offline'));
});

test('verifying, unverifying and forgetting by fingerprint each write a notice into that contact’s chat', async () => {
  const { alice } = await privatePair();
  const theirs = alice.chats.details(BOB).fingerprint!;
  alice.verified.add(theirs);
  await alice.chats.trustChangedByUser(BOB, theirs, 'verified');
  assert.equal(alice.chats.privacy(BOB), 'private-verified');
  alice.verified.delete(theirs);
  await alice.chats.trustChangedByUser(BOB, theirs, 'unverified');
  assert.equal(alice.chats.privacy(BOB), 'private');
  await alice.chats.trustChangedByUser(BOB, theirs, 'forgotten');
  const trust = alice.notices.filter((n) => n.kind === 'verified-by-fingerprint' || n.kind === 'unverified-by-fingerprint' || n.kind === 'key-forgotten');
  assert.deepEqual(
    trust.map((n) => [n.peer, n.kind, n.detail]),
    [
      [BOB, 'verified-by-fingerprint', theirs],
      [BOB, 'unverified-by-fingerprint', theirs],
      [BOB, 'key-forgotten', theirs],
    ],
  );
  assert.match(trust[0]!.text, /You verified bob@example\.test's key [0-9A-F ]{44} by comparing fingerprints\./);
});

test('a new key: the old "verified" result goes, and accepting the key is a notice', async () => {
  const { alice, bob } = await privatePair();
  // Alice authenticates Bob with a shared secret: Bob's first key is verified.
  await alice.chats.startSmp(BOB, 'blue-whale', undefined);
  await bob.noticed('smp-secret');
  const asked = bob.chats.details(ALICE).smp;
  await bob.chats.respondSmp(ALICE, asked?.phase === 'asked' ? asked.id : '', 'blue-whale');
  await alice.noticed('smp-verified');
  assert.equal(alice.chats.details(BOB).smp?.phase, 'succeeded');

  // Bob comes back on a new device: a new key, which Alice has not seen.
  bob.id = identity(0x3333);
  bob.make('bob-2');
  await alice.chats.disconnected(); // the old conversation is gone
  await bob.chats.start(ALICE);
  await alice.noticed('new-key-after-verified');
  const warned = alice.chats.details(BOB);
  assert.ok(warned.keyWarning, 'the new key waits for Alice');
  assert.equal(warned.smp, undefined, 'the result about the old key is not shown beside the warning');
  assert.equal(alice.chats.privacy(BOB), 'private', 'and the header does not say verified');

  assert.equal(await alice.chats.acceptKey(BOB, warned.keyWarning.fingerprint), true);
  const accepted = alice.notices.filter((n) => n.kind === 'key-accepted');
  assert.deepEqual(accepted.map((n) => [n.peer, n.detail]), [[BOB, warned.keyWarning.fingerprint]], 'accepting is in the log');
  assert.equal(alice.chats.details(BOB).keyWarning, undefined);
});

test('verifying a waiting new key by fingerprint accepts it (the warning does not stay beside "verified")', async () => {
  const { alice, bob } = await privatePair();
  bob.id = identity(0x4444);
  bob.make('bob-3');
  await alice.chats.disconnected();
  await bob.chats.start(ALICE);
  await alice.noticed('new-key');
  const waiting = alice.chats.details(BOB).keyWarning!;
  alice.verified.add(waiting.fingerprint);
  await alice.chats.trustChangedByUser(BOB, waiting.fingerprint, 'verified');
  assert.equal(alice.chats.details(BOB).keyWarning, undefined);
  assert.equal(alice.chats.privacy(BOB), 'private-verified');
  assert.ok(!alice.kinds().includes('key-accepted'), 'verified, not accepted unverified');
});
