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
//! * `suppressions`: one row per suppressed key, DESIGN.md's record plus
//!   `updated_at` (Unix milliseconds of the last local change), which
//!   `suppressions push` uses to send only what changed.
//! * `sync_state`: per edge API, how far push and pull have got.
//!
//! Every batch is one transaction with `synchronous=FULL`: once [`Store::ingest`]
//! returns, its rows survive a `kill -9` (and a power cut).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prebounce_core::bounce::Bounce;
use prebounce_core::suppression::{self, BounceReason, Effect, RepeatRule, Suppression};
use prebounce_core::{Reason, SuppressionInfo};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
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
CREATE TABLE IF NOT EXISTS sync_state (
    api            TEXT PRIMARY KEY,
    pushed_through INTEGER NOT NULL DEFAULT 0,
    pulled_since   TEXT
);
";

/// One bounce record to store, with where it came from.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    /// The bounce message's identity: its Message-ID, or a hash of its bytes.
    pub message_key: &'a str,
    /// The parsed record.
    pub record: &'a Bounce,
    /// The file (and message number) it was read from.
    pub source: &'a str,
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
    /// and says what happened to each. `now` is the ingest time: it is
    /// every record's `seen_at`, and the repeat window ends there.
    pub fn ingest(
        &mut self,
        batch: &[Incoming<'_>],
        rule: RepeatRule,
        now: SystemTime,
    ) -> Result<Vec<Stored>, StoreError> {
        let seen_at = iso(now);
        let window_start = iso(now
            .checked_sub(Duration::from_secs(rule.window_secs))
            .unwrap_or(UNIX_EPOCH));
        let updated_at = millis(now);
        let tx = self.conn.transaction()?;
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
            // The reasons the repeat rule counts, from core's policy.
            let counted: Vec<String> = Reason::ALL
                .iter()
                .map(|&r| BounceReason::Verdict(r))
                .filter(|r| r.effect() == Effect::SuppressOnRepeat)
                .map(|r| format!("'{}'", r.as_str()))
                .collect();
            let mut recent = tx.prepare_cached(&format!(
                "SELECT count(*), min(seen_at) FROM bounce_events
                 WHERE address = ?1 AND seen_at >= ?2 AND reason IN ({})",
                counted.join(", ")
            ))?;
            let mut upsert = tx.prepare_cached(
                "INSERT INTO suppressions (address, reason, first_seen, last_seen, count, source, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (address) DO UPDATE SET reason = ?2, first_seen = ?3, last_seen = ?4,
                     count = ?5, source = ?6, updated_at = ?7",
            )?;
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
                    seen_at,
                    item.source
                ])?;
                if added == 0 {
                    out.push(Stored::Duplicate);
                    continue;
                }
                let effect = record.reason.effect();
                if effect == Effect::Never {
                    out.push(Stored::Counted);
                    continue;
                }
                let before: Option<SuppressionInfo> = existing
                    .query_row([&key], |r| {
                        Ok(SuppressionInfo {
                            reason: r.get(0)?,
                            first_seen: r.get(1)?,
                            last_seen: r.get(2)?,
                            count: r.get(3)?,
                            source: r.get(4)?,
                        })
                    })
                    .optional()?;
                let next = match before {
                    Some(b) => {
                        // Already suppressed: one more bounce. A reason that
                        // suppresses at once replaces a repeat-type one.
                        let reason = match (
                            effect,
                            BounceReason::parse(&b.reason).map(BounceReason::effect),
                        ) {
                            (Effect::SuppressNow, _) | (_, None) => {
                                record.reason.as_str().to_owned()
                            }
                            _ => b.reason,
                        };
                        SuppressionInfo {
                            reason,
                            first_seen: b.first_seen,
                            last_seen: seen_at.clone().max(b.last_seen),
                            count: b.count.saturating_add(1),
                            source: item.source.to_owned(),
                        }
                    }
                    None => {
                        let (count, first): (u32, Option<String>) = if effect == Effect::SuppressNow
                        {
                            (1, None)
                        } else {
                            recent.query_row(params![key, window_start], |r| {
                                Ok((r.get(0)?, r.get(1)?))
                            })?
                        };
                        if !rule.suppresses(record.reason, count) {
                            out.push(Stored::Counted);
                            continue;
                        }
                        SuppressionInfo {
                            reason: record.reason.as_str().to_owned(),
                            first_seen: first.unwrap_or_else(|| seen_at.clone()),
                            last_seen: seen_at.clone(),
                            count,
                            source: item.source.to_owned(),
                        }
                    }
                };
                upsert.execute(params![
                    key,
                    next.reason,
                    next.first_seen,
                    next.last_seen,
                    next.count,
                    next.source,
                    updated_at
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
        Ok(stmt
            .query_row([key], |r| {
                Ok(SuppressionInfo {
                    reason: r.get(0)?,
                    first_seen: r.get(1)?,
                    last_seen: r.get(2)?,
                    count: r.get(3)?,
                    source: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// Every suppression, by address; with `changed_after`, only those
    /// changed locally after that time (Unix ms).
    pub fn all(&self, changed_after: Option<i64>) -> Result<Vec<(Suppression, i64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT address, reason, first_seen, last_seen, count, source, updated_at
             FROM suppressions WHERE updated_at > ?1 ORDER BY address",
        )?;
        let rows = stmt.query_map([changed_after.unwrap_or(i64::MIN)], |r| {
            Ok((
                Suppression {
                    address: r.get(0)?,
                    info: SuppressionInfo {
                        reason: r.get(1)?,
                        first_seen: r.get(2)?,
                        last_seen: r.get(3)?,
                        count: r.get(4)?,
                        source: r.get(5)?,
                    },
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
        now: SystemTime,
        mark_changed: bool,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        {
            let mut get = tx.prepare_cached(
                "SELECT reason, first_seen, last_seen, count, source, updated_at FROM suppressions WHERE address = ?1",
            )?;
            let mut put = tx.prepare_cached(
                "INSERT INTO suppressions (address, reason, first_seen, last_seen, count, source, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (address) DO UPDATE SET reason = ?2, first_seen = ?3, last_seen = ?4,
                     count = ?5, source = ?6, updated_at = ?7",
            )?;
            for item in items {
                let before = get
                    .query_row([&item.address], |r| {
                        Ok((
                            SuppressionInfo {
                                reason: r.get(0)?,
                                first_seen: r.get(1)?,
                                last_seen: r.get(2)?,
                                count: r.get(3)?,
                                source: r.get(4)?,
                            },
                            r.get::<_, i64>(5)?,
                        ))
                    })
                    .optional()?;
                let (merged, old_updated) = match &before {
                    Some((b, at)) => (suppression::merge(b, &item.info), *at),
                    None => (item.info.clone(), 0),
                };
                if before.as_ref().is_some_and(|(b, _)| *b == merged) {
                    continue;
                }
                let updated_at = if mark_changed {
                    millis(now)
                } else {
                    old_updated
                };
                put.execute(params![
                    item.address,
                    merged.reason,
                    merged.first_seen,
                    merged.last_seen,
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

    /// Removes keys; returns how many were there.
    pub fn remove(&mut self, keys: &[String]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut del = tx.prepare_cached("DELETE FROM suppressions WHERE address = ?1")?;
            for k in keys {
                n += del.execute([k])?;
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

/// `now` as the stores write times: ISO 8601 UTC to the second.
pub fn iso(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prebounce_core::bounce::{Action, Kind};

    fn record(recipient: &str, reason: BounceReason) -> Bounce {
        Bounce {
            recipient: recipient.into(),
            action: Action::Failed,
            status: None,
            diagnostic_code: None,
            remote_mta: None,
            reporting_mta: None,
            arrival_date: None,
            original_message_id: None,
            kind: Kind::Hard,
            reason,
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_780_000_000 + secs)
    }

    fn temp() -> (tempdir::Dir, Store) {
        let dir = tempdir::Dir::new();
        let store = Store::open(&dir.path.join("s.db")).unwrap();
        (dir, store)
    }

    /// A throwaway directory, removed on drop.
    mod tempdir {
        pub struct Dir {
            pub path: std::path::PathBuf,
        }
        impl Dir {
            pub fn new() -> Dir {
                let path = std::env::temp_dir().join(format!(
                    "prebounce-store-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let _ = std::fs::remove_dir_all(&path);
                std::fs::create_dir_all(&path).unwrap();
                Dir { path }
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }

    #[test]
    fn hard_bounces_suppress_at_once_and_idempotently() {
        let (_d, mut s) = temp();
        let r = record(
            "Gone@Example.COM",
            BounceReason::Verdict(Reason::DoesNotExist),
        );
        let item = Incoming {
            message_key: "m1",
            record: &r,
            source: "a.eml",
        };
        let rule = RepeatRule::default();
        assert_eq!(
            s.ingest(std::slice::from_ref(&item), rule, at(0)).unwrap(),
            [Stored::Suppressed]
        );
        assert_eq!(s.ingest(&[item], rule, at(5)).unwrap(), [Stored::Duplicate]);
        let got = s.lookup("gone@example.com").unwrap().unwrap();
        assert_eq!(got.count, 1);
        assert_eq!(got.reason, "does_not_exist");
        assert_eq!(got.source, "a.eml");
        assert_eq!(s.event_count().unwrap(), 1);
    }

    #[test]
    fn soft_bounces_suppress_when_they_repeat_in_the_window() {
        let (_d, mut s) = temp();
        let full = record(
            "full@example.com",
            BounceReason::Verdict(Reason::MailboxFull),
        );
        let rule = RepeatRule {
            count: 3,
            window_secs: 100,
        };
        let ingest = |s: &mut Store, key: &str, t| {
            s.ingest(
                &[Incoming {
                    message_key: key,
                    record: &full,
                    source: "x",
                }],
                rule,
                at(t),
            )
            .unwrap()[0]
        };
        assert_eq!(ingest(&mut s, "m1", 0), Stored::Counted);
        // The first falls out of the window before the third arrives.
        assert_eq!(ingest(&mut s, "m2", 90), Stored::Counted);
        assert_eq!(ingest(&mut s, "m3", 150), Stored::Counted);
        assert!(s.lookup("full@example.com").unwrap().is_none());
        assert_eq!(ingest(&mut s, "m4", 160), Stored::Suppressed);
        let got = s.lookup("full@example.com").unwrap().unwrap();
        assert_eq!((got.count, got.reason.as_str()), (3, "mailbox_full"));
        assert_eq!(got.first_seen, iso(at(90)));
        // A later hard bounce takes over the reason.
        let gone = record(
            "full@example.com",
            BounceReason::Verdict(Reason::MailboxDisabled),
        );
        s.ingest(
            &[Incoming {
                message_key: "m5",
                record: &gone,
                source: "y",
            }],
            rule,
            at(200),
        )
        .unwrap();
        let got = s.lookup("full@example.com").unwrap().unwrap();
        assert_eq!(
            (got.count, got.reason.as_str(), got.source.as_str()),
            (4, "mailbox_disabled", "y")
        );
    }

    #[test]
    fn blocked_never_suppresses_and_junk_is_not_stored() {
        let (_d, mut s) = temp();
        let blocked = record("b@example.com", BounceReason::Verdict(Reason::Blocked));
        let junk = record(
            "not an address",
            BounceReason::Verdict(Reason::DoesNotExist),
        );
        let items: Vec<Incoming> = (0..10)
            .map(|i| Incoming {
                message_key: Box::leak(format!("m{i}").into_boxed_str()),
                record: &blocked,
                source: "x",
            })
            .chain([Incoming {
                message_key: "j",
                record: &junk,
                source: "x",
            }])
            .collect();
        let out = s.ingest(&items, RepeatRule::default(), at(0)).unwrap();
        assert!(out[..10].iter().all(|o| *o == Stored::Counted));
        assert_eq!(out[10], Stored::NotAnAddress);
        assert!(s.lookup("b@example.com").unwrap().is_none());
        assert_eq!(s.event_count().unwrap(), 10);
    }

    #[test]
    fn merging_and_removing() {
        let (_d, mut s) = temp();
        let one = |reason: &str, first: &str, last: &str, count| Suppression {
            address: "a@example.com".into(),
            info: SuppressionInfo {
                reason: reason.into(),
                first_seen: first.into(),
                last_seen: last.into(),
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
        assert_eq!(
            s.merge_in(std::slice::from_ref(&a), at(0), true).unwrap(),
            1
        );
        assert_eq!(
            s.merge_in(std::slice::from_ref(&b), at(1), true).unwrap(),
            1
        );
        assert_eq!(
            s.merge_in(&[b, a], at(2), true).unwrap(),
            0,
            "merging again changes nothing"
        );
        let got = s.lookup("a@example.com").unwrap().unwrap();
        assert_eq!(
            (got.reason.as_str(), got.first_seen.as_str(), got.count),
            ("does_not_exist", "2026-01-01T00:00:00Z", 3)
        );
        assert_eq!(s.all(Some(millis(at(1)) - 1)).unwrap().len(), 1);
        assert_eq!(s.all(Some(millis(at(1)))).unwrap().len(), 0);
        assert_eq!(
            s.remove(&["a@example.com".into(), "b@example.com".into()])
                .unwrap(),
            1
        );
        assert!(s.lookup("a@example.com").unwrap().is_none());
    }
}
