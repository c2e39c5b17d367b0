// Key rotation off the message's path (dh-pool.ts, data-keys.ts warmSoon): pooled key pairs are each handed
// out once, the pool refills in a later turn and ends with the conversation; two rotating key states still
// read each other, and once the later turns have run, sealing and opening a message neither generates a key
// pair nor computes a shared secret.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DataKeyState } from '../../electron/core/otr/data-keys.js';
import { decodePlaintext, encodePlaintext, parseDataMessage } from '../../electron/core/otr/data-message.js';
import { DhKeyPair } from '../../electron/core/otr/dh.js';
import { DhKeyPairPool } from '../../electron/core/otr/dh-pool.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import type { DsaPublicKey } from '../../electron/core/otr/dsa.js';

/** A scheduler whose tasks run only when the test says so. */
function manualScheduler(): { schedule: (task: () => void) => void; runAll: () => number; pending: () => number } {
  const tasks: Array<() => void> = [];
  return {
    schedule: (task) => tasks.push(task),
    runAll: () => {
      let ran = 0;
      while (tasks.length > 0) {
        tasks.shift()?.();
        ran++;
      }
      return ran;
    },
    pending: () => tasks.length,
  };
}

describe('DhKeyPairPool', () => {
  function recordingMaker(): { make: () => DhKeyPair; made: DhKeyPair[] } {
    const made: DhKeyPair[] = [];
    return { made, make: () => made[made.push(DhKeyPair.generate(secureRandom)) - 1] as DhKeyPair };
  }

  test('a pair is handed out once: every take gives a different pair, pooled or made on the spot', () => {
    const { make } = recordingMaker();
    const later = manualScheduler();
    const pool = new DhKeyPairPool(make, later.schedule);
    const taken: DhKeyPair[] = [];
    for (let i = 0; i < 6; i++) {
      taken.push(pool.take());
      if (i % 2 === 0) later.runAll(); // sometimes the refill ran before the next take, sometimes not
    }
    assert.equal(new Set(taken).size, taken.length);
    assert.equal(new Set(taken.map((p) => p.publicKey)).size, taken.length);
    for (const p of taken) assert.equal(p.wiped, false);
  });

  test('take empties the pool, the refill comes in a later turn, and the pool never holds more than its capacity', () => {
    const { make, made } = recordingMaker();
    const later = manualScheduler();
    const pool = new DhKeyPairPool(make, later.schedule);
    assert.equal(pool.size, 0);
    const first = pool.take();
    assert.equal(made.length, 1, 'nothing ready: made on the spot');
    assert.equal(pool.size, 0, 'the refill waits for a later turn');
    assert.equal(later.pending(), 1);
    pool.refillSoon(); // asking again while a refill is pending schedules nothing more
    assert.equal(later.pending(), 1);
    later.runAll();
    assert.equal(pool.size, 1);
    assert.equal(made.length, 2);
    pool.refillSoon();
    assert.equal(later.pending(), 0, 'full: nothing to do');
    const second = pool.take();
    assert.equal(second, made[1], 'the pooled pair is the one handed out');
    assert.notEqual(second, first);
    assert.equal(pool.size, 0);
    later.runAll();
    assert.equal(pool.size, 1);
  });

  test('ends with the conversation: pooled private keys are wiped, a pending refill makes nothing, take refuses', () => {
    const { make, made } = recordingMaker();
    const later = manualScheduler();
    const pool = new DhKeyPairPool(make, later.schedule, 2);
    pool.refillSoon();
    later.runAll();
    assert.equal(pool.size, 2);
    const taken = pool.take(); // schedules a refill
    assert.equal(later.pending(), 1);
    pool.wipe();
    assert.equal(pool.size, 0);
    for (const p of made) if (p !== taken) assert.equal(p.wiped, true, 'a pooled pair outlived the conversation');
    assert.equal(taken.wiped, false, 'the pair in use is its owner’s to wipe');
    const madeBefore = made.length;
    later.runAll();
    assert.equal(made.length, madeBefore, 'a refill after the end made a key');
    assert.throws(() => pool.take(), /wiped/);
  });

  test('a failing random source fails in take, where the caller reports it, not in the later turn', () => {
    let fail = false;
    const later = manualScheduler();
    const pool = new DhKeyPairPool(() => {
      if (fail) throw new Error('no randomness');
      return DhKeyPair.generate(secureRandom);
    }, later.schedule);
    pool.take();
    fail = true;
    assert.doesNotThrow(() => later.runAll());
    assert.throws(() => pool.take(), /no randomness/);
  });
});

describe('DataKeyState rotation with the pool', () => {
  const dummyKey = { p: 1n, q: 1n, g: 1n, y: 1n } as unknown as DsaPublicKey;
  const toBob = { version: 3 as const, senderInstance: 0x1111_1111, receiverInstance: 0x2222_2222 };
  const toAlice = { version: 3 as const, senderInstance: 0x2222_2222, receiverInstance: 0x1111_1111 };

  function pair(): { alice: DataKeyState; bob: DataKeyState; later: ReturnType<typeof manualScheduler> } {
    const a = DhKeyPair.generate(secureRandom);
    const b = DhKeyPair.generate(secureRandom);
    const common = { ssid: new Uint8Array(8), theirLongTerm: dummyKey, ourKeyId: 1, theirKeyId: 1 };
    const later = manualScheduler();
    const alice = DataKeyState.fromAke({ ...common, ourDh: a, theirDh: b.publicKey, initiator: true }, secureRandom, later.schedule);
    const bob = DataKeyState.fromAke({ ...common, ourDh: b, theirDh: a.publicKey, initiator: false }, secureRandom, later.schedule);
    return { alice, bob, later };
  }

  function pass(from: DataKeyState, to: DataKeyState, text: string, address = toBob): void {
    const bytes = from.seal(address, 0, encodePlaintext(text, [])).bytes;
    const opened = to.open(parseDataMessage(bytes));
    assert.ok(opened.ok, `open failed: ${opened.ok ? '' : opened.reason}`);
    assert.equal(decodePlaintext(opened.plaintext).text, text);
  }

  test('the two sides keep reading each other whether the later turns ran or not, and each rotation announces a new key', () => {
    const { alice, bob, later } = pair();
    const announced = new Set<bigint>();
    for (let i = 0; i < 12; i++) {
      const [from, to, address] = i % 2 === 0 ? [alice, bob, toBob] : [bob, alice, toAlice];
      const bytes = from.seal(address, 0, encodePlaintext(`m${i}`, [])).bytes;
      const msg = parseDataMessage(bytes);
      announced.add(msg.nextDh);
      const opened = to.open(msg);
      assert.ok(opened.ok, `message ${i}: ${opened.ok ? '' : opened.reason}`);
      assert.equal(decodePlaintext(opened.plaintext).text, `m${i}`);
      assert.ok(alice.sessionCount <= 4 && bob.sessionCount <= 4);
      if (i % 3 !== 2) later.runAll(); // every third message arrives before the later turns ran
    }
    assert.ok(announced.size >= 10, `keys rotated ${announced.size} times`);
    assert.ok(alice.keyIds.ourKeyId >= 6 && bob.keyIds.ourKeyId >= 6);
  });

  test('our next key pair is the pooled one, taken when a message of ours names it; the pool refills afterwards and ends with the conversation', () => {
    const { alice, bob, later } = pair();
    assert.equal(alice.pooledKeyPairs, 0, 'not made in the AKE’s last step');
    later.runAll();
    assert.equal(alice.pooledKeyPairs, 1, 'made in a later turn');
    pass(alice, bob, 'hello'); // names alice's key 2
    assert.equal(alice.pooledKeyPairs, 0, 'key 2 is the pooled pair');
    later.runAll();
    assert.equal(alice.pooledKeyPairs, 1, 'refilled in a later turn');
    pass(bob, alice, 'hi', toAlice); // addressed to alice's newest key: alice rotates
    assert.equal(alice.keyIds.ourKeyId, 3);
    pass(alice, bob, 'again'); // names alice's key 3
    assert.equal(alice.pooledKeyPairs, 0, 'key 3 is the pooled pair');
    later.runAll();
    assert.equal(alice.pooledKeyPairs, 1);
    alice.wipe();
    assert.equal(alice.pooledKeyPairs, 0);
    assert.doesNotThrow(() => later.runAll());
    assert.equal(alice.pooledKeyPairs, 0, 'nothing is made after the end');
  });

  test('once the later turns ran, seal and open of a chat (alternating senders) generate no key pair and compute no shared secret', (t) => {
    const { alice, bob, later } = pair();
    later.runAll();
    const generate = t.mock.method(DhKeyPair, 'generate');
    const sharedSecret = t.mock.method(DhKeyPair.prototype, 'sharedSecret');
    for (let i = 0; i < 8; i++) {
      const [from, to, address] = i % 2 === 0 ? [alice, bob, toBob] : [bob, alice, toAlice];
      generate.mock.resetCalls();
      sharedSecret.mock.resetCalls();
      pass(from, to, `m${i}`, address);
      assert.equal(generate.mock.callCount(), 0, `message ${i}: a key pair was generated on the message's path`);
      assert.equal(sharedSecret.mock.callCount(), 0, `message ${i}: a shared secret was computed on the message's path`);
      later.runAll();
    }
  });
});
