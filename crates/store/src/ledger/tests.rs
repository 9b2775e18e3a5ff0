//! The statements on a real SQLite (the CLI's executor), against core's
//! functions.

use prebounce_core::bounce::{Bounce, Kind};
use prebounce_core::suppression::{merge, BounceReason, RepeatRule, Suppression};
use prebounce_core::time::StoreTime;
use prebounce_core::{Reason, SuppressionInfo};
use rusqlite::Connection;

use super::*;
use crate::sqlite::{execute, execute_all, migrate};

fn db() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate(&mut conn).unwrap();
    conn
}

fn info(reason: &str, first: i64, last: i64, count: u32, source: &str) -> SuppressionInfo {
    SuppressionInfo {
        reason: reason.into(),
        first_seen: StoreTime::from_unix(1_780_000_000 + first),
        last_seen: StoreTime::from_unix(1_780_000_000 + last),
        count,
        source: source.into(),
    }
}

fn get(conn: &Connection, key: &str) -> Option<SuppressionInfo> {
    records(&execute(conn, &lookup([key])).unwrap()).remove(key)
}

fn stamp_of(conn: &Connection, key: &str) -> i64 {
    conn.query_row(
        "SELECT updated_at FROM suppressions WHERE address = ?1",
        [key],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn the_upsert_is_cores_merge_for_every_pair() {
    let samples = [
        info("mailbox_full", 0, 10, 3, "a"),
        info("mailbox_full", 5, 10, 3, "b"),
        info("does_not_exist", 5, 5, 1, "a"),
        info("does_not_exist", 1, 20, 2, "c"),
        info("complained", 0, 0, 1, "z"),
        info("rejected", 2, 30, 7, "a"),
        info("mailbox_disabled", 3, 30, 1, "a"),
    ];
    for a in &samples {
        for b in &samples {
            let conn = db();
            let rec = |i: &SuppressionInfo| Suppression {
                address: "k@example.com".into(),
                info: i.clone(),
            };
            execute(&conn, &upsert(&[rec(a)], 1, Stamp::Changed)).unwrap();
            let r = execute(&conn, &upsert(&[rec(b)], 2, Stamp::Changed)).unwrap();
            let want = merge(a, b);
            assert_eq!(
                get(&conn, "k@example.com"),
                Some(want.clone()),
                "{a:?} + {b:?}"
            );
            assert_eq!(r.changes, u64::from(want != *a), "{a:?} + {b:?}");
        }
    }
}

#[test]
fn keep_leaves_a_rows_stamp_and_changed_moves_it_forward() {
    let conn = db();
    let rec = |count| Suppression {
        address: "k@example.com".into(),
        info: info("mailbox_full", 0, 10, count, "a"),
    };
    execute(&conn, &upsert(&[rec(1)], 7, Stamp::Changed)).unwrap();
    assert_eq!(stamp_of(&conn, "k@example.com"), 7);
    execute(&conn, &upsert(&[rec(2)], 0, Stamp::Keep)).unwrap();
    assert_eq!(stamp_of(&conn, "k@example.com"), 7);
    assert_eq!(get(&conn, "k@example.com").unwrap().count, 2);
    // An older clock still moves a change forward.
    execute(&conn, &upsert(&[rec(3)], 5, Stamp::Changed)).unwrap();
    assert_eq!(stamp_of(&conn, "k@example.com"), 8);
}

#[test]
fn delete_leaves_a_tombstone_the_feed_shows_until_it_is_purged() {
    let conn = db();
    let rec = Suppression {
        address: "k@example.com".into(),
        info: info("does_not_exist", 0, 0, 1, "a"),
    };
    execute(
        &conn,
        &upsert(std::slice::from_ref(&rec), 10, Stamp::Changed),
    )
    .unwrap();
    let r = execute_all(&conn, &delete("k@example.com", 20, 0)).unwrap();
    assert_eq!(r[0].changes, 1);
    assert_eq!(get(&conn, "k@example.com"), None);
    let feed = changes(&execute(&conn, &page(0, None, 10)).unwrap());
    assert_eq!(
        feed,
        vec![Change {
            address: "k@example.com".into(),
            info: None,
            updated_at: 20
        }]
    );
    // Deleting again finds nothing; a purge past the stamp removes it.
    let r = execute_all(&conn, &delete("k@example.com", 30, 21)).unwrap();
    assert_eq!((r[0].changes, r[1].changes, r[2].changes), (0, 0, 1));
    assert!(changes(&execute(&conn, &page(0, None, 10)).unwrap()).is_empty());
    // Put back: a fresh record, not merged with the old one.
    execute(&conn, &upsert(&[rec], 40, Stamp::Changed)).unwrap();
    assert_eq!(get(&conn, "k@example.com").unwrap().count, 1);
}

#[test]
fn pages_run_in_stamp_then_address_order_with_one_row_to_spare() {
    let conn = db();
    for (i, a) in ["c@x.org", "a@x.org", "b@x.org"].iter().enumerate() {
        let rec = Suppression {
            address: (*a).into(),
            info: info("complained", 0, 0, 1, "s"),
        };
        execute(&conn, &upsert(&[rec], [5, 5, 3][i], Stamp::Changed)).unwrap();
    }
    let first = changes(&execute(&conn, &page(0, None, 2)).unwrap());
    let order: Vec<_> = first
        .iter()
        .map(|c| (c.updated_at, c.address.as_str()))
        .collect();
    assert_eq!(order, [(3, "b@x.org"), (5, "a@x.org"), (5, "c@x.org")]);
    let rest = changes(&execute(&conn, &page(0, Some((5, "a@x.org")), 2)).unwrap());
    assert_eq!(rest.len(), 1);
    assert_eq!(changes(&execute(&conn, &page(6, None, 2)).unwrap()), vec![]);
    let all = changes(&execute(&conn, &changed_after(3)).unwrap());
    assert_eq!(all.len(), 2);
}

fn bounce(recipient: &str, reason: BounceReason, kind: Kind) -> Bounce {
    Bounce::failed(recipient, kind, reason)
}

/// Merges records from elsewhere the way both stores do: read, absorb, write.
fn absorb_in(conn: &Connection, records: &[Suppression], stamp: i64) {
    let plan = Absorb::new(records);
    let reads = execute_all(conn, &plan.reads()).unwrap();
    execute_all(conn, &plan.writes(&reads, stamp, Stamp::Changed)).unwrap();
}

/// Runs an ingest on `conn` the way both stores do: reads, decide, writes.
fn ingest(conn: &Connection, events: &[NewEvent<'_>], stamp: i64) -> Vec<Outcome> {
    let plan = Ingest::new(events);
    let reads = execute_all(conn, &plan.reads()).unwrap();
    let decided = plan.writes(&reads, RepeatRule::default(), stamp);
    execute_all(conn, &decided.writes).unwrap();
    decided.outcomes
}

fn all_records(conn: &Connection) -> Vec<(String, Option<SuppressionInfo>)> {
    changes(&execute(conn, &changed_after(i64::MIN)).unwrap())
        .into_iter()
        .map(|c| (c.address, c.info))
        .collect()
}

/// A small deterministic generator (xorshift), so failures replay.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn one_batch_or_one_event_at_a_time_gives_the_same_ledger() {
    let reasons = [
        (BounceReason::Verdict(Reason::DoesNotExist), Kind::Hard),
        (BounceReason::Verdict(Reason::MailboxFull), Kind::Soft),
        (BounceReason::Verdict(Reason::MailboxFull), Kind::Soft),
        (BounceReason::Verdict(Reason::TemporaryFailure), Kind::Soft),
        (BounceReason::Verdict(Reason::Blocked), Kind::Soft),
        (
            BounceReason::Verdict(Reason::MailboxFull),
            Kind::Undetermined,
        ),
        (BounceReason::Complained, Kind::Hard),
    ];
    let who = ["a@example.com", "A@Example.com", "b@example.com"];
    for seed in 1..200u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Up to three insert statements' worth of rows (EVENT_ROWS each).
        let n = 1 + rng.next(36) as usize;
        let bounces: Vec<Bounce> = (0..n)
            .map(|_| {
                let (reason, kind) = reasons[rng.next(reasons.len() as u64) as usize];
                bounce(who[rng.next(3) as usize], reason, kind)
            })
            .collect();
        let keys: Vec<String> = (0..n).map(|_| format!("m{}", rng.next(6))).collect();
        let mut day = 0;
        let events: Vec<NewEvent<'_>> = bounces
            .iter()
            .zip(&keys)
            .map(|(b, k)| {
                day += rng.next(20) as i64;
                let at = StoreTime::from_unix(1_780_000_000 + day * 86_400);
                NewEvent::new(k, b, at, "test").unwrap()
            })
            .collect();
        let batch = db();
        let together = ingest(&batch, &events, 1);
        let single = db();
        let apart: Vec<Outcome> = events
            .iter()
            .enumerate()
            .flat_map(|(i, e)| ingest(&single, std::slice::from_ref(e), i as i64 + 1))
            .collect();
        assert_eq!(together, apart, "seed {seed}");
        assert_eq!(all_records(&batch), all_records(&single), "seed {seed}");
        // Reading the same batch again records nothing new.
        let again = ingest(&batch, &events, 2);
        assert!(
            again.iter().all(|o| *o == Outcome::Duplicate),
            "seed {seed}"
        );
    }
}

#[test]
fn soft_bounces_before_a_hard_one_count_and_date_the_record() {
    let conn = db();
    let full = bounce(
        "x@example.com",
        BounceReason::Verdict(Reason::MailboxFull),
        Kind::Soft,
    );
    let gone = bounce(
        "x@example.com",
        BounceReason::Verdict(Reason::DoesNotExist),
        Kind::Hard,
    );
    let day = |d: i64| StoreTime::from_unix(1_780_000_000 + d * 86_400);
    let out = ingest(
        &conn,
        &[
            NewEvent::new("m1", &full, day(0), "f").unwrap(),
            NewEvent::new("m2", &full, day(40), "f").unwrap(),
        ],
        1,
    );
    assert_eq!(out, [Outcome::Counted, Outcome::Counted]);
    let out = ingest(
        &conn,
        &[NewEvent::new("m3", &gone, day(41), "g").unwrap()],
        2,
    );
    assert_eq!(out, [Outcome::Suppressed]);
    let got = get(&conn, "x@example.com").unwrap();
    assert_eq!(
        (got.count, got.first_seen, got.reason.as_str()),
        (3, day(0), "does_not_exist")
    );
    // A later event adds one to the live record.
    let out = ingest(
        &conn,
        &[NewEvent::new("m4", &full, day(42), "f").unwrap()],
        3,
    );
    assert_eq!(out, [Outcome::Suppressed]);
    assert_eq!(get(&conn, "x@example.com").unwrap().count, 4);
}

#[test]
fn a_record_from_elsewhere_counts_at_least_the_events_stored_here() {
    // Two soft bounces (not yet suppressing), then an import that knows of
    // one event, then another soft bounce: three counted events are behind
    // the record, the first of them the earliest.
    let conn = db();
    let day = |d: i64| StoreTime::from_unix(1_780_000_000 + d * 86_400);
    let rejected = bounce(
        "y@example.com",
        BounceReason::Verdict(Reason::Rejected),
        Kind::Soft,
    );
    let full = bounce(
        "y@example.com",
        BounceReason::Verdict(Reason::MailboxFull),
        Kind::Soft,
    );
    let out = ingest(
        &conn,
        &[
            NewEvent::new("m1", &rejected, day(0), "f").unwrap(),
            NewEvent::new("m2", &full, day(1), "f").unwrap(),
        ],
        1,
    );
    assert_eq!(out, [Outcome::Counted, Outcome::Counted]);
    let imported = Suppression {
        address: "y@example.com".into(),
        info: info("no_such_domain", 4 * 86_400, 4 * 86_400, 1, "crm"),
    };
    absorb_in(&conn, &[imported], 2);
    // The import already counts the two events stored here.
    let got = get(&conn, "y@example.com").unwrap();
    assert_eq!((got.count, got.first_seen), (2, day(0)));
    let out = ingest(
        &conn,
        &[NewEvent::new("m3", &full, day(3), "f").unwrap()],
        3,
    );
    assert_eq!(out, [Outcome::Suppressed]);
    let got = get(&conn, "y@example.com").unwrap();
    assert_eq!((got.count, got.first_seen), (3, day(0)));
    // A record that already counts more is simply one more.
    let big = Suppression {
        address: "y@example.com".into(),
        info: info("no_such_domain", 0, 4 * 86_400, 10, "crm"),
    };
    absorb_in(&conn, &[big], 4);
    ingest(
        &conn,
        &[NewEvent::new("m4", &full, day(5), "f").unwrap()],
        5,
    );
    assert_eq!(get(&conn, "y@example.com").unwrap().count, 11);
}

/// Runs `statements` as one transaction, the way a D1 batch runs: a failing
/// statement rolls back the ones before it.
fn batch(conn: &mut Connection, statements: &[Statement]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    execute_all(&tx, statements)?;
    tx.commit()
}

fn events_of(conn: &Connection, key: &str) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM bounce_events WHERE recipient_key = ?1",
        [key],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn an_ingest_whose_reads_went_stale_writes_nothing_and_counts_both_when_read_again() {
    // The edge's two batches: two soft bounces for one recipient arrive
    // together, each read before the other wrote. Three suppress.
    let mut conn = db();
    let full = |_| {
        bounce(
            "x@example.com",
            BounceReason::Verdict(Reason::MailboxFull),
            Kind::Soft,
        )
    };
    let b: Vec<Bounce> = (0..3).map(full).collect();
    let at = |d: i64| StoreTime::from_unix(1_780_000_000 + d * 86_400);
    let ev = |i: usize| NewEvent::new(["m0", "m1", "m2"][i], &b[i], at(i as i64), "t").unwrap();
    ingest(&conn, &[ev(0)], 1);

    let (first, second) = ([ev(1)], [ev(2)]);
    let (a, c) = (Ingest::new(&first), Ingest::new(&second));
    let reads_a = execute_all(&conn, &a.reads()).unwrap();
    let reads_c = execute_all(&conn, &c.reads()).unwrap();
    let rule = RepeatRule::default();
    let wrote_a = a.writes(&reads_a, rule, 2);
    assert_eq!(wrote_a.outcomes, [Outcome::Counted]);
    batch(&mut conn, &wrote_a.writes).unwrap();

    // The second saw one earlier bounce, not two: its writes are refused
    // whole, not one event row of them stays.
    let stale = c.writes(&reads_c, rule, 3);
    assert_eq!(
        stale.outcomes,
        [Outcome::Counted],
        "what the stale reads decide"
    );
    let err = batch(&mut conn, &stale.writes).unwrap_err();
    assert!(err.to_string().contains(CHANGED_SINCE_READ), "{err}");
    assert_eq!(events_of(&conn, "x@example.com"), 2);
    assert_eq!(get(&conn, "x@example.com"), None);

    // Read again, it sees both and the third bounce suppresses.
    let reads_c = execute_all(&conn, &c.reads()).unwrap();
    let fresh = c.writes(&reads_c, rule, 3);
    assert_eq!(fresh.outcomes, [Outcome::Suppressed]);
    batch(&mut conn, &fresh.writes).unwrap();
    assert_eq!(events_of(&conn, "x@example.com"), 3);
    assert_eq!(get(&conn, "x@example.com").map(|i| i.count), Some(3));
}

#[test]
fn a_deletion_or_a_redelivery_between_reads_and_writes_fails_the_guard() {
    let mut conn = db();
    let hard = bounce(
        "y@example.com",
        BounceReason::Verdict(Reason::DoesNotExist),
        Kind::Hard,
    );
    let at = StoreTime::from_unix(1_780_000_000);
    ingest(&conn, &[NewEvent::new("m0", &hard, at, "t").unwrap()], 1);

    // Deleted by the edge after this ingest read the live record.
    let later = [NewEvent::new("m1", &hard, at, "t").unwrap()];
    let plan = Ingest::new(&later);
    let reads = execute_all(&conn, &plan.reads()).unwrap();
    batch(&mut conn, &delete("y@example.com", 5, 0)).unwrap();
    let writes = plan.writes(&reads, RepeatRule::default(), 6).writes;
    assert!(batch(&mut conn, &writes).is_err());

    // The same report delivered twice at once: the second writer's reads
    // said it was new; its writes must not count it again.
    let reads = execute_all(&conn, &plan.reads()).unwrap();
    let decided = plan.writes(&reads, RepeatRule::default(), 7);
    batch(&mut conn, &decided.writes).unwrap();
    assert!(batch(&mut conn, &decided.writes).is_err());
    assert_eq!(get(&conn, "y@example.com").map(|i| i.count), Some(1));

    // Unchanged reads pass: the guard stores nothing.
    let n: i64 = conn
        .query_row("SELECT count(*) FROM ingest_guard", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}
