//! Bounces: what a delivery report says about each failed recipient.
//!
//! [`parse`] takes one raw message (or one SES notification) and gives a
//! [`Report`]: one [`Bounce`] per failed recipient, or a [`Notice`] saying
//! why the message is not a bounce (an auto-reply, a delay warning, a
//! success report). It never fails: what cannot be read is
//! [`Format::Unreadable`] with an error, and the caller goes on.
//!
//! What is read, in order:
//!
//! 1. JSON: an Amazon SES notification, bare or in an SNS envelope ([`ses`]).
//! 2. An RFC 3464 `message/delivery-status` part, or RFC 6533's
//!    `message/global-delivery-status` ([`fields`]), anywhere in the MIME
//!    tree (some MTAs wrap the report in `multipart/mixed`). Recipients whose
//!    `Action` is `failed` become records; `delayed`, `delivered`, `relayed`
//!    and `expanded` ones make the message a [`Notice`].
//! 3. An RFC 5965 `message/feedback-report` (ARF): a spam complaint.
//! 4. Text: a message that looks like a bounce (from a mailer daemon, a
//!    bounce subject, `X-Failed-Recipients`) has its text read ([`text`]);
//!    when the text names no address, `X-Failed-Recipients` or the returned
//!    message's `To` gives the recipient, as `undetermined`.
//! 5. Otherwise an auto-reply (RFC 3834 `Auto-Submitted: auto-replied`,
//!    `X-Autoreply`, out-of-office subjects) or some other mail: a notice.
//!
//! Each record's kind and reason come from [`meaning`], the one rule for
//! what a status and a diagnostic mean.
//!
//! Bounded: reports are read up to [`fields::MAX_RECIPIENTS`] recipients and
//! texts up to [`text::MAX_TEXT_BYTES`]; a larger message costs its MIME
//! parse and no more.
//!
//! Proof that a bounce is real (docs/TRUST.md):
//!
//! - [`verp`]: return paths that name their recipient under an HMAC tag,
//!   and finding a verified tag in a bounce.
//! - [`postfix_log`]: Postfix's log lines: the queue's Message-IDs, every
//!   delivery's outcome, and a `status=bounced` line as a [`Bounce`].

pub mod fields;
pub mod meaning;
pub mod postfix_log;
pub mod ses;
pub mod text;
pub mod verp;

use mail_parser::{DateTime, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;

use crate::reply::EnhancedCode;
use crate::suppression::{BounceReason, Effect};
use crate::time::StoreTime;

/// One failed recipient (or one complaint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bounce {
    /// The address that was mailed: the report's Original-Recipient when it
    /// has one (an alias or forward was expanded on the way), else its
    /// Final-Recipient, or the address the text names. This is the address
    /// to stop mailing.
    pub recipient: String,
    /// The address the receiving system finally refused, when it differs
    /// from `recipient` (the target of an alias or forward).
    pub final_recipient: Option<String>,
    /// `failed`, or `complained` for a spam complaint.
    pub action: Action,
    /// The RFC 3463 status (`5.1.1`), from the report or its text.
    pub status: Option<String>,
    /// The diagnostic: the remote reply or the words about this address,
    /// without a `smtp;` type.
    pub diagnostic_code: Option<String>,
    /// The remote server that refused, without `dns;`.
    pub remote_mta: Option<String>,
    /// The server that wrote the report, without `dns;`.
    pub reporting_mta: Option<String>,
    /// When the reporting server received the message, ISO 8601 UTC.
    pub arrival_date: Option<String>,
    /// The Message-ID of the mail that bounced, without angle brackets.
    pub original_message_id: Option<String>,
    /// Hard, soft or undetermined.
    pub kind: Kind,
    /// A verdict reason, or `complained`.
    pub reason: BounceReason,
}

impl Bounce {
    /// A failed recipient known only by its address, kind and reason (a
    /// record a store is handed in its tests, or one built from elsewhere);
    /// every other field unknown.
    pub fn failed(recipient: &str, kind: Kind, reason: BounceReason) -> Bounce {
        Bounce {
            recipient: recipient.to_owned(),
            final_recipient: None,
            action: Action::Failed,
            status: None,
            diagnostic_code: None,
            remote_mta: None,
            reporting_mta: None,
            arrival_date: None,
            original_message_id: None,
            kind,
            reason,
        }
    }

    /// What this record does to the suppression list: its reason's
    /// [`Effect`], except that an `undetermined` record — a report that
    /// said too little, or a heuristic reading of a text — never suppresses
    /// and does not count toward repeats.
    pub fn effect(&self) -> Effect {
        if self.kind == Kind::Undetermined {
            Effect::Never
        } else {
            self.reason.effect()
        }
    }
}

/// What happened to the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Delivery failed (for good, or retries ran out).
    Failed,
    /// The recipient reported the message as spam.
    Complained,
}

/// How final a bounce is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Permanent, and about the recipient: do not mail again.
    Hard,
    /// Transient, or about the sender: may work later.
    Soft,
    /// The report said too little to tell.
    Undetermined,
}

/// The shape the report came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// RFC 3464 / RFC 6533 delivery status notification.
    Dsn,
    /// A human-readable bounce without a report part.
    Text,
    /// An Amazon SES notification.
    Ses,
    /// An RFC 5965 feedback report (complaint).
    Arf,
    /// A line of our own MTA's log (Postfix's `status=bounced`).
    MtaLog,
    /// Not a bounce: see the [`Notice`].
    NotBounce,
    /// Could not be read at all: see the error.
    Unreadable,
}

/// Why a message that is not a bounce was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// An automatic reply (out of office, vacation).
    AutoReply,
    /// Delivery is delayed and still being retried.
    Delayed,
    /// A success report.
    Delivered,
    /// Relayed to a system that sends no reports.
    Relayed,
    /// Delivered to a list's members.
    Expanded,
    /// An SNS subscription confirmation (the adapter confirms it).
    SubscriptionConfirmation,
    /// An SNS unsubscribe confirmation.
    UnsubscribeConfirmation,
    /// Some other message.
    Other,
}

/// Everything one message says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The shape it came in.
    pub format: Format,
    /// Why it is not a bounce (with [`Format::NotBounce`]), or what else it
    /// reported besides failures.
    pub notice: Option<Notice>,
    /// One record per failed recipient.
    pub records: Vec<Bounce>,
    /// The report's own Message-ID (or SNS MessageId, or SES feedbackId),
    /// without angle brackets.
    pub message_id: Option<String>,
    /// When the report was written (its Date header, or SES's timestamp),
    /// ISO 8601 UTC.
    pub date: Option<String>,
    /// Why it could not be read (with [`Format::Unreadable`]).
    pub error: Option<String>,
    /// Every Message-ID the report quotes for the message that bounced,
    /// without angle brackets, each once, at most [`MAX_QUOTED_IDS`]: the
    /// returned message's, then the report's `In-Reply-To` and
    /// `References`. A sent log is matched against all of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quoted_ids: Vec<String>,
}

/// The most Message-IDs [`Report::quoted_ids`] keeps.
pub const MAX_QUOTED_IDS: usize = 16;

impl Report {
    fn empty(format: Format) -> Report {
        Report {
            format,
            notice: None,
            records: Vec::new(),
            message_id: None,
            date: None,
            error: None,
            quoted_ids: Vec::new(),
        }
    }

    fn notice(format: Format, notice: Notice) -> Report {
        Report {
            notice: Some(notice),
            ..Report::empty(format)
        }
    }

    fn unreadable(error: &str) -> Report {
        Report {
            error: Some(error.to_owned()),
            ..Report::empty(Format::Unreadable)
        }
    }

    /// A line of our own MTA's log that bounced `record` (see
    /// [`postfix_log`]); `date` is the line's time.
    pub fn mta_log(record: Bounce, date: Option<String>) -> Report {
        Report {
            records: vec![record],
            date,
            ..Report::empty(Format::MtaLog)
        }
    }

    /// True when at least one recipient failed (complaints are not bounces).
    pub fn is_bounce(&self) -> bool {
        self.records.iter().any(|r| r.action == Action::Failed)
    }
}

/// Reads one message (or SES notification). Never panics, never fails: see
/// the module doc.
pub fn parse(raw: &[u8]) -> Report {
    let start = raw
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(raw.len());
    if raw[start..].starts_with(b"{") {
        return ses::parse(&raw[start..])
            .unwrap_or_else(|| Report::unreadable("JSON that is not an SES or SNS notification"));
    }
    let Some(message) = MessageParser::new().parse(raw) else {
        return Report::unreadable("no message headers");
    };
    if message.headers().is_empty() {
        return Report::unreadable("no message headers");
    }
    let mut report = from_message(&message);
    report.message_id = message.message_id().map(str::to_owned);
    report.quoted_ids = quoted_ids(&report, &message);
    report.date = message
        .date()
        .filter(|d| d.is_valid())
        .map(|d| StoreTime::from_unix(d.to_timestamp()).to_string());
    report
}

/// [`Report::quoted_ids`]: the records' original Message-IDs, then every
/// ID of `In-Reply-To` and `References`.
fn quoted_ids(report: &Report, message: &Message<'_>) -> Vec<String> {
    let listed = |value: &HeaderValue<'_>| -> Vec<String> {
        match value {
            HeaderValue::Text(t) => vec![t.to_string()],
            HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
            _ => Vec::new(),
        }
    };
    let mut ids: Vec<String> = Vec::new();
    let candidates = report
        .records
        .iter()
        .filter_map(|r| r.original_message_id.clone())
        .chain(listed(message.in_reply_to()))
        .chain(listed(message.references()));
    for id in candidates {
        let id = crate::suppression::trust::message_id_key(&id);
        if !id.is_empty() && !ids.iter().any(|x| x == id) {
            ids.push(id.to_owned());
            if ids.len() == MAX_QUOTED_IDS {
                break;
            }
        }
    }
    ids
}

fn from_message(message: &Message<'_>) -> Report {
    let parts = Parts::collect(message);
    let original_id = parts
        .original_message_id
        .clone()
        .or_else(|| first_id(message.in_reply_to()))
        .or_else(|| first_id(message.references()));

    if let Some(body) = &parts.delivery_status {
        let mut report = dsn(body, original_id.as_deref());
        if report.records.is_empty() && report.notice.is_none() {
            // A report part with no recipient group: fall back on the text.
            report = text_bounce(message, &parts, original_id.as_deref());
        } else {
            fill_from_text(&mut report, &parts.text);
        }
        return report;
    }
    if let Some(body) = &parts.feedback_report {
        return arf(body, &parts, original_id.as_deref());
    }
    if looks_like_bounce(message) {
        return text_bounce(message, &parts, original_id.as_deref());
    }
    if is_auto_reply(message) {
        return Report::notice(Format::NotBounce, Notice::AutoReply);
    }
    Report::notice(Format::NotBounce, Notice::Other)
}

/// What a message's parts hold that a bounce reader needs.
#[derive(Default)]
struct Parts {
    delivery_status: Option<Vec<u8>>,
    feedback_report: Option<Vec<u8>>,
    /// Text of the bounce's own text parts (not the returned message's).
    text: String,
    original_message_id: Option<String>,
    original_to: Vec<String>,
}

impl Parts {
    fn collect(message: &Message<'_>) -> Parts {
        let mut parts = Parts::default();
        for part in &message.parts {
            let (ctype, subtype) = part
                .content_type()
                .map(|c| {
                    (
                        c.ctype().to_ascii_lowercase(),
                        c.subtype().unwrap_or("").to_ascii_lowercase(),
                    )
                })
                .unwrap_or_else(|| ("text".into(), "plain".into()));
            match (&part.body, ctype.as_str(), subtype.as_str()) {
                (_, "message", "delivery-status" | "global-delivery-status")
                    if parts.delivery_status.is_none() =>
                {
                    parts.delivery_status = Some(part.contents().to_vec());
                }
                (_, "message", "feedback-report") if parts.feedback_report.is_none() => {
                    parts.feedback_report = Some(part.contents().to_vec());
                }
                (PartType::Message(original), _, _) => parts.note_original(original),
                (_, "text" | "message", "rfc822-headers" | "global-headers") => {
                    if let Some(headers) = MessageParser::new().parse_headers(part.contents()) {
                        parts.note_original(&headers);
                    }
                }
                // An attached file (the original as text, a log) is not the
                // report's own words.
                (PartType::Text(_) | PartType::Html(_), _, _)
                    if part
                        .content_disposition()
                        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment")) => {}
                (PartType::Text(body), _, _) if parts.text.len() < text::MAX_TEXT_BYTES => {
                    if parts.original_message_id.is_none() {
                        // Text bounces quote the original's headers inline.
                        if let Some(headers) = text::returned_headers(body) {
                            if let Some(h) = MessageParser::new().parse_headers(headers.as_bytes())
                            {
                                parts.note_original(&h);
                            }
                        }
                    }
                    parts.text.push_str(body);
                    parts.text.push('\n');
                }
                (PartType::Html(html), _, _) if parts.text.is_empty() => {
                    parts
                        .text
                        .push_str(&mail_parser::decoders::html::html_to_text(html));
                    parts.text.push('\n');
                }
                _ => {}
            }
        }
        parts
    }

    fn note_original(&mut self, original: &Message<'_>) {
        if self.original_message_id.is_none() {
            self.original_message_id = original.message_id().map(str::to_owned);
        }
        if self.original_to.is_empty() {
            if let Some(to) = original.to() {
                self.original_to = to
                    .iter()
                    .filter_map(|a| a.address().map(str::to_owned))
                    .collect();
            }
        }
    }
}

fn dsn(body: &[u8], original_id: Option<&str>) -> Report {
    let groups = fields::parse(body);
    let reporting_mta = fields::get(&groups.message, "reporting-mta").and_then(mta_name);
    let arrival_date = fields::get(&groups.message, "arrival-date").map(iso_utc);
    let mut report = Report::empty(Format::Dsn);
    let mut notices = Vec::new();
    for group in &groups.recipients {
        let action = fields::get(group, "action")
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let action = action.split([' ', '(']).next().unwrap_or("");
        let final_recipient = fields::get(group, "final-recipient").and_then(fields::address);
        let original = fields::get(group, "original-recipient").and_then(fields::original_address);
        let recipient = original.or_else(|| final_recipient.clone());
        let final_recipient = final_recipient.filter(|f| {
            recipient
                .as_deref()
                .is_some_and(|r| !r.eq_ignore_ascii_case(f))
        });
        let status_field = fields::get(group, "status").and_then(status_prefix);
        match action {
            "delayed" => notices.push(Notice::Delayed),
            "delivered" => notices.push(Notice::Delivered),
            "relayed" => notices.push(Notice::Relayed),
            "expanded" => notices.push(Notice::Expanded),
            // `failed`, or a missing/unknown action with a failure status.
            _ if action == "failed" || status_field.is_some_and(|s| s.class != 2) => {
                let Some(recipient) = recipient else { continue };
                let diagnostic = fields::get(group, "diagnostic-code")
                    .map(strip_type)
                    .filter(|d| !d.is_empty());
                let (kind, reason) = meaning::judge(status_field, diagnostic);
                let status = status_field.or_else(|| {
                    diagnostic
                        .and_then(meaning::embedded_reply)
                        .and_then(|r| r.enhanced)
                });
                report.records.push(Bounce {
                    recipient,
                    final_recipient,
                    action: Action::Failed,
                    status: status.map(|s| s.to_string()),
                    diagnostic_code: diagnostic.map(str::to_owned),
                    remote_mta: fields::get(group, "remote-mta").and_then(mta_name),
                    reporting_mta: reporting_mta.clone(),
                    arrival_date: arrival_date.clone(),
                    original_message_id: original_id.map(str::to_owned),
                    kind,
                    reason,
                });
            }
            _ => {}
        }
    }
    // The most telling notice: a delay beats a success report.
    report.notice = [
        Notice::Delayed,
        Notice::Relayed,
        Notice::Delivered,
        Notice::Expanded,
    ]
    .into_iter()
    .find(|n| notices.contains(n));
    if report.records.is_empty() && report.notice.is_some() {
        report.format = Format::NotBounce;
    }
    report
}

/// A report's recipient without a Diagnostic-Code (Sendmail and some
/// gateways leave it out) takes what the human-readable part says about the
/// same address, and is judged again with it.
fn fill_from_text(report: &mut Report, text: &str) {
    if report.records.iter().all(|r| r.diagnostic_code.is_some()) {
        return;
    }
    let failures = text::failures(text);
    for record in report
        .records
        .iter_mut()
        .filter(|r| r.diagnostic_code.is_none())
    {
        let Some(f) = failures.iter().find(|f| {
            (f.recipient.eq_ignore_ascii_case(&record.recipient)
                || record
                    .final_recipient
                    .as_deref()
                    .is_some_and(|r| f.recipient.eq_ignore_ascii_case(r)))
                && f.diagnostic.is_some()
        }) else {
            continue;
        };
        let status = record
            .status
            .as_deref()
            .and_then(|s| EnhancedCode::parse(s).ok())
            .or(f.status);
        let (kind, reason) = meaning::judge(status, f.diagnostic.as_deref());
        record.diagnostic_code = f.diagnostic.clone();
        record.status = status.map(|s| s.to_string());
        record.remote_mta = record.remote_mta.take().or_else(|| f.remote_mta.clone());
        record.kind = kind;
        record.reason = reason;
    }
}

/// ARF feedback types that are complaints about the mail (RFC 5965 §7.3):
/// `abuse` (spam) and `fraud` (phishing). `virus`, `other`, `not-spam` and
/// DMARC's `auth-failure` (RFC 6591: a forensic report, often about a spoof
/// of the sender) say nothing against the recipient.
const COMPLAINT_TYPES: &[&str] = &["abuse", "fraud"];

fn arf(body: &[u8], parts: &Parts, original_id: Option<&str>) -> Report {
    let groups = fields::parse(body);
    let all: Vec<&fields::Field> = groups
        .message
        .iter()
        .chain(groups.recipients.iter().flatten())
        .collect();
    let get = |name: &str| {
        all.iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    };
    let feedback_type = get("feedback-type")
        .unwrap_or("abuse")
        .trim()
        .to_ascii_lowercase();
    if !COMPLAINT_TYPES.contains(&feedback_type.as_str()) {
        return Report::notice(Format::NotBounce, Notice::Other);
    }
    let mut recipients: Vec<String> = all
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("original-rcpt-to"))
        .filter_map(|f| fields::address(&f.value))
        .collect();
    if recipients.is_empty() {
        // Without Original-Rcpt-To, the returned message's `To` names the
        // complainer only when it names one address.
        recipients = single(&parts.original_to);
    }
    let mut report = Report::empty(Format::Arf);
    let arrival = get("arrival-date")
        .or_else(|| get("received-date"))
        .map(iso_utc);
    for recipient in recipients {
        report.records.push(Bounce {
            recipient,
            final_recipient: None,
            action: Action::Complained,
            status: None,
            diagnostic_code: Some(feedback_type.clone()),
            remote_mta: None,
            reporting_mta: get("reporting-mta").and_then(mta_name),
            arrival_date: arrival.clone(),
            original_message_id: original_id.map(str::to_owned),
            kind: Kind::Hard,
            reason: BounceReason::Complained,
        });
    }
    if report.records.is_empty() {
        report.format = Format::NotBounce;
        report.notice = Some(Notice::Other);
    }
    report
}

/// `list` when it holds exactly one address, else nothing.
fn single(list: &[String]) -> Vec<String> {
    if list.len() == 1 {
        list.to_vec()
    } else {
        Vec::new()
    }
}

fn text_bounce(message: &Message<'_>, parts: &Parts, original_id: Option<&str>) -> Report {
    let mut report = Report::empty(Format::Text);
    if text::is_delay_warning(message.subject().unwrap_or(""), &parts.text) {
        report.format = Format::NotBounce;
        report.notice = Some(Notice::Delayed);
        return report;
    }
    let reporting_mta = reporting_host(message);
    let failed_header: Vec<String> = message
        .header_values("X-Failed-Recipients")
        .filter_map(|v| v.as_text())
        .flat_map(|v| {
            v.split(',')
                .map(|a| a.trim().trim_matches(['<', '>']).to_owned())
        })
        .filter(|a| a.contains('@'))
        .collect();
    let mut failures = text::failures(&parts.text);
    if !failed_header.is_empty() {
        // Exim names the failed addresses in a header: the text's other
        // addresses are not failures.
        failures.retain(|f| {
            failed_header
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&f.recipient))
        });
    }
    for f in failures {
        let (kind, reason) = meaning::judge(f.status, f.diagnostic.as_deref());
        report.records.push(Bounce {
            recipient: f.recipient,
            final_recipient: f.final_recipient,
            action: Action::Failed,
            status: f.status.map(|s| s.to_string()),
            diagnostic_code: f.diagnostic,
            remote_mta: f.remote_mta,
            reporting_mta: reporting_mta.clone(),
            arrival_date: None,
            original_message_id: original_id.map(str::to_owned),
            kind,
            reason,
        });
    }
    if report.records.is_empty() {
        // The text named nobody: the headers may, or the returned message
        // when it was sent to one address.
        let recipients = if failed_header.is_empty() {
            single(&parts.original_to)
        } else {
            failed_header
        };
        for recipient in recipients {
            report.records.push(Bounce {
                recipient,
                final_recipient: None,
                action: Action::Failed,
                status: None,
                diagnostic_code: None,
                remote_mta: None,
                reporting_mta: reporting_mta.clone(),
                arrival_date: None,
                original_message_id: original_id.map(str::to_owned),
                kind: Kind::Undetermined,
                reason: BounceReason::Verdict(crate::Reason::Rejected),
            });
        }
    }
    if report.records.is_empty() {
        report.format = Format::NotBounce;
        report.notice = Some(if is_auto_reply(message) {
            Notice::AutoReply
        } else {
            Notice::Other
        });
    }
    report
}

/// Sender local parts and names that mark a delivery notice.
const DAEMON_WORDS: &[&str] = &[
    "mailer-daemon",
    "mailer_daemon",
    "mail-daemon",
    "postmaster",
    "mail delivery",
    "mailerdaemon",
];

/// Subject words of bounces (lower-case). Kept specific: "delivery
/// notification" or "not delivered" alone also head parcel notices.
const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliver",
    "delivery status notification (failure)",
    "delivery status notification (delay)",
    "failure notice",
    "mail delivery failed",
    "returned mail",
    "delivery failure",
    "could not be delivered",
    "non-delivery",
    "nondeliverable",
    "non remis",
    "unzustellbar",
    "delivery has failed",
    "message not delivered",
    "mail system error",
    "delivery failed",
];

/// Subject prefixes of a person's reply or forward (lower-case).
const REPLY_PREFIXES: &[&str] = &[
    "re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "vs:", "tr:", "rv:", "antw:",
];

fn looks_like_bounce(message: &Message<'_>) -> bool {
    let from = message
        .from()
        .and_then(|a| a.first())
        .map(|a| {
            format!("{} {}", a.name().unwrap_or(""), a.address().unwrap_or("")).to_ascii_lowercase()
        })
        .unwrap_or_default();
    let subject = message.subject().unwrap_or("").trim().to_ascii_lowercase();
    if DAEMON_WORDS.iter().any(|w| from.contains(w))
        || message.header("X-Failed-Recipients").is_some()
    {
        return true;
    }
    // A person replying to or forwarding a bounce is not a bounce.
    if REPLY_PREFIXES.iter().any(|p| subject.starts_with(p)) {
        return false;
    }
    BOUNCE_SUBJECTS.iter().any(|w| subject.contains(w))
}

/// Subject prefixes of automatic replies (lower-case).
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "auto:",
    "automatic reply",
    "autoreply",
    "auto-reply",
    "auto reply",
    "out of office",
    "out of the office",
    "abwesenheitsnotiz",
    "réponse automatique",
    "respuesta automática",
    "vacation",
];

fn is_auto_reply(message: &Message<'_>) -> bool {
    let header_text = |name: &str| {
        message
            .header(name)
            .and_then(|v| v.as_text())
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header_text("Auto-Submitted").is_some_and(|v| v.starts_with("auto-replied")) {
        return true;
    }
    if message.header("X-Autoreply").is_some()
        || message.header("X-Autorespond").is_some()
        || header_text("Precedence").is_some_and(|v| v == "auto_reply")
    {
        return true;
    }
    let subject = message.subject().unwrap_or("").trim().to_lowercase();
    AUTO_REPLY_SUBJECTS.iter().any(|p| subject.starts_with(p))
}

/// The host that wrote a text bounce: the domain of its `From` address.
fn reporting_host(message: &Message<'_>) -> Option<String> {
    let from = message.from()?.first()?.address()?;
    Some(from.rsplit_once('@')?.1.to_ascii_lowercase())
}

/// The first message id of an `In-Reply-To` / `References` value.
fn first_id(value: &HeaderValue<'_>) -> Option<String> {
    match value {
        HeaderValue::Text(t) => Some(t.to_string()),
        HeaderValue::TextList(list) => list.first().map(|t| t.to_string()),
        _ => None,
    }
}

/// A typed value without its type: `smtp; 550 …` → `550 …`.
fn strip_type(value: &str) -> &str {
    fields::typed(value).1
}

/// A host from an MTA field: the type, comments and the root dot removed
/// (`dns; mx.example.com. (192.0.2.1, the server for …)` → `mx.example.com`).
fn mta_name(value: &str) -> Option<String> {
    let name = strip_type(value)
        .split_whitespace()
        .next()?
        .trim_end_matches('.');
    (!name.is_empty()).then(|| name.to_owned())
}

/// The status at the start of a Status field: `5.1.1 (user unknown)` → 5.1.1.
fn status_prefix(value: &str) -> Option<EnhancedCode> {
    let v = value.trim();
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    EnhancedCode::parse(&v[..end]).ok()
}

/// A date (RFC 5322 or RFC 3339) as ISO 8601 UTC to the second; the value
/// as given if it is neither.
fn iso_utc(value: &str) -> String {
    let v = value.trim();
    let parsed = DateTime::parse_rfc822(v)
        .filter(DateTime::is_valid)
        .or_else(|| DateTime::parse_rfc3339(v).filter(DateTime::is_valid));
    match parsed {
        Some(d) => StoreTime::from_unix(d.to_timestamp()).to_string(),
        None => v.to_owned(),
    }
}

#[cfg(test)]
mod tests;
