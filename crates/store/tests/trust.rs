//! The store's side of bounce trust: an event kept as evidence is stored and
//! never counts, now or later; the sent log answers which (Message-ID,
//! recipient) pairs were sent; `unverified` lists the records nothing proves.

use prebounce_core::bounce::{Bounce, Kind};
use prebounce_core::suppression::trust::Verified;
use prebounce_core::suppression::{BounceReason, RepeatRule};
use prebounce_core::time::StoreTime;
use prebounce_core::Reason;
use prebounce_store::ledger::{NewEvent, Outcome};
use prebounce_store::sent::Sent;
use prebounce_store::sqlite::Store;

fn store(tag: &str) -> (Store, std::path::PathBuf) {
    let path =
        std::env::temp_dir().join(format!("prebounce-trust-{tag}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    (Store::open(&path).unwrap(), path)
}

fn at(day: i64) -> StoreTime {
    StoreTime::from_unix(1_780_000_000 + day * 86_400)
}

fn full(who: &str) -> Bounce {
    Bounce::failed(who, Kind::Soft, BounceReason::Verdict(Reason::MailboxFull))
}

#[test]
fn evidence_is_stored_but_never_counts_not_even_toward_a_later_repeat() {
    let (mut s, path) = store("evidence");
    let b = full("x@example.com");
    let ev = |m: &'static str, d, v, counts| {
        NewEvent::new(m, &b, at(d), "t").unwrap().trusted(v, counts)
    };
    let rule = RepeatRule::default();
    // Two forged full-mailbox reports, kept as evidence.
    let out = s
        .ingest(
            &[
                ev("f1", 0, Verified::None, false),
                ev("f2", 1, Verified::None, false),
            ],
            rule,
        )
        .unwrap();
    assert_eq!(out, [Outcome::Counted, Outcome::Counted]);
    // A real one: the first that counts, so no repeat yet.
    let out = s
        .ingest(&[ev("r1", 2, Verified::Verp, true)], rule)
        .unwrap();
    assert_eq!(out, [Outcome::Counted]);
    assert_eq!(s.lookup("x@example.com").unwrap(), None);
    // Evidence stays evidence: read again, still stored once.
    let out = s
        .ingest(&[ev("f1", 0, Verified::None, false)], rule)
        .unwrap();
    assert_eq!(out, [Outcome::Duplicate]);
    // Two more real ones make three.
    let out = s
        .ingest(
            &[
                ev("r2", 3, Verified::Verp, true),
                ev("r3", 4, Verified::MtaLog, true),
            ],
            rule,
        )
        .unwrap();
    assert_eq!(out, [Outcome::Counted, Outcome::Suppressed]);
    assert_eq!(s.lookup("x@example.com").unwrap().map(|i| i.count), Some(3));
    // Proven: not listed as unverified.
    assert!(s.unverified().unwrap().is_empty());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn unverified_lists_records_only_unproven_bounces_made() {
    let (mut s, path) = store("unverified");
    let hard =
        |who: &str| Bounce::failed(who, Kind::Hard, BounceReason::Verdict(Reason::DoesNotExist));
    let (a, b) = (hard("a@example.com"), hard("b@example.com"));
    let rule = RepeatRule::default();
    s.ingest(&[NewEvent::new("m1", &a, at(0), "t").unwrap()], rule)
        .unwrap();
    s.ingest(
        &[NewEvent::new("m2", &b, at(0), "t")
            .unwrap()
            .trusted(Verified::SentLog, true)],
        rule,
    )
    .unwrap();
    let listed: Vec<String> = s
        .unverified()
        .unwrap()
        .into_iter()
        .map(|r| r.address)
        .collect();
    assert_eq!(listed, ["a@example.com"]);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn the_sent_log_answers_pairs_and_says_whether_it_exists() {
    let (mut s, path) = store("sent");
    assert!(!s.has_sent().unwrap());
    let row = |m: &str, k: &str| Sent {
        message_id: m.into(),
        recipient_key: k.into(),
        recipient: k.into(),
        sent_at: None,
        source: "log:1".into(),
    };
    // More rows than one insert holds, and one twice.
    let mut rows: Vec<Sent> = (0..45)
        .map(|i| row(&format!("m{i}@us"), "a@example.com"))
        .collect();
    rows.push(row("m0@us", "a@example.com"));
    assert_eq!(s.record_sent(&rows).unwrap(), 45);
    assert_eq!(s.record_sent(&rows).unwrap(), 0);
    assert!(s.has_sent().unwrap());
    let found = s
        .sent_matches([
            ("m44@us", "a@example.com"),
            ("m44@us", "b@example.com"),
            ("m99@us", "a@example.com"),
        ])
        .unwrap();
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        [(("m44@us".to_owned(), "a@example.com".to_owned()), 1)]
    );
    // A message to two recipients says so.
    s.record_sent(&[row("m44@us", "b@example.com")]).unwrap();
    let found = s.sent_matches([("m44@us", "a@example.com")]).unwrap();
    assert_eq!(found.values().copied().collect::<Vec<_>>(), [2]);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn evidence_read_again_once_proven_counts_once() {
    // Bounces are read hourly, the sent log imported daily: a real bounce
    // first stored as evidence must count once the sent log proves it.
    let (mut s, path) = store("promote");
    let hard = Bounce::failed(
        "late@example.com",
        Kind::Hard,
        BounceReason::Verdict(Reason::DoesNotExist),
    );
    let ev = || NewEvent::new("m1", &hard, at(0), "t").unwrap();
    let rule = RepeatRule::default();
    let out = s
        .ingest(&[ev().trusted(Verified::None, false)], rule)
        .unwrap();
    assert_eq!(out, [Outcome::Counted]);
    assert_eq!(s.lookup("late@example.com").unwrap(), None);
    // Still unproven: nothing changes.
    let out = s
        .ingest(&[ev().trusted(Verified::None, false)], rule)
        .unwrap();
    assert_eq!(out, [Outcome::Duplicate]);
    // Proven: it counts now, once.
    let out = s
        .ingest(&[ev().trusted(Verified::SentLog, true)], rule)
        .unwrap();
    assert_eq!(out, [Outcome::Suppressed]);
    assert_eq!(
        s.lookup("late@example.com").unwrap().map(|i| i.count),
        Some(1)
    );
    let out = s
        .ingest(&[ev().trusted(Verified::SentLog, true)], rule)
        .unwrap();
    assert_eq!(out, [Outcome::Duplicate]);
    assert_eq!(
        s.lookup("late@example.com").unwrap().map(|i| i.count),
        Some(1)
    );
    assert!(s.unverified().unwrap().is_empty());
    std::fs::remove_file(path).unwrap();
}
