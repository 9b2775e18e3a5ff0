//! `prebounce bounces`: read delivery reports and print one JSON line per
//! failed recipient; with `--suppress DB`, store them and suppress by
//! docs/DESIGN.md's policy.
//!
//! Inputs: message files (`.eml`, SES/SNS `.json`), mbox files (a file whose
//! first line starts with `From `), maildirs (a directory with `cur/` and
//! `new/`), other directories (every file in them, recursively, in name
//! order), and `-` for standard input. A message that cannot be read is a
//! line with an `error`; the ingest goes on.
//!
//! With `--suppress`, records are stored in batches, one transaction each,
//! and a batch's lines are printed only after it committed: a line on
//! standard output means the record is on disk. Running the same input
//! again stores nothing twice (records are keyed by message and recipient).

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use prebounce_core::bounce::postfix_log;
use prebounce_core::bounce::verp::VerpKey;
use prebounce_core::bounce::{self, Format, Report};
use prebounce_core::suppression::trust::{self, TrustPolicy, Verified};
use prebounce_core::suppression::{self, RepeatRule};
use prebounce_core::time::StoreTime;
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::maillog::LogBounce;
use crate::store::{store_time, when, Incoming, Store, StoreError, Stored};
use crate::verp::{self, SecretError, VerpSecret};

/// Arguments of `prebounce bounces`.
#[derive(Debug, Args)]
pub struct BouncesArgs {
    /// Message files, mbox files, maildirs or directories; `-` for standard input.
    #[arg(value_name = "PATH", required_unless_present = "mta_log")]
    paths: Vec<PathBuf>,
    /// Our own MTA's log (Postfix; `-` for standard input): its
    /// `status=bounced` lines, and the recipients of expired messages, are
    /// bounces verified as `mta_log`. Only files given here are read as a
    /// log, never a PATH: a log line is believed.
    #[arg(long, value_name = "LOG")]
    mta_log: Vec<PathBuf>,
    /// Record the bounces in this SQLite suppression store (created if missing)
    /// and suppress: hard bounces and complaints at once, soft bounces when
    /// they repeat, `blocked` never.
    #[arg(long, value_name = "DB")]
    suppress: Option<PathBuf>,
    /// Soft bounces (mailbox_full, temporary_failure, rejected) suppress after
    /// this many within the window.
    #[arg(long, value_name = "N", default_value_t = RepeatRule::default().count)]
    repeat_count: u32,
    /// The window the repeats must fall in (`30d`, `72h` …).
    #[arg(long, value_name = "DURATION", default_value = "30days", value_parser = humantime::parse_duration)]
    repeat_window: Duration,
    /// Messages per stored batch (one transaction each).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch: u32,
    /// Also print a line for each message that is not a bounce (auto-replies,
    /// delay notices …).
    #[arg(long)]
    all: bool,
    /// Refuse messages larger than this many bytes (reported as errors).
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    max_message_bytes: u64,
    /// The VERP secret (`prebounce verp`): a bounce to a tagged return path
    /// is verified for its recipient, and verified mode is on.
    #[command(flatten)]
    verp: VerpSecret,
    /// Outside verified mode: when a message fails more recipients than
    /// this, its unverified records are kept as evidence only.
    #[arg(long, value_name = "N", default_value_t = TrustPolicy::default().max_unverified_recipients)]
    max_unverified_recipients: usize,
}

/// What can stop `bounces` as a whole (a bad message never does).
#[derive(Debug, Error)]
pub enum BouncesError {
    /// The store could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Standard output could not be written.
    #[error("writing output: {0}")]
    Output(#[from] io::Error),
    /// The VERP secret is missing, too short or unreadable.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// One message to read, or why it could not be.
struct Item {
    /// `path`, `path#N` for the Nth message (from 1) of an mbox, or
    /// `path:N` for line N of JSON Lines.
    label: String,
    bytes: Result<Vec<u8>, String>,
    /// The path itself could not be read (not just one message in it).
    unopened: bool,
    /// A bounce our own MTA logged, not a message.
    logged: Option<LogBounce>,
}

impl Item {
    fn unopened(label: String, e: io::Error) -> Item {
        Item {
            label,
            bytes: Err(e.to_string()),
            unopened: true,
            logged: None,
        }
    }
}

/// One output line.
#[derive(Serialize)]
struct Line<'a> {
    source: &'a str,
    message_id: Option<&'a str>,
    format: Format,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<bounce::Notice>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    record: Option<&'a bounce::Bounce>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<Verified>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stored: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// A parsed message waiting for its batch to commit.
struct Parsed {
    label: String,
    key: String,
    report: Report,
    /// The recipients a tagged return path proves it is about (keys).
    verp: Vec<String>,
    /// A line of our own MTA's log: verified as `mta_log`.
    log_line: bool,
}

/// What decides which records may change the list.
struct Trust {
    policy: TrustPolicy,
    verp: Option<VerpKey>,
    /// The unauthenticated-bounces warning was printed.
    warned: bool,
}

#[derive(Default)]
struct Tally {
    messages: u64,
    records: u64,
    hard: u64,
    soft: u64,
    undetermined: u64,
    notices: u64,
    errors: u64,
    suppressed: u64,
    duplicates: u64,
    /// Stored as evidence only: the trust policy kept them from counting.
    evidence: u64,
    /// A path could not be read at all (exit code 1).
    unopened: bool,
}

/// Runs `prebounce bounces`.
pub fn run(args: BouncesArgs) -> Result<ExitCode, BouncesError> {
    let mut store = match &args.suppress {
        Some(path) => Some(Store::open(path)?),
        None => None,
    };
    let verp = verp::optional_key(&args.verp)?;
    let sent_log = match &store {
        Some(s) => s.has_sent()?,
        None => false,
    };
    let mut trust = Trust {
        policy: TrustPolicy {
            verified_mode: verp.is_some() || sent_log,
            max_unverified_recipients: args.max_unverified_recipients,
        },
        verp,
        warned: false,
    };
    let rule = RepeatRule {
        count: args.repeat_count,
        window_secs: args.repeat_window.as_secs(),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let progress = progress_bar();
    let mut tally = Tally::default();
    let mut pending: Vec<Parsed> = Vec::new();
    let batch = args.batch as usize;

    let logs = args.mta_log.iter().map(|p| log_items(p));
    let mail = args.paths.iter().map(|p| items(p, args.max_message_bytes));
    for input in logs.chain(mail) {
        for item in input {
            tally.messages += 1;
            if let Some(p) = &progress {
                p.inc(1);
            }
            let bytes = match item.bytes {
                Ok(b) => b,
                Err(e) => {
                    tally.errors += 1;
                    tally.unopened |= item.unopened;
                    eprintln!("prebounce bounces: {}: {e}", item.label);
                    write_line(&mut out, &Line::error(&item.label, &e))?;
                    continue;
                }
            };
            let parsed = if let Some(b) = item.logged {
                Parsed {
                    label: item.label,
                    key: b.key,
                    report: Report::mta_log(b.record, b.date),
                    verp: Vec::new(),
                    log_line: true,
                }
            } else {
                let report = bounce::parse(&bytes);
                let key = report.message_id.clone().unwrap_or_else(|| {
                    format!("sha256:{}", hex::encode(&Sha256::digest(&bytes)[..16]))
                });
                let verp = match (&trust.verp, report.records.is_empty()) {
                    (Some(k), false) => k.recipients_in_raw(&bytes, &[]),
                    _ => Vec::new(),
                };
                Parsed {
                    label: item.label,
                    key,
                    report,
                    verp,
                    log_line: false,
                }
            };
            // Said once, when storing: that is when a forged bounce costs.
            if store.is_some()
                && !parsed.report.records.is_empty()
                && !trust.policy.verified_mode
                && !trust.warned
            {
                trust.warned = true;
                eprintln!("{UNAUTHENTICATED}");
            }
            pending.push(parsed);
            if pending.len() >= batch || store.is_none() {
                flush(
                    &mut pending,
                    store.as_mut(),
                    rule,
                    &trust,
                    &args,
                    &mut out,
                    &mut tally,
                )?;
            }
        }
    }
    flush(
        &mut pending,
        store.as_mut(),
        rule,
        &trust,
        &args,
        &mut out,
        &mut tally,
    )?;
    out.flush()?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let mut summary = format!(
        "{} messages: {} records ({} hard, {} soft, {} undetermined), {} not bounces, {} unreadable",
        tally.messages, tally.records, tally.hard, tally.soft, tally.undetermined, tally.notices, tally.errors
    );
    if store.is_some() {
        summary.push_str(&format!(
            "; {} suppressed, {} already stored, {} kept as evidence only (unverified)",
            tally.suppressed, tally.duplicates, tally.evidence
        ));
    }
    eprintln!("{summary}");
    Ok(if tally.unopened {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Stores the pending batch (if there is a store), then prints its lines.
fn flush(
    pending: &mut Vec<Parsed>,
    store: Option<&mut Store>,
    rule: RepeatRule,
    trust: &Trust,
    args: &BouncesArgs,
    out: &mut impl Write,
    tally: &mut Tally,
) -> Result<(), BouncesError> {
    if pending.is_empty() {
        return Ok(());
    }
    let trusted = judge(pending, store.as_deref(), &trust.policy)?;
    let stored: Option<Vec<Stored>> = match store {
        Some(store) => {
            let now = SystemTime::now();
            let times: Vec<Vec<StoreTime>> = pending
                .iter()
                .map(|p| {
                    p.report
                        .records
                        .iter()
                        .map(|r| when(r.arrival_date.as_deref(), p.report.date.as_deref(), now))
                        .collect()
                })
                .collect();
            let incoming: Vec<Incoming> = pending
                .iter()
                .zip(&times)
                .flat_map(|(p, times)| {
                    p.report
                        .records
                        .iter()
                        .zip(times)
                        .map(move |(r, t)| (p, r, t))
                })
                .zip(&trusted)
                .map(|((p, r, t), &(verified, counts))| Incoming {
                    message_key: &p.key,
                    record: r,
                    source: &p.label,
                    seen_at: *t,
                    verified,
                    counts,
                })
                .collect();
            Some(crate::store::ingest(store, &incoming, rule)?)
        }
        None => None,
    };
    let mut outcomes = stored.iter().flatten();
    let mut trusted = trusted.iter();
    for p in pending.iter() {
        let r = &p.report;
        if r.records.is_empty() {
            match r.format {
                Format::Unreadable => {
                    tally.errors += 1;
                    let e = r.error.as_deref().unwrap_or("unreadable");
                    write_line(out, &Line::error(&p.label, e))?;
                }
                _ => {
                    tally.notices += 1;
                    if args.all {
                        write_line(out, &Line::of(p, None, None))?;
                    }
                }
            }
            continue;
        }
        for record in &r.records {
            tally.records += 1;
            match record.kind {
                bounce::Kind::Hard => tally.hard += 1,
                bounce::Kind::Soft => tally.soft += 1,
                bounce::Kind::Undetermined => tally.undetermined += 1,
            }
            let (verified, counts) = trusted.next().copied().unwrap_or((Verified::None, true));
            let stored = outcomes.next().map(|s| match s {
                Stored::Suppressed => {
                    tally.suppressed += 1;
                    "suppressed"
                }
                Stored::Counted if !counts => {
                    tally.evidence += 1;
                    "evidence"
                }
                Stored::Counted => "counted",
                Stored::Duplicate => {
                    tally.duplicates += 1;
                    "duplicate"
                }
                Stored::NotAnAddress => "not_an_address",
            });
            write_line(out, &Line::of(p, Some((record, verified)), stored))?;
        }
    }
    // A line out means the record is stored: push the batch's lines out now.
    out.flush()?;
    pending.clear();
    Ok(())
}

/// The unauthenticated-bounces warning (outside verified mode).
const UNAUTHENTICATED: &str = "prebounce bounces: these bounces are not authenticated: anyone who can \
mail your bounce address can get any address suppressed. Send with VERP return paths (`prebounce \
verp encode`, then give bounces PREBOUNCE_VERP_SECRET or --verp-secret-file) or record what you send \
(`prebounce sent --db DB`), and only verified bounces will suppress (docs/TRUST.md).";

/// What proves each record of the batch, in order, and whether the trust
/// policy lets it change the list (core's `suppression::trust`). The sent
/// log is asked once for the whole batch.
fn judge(
    pending: &[Parsed],
    store: Option<&Store>,
    policy: &TrustPolicy,
) -> Result<Vec<(Verified, bool)>, BouncesError> {
    let keys: Vec<Vec<Option<String>>> = pending
        .iter()
        .map(|p| {
            p.report
                .records
                .iter()
                .map(|r| suppression::key(&r.recipient).ok())
                .collect()
        })
        .collect();
    let sent = match store {
        Some(store) if policy.verified_mode => {
            let pairs = pending.iter().zip(&keys).flat_map(|(p, keys)| {
                keys.iter().flatten().flat_map(|key| {
                    p.report
                        .quoted_ids
                        .iter()
                        .map(move |id| (id.as_str(), key.as_str()))
                })
            });
            store.sent_matches(pairs)?
        }
        _ => Default::default(),
    };
    let mut out = Vec::new();
    for (p, keys) in pending.iter().zip(&keys) {
        let failed = p.report.records.len();
        for key in keys {
            let verified = if p.log_line {
                Verified::MtaLog
            } else {
                trust::verify(
                    key.as_deref(),
                    &p.verp,
                    p.report.quoted_ids.iter().map(String::as_str),
                    |id, k| sent.get(&(id.to_owned(), k.to_owned())).copied(),
                )
            };
            out.push((verified, policy.may_change_list(verified, failed)));
        }
    }
    Ok(out)
}

impl<'a> Line<'a> {
    fn of(
        p: &'a Parsed,
        record: Option<(&'a bounce::Bounce, Verified)>,
        stored: Option<&'static str>,
    ) -> Line<'a> {
        Line {
            source: &p.label,
            message_id: p.report.message_id.as_deref(),
            format: p.report.format,
            notice: p.report.notice,
            record: record.map(|(r, _)| r),
            verified: record.map(|(_, v)| v),
            stored,
            error: None,
        }
    }

    fn error(source: &'a str, error: &'a str) -> Line<'a> {
        Line {
            source,
            message_id: None,
            format: Format::Unreadable,
            notice: None,
            record: None,
            verified: None,
            stored: None,
            error: Some(error),
        }
    }
}

fn write_line(out: &mut impl Write, line: &Line<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")
}

fn progress_bar() -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    // The template is a constant known to parse.
    let style =
        ProgressStyle::with_template("{spinner} {human_pos} messages ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// The messages under `path`, lazily: an mbox or a large directory is never
/// held in memory at once. Never a log: only `--mta-log` is.
fn items(path: &Path, max: u64) -> Box<dyn Iterator<Item = Item>> {
    let label = path.display().to_string();
    if path.as_os_str() == "-" {
        return stream(Box::new(io::stdin().lock()), "-".into(), max);
    }
    if path.is_dir() {
        if path.join("cur").is_dir() && path.join("new").is_dir() {
            let files: Vec<PathBuf> = ["cur", "new"]
                .into_iter()
                .flat_map(|d| sorted_files(&path.join(d)))
                .collect();
            return Box::new(files.into_iter().flat_map(move |f| items(&f, max)));
        }
        if let Err(e) = std::fs::read_dir(path) {
            return Box::new(std::iter::once(Item::unopened(label, e)));
        }
        return Box::new(
            sorted_files(path)
                .into_iter()
                .flat_map(move |f| items(&f, max)),
        );
    }
    match File::open(path) {
        Ok(f) => stream(Box::new(BufReader::new(f)), label, max),
        Err(e) => Box::new(std::iter::once(Item::unopened(label, e))),
    }
}

/// The bounces of one `--mta-log` file (or standard input).
fn log_items(path: &Path) -> Box<dyn Iterator<Item = Item>> {
    let label = path.display().to_string();
    if path.as_os_str() == "-" {
        return log(Box::new(io::stdin().lock()), "-".into());
    }
    match File::open(path) {
        Ok(f) => log(Box::new(BufReader::new(f)), label),
        Err(e) => Box::new(std::iter::once(Item::unopened(label, e))),
    }
}

/// The messages of one stream: an mbox (read message by message, each
/// bounded on its own), JSON Lines of SES notifications, or one message.
fn stream(mut reader: Box<dyn BufRead>, label: String, max: u64) -> Box<dyn Iterator<Item = Item>> {
    let (is_mbox, is_log) = reader
        .fill_buf()
        .map(|b| (b.starts_with(b"From "), postfix_log::looks_like_log(b)))
        .unwrap_or((false, false));
    if is_mbox {
        return mbox(reader, label, max);
    }
    if is_log {
        // Read as mail (it is no bounce), but say what was probably meant.
        eprintln!(
            "prebounce bounces: {label} looks like a Postfix log: pass it with --mta-log to read \
             it as your own MTA's"
        );
    }
    let mut bytes = Vec::new();
    if let Err(e) = reader.take(max + 1).read_to_end(&mut bytes) {
        return Box::new(std::iter::once(Item::unopened(label, e)));
    }
    let starts_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if starts_json && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
        // Not one JSON document: JSON Lines (one notification a line), as
        // exported from a queue or a log.
        let lines: Vec<(usize, Vec<u8>)> = bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, l)| l.iter().any(|b| !b.is_ascii_whitespace()))
            .map(|(i, l)| (i + 1, l.to_vec()))
            .collect();
        if lines.len() > 1 {
            return Box::new(lines.into_iter().map(move |(n, l)| Item {
                label: format!("{label}:{n}"),
                bytes: Ok(l),
                unopened: false,
                logged: None,
            }));
        }
    }
    Box::new(std::iter::once(Item {
        label,
        bytes: bounded(bytes, max),
        unopened: false,
        logged: None,
    }))
}

/// The bounces of our own MTA's log (Postfix), one item each
/// ([`maillog`](crate::maillog)).
fn log(reader: Box<dyn BufRead>, label: String) -> Box<dyn Iterator<Item = Item>> {
    let reference = store_time(SystemTime::now());
    Box::new(
        crate::maillog::Bounces::new(reader, label.clone(), reference).map(move |b| match b {
            Ok(b) => Item {
                label: b.label.clone(),
                bytes: Ok(Vec::new()),
                unopened: false,
                logged: Some(b),
            },
            Err(e) => Item::unopened(label.clone(), e),
        }),
    )
}

fn mbox(reader: Box<dyn BufRead>, label: String, max: u64) -> Box<dyn Iterator<Item = Item>> {
    let messages = crate::mbox::Messages::new(reader, max);
    Box::new(messages.enumerate().map(move |(i, bytes)| Item {
        label: format!("{label}#{}", i + 1),
        bytes,
        unopened: false,
        logged: None,
    }))
}

fn bounded(bytes: Vec<u8>, max: u64) -> Result<Vec<u8>, String> {
    if bytes.len() as u64 > max {
        Err(format!("larger than {max} bytes (--max-message-bytes)"))
    } else {
        Ok(bytes)
    }
}

/// Files under `dir`, recursively, in name order (dot files skipped).
fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        // A symbolic link to a directory is not followed (a link back up
        // the tree would read the same messages forever); one to a file is.
        let is_link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        if p.is_dir() {
            if !is_link {
                out.extend(sorted_files(&p));
            }
        } else {
            out.push(p);
        }
    }
    out
}
