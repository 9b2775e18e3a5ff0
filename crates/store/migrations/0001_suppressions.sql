-- The suppression ledger, first version (crates/store/src/schema.rs).
--
-- Written for the edge's D1 first; since 0002 the CLI's SQLite store runs
-- it too. Every statement is IF NOT EXISTS: workers before 0002 ran this
-- file on every isolate's first query without recording it in
-- d1_migrations, so it must apply cleanly over its own tables.
--
-- Statements are separated by a semicolon at the end of a line.

-- One row per suppression key (core's `suppression::key`). A deleted
-- address keeps a tombstone (deleted = 1, the record's fields NULL) so that
-- clients paging through changes learn of the deletion; tombstones older
-- than 30 days are purged.
CREATE TABLE IF NOT EXISTS suppressions (
  address    TEXT PRIMARY KEY NOT NULL,
  reason     TEXT,
  first_seen TEXT,
  last_seen  TEXT,
  count      INTEGER,
  source     TEXT,
  -- the worker's clock when the row last changed, Unix milliseconds
  updated_at INTEGER NOT NULL,
  deleted    INTEGER NOT NULL DEFAULT 0
);

-- GET /v1/suppressions?since=…&cursor=… pages in (updated_at, address) order.
CREATE INDEX IF NOT EXISTS suppressions_by_change ON suppressions (updated_at, address);

-- Every bounce or complaint recipient the worker took from SNS: the same
-- message delivered twice is recorded once (its key is the SNS MessageId),
-- and repeated soft bounces are counted here.
CREATE TABLE IF NOT EXISTS bounce_events (
  message_key   TEXT NOT NULL,
  recipient_key TEXT NOT NULL,
  reason        TEXT NOT NULL,
  seen_at       TEXT NOT NULL,
  -- 1 for an undetermined record (core's `Bounce::effect`): kept, but it
  -- never counts toward a repeat
  undetermined  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (message_key, recipient_key)
);

CREATE INDEX IF NOT EXISTS bounce_events_by_recipient ON bounce_events (recipient_key, seen_at);
