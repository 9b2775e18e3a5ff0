//! `prebounce`: check addresses from the command line.
//!
//! Exit codes: 0 when every check ran, whatever the verdicts; 1 for a
//! run-time error (an unreadable file, output that cannot be written);
//! 2 for a usage error.

mod bounces;
mod check;
mod dns;
mod engine;
mod input;
mod net;
mod options;
mod serve;
mod smtp;
mod store;
mod suppressions;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bounces(args) => {
            return match bounces::run(*args) {
                Ok(code) => code,
                Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("prebounce bounces: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Suppressions(args) => {
            return match suppressions::run(*args) {
                Ok(code) => code,
                Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("prebounce suppressions: {e}");
                    e.exit_code()
                }
            }
        }
        Command::Check(args) => check::run(*args),
        Command::Serve(args) => match serve::run(*args) {
            Ok(code) => return code,
            Err(e) => {
                eprintln!("prebounce serve: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    match result {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prebounce: {e}");
            e.exit_code()
        }
    }
}
