/**
 * The persistent outbox: durable before sending, encrypted at rest, atomic, and a damaged
 * file reported and never written over (the messages in it are not lost).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutboxStore, type OutboxEntry } from '../../electron/core/store/outbox-store.js';
import { FileKeySecretBox, type SecretBox } from '../../electron/core/store/secret-box.js';

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function setUp(): Promise<{ dir: string; file: string; box: SecretBox }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-outbox-'));
  folders.push(dir);
  return { dir, file: OutboxStore.fileInProfile(dir, 'acc-1'), box: await FileKeySecretBox.open(path.join(dir, 'key')) };
}

const entry = (id: string, extra: Partial<OutboxEntry> = {}): OutboxEntry => ({
  id,
  peer: 'bob@example.com',
  body: `secret text ${id}`,
  timestamp: 1_700_000_000_000,
  private: false,
  ...extra,
});

describe('outbox store', () => {
  test('an added message is on disk when add() resolves, encrypted, and comes back after a restart', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 10_000 });
    // An id that random base64 cannot spell by chance (a two-letter one did, now and then).
    await store.add(entry('message-one', { private: true }));
    const raw = await fs.readFile(file, 'utf8');
    assert.doesNotMatch(raw, /secret text|bob@example|message-one/, 'nothing readable at rest');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    // No close(): as if the app was killed right after sending.
    const again = await OutboxStore.open(file, box);
    assert.deepEqual(again.entries(), [entry('message-one', { private: true })]);
  });

  test('removal and failure marks are written with the next write; order is kept', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 10 });
    for (const id of ['a', 'b', 'c']) await store.add(entry(id));
    store.remove('b');
    store.setFailed('c', 'not private');
    await store.close();
    const again = await OutboxStore.open(file, box);
    assert.deepEqual(
      again.entries().map((e) => [e.id, e.failed]),
      [
        ['a', undefined],
        ['c', 'not private'],
      ],
    );
    again.setFailed('c', undefined);
    assert.equal(again.get('c')?.failed, undefined);
  });

  test('a private message the server has (waiting for the contact\'s receipt) and the contacts that send receipts survive a restart', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 10 });
    await store.add(entry('p', { private: true }));
    await store.add(entry('q', { private: true }));
    store.setOnServer('p', true);
    store.setConfirms('bob@example.com', true);
    store.setConfirms('carol@example.com', true);
    store.setConfirms('carol@example.com', false);
    await store.close();
    const again = await OutboxStore.open(file, box);
    assert.deepEqual(
      again.entries().map((e) => [e.id, e.onServer]),
      [
        ['p', true],
        ['q', undefined],
      ],
    );
    assert.equal(again.confirms('bob@example.com'), true);
    assert.equal(again.confirms('carol@example.com'), false);
    // Sent again (a bounce): it is no longer on the server.
    await again.add(entry('p', { private: true }));
    assert.equal(again.get('p')?.onServer, undefined);
  });

  test('a message removed once kept elsewhere leaves at once, but stays in the file until that is done', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 10 });
    for (const id of ['a', 'b']) await store.add(entry(id));
    let kept = () => {};
    store.remove('a', new Promise<void>((resolve) => (kept = resolve)));
    assert.equal(store.get('a'), undefined, 'gone for the account at once');
    assert.deepEqual(store.entries().map((e) => e.id), ['b']);
    await store.add(entry('c')); // a write meanwhile still holds it: killed now, the restart finds it
    assert.deepEqual((await OutboxStore.open(file, box)).entries().map((e) => e.id), ['a', 'b', 'c']);
    kept();
    await new Promise((r) => setImmediate(r)); // it leaves the file with the next write: close() makes that one now
    await store.close();
    assert.deepEqual((await OutboxStore.open(file, box)).entries().map((e) => e.id), ['b', 'c']);
  });

  test('temp files of interrupted writes are removed on open; other files are not', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box);
    await store.add(entry('a'));
    const dir = path.dirname(file);
    const stale = path.join(dir, `.${path.basename(file)}.0123456789ab.tmp`);
    const foreign = path.join(dir, `.${path.basename(file)}.notours.tmp`);
    await fs.writeFile(stale, 'half a write');
    await fs.writeFile(foreign, 'someone else');
    const again = await OutboxStore.open(file, box);
    assert.deepEqual(again.entries().map((e) => e.id), ['a']);
    await assert.rejects(fs.stat(stale), { code: 'ENOENT' });
    await fs.stat(foreign);
  });

  test('adding the same id again replaces it instead of sending it twice', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box);
    await store.add(entry('x'));
    await store.add(entry('x', { failed: 'no' }));
    assert.equal(store.entries().length, 1);
    assert.equal(store.entries()[0]!.failed, 'no');
  });

  test('received ids are remembered per peer across restarts, bounded', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 10 });
    for (let i = 0; i < 600; i++) store.markSeen('bob@example.com', `id-${i}`);
    store.markSeen('carol@example.com', 'id-1');
    await store.close();
    const again = await OutboxStore.open(file, box);
    assert.equal(again.seen('bob@example.com', 'id-599'), true);
    assert.equal(again.seen('bob@example.com', 'id-0'), false, 'the oldest were let go');
    assert.equal(again.seen('carol@example.com', 'id-1'), true);
    assert.equal(again.seen('carol@example.com', 'id-2'), false);
    assert.equal(again.seen('dave@example.com', 'id-1'), false, 'per peer: another peer may use the same id');
  });

  test('a received id is on disk when markSeen() returns (a kill right after keeps it), encrypted; the next write takes it in', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 60_000 });
    store.markSeen('bob@example.com', 'received-one');
    // Not closed, nothing flushed: as if the app were killed now.
    const journal = await fs.readFile(`${file}.seen`, 'utf8');
    assert.doesNotMatch(journal, /bob@example|received-one/, 'nothing readable at rest');
    await fs.appendFile(`${file}.seen`, 'torn-by-a-crash'); // a line cut short is skipped
    const afterKill = await OutboxStore.open(file, box);
    assert.equal(afterKill.seen('bob@example.com', 'received-one'), true);
    assert.equal(afterKill.seen('bob@example.com', 'torn-by-a-crash'), false);
    await afterKill.close();

    await store.add(entry('m1')); // a write of the outbox file: the journal's ids are in it now
    assert.equal(await fs.readFile(`${file}.seen`, 'utf8'), '', 'the journal starts over');
    store.markSeen('bob@example.com', 'received-two');
    const again = await OutboxStore.open(file, box);
    assert.equal(again.seen('bob@example.com', 'received-one'), true);
    assert.equal(again.seen('bob@example.com', 'received-two'), true);
    await again.close();
    await store.close();
  });

  for (const [what, damage] of [
    ['not JSON', async (file: string) => fs.writeFile(file, '{"version":1,')],
    ['the wrong shape', async (file: string) => fs.writeFile(file, JSON.stringify({ version: 2, data: 1 }))],
    ['not decryptable', async (file: string) => fs.writeFile(file, JSON.stringify({ version: 1, backend: 'file-key', data: Buffer.from('garbage').toString('base64') }))],
  ] as const) {
    test(`a damaged outbox (${what}) is reported, left as it is, and sending goes on in memory`, async () => {
      const { file, box } = await setUp();
      await fs.mkdir(path.dirname(file), { recursive: true });
      await damage(file);
      const before = await fs.readFile(file);
      const store = await OutboxStore.open(file, box);
      assert.match(store.problem ?? '', /outbox .* (damaged|could not be decrypted)/);
      assert.match(store.problem ?? '', /left as it is/);
      await store.add(entry('new'));
      assert.deepEqual(store.entries().map((e) => e.id), ['new'], 'the new message is still kept (in memory)');
      await store.close();
      await store.destroy();
      assert.deepEqual(await fs.readFile(file), before, 'never written over nor removed');
    });
  }

  test('a decryptable file with a malformed entry is damaged, not half-loaded', async () => {
    const { file, box } = await setUp();
    await fs.mkdir(path.dirname(file), { recursive: true });
    const data = box.encrypt(JSON.stringify({ entries: [entry('ok'), { id: 5 }], seen: {} })).toString('base64');
    await fs.writeFile(file, JSON.stringify({ version: 1, backend: box.backend, data }));
    const store = await OutboxStore.open(file, box);
    assert.ok(store.problem);
    assert.deepEqual(store.entries(), []);
  });

  test('without secure storage, add() rejects with why, and the message stays in memory', async () => {
    const { file } = await setUp();
    const none: SecretBox = {
      backend: 'none',
      status: () => ({ available: false, reason: 'no keyring' }),
      encrypt: () => {
        throw new Error('unavailable');
      },
      decrypt: () => {
        throw new Error('unavailable');
      },
    };
    const store = await OutboxStore.open(file, none);
    await assert.rejects(store.add(entry('m')), /kept in memory only.*no keyring/);
    assert.equal(store.entries().length, 1);
    assert.match(store.saveError ?? '', /no keyring/);
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });
  });
});
