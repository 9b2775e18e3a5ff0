//! `prebounce check`: one verdict per address, as text, JSON Lines or CSV.
//! CSV cells get core's formula guard (`list::guard_formula`, the one the
//! list page's exports use) unless `--no-formula-guard`; JSON never does.
//!
//! A resolver that answers NXDOMAIN for top-level domains that exist (core's
//! resolver guard, `prebounce_core::mx::guard`) ends the run with exit code
//! 1 and a message naming it: a `--file` list stops at the first address the
//! lying resolver made `dns_error` (that row and the ones before it are
//! written); addresses given as arguments are all written first.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use prebounce_core::data::list_entries;
use prebounce_core::mx::ResolverFault;
use prebounce_core::outcome::apply_suppression;
use prebounce_core::suppression;
use prebounce_core::{list, Checker, Data, Status, Verdict};
use thiserror::Error;

use crate::failure::csv_io;
use crate::input::{self, Column, InputError, Source};
use crate::net::NetFlags;
use crate::options::OptionFlags;
use crate::store::{Store, StoreError};
use prebounce_probe::engine::Prober;

/// Arguments of `prebounce check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Addresses to check.
    #[arg(value_name = "ADDRESS")]
    addresses: Vec<String>,
    /// Read addresses from a file (`-` for standard input): one a line, or
    /// CSV (`.csv`/`.tsv`, or with `--column`). May be repeated.
    #[arg(long, value_name = "PATH")]
    file: Vec<PathBuf>,
    /// The CSV column holding the addresses: a header name or a 1-based
    /// number. Found automatically when omitted.
    #[arg(long, value_name = "NAME|N")]
    column: Option<String>,
    /// Print JSON Lines: one verdict object per line (same as `--format json`).
    #[arg(long)]
    json: bool,
    /// Output format: `text` (one line per address), `json` (JSON Lines) or
    /// `csv` (a header, then one row per address).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// With `--format csv`: write cells as they are. By default a cell that
    /// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
    /// leading `'`, so a spreadsheet shows it instead of running it as a
    /// formula (a reply text, an address such as `=cmd|…@example.com`).
    #[arg(long)]
    no_formula_guard: bool,
    /// Stop at depth `syntax`: no DNS, no SMTP.
    #[arg(long)]
    offline: bool,
    /// Extra disposable domains, one a line (subdomains match too).
    #[arg(long, value_name = "PATH")]
    disposable_list: Option<PathBuf>,
    /// Domains never flagged disposable, one a line.
    #[arg(long, value_name = "PATH")]
    allowlist: Option<PathBuf>,
    /// Consult this SQLite suppression store (see `prebounce bounces
    /// --suppress`): a suppressed address is `invalid` / `suppressed`, with
    /// its record, and is not probed.
    #[arg(long, value_name = "DB")]
    suppress: Option<PathBuf>,
    #[command(flatten)]
    options: OptionFlags,
    #[command(flatten)]
    net: NetFlags,
}

/// How verdicts are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One aligned line per address.
    Text,
    /// JSON Lines: docs/DESIGN.md's verdict object, one per line.
    Json,
    /// CSV: the main verdict fields as columns.
    Csv,
}

/// Addresses probed together: large enough that a domain's addresses share
/// sessions, small enough that a list of millions streams.
const CHUNK: usize = 50_000;

/// The retry window for `--file` lists when `--retry-window` is not given.
const LIST_RETRY_WINDOW: Duration = Duration::from_secs(15 * 60);

/// What can stop `check`.
#[derive(Debug, Error)]
pub enum CheckError {
    /// A wrong combination of arguments.
    #[error("{0}")]
    Usage(String),
    /// A data file could not be read.
    #[error("{path}: {source}")]
    Data {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Standard output could not be written.
    #[error("writing output: {0}")]
    Output(#[from] io::Error),
    /// The network checks could not start.
    #[error("{0}")]
    Network(String),
    /// The suppression store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The resolver answered NXDOMAIN for top-level domains that exist: its
    /// NXDOMAIN answers cannot be told from lies.
    #[error("{0}")]
    Resolver(String),
}

/// How to get out of a lying resolver, at the end of its message.
const RESOLVER_ADVICE: &str = "its NXDOMAIN answers are not trusted (a sandbox, a filtering or a captive network's resolver?); use --resolver IP:PORT with one that answers for the Internet";

/// Runs `prebounce check`.
pub fn run(args: CheckArgs) -> Result<ExitCode, CheckError> {
    if args.addresses.is_empty() && args.file.is_empty() {
        return Err(CheckError::Usage(
            "give addresses to check, or --file PATH".into(),
        ));
    }
    let format = if args.json { Format::Json } else { args.format };
    let data = load_data(&args)?;
    let checker = Checker::with_data(args.options.to_options(), &data);
    let store = match &args.suppress {
        Some(path) => Some(Store::open_read_only(path)?),
        None => None,
    };
    let suppress = |v: &mut Verdict| -> Result<(), CheckError> {
        if let (Some(store), Some(key)) = (&store, suppression::verdict_key(v)) {
            if v.status != Status::Invalid {
                if let Some(record) = store.lookup(&key)? {
                    apply_suppression(v, record);
                }
            }
        }
        Ok(())
    };
    let prober = if args.offline {
        None
    } else {
        let window = if args.file.is_empty() {
            Duration::ZERO
        } else {
            LIST_RETRY_WINDOW
        };
        let cfg = args
            .net
            .to_config(window, false)
            .map_err(|e| CheckError::Usage(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| CheckError::Network(format!("starting the network runtime: {e}")))?;
        let prober = {
            let _guard = runtime.enter();
            Prober::new(cfg).map_err(|e| CheckError::Network(e.to_string()))?
        };
        Some(Network { runtime, prober })
    };
    let stdout = io::stdout();
    let mut out = Output::new(
        io::BufWriter::with_capacity(1 << 16, stdout.lock()),
        format,
        !args.no_formula_guard,
    )?;

    if !args.addresses.is_empty() {
        let mut verdicts: Vec<Verdict> =
            args.addresses.iter().map(|a| checker.verdict(a)).collect();
        for v in &mut verdicts {
            suppress(v)?;
        }
        let (verdicts, faults) = deepen(prober.as_ref(), verdicts, None);
        for v in &verdicts {
            out.write(v)?;
        }
        if let Some(fault) = faults.into_iter().flatten().next() {
            out.flush()?;
            return Err(CheckError::Resolver(format!("{fault}: {RESOLVER_ADVICE}")));
        }
    }
    let column = args.column.clone().map(Column::Named);
    let mut failed = false;
    for path in &args.file {
        let source = Source::from_arg(path);
        if let Err(e) = check_list(
            &checker,
            &suppress,
            prober.as_ref(),
            &source,
            column.as_ref(),
            &mut out,
        ) {
            match e {
                ListError::Input(e) => {
                    eprintln!("prebounce: {e}");
                    failed = true;
                }
                ListError::Output(e) => return Err(CheckError::Output(e)),
                ListError::Check(e) => return Err(e),
                ListError::Resolver { at, fault } => {
                    out.flush()?;
                    return Err(CheckError::Resolver(format!(
                        "stopped at {at}: {fault}: {RESOLVER_ADVICE}"
                    )));
                }
            }
        }
    }
    out.flush()?;
    if let Some(n) = prober {
        // Sessions have said QUIT; nothing left worth waiting for.
        n.runtime.shutdown_timeout(Duration::from_millis(100));
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The network side of `check`: a runtime and the probe engine.
struct Network {
    runtime: tokio::runtime::Runtime,
    prober: Prober,
}

/// DNS and SMTP for these verdicts when not offline; `progress` ticks as
/// domains finish. Beside each verdict, the lying resolver behind its
/// `dns_error`, if any.
fn deepen(
    net: Option<&Network>,
    verdicts: Vec<Verdict>,
    progress: Option<&ProgressBar>,
) -> (Vec<Verdict>, Vec<Option<ResolverFault>>) {
    let Some(net) = net else {
        if let Some(p) = progress {
            p.inc(verdicts.len() as u64);
        }
        let none = vec![None; verdicts.len()];
        return (verdicts, none);
    };
    let n = verdicts.len() as u64;
    let no_mx = BTreeMap::new();
    let stats = net.prober.stats().clone();
    let start = stats.addresses();
    let out = net.runtime.block_on(async {
        let probe = net.prober.probe_report(verdicts, &no_mx);
        tokio::pin!(probe);
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                v = &mut probe => break v,
                _ = tick.tick() => {
                    if let Some(p) = progress {
                        p.set_position(p.position().max(stats.addresses() - start));
                    }
                }
            }
        }
    });
    if let Some(p) = progress {
        // Addresses decided without the network count too.
        p.set_position(p.position() + n - (stats.addresses() - start).min(n));
    }
    (out.verdicts, out.faults)
}

fn load_data(args: &CheckArgs) -> Result<std::borrow::Cow<'static, Data>, CheckError> {
    if args.disposable_list.is_none() && args.allowlist.is_none() {
        return Ok(std::borrow::Cow::Borrowed(Data::builtin()));
    }
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|source| CheckError::Data {
            path: path.clone(),
            source,
        })
    };
    let mut data = Data::builtin().clone();
    if let Some(p) = &args.disposable_list {
        for d in list_entries(&read(p)?) {
            data.disposable.add(&d);
        }
    }
    if let Some(p) = &args.allowlist {
        for d in list_entries(&read(p)?) {
            data.disposable.allow(&d);
        }
    }
    Ok(std::borrow::Cow::Owned(data))
}

enum ListError {
    Input(InputError),
    Output(io::Error),
    Check(CheckError),
    /// The resolver lied about the address at `at` (`list.txt:12`).
    Resolver {
        at: String,
        fault: ResolverFault,
    },
}

fn check_list(
    checker: &Checker<'_>,
    suppress: &dyn Fn(&mut Verdict) -> Result<(), CheckError>,
    net: Option<&Network>,
    source: &Source,
    column: Option<&Column>,
    out: &mut Output<impl Write>,
) -> Result<(), ListError> {
    let items = input::open(source, column).map_err(ListError::Input)?;
    let progress = progress_bar(source);
    let mut counts = [0u64; 4];
    let mut chunk: Vec<Verdict> = Vec::new();
    // The line of each verdict in `chunk`.
    let mut lines: Vec<u64> = Vec::new();
    let mut flush = |chunk: &mut Vec<Verdict>, lines: &mut Vec<u64>, out: &mut Output<_>| {
        let (verdicts, faults) = deepen(net, std::mem::take(chunk), progress.as_ref());
        let lines = std::mem::take(lines);
        for ((v, fault), line) in verdicts.iter().zip(faults).zip(lines) {
            counts[v.status.code() as usize] += 1;
            out.write(v).map_err(ListError::Output)?;
            if let Some(fault) = fault {
                // Nothing after this row: the resolver cannot be believed.
                if let Some(p) = &progress {
                    p.finish_and_clear();
                }
                return Err(ListError::Resolver {
                    at: format!("{}:{line}", source.name()),
                    fault,
                });
            }
        }
        Ok(())
    };
    for item in items {
        let item = item.map_err(ListError::Input)?;
        let mut verdict = match item.text {
            Ok(text) => checker.verdict(&text),
            Err(bytes) => {
                eprintln!(
                    "prebounce: {}:{}: not valid UTF-8; reported as invalid_encoding",
                    source.name(),
                    item.line
                );
                list::invalid_encoding(String::from_utf8_lossy(&bytes).into_owned())
            }
        };
        suppress(&mut verdict).map_err(ListError::Check)?;
        chunk.push(verdict);
        lines.push(item.line);
        if chunk.len() >= CHUNK || net.is_none() {
            flush(&mut chunk, &mut lines, out)?;
        }
    }
    flush(&mut chunk, &mut lines, out)?;
    if let Some(p) = progress {
        p.finish_and_clear();
        let n: u64 = counts.iter().sum();
        let parts: Vec<String> = Status::ALL
            .iter()
            .map(|s| format!("{} {}", counts[s.code() as usize], s.as_str()))
            .collect();
        eprintln!("{}: {n} addresses: {}", source.name(), parts.join(", "));
    }
    Ok(())
}

/// A spinner with count and rate on a terminal; nothing otherwise.
fn progress_bar(source: &Source) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner().with_message(source.name());
    // The template is a constant known to parse.
    let style = ProgressStyle::with_template(
        "{spinner} {msg}: {human_pos} addresses ({rate}/s, {elapsed})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_spinner())
    .with_key(
        "rate",
        |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}", indicatif::HumanCount(state.per_sec() as u64));
        },
    );
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

/// Where verdicts go, in the chosen format.
struct Output<W: Write> {
    w: OutputSink<W>,
}

enum OutputSink<W: Write> {
    Text(W),
    Json(W),
    /// CSV, and whether its cells get core's formula guard.
    Csv(Box<csv::Writer<W>>, bool),
}

/// The CSV columns, in order.
const CSV_HEADER: [&str; 20] = [
    "input",
    "address",
    "status",
    "reason",
    "depth",
    "message",
    "detail",
    "suggestion",
    "retry_after",
    "error_code",
    "disposable",
    "role",
    "free",
    "smtputf8",
    "mx",
    "smtp_code",
    "smtp_enhanced",
    "smtp_reply",
    "catch_all",
    "tls",
];

impl<W: Write> Output<W> {
    fn new(w: W, format: Format, formula_guard: bool) -> io::Result<Output<W>> {
        let w = match format {
            Format::Text => OutputSink::Text(w),
            Format::Json => OutputSink::Json(w),
            Format::Csv => {
                let mut c = csv::Writer::from_writer(w);
                c.write_record(CSV_HEADER).map_err(csv_io)?;
                OutputSink::Csv(Box::new(c), formula_guard)
            }
        };
        Ok(Output { w })
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.w {
            OutputSink::Text(w) | OutputSink::Json(w) => w.flush(),
            OutputSink::Csv(c, _) => c.flush(),
        }
    }

    fn write(&mut self, v: &Verdict) -> io::Result<()> {
        match &mut self.w {
            OutputSink::Json(w) => {
                serde_json::to_writer(&mut *w, v)?;
                w.write_all(b"\n")
            }
            OutputSink::Csv(c, guard) => {
                let mut row = csv_row(v);
                if *guard {
                    for cell in &mut row {
                        if let Cow::Owned(g) = list::guard_formula(cell) {
                            *cell = g;
                        }
                    }
                }
                c.write_record(row).map_err(csv_io)
            }
            OutputSink::Text(w) => write_text(w, v),
        }
    }
}

fn csv_row(v: &Verdict) -> [String; 20] {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let b = |x: bool| if x { "true" } else { "false" }.to_owned();
    let smtp = v.smtp.as_ref();
    [
        v.input.clone(),
        s(&v.address),
        v.status.as_str().to_owned(),
        v.reason.as_str().to_owned(),
        v.depth.as_str().to_owned(),
        s(&v.message),
        s(&v.detail),
        s(&v.suggestion),
        v.retry_after.map(|r| r.to_string()).unwrap_or_default(),
        v.error
            .as_ref()
            .map(|e| e.code.as_str().to_owned())
            .unwrap_or_default(),
        b(v.flags.disposable),
        b(v.flags.role),
        b(v.flags.free),
        b(v.flags.smtputf8),
        smtp.map(|x| x.mx.clone()).unwrap_or_default(),
        smtp.and_then(|x| x.code)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        smtp.and_then(|x| x.enhanced.clone()).unwrap_or_default(),
        smtp.and_then(|x| x.reply.clone()).unwrap_or_default(),
        smtp.map(|x| b(x.catch_all)).unwrap_or_default(),
        smtp.map(|x| b(x.tls)).unwrap_or_default(),
    ]
}

/// One line per address, whatever the input held: controls are shown escaped.
fn write_text(w: &mut impl Write, v: &Verdict) -> io::Result<()> {
    let mut shown = String::new();
    for c in v.address_unicode.as_deref().unwrap_or(&v.input).chars() {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else {
            shown.push(c);
        }
    }
    write!(
        w,
        "{:<8} {:<17} {}",
        v.status.as_str(),
        v.reason.as_str(),
        shown
    )?;
    if let Some(s) = &v.suggestion {
        write!(w, "  (did you mean {s}?)")?;
    }
    if let Some(e) = &v.error {
        write!(w, "  {} [{}]", e.message, e.code)?;
    } else if let (Some(m), None) = (&v.message, &v.suggestion) {
        write!(w, "  {m}")?;
        if let Some(d) = &v.detail {
            write!(w, " ({})", d.escape_debug())?;
        }
    }
    w.write_all(b"\n")
}
