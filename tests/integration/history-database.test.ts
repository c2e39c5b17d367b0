/**
 * The history database with real processes and real files: a profile of an earlier version (JSON
 * history) is moved into the database on the first start of the core; a process writing into the
 * database and killed with SIGKILL at any moment — also in the middle of moving a large JSON history
 * in — loses nothing it had acknowledged; a damaged database is reported and left as it is.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ChatMessage, ResponseOf, Snapshot } from '../../shared/contract.js';
import { KlatschCore } from '../../electron/core/klatsch-core.js';
import { HistoryStore, legacyFileOf } from '../../electron/core/store/history-store.js';
import { FileKeySecretBox, type SecretBox } from '../../electron/core/store/secret-box.js';

const accountId = 'acc-db';
const peer = 'bob@example.com';
const dirs: string[] = [];
const cores: KlatschCore[] = [];
after(async () => {
  for (const core of cores) await core.stop();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

/** A profile with one offline account (no stored password: nothing touches the network). */
async function profile(): Promise<{ dir: string; box: SecretBox; databaseFile: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-history-db-'));
  dirs.push(dir);
  await fs.writeFile(
    path.join(dir, 'settings.json'),
    JSON.stringify({ version: 1, accounts: [{ id: accountId, jid: 'me@example.com', directTls: false, rememberPassword: false, ownPresence: { show: 'online', status: '' } }] }),
  );
  return { dir, box: await FileKeySecretBox.open(path.join(dir, 'test-secret.key')), databaseFile: HistoryStore.fileInProfile(dir, accountId) };
}

async function startCore(dir: string, box: SecretBox): Promise<KlatschCore> {
  const core = new KlatschCore({
    profileDir: dir,
    secretBox: box,
    connection: { lookup: async () => Promise.reject(Object.assign(new Error('no DNS in tests'), { code: 'ENOTFOUND' })) },
  });
  cores.push(core);
  await core.start();
  return core;
}

/** The history file as earlier versions wrote it (one encrypted JSON document) and its journal. */
async function writeLegacyHistory(file: string, box: SecretBox, messages: ChatMessage[], journal: ChatMessage[] = []): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const content = { chats: { [peer]: messages }, archiveMark: 'archive-41' };
  await fs.writeFile(file, `${JSON.stringify({ version: 1, backend: box.backend, data: box.encrypt(JSON.stringify(content)).toString('base64') })}\n`);
  if (journal.length > 0) await fs.writeFile(`${file}.journal`, journal.map((message) => `${box.encrypt(JSON.stringify({ message })).toString('base64')}\n`).join(''));
}

const message = (i: number, body = `legacy message ${i}`): ChatMessage => ({ id: `old-${i}`, peer, direction: i % 2 ? 'in' : 'out', body, timestamp: 1_700_000_000_000 + i * 1000, state: i % 2 ? 'received' : 'delivered' });

/** Starts the writer child on `dir`; resolves with the ids it acknowledged once it was killed (after `killAfter` acks, or at once). */
function runWriterAndKill(dir: string, killAfter: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../fixtures/history-writer.ts'), '--profile', dir, '--account', accountId, '--peer', peer], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: string[] = [];
  return new Promise((resolve, reject) => {
    if (killAfter === 0) child.kill('SIGKILL');
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('ack ')) return;
      acked.push(line.slice(4));
      if (acked.length === killAfter) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`the writer ended by itself (${code})`))));
  });
}

describe('the history database, moved into and crashed', () => {
  test('a profile of an earlier version: its JSON history is moved into the database on the first start, shown and searchable; the JSON files are gone', async () => {
    const { dir, box, databaseFile } = await profile();
    const legacy = legacyFileOf(databaseFile);
    const old = Array.from({ length: 300 }, (_, i) => message(i));
    const journaled = message(300, 'journaled before the crash of the old version');
    await writeLegacyHistory(legacy, box, old, [journaled]);

    const core = await startCore(dir, box);
    const snapshot: Snapshot = core.snapshot();
    assert.equal(snapshot.storageProblem, undefined);
    const chat = snapshot.chats[accountId]?.[peer] ?? [];
    assert.equal(chat[chat.length - 1]?.id, journaled.id, 'the journal too, newest last');
    const found: ResponseOf<'searchHistory'> = await core.handlers.searchHistory({ query: 'LÉGACY message 123' });
    assert.deepEqual(found.hits.map((h) => h.id), ['old-123'], 'indexed for search (case and accents ignored)');
    // Paging back from the newest page reaches the first message of the old file.
    const account = core.handlers;
    let added = 0;
    for (let i = 0; i < 10; i++) {
      const page = await account.loadOlderMessages({ accountId, peer });
      added += page.added;
      if (page.added === 0 || page.complete) break;
      if (core.snapshot().chats[accountId]?.[peer]?.[0]?.id === 'old-0') break;
    }
    assert.equal(core.snapshot().chats[accountId]?.[peer]?.[0]?.id, 'old-0', 'scrolled to the very first message');
    assert.equal(chat.length + added, 301);
    await assert.rejects(fs.stat(legacy), { code: 'ENOENT' });
    await assert.rejects(fs.stat(`${legacy}.journal`), { code: 'ENOENT' });
    await core.stop();
    cores.pop();

    const again = await startCore(dir, box);
    assert.equal(again.snapshot().chats[accountId]?.[peer]?.length, chat.length, 'a second start finds it all in the database');
  });

  test('SIGKILL at any moment of writing loses nothing that was acknowledged', async () => {
    const { dir, box, databaseFile } = await profile();
    const acknowledged: string[] = [];
    // Killed after different numbers of acknowledgements (the first: right after one), three runs on one database.
    for (const killAfter of [1, 137, 1_000]) acknowledged.push(...(await runWriterAndKill(dir, killAfter)));
    const store = await HistoryStore.open(databaseFile, box);
    assert.equal(store.problem, undefined, 'the database opens after the kills');
    const missing = acknowledged.filter((id) => !store.find(peer, id, 'in'));
    assert.deepEqual(missing, [], 'every acknowledged message is there');
    await store.close();
  });

  test('SIGKILL while a large JSON history is being moved in: the next start has all of it', async () => {
    const { dir, box, databaseFile } = await profile();
    const legacy = legacyFileOf(databaseFile);
    const old = Array.from({ length: 20_000 }, (_, i) => message(i));
    await writeLegacyHistory(legacy, box, old);
    // Killed as soon as it starts (moving in takes far longer than a spawn): wherever that lands.
    for (const killAfter of [0, 1]) await runWriterAndKill(dir, killAfter);
    const store = await HistoryStore.open(databaseFile, box);
    assert.equal(store.problem, undefined);
    for (const m of [old[0]!, old[9_999]!, old[19_999]!]) assert.deepEqual(store.find(peer, m.id, m.direction), m);
    const first = store.before(peer, { id: 'none', direction: 'in', timestamp: old[0]!.timestamp + 1 }, 10);
    assert.equal(first[0]?.id, 'old-0');
    await assert.rejects(fs.stat(legacy), { code: 'ENOENT' }, 'the JSON file goes once it is in');
    await store.close();
  });

  test('a damaged database is reported in the snapshot, and neither written over nor replaced', async () => {
    const { dir, box, databaseFile } = await profile();
    const store = await HistoryStore.open(databaseFile, box);
    store.put(message(1));
    await store.close();
    const damaged = Buffer.from(await fs.readFile(databaseFile));
    damaged.fill(0, 0, 1024);
    await fs.writeFile(databaseFile, damaged);

    const core = await startCore(dir, box);
    assert.match(core.snapshot().storageProblem ?? '', /cannot be opened: it is damaged/);
    await core.stop();
    cores.pop();
    assert.deepEqual(await fs.readFile(databaseFile), damaged, 'left as it was');
    assert.ok((await fs.readdir(path.dirname(databaseFile))).every((f) => !f.endsWith('.tmp')));
  });
});
