//! The suppression list's rules: the key an address is stored under, and which
//! bounce reasons suppress an address (docs/DESIGN.md, "Bounces and suppression").
//!
//! The stores themselves (SQLite in the probe, D1 in the worker) live with
//! their I/O; they ask this module what to store and when.
//!
//! * **Key**: the local part NFC-normalized and lower-cased, the domain in
//!   lower-case ASCII (`John.Doe@Bücher.de` → `john.doe@xn--bcher-kva.de`).
//!   Lower-casing the local part is a deliberate over-match: RFC 5321 lets a
//!   server treat case as significant, but no large provider does, and a
//!   suppression that also covers `JOHN@` is the safe error.
//! * **Policy**: `does_not_exist`, `mailbox_disabled`, `no_such_domain`,
//!   `null_mx`, `no_mail_server` and `complained` suppress at once;
//!   `mailbox_full`, `temporary_failure` and `rejected` only when they repeat
//!   ([`RepeatRule`]); everything else, `blocked` above all (the refusal was
//!   about the sender), never.
//! * **Ledger** ([`ledger`]): what one new bounce event does to an address's
//!   record, and how two records of one address merge ([`merge`]).
//! * **Records** ([`record`]): which records may be stored at all, checked
//!   the same way for an import, a `PUT` and a pull.
//! * **Trust** ([`trust`]): what proves a bounce record is about mail we
//!   sent, and which records may change the list at all.

use serde::{Deserialize, Serialize};

use crate::address::{self, nfc};
use crate::time::StoreTime;
use crate::{Options, Reason, SuppressionInfo, SyntaxErrorCode, Verdict};

pub mod ledger;
pub mod record;
pub mod trust;

pub use ledger::{absorb, decide, Event, History};
pub use record::{check_record, storable, RawRecord, RecordError};

/// What a bounce reason does to the suppression list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Suppress the address now.
    SuppressNow,
    /// Count it; suppress once it repeats ([`RepeatRule`]).
    SuppressOnRepeat,
    /// Never suppress for this reason.
    Never,
}

/// The reason a bounce record carries: a verdict reason, or a spam complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BounceReason {
    /// One of the verdict reasons of docs/DESIGN.md.
    Verdict(Reason),
    /// The recipient reported the mail as spam (ARF feedback, SES complaint).
    Complained,
}

impl BounceReason {
    /// The stable snake_case name (`does_not_exist`, `complained` …).
    pub fn as_str(self) -> &'static str {
        match self {
            BounceReason::Verdict(r) => r.as_str(),
            BounceReason::Complained => "complained",
        }
    }

    /// Reads a name written by [`BounceReason::as_str`].
    pub fn parse(name: &str) -> Option<BounceReason> {
        if name == "complained" {
            return Some(BounceReason::Complained);
        }
        Reason::from_name(name).map(BounceReason::Verdict)
    }

    /// What this reason does to the suppression list.
    pub fn effect(self) -> Effect {
        use Reason::*;
        match self {
            BounceReason::Complained => Effect::SuppressNow,
            BounceReason::Verdict(
                DoesNotExist | MailboxDisabled | NoSuchDomain | NullMx | NoMailServer,
            ) => Effect::SuppressNow,
            BounceReason::Verdict(MailboxFull | TemporaryFailure | Rejected) => {
                Effect::SuppressOnRepeat
            }
            BounceReason::Verdict(_) => Effect::Never,
        }
    }
}

impl std::fmt::Display for BounceReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for BounceReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for BounceReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        BounceReason::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown bounce reason {name:?}")))
    }
}

/// When repeated soft bounces suppress an address: `count` of them (this one
/// included) within `window_secs` ending at this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatRule {
    /// How many counted bounces suppress (at least 1).
    pub count: u32,
    /// The window they must fall in, in seconds.
    pub window_secs: u64,
}

impl Default for RepeatRule {
    /// Three within 30 days: a mailbox full for a month is abandoned, and
    /// three tries spread over weeks rule out one bad afternoon.
    fn default() -> Self {
        RepeatRule {
            count: 3,
            window_secs: 30 * 24 * 3600,
        }
    }
}

impl RepeatRule {
    /// Whether a bounce for `reason` suppresses, given `recent` counted
    /// bounces for the same key inside the window, this one included.
    pub fn suppresses(&self, reason: BounceReason, recent: u32) -> bool {
        match reason.effect() {
            Effect::SuppressNow => true,
            Effect::SuppressOnRepeat => recent >= self.count.max(1),
            Effect::Never => false,
        }
    }

    /// The window a bounce at `at` counts repeats in: from `window_secs`
    /// before it to `at` itself, both ends included. An archive read years
    /// later counts its bounces as they happened.
    pub fn window(&self, at: StoreTime) -> (StoreTime, StoreTime) {
        (at.minus_secs(self.window_secs), at)
    }
}

/// The options an address a server could have bounced is read with: every
/// `allow_*` on (quoted local parts, literals, single-label and special-use
/// domains, SMTPUTF8).
pub const LENIENT: Options = Options {
    allow_quoted_local: true,
    allow_domain_literal: true,
    allow_smtputf8: true,
    allow_single_label: true,
    allow_special_use: true,
    role_is_risky: false,
};

/// The suppression key of `address`, or why it is not an address at all.
///
/// Anything a mail server could have bounced is accepted: quoted local parts,
/// domain literals, single-label and special-use domains.
pub fn key(address: &str) -> Result<String, SyntaxErrorCode> {
    let mailbox = address::parse(address, &LENIENT)?;
    Ok(key_of(&mailbox.local, mailbox.domain.ascii()))
}

/// The key of an already parsed mailbox: `local` NFC-normalized (as
/// [`Mailbox::local`](crate::Mailbox) is) and `domain_ascii` as the verdict's
/// `domain`.
pub fn key_of(local: &str, domain_ascii: &str) -> String {
    let lower = local.to_lowercase();
    // Lower-casing can undo composition (rarely: some titlecase letters), so
    // normalize again after it.
    let local = nfc(&lower);
    format!("{}@{}", local, domain_ascii.to_ascii_lowercase())
}

/// The key of a checked address, when the verdict has one.
pub fn verdict_key(v: &Verdict) -> Option<String> {
    Some(key_of(v.local.as_deref()?, v.domain.as_deref()?))
}

/// One entry of the suppression list, as stored, imported, exported and
/// synced (docs/DESIGN.md's `{"address", "reason", "first_seen", "last_seen",
/// "count", "source"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The suppression key ([`key`]).
    pub address: String,
    /// The record a `suppressed` verdict carries.
    #[serde(flatten)]
    pub info: SuppressionInfo,
}

/// Combines two records of one address (a local one and one pulled from
/// another store, say) so that syncing in either direction, any number of
/// times, in any order, gives the same result: the earliest `first_seen`,
/// the latest `last_seen`, the larger `count` (counts are not added: the same
/// bounce may have reached both stores), and the `reason` and `source` of the
/// record that ranks higher by [`rank`] — a reason that suppresses at once
/// beats one that only counts (a newer `mailbox_full` never hides an older
/// `does_not_exist`), then the later `last_seen`, then the names themselves,
/// so that ties break the same way everywhere.
///
/// The stores merge in SQL (`prebounce-store`'s upsert), for atomicity under
/// concurrent writers; their tests check that SQL against this function.
pub fn merge(a: &SuppressionInfo, b: &SuppressionInfo) -> SuppressionInfo {
    let winner = if rank(b) > rank(a) { b } else { a };
    SuppressionInfo {
        reason: winner.reason.clone(),
        first_seen: a.first_seen.min(b.first_seen),
        last_seen: a.last_seen.max(b.last_seen),
        count: a.count.max(b.count),
        source: winner.source.clone(),
    }
}

/// Whether a deletion made elsewhere at `deleted_at_ms` (Unix milliseconds:
/// the edge's tombstone) removes the local `record`: only a record last
/// changed before it. A record with local changes not yet sent there
/// (`unpushed`: an ingest, an import or a merge since the last push) is
/// newer whatever its times say, and so is one last seen at or after the
/// deletion (to the second). Either stays, with its history, for the next
/// push to carry back.
pub fn tombstone_removes(record: &SuppressionInfo, unpushed: bool, deleted_at_ms: i64) -> bool {
    !unpushed && record.last_seen < StoreTime::from_unix_ms(deleted_at_ms)
}

/// The order [`merge`] picks a record's reason and source by: the reason's
/// [`Effect`] (suppress now, then on repeat, then never), `last_seen`, the
/// reason's name, the source. A store that merges in SQL compares the same
/// tuple (`reason_strength` gives the first element).
pub fn rank(r: &SuppressionInfo) -> (u8, StoreTime, &str, &str) {
    (
        reason_strength(&r.reason),
        r.last_seen,
        &r.reason,
        &r.source,
    )
}

/// 2 for a reason that suppresses at once, 1 for one that suppresses on
/// repeat, 0 otherwise (unknown names included).
pub fn reason_strength(reason: &str) -> u8 {
    match BounceReason::parse(reason).map(BounceReason::effect) {
        Some(Effect::SuppressNow) => 2,
        Some(Effect::SuppressOnRepeat) => 1,
        _ => 0,
    }
}

/// Every bounce reason with this effect (for adapters that write the policy
/// into a query).
pub fn reasons_with(effect: Effect) -> Vec<BounceReason> {
    Reason::ALL
        .iter()
        .map(|&r| BounceReason::Verdict(r))
        .chain([BounceReason::Complained])
        .filter(|r| r.effect() == effect)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tombstone_removes_only_a_record_last_changed_before_it() {
        let at = |s: &str| StoreTime::parse(s).unwrap();
        let record = SuppressionInfo {
            reason: "does_not_exist".into(),
            first_seen: at("2026-03-14T09:00:00Z"),
            last_seen: at("2026-03-14T09:26:53Z"),
            count: 1,
            source: "x".into(),
        };
        let ms = |s: &str| at(s).unix() * 1000;
        assert!(tombstone_removes(
            &record,
            false,
            ms("2026-03-14T09:26:54Z")
        ));
        // Within the record's own second, or before it: the record is newer.
        assert!(!tombstone_removes(
            &record,
            false,
            ms("2026-03-14T09:26:54Z") - 1
        ));
        assert!(!tombstone_removes(
            &record,
            false,
            ms("2026-03-14T09:00:00Z")
        ));
        // Changed here since the last push (a late bounce whose Arrival-Date
        // is old, an import): newer than any tombstone.
        assert!(!tombstone_removes(
            &record,
            true,
            ms("2027-01-01T00:00:00Z")
        ));
    }

    #[test]
    fn keys_follow_design() {
        assert_eq!(
            key("John.Doe@Bücher.de").unwrap(),
            "john.doe@xn--bcher-kva.de"
        );
        assert_eq!(key("  JOHN@EXAMPLE.COM ").unwrap(), "john@example.com");
        // NFC: e + combining acute and the precomposed é give one key.
        assert_eq!(
            key("re\u{301}my@example.com").unwrap(),
            "r\u{e9}my@example.com"
        );
        assert_eq!(
            key("R\u{c9}MY@example.com").unwrap(),
            "r\u{e9}my@example.com"
        );
        assert_eq!(key("\"A B\"@Example.com").unwrap(), "\"a b\"@example.com");
        assert_eq!(
            key("postmaster@[192.0.2.1]").unwrap(),
            "postmaster@[192.0.2.1]"
        );
        assert_eq!(key("x@localhost").unwrap(), "x@localhost");
        assert!(key("not an address").is_err());
        assert!(key("").is_err());
    }

    #[test]
    fn policy_follows_design() {
        use Reason::*;
        for r in [
            DoesNotExist,
            MailboxDisabled,
            NoSuchDomain,
            NullMx,
            NoMailServer,
        ] {
            assert_eq!(
                BounceReason::Verdict(r).effect(),
                Effect::SuppressNow,
                "{r:?}"
            );
        }
        assert_eq!(BounceReason::Complained.effect(), Effect::SuppressNow);
        for r in [MailboxFull, TemporaryFailure, Rejected] {
            assert_eq!(
                BounceReason::Verdict(r).effect(),
                Effect::SuppressOnRepeat,
                "{r:?}"
            );
        }
        for r in [Blocked, Ok, CatchAll, SmtpUnavailable, DnsError] {
            assert_eq!(BounceReason::Verdict(r).effect(), Effect::Never, "{r:?}");
        }
        let rule = RepeatRule::default();
        let full = BounceReason::Verdict(MailboxFull);
        assert!(!rule.suppresses(full, 2));
        assert!(rule.suppresses(full, 3));
        assert!(!rule.suppresses(BounceReason::Verdict(Blocked), 1000));
        assert!(rule.suppresses(BounceReason::Complained, 1));
        let zero = RepeatRule {
            count: 0,
            window_secs: 1,
        };
        assert!(zero.suppresses(full, 1), "a count of 0 means 1");
    }

    fn info(reason: &str, first: &str, last: &str, count: u32, source: &str) -> SuppressionInfo {
        SuppressionInfo {
            reason: reason.into(),
            first_seen: first.parse().unwrap(),
            last_seen: last.parse().unwrap(),
            count,
            source: source.into(),
        }
    }

    #[test]
    fn merging_is_order_free_and_idempotent() {
        let a = info(
            "mailbox_full",
            "2026-01-01T00:00:00Z",
            "2026-01-05T00:00:00Z",
            3,
            "local",
        );
        let b = info(
            "does_not_exist",
            "2026-01-03T00:00:00Z",
            "2026-02-01T00:00:00Z",
            1,
            "ses",
        );
        let m = merge(&a, &b);
        assert_eq!(
            m,
            info(
                "does_not_exist",
                "2026-01-01T00:00:00Z",
                "2026-02-01T00:00:00Z",
                3,
                "ses"
            )
        );
        assert_eq!(merge(&b, &a), m);
        assert_eq!(merge(&m, &b), m);
        assert_eq!(merge(&m, &m), m);
    }

    #[test]
    fn reasons_by_effect() {
        let now: Vec<&str> = reasons_with(Effect::SuppressNow)
            .iter()
            .map(|r| r.as_str())
            .collect();
        assert_eq!(
            now,
            [
                "no_such_domain",
                "null_mx",
                "no_mail_server",
                "does_not_exist",
                "mailbox_disabled",
                "complained"
            ]
        );
        let repeat: Vec<&str> = reasons_with(Effect::SuppressOnRepeat)
            .iter()
            .map(|r| r.as_str())
            .collect();
        assert_eq!(repeat, ["mailbox_full", "temporary_failure", "rejected"]);
        assert_eq!(reason_strength("blocked"), 0);
        assert_eq!(reason_strength("nonsense"), 0);
    }

    #[test]
    fn reason_names_round_trip() {
        for r in Reason::ALL {
            let b = BounceReason::Verdict(r);
            assert_eq!(BounceReason::parse(b.as_str()), Some(b));
        }
        assert_eq!(
            BounceReason::parse("complained"),
            Some(BounceReason::Complained)
        );
        assert_eq!(BounceReason::parse("nope"), None);
        let json = serde_json::to_string(&BounceReason::Complained).unwrap();
        assert_eq!(json, "\"complained\"");
        let back: BounceReason = serde_json::from_str("\"mailbox_full\"").unwrap();
        assert_eq!(back, BounceReason::Verdict(Reason::MailboxFull));
    }
}
