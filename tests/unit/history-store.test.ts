/**
 * The encrypted chat history: round trip, bounds, write coalescing, atomic
 * writes, and files it must never write over (damaged, other key).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatMessage } from '../../shared/contract.js';
import { HistoryStore, INTERRUPTED_ERROR } from '../../electron/core/store/history-store.js';
import { FileKeySecretBox, type SecretBox } from '../../electron/core/store/secret-box.js';

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-history-'));
  folders.push(dir);
  return dir;
}

async function setUp(): Promise<{ dir: string; file: string; box: SecretBox }> {
  const dir = await tempDir();
  return { dir, file: HistoryStore.fileInProfile(dir, 'acc-1'), box: await FileKeySecretBox.open(path.join(dir, 'key')) };
}

let clock = 1_700_000_000_000;
const msg = (body: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id: `id-${body}`,
  peer: 'bob@example.com',
  direction: 'in',
  body,
  timestamp: clock++,
  state: 'received',
  ...extra,
});

/** A box that cannot store anything (Linux without a keyring). */
const lockedBox: SecretBox = {
  backend: 'safeStorage:basic_text',
  status: () => ({ available: false, reason: 'no keyring' }),
  encrypt: () => {
    throw new Error('locked');
  },
  decrypt: () => {
    throw new Error('locked');
  },
};

describe('HistoryStore', () => {
  test('what is put comes back after reopening, in time order, per chat', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    const first = msg('first');
    const second = msg('second', { direction: 'out', state: 'sent' });
    store.put(second);
    store.put(first);
    store.put(msg('carol', { peer: 'carol@example.com' }));
    store.put({ ...second, state: 'delivered' }); // a state change replaces
    await store.close();

    const again = await HistoryStore.open(file, box);
    assert.equal(again.problem, undefined);
    assert.deepEqual(again.chats()['bob@example.com'], [first, { ...second, state: 'delivered' }]);
    assert.equal(again.chats()['carol@example.com']?.length, 1);
  });

  test('a message put durably is on disk when putDurably() returns (a kill right after keeps it), encrypted; the next write takes it in', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { flushDelayMs: 60_000 });
    store.put(msg('batched'));
    const shown = msg('shown-then-killed', { archiveId: 'archive-7' });
    store.putDurably(shown, 'archive-7');
    // Not closed, nothing flushed: as if the app were killed now.
    assert.doesNotMatch(await fs.readFile(`${file}.journal`, 'utf8'), /shown-then-killed|bob@example/, 'nothing readable at rest');
    await fs.appendFile(`${file}.journal`, 'torn-by-a-crash');
    const afterKill = await HistoryStore.open(file, box, { flushDelayMs: 60_000 });
    assert.deepEqual(afterKill.chats()['bob@example.com'], [shown], 'the durable one is back; the batched one was not written yet');
    assert.equal(afterKill.archiveMark, 'archive-7', 'the archive mark that went with it: a restart fetches what came after it');
    await afterKill.close(); // its write takes the journal in
    assert.equal(await fs.readFile(`${file}.journal`, 'utf8'), '');
    const again = await HistoryStore.open(file, box);
    assert.deepEqual(again.chats()['bob@example.com'], [shown]);
    await again.close();
  });

  test('the file holds no readable text: neither messages nor contacts', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('TOP-SECRET-LUNCH-PLAN'));
    await store.close();
    const raw = await fs.readFile(file, 'utf8');
    assert.ok(!raw.includes('TOP-SECRET'));
    assert.ok(!raw.includes('bob@example.com'));
    assert.equal(JSON.parse(raw).backend, 'file-key');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  });

  test('removed messages are gone after reopening', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    const a = msg('a');
    const b = msg('b', { encrypted: true });
    store.put(a);
    store.put(b);
    store.remove(b.peer, b.id, b.direction);
    await store.close();
    assert.deepEqual((await HistoryStore.open(file, box)).chats()['bob@example.com'], [a]);
  });

  test('a message loaded from the file can be removed; one never put is ignored', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { maxPerChat: 3 });
    for (const body of ['l1', 'l2', 'l3', 'l4']) store.put(msg(body));
    await store.close();
    const again = await HistoryStore.open(file, box, { maxPerChat: 3 });
    again.remove('bob@example.com', 'id-l1', 'in'); // trimmed before: not there
    again.remove('bob@example.com', 'id-never', 'in');
    await again.flush();
    assert.equal(again.writes, 0, 'removing what is not there changes nothing');
    again.remove('bob@example.com', 'id-l3', 'in');
    await again.close();
    assert.deepEqual((await HistoryStore.open(file, box)).chats()['bob@example.com']?.map((m) => m.body), ['l2', 'l4']);
  });

  test('each chat keeps only its newest messages', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { maxPerChat: 5 });
    for (let i = 0; i < 8; i++) store.put(msg(`cap-${i}`));
    store.put(msg('other', { peer: 'carol@example.com' }));
    await store.close();
    const chats = (await HistoryStore.open(file, box, { maxPerChat: 5 })).chats();
    assert.deepEqual(chats['bob@example.com']?.map((m) => m.body), ['cap-3', 'cap-4', 'cap-5', 'cap-6', 'cap-7']);
    assert.equal(chats['carol@example.com']?.length, 1, 'the cap is per chat');
  });

  test('1,000 messages in a burst are one write, not 1,000', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { flushDelayMs: 50 });
    for (let i = 0; i < 1_000; i++) store.put(msg(`burst-${i}`));
    assert.equal(store.writes, 0, 'nothing is written synchronously');
    await store.close();
    assert.equal(store.writes, 1);
    assert.equal((await HistoryStore.open(file, box)).chats()['bob@example.com']?.length, 1_000);
  });

  test('changes are written by themselves after the delay', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { flushDelayMs: 10 });
    store.put(msg('timed'));
    // Wait for the coalesced write through its own effect: the file appearing.
    for (let i = 0; i < 200 && store.writes === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(store.writes, 1);
    assert.equal((await HistoryStore.open(file, box)).chats()['bob@example.com']?.[0]?.body, 'timed');
    await store.close();
  });

  test('a message that was on its way when Klatsch stopped comes back as failed, with the reason', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('on-the-way', { direction: 'out', state: 'sending' }));
    await store.close();
    const [m] = (await HistoryStore.open(file, box)).chats()['bob@example.com']!;
    assert.equal(m?.state, 'failed');
    assert.deepEqual(m?.error, INTERRUPTED_ERROR);
  });

  test('a damaged file is reported and never written over', async () => {
    const { file, box } = await setUp();
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{"version":1,"backend":"file-key","da');
    const store = await HistoryStore.open(file, box);
    assert.match(store.problem ?? '', /damaged/);
    assert.match(store.problem ?? '', /left as it is/);
    store.put(msg('not saved'));
    await store.close();
    assert.equal(await fs.readFile(file, 'utf8'), '{"version":1,"backend":"file-key","da');
  });

  test('decrypted content that is not a history is reported as damaged', async () => {
    const { file, box } = await setUp();
    await fs.mkdir(path.dirname(file), { recursive: true });
    const text = JSON.stringify({ version: 1, backend: box.backend, data: box.encrypt('{"chats":{"bob@example.com":[{"id":1}]}}').toString('base64') });
    await fs.writeFile(file, text);
    const store = await HistoryStore.open(file, box);
    assert.match(store.problem ?? '', /damaged/);
    await store.close();
    assert.equal(await fs.readFile(file, 'utf8'), text);
  });

  test('a file encrypted with another key is reported and never written over', async () => {
    const { dir, file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('under the old key'));
    await store.close();
    const before = await fs.readFile(file);

    const otherKey = await FileKeySecretBox.open(path.join(dir, 'other-key'));
    const locked = await HistoryStore.open(file, otherKey);
    assert.match(locked.problem ?? '', /could not be decrypted/);
    assert.deepEqual(locked.chats(), {});
    locked.put(msg('new'));
    await locked.close();
    assert.deepEqual(await fs.readFile(file), before, 'the old history is still there for the right key');
    assert.equal((await HistoryStore.open(file, box)).chats()['bob@example.com']?.[0]?.body, 'under the old key');
  });

  test('without secure storage nothing is written, and saveError says why', async () => {
    const { file } = await setUp();
    const store = await HistoryStore.open(file, lockedBox);
    store.put(msg('kept in memory only'));
    await store.close();
    assert.match(store.saveError ?? '', /not saved: no keyring/);
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });
  });

  test('a failed write leaves no temp files, keeps the messages, and succeeds on the next try', async () => {
    const { dir, box } = await setUp();
    // The history folder is a file: every write fails until it is gone.
    const blocked = path.join(dir, 'blocked');
    const file = path.join(blocked, 'acc.json');
    const store = await HistoryStore.open(file, box);
    await fs.writeFile(blocked, 'not a folder');
    store.put(msg('survives'));
    await assert.rejects(store.flush());
    assert.match(store.saveError ?? '', /could not be saved/);
    await fs.rm(blocked);
    store.put(msg('and this'));
    await store.flush();
    assert.equal(store.saveError, undefined);
    assert.deepEqual(await fs.readdir(blocked), ['acc.json'], 'no temp files beside the history');
    assert.deepEqual((await HistoryStore.open(file, box)).chats()['bob@example.com']?.map((m) => m.body), ['survives', 'and this']);
    await store.close();
  });

  test('writes are atomic: a reader during many writes always sees a whole history', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('start'));
    await store.flush();
    let reads = 0;
    for (let i = 0; i < 30; i++) {
      store.put(msg(`w-${i}`, { body: `w-${i}-${'x'.repeat(20_000)}` }));
      const writing = store.flush();
      const seen = await HistoryStore.open(file, box); // reads while the write is under way
      assert.equal(seen.problem, undefined);
      reads++;
      await writing;
    }
    await store.close();
    assert.equal(reads, 30);
    assert.deepEqual((await fs.readdir(path.dirname(file))).filter((f) => f.endsWith('.tmp')), []);
  });

  test('persisted() resolves once what was put is on disk, with the coalesced write', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { flushDelayMs: 30 });
    store.put(msg('kept'));
    const writesBefore = store.writes;
    const alive = setTimeout(() => undefined, 5_000); // the store's timer does not keep a process alive; the test must
    await store.persisted();
    clearTimeout(alive);
    assert.equal(store.writes, writesBefore + 1, 'one write, the coalesced one');
    const reread = await HistoryStore.open(file, box);
    assert.ok(reread.chats()['bob@example.com']?.some((m) => m.body === 'kept'));
    await store.close();
  });

  test('destroy removes the file', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('bye'));
    await store.flush();
    await store.destroy();
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });
  });
});

describe('private messages not kept', () => {
  test('one row per run says how many, without their text; each counts once, also after reopening', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('before'));
    const a = msg('SECRET-A', { encrypted: true });
    const b = msg('SECRET-B', { encrypted: true, direction: 'out', state: 'sent' });
    store.leaveOut(a);
    store.leaveOut(b);
    store.leaveOut({ ...b, state: 'delivered' }); // the same message again (its receipt)
    store.put(msg('between'));
    store.leaveOut(msg('SECRET-C', { encrypted: true }));
    await store.close();

    const again = await HistoryStore.open(file, box);
    const rows = again.chats()['bob@example.com']!;
    assert.deepEqual(
      rows.map((m) => [m.body, m.notice?.detail]),
      [
        ['before', undefined],
        ['2 private messages not kept', '2'],
        ['between', undefined],
        ['1 private message not kept', '1'],
      ],
    );
    again.leaveOut(a); // handed in again after a restart (the outbox): still counted once
    assert.deepEqual(again.unkeptCounts(), new Map([['bob@example.com', 3]]));
    assert.ok(!(await fs.readFile(file, 'utf8')).includes('SECRET'));
    assert.ok(!rows.some((m) => m.body.includes('SECRET')), 'no text of a message not kept');
  });
});
