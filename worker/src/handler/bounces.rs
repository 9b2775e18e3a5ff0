//! `POST /v1/bounces`: Amazon SES bounce and complaint notifications,
//! delivered by SNS.
//!
//! SNS cannot send a Bearer key, so what authenticates a message is SNS's
//! own signature (`crate::sns`) plus the topic allow-list
//! (`SNS_TOPIC_ARNS`), and its `Timestamp` bounds replays
//! (`SNS_MAX_AGE_SECS`). In order:
//!
//! 1. The body must be an SNS envelope of a known `Type` (and match the
//!    `x-amz-sns-message-type` header when there is one): else 400.
//! 2. The topic must be allowed, the `Timestamp` recent: else 403.
//! 3. The signature must verify with the certificate at `SigningCertURL`
//!    (an SNS host only; fetched once and cached for a day): else 403. A
//!    certificate that cannot be fetched is 502 (SNS retries).
//! 4. `SubscriptionConfirmation`: the worker visits `SubscribeURL` (an SNS
//!    host only) and answers 200 once SNS took it, 502 otherwise.
//!    `UnsubscribeConfirmation`: 200, nothing to do.
//! 5. `Notification`: core reads the message (`bounce::parse`); each failed
//!    or complaining recipient is recorded in D1 and suppressed as core's
//!    policy says, in one transaction, and only then is the answer 200 with
//!    a summary. A store failure is 503, so SNS delivers again (the same
//!    MessageId is never counted twice). An authentic message that is not a
//!    bounce (a delivery report, something unreadable) is 200 with a `note`
//!    and logged: SNS would only retry it in vain.

use prebounce_core::bounce::{self, ses::SnsEnvelope, Format};
use prebounce_core::suppression::trust::Verified;
use prebounce_core::suppression::RepeatRule;
use prebounce_core::time::{parse_rfc3339_ms, StoreTime};
use serde_json::{json, Value};

use super::ApiError;
use crate::platform::Outbound;
use crate::sns::{check_cert_url, check_subscribe_url, SigningCert, SnsError};
use crate::store;
use crate::{Config, HttpRequest, HttpResponse, Platform};
use prebounce_store::ledger::NewEvent;

/// The message types SNS sends to an HTTP(S) endpoint.
const TYPES: [&str; 3] = [
    "Notification",
    "SubscriptionConfirmation",
    "UnsubscribeConfirmation",
];

/// How far a `Timestamp` may be off the worker's clock beyond
/// `SNS_MAX_AGE_SECS` (and into the future), in milliseconds.
const CLOCK_SLACK_MS: i64 = 300_000;

/// Deadline of the certificate fetch and of the subscription confirmation.
const SNS_TIMEOUT_MS: u32 = 5000;

/// How long a fetched signing certificate is cached, in seconds.
const CERT_CACHE_SECS: u32 = 86_400;

/// What the summary says besides the counts.
struct Answer<'a> {
    envelope: &'a SnsEnvelope,
    records: usize,
    recorded: store::Recorded,
    skipped: usize,
    confirmed: Option<bool>,
    note: Option<String>,
}

impl Answer<'_> {
    fn response(self) -> HttpResponse {
        let mut v = json!({
            "type": self.envelope.kind,
            "message_id": self.envelope.message_id,
            "records": self.records,
            "suppressed": self.recorded.suppressed,
            "duplicates": self.recorded.duplicates,
            "skipped": self.skipped,
            "note": self.note,
        });
        if let (Some(confirmed), Value::Object(map)) = (self.confirmed, &mut v) {
            map.insert("confirmed".into(), json!(confirmed));
        }
        HttpResponse::json(200, &v)
    }
}

fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(403, code, message)
}

fn invalid_signature(e: SnsError) -> ApiError {
    forbidden("invalid_signature", e.to_string())
}

fn upstream(message: String) -> ApiError {
    ApiError::new(502, "upstream_unavailable", message)
}

/// `POST /v1/bounces`.
pub(super) async fn post(
    req: &HttpRequest,
    config: &Config,
    platform: &impl Platform,
) -> Result<HttpResponse, ApiError> {
    if req.body.len() > config.max_bulk_body_bytes {
        return Err(ApiError::too_large(
            config.max_bulk_body_bytes,
            "MAX_BULK_BODY_BYTES",
            "an SNS message is at most 256 KB",
        ));
    }
    let envelope = SnsEnvelope::parse(&req.body).ok_or_else(|| {
        ApiError::bad(
            "the body is not an SNS message (JSON with Type, MessageId, TopicArn, Message, Timestamp, SignatureVersion, Signature and SigningCertURL)",
        )
    })?;
    if !TYPES.contains(&envelope.kind.as_str()) {
        return Err(ApiError::bad(format!(
            "Type {:?} is not one SNS sends: {}",
            envelope.kind,
            TYPES.join(", ")
        )));
    }
    if let Some(header) = req.header("x-amz-sns-message-type") {
        if header != envelope.kind {
            return Err(ApiError::bad(format!(
                "x-amz-sns-message-type says {header} but the body's Type is {}",
                envelope.kind
            )));
        }
    }
    if !config.sns_topics.allows(&envelope.topic_arn) {
        return Err(forbidden(
            "topic_not_allowed",
            format!(
                "topic {} is not in SNS_TOPIC_ARNS: list it (comma-separated) to accept its messages",
                envelope.topic_arn
            ),
        ));
    }
    let sent_ms = parse_rfc3339_ms(&envelope.timestamp).ok_or_else(|| {
        ApiError::bad(format!(
            "Timestamp {:?} is not an ISO 8601 time",
            envelope.timestamp
        ))
    })?;
    let now_ms = platform.now_ms() as i64;
    let max_age_ms = (config.sns_max_age_secs as i64) * 1000 + CLOCK_SLACK_MS;
    if now_ms - sent_ms > max_age_ms || sent_ms - now_ms > CLOCK_SLACK_MS {
        return Err(forbidden(
            "stale_message",
            format!(
                "Timestamp {} is more than SNS_MAX_AGE_SECS ({} s) old or in the future: a replay, or a clock far off",
                envelope.timestamp, config.sns_max_age_secs
            ),
        ));
    }
    let cert = signing_cert(&envelope.signing_cert_url, config, platform).await?;
    cert.verify(&envelope, platform.now_unix())
        .map_err(invalid_signature)?;

    match envelope.kind.as_str() {
        "SubscriptionConfirmation" => confirm(&envelope, config, platform).await,
        "Notification" => notification(&envelope, sent_ms, platform).await,
        _ => {
            platform.log(&format!(
                "SNS: unsubscribed from {} (message {})",
                envelope.topic_arn, envelope.message_id
            ));
            Ok(Answer {
                envelope: &envelope,
                records: 0,
                recorded: store::Recorded::default(),
                skipped: 0,
                confirmed: None,
                note: Some(
                    "an unsubscribe confirmation: nothing to do (its SubscribeURL subscribes again)"
                        .into(),
                ),
            }
            .response())
        }
    }
}

/// The certificate at `url` (an SNS host only): the configured test
/// certificate, else the cached copy, else fetched.
async fn signing_cert(
    url: &str,
    config: &Config,
    platform: &impl Platform,
) -> Result<SigningCert, ApiError> {
    check_cert_url(url).map_err(invalid_signature)?;
    if let Some(cert) = &config.sns_test_cert {
        return Ok(cert.clone());
    }
    let key = format!("sns-cert/v1/{url}");
    if let Some(pem) = platform.cache_get(&key).await {
        if let Ok(cert) = SigningCert::from_pem(&pem) {
            return Ok(cert);
        }
    }
    let response = platform
        .fetch(Outbound {
            method: "GET".into(),
            url: url.to_owned(),
            headers: vec![],
            body: vec![],
            timeout_ms: SNS_TIMEOUT_MS,
        })
        .await
        .map_err(|e| {
            upstream(format!(
                "the signing certificate could not be fetched ({e}); SNS retries"
            ))
        })?;
    if response.status != 200 {
        return Err(upstream(format!(
            "the signing certificate could not be fetched (HTTP {}); SNS retries",
            response.status
        )));
    }
    let cert = SigningCert::from_pem(&response.body).map_err(|e| upstream(e.to_string()))?;
    platform
        .cache_put(&key, response.body, CERT_CACHE_SECS)
        .await;
    Ok(cert)
}

/// Confirms a subscription by visiting its `SubscribeURL`.
async fn confirm(
    envelope: &SnsEnvelope,
    config: &Config,
    platform: &impl Platform,
) -> Result<HttpResponse, ApiError> {
    let path = check_subscribe_url(envelope.subscribe_url.as_deref())
        .map_err(|e| ApiError::bad(e.to_string()))?;
    let url = match &config.sns_test_confirm_origin {
        Some(origin) => format!("{origin}{path}"),
        None => envelope.subscribe_url.clone().unwrap_or_default(),
    };
    let outcome = platform
        .fetch(Outbound {
            method: "GET".into(),
            url,
            headers: vec![],
            body: vec![],
            timeout_ms: SNS_TIMEOUT_MS,
        })
        .await;
    let failure = match outcome {
        Ok(r) if (200..300).contains(&r.status) => None,
        Ok(r) => Some(format!("HTTP {}", r.status)),
        Err(e) => Some(e),
    };
    if let Some(why) = failure {
        return Err(upstream(format!(
            "confirming the subscription to {} failed ({why}): SNS sends the confirmation again, or open its SubscribeURL yourself",
            envelope.topic_arn
        )));
    }
    platform.log(&format!(
        "SNS: confirmed the subscription to {}",
        envelope.topic_arn
    ));
    Ok(Answer {
        envelope,
        records: 0,
        recorded: store::Recorded::default(),
        skipped: 0,
        confirmed: Some(true),
        note: None,
    }
    .response())
}

/// Records a notification's bounces and complaints.
async fn notification(
    envelope: &SnsEnvelope,
    sent_ms: i64,
    platform: &impl Platform,
) -> Result<HttpResponse, ApiError> {
    let report = bounce::parse(envelope.message.as_bytes());
    let mut answer = Answer {
        envelope,
        records: report.records.len(),
        recorded: store::Recorded::default(),
        skipped: 0,
        confirmed: None,
        note: None,
    };
    if report.records.is_empty() {
        let note = match (report.format, &report.error, report.notice) {
            (Format::Unreadable, Some(e), _) => format!("not an SES notification: {e}"),
            (_, _, Some(notice)) => format!(
                "not a bounce or a complaint ({}): nothing recorded",
                serde_json::to_value(notice)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
            _ => "no failed recipient in it: nothing recorded".to_owned(),
        };
        platform.log(&format!(
            "SNS message {} from {}: {note}",
            envelope.message_id, envelope.topic_arn
        ));
        answer.note = Some(note);
        return Ok(answer.response());
    }
    let message_key = format!("sns:{}", envelope.message_id);
    // Never later than now (as the CLI's `when`): a sender's clock up to
    // CLOCK_SLACK_MS ahead must not place the event past every window.
    let seen = StoreTime::from_unix_ms(sent_ms.min(platform.now_ms() as i64));
    // SNS's signature was checked, and the topic is one of ours
    // (`SNS_TOPIC_ARNS` takes no wildcard): the provider vouches for it.
    let verified = Verified::Provider;
    let mut events = Vec::with_capacity(report.records.len());
    for record in &report.records {
        match NewEvent::new(&message_key, record, seen, store::SES_SOURCE) {
            Ok(event) => events.push(event.trusted(verified, true)),
            Err(code) => {
                answer.skipped += 1;
                platform.log(&format!(
                    "SNS message {}: recipient {:?} is not an address ({}), skipped",
                    envelope.message_id,
                    record.recipient,
                    code.as_str()
                ));
            }
        }
    }
    answer.recorded = store::record_bounces(
        platform,
        &events,
        RepeatRule::default(),
        platform.now_ms() as i64,
    )
    .await
    .map_err(|e| ApiError::store(e, platform))?;
    Ok(answer.response())
}
