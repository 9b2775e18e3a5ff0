//! The suppression list in D1 (docs/DESIGN.md "Bounces and suppression").
//!
//! Every statement is plain SQLite run through [`Platform::db_batch`] (a D1
//! batch: one transaction), so the native tests run the very same SQL
//! against an in-memory SQLite. The schema is `migrations/0001_suppressions.sql`,
//! created on first use in each isolate ([`run`]).
//!
//! What is decided where:
//!
//! - **Keys** are core's [`prebounce_core::suppression::key`]; the caller stores keys only.
//! - **Merging** two records of one address is core's
//!   [`prebounce_core::suppression::merge`] (earliest `first_seen`, latest `last_seen` with
//!   its reason and source, the larger `count`), written as one SQL upsert
//!   ([`upsert_sql`]) so that it is atomic and right under concurrent writers;
//!   the native tests check it against core's function. A row changes (and
//!   gets a new `updated_at`) only when the merge changes it, so writing the
//!   same records twice changes nothing.
//! - **Bounces** ([`record_bounces`]): what an event does to a record is
//!   core's ledger ([`prebounce_core::suppression::decide`]); this module
//!   only reads the address's earlier events and current record for it.
//! - **Deletion** leaves a tombstone (the record's fields cleared) that the
//!   change feed shows for [`TOMBSTONE_DAYS`], and forgets the address's
//!   bounce events.

use std::collections::{HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use prebounce_core::suppression::{
    self, BounceReason, Effect, Event, History, RepeatRule, Suppression,
};
use prebounce_core::time::StoreTime;
use prebounce_core::SuppressionInfo;
use serde_json::{json, Map, Value};

use crate::platform::{DbError, Platform, SqlValue, Statement, StatementResult};

/// The D1 binding the worker uses (wrangler.toml `[[d1_databases]]`).
pub const BINDING: &str = "SUPPRESSIONS_DB";

/// The schema: `worker/migrations/0001_suppressions.sql`.
pub const SCHEMA: &str = include_str!("../migrations/0001_suppressions.sql");

/// How long a deleted address's tombstone stays in the change feed.
pub const TOMBSTONE_DAYS: i64 = 30;

/// Where records from SNS say they came from.
pub const SES_SOURCE: &str = "ses";

/// Inserts or merges records (`?1`: a JSON array of DESIGN's suppression
/// objects, `?2`: `updated_at`). The `DO UPDATE` is core's
/// `suppression::merge(existing, new)`: earliest `first_seen`, latest
/// `last_seen`, larger `count`, and the `reason` and `source` of the record
/// that ranks higher by `suppression::rank` — (reason strength, last_seen,
/// reason, source), compared as a row value, with the strength of each
/// reason written in from core's policy. A tombstone is simply replaced. Its
/// `WHERE` skips rows the merge would leave as they are.
pub fn upsert_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let list = |effect| {
            suppression::reasons_with(effect)
                .iter()
                .map(|r| format!("'{}'", r.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let strength = |col: &str| {
            format!(
                "(CASE WHEN {col} IN ({}) THEN 2 WHEN {col} IN ({}) THEN 1 ELSE 0 END)",
                list(Effect::SuppressNow),
                list(Effect::SuppressOnRepeat)
            )
        };
        let new_rank = format!(
            "({}, excluded.last_seen, excluded.reason, excluded.source)",
            strength("excluded.reason")
        );
        let old_rank = format!("({}, last_seen, reason, source)", strength("reason"));
        let wins = format!("deleted = 1 OR {new_rank} > {old_rank}");
        format!(
            "INSERT INTO suppressions (address, reason, first_seen, last_seen, count, source, updated_at, deleted)
SELECT json_extract(value, '$.address'), json_extract(value, '$.reason'),
       json_extract(value, '$.first_seen'), json_extract(value, '$.last_seen'),
       json_extract(value, '$.count'), json_extract(value, '$.source'), ?2, 0
FROM json_each(?1) WHERE true
ON CONFLICT (address) DO UPDATE SET
  reason     = CASE WHEN {wins} THEN excluded.reason ELSE reason END,
  source     = CASE WHEN {wins} THEN excluded.source ELSE source END,
  last_seen  = CASE WHEN deleted = 1 OR excluded.last_seen > last_seen THEN excluded.last_seen ELSE last_seen END,
  first_seen = CASE WHEN deleted = 1 OR excluded.first_seen < first_seen THEN excluded.first_seen ELSE first_seen END,
  count      = CASE WHEN deleted = 1 OR excluded.count > count THEN excluded.count ELSE count END,
  updated_at = max(excluded.updated_at, updated_at + 1),
  deleted    = 0
WHERE {wins} OR excluded.last_seen > last_seen OR excluded.first_seen < first_seen
   OR excluded.count > count"
        )
    })
}

const COLUMNS: &str = "address, reason, first_seen, last_seen, count, source, updated_at, deleted";

/// The schema's statements (split at a `;` that ends a line; `--` comment
/// lines dropped).
pub fn schema_statements() -> Vec<Statement> {
    SCHEMA
        .split(";\n")
        .map(|chunk| {
            chunk
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|sql| !sql.trim().is_empty())
        .map(|sql| Statement::new(sql.trim().trim_end_matches(';'), vec![]))
        .collect()
}

/// Runs a batch, creating the schema first if this isolate has not yet
/// (in the same batch, so it costs no extra round trip).
pub async fn run(
    platform: &impl Platform,
    statements: Vec<Statement>,
) -> Result<Vec<StatementResult>, DbError> {
    if platform.schema_ready() {
        return platform.db_batch(statements).await;
    }
    let schema = schema_statements();
    let skip = schema.len();
    let mut all = schema;
    all.extend(statements);
    let mut results = platform.db_batch(all).await?;
    platform.mark_schema_ready();
    Ok(results.split_off(skip.min(results.len())))
}

/// One entry of the change feed: a live record, or a deleted address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The suppression key.
    pub address: String,
    /// The record; `None` for a deleted address (a tombstone).
    pub info: Option<SuppressionInfo>,
    /// When the row last changed, Unix milliseconds (the worker's clock).
    pub updated_at: i64,
}

/// Where a page of the change feed ends: the last row's `(updated_at,
/// address)`. Clients see it as opaque base64url text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last row's `updated_at`.
    pub updated_at: i64,
    /// The last row's address.
    pub address: String,
}

impl Cursor {
    /// The opaque text form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.updated_at, self.address))
    }

    /// Reads [`Cursor::encode`]'s text; `None` if it is not one.
    pub fn decode(text: &str) -> Option<Cursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (at, address) = raw.split_once('|')?;
        Some(Cursor {
            updated_at: at.parse().ok()?,
            address: address.to_owned(),
        })
    }
}

fn text(row: &Map<String, Value>, column: &str) -> Option<String> {
    row.get(column)?.as_str().map(str::to_owned)
}

fn int(row: &Map<String, Value>, column: &str) -> Option<i64> {
    let v = row.get(column)?;
    // D1 hands numbers over as JavaScript numbers: whole ones may arrive as
    // floats.
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
}

/// The record of a row, when it is a live one.
fn info(row: &Map<String, Value>) -> Option<SuppressionInfo> {
    if int(row, "deleted").unwrap_or(0) != 0 {
        return None;
    }
    Some(SuppressionInfo {
        reason: text(row, "reason")?,
        first_seen: StoreTime::parse(&text(row, "first_seen")?)?,
        last_seen: StoreTime::parse(&text(row, "last_seen")?)?,
        count: u32::try_from(int(row, "count")?).ok()?,
        source: text(row, "source")?,
    })
}

fn first(results: Vec<StatementResult>) -> StatementResult {
    results.into_iter().next().unwrap_or_default()
}

/// Reads the live records of the keys in `keys` (a JSON array).
fn lookup_statement(keys: SqlValue) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM suppressions WHERE deleted = 0 AND address IN (SELECT value FROM json_each(?1))"
        ),
        vec![keys],
    )
}

/// The live records of these keys.
pub async fn lookup(
    platform: &impl Platform,
    keys: &[String],
) -> Result<HashMap<String, SuppressionInfo>, DbError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let keys = SqlValue::Text(json!(keys).to_string());
    let rows = first(run(platform, vec![lookup_statement(keys)]).await?).rows;
    Ok(rows
        .iter()
        .filter_map(|row| Some((text(row, "address")?, info(row)?)))
        .collect())
}

/// The live record of one key.
pub async fn get(platform: &impl Platform, key: &str) -> Result<Option<SuppressionInfo>, DbError> {
    Ok(lookup(platform, &[key.to_owned()]).await?.remove(key))
}

/// Inserts or merges `records` (keys already checked) in one statement;
/// answers how many rows changed.
pub async fn upsert(
    platform: &impl Platform,
    records: &[Suppression],
    now_ms: i64,
) -> Result<u64, DbError> {
    if records.is_empty() {
        return Ok(0);
    }
    let statement = upsert_statement(records, now_ms);
    Ok(first(run(platform, vec![statement]).await?).changes)
}

fn upsert_statement(records: &[Suppression], now_ms: i64) -> Statement {
    Statement::new(
        upsert_sql(),
        vec![
            SqlValue::Text(json!(records).to_string()),
            SqlValue::Int(now_ms),
        ],
    )
}

/// Deletes `key`: its record becomes a tombstone, its bounce events are
/// forgotten, and tombstones past [`TOMBSTONE_DAYS`] are purged. Answers
/// whether there was anything to delete.
pub async fn delete(platform: &impl Platform, key: &str, now_ms: i64) -> Result<bool, DbError> {
    let key = || SqlValue::Text(key.to_owned());
    let statements = vec![
        Statement::new(
            "UPDATE suppressions SET reason = NULL, first_seen = NULL, last_seen = NULL, count = NULL, \
             source = NULL, deleted = 1, updated_at = max(?2, updated_at + 1) \
             WHERE address = ?1 AND deleted = 0",
            vec![key(), SqlValue::Int(now_ms)],
        ),
        Statement::new(
            "DELETE FROM bounce_events WHERE recipient_key = ?1",
            vec![key()],
        ),
        Statement::new(
            "DELETE FROM suppressions WHERE deleted = 1 AND updated_at < ?1",
            vec![SqlValue::Int(now_ms - TOMBSTONE_DAYS * 86_400_000)],
        ),
    ];
    let results = run(platform, statements).await?;
    Ok(results.iter().take(2).any(|r| r.changes > 0))
}

/// A page of changes since `since_ms` (inclusive), after `cursor`, in
/// `(updated_at, address)` order; the cursor of the next page, if any.
pub async fn page(
    platform: &impl Platform,
    since_ms: i64,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Result<(Vec<Change>, Option<Cursor>), DbError> {
    let (after_at, after_address) = match cursor {
        Some(c) => (c.updated_at, c.address.clone()),
        None => (-1, String::new()),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM suppressions WHERE updated_at >= ?1 AND (updated_at, address) > (?2, ?3) \
         ORDER BY updated_at, address LIMIT ?4"
    );
    let statement = Statement::new(
        sql,
        vec![
            SqlValue::Int(since_ms),
            SqlValue::Int(after_at),
            SqlValue::Text(after_address),
            // One more than asked: whether there is a next page.
            SqlValue::Int(limit as i64 + 1),
        ],
    );
    let rows = first(run(platform, vec![statement]).await?).rows;
    let mut changes: Vec<Change> = rows
        .iter()
        .filter_map(|row| {
            Some(Change {
                address: text(row, "address")?,
                info: info(row),
                updated_at: int(row, "updated_at")?,
            })
        })
        .collect();
    let more = changes.len() > limit;
    changes.truncate(limit);
    let next = match changes.last() {
        Some(last) if more => Some(Cursor {
            updated_at: last.updated_at,
            address: last.address.clone(),
        }),
        _ => None,
    };
    Ok((changes, next))
}

/// One failed (or complaining) recipient of a bounce message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceEvent {
    /// Its suppression key.
    pub key: String,
    /// What the report says.
    pub reason: BounceReason,
    /// The report could not tell whose fault the failure was (core's
    /// `Kind::Undetermined`): kept, never counted.
    pub undetermined: bool,
}

/// What [`record_bounces`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Recipients recorded from this message before (a redelivery), or
    /// listed twice in it.
    pub duplicates: usize,
    /// Recipients whose bounce put (or kept) their address on the list.
    pub suppressed: usize,
}

/// Records one message's bounce events (`message_key`: the SNS MessageId)
/// seen at `seen`, and stores what core's ledger
/// ([`prebounce_core::suppression::decide`]) decides for each address.
///
/// A recipient already recorded under this `message_key` is a duplicate and
/// changes nothing. The reads (earlier events, current records) are one D1
/// batch and the writes (the events, the records) another, each one
/// transaction.
pub async fn record_bounces(
    platform: &impl Platform,
    message_key: &str,
    events: &[BounceEvent],
    seen: StoreTime,
    rule: RepeatRule,
    now_ms: i64,
) -> Result<Recorded, DbError> {
    let mut recorded = Recorded::default();
    let mut fresh: Vec<&BounceEvent> = Vec::new();
    let mut seen_keys = HashSet::new();
    for e in events {
        if seen_keys.insert(e.key.as_str()) {
            fresh.push(e);
        } else {
            recorded.duplicates += 1;
        }
    }
    if fresh.is_empty() {
        return Ok(recorded);
    }
    let (start, end) = rule.window(seen);
    let keys = SqlValue::Text(json!(fresh.iter().map(|e| &e.key).collect::<Vec<_>>()).to_string());
    let reads = vec![
        Statement::new(
            "SELECT recipient_key FROM bounce_events WHERE message_key = ?1",
            vec![SqlValue::Text(message_key.to_owned())],
        ),
        Statement::new(
            "SELECT recipient_key, reason, count(*) AS n, min(seen_at) AS first, \
             sum(seen_at >= ?2 AND seen_at <= ?3) AS recent FROM bounce_events \
             WHERE recipient_key IN (SELECT value FROM json_each(?1)) AND undetermined = 0 \
             GROUP BY recipient_key, reason",
            vec![
                keys.clone(),
                SqlValue::Text(start.to_string()),
                SqlValue::Text(end.to_string()),
            ],
        ),
        lookup_statement(keys),
    ];
    let mut results = run(platform, reads).await?.into_iter();
    let done: HashSet<String> = results
        .next()
        .unwrap_or_default()
        .rows
        .iter()
        .filter_map(|row| text(row, "recipient_key"))
        .collect();
    let history_rows = results.next().unwrap_or_default().rows;
    let current: HashMap<String, SuppressionInfo> = results
        .next()
        .unwrap_or_default()
        .rows
        .iter()
        .filter_map(|row| Some((text(row, "address")?, info(row)?)))
        .collect();

    let mut new_events = Vec::new();
    let mut records = Vec::new();
    for e in fresh {
        if done.contains(&e.key) {
            recorded.duplicates += 1;
            continue;
        }
        new_events.push(json!({"m": message_key, "k": e.key, "r": e.reason.as_str(),
            "s": seen.to_string(), "d": e.undetermined}));
        let mut history = History::default();
        for row in history_rows
            .iter()
            .filter(|row| text(row, "recipient_key").as_deref() == Some(&e.key))
        {
            if let Some(reason) = text(row, "reason").and_then(|r| BounceReason::parse(&r)) {
                let n = u32::try_from(int(row, "n").unwrap_or(0)).unwrap_or(u32::MAX);
                let recent = u32::try_from(int(row, "recent").unwrap_or(0)).unwrap_or(u32::MAX);
                let first = text(row, "first").and_then(|f| StoreTime::parse(&f));
                history.add(reason, n, first, recent);
            }
        }
        let event = Event {
            reason: e.reason,
            undetermined: e.undetermined,
            at: seen,
            source: SES_SOURCE,
        };
        if let Some(info) = suppression::decide(current.get(&e.key), &history, &event, rule) {
            records.push(Suppression {
                address: e.key.clone(),
                info,
            });
        }
    }
    if new_events.is_empty() {
        return Ok(recorded);
    }
    let mut writes = vec![Statement::new(
        "INSERT INTO bounce_events (message_key, recipient_key, reason, seen_at, undetermined) \
         SELECT json_extract(value, '$.m'), json_extract(value, '$.k'), json_extract(value, '$.r'), \
         json_extract(value, '$.s'), json_extract(value, '$.d') FROM json_each(?1) WHERE true \
         ON CONFLICT DO NOTHING",
        vec![SqlValue::Text(Value::Array(new_events).to_string())],
    )];
    if !records.is_empty() {
        writes.push(upsert_statement(&records, now_ms));
    }
    run(platform, writes).await?;
    recorded.suppressed = records.len();
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_has_its_four_statements() {
        let s = schema_statements();
        assert_eq!(s.len(), 4, "{s:?}");
        assert!(s[0]
            .sql
            .starts_with("CREATE TABLE IF NOT EXISTS suppressions"));
        assert!(s.iter().all(|st| !st.sql.contains("--")));
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let c = Cursor {
            updated_at: 1_700_000_000_123,
            address: "a|b@example.com".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for junk in ["", "!!", "bm9waXBl", &URL_SAFE_NO_PAD.encode("x|a@b")] {
            assert_eq!(Cursor::decode(junk), None, "{junk}");
        }
    }
}
