//! `prebounce suppressions`: look after the local suppression store, and
//! sync it with the edge store through docs/DESIGN.md's routes.
//!
//! * `list` and `export` print the records (text, JSON Lines or CSV).
//!   CSV cells get core's formula guard (`list::guard_formula`) unless
//!   `--no-formula-guard`.
//! * `import` reads CSV (a header naming at least `address`) or JSON Lines
//!   of docs/DESIGN.md's record; missing fields get `--reason`, `--source`, now,
//!   and a count of 1. A CSV cell's leading `'` before `=`, `+`, `-`, `@`, a
//!   tab or a carriage return is the guard's and is dropped
//!   (`list::unguard_formula`), so an export imports as it was. Bad rows are reported with their line numbers and the
//!   rest is imported, in one transaction.
//! * `remove` deletes addresses (a mistake, an erasure request).
//! * `push` sends every record changed locally since the last push to
//!   `PUT /v1/suppressions`, in pages; `pull` reads `GET
//!   /v1/suppressions?since=…` page by page (`prebounce-api`'s [`Page`])
//!   and merges. Both merge by core's rule, so running them again, or both
//!   ways, converges.

use std::io::{self, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand, ValueEnum};
use prebounce_api::{Change, ErrorBody, Page, PushRequest, MAX_PUSH};
use prebounce_core::list::{guard_formula, unguard_formula};
use prebounce_core::suppression::{self, RawRecord, Suppression};
use prebounce_core::time::{format_ms, StoreTime};
use serde::Deserialize;
use thiserror::Error;

use crate::failure::csv_io;
use crate::store::{store_time, Store, StoreError};

/// Arguments of `prebounce suppressions`.
#[derive(Debug, Args)]
pub struct SuppressionsArgs {
    /// The SQLite suppression store.
    #[arg(
        long,
        value_name = "DB",
        global = true,
        default_value = "prebounce-suppressions.db"
    )]
    db: PathBuf,
    #[command(subcommand)]
    command: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Print every suppression.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutFormat::Text)]
        format: OutFormat,
        /// Only the suppressions that came from unverified bounces (nothing
        /// proved the bounce was about mail you sent: docs/TRUST.md).
        #[arg(long)]
        unverified: bool,
        #[command(flatten)]
        guard: GuardFlag,
    },
    /// Write every suppression as CSV (default) or JSON Lines.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutFormat::Csv)]
        format: OutFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short, value_name = "PATH")]
        output: Option<PathBuf>,
        #[command(flatten)]
        guard: GuardFlag,
    },
    /// Add suppressions from CSV or JSON Lines (`-` for standard input).
    Import {
        /// The file.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// The reason for rows that give none.
        #[arg(long, default_value = "suppressed")]
        reason: String,
        /// The source for rows that give none.
        #[arg(long, default_value = "import")]
        source: String,
    },
    /// Remove addresses from the list, with their bounce history (a mistake,
    /// an erasure request); with --api, from the edge store too.
    Remove {
        /// The addresses.
        #[arg(value_name = "ADDRESS", required = true)]
        addresses: Vec<String>,
        #[command(flatten)]
        edge: EdgeArgs,
    },
    /// Send local changes to the edge store.
    Push(SyncArgs),
    /// Merge the edge store's changes into the local store.
    Pull(SyncArgs),
}

/// `--no-formula-guard` of `list` and `export`.
#[derive(Debug, Args)]
struct GuardFlag {
    /// With CSV: write cells as they are. By default a cell that starts with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so
    /// a spreadsheet shows it instead of running it as a formula; `import`
    /// takes that `'` off again.
    #[arg(long)]
    no_formula_guard: bool,
}

#[derive(Debug, Args)]
struct SyncArgs {
    /// The edge API's base URL.
    #[arg(long, value_name = "URL")]
    api: String,
    /// A secret key (`sk_…`); or set PREBOUNCE_API_KEY.
    #[arg(
        long,
        value_name = "KEY",
        env = "PREBOUNCE_API_KEY",
        hide_env_values = true
    )]
    key: String,
    /// Records per request (at most 1000, what the edge takes at once).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=MAX_PUSH as i64))]
    page: u32,
    /// Pull everything, not only what changed since the last pull.
    #[arg(long)]
    full: bool,
}

/// An optional edge API for `remove`.
#[derive(Debug, Args)]
struct EdgeArgs {
    /// Also remove the addresses from this edge API's store.
    #[arg(long, value_name = "URL")]
    api: Option<String>,
    /// A secret key (`sk_…`); or set PREBOUNCE_API_KEY.
    #[arg(
        long,
        value_name = "KEY",
        env = "PREBOUNCE_API_KEY",
        hide_env_values = true
    )]
    key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutFormat {
    Text,
    Json,
    Csv,
}

/// What can stop `suppressions`.
#[derive(Debug, Error)]
pub enum SuppressionsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file or the output failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The edge API failed.
    #[error("edge API: {0}")]
    Api(String),
    /// Wrong arguments.
    #[error("{0}")]
    Usage(String),
}

/// The CSV columns, docs/DESIGN.md's record in order.
const COLUMNS: [&str; 6] = [
    "address",
    "reason",
    "first_seen",
    "last_seen",
    "count",
    "source",
];

/// Runs `prebounce suppressions`.
pub fn run(args: SuppressionsArgs) -> Result<ExitCode, SuppressionsError> {
    match args.command {
        Action::List {
            format,
            unverified,
            guard,
        } => {
            let store = Store::open_read_only(&args.db)?;
            let rows = if unverified {
                store.unverified()?
            } else {
                all(&store)?
            };
            let guard = !guard.no_formula_guard;
            write_all(&rows, format, guard, &mut io::stdout().lock())?;
        }
        Action::Export {
            format,
            output,
            guard,
        } => {
            let guard = !guard.no_formula_guard;
            let store = Store::open_read_only(&args.db)?;
            let rows = all(&store)?;
            match output {
                Some(path) => {
                    let mut f = io::BufWriter::new(std::fs::File::create(&path)?);
                    write_all(&rows, format, guard, &mut f)?;
                    f.flush()?;
                }
                None => write_all(&rows, format, guard, &mut io::stdout().lock())?,
            }
        }
        Action::Import {
            path,
            reason,
            source,
        } => {
            if !suppression::storable(&reason) {
                return Err(SuppressionsError::Usage(format!(
                    "--reason {reason}: not a reason that suppresses"
                )));
            }
            let mut store = Store::open(&args.db)?;
            let now = SystemTime::now();
            let (items, bad) = read_import(&path, &reason, &source, store_time(now))?;
            let changed = store.merge_in(&items, true)?;
            eprintln!(
                "{}: {} records read, {} changed the store, {} rejected",
                path.display(),
                items.len(),
                changed,
                bad
            );
            if bad > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        Action::Remove { addresses, edge } => {
            let mut store = Store::open(&args.db)?;
            let mut keys = Vec::new();
            for a in &addresses {
                match suppression::key(a) {
                    Ok(k) => keys.push(k),
                    Err(e) => eprintln!("{a}: not an address ({})", e.as_str()),
                }
            }
            let n = store.remove(&keys)?;
            eprintln!("removed {n} of {}", addresses.len());
            if let (Some(api), Some(key)) = (&edge.api, &edge.key) {
                remove_at_edge(api, key, &keys)?;
            } else if edge.api.is_some() {
                return Err(SuppressionsError::Usage(
                    "--api needs --key (or PREBOUNCE_API_KEY)".into(),
                ));
            }
        }
        Action::Push(sync) => push(&mut Store::open(&args.db)?, &sync)?,
        Action::Pull(sync) => pull(&mut Store::open(&args.db)?, &sync)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Every suppression, by address.
fn all(store: &Store) -> Result<Vec<Suppression>, SuppressionsError> {
    Ok(store.all(None)?.into_iter().map(|(s, _)| s).collect())
}

/// Writes the records; `formula_guard` puts core's formula guard on CSV
/// cells (JSON Lines and text are never guarded: they are not read by
/// spreadsheets).
fn write_all(
    rows: &[Suppression],
    format: OutFormat,
    formula_guard: bool,
    out: &mut impl Write,
) -> Result<(), SuppressionsError> {
    match format {
        OutFormat::Json => {
            for s in rows {
                // Keeps an I/O error's kind (a closed pipe stays quiet).
                serde_json::to_writer(&mut *out, s).map_err(io::Error::from)?;
                out.write_all(b"\n")?;
            }
        }
        OutFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(COLUMNS).map_err(csv_io)?;
            let cell = |c: &str| {
                if formula_guard {
                    guard_formula(c).into_owned()
                } else {
                    c.to_owned()
                }
            };
            for s in rows {
                let i = &s.info;
                w.write_record([
                    cell(&s.address),
                    cell(&i.reason),
                    cell(&i.first_seen.to_string()),
                    cell(&i.last_seen.to_string()),
                    cell(&i.count.to_string()),
                    cell(&i.source),
                ])
                .map_err(csv_io)?;
            }
            w.flush()?;
        }
        OutFormat::Text => {
            for s in rows {
                let i = &s.info;
                writeln!(
                    out,
                    "{:<40} {:<17} {} → {} ×{}  {}",
                    s.address, i.reason, i.first_seen, i.last_seen, i.count, i.source
                )?;
            }
        }
    }
    Ok(())
}

/// One import row as written: every field but the address optional.
#[derive(Debug, Deserialize)]
struct Row {
    address: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    first_seen: Option<String>,
    #[serde(default)]
    last_seen: Option<String>,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    source: Option<String>,
}

/// Reads an import file; returns the good records and how many rows were bad
/// (each reported on standard error with its line).
fn read_import(
    path: &PathBuf,
    reason: &str,
    source: &str,
    now: StoreTime,
) -> Result<(Vec<Suppression>, usize), SuppressionsError> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        io::stdin().lock().read_to_string(&mut text)?;
    } else {
        BufReader::new(std::fs::File::open(path)?).read_to_string(&mut text)?;
    }
    let name = path.display().to_string();
    let mut good = Vec::new();
    let mut bad = 0;
    let mut report = |line: u64, why: String| {
        eprintln!("{name}:{line}: {why}");
        bad += 1;
    };
    let json = text.trim_start().starts_with('{');
    let rows: Vec<(u64, Result<Row, String>)> = if json {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                (
                    i as u64 + 1,
                    serde_json::from_str(l).map_err(|e| e.to_string()),
                )
            })
            .collect()
    } else {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = r
            .headers()
            .map_err(|e| SuppressionsError::Usage(format!("{name}: {e}")))?
            .clone();
        if !headers
            .iter()
            .any(|h| h.trim().eq_ignore_ascii_case("address"))
        {
            return Err(SuppressionsError::Usage(format!(
                "{name}: the CSV header must name an `address` column (and may name {})",
                COLUMNS[1..].join(", ")
            )));
        }
        let lower = csv::StringRecord::from(
            headers
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect::<Vec<_>>(),
        );
        r.records()
            .map(|rec| match rec {
                Ok(rec) => {
                    let line = rec.position().map_or(0, |p| p.line());
                    // Cells as written before `export`'s formula guard.
                    let rec: csv::StringRecord = rec.iter().map(unguard_formula).collect();
                    (
                        line,
                        rec.deserialize(Some(&lower)).map_err(|e| e.to_string()),
                    )
                }
                Err(e) => (e.position().map_or(0, |p| p.line()), Err(e.to_string())),
            })
            .collect()
    };
    for (line, row) in rows {
        match row.and_then(|r| validate(r, reason, source, now)) {
            Ok(s) => good.push(s),
            Err(why) => report(line, why),
        }
    }
    Ok((good, bad))
}

/// A row as a store record, or why it cannot be one: the fields it leaves
/// out filled in (`reason`, `source`, `now`, a count of 1; one time given
/// stands for both), then core's check, the one the edge's `PUT` makes.
fn validate(row: Row, reason: &str, source: &str, now: StoreTime) -> Result<Suppression, String> {
    let given = |f: Option<String>| f.filter(|v| !v.is_empty());
    let first = given(row.first_seen);
    let last = given(row.last_seen);
    let raw = RawRecord {
        address: row.address,
        reason: given(row.reason).unwrap_or_else(|| reason.to_owned()),
        first_seen: first
            .clone()
            .or(last.clone())
            .unwrap_or_else(|| now.to_string()),
        last_seen: last.or(first).unwrap_or_else(|| now.to_string()),
        count: u64::from(row.count.unwrap_or(1).max(1)),
        source: given(row.source).unwrap_or_else(|| source.to_owned()),
    };
    suppression::check_record(raw).map_err(|e| e.to_string())
}

fn client() -> Result<reqwest::blocking::Client, SuppressionsError> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("prebounce/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SuppressionsError::Api(e.to_string()))
}

fn api_base(sync: &SyncArgs) -> String {
    sync.api.trim_end_matches('/').to_owned()
}

/// Sends a request; a non-2xx answer is an error.
fn send_ok(
    req: reqwest::blocking::RequestBuilder,
) -> Result<reqwest::blocking::Response, SuppressionsError> {
    let resp = req
        .send()
        .map_err(|e| SuppressionsError::Api(e.to_string()))?;
    if resp.status().is_success() {
        Ok(resp)
    } else {
        Err(api_error(resp))
    }
}

/// An error from a non-2xx answer, with the API's own message when it gave one.
fn api_error(resp: reqwest::blocking::Response) -> SuppressionsError {
    let status = resp.status();
    let body = resp.text().unwrap_or_default();
    let message = serde_json::from_str::<ErrorBody>(&body)
        .map(|e| e.error.message)
        .unwrap_or(body);
    SuppressionsError::Api(format!("{status}: {message}"))
}

/// `DELETE /v1/suppressions/{address}` for each key (404: already absent).
fn remove_at_edge(api: &str, key: &str, keys: &[String]) -> Result<(), SuppressionsError> {
    let base = api.trim_end_matches('/');
    let http = client()?;
    let mut removed = 0;
    for k in keys {
        let mut url = reqwest::Url::parse(&format!("{base}/v1/suppressions/"))
            .map_err(|e| SuppressionsError::Usage(format!("--api {api}: {e}")))?;
        url.path_segments_mut()
            .map_err(|_| SuppressionsError::Usage(format!("--api {api}: not a base URL")))?
            .pop_if_empty()
            .push(k);
        let resp = http
            .delete(url)
            .bearer_auth(key)
            .send()
            .map_err(|e| SuppressionsError::Api(e.to_string()))?;
        match resp.status().as_u16() {
            200..=299 => removed += 1,
            404 => {}
            _ => return Err(api_error(resp)),
        }
    }
    eprintln!("removed {removed} of {} from {base}", keys.len());
    Ok(())
}

fn push(store: &mut Store, sync: &SyncArgs) -> Result<(), SuppressionsError> {
    let base = api_base(sync);
    let (pushed_through, _) = store.sync_state(&base)?;
    let rows = store.all(Some(pushed_through))?;
    let http = client()?;
    let mut sent = 0;
    let mut through = pushed_through;
    for page in rows.chunks(sync.page as usize) {
        let body = PushRequest {
            suppressions: page.iter().map(|(s, _)| s).collect(),
        };
        send_ok(
            http.put(format!("{base}/v1/suppressions"))
                .bearer_auth(&sync.key)
                .json(&body),
        )?;
        sent += page.len();
        through = through.max(page.iter().map(|(_, at)| *at).max().unwrap_or(through));
    }
    // Only after every page went: a failed push is simply sent again.
    store.set_pushed(&base, through)?;
    eprintln!("pushed {sent} records to {base}");
    Ok(())
}

/// The record of a live change-feed entry, keyed as every store keys it,
/// if it is a valid one: every field given and well-formed (nothing is
/// filled in for the edge), then core's check, the one an import row gets.
fn feed_record(entry: &Change) -> Result<Suppression, String> {
    let Some(s) = entry.record() else {
        return Err(format!(
            "{:?}: a record with fields missing or malformed",
            entry.address
        ));
    };
    suppression::check_record(RawRecord {
        address: s.address,
        reason: s.info.reason,
        first_seen: s.info.first_seen.to_string(),
        last_seen: s.info.last_seen.to_string(),
        count: u64::from(s.info.count),
        source: s.info.source,
    })
    .map_err(|e| e.to_string())
}

/// How far before the newest change read the next pull starts (docs/DESIGN.md).
const PULL_MARGIN_MS: i64 = 300_000;

fn pull(store: &mut Store, sync: &SyncArgs) -> Result<(), SuppressionsError> {
    let base = api_base(sync);
    let (_, since) = store.sync_state(&base)?;
    let since = if sync.full { None } else { since };
    // The next pull starts a few minutes before the newest change this one
    // read, by the edge's clock (never ours: a clock ahead would skip
    // changes for ever). The margin covers rows that became visible after
    // later-stamped ones; merging twice changes nothing.
    let mut newest: Option<i64> = None;
    let (pushed_through, _) = store.sync_state(&base)?;
    let http = client()?;
    let mut cursor: Option<String> = None;
    let (mut read, mut changed, mut removed, mut skipped) = (0, 0, 0, 0);
    let mut cursors = std::collections::HashSet::new();
    loop {
        let mut query: Vec<(&str, String)> = vec![("limit", sync.page.to_string())];
        query.push((
            "since",
            since
                .clone()
                .unwrap_or_else(|| "1970-01-01T00:00:00Z".into()),
        ));
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let resp = send_ok(
            http.get(format!("{base}/v1/suppressions"))
                .bearer_auth(&sync.key)
                .query(&query),
        )?;
        let page: Page = resp
            .json()
            .map_err(|e| SuppressionsError::Api(format!("unexpected answer: {e}")))?;
        read += page.suppressions.len();
        // Keys from elsewhere are re-derived, so every store uses one key;
        // an entry that is not a valid record is reported and skipped.
        let mut items = Vec::new();
        let mut gone = Vec::new();
        for entry in page.suppressions {
            let at = entry.updated_at_ms();
            if let Some(ms) = at {
                newest = Some(newest.map_or(ms, |n| n.max(ms)));
            }
            if entry.deleted {
                // A tombstone without a readable time removes nothing.
                if let (Ok(k), Some(ms)) = (suppression::key(&entry.address), at) {
                    gone.push((k, ms));
                }
                continue;
            }
            match feed_record(&entry) {
                Ok(r) => items.push(r),
                Err(why) => {
                    skipped += 1;
                    eprintln!("{base}: skipped {why}");
                }
            }
        }
        changed += store.merge_in(&items, false)?;
        removed += store.apply_tombstones(&gone, pushed_through)?;
        match page.next_cursor {
            Some(c) if !c.is_empty() => {
                if !cursors.insert(c.clone()) {
                    return Err(SuppressionsError::Api(format!(
                        "the change feed repeated a cursor ({c}); stopped"
                    )));
                }
                cursor = Some(c);
            }
            _ => break,
        }
    }
    if let Some(ms) = newest {
        store.set_pulled(&base, &format_ms(ms - PULL_MARGIN_MS))?;
    }
    eprintln!(
        "pulled {read} records from {base}; {changed} changed the local store, {removed} removed, {skipped} skipped"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(address: &str) -> Row {
        Row {
            address: address.into(),
            reason: None,
            first_seen: None,
            last_seen: None,
            count: None,
            source: None,
        }
    }

    #[test]
    fn validation_fills_defaults_and_refuses_junk() {
        let now: StoreTime = "2026-03-14T09:26:53Z".parse().unwrap();
        let s = validate(row("A@Example.com"), "complained", "crm", now).unwrap();
        assert_eq!(s.address, "a@example.com");
        assert_eq!(
            (s.info.reason.as_str(), s.info.count, s.info.source.as_str()),
            ("complained", 1, "crm")
        );
        assert_eq!(s.info.first_seen, now);
        assert!(validate(row("nope"), "complained", "crm", now).is_err());
        let mut r = row("a@example.com");
        r.reason = Some("gone".into());
        assert!(validate(r, "complained", "crm", now).is_err());
        let mut r = row("a@example.com");
        r.first_seen = Some("yesterday".into());
        assert!(validate(r, "complained", "crm", now).is_err());
    }

    #[test]
    fn pulled_entries_are_checked_like_import_rows() {
        let page: Page = serde_json::from_str(
            r#"{"suppressions": [
                {"address": "John.Doe@Bücher.DE", "reason": "does_not_exist",
                 "first_seen": "2026-03-14T09:26:53Z", "last_seen": "2026-03-14T09:26:53Z",
                 "count": 2, "source": "ses", "updated_at": "2026-03-14T09:26:54.120Z", "deleted": false},
                {"address": "a@example.com", "reason": "does_not_exist",
                 "updated_at": "2026-03-14T09:26:54.120Z", "deleted": false},
                {"address": "b@example.com", "reason": "blocked",
                 "first_seen": "2026-03-14T09:26:53Z", "last_seen": "2026-03-14T09:26:53Z",
                 "count": 1, "source": "ses", "updated_at": "2026-03-14T09:26:54.120Z", "deleted": false},
                {"address": "c@example.com", "updated_at": "2026-03-14T09:26:54.120Z", "deleted": true}],
              "next_cursor": null}"#,
        )
        .unwrap();
        let s = &page.suppressions;
        let good = feed_record(&s[0]).unwrap();
        assert_eq!(good.address, "john.doe@xn--bcher-kva.de");
        assert_eq!((good.info.count, good.info.source.as_str()), (2, "ses"));
        assert!(feed_record(&s[1]).unwrap_err().contains("fields missing"));
        assert!(feed_record(&s[2]).unwrap_err().contains("blocked"));
        assert!(s[3].deleted && feed_record(&s[3]).is_err());
    }
}
