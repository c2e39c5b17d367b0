/**
 * The schema of an account's database (history and outbox), as numbered migrations (Signal's `ts/sql/migrations/NNNN-*.ts`): the
 * database's `user_version` says which ran; each runs once, in order, in one transaction with the
 * version it sets. A database newer than this code is refused (reported), never "repaired".
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Database } from 'better-sqlite3-multiple-ciphers';

interface Migration {
  version: number;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up(db) {
      db.exec(`
        -- One row per message of a chat (or room): the whole ChatMessage as JSON, and the columns it is found by.
        -- seq: arrival order, which breaks ties between equal timestamps as the in-memory chat log does.
        CREATE TABLE messages (
          seq INTEGER PRIMARY KEY,
          peer TEXT NOT NULL,
          direction TEXT NOT NULL,
          id TEXT NOT NULL,
          ts INTEGER NOT NULL,
          state TEXT NOT NULL,
          notice_kind TEXT,
          -- A searchable message's key in the index: its time, then its arrival (ts * 2^20 + low bits of seq),
          -- so that the index itself is in time order and "newest first" stops after the first hits.
          sk INTEGER,
          json TEXT NOT NULL
        );
        CREATE UNIQUE INDEX messages_by_search_key ON messages (sk) WHERE sk IS NOT NULL;
        CREATE UNIQUE INDEX messages_by_key ON messages (peer, direction, id);
        CREATE INDEX messages_by_chat ON messages (peer, ts, seq);
        CREATE INDEX messages_by_time ON messages (ts, seq);
        -- The few rows looked for by what they are: on their way at a stop, and the "not kept" counts.
        CREATE INDEX messages_on_the_way ON messages (state) WHERE state IN ('sending', 'waiting');
        CREATE INDEX messages_unkept ON messages (peer) WHERE notice_kind = 'private-not-kept';
        -- Keys (direction and id, never content) of private messages counted as not kept, per chat.
        CREATE TABLE unkept (n INTEGER PRIMARY KEY, peer TEXT NOT NULL, key TEXT NOT NULL);
        CREATE UNIQUE INDEX unkept_by_key ON unkept (peer, key);
        -- Small values: the archive mark.
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        -- The search index: each searchable message's folded text (lower case, no accents, ß → ss;
        -- history-search.ts) under the message's sk. Trigrams, so a word is found inside other words
        -- as before. secure-delete: a deleted message leaves nothing of itself in the index.
        CREATE VIRTUAL TABLE search USING fts5 (folded, tokenize = 'trigram');
        INSERT INTO search (search, rank) VALUES ('secure-delete', 1);
      `);
    },
  },
  {
    version: 2,
    up(db) {
      db.exec(`
        -- The outbox (store/outbox-store.ts): the user's messages not yet acknowledged, oldest first (n), each
        -- the whole OutboxEntry as JSON. In the history's database so that a message enters it in the commit
        -- that shows it "sending" in the history, and leaves it in the commit that shows it "sent".
        CREATE TABLE outbox (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, peer TEXT NOT NULL, json TEXT NOT NULL);
        -- Ids of messages received lately, per chat (the newest 500): a copy sent again is shown once.
        CREATE TABLE outbox_seen (n INTEGER PRIMARY KEY, peer TEXT NOT NULL, id TEXT NOT NULL);
        CREATE UNIQUE INDEX outbox_seen_by_key ON outbox_seen (peer, id);
        -- Contacts whose app confirmed a message of ours (XEP-0184): their private messages wait for that.
        CREATE TABLE outbox_confirming (peer TEXT PRIMARY KEY) WITHOUT ROWID;
      `);
    },
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class NewerDatabase extends Error {}

/** Brings the schema to LATEST_VERSION; throws NewerDatabase for a database written by a newer Klatsch. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > LATEST_VERSION) throw new NewerDatabase(`it was written by a newer version of Klatsch (schema ${current}, this one knows ${LATEST_VERSION})`);
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
