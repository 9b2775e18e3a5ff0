//! The CLI's suppression store: one SQLite file (WAL journal), written by
//! `bounces --suppress`, read by `check --suppress`, managed and synced by
//! `suppressions`. It runs [`crate::ledger`]'s statements, the ones the edge
//! runs on D1.
//!
//! `updated_at` is the local change number here (from `counters`, taken
//! inside the write transaction, so it only grows and never reorders
//! commits): `suppressions push` sends the rows changed since the last push.
//! A removed address keeps no tombstone (there is no change feed to show it).
//!
//! Every batch is one transaction with `synchronous=FULL`: once a write
//! returns, its rows survive a `kill -9` (and a power cut).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use prebounce_core::suppression::{self, RepeatRule, Suppression};
use prebounce_core::time::StoreTime;
use prebounce_core::SuppressionInfo;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::{json, Value};
use thiserror::Error;

use crate::ledger::{self, Absorb, Ingest, NewEvent, Outcome, Stamp};
use crate::schema::{self, VERSION};
use crate::sent::{self, Sent};
use crate::{SqlValue, Statement, StatementResult};

/// What can go wrong with the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("suppression store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file is a store of a newer version.
    #[error("suppression store: schema version {0} is newer than this prebounce understands")]
    Version(i64),
    /// The file was made by something else.
    #[error("suppression store: version {0} without a ledger's tables: not a prebounce store")]
    Foreign(i64),
}

/// Records per upsert statement in [`Store::merge_in`] (one JSON parameter
/// each; the transaction still covers the whole call).
const MERGE_CHUNK: usize = 1000;

/// Runs one statement on `conn` (a connection or a transaction), D1-style:
/// rows as column name → JSON value, or the number of rows changed.
pub fn execute(conn: &Connection, s: &Statement) -> rusqlite::Result<StatementResult> {
    let params = rusqlite::params_from_iter(s.params.iter().map(|p| match p {
        SqlValue::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        SqlValue::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
        SqlValue::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
    }));
    let mut stmt = conn.prepare_cached(&s.sql)?;
    let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
    if names.is_empty() {
        let changes = stmt.execute(params)? as u64;
        return Ok(StatementResult {
            rows: vec![],
            changes,
        });
    }
    let mut rows = Vec::new();
    let mut cursor = stmt.query(params)?;
    while let Some(row) = cursor.next()? {
        let mut map = serde_json::Map::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let v = match row.get_ref(i)? {
                ValueRef::Null | ValueRef::Blob(_) => Value::Null,
                ValueRef::Integer(n) => json!(n),
                ValueRef::Real(f) => json!(f),
                ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
            };
            map.insert(name.clone(), v);
        }
        rows.push(map);
    }
    Ok(StatementResult { rows, changes: 0 })
}

/// Runs statements in order on `conn`, answering each one's result.
pub fn execute_all(
    conn: &Connection,
    statements: &[Statement],
) -> rusqlite::Result<Vec<StatementResult>> {
    statements.iter().map(|s| execute(conn, s)).collect()
}

/// Brings an open connection's schema to [`VERSION`] in one transaction:
/// a new file gets every migration; a file of the CLI's own first schema
/// (`user_version` 1, before the shared migrations) is converted, rows and
/// all. Answers the version found.
pub fn migrate(conn: &mut Connection) -> Result<i64, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > i64::from(VERSION) {
        return Err(StoreError::Version(found));
    }
    if found == i64::from(VERSION) {
        return Ok(found);
    }
    if found < 0 {
        return Err(StoreError::Foreign(found));
    }
    let legacy = found == 1;
    if legacy {
        if !has_column(&tx, "bounce_events", "address")? {
            return Err(StoreError::Foreign(found));
        }
        tx.execute_batch(LEGACY_V1_SET_ASIDE)?;
    }
    let from = if legacy {
        0
    } else {
        u32::try_from(found).unwrap_or(0)
    };
    for sql in schema::upgrade_from(from) {
        tx.execute_batch(&sql)?;
    }
    if legacy {
        tx.execute_batch(LEGACY_V1_COPY)?;
    }
    tx.pragma_update(None, "user_version", i64::from(VERSION))?;
    tx.commit()?;
    Ok(found)
}

/// The CLI's first schema (user_version 1) predates the shared migrations:
/// its tables are set aside, the migrations create the ledger's, and
/// [`LEGACY_V1_COPY`] moves every row over.
const LEGACY_V1_SET_ASIDE: &str = "
DROP INDEX IF EXISTS bounce_events_by_address;
DROP INDEX IF EXISTS suppressions_by_update;
ALTER TABLE bounce_events RENAME TO legacy_bounce_events;
ALTER TABLE suppressions RENAME TO legacy_suppressions;
ALTER TABLE counters RENAME TO legacy_counters;
ALTER TABLE sync_state RENAME TO legacy_sync_state;
";

const LEGACY_V1_COPY: &str = "
INSERT INTO bounce_events
    (message_key, recipient_key, reason, seen_at, undetermined, recipient, kind, source)
    SELECT message_key, address, reason, seen_at, kind = 'undetermined', recipient, kind, source
    FROM legacy_bounce_events;
INSERT INTO suppressions
    (address, reason, first_seen, last_seen, count, source, updated_at, deleted)
    SELECT address, reason, first_seen, last_seen, count, source, updated_at, 0
    FROM legacy_suppressions;
INSERT OR REPLACE INTO counters (name, value) SELECT name, value FROM legacy_counters;
INSERT OR REPLACE INTO sync_state (api, pushed_through, pulled_since)
    SELECT api, pushed_through, pulled_since FROM legacy_sync_state;
DROP TABLE legacy_bounce_events;
DROP TABLE legacy_suppressions;
DROP TABLE legacy_counters;
DROP TABLE legacy_sync_state;
";

fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
        params![table, column],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// The SQLite suppression store.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed, upgrading if older) a store for writing.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // WAL: readers (`check --suppress`) never block the ingest. FULL:
        // a committed batch is on disk before a write returns.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // 64 MiB of page cache (SQLite's default is 8): a batch reads and
        // writes the same index pages again and again.
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Statement journals (an insert of several rows keeps one, to undo
        // the statement alone) stay in memory instead of spilling to a
        // temporary file: they are undo copies, never needed after a crash.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        migrate(&mut conn)?;
        Ok(Store { conn })
    }

    /// Opens an existing store for lookups only. A store of an older
    /// version is upgraded first (opened for writing once).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(30))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > i64::from(VERSION) {
            return Err(StoreError::Version(version));
        }
        if version < i64::from(VERSION) {
            drop(conn);
            drop(Store::open(path)?);
            return Store::open_read_only(path);
        }
        Ok(Store { conn })
    }

    /// Records a batch of events in one transaction, applying core's ledger,
    /// and says what happened to each. Each event is placed in time at its
    /// own `at`: the repeat window ends there, so an archive read years
    /// later counts its bounces as they happened.
    pub fn ingest(
        &mut self,
        events: &[NewEvent<'_>],
        rule: RepeatRule,
    ) -> Result<Vec<Outcome>, StoreError> {
        // IMMEDIATE: the write lock is held from the start, so the change
        // number taken below orders this batch against every other writer,
        // and nothing changes between the reads and the writes.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let change = next_change(&tx)?;
        let ingest = Ingest::new(events);
        let reads = execute_all(&tx, &ingest.reads())?;
        let decided = ingest.writes(&reads, rule, change);
        execute_all(&tx, &decided.writes)?;
        tx.commit()?;
        Ok(decided.outcomes)
    }

    /// Records what was sent (the sent log) in one transaction; how many
    /// records were new.
    pub fn record_sent(&mut self, rows: &[Sent]) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut n = 0;
        for chunk in rows.chunks(sent::ROWS) {
            n += execute(&tx, &sent::insert(chunk))?.changes;
        }
        tx.commit()?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Whether the store holds a sent log (verified mode is on when it does).
    pub fn has_sent(&self) -> Result<bool, StoreError> {
        let result = execute(&self.conn, &sent::any())?;
        Ok(result
            .rows
            .first()
            .and_then(|r| r.get("any"))
            .and_then(serde_json::Value::as_i64)
            == Some(1))
    }

    /// Which of these (Message-ID, recipient key) pairs the sent log has,
    /// each with how many recipients its message went to.
    pub fn sent_matches<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<HashMap<(String, String), u64>, StoreError> {
        Ok(sent::matched(&execute(&self.conn, &sent::lookup(pairs))?))
    }

    /// The live records that came from unproven bounces, by address.
    pub fn unverified(&self) -> Result<Vec<Suppression>, StoreError> {
        let result = execute(&self.conn, &ledger::unverified())?;
        Ok(ledger::changes(&result)
            .into_iter()
            .filter_map(|c| {
                Some(Suppression {
                    address: c.address,
                    info: c.info?,
                })
            })
            .collect())
    }

    /// The record of a key, if suppressed.
    pub fn lookup(&self, key: &str) -> Result<Option<SuppressionInfo>, StoreError> {
        let result = execute(&self.conn, &ledger::lookup([key]))?;
        Ok(ledger::records(&result).remove(key))
    }

    /// Every suppression, by address, with its change number; with
    /// `changed_after`, only those changed locally after that change.
    pub fn all(&self, changed_after: Option<i64>) -> Result<Vec<(Suppression, i64)>, StoreError> {
        let result = execute(
            &self.conn,
            &ledger::changed_after(changed_after.unwrap_or(i64::MIN)),
        )?;
        Ok(ledger::changes(&result)
            .into_iter()
            .filter_map(|c| {
                let info = c.info?;
                Some((
                    Suppression {
                        address: c.address,
                        info,
                    },
                    c.updated_at,
                ))
            })
            .collect())
    }

    /// Merges records from elsewhere (an import, a pull) in one transaction,
    /// by core's `absorb` and `merge` ([`Absorb`]). Returns how many rows
    /// changed. `mark_changed` false
    /// keeps a pulled row from being pushed back.
    pub fn merge_in(
        &mut self,
        items: &[Suppression],
        mark_changed: bool,
    ) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (stamp, updated_at) = if mark_changed {
            (Stamp::Changed, next_change(&tx)?)
        } else {
            (Stamp::Keep, 0)
        };
        let mut changed = 0;
        for chunk in items.chunks(MERGE_CHUNK) {
            let absorb = Absorb::new(chunk);
            let reads = execute_all(&tx, &absorb.reads())?;
            for write in absorb.writes(&reads, updated_at, stamp) {
                changed += execute(&tx, &write)?.changes;
            }
        }
        tx.commit()?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    /// Removes keys and their bounce history (a mistake, or an erasure
    /// request: nothing of the address is kept); returns how many were
    /// suppressed.
    pub fn remove(&mut self, keys: &[String]) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let change = next_change(&tx)?;
        let mut n = 0;
        for k in keys {
            // No tombstone is kept: purge everything up to this change.
            let results = execute_all(&tx, &ledger::delete(k, change, i64::MAX))?;
            n += results.first().map_or(0, |r| r.changes);
        }
        tx.commit()?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Applies deletions made elsewhere (the edge's tombstones: key and
    /// Unix milliseconds), given how far pushes to that place have got
    /// (`pushed_through`). A local record is removed only when core's
    /// `suppression::tombstone_removes` says so; a newer one stays and is
    /// stamped as changed, so the next push carries it back. Only events
    /// seen before the deletion are forgotten. How many records were
    /// removed.
    pub fn apply_tombstones(
        &mut self,
        gone: &[(String, i64)],
        pushed_through: i64,
    ) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let change = next_change(&tx)?;
        let mut n = 0;
        for (k, deleted_at) in gone {
            let before = StoreTime::from_unix_ms(*deleted_at);
            let current = ledger::changes(&execute(&tx, &ledger::lookup([k.as_str()]))?);
            match current.into_iter().find(|c| &c.address == k) {
                Some(ledger::Change {
                    info: Some(record),
                    updated_at,
                    ..
                }) if !suppression::tombstone_removes(
                    &record,
                    updated_at > pushed_through,
                    *deleted_at,
                ) =>
                {
                    tx.execute(
                        "UPDATE suppressions SET updated_at = ?2 WHERE address = ?1",
                        params![k, change],
                    )?;
                }
                _ => {
                    let results =
                        execute_all(&tx, &ledger::delete_before(k, change, i64::MAX, before))?;
                    n += results.first().map_or(0, |r| r.changes);
                }
            }
        }
        tx.commit()?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// How many bounce events are stored.
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

    /// The connection, for tests that look at the tables themselves.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The next local change number (one per write transaction).
fn next_change(tx: &Connection) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "UPDATE counters SET value = value + 1 WHERE name = 'change' RETURNING value",
        [],
        |r| r.get(0),
    )?)
}
