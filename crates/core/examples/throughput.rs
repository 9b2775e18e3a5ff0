//! Times the depth-`syntax` check over a corpus the way the baselines in
//! `bench/baselines` are timed (read once untimed, warm up, best of N passes
//! on one thread) and prints one JSON line in their merge format.
//!
//! `cargo run --release -p prebounce-core --example throughput -- CORPUS [--runs N] [--mode assess|verdict]`

use std::hint::black_box;
use std::time::Instant;

use prebounce_core::{Checker, Options, Reason};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: throughput CORPUS [--runs N] [--mode assess|verdict]");
        std::process::exit(2);
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let runs: usize = flag("--runs").and_then(|r| r.parse().ok()).unwrap_or(3);
    let mode = flag("--mode").unwrap_or_else(|| "assess".into());
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let corpus: Vec<&str> = text.split('\n').filter(|l| !l.is_empty()).collect();
    let checker = Checker::new(Options::default());
    let pass = || -> usize {
        match mode.as_str() {
            "verdict" => corpus
                .iter()
                .filter(|s| checker.verdict(black_box(s)).reason != Reason::InvalidSyntax)
                .count(),
            _ => corpus
                .iter()
                .filter(|s| checker.assess(black_box(s)).reason != Reason::InvalidSyntax)
                .count(),
        }
    };
    // Warm-up: builds the data tables and warms caches.
    let accepted = pass();
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            black_box(pass());
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    let n = corpus.len();
    println!(
        "{{\"library\":\"prebounce-core {mode}\",\"addresses\":{n},\"seconds\":{best:.6},\"per_second\":{},\
         \"accepted\":{accepted},\"rejected\":{},\"seconds_median\":{median:.6},\"per_second_median\":{},\
         \"runtime\":\"rust, one thread\",\"checks\":\"syntax + IDN + disposable + free + role + typo\"}}",
        (n as f64 / best) as u64,
        n - accepted,
        (n as f64 / median) as u64
    );
}
