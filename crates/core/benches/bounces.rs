//! Bounces parsed per second: the corpus of `tests/bounces/corpus` (every
//! message, LF as stored, plus a CRLF copy of each) repeated to 100,000
//! messages, parsed one after another on one thread.
//!
//! Prints one JSON line per measurement: `bounce::parse` (the whole
//! reading: MIME, report fields, text, classification) and, as the floor it
//! stands on, `mail_parser` alone (the MIME parse and nothing else).
//! `bench/bounces/run.sh` pins it to one core and adds the baselines.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use prebounce_core::bounce;

const MESSAGES: usize = 100_000;
const RUNS: usize = 5;

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bounces/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.to_string_lossy().ends_with(".expect.json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let raw = std::fs::read(&f).expect("read");
        let lf: Vec<u8> = String::from_utf8_lossy(&raw)
            .replace("\r\n", "\n")
            .into_bytes();
        let crlf = String::from_utf8_lossy(&lf)
            .replace('\n', "\r\n")
            .into_bytes();
        out.push(lf);
        if !f.to_string_lossy().ends_with(".json") {
            out.push(crlf);
        }
    }
    out
}

fn measure(name: &str, messages: &[&[u8]], mut f: impl FnMut(&[u8]) -> usize) {
    let mut best = f64::MAX;
    let mut sum = 0usize;
    for _ in 0..RUNS {
        let start = Instant::now();
        for m in messages {
            sum = sum.wrapping_add(f(m));
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let bytes: usize = messages.iter().map(|m| m.len()).sum();
    println!(
        "{{\"what\":\"{name}\",\"messages\":{},\"best_s\":{best:.4},\"messages_per_s\":{:.0},\"mb_per_s\":{:.1},\"check\":{}}}",
        messages.len(),
        messages.len() as f64 / best,
        bytes as f64 / best / 1e6,
        black_box(sum)
    );
}

fn main() {
    let corpus = corpus();
    let messages: Vec<&[u8]> = corpus
        .iter()
        .map(Vec::as_slice)
        .cycle()
        .take(MESSAGES)
        .collect();
    let parser = mail_parser::MessageParser::new();
    measure("mail_parser MIME parse only", &messages, |m| {
        parser.parse(m).map_or(0, |p| p.parts.len())
    });
    measure("prebounce bounce::parse", &messages, |m| {
        let r = bounce::parse(m);
        r.records.len() + r.notice.is_some() as usize
    });
}
