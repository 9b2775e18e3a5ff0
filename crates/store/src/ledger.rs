//! Every statement the CLI and the edge run on the ledger, and the reading
//! of their rows.
//!
//! What the statements decide is core's:
//!
//! - **Keys** are [`suppression::key`]; stores hold keys only.
//! - **Merging** two records of one address is [`suppression::merge`]
//!   (earliest `first_seen`, latest `last_seen` with its reason and source,
//!   the larger `count`), written as one SQL upsert ([`upsert`]) so that it
//!   is atomic and right under concurrent writers; the tests check it
//!   against core's function. A row changes only when the merge changes it.
//! - **Bounces** ([`Ingest`]): what an event does to a record is core's
//!   [`suppression::decide`]; an ingest reads the events' addresses (one
//!   batch), decides in memory, event by event, and writes (one batch).
//! - **Deletion** ([`delete`]) leaves a tombstone (the record's fields
//!   cleared) for a change feed to show, forgets the address's bounce
//!   events, and purges tombstones older than the caller says.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use prebounce_core::bounce::{Bounce, Kind};
use prebounce_core::suppression::trust::Verified;
use prebounce_core::suppression::{
    self, BounceReason, Effect, Event, History, RepeatRule, Suppression,
};
use prebounce_core::time::StoreTime;
use prebounce_core::{SuppressionInfo, SyntaxErrorCode};
use serde_json::Value;

use crate::statement::{int, text, Row, SqlValue, Statement, StatementResult};

/// The columns of a `suppressions` row, in the order the statements here
/// select them.
const COLUMNS: &str = "address, reason, first_seen, last_seen, count, source, updated_at, deleted";

/// The record of a row, when it is a live one (not a tombstone, every field
/// well-formed).
pub fn info(row: &Row) -> Option<SuppressionInfo> {
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

/// The reasons whose events count (core's policy), as an SQL list.
fn counted_reasons() -> String {
    [Effect::SuppressNow, Effect::SuppressOnRepeat]
        .into_iter()
        .flat_map(suppression::reasons_with)
        .map(|r| format!("'{}'", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as JSON text, bound as one parameter (read with `json_each`).
fn json_text(value: &impl serde::Serialize) -> SqlValue {
    // Tuples, strings, numbers and booleans always serialize.
    SqlValue::Text(serde_json::to_string(value).unwrap_or_default())
}

/// A JSON array of texts, bound as one parameter (read with `json_each`).
fn json_list<'a>(items: impl IntoIterator<Item = &'a str>) -> SqlValue {
    SqlValue::Text(Value::from_iter(items).to_string())
}

/// Reads the live records of `keys`; read its result with [`records`].
pub fn lookup<'a>(keys: impl IntoIterator<Item = &'a str>) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM suppressions WHERE deleted = 0 \
             AND address IN (SELECT value FROM json_each(?1))"
        ),
        vec![json_list(keys)],
    )
}

/// The live records in a result of [`lookup`], by key.
pub fn records(result: &StatementResult) -> HashMap<String, SuppressionInfo> {
    result
        .rows
        .iter()
        .filter_map(|row| Some((text(row, "address")?, info(row)?)))
        .collect()
}

/// Whether [`upsert`] gives a changed row a new `updated_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Yes: the row is a change to pass on (the edge's change feed, the
    /// CLI's next push).
    Changed,
    /// No: the record came from where a push would send it (the CLI's pull).
    /// A new row gets the `updated_at` given; an existing one keeps its own.
    Keep,
}

/// The upsert's SQL: `?1` a JSON array of suppression objects, `?2`
/// `updated_at`, `?3` 1 to stamp ([`Stamp`]). The `DO UPDATE` is core's
/// `suppression::merge(existing, new)`: earliest `first_seen`, latest
/// `last_seen`, larger `count`, and the `reason` and `source` of the record
/// that ranks higher by `suppression::rank` — (reason strength, last_seen,
/// reason, source), compared as a row value, with the strength of each
/// reason written in from core's policy. A tombstone is simply replaced. Its
/// `WHERE` skips rows the merge would leave as they are.
fn upsert_sql() -> &'static str {
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
  updated_at = CASE WHEN ?3 THEN max(excluded.updated_at, updated_at + 1) ELSE updated_at END,
  deleted    = 0
WHERE {wins} OR excluded.last_seen > last_seen OR excluded.first_seen < first_seen
   OR excluded.count > count"
        )
    })
}

/// Inserts or merges `records` (keys already checked, each counting every
/// event stored for it: made by the ledger, or through [`Absorb`]) in one
/// statement; its `changes` are the rows that changed.
fn upsert(records: &[Suppression], updated_at: i64, stamp: Stamp) -> Statement {
    Statement::new(
        upsert_sql(),
        vec![
            json_text(&records),
            SqlValue::Int(updated_at),
            SqlValue::Int(i64::from(stamp == Stamp::Changed)),
        ],
    )
}

/// Deletes `key`: its record becomes a tombstone stamped `updated_at`, its
/// bounce events are forgotten, and tombstones stamped before
/// `purge_before` are purged. The first two results' `changes` say whether
/// there was anything to delete.
pub fn delete(key: &str, updated_at: i64, purge_before: i64) -> Vec<Statement> {
    delete_with_events(key, updated_at, purge_before, None)
}

/// Like [`delete`], for a deletion made elsewhere at `deleted_at`: only the
/// events seen before it are forgotten (a later bounce is news the deletion
/// did not know of).
pub fn delete_before(
    key: &str,
    updated_at: i64,
    purge_before: i64,
    deleted_at: StoreTime,
) -> Vec<Statement> {
    delete_with_events(key, updated_at, purge_before, Some(deleted_at))
}

/// Forgets the events of `key` seen before `deleted_at` (all of them when
/// `None`), keeping the record.
pub fn forget_events(key: &str, deleted_at: Option<StoreTime>) -> Statement {
    let key = SqlValue::Text(key.to_owned());
    match deleted_at {
        None => Statement::new(
            "DELETE FROM bounce_events WHERE recipient_key = ?1",
            vec![key],
        ),
        Some(t) => Statement::new(
            "DELETE FROM bounce_events WHERE recipient_key = ?1 AND seen_at < ?2",
            vec![key, SqlValue::Text(t.to_string())],
        ),
    }
}

fn delete_with_events(
    key: &str,
    updated_at: i64,
    purge_before: i64,
    deleted_at: Option<StoreTime>,
) -> Vec<Statement> {
    vec![
        Statement::new(
            "UPDATE suppressions SET reason = NULL, first_seen = NULL, last_seen = NULL, count = NULL, \
             source = NULL, deleted = 1, updated_at = max(?2, updated_at + 1) \
             WHERE address = ?1 AND deleted = 0",
            vec![SqlValue::Text(key.to_owned()), SqlValue::Int(updated_at)],
        ),
        forget_events(key, deleted_at),
        Statement::new(
            "DELETE FROM suppressions WHERE deleted = 1 AND updated_at < ?1",
            vec![SqlValue::Int(purge_before)],
        ),
    ]
}

/// One entry of the change feed: a live record, or a deleted address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The suppression key.
    pub address: String,
    /// The record; `None` for a deleted address (a tombstone).
    pub info: Option<SuppressionInfo>,
    /// When the row last changed (the edge: Unix milliseconds; the CLI: its
    /// change number).
    pub updated_at: i64,
}

/// Reads up to `limit` + 1 changes stamped at `since` or later, after the
/// row `after` (its `updated_at` and address), in `(updated_at, address)`
/// order. Read its result with [`changes`]: the extra row says whether
/// there is a next page.
pub fn page(since: i64, after: Option<(i64, &str)>, limit: usize) -> Statement {
    let (after_at, after_address) = after.unwrap_or((-1, ""));
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM suppressions WHERE updated_at >= ?1 \
             AND (updated_at, address) > (?2, ?3) ORDER BY updated_at, address LIMIT ?4"
        ),
        vec![
            SqlValue::Int(since),
            SqlValue::Int(after_at),
            SqlValue::Text(after_address.to_owned()),
            SqlValue::Int(i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1),
        ],
    )
}

/// The changes in a result of [`page`] or [`changed_after`].
pub fn changes(result: &StatementResult) -> Vec<Change> {
    result
        .rows
        .iter()
        .filter_map(|row| {
            Some(Change {
                address: text(row, "address")?,
                info: info(row),
                updated_at: int(row, "updated_at")?,
            })
        })
        .collect()
}

/// Reads every live record stamped after `after`, by address (the CLI's
/// list, export and push). Read it with [`changes`].
pub fn changed_after(after: i64) -> Statement {
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM suppressions WHERE deleted = 0 AND updated_at > ?1 \
             ORDER BY address"
        ),
        vec![SqlValue::Int(after)],
    )
}

/// Reads the live records that came from unproven bounces: the address has
/// counted bounce events and nothing proves any of them (core's
/// `suppression::trust`; rows from before the column are unproven). Read it
/// with [`changes`].
pub fn unverified() -> Statement {
    let proven = Verified::ALL
        .into_iter()
        .filter(|v| v.is_proven())
        .map(|v| format!("'{}'", v.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let counted = counted_reasons();
    let counts =
        format!("e.recipient_key = s.address AND e.undetermined = 0 AND e.reason IN ({counted})");
    Statement::new(
        format!(
            "SELECT {COLUMNS} FROM suppressions AS s WHERE deleted = 0 \
             AND EXISTS (SELECT 1 FROM bounce_events AS e WHERE {counts}) \
             AND NOT EXISTS (SELECT 1 FROM bounce_events AS e WHERE {counts} \
               AND e.verified IN ({proven})) \
             ORDER BY address"
        ),
        Vec::new(),
    )
}

/// Records from elsewhere (an import, a pull, a `PUT`) to merge in: first
/// run [`Absorb::reads`], then [`Absorb::writes`]. Each record is merged as
/// core's [`suppression::absorb`] makes it: counting at least the events
/// this store holds for its address, so that the address's next event only
/// needs its record ([`Ingest`]).
#[derive(Debug)]
pub struct Absorb<'r> {
    records: &'r [Suppression],
}

impl<'r> Absorb<'r> {
    /// Merging `records` (keys already checked).
    pub fn new(records: &'r [Suppression]) -> Absorb<'r> {
        Absorb { records }
    }

    /// The read: the counted events stored for these keys, per reason.
    pub fn reads(&self) -> Vec<Statement> {
        vec![Statement::new(
            format!(
                "SELECT recipient_key, reason, count(*) AS n, min(seen_at) AS first FROM bounce_events \
                 WHERE recipient_key IN (SELECT value FROM json_each(?1)) AND undetermined = 0 \
                 AND reason IN ({}) GROUP BY recipient_key, reason",
                counted_reasons()
            ),
            vec![json_list(self.records.iter().map(|r| r.address.as_str()))],
        )]
    }

    /// The write (none for no records): the records, each absorbing what
    /// the read found for it, merged and stamped as [`Stamp`] says.
    pub fn writes(
        &self,
        reads: &[StatementResult],
        updated_at: i64,
        stamp: Stamp,
    ) -> Vec<Statement> {
        if self.records.is_empty() {
            return vec![];
        }
        let mut history: HashMap<String, History> = HashMap::new();
        for row in reads.first().map_or(&[][..], |r| &r.rows[..]) {
            let (Some(key), Some(reason), Some(n)) = (
                text(row, "recipient_key"),
                text(row, "reason").and_then(|r| BounceReason::parse(&r)),
                int(row, "n").and_then(|n| u32::try_from(n).ok()),
            ) else {
                continue;
            };
            let first = text(row, "first").and_then(|t| StoreTime::parse(&t));
            history.entry(key).or_default().add(reason, n, first, 0);
        }
        let absorbed: Vec<Suppression> = self
            .records
            .iter()
            .map(|r| match history.get(&r.address) {
                Some(h) => Suppression {
                    address: r.address.clone(),
                    info: suppression::absorb(&r.info, h),
                },
                None => r.clone(),
            })
            .collect();
        vec![upsert(&absorbed, updated_at, stamp)]
    }
}

/// One failed (or complaining) recipient of a bounce report, to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// The report's identity (a Message-ID, an SNS MessageId …): the same
    /// report read again records nothing.
    pub message_key: &'a str,
    /// The recipient's suppression key.
    pub key: String,
    /// The parsed record.
    pub record: &'a Bounce,
    /// When the bounce happened.
    pub at: StoreTime,
    /// Where it was read (a file and message number, `ses` …).
    pub source: &'a str,
    /// What proves it is about mail we sent.
    pub verified: Verified,
    /// The trust policy let it change the list ([`TrustPolicy::may_change_list`]);
    /// when not, it is stored as evidence that never counts.
    ///
    /// [`TrustPolicy::may_change_list`]: prebounce_core::suppression::trust::TrustPolicy::may_change_list
    pub counts: bool,
}

impl<'a> NewEvent<'a> {
    /// The event of `record`, or why its recipient is not an address; it
    /// counts, and nothing proves it (set [`NewEvent::verified`] and
    /// [`NewEvent::counts`] as the trust policy says).
    pub fn new(
        message_key: &'a str,
        record: &'a Bounce,
        at: StoreTime,
        source: &'a str,
    ) -> Result<NewEvent<'a>, SyntaxErrorCode> {
        Ok(NewEvent {
            message_key,
            key: suppression::key(&record.recipient)?,
            record,
            at,
            source,
            verified: Verified::None,
            counts: true,
        })
    }

    /// The same event, proven by `verified`, counting or kept as evidence.
    pub fn trusted(self, verified: Verified, counts: bool) -> NewEvent<'a> {
        NewEvent {
            verified,
            counts,
            ..self
        }
    }

    fn event(&self) -> Event<'a> {
        Event {
            reason: self.record.reason,
            // An event kept as evidence never counts, as an undetermined
            // record does not (stored alike: migration 0004).
            undetermined: self.record.kind == Kind::Undetermined || !self.counts,
            at: self.at,
            source: self.source,
        }
    }
}

/// What recording one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded; the address is suppressed now (or still).
    Suppressed,
    /// Recorded; not (yet) suppressed.
    Counted,
    /// This report's event for this address was recorded before (or is
    /// listed twice): nothing changed.
    Duplicate,
}

/// A batch of events to record: first run [`Ingest::reads`] (one batch),
/// then hand its results to [`Ingest::writes`] and run what it returns
/// (one batch).
#[derive(Debug)]
pub struct Ingest<'e, 'a> {
    events: &'e [NewEvent<'a>],
}

/// What [`Ingest::writes`] decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    /// One outcome per event, in order.
    pub outcomes: Vec<Outcome>,
    /// The statements to run, as one batch (none when nothing is new).
    pub writes: Vec<Statement>,
}

/// What the reads found for one address, then what the batch did to it.
#[derive(Default)]
struct Address {
    current: Option<SuppressionInfo>,
    /// Earlier counted events (reason, time), read when there is no live
    /// record (a live record counts them already: core's `absorb`).
    past: Vec<(BounceReason, StoreTime)>,
    changed: bool,
}

/// Event rows per insert: 9 parameters each, within D1's 100 bound
/// parameters a statement. Bound values, not a JSON parameter: SQLite would
/// take each row's JSON apart again, and the insert is most of an ingest.
const EVENT_ROWS: usize = 11;

/// The columns of an event row, in the order [`insert_events`] binds them.
const EVENT_COLUMNS: usize = 9;

/// Inserts event rows (at most [`EVENT_ROWS`]); a row already recorded is
/// left as it is.
fn insert_events(rows: Vec<[SqlValue; EVENT_COLUMNS]>) -> Statement {
    let sql = |n: usize| {
        let values = (0..n)
            .map(|r| {
                let first = r * EVENT_COLUMNS + 1;
                let params: Vec<String> = (first..first + EVENT_COLUMNS)
                    .map(|i| format!("?{i}"))
                    .collect();
                format!("({})", params.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "INSERT INTO bounce_events \
             (message_key, recipient_key, reason, seen_at, undetermined, recipient, kind, source, \
              verified) \
             VALUES {values} ON CONFLICT DO NOTHING"
        )
    };
    static FULL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = if rows.len() == EVENT_ROWS {
        FULL.get_or_init(|| sql(EVENT_ROWS)).clone()
    } else {
        sql(rows.len())
    };
    Statement::new(text, rows.into_iter().flatten().collect())
}

fn kind_text(kind: Kind) -> &'static str {
    match kind {
        Kind::Hard => "hard",
        Kind::Soft => "soft",
        Kind::Undetermined => "undetermined",
    }
}

/// What an ingest's decision rests on for the addresses in the JSON list
/// bound at `?{param}`, as one text: their event rows (a concurrent ingest
/// adds some; a deletion forgets them) and their records, tombstones
/// included, every field. Equal texts mean an equal decision.
fn version_sql(param: usize) -> String {
    format!(
        "(SELECT count(*) || '/' || coalesce(max(seen_at), '') || '/' || total(undetermined) \
           FROM bounce_events \
           WHERE recipient_key IN (SELECT value FROM json_each(?{param}))) \
         || '|' || (SELECT coalesce(group_concat(row, ';'), '') FROM \
           (SELECT quote(address) || quote(reason) || quote(first_seen) || quote(last_seen) \
                   || quote(count) || quote(source) || quote(updated_at) || quote(deleted) AS row \
            FROM suppressions WHERE address IN (SELECT value FROM json_each(?{param})) \
            ORDER BY address))"
    )
}

/// The name of the constraint that fails an ingest's write batch when the
/// ledger changed after its reads (migration 0003): a D1 error carries it.
pub const CHANGED_SINCE_READ: &str = "ledger_changed_since_read";

/// The first statement of an ingest's write batch: fails, and with it the
/// batch, unless what [`version_sql`] says of `keys` is still what the
/// reads saw (`read`, the reads' last result). Another writer's ingest,
/// push or deletion in between makes the caller read again instead of
/// overwriting what it did ([`CHANGED_SINCE_READ`]).
fn guard<'k>(keys: impl IntoIterator<Item = &'k str>, read: &StatementResult) -> Statement {
    let seen = read
        .rows
        .first()
        .and_then(|r| text(r, "version"))
        .map_or(SqlValue::Null, SqlValue::Text);
    Statement::new(
        format!(
            "INSERT INTO ingest_guard (changed) SELECT 1 WHERE ({}) IS NOT ?2",
            version_sql(1)
        ),
        vec![json_list(keys), seen],
    )
}

impl<'e, 'a> Ingest<'e, 'a> {
    /// The batch of `events`, in the order they happened to be read.
    pub fn new(events: &'e [NewEvent<'a>]) -> Ingest<'e, 'a> {
        Ingest { events }
    }

    /// The reads: which of these events are recorded already, the counted
    /// events of addresses without a live record (each with its time, for
    /// the repeat rule; a live record counts them already), and the live
    /// records.
    pub fn reads(&self) -> Vec<Statement> {
        let counted = counted_reasons();
        vec![
            // Every recorded recipient of these reports (a report has a
            // few): a flat list reads from the primary key alone, where
            // (report, key) pairs would be taken apart row by row.
            Statement::new(
                "SELECT message_key, recipient_key, \
                   (undetermined = 1 AND kind IN ('hard', 'soft')) AS evidence \
                 FROM bounce_events \
                 WHERE message_key IN (SELECT value FROM json_each(?1))",
                vec![json_list(
                    self.events
                        .iter()
                        .map(|e| e.message_key)
                        .collect::<BTreeSet<_>>(),
                )],
            ),
            Statement::new(
                format!(
                    "SELECT recipient_key, reason, seen_at FROM bounce_events \
                     WHERE recipient_key IN (SELECT j.value FROM json_each(?1) AS j \
                       WHERE NOT EXISTS (SELECT 1 FROM suppressions AS s \
                         WHERE s.address = j.value AND s.deleted = 0)) \
                     AND undetermined = 0 AND reason IN ({counted})"
                ),
                // Only addresses with a counted event in this batch: the
                // others' history decides nothing.
                vec![json_list(
                    self.events
                        .iter()
                        .filter(|e| e.event().effect() != Effect::Never)
                        .map(|e| e.key.as_str())
                        .collect::<BTreeSet<_>>(),
                )],
            ),
            lookup(self.keys()),
            Statement::new(
                format!("SELECT ({}) AS version", version_sql(1)),
                vec![json_list(self.keys())],
            ),
        ]
    }

    /// The recipients' keys, each once.
    fn keys(&self) -> BTreeSet<&str> {
        self.events.iter().map(|e| e.key.as_str()).collect()
    }

    /// Applies core's ledger to each event in turn (an event sees the
    /// events before it in the batch) given the results of [`Ingest::reads`],
    /// and answers the outcomes and the writes: the new events, and the
    /// changed records stamped `updated_at`.
    pub fn writes(&self, reads: &[StatementResult], rule: RepeatRule, updated_at: i64) -> Decided {
        let empty = StatementResult::default();
        let [done, history, current, version] =
            [0, 1, 2, 3].map(|i| reads.get(i).unwrap_or(&empty));
        let stored: Vec<(String, String, bool)> = done
            .rows
            .iter()
            .filter_map(|r| {
                Some((
                    text(r, "message_key")?,
                    text(r, "recipient_key")?,
                    int(r, "evidence") == Some(1),
                ))
            })
            .collect();
        let mut recorded: BTreeSet<(&str, &str)> = stored
            .iter()
            .map(|(m, k, _)| (m.as_str(), k.as_str()))
            .collect();
        // Events kept as evidence only (a report nothing proved then).
        let mut evidence: BTreeSet<(&str, &str)> = stored
            .iter()
            .filter(|(_, _, e)| *e)
            .map(|(m, k, _)| (m.as_str(), k.as_str()))
            .collect();
        let mut promoted = Vec::new();
        let mut addresses: BTreeMap<String, Address> = BTreeMap::new();
        for (key, info) in records(current) {
            addresses.entry(key).or_default().current = Some(info);
        }
        for row in &history.rows {
            let (Some(key), Some(reason), Some(at)) = (
                text(row, "recipient_key"),
                text(row, "reason").and_then(|r| BounceReason::parse(&r)),
                text(row, "seen_at").and_then(|t| StoreTime::parse(&t)),
            ) else {
                continue;
            };
            addresses.entry(key).or_default().past.push((reason, at));
        }

        let mut outcomes = Vec::with_capacity(self.events.len());
        let mut rows = Vec::with_capacity(self.events.len());
        for e in self.events {
            let pair = (e.message_key, e.key.as_str());
            if !recorded.insert(pair) {
                // Read again now that something proves it (the sent log came
                // later, say): the evidence counts from now on, once.
                if e.event().undetermined || !evidence.remove(&pair) {
                    outcomes.push(Outcome::Duplicate);
                    continue;
                }
                promoted.push(Statement::new(
                    "UPDATE bounce_events SET undetermined = 0, verified = ?3 \
                     WHERE message_key = ?1 AND recipient_key = ?2",
                    vec![
                        SqlValue::Text(e.message_key.to_owned()),
                        SqlValue::Text(e.key.clone()),
                        SqlValue::Text(e.verified.as_str().to_owned()),
                    ],
                ));
            } else {
                let text = |t: &str| SqlValue::Text(t.to_owned());
                rows.push([
                    text(e.message_key),
                    text(&e.key),
                    text(e.record.reason.as_str()),
                    SqlValue::Text(e.at.to_string()),
                    SqlValue::Int(i64::from(e.event().undetermined)),
                    text(&e.record.recipient),
                    text(kind_text(e.record.kind)),
                    text(e.source),
                    text(e.verified.as_str()),
                ]);
            }
            let event = e.event();
            let address = addresses.entry(e.key.clone()).or_default();
            let mut outcome = Outcome::Counted;
            let counted = event.effect() != Effect::Never;
            if counted {
                let mut past = History::default();
                if address.current.is_none() {
                    let (start, end) = rule.window(event.at);
                    for &(reason, at) in &address.past {
                        let recent = u32::from(start <= at && at <= end);
                        past.add(reason, 1, Some(at), recent);
                    }
                }
                if let Some(next) =
                    suppression::decide(address.current.as_ref(), &past, &event, rule)
                {
                    address.current = Some(next);
                    address.changed = true;
                    outcome = Outcome::Suppressed;
                }
            }
            if counted && address.current.is_none() {
                address.past.push((event.reason, event.at));
            }
            outcomes.push(outcome);
        }

        let mut writes = Vec::new();
        if !rows.is_empty() || !promoted.is_empty() {
            writes.push(guard(self.keys(), version));
        }
        writes.append(&mut promoted);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            writes.push(insert_events(rows.by_ref().take(EVENT_ROWS).collect()));
        }
        // By address: `addresses` is ordered.
        let changed: Vec<Suppression> = addresses
            .into_iter()
            .filter(|(_, a)| a.changed)
            .filter_map(|(address, a)| {
                Some(Suppression {
                    address,
                    info: a.current?,
                })
            })
            .collect();
        if !changed.is_empty() {
            writes.push(upsert(&changed, updated_at, Stamp::Changed));
        }
        Decided { outcomes, writes }
    }
}

#[cfg(test)]
mod tests;
