//! `prebounce`: `check`, `serve`, `bounces`, `suppressions`, `sent` and
//! `verp`.
//!
//! Exit codes, the same for all six (`failure.rs`): 0 when every check
//! ran, whatever the verdicts, and when the output pipe closed; 1 for a
//! run-time error (an unreadable file, output that cannot be written, an
//! address `verp` cannot encode or a return path whose tag is wrong); 2
//! for a usage error.

mod bounces;
mod check;
mod failure;
mod input;
mod lines;
mod maillog;
mod mbox;
mod net;
mod options;
mod sent;
mod serve;
mod store;
mod suppressions;
mod verp;

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
    /// Record what was sent (JSON Lines, CSV or Postfix's log), so that
    /// `bounces` believes only bounces of mail it sent (verified mode).
    Sent(Box<sent::SentArgs>),
    /// Make VERP return paths that name their recipient under an HMAC tag
    /// (encode), and check them (decode). The secret comes from
    /// PREBOUNCE_VERP_SECRET or --verp-secret-file.
    Verp(Box<verp::VerpArgs>),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(args) => finish("check", check::run(*args)),
        Command::Serve(args) => finish("serve", serve::run(*args)),
        Command::Bounces(args) => finish("bounces", bounces::run(*args)),
        Command::Suppressions(args) => finish("suppressions", suppressions::run(*args)),
        Command::Sent(args) => finish("sent", sent::run(*args)),
        Command::Verp(args) => finish("verp", verp::run(*args)),
    }
}
