//! Amazon SES bounce, complaint and delivery notifications, as SES publishes
//! them to an SNS topic: wrapped in an SNS envelope (`Type`, `Message`,
//! `Signature` …) or, with raw message delivery, bare.
//!
//! SNS signature checking needs a clock, a certificate fetch and RSA, so it
//! belongs to the adapter (the worker); this module gives it what it signs:
//! [`SnsEnvelope::string_to_sign`].

use serde::Deserialize;

use super::meaning::{embedded_reply, judge};
use super::{iso_utc, mta_name, strip_type, Action, Bounce, Format, Kind, Notice, Report};
use crate::reply::EnhancedCode;
use crate::suppression::BounceReason;
use crate::Reason;

/// An SNS message envelope (the fields SNS signs, and where it says the
/// certificate is).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct SnsEnvelope {
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// SNS's id for this message.
    pub message_id: String,
    /// The topic.
    pub topic_arn: String,
    /// The subject, when the publisher set one.
    #[serde(default)]
    pub subject: Option<String>,
    /// The payload: for SES, the notification JSON as a string.
    pub message: String,
    /// When SNS published it (ISO 8601).
    pub timestamp: String,
    /// `1` (SHA1withRSA) or `2` (SHA256withRSA).
    pub signature_version: String,
    /// Base64 of the signature over [`SnsEnvelope::string_to_sign`].
    pub signature: String,
    /// Where the signing certificate is (must be an SNS host: the adapter checks).
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    /// Subscription confirmations: the URL to visit to confirm.
    #[serde(rename = "SubscribeURL", default)]
    pub subscribe_url: Option<String>,
    /// Subscription confirmations: the token.
    #[serde(default)]
    pub token: Option<String>,
    /// Notifications: the URL that unsubscribes.
    #[serde(rename = "UnsubscribeURL", default)]
    pub unsubscribe_url: Option<String>,
}

impl SnsEnvelope {
    /// Reads an envelope; `None` if `json` is not one.
    pub fn parse(json: &[u8]) -> Option<SnsEnvelope> {
        serde_json::from_slice(json).ok()
    }

    /// The text SNS signs: the signed fields as `Name\nvalue\n`, in
    /// alphabetical order, per message type.
    pub fn string_to_sign(&self) -> String {
        let mut fields: Vec<(&str, &str)> =
            vec![("Message", &self.message), ("MessageId", &self.message_id)];
        if self.kind == "Notification" {
            if let Some(subject) = &self.subject {
                fields.push(("Subject", subject));
            }
            fields.push(("Timestamp", &self.timestamp));
        } else {
            fields.push(("SubscribeURL", self.subscribe_url.as_deref().unwrap_or("")));
            fields.push(("Timestamp", &self.timestamp));
            fields.push(("Token", self.token.as_deref().unwrap_or("")));
        }
        fields.push(("TopicArn", &self.topic_arn));
        fields.push(("Type", &self.kind));
        fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    #[serde(alias = "eventType")]
    notification_type: Option<String>,
    bounce: Option<SesBounce>,
    complaint: Option<SesComplaint>,
    mail: Option<SesMail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesBounce {
    bounce_type: Option<String>,
    bounce_sub_type: Option<String>,
    feedback_id: Option<String>,
    #[serde(default)]
    bounced_recipients: Vec<SesRecipient>,
    timestamp: Option<String>,
    #[serde(rename = "reportingMTA")]
    reporting_mta: Option<String>,
    remote_mta_ip: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesRecipient {
    email_address: String,
    status: Option<String>,
    diagnostic_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesComplaint {
    #[serde(default)]
    complained_recipients: Vec<SesRecipient>,
    timestamp: Option<String>,
    arrival_date: Option<String>,
    complaint_feedback_type: Option<String>,
    feedback_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesMail {
    message_id: Option<String>,
}

/// Reads an SES notification, bare or in an SNS envelope. `None` if `json`
/// is neither (the caller reports it as unreadable).
pub fn parse(json: &[u8]) -> Option<Report> {
    if let Some(envelope) = SnsEnvelope::parse(json) {
        return Some(match envelope.kind.as_str() {
            "Notification" => {
                let mut report = notification(envelope.message.as_bytes())?;
                report.message_id = Some(envelope.message_id);
                report
            }
            "SubscriptionConfirmation" => {
                Report::notice(Format::NotBounce, Notice::SubscriptionConfirmation)
            }
            "UnsubscribeConfirmation" => {
                Report::notice(Format::NotBounce, Notice::UnsubscribeConfirmation)
            }
            _ => Report::notice(Format::NotBounce, Notice::Other),
        });
    }
    notification(json)
}

fn notification(json: &[u8]) -> Option<Report> {
    let n: Notification = serde_json::from_slice(json).ok()?;
    let original = n.mail.and_then(|m| m.message_id);
    let mut report = Report::empty(Format::Ses);
    match n.notification_type.as_deref() {
        Some("Bounce") => {
            let b = n.bounce?;
            // Bare notifications (no SNS envelope) are told apart by SES's
            // feedback id; an envelope's MessageId replaces it.
            report.message_id = b.feedback_id.clone();
            report.date = b.timestamp.as_deref().map(iso_utc);
            for r in b.bounced_recipients {
                let (kind, reason) = ses_meaning(&b.bounce_type, &b.bounce_sub_type, &r);
                let diagnostic = r.diagnostic_code.as_deref().map(strip_type);
                let status = r
                    .status
                    .as_deref()
                    .and_then(|s| EnhancedCode::parse(s.trim()).ok())
                    .or_else(|| diagnostic.and_then(embedded_reply).and_then(|r| r.enhanced));
                report.records.push(Bounce {
                    recipient: r.email_address,
                    final_recipient: None,
                    action: Action::Failed,
                    status: status.map(|s| s.to_string()),
                    diagnostic_code: diagnostic.map(str::to_owned),
                    remote_mta: b.remote_mta_ip.clone(),
                    reporting_mta: b.reporting_mta.as_deref().and_then(mta_name),
                    arrival_date: b.timestamp.as_deref().map(iso_utc),
                    original_message_id: original.clone(),
                    kind,
                    reason,
                });
            }
        }
        Some("Complaint") => {
            let c = n.complaint?;
            report.message_id = c.feedback_id.clone();
            report.date = c.timestamp.as_deref().map(iso_utc);
            if c.complaint_feedback_type.as_deref() == Some("not-spam") {
                report.format = Format::NotBounce;
                report.notice = Some(Notice::Other);
                return Some(report);
            }
            let when = c.arrival_date.or(c.timestamp);
            for r in c.complained_recipients {
                report.records.push(Bounce {
                    recipient: r.email_address,
                    final_recipient: None,
                    action: Action::Complained,
                    status: None,
                    diagnostic_code: c.complaint_feedback_type.clone(),
                    remote_mta: None,
                    reporting_mta: None,
                    arrival_date: when.as_deref().map(iso_utc),
                    original_message_id: original.clone(),
                    kind: Kind::Hard,
                    reason: BounceReason::Complained,
                });
            }
        }
        Some("Delivery") => return Some(Report::notice(Format::NotBounce, Notice::Delivered)),
        Some("DeliveryDelay") => return Some(Report::notice(Format::NotBounce, Notice::Delayed)),
        Some(_) => return Some(Report::notice(Format::NotBounce, Notice::Other)),
        None => return None,
    }
    Some(report)
}

/// An SES recipient's kind and reason: the remote reply when SES quotes one
/// (the same rules as every other bounce), else SES's own bounce type.
fn ses_meaning(
    bounce_type: &Option<String>,
    sub_type: &Option<String>,
    r: &SesRecipient,
) -> (Kind, BounceReason) {
    let status = r
        .status
        .as_deref()
        .and_then(|s| EnhancedCode::parse(s.trim()).ok());
    let diagnostic = r.diagnostic_code.as_deref().map(strip_type);
    if diagnostic.is_some_and(|d| embedded_reply(d).is_some()) {
        return judge(status, diagnostic);
    }
    let verdict = |reason, kind| (kind, BounceReason::Verdict(reason));
    match (bounce_type.as_deref(), sub_type.as_deref()) {
        (Some("Permanent"), Some("NoEmail")) => verdict(Reason::DoesNotExist, Kind::Hard),
        // SES's own suppression lists hold addresses that hard-bounced (or
        // complained); SES reports them as 5.1.1, and so do we.
        (Some("Permanent"), Some("Suppressed" | "OnAccountSuppressionList"))
            if status.is_none() =>
        {
            verdict(Reason::DoesNotExist, Kind::Hard)
        }
        (Some("Transient"), Some("MailboxFull")) => verdict(Reason::MailboxFull, Kind::Soft),
        (Some("Transient"), Some("MessageTooLarge" | "ContentRejected" | "AttachmentRejected")) => {
            verdict(Reason::Rejected, Kind::Soft)
        }
        _ if status.is_some() || diagnostic.is_some() => judge(status, diagnostic),
        (Some("Permanent"), _) => verdict(Reason::Rejected, Kind::Hard),
        (Some("Transient"), _) => verdict(Reason::TemporaryFailure, Kind::Soft),
        _ => verdict(Reason::Rejected, Kind::Undetermined),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_follows_sns() {
        let n = SnsEnvelope {
            kind: "Notification".into(),
            message_id: "m-1".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:bounces".into(),
            subject: None,
            message: "{\"x\":1}".into(),
            timestamp: "2026-03-14T09:26:53.000Z".into(),
            signature_version: "1".into(),
            signature: "".into(),
            signing_cert_url: "".into(),
            subscribe_url: None,
            token: None,
            unsubscribe_url: None,
        };
        assert_eq!(
            n.string_to_sign(),
            "Message\n{\"x\":1}\nMessageId\nm-1\nTimestamp\n2026-03-14T09:26:53.000Z\nTopicArn\narn:aws:sns:us-east-1:123456789012:bounces\nType\nNotification\n"
        );
        let c = SnsEnvelope {
            kind: "SubscriptionConfirmation".into(),
            subscribe_url: Some("https://sns.example/confirm".into()),
            token: Some("tok".into()),
            ..n
        };
        assert_eq!(
            c.string_to_sign(),
            "Message\n{\"x\":1}\nMessageId\nm-1\nSubscribeURL\nhttps://sns.example/confirm\nTimestamp\n2026-03-14T09:26:53.000Z\nToken\ntok\nTopicArn\narn:aws:sns:us-east-1:123456789012:bounces\nType\nSubscriptionConfirmation\n"
        );
    }
}
