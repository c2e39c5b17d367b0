/**
 * The encrypted chat history (a SQLite database): round trip, paging to the
 * first message, commit coalescing, durable puts, the search index, moving in
 * the JSON files of earlier versions, and files it must never write over
 * (damaged, other key).
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatMessage } from '../../shared/contract.js';
import { HistoryStore, INTERRUPTED_ERROR, legacyFileOf } from '../../electron/core/store/history-store.js';
import { queryWords } from '../../electron/core/search/history-search.js';
import { FileKeySecretBox, type SecretBox } from '../../electron/core/store/secret-box.js';
import { memoryDatabase } from '../../electron/core/db/open.js';
import { MessageTable } from '../../electron/core/db/messages.js';
import { searchIndex } from '../../electron/core/db/search.js';

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
    await again.close();
  });

  test('a message put durably is on disk when putDurably() returns (a kill right after keeps it); what was only put may not be', async () => {
    const { dir, file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { flushDelayMs: 60_000 });
    const shown = msg('shown-then-killed', { archiveId: 'archive-7' });
    store.putDurably(shown, 'archive-7');
    store.put(msg('batched-after'));
    // Not closed, nothing more committed: the files as a kill -9 now would leave them.
    const killed = path.join(dir, 'killed', 'history');
    await fs.mkdir(killed, { recursive: true });
    for (const name of await fs.readdir(path.dirname(file))) await fs.copyFile(path.join(path.dirname(file), name), path.join(killed, name));
    const afterKill = await HistoryStore.open(path.join(killed, path.basename(file)), box);
    assert.equal(afterKill.problem, undefined);
    assert.deepEqual(afterKill.chats()['bob@example.com'], [shown], 'the durable one is back; the batched one was not committed yet');
    assert.equal(afterKill.archiveMark, 'archive-7', 'the archive mark that went with it: a restart fetches what came after it');
    await afterKill.close();
    await store.close();
  });

  test('no file holds readable text: neither messages nor contacts; the key is kept only encrypted', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { flushDelayMs: 60_000 });
    store.putDurably(msg('TOP-SECRET-LUNCH-PLAN'));
    // While open, the write-ahead log holds the newest pages: encrypted too.
    for (const name of await fs.readdir(path.dirname(file))) {
      const raw = await fs.readFile(path.join(path.dirname(file), name));
      assert.ok(!raw.includes('TOP-SECRET') && !raw.includes('LUNCH') && !raw.includes('bob@example.com'), `${name} holds no readable text`);
      assert.ok(!raw.includes('SQLite format'), `${name} is not a plain SQLite file`);
    }
    await store.close();
    const keyFile = JSON.parse(await fs.readFile(`${file}.key`, 'utf8'));
    assert.equal(keyFile.backend, 'file-key');
    assert.equal((await fs.stat(`${file}.key`)).mode & 0o777, 0o600);
    assert.ok(!(await fs.readFile(file)).includes('TOP-SECRET'));
  });

  test('removed messages are gone after reopening; removing what is not there commits nothing', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    const a = msg('a');
    const b = msg('b', { encrypted: true });
    store.put(a);
    store.put(b);
    store.remove(b.peer, b.id, b.direction);
    await store.close();
    const again = await HistoryStore.open(file, box);
    assert.deepEqual(again.chats()['bob@example.com'], [a]);
    const writes = again.writes;
    again.remove('bob@example.com', 'id-never', 'in');
    await again.flush();
    assert.ok(again.writes <= writes + 1);
    await again.close();
  });

  test('the whole chat is kept: it opens with its newest page, and paging back reaches its very first message', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { recentPerChat: 100 });
    const all = Array.from({ length: 5_000 }, (_, i) => msg(`page-${i}`));
    for (const m of all) store.put(m);
    store.put(msg('other', { peer: 'carol@example.com' }));
    await store.close();
    const again = await HistoryStore.open(file, box, { recentPerChat: 100 });
    const newest = again.chats()['bob@example.com']!;
    assert.deepEqual(newest.map((m) => m.body), all.slice(-100).map((m) => m.body));
    let oldest = newest[0];
    let seen = newest.length;
    for (;;) {
      const page = again.before('bob@example.com', oldest, 700);
      if (page.length === 0) break;
      assert.ok(page[page.length - 1]!.timestamp < oldest!.timestamp, 'each page is older than what was shown');
      seen += page.length;
      oldest = page[0];
    }
    assert.equal(seen, 5_000);
    assert.equal(oldest?.body, 'page-0', 'the very first message');
    assert.equal(again.chats()['carol@example.com']?.length, 1, 'pages are per chat');
    await again.close();
  });

  test('1,000 messages in a burst are one commit, not 1,000', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { flushDelayMs: 50 });
    const before = store.writes;
    for (let i = 0; i < 1_000; i++) store.put(msg(`burst-${i}`));
    assert.equal(store.writes, before, 'nothing is committed synchronously');
    await store.close();
    assert.equal(store.writes, before + 1);
    const again = await HistoryStore.open(file, box, { recentPerChat: 2_000 });
    assert.equal(again.chats()['bob@example.com']?.length, 1_000);
    await again.close();
  });

  test('changes are committed by themselves after the delay', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box, { flushDelayMs: 10 });
    const before = store.writes;
    store.put(msg('timed'));
    const alive = setTimeout(() => undefined, 5_000); // the store's timer does not keep a process alive; the test must
    await store.persisted();
    clearTimeout(alive);
    assert.equal(store.writes, before + 1);
    await store.close();
    const again = await HistoryStore.open(file, box);
    assert.equal(again.chats()['bob@example.com']?.[0]?.body, 'timed');
    await again.close();
  });

  test('a message that was on its way when Klatsch stopped comes back as failed, with the reason', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('on-the-way', { direction: 'out', state: 'sending' }));
    await store.close();
    const again = await HistoryStore.open(file, box);
    const [m] = again.chats()['bob@example.com']!;
    assert.equal(m?.state, 'failed');
    assert.deepEqual(m?.error, INTERRUPTED_ERROR);
    await again.close();
  });

  test('a damaged database is reported and never written over', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('before the damage'));
    await store.close();
    const damaged = Buffer.from(await fs.readFile(file));
    damaged.fill(0x5a, 0, 4096); // its first page
    await fs.writeFile(file, damaged);
    const opened = await HistoryStore.open(file, box);
    assert.match(opened.problem ?? '', /damaged/);
    assert.match(opened.problem ?? '', /left as it is/);
    opened.put(msg('not saved'));
    await opened.close();
    assert.deepEqual(await fs.readFile(file), damaged);
  });

  test('a database whose key was encrypted with another key is reported and never written over', async () => {
    const { dir, file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('under the old key'));
    await store.close();
    const before = await fs.readFile(file);

    const otherKey = await FileKeySecretBox.open(path.join(dir, 'other-key'));
    const locked = await HistoryStore.open(file, otherKey);
    assert.match(locked.problem ?? '', /cannot be opened/);
    assert.deepEqual(locked.chats(), {});
    locked.put(msg('new'));
    await locked.close();
    assert.deepEqual(await fs.readFile(file), before, 'the old history is still there for the right key');
    const again = await HistoryStore.open(file, box);
    assert.equal(again.chats()['bob@example.com']?.[0]?.body, 'under the old key');
    await again.close();
  });

  test('a database without its key file is reported, and no new key is made for it', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('keyed'));
    await store.close();
    await fs.rm(`${file}.key`);
    const opened = await HistoryStore.open(file, box);
    assert.match(opened.problem ?? '', /key .* is missing/);
    await opened.close();
    await assert.rejects(fs.stat(`${file}.key`), { code: 'ENOENT' });
  });

  test('without secure storage nothing is written, and saveError says why', async () => {
    const { file } = await setUp();
    const store = await HistoryStore.open(file, lockedBox);
    store.put(msg('kept in memory only'));
    assert.equal(store.chats()['bob@example.com']?.length, 1, 'this session still has it');
    await store.close();
    assert.match(store.saveError ?? '', /not saved: no keyring/);
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });
  });

  test('destroy removes the database, its log and its key', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    store.put(msg('bye'));
    await store.flush();
    await store.destroy();
    assert.deepEqual(await fs.readdir(path.dirname(file)), []);
  });
});

describe('search through the index', () => {
  test('every word, anywhere in the text, case and accents ignored, newest first by time; notices are not searched', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    const t = 1_800_000_000_000;
    store.put(msg('Treffen mit José in der STRASSE', { id: 's1', timestamp: t + 3 }));
    store.put(msg('jose kommt später zur Straße', { id: 's2', timestamp: t + 5 }));
    // Came in last (an older archive page), but older: it is ordered by its time.
    store.put(msg('Josefine in der strasse', { id: 's3', timestamp: t + 1 }));
    store.put(msg('nichts davon', { id: 's4', timestamp: t + 9 }));
    store.put(msg('jose strasse', { id: 'n1', direction: 'notice', timestamp: t + 10 }));
    store.put(msg('ab xy', { id: 's5', timestamp: t + 11 }));
    const ids = (query: string, max = 10) => store.search(queryWords(query), max).found.map((f) => f.message.id);
    assert.deepEqual(ids('jose strasse'), ['s2', 's1', 's3']);
    assert.deepEqual(ids('JOSÉ Straße'), ['s2', 's1', 's3']);
    assert.deepEqual(ids('sefi'), ['s3'], 'inside a word');
    assert.deepEqual(ids('xy'), ['s5'], 'words shorter than a trigram');
    assert.deepEqual(ids('jo xy'), []);
    assert.deepEqual(ids('nirgends'), []);
    const limited = store.search(queryWords('strasse'), 2);
    assert.deepEqual(limited.found.map((f) => f.message.id), ['s2', 's1']);
    assert.equal(limited.more, true);
    // A changed text is found by its new words only; a removed message not at all.
    store.put(msg('ganz anders', { id: 's2', timestamp: t + 5 }));
    store.remove('bob@example.com', 's1', 'in');
    assert.deepEqual(ids('strasse'), ['s3']);
    assert.deepEqual(ids('anders'), ['s2']);
    await store.close();
  });

  test("a message's state changes (sending, sent, delivered) write its row only; a new text or time renews its entry", () => {
    const db = memoryDatabase();
    const table = new MessageTable(db);
    const changes = () => db.prepare<[], { n: number }>('SELECT total_changes() AS n').get()!.n;
    const ids = (query: string) => searchIndex(db, queryWords(query), 10).found.map((f) => f.message.id);
    const sending: ChatMessage = { id: 'o1', peer: 'bob@example.com', direction: 'out', body: 'Treffen um drei', timestamp: 1_800_000_000_000, state: 'sending' };
    table.put(sending);
    for (const state of ['sent', 'delivered'] as const) {
      const before = changes();
      table.put({ ...sending, state });
      // One row written; the index was neither emptied nor refilled (a secure delete each time, ~1 ms per message).
      assert.equal(changes() - before, 1, `state ${state}`);
      assert.deepEqual(ids('treffen'), ['o1']);
    }
    table.put({ ...sending, body: 'Treffen um vier', state: 'delivered' });
    assert.deepEqual(ids('drei'), []);
    assert.deepEqual(ids('vier'), ['o1']);
    table.put({ ...sending, body: 'Treffen um vier', state: 'delivered', timestamp: sending.timestamp + 5 });
    assert.deepEqual(ids('vier'), ['o1'], 'a new time: the entry moves with it');
    table.put({ ...sending, body: '', state: 'delivered', timestamp: sending.timestamp + 5 });
    assert.deepEqual(ids('vier'), [], 'no text: not searched');
    db.close();
  });

  test('rare combinations of common words are found', async () => {
    const { file, box } = await setUp();
    const store = await HistoryStore.open(file, box);
    for (let i = 0; i < 8_000; i++) store.put(msg(`common words here ${i}`, { id: `c${i}` }));
    store.put(msg('the common needle words', { id: 'needle', timestamp: 1 }));
    assert.deepEqual(store.search(queryWords('common needle'), 5).found.map((f) => f.message.id), ['needle']);
    await store.close();
  });
});

/** Writes a history file as earlier versions did (history-store.ts before the database). */
async function writeLegacy(file: string, box: SecretBox, content: object, journal: object[] = []): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify({ version: 1, backend: box.backend, data: box.encrypt(JSON.stringify(content)).toString('base64') })}\n`);
  if (journal.length > 0) await fs.writeFile(`${file}.journal`, journal.map((r) => `${box.encrypt(JSON.stringify(r)).toString('base64')}\n`).join(''));
}

describe('the JSON history of earlier versions', () => {
  test('is moved into the database on first open, journal included, and then deleted', async () => {
    const { file, box } = await setUp();
    const legacy = legacyFileOf(file);
    const a = msg('old-a');
    const b = msg('old-b', { peer: 'carol@example.com' });
    const journaled = msg('journaled');
    await writeLegacy(legacy, box, { chats: { 'bob@example.com': [a], 'carol@example.com': [b] }, archiveMark: 'mark-1', unkept: { 'bob@example.com': ['in\nx'] } }, [
      { message: journaled, mark: 'mark-2' },
    ]);
    const store = await HistoryStore.open(file, box);
    assert.equal(store.problem, undefined);
    assert.deepEqual(store.chats(), { 'bob@example.com': [a, journaled], 'carol@example.com': [b] });
    assert.equal(store.archiveMark, 'mark-2');
    await assert.rejects(fs.stat(legacy), { code: 'ENOENT' });
    await assert.rejects(fs.stat(`${legacy}.journal`), { code: 'ENOENT' });
    assert.deepEqual(store.search(queryWords('old'), 10).found.map((f) => f.message.id), [b.id, a.id], 'and indexed');
    await store.close();
  });

  test('a damaged one is reported, left as it is, and no database is made beside it', async () => {
    const { file, box } = await setUp();
    const legacy = legacyFileOf(file);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(legacy, '{"version":1,"backend":"file-key","da');
    const store = await HistoryStore.open(file, box);
    assert.match(store.problem ?? '', /damaged/);
    assert.match(store.problem ?? '', /left as it is/);
    store.put(msg('not saved'));
    await store.close();
    assert.equal(await fs.readFile(legacy, 'utf8'), '{"version":1,"backend":"file-key","da');
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
    assert.ok(!(await fs.readFile(file)).includes('SECRET'));
    assert.ok(!rows.some((m) => m.body.includes('SECRET')), 'no text of a message not kept');
  });
});
