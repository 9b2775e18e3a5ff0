//! `prebounce check`: one verdict per address, as text or JSON Lines.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use prebounce_core::data::list_entries;
use prebounce_core::{unreadable, Checker, Data, Status, SyntaxErrorCode, Verdict};
use thiserror::Error;

use crate::input::{self, Column, InputError, Source};
use crate::options::OptionFlags;

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
    /// Print JSON Lines: one verdict object per line.
    #[arg(long)]
    json: bool,
    /// Stop at depth `syntax`: no DNS, no SMTP.
    #[arg(long)]
    offline: bool,
    /// Extra disposable domains, one a line (subdomains match too).
    #[arg(long, value_name = "PATH")]
    disposable_list: Option<PathBuf>,
    /// Domains never flagged disposable, one a line.
    #[arg(long, value_name = "PATH")]
    allowlist: Option<PathBuf>,
    #[command(flatten)]
    options: OptionFlags,
}

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
}

impl CheckError {
    /// A closed pipe (`prebounce check … | head`) is not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CheckError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CheckError::Usage(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

/// Runs `prebounce check`.
pub fn run(args: CheckArgs) -> Result<ExitCode, CheckError> {
    if args.addresses.is_empty() && args.file.is_empty() {
        return Err(CheckError::Usage(
            "give addresses to check, or --file PATH".into(),
        ));
    }
    if !args.offline {
        return Err(CheckError::Usage(
            "checks beyond syntax (DNS, SMTP) are not in this build yet; add --offline".into(),
        ));
    }
    let data = load_data(&args)?;
    let checker = Checker::with_data(args.options.to_options(), &data);
    let stdout = io::stdout();
    let mut out = Output {
        w: io::BufWriter::with_capacity(1 << 16, stdout.lock()),
        json: args.json,
    };

    for a in &args.addresses {
        out.write(&checker.verdict(a))?;
    }
    let column = args.column.clone().map(Column::Named);
    let mut failed = false;
    for path in &args.file {
        let source = Source::from_arg(path);
        if let Err(e) = check_list(&checker, &source, column.as_ref(), &mut out) {
            match e {
                ListError::Input(e) => {
                    eprintln!("prebounce: {e}");
                    failed = true;
                }
                ListError::Output(e) => return Err(CheckError::Output(e)),
            }
        }
    }
    out.w.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
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
}

fn check_list(
    checker: &Checker<'_>,
    source: &Source,
    column: Option<&Column>,
    out: &mut Output<impl Write>,
) -> Result<(), ListError> {
    let items = input::open(source, column).map_err(ListError::Input)?;
    let progress = progress_bar(source);
    let mut counts = [0u64; 4];
    for item in items {
        let item = item.map_err(ListError::Input)?;
        let verdict = match item.text {
            Ok(text) => checker.verdict(&text),
            Err(bytes) => {
                eprintln!(
                    "prebounce: {}:{}: not valid UTF-8; reported as invalid_encoding",
                    source.name(),
                    item.line
                );
                unreadable(
                    String::from_utf8_lossy(&bytes).into_owned(),
                    SyntaxErrorCode::InvalidEncoding,
                )
            }
        };
        counts[verdict.status.code() as usize] += 1;
        out.write(&verdict).map_err(ListError::Output)?;
        if let Some(p) = &progress {
            p.inc(1);
        }
    }
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

struct Output<W: Write> {
    w: W,
    json: bool,
}

impl<W: Write> Output<W> {
    fn write(&mut self, v: &Verdict) -> io::Result<()> {
        if self.json {
            serde_json::to_writer(&mut self.w, v)?;
            return self.w.write_all(b"\n");
        }
        // One line per address, whatever the input held: controls are shown escaped.
        let mut shown = String::new();
        for c in v.address_unicode.as_deref().unwrap_or(&v.input).chars() {
            if c.is_control() {
                shown.extend(c.escape_debug());
            } else {
                shown.push(c);
            }
        }
        write!(
            self.w,
            "{:<8} {:<17} {}",
            v.status.as_str(),
            v.reason.as_str(),
            shown
        )?;
        if let Some(s) = &v.suggestion {
            write!(self.w, "  (did you mean {s}?)")?;
        }
        if let Some(e) = &v.error {
            write!(self.w, "  {} [{}]", e.message, e.code)?;
        } else if let (Some(m), None) = (&v.message, &v.suggestion) {
            write!(self.w, "  {m}")?;
        }
        self.w.write_all(b"\n")
    }
}
