//! `prebounce sent`: record what was sent, so that a bounce quoting one of
//! those messages for that recipient is verified (`sent_log`,
//! docs/TRUST.md).
//!
//! Each file is one of:
//! - **JSON Lines**: objects with `message_id`, `recipient` and optionally
//!   `sent_at` (RFC 3339);
//! - **CSV** with a header naming those columns;
//! - **Postfix's log**, with `--sender`: the Message-ID from a
//!   `cleanup[…]: QUEUEID: message-id=<…>` line and the envelope sender of
//!   `qmgr`'s `from=<…>` line, joined by queue ID with every `to=<…>`
//!   delivery line of that message (whatever its status: a deferred or
//!   bounced message was sent too), for messages from those senders only:
//!   the log also holds mail others sent us, whose Message-IDs they chose.
//!
//! A line that is not a record is reported on stderr with its file and line
//! number, and the rest are stored; the exit code is then 1.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Args;
use prebounce_core::bounce::postfix_log::{self, Event};
use prebounce_core::suppression::{self, trust};
use prebounce_core::time::StoreTime;
use prebounce_store::sent::Sent;
use serde::Deserialize;
use thiserror::Error;

use crate::failure::csv_io;
use crate::lines::BoundedLines;
use crate::maillog::MAX_QUEUE_IDS;
use crate::store::{store_time, Store, StoreError};

/// Arguments of `prebounce sent`.
#[derive(Debug, Args)]
pub struct SentArgs {
    /// The SQLite store to record in (created if missing): the one
    /// `prebounce bounces --suppress` uses. Once it holds a sent log,
    /// `bounces` is in verified mode.
    #[arg(long, value_name = "DB")]
    db: PathBuf,
    /// JSON Lines, CSV or Postfix log files; `-` for standard input. Give
    /// rotated logs oldest first, in one run: a message's lines may span two.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// An envelope sender that is yours (`news@example.com`), or a domain
    /// whose senders are (`@example.com`). Required to read a Postfix log,
    /// which also holds mail others sent you: only messages from these
    /// senders are recorded. Repeatable.
    #[arg(long, value_name = "ADDRESS|@DOMAIN")]
    sender: Vec<String>,
}

/// What can stop `sent` as a whole (a bad line never does).
#[derive(Debug, Error)]
pub enum SentError {
    /// The store could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file could not be read.
    #[error("{0}")]
    Io(String),
    /// The arguments or a file's shape are wrong.
    #[error("{0}")]
    Usage(String),
}

/// Records per transaction.
const BATCH: usize = 10_000;

/// One JSON Lines or CSV record as written.
#[derive(Debug, Deserialize)]
struct Row {
    message_id: String,
    recipient: String,
    #[serde(default)]
    sent_at: Option<String>,
}

/// Runs `prebounce sent`.
pub fn run(args: SentArgs) -> Result<ExitCode, SentError> {
    let mut store = Store::open(&args.db)?;
    let now = SystemTime::now();
    let mut total = Tally::default();
    let mut log = LogJoin {
        senders: args
            .sender
            .iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
        queue: HashMap::new(),
    };
    for path in &args.files {
        let name = path.display().to_string();
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::new(io::stdin()))
        } else {
            let f = File::open(path).map_err(|e| SentError::Io(format!("{name}: {e}")))?;
            Box::new(BufReader::new(f))
        };
        let mut batch = Batch {
            store: &mut store,
            rows: Vec::new(),
            tally: Tally::default(),
            name: &name,
        };
        read_file(reader, &mut batch, &mut log, store_time(now))?;
        batch.flush()?;
        let t = batch.tally;
        eprintln!(
            "{name}: {} sent records read, {} new, {} lines refused",
            t.read, t.new, t.refused
        );
        total.add(&t);
    }
    Ok(if total.refused > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Default, Clone, Copy)]
struct Tally {
    read: usize,
    new: usize,
    refused: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.read += other.read;
        self.new += other.new;
        self.refused += other.refused;
    }
}

/// Records on their way to the store, in transactions of [`BATCH`].
struct Batch<'s> {
    store: &'s mut Store,
    rows: Vec<Sent>,
    tally: Tally,
    name: &'s str,
}

impl Batch<'_> {
    /// Adds one record, or reports why line `line` is not one.
    fn push(
        &mut self,
        line: u64,
        message_id: &str,
        recipient: &str,
        sent_at: Option<StoreTime>,
    ) -> Result<(), SentError> {
        match record(message_id, recipient, sent_at, self.name, line) {
            Ok(row) => {
                self.tally.read += 1;
                self.rows.push(row);
                if self.rows.len() >= BATCH {
                    self.flush()?;
                }
            }
            Err(why) => self.refuse(line, &why),
        }
        Ok(())
    }

    fn refuse(&mut self, line: u64, why: &str) {
        eprintln!("{}:{line}: {why}", self.name);
        self.tally.refused += 1;
    }

    fn flush(&mut self) -> Result<(), SentError> {
        if !self.rows.is_empty() {
            self.tally.new += self.store.record_sent(&self.rows)?;
            self.rows.clear();
        }
        Ok(())
    }
}

/// A sent record, or why the fields do not make one.
fn record(
    message_id: &str,
    recipient: &str,
    sent_at: Option<StoreTime>,
    name: &str,
    line: u64,
) -> Result<Sent, String> {
    let id = trust::message_id_key(message_id);
    if id.is_empty()
        || id.len() > trust::MAX_MESSAGE_ID
        || id.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("message_id {message_id:?} is not a Message-ID"));
    }
    let key = suppression::key(recipient.trim())
        .map_err(|e| format!("recipient {recipient:?} is not an address ({})", e.as_str()))?;
    Ok(Sent {
        message_id: id.to_owned(),
        recipient_key: key,
        recipient: recipient.trim().to_owned(),
        sent_at: sent_at.map(|t| t.to_string()),
        source: format!("{name}:{line}"),
    })
}

/// What kind of file a reader holds, from its first non-blank line.
enum Shape {
    JsonLines,
    PostfixLog,
    Csv,
}

fn read_file(
    mut reader: Box<dyn BufRead>,
    batch: &mut Batch<'_>,
    log: &mut LogJoin,
    now: StoreTime,
) -> Result<(), SentError> {
    let io_err = |e: io::Error| SentError::Io(format!("{}: {e}", batch.name));
    let shape = {
        let head = reader.fill_buf().map_err(io_err)?;
        let text = String::from_utf8_lossy(&head[..head.len().min(64 * 1024)]);
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if first.trim_start().starts_with('{') {
            Shape::JsonLines
        } else if postfix_log::looks_like_log(head) {
            Shape::PostfixLog
        } else {
            Shape::Csv
        }
    };
    match shape {
        Shape::JsonLines => read_json_lines(reader, batch),
        Shape::PostfixLog if log.senders.is_empty() => Err(SentError::Usage(format!(
            "{}: a Postfix log also holds mail others sent you; say which envelope senders \
             are yours with --sender ADDRESS or --sender @DOMAIN",
            batch.name
        ))),
        Shape::PostfixLog => read_postfix_log(reader, batch, log, now),
        Shape::Csv => read_csv(reader, batch),
    }
}

/// The lines of `reader`, each bounded ([`postfix_log::MAX_LINE_BYTES`]),
/// as text (lossily: a log's bytes are not all UTF-8); a longer line is
/// refused.
fn each_line(
    reader: Box<dyn BufRead>,
    batch: &mut Batch<'_>,
    mut each: impl FnMut(&mut Batch<'_>, u64, &str) -> Result<(), SentError>,
) -> Result<(), SentError> {
    for line in BoundedLines::new(reader, postfix_log::MAX_LINE_BYTES) {
        let (n, bytes) = line.map_err(|e| SentError::Io(format!("{}: {e}", batch.name)))?;
        match bytes {
            Some(bytes) => each(batch, n, &String::from_utf8_lossy(&bytes))?,
            None => batch.refuse(
                n,
                &format!("longer than {} bytes", postfix_log::MAX_LINE_BYTES),
            ),
        }
    }
    Ok(())
}

fn sent_time(value: Option<&str>) -> Result<Option<StoreTime>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => StoreTime::parse_rfc3339(v)
            .map(Some)
            .ok_or_else(|| format!("sent_at {v:?} is not an RFC 3339 time")),
    }
}

fn read_json_lines(reader: Box<dyn BufRead>, batch: &mut Batch<'_>) -> Result<(), SentError> {
    each_line(reader, batch, |batch, line, text| {
        if text.trim().is_empty() {
            return Ok(());
        }
        let row = serde_json::from_str::<Row>(text)
            .map_err(|e| e.to_string())
            .and_then(|r| Ok((sent_time(r.sent_at.as_deref())?, r)));
        match row {
            Ok((at, r)) => batch.push(line, &r.message_id, &r.recipient, at),
            Err(why) => {
                batch.refuse(line, &why);
                Ok(())
            }
        }
    })
}

fn read_csv(reader: Box<dyn BufRead>, batch: &mut Batch<'_>) -> Result<(), SentError> {
    let name = batch.name;
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = r
        .headers()
        .map_err(|e| SentError::Usage(format!("{name}: {e}")))?;
    let lower = csv::StringRecord::from(
        headers
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect::<Vec<_>>(),
    );
    if !["message_id", "recipient"]
        .iter()
        .all(|c| lower.iter().any(|h| h == *c))
    {
        return Err(SentError::Usage(format!(
            "{name}: not JSON Lines, not a Postfix log, and a CSV header must name \
             `message_id` and `recipient` columns (and may name `sent_at`)"
        )));
    }
    for rec in r.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                let row = rec
                    .deserialize::<Row>(Some(&lower))
                    .map_err(|e| e.to_string())
                    .and_then(|r| Ok((sent_time(r.sent_at.as_deref())?, r)));
                match row {
                    Ok((at, r)) => batch.push(line, &r.message_id, &r.recipient, at)?,
                    Err(why) => batch.refuse(line, &why),
                }
            }
            Err(e) if e.is_io_error() => {
                return Err(SentError::Io(format!("{name}: {}", csv_io(e))));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                batch.refuse(line, &e.to_string());
            }
        }
    }
    Ok(())
}

/// What a Postfix log says of each queue ID so far, across the files of
/// one run, and whose messages count.
struct LogJoin {
    /// Envelope senders (`a@b`) or domains (`@b`) that are ours, lower case.
    senders: Vec<String>,
    /// Per queue ID: its Message-ID and envelope sender, as logged.
    queue: HashMap<String, (Option<String>, Option<String>)>,
}

impl LogJoin {
    fn ours(&self, from: &str) -> bool {
        let from = from.to_ascii_lowercase();
        self.senders.iter().any(|s| {
            if s.starts_with('@') {
                from.ends_with(s.as_str())
            } else {
                from == *s
            }
        })
    }

    fn entry(&mut self, queue_id: &str) -> &mut (Option<String>, Option<String>) {
        if self.queue.len() >= MAX_QUEUE_IDS && !self.queue.contains_key(queue_id) {
            self.queue.clear();
        }
        self.queue.entry(queue_id.to_owned()).or_default()
    }
}

fn read_postfix_log(
    reader: Box<dyn BufRead>,
    batch: &mut Batch<'_>,
    log: &mut LogJoin,
    now: StoreTime,
) -> Result<(), SentError> {
    each_line(reader, batch, |batch, line, text| {
        let Some(parsed) = postfix_log::parse_line(text.trim_end(), now) else {
            return Ok(());
        };
        match parsed.event {
            Event::MessageId(id) => {
                log.entry(&parsed.queue_id).0 = Some(id);
            }
            Event::Queued { from } => log.entry(&parsed.queue_id).1 = Some(from),
            Event::Delivery(d) => {
                let (id, from) = log.queue.get(&parsed.queue_id).cloned().unwrap_or_default();
                match (id, from) {
                    (Some(id), Some(from)) if log.ours(&from) => {
                        // The address as the sender wrote it, before an alias
                        // or a rewrite: what a report names.
                        let to = d.orig_to.as_deref().unwrap_or(&d.to);
                        batch.push(line, &id, to, parsed.at)?;
                    }
                    (Some(_), Some(_)) => {}
                    _ => batch.refuse(
                        line,
                        &format!(
                            "queue ID {}: no cleanup message-id= and qmgr from= lines before \
                             this delivery (give rotated logs oldest first, in one run)",
                            parsed.queue_id
                        ),
                    ),
                }
            }
            Event::Expired { .. } | Event::Notified { .. } => {}
        }
        Ok(())
    })
}
