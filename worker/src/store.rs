//! The suppression list in D1 (docs/DESIGN.md "Bounces and suppression").
//!
//! The schema, its migrations and every statement are `prebounce-store`'s,
//! the very ones the CLI runs on its SQLite file; this module runs them
//! through [`Platform::db_batch`] (a D1 batch: one transaction), so the
//! native tests run the same SQL against an in-memory SQLite.
//!
//! - **Migrations**: the first batch of each isolate applies what
//!   `d1_migrations` lacks ([`run`]).
//! - **Bounces** ([`record_bounces`]): one batch of reads, core's ledger in
//!   memory ([`prebounce_store::ledger::Ingest`]), one batch of writes that
//!   applies only if the reads still hold (else all again).
//! - **Deletion** leaves a tombstone that the change feed shows for
//!   [`TOMBSTONE_DAYS`], and forgets the address's bounce events.

use std::collections::HashMap;

use prebounce_core::suppression::{RepeatRule, Suppression};
use prebounce_core::SuppressionInfo;
use prebounce_store::ledger::{self, Absorb, Ingest, NewEvent, Outcome, Stamp};
use prebounce_store::schema;

use crate::platform::{DbError, Platform, Statement, StatementResult};

pub use prebounce_api::Cursor;
pub use prebounce_store::ledger::Change;

/// The D1 binding the worker uses (wrangler.toml `[[d1_databases]]`).
pub const BINDING: &str = "SUPPRESSIONS_DB";

/// How long a deleted address's tombstone stays in the change feed.
pub const TOMBSTONE_DAYS: i64 = 30;

/// How many times [`record_bounces`] reads and writes before it gives up on
/// a ledger that other writers keep changing (each round, one of the
/// writers wins). Giving up answers 503, and SNS delivers again later.
pub const INGEST_TRIES: u32 = 8;

/// Where records from SNS say they came from.
pub const SES_SOURCE: &str = "ses";

/// Runs a batch, first bringing the schema up to date if this isolate has
/// not yet: one batch lists the applied migrations, and one applies what is
/// missing, with its record in `d1_migrations`. If another isolate applied
/// them meanwhile, that batch fails as a whole; the list is read again.
pub async fn run(
    platform: &impl Platform,
    statements: Vec<Statement>,
) -> Result<Vec<StatementResult>, DbError> {
    if !platform.schema_ready() {
        migrate(platform).await?;
        platform.mark_schema_ready();
    }
    platform.db_batch(statements).await
}

async fn migrate(platform: &impl Platform) -> Result<(), DbError> {
    let mut last_error = None;
    for _ in 0..3 {
        let applied = platform.db_batch(schema::d1_check()).await?;
        let pending = schema::d1_pending(applied.last().unwrap_or(&StatementResult::default()));
        if pending.is_empty() {
            return Ok(());
        }
        match platform.db_batch(pending).await {
            Ok(_) => return Ok(()),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| DbError::Failed("migrations did not apply".into())))
}

fn first(results: Vec<StatementResult>) -> StatementResult {
    results.into_iter().next().unwrap_or_default()
}

/// The live records of these keys.
pub async fn lookup(
    platform: &impl Platform,
    keys: &[String],
) -> Result<HashMap<String, SuppressionInfo>, DbError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let result = first(
        run(
            platform,
            vec![ledger::lookup(keys.iter().map(String::as_str))],
        )
        .await?,
    );
    Ok(ledger::records(&result))
}

/// The live record of one key.
pub async fn get(platform: &impl Platform, key: &str) -> Result<Option<SuppressionInfo>, DbError> {
    Ok(lookup(platform, &[key.to_owned()]).await?.remove(key))
}

/// Merges `records` from elsewhere (keys already checked): one batch reads
/// the events stored for them, one writes them ([`Absorb`]). Answers how
/// many rows changed.
pub async fn upsert(
    platform: &impl Platform,
    records: &[Suppression],
    now_ms: i64,
) -> Result<u64, DbError> {
    if records.is_empty() {
        return Ok(0);
    }
    let absorb = Absorb::new(records);
    let reads = run(platform, absorb.reads()).await?;
    let writes = absorb.writes(&reads, now_ms, Stamp::Changed);
    Ok(first(run(platform, writes).await?).changes)
}

/// Deletes `key`: its record becomes a tombstone, its bounce events are
/// forgotten, and tombstones past [`TOMBSTONE_DAYS`] are purged. Answers
/// whether there was anything to delete.
pub async fn delete(platform: &impl Platform, key: &str, now_ms: i64) -> Result<bool, DbError> {
    let purge_before = now_ms - TOMBSTONE_DAYS * 86_400_000;
    let results = run(platform, ledger::delete(key, now_ms, purge_before)).await?;
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
    let after = cursor.map(|c| (c.updated_at, c.address.as_str()));
    let result = first(run(platform, vec![ledger::page(since_ms, after, limit)]).await?);
    let mut changes = ledger::changes(&result);
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

/// What [`record_bounces`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Recipients recorded from this message before (a redelivery), or
    /// listed twice in it.
    pub duplicates: usize,
    /// Recipients whose bounce put (or kept) their address on the list.
    pub suppressed: usize,
}

/// Records one message's bounce records (`message_key`: the SNS
/// MessageId), each an address's event seen at `seen`, and stores what
/// core's ledger decides. `events` are the records whose recipient is an
/// address ([`NewEvent::new`]).
///
/// A recipient already recorded under this `message_key` is a duplicate and
/// changes nothing. The reads are one D1 batch and the writes another, each
/// one transaction; the writes start with [`Ingest`]'s guard, so when
/// another request changed these addresses in between (a concurrent bounce
/// for the same recipient, a redelivery, a deletion), nothing is written
/// and the whole is done again from fresh reads, up to [`INGEST_TRIES`]
/// times.
pub async fn record_bounces(
    platform: &impl Platform,
    events: &[NewEvent<'_>],
    rule: RepeatRule,
    now_ms: i64,
) -> Result<Recorded, DbError> {
    if events.is_empty() {
        return Ok(Recorded::default());
    }
    let ingest = Ingest::new(events);
    let mut tries = 0;
    let decided = loop {
        tries += 1;
        let reads = run(platform, ingest.reads()).await?;
        let decided = ingest.writes(&reads, rule, now_ms);
        if decided.writes.is_empty() {
            break decided;
        }
        match run(platform, decided.writes.clone()).await {
            Ok(_) => break decided,
            Err(DbError::Failed(why))
                if why.contains(ledger::CHANGED_SINCE_READ) && tries < INGEST_TRIES =>
            {
                platform.log(&format!(
                    "bounce ingest: the ledger changed after its reads (try {tries}); reading again"
                ));
            }
            Err(DbError::Failed(why)) if why.contains(ledger::CHANGED_SINCE_READ) => {
                return Err(DbError::Failed(format!(
                    "the suppression ledger kept changing under concurrent writers ({tries} tries): {why}"
                )));
            }
            Err(e) => return Err(e),
        }
    };
    let count = |o: Outcome| decided.outcomes.iter().filter(|x| **x == o).count();
    Ok(Recorded {
        duplicates: count(Outcome::Duplicate),
        suppressed: count(Outcome::Suppressed),
    })
}
