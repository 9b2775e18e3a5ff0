//! What a reply means: the decision ladder documented on the `reply` module.

use super::phrases::{
    DISABLED, DOES_NOT_EXIST, DOES_NOT_EXIST_UNDER_CODE, GREYLIST, NO_SMTP_SERVICE,
    POLICY_ABOUT_US, POLICY_GENERIC, QUOTA, RATE_LIMIT, RECIPIENT_REFUSED, RETRY_TRIGGERS,
    WILDCARD_GAP,
};
use super::{EnhancedCode, Reply};
use crate::verdict::Reason;

/// Default `retry_after` for greylisting when the text names no delay, in
/// seconds (Postgrey's and milter-greylist's default delay is 5 minutes).
pub const GREYLIST_RETRY_SECS: u32 = 300;

/// Default `retry_after` for a receive-rate or connection limit when the text
/// names no delay, in seconds.
pub const RATE_LIMIT_RETRY_SECS: u32 = 3600;

/// Default `retry_after` for any other temporary failure (421, 451, 452 …)
/// when the text names no delay, in seconds.
pub const TEMPORARY_RETRY_SECS: u32 = 900;

/// The longest `retry_after` taken from a reply's text, in seconds (one day);
/// longer delays are clamped to it. The shortest is one second.
pub const MAX_RETRY_AFTER_SECS: u32 = 86_400;

/// The SMTP command a reply answers. The same code means different things at
/// different stages: a 554 banner refuses the whole session, a 550 to RCPT TO
/// may be about the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The greeting sent when the connection opens.
    Banner,
    /// The reply to EHLO (or HELO).
    Ehlo,
    /// The reply to MAIL FROM.
    MailFrom,
    /// The reply to RCPT TO: the one about the address.
    RcptTo,
    /// The reply to RSET.
    Rset,
    /// Any other command (STARTTLS, NOOP, QUIT …).
    Other,
}

/// What a reply means for the address being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Classification {
    /// The verdict reason the reply supports.
    pub reason: Reason,
    /// Seconds until a retry is worthwhile; `Some` exactly when `reason` is
    /// [`Reason::TemporaryFailure`].
    pub retry_after: Option<u32>,
}

impl Classification {
    const fn of(reason: Reason) -> Classification {
        Classification {
            reason,
            retry_after: None,
        }
    }
}

/// Decides what `reply`, received at `stage`, means. The rules and their
/// precedence are documented on the [`reply`](super) module.
pub fn classify(stage: Stage, reply: &Reply) -> Classification {
    let text = Haystack::new(reply);
    let class = reply.code / 100;
    // 421 ends the session whatever the command: always transient.
    if reply.code == 421 {
        return temporary(&text);
    }
    match (class, stage) {
        (2, _) => Classification::of(Reason::Ok),
        (3, Stage::Other) => Classification::of(Reason::Ok),
        (4, Stage::RcptTo) => classify_transient_rcpt(reply, &text),
        (4, _) => temporary(&text),
        (5, Stage::RcptTo) => classify_permanent_rcpt(reply, &text),
        (5, Stage::Banner) => classify_permanent_banner(reply, &text),
        (5, Stage::Ehlo | Stage::MailFrom) => Classification::of(Reason::Blocked),
        (5, Stage::Rset | Stage::Other) => {
            if text.any(POLICY_ABOUT_US) || text.any(POLICY_GENERIC) {
                Classification::of(Reason::Blocked)
            } else {
                Classification::of(Reason::Rejected)
            }
        }
        // 1yz anywhere, 3yz where no intermediate reply is possible: the
        // server is not speaking SMTP as we know it.
        _ => Classification::of(Reason::SmtpUnavailable),
    }
}

/// A 4xx to RCPT TO. Transient by the server's own word, so never an
/// `invalid` reason; only a quota says more (DESIGN: `mailbox_full` is never
/// retried). Text beats code: a greylisting or rate text under x.2.2 (Stalwart
/// greylists with `422 4.2.2`) is a temporary failure.
fn classify_transient_rcpt(reply: &Reply, text: &Haystack) -> Classification {
    let transient_text = text.any(RATE_LIMIT) || text.any(GREYLIST);
    if !transient_text && (is_quota_code(reply.enhanced) || text.any(QUOTA)) {
        return Classification::of(Reason::MailboxFull);
    }
    temporary(text)
}

/// A 5xx to RCPT TO: the decision ladder of the module doc, steps 1 to 9.
fn classify_permanent_rcpt(reply: &Reply, text: &Haystack) -> Classification {
    let enhanced = reply.enhanced;
    let code_is = |subject: u16, detail: u16| {
        enhanced.is_some_and(|e| e.subject == subject && e.detail == detail)
    };
    // 1. About us: our sender (5.1.7, 5.1.8), our host, our reputation.
    if code_is(1, 7) || code_is(1, 8) || text.any(POLICY_ABOUT_US) {
        return Classification::of(Reason::Blocked);
    }
    // 2. A receive-rate limit: the mailbox exists and will take mail later.
    if text.any(RATE_LIMIT) {
        return temporary(text);
    }
    // 3. Quota: x.2.2 or a quota text.
    if is_quota_code(enhanced) || text.any(QUOTA) {
        return Classification::of(Reason::MailboxFull);
    }
    // 4. A disabled / suspended / inactive text.
    if text.any(DISABLED) {
        return Classification::of(Reason::MailboxDisabled);
    }
    // 5. An unknown-user text (some only under one provider's code).
    let under_code = DOES_NOT_EXIST_UNDER_CODE
        .iter()
        .any(|(code, phrase)| enhanced == Some(*code) && text.has(phrase));
    if under_code || text.any(DOES_NOT_EXIST) {
        return Classification::of(Reason::DoesNotExist);
    }
    // 6. A rule aimed at this recipient.
    if text.any(RECIPIENT_REFUSED) {
        return Classification::of(Reason::Rejected);
    }
    // 7. Vaguer policy words.
    if text.any(POLICY_GENERIC) {
        return Classification::of(Reason::Blocked);
    }
    // 8. The enhanced code alone.
    if let Some(e) = enhanced {
        match (e.subject, e.detail) {
            (1, 1) | (1, 6) | (1, 10) => return Classification::of(Reason::DoesNotExist),
            (2, 1) => return Classification::of(Reason::MailboxDisabled),
            (7, _) => return Classification::of(Reason::Blocked),
            _ => {}
        }
    }
    // 9. Anything else: a refusal we cannot pin down. Never `invalid`.
    Classification::of(Reason::Rejected)
}

/// A 5xx greeting.
fn classify_permanent_banner(reply: &Reply, text: &Haystack) -> Classification {
    if text.any(POLICY_ABOUT_US) || text.any(POLICY_GENERIC) {
        return Classification::of(Reason::Blocked);
    }
    if reply.code == 521 || text.any(NO_SMTP_SERVICE) {
        return Classification::of(Reason::SmtpUnavailable);
    }
    Classification::of(Reason::Blocked)
}

/// x.2.2, RFC 3463's "mailbox full".
fn is_quota_code(enhanced: Option<EnhancedCode>) -> bool {
    enhanced.is_some_and(|e| e.subject == 2 && e.detail == 2)
}

/// A `temporary_failure` with the delay the text names, or a default by kind.
fn temporary(text: &Haystack) -> Classification {
    let retry = retry_after_in(&text.0).unwrap_or(if text.any(GREYLIST) {
        GREYLIST_RETRY_SECS
    } else if text.any(RATE_LIMIT) {
        RATE_LIMIT_RETRY_SECS
    } else {
        TEMPORARY_RETRY_SECS
    });
    Classification {
        reason: Reason::TemporaryFailure,
        retry_after: Some(retry),
    }
}

/// The reply's text normalized for matching: lower-cased, white space runs
/// collapsed to one space, typographic apostrophes made ASCII, and padded
/// with one space on each side so phrases can anchor on word boundaries.
pub(super) struct Haystack(pub(super) String);

impl Haystack {
    pub(super) fn new(reply: &Reply) -> Haystack {
        Haystack::from_text(reply.lines.iter().map(String::as_str))
    }

    pub(super) fn from_text<'a>(parts: impl Iterator<Item = &'a str>) -> Haystack {
        let mut out = String::from(" ");
        for part in parts {
            for c in part.chars() {
                let c = match c {
                    '\u{2018}' | '\u{2019}' | '\u{201b}' | '\u{2032}' | '`' | '\u{b4}' => '\'',
                    c => c,
                };
                if c.is_whitespace() {
                    if !out.ends_with(' ') {
                        out.push(' ');
                    }
                } else {
                    out.extend(c.to_lowercase());
                }
            }
            if !out.ends_with(' ') {
                out.push(' ');
            }
        }
        Haystack(out)
    }

    /// Whether any phrase of `table` occurs.
    pub(super) fn any(&self, table: &[&str]) -> bool {
        table.iter().any(|phrase| self.has(phrase))
    }

    /// Whether `phrase` occurs (`*` standing for a short gap).
    pub(super) fn has(&self, phrase: &str) -> bool {
        match phrase.split_once('*') {
            None => self.0.contains(phrase),
            Some((head, tail)) => self
                .0
                .match_indices(head)
                .any(|(at, _)| rest_matches(&self.0[at + head.len()..], tail)),
        }
    }
}

/// Whether `pattern` (literal parts separated by `*`) matches at the start of
/// `hay`, its first literal beginning at most [`WILDCARD_GAP`] bytes in.
fn rest_matches(hay: &str, pattern: &str) -> bool {
    let (literal, more) = match pattern.split_once('*') {
        Some((literal, more)) => (literal, Some(more)),
        None => (pattern, None),
    };
    let mut from = 0;
    while let Some(found) = hay[from..].find(literal) {
        let at = from + found;
        if at > WILDCARD_GAP {
            return false;
        }
        let after = at + literal.len();
        match more {
            None => return true,
            Some(more) if rest_matches(&hay[after..], more) => return true,
            Some(_) => {}
        }
        // `literal` is never empty (a unit test checks the tables), so this
        // advances, and `after` is a char boundary because `literal` matched.
        from = after;
    }
    false
}

/// The delay a text names after a [`RETRY_TRIGGERS`] phrase, clamped to
/// `1..=MAX_RETRY_AFTER_SECS`; the earliest one in the text wins.
pub(super) fn retry_after_in(hay: &str) -> Option<u32> {
    RETRY_TRIGGERS
        .iter()
        .flat_map(|trigger| {
            hay.match_indices(trigger)
                .filter_map(move |(at, _)| Some((at, parse_duration(&hay[at + trigger.len()..])?)))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, secs)| secs.clamp(1, u64::from(MAX_RETRY_AFTER_SECS)) as u32)
}

/// Parses "5 minutes", "30s", "1 hour", "00:05:00", "05:00" or a bare number
/// of seconds at the start of `s`, in seconds.
fn parse_duration(s: &str) -> Option<u64> {
    let mut s = s;
    for filler in ["at least ", "about ", "approximately ", "another ", "some "] {
        if let Some(rest) = s.strip_prefix(filler) {
            s = rest;
        }
    }
    let (first, rest) = take_number(s)?;
    if let Some(clock) = rest.strip_prefix(':') {
        // h:mm:ss or mm:ss
        let (second, rest) = take_number(clock)?;
        return match rest.strip_prefix(':').and_then(take_number) {
            Some((third, _)) => Some(first * 3600 + second * 60 + third),
            None => Some(first * 60 + second),
        };
    }
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let word_len = rest
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(rest.len());
    let unit = match &rest[..word_len] {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return None,
    };
    Some(first.saturating_mul(unit))
}

/// A run of at most 9 ASCII digits at the start of `s`, and what follows.
fn take_number(s: &str) -> Option<(u64, &str)> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len > 9 {
        return None;
    }
    // At most nine ASCII digits: always a valid u64.
    let n = s[..len].parse().ok()?;
    Some((n, &s[len..]))
}
