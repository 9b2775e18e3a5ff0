-- One ledger for the CLI's SQLite file and the edge's D1 (crates/store).
--
-- Applied after 0001 by both: `prebounce` on opening a store (PRAGMA
-- user_version), the worker on first use and `wrangler d1 migrations apply`
-- (both record it in d1_migrations). Statements are separated by a
-- semicolon at the end of a line.

-- The recipient as the report wrote it, the report's kind (hard, soft,
-- undetermined) and where the event was read (a file and message number,
-- or "ses"). Rows written before this migration have them NULL.
ALTER TABLE bounce_events ADD COLUMN recipient TEXT;
ALTER TABLE bounce_events ADD COLUMN kind TEXT;
ALTER TABLE bounce_events ADD COLUMN source TEXT;

-- The ledger reads an address's counted events (undetermined = 0, a reason
-- that suppresses) from the index alone, however many others it has
-- (`blocked` ones, say). It serves every other lookup by recipient too.
CREATE INDEX IF NOT EXISTS bounce_events_counted ON bounce_events (recipient_key, undetermined, reason, seen_at);

DROP INDEX IF EXISTS bounce_events_by_recipient;

-- The CLI's local change number: `suppressions push` sends the rows whose
-- updated_at is past what it last pushed. (The edge stamps rows with its
-- clock instead and leaves this at 0.)
CREATE TABLE IF NOT EXISTS counters (
  name  TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
);

INSERT OR IGNORE INTO counters (name, value) VALUES ('change', 0);

-- Per edge API, how far the CLI's push and pull have got.
CREATE TABLE IF NOT EXISTS sync_state (
  api            TEXT PRIMARY KEY NOT NULL,
  pushed_through INTEGER NOT NULL DEFAULT 0,
  pulled_since   TEXT
);
