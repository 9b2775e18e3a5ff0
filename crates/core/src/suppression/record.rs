//! Which suppression records may be stored: one check for every way a
//! record arrives from outside — `prebounce suppressions import`, a `PUT
//! /v1/suppressions` at the edge, a pull from the edge's change feed — so
//! that the CLI and the edge accept and refuse the very same records, with
//! the same words.
//!
//! A record may carry only a reason that can suppress (at once or on
//! repeat), or `suppressed` for a list kept by hand. `blocked` (the refusal
//! was about the sender), `ok` and the like would suppress an address for
//! something that is not its fault, and are refused.

use serde::Deserialize;
use thiserror::Error;

use crate::time::StoreTime;
use crate::{Reason, SuppressionInfo, SyntaxErrorCode};

use super::{key, ledger::MAX_SOURCE_BYTES, BounceReason, Effect, Suppression};

/// A record as it arrived, before [`check_record`]. As JSON (a `PUT
/// /v1/suppressions` item) it has exactly these fields, each present.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    /// An address in any form a mail server could have bounced.
    pub address: String,
    /// The reason's name.
    pub reason: String,
    /// When it was first seen, in the store form.
    pub first_seen: String,
    /// When it was last seen, in the store form.
    pub last_seen: String,
    /// How many counted events are behind it.
    pub count: u64,
    /// Where it came from.
    pub source: String,
}

/// Why a record cannot be stored. Its text is the message both the CLI and
/// the edge show.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    /// The address is not one.
    #[error("address {0:?} is not an email address ({1})")]
    Address(String, &'static str),
    /// The reason is unknown, or one that never suppresses.
    #[error("reason {0:?} is not a reason that suppresses (does_not_exist, mailbox_disabled, no_such_domain, null_mx, no_mail_server, complained, mailbox_full, temporary_failure, rejected, or suppressed)")]
    Reason(String),
    /// A time is not in the store form.
    #[error("{field} {text:?} is not a UTC time such as 2026-03-14T09:26:53Z")]
    Time {
        /// `first_seen` or `last_seen`.
        field: &'static str,
        /// What was given.
        text: String,
    },
    /// `first_seen` is after `last_seen`.
    #[error("first_seen is after last_seen")]
    Order,
    /// The count is 0 or too large.
    #[error("count must be from 1 to {}", u32::MAX)]
    Count,
    /// The source is empty or too long.
    #[error("source must be a non-empty text of at most {MAX_SOURCE_BYTES} bytes")]
    Source,
}

/// Whether a stored record may carry `reason`: one that suppresses at once
/// or on repeat, or `suppressed` (a list kept by hand).
pub fn storable(reason: &str) -> bool {
    match BounceReason::parse(reason) {
        Some(BounceReason::Verdict(Reason::Suppressed)) => true,
        Some(r) => r.effect() != Effect::Never,
        None => false,
    }
}

/// The record `raw` as it may be stored, keyed by [`key`], or why not.
pub fn check_record(raw: RawRecord) -> Result<Suppression, RecordError> {
    let address = key(&raw.address).map_err(|code: SyntaxErrorCode| {
        RecordError::Address(raw.address.clone(), code.as_str())
    })?;
    if !storable(&raw.reason) {
        return Err(RecordError::Reason(raw.reason));
    }
    let time = |field: &'static str, text: String| {
        StoreTime::parse(&text).ok_or(RecordError::Time { field, text })
    };
    let first_seen = time("first_seen", raw.first_seen)?;
    let last_seen = time("last_seen", raw.last_seen)?;
    if first_seen > last_seen {
        return Err(RecordError::Order);
    }
    let count = u32::try_from(raw.count)
        .ok()
        .filter(|c| *c >= 1)
        .ok_or(RecordError::Count)?;
    if raw.source.trim().is_empty() || raw.source.len() > MAX_SOURCE_BYTES {
        return Err(RecordError::Source);
    }
    Ok(Suppression {
        address,
        info: SuppressionInfo {
            reason: raw.reason,
            first_seen,
            last_seen,
            count,
            source: raw.source,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(reason: &str) -> RawRecord {
        RawRecord {
            address: "A@Example.com".into(),
            reason: reason.into(),
            first_seen: "2026-03-14T09:26:53Z".into(),
            last_seen: "2026-03-15T09:26:53Z".into(),
            count: 2,
            source: "crm".into(),
        }
    }

    #[test]
    fn good_records_are_keyed() {
        let s = check_record(raw("complained")).unwrap();
        assert_eq!(s.address, "a@example.com");
        assert_eq!((s.info.count, s.info.source.as_str()), (2, "crm"));
        for r in ["does_not_exist", "mailbox_full", "rejected", "suppressed"] {
            assert!(check_record(raw(r)).is_ok(), "{r}");
        }
    }

    #[test]
    fn reasons_that_never_suppress_are_refused() {
        for r in ["blocked", "ok", "catch_all", "dns_error", "nonsense", ""] {
            assert_eq!(
                check_record(raw(r)),
                Err(RecordError::Reason(r.into())),
                "{r}"
            );
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let mut r = raw("complained");
        r.address = "nope".into();
        assert!(matches!(check_record(r), Err(RecordError::Address(..))));
        let mut r = raw("complained");
        r.first_seen = "yesterday".into();
        assert_eq!(
            check_record(r).unwrap_err().to_string(),
            "first_seen \"yesterday\" is not a UTC time such as 2026-03-14T09:26:53Z"
        );
        let mut r = raw("complained");
        std::mem::swap(&mut r.first_seen, &mut r.last_seen);
        assert_eq!(check_record(r), Err(RecordError::Order));
        for c in [0, u64::from(u32::MAX) + 1] {
            let mut r = raw("complained");
            r.count = c;
            assert_eq!(check_record(r), Err(RecordError::Count));
        }
        for s in [" ", &"x".repeat(MAX_SOURCE_BYTES + 1)] {
            let mut r = raw("complained");
            r.source = s.to_owned();
            assert_eq!(check_record(r), Err(RecordError::Source));
        }
    }
}
