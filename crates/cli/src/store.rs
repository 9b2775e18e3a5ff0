//! The CLI's side of the suppression store: bounce records in, the
//! ledger's events out. The store itself (schema, migrations, statements,
//! SQLite file) is `prebounce-store`'s, shared with the edge; this module
//! only turns what `bounces` read into its events and says what happened.

use std::time::{SystemTime, UNIX_EPOCH};

use prebounce_core::bounce::Bounce;
use prebounce_core::suppression::trust::Verified;
use prebounce_core::suppression::RepeatRule;
use prebounce_core::time::StoreTime;
use prebounce_store::ledger::{NewEvent, Outcome};
pub use prebounce_store::sqlite::{Store, StoreError};

/// One bounce record to store, with where and when it came from.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    /// The bounce message's identity: its Message-ID, or a hash of its bytes.
    pub message_key: &'a str,
    /// The parsed record.
    pub record: &'a Bounce,
    /// The file (and message number) it was read from.
    pub source: &'a str,
    /// When the bounce happened ([`when`]).
    pub seen_at: StoreTime,
    /// What proves it is about mail we sent.
    pub verified: Verified,
    /// The trust policy lets it change the list; otherwise it is kept as
    /// evidence.
    pub counts: bool,
}

/// What storing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Recorded; the address is suppressed now (or already was).
    Suppressed,
    /// Recorded; not (yet) suppressed.
    Counted,
    /// This message's record for this address was stored before: nothing
    /// changed.
    Duplicate,
    /// The recipient is not an address; nothing stored.
    NotAnAddress,
}

/// Stores a batch of records in one transaction (the store applies core's
/// ledger) and says what happened to each.
pub fn ingest(
    store: &mut Store,
    batch: &[Incoming<'_>],
    rule: RepeatRule,
) -> Result<Vec<Stored>, StoreError> {
    // The records whose recipient is an address become events; the others
    // are answered NotAnAddress in their place.
    let mut valid = Vec::with_capacity(batch.len());
    let mut is_address = Vec::with_capacity(batch.len());
    for i in batch {
        let event = NewEvent::new(i.message_key, i.record, i.seen_at, i.source)
            .ok()
            .map(|e| e.trusted(i.verified, i.counts));
        is_address.push(event.is_some());
        valid.extend(event);
    }
    let mut outcomes = store.ingest(&valid, rule)?.into_iter();
    Ok(is_address
        .into_iter()
        .map(|address| match address.then(|| outcomes.next()) {
            None => Stored::NotAnAddress,
            Some(Some(Outcome::Suppressed)) => Stored::Suppressed,
            Some(Some(Outcome::Counted)) => Stored::Counted,
            Some(Some(Outcome::Duplicate) | None) => Stored::Duplicate,
        })
        .collect())
}

/// A time of this machine's clock in core's store form.
pub fn store_time(t: SystemTime) -> StoreTime {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    StoreTime::from_unix(secs)
}

/// When a bounce happened: its report's arrival date, else the report's own
/// date, else `now` — never later than `now` (a clock or a forger ahead of
/// ours must not push records past every window).
pub fn when(arrival: Option<&str>, report_date: Option<&str>, now: SystemTime) -> StoreTime {
    let now = store_time(now);
    [arrival, report_date]
        .into_iter()
        .flatten()
        .find_map(StoreTime::parse)
        .map_or(now, |t| t.min(now))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use prebounce_core::bounce::Kind;
    use prebounce_core::suppression::BounceReason;
    use prebounce_core::suppression::Suppression;
    use prebounce_core::Reason;
    use prebounce_core::SuppressionInfo;

    fn record(recipient: &str, reason: Reason) -> Bounce {
        Bounce::failed(recipient, Kind::Hard, BounceReason::Verdict(reason))
    }

    fn at(secs: u64) -> StoreTime {
        store_time(UNIX_EPOCH + Duration::from_secs(1_780_000_000 + secs))
    }

    /// A store in a throwaway directory, removed on drop.
    struct Temp {
        dir: std::path::PathBuf,
        store: Store,
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn temp(name: &str) -> Temp {
        let dir =
            std::env::temp_dir().join(format!("prebounce-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("s.db")).unwrap();
        Temp { dir, store }
    }

    fn one(s: &mut Store, key: &str, r: &Bounce, when: StoreTime, rule: RepeatRule) -> Stored {
        let item = Incoming {
            message_key: key,
            record: r,
            source: "x",
            seen_at: when,
            verified: Verified::None,
            counts: true,
        };
        ingest(s, &[item], rule).unwrap()[0]
    }

    #[test]
    fn hard_bounces_suppress_at_once_and_idempotently() {
        let mut t = temp("hard");
        let r = record("Gone@Example.COM", Reason::DoesNotExist);
        let rule = RepeatRule::default();
        assert_eq!(one(&mut t.store, "m1", &r, at(0), rule), Stored::Suppressed);
        assert_eq!(one(&mut t.store, "m1", &r, at(5), rule), Stored::Duplicate);
        let got = t.store.lookup("gone@example.com").unwrap().unwrap();
        assert_eq!(
            (got.count, got.reason.as_str(), got.first_seen),
            (1, "does_not_exist", at(0))
        );
        assert_eq!(t.store.event_count().unwrap(), 1);
    }

    #[test]
    fn soft_bounces_suppress_when_they_repeat_in_their_window() {
        let mut t = temp("soft");
        let full = record("full@example.com", Reason::MailboxFull);
        let rule = RepeatRule {
            count: 3,
            window_secs: 100,
        };
        assert_eq!(one(&mut t.store, "m1", &full, at(0), rule), Stored::Counted);
        // The first falls out of the window before the third arrives.
        assert_eq!(
            one(&mut t.store, "m2", &full, at(90), rule),
            Stored::Counted
        );
        assert_eq!(
            one(&mut t.store, "m3", &full, at(150), rule),
            Stored::Counted
        );
        assert!(t.store.lookup("full@example.com").unwrap().is_none());
        assert_eq!(
            one(&mut t.store, "m4", &full, at(160), rule),
            Stored::Suppressed
        );
        let got = t.store.lookup("full@example.com").unwrap().unwrap();
        assert_eq!(got.reason.as_str(), "mailbox_full");
        // Every counted bounce is behind the record, the one outside the
        // window included.
        assert_eq!((got.count, got.first_seen), (4, at(0)));
        // A later hard bounce takes over the reason; an even later soft one
        // does not take it back.
        let gone = record("full@example.com", Reason::MailboxDisabled);
        one(&mut t.store, "m5", &gone, at(200), rule);
        one(&mut t.store, "m6", &full, at(300), rule);
        let got = t.store.lookup("full@example.com").unwrap().unwrap();
        assert_eq!(
            (got.count, got.reason.as_str(), got.last_seen),
            (6, "mailbox_disabled", at(300))
        );
    }

    /// Issue 12: earlier soft bounces count toward a hard one (this store
    /// said 1), and a record from elsewhere gets one more per new event
    /// (the edge took the larger of the two).
    #[test]
    fn counts_follow_the_ledger() {
        let mut t = temp("ledger");
        let rule = RepeatRule::default();
        let full = record("a@example.com", Reason::MailboxFull);
        let gone = record("a@example.com", Reason::DoesNotExist);
        assert_eq!(one(&mut t.store, "m1", &full, at(0), rule), Stored::Counted);
        assert_eq!(
            one(&mut t.store, "m2", &full, at(10), rule),
            Stored::Counted
        );
        assert_eq!(
            one(&mut t.store, "m3", &gone, at(20), rule),
            Stored::Suppressed
        );
        let got = t.store.lookup("a@example.com").unwrap().unwrap();
        assert_eq!(
            (got.count, got.first_seen, got.last_seen),
            (3, at(0), at(20))
        );
        let imported = Suppression {
            address: "b@example.com".into(),
            info: SuppressionInfo {
                reason: "does_not_exist".into(),
                first_seen: at(0),
                last_seen: at(0),
                count: 5,
                source: "import".into(),
            },
        };
        t.store.merge_in(&[imported], true).unwrap();
        let b = record("b@example.com", Reason::DoesNotExist);
        one(&mut t.store, "m4", &b, at(30), rule);
        assert_eq!(t.store.lookup("b@example.com").unwrap().unwrap().count, 6);
    }

    #[test]
    fn an_archive_counts_bounces_when_they_happened() {
        let mut t = temp("archive");
        let full = record("full@example.com", Reason::MailboxFull);
        let rule = RepeatRule {
            count: 3,
            window_secs: 30 * 86_400,
        };
        // Three soft bounces a year apart, read today in one batch.
        let (a, b, c) = (at(0), at(365 * 86_400), at(730 * 86_400));
        let items: Vec<Incoming> = [("m1", &a), ("m2", &b), ("m3", &c)]
            .into_iter()
            .map(|(k, w)| Incoming {
                message_key: k,
                record: &full,
                source: "x",
                seen_at: *w,
                verified: Verified::None,
                counts: true,
            })
            .collect();
        assert_eq!(
            ingest(&mut t.store, &items, rule).unwrap(),
            [Stored::Counted; 3]
        );
        assert!(t.store.lookup("full@example.com").unwrap().is_none());
    }

    #[test]
    fn undetermined_and_blocked_never_suppress_and_junk_is_not_stored() {
        let mut t = temp("never");
        let blocked = record("b@example.com", Reason::Blocked);
        let mut guess = record("g@example.com", Reason::Rejected);
        guess.kind = Kind::Undetermined;
        let rule = RepeatRule::default();
        for i in 0..5 {
            assert_eq!(
                one(&mut t.store, &format!("b{i}"), &blocked, at(i), rule),
                Stored::Counted
            );
            assert_eq!(
                one(&mut t.store, &format!("g{i}"), &guess, at(i), rule),
                Stored::Counted
            );
        }
        // A real rejection after four guesses is the first that counts.
        let rejected = record("g@example.com", Reason::Rejected);
        assert_eq!(
            one(&mut t.store, "r1", &rejected, at(10), rule),
            Stored::Counted
        );
        let junk = record("not an address", Reason::DoesNotExist);
        assert_eq!(
            one(&mut t.store, "j", &junk, at(0), rule),
            Stored::NotAnAddress
        );
        assert!(t.store.lookup("b@example.com").unwrap().is_none());
        assert!(t.store.lookup("g@example.com").unwrap().is_none());
        assert_eq!(t.store.event_count().unwrap(), 11);
    }

    #[test]
    fn when_prefers_the_reports_own_times_but_never_the_future() {
        let now = UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        assert_eq!(
            when(
                Some("2026-01-01T00:00:00Z"),
                Some("2026-01-02T00:00:00Z"),
                now
            ),
            "2026-01-01T00:00:00Z".parse().unwrap()
        );
        assert_eq!(
            when(None, Some("2026-01-02T00:00:00Z"), now),
            "2026-01-02T00:00:00Z".parse().unwrap()
        );
        assert_eq!(when(Some("garbage"), None, now), store_time(now));
        assert_eq!(
            when(Some("2099-01-01T00:00:00Z"), None, now),
            store_time(now)
        );
    }

    #[test]
    fn merging_change_numbers_and_removing() {
        let mut t = temp("merge");
        let s = &mut t.store;
        let one = |reason: &str, first: &str, last: &str, count| Suppression {
            address: "a@example.com".into(),
            info: SuppressionInfo {
                reason: reason.into(),
                first_seen: first.parse().unwrap(),
                last_seen: last.parse().unwrap(),
                count,
                source: "import".into(),
            },
        };
        let a = one(
            "mailbox_full",
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            3,
        );
        let b = one(
            "does_not_exist",
            "2026-01-05T00:00:00Z",
            "2026-02-01T00:00:00Z",
            1,
        );
        assert_eq!(s.merge_in(std::slice::from_ref(&a), true).unwrap(), 1);
        let after_a = s.all(None).unwrap()[0].1;
        assert_eq!(s.merge_in(std::slice::from_ref(&b), true).unwrap(), 1);
        assert_eq!(
            s.merge_in(&[b, a], true).unwrap(),
            0,
            "merging again changes nothing"
        );
        let got = s.lookup("a@example.com").unwrap().unwrap();
        assert_eq!(
            (got.reason.as_str(), got.first_seen.to_string(), got.count),
            ("does_not_exist", "2026-01-01T00:00:00Z".to_owned(), 3)
        );
        // Change numbers only grow: the second merge is after the first.
        assert_eq!(s.all(Some(after_a)).unwrap().len(), 1);
        let latest = s.all(None).unwrap()[0].1;
        assert_eq!(s.all(Some(latest)).unwrap().len(), 0);
        // A pulled record is not marked as a local change.
        let c = Suppression {
            address: "c@example.com".into(),
            ..one(
                "complained",
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                1,
            )
        };
        s.merge_in(&[c], false).unwrap();
        assert_eq!(s.all(Some(latest)).unwrap().len(), 0);
        // Removing clears the record and the history.
        let r = record("a@example.com", Reason::DoesNotExist);
        ingest(
            s,
            &[Incoming {
                message_key: "m",
                record: &r,
                source: "x",
                seen_at: "2026-03-01T00:00:00Z".parse().unwrap(),
                verified: Verified::None,
                counts: true,
            }],
            RepeatRule::default(),
        )
        .unwrap();
        assert_eq!(
            s.remove(&["a@example.com".into(), "b@example.com".into()])
                .unwrap(),
            1
        );
        assert!(s.lookup("a@example.com").unwrap().is_none());
        assert_eq!(s.event_count().unwrap(), 0);
        // And change numbers keep growing after a removal.
        let before = s.all(None).unwrap().iter().map(|r| r.1).max().unwrap();
        ingest(
            s,
            &[Incoming {
                message_key: "m2",
                record: &r,
                source: "x",
                seen_at: "2026-03-02T00:00:00Z".parse().unwrap(),
                verified: Verified::None,
                counts: true,
            }],
            RepeatRule::default(),
        )
        .unwrap();
        assert!(s
            .all(Some(before))
            .unwrap()
            .iter()
            .any(|(x, _)| x.address == "a@example.com"));
    }
}
