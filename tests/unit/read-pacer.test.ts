/**
 * Incoming data is handed to the stream's parser a slice per event-loop turn while more waits, so that a
 * burst (presences of thousands of contacts, a large roster) never holds the main process for long.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ReadPacer, SLICE_BYTES, type PacedSource } from '../../electron/core/xmpp/read-pacer.js';
import { SecureSocket } from '../../electron/core/xmpp/secure-transport.js';
import { createTestCa } from '../fixtures/ca.js';

/** Counts event-loop turns: `turn()` is the number of the current one. */
function turnCounter(): { turn: () => number; stop: () => void } {
  let turn = 0;
  let immediate: NodeJS.Immediate;
  const tick = () => {
    turn++;
    immediate = setImmediate(tick);
  };
  immediate = setImmediate(tick);
  return { turn: () => turn, stop: () => clearImmediate(immediate) };
}

function fakeSource(): PacedSource & { log: string[] } {
  const log: string[] = [];
  return { log, pause: () => log.push('pause'), resume: () => log.push('resume') };
}

/** Until `done()` holds (the pacer's later turns ran), however slowly a loaded machine runs them; then one more pause. */
async function settle(done: () => boolean = () => true): Promise<void> {
  const end = Date.now() + 20_000;
  while (!done() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 20)); // nothing more may come after
}

describe('ReadPacer', () => {
  test('a small read is handed on at once, in the same turn', () => {
    const got: Buffer[] = [];
    const pacer = new ReadPacer((slice) => got.push(slice), () => null);
    pacer.data(Buffer.from('<message/>'));
    assert.equal(Buffer.concat(got).toString(), '<message/>');
  });

  test('a large read goes on a slice per turn, in order and whole; the source waits meanwhile', async () => {
    const turns = turnCounter();
    const source = fakeSource();
    const got: { turn: number; bytes: Buffer }[] = [];
    const pacer = new ReadPacer((slice) => got.push({ turn: turns.turn(), bytes: slice }), () => source);
    const read = Buffer.from(Array.from({ length: 10 * SLICE_BYTES + 5 }, (_, i) => i % 251));
    pacer.data(read);
    assert.equal(got.length, 1, 'the first slice at once');
    await settle(() => got.reduce((n, g) => n + g.bytes.length, 0) >= read.length && source.log.length >= 2);
    turns.stop();
    assert.deepEqual(Buffer.concat(got.map((g) => g.bytes)), read);
    assert.equal(got.length, 11);
    assert.ok(got.every((g) => g.bytes.length <= SLICE_BYTES));
    assert.equal(new Set(got.map((g) => g.turn)).size, got.length, 'one slice per turn');
    assert.deepEqual(source.log, ['pause', 'resume']);
  });

  test('many small reads in one turn share one slice of that turn', async () => {
    const turns = turnCounter();
    const perTurn = new Map<number, number>();
    const pacer = new ReadPacer((slice) => perTurn.set(turns.turn(), (perTurn.get(turns.turn()) ?? 0) + slice.length), () => null);
    for (let i = 0; i < 300; i++) pacer.data(Buffer.alloc(200, 0x61));
    await settle(() => [...perTurn.values()].reduce((a, b) => a + b, 0) >= 300 * 200);
    turns.stop();
    assert.equal([...perTurn.values()].reduce((a, b) => a + b, 0), 300 * 200);
    assert.ok(Math.max(...perTurn.values()) <= SLICE_BYTES, `at most a slice per turn, got ${Math.max(...perTurn.values())}`);
  });

  test('close waits behind the data read before it; discard drops the data, not the close', async () => {
    const order: string[] = [];
    const pacer = new ReadPacer((slice) => order.push(`data ${slice.length}`), () => null);
    pacer.data(Buffer.alloc(SLICE_BYTES * 2));
    pacer.after(() => order.push('close'));
    assert.deepEqual(order, [`data ${SLICE_BYTES}`]);
    await settle(() => order.includes('close'));
    assert.deepEqual(order, [`data ${SLICE_BYTES}`, `data ${SLICE_BYTES}`, 'close']);

    const dropped: string[] = [];
    const abandoned = new ReadPacer((slice) => dropped.push(`data ${slice.length}`), () => null);
    abandoned.data(Buffer.alloc(SLICE_BYTES * 3));
    abandoned.after(() => dropped.push('close'));
    abandoned.discard();
    await settle(() => dropped.includes('close'));
    assert.deepEqual(dropped, [`data ${SLICE_BYTES}`, 'close']);
  });
});

describe('SecureSocket', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  test('a burst from the server reaches the stream a slice per turn, whole and in order, then the close', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-read-pacer-'));
    dirs.push(dir);
    const ca = await createTestCa(dir);
    const cert = await ca.issueServerCert('pacer.test');
    // 2,000 presences in one write: what a server sends after sign-in, read as a few 16 KiB TLS records.
    const burst = Buffer.from(Array.from({ length: 2_000 }, (_, i) => `<presence from='c${i}@pacer.test/r' type='unavailable'/>`).join(''));
    const server = tls.createServer({ cert: cert.certPem, key: cert.keyPem }, (socket) => socket.end(burst));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const socket = new SecureSocket('pacer.test', { kind: 'verified', extraAnchors: [ca.caCertPem] });
      const turns = turnCounter();
      const perTurn = new Map<number, number>();
      const received: Buffer[] = [];
      let receivedAtClose = -1;
      const closed = new Promise<void>((resolve) => {
        socket.on('close', () => {
          receivedAtClose = Buffer.concat(received).length;
          resolve();
        });
      });
      socket.on('data', (data: Buffer) => {
        received.push(data);
        perTurn.set(turns.turn(), (perTurn.get(turns.turn()) ?? 0) + data.length);
      });
      socket.on('error', () => undefined);
      socket.connect({ host: '127.0.0.1', port });
      await closed;
      turns.stop();
      assert.equal(Buffer.concat(received).toString(), burst.toString());
      assert.equal(receivedAtClose, burst.length, 'close only after all the data');
      assert.ok(Math.max(...perTurn.values()) <= SLICE_BYTES, `at most ${SLICE_BYTES} bytes a turn, got ${Math.max(...perTurn.values())}`);
    } finally {
      server.close();
    }
  });
});
