/**
 * The persistent outbox, in the account's database: durable before sending, encrypted at rest, in one
 * commit with the history's row (entering: "sending"; leaving: "sent"), the outbox files of earlier
 * versions moved in, and a damaged file or database reported and never written over.
 *
 * "Killed" here: the profile's files copied as they are at that moment (nothing closed or flushed) and
 * opened from the copy, as the app finds them after a kill -9.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatMessage } from '../../shared/contract.js';
import { HistoryStore } from '../../electron/core/store/history-store.js';
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

/** The profile as a kill -9 leaves it now: its files copied (the -shm index is rebuilt from the log). */
async function killedCopy(dir: string): Promise<string> {
  const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-outbox-killed-'));
  folders.push(copy);
  await fs.cp(dir, copy, { recursive: true, filter: (source) => !source.endsWith('-shm') });
  return copy;
}

const entry = (id: string, extra: Partial<OutboxEntry> = {}): OutboxEntry => ({
  id,
  peer: 'bob@example.com',
  body: `secret text ${id}`,
  timestamp: 1_700_000_000_000,
  private: false,
  ...extra,
});

const message = (id: string, state: ChatMessage['state']): ChatMessage => ({ id, peer: 'bob@example.com', direction: 'out', body: `secret text ${id}`, timestamp: 1_700_000_000_000, state });

async function openBoth(dir: string, box: SecretBox, flushDelayMs = 60_000) {
  const history = await HistoryStore.open(HistoryStore.fileInProfile(dir, 'acc-1'), box, { flushDelayMs });
  const outbox = await OutboxStore.open(OutboxStore.fileInProfile(dir, 'acc-1'), box, { history });
  return { history, outbox };
}

describe('outbox store', () => {
  test('an added message is on disk when add() resolves, encrypted, and comes back after a kill', async () => {
    const { dir, file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 60_000 });
    // An id that random base64 cannot spell by chance.
    await store.add(entry('message-one', { private: true }));
    for (const f of [file, `${file}-wal`]) {
      const raw = await fs.readFile(f, 'latin1').catch(() => '');
      assert.doesNotMatch(raw, /secret text|bob@example|message-one/, `nothing readable at rest in ${path.basename(f)}`);
    }
    assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
    const copy = await killedCopy(dir);
    const again = await OutboxStore.open(OutboxStore.fileInProfile(copy, 'acc-1'), box);
    assert.equal(again.problem, undefined);
    assert.deepEqual(again.entries(), [entry('message-one', { private: true })]);
    await again.close();
    await store.close();
  });

  test('removal and failure marks are kept; order is kept, also of an entry put back', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 10 });
    for (const id of ['a', 'b', 'c', 'd']) await store.add(entry(id));
    store.remove('b');
    store.setFailed('c', 'not private');
    await store.add(entry('a', { private: true })); // put back (a bounce): it keeps its place, oldest first
    await store.close();
    const again = await OutboxStore.open(file, box);
    assert.deepEqual(
      again.entries().map((e) => [e.id, e.failed, e.private]),
      [
        ['a', undefined, true],
        ['c', 'not private', false],
        ['d', undefined, false],
      ],
    );
    again.setFailed('c', undefined);
    assert.equal(again.get('c')?.failed, undefined);
    await again.close();
  });

  test('why a message was not sent is kept by reason, for the UI to word after a restart; its English beside it', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 10 });
    for (const id of ['a', 'b']) await store.add(entry(id, { private: true }));
    const why = { reason: 'private-ended', text: 'the private conversation was ended' };
    store.setFailed('a', why);
    store.setFailed('b', 'English from an older core');
    await store.close();
    const again = await OutboxStore.open(file, box);
    assert.deepEqual(again.get('a')?.failedReason, why);
    assert.equal(again.get('a')?.failed, why.text);
    assert.equal(again.get('b')?.failedReason, undefined);
    again.setFailed('a', undefined);
    assert.deepEqual([again.get('a')?.failed, again.get('a')?.failedReason], [undefined, undefined]);
    await again.close();
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
    await again.close();
  });

  test('in the history\'s database: entering is one commit with "sending", leaving one commit with "sent" — killed anywhere, waiting or sent, never neither', async () => {
    const { dir, box } = await setUp();
    const { history, outbox } = await openBoth(dir, box);
    const durable = outbox.add(entry('m1'));
    history.put(message('m1', 'sending'));
    await durable;
    // Killed now: it waits in the outbox, and the history shows it "sending" (not "not sent": it goes after the restart).
    let copy = await killedCopy(dir);
    let after = await openBoth(copy, box);
    assert.deepEqual(after.outbox.entries().map((e) => e.id), ['m1']);
    assert.equal(after.history.find('bob@example.com', 'm1', 'out')?.state, 'sending');
    await after.history.close();

    // The server acknowledged it: out of the outbox and "sent", not committed yet. Killed now: still waiting.
    outbox.remove('m1');
    history.put(message('m1', 'sent'));
    copy = await killedCopy(dir);
    after = await openBoth(copy, box);
    assert.deepEqual(after.outbox.entries().map((e) => e.id), ['m1'], 'it goes again (the receiver shows it once)');
    assert.equal(after.history.find('bob@example.com', 'm1', 'out')?.state, 'sending');
    await after.history.close();

    // Committed (the history's next commit): both at once.
    await history.flush();
    copy = await killedCopy(dir);
    after = await openBoth(copy, box);
    assert.deepEqual(after.outbox.entries(), []);
    assert.equal(after.history.find('bob@example.com', 'm1', 'out')?.state, 'sent');
    await after.history.close();
    await history.close();
    await outbox.close();
    await assert.rejects(fs.stat(OutboxStore.fileInProfile(dir, 'acc-1')), { code: 'ENOENT' }, 'no database of its own beside the history');
  });

  test('a message "sending" in the history that is no longer in the outbox says it was not sent; one still in it does not', async () => {
    const { dir, box } = await setUp();
    const { history, outbox } = await openBoth(dir, box);
    const durable = outbox.add(entry('waits'));
    history.put(message('waits', 'sending'));
    history.put(message('lost', 'sending')); // e.g. written by an earlier version whose outbox file lost it
    await durable;
    const after = await openBoth(await killedCopy(dir), box);
    assert.equal(after.history.find('bob@example.com', 'waits', 'out')?.state, 'sending');
    assert.equal(after.history.find('bob@example.com', 'lost', 'out')?.state, 'failed');
    await after.history.close();
    await history.close();
  });

  test('the outbox of an earlier version (JSON file and journal of received ids) is moved into the database, then removed', async () => {
    const { dir, file, box } = await setUp();
    const legacy = file.replace(/\.sqlite$/, '.json');
    await fs.mkdir(path.dirname(legacy), { recursive: true });
    const content = { entries: [entry('old-1'), entry('old-2', { private: true, onServer: true }), entry('old-3', { failed: 'no' })], seen: { 'bob@example.com': ['r1', 'r2'] }, confirming: ['bob@example.com'] };
    await fs.writeFile(legacy, JSON.stringify({ version: 1, backend: box.backend, data: box.encrypt(JSON.stringify(content)).toString('base64') }));
    await fs.writeFile(`${legacy}.seen`, `${box.encrypt(JSON.stringify(['carol@example.com', 'r3'])).toString('base64')}\ntorn-by-a-crash`);
    const { history, outbox } = await openBoth(dir, box);
    assert.equal(outbox.problem, undefined);
    assert.deepEqual(outbox.entries(), content.entries);
    assert.equal(outbox.seen('bob@example.com', 'r2'), true);
    assert.equal(outbox.seen('carol@example.com', 'r3'), true);
    assert.equal(outbox.confirms('bob@example.com'), true);
    await assert.rejects(fs.stat(legacy), { code: 'ENOENT' });
    await assert.rejects(fs.stat(`${legacy}.seen`), { code: 'ENOENT' });
    await history.close();
    const again = await openBoth(dir, box);
    assert.deepEqual(again.outbox.entries(), content.entries, 'in the database now');
    assert.equal(again.outbox.seen('carol@example.com', 'r3'), true);
    await again.history.close();
  });

  test('kept in its own database while there was no history on disk, then moved into the history\'s', async () => {
    const { dir, file, box } = await setUp();
    const alone = await OutboxStore.open(file, box);
    await alone.add(entry('a'));
    alone.markSeen('bob@example.com', 'r1');
    await alone.close();
    const { history, outbox } = await openBoth(dir, box);
    assert.deepEqual(outbox.entries().map((e) => e.id), ['a']);
    assert.equal(outbox.seen('bob@example.com', 'r1'), true);
    await assert.rejects(fs.stat(file), { code: 'ENOENT' });
    await history.close();
  });

  test('the policy now keeps no history: what waits in the history\'s database moves to the outbox\'s own before that is deleted', async () => {
    const { dir, file, box } = await setUp();
    const { history, outbox } = await openBoth(dir, box);
    const durable = outbox.add(entry('waiting'));
    history.put(message('waiting', 'sending'));
    await durable;
    outbox.markSeen('bob@example.com', 'r1');
    await history.close();
    const historyFile = HistoryStore.fileInProfile(dir, 'acc-1');
    assert.equal(await OutboxStore.rescueFrom(historyFile, file, box), true);
    await HistoryStore.erase(historyFile);
    await assert.rejects(fs.stat(historyFile), { code: 'ENOENT' });
    const alone = await OutboxStore.open(file, box);
    assert.deepEqual(alone.entries().map((e) => e.id), ['waiting']);
    assert.equal(alone.seen('bob@example.com', 'r1'), true);
    await alone.close();
  });

  for (const [what, damage] of [
    ['not JSON', async (file: string) => fs.writeFile(file, '{"version":1,')],
    ['the wrong shape', async (file: string) => fs.writeFile(file, JSON.stringify({ version: 2, data: 1 }))],
    ['not decryptable', async (file: string) => fs.writeFile(file, JSON.stringify({ version: 1, backend: 'file-key', data: Buffer.from('garbage').toString('base64') }))],
  ] as const) {
    test(`a damaged outbox file of an earlier version (${what}) is reported, left as it is, and the outbox goes on in the database`, async () => {
      const { dir, file, box } = await setUp();
      const legacy = file.replace(/\.sqlite$/, '.json');
      await fs.mkdir(path.dirname(legacy), { recursive: true });
      await damage(legacy);
      const before = await fs.readFile(legacy);
      const { history, outbox } = await openBoth(dir, box);
      assert.match(outbox.problem ?? '', /outbox .*\.json could not be moved into the database: it (is damaged|could not be decrypted)/);
      assert.match(outbox.problem ?? '', /left as it is/);
      await outbox.add(entry('new'));
      await history.close();
      assert.deepEqual((await openBoth(dir, box)).outbox.entries().map((e) => e.id), ['new'], 'the new message is on disk');
      assert.deepEqual(await fs.readFile(legacy), before, 'never written over nor removed');
    });
  }

  test('a damaged database of its own is reported, never written over nor removed, and sending goes on in memory', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box);
    await store.add(entry('a'));
    await store.close();
    const bytes = await fs.readFile(file);
    bytes.fill(0x5a, 0, 4096); // the first page (and with it the database's header) destroyed
    await fs.writeFile(file, bytes);
    const damaged = await OutboxStore.open(file, box);
    assert.match(damaged.problem ?? '', /outbox .* cannot be opened: it is damaged or locked with another key/);
    assert.match(damaged.problem ?? '', /left as it is/);
    await damaged.add(entry('new'));
    assert.deepEqual(damaged.entries().map((e) => e.id), ['new'], 'kept in memory');
    await damaged.close();
    await damaged.destroy();
    assert.deepEqual(await fs.readFile(file), bytes, 'never written over nor removed');
  });

  test('temp files that interrupted writes of an earlier version left are removed on open; other files are not', async () => {
    const { file, box } = await setUp();
    const legacy = file.replace(/\.sqlite$/, '.json');
    const dir = path.dirname(file);
    await fs.mkdir(dir, { recursive: true });
    const stale = path.join(dir, `.${path.basename(legacy)}.0123456789ab.tmp`);
    const foreign = path.join(dir, `.${path.basename(legacy)}.notours.tmp`);
    await fs.writeFile(stale, 'half a write');
    await fs.writeFile(foreign, 'someone else');
    const store = await OutboxStore.open(file, box);
    await assert.rejects(fs.stat(stale), { code: 'ENOENT' });
    await fs.stat(foreign);
    await store.close();
  });

  test('adding the same id again replaces it instead of sending it twice', async () => {
    const { file, box } = await setUp();
    const store = await OutboxStore.open(file, box);
    await store.add(entry('x'));
    await store.add(entry('x', { failed: 'no' }));
    assert.equal(store.entries().length, 1);
    assert.equal(store.entries()[0]!.failed, 'no');
    await store.close();
  });

  test('received ids are remembered per peer across restarts, bounded; each on disk when markSeen() returns', async () => {
    const { dir, file, box } = await setUp();
    const store = await OutboxStore.open(file, box, { flushDelayMs: 60_000 });
    for (let i = 0; i < 600; i++) store.markSeen('bob@example.com', `id-${i}`);
    store.markSeen('carol@example.com', 'id-1');
    const again = await OutboxStore.open(OutboxStore.fileInProfile(await killedCopy(dir), 'acc-1'), box);
    assert.equal(again.seen('bob@example.com', 'id-599'), true);
    assert.equal(again.seen('bob@example.com', 'id-0'), false, 'the oldest were let go');
    assert.equal(again.seen('carol@example.com', 'id-1'), true);
    assert.equal(again.seen('carol@example.com', 'id-2'), false);
    assert.equal(again.seen('dave@example.com', 'id-1'), false, 'per peer: another peer may use the same id');
    await again.close();
    await store.close();
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
