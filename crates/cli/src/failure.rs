//! How every subcommand ends: one exit code rule and one error form
//! (`prebounce COMMAND: …` on stderr), and a closed output pipe
//! (`prebounce … | head`) quiet everywhere. docs/DESIGN.md's exit codes.

use std::io;
use std::process::ExitCode;

use crate::{bounces, check, sent, serve, suppressions};

/// How a subcommand's error ends `prebounce`: the same for every one.
pub trait Failure: std::fmt::Display {
    /// The output pipe closed (`prebounce … | head`): not an error.
    fn is_broken_pipe(&self) -> bool {
        false
    }

    /// A usage error (exit code 2) rather than a run-time one (1).
    fn is_usage(&self) -> bool;
}

/// The exit code of a subcommand that returned `result`; an error is
/// reported on stderr as `prebounce COMMAND: …` (docs/DESIGN.md's exit codes).
pub fn finish<E: Failure>(command: &str, result: Result<ExitCode, E>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prebounce {command}: {e}");
            ExitCode::from(if e.is_usage() { 2 } else { 1 })
        }
    }
}

/// Whether `e` is a closed pipe.
fn broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// A CSV writer's error as an I/O error, keeping an I/O error's kind (so a
/// closed pipe stays quiet).
pub fn csv_io(e: csv::Error) -> io::Error {
    if !e.is_io_error() {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl Failure for check::CheckError {
    fn is_broken_pipe(&self) -> bool {
        matches!(self, check::CheckError::Output(e) if broken_pipe(e))
    }

    fn is_usage(&self) -> bool {
        matches!(self, check::CheckError::Usage(_))
    }
}

impl Failure for serve::ServeError {
    fn is_usage(&self) -> bool {
        matches!(self, serve::ServeError::Usage(_))
    }
}

impl Failure for bounces::BouncesError {
    fn is_broken_pipe(&self) -> bool {
        matches!(self, bounces::BouncesError::Output(e) if broken_pipe(e))
    }

    fn is_usage(&self) -> bool {
        matches!(self, bounces::BouncesError::Secret(e) if e.is_usage())
    }
}

impl Failure for sent::SentError {
    fn is_usage(&self) -> bool {
        matches!(self, sent::SentError::Usage(_))
    }
}

impl Failure for suppressions::SuppressionsError {
    fn is_broken_pipe(&self) -> bool {
        matches!(self, suppressions::SuppressionsError::Io(e) if broken_pipe(e))
    }

    fn is_usage(&self) -> bool {
        matches!(self, suppressions::SuppressionsError::Usage(_))
    }
}
