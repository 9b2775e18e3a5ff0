//! Measures the disposable filter's false-positive rate per address checked,
//! counting every parent domain looked up for subdomain matching:
//! deterministic random domains that are not on the list (nor have a listed
//! parent), with 1 to 4 labels before the top-level domain, go through the
//! same lookup verdicts use. Prints one JSON line.
//!
//! `cargo run --release -p prebounce-core --example filter_fpr -- [SAMPLES]`

use std::collections::HashSet;

use prebounce_core::data::list_entries;
use prebounce_core::disposable::suffixes;
use prebounce_core::Data;

const TLDS: [&str; 12] = [
    "com", "net", "org", "de", "co.uk", "io", "fr", "ru", "com.br", "info", "xyz", "nl",
];

fn main() {
    let samples: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3_000_000);
    let listed: HashSet<String> = list_entries(include_str!("../data/disposable/domains.txt"))
        .chain(list_entries(include_str!("../data/disposable/curated.txt")))
        .collect();
    let data = Data::builtin();
    let mut state = 0x5eed_u64;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let (mut checked, mut lookups, mut false_positives) = (0u64, 0u64, 0u64);
    let mut domain = String::new();
    while checked < samples {
        domain.clear();
        // 70% one label before the TLD, 20% two, 8% three, 2% four.
        let labels = match next() % 100 {
            0..=69 => 1,
            70..=89 => 2,
            90..=97 => 3,
            _ => 4,
        };
        for _ in 0..labels {
            let len = 3 + next() % 12;
            for _ in 0..len {
                domain
                    .push(b"abcdefghijklmnopqrstuvwxyz0123456789"[(next() % 36) as usize] as char);
            }
            domain.push('.');
        }
        domain.push_str(TLDS[(next() % TLDS.len() as u64) as usize]);
        if suffixes(&domain).any(|s| listed.contains(s)) {
            continue; // really listed: not a candidate for a false positive
        }
        checked += 1;
        lookups += suffixes(&domain).count() as u64;
        if data.disposable.lookup(&domain).is_some() {
            false_positives += 1;
        }
    }
    let rate = false_positives as f64 / checked as f64;
    println!(
        "{{\"addresses\":{checked},\"lookups\":{lookups},\"false_positives\":{false_positives},\
         \"rate\":{rate:.3e},\"one_in\":{},\"lookups_per_address\":{:.3}}}",
        if false_positives == 0 {
            "null".to_owned()
        } else {
            format!("{:.0}", 1.0 / rate)
        },
        lookups as f64 / checked as f64
    );
}
