use super::*;
use crate::Reason;

#[test]
fn dates_become_utc() {
    assert_eq!(
        iso_utc("Sat, 14 Mar 2026 10:26:50 +0100 (CET)"),
        "2026-03-14T09:26:50Z"
    );
    assert_eq!(iso_utc("2026-03-14T09:26:53.120Z"), "2026-03-14T09:26:53Z");
    assert_eq!(iso_utc("yesterday"), "yesterday");
}

#[test]
fn status_fields() {
    assert_eq!(
        status_prefix("5.1.1 (user unknown)")
            .map(|s| s.to_string())
            .as_deref(),
        Some("5.1.1")
    );
    assert_eq!(status_prefix("x"), None);
}

#[test]
fn unreadable_input_is_a_report_not_a_panic() {
    assert_eq!(parse(b"").format, Format::Unreadable);
    assert_eq!(parse(b"{\"not\": \"ses\"}").format, Format::Unreadable);
    assert_eq!(parse(b"{ broken json").format, Format::Unreadable);
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = parse(&garbage);
}

const DSN: &str = "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r
To: sender@example.org\r
Subject: Undelivered Mail Returned to Sender\r
Message-ID: <20260314092653.1@mail.example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r
\r
--B\r
Content-Type: text/plain\r
\r
I'm sorry to have to inform you that your message could not be delivered.\r
\r
--B\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mail.example.org\r
Arrival-Date: Sat, 14 Mar 2026 10:26:50 +0100 (CET)\r
\r
Final-Recipient: rfc822; gone@example.com\r
Action: failed\r
Status: 5.2.1\r
Remote-MTA: dns; mx.example.com\r
Diagnostic-Code: smtp; 550 5.2.1 The email account that you tried to reach is\r
 disabled.\r
\r
Final-Recipient: rfc822; slow@example.com\r
Action: delayed\r
Status: 4.4.1\r
\r
--B\r
Content-Type: text/rfc822-headers\r
\r
Message-ID: <orig-1@example.org>\r
To: gone@example.com\r
\r
--B--\r
";

#[test]
fn a_dsn_end_to_end() {
    let r = parse(DSN.as_bytes());
    assert_eq!(r.format, Format::Dsn);
    assert_eq!(r.notice, Some(Notice::Delayed));
    assert_eq!(
        r.message_id.as_deref(),
        Some("20260314092653.1@mail.example.org")
    );
    assert_eq!(r.records.len(), 1);
    let b = &r.records[0];
    assert_eq!(b.recipient, "gone@example.com");
    assert_eq!(b.kind, Kind::Hard);
    assert_eq!(b.reason, BounceReason::Verdict(Reason::MailboxDisabled));
    assert_eq!(b.status.as_deref(), Some("5.2.1"));
    assert_eq!(b.remote_mta.as_deref(), Some("mx.example.com"));
    assert_eq!(b.reporting_mta.as_deref(), Some("mail.example.org"));
    assert_eq!(b.arrival_date.as_deref(), Some("2026-03-14T09:26:50Z"));
    assert_eq!(b.original_message_id.as_deref(), Some("orig-1@example.org"));
    assert_eq!(
        b.diagnostic_code.as_deref(),
        Some("550 5.2.1 The email account that you tried to reach is disabled.")
    );
    // LF line ends read the same.
    assert_eq!(parse(DSN.replace("\r\n", "\n").as_bytes()), r);
}

#[test]
fn a_report_without_diagnostic_takes_the_text() {
    let dsn = "From: MAILER-DAEMON@relay.example.net\n\
Subject: Returned mail: see transcript for details\n\
MIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"x\"\n\n\
--x\n\
Content-Type: text/plain\n\n\
   ----- The following addresses had permanent fatal errors -----\n\
<gone@example.com>\n\
    (reason: 550 5.2.1 Account disabled)\n\n\
--x\n\
Content-Type: message/delivery-status\n\n\
Reporting-MTA: dns; relay.example.net\n\n\
Final-Recipient: RFC822; gone@example.com\n\
Action: failed\n\
Status: 5.0.0\n\n\
--x--\n";
    let r = parse(dsn.as_bytes());
    assert_eq!(r.records.len(), 1);
    assert_eq!(
        r.records[0].reason,
        BounceReason::Verdict(Reason::MailboxDisabled)
    );
    assert_eq!(
        r.records[0].diagnostic_code.as_deref(),
        Some("550 5.2.1 Account disabled")
    );
    assert_eq!(r.records[0].status.as_deref(), Some("5.0.0"));
}
