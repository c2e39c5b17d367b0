// The writes of one event-loop turn reach the socket as one write (Nagle's algorithm would hold a
// second small segment back until the first is acknowledged, up to ~40 ms); a trailer goes last.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteCoalescer } from '../../electron/core/xmpp/write-coalescer.js';

function recorder() {
  const writes: string[] = [];
  let fail: Error | undefined;
  const target = {
    write(data: string, callback: (error?: Error | null) => void) {
      writes.push(data);
      setImmediate(() => callback(fail));
    },
  };
  return { writes, target, failNext: (error: Error) => (fail = error) };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WriteCoalescer', () => {
  test('writes of one turn, also from promise jobs, go out as one write in order', async () => {
    const { writes, target } = recorder();
    const coalescer = new WriteCoalescer(() => target);
    coalescer.write('<message id="1"/>');
    await Promise.resolve();
    coalescer.write('<message id="2"/>');
    assert.deepEqual(writes, [], 'nothing is written before the turn ends');
    await turn();
    assert.deepEqual(writes, ['<message id="1"/><message id="2"/>']);
    coalescer.write('<presence/>');
    await turn();
    assert.deepEqual(writes, ['<message id="1"/><message id="2"/>', '<presence/>'], 'a later turn is a later write');
  });

  test('a trailer runs as the batch goes out, and what it writes is last in the same write', async () => {
    const { writes, target } = recorder();
    const coalescer = new WriteCoalescer(() => target);
    coalescer.write('<message id="1"/>');
    coalescer.beforeFlush(() => coalescer.write('<r/>'));
    coalescer.write('<message id="2"/>');
    await turn();
    assert.deepEqual(writes, ['<message id="1"/><message id="2"/><r/>']);
  });

  test('every writer hears when its batch was written, or that it failed', async () => {
    const { target, failNext } = recorder();
    const coalescer = new WriteCoalescer(() => target);
    const done = (data: string) => new Promise<Error | null | undefined>((resolve) => coalescer.write(data, resolve));
    const [first, second] = await Promise.all([done('a'), done('b')]);
    assert.equal(first, undefined);
    assert.equal(second, undefined);
    failNext(new Error('EPIPE'));
    assert.equal((await done('c'))?.message, 'EPIPE');
  });

  test('flush writes at once (before the socket ends); discard drops and fails what waits', async () => {
    const { writes, target } = recorder();
    const coalescer = new WriteCoalescer(() => target);
    coalescer.write('</stream:stream>');
    coalescer.flush();
    assert.deepEqual(writes, ['</stream:stream>']);
    const failed = new Promise<Error | null | undefined>((resolve) => coalescer.write('<message/>', resolve));
    coalescer.discard(new Error('socket is closed'));
    assert.equal((await failed)?.message, 'socket is closed');
    await turn();
    assert.deepEqual(writes, ['</stream:stream>'], 'nothing discarded is written later');
  });

  test('without a socket, writers hear that it is closed', async () => {
    const coalescer = new WriteCoalescer(() => null);
    const result = await new Promise<Error | null | undefined>((resolve) => coalescer.write('<message/>', resolve));
    assert.equal(result?.message, 'socket is closed');
  });
});
