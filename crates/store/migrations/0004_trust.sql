-- What proves a bounce (core's `suppression::trust`), and the sent log.
--
-- `verified`: verp, sent_log, mta_log, provider or none; rows written before
-- this migration have it NULL (read as none). An event that the trust
-- policy kept as evidence only is stored with `undetermined` = 1: that
-- column has always meant "never counts toward a record" (an undetermined
-- report, and now an unproven one), and the ledger's reads and index rest
-- on it.
ALTER TABLE bounce_events ADD COLUMN verified TEXT;

-- What was sent (`prebounce sent`): a bounce quoting one of these
-- Message-IDs (without angle brackets) for this recipient (its suppression
-- key) is verified as sent_log.
CREATE TABLE IF NOT EXISTS sent (
  message_id    TEXT NOT NULL,
  recipient_key TEXT NOT NULL,
  recipient     TEXT NOT NULL,
  sent_at       TEXT,
  source        TEXT,
  PRIMARY KEY (message_id, recipient_key)
);
