//! A deletion made elsewhere (the edge's tombstone, applied by `suppressions
//! pull`) removes only what it knew of: records with local changes not yet
//! pushed stay, and so do events seen after it.

use prebounce_core::bounce::{Bounce, Kind};
use prebounce_core::suppression::{BounceReason, RepeatRule, Suppression};
use prebounce_core::time::StoreTime;
use prebounce_core::{Reason, SuppressionInfo};
use prebounce_store::ledger::NewEvent;
use prebounce_store::sqlite::Store;

fn at(s: &str) -> StoreTime {
    StoreTime::parse(s).unwrap()
}

fn ms(s: &str) -> i64 {
    at(s).unix() * 1000
}

fn store(tag: &str) -> (Store, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!(
        "prebounce-tombstones-{tag}-{}.db",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    (Store::open(&path).unwrap(), path)
}

fn record(last_seen: &str) -> Suppression {
    Suppression {
        address: "gone@example.com".into(),
        info: SuppressionInfo {
            reason: "does_not_exist".into(),
            first_seen: at("2026-01-01T00:00:00Z"),
            last_seen: at(last_seen),
            count: 1,
            source: "import".into(),
        },
    }
}

#[test]
fn a_record_changed_here_since_the_last_push_survives_an_older_tombstone() {
    let (mut s, path) = store("unpushed");
    // Imported after the edge deleted the address, but its times are old.
    s.merge_in(&[record("2026-02-01T00:00:00Z")], true).unwrap();
    let deleted = ms("2026-06-01T00:00:00Z");
    let gone = vec![("gone@example.com".to_owned(), deleted)];
    assert_eq!(s.apply_tombstones(&gone, 0).unwrap(), 0);
    assert!(s.lookup("gone@example.com").unwrap().is_some());
    // Once pushed, the same tombstone applies: the record is older.
    let (_, change) = s.all(None).unwrap()[0];
    assert_eq!(s.apply_tombstones(&gone, change + 10).unwrap(), 1);
    assert!(s.lookup("gone@example.com").unwrap().is_none());
    let _ = std::fs::remove_file(path);
}

#[test]
fn only_events_seen_before_the_tombstone_are_forgotten() {
    let (mut s, path) = store("events");
    let soft = Bounce::failed(
        "soft@example.com",
        Kind::Soft,
        BounceReason::Verdict(Reason::MailboxFull),
    );
    let events: Vec<NewEvent<'_>> = [
        ("m1", "2026-03-01T00:00:00Z"),
        ("m2", "2026-03-20T00:00:00Z"),
    ]
    .iter()
    .map(|(m, t)| NewEvent::new(m, &soft, at(t), "test").unwrap())
    .collect();
    s.ingest(&events, RepeatRule::default()).unwrap();
    assert_eq!(s.event_count().unwrap(), 2);
    // No record yet (two soft bounces); the edge deleted the address between them.
    let gone = vec![("soft@example.com".to_owned(), ms("2026-03-10T00:00:00Z"))];
    s.apply_tombstones(&gone, 0).unwrap();
    assert_eq!(
        s.event_count().unwrap(),
        1,
        "the later soft bounce still counts"
    );
    let _ = std::fs::remove_file(path);
}
