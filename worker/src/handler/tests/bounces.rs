//! `POST /v1/bounces` with envelopes signed like SNS signs them (the test
//! key of tests/worker/fixtures), certificates served by the fake SNS host.

use prebounce_core::bounce::ses::SnsEnvelope;

use super::*;
use crate::sns::tests::{envelope, sign, EXPIRED_CERT, NOW};
use prebounce_core::time::{format_ms as iso_ms, StoreTime};

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:ses-bounces";
const SK: &str = "sk_test_1";

fn sns_config(extra: &[(&str, &str)]) -> Config {
    let mut vars = vec![("SNS_TOPIC_ARNS", TOPIC)];
    vars.extend_from_slice(extra);
    config(&vars)
}

/// A fake at the test clock and the config that accepts the test topic.
fn start() -> (Fake, Config) {
    (fake_at(NOW * 1000), sns_config(&[]))
}

fn fake_at(ms: u64) -> Fake {
    let fake = Fake::default();
    fake.now_ms.set(ms);
    fake
}

/// An SES bounce notification for these recipients.
fn ses_bounce(recipients: &[&str], bounce_type: &str, sub_type: &str, diagnostic: &str) -> String {
    let recipients: Vec<Value> = recipients
        .iter()
        .map(|r| json!({"emailAddress": r, "action": "failed", "diagnosticCode": diagnostic}))
        .collect();
    json!({
        "notificationType": "Bounce",
        "bounce": {"bounceType": bounce_type, "bounceSubType": sub_type,
                   "bouncedRecipients": recipients, "timestamp": "2026-11-18T11:06:39.000Z"},
        "mail": {"messageId": "0100018c-original"}
    })
    .to_string()
}

fn hard(recipient: &str) -> String {
    ses_bounce(
        &[recipient],
        "Permanent",
        "General",
        "smtp; 550 5.1.1 user unknown",
    )
}

fn full(recipient: &str) -> String {
    ses_bounce(&[recipient], "Transient", "MailboxFull", "")
}

/// A signed notification with this message id, sent at the fake's clock.
fn note(message: &str, id: &str, fake: &Fake, version: &str) -> SnsEnvelope {
    let mut e = envelope(message, version);
    e.message_id = id.into();
    e.timestamp = iso_ms(fake.now_ms.get() as i64);
    sign(&mut e);
    e
}

fn body_of(e: &SnsEnvelope) -> String {
    json!({
        "Type": e.kind, "MessageId": e.message_id, "TopicArn": e.topic_arn,
        "Subject": e.subject, "Message": e.message, "Timestamp": e.timestamp,
        "SignatureVersion": e.signature_version, "Signature": e.signature,
        "SigningCertURL": e.signing_cert_url, "SubscribeURL": e.subscribe_url,
        "Token": e.token, "UnsubscribeURL": e.unsubscribe_url,
    })
    .to_string()
}

fn post(e: &SnsEnvelope, c: &Config, fake: &Fake) -> (u16, Value) {
    let mut req = request("POST", "/v1/bounces", &body_of(e), "");
    req.headers
        .push(("x-amz-sns-message-type".into(), e.kind.clone()));
    let (s, b, _) = run(req, c, fake);
    (s, b)
}

fn suppression(address: &str, fake: &Fake) -> Option<Value> {
    let path = format!("/v1/suppressions/{}", address.replace('@', "%40"));
    match run(request("GET", &path, "", SK), &config(&[]), fake) {
        (200, b, _) => Some(b),
        (404, _, _) => None,
        (s, b, _) => panic!("{s} {b}"),
    }
}

fn stored(fake: &Fake) -> (usize, usize) {
    let n = |t: &str| fake.sql(&format!("SELECT count(*) FROM {t}"))[0][0].clone();
    let count = |v| match v {
        rusqlite::types::Value::Integer(n) => n as usize,
        other => panic!("{other:?}"),
    };
    if !fake.schema.get() {
        return (0, 0);
    }
    (count(n("bounce_events")), count(n("suppressions")))
}

#[test]
fn a_hard_bounce_is_suppressed_and_checks_answer_suppressed() {
    for version in ["1", "2"] {
        let fake = fake_at(NOW * 1000);
        let c = sns_config(&[]);
        let e = note(&hard("Gone@Alpha.test"), "m-1", &fake, version);
        let (s, b) = post(&e, &c, &fake);
        assert_eq!(s, 200, "{b}");
        assert_eq!(
            b,
            json!({"type": "Notification", "message_id": "m-1", "records": 1, "suppressed": 1,
                   "duplicates": 0, "skipped": 0, "note": null})
        );
        let when = StoreTime::from_unix(NOW as i64).to_string();
        assert_eq!(
            suppression("gone@alpha.test", &fake),
            Some(
                json!({"address": "gone@alpha.test", "reason": "does_not_exist", "first_seen": when,
                        "last_seen": when, "count": 1, "source": "ses"})
            )
        );
        // A signed SNS notification: the provider vouches for it.
        assert_eq!(
            fake.sql("SELECT verified FROM bounce_events"),
            [[rusqlite::types::Value::Text("provider".into())]]
        );
        let r = batch(&["gone@alpha.test"], &fake);
        assert_eq!(
            (r[0]["reason"].as_str(), r[0]["status"].as_str()),
            (Some("suppressed"), Some("invalid"))
        );
        assert_eq!(
            fake.doh_fetches() + fake.probe_fetches(),
            0,
            "no DNS, no probe"
        );
        // The certificate was fetched once and is cached.
        let e2 = note(&hard("other@alpha.test"), "m-2", &fake, version);
        assert_eq!(post(&e2, &c, &fake).0, 200);
        let cert_fetches = fake
            .fetches
            .borrow()
            .iter()
            .filter(|u| *u == CERT_URL)
            .count();
        assert_eq!(cert_fetches, 1);
    }
}

#[test]
fn a_redelivered_message_is_not_counted_twice() {
    let (fake, c) = start();
    let e = note(
        &ses_bounce(
            &["a@example.com", "b@example.com", "a@EXAMPLE.com"],
            "Permanent",
            "NoEmail",
            "",
        ),
        "m-1",
        &fake,
        "2",
    );
    let (_, b) = post(&e, &c, &fake);
    assert_eq!(
        (
            b["records"].as_u64(),
            b["suppressed"].as_u64(),
            b["duplicates"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    fake.now_ms.set(fake.now_ms.get() + 20_000);
    let (s, b) = post(&e, &c, &fake);
    assert_eq!(s, 200);
    assert_eq!(
        (b["suppressed"].as_u64(), b["duplicates"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(stored(&fake), (2, 2));
    assert_eq!(suppression("a@example.com", &fake).unwrap()["count"], 1);
}

#[test]
fn a_full_mailbox_is_suppressed_when_it_repeats() {
    let (fake, c) = start();
    let start = NOW as i64;
    for (i, suppressed) in [(0, 0), (1, 0), (2, 1)] {
        fake.now_ms.set((NOW + i * 86_400) * 1000);
        let e = note(&full("full@example.com"), &format!("m-{i}"), &fake, "2");
        let (s, b) = post(&e, &c, &fake);
        assert_eq!(
            (s, b["suppressed"].as_u64()),
            (200, Some(suppressed)),
            "bounce {i}: {b}"
        );
        assert_eq!(
            suppression("full@example.com", &fake).is_some(),
            suppressed == 1
        );
    }
    let record = suppression("full@example.com", &fake).unwrap();
    assert_eq!(record["reason"], "mailbox_full");
    assert_eq!(record["count"], 3);
    assert_eq!(
        record["first_seen"],
        StoreTime::from_unix(start).to_string()
    );
    assert_eq!(
        record["last_seen"],
        StoreTime::from_unix(start + 2 * 86_400).to_string()
    );
    // A hard bounce later counts on: 4 bounces, the latest reason.
    fake.now_ms.set((NOW + 3 * 86_400) * 1000);
    post(
        &note(&hard("full@example.com"), "m-hard", &fake, "2"),
        &c,
        &fake,
    );
    let record = suppression("full@example.com", &fake).unwrap();
    assert_eq!(
        (record["reason"].as_str(), record["count"].as_u64()),
        (Some("does_not_exist"), Some(4))
    );
    assert_eq!(
        record["first_seen"],
        StoreTime::from_unix(start).to_string()
    );
}

#[test]
fn soft_bounces_a_month_apart_do_not_add_up() {
    let (fake, c) = start();
    for i in 0..4 {
        fake.now_ms.set((NOW + i * 31 * 86_400) * 1000);
        let (s, b) = post(
            &note(&full("slow@example.com"), &format!("m-{i}"), &fake, "1"),
            &c,
            &fake,
        );
        assert_eq!((s, b["suppressed"].as_u64()), (200, Some(0)));
    }
    assert_eq!(suppression("slow@example.com", &fake), None);
    assert_eq!(stored(&fake), (4, 0));
}

#[test]
fn blocked_never_suppresses_and_complaints_do_at_once() {
    let (fake, c) = start();
    for i in 0..5 {
        let blocked = ses_bounce(
            &["sender-problem@example.com"],
            "Transient",
            "General",
            "smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
        );
        let (_, b) = post(&note(&blocked, &format!("b-{i}"), &fake, "2"), &c, &fake);
        assert_eq!(
            (b["records"].as_u64(), b["suppressed"].as_u64()),
            (Some(1), Some(0))
        );
    }
    assert_eq!(suppression("sender-problem@example.com", &fake), None);
    let complaint = json!({
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "angry@example.com"}],
                      "complaintFeedbackType": "abuse", "timestamp": "2026-11-18T11:00:00.000Z"},
        "mail": {"messageId": "x"}
    })
    .to_string();
    let (_, b) = post(&note(&complaint, "c-1", &fake, "2"), &c, &fake);
    assert_eq!(b["suppressed"], 1);
    let record = suppression("angry@example.com", &fake).unwrap();
    assert_eq!(
        (record["reason"].as_str(), record["count"].as_u64()),
        (Some("complained"), Some(1))
    );
    // Blocked bounces are not counted in a later record either.
    post(
        &note(&hard("sender-problem@example.com"), "h-1", &fake, "2"),
        &c,
        &fake,
    );
    assert_eq!(
        suppression("sender-problem@example.com", &fake).unwrap()["count"],
        1
    );
}

#[test]
fn forged_or_foreign_messages_are_refused_and_nothing_is_stored() {
    let (fake, c) = start();
    let good = note(&hard("victim@example.com"), "m-1", &fake, "2");
    let mut tampered = good.clone();
    tampered.message = hard("someone-else@example.com");
    let mut wrong_host = good.clone();
    wrong_host.signing_cert_url =
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem".into();
    let mut http = good.clone();
    http.signing_cert_url = CERT_URL.replace("https://", "http://");
    let mut version = good.clone();
    version.signature_version = "3".into();
    let mut stale = note(&hard("victim@example.com"), "m-2", &fake, "2");
    stale.timestamp = iso_ms((NOW as i64 - 3600 - 301) * 1000);
    sign(&mut stale);
    let mut future = note(&hard("victim@example.com"), "m-3", &fake, "2");
    future.timestamp = iso_ms((NOW as i64 + 301) * 1000);
    sign(&mut future);
    let mut foreign = note(&hard("victim@example.com"), "m-4", &fake, "2");
    foreign.topic_arn = "arn:aws:sns:us-east-1:999999999999:someone-elses".into();
    sign(&mut foreign);
    for (e, status, code) in [
        (&tampered, 403, "invalid_signature"),
        (&wrong_host, 403, "invalid_signature"),
        (&http, 403, "invalid_signature"),
        (&version, 403, "invalid_signature"),
        (&stale, 403, "stale_message"),
        (&future, 403, "stale_message"),
        (&foreign, 403, "topic_not_allowed"),
    ] {
        let (s, b) = post(e, &c, &fake);
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (status, Some(code)),
            "{b}"
        );
    }
    assert!(
        !fake.fetches.borrow().iter().any(|u| u.contains("evil")),
        "a certificate off the SNS hosts is never fetched"
    );
    // No topic list at all: nothing is accepted.
    let (s, b) = post(&good, &config(&[]), &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("topic_not_allowed"))
    );
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("SNS_TOPIC_ARNS"));
    assert_eq!(stored(&fake), (0, 0));
    // `*` is refused (a misconfiguration, not "any topic"): nothing stored.
    assert_eq!(
        post(&foreign, &config(&[("SNS_TOPIC_ARNS", "*")]), &fake).0,
        500
    );
    assert_eq!(stored(&fake), (0, 0));
}

#[test]
fn certificates_come_from_the_test_setting_or_a_good_fetch() {
    let fake = fake_at(NOW * 1000);
    let test_cert = sns_config(&[("SNS_TEST_CERT_PEM", crate::sns::tests::TEST_CERT)]);
    assert_eq!(
        post(
            &note(&hard("a@example.com"), "m-1", &fake, "1"),
            &test_cert,
            &fake
        )
        .0,
        200
    );
    assert_eq!(
        fake.fetches.borrow().len(),
        0,
        "the test certificate is used as it is"
    );
    // The test certificate replaces the fetch, not the host rule.
    let mut off = note(&hard("a@example.com"), "m-2", &fake, "1");
    off.signing_cert_url = "https://127.0.0.1/cert.pem".into();
    sign(&mut off);
    assert_eq!(post(&off, &test_cert, &fake).0, 403);
    // An expired certificate does not verify.
    let expired = sns_config(&[("SNS_TEST_CERT_PEM", EXPIRED_CERT)]);
    let (s, b) = post(
        &note(&hard("a@example.com"), "m-3", &fake, "1"),
        &expired,
        &fake,
    );
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("invalid_signature"))
    );
    // A certificate that cannot be fetched: 502, SNS retries.
    let mut unknown = note(&hard("a@example.com"), "m-4", &fake, "2");
    unknown.signing_cert_url =
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-gone.pem".into();
    sign(&mut unknown);
    let (s, b) = post(&unknown, &sns_config(&[]), &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (502, Some("upstream_unavailable"))
    );
}

#[test]
fn subscriptions_are_confirmed_on_the_sns_host() {
    let confirm_url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:ses-bounces&Token=t0k3n";
    let subscription = |fake: &Fake, url: &str| {
        let mut e = note(
            "You have chosen to subscribe to the topic.",
            "s-1",
            fake,
            "1",
        );
        e.kind = "SubscriptionConfirmation".into();
        e.subscribe_url = Some(url.into());
        e.token = Some("t0k3n".into());
        sign(&mut e);
        e
    };
    let fake = fake_at(NOW * 1000);
    let (s, b) = post(&subscription(&fake, confirm_url), &sns_config(&[]), &fake);
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["confirmed"], true);
    assert_eq!(b["type"], "SubscriptionConfirmation");
    assert!(fake.fetches.borrow().iter().any(|u| u == confirm_url));
    // Tests may send the confirmation to a local server instead.
    let c = sns_config(&[("SNS_TEST_CONFIRM_ORIGIN", "http://127.0.0.1:9")]);
    post(&subscription(&fake, confirm_url), &c, &fake);
    let last = fake.fetches.borrow().last().cloned().unwrap();
    assert_eq!(
        last,
        confirm_url.replace("https://sns.us-east-1.amazonaws.com", "http://127.0.0.1:9")
    );
    // SNS refusing the confirmation: 502, SNS sends it again.
    let refusing = Fake {
        confirm_status: 403,
        ..fake_at(NOW * 1000)
    };
    let (s, b) = post(
        &subscription(&refusing, confirm_url),
        &sns_config(&[]),
        &refusing,
    );
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (502, Some("upstream_unavailable"))
    );
    // A SubscribeURL off the SNS hosts is never visited.
    let fake = fake_at(NOW * 1000);
    let (s, _) = post(
        &subscription(&fake, "https://evil.example/?Action=ConfirmSubscription"),
        &sns_config(&[]),
        &fake,
    );
    assert_eq!(s, 400);
    assert!(!fake.fetches.borrow().iter().any(|u| u.contains("evil")));
    // Unsubscribe confirmations: nothing to do.
    let mut bye = note(
        "You have chosen to deactivate subscription.",
        "u-1",
        &fake,
        "2",
    );
    bye.kind = "UnsubscribeConfirmation".into();
    bye.subscribe_url = Some(confirm_url.into());
    bye.token = Some("t0k3n".into());
    sign(&mut bye);
    let (s, b) = post(&bye, &sns_config(&[]), &fake);
    assert_eq!((s, b["records"].as_u64()), (200, Some(0)));
    assert!(b["note"].as_str().unwrap().contains("unsubscribe"));
}

#[test]
fn authentic_messages_that_are_not_bounces_are_accepted_with_a_note() {
    let (fake, c) = start();
    let delivery =
        json!({"notificationType": "Delivery", "mail": {"messageId": "x"}, "delivery": {}})
            .to_string();
    for (message, says) in [
        (delivery.as_str(), "delivered"),
        ("{\"hello\": 1}", "not an SES notification"),
        ("just some text", "not a bounce"),
    ] {
        let (s, b) = post(&note(message, "m-1", &fake, "2"), &c, &fake);
        assert_eq!((s, b["records"].as_u64()), (200, Some(0)), "{message}");
        let note = b["note"].as_str().unwrap();
        assert!(note.contains(says), "{message}: {note}");
    }
    assert_eq!(fake.logs.borrow().len(), 3, "each one logged");
    // A recipient that is not an address is skipped (and logged).
    let (_, b) = post(
        &note(
            &ses_bounce(
                &["not an address", "ok@example.com"],
                "Permanent",
                "NoEmail",
                "",
            ),
            "m-2",
            &fake,
            "2",
        ),
        &c,
        &fake,
    );
    assert_eq!(
        (
            b["records"].as_u64(),
            b["skipped"].as_u64(),
            b["suppressed"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
}

#[test]
fn bad_bodies_and_a_failing_store() {
    let (fake, c) = start();
    let e = note(&hard("a@example.com"), "m-1", &fake, "2");
    let mut wrong_type = e.clone();
    wrong_type.kind = "Nonsense".into();
    for body in [
        "",
        "{",
        "[]",
        r#"{"Type": "Notification"}"#,
        &body_of(&wrong_type),
    ] {
        let (s, b, _) = run(request("POST", "/v1/bounces", body, ""), &c, &fake);
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{body}"
        );
    }
    let mut req = request("POST", "/v1/bounces", &body_of(&e), "");
    req.headers.push((
        "x-amz-sns-message-type".into(),
        "SubscriptionConfirmation".into(),
    ));
    assert_eq!(run(req, &c, &fake).0, 400);
    let mut bad_time = e.clone();
    bad_time.timestamp = "yesterday".into();
    assert_eq!(post(&bad_time, &c, &fake).0, 400);
    let big = sns_config(&[("MAX_BULK_BODY_BYTES", "100")]);
    assert_eq!(post(&e, &big, &fake).0, 413);
    assert_eq!(run(request("GET", "/v1/bounces", "", ""), &c, &fake).0, 405);
    // Nothing stored yet, so SNS must deliver again: 503.
    let down = Fake {
        db_down: true,
        ..fake_at(NOW * 1000)
    };
    let (s, b) = post(&e, &c, &down);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (503, Some("store_unavailable"))
    );
    // A misconfigured worker says so.
    let broken = sns_config(&[("SNS_TEST_CERT_PEM", "not a certificate")]);
    let (s, b) = post(&e, &broken, &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (500, Some("misconfigured"))
    );
}

/// Issue 12: a record from elsewhere (a PUT, a push) gets one more per new
/// counted event, as the CLI store does; the edge used to keep the larger
/// of its own count and the record's.
#[test]
fn a_bounce_on_a_pushed_record_adds_one() {
    let (fake, c) = start();
    let t = StoreTime::from_unix(NOW as i64 - 86_400).to_string();
    let body = json!({"suppressions": [{"address": "a@example.com", "reason": "does_not_exist",
        "first_seen": t, "last_seen": t, "count": 5, "source": "import"}]});
    let (s, b, _) = run(
        request("PUT", "/v1/suppressions", &body.to_string(), SK),
        &config(&[]),
        &fake,
    );
    assert_eq!(s, 200, "{b}");
    post(&note(&hard("a@example.com"), "m-1", &fake, "2"), &c, &fake);
    let record = suppression("a@example.com", &fake).unwrap();
    assert_eq!(
        (record["count"].as_u64(), record["first_seen"].as_str()),
        (Some(6), Some(t.as_str()))
    );
    // A soft bounce on a suppressed address counts too, and keeps the
    // hard reason.
    post(&note(&full("a@example.com"), "m-2", &fake, "2"), &c, &fake);
    let record = suppression("a@example.com", &fake).unwrap();
    assert_eq!(
        (record["count"].as_u64(), record["reason"].as_str()),
        (Some(7), Some("does_not_exist"))
    );
}

#[test]
fn a_wildcard_topic_list_is_a_misconfiguration() {
    // Any AWS account can make a topic and sign with it.
    let fake = fake_at(NOW * 1000);
    let c = sns_config(&[("SNS_TOPIC_ARNS", "*")]);
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    assert!(c.problems[0].contains("wildcard"), "{:?}", c.problems);
    let e = note(&hard("any@alpha.test"), "m-any", &fake, "1");
    let (s, b) = post(&e, &c, &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (500, Some("misconfigured"))
    );
    assert_eq!(stored(&fake), (0, 0));
}
