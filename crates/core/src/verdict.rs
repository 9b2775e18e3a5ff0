//! The verdict model: exactly the JSON of docs/DESIGN.md, the same in every part.
//!
//! A [`Verdict`] is the full, owned answer for one address. The hot paths
//! (`checkMany`, the list checker, the benchmark) work with the compact
//! [`Assessment`](crate::Assessment) instead and build a `Verdict` only when a
//! row is asked for.

use serde::{Deserialize, Serialize};

use crate::address::SyntaxErrorCode;
use crate::time::StoreTime;

/// The overall outcome for an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Status {
    /// Deliverable as far as the checks that ran can tell.
    Valid = 0,
    /// Will bounce, or must not be mailed.
    Invalid = 1,
    /// Deliverable but doubtful (disposable, typo, full, catch-all, role).
    Risky = 2,
    /// The checks could not decide.
    Unknown = 3,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 4] = [
        Status::Valid,
        Status::Invalid,
        Status::Risky,
        Status::Unknown,
    ];

    /// The stable snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Risky => "risky",
            Status::Unknown => "unknown",
        }
    }

    /// The compact numeric code (stable; used in typed arrays).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The status for a compact code, if it is one.
    pub fn from_code(code: u8) -> Option<Status> {
        Status::ALL.get(code as usize).copied()
    }
}

/// Why a verdict is what it is. One per verdict; when several apply the most
/// severe wins, in declaration order ([`Reason::precedence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Reason {
    // invalid
    /// The address is not a well-formed mailbox under the active options.
    InvalidSyntax = 0,
    /// The address is on the suppression list.
    Suppressed = 1,
    /// The domain does not exist (NXDOMAIN).
    NoSuchDomain = 2,
    /// The domain publishes a null MX (RFC 7505): it accepts no mail.
    NullMx = 3,
    /// No MX and no A/AAAA record.
    NoMailServer = 4,
    /// The mail server says the mailbox does not exist.
    DoesNotExist = 5,
    /// The mail server says the mailbox exists but is disabled.
    MailboxDisabled = 6,
    // risky
    /// A disposable (throwaway) email service.
    Disposable = 7,
    /// The domain looks like a typo of a well-known provider.
    PossibleTypo = 8,
    /// The mailbox is over quota.
    MailboxFull = 9,
    /// The domain accepts every address, so this one could not be confirmed.
    CatchAll = 10,
    /// A role account (info@, sales@), risky only with `role_is_risky`.
    RoleAccount = 11,
    // unknown
    /// DNS lookup failed (SERVFAIL, timeout).
    DnsError = 12,
    /// No usable SMTP conversation (no connection, timeout, refused target).
    SmtpUnavailable = 13,
    /// A temporary failure (4xx, greylisting).
    TemporaryFailure = 14,
    /// The probe itself was refused by policy.
    Blocked = 15,
    /// A permanent refusal the rules cannot pin on the mailbox or on policy.
    Rejected = 16,
    // valid
    /// Nothing wrong found.
    Ok = 17,
}

impl Reason {
    /// Every reason, in precedence (and code) order.
    pub const ALL: [Reason; 18] = [
        Reason::InvalidSyntax,
        Reason::Suppressed,
        Reason::NoSuchDomain,
        Reason::NullMx,
        Reason::NoMailServer,
        Reason::DoesNotExist,
        Reason::MailboxDisabled,
        Reason::Disposable,
        Reason::PossibleTypo,
        Reason::MailboxFull,
        Reason::CatchAll,
        Reason::RoleAccount,
        Reason::DnsError,
        Reason::SmtpUnavailable,
        Reason::TemporaryFailure,
        Reason::Blocked,
        Reason::Rejected,
        Reason::Ok,
    ];

    /// The status this reason implies.
    pub fn status(self) -> Status {
        use Reason::*;
        match self {
            InvalidSyntax | Suppressed | NoSuchDomain | NullMx | NoMailServer | DoesNotExist
            | MailboxDisabled => Status::Invalid,
            Disposable | PossibleTypo | MailboxFull | CatchAll | RoleAccount => Status::Risky,
            DnsError | SmtpUnavailable | TemporaryFailure | Blocked | Rejected => Status::Unknown,
            Ok => Status::Valid,
        }
    }

    /// Lower is more severe; the lowest applicable reason wins.
    pub fn precedence(self) -> u8 {
        self as u8
    }

    /// The more severe of two reasons.
    pub fn most_severe(self, other: Reason) -> Reason {
        if other.precedence() < self.precedence() {
            other
        } else {
            self
        }
    }

    /// The stable snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        use Reason::*;
        match self {
            InvalidSyntax => "invalid_syntax",
            Suppressed => "suppressed",
            NoSuchDomain => "no_such_domain",
            NullMx => "null_mx",
            NoMailServer => "no_mail_server",
            DoesNotExist => "does_not_exist",
            MailboxDisabled => "mailbox_disabled",
            Disposable => "disposable",
            PossibleTypo => "possible_typo",
            MailboxFull => "mailbox_full",
            CatchAll => "catch_all",
            RoleAccount => "role_account",
            DnsError => "dns_error",
            SmtpUnavailable => "smtp_unavailable",
            TemporaryFailure => "temporary_failure",
            Blocked => "blocked",
            Rejected => "rejected",
            Ok => "ok",
        }
    }

    /// Parses the snake_case name.
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.as_str() == name)
    }

    /// The compact numeric code (stable; used in typed arrays).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The reason for a compact code, if it is one.
    pub fn from_code(code: u8) -> Option<Reason> {
        Reason::ALL.get(code as usize).copied()
    }

    /// One plain-English sentence a form or a report can show. `None` for `ok`
    /// (a valid verdict carries no message). Syntax errors use the more precise
    /// message of their [`SyntaxErrorCode`] instead.
    pub fn message(self) -> Option<&'static str> {
        use Reason::*;
        Some(match self {
            InvalidSyntax => "This is not a valid email address.",
            Suppressed => "Mail to this address bounced before, so it is on the suppression list.",
            NoSuchDomain => "The domain of this address does not exist.",
            NullMx => "The domain of this address does not accept email.",
            NoMailServer => "The domain of this address has no mail server.",
            DoesNotExist => "The mail server says this mailbox does not exist.",
            MailboxDisabled => "The mail server says this mailbox has been disabled.",
            Disposable => "This address uses a disposable email service.",
            PossibleTypo => "This address may contain a typo.",
            MailboxFull => "The mailbox is full, so mail to it bounces for now.",
            CatchAll => "The domain accepts mail for any address, so this mailbox could not be confirmed.",
            RoleAccount => "This is a role address (such as info@ or sales@), not a person.",
            DnsError => "The domain's DNS could not be checked right now.",
            SmtpUnavailable => "The mail server could not be reached to confirm this address.",
            TemporaryFailure => "The mail server asked us to try again later.",
            Blocked => "The mail server refused to answer our check, so this address could not be confirmed.",
            Rejected => "The mail server refused this address for a reason we could not classify.",
            Ok => return None,
        })
    }
}

/// How deep the checks went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Depth {
    /// Syntax and offline data only (browser, `--offline`).
    Syntax,
    /// DNS was consulted.
    Dns,
    /// The mail server was asked.
    Smtp,
}

impl Depth {
    /// The stable snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Depth::Syntax => "syntax",
            Depth::Dns => "dns",
            Depth::Smtp => "smtp",
        }
    }
}

/// Facts about the address that hold whatever its status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flags {
    /// The domain is a disposable email service.
    pub disposable: bool,
    /// The local part is a role account (info, sales, postmaster …).
    pub role: bool,
    /// The domain is a free mailbox provider (gmail.com, gmx.de …).
    pub free: bool,
    /// Sending to it needs SMTPUTF8 (a non-ASCII local part).
    pub smtputf8: bool,
}

impl Flags {
    /// Packs the flags into one byte: bit 0 disposable, 1 role, 2 free, 3 smtputf8.
    pub fn bits(self) -> u8 {
        (self.disposable as u8)
            | (self.role as u8) << 1
            | (self.free as u8) << 2
            | (self.smtputf8 as u8) << 3
    }

    /// Unpacks [`Flags::bits`].
    pub fn from_bits(bits: u8) -> Flags {
        Flags {
            disposable: bits & 1 != 0,
            role: bits & 2 != 0,
            free: bits & 4 != 0,
            smtputf8: bits & 8 != 0,
        }
    }
}

/// The `error` object of an `invalid_syntax` verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Stable snake_case code.
    pub code: SyntaxErrorCode,
    /// Equal to the verdict's top-level `message`.
    pub message: String,
}

/// One MX record as the verdict shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxRecord {
    /// The MX preference (lower is tried first).
    pub preference: u16,
    /// The exchange host name, without a trailing dot.
    pub exchange: String,
}

/// The `dns` object of a verdict at depth `dns` or deeper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsInfo {
    /// The MX records found, in the order they will be tried.
    pub mx: Vec<MxRecord>,
    /// The domain published a null MX (RFC 7505).
    pub null_mx: bool,
    /// There was no MX; the domain's own A/AAAA is used (RFC 5321 §5.1).
    pub implicit_mx: bool,
    /// The smallest TTL of the answers used, in seconds.
    pub ttl: Option<u32>,
}

/// The `smtp` object of a verdict at depth `smtp`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpInfo {
    /// The MX host that answered.
    pub mx: String,
    /// The basic reply code to RCPT TO (or the reply that ended the session).
    pub code: Option<u16>,
    /// The RFC 3463 enhanced status code, such as `5.2.1`.
    pub enhanced: Option<String>,
    /// The server's text as received (bounded in length).
    pub reply: Option<String>,
    /// The domain accepted a random address too.
    pub catch_all: bool,
    /// The session used STARTTLS.
    pub tls: bool,
}

/// A suppression record, attached to `suppressed` verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionInfo {
    /// Why the address was suppressed (a verdict reason or `complained`).
    pub reason: String,
    /// When it was first seen.
    pub first_seen: StoreTime,
    /// When it was last seen.
    pub last_seen: StoreTime,
    /// How many bounces or complaints were recorded.
    pub count: u32,
    /// Where it came from (a file, `ses`, `import` …).
    pub source: String,
}

/// The answer for one address: docs/DESIGN.md's verdict JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The input exactly as given.
    pub input: String,
    /// The normalized address, domain in ASCII (A-labels). Null when the
    /// input has no recognisable local part and domain.
    pub address: Option<String>,
    /// The normalized address, domain in Unicode (U-labels).
    pub address_unicode: Option<String>,
    /// The local part (NFC-normalized), case preserved.
    pub local: Option<String>,
    /// The domain in lower-case ASCII.
    pub domain: Option<String>,
    /// The domain in Unicode.
    pub domain_unicode: Option<String>,
    /// The overall outcome.
    pub status: Status,
    /// Why (one reason, the most severe).
    pub reason: Reason,
    /// The deepest check that ran.
    pub depth: Depth,
    /// One sentence for people; null only for `valid`.
    pub message: Option<String>,
    /// A few words more for debugging.
    pub detail: Option<String>,
    /// The whole corrected address, for a likely typo.
    pub suggestion: Option<String>,
    /// Seconds until a retry is worthwhile (with `temporary_failure`).
    pub retry_after: Option<u32>,
    /// Facts that hold whatever the status.
    pub flags: Flags,
    /// The syntax error (only with `invalid_syntax`).
    pub error: Option<ErrorInfo>,
    /// What DNS said (depth `dns` and deeper).
    pub dns: Option<DnsInfo>,
    /// What the mail server said (depth `smtp`).
    pub smtp: Option<SmtpInfo>,
    /// The suppression record (only with `suppressed`). An extension field:
    /// absent from the JSON when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<SuppressionInfo>,
}

impl Verdict {
    /// A verdict at depth `syntax` with this reason (and its status and
    /// message) and nothing else filled in.
    pub fn new(input: String, reason: Reason) -> Verdict {
        Verdict {
            input,
            address: None,
            address_unicode: None,
            local: None,
            domain: None,
            domain_unicode: None,
            status: reason.status(),
            reason,
            depth: Depth::Syntax,
            message: reason.message().map(str::to_owned),
            detail: None,
            suggestion: None,
            retry_after: None,
            flags: Flags::default(),
            error: None,
            dns: None,
            smtp: None,
            suppression: None,
        }
    }

    /// Replaces the reason (and status and message) with `reason` if it is
    /// more severe than the current one. Returns whether it changed.
    pub fn escalate(&mut self, reason: Reason) -> bool {
        if reason.precedence() < self.reason.precedence() {
            self.set_reason(reason);
            true
        } else {
            false
        }
    }

    /// Sets the reason unconditionally, with its status and message. The
    /// syntax error, if any, is dropped unless the reason is `invalid_syntax`.
    pub fn set_reason(&mut self, reason: Reason) {
        self.reason = reason;
        self.status = reason.status();
        self.message = match (&self.error, reason) {
            (Some(e), Reason::InvalidSyntax) => Some(e.message.clone()),
            _ => reason.message().map(str::to_owned),
        };
        if reason != Reason::InvalidSyntax {
            self.error = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_round_trips_by_name_and_code() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_name(r.as_str()), Some(r));
            assert_eq!(Reason::from_code(r.code()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
    }

    #[test]
    fn statuses_follow_design_groups() {
        assert_eq!(Reason::MailboxDisabled.status(), Status::Invalid);
        assert_eq!(Reason::Suppressed.status(), Status::Invalid);
        assert_eq!(Reason::MailboxFull.status(), Status::Risky);
        assert_eq!(Reason::Rejected.status(), Status::Unknown);
        assert_eq!(Reason::Blocked.status(), Status::Unknown);
        assert_eq!(Reason::Ok.status(), Status::Valid);
    }

    #[test]
    fn precedence_is_design_order() {
        assert_eq!(
            Reason::Disposable.most_severe(Reason::InvalidSyntax),
            Reason::InvalidSyntax
        );
        assert_eq!(
            Reason::RoleAccount.most_severe(Reason::PossibleTypo),
            Reason::PossibleTypo
        );
        assert_eq!(Reason::Ok.most_severe(Reason::Rejected), Reason::Rejected);
        for w in Reason::ALL.windows(2) {
            assert!(w[0].precedence() < w[1].precedence());
        }
    }

    #[test]
    fn only_ok_lacks_a_message() {
        for r in Reason::ALL {
            assert_eq!(r.message().is_none(), r == Reason::Ok, "{r:?}");
        }
    }

    #[test]
    fn flags_pack_and_unpack() {
        for bits in 0..16u8 {
            assert_eq!(Flags::from_bits(bits).bits(), bits);
        }
    }
}
