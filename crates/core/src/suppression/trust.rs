//! Which bounce records may change the suppression list: what proves a
//! record is about mail we sent, and the policy for records nothing proves
//! (docs/TRUST.md).
//!
//! The bounce address is the return path of every message sent, so anyone
//! can mail it a report that names any address. A record is *verified*
//! when something outside the report ties it to our own mail:
//!
//! * [`Verified::Verp`]: the report came back to a return path whose tag
//!   names this recipient (`bounce::verp`);
//! * [`Verified::SentLog`]: the report quotes the Message-ID of a message
//!   the sent log says went to this recipient;
//! * [`Verified::MtaLog`]: our own MTA logged the refusal at delivery;
//! * [`Verified::Provider`]: a provider's signed notification (SES through
//!   SNS, a signed webhook).
//!
//! **Verified mode** is on when the operator gave a way to verify (a VERP
//! secret, or a sent log in the store). In it only verified records change
//! the list; the others are kept as evidence. Outside it every record
//! counts as before, except that the unproven records of a report failing
//! more than [`TrustPolicy::max_unverified_recipients`] recipients change
//! nothing: a real bounce is about a message's few recipients, a forged one
//! about as many as its author likes.

use serde::{Deserialize, Serialize};

/// What proves that a bounce record is about mail we sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verified {
    /// Delivered to a tagged return path naming this recipient.
    Verp,
    /// Quotes a Message-ID the sent log has for this recipient.
    SentLog,
    /// Our own MTA's log: refused at delivery.
    MtaLog,
    /// A provider's signed notification.
    Provider,
    /// Nothing: anyone could have written it.
    None,
}

impl Verified {
    /// Every value, strongest proof first.
    pub const ALL: [Verified; 5] = [
        Verified::Provider,
        Verified::MtaLog,
        Verified::Verp,
        Verified::SentLog,
        Verified::None,
    ];

    /// The stable snake_case name, as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Verified::Verp => "verp",
            Verified::SentLog => "sent_log",
            Verified::MtaLog => "mta_log",
            Verified::Provider => "provider",
            Verified::None => "none",
        }
    }

    /// Reads a name written by [`Verified::as_str`]; anything else (a row
    /// stored before the column existed: NULL) is [`Verified::None`].
    pub fn parse(name: Option<&str>) -> Verified {
        Verified::ALL
            .into_iter()
            .find(|v| Some(v.as_str()) == name)
            .unwrap_or(Verified::None)
    }

    /// Whether anything proves the record.
    pub fn is_proven(self) -> bool {
        self != Verified::None
    }
}

/// The policy for records nothing proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustPolicy {
    /// Only verified records change the list (a VERP secret was given, or
    /// the store holds a sent log).
    pub verified_mode: bool,
    /// Outside verified mode: a report failing more recipients than this,
    /// none of them proven, changes nothing.
    pub max_unverified_recipients: usize,
}

impl Default for TrustPolicy {
    /// Not verified mode; reports of more than 50 failed recipients do not
    /// suppress unproven. (A real bounce carries a message's recipients at
    /// one domain; 50 is more than any ordinary message has.)
    fn default() -> Self {
        TrustPolicy {
            verified_mode: false,
            max_unverified_recipients: 50,
        }
    }
}

impl TrustPolicy {
    /// Whether a record may change the suppression list: proven ones always;
    /// unproven ones never in verified mode, and otherwise only when their
    /// report failed at most [`TrustPolicy::max_unverified_recipients`]
    /// recipients (`failed_in_report`). A record that may not is still
    /// stored, as evidence that never counts.
    pub fn may_change_list(&self, verified: Verified, failed_in_report: usize) -> bool {
        verified.is_proven()
            || (!self.verified_mode && failed_in_report <= self.max_unverified_recipients)
    }
}

/// How one record of a report is verified: by `verp`, the suppression keys
/// the report's tagged return path proves (`bounce::verp`); else by the
/// sent log, asked with each Message-ID the report quotes for the original
/// (`quoted_ids`) and the record's key, answering how many recipients that
/// message went to when it went to this one. A record whose recipient is
/// not an address (no `key`) is proven by nothing.
///
/// A Message-ID proves a record only when its message went to this one
/// recipient alone: every recipient of a message sent to several holds its
/// Message-ID and could write a report about the others.
pub fn verify<'a>(
    key: Option<&str>,
    verp: &[String],
    quoted_ids: impl IntoIterator<Item = &'a str>,
    mut sent: impl FnMut(&str, &str) -> Option<u64>,
) -> Verified {
    let Some(key) = key else {
        return Verified::None;
    };
    if verp.iter().any(|k| k == key) {
        return Verified::Verp;
    }
    if quoted_ids.into_iter().any(|id| sent(id, key) == Some(1)) {
        return Verified::SentLog;
    }
    Verified::None
}

/// The longest Message-ID kept, in bytes (RFC 5322's line length): a
/// stranger's mail chooses its own, and a longer one is nobody's real ID.
pub const MAX_MESSAGE_ID: usize = 998;

/// A Message-ID as the sent log and the reports are matched on: without
/// white space and angle brackets (`<a@b>` and `a@b` are the same).
pub fn message_id_key(id: &str) -> &str {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id);
    id.trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_old_rows_are_unverified() {
        for v in Verified::ALL {
            assert_eq!(Verified::parse(Some(v.as_str())), v);
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::json!(v.as_str())
            );
        }
        assert_eq!(Verified::parse(None), Verified::None);
        assert_eq!(Verified::parse(Some("VERP")), Verified::None);
    }

    #[test]
    fn verified_mode_lets_only_proven_records_change_the_list() {
        let strict = TrustPolicy {
            verified_mode: true,
            ..TrustPolicy::default()
        };
        for v in Verified::ALL {
            assert_eq!(strict.may_change_list(v, 1), v.is_proven(), "{v:?}");
            assert_eq!(strict.may_change_list(v, 1_000), v.is_proven(), "{v:?}");
        }
    }

    #[test]
    fn outside_verified_mode_a_report_of_many_unproven_recipients_changes_nothing() {
        let open = TrustPolicy::default();
        assert!(open.may_change_list(Verified::None, 1));
        assert!(open.may_change_list(Verified::None, 50));
        assert!(!open.may_change_list(Verified::None, 51));
        assert!(open.may_change_list(Verified::Verp, 1_000));
        let zero = TrustPolicy {
            max_unverified_recipients: 0,
            ..open
        };
        assert!(!zero.may_change_list(Verified::None, 1));
    }

    #[test]
    fn a_tag_proves_only_its_own_recipient_and_the_sent_log_only_its_pair() {
        let verp = vec!["a@example.com".to_owned()];
        let sent = |id: &str, key: &str| match (id, key) {
            ("m1@us", "b@example.com") => Some(1),
            // A message to two recipients: each could forge about the other.
            ("m5@us", "b@example.com") => Some(2),
            _ => None,
        };
        assert_eq!(
            verify(Some("a@example.com"), &verp, [], sent),
            Verified::Verp
        );
        assert_eq!(
            verify(Some("b@example.com"), &verp, ["m0@us", "m1@us"], sent),
            Verified::SentLog
        );
        // Another recipient of the same message, or another message.
        assert_eq!(
            verify(Some("c@example.com"), &verp, ["m1@us"], sent),
            Verified::None
        );
        assert_eq!(
            verify(Some("b@example.com"), &verp, ["m2@us"], sent),
            Verified::None
        );
        assert_eq!(verify(None, &verp, ["m1@us"], sent), Verified::None);
        assert_eq!(
            verify(Some("b@example.com"), &verp, ["m5@us"], sent),
            Verified::None
        );
    }

    #[test]
    fn message_ids_match_with_or_without_brackets() {
        assert_eq!(message_id_key(" <a.b@c> "), "a.b@c");
        assert_eq!(message_id_key("a.b@c"), "a.b@c");
        assert_eq!(message_id_key("<>"), "");
    }
}
