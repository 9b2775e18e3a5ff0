//! Bounces without a machine-readable report: the human-readable text of
//! qmail, Exim, older Exchange, Yahoo, Gmail and Outlook.com notices, and
//! the text part that accompanies many RFC 3464 reports.
//!
//! The shapes differ, but they share a grammar this module reads:
//!
//! * A failed address stands at the start of its own line, alone or followed
//!   by `:`, `...` or " on DATE": qmail and Postfix `<a@b>:`, Exim's indented
//!   `  a@b`, Sendmail's `<a@b>... User unknown`, Exchange 2003's `a@b on
//!   3/14/2026`, Microsoft 365's `a@b<mailto:a@b>`. Gmail writes it inside a
//!   sentence: "wasn't delivered to a@b because …".
//! * What went wrong follows it, up to the next address or the end of the
//!   paragraph: the remote server's reply (`550 5.1.1 …`, "Remote host said:
//!   …", "Remote Server returned '…'"), a qmail `(#5.1.1)`, or plain words.
//! * When one address failed and its paragraph quotes no reply, a reply
//!   anywhere in the notice is its reply (Gmail puts "The response from the
//!   remote server was: 550 …" paragraphs later).
//!
//! The returned copy of the original message is never read: the text is cut
//! at the usual "copy of the message" markers and at [`MAX_TEXT_BYTES`].

use super::meaning::{embedded_reply, enhanced_in};
use crate::bounds::prefix;
use crate::reply::EnhancedCode;

/// How much of a text part is read.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The most failed addresses taken from one text.
const MAX_FAILURES: usize = 200;

/// How many lines after an introduction ("Remote host said:") a reply may
/// take.
const REPLY_LINES: usize = 12;

/// How much diagnostic text is kept per address.
const MAX_DIAGNOSTIC: usize = 1000;

/// One failed address found in a text bounce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The address as written: the one mailed (for an expanded alias,
    /// Postfix's "(expanded from <…>)" or Exim's "(generated from …)").
    pub recipient: String,
    /// The address that failed, when an alias or forward led there from
    /// `recipient`.
    pub final_recipient: Option<String>,
    /// The remote reply or the words about this address, on one line.
    pub diagnostic: Option<String>,
    /// An RFC 3463 code found in those words.
    pub status: Option<EnhancedCode>,
    /// The remote host named near the address.
    pub remote_mta: Option<String>,
}

/// Lines (lower-cased, trimmed) that start the returned original message.
const COPY_MARKERS: &[&str] = &[
    "------ this is a copy of the message",
    "--- below this line is a copy of the message",
    "----- original message",
    "--- original message follows",
    "------- returned message",
    "----- unsent message below",
    "----- the header of the original message",
    "original message headers:",
    "original message:",
    "------ this is a copy of your message",
    "--- the header of the original message",
    "message headers follow",
    "----- message header follows",
    "----- original message follows",
    "----- original message headers",
    "------ original message",
    "included message:",
];

/// Header names that start a quoted copy of the original's header block
/// (lower-case, with the colon).
const HEADER_BLOCK_STARTS: &[&str] = &[
    "received:",
    "return-path:",
    "message-id:",
    "dkim-signature:",
    "mime-version:",
    "authentication-results:",
    "x-originating-ip:",
];

/// Words of a warning that delivery is only delayed (lower-case).
const DELAY_WORDS: &[&str] = &[
    "has not yet been delivered",
    "delivery attempts will continue",
    "will continue trying",
    "will continue to try",
    "this is a warning message only",
    "still being retried",
    "message delayed",
    "delivery delayed",
    "delivery is delayed",
    "will retry",
    "delivery status notification (delay)",
    "delayed mail",
];

/// Words that say delivery has ended (lower-case): they outweigh delay words
/// ("retries ran out; your message could not be delivered").
const FINAL_WORDS: &[&str] = &[
    "permanent error",
    "permanent fatal",
    "could not be delivered",
    "couldn't be delivered",
    "wasn't delivered",
    "was not delivered",
    "giving up",
    "given up",
    "gave up",
    "undeliverable",
    "delivery has failed",
    "failed permanently",
    "has been returned",
    "retry timeout exceeded",
];

/// Phrases that introduce the remote server's reply on the next lines.
const REPLY_INTRO: &[&str] = &[
    "remote host said:",
    "the response from the remote server was:",
    "the error that the other server returned was:",
    "remote server returned",
    "smtp error from remote mail server",
    "the response was:",
    "said:",
];

/// Words that put an address inside a sentence as the failed one.
const INLINE_LEADS: &[&str] = &[
    "wasn't delivered to ",
    "was not delivered to ",
    "couldn't be delivered to ",
    "could not be delivered to ",
    "delivery to the following recipient failed permanently: ",
    "delivery to ",
    "unable to deliver your message to ",
];

/// The failed addresses of a bounce's human-readable text.
pub fn failures(text: &str) -> Vec<Failure> {
    let text = cut(text);
    let lines: Vec<&str> = text.lines().collect();
    // (address, paragraph lines, final address when aliased) in order of
    // first appearance.
    let mut found: Vec<(String, Vec<String>, Option<String>)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in &lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            // A blank line ends a paragraph, unless the address stood alone
            // so far (Yahoo, Microsoft 365 leave a blank line before the
            // reason) or only an introduction followed it (Domino's
            // "because:").
            if let Some(i) = current {
                if !found[i].1.iter().all(|l| l.ends_with(':')) {
                    current = None;
                }
            }
            continue;
        }
        if let Some((address, rest, fin)) = address_line(trimmed) {
            let i = match found.iter().position(|(a, _, f)| {
                a.eq_ignore_ascii_case(&address)
                    || f.as_deref()
                        .is_some_and(|f| f.eq_ignore_ascii_case(&address))
            }) {
                Some(i) => i,
                None if found.len() < MAX_FAILURES => {
                    found.push((address, Vec::new(), fin));
                    found.len() - 1
                }
                None => continue,
            };
            if !rest.is_empty() {
                found[i].1.push(rest.to_owned());
            }
            current = Some(i);
            continue;
        }
        if let Some(i) = current {
            // Exim writes the alias the address came from on the next line.
            if let Some(original) = alias_origin(trimmed) {
                if found[i].2.is_none() {
                    let fin = std::mem::replace(&mut found[i].0, original);
                    found[i].2 = Some(fin);
                }
                continue;
            }
            found[i].1.push(trimmed.to_owned());
        }
    }
    if found.is_empty() {
        if let Some(address) = inline_address(text) {
            found.push((address, Vec::new(), None));
        }
    }
    let whole_reply = if found.len() == 1 {
        reply_anywhere(&lines)
    } else {
        None
    };
    found
        .into_iter()
        .map(|(recipient, paragraph, final_recipient)| {
            // Introductions ("because:") are not part of the reason.
            let words: Vec<&str> = paragraph
                .iter()
                .map(String::as_str)
                .filter(|l| !l.ends_with(':') || l.len() > 40)
                .collect();
            let joined = bounded(words.join(" "));
            let reply_in_paragraph = paragraph.iter().find_map(|l| reply_text(l));
            let diagnostic = reply_in_paragraph
                .or_else(|| whole_reply.clone())
                .or_else(|| (!joined.is_empty()).then(|| joined.clone()));
            let status = diagnostic
                .as_deref()
                .and_then(|d| {
                    embedded_reply(d)
                        .and_then(|r| r.enhanced)
                        .or_else(|| enhanced_in(d))
                })
                .or_else(|| enhanced_in(&joined));
            Failure {
                recipient,
                final_recipient,
                remote_mta: remote_host(&joined),
                diagnostic,
                status,
            }
        })
        .collect()
}

/// The returned original message's headers, when the text quotes them
/// after a "copy of the message" marker (qmail, Exim, Yahoo, Exchange).
pub fn returned_headers(text: &str) -> Option<&str> {
    let text = prefix(text, MAX_TEXT_BYTES);
    let at = cut(text).len();
    if at == text.len() {
        return None;
    }
    // Skip the marker line and blank lines; the headers follow.
    let rest = &text[at..];
    let rest = rest.split_once('\n').map_or("", |(_, r)| r);
    Some(rest.trim_start_matches(['\r', '\n']))
}

/// `text` up to the returned original message and at most [`MAX_TEXT_BYTES`].
fn cut(text: &str) -> &str {
    let text = prefix(text, MAX_TEXT_BYTES);
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let lower = line.trim().to_ascii_lowercase();
        if COPY_MARKERS.iter().any(|m| lower.starts_with(m)) {
            return &text[..offset];
        }
        // A quoted header block with no marker before it (Sendmail's
        // non-MIME bounces, hand-made notices): a header that only starts
        // one, at the left margin, followed by another header line.
        let at_margin = !line.starts_with([' ', '\t']);
        if at_margin
            && HEADER_BLOCK_STARTS.iter().any(|h| lower.starts_with(h))
            && lines.peek().is_some_and(|next| is_header_line(next))
        {
            return &text[..offset];
        }
        offset += line.len();
    }
    text
}

/// `Name: value` or a folded continuation of one.
fn is_header_line(line: &str) -> bool {
    if line.starts_with([' ', '\t']) {
        return !line.trim().is_empty();
    }
    line.split_once(':').is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// Whether a text bounce is only a warning that delivery is delayed and
/// still being tried (Exim's "has not yet been delivered", Sendmail's
/// "Warning: could not send message for past 4 hours"): it names the
/// address, but nothing has failed yet.
pub fn is_delay_warning(subject: &str, text: &str) -> bool {
    let subject = subject.to_ascii_lowercase();
    let body = cut(text).to_ascii_lowercase();
    let delayed = DELAY_WORDS
        .iter()
        .any(|w| body.contains(w) || subject.contains(w))
        || (subject.starts_with("warning:")
            && (subject.contains("delayed") || subject.contains("could not send")));
    delayed && !FINAL_WORDS.iter().any(|w| body.contains(w))
}

/// The original address of an alias expansion: `(expanded from <a@b>)`
/// (Postfix) or `(generated from a@b)` (Exim), at the start of `s`.
fn alias_origin(s: &str) -> Option<String> {
    let lower = s.get(..s.len().min(20))?.to_ascii_lowercase();
    let rest = if lower.starts_with("(expanded from ") {
        &s["(expanded from ".len()..]
    } else if lower.starts_with("(generated from ") {
        &s["(generated from ".len()..]
    } else {
        return None;
    };
    let end = rest.find(')')?;
    clean_address(rest[..end].trim())
}

/// A line that starts with a failed address: the address (the alias it was
/// expanded from, when the line says so), the text after it on the same
/// line, and the expanded address when there was an alias.
fn address_line(line: &str) -> Option<(String, &str, Option<String>)> {
    // Header-like lines ("To: a@b", "Final-Recipient: rfc822; a@b") are not
    // failure lines.
    let first = line.split_whitespace().next()?;
    if first.ends_with(':') && !first.contains('@') {
        return None;
    }
    let (token, rest) = split_token(line);
    let address = clean_address(token)?;
    let rest = rest.trim_start();
    // Postfix: "<target@x> (expanded from <alias@y>): host … said: …"
    if let Some(original) = alias_origin(rest) {
        let after = rest.find(')').map_or("", |i| &rest[i + 1..]);
        let after = after.trim_start().strip_prefix(':').unwrap_or(after).trim();
        return Some((original, after, Some(address)));
    }
    let rest = rest
        .strip_prefix("...")
        .or_else(|| rest.strip_prefix(':'))
        .unwrap_or(rest)
        .trim();
    // After the address: nothing, a separator, or Exchange's " on DATE".
    let separated = token.ends_with(':')
        || token.ends_with("...")
        || rest.is_empty()
        || line[token.len()..].trim_start().starts_with("...")
        || line[token.len()..].trim_start().starts_with(':')
        || rest.to_ascii_lowercase().starts_with("on ");
    if !separated {
        return None;
    }
    let rest = if rest.to_ascii_lowercase().starts_with("on ") {
        ""
    } else {
        rest
    };
    Some((address, rest, None))
}

/// The first white-space-free token of `line` and what follows it; a token
/// ending in `...` is cut there.
fn split_token(line: &str) -> (&str, &str) {
    let end = line.find(char::is_whitespace).unwrap_or(line.len());
    let token = &line[..end];
    match token.find("...") {
        Some(dots) if dots > 0 => (&line[..dots], &line[dots..]),
        _ => (token, &line[end..]),
    }
}

/// An address from a token: `<a@b>:`, `a@b`, `a@b<mailto:a@b>`, `"a@b"`.
fn clean_address(token: &str) -> Option<String> {
    let token = token.split("<mailto:").next().unwrap_or(token);
    let token = token
        .trim_end_matches([':', ',', ';', '.'])
        .trim_matches(|c| matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']'));
    let at = token.rfind('@')?;
    let (local, domain) = (&token[..at], &token[at + 1..]);
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !token.contains(['<', '>', '(', ')', ',', ';', '/'])
        && !token.contains("://");
    plausible.then(|| token.to_owned())
}

/// An address named inside a sentence as the failed one (Gmail, Outlook.com).
fn inline_address(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    INLINE_LEADS.iter().find_map(|lead| {
        let at = lower.find(lead)? + lead.len();
        let rest = &text[at..];
        let (token, _) = split_token(rest.trim_start());
        clean_address(token)
    })
}

/// The reply on `line`, if it holds one: from the code to the end of line.
fn reply_text(line: &str) -> Option<String> {
    let reply = embedded_reply(line)?;
    // Keep the words as they stand in the bounce, from the code on.
    let start = line.find(&reply.code.to_string())?;
    Some(
        bounded(
            line[start..]
                .trim_end_matches(['\'', '"', ')', '#', ' '])
                .to_owned(),
        )
        .trim()
        .to_owned(),
    )
}

/// A reply quoted anywhere in the text after a [`REPLY_INTRO`] phrase, or a
/// line that is itself a reply.
fn reply_anywhere(lines: &[&str]) -> Option<String> {
    for (i, line) in lines.iter().enumerate() {
        let lower = line.to_ascii_lowercase();
        if let Some(intro) = REPLY_INTRO.iter().find(|p| lower.contains(*p)) {
            let after = &line[lower.find(intro).unwrap_or(0) + intro.len()..];
            if let Some(r) = reply_text(after) {
                return Some(r);
            }
            // The reply is on the following non-blank lines; join a folded
            // multi-line reply.
            let mut parts = Vec::new();
            // A reply is a few lines: bounded, so a text full of "said:"
            // costs linear time.
            for next in lines[i + 1..].iter().take(REPLY_LINES).map(|l| l.trim()) {
                if next.is_empty() {
                    if parts.is_empty() {
                        continue;
                    }
                    break;
                }
                parts.push(next);
            }
            if let Some(r) = reply_text(&parts.join(" ")) {
                return Some(r);
            }
        }
    }
    lines.iter().find_map(|l| {
        let t = l.trim_start();
        t.starts_with(['4', '5']).then(|| reply_text(t)).flatten()
    })
}

/// A remote host named in a paragraph: Exim/Postfix "host mx.example.com
/// [192.0.2.1]" or qmail "192.0.2.1 does not like recipient".
fn remote_host(paragraph: &str) -> Option<String> {
    let words: Vec<&str> = paragraph.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if w.eq_ignore_ascii_case("host") {
            if let Some(next) = words.get(i + 1) {
                let name = next
                    .split('[')
                    .next()
                    .unwrap_or(next)
                    .trim_end_matches([':', ',']);
                if name.contains('.') && !name.contains('@') {
                    return Some(name.to_owned());
                }
            }
        }
        if i + 3 < words.len()
            && words[i + 1] == "does"
            && words[i + 2] == "not"
            && words[i + 3] == "like"
        {
            return Some(w.trim_end_matches(':').to_owned());
        }
    }
    None
}

fn bounded(mut s: String) -> String {
    crate::bounds::truncate(&mut s, MAX_DIAGNOSTIC);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Failure {
        let f = failures(text);
        assert_eq!(f.len(), 1, "{f:?}");
        f.into_iter().next().unwrap()
    }

    #[test]
    fn qmail() {
        let f = one("Hi. This is the qmail-send program at mail.example.org.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\n\
<nobody@example.com>:\n192.0.2.7 does not like recipient.\n\
Remote host said: 550 5.1.1 <nobody@example.com>: no such user\nGiving up on 192.0.2.7.\n\n\
--- Below this line is a copy of the message.\n\nTo: other@example.net\n");
        assert_eq!(f.recipient, "nobody@example.com");
        assert_eq!(
            f.diagnostic.as_deref(),
            Some("550 5.1.1 <nobody@example.com>: no such user")
        );
        assert_eq!(f.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
        assert_eq!(f.remote_mta.as_deref(), Some("192.0.2.7"));
    }

    #[test]
    fn qmail_local() {
        let f = one("<gone@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n");
        assert_eq!(f.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
        assert_eq!(
            f.diagnostic.as_deref(),
            Some("Sorry, no mailbox here by that name. (#5.1.1)")
        );
    }

    #[test]
    fn exim() {
        let f = one(
            "A message that you sent could not be delivered to one or more of its\n\
recipients. This is a permanent error. The following address(es) failed:\n\n\
  nobody@example.com\n    host mx1.example.com [192.0.2.1]\n\
    SMTP error from remote mail server after RCPT TO:<nobody@example.com>:\n\
    550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown\n",
        );
        assert_eq!(f.recipient, "nobody@example.com");
        assert_eq!(f.remote_mta.as_deref(), Some("mx1.example.com"));
        assert!(f
            .diagnostic
            .unwrap()
            .starts_with("550 5.1.1 <nobody@example.com>"));
    }

    #[test]
    fn sendmail_and_exchange() {
        let f = one("<x@example.com>... User unknown\n");
        assert_eq!(
            (f.recipient.as_str(), f.diagnostic.as_deref()),
            ("x@example.com", Some("User unknown"))
        );
        let f = one("Your message did not reach some or all of the intended recipients.\n\n\
      x@example.com on 3/14/2026 9:26 AM\n            The e-mail account does not exist at the organization this message was sent to.\n\
            <mail.example.com #5.1.1>\n");
        assert_eq!(f.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
        let f = one("Delivery has failed to these recipients or groups:\n\nx@example.com<mailto:x@example.com>\n\
The email address you entered couldn't be found.\n\nDiagnostic information for administrators:\n\n\
x@example.com\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\n");
        assert_eq!(
            f.diagnostic.as_deref(),
            Some("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup")
        );
    }

    #[test]
    fn gmail_inline() {
        let f = one("Address not found\n\nYour message wasn't delivered to gone@example.com because the address couldn't be found, or is unable to receive mail.\n\n\
The response from the remote server was:\n550 5.1.1 The email account that you tried to reach does not exist.\n");
        assert_eq!(f.recipient, "gone@example.com");
        assert_eq!(
            f.diagnostic.as_deref(),
            Some("550 5.1.1 The email account that you tried to reach does not exist.")
        );
    }

    #[test]
    fn ignores_headers_and_the_copy() {
        assert!(failures("To: someone@example.com\nFrom: me@example.org\n\nHello\n").is_empty());
        assert!(
            failures("Hi\n------ This is a copy of the message\n<a@example.com>:\n550 no\n")
                .is_empty()
        );
        let many: String = (0..500)
            .map(|i| format!("<u{i}@example.com>:\n550 no\n\n"))
            .collect();
        assert_eq!(failures(&many).len(), MAX_FAILURES);
    }
}
