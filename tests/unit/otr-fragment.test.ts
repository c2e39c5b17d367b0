/**
 * OTR fragmentation (Protocol-v3 "Fragmentation"): libotr's format on the
 * way out, the spec's reassembly rules on the way in, bounded memory.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  FragmentReassembler,
  fragmentMessage,
  isFragment,
  parseFragment,
  type Fragment,
} from '../../electron/core/otr/fragment.js';
import { OtrParseError } from '../../electron/core/otr/wire.js';

const SPEC_MESSAGE =
  '?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hbrL3KAbGDdzE2ZkMyTKl7XfkSxh8YJnudstiB74i4BzT0W2haClg6dMary/jo9sMudwmUdlnKpIGEKXWdvJKT+hQ26h9nzMgEditLB8vjPEWAJ6gBXvZrY6ZQrx3gb4v0UaSMOMiR5sB7Eaulb2Yc6RmRnnlxgUUC2alosg4WIeFN951PLjScajVba6dqlDi+q1H5tPvI5SWMN7PCBWIJ41+WvF+5IAZzQZYgNaVLbAAAAAAAAAAEAAAAHwNiIi5Ms+4PsY/L2ipkTtquknfx6HodLvk3RAAAAAA==.';

const SPEC_FRAGMENTS = [
  '?OTR|5a73a599|27e31597,00001,00003,?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA1g5IjD1ZGLDVQEyCgCyn9hbrL3KAbGDdzE2ZkMyTKl7XfkSxh8YJnudstiB74i4BzT0W2haClg6dMary/jo9sMudwmUdlnKpIGEKXWdvJKT+hQ26h9nzMgEditLB8v,',
  '?OTR|5a73a599|27e31597,00002,00003,jPEWAJ6gBXvZrY6ZQrx3gb4v0UaSMOMiR5sB7Eaulb2Yc6RmRnnlxgUUC2alosg4WIeFN951PLjScajVba6dqlDi+q1H5tPvI5SWMN7PCBWIJ41+WvF+5IAZzQZYgNaVLbAAAAAAAAAAEAAAAHwNiIi5Ms+4PsY/L2i,',
  '?OTR|5a73a599|27e31597,00003,00003,pkTtquknfx6HodLvk3RAAAAAA==.,',
];

function frag(k: number, n: number, piece: string, sender = 0x1234): Fragment {
  return { version: 3, senderInstance: sender, receiverInstance: 0x5678, k, n, piece };
}

describe('outgoing fragments', () => {
  test('reproduces the spec example byte for byte', () => {
    const pieceSize = SPEC_FRAGMENTS[0]!.length - 36;
    const out = fragmentMessage(SPEC_MESSAGE, { version: 3, senderInstance: 0x5a73a599, receiverInstance: 0x27e31597, maxSize: pieceSize + 36 });
    assert.deepEqual(out, SPEC_FRAGMENTS);
  });

  test('every fragment fits maxSize, pieces are non-empty and rejoin to the message', () => {
    for (const maxSize of [37, 40, 100, 199]) {
      const out = fragmentMessage(SPEC_MESSAGE, { version: 3, senderInstance: 0x100, receiverInstance: 0, maxSize });
      assert.ok(out.every((f) => f.length <= maxSize), `maxSize ${maxSize}`);
      const pieces = out.map((f) => parseFragment(f));
      assert.ok(pieces.every((p) => p.piece.length > 0 && p.n === out.length));
      assert.equal(pieces.map((p) => p.piece).join(''), SPEC_MESSAGE);
      assert.match(out[0]!, /^\?OTR\|00000100\|00000000,00001,\d{5},/);
    }
  });

  test('v2 fragments have no instance tags', () => {
    const out = fragmentMessage(SPEC_MESSAGE, { version: 2, senderInstance: 0, receiverInstance: 0, maxSize: 60 });
    assert.match(out[0]!, /^\?OTR,00001,\d{5},\?OTR:/);
    assert.ok(out.every((f) => f.length <= 60));
    assert.equal(out.map((f) => parseFragment(f).piece).join(''), SPEC_MESSAGE);
  });

  test('a message that fits is not fragmented; an impossible size throws', () => {
    assert.deepEqual(fragmentMessage('?OTR:AAMD.', { version: 3, senderInstance: 0x100, receiverInstance: 0, maxSize: 10 }), ['?OTR:AAMD.']);
    assert.throws(() => fragmentMessage(SPEC_MESSAGE, { version: 3, senderInstance: 0x100, receiverInstance: 0, maxSize: 36 }), RangeError);
  });
});

describe('parsing fragments', () => {
  test('spec example and libotr variants (leading zeros optional)', () => {
    assert.deepEqual(parseFragment(SPEC_FRAGMENTS[2]!), {
      version: 3,
      senderInstance: 0x5a73a599,
      receiverInstance: 0x27e31597,
      k: 3,
      n: 3,
      piece: 'pkTtquknfx6HodLvk3RAAAAAA==.',
    });
    assert.deepEqual(parseFragment('?OTR|100|0,1,2,abc,'), { version: 3, senderInstance: 0x100, receiverInstance: 0, k: 1, n: 2, piece: 'abc' });
    assert.deepEqual(parseFragment('?OTR,2,2,xyz,'), { version: 2, senderInstance: 0, receiverInstance: 0, k: 2, n: 2, piece: 'xyz' });
    assert.ok(isFragment(SPEC_FRAGMENTS[0]!));
    assert.ok(!isFragment(SPEC_MESSAGE));
  });

  test('malformed fragments throw', () => {
    for (const bad of ['?OTR|zz|0,1,1,a,', '?OTR|100|0,1,1,,', '?OTR|100|0,1,1,a', '?OTR,1,70000,a,', '?OTR|100|0,x,1,a,', '?OTR|123456789|0,1,1,a,']) {
      assert.throws(() => parseFragment(bad), OtrParseError, bad);
    }
  });
});

describe('reassembly', () => {
  test('in-order pieces give back the message', () => {
    const r = new FragmentReassembler();
    const parsed = SPEC_FRAGMENTS.map((f) => parseFragment(f));
    assert.equal(r.accept(parsed[0]!), undefined);
    assert.equal(r.accept(parsed[1]!), undefined);
    assert.equal(r.accept(parsed[2]!), SPEC_MESSAGE);
    assert.equal(r.bufferedChars, 0);
  });

  test('a single-piece message (1 of 1) completes at once', () => {
    assert.equal(new FragmentReassembler().accept(frag(1, 1, 'whole')), 'whole');
  });

  test('out-of-order fragments are dropped: k must be K+1 with the same n', () => {
    const r = new FragmentReassembler();
    r.accept(frag(1, 3, 'a'));
    assert.equal(r.accept(frag(3, 3, 'c')), undefined); // skipped k=2: forget
    assert.equal(r.accept(frag(2, 3, 'b')), undefined); // nothing stored any more
    assert.equal(r.bufferedChars, 0);
    r.accept(frag(1, 3, 'a'));
    assert.equal(r.accept(frag(2, 4, 'b')), undefined); // n changed: forget
    assert.equal(r.bufferedChars, 0);
    r.accept(frag(1, 2, 'a'));
    assert.equal(r.accept(frag(1, 2, 'x')), undefined); // k == 1 starts over
    assert.equal(r.accept(frag(2, 2, 'y')), 'xy');
  });

  test('duplicated fragment breaks the sequence', () => {
    const r = new FragmentReassembler();
    r.accept(frag(1, 3, 'a'));
    r.accept(frag(2, 3, 'b'));
    assert.equal(r.accept(frag(2, 3, 'b')), undefined);
    assert.equal(r.accept(frag(3, 3, 'c')), undefined);
  });

  test('illegal fragments (k = 0, n = 0, k > n) are discarded without touching the stored one', () => {
    const r = new FragmentReassembler();
    r.accept(frag(1, 2, 'a'));
    assert.equal(r.accept(frag(0, 2, 'z')), undefined);
    assert.equal(r.accept(frag(3, 2, 'z')), undefined);
    assert.equal(r.accept(frag(1, 0, 'z')), undefined);
    assert.equal(r.accept(frag(2, 2, 'b')), 'ab');
  });

  test('senders are reassembled independently', () => {
    const r = new FragmentReassembler();
    r.accept(frag(1, 2, 'A1', 0x100));
    r.accept(frag(1, 2, 'B1', 0x200));
    assert.equal(r.accept(frag(2, 2, 'B2', 0x200)), 'B1B2');
    assert.equal(r.accept(frag(2, 2, 'A2', 0x100)), 'A1A2');
  });

  test('a flood of fragments never grows memory beyond the cap', () => {
    const r = new FragmentReassembler({ maxBufferedChars: 10_000, maxSenders: 4, maxFragments: 1000 });
    const piece = 'x'.repeat(500);
    let peak = 0;
    for (let i = 0; i < 5000; i++) {
      const sender = 0x100 + (i % 50);
      const k = Math.floor(i / 50) + 1;
      r.accept(frag(k, 65535, piece, sender)); // n beyond maxFragments: dropped
      r.accept(frag(k, 1000, piece, sender)); // in order per sender until the size cap
      peak = Math.max(peak, r.bufferedChars);
      assert.ok(r.senderCount <= 4);
    }
    assert.ok(peak <= 4 * 10_000, `peak ${peak}`);
    // One endless in-order message from one sender: dropped once it passes the cap.
    const one = new FragmentReassembler({ maxBufferedChars: 10_000 });
    for (let k = 1; k <= 4000; k++) {
      assert.equal(one.accept(frag(k, 4000, piece)), undefined);
      assert.ok(one.bufferedChars <= 10_000);
    }
  });

  test('a partial message expires: a late piece does not complete it, and expire() frees it without one', () => {
    let now = 1_000_000;
    const r = new FragmentReassembler({ maxIdleMs: 90_000 }, () => now);
    r.accept(frag(1, 3, 'a'));
    now += 60_000;
    assert.equal(r.accept(frag(2, 3, 'b')), undefined, 'within the limit: kept');
    now += 89_999;
    r.expire();
    assert.equal(r.senderCount, 1, 'the limit counts from the last piece');
    now += 1;
    assert.equal(r.accept(frag(3, 3, 'c')), undefined, 'too late: the message is gone');
    assert.equal(r.senderCount, 0);
    assert.equal(r.bufferedChars, 0);

    r.accept(frag(1, 2, 'A', 0x100));
    now += 30_000;
    r.accept(frag(1, 2, 'B', 0x200));
    now += 60_000;
    r.expire(); // no fragment needed: the conversation's timer calls this
    assert.equal(r.senderCount, 1, "only 0x100's partial message was idle for 90 s");
    assert.equal(r.accept(frag(2, 2, 'B2', 0x200)), 'BB2');
    assert.equal(r.bufferedChars, 0);
  });

  test('a new fragment sequence drops the partial one', () => {
    const r = new FragmentReassembler();
    r.accept(frag(1, 3, 'old1'));
    r.accept(frag(2, 3, 'old2'));
    assert.equal(r.accept(frag(1, 2, 'new1')), undefined);
    assert.equal(r.bufferedChars, 4, 'only the new first piece is kept');
    assert.equal(r.accept(frag(3, 3, 'old3')), undefined);
    r.accept(frag(1, 2, 'new1'));
    assert.equal(r.accept(frag(2, 2, 'new2')), 'new1new2');
  });

  test('clear() forgets stored fragments', () => {
    const r = new FragmentReassembler();
    r.accept(frag(1, 2, 'a', 0x100));
    r.accept(frag(1, 2, 'b', 0x200));
    r.clear(0x100);
    assert.equal(r.accept(frag(2, 2, 'x', 0x100)), undefined);
    r.clear();
    assert.equal(r.accept(frag(2, 2, 'x', 0x200)), undefined);
    assert.equal(r.senderCount, 0);
  });
});
