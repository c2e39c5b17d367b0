/**
 * The core and the stored history, without a server: a restart shows the
 * stored chats (snapshot); the administrator's keepHistory=false keeps the
 * history file unread and untouched, and refuses keeping private messages; a
 * damaged history file is reported in the snapshot and left as it is.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { Snapshot, type ChatMessage, type Result } from '../../shared/contract.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { storageProblemText } from '../../renderer/i18n/errors.js';
import { createAppStore } from '../../renderer/store/store.js';
import { HistoryStore } from '../../electron/core/store/history-store.js';
import { disposeOfflineCores, OFFLINE_ACCOUNT_ID, offlineProfile, offlineSecretBox, startOfflineCore } from '../fixtures/offline-core.js';

after(disposeOfflineCores);

const accountId = OFFLINE_ACCOUNT_ID;
const stored: ChatMessage = { id: 'm1', peer: 'bob@example.com', direction: 'in', body: 'kept across restarts', timestamp: 1_700_000_000_000, state: 'received' };

/** A profile with one offline account (no stored password: nothing touches the network) and a stored chat. */
async function profile(): Promise<{ dir: string; historyFile: string }> {
  const dir = await offlineProfile('klatsch-core-history-');
  const historyFile = HistoryStore.fileInProfile(dir, accountId);
  const history = await HistoryStore.open(historyFile, await offlineSecretBox(dir));
  history.put(stored);
  await history.close();
  return { dir, historyFile };
}

function start(dir: string, policy: object = {}) {
  return startOfflineCore(dir, { policy });
}

describe('the core and the stored history', () => {
  test('a started core shows the stored chats in its snapshot', async () => {
    const { dir } = await profile();
    const { dispatch } = await start(dir);
    const snapshot = (await dispatch('getSnapshot', {})) as Result<Snapshot>;
    assert.ok(snapshot.ok);
    assert.deepEqual(snapshot.value.chats[accountId]?.['bob@example.com'], [stored]);
    assert.equal(snapshot.value.storageProblem, undefined);
  });

  test('keepHistory=false: the stored history is deleted, nothing is written, and keeping private messages is refused', async () => {
    const { dir, historyFile } = await profile();
    const roomsFile = HistoryStore.fileInProfile(dir, `${accountId}-rooms`);
    await fs.writeFile(roomsFile, 'stored group chats');
    const { core, dispatch } = await start(dir, { keepHistory: false });
    assert.deepEqual(core.snapshot().chats[accountId], {});
    const refused = (await dispatch('setKeepPrivateHistory', { accountId, peer: 'bob@example.com', keep: true })) as Result<unknown>;
    assert.equal(refused.ok, false);
    assert.equal((refused as { ok: false; error: { code: string } }).error.code, 'forbidden-by-policy');
    await core.stop();
    await assert.rejects(fs.stat(historyFile), { code: 'ENOENT' }, 'the history kept before the policy is gone');
    await assert.rejects(fs.stat(roomsFile), { code: 'ENOENT' }, 'and so are the stored group chats');
  });

  test('a damaged history file shows as a storage problem and is not overwritten', async () => {
    const { dir, historyFile } = await profile();
    await fs.writeFile(historyFile, 'garbage');
    const { core } = await start(dir);
    assert.match(core.snapshot().storageProblem ?? '', /chat history .* is damaged/);
    await core.stop();
    assert.equal(await fs.readFile(historyFile, 'utf8'), 'garbage');
  });

  test('a damaged history is told to a German user in German, naming the file, without the core’s English', async () => {
    const { dir, historyFile } = await profile();
    await fs.writeFile(historyFile, 'garbage');
    const { core } = await start(dir);
    // What crosses the wire, as the renderer's store takes it.
    const snapshot = Snapshot.parse(JSON.parse(JSON.stringify(core.snapshot())));
    const renderer = createAppStore();
    renderer.getState().snapshotLoaded(snapshot);
    const { storageProblem, storageProblems } = renderer.getState();
    const german = storageProblemText(catalogFor('de'), storageProblem, storageProblems) ?? '';
    assert.equal(german, `Der Chatverlauf ${historyFile} ist beschädigt. Er wurde nicht verändert; neue Nachrichten werden nicht gespeichert, bis er repariert oder entfernt ist.`);
    assert.doesNotMatch(german, /cannot|damaged|left as it is/);
    const english = storageProblemText(catalogFor('en'), storageProblem, storageProblems) ?? '';
    assert.equal(english, `The chat history ${historyFile} is damaged. It was left as it is; new messages are not saved until it is repaired or removed.`);
    await core.stop();
  });
});
