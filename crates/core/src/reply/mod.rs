//! SMTP replies: parsing (RFC 5321 §4.2, RFC 3463 / RFC 2034 enhanced status
//! codes) and the one place that decides what a reply means for an address.
//!
//! # Parsing
//!
//! [`Reply::parse`] reads one complete reply; [`ReplyParser`] reads one line at
//! a time for the probe (sans I/O). Both accept CRLF or bare LF, a missing
//! final line end, leading blanks before the code and invalid UTF-8 (decoded
//! lossily), and both are bounded: [`MAX_REPLY_LINES`] lines,
//! [`MAX_REPLY_BYTES`] bytes per reply and [`MAX_LINE_BYTES`] per line (a line
//! longer than RFC 5321's 512 octets is truncated to [`MAX_LINE_KEPT`], one
//! longer than the hard bound is an error). All lines must carry the same code.
//!
//! The enhanced code is the one at the start of the first line's text or, if
//! that has none, of the last line's (RFC 2034 wants it on every line; servers
//! that put it on one line put it on the first or the last). It is stripped,
//! with the blanks after it, from every line that starts with it. Its class is
//! not required to match the reply code (Gmail sends `421 5.7.32`); the basic
//! code decides what is transient.
//!
//! # Classification
//!
//! [`classify()`] maps a reply at a [`Stage`] to a [`Reason`](crate::Reason).
//! Text is matched case-insensitively against the phrase tables of
//! `reply/phrases.rs` (plain data, each phrase with its provider or MTA).
//!
//! Any stage: 2xx is `ok`; 421 is `temporary_failure`; 1xx (and 3xx except at
//! [`Stage::Other`]) is `smtp_unavailable`, the server is not speaking SMTP.
//!
//! * [`Stage::Banner`]: 4xx → `temporary_failure`. 5xx → `blocked` when the
//!   text names a policy or blocklist reason, else `smtp_unavailable` for
//!   `521` (RFC 7504) or a "no SMTP service" text (RFC 5321 §3.1), else
//!   `blocked`.
//! * [`Stage::Ehlo`], [`Stage::MailFrom`]: 4xx → `temporary_failure`, 5xx →
//!   `blocked` (the refusal can only be about us).
//! * [`Stage::Rset`], [`Stage::Other`]: 4xx → `temporary_failure`, 5xx →
//!   `blocked` with a policy text, else `rejected`.
//! * [`Stage::RcptTo`], 4xx: `mailbox_full` for x.2.2 or a quota text (unless
//!   the text is about a rate limit or greylisting: Stalwart greylists with
//!   `422 4.2.2`), else `temporary_failure`. A 4xx is
//!   the server's own word that the condition is transient, so it never gives
//!   an `invalid` reason — not even "450 4.1.1 user unknown" (Postfix
//!   soft-bounce, address verification in progress) or "account temporarily
//!   disabled": DESIGN's "disabled text under any code" is read as any *5xx*
//!   code.
//! * [`Stage::RcptTo`], 5xx: the first step that matches decides.
//!   1. 5.1.7 / 5.1.8, or a text about *us* (blocklist, reputation, rDNS/PTR,
//!      HELO, our sender, SPF/DKIM/DMARC) → `blocked`. A server that refused
//!      us by policy said nothing reliable about the mailbox, so this outranks
//!      every mailbox reason: "550 5.1.1 … blocked using Spamhaus" is `blocked`.
//!   2. A receive-rate or connection limit text → `temporary_failure` (Gmail's
//!      "550 5.2.1 … receiving mail at a rate that prevents additional
//!      messages" is a live mailbox).
//!   3. x.2.2 or a quota text → `mailbox_full`. Quota outranks disabled and
//!      unknown-user texts: it is specific, and `risky` is the safer error
//!      (Gmail's "out of storage space and inactive", qmail's "user over
//!      quota (#5.1.1)").
//!   4. A disabled / suspended / inactive / locked / closed / expired text →
//!      `mailbox_disabled`, whatever the enhanced code (`550 5.1.1 Inactive
//!      mbox`).
//!   5. An unknown-user text → `does_not_exist`, whatever the enhanced code
//!      (Yandex `550 5.7.1 No such user!`, AT&T `550 5.2.1 … Addressee
//!      unknown`). Two provider texts count only under their code:
//!      Microsoft 365 `5.4.1 Recipient address rejected: Access denied`
//!      (directory-based edge blocking) and Outlook.com `5.5.0 … mailbox
//!      unavailable`. The bare RFC 5321 text "mailbox unavailable" is never
//!      enough.
//!   6. A rule aimed at this recipient (Postfix `554 5.7.1 Recipient address
//!      rejected: Access denied`, Yandex "Policy rejection on Target
//!      Address") → `rejected`.
//!   7. Vaguer policy words (blocked, policy, spam, denied, relaying …) →
//!      `blocked`. They lose to mailbox texts but beat a bare code:
//!      "550 5.2.1 … blocked by policy" is not a disabled mailbox.
//!   8. The enhanced code alone: 5.1.1, 5.1.6, 5.1.10 → `does_not_exist`;
//!      5.2.1 → `mailbox_disabled`; 5.7.x → `blocked`.
//!   9. Anything else (5.1.0, 5.1.3, 5.5.x, a bare 550 …) → `rejected`: a rule
//!      we lack must never make a good address `invalid`.
//!
//! The principle: text beats code; text about us beats text about the
//! mailbox; specific mailbox texts beat vague policy words; and doubt never
//! yields `invalid`.
//!
//! `retry_after` (only with `temporary_failure`): the delay the text names
//! ("try again in 5 minutes", "retry in 30s", "come back in 00:05:00"),
//! clamped to [`MAX_RETRY_AFTER_SECS`]; otherwise [`GREYLIST_RETRY_SECS`] for
//! greylisting, [`RATE_LIMIT_RETRY_SECS`] for rate limits and
//! [`TEMPORARY_RETRY_SECS`] for anything else.

use std::fmt;
use std::str::FromStr;

mod phrases;
mod rules;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;

pub use rules::{
    classify, Classification, Stage, GREYLIST_RETRY_SECS, MAX_RETRY_AFTER_SECS,
    RATE_LIMIT_RETRY_SECS, TEMPORARY_RETRY_SECS,
};

/// The most lines one reply may have.
pub const MAX_REPLY_LINES: usize = 100;

/// The most bytes one reply may have, line ends included.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// The hard bound on one line, line end excluded; a longer line is an error.
pub const MAX_LINE_BYTES: usize = 4096;

/// How much of a line is kept, code included: RFC 5321 §4.5.3.1.5 allows 512
/// octets with the CRLF. Longer lines (up to [`MAX_LINE_BYTES`]) are truncated
/// at a character boundary, not refused.
pub const MAX_LINE_KEPT: usize = 510;

/// An RFC 3463 enhanced status code, such as `5.2.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedCode {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    pub class: u8,
    /// 0–999: the kind of problem (1 addressing, 2 mailbox, 7 security or policy …).
    pub subject: u16,
    /// 0–999: the detail within the subject.
    pub detail: u16,
}

/// A string that is not an RFC 3463 enhanced status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an enhanced status code (class.subject.detail with class 2, 4 or 5 and 1-3 digit subject and detail): {0:?}")]
pub struct EnhancedCodeError(pub String);

impl EnhancedCode {
    /// The code, if `class` is 2, 4 or 5 and `subject` and `detail` are at most 999.
    pub fn new(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
        (matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999).then_some(EnhancedCode {
            class,
            subject,
            detail,
        })
    }

    /// Parses `"5.2.1"`: the whole string, nothing before or after.
    pub fn parse(s: &str) -> Result<EnhancedCode, EnhancedCodeError> {
        match EnhancedCode::parse_prefix(s) {
            Some((code, len)) if len == s.len() => Ok(code),
            _ => Err(EnhancedCodeError(s.to_owned())),
        }
    }

    /// An enhanced code at the start of `s`, and its length in bytes.
    fn parse_prefix(s: &str) -> Option<(EnhancedCode, usize)> {
        let b = s.as_bytes();
        let class = match b.first()? {
            c @ (b'2' | b'4' | b'5') => c - b'0',
            _ => return None,
        };
        if b.get(1) != Some(&b'.') {
            return None;
        }
        let (subject, sub_len) = digits(&b[2..])?;
        let at = 2 + sub_len;
        if b.get(at) != Some(&b'.') {
            return None;
        }
        let (detail, det_len) = digits(&b[at + 1..])?;
        Some((
            EnhancedCode {
                class,
                subject,
                detail,
            },
            at + 1 + det_len,
        ))
    }
}

/// One to three ASCII digits at the start of `b` (and no fourth), with their count.
fn digits(b: &[u8]) -> Option<(u16, usize)> {
    let len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=3).contains(&len) {
        return None;
    }
    Some((
        b[..len].iter().fold(0, |n, c| n * 10 + u16::from(c - b'0')),
        len,
    ))
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl FromStr for EnhancedCode {
    type Err = EnhancedCodeError;

    fn from_str(s: &str) -> Result<EnhancedCode, EnhancedCodeError> {
        EnhancedCode::parse(s)
    }
}

/// Why bytes are not an acceptable SMTP reply. Line numbers count from 1
/// within the reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// No bytes at all.
    #[error("empty reply")]
    Empty,
    /// A line that does not start with a three-digit code (first digit 1–5)
    /// followed by a space, a hyphen or the line end, or that holds a line
    /// break inside.
    #[error("line {line} is not an SMTP reply line")]
    Malformed {
        /// The offending line.
        line: usize,
    },
    /// A line whose code differs from the first line's.
    #[error("line {line} has reply code {found}, but the reply started with {expected}")]
    InconsistentCode {
        /// The offending line.
        line: usize,
        /// The first line's code.
        expected: u16,
        /// This line's code.
        found: u16,
    },
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error("line {line} is {len} bytes long; the limit is {MAX_LINE_BYTES}")]
    LineTooLong {
        /// The offending line.
        line: usize,
        /// Its length, line end excluded.
        len: usize,
    },
    /// More than [`MAX_REPLY_LINES`] lines.
    #[error("the reply has more than {MAX_REPLY_LINES} lines")]
    TooManyLines,
    /// More than [`MAX_REPLY_BYTES`] bytes.
    #[error("the reply is longer than {MAX_REPLY_BYTES} bytes")]
    TooLong,
    /// The input ended before the final line (one without `-` after the code).
    #[error("the reply ended before its final line")]
    Incomplete,
    /// Bytes after the final line.
    #[error("data after the final line of the reply")]
    TrailingData,
}

/// One complete SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    /// The three-digit reply code, such as 550.
    pub code: u16,
    /// The RFC 3463 enhanced status code, when the server sent one.
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line, without the code, the separator and the enhanced
    /// code (where stripped; see the module doc), trailing blanks removed.
    pub lines: Vec<String>,
}

impl Reply {
    /// Parses one complete reply (possibly multi-line). See the module doc for
    /// what is tolerated and what is bounded.
    pub fn parse(raw: &[u8]) -> Result<Reply, ReplyError> {
        if raw.is_empty() {
            return Err(ReplyError::Empty);
        }
        if raw.len() > MAX_REPLY_BYTES {
            return Err(ReplyError::TooLong);
        }
        let mut parser = ReplyParser::new();
        let mut consumed = 0;
        for line in raw.split_inclusive(|&b| b == b'\n') {
            consumed += line.len();
            if let Some(reply) = parser.push_line(line)? {
                return if consumed == raw.len() {
                    Ok(reply)
                } else {
                    Err(ReplyError::TrailingData)
                };
            }
        }
        Err(ReplyError::Incomplete)
    }

    /// The text of all lines joined by a space.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// A 2xx reply.
    pub fn is_positive(&self) -> bool {
        self.code / 100 == 2
    }

    /// A 4xx reply: a transient failure.
    pub fn is_transient(&self) -> bool {
        self.code / 100 == 4
    }

    /// A 5xx reply: a permanent failure.
    pub fn is_permanent(&self) -> bool {
        self.code / 100 == 5
    }
}

/// One line of a reply being read: its text and the enhanced code at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingLine {
    text: String,
    /// The code at the start of `text` and where the text after it (and its
    /// blanks) begins.
    enhanced: Option<(EnhancedCode, usize)>,
}

/// Reads a reply one line at a time, as the probe receives it.
///
/// Feed each line (with or without its line end) to
/// [`push_line`](ReplyParser::push_line); it returns the [`Reply`] when the
/// final line arrives and is then ready for the next reply. After an error it
/// is reset too, but the connection's framing is lost: close it.
#[derive(Debug, Clone, Default)]
pub struct ReplyParser {
    code: Option<u16>,
    lines: Vec<PendingLine>,
    bytes: usize,
}

impl ReplyParser {
    /// A parser waiting for the first line of a reply.
    pub fn new() -> ReplyParser {
        ReplyParser::default()
    }

    /// Forgets any lines of an unfinished reply.
    pub fn reset(&mut self) {
        *self = ReplyParser::default();
    }

    /// Whether some lines of a reply have arrived but not its final line.
    pub fn in_progress(&self) -> bool {
        !self.lines.is_empty()
    }

    /// Takes one line; `Ok(Some(reply))` when it was the final one, `Ok(None)`
    /// when more lines are expected. The line end (`\r\n` or `\n`) is optional.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ReplyError> {
        let result = self.take_line(line);
        if !matches!(result, Ok(None)) {
            self.reset();
        }
        result
    }

    fn take_line(&mut self, raw: &[u8]) -> Result<Option<Reply>, ReplyError> {
        let line_no = self.lines.len() + 1;
        self.bytes += raw.len();
        if self.bytes > MAX_REPLY_BYTES {
            return Err(ReplyError::TooLong);
        }
        if line_no > MAX_REPLY_LINES {
            return Err(ReplyError::TooManyLines);
        }
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > MAX_LINE_BYTES {
            return Err(ReplyError::LineTooLong {
                line: line_no,
                len: line.len(),
            });
        }
        if line.contains(&b'\n') {
            return Err(ReplyError::Malformed { line: line_no });
        }
        let start = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let malformed = ReplyError::Malformed { line: line_no };
        let (code, last, text) = match &line[start..] {
            [a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', rest @ ..] => {
                let code =
                    u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
                match rest {
                    [] => (code, true, rest),
                    [b' ', text @ ..] => (code, true, text),
                    [b'-', text @ ..] => (code, false, text),
                    _ => return Err(malformed),
                }
            }
            _ => return Err(malformed),
        };
        match self.code {
            None => self.code = Some(code),
            Some(expected) if expected != code => {
                return Err(ReplyError::InconsistentCode {
                    line: line_no,
                    expected,
                    found: code,
                });
            }
            Some(_) => {}
        }
        let mut text = String::from_utf8_lossy(text).into_owned();
        // Keep at most MAX_LINE_KEPT bytes of the line: the code and its
        // separator take four.
        let budget = MAX_LINE_KEPT - 4;
        crate::bounds::truncate(&mut text, budget);
        text.truncate(text.trim_end_matches([' ', '\t', '\r']).len());
        let enhanced = EnhancedCode::parse_prefix(&text).and_then(|(code, len)| {
            let rest = &text[len..];
            let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            // An enhanced code must be followed by a blank or end the line.
            (rest.is_empty() || blanks > 0).then_some((code, len + blanks))
        });
        self.lines.push(PendingLine { text, enhanced });
        if !last {
            return Ok(None);
        }
        Ok(Some(self.finish(code)))
    }

    fn finish(&mut self, code: u16) -> Reply {
        let lines = std::mem::take(&mut self.lines);
        let first = lines.first().and_then(|l| l.enhanced).map(|(c, _)| c);
        let enhanced = first.or_else(|| lines.last().and_then(|l| l.enhanced).map(|(c, _)| c));
        let lines = lines
            .into_iter()
            .map(|mut l| match l.enhanced {
                Some((c, skip)) if Some(c) == enhanced => l.text.split_off(skip),
                _ => l.text,
            })
            .collect();
        Reply {
            code,
            enhanced,
            lines,
        }
    }
}
