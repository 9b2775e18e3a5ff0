//! The body of a `message/delivery-status` (RFC 3464 §2) or
//! `message/global-delivery-status` (RFC 6533 §6) part, and of a
//! `message/feedback-report` (RFC 5965 §3.1), which uses the same syntax:
//! header-style fields in groups separated by blank lines.
//!
//! Tolerated, because real reports do it: CRLF or LF, folded fields, blank
//! lines before the first group, fields in unexpected groups (a recipient
//! field in the first group, several recipients in one group without a blank
//! line between them), unknown fields (ignored) and invalid UTF-8 (decoded
//! lossily). Bounded: at most [`MAX_RECIPIENTS`] recipient groups and
//! [`MAX_FIELD_BYTES`] per field value.

/// The most recipient groups read from one report.
pub const MAX_RECIPIENTS: usize = 1000;

/// The most bytes kept of one field value (after unfolding).
pub const MAX_FIELD_BYTES: usize = 4096;

/// One field, name as written, value unfolded and trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field name as written (compare case-insensitively).
    pub name: String,
    /// The value, continuation lines joined with one space.
    pub value: String,
}

/// A parsed report: the per-message fields and one group per recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    /// Fields about the whole message (`Reporting-MTA`, `Arrival-Date` …).
    pub message: Vec<Field>,
    /// One list of fields per recipient (`Final-Recipient`, `Action` …).
    pub recipients: Vec<Vec<Field>>,
}

/// Fields that belong to one recipient (RFC 3464 §2.3); every other field is
/// about the message.
const RECIPIENT_FIELDS: &[&str] = &[
    "original-recipient",
    "final-recipient",
    "action",
    "status",
    "remote-mta",
    "diagnostic-code",
    "last-attempt-date",
    "final-log-id",
    "will-retry-until",
    "x-actual-recipient",
    "x-display-name",
];

/// Fields that can only appear once per recipient: seeing one again in the
/// same group means a new recipient started without a blank line.
const ONCE_PER_RECIPIENT: &[&str] = &["final-recipient", "original-recipient", "action"];

/// Looks a field up by name, case-insensitively.
pub fn get<'a>(fields: &'a [Field], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.as_str())
}

/// Parses the body of a delivery-status (or feedback-report) part.
pub fn parse(body: &[u8]) -> Groups {
    let text = String::from_utf8_lossy(body);
    let mut groups = Groups::default();
    let mut current: Vec<Field> = Vec::new();
    let mut in_recipient = false;

    let finish = |current: &mut Vec<Field>, groups: &mut Groups| {
        if !current.is_empty() && groups.recipients.len() < MAX_RECIPIENTS {
            groups.recipients.push(std::mem::take(current));
        }
        current.clear();
    };

    for field in unfold(&text) {
        let Some(field) = field else {
            // A blank line ends a recipient group.
            if in_recipient {
                finish(&mut current, &mut groups);
                in_recipient = false;
            }
            continue;
        };
        let lower = field.name.to_ascii_lowercase();
        if RECIPIENT_FIELDS.contains(&lower.as_str()) {
            let repeats = ONCE_PER_RECIPIENT.contains(&lower.as_str())
                && current.iter().any(|f| f.name.eq_ignore_ascii_case(&lower));
            if repeats {
                finish(&mut current, &mut groups);
            }
            in_recipient = true;
            current.push(field);
        } else if in_recipient {
            // An extension field inside a recipient group (X-…): keep it there.
            current.push(field);
        } else {
            groups.message.push(field);
        }
    }
    finish(&mut current, &mut groups);
    groups
}

/// The fields of `text` in order, `None` for each blank line. Lines without a
/// colon that are not continuations are skipped.
fn unfold(text: &str) -> impl Iterator<Item = Option<Field>> + '_ {
    let mut lines = text.lines().peekable();
    std::iter::from_fn(move || loop {
        let line = lines.next()?;
        if line.trim().is_empty() {
            return Some(None);
        }
        if line.starts_with([' ', '\t']) {
            // A continuation with no field before it: ignore.
            continue;
        }
        let Some((name, first)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(' ') {
            continue;
        }
        let mut value = first.trim().to_owned();
        while let Some(next) = lines.peek() {
            if !next.starts_with([' ', '\t']) || next.trim().is_empty() {
                break;
            }
            let piece = next.trim();
            if value.len() + piece.len() < MAX_FIELD_BYTES {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(piece);
            }
            lines.next();
        }
        crate::bounds::truncate(&mut value, MAX_FIELD_BYTES);
        return Some(Some(Field {
            name: name.to_owned(),
            value,
        }));
    })
}

/// A typed value (`rfc822; a@b`, `dns; mx.example.com`, `smtp; 550 …`) split
/// into its type (lower-cased) and its value; a value without a type has
/// type `""`.
pub fn typed(value: &str) -> (String, &str) {
    match value.split_once(';') {
        Some((ty, rest))
            if !ty.is_empty()
                && ty
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            (ty.to_ascii_lowercase(), rest.trim())
        }
        _ => ("".to_owned(), value.trim()),
    }
}

/// An address from a recipient field: the type removed, RFC 6533's
/// `\x{HEX}` escapes (type `utf-8`) decoded, angle brackets removed.
pub fn address(value: &str) -> Option<String> {
    let (ty, raw) = typed(value);
    let raw = raw.trim();
    // A display name or a comment around an angle address (some gateways
    // write `rfc822; John Doe <john@example.com>`): the angle address. A
    // trailing comment (`x@example.com (via alias)`) is dropped.
    let raw = match (raw.rfind('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => &raw[open + 1..close],
        _ => raw.split(" (").next().unwrap_or(raw),
    };
    let raw = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if raw.is_empty() || !raw.contains('@') {
        return None;
    }
    let decoded = match ty.as_str() {
        "utf-8" => decode_unitext(raw),
        // RFC 3461 xtext (`+2B`) is decoded only for Original-Recipient
        // ([`original_address`]): Final-Recipient carries the address
        // plainly, and guessing would turn `a+be@x` into a byte.
        _ => raw.to_owned(),
    };
    Some(decoded)
}

/// An Original-Recipient address: as [`address`], but for type `rfc822`
/// RFC 3461 xtext is decoded, since that field is the sender's ORCPT, which
/// is xtext (`a+2Bb@x.example` is `a+b@x.example`). Decoded only when every
/// `+` starts a valid `+HH` escape and the result is UTF-8, so an MTA that
/// wrote the address plainly (`tag+shop@x.example`) keeps it.
pub fn original_address(value: &str) -> Option<String> {
    let (ty, _) = typed(value);
    let plain = address(value)?;
    if ty != "rfc822" || !plain.contains('+') {
        return Some(plain);
    }
    let b = plain.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'+' {
            let hex = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'A'..=b'F' => Some(c - b'A' + 10),
                _ => None,
            };
            match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(hi), Some(lo)) => out.push(hi * 16 + lo),
                _ => return Some(plain),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .ok()
        .filter(|s| s.contains('@'))
        .or(Some(plain))
}

/// RFC 6533 `utf-8-addr-xtext` / `utf-8-addr-unitext`: `\x{HEX}` stands for
/// one code point; everything else is itself.
fn decode_unitext(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("\\x{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        let decoded = after.find('}').and_then(|end| {
            let c = u32::from_str_radix(&after[..end], 16)
                .ok()
                .and_then(char::from_u32)?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("\\x{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POSTFIX: &str = "Reporting-MTA: dns; mail.example.org\r\n\
X-Postfix-Queue-ID: 4F2A81C0\r\n\
Arrival-Date: Sat, 14 Mar 2026 10:26:50 +0100 (CET)\r\n\
\r\n\
Final-Recipient: rfc822; nobody@example.com\r\n\
Original-Recipient: rfc822;nobody@example.com\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Remote-MTA: dns; mx1.example.com\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>: Recipient address\r\n\
\x20   rejected: User unknown in virtual mailbox table\r\n\
\r\n\
Final-Recipient: rfc822; later@example.com\r\n\
Action: delayed\r\n\
Status: 4.4.1\r\n";

    #[test]
    fn reads_groups_and_folding() {
        let g = parse(POSTFIX.as_bytes());
        assert_eq!(
            get(&g.message, "reporting-mta"),
            Some("dns; mail.example.org")
        );
        assert_eq!(g.recipients.len(), 2);
        assert_eq!(
            get(&g.recipients[0], "Diagnostic-Code"),
            Some("smtp; 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table")
        );
        assert_eq!(get(&g.recipients[1], "action"), Some("delayed"));
    }

    #[test]
    fn tolerates_missing_blank_lines() {
        let g = parse(
            b"\nReporting-MTA: dns; a.example\nFinal-Recipient: rfc822; x@example.com\n\
Action: failed\nStatus: 5.1.1\nFinal-Recipient: rfc822; y@example.com\nAction: failed\nStatus: 5.2.1\n",
        );
        assert_eq!(get(&g.message, "reporting-mta"), Some("dns; a.example"));
        assert_eq!(g.recipients.len(), 2);
        assert_eq!(get(&g.recipients[1], "status"), Some("5.2.1"));
    }

    #[test]
    fn addresses_decode() {
        assert_eq!(
            address("rfc822; <Nobody@Example.com>").as_deref(),
            Some("Nobody@Example.com")
        );
        assert_eq!(
            address("utf-8; j\\x{F6}rg@b\\x{FC}cher.example").as_deref(),
            Some("jörg@bücher.example")
        );
        assert_eq!(
            address("utf-8; bad\\x{ZZ}@x.example").as_deref(),
            Some("bad\\x{ZZ}@x.example")
        );
        assert_eq!(
            address("rfc822; tag+shop@x.example").as_deref(),
            Some("tag+shop@x.example")
        );
        assert_eq!(
            address("rfc822; John Doe <John@Example.com>").as_deref(),
            Some("John@Example.com")
        );
        assert_eq!(
            address("rfc822; x@example.com (via alias)").as_deref(),
            Some("x@example.com")
        );
        assert_eq!(
            original_address("rfc822; a+2Bb@x.example").as_deref(),
            Some("a+b@x.example")
        );
        assert_eq!(
            original_address("rfc822; tag+shop@x.example").as_deref(),
            Some("tag+shop@x.example")
        );
        assert_eq!(
            original_address("rfc822; a+BE@x.example").as_deref(),
            Some("a+BE@x.example"),
            "not UTF-8: kept"
        );
        assert_eq!(
            original_address("utf-8; a+2Bb@x.example").as_deref(),
            Some("a+2Bb@x.example")
        );
        assert_eq!(address("rfc822; "), None);
        assert_eq!(address("rfc822; no-at-sign"), None);
    }

    #[test]
    fn bounded() {
        let mut body = String::new();
        for i in 0..(MAX_RECIPIENTS + 10) {
            body.push_str(&format!(
                "\nFinal-Recipient: rfc822; u{i}@x.example\nAction: failed\n"
            ));
        }
        assert_eq!(parse(body.as_bytes()).recipients.len(), MAX_RECIPIENTS);
        let long = format!("Reporting-MTA: dns; {}\n", "a".repeat(10 * MAX_FIELD_BYTES));
        assert!(parse(long.as_bytes()).message[0].value.len() <= MAX_FIELD_BYTES);
        let garbage: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let _ = parse(&garbage);
    }
}
