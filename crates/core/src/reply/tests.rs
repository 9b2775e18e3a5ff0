//! Parsing edge cases, classification rules and phrase-table hygiene.

use super::phrases::{
    DISABLED, DOES_NOT_EXIST, DOES_NOT_EXIST_UNDER_CODE, GREYLIST, NO_SMTP_SERVICE,
    POLICY_ABOUT_US, POLICY_GENERIC, QUOTA, RATE_LIMIT, RECIPIENT_REFUSED, RETRY_TRIGGERS,
};
use super::rules::{retry_after_in, Haystack};
use super::*;
use crate::verdict::Reason;

fn parse(raw: &str) -> Reply {
    Reply::parse(raw.as_bytes()).unwrap_or_else(|e| panic!("{raw:?} should parse: {e}"))
}

fn code(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
    Some(EnhancedCode {
        class,
        subject,
        detail,
    })
}

fn reason(stage: Stage, raw: &str) -> Reason {
    classify(stage, &parse(raw)).reason
}

// ---- EnhancedCode

#[test]
fn enhanced_code_parses_and_displays() {
    let c: EnhancedCode = "5.2.1".parse().unwrap();
    assert_eq!(
        c,
        EnhancedCode {
            class: 5,
            subject: 2,
            detail: 1
        }
    );
    assert_eq!(c.to_string(), "5.2.1");
    assert_eq!(
        EnhancedCode::parse("4.7.650").unwrap().to_string(),
        "4.7.650"
    );
    assert_eq!(
        EnhancedCode::parse("2.0.0").unwrap(),
        EnhancedCode {
            class: 2,
            subject: 0,
            detail: 0
        }
    );
    assert_eq!(EnhancedCode::parse("5.999.999").unwrap().detail, 999);
    // RFC 3463 allows 1-3 digits, so a leading zero is legal.
    assert_eq!(EnhancedCode::parse("5.01.1").unwrap().to_string(), "5.1.1");
}

#[test]
fn enhanced_code_rejects_malformed_input() {
    for bad in [
        "", "5", "5.1", "5.1.", "5..1", ".1.1", "5.1.1.", "5.1.1.1", "6.1.1", "3.1.1", "1.0.0",
        "0.0.0", "5.1000.1", "5.1.1000", " 5.1.1", "5.1.1 ", "5,1,1", "5.a.1", "55.1.1", "5.1.1x",
    ] {
        let err = EnhancedCode::parse(bad).unwrap_err();
        assert_eq!(err.0, bad);
        assert!(bad.parse::<EnhancedCode>().is_err(), "{bad:?}");
    }
}

#[test]
fn enhanced_code_new_validates() {
    assert_eq!(EnhancedCode::new(4, 7, 1), code(4, 7, 1));
    assert_eq!(EnhancedCode::new(3, 1, 1), None);
    assert_eq!(EnhancedCode::new(5, 1000, 1), None);
    assert_eq!(EnhancedCode::new(5, 1, 1000), None);
}

// ---- Reply::parse

#[test]
fn single_line() {
    let r = parse("250 OK\r\n");
    assert_eq!(
        (r.code, r.enhanced, r.lines.clone()),
        (250, None, vec!["OK".to_owned()])
    );
    assert!(r.is_positive() && !r.is_transient() && !r.is_permanent());
}

#[test]
fn gmail_multiline_strips_enhanced_code_from_every_line() {
    let r = parse(
        "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n\
         550-5.1.1 double-checking the recipient's email address for typos or\r\n\
         550-5.1.1 unnecessary spaces. For more information, go to\r\n\
         550 5.1.1  https://support.google.com/mail/?p=NoSuchUser abc - gsmtp\r\n",
    );
    assert_eq!(r.code, 550);
    assert_eq!(r.enhanced, code(5, 1, 1));
    assert_eq!(r.lines.len(), 4);
    assert_eq!(
        r.lines[0],
        "The email account that you tried to reach does not exist. Please try"
    );
    assert_eq!(
        r.lines[3],
        "https://support.google.com/mail/?p=NoSuchUser abc - gsmtp"
    );
    assert!(r.text().starts_with(
        "The email account that you tried to reach does not exist. Please try double-checking"
    ));
    assert!(r.is_permanent());
}

#[test]
fn bare_lf_and_missing_final_line_end() {
    let crlf = parse("550-first\r\n550 5.1.1 second\r\n");
    assert_eq!(parse("550-first\n550 5.1.1 second\n"), crlf);
    assert_eq!(parse("550-first\n550 5.1.1 second"), crlf);
    assert_eq!(parse("550-first\r\n550 5.1.1 second"), crlf);
    assert_eq!(crlf.lines, ["first", "second"]);
}

#[test]
fn mixed_codes_are_an_error() {
    assert_eq!(
        Reply::parse(b"250-mx.example.com\r\n550 5.7.1 no\r\n"),
        Err(ReplyError::InconsistentCode {
            line: 2,
            expected: 250,
            found: 550
        })
    );
    assert_eq!(
        Reply::parse(b"550-a\r\n550-b\r\n551 c\r\n"),
        Err(ReplyError::InconsistentCode {
            line: 3,
            expected: 550,
            found: 551
        })
    );
}

#[test]
fn empty_reply_text() {
    for raw in ["250 \r\n", "250\r\n", "250", "250 "] {
        let r = parse(raw);
        assert_eq!((r.code, r.enhanced), (250, None), "{raw:?}");
        assert_eq!(r.lines, [""], "{raw:?}");
        assert_eq!(r.text(), "");
    }
    let r = parse("250-\r\n250 OK\r\n");
    assert_eq!(r.lines, ["", "OK"]);
}

#[test]
fn malformed_lines_are_errors() {
    for raw in [
        "2500 x", "250x OK", "25 OK", "25O OK", "OK", "ABC def", "650 no", "050 no", "250\tOK",
        "250_OK", "\r\n", " \r\n",
    ] {
        assert_eq!(
            Reply::parse(raw.as_bytes()),
            Err(ReplyError::Malformed { line: 1 }),
            "{raw:?}"
        );
    }
    assert_eq!(
        Reply::parse(b"250-a\r\n\r\n250 b\r\n"),
        Err(ReplyError::Malformed { line: 2 })
    );
    assert_eq!(
        Reply::parse(b"250-a\r\n250=b\r\n"),
        Err(ReplyError::Malformed { line: 2 })
    );
}

#[test]
fn empty_incomplete_and_trailing() {
    assert_eq!(Reply::parse(b""), Err(ReplyError::Empty));
    assert_eq!(
        Reply::parse(b"250-mx.example.com\r\n"),
        Err(ReplyError::Incomplete)
    );
    assert_eq!(Reply::parse(b"250-a\r\n250-b"), Err(ReplyError::Incomplete));
    assert_eq!(
        Reply::parse(b"250 OK\r\n250 again\r\n"),
        Err(ReplyError::TrailingData)
    );
    assert_eq!(
        Reply::parse(b"250 OK\r\n\r\n"),
        Err(ReplyError::TrailingData)
    );
}

#[test]
fn leading_blanks_before_the_code_are_tolerated() {
    let r = parse("  550 5.1.1 user unknown\r\n");
    assert_eq!((r.code, r.enhanced), (550, code(5, 1, 1)));
    assert_eq!(r.lines, ["user unknown"]);
    let r = parse("\t250-a\r\n 250 b\r\n");
    assert_eq!(r.lines, ["a", "b"]);
}

#[test]
fn trailing_blanks_and_stray_carriage_returns_are_trimmed() {
    assert_eq!(parse("250 OK   \r\n").lines, ["OK"]);
    assert_eq!(parse("250 OK\r\r\n").lines, ["OK"]);
    assert_eq!(parse("250 OK\t\n").lines, ["OK"]);
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let r = Reply::parse(b"550 5.1.1 Empf\xe4nger \xff unbekannt\r\n").unwrap();
    assert_eq!(r.enhanced, code(5, 1, 1));
    assert_eq!(r.lines, ["Empf\u{fffd}nger \u{fffd} unbekannt"]);
}

#[test]
fn utf8_text_is_kept() {
    let r = parse("550 5.1.1 Пользователь не найден\r\n");
    assert_eq!(r.lines, ["Пользователь не найден"]);
}

#[test]
fn enhanced_code_only_on_first_line() {
    let r = parse("550-5.1.1 first\r\n550-second\r\n550 third\r\n");
    assert_eq!(r.enhanced, code(5, 1, 1));
    assert_eq!(r.lines, ["first", "second", "third"]);
}

#[test]
fn enhanced_code_only_on_last_line() {
    let r = parse("550-Mailbox unavailable\r\n550 5.1.1 User unknown\r\n");
    assert_eq!(r.enhanced, code(5, 1, 1));
    assert_eq!(r.lines, ["Mailbox unavailable", "User unknown"]);
}

#[test]
fn enhanced_code_only_on_a_middle_line_is_text() {
    let r = parse("550-first\r\n550-5.1.1 middle\r\n550 last\r\n");
    assert_eq!(r.enhanced, None);
    assert_eq!(r.lines, ["first", "5.1.1 middle", "last"]);
}

#[test]
fn a_different_enhanced_code_on_a_later_line_stays_as_text() {
    let r = parse("550-5.1.1 first\r\n550 5.7.1 second\r\n");
    assert_eq!(r.enhanced, code(5, 1, 1));
    assert_eq!(r.lines, ["first", "5.7.1 second"]);
}

#[test]
fn enhanced_code_must_be_followed_by_a_blank_or_the_line_end() {
    assert_eq!(parse("250 2.0.0OK\r\n").enhanced, None);
    assert_eq!(parse("250 2.0.0OK\r\n").lines, ["2.0.0OK"]);
    assert_eq!(parse("550 5.1.1: user unknown\r\n").enhanced, None);
    assert_eq!(parse("550 5.1.1.1 x\r\n").enhanced, None);
    let r = parse("250 2.0.0\r\n");
    assert_eq!(
        (r.enhanced, r.lines.clone()),
        (code(2, 0, 0), vec![String::new()])
    );
    let r = parse("250 2.0.0\tOk\r\n");
    assert_eq!(
        (r.enhanced, r.lines.clone()),
        (code(2, 0, 0), vec!["Ok".to_owned()])
    );
}

#[test]
fn enhanced_class_need_not_match_the_reply_code() {
    // Gmail sends 421 5.7.32; the basic code decides transience.
    let r = parse("421 5.7.32 Your email was blocked because the From: header ...\r\n");
    assert_eq!((r.code, r.enhanced), (421, code(5, 7, 32)));
    assert_eq!(classify(Stage::RcptTo, &r).reason, Reason::TemporaryFailure);
}

#[test]
fn enhanced_code_not_at_text_start_is_text() {
    let r =
        parse("550 cuda_nsu 5.1.1 <a@example.com> Recipient address rejected: User unknown\r\n");
    assert_eq!(r.enhanced, None);
    assert!(r.lines[0].starts_with("cuda_nsu 5.1.1"));
}

#[test]
fn one_hundred_lines_is_the_limit() {
    let mut raw = "250-x\r\n".repeat(MAX_REPLY_LINES - 1);
    raw.push_str("250 end\r\n");
    assert_eq!(parse(&raw).lines.len(), MAX_REPLY_LINES);
    let mut raw = "250-x\r\n".repeat(MAX_REPLY_LINES);
    raw.push_str("250 end\r\n");
    assert_eq!(Reply::parse(raw.as_bytes()), Err(ReplyError::TooManyLines));
}

#[test]
fn reply_byte_bound() {
    // 20 lines of 4000 bytes: each line is within bounds, the reply is not.
    let line = format!("250-{}\r\n", "a".repeat(3996));
    let mut raw = line.repeat(20);
    raw.push_str("250 end\r\n");
    assert!(raw.len() > MAX_REPLY_BYTES);
    assert_eq!(Reply::parse(raw.as_bytes()), Err(ReplyError::TooLong));
    // The incremental parser enforces the same bound.
    let mut p = ReplyParser::new();
    let mut result = Ok(None);
    for l in raw.split_inclusive('\n') {
        result = p.push_line(l.as_bytes());
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(ReplyError::TooLong));
    assert!(!p.in_progress(), "an error resets the parser");
    // Exactly at the bound is fine; one byte more is not.
    let mut raw = format!("250-{}\r\n", "a".repeat(4000)).repeat(16);
    let rest = MAX_REPLY_BYTES - raw.len() - "250 \r\n".len();
    raw.push_str(&format!("250 {}\r\n", "b".repeat(rest)));
    assert_eq!(raw.len(), MAX_REPLY_BYTES);
    assert_eq!(Reply::parse(raw.as_bytes()).map(|r| r.lines.len()), Ok(17));
    raw.insert(4, 'a');
    assert_eq!(Reply::parse(raw.as_bytes()), Err(ReplyError::TooLong));
}

#[test]
fn long_lines_are_truncated_not_refused() {
    let text = "x".repeat(3000);
    let r = parse(&format!("550 5.1.1 {text}\r\n"));
    assert_eq!(r.enhanced, code(5, 1, 1));
    // The line as kept (code, separator, text) fits RFC 5321's 512 octets with CRLF.
    assert_eq!(4 + "5.1.1 ".len() + r.lines[0].len(), MAX_LINE_KEPT);
    // A line of exactly MAX_LINE_BYTES is accepted; one byte more is not.
    let at_bound = format!("250 {}", "y".repeat(MAX_LINE_BYTES - 4));
    assert_eq!(parse(&at_bound).lines[0].len(), MAX_LINE_KEPT - 4);
    let over = format!("250 {}\r\n", "y".repeat(MAX_LINE_BYTES - 3));
    assert_eq!(
        Reply::parse(over.as_bytes()),
        Err(ReplyError::LineTooLong {
            line: 1,
            len: MAX_LINE_BYTES + 1
        })
    );
}

#[test]
fn truncation_respects_char_boundaries() {
    // 'é' is two bytes; 506 bytes of text budget cut inside one must back off.
    let text = format!("a{}", "é".repeat(400));
    let r = parse(&format!("550 {text}\r\n"));
    assert_eq!(r.lines[0].len(), 505);
    assert!(r.lines[0].ends_with('é'));
}

#[test]
fn short_lines_are_not_truncated() {
    let text = "z".repeat(MAX_LINE_KEPT - 4);
    assert_eq!(parse(&format!("250 {text}\r\n")).lines[0], text);
}

// ---- ReplyParser

#[test]
fn incremental_parser_feeds_lines_and_resets() {
    let mut p = ReplyParser::new();
    assert!(!p.in_progress());
    assert_eq!(p.push_line(b"250-mx.example.com\r\n"), Ok(None));
    assert!(p.in_progress());
    assert_eq!(p.push_line(b"250-PIPELINING"), Ok(None));
    let r = p.push_line(b"250 SMTPUTF8\n").unwrap().unwrap();
    assert_eq!(r.lines, ["mx.example.com", "PIPELINING", "SMTPUTF8"]);
    assert!(!p.in_progress());
    // Ready for the next reply on the same connection.
    let r = p.push_line(b"550 5.1.1 no such user\r\n").unwrap().unwrap();
    assert_eq!((r.code, r.enhanced), (550, code(5, 1, 1)));
}

#[test]
fn incremental_parser_errors_reset_it() {
    let mut p = ReplyParser::new();
    assert_eq!(p.push_line(b"250-a\r\n"), Ok(None));
    assert_eq!(
        p.push_line(b"550 b\r\n"),
        Err(ReplyError::InconsistentCode {
            line: 2,
            expected: 250,
            found: 550
        })
    );
    assert!(!p.in_progress());
    assert_eq!(p.push_line(b"220 ready\r\n").unwrap().unwrap().code, 220);
    assert_eq!(
        p.push_line(b"250 a\nb\r\n"),
        Err(ReplyError::Malformed { line: 1 })
    );
    assert_eq!(
        p.push_line(format!("250 {}", "q".repeat(MAX_LINE_BYTES)).as_bytes()),
        Err(ReplyError::LineTooLong {
            line: 1,
            len: MAX_LINE_BYTES + 4
        })
    );
}

#[test]
fn incremental_parser_enforces_the_line_count() {
    let mut p = ReplyParser::new();
    for _ in 0..MAX_REPLY_LINES {
        assert_eq!(p.push_line(b"250-x"), Ok(None));
    }
    assert_eq!(p.push_line(b"250 end"), Err(ReplyError::TooManyLines));
    assert!(!p.in_progress());
}

#[test]
fn incremental_parser_reset_forgets_partial_reply() {
    let mut p = ReplyParser::new();
    assert_eq!(p.push_line(b"250-a"), Ok(None));
    p.reset();
    assert_eq!(p.push_line(b"550 b").unwrap().unwrap().lines, ["b"]);
}

#[test]
fn errors_display_clearly() {
    assert_eq!(
        ReplyError::Malformed { line: 2 }.to_string(),
        "line 2 is not an SMTP reply line"
    );
    assert_eq!(
        ReplyError::InconsistentCode {
            line: 3,
            expected: 250,
            found: 550
        }
        .to_string(),
        "line 3 has reply code 550, but the reply started with 250"
    );
    assert!(ReplyError::TooLong.to_string().contains("65536"));
    assert!(ReplyError::TooManyLines.to_string().contains("100"));
}

// ---- classify: stages and codes

#[test]
fn positive_replies_are_ok_at_every_stage() {
    for stage in [
        Stage::Banner,
        Stage::Ehlo,
        Stage::MailFrom,
        Stage::RcptTo,
        Stage::Rset,
        Stage::Other,
    ] {
        let c = classify(stage, &parse("250 2.1.5 Ok"));
        assert_eq!(
            c,
            Classification {
                reason: Reason::Ok,
                retry_after: None
            },
            "{stage:?}"
        );
        assert_eq!(
            reason(stage, "251 2.1.5 User not local; will forward"),
            Reason::Ok
        );
    }
}

#[test]
fn code_421_is_temporary_everywhere() {
    for stage in [
        Stage::Banner,
        Stage::Ehlo,
        Stage::MailFrom,
        Stage::RcptTo,
        Stage::Rset,
        Stage::Other,
    ] {
        let c = classify(
            stage,
            &parse("421 4.7.0 mx.example.com closing connection, mailbox full"),
        );
        assert_eq!(c.reason, Reason::TemporaryFailure, "{stage:?}");
        assert_eq!(c.retry_after, Some(TEMPORARY_RETRY_SECS));
    }
}

#[test]
fn unexpected_code_classes() {
    assert_eq!(
        reason(Stage::RcptTo, "354 go ahead"),
        Reason::SmtpUnavailable
    );
    assert_eq!(reason(Stage::Banner, "100 hello"), Reason::SmtpUnavailable);
    assert_eq!(
        reason(Stage::Other, "354 End data with <CR><LF>.<CR><LF>"),
        Reason::Ok
    );
}

#[test]
fn permanent_failures_before_rcpt_are_blocked() {
    assert_eq!(
        reason(Stage::Ehlo, "550 5.1.1 user unknown"),
        Reason::Blocked
    );
    assert_eq!(
        reason(Stage::MailFrom, "550 5.1.1 user unknown"),
        Reason::Blocked
    );
    assert_eq!(
        reason(Stage::MailFrom, "452 4.2.2 mailbox full"),
        Reason::TemporaryFailure
    );
    assert_eq!(
        reason(Stage::Banner, "550 5.1.1 user unknown"),
        Reason::Blocked
    );
    assert_eq!(
        reason(Stage::Banner, "554 5.3.2 No SMTP service here"),
        Reason::SmtpUnavailable
    );
    assert_eq!(
        reason(Stage::Banner, "521 5.3.2 mx.example.com"),
        Reason::SmtpUnavailable
    );
    assert_eq!(
        reason(Stage::Banner, "521 5.7.1 blocked using zen.spamhaus.org"),
        Reason::Blocked
    );
}

#[test]
fn other_stages_reject_or_block() {
    assert_eq!(
        reason(Stage::Rset, "550 5.1.1 user unknown"),
        Reason::Rejected
    );
    assert_eq!(
        reason(Stage::Other, "554 5.7.1 rejected by policy"),
        Reason::Blocked
    );
    assert_eq!(
        reason(Stage::Other, "502 5.5.1 unimplemented"),
        Reason::Rejected
    );
}

// ---- classify: RCPT TO precedence

#[test]
fn rcpt_precedence_ladder() {
    use Reason::*;
    let cases = [
        // step 1 beats everything mailbox-related
        (
            "550 5.1.1 user unknown, blocked using zen.spamhaus.org",
            Blocked,
        ),
        (
            "550 5.2.1 account disabled; your IP has a poor reputation",
            Blocked,
        ),
        ("552 5.2.2 mailbox full; client host rejected", Blocked),
        ("550 5.1.1 user unknown", DoesNotExist),
        ("553 5.1.7 user unknown", Blocked),
        ("553 5.1.8 mailbox full", Blocked),
        // step 2: rate beats quota, disabled, unknown
        (
            "550 5.2.1 too many connections, account disabled",
            TemporaryFailure,
        ),
        ("552 5.2.2 Daily sending quota exceeded", TemporaryFailure),
        // step 3: quota beats disabled and unknown, and any code
        ("550 5.1.1 mailbox is full, account disabled", MailboxFull),
        ("550 5.7.1 user unknown: over quota", MailboxFull),
        ("552 5.2.2 user unknown", MailboxFull),
        // step 4: disabled beats unknown and any code
        ("550 5.1.1 user unknown: account disabled", MailboxDisabled),
        ("550 5.7.1 this mailbox is disabled", MailboxDisabled),
        (
            "550 account has been blocked for inactivity",
            MailboxDisabled,
        ),
        // step 5: unknown beats the code and vague policy words
        ("550 5.2.1 user unknown", DoesNotExist),
        ("550 5.7.1 no such user, access denied", DoesNotExist),
        (
            "550 5.4.1 Recipient address rejected: Access denied",
            DoesNotExist,
        ),
        (
            "550 5.5.0 Requested action not taken: mailbox unavailable",
            DoesNotExist,
        ),
        // the same provider texts under other codes are not enough
        (
            "550 5.7.1 Recipient address rejected: Access denied",
            Rejected,
        ),
        ("550 Recipient address rejected: Access denied", Rejected),
        (
            "550 5.0.0 Requested action not taken: mailbox unavailable",
            Rejected,
        ),
        (
            "550 Requested action not taken: mailbox unavailable",
            Rejected,
        ),
        // step 7: vague policy words beat a bare code
        ("550 5.2.1 denied", Blocked),
        ("550 5.1.1 spam", Blocked),
        // step 8: codes alone
        ("550 5.1.1", DoesNotExist),
        ("550 5.1.6 moved", DoesNotExist),
        ("550 5.1.10 null MX", DoesNotExist),
        ("550 5.2.1", MailboxDisabled),
        ("550 5.7.0", Blocked),
        ("550 5.7.999 something", Blocked),
        // step 9: anything else
        ("550 5.1.0 address status", Rejected),
        ("553 5.1.3 bad syntax", Rejected),
        ("550 5.1.2 host unknown", Rejected),
        ("554 5.3.0 system error", Rejected),
        ("550", Rejected),
        ("551 User not local; please try <a@example.net>", Rejected),
    ];
    for (raw, expected) in cases {
        assert_eq!(reason(Stage::RcptTo, raw), expected, "{raw:?}");
    }
}

#[test]
fn rcpt_transient_is_never_invalid() {
    use Reason::*;
    for (raw, expected) in [
        ("450 4.1.1 user unknown", TemporaryFailure),
        (
            "450 4.2.1 The email account that you tried to reach is disabled",
            TemporaryFailure,
        ),
        ("451 4.2.1 account temporarily suspended", TemporaryFailure),
        ("450 4.7.1 blocked using zen.spamhaus.org", TemporaryFailure),
        ("452 4.2.2 mailbox full", MailboxFull),
        ("450 4.2.2", MailboxFull),
        ("452 over quota", MailboxFull),
        ("452 4.2.2 Submission quota exceeded", TemporaryFailure),
        ("422 4.2.2 Greylisted", TemporaryFailure),
        (
            "452 Requested action not taken: insufficient system storage",
            TemporaryFailure,
        ),
    ] {
        let c = classify(Stage::RcptTo, &parse(raw));
        assert_eq!(c.reason, expected, "{raw:?}");
        assert_eq!(
            c.retry_after.is_some(),
            expected == TemporaryFailure,
            "{raw:?}"
        );
    }
}

#[test]
fn matching_is_case_insensitive_and_spans_lines() {
    assert_eq!(
        reason(Stage::RcptTo, "550 USER UNKNOWN"),
        Reason::DoesNotExist
    );
    assert_eq!(
        reason(Stage::RcptTo, "550 uSeR uNkNoWn"),
        Reason::DoesNotExist
    );
    // A phrase broken across lines, with stray blanks, still matches.
    assert_eq!(
        reason(
            Stage::RcptTo,
            "550-5.7.1 The email account that you tried to reach is   \r\n550 5.7.1    disabled."
        ),
        Reason::MailboxDisabled
    );
    assert_eq!(
        reason(Stage::RcptTo, "550-no such\r\n550 user"),
        Reason::DoesNotExist
    );
}

#[test]
fn wildcard_phrases_bridge_short_gaps_only() {
    assert_eq!(
        reason(
            Stage::RcptTo,
            "550 User jane.doe@example.com does not exist"
        ),
        Reason::DoesNotExist
    );
    assert_eq!(
        reason(Stage::RcptTo, "550 user does not exist"),
        Reason::DoesNotExist
    );
    let far = format!("550 user {} does not exist", "x".repeat(100));
    assert_eq!(reason(Stage::RcptTo, &far), Reason::Rejected);
    let h = Haystack::from_text(["a b c d"].into_iter());
    assert!(h.has("a*d"));
    assert!(h.has("a*c*d"));
    assert!(!h.has("d*a"));
}

#[test]
fn haystack_normalizes() {
    let h = Haystack::from_text(["  Doesn\u{2019}t\tEXIST ", "Größe"].into_iter());
    assert_eq!(h.0, " doesn't exist größe ");
}

// ---- retry_after

#[test]
fn retry_after_parses_delays() {
    let cases = [
        ("try again in 5 minutes", Some(300)),
        ("please retry in 30 seconds", Some(30)),
        ("retry in 60s", Some(60)),
        ("retry after 2 hours", Some(7200)),
        ("come back in 00:05:00", Some(300)),
        ("come back in 01:30", Some(90)),
        ("wait 45 secs", Some(45)),
        ("greylisted for 10 min", Some(600)),
        ("try again in 120", Some(120)),
        ("try again in at least 3 minutes", Some(180)),
        ("try again in 3 days", Some(86_400)), // clamped to a day
        ("try again in 0 seconds", Some(1)),   // at least a second
        ("try again in 999999999 hours", Some(86_400)),
        ("try again in a few minutes", None),
        ("try again later", None),
        ("try again in 5 parsecs", None),
        ("deferred due to volume - 4.16.55.1", None),
        ("retry in 1234567890 s", None), // too many digits to be a delay
    ];
    for (text, expected) in cases {
        let h = Haystack::from_text([text].into_iter());
        assert_eq!(retry_after_in(&h.0), expected, "{text:?}");
    }
    // The earliest delay in the text wins.
    let h = Haystack::from_text(["wait 10 seconds, or try again in 5 minutes"].into_iter());
    assert_eq!(retry_after_in(&h.0), Some(10));
}

#[test]
fn retry_after_defaults_by_kind() {
    let retry = |raw: &str| classify(Stage::RcptTo, &parse(raw)).retry_after;
    assert_eq!(
        retry("450 4.7.1 Greylisted, see http://postgrey.schweikert.ch/help/example.com.html"),
        Some(GREYLIST_RETRY_SECS)
    );
    assert_eq!(
        retry("450 4.2.1 receiving mail too quickly"),
        Some(RATE_LIMIT_RETRY_SECS)
    );
    assert_eq!(retry("451 4.3.0 local error"), Some(TEMPORARY_RETRY_SECS));
    assert_eq!(
        retry("451 4.7.1 greylisted, try again in 2 minutes"),
        Some(120)
    );
    assert_eq!(retry("550 5.1.1 user unknown"), None);
    assert_eq!(
        retry("452 4.2.2 mailbox full, try again in 5 minutes"),
        None
    );
    assert_eq!(
        classify(Stage::MailFrom, &parse("451 4.7.1 try again in 90 seconds")).retry_after,
        Some(90)
    );
}

// ---- phrase tables

#[test]
fn phrase_tables_are_normalized_and_nonempty() {
    let under_code: Vec<&str> = DOES_NOT_EXIST_UNDER_CODE.iter().map(|(_, p)| *p).collect();
    let tables: [(&str, &[&str]); 11] = [
        ("POLICY_ABOUT_US", POLICY_ABOUT_US),
        ("RATE_LIMIT", RATE_LIMIT),
        ("QUOTA", QUOTA),
        ("DISABLED", DISABLED),
        ("DOES_NOT_EXIST", DOES_NOT_EXIST),
        ("RECIPIENT_REFUSED", RECIPIENT_REFUSED),
        ("POLICY_GENERIC", POLICY_GENERIC),
        ("GREYLIST", GREYLIST),
        ("NO_SMTP_SERVICE", NO_SMTP_SERVICE),
        ("RETRY_TRIGGERS", RETRY_TRIGGERS),
        ("DOES_NOT_EXIST_UNDER_CODE", &under_code),
    ];
    for (name, table) in tables {
        assert!(!table.is_empty(), "{name} is empty");
        for phrase in table {
            // A phrase must survive normalization unchanged, or it can never match.
            let normalized = Haystack::from_text([*phrase].into_iter()).0;
            let padded = format!(" {} ", phrase.trim());
            assert_eq!(normalized, padded, "{name}: {phrase:?} is not normalized");
            assert!(
                phrase.trim().len() >= 3,
                "{name}: {phrase:?} is too short to be safe"
            );
            for part in phrase.split('*') {
                assert!(
                    !part.trim().is_empty(),
                    "{name}: {phrase:?} has an empty wildcard part"
                );
            }
        }
    }
}

#[test]
fn every_phrase_matches_itself_with_its_intended_reason() {
    // A 5xx to RCPT TO carrying just the phrase lands on the table's own step,
    // so no phrase is shadowed by an earlier table.
    use Reason::*;
    let tables: [(&str, &[&str], Reason); 6] = [
        ("POLICY_ABOUT_US", POLICY_ABOUT_US, Blocked),
        ("RATE_LIMIT", RATE_LIMIT, TemporaryFailure),
        ("QUOTA", QUOTA, MailboxFull),
        ("DISABLED", DISABLED, MailboxDisabled),
        ("DOES_NOT_EXIST", DOES_NOT_EXIST, DoesNotExist),
        ("RECIPIENT_REFUSED", RECIPIENT_REFUSED, Rejected),
    ];
    for (name, table, expected) in tables {
        for phrase in table {
            let text = phrase.trim().replace('*', "jane@example.com");
            assert_eq!(
                reason(Stage::RcptTo, &format!("550 {text}")),
                expected,
                "{name}: {phrase:?}"
            );
        }
    }
    for phrase in POLICY_GENERIC {
        assert_eq!(
            reason(Stage::RcptTo, &format!("550 5.2.1 {}", phrase.trim())),
            Blocked,
            "{phrase:?}"
        );
    }
    for (code, phrase) in DOES_NOT_EXIST_UNDER_CODE {
        assert_eq!(
            reason(Stage::RcptTo, &format!("550 {code} {phrase}")),
            DoesNotExist,
            "{phrase:?}"
        );
    }
}
