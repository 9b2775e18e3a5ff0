//! `prebounce`: `check`, `serve`, `bounces` and `suppressions`.
//!
//! Exit codes, the same for all four (`failure.rs`): 0 when every check
//! ran, whatever the verdicts, and when the output pipe closed; 1 for a
//! run-time error (an unreadable file, output that cannot be written); 2
//! for a usage error.

mod bounces;
mod check;
mod failure;
mod input;
mod mbox;
mod net;
mod options;
mod serve;
mod store;
mod suppressions;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use failure::finish;

/// Email address verification: syntax, IDN, disposable domains, typos.
#[derive(Debug, Parser)]
#[command(name = "prebounce", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check addresses given as arguments or in a file; one verdict each.
    Check(Box<check::CheckArgs>),
    /// Serve the probe API (`POST /v1/probe`) for the edge worker.
    Serve(Box<serve::ServeArgs>),
    /// Read bounces (DSNs, text bounces, SES notifications): one JSON line per
    /// failed recipient; with --suppress, record them in a suppression store.
    Bounces(Box<bounces::BouncesArgs>),
    /// Manage the suppression store: list, export, import, remove, push, pull.
    Suppressions(Box<suppressions::SuppressionsArgs>),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(args) => finish("check", check::run(*args)),
        Command::Serve(args) => finish("serve", serve::run(*args)),
        Command::Bounces(args) => finish("bounces", bounces::run(*args)),
        Command::Suppressions(args) => finish("suppressions", suppressions::run(*args)),
    }
}
