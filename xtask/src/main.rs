//! Maintainer tasks. `cargo run -p xtask -- build-disposable-filter LIST OUT`
//! turns the disposable domain list into the filter file the core embeds.

use std::process::ExitCode;

use prebounce_core::data::list_entries;
use prebounce_core::disposable::DisposableFilter;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, list, out] if cmd == "build-disposable-filter" => match build(list, out) {
            Ok(n) => {
                println!("{out}: {n} domains");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("xtask: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: xtask build-disposable-filter LIST OUT");
            ExitCode::from(2)
        }
    }
}

fn build(list: &str, out: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(list)?;
    let domains: Vec<String> = list_entries(&text).collect();
    let filter = DisposableFilter::build(domains.iter().map(String::as_str))?;
    std::fs::write(out, filter.to_bytes())?;
    Ok(filter.domain_count())
}
