//! The local suppression store: one SQLite file (WAL journal), written by
//! `bounces --suppress`, read by `check --suppress`, managed and synced by
//! `suppressions`.
//!
//! Which reasons suppress, the key an address is stored under and how two
//! records of one address combine are core's rules
//! ([`prebounce_core::suppression`]); this module only keeps them.
//!
//! * `bounce_events`: one row per (bounce message, recipient key). Its
//!   primary key makes an ingest idempotent: reading the same message again
//!   adds nothing. It also holds the history the repeat rule counts.
//! * `suppressions`: one row per suppressed key, docs/DESIGN.md's record plus
//!   `updated_at`, the local change number (from `counters`, taken inside
//!   the write transaction, so it only grows and never reorders commits):
//!   `suppressions push` sends the rows changed since the last push.
//! * `sync_state`: per edge API, how far push and pull have got.
//!
//! Every batch is one transaction with `synchronous=FULL`: once [`Store::ingest`]
//! returns, its rows survive a `kill -9` (and a power cut).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prebounce_core::bounce::{Bounce, Kind};
use prebounce_core::suppression::{
    self, BounceReason, Effect, Event, History, RepeatRule, Suppression,
};
use prebounce_core::time::StoreTime;
use prebounce_core::SuppressionInfo;
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use thiserror::Error;

/// What can go wrong with the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("suppression store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file is a store of a newer version.
    #[error("suppression store: schema version {0} is newer than this prebounce understands")]
    Version(i64),
}

/// The schema version this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bounce_events (
    message_key TEXT NOT NULL,
    address     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (message_key, address)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS bounce_events_by_address ON bounce_events (address, seen_at);
CREATE TABLE IF NOT EXISTS suppressions (
    address    TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    count      INTEGER NOT NULL,
    source     TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS suppressions_by_update ON suppressions (updated_at);
CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO counters (name, value) VALUES ('change', 0);
CREATE TABLE IF NOT EXISTS sync_state (
    api            TEXT PRIMARY KEY,
    pushed_through INTEGER NOT NULL DEFAULT 0,
    pulled_since   TEXT
);
";

/// Writes one suppression row: ?1 address, ?2–?6 the record, ?7 updated_at.
const PUT: &str =
    "INSERT INTO suppressions (address, reason, first_seen, last_seen, count, source, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (address) DO UPDATE SET reason = ?2, first_seen = ?3, last_seen = ?4,
         count = ?5, source = ?6, updated_at = ?7";

/// A row of `SELECT reason, first_seen, last_seen, count, source`
/// (starting at column `at`).
fn info_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SuppressionInfo> {
    info_at(r, 0)
}

fn info_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<SuppressionInfo> {
    Ok(SuppressionInfo {
        reason: r.get(at)?,
        first_seen: time_at(r, at + 1)?,
        last_seen: time_at(r, at + 2)?,
        count: r.get(at + 3)?,
        source: r.get(at + 4)?,
    })
}

/// A time column in core's store form.
fn time_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<StoreTime> {
    let text: String = r.get(i)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// One bounce record to store, with where and when it came from.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    /// The bounce message's identity: its Message-ID, or a hash of its bytes.
    pub message_key: &'a str,
    /// The parsed record.
    pub record: &'a Bounce,
    /// The file (and message number) it was read from.
    pub source: &'a str,
    /// When the bounce happened ([`when`]).
    pub seen_at: StoreTime,
}

/// What storing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Recorded; the address is suppressed now (or already was).
    Suppressed,
    /// Recorded; not (yet) suppressed.
    Counted,
    /// This message's record for this address was stored before: nothing
    /// changed.
    Duplicate,
    /// The recipient is not an address; nothing stored.
    NotAnAddress,
}

/// The SQLite suppression store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) a store for writing.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // WAL: readers (`check --suppress`) never block the ingest. FULL:
        // a committed batch is on disk before `ingest` returns.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Version(version));
        }
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Store { conn })
    }

    /// Opens an existing store for lookups only.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(30))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Version(version));
        }
        Ok(Store { conn })
    }

    /// Stores a batch of records in one transaction, applying the policy,
    /// and says what happened to each. Each record is placed in time at its
    /// item's `seen_at`: the repeat window ends there, so an archive read
    /// years later counts its bounces as they happened.
    pub fn ingest(
        &mut self,
        batch: &[Incoming<'_>],
        rule: RepeatRule,
    ) -> Result<Vec<Stored>, StoreError> {
        // IMMEDIATE: the write lock is held from the start, so the change
        // number taken below orders this batch against every other writer.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let change = next_change(&tx)?;
        let mut out = Vec::with_capacity(batch.len());
        {
            let mut insert_event = tx.prepare_cached(
                "INSERT OR IGNORE INTO bounce_events
                 (message_key, address, recipient, reason, kind, seen_at, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut existing = tx.prepare_cached(
                "SELECT reason, first_seen, last_seen, count, source FROM suppressions WHERE address = ?1",
            )?;
            // The address's earlier events, summed per reason for core's
            // ledger (`History::add`): undetermined ones never count.
            let mut history = tx.prepare_cached(
                "SELECT reason, count(*), min(seen_at), sum(seen_at >= ?2 AND seen_at <= ?3)
                 FROM bounce_events WHERE address = ?1 AND message_key != ?4
                   AND kind != 'undetermined' GROUP BY reason",
            )?;
            let mut upsert = tx.prepare_cached(PUT)?;
            for item in batch {
                let record = item.record;
                let Ok(key) = suppression::key(&record.recipient) else {
                    out.push(Stored::NotAnAddress);
                    continue;
                };
                let kind = serde_json::to_value(record.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let added = insert_event.execute(params![
                    item.message_key,
                    key,
                    record.recipient,
                    record.reason.as_str(),
                    kind,
                    item.seen_at.to_string(),
                    item.source
                ])?;
                if added == 0 {
                    out.push(Stored::Duplicate);
                    continue;
                }
                let event = Event {
                    reason: record.reason,
                    undetermined: record.kind == Kind::Undetermined,
                    at: item.seen_at,
                    source: item.source,
                };
                if event.effect() == Effect::Never {
                    out.push(Stored::Counted);
                    continue;
                }
                let current: Option<SuppressionInfo> =
                    existing.query_row([&key], info_from_row).optional()?;
                // A live record already counts every event behind it (core's
                // `decide`): the history is read only for an address not yet
                // suppressed, so a much-bounced address costs one lookup.
                let mut past = History::default();
                if current.is_none() {
                    let (start, end) = rule.window(item.seen_at);
                    let mut rows = history.query(params![
                        key,
                        start.to_string(),
                        end.to_string(),
                        item.message_key
                    ])?;
                    while let Some(row) = rows.next()? {
                        let (reason, n, first, recent): (String, u32, Option<String>, u32) =
                            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
                        if let Some(reason) = BounceReason::parse(&reason) {
                            let first = first.as_deref().and_then(StoreTime::parse);
                            past.add(reason, n, first, recent);
                        }
                    }
                }
                let Some(next) = suppression::decide(current.as_ref(), &past, &event, rule) else {
                    out.push(Stored::Counted);
                    continue;
                };
                upsert.execute(params![
                    key,
                    next.reason,
                    next.first_seen.to_string(),
                    next.last_seen.to_string(),
                    next.count,
                    next.source,
                    change
                ])?;
                out.push(Stored::Suppressed);
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// The record of a key, if suppressed.
    pub fn lookup(&self, key: &str) -> Result<Option<SuppressionInfo>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT reason, first_seen, last_seen, count, source FROM suppressions WHERE address = ?1",
        )?;
        Ok(stmt.query_row([key], info_from_row).optional()?)
    }

    /// Every suppression, by address, with its change number; with
    /// `changed_after`, only those changed locally after that change.
    pub fn all(&self, changed_after: Option<i64>) -> Result<Vec<(Suppression, i64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT address, reason, first_seen, last_seen, count, source, updated_at
             FROM suppressions WHERE updated_at > ?1 ORDER BY address",
        )?;
        let rows = stmt.query_map([changed_after.unwrap_or(i64::MIN)], |r| {
            Ok((
                Suppression {
                    address: r.get(0)?,
                    info: info_at(r, 1)?,
                },
                r.get(6)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Merges records from elsewhere (an import, a pull) in one transaction,
    /// by core's [`suppression::merge`]. Returns how many rows changed.
    /// `mark_changed` false keeps a pulled row from being pushed back.
    pub fn merge_in(
        &mut self,
        items: &[Suppression],
        mark_changed: bool,
    ) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let change = next_change(&tx)?;
        let mut changed = 0;
        {
            let mut get = tx.prepare_cached(
                "SELECT reason, first_seen, last_seen, count, source, updated_at FROM suppressions WHERE address = ?1",
            )?;
            let mut put = tx.prepare_cached(PUT)?;
            for item in items {
                let before = get
                    .query_row([&item.address], |r| {
                        Ok((info_at(r, 0)?, r.get::<_, i64>(5)?))
                    })
                    .optional()?;
                let (merged, old_updated) = match &before {
                    Some((b, at)) => (suppression::merge(b, &item.info), *at),
                    None => (item.info.clone(), 0),
                };
                if before.as_ref().is_some_and(|(b, _)| *b == merged) {
                    continue;
                }
                let updated_at = if mark_changed { change } else { old_updated };
                put.execute(params![
                    item.address,
                    merged.reason,
                    merged.first_seen.to_string(),
                    merged.last_seen.to_string(),
                    merged.count,
                    merged.source,
                    updated_at
                ])?;
                changed += 1;
            }
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Removes keys and their bounce history (a mistake, or an erasure
    /// request: nothing of the address is kept); returns how many were
    /// suppressed.
    pub fn remove(&mut self, keys: &[String]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut del = tx.prepare_cached("DELETE FROM suppressions WHERE address = ?1")?;
            let mut history = tx.prepare_cached("DELETE FROM bounce_events WHERE address = ?1")?;
            for k in keys {
                n += del.execute([k])?;
                history.execute([k])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// How many bounce events are stored.
    #[cfg(test)]
    pub fn event_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM bounce_events", [], |r| r.get(0))?)
    }

    /// Push and pull progress for an edge API.
    pub fn sync_state(&self, api: &str) -> Result<(i64, Option<String>), StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT pushed_through, pulled_since FROM sync_state WHERE api = ?1",
                [api],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, None)))
    }

    /// Records push progress (rows changed up to `through` were sent).
    pub fn set_pushed(&self, api: &str, through: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state (api, pushed_through) VALUES (?1, ?2)
             ON CONFLICT (api) DO UPDATE SET pushed_through = max(pushed_through, ?2)",
            params![api, through],
        )?;
        Ok(())
    }

    /// Records pull progress (changes since `since` were merged).
    pub fn set_pulled(&self, api: &str, since: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state (api, pulled_since) VALUES (?1, ?2)
             ON CONFLICT (api) DO UPDATE SET pulled_since = ?2",
            params![api, since],
        )?;
        Ok(())
    }
}

/// A time of this machine's clock in core's store form.
pub fn store_time(t: SystemTime) -> StoreTime {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    StoreTime::from_unix(secs)
}

/// When a bounce happened: its report's arrival date, else the report's own
/// date, else `now` — never later than `now` (a clock or a forger ahead of
/// ours must not push records past every window).
pub fn when(arrival: Option<&str>, report_date: Option<&str>, now: SystemTime) -> StoreTime {
    let now = store_time(now);
    [arrival, report_date]
        .into_iter()
        .flatten()
        .find_map(StoreTime::parse)
        .map_or(now, |t| t.min(now))
}

/// The next local change number (one per write transaction).
fn next_change(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "UPDATE counters SET value = value + 1 WHERE name = 'change' RETURNING value",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prebounce_core::bounce::{Action, Kind};
    use prebounce_core::suppression::BounceReason;
    use prebounce_core::Reason;

    fn record(recipient: &str, reason: Reason) -> Bounce {
        Bounce {
            recipient: recipient.into(),
            final_recipient: None,
            action: Action::Failed,
            status: None,
            diagnostic_code: None,
            remote_mta: None,
            reporting_mta: None,
            arrival_date: None,
            original_message_id: None,
            kind: Kind::Hard,
            reason: BounceReason::Verdict(reason),
        }
    }

    fn at(secs: u64) -> StoreTime {
        store_time(UNIX_EPOCH + Duration::from_secs(1_780_000_000 + secs))
    }

    /// A store in a throwaway directory, removed on drop.
    struct Temp {
        dir: std::path::PathBuf,
        store: Store,
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn temp(name: &str) -> Temp {
        let dir =
            std::env::temp_dir().join(format!("prebounce-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("s.db")).unwrap();
        Temp { dir, store }
    }

    fn one(s: &mut Store, key: &str, r: &Bounce, when: StoreTime, rule: RepeatRule) -> Stored {
        let item = Incoming {
            message_key: key,
            record: r,
            source: "x",
            seen_at: when,
        };
        s.ingest(&[item], rule).unwrap()[0]
    }

    #[test]
    fn hard_bounces_suppress_at_once_and_idempotently() {
        let mut t = temp("hard");
        let r = record("Gone@Example.COM", Reason::DoesNotExist);
        let rule = RepeatRule::default();
        assert_eq!(one(&mut t.store, "m1", &r, at(0), rule), Stored::Suppressed);
        assert_eq!(one(&mut t.store, "m1", &r, at(5), rule), Stored::Duplicate);
        let got = t.store.lookup("gone@example.com").unwrap().unwrap();
        assert_eq!(
            (got.count, got.reason.as_str(), got.first_seen),
            (1, "does_not_exist", at(0))
        );
        assert_eq!(t.store.event_count().unwrap(), 1);
    }

    #[test]
    fn soft_bounces_suppress_when_they_repeat_in_their_window() {
        let mut t = temp("soft");
        let full = record("full@example.com", Reason::MailboxFull);
        let rule = RepeatRule {
            count: 3,
            window_secs: 100,
        };
        assert_eq!(one(&mut t.store, "m1", &full, at(0), rule), Stored::Counted);
        // The first falls out of the window before the third arrives.
        assert_eq!(
            one(&mut t.store, "m2", &full, at(90), rule),
            Stored::Counted
        );
        assert_eq!(
            one(&mut t.store, "m3", &full, at(150), rule),
            Stored::Counted
        );
        assert!(t.store.lookup("full@example.com").unwrap().is_none());
        assert_eq!(
            one(&mut t.store, "m4", &full, at(160), rule),
            Stored::Suppressed
        );
        let got = t.store.lookup("full@example.com").unwrap().unwrap();
        assert_eq!(got.reason.as_str(), "mailbox_full");
        // Every counted bounce is behind the record, the one outside the
        // window included.
        assert_eq!((got.count, got.first_seen), (4, at(0)));
        // A later hard bounce takes over the reason; an even later soft one
        // does not take it back.
        let gone = record("full@example.com", Reason::MailboxDisabled);
        one(&mut t.store, "m5", &gone, at(200), rule);
        one(&mut t.store, "m6", &full, at(300), rule);
        let got = t.store.lookup("full@example.com").unwrap().unwrap();
        assert_eq!(
            (got.count, got.reason.as_str(), got.last_seen),
            (6, "mailbox_disabled", at(300))
        );
    }

    /// Issue 12: earlier soft bounces count toward a hard one (this store
    /// said 1), and a record from elsewhere gets one more per new event
    /// (the edge took the larger of the two).
    #[test]
    fn counts_follow_the_ledger() {
        let mut t = temp("ledger");
        let rule = RepeatRule::default();
        let full = record("a@example.com", Reason::MailboxFull);
        let gone = record("a@example.com", Reason::DoesNotExist);
        assert_eq!(one(&mut t.store, "m1", &full, at(0), rule), Stored::Counted);
        assert_eq!(
            one(&mut t.store, "m2", &full, at(10), rule),
            Stored::Counted
        );
        assert_eq!(
            one(&mut t.store, "m3", &gone, at(20), rule),
            Stored::Suppressed
        );
        let got = t.store.lookup("a@example.com").unwrap().unwrap();
        assert_eq!(
            (got.count, got.first_seen, got.last_seen),
            (3, at(0), at(20))
        );
        let imported = Suppression {
            address: "b@example.com".into(),
            info: SuppressionInfo {
                reason: "does_not_exist".into(),
                first_seen: at(0),
                last_seen: at(0),
                count: 5,
                source: "import".into(),
            },
        };
        t.store.merge_in(&[imported], true).unwrap();
        let b = record("b@example.com", Reason::DoesNotExist);
        one(&mut t.store, "m4", &b, at(30), rule);
        assert_eq!(t.store.lookup("b@example.com").unwrap().unwrap().count, 6);
    }

    #[test]
    fn an_archive_counts_bounces_when_they_happened() {
        let mut t = temp("archive");
        let full = record("full@example.com", Reason::MailboxFull);
        let rule = RepeatRule {
            count: 3,
            window_secs: 30 * 86_400,
        };
        // Three soft bounces a year apart, read today in one batch.
        let (a, b, c) = (at(0), at(365 * 86_400), at(730 * 86_400));
        let items: Vec<Incoming> = [("m1", &a), ("m2", &b), ("m3", &c)]
            .into_iter()
            .map(|(k, w)| Incoming {
                message_key: k,
                record: &full,
                source: "x",
                seen_at: *w,
            })
            .collect();
        assert_eq!(t.store.ingest(&items, rule).unwrap(), [Stored::Counted; 3]);
        assert!(t.store.lookup("full@example.com").unwrap().is_none());
    }

    #[test]
    fn undetermined_and_blocked_never_suppress_and_junk_is_not_stored() {
        let mut t = temp("never");
        let blocked = record("b@example.com", Reason::Blocked);
        let mut guess = record("g@example.com", Reason::Rejected);
        guess.kind = Kind::Undetermined;
        let rule = RepeatRule::default();
        for i in 0..5 {
            assert_eq!(
                one(&mut t.store, &format!("b{i}"), &blocked, at(i), rule),
                Stored::Counted
            );
            assert_eq!(
                one(&mut t.store, &format!("g{i}"), &guess, at(i), rule),
                Stored::Counted
            );
        }
        // A real rejection after four guesses is the first that counts.
        let rejected = record("g@example.com", Reason::Rejected);
        assert_eq!(
            one(&mut t.store, "r1", &rejected, at(10), rule),
            Stored::Counted
        );
        let junk = record("not an address", Reason::DoesNotExist);
        assert_eq!(
            one(&mut t.store, "j", &junk, at(0), rule),
            Stored::NotAnAddress
        );
        assert!(t.store.lookup("b@example.com").unwrap().is_none());
        assert!(t.store.lookup("g@example.com").unwrap().is_none());
        assert_eq!(t.store.event_count().unwrap(), 11);
    }

    #[test]
    fn when_prefers_the_reports_own_times_but_never_the_future() {
        let now = UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        assert_eq!(
            when(
                Some("2026-01-01T00:00:00Z"),
                Some("2026-01-02T00:00:00Z"),
                now
            ),
            "2026-01-01T00:00:00Z".parse().unwrap()
        );
        assert_eq!(
            when(None, Some("2026-01-02T00:00:00Z"), now),
            "2026-01-02T00:00:00Z".parse().unwrap()
        );
        assert_eq!(when(Some("garbage"), None, now), store_time(now));
        assert_eq!(
            when(Some("2099-01-01T00:00:00Z"), None, now),
            store_time(now)
        );
    }

    #[test]
    fn merging_change_numbers_and_removing() {
        let mut t = temp("merge");
        let s = &mut t.store;
        let one = |reason: &str, first: &str, last: &str, count| Suppression {
            address: "a@example.com".into(),
            info: SuppressionInfo {
                reason: reason.into(),
                first_seen: first.parse().unwrap(),
                last_seen: last.parse().unwrap(),
                count,
                source: "import".into(),
            },
        };
        let a = one(
            "mailbox_full",
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            3,
        );
        let b = one(
            "does_not_exist",
            "2026-01-05T00:00:00Z",
            "2026-02-01T00:00:00Z",
            1,
        );
        assert_eq!(s.merge_in(std::slice::from_ref(&a), true).unwrap(), 1);
        let after_a = s.all(None).unwrap()[0].1;
        assert_eq!(s.merge_in(std::slice::from_ref(&b), true).unwrap(), 1);
        assert_eq!(
            s.merge_in(&[b, a], true).unwrap(),
            0,
            "merging again changes nothing"
        );
        let got = s.lookup("a@example.com").unwrap().unwrap();
        assert_eq!(
            (got.reason.as_str(), got.first_seen.to_string(), got.count),
            ("does_not_exist", "2026-01-01T00:00:00Z".to_owned(), 3)
        );
        // Change numbers only grow: the second merge is after the first.
        assert_eq!(s.all(Some(after_a)).unwrap().len(), 1);
        let latest = s.all(None).unwrap()[0].1;
        assert_eq!(s.all(Some(latest)).unwrap().len(), 0);
        // A pulled record is not marked as a local change.
        let c = Suppression {
            address: "c@example.com".into(),
            ..one(
                "complained",
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                1,
            )
        };
        s.merge_in(&[c], false).unwrap();
        assert_eq!(s.all(Some(latest)).unwrap().len(), 0);
        // Removing clears the record and the history.
        let r = record("a@example.com", Reason::DoesNotExist);
        s.ingest(
            &[Incoming {
                message_key: "m",
                record: &r,
                source: "x",
                seen_at: "2026-03-01T00:00:00Z".parse().unwrap(),
            }],
            RepeatRule::default(),
        )
        .unwrap();
        assert_eq!(
            s.remove(&["a@example.com".into(), "b@example.com".into()])
                .unwrap(),
            1
        );
        assert!(s.lookup("a@example.com").unwrap().is_none());
        assert_eq!(s.event_count().unwrap(), 0);
        // And change numbers keep growing after a removal.
        let before = s.all(None).unwrap().iter().map(|r| r.1).max().unwrap();
        s.ingest(
            &[Incoming {
                message_key: "m2",
                record: &r,
                source: "x",
                seen_at: "2026-03-02T00:00:00Z".parse().unwrap(),
            }],
            RepeatRule::default(),
        )
        .unwrap();
        assert!(s
            .all(Some(before))
            .unwrap()
            .iter()
            .any(|(x, _)| x.address == "a@example.com"));
    }
}
