//! The depth-`syntax` verdict over the 1,000,000-address corpus.
//!
//! Generate the corpus first: `python3 bench/gen_corpus.py` (or run
//! `bench/run.sh`, which does everything and prints the side-by-side table).
//! `PREBOUNCE_CORPUS` overrides the corpus path.
//!
//! - `assess`: the compact verdict (status, reason, flags, error, suggestion),
//!   what list cleaning and `checkMany` use;
//! - `verdict`: the full owned [`Verdict`] per address (strings and all).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prebounce_core::{Checker, Data, Options};

/// The corpus file's text: the addresses are slices of it, as when a list is
/// read into memory (one buffer, not a million separate allocations).
fn corpus_text() -> String {
    let path = std::env::var_os("PREBOUNCE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/corpus/corpus-1m.txt")
        });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `python3 bench/gen_corpus.py` first",
            path.display()
        )
    });
    text
}

fn bench(c: &mut Criterion) {
    let text = corpus_text();
    let corpus: Vec<&str> = text.lines().collect();
    let data = Data::builtin();
    let checker = Checker::with_data(Options::default(), data);
    let mut g = c.benchmark_group("syntax");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .warm_up_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(corpus.len() as u64));
    g.bench_function("assess", |b| {
        b.iter(|| {
            let mut invalid = 0u32;
            for s in &corpus {
                invalid += (checker.assess(black_box(s)).reason
                    == prebounce_core::Reason::InvalidSyntax) as u32;
            }
            invalid
        })
    });
    g.bench_function("verdict", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for s in &corpus {
                n += black_box(checker.verdict(black_box(s))).input.len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
