//! What one failed recipient's status and diagnostic mean: the bounce's
//! [`Kind`] and [`BounceReason`]. The one place for that rule.
//!
//! The remote server's own reply, when the bounce quotes one, is classified
//! by the same rules as the probe's RCPT TO replies ([`crate::classify`] at
//! [`Stage::RcptTo`]), so a `550 5.2.1 … disabled` means `mailbox_disabled`
//! whether the probe heard it or a bounce reported it. Before that, a few
//! failures only the *sending* MTA reports are recognised, because no remote
//! server was ever reached:
//!
//! 1. A null MX (RFC 7505: `5.1.10` with a null-MX text, Postfix "does not
//!    accept mail (nullMX)") → `null_mx`.
//! 2. The domain does not exist (`5.1.2`, "Host or domain name not found …
//!    Host not found", "Domain name not found", Exim "Unrouteable address")
//!    → `no_such_domain`.
//! 3. No mail host for the domain (`5.4.4` "unable to route", "no MX and no
//!    A") → `no_mail_server`.
//!
//! Each only with a permanent (5.x.x) status: `4.4.3 … Host not found, try
//! again` is a DNS hiccup. Then, in order:
//!
//! 4. The diagnostic holds an SMTP reply (`smtp; 550 5.1.1 …`, or one quoted
//!    inside text: "… said: 550 …") → classify that reply.
//! 5. Text without a reply code: classify it as a reply with the status's
//!    class (`550`/`450`) and the status as its enhanced code.
//! 6. Only a status: classify an empty reply with that code.
//! 7. Nothing at all → `rejected`, kind `undetermined`.
//!
//! A 4xx reply inside a failed DSN (retries ran out: Postfix and Exim quote
//! the last transient answer) stays `temporary_failure`: the server never
//! said the mailbox is gone.
//!
//! Kind: `hard` for reasons that suppress at once (see
//! [`crate::suppression`]) and for `rejected` under a permanent status;
//! `soft` for `mailbox_full`, `temporary_failure`, `blocked` and the
//! connection reasons; `undetermined` when the report said nothing usable.

use super::Kind;
use crate::reply::{classify, EnhancedCode, Reply, Stage};
use crate::suppression::BounceReason;
use crate::Reason;

/// The kind and reason of one failed recipient.
pub fn judge(status: Option<EnhancedCode>, diagnostic: Option<&str>) -> (Kind, BounceReason) {
    let diagnostic = diagnostic.map(str::trim).filter(|d| !d.is_empty());
    let embedded = diagnostic.and_then(embedded_reply);
    let had_reply = embedded.is_some();
    let permanent = match (status, &embedded) {
        (Some(s), _) => s.class == 5,
        (None, Some(r)) => r.code / 100 == 5,
        (None, None) => diagnostic.is_some(),
    };
    let lower = diagnostic
        .map(|d| d.to_ascii_lowercase())
        .unwrap_or_default();
    if permanent {
        if let Some(reason) = sender_side(status, &lower) {
            return (Kind::Hard, BounceReason::Verdict(reason));
        }
    }
    let reply = match (embedded, diagnostic, status) {
        (Some(reply), _, _) => reply,
        (None, Some(text), _) => Reply {
            code: status_code(status, true),
            enhanced: status.or_else(|| enhanced_in(text)),
            lines: vec![text.to_owned()],
        },
        (None, None, Some(s)) => Reply {
            code: status_code(Some(s), true),
            enhanced: Some(s),
            lines: Vec::new(),
        },
        (None, None, None) => return (Kind::Undetermined, BounceReason::Verdict(Reason::Rejected)),
    };
    // A success class in a *failed* report says nothing: judge the status.
    let reply = if reply.code / 100 == 2 {
        Reply {
            code: status_code(status, true),
            enhanced: status,
            lines: reply.lines,
        }
    } else {
        reply
    };
    let reason = classify(Stage::RcptTo, &reply).reason;
    // Retries ran out and no reply or words say more (Exim "retry timeout
    // exceeded"): the server never said anything final.
    if reason == Reason::Rejected && !had_reply && EXPIRED.iter().any(|p| lower.contains(p)) {
        return (Kind::Soft, BounceReason::Verdict(Reason::TemporaryFailure));
    }
    if reason == Reason::Rejected && status.is_none() && !had_reply {
        // No status, no reply, and words the rules do not know (Domino's
        // "Maximum hop count exceeded"): nothing says it is permanent.
        return (Kind::Undetermined, BounceReason::Verdict(reason));
    }
    (
        kind_of(reason, reply.code / 100 == 5),
        BounceReason::Verdict(reason),
    )
}

/// Words of a delivery that expired in the queue (lower-case).
const EXPIRED: &[&str] = &[
    "retry timeout exceeded",
    "retry time not reached",
    "all hosts have been failing",
    "delivery time expired",
    "message expired",
];

/// The kind that goes with a reason.
pub fn kind_of(reason: Reason, permanent: bool) -> Kind {
    use Reason::*;
    match reason {
        DoesNotExist | MailboxDisabled | NoSuchDomain | NullMx | NoMailServer | Suppressed
        | InvalidSyntax => Kind::Hard,
        Rejected if permanent => Kind::Hard,
        Rejected => Kind::Soft,
        MailboxFull | TemporaryFailure | Blocked | SmtpUnavailable | DnsError => Kind::Soft,
        Disposable | PossibleTypo | CatchAll | RoleAccount | Ok => Kind::Undetermined,
    }
}

/// The reply code that stands for a status: 550 or 450 (or 550 when there
/// is no status and the recipient `failed`).
fn status_code(status: Option<EnhancedCode>, failed: bool) -> u16 {
    match status.map(|s| s.class) {
        Some(4) => 450,
        Some(5) => 550,
        _ if failed => 550,
        _ => 450,
    }
}

/// Failures the sending MTA found before reaching any server (steps 1–3).
fn sender_side(status: Option<EnhancedCode>, lower: &str) -> Option<Reason> {
    let code = |subject: u16, detail: u16| {
        status.is_some_and(|s| s.subject == subject && s.detail == detail)
    };
    const NULL_MX: &[&str] = &["null mx", "nullmx", "does not accept mail"];
    const NO_DOMAIN: &[&str] = &[
        "host or domain name not found",
        "domain name not found",
        "domain not found",
        "no such domain",
        "domain does not exist",
        "unrouteable address",
        "couldn't find any host named",
        "could not find any host named",
        "unroutable address",
        "nxdomain",
        "dns error: domain",
        "name or service not known",
    ];
    const NO_MAIL_HOST: &[&str] = &[
        "couldn't find a mail exchanger",
        "could not find a mail exchanger",
        "point to non-existent hosts",
        "no mx or a",
        "no mx and no a",
        "no mail exchanger",
        "no mail servers",
        "no address associated with hostname",
        "host found but no data record",
        "mx lookup failed",
        "unable to route",
    ];
    let any = |list: &[&str]| list.iter().any(|p| lower.contains(p));
    // A remote server's own reply outranks the local words around it only if
    // there is one; "host not found" from the DNS is the MTA's own finding.
    if any(NULL_MX) && (code(1, 10) || lower.contains("null")) {
        return Some(Reason::NullMx);
    }
    if any(NO_MAIL_HOST) && !lower.contains("host not found") {
        return Some(Reason::NoMailServer);
    }
    if code(1, 2)
        || any(NO_DOMAIN)
        || (lower.contains("host not found") && lower.contains("name service error"))
    {
        return Some(Reason::NoSuchDomain);
    }
    if code(4, 4) && lower.is_empty() {
        return Some(Reason::NoMailServer);
    }
    None
}

/// The SMTP reply a diagnostic holds: at its start (`550 5.1.1 …`,
/// `550-5.1.1 …`) or after a colon or "said" inside text ("host
/// mx.example.com said: 550 …"). A Gmail-style reply folded into one line
/// (`550-5.1.1 A 550-5.1.1 B 550 5.1.1 C`) becomes its lines again.
pub fn embedded_reply(diagnostic: &str) -> Option<Reply> {
    let start = reply_start(diagnostic)?;
    let text = &diagnostic[start..];
    let code: u16 = text[..3].parse().ok()?;
    // Split at each repeated "550-" / "550 " that starts a folded line,
    // in one pass.
    let digits = &text.as_bytes()[..3];
    let body = &text[4..];
    let b = body.as_bytes();
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 1);
    while i + 4 <= b.len() {
        if b[i - 1] == b' ' && &b[i..i + 3] == digits && matches!(b[i + 3], b'-' | b' ') {
            // Cut at ASCII bytes: always a character boundary.
            lines.push(body[start..i].trim().to_owned());
            start = i + 4;
            i += 4;
        } else {
            i += 1;
        }
    }
    lines.push(body[start..].trim().to_owned());
    let enhanced = lines.first().and_then(|l| enhanced_prefix(l));
    if let Some(e) = enhanced {
        let prefix = e.to_string();
        for line in &mut lines {
            if let Some(stripped) = line.strip_prefix(&prefix) {
                *line = stripped.trim_start().to_owned();
            }
        }
    }
    lines.retain(|l| !l.is_empty());
    Some(Reply {
        code,
        enhanced,
        lines,
    })
}

/// Where a reply code starts: 4xx or 5xx followed by a space, a dash or the
/// end, at the start of the text or after a separator.
fn reply_start(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(2)).find(|&i| {
        let digits =
            matches!(b[i], b'4' | b'5') && b[i + 1].is_ascii_digit() && b[i + 2].is_ascii_digit();
        let before_ok = i == 0
            || matches!(
                b[i - 1],
                b' ' | b':' | b'(' | b'#' | b'\t' | b'"' | b'[' | b'\''
            );
        let after_ok = b
            .get(i + 3)
            .is_none_or(|&c| matches!(c, b' ' | b'-' | b'\t' | b':'));
        // "... said: 550" or a leading code; not a number inside a word or
        // a date ("on 14 Mar 2026 at 450 …" is rare enough to accept).
        digits && before_ok && after_ok && b.len() > i + 3
    })
}

/// An enhanced code at the very start of `s`.
fn enhanced_prefix(s: &str) -> Option<EnhancedCode> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    EnhancedCode::parse(&s[..end]).ok()
}

/// The first enhanced code anywhere in `s` (`(#5.1.1)`, `#5.2.2`, `5.7.1`),
/// standing as its own word.
pub fn enhanced_in(s: &str) -> Option<EnhancedCode> {
    s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|w| w.len() >= 5)
        .find_map(|w| EnhancedCode::parse(w.trim_end_matches('.')).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Option<EnhancedCode> {
        Some(EnhancedCode::parse(s).unwrap())
    }

    fn reason(status: Option<&str>, diag: Option<&str>) -> (Kind, &'static str) {
        let (k, r) = judge(status.and_then(|s| EnhancedCode::parse(s).ok()), diag);
        (k, r.as_str())
    }

    #[test]
    fn remote_replies_use_the_probe_rules() {
        assert_eq!(
            reason(
                Some("5.1.1"),
                Some("550 5.1.1 <a@example.com>: Recipient address rejected: User unknown")
            ),
            (Kind::Hard, "does_not_exist")
        );
        assert_eq!(
            reason(Some("5.2.1"), Some("550-5.2.1 The email account that you tried to reach is disabled. 550 5.2.1 https://support.example/?p=DisabledUser x-y.123 - gsmtp")),
            (Kind::Hard, "mailbox_disabled")
        );
        assert_eq!(
            reason(Some("5.2.2"), Some("552 5.2.2 Mailbox full")),
            (Kind::Soft, "mailbox_full")
        );
        assert_eq!(
            reason(Some("5.7.1"), Some("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org")),
            (Kind::Soft, "blocked")
        );
        assert_eq!(
            reason(Some("5.0.0"), Some("550 Something odd")),
            (Kind::Hard, "rejected")
        );
    }

    #[test]
    fn expired_transient_failures_stay_soft() {
        assert_eq!(
            reason(
                Some("4.4.7"),
                Some("451 4.7.1 Greylisted, please try again later")
            ),
            (Kind::Soft, "temporary_failure")
        );
        // Even a 5.x.x status with a quoted 4xx reply: the server said "later".
        assert_eq!(
            reason(Some("5.4.7"), Some("450 4.1.1 user unknown, verifying")),
            (Kind::Soft, "temporary_failure")
        );
    }

    #[test]
    fn sending_side_failures() {
        assert_eq!(
            reason(Some("5.4.4"), Some("X-Postfix; Host or domain name not found. Name service error for name=nx.example type=MX: Host not found")),
            (Kind::Hard, "no_such_domain")
        );
        assert_eq!(
            reason(Some("4.4.3"), Some("X-Postfix; Host or domain name not found. Name service error for name=nx.example type=MX: Host not found, try again")),
            (Kind::Soft, "temporary_failure")
        );
        assert_eq!(
            reason(
                Some("5.1.10"),
                Some("X-Postfix; Domain example.net does not accept mail (nullMX)")
            ),
            (Kind::Hard, "null_mx")
        );
        assert_eq!(reason(Some("5.1.2"), None), (Kind::Hard, "no_such_domain"));
        assert_eq!(
            reason(None, Some("Unrouteable address")),
            (Kind::Hard, "no_such_domain")
        );
    }

    #[test]
    fn expiry_without_a_reply_is_soft() {
        assert_eq!(
            reason(None, Some("retry timeout exceeded")),
            (Kind::Soft, "temporary_failure")
        );
        assert_eq!(
            reason(
                Some("5.4.7"),
                Some("all hosts have been failing for a long time")
            ),
            (Kind::Soft, "temporary_failure")
        );
        assert_eq!(
            reason(
                None,
                Some("Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)")
            ),
            (Kind::Hard, "no_mail_server")
        );
        assert_eq!(
            reason(
                None,
                Some("Sorry, I couldn't find any host named nx.example. (#5.1.2)")
            ),
            (Kind::Hard, "no_such_domain")
        );
        assert_eq!(
            reason(
                None,
                Some("all relevant MX records point to non-existent hosts")
            ),
            (Kind::Hard, "no_mail_server")
        );
    }

    #[test]
    fn text_and_status_alone() {
        assert_eq!(
            reason(Some("5.0.0"), Some("X-Postfix; unknown user: \"nobody\"")),
            (Kind::Hard, "does_not_exist")
        );
        assert_eq!(reason(Some("5.1.1"), None), (Kind::Hard, "does_not_exist"));
        assert_eq!(
            reason(Some("5.2.1"), None),
            (Kind::Hard, "mailbox_disabled")
        );
        assert_eq!(reason(Some("4.2.2"), None), (Kind::Soft, "mailbox_full"));
        assert_eq!(
            reason(None, Some("Sorry, no mailbox here by that name. (#5.1.1)")),
            (Kind::Hard, "does_not_exist")
        );
        assert_eq!(reason(None, None), (Kind::Undetermined, "rejected"));
    }

    #[test]
    fn embedded_replies() {
        let r = embedded_reply("smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address. 550 5.1.1 https://support.example/?p=NoSuchUser").unwrap();
        assert_eq!(r.code, 550);
        assert_eq!(r.enhanced, e("5.1.1"));
        assert_eq!(r.lines.len(), 3);
        assert!(r.lines[1].starts_with("double-checking"));
        let r = embedded_reply("host mx.example.com[192.0.2.1] said: 552 5.2.2 over quota (in reply to RCPT TO command)").unwrap();
        assert_eq!((r.code, r.enhanced), (552, e("5.2.2")));
        assert!(embedded_reply("no code here").is_none());
        assert!(embedded_reply("error 5501 x").is_none());
        assert_eq!(enhanced_in("Sorry (#5.1.1)"), e("5.1.1"));
        assert_eq!(enhanced_in("version 1.2.3"), None);
    }
}
