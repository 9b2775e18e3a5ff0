//! Postfix's log lines: what our own MTA saw when it delivered.
//!
//! A `status=bounced` line is the commonest hard bounce there is (the
//! remote server refused the recipient during our own SMTP session), and it
//! needs no DSN to be believed: our MTA wrote it. [`parse_line`] reads the
//! lines that matter, joined by the caller on their queue ID:
//!
//! | line | [`Event`] |
//! |---|---|
//! | `cleanup[…]: QUEUEID: message-id=<…>` | [`Event::MessageId`]: the message's Message-ID |
//! | `smtp`, `lmtp`, `local`, `virtual`, `pipe`, `error`, `retry`, `discard`: `QUEUEID: to=<…>, [orig_to=<…>,] relay=…, …, dsn=…, status=… (…)` | [`Event::Delivery`]: one recipient's outcome |
//! | `qmgr[…]: QUEUEID: from=<…>, status=expired, returned to sender` | [`Event::Expired`]: the deferred recipients gave up |
//! | `qmgr[…]: QUEUEID: from=<…>, size=…, nrcpt=… (queue active)` | [`Event::Queued`]: the message's envelope sender |
//! | `bounce[…]: QUEUEID: sender non-delivery notification: QUEUEID2` | [`Event::Notified`]: a DSN (queued as QUEUEID2) went to the sender |
//!
//! Every other line (connections, `NOQUEUE` rejections of mail *to* us,
//! TLS, warnings, `pickup`, `qmgr`'s `from=` lines) is `None`. A delivery
//! line is known by its text, not by the daemon's name: master.cf services
//! are often logged under their own names (`postfix/relay`,
//! `postfix/dovecot`).
//!
//! [`LogLine::bounce`] turns a `status=bounced` line into a [`Bounce`]:
//! the recipient is `orig_to` when logged (the address that was mailed,
//! before an alias or canonical rewrite) else `to`; the status is `dsn=`;
//! the diagnostic is the remote server's reply after `said:` (or `refused
//! to talk to me:`), without Postfix's `(in reply to … command)`, else the
//! whole parenthesised text (`unknown user: "x"`, `Host or domain name not
//! found. …`); kind and reason come from [`super::meaning::judge`];
//! `remote_mta` is the relay's host name; `reporting_mta` the log line's
//! host; `arrival_date` the line's time less `delay=`. The Message-ID is
//! not on the line: the caller joins it by queue ID.
//!
//! # Timestamps
//!
//! - RFC 3339, as rsyslog (Debian's default since 12), syslog-ng and
//!   `journalctl -o short-iso` write it: `2026-12-08T03:09:43.123456+00:00`,
//!   also with `Z` or `+0000`.
//! - Classic syslog, with no year and no zone: `Dec  8 03:09:43`, and the
//!   zero-padded `Dec 08 03:09:43` of Postfix's own `maillog_file`. The
//!   year is the reference time's (the CLI passes now), or the one before
//!   when that would put the
//!   line more than a day after the reference. The time is read as UTC: a
//!   host on another zone is off by its offset, hours, which bounce timing
//!   (days) does not feel.
//!
//! A line whose time cannot be read still parses, with `at: None`.
//!
//! # Input
//!
//! Lines are `&str`: the caller decodes each line lossily
//! (`String::from_utf8_lossy`); an address or reply with invalid bytes then
//! holds U+FFFD and fails the suppression key, as it should. Parsing is a
//! few linear scans with no backtracking; a line over [`MAX_LINE_BYTES`]
//! (no syslog writes one: rsyslog's default limit is 8 KiB) is not read.
//!
//! The line shapes here were taken from Postfix 3.7.11's own log
//! (`maillog_file`), made by sending through a second Postfix to the test
//! peer of `tests/peers/postfix.sh`; the replies quoted are that peer's.

use crate::reply::EnhancedCode;
use crate::suppression::trust::MAX_MESSAGE_ID;
use crate::suppression::BounceReason;
use crate::time::{parse_rfc3339_ms, StoreTime};

use super::{meaning, Action, Bounce, Kind};

/// Longer lines are not read.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Non-empty lines [`looks_like_log`] reads, at most.
const SNIFF_LINES: usize = 64;

/// One line that matters (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it was logged, if the timestamp could be read.
    pub at: Option<StoreTime>,
    /// The host that logged it (syslog's host field).
    pub host: String,
    /// The syslog tag without the process ID: `postfix/smtp`,
    /// `postfix-out/smtp` (a second instance), `postfix/submission/smtpd`.
    pub program: String,
    /// The queue ID: short (`3F2A41C0B2`, hex) or long
    /// (`4jk49B6btWz1XZnm`, `enable_long_queue_ids`).
    pub queue_id: String,
    /// What it says.
    pub event: Event,
}

/// What a line says about its queue ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `cleanup`'s `message-id=`: the Message-ID, without angle brackets.
    MessageId(String),
    /// One recipient's delivery attempt.
    Delivery(Delivery),
    /// `qmgr`'s `status=expired, returned to sender`: recipients still
    /// deferred were given up on; their last [`Delivery`] says why.
    Expired {
        /// The envelope sender (empty for the null sender).
        from: String,
    },
    /// `qmgr`'s `from=<…>, size=…, nrcpt=… (queue active)`: the message's
    /// envelope sender, logged before its deliveries.
    Queued {
        /// The envelope sender (empty for the null sender).
        from: String,
    },
    /// `bounce`'s `… notification: QUEUEID2`: a report about this message
    /// was queued as `queue_id`.
    Notified {
        /// `sender non-delivery`, `sender delay`, `sender delivery status`,
        /// `postmaster non-delivery` …
        notice: String,
        /// The report's own queue ID.
        queue_id: String,
    },
}

/// A delivery line's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `to=`: the recipient as delivered (after aliases and rewriting).
    pub to: String,
    /// `orig_to=`: the recipient as the message was sent, when it differs.
    pub orig_to: Option<String>,
    /// `relay=`: `mx.example.com[192.0.2.1]:25`, `local`, … (`none` is
    /// `None`).
    pub relay: Option<String>,
    /// `delay=` in whole seconds: since the message arrived.
    pub delay_secs: Option<u64>,
    /// `dsn=`: the RFC 3463 status.
    pub dsn: Option<EnhancedCode>,
    /// `status=`.
    pub status: DeliveryStatus,
    /// The parenthesised text after the status, without its parentheses.
    pub text: String,
    /// The remote server's own reply inside `text` (after `said:` or
    /// `refused to talk to me:`), without `(in reply to … command)`.
    pub said: Option<String>,
}

/// A delivery line's `status=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Delivered (or handed on).
    Sent,
    /// Refused for good: a bounce.
    Bounced,
    /// Refused for now; Postfix will try again (or expire it).
    Deferred,
    /// Anything else (`SOFTBOUNCE`, `undeliverable`, `deliverable` from
    /// address verification …), as logged.
    Other(String),
}

impl LogLine {
    /// The bounce a `status=bounced` delivery line is (see the module doc);
    /// `None` for any other line, or when it names no recipient.
    pub fn bounce(&self) -> Option<Bounce> {
        match &self.event {
            Event::Delivery(d) if d.status == DeliveryStatus::Bounced => self.to_bounce(d),
            _ => None,
        }
    }

    /// The bounce a `status=deferred` line becomes once its queue ID's
    /// [`Event::Expired`] line follows (Postfix gave up and returned the
    /// message): judged like any other, so a 4xx stays soft. `None` for any
    /// other line.
    pub fn bounce_on_expiry(&self) -> Option<Bounce> {
        match &self.event {
            Event::Delivery(d) if d.status == DeliveryStatus::Deferred => self.to_bounce(d),
            _ => None,
        }
    }

    fn to_bounce(&self, d: &Delivery) -> Option<Bounce> {
        let recipient = d.orig_to.as_deref().unwrap_or(&d.to);
        if recipient.is_empty() {
            return None;
        }
        let final_recipient = (d.orig_to.is_some() && !d.to.eq_ignore_ascii_case(recipient))
            .then(|| d.to.clone())
            .filter(|t| !t.is_empty());
        let diagnostic = d.said.as_deref().unwrap_or(&d.text).trim().to_owned();
        let diagnostic = (!diagnostic.is_empty()).then_some(diagnostic);
        let (kind, reason): (Kind, BounceReason) = meaning::judge(d.dsn, diagnostic.as_deref());
        let status = d.dsn.or_else(|| {
            diagnostic
                .as_deref()
                .and_then(meaning::embedded_reply)
                .and_then(|r| r.enhanced)
        });
        Some(Bounce {
            recipient: recipient.to_owned(),
            final_recipient,
            action: Action::Failed,
            status: status.map(|s| s.to_string()),
            diagnostic_code: diagnostic,
            remote_mta: d.relay.as_deref().and_then(relay_host),
            reporting_mta: (!self.host.is_empty()).then(|| self.host.clone()),
            arrival_date: self
                .at
                .map(|at| at.minus_secs(d.delay_secs.unwrap_or(0)).to_string()),
            original_message_id: None,
            kind,
            reason,
        })
    }
}

/// The host name of a `relay=` value: `mx.example.com[192.0.2.1]:25` →
/// `mx.example.com`. Relays without a bracket (`none`, `local`, a pipe
/// service's name) are not remote servers.
fn relay_host(relay: &str) -> Option<String> {
    let (host, _) = relay.split_once('[')?;
    let host = host.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_owned())
}

/// Reads one log line; `None` for lines that do not matter (see the module
/// doc). `reference` dates year-less timestamps.
pub fn parse_line(line: &str, reference: StoreTime) -> Option<LogLine> {
    if line.len() > MAX_LINE_BYTES {
        return None;
    }
    let header = header(line, reference)?;
    // Only Postfix's own lines: a whole-system log or journal also holds
    // other programs' lines, whose text a stranger may choose.
    if !is_postfix_program(header.program) {
        return None;
    }
    let (queue_id, body) = header.body.split_once(": ")?;
    if !is_queue_id(queue_id) {
        return None;
    }
    let event = event(body)?;
    Some(LogLine {
        at: header.at,
        host: header.host.to_owned(),
        program: header.program.to_owned(),
        queue_id: queue_id.to_owned(),
        event,
    })
}

/// Whether a file's first bytes look like a Postfix log rather than mail:
/// the first non-empty line is a syslog line, and one of the first 64 is
/// logged by Postfix (a tag `postfix…/…`, or `…/` a Postfix daemon). A
/// mail log that starts with other programs' lines (dovecot, opendkim)
/// still counts. Takes bytes, decoded lossily; a cut-off last line is fine.
pub fn looks_like_log(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut lines = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES);
    // 2000-12-31, a leap year: any month and day is a date in it.
    let reference = StoreTime::from_unix(978_220_800);
    let Some(first) = lines.next() else {
        return false;
    };
    let Some(first) = header(first, reference).filter(|h| h.at.is_some()) else {
        return false;
    };
    std::iter::once(first)
        .chain(lines.filter_map(|l| header(l, reference)))
        .any(|h| is_postfix_program(h.program))
}

/// Daemons of Postfix (postfix/master.cf's programs).
const DAEMONS: &[&str] = &[
    "smtp",
    "lmtp",
    "local",
    "virtual",
    "pipe",
    "error",
    "retry",
    "discard",
    "cleanup",
    "qmgr",
    "bounce",
    "pickup",
    "smtpd",
    "postscreen",
    "master",
    "anvil",
    "scache",
    "tlsmgr",
    "trivial-rewrite",
    "postfix-script",
    "postlogd",
    "sendmail",
    "postdrop",
];

fn is_postfix_program(program: &str) -> bool {
    let Some((instance, daemon)) = program.rsplit_once('/') else {
        return false;
    };
    instance.to_ascii_lowercase().starts_with("postfix") || DAEMONS.contains(&daemon)
}

/// A syslog line's parts before the message.
struct Header<'a> {
    at: Option<StoreTime>,
    host: &'a str,
    program: &'a str,
    body: &'a str,
}

/// `TIME HOST PROGRAM[PID]: BODY`, TIME either RFC 3339 or `Mmm dd hh:mm:ss`.
fn header(line: &str, reference: StoreTime) -> Option<Header<'_>> {
    // No syslog line starts with white space; an indented one is a
    // continuation (journalctl) of some other line's text.
    let (at, rest) = if line.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (stamp, rest) = line.split_once(' ')?;
        // A date and time, if perhaps not a valid one (then `at` is None).
        let b = stamp.as_bytes();
        if !(b.len() >= 19 && b[4] == b'-' && matches!(b[10], b'T' | b't')) {
            return None;
        }
        (rfc3339(stamp), rest)
    } else {
        classic(line, reference)?
    };
    let rest = rest.trim_start_matches(' ');
    let (host, rest) = rest.split_once(' ')?;
    let (tag, body) = rest.split_once(": ")?;
    if host.is_empty() || tag.is_empty() || tag.contains(' ') {
        return None;
    }
    let program = match tag.split_once('[') {
        Some((name, pid)) if pid.ends_with(']') => name,
        Some(_) => return None,
        None => tag,
    };
    if program.is_empty() {
        return None;
    }
    Some(Header {
        at,
        host,
        program,
        body,
    })
}

/// An RFC 3339 stamp, also with a `+HHMM` offset (journalctl) or none.
fn rfc3339(stamp: &str) -> Option<StoreTime> {
    if !(stamp.len() >= 19 && stamp.as_bytes()[4] == b'-' && stamp.is_ascii()) {
        return None;
    }
    let b = stamp.as_bytes();
    let n = b.len();
    let fixed;
    let stamp =
        if n >= 5 && matches!(b[n - 5], b'+' | b'-') && b[n - 4..].iter().all(u8::is_ascii_digit) {
            // `+0100` → `+01:00`
            fixed = format!("{}:{}", &stamp[..n - 2], &stamp[n - 2..]);
            fixed.as_str()
        } else if b[n - 1].is_ascii_digit() && !stamp[19..].contains(['+', '-']) {
            // No zone at all: read as UTC.
            fixed = format!("{stamp}Z");
            fixed.as_str()
        } else {
            stamp
        };
    parse_rfc3339_ms(stamp).map(StoreTime::from_unix_ms)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Mmm dd hh:mm:ss[.ffffff] REST` (dd space- or zero-padded): the time,
/// if it is a real date, and REST. `None` when the line does not start so.
fn classic(line: &str, reference: StoreTime) -> Option<(Option<StoreTime>, &str)> {
    let month = MONTHS.iter().position(|m| line.get(..3) == Some(*m))? + 1;
    let rest = line.get(3..)?.strip_prefix(' ')?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let (day, rest) = rest.split_once(' ')?;
    let (time, rest) = rest.split_once(' ')?;
    let day: u32 = (day.len() <= 2 && day.bytes().all(|c| c.is_ascii_digit()))
        .then(|| day.parse().ok())
        .flatten()?;
    let tb = time.as_bytes();
    if !(tb.len() >= 8
        && tb[2] == b':'
        && tb[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| tb[i].is_ascii_digit())
        && (tb.len() == 8 || (tb[8] == b'.' && tb[9..].iter().all(u8::is_ascii_digit))))
    {
        return None;
    }
    let hms = &time[..8];
    let year: i64 = reference.to_string().get(..4)?.parse().ok()?;
    let at = |y: i64| {
        if !(0..=9999).contains(&y) {
            return None;
        }
        parse_rfc3339_ms(&format!("{y:04}-{month:02}-{day:02}T{hms}Z")).map(StoreTime::from_unix_ms)
    };
    let this_year = at(year).filter(|t| t.unix() <= reference.unix() + 86_400);
    Some((this_year.or_else(|| at(year - 1)), rest))
}

/// A short queue ID (6–20 upper-case hex digits) or a long one (12–32
/// letters and digits with the `z` separator at index 10). `NOQUEUE` and
/// words such as `warning` are neither.
fn is_queue_id(id: &str) -> bool {
    let b = id.as_bytes();
    let short = (6..=20).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c));
    let long = (12..=32).contains(&b.len())
        && b[10] == b'z'
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b.iter().any(u8::is_ascii_digit);
    short || long
}

fn event(body: &str) -> Option<Event> {
    if let Some(id) = body.strip_prefix("message-id=") {
        let id = id.trim();
        let id = id.strip_prefix('<').unwrap_or(id);
        let id = id.strip_suffix('>').unwrap_or(id).trim();
        return (!id.is_empty() && id.len() <= MAX_MESSAGE_ID)
            .then(|| Event::MessageId(id.to_owned()));
    }
    if body.starts_with("to=<") {
        return delivery(body).map(Event::Delivery);
    }
    if body.starts_with("from=<") && body.contains(", status=expired") {
        let (from, _) = angle(&body["from=".len()..])?;
        return Some(Event::Expired {
            from: from.to_owned(),
        });
    }
    if body.starts_with("from=<") && body.contains(", nrcpt=") {
        let (from, _) = angle(&body["from=".len()..])?;
        return Some(Event::Queued {
            from: from.to_owned(),
        });
    }
    if let Some((notice, id)) = body.split_once(" notification: ") {
        let id = id.trim();
        if is_queue_id(id) && !notice.is_empty() && notice.len() <= 64 {
            return Some(Event::Notified {
                notice: notice.to_owned(),
                queue_id: id.to_owned(),
            });
        }
    }
    None
}

/// `<address>` at the start of `s`: the address and what follows the `>`.
/// Postfix quotes an odd local part (`<"odd, user>"@example.com>`), so a
/// `>` inside quotes does not end it; with unbalanced quotes, the first `>`
/// followed by `, ` or the end does.
fn angle(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('<')?;
    let b = inner.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'>' if !quoted => {
                let rest = &inner[i + 1..];
                if rest.is_empty() || rest.starts_with(", ") {
                    return Some((&inner[..i], rest));
                }
            }
            _ => {}
        }
        i += 1;
    }
    // Unbalanced quotes: the first plausible end.
    let end = inner
        .match_indices('>')
        .map(|(i, _)| i)
        .find(|&i| inner[i + 1..].is_empty() || inner[i + 1..].starts_with(", "))?;
    Some((&inner[..end], &inner[end + 1..]))
}

/// `to=<…>, [orig_to=<…>, ]key=value, …, status=WORD (TEXT)`.
fn delivery(body: &str) -> Option<Delivery> {
    let (to, mut rest) = angle(&body["to=".len()..])?;
    let mut orig_to = None;
    if let Some(r) = rest.strip_prefix(", orig_to=") {
        let (o, r) = angle(r)?;
        orig_to = Some(o.to_owned()).filter(|o| !o.is_empty());
        rest = r;
    }
    let mut relay = None;
    let mut delay_secs = None;
    let mut dsn = None;
    loop {
        rest = rest.strip_prefix(", ")?;
        if let Some(s) = rest.strip_prefix("status=") {
            let (word, text) = s.split_once(' ').unwrap_or((s, ""));
            let text = text.trim();
            let text = text
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(text);
            let status = match word {
                "sent" => DeliveryStatus::Sent,
                "bounced" => DeliveryStatus::Bounced,
                "deferred" => DeliveryStatus::Deferred,
                other => DeliveryStatus::Other(other.to_owned()),
            };
            return Some(Delivery {
                to: to.to_owned(),
                orig_to,
                relay,
                delay_secs,
                dsn,
                status,
                text: text.to_owned(),
                said: said(text),
            });
        }
        let (field, after) = rest.split_at(rest.find(", ").unwrap_or(rest.len()));
        let (key, value) = field.split_once('=')?;
        match key {
            "relay" => relay = Some(value.to_owned()).filter(|v| v != "none"),
            "delay" => delay_secs = value.split('.').next().and_then(|v| v.parse().ok()),
            "dsn" => dsn = EnhancedCode::parse(value).ok(),
            _ => {}
        }
        rest = after;
    }
}

/// The remote server's reply inside a delivery's text.
fn said(text: &str) -> Option<String> {
    let (_, reply) = text
        .split_once(" said: ")
        .or_else(|| text.split_once(" refused to talk to me: "))?;
    let reply = match reply.rfind(" (in reply to ") {
        Some(i) if reply.ends_with(" command)") => &reply[..i],
        _ => reply,
    };
    let reply = reply.trim();
    (!reply.is_empty()).then(|| reply.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reason;

    /// 2026-12-08T12:00:00Z.
    fn reference() -> StoreTime {
        StoreTime::parse("2026-12-08T12:00:00Z").unwrap()
    }

    fn parse(line: &str) -> Option<LogLine> {
        parse_line(line, reference())
    }

    fn delivery_of(line: &str) -> Delivery {
        match parse(line)
            .unwrap_or_else(|| panic!("not read: {line}"))
            .event
        {
            Event::Delivery(d) => d,
            other => panic!("{other:?}"),
        }
    }

    /// Lines from Postfix 3.7.11's `maillog_file`: a second instance
    /// (`syslog_name = postfix-out`) relaying to tests/peers/postfix.sh.
    const REAL: &str = r#"Dec 08 03:23:54 out postfix-out/pickup[15475]: 561ABA120D0: uid=0 from=<prb+abcdefghij-disabled=alpha.test@sender.test>
Dec 08 03:23:54 out postfix-out/cleanup[15504]: 561ABA120D0: message-id=<m20999.10263@sender.test>
Dec 08 03:23:54 out postfix-out/qmgr[15476]: 561ABA120D0: from=<prb+abcdefghij-disabled=alpha.test@sender.test>, size=278, nrcpt=1 (queue active)
Dec 08 03:23:54 out postfix-out/smtp[15509]: 561ABA120D0: to=<disabled@alpha.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.26, delays=0.1/0.03/0.06/0.08, dsn=5.2.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.2.1 <disabled@alpha.test>: Recipient address rejected: The email account that you tried to reach is disabled (in reply to RCPT TO command))
Dec 08 03:23:54 out postfix-out/smtp[15514]: 5D095A120D2: to=<nobody@alpha.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.15, delays=0.02/0.01/0.06/0.06, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <nobody@alpha.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))
Dec 08 03:23:54 out postfix-out/cleanup[15504]: 80CDBA120DA: message-id=<20261208032354.80CDBA120DA@out.sender.test>
Dec 08 03:23:54 out postfix-out/qmgr[15476]: 80CDBA120DA: from=<>, size=2505, nrcpt=1 (queue active)
Dec 08 03:23:54 out postfix-out/bounce[15538]: 561ABA120D0: sender non-delivery notification: 80CDBA120DA
Dec 08 03:23:54 out postfix-out/qmgr[15476]: 561ABA120D0: removed
Dec 08 03:23:54 out postfix-out/smtp[15514]: 5D095A120D2: to=<ok@alpha.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.17, delays=0.02/0.01/0.06/0.08, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 76C75A120D5)
Dec 08 03:23:54 out postfix-out/discard[15546]: 80CDBA120DA: to=<prb+abcdefghij-disabled=alpha.test@sender.test>, relay=none, delay=0.04, delays=0/0.03/0/0, dsn=2.0.0, status=sent (sender.test)
Dec 08 03:23:54 out postfix-out/error[15555]: 8F33DA120DA: to=<a@error.test>, relay=none, delay=0.03, delays=0.01/0.01/0/0.01, dsn=5.1.2, status=bounced (domain error.test is not used for mail)
Dec 08 03:23:54 out postfix-out/smtp[15514]: 88AB2A120DC: to=<x@other.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.09, delays=0.05/0/0.04/0, dsn=5.7.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 554 5.7.1 <x@other.test>: Relay access denied (in reply to RCPT TO command))
Dec 08 03:23:54 out postfix-out/smtp[15509]: 79256A120D7: to=<someone@grey.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.15, delays=0.01/0.02/0.04/0.07, dsn=4.7.1, status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.7.1 <someone@grey.test>: Recipient address rejected: greylisted, try again later (in reply to RCPT TO command))
Dec 08 03:23:54 out postfix-out/qmgr[15476]: 79256A120D7: from=<news@sender.test>, status=expired, returned to sender
Dec 08 03:23:54 out postfix-out/smtp[15533]: 71109A120D4: to=<full@alpha.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.2, delays=0.02/0.04/0.11/0.03, dsn=4.2.2, status=deferred (host 127.0.0.1[127.0.0.1] said: 452 4.2.2 <full@alpha.test>: Recipient address rejected: Mailbox full (in reply to RCPT TO command))
Dec 08 03:23:54 out postfix-out/error[15560]: 98459A120DD: to=<b@retry.test>, relay=none, delay=0.05, delays=0.02/0.03/0/0.01, dsn=4.4.1, status=deferred (try later)
Dec 08 03:23:54 out postfix-out/smtp[15542]: 9F184A120DC: to=<o'brien+tag@alpha.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.02, delays=0.01/0/0.01/0, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <o'brien+tag@alpha.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))
Dec 08 03:25:19 out postfix-out/local[18646]: 4jk49B73yqz1XZnn: to=<nobodyhere@local.test>, relay=local, delay=0.05, delays=0.02/0.02/0/0.01, dsn=5.1.1, status=bounced (unknown user: "nobodyhere")
Dec 08 03:25:19 out postfix-out/smtp[18643]: 4jk49B6btWz1XZnm: to=<disabled@alpha.test>, orig_to=<fwd@alias.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.13, delays=0.03/0.05/0.02/0.03, dsn=5.2.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.2.1 <disabled@alpha.test>: Recipient address rejected: The email account that you tried to reach is disabled (in reply to RCPT TO command))
Dec 08 03:25:19 out postfix-out/bounce[18650]: 4jk49B73yqz1XZnn: sender non-delivery notification: 4jk49C0FSgz1XZrf
Dec 08 03:25:19 out postfix-out/smtp[18643]: 4jk49C0Psnz1XZnn: to=<"odd, user>"@alpha.test>, relay=127.0.0.1[127.0.0.1]:37597, delay=0.01, delays=0.01/0/0/0, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <odd, user>@alpha.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))
Dec 08 03:25:38 out postfix-out/smtp[19475]: connect to 127.0.0.1[127.0.0.1]:1: Connection refused
Dec 08 03:25:38 out postfix-out/smtp[19475]: 4jk49Y6jGRz1XZnZ: to=<a@refused.test>, relay=none, delay=0.2, delays=0.12/0.08/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:1: Connection refused)
Dec 08 03:25:38 out postfix-out/smtp[19475]: 4jk49Y71Cyz1XZnb: to=<b@nxdomain.test>, relay=none, delay=0.1, delays=0.02/0.08/0/0, dsn=5.4.4, status=bounced (unable to look up host nothing-here.invalid: Name or service not known)
Dec 08 03:23:28 mx postfix/smtpd[14241]: connect from unknown[127.0.0.1]
Dec 08 03:23:28 mx postfix/smtpd[14241]: disconnect from unknown[127.0.0.1] commands=0/0
Dec 08 03:23:36 out postfix-out/master[14562]: daemon started -- version 3.7.11, configuration /tmp/pflog/tx/etc
"#;

    #[test]
    fn real_lines() {
        let lines: Vec<LogLine> = REAL.lines().filter_map(parse).collect();
        let ids: Vec<(&str, &str)> = lines
            .iter()
            .filter_map(|l| match &l.event {
                Event::MessageId(m) => Some((l.queue_id.as_str(), m.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            ids,
            [
                ("561ABA120D0", "m20999.10263@sender.test"),
                ("80CDBA120DA", "20261208032354.80CDBA120DA@out.sender.test"),
            ]
        );
        let bounces: Vec<(String, String, &'static str, Kind)> = lines
            .iter()
            .filter_map(LogLine::bounce)
            .map(|b| (b.recipient, b.status.unwrap(), b.reason.as_str(), b.kind))
            .collect();
        let want: Vec<(String, String, &str, Kind)> = [
            (
                "disabled@alpha.test",
                "5.2.1",
                "mailbox_disabled",
                Kind::Hard,
            ),
            ("nobody@alpha.test", "5.1.1", "does_not_exist", Kind::Hard),
            ("a@error.test", "5.1.2", "no_such_domain", Kind::Hard),
            ("x@other.test", "5.7.1", "blocked", Kind::Soft),
            (
                "o'brien+tag@alpha.test",
                "5.1.1",
                "does_not_exist",
                Kind::Hard,
            ),
            (
                "nobodyhere@local.test",
                "5.1.1",
                "does_not_exist",
                Kind::Hard,
            ),
            ("fwd@alias.test", "5.2.1", "mailbox_disabled", Kind::Hard),
            (
                "\"odd, user>\"@alpha.test",
                "5.1.1",
                "does_not_exist",
                Kind::Hard,
            ),
            ("b@nxdomain.test", "5.4.4", "no_such_domain", Kind::Hard),
        ]
        .into_iter()
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c, d))
        .collect();
        assert_eq!(bounces, want);
        // Every queue line of the sample that matters, and nothing else
        // (two of them qmgr's `from=` lines).
        assert_eq!(lines.len(), 22);
        assert_eq!(
            lines
                .iter()
                .filter(|l| matches!(l.event, Event::Queued { .. }))
                .count(),
            2
        );
        assert!(lines.iter().all(|l| l.program.starts_with("postfix-out/")));
    }

    #[test]
    fn a_bounced_line_in_full() {
        let line = parse(REAL.lines().nth(3).unwrap()).unwrap();
        assert_eq!(line.queue_id, "561ABA120D0");
        assert_eq!(line.host, "out");
        assert_eq!(line.program, "postfix-out/smtp");
        assert_eq!(line.at.unwrap().to_string(), "2026-12-08T03:23:54Z");
        let Event::Delivery(d) = &line.event else {
            panic!()
        };
        assert_eq!(d.to, "disabled@alpha.test");
        assert_eq!(d.orig_to, None);
        assert_eq!(d.relay.as_deref(), Some("127.0.0.1[127.0.0.1]:37597"));
        assert_eq!(d.delay_secs, Some(0));
        assert_eq!(d.dsn.unwrap().to_string(), "5.2.1");
        assert_eq!(d.status, DeliveryStatus::Bounced);
        assert!(d
            .text
            .starts_with("host 127.0.0.1[127.0.0.1] said: 550 5.2.1"));
        assert!(d.text.ends_with("(in reply to RCPT TO command)"));
        assert_eq!(
            d.said.as_deref(),
            Some("550 5.2.1 <disabled@alpha.test>: Recipient address rejected: The email account that you tried to reach is disabled")
        );
        let b = line.bounce().unwrap();
        assert_eq!(
            b,
            Bounce {
                recipient: "disabled@alpha.test".into(),
                final_recipient: None,
                action: Action::Failed,
                status: Some("5.2.1".into()),
                diagnostic_code: d.said.clone(),
                remote_mta: Some("127.0.0.1".into()),
                reporting_mta: Some("out".into()),
                arrival_date: Some("2026-12-08T03:23:54Z".into()),
                original_message_id: None,
                kind: Kind::Hard,
                reason: BounceReason::Verdict(Reason::MailboxDisabled),
            }
        );
    }

    #[test]
    fn orig_to_is_the_recipient() {
        let line = parse(REAL.lines().find(|l| l.contains("orig_to=")).unwrap()).unwrap();
        let b = line.bounce().unwrap();
        assert_eq!(b.recipient, "fwd@alias.test");
        assert_eq!(b.final_recipient.as_deref(), Some("disabled@alpha.test"));
        // The same address in another case is no alias.
        let l = "Dec  8 03:25:19 out postfix/smtp[1]: 4jk49B6btWz1XZnm: to=<a@example.com>, orig_to=<A@Example.com>, relay=mx.example.com[192.0.2.1]:25, delay=2, delays=0/0/1/1, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))";
        let b = parse(l).unwrap().bounce().unwrap();
        assert_eq!(b.recipient, "A@Example.com");
        assert_eq!(b.final_recipient, None);
        assert_eq!(b.remote_mta.as_deref(), Some("mx.example.com"));
        assert_eq!(b.arrival_date.as_deref(), Some("2026-12-08T03:25:17Z"));
    }

    #[test]
    fn other_lines_are_not_bounces() {
        for l in REAL.lines().filter_map(parse) {
            let is_bounced =
                matches!(&l.event, Event::Delivery(d) if d.status == DeliveryStatus::Bounced);
            assert_eq!(l.bounce().is_some(), is_bounced, "{l:?}");
        }
        let sent = delivery_of(REAL.lines().nth(9).unwrap());
        assert_eq!(sent.status, DeliveryStatus::Sent);
        assert_eq!(sent.said, None);
        assert_eq!(sent.text, "250 2.0.0 Ok: queued as 76C75A120D5");
    }

    #[test]
    fn expiry_and_notifications() {
        let lines: Vec<LogLine> = REAL.lines().filter_map(parse).collect();
        let expired: Vec<(&str, &str)> = lines
            .iter()
            .filter_map(|l| match &l.event {
                Event::Expired { from } => Some((l.queue_id.as_str(), from.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(expired, [("79256A120D7", "news@sender.test")]);
        let notified: Vec<(&str, &str, &str)> = lines
            .iter()
            .filter_map(|l| match &l.event {
                Event::Notified { notice, queue_id } => {
                    Some((l.queue_id.as_str(), notice.as_str(), queue_id.as_str()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            notified,
            [
                ("561ABA120D0", "sender non-delivery", "80CDBA120DA"),
                (
                    "4jk49B73yqz1XZnn",
                    "sender non-delivery",
                    "4jk49C0FSgz1XZrf"
                ),
            ]
        );
        // A deferral that expired, judged: greylisting and a full mailbox.
        let grey = lines.iter().find(|l| l.queue_id == "79256A120D7").unwrap();
        assert_eq!(grey.bounce(), None);
        let b = grey.bounce_on_expiry().unwrap();
        assert_eq!(
            (b.kind, b.reason.as_str()),
            (Kind::Soft, "temporary_failure")
        );
        let full = lines.iter().find(|l| l.queue_id == "71109A120D4").unwrap();
        let b = full.bounce_on_expiry().unwrap();
        assert_eq!((b.kind, b.reason.as_str()), (Kind::Soft, "mailbox_full"));
        let refused = lines
            .iter()
            .find(|l| l.queue_id == "4jk49Y6jGRz1XZnZ")
            .unwrap();
        let b = refused.bounce_on_expiry().unwrap();
        assert_eq!(b.kind, Kind::Soft);
        assert_eq!(b.remote_mta, None);
    }

    #[test]
    fn timestamps() {
        let body = "mx postfix/cleanup[1]: 3F2A41C0B2: message-id=<a@b>";
        let at = |stamp: &str| {
            parse(&format!("{stamp} {body}"))
                .unwrap_or_else(|| panic!("{stamp}"))
                .at
                .map(|t| t.to_string())
        };
        assert_eq!(
            at("Dec  8 03:09:43").as_deref(),
            Some("2026-12-08T03:09:43Z")
        );
        assert_eq!(
            at("Dec 08 03:09:43").as_deref(),
            Some("2026-12-08T03:09:43Z")
        );
        assert_eq!(
            at("Dec 08 03:09:43.123456").as_deref(),
            Some("2026-12-08T03:09:43Z")
        );
        // Within a day after the reference: this year (clocks drift).
        assert_eq!(
            at("Dec  9 11:00:00").as_deref(),
            Some("2026-12-09T11:00:00Z")
        );
        // Later than that: last year's.
        assert_eq!(
            at("Dec 10 00:00:00").as_deref(),
            Some("2025-12-10T00:00:00Z")
        );
        assert_eq!(
            at("Jan  1 00:00:00").as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        // No Feb 29 in 2026 nor in 2025: the line is read, its time not.
        assert_eq!(at("Feb 29 10:00:00"), None);
        assert_eq!(at("Feb 30 10:00:00"), None);
        assert_eq!(
            at("2026-12-08T03:09:43.123456+00:00").as_deref(),
            Some("2026-12-08T03:09:43Z")
        );
        assert_eq!(
            at("2026-12-08T04:09:43+01:00").as_deref(),
            Some("2026-12-08T03:09:43Z")
        );
        assert_eq!(
            at("2026-12-08T04:09:43+0100").as_deref(),
            Some("2026-12-08T03:09:43Z")
        );
        assert_eq!(
            at("2026-12-08T03:09:43Z").as_deref(),
            Some("2026-12-08T03:09:43Z")
        );
        assert_eq!(
            at("2026-12-08T03:09:43").as_deref(),
            Some("2026-12-08T03:09:43Z")
        );
        assert_eq!(at("2026-13-08T03:09:43Z"), None);
        // A leap year's reference keeps Feb 29.
        let leap = StoreTime::parse("2028-03-01T00:00:00Z").unwrap();
        let l = parse_line(&format!("Feb 29 10:00:00 {body}"), leap).unwrap();
        assert_eq!(l.at.unwrap().to_string(), "2028-02-29T10:00:00Z");
        // Read in early January, a December line is last year's.
        let jan = StoreTime::parse("2027-01-02T00:00:00Z").unwrap();
        let l = parse_line(&format!("Dec 31 23:59:59 {body}"), jan).unwrap();
        assert_eq!(l.at.unwrap().to_string(), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_lines() {
        let l = "2026-12-08T03:09:43.123456+00:00 mail postfix/smtp[123]: 3F2A41C0B2: to=<gone@example.com>, relay=mx.example.com[192.0.2.10]:25, delay=1.2, delays=0.1/0/0.6/0.5, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.10] said: 550 5.1.1 The email account that you tried to reach does not exist. (in reply to RCPT TO command))";
        let line = parse(l).unwrap();
        assert_eq!(line.host, "mail");
        assert_eq!(line.program, "postfix/smtp");
        let b = line.bounce().unwrap();
        assert_eq!(b.reason.as_str(), "does_not_exist");
        assert_eq!(b.arrival_date.as_deref(), Some("2026-12-08T03:09:42Z"));
    }

    #[test]
    fn programs_and_instances() {
        let body = "3F2A41C0B2: to=<a@example.com>, relay=x[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host x[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT TO command))";
        for program in [
            "postfix/smtp[1]",
            "postfix/lmtp[22]",
            "postfix-out/smtp[333]",
            "postfix/relay/smtp[4]",
            "postfix/relay[4]",
            "postfix/smtp",
            "mta-out/smtp[5]",
        ] {
            let l = parse(&format!("Dec  8 03:09:43 host {program}: {body}")).unwrap();
            assert!(l.bounce().is_some(), "{program}");
            assert!(program.starts_with(&l.program), "{program}");
        }
        for bad in ["postfix/smtp[1", "[1]", "postfix/smtp [1]"] {
            assert!(
                parse(&format!("Dec  8 03:09:43 host {bad}: {body}")).is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn other_delivery_agents() {
        // Shapes of Postfix's lmtp (to Dovecot), virtual, pipe and local
        // lines; the reply texts are Dovecot's and Postfix's own.
        let lines = [
            ("Dec  8 03:09:43 mail postfix/lmtp[2]: 4jk49B6btWz1XZnm: to=<nobody@example.com>, relay=mail.example.com[private/dovecot-lmtp], delay=0.03, delays=0.01/0/0.01/0.01, dsn=5.1.1, status=bounced (host mail.example.com[private/dovecot-lmtp] said: 550 5.1.1 <nobody@example.com> User doesn't exist: nobody@example.com (in reply to RCPT TO command))", "does_not_exist", Some("mail.example.com")),
            ("Dec  8 03:09:43 mail postfix/virtual[3]: 3F2A41C0B2: to=<full@example.com>, relay=virtual, delay=0.02, delays=0.01/0/0/0.01, dsn=5.2.2, status=bounced (cannot update mailbox /var/mail/vhosts/example.com/full for user full. file too large)", "mailbox_full", None),
            ("Dec  8 03:09:43 mail postfix/pipe[4]: 3F2A41C0B2: to=<nobody@example.com>, relay=dovecot, delay=0.1, delays=0.05/0/0/0.05, dsn=5.1.1, status=bounced (user unknown)", "does_not_exist", None),
            ("Dec  8 03:09:43 mail postfix/local[5]: 3F2A41C0B2: to=<root@example.com>, orig_to=<postmaster@example.com>, relay=local, delay=0.1, delays=0.05/0/0/0.05, dsn=5.2.0, status=bounced (can't create user output file. Command output: procmail: Quota exceeded)", "mailbox_full", None),
        ];
        for (l, reason, remote) in lines {
            let b = parse(l).unwrap_or_else(|| panic!("{l}")).bounce().unwrap();
            assert_eq!(b.reason.as_str(), reason, "{l}");
            assert_eq!(b.remote_mta.as_deref(), remote, "{l}");
        }
    }

    #[test]
    fn refused_to_talk_and_said_without_a_code() {
        let l = "Dec  8 03:09:43 mail postfix/smtp[1]: 3F2A41C0B2: to=<a@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=5.7.1, status=bounced (host mx.example.com[192.0.2.1] refused to talk to me: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org)";
        let d = delivery_of(l);
        assert_eq!(
            d.said.as_deref(),
            Some("554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org")
        );
        let b = parse(l).unwrap().bounce().unwrap();
        assert_eq!((b.kind, b.reason.as_str()), (Kind::Soft, "blocked"));
        // `said:` with words and no code: the words, judged with the dsn.
        let l = "Dec  8 03:09:43 mail postfix/smtp[1]: 3F2A41C0B2: to=<a@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=5.0.0, status=bounced (host mx.example.com[192.0.2.1] said: Mailbox does not exist (in reply to RCPT TO command))";
        let d = delivery_of(l);
        assert_eq!(d.said.as_deref(), Some("Mailbox does not exist"));
        let b = parse(l).unwrap().bounce().unwrap();
        assert_eq!(b.reason.as_str(), "does_not_exist");
        // `said:` and nothing after it: the whole text is the diagnostic.
        let l = "Dec  8 03:09:43 mail postfix/smtp[1]: 3F2A41C0B2: to=<a@example.com>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=5.0.0, status=bounced (host mx[192.0.2.1] said:  (in reply to RCPT TO command))";
        let d = delivery_of(l);
        assert_eq!(d.said, None);
        let b = parse(l).unwrap().bounce().unwrap();
        assert!(b.diagnostic_code.unwrap().starts_with("host mx"));
        // End of DATA.
        let l = "Dec  8 03:09:43 mail postfix/smtp[1]: 3F2A41C0B2: to=<a@example.com>, relay=mx[192.0.2.1]:25, conn_use=2, delay=1, delays=0/0/1/0, dsn=5.7.1, status=bounced (host mx[192.0.2.1] said: 550 5.7.1 Message rejected as spam (in reply to end of DATA command))";
        let d = delivery_of(l);
        assert_eq!(
            d.said.as_deref(),
            Some("550 5.7.1 Message rejected as spam")
        );
        assert_eq!(d.relay.as_deref(), Some("mx[192.0.2.1]:25"));
    }

    #[test]
    fn odd_addresses() {
        let base = "Dec  8 03:09:43 mail postfix/smtp[1]: 3F2A41C0B2: ";
        let tail = ", relay=none, delay=0, delays=0/0/0/0, dsn=5.1.1, status=bounced (x)";
        for (to, want) in [
            ("<>", ""),
            ("<a@b>", "a@b"),
            ("<\"a>b\"@example.com>", "\"a>b\"@example.com"),
            ("<\"a, relay=x\"@example.com>", "\"a, relay=x\"@example.com"),
            ("<\"a\\\"b>\"@example.com>", "\"a\\\"b>\"@example.com"),
            // Unbalanced quote: the first `>` that ends a field.
            ("<\"a@example.com>", "\"a@example.com"),
            ("<a>b@example.com>", "a>b@example.com"),
            ("<δοκιμή@παράδειγμα.δοκιμή>", "δοκιμή@παράδειγμα.δοκιμή"),
        ] {
            let d = delivery_of(&format!("{base}to={to}{tail}"));
            assert_eq!(d.to, want, "{to}");
        }
        // to=<> bounces nobody.
        assert_eq!(parse(&format!("{base}to=<>{tail}")).unwrap().bounce(), None);
        // orig_to=<> is no original recipient.
        let d = delivery_of(&format!("{base}to=<a@b>, orig_to=<>{tail}"));
        assert_eq!(d.orig_to, None);
    }

    #[test]
    fn queue_ids() {
        let line = |id: &str| {
            parse(&format!(
                "Dec  8 03:09:43 mail postfix/cleanup[1]: {id}: message-id=<x@y>"
            ))
        };
        for good in [
            "3F2A41C0B2",
            "561ABA120D0",
            "ABCDEF",
            "4jk49B6btWz1XZnm",
            "4jk49C0FSgz1XZrf",
        ] {
            assert_eq!(line(good).unwrap().queue_id, good);
        }
        for bad in [
            "NOQUEUE",
            "warning",
            "3f2a41c0b2",
            "ABCDE",
            "connect",
            "4jk49B6btWx1XZnm",
            "",
            "3F2A-41C0B2",
        ] {
            assert!(line(bad).is_none(), "{bad}");
        }
        assert!(parse("Dec  8 03:09:43 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP helo=<h>").is_none());
        assert!(parse("Dec  8 03:09:43 mail postfix/smtp[1]: warning: to=<a@b>, relay=none, delay=0, delays=0/0/0/0, dsn=5.1.1, status=bounced (x)").is_none());
    }

    #[test]
    fn message_ids() {
        let id = |v: &str| {
            parse(&format!(
                "Dec  8 03:09:43 mail postfix/cleanup[1]: 3F2A41C0B2: message-id={v}"
            ))
            .map(|l| l.event)
        };
        assert_eq!(id("<a@b>"), Some(Event::MessageId("a@b".into())));
        assert_eq!(id("a@b"), Some(Event::MessageId("a@b".into())));
        assert_eq!(id(" <a@b> "), Some(Event::MessageId("a@b".into())));
        assert_eq!(id("<>"), None);
        assert_eq!(id(""), None);
        assert!(parse(
            "Dec  8 03:09:43 mail postfix/cleanup[1]: 3F2A41C0B2: resent-message-id=<a@b>"
        )
        .is_none());
        assert!(parse("Dec  8 03:09:43 mail postfix/cleanup[1]: 3F2A41C0B2: milter-reject: END-OF-MESSAGE from x[1.2.3.4]: 5.7.1 spam; from=<a@b> to=<c@d>").is_none());
    }

    #[test]
    fn hostile_lines() {
        let r = reference();
        for l in [
            "",
            " ",
            "Dec",
            "Dec  8",
            "Dec  8 03:09:43",
            "Dec  8 03:09:43 host",
            "Dec  8 03:09:43 host postfix/smtp[1]:",
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2:",
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<",
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b",
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b>",
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b>, relay=x",
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b>, relay",
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b>, orig_to=<c@d",
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: from=<a@b, status=expired",
            "Xyz  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: message-id=<a@b>",
            "Dec 123 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: message-id=<a@b>",
            "Dec  8 3:09:43 host postfix/smtp[1]: 3F2A41C0B2: message-id=<a@b>",
            "Dec  8 03:09:4x host postfix/smtp[1]: 3F2A41C0B2: message-id=<a@b>",
            "2026 host postfix/smtp[1]: 3F2A41C0B2: message-id=<a@b>",
            "From MAILER-DAEMON Tue Dec  8 03:23:54 2026",
            "Received: from mx.example.com",
            "é",
            "Dec  8 03:09:43 é postfix/smtp[1]: é",
        ] {
            let _ = parse_line(l, r);
        }
        // Missing fields still parse; what is missing is None.
        let d = delivery_of(
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b>, status=bounced",
        );
        assert_eq!(
            (d.relay, d.dsn, d.delay_secs, d.text.as_str()),
            (None, None, None, "")
        );
        let b = parse("Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b>, status=bounced")
            .unwrap()
            .bounce()
            .unwrap();
        assert_eq!(b.kind, Kind::Undetermined);
        // A huge line: read in linear time, or refused past the limit.
        let said = "x".repeat(MAX_LINE_BYTES - 300);
        let l = format!("Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b>, relay=none, delay=0, delays=0/0/0/0, dsn=5.1.1, status=bounced (host h[1.2.3.4] said: 550 {said} (in reply to RCPT TO command))");
        assert!(l.len() <= MAX_LINE_BYTES);
        assert!(parse(&l).unwrap().bounce().is_some());
        let huge = format!("{l}{}", "y".repeat(MAX_LINE_BYTES));
        assert!(parse(&huge).is_none());
        // Many fields, all junk: still linear and None.
        let junk = format!(
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<a@b>{}",
            ", k=v".repeat(10_000)
        );
        assert!(parse(&junk).is_none());
        let quotes = format!(
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<{}",
            "\"".repeat(50_000)
        );
        assert!(parse(&quotes).is_none());
        let gts = format!(
            "Dec  8 03:09:43 host postfix/smtp[1]: 3F2A41C0B2: to=<\"{}",
            ">".repeat(50_000)
        );
        assert!(parse(&gts).is_none());
    }

    #[test]
    fn sniffing() {
        assert!(looks_like_log(REAL.as_bytes()));
        assert!(looks_like_log(
            b"2026-12-08T03:09:43.123456+00:00 mail postfix/smtp[1]: connect to x"
        ));
        // A mail log that starts with another program's lines.
        assert!(looks_like_log(
            b"\nDec  8 03:09:40 mail dovecot: imap-login: Login: user=<a>\nDec  8 03:09:43 mail postfix/qmgr[9]: 3F2A41C0B2: removed\n"
        ));
        // Feb 29 in a year-less stamp is still a time.
        assert!(looks_like_log(
            b"Feb 29 03:09:43 mail postfix/qmgr[9]: 3F2A41C0B2: removed\n"
        ));
        // A custom syslog_name, known by its daemon.
        assert!(looks_like_log(
            b"Dec  8 03:09:43 mail mta-out/qmgr[9]: 3F2A41C0B2: removed\n"
        ));
        // Cut off mid-line is fine.
        let cut = &REAL.as_bytes()[..200];
        assert!(looks_like_log(cut));
        for not in [
            &b""[..],
            b"\n\n",
            b"From MAILER-DAEMON Tue Dec  8 03:23:54 2026\nReturn-Path: <>\n",
            b"Return-Path: <>\nDelivered-To: a@b\n",
            b"{\"Type\":\"Notification\"}",
            b"Dec  8 03:09:40 mail dovecot: imap-login: Login\n",
            b"email\na@example.com\n",
            b"\xff\xfe\x00garbage",
        ] {
            assert!(!looks_like_log(not), "{:?}", String::from_utf8_lossy(not));
        }
    }

    #[test]
    fn only_postfix_lines_at_the_start_of_a_line_are_read() {
        let now = StoreTime::parse("2026-12-08T12:00:00Z").unwrap();
        let body = "ABCDEF1234: to=<victim@gmail.com>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))";
        let line =
            |program: &str| format!("2026-12-08T03:09:43+00:00 host {program}[4242]: {body}");
        assert!(parse_line(&line("postfix/smtp"), now).is_some());
        assert!(parse_line(&line("postfix-out/smtp"), now).is_some());
        assert!(parse_line(&line("postfix/relay"), now).is_some());
        // Another program logging a stranger's text, or a continuation line.
        assert_eq!(parse_line(&line("webapp"), now), None);
        assert_eq!(parse_line(&line("webapp/app"), now), None);
        assert_eq!(
            parse_line(&format!("          {}", line("postfix/smtp")), now),
            None
        );
    }

    #[test]
    fn qmgr_names_the_envelope_sender() {
        let now = StoreTime::parse("2026-12-08T12:00:00Z").unwrap();
        let l = parse_line("2026-12-08T03:09:41.130000+00:00 out postfix/qmgr[814]: 4F2A41C0B2: from=<news@sender.example>, size=512, nrcpt=2 (queue active)", now).unwrap();
        assert_eq!(
            l.event,
            Event::Queued {
                from: "news@sender.example".into()
            }
        );
        let l = parse_line("2026-12-08T03:09:41.130000+00:00 out postfix/qmgr[814]: 4F2A41C0B3: from=<>, size=512, nrcpt=1 (queue active)", now).unwrap();
        assert_eq!(
            l.event,
            Event::Queued {
                from: String::new()
            }
        );
    }
}
