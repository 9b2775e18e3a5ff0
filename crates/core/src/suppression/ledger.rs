//! The ledger's one decision: what a new bounce event does to an address's
//! suppression record. The SQLite store (CLI) and D1 (edge) both read the
//! current record and a summary of the address's earlier events, call
//! [`decide`], and write what it returns; neither counts on its own.
//!
//! The rules:
//!
//! * An event is stored once per (message, recipient key); the stores keep
//!   that idempotence with their primary key, so a message read twice adds
//!   nothing and never reaches [`decide`] again.
//! * A **counted** event is one whose reason suppresses at once or on repeat
//!   and that is not undetermined ([`Event::effect`]). Every counted event
//!   adds 1 to the record's `count`: a record's count is the number of
//!   counted events behind it, the earlier soft ones included, and
//!   `first_seen` is the earliest of them.
//! * An address with a live record stays suppressed: each counted event
//!   merges into it ([`merge`]: a reason that suppresses at once is never
//!   hidden by a later soft one) and adds 1. When the record came from
//!   elsewhere (an import, a pull) with a larger count than the local
//!   history, the new event adds 1 to that.
//! * An address without a record is suppressed when [`RepeatRule::suppresses`]
//!   says so: at once for a hard reason, or when this event and the earlier
//!   repeat-reason events in its window reach the rule's count.
//! * An event that is not counted (`blocked`, an undetermined record) is kept
//!   as history and changes no record.

use crate::bounds;
use crate::time::StoreTime;
use crate::SuppressionInfo;

use super::{merge, BounceReason, Effect, RepeatRule};

/// The longest `source` a record keeps, in bytes (cut on a character
/// boundary).
pub const MAX_SOURCE_BYTES: usize = 200;

/// One new bounce or complaint for an address, as the ledger sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// What the report says.
    pub reason: BounceReason,
    /// The report could not tell whether the failure was the recipient's
    /// (core's `Kind::Undetermined`): kept, never counted.
    pub undetermined: bool,
    /// When it happened.
    pub at: StoreTime,
    /// Where it came from (a file and message number, `ses` …).
    pub source: &'a str,
}

impl Event<'_> {
    /// What this event does to the list: its reason's effect, or
    /// [`Effect::Never`] when undetermined.
    pub fn effect(&self) -> Effect {
        if self.undetermined {
            Effect::Never
        } else {
            self.reason.effect()
        }
    }
}

/// What the ledger knows of an address's earlier stored events: the stores
/// fill it from one query grouped by reason ([`History::add`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// Counted events (hard and soft, never undetermined or `blocked`).
    pub counted: u32,
    /// Counted events with a repeat reason inside the new event's window
    /// ([`RepeatRule::window`]).
    pub recent: u32,
    /// The earliest counted event.
    pub first: Option<StoreTime>,
}

impl History {
    /// Adds `n` earlier events of `reason` that were not undetermined, the
    /// earliest at `first`, `recent` of them inside the window. Events whose
    /// reason never suppresses count toward nothing.
    pub fn add(&mut self, reason: BounceReason, n: u32, first: Option<StoreTime>, recent: u32) {
        match reason.effect() {
            Effect::Never => return,
            Effect::SuppressOnRepeat => self.recent = self.recent.saturating_add(recent),
            Effect::SuppressNow => {}
        }
        self.counted = self.counted.saturating_add(n);
        self.first = match (self.first, first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// What `event` does to an address whose live record is `current` (if any)
/// and whose earlier events are summed up in `history`: `Some(record)` to
/// store (the address is suppressed, now or still), `None` when only the
/// event itself is kept.
///
/// With a live record `history` may be left empty: a record made here
/// counts every event behind it, and a store writes one from elsewhere (an
/// import, a pull) through [`absorb`], so that it does too. A store need not
/// read the history of an address it already suppresses.
pub fn decide(
    current: Option<&SuppressionInfo>,
    history: &History,
    event: &Event<'_>,
    rule: RepeatRule,
) -> Option<SuppressionInfo> {
    let effect = event.effect();
    if effect == Effect::Never {
        return None;
    }
    let behind = current.map_or(0, |c| c.count).max(history.counted);
    let first_seen = history.first.map_or(event.at, |f| f.min(event.at));
    let this = SuppressionInfo {
        reason: event.reason.as_str().to_owned(),
        first_seen,
        last_seen: event.at,
        count: behind.saturating_add(1),
        source: bounds::prefix(event.source, MAX_SOURCE_BYTES).to_owned(),
    };
    match current {
        Some(c) => Some(SuppressionInfo {
            count: this.count,
            ..merge(c, &this)
        }),
        None => {
            let recent = history
                .recent
                .saturating_add(u32::from(effect == Effect::SuppressOnRepeat));
            rule.suppresses(event.reason, recent).then_some(this)
        }
    }
}

/// A record from elsewhere (an import, a pull, a `PUT`) as a store keeps
/// it when it has earlier events of the address summed up in `history`: it
/// counts at least those events and starts no later than the earliest, as
/// a record made here would. Applied before [`merge`] with the stored
/// record, it keeps every live record counting the events behind it.
pub fn absorb(record: &SuppressionInfo, history: &History) -> SuppressionInfo {
    SuppressionInfo {
        count: record.count.max(history.counted),
        first_seen: history
            .first
            .map_or(record.first_seen, |f| f.min(record.first_seen)),
        ..record.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reason;

    const DAY: i64 = 86_400;

    fn at(day: i64) -> StoreTime {
        StoreTime::from_unix(1_780_000_000 + day * DAY)
    }

    fn ev(reason: Reason, day: i64) -> Event<'static> {
        Event {
            reason: BounceReason::Verdict(reason),
            undetermined: false,
            at: at(day),
            source: "x",
        }
    }

    /// Applies events in order the way a store does: history grows with
    /// every stored event; a decided record replaces the current one.
    fn replay(events: &[Event<'_>], rule: RepeatRule) -> Option<SuppressionInfo> {
        let mut current: Option<SuppressionInfo> = None;
        for (i, e) in events.iter().enumerate() {
            let (start, end) = rule.window(e.at);
            let mut h = History::default();
            for past in events[..i].iter().filter(|p| !p.undetermined) {
                let recent = u32::from(past.at >= start && past.at <= end);
                h.add(past.reason, 1, Some(past.at), recent);
            }
            if let Some(r) = decide(current.as_ref(), &h, e, rule) {
                current = Some(r);
            }
        }
        current
    }

    #[test]
    fn earlier_soft_bounces_count_toward_a_hard_one() {
        // Two mailbox_full bounces, then a hard bounce: count 3, first_seen
        // the first soft one (the CLI store used to say 1).
        let r = replay(
            &[
                ev(Reason::MailboxFull, 0),
                ev(Reason::MailboxFull, 1),
                ev(Reason::DoesNotExist, 2),
            ],
            RepeatRule::default(),
        )
        .unwrap();
        assert_eq!(
            (r.reason.as_str(), r.count, r.first_seen, r.last_seen),
            ("does_not_exist", 3, at(0), at(2))
        );
    }

    #[test]
    fn soft_bounces_suppress_when_they_repeat_in_their_window() {
        let rule = RepeatRule {
            count: 3,
            window_secs: 100 * DAY as u64,
        };
        // The first falls out of the window before the third arrives.
        let mut events = vec![
            ev(Reason::MailboxFull, 0),
            ev(Reason::MailboxFull, 90),
            ev(Reason::MailboxFull, 150),
        ];
        assert_eq!(replay(&events, rule), None);
        events.push(ev(Reason::MailboxFull, 160));
        let r = replay(&events, rule).unwrap();
        assert_eq!((r.count, r.first_seen), (4, at(0)));
        // A hard bounce takes over the reason; a later soft one adds 1 and
        // does not take the reason back.
        events.push(ev(Reason::MailboxDisabled, 200));
        events.push(ev(Reason::MailboxFull, 300));
        let r = replay(&events, rule).unwrap();
        assert_eq!(
            (r.reason.as_str(), r.count, r.last_seen),
            ("mailbox_disabled", 6, at(300))
        );
    }

    #[test]
    fn a_record_from_elsewhere_gets_one_more() {
        let imported = SuppressionInfo {
            reason: "does_not_exist".into(),
            first_seen: at(-10),
            last_seen: at(-5),
            count: 7,
            source: "import".into(),
        };
        let r = decide(
            Some(&imported),
            &History::default(),
            &ev(Reason::DoesNotExist, 0),
            RepeatRule::default(),
        )
        .unwrap();
        assert_eq!(
            (r.count, r.first_seen, r.last_seen, r.source.as_str()),
            (8, at(-10), at(0), "x")
        );
        // A soft bounce on a suppressed address still adds 1, keeps the
        // hard reason and its source.
        let r = decide(
            Some(&r),
            &History::default(),
            &ev(Reason::MailboxFull, 1),
            RepeatRule::default(),
        )
        .unwrap();
        assert_eq!((r.reason.as_str(), r.count), ("does_not_exist", 9));
    }

    #[test]
    fn blocked_and_undetermined_count_toward_nothing() {
        let mut guess = ev(Reason::Rejected, 1);
        guess.undetermined = true;
        let events = [
            ev(Reason::Blocked, 0),
            guess.clone(),
            guess,
            ev(Reason::Rejected, 2),
        ];
        assert_eq!(replay(&events, RepeatRule::default()), None);
        let mut with_hard = events.to_vec();
        with_hard.push(ev(Reason::DoesNotExist, 3));
        let r = replay(&with_hard, RepeatRule::default()).unwrap();
        assert_eq!((r.count, r.first_seen), (2, at(2)));
        // Never anything for a blocked event, even on a suppressed address.
        assert_eq!(
            decide(
                Some(&r),
                &History::default(),
                &ev(Reason::Blocked, 9),
                RepeatRule::default()
            ),
            None
        );
    }

    #[test]
    fn long_sources_are_cut_on_a_character() {
        let long = "é".repeat(150);
        let e = Event {
            source: &long,
            ..ev(Reason::DoesNotExist, 0)
        };
        let r = decide(None, &History::default(), &e, RepeatRule::default()).unwrap();
        assert_eq!(r.source.len(), MAX_SOURCE_BYTES);
    }

    #[test]
    fn a_record_from_elsewhere_absorbs_the_events_stored_here() {
        // Two soft bounces stored here, then an import that knows of one
        // event and starts later: it counts both and starts at the first.
        let mut h = History::default();
        h.add(
            BounceReason::Verdict(Reason::MailboxFull),
            2,
            Some(at(0)),
            2,
        );
        let imported = SuppressionInfo {
            reason: "no_such_domain".into(),
            first_seen: at(4),
            last_seen: at(4),
            count: 1,
            source: "crm".into(),
        };
        let kept = absorb(&imported, &h);
        assert_eq!(
            (kept.count, kept.first_seen, kept.last_seen),
            (2, at(0), at(4))
        );
        assert_eq!(
            (kept.reason.as_str(), kept.source.as_str()),
            ("no_such_domain", "crm")
        );
        // The next event adds one, with no history read.
        let next = decide(
            Some(&kept),
            &History::default(),
            &ev(Reason::MailboxFull, 3),
            RepeatRule::default(),
        )
        .unwrap();
        assert_eq!((next.count, next.first_seen), (3, at(0)));
        // A record that already counts more keeps its count; nothing stored
        // here changes nothing.
        let big = SuppressionInfo {
            count: 10,
            ..imported.clone()
        };
        assert_eq!(absorb(&big, &h).count, 10);
        assert_eq!(absorb(&imported, &History::default()), imported);
    }
}
