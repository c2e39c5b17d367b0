/**
 * `npm run bench:outbox [-- --json] [-- --queued N]`: the outbox in the history's database
 * (electron/core/store/outbox-store.ts, db/writer.ts) against issue 17's target, with a history of
 * 10,000 messages beside it:
 *   - 1,000 queued messages (each into the outbox and "sending" into the history, as Account does when
 *     the user sends) durable before they go on the wire: per message ≤ 1 ms;
 *   - the database really is durable: WAL with synchronous=FULL (checked, not assumed);
 * and for the record: one message sent alone (its own commit and fsync), the 1,000 leaving the outbox
 * as "sent" (one commit), a received id remembered (its own commit), opening with 1,000 waiting.
 * Prints a table (target, measured, pass); --json: one JSON object on stdout.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatMessage } from '../shared/contract.js';
import { HistoryStore } from '../electron/core/store/history-store.js';
import { OutboxStore } from '../electron/core/store/outbox-store.js';
import { FileKeySecretBox } from '../electron/core/store/secret-box.js';

const json = process.argv.includes('--json');
const countArg = process.argv.indexOf('--queued');
const QUEUED = countArg > 0 ? Number(process.argv[countArg + 1]) : 1_000;
const HISTORY = 10_000;
const log = (line: string) => process.stderr.write(`${line}\n`);
const peer = 'queue@example.com';
const start = 1_700_000_000_000;

const message = (id: string, i: number, state: ChatMessage['state']): ChatMessage => ({ id, peer, direction: 'out', body: `Message ${i} waiting to go out, with some more text`, timestamp: start + i, state });

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-bench-outbox-'));
try {
  const box = await FileKeySecretBox.open(path.join(dir, 'key'));
  const historyFile = HistoryStore.fileInProfile(dir, 'bench');
  let history = await HistoryStore.open(historyFile, box, { flushDelayMs: 60_000 });
  log(`writing a history of ${HISTORY} messages…`);
  for (let i = 0; i < HISTORY; i++) history.put({ id: `h${i}`, peer: 'other@example.com', direction: i % 2 ? 'in' : 'out', body: `Old message ${i}`, timestamp: start - HISTORY + i, state: i % 2 ? 'received' : 'delivered' });
  await history.flush();
  let outbox = await OutboxStore.open(OutboxStore.fileInProfile(dir, 'bench'), box, { history });

  // The settings that make a commit durable, as the database reports them.
  const db = history.writer.db;
  const journalMode = String(db.pragma('journal_mode', { simple: true }));
  const synchronous = Number(db.pragma('synchronous', { simple: true })); // 2 = FULL
  const durableSettings = journalMode === 'wal' && synchronous === 2;

  // One message alone: the user sends one, nothing else is under way (a commit and its fsync of its own).
  let t = performance.now();
  const alone = outbox.add({ id: 'alone', peer, body: 'alone', timestamp: start, private: false });
  history.put(message('alone', 0, 'sending'));
  await alone;
  const aloneMs = performance.now() - t;

  // 1,000 queued: each into the outbox and "sending" into the history, all durable before any goes out.
  t = performance.now();
  const durable: Promise<void>[] = [];
  for (let i = 0; i < QUEUED; i++) {
    durable.push(outbox.add({ id: `q${i}`, peer, body: `Message ${i}`, timestamp: start + i, private: false }));
    history.put(message(`q${i}`, i, 'sending'));
  }
  await Promise.all(durable);
  const queuedPerMessageMs = (performance.now() - t) / QUEUED;
  const commitsForQueued = outbox.writes;

  // Killed now: a fresh store on the same files finds all of them waiting (read while the first is still open).
  t = performance.now();
  const check = await HistoryStore.open(historyFile, box, { flushDelayMs: 60_000 });
  const again = await OutboxStore.open(OutboxStore.fileInProfile(dir, 'bench'), box, { history: check });
  const openMs = performance.now() - t;
  const allWaiting = again.entries().length === QUEUED + 1 && check.find(peer, `q${QUEUED - 1}`, 'out')?.state === 'sending';
  await check.close();

  // Acknowledged: each leaves the outbox and turns "sent" in the history, one commit for all.
  t = performance.now();
  for (let i = 0; i < QUEUED; i++) {
    outbox.remove(`q${i}`);
    history.put(message(`q${i}`, i, 'sent'));
  }
  await history.flush();
  const leavePerMessageMs = (performance.now() - t) / QUEUED;

  // A received id remembered (a copy sent again is shown once): its own commit each.
  t = performance.now();
  for (let i = 0; i < 100; i++) outbox.markSeen('bob@example.com', `r${i}`);
  const seenEachMs = (performance.now() - t) / 100;
  await history.close();
  await outbox.close();
  history = await HistoryStore.open(historyFile, box);
  outbox = await OutboxStore.open(OutboxStore.fileInProfile(dir, 'bench'), box, { history });
  const leftAsSent = outbox.entries().length === 1 && history.find(peer, `q${QUEUED - 1}`, 'out')?.state === 'sent';
  await history.close();

  const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  const rows = [
    { what: `${QUEUED} queued messages into outbox + history, durable, per message`, target: '≤ 1 ms', measured: `${fmt(queuedPerMessageMs)} (${commitsForQueued - 1} commits)`, pass: queuedPerMessageMs <= 1 },
    { what: 'durable: journal_mode=WAL, synchronous=FULL', target: 'on', measured: `${journalMode}, synchronous=${synchronous}`, pass: durableSettings },
    { what: 'all waiting and "sending" when read as after a kill; all "sent" after leaving', target: 'yes', measured: allWaiting && leftAsSent ? 'yes' : 'NO', pass: allWaiting && leftAsSent },
    { what: 'for the record: one message sent alone (own commit and fsync)', target: '—', measured: fmt(aloneMs), pass: null },
    { what: `for the record: ${QUEUED} leaving the outbox as "sent" (one commit), per message`, target: '—', measured: fmt(leavePerMessageMs), pass: null },
    { what: 'for the record: a received id remembered (own commit)', target: '—', measured: fmt(seenEachMs), pass: null },
    { what: `for the record: opening history and outbox with ${QUEUED + 1} waiting`, target: '—', measured: fmt(openMs), pass: null },
  ];
  const passed = rows.every((r) => r.pass !== false);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        queued: QUEUED,
        queued_per_message_ms: queuedPerMessageMs,
        journal_mode: journalMode,
        synchronous,
        consistent_after_kill: allWaiting && leftAsSent,
        alone_ms: aloneMs,
        leave_per_message_ms: leavePerMessageMs,
        seen_each_ms: seenEachMs,
        open_ms: openMs,
        pass: passed,
        targets: rows.filter((r) => r.pass !== null).map((r) => ({ what: r.what, target: r.target, measured: r.measured, pass: r.pass })),
      })}\n`,
    );
  } else {
    for (const r of rows) console.log(`${r.pass === null ? '   ' : r.pass ? 'ok ' : 'FAIL'} ${r.what.padEnd(76)} ${r.target.padEnd(7)} ${r.measured}`);
  }
  process.exitCode = passed ? 0 : 1;
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
