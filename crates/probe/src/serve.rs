//! `prebounce serve`: the probe backend's HTTP API (being written).

use std::process::ExitCode;

use clap::Args;

use crate::net::NetFlags;

/// Arguments of `prebounce serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    net: NetFlags,
}

/// Runs `prebounce serve`.
pub fn run(args: ServeArgs) -> Result<ExitCode, String> {
    let _ = args;
    Err("not written yet".into())
}
