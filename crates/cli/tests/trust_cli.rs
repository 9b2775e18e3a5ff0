//! Only real bounces suppress (issue 14, item 1), as the real binary does it:
//! forged shapes suppress nothing in verified mode; a bounce to a tagged
//! return path, one matching the sent log, and our own MTA's
//! `status=bounced` line do; outside verified mode nothing changes but a
//! warning, and a message failing more than 50 unproven recipients
//! suppresses none.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[path = "support/tempdir.rs"]
mod tempdir;
use tempdir::TempDir;

const SECRET: &str = "test-secret-0123456789abcdef-0123456789";

fn prebounce(args: &[&str], secret: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prebounce"));
    cmd.args(args)
        .env_remove("PREBOUNCE_VERP_SECRET")
        .stdin(Stdio::null());
    if let Some(s) = secret {
        cmd.env("PREBOUNCE_VERP_SECRET", s);
    }
    cmd.output().expect("run prebounce")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn records(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .filter(|l| l.get("recipient").is_some())
        .collect()
}

/// `suppressions list --format json` (with `--unverified`): the addresses.
fn listed(db: &Path, unverified: bool) -> Vec<String> {
    let db = db.to_str().unwrap();
    let mut args = vec!["suppressions", "--db", db, "list", "--format", "json"];
    if unverified {
        args.push("--unverified");
    }
    let out = prebounce(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["address"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn encode(address: &str) -> String {
    let out = prebounce(
        &[
            "verp",
            "encode",
            address,
            "--domain",
            "bounces.sender.example",
        ],
        Some(SECRET),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A standard DSN (RFC 3464) for `recipients`, delivered to `delivered_to`,
/// returning the headers of message `original_id`.
fn dsn(delivered_to: &str, recipients: &[&str], original_id: &str) -> String {
    let groups: String = recipients
        .iter()
        .map(|r| {
            format!(
                "Final-Recipient: rfc822; {r}\r\nAction: failed\r\nStatus: 5.1.1\r\n\
                 Diagnostic-Code: smtp; 550 5.1.1 <{r}>: Recipient address rejected: User unknown\r\n\r\n"
            )
        })
        .collect();
    format!(
        "Delivered-To: {delivered_to}\r\n\
         Return-Path: <>\r\n\
         From: MAILER-DAEMON@mx.receiver.example (Mail Delivery System)\r\n\
         To: {delivered_to}\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <dsn-{}@mx.receiver.example>\r\n\
         Date: Tue, 08 Dec 2026 03:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n\
         --b1\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.receiver.example\r\n\r\n{groups}\
         --b1\r\nContent-Type: text/rfc822-headers\r\n\r\n\
         From: news@sender.example\r\nTo: {}\r\nMessage-ID: <{original_id}>\r\nSubject: hello\r\n\r\n\
         --b1--\r\n",
        original_id.replace('@', "."),
        recipients.first().copied().unwrap_or("")
    )
}

/// Forged shape 1: a delivery-status part inside an ordinary multipart
/// message, failing `n` recipients.
fn forged_multipart(n: usize, prefix: &str) -> String {
    let groups: String = (0..n)
        .map(|i| {
            format!("Final-Recipient: rfc822; {prefix}{i}@victim.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n")
        })
        .collect();
    format!(
        "From: someone@attacker.example\r\nTo: bounces@sender.example\r\nSubject: hi\r\n\
         Message-ID: <forged-{prefix}-{n}@attacker.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n\
         --x\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
         --x\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; evil.example\r\n\r\n{groups}\
         --x--\r\n"
    )
}

/// Forged shape 2: an ARF part with only `Original-Rcpt-To`.
fn forged_arf() -> String {
    "From: someone@attacker.example\r\nTo: bounces@sender.example\r\nSubject: report\r\n\
     Message-ID: <forged-arf@attacker.example>\r\nMIME-Version: 1.0\r\n\
     Content-Type: multipart/report; report-type=feedback-report; boundary=\"f\"\r\n\r\n\
     --f\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n\
     --f\r\nContent-Type: message/feedback-report\r\n\r\nOriginal-Rcpt-To: arf-victim@victim.example\r\n\r\n\
     --f--\r\n"
        .to_owned()
}

/// Forged shape 3: a plain text mail with a bounce subject and
/// `X-Failed-Recipients`.
fn forged_text() -> String {
    "From: postmaster@attacker.example\r\nTo: bounces@sender.example\r\n\
     Subject: Undeliverable: hello\r\nX-Failed-Recipients: text-victim@victim.example\r\n\
     Message-ID: <forged-text@attacker.example>\r\n\r\n\
     Delivery to the following recipient failed permanently:\r\n\r\n    text-victim@victim.example\r\n\r\n\
     The remote server said: 550 5.1.1 <text-victim@victim.example>: user unknown\r\n"
        .to_owned()
}

#[test]
fn in_verified_mode_forged_shapes_suppress_nothing_and_tagged_bounces_do() {
    let dir = TempDir::new("trust-verp");
    let db = dir.path("s.db");
    let db = db.to_str().unwrap();
    let tagged = encode("real@receiver.example");
    let other = encode("someone-else@receiver.example");
    // One character of the tag changed (still base32).
    let tampered = {
        let mut t = tagged.clone().into_bytes();
        let i = "prb+".len();
        t[i] = if t[i] == b'a' { b'b' } else { b'a' };
        String::from_utf8(t).unwrap()
    };
    let files = [
        dir.file("f1.eml", forged_multipart(3, "mp")),
        dir.file("f2.eml", forged_arf()),
        dir.file("f3.eml", forged_text()),
        dir.file(
            "real.eml",
            dsn(&tagged, &["real@receiver.example"], "m1@sender.example"),
        ),
        dir.file(
            "tampered.eml",
            dsn(&tampered, &["real@receiver.example"], "m2@sender.example"),
        ),
        // A tag proves its own recipient only.
        dir.file(
            "other.eml",
            dsn(&other, &["victim@receiver.example"], "m3@sender.example"),
        ),
    ];
    let mut args = vec!["bounces", "--suppress", db];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = prebounce(&args, Some(SECRET));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("not authenticated"),
        "{}",
        stderr(&out)
    );
    let recs = records(&out);
    // Every forged record was read and kept as evidence.
    assert!(recs.len() >= 6, "{recs:?}");
    for r in &recs {
        let who = r["recipient"].as_str().unwrap();
        let (verified, stored) = (
            r["verified"].as_str().unwrap(),
            r["stored"].as_str().unwrap(),
        );
        let source = r["source"].as_str().unwrap();
        if who == "real@receiver.example" && source.ends_with("real.eml") {
            assert_eq!((verified, stored), ("verp", "suppressed"), "{r}");
        } else {
            assert_eq!((verified, stored), ("none", "evidence"), "{r}");
        }
    }
    assert_eq!(listed(Path::new(db), false), ["real@receiver.example"]);
    assert!(listed(Path::new(db), true).is_empty());
}

#[test]
fn a_bounce_matching_the_sent_log_suppresses_and_the_sent_log_alone_turns_verified_mode_on() {
    let dir = TempDir::new("trust-sent");
    let db = dir.path("s.db");
    let db = db.to_str().unwrap();
    let sent = dir.file(
        "sent.jsonl",
        "{\"message_id\": \"<m1@sender.example>\", \"recipient\": \"Sent@Receiver.example\", \"sent_at\": \"2026-12-07T10:00:00Z\"}\n\
         not json\n\
         {\"message_id\": \"m2@sender.example\", \"recipient\": \"not an address\"}\n",
    );
    let out = prebounce(&["sent", "--db", db, sent.to_str().unwrap()], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "two lines refused: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("sent.jsonl:2:") && err.contains("sent.jsonl:3:"),
        "{err}"
    );
    assert!(
        err.contains("1 sent records read, 1 new, 2 lines refused"),
        "{err}"
    );

    let files = [
        // Quotes m1 for its recipient: verified.
        dir.file(
            "real.eml",
            dsn(
                "bounces@sender.example",
                &["sent@receiver.example"],
                "m1@sender.example",
            ),
        ),
        // Quotes m1 for someone m1 never went to.
        dir.file(
            "wrong.eml",
            dsn(
                "bounces@sender.example",
                &["nobody@receiver.example"],
                "m1@sender.example",
            ),
        ),
        dir.file("f1.eml", forged_multipart(2, "mp")),
        // No returned headers: the ID is the second of References.
        dir.file(
            "refs.eml",
            dsn(
                "bounces@sender.example",
                &["second@receiver.example"],
                "none@x.example",
            )
            .replace("Message-ID: <none@x.example>\r\n", "")
            .replace(
                "MIME-Version: 1.0\r\n",
                "References: <other@x.example> <m4@sender.example>\r\nMIME-Version: 1.0\r\n",
            ),
        ),
    ];
    let more = dir.file(
        "more.jsonl",
        "{\"message_id\": \"m4@sender.example\", \"recipient\": \"second@receiver.example\"}\n",
    );
    let out = prebounce(&["sent", "--db", db, more.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut args = vec!["bounces", "--suppress", db];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = prebounce(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("not authenticated"),
        "{}",
        stderr(&out)
    );
    let recs = records(&out);
    let second: Vec<&Value> = recs
        .iter()
        .filter(|r| r["recipient"] == "second@receiver.example")
        .collect();
    assert_eq!(second.len(), 1, "{recs:?}");
    assert_eq!(second[0]["verified"], "sent_log", "{recs:?}");
    let real: Vec<&Value> = recs
        .iter()
        .filter(|r| r["recipient"] == "sent@receiver.example")
        .collect();
    assert_eq!(real.len(), 1);
    assert_eq!(
        (real[0]["verified"].as_str(), real[0]["stored"].as_str()),
        (Some("sent_log"), Some("suppressed"))
    );
    assert_eq!(
        recs.iter().filter(|r| r["stored"] == "evidence").count(),
        3,
        "{recs:?}"
    );
    assert_eq!(
        listed(Path::new(db), false),
        ["second@receiver.example", "sent@receiver.example"]
    );
}

/// Postfix's own log of a message to two recipients, one refused at
/// delivery (shapes as Postfix 3.7 writes them).
const MAILLOG: &str = "\
2026-12-08T03:09:41.120044+00:00 out postfix/pickup[812]: 4F2A41C0B2: uid=1000 from=<news@sender.example>
2026-12-08T03:09:41.123456+00:00 out postfix/cleanup[813]: 4F2A41C0B2: message-id=<m9@sender.example>
2026-12-08T03:09:41.130000+00:00 out postfix/qmgr[814]: 4F2A41C0B2: from=<news@sender.example>, size=512, nrcpt=2 (queue active)
2026-12-08T03:09:43.200000+00:00 out postfix/smtp[815]: 4F2A41C0B2: to=<disabled@receiver.example>, relay=mx.receiver.example[192.0.2.10]:25, delay=2.1, delays=0.01/0/1/1, dsn=5.2.1, status=bounced (host mx.receiver.example[192.0.2.10] said: 550 5.2.1 The email account that you tried to reach is disabled. (in reply to RCPT TO command))
2026-12-08T03:09:43.300000+00:00 out postfix/smtp[815]: 4F2A41C0B2: to=<fine@receiver.example>, relay=mx.receiver.example[192.0.2.10]:25, delay=2.2, delays=0.01/0/1/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 77A)
2026-12-08T03:09:43.400000+00:00 out postfix/qmgr[814]: 4F2A41C0B2: removed
";

#[test]
fn a_postfix_status_bounced_line_suppresses_as_mta_log_and_the_log_is_a_sent_log_too() {
    let dir = TempDir::new("trust-mta");
    let db = dir.path("s.db");
    let db = db.to_str().unwrap();
    let log = dir.file("mail.log", MAILLOG);
    let log = log.to_str().unwrap();
    let out = prebounce(&["bounces", "--suppress", db, "--mta-log", log], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = records(&out);
    assert_eq!(recs.len(), 1, "{recs:?}");
    let r = &recs[0];
    assert_eq!(r["recipient"], "disabled@receiver.example");
    assert_eq!(r["format"], "mta_log");
    assert_eq!(r["verified"], "mta_log");
    assert_eq!(r["reason"], "mailbox_disabled");
    assert_eq!(r["stored"], "suppressed");
    assert_eq!(r["source"], format!("{log}:4"));
    // Read again: nothing twice.
    let again = prebounce(&["bounces", "--suppress", db, "--mta-log", log], None);
    assert_eq!(records(&again)[0]["stored"], "duplicate");

    // The same log as a sent log, with mail a stranger sent us in it.
    let both = dir.file("both.log", format!("{MAILLOG}{INBOUND}"));
    let both = both.to_str().unwrap();
    let out = prebounce(&["sent", "--db", db, both], None);
    assert_eq!(out.status.code(), Some(2), "--sender is required for a log");
    assert!(stderr(&out).contains("--sender"), "{}", stderr(&out));
    let out = prebounce(
        &["sent", "--db", db, "--sender", "@sender.example", both],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Our message's two recipients; not the stranger's (its Message-ID is
    // the stranger's choice).
    assert!(
        stderr(&out).contains("2 sent records read, 2 new, 0 lines refused"),
        "{}",
        stderr(&out)
    );
    let report = |to: &str, id: &str| {
        let f = dir.file("b.eml", dsn("bounces@sender.example", &[to], id));
        records(&prebounce(
            &["bounces", "--suppress", db, f.to_str().unwrap()],
            None,
        ))
        .remove(0)
    };
    // m9 went to two recipients: either could forge a report about the
    // other, so the Message-ID alone proves nothing.
    assert_eq!(
        report("fine@receiver.example", "m9@sender.example")["verified"],
        "none"
    );
    assert_eq!(
        report("owner@gmail.example", "chosen@evil.example")["verified"],
        "none"
    );
    assert!(listed(Path::new(db), false).contains(&"disabled@receiver.example".to_owned()));
    assert!(!listed(Path::new(db), false).contains(&"owner@gmail.example".to_owned()));
}

/// Mail a stranger sent us, with a Message-ID of their choosing, forwarded
/// by an alias: it is in the log, and was not sent by us.
const INBOUND: &str = "\
2026-12-08T04:00:00.000000+00:00 out postfix/smtpd[900]: 5A1B2C3D4E: client=mail.evil.example[198.51.100.7]
2026-12-08T04:00:00.100000+00:00 out postfix/cleanup[813]: 5A1B2C3D4E: message-id=<chosen@evil.example>
2026-12-08T04:00:00.200000+00:00 out postfix/qmgr[814]: 5A1B2C3D4E: from=<x@evil.example>, size=900, nrcpt=1 (queue active)
2026-12-08T04:00:01.000000+00:00 out postfix/smtp[815]: 5A1B2C3D4E: to=<owner@gmail.example>, orig_to=<info@sender.example>, relay=mx.gmail.example[192.0.2.20]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 OK)
";

#[test]
fn outside_verified_mode_bounces_count_as_before_with_a_warning_but_not_fifty_one_at_once() {
    let dir = TempDir::new("trust-open");
    let db = dir.path("s.db");
    let db = db.to_str().unwrap();
    let small = dir.file("small.eml", forged_multipart(3, "few"));
    let big = dir.file("big.eml", forged_multipart(51, "many"));
    // What the forged shapes do without a way to verify: they suppress
    // (the reason verified mode exists).
    let arf = dir.file("arf.eml", forged_arf());
    let text = dir.file("text.eml", forged_text());
    let out = prebounce(
        &[
            "bounces",
            "--suppress",
            db,
            arf.to_str().unwrap(),
            text.to_str().unwrap(),
        ],
        None,
    );
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert!(recs.iter().all(|r| r["stored"] == "suppressed"), "{recs:?}");
    let db = dir.path("s1.db");
    let db = db.to_str().unwrap();
    let out = prebounce(
        &[
            "bounces",
            "--suppress",
            db,
            small.to_str().unwrap(),
            big.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("not authenticated").count(), 1, "{err}");
    let recs = records(&out);
    assert_eq!(recs.len(), 54);
    for r in &recs {
        let many = r["recipient"].as_str().unwrap().starts_with("many");
        assert_eq!(r["verified"], "none");
        assert_eq!(
            r["stored"],
            if many { "evidence" } else { "suppressed" },
            "{r}"
        );
    }
    let listed_all = listed(Path::new(db), false);
    assert_eq!(listed_all.len(), 3, "{listed_all:?}");
    // They came from unverified bounces.
    assert_eq!(listed(Path::new(db), true), listed_all);

    // The bound is a flag.
    let db2 = dir.path("s2.db");
    let out = prebounce(
        &[
            "bounces",
            "--suppress",
            db2.to_str().unwrap(),
            "--max-unverified-recipients",
            "2",
            small.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        records(&out).iter().all(|r| r["stored"] == "evidence"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_short_verp_secret_is_a_usage_error_for_bounces() {
    let dir = TempDir::new("trust-secret");
    let f = dir.file("f.eml", forged_text());
    let out = prebounce(&["bounces", f.to_str().unwrap()], Some("short"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("at least 32"), "{}", stderr(&out));
}

#[test]
fn sent_reads_csv_and_refuses_a_file_without_the_columns() {
    let dir = TempDir::new("trust-sent-csv");
    let db = dir.path("s.db");
    let db = db.to_str().unwrap();
    let csv = dir.file(
        "sent.csv",
        "Message_ID,recipient,sent_at\n<a@sender.example>,x@receiver.example,2026-12-01T00:00:00Z\nb@sender.example,y@receiver.example,\n",
    );
    let out = prebounce(&["sent", "--db", db, csv.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 sent records read, 2 new"),
        "{}",
        stderr(&out)
    );
    let bad = dir.file("bad.csv", "id,to\n1,x@y.example\n");
    let out = prebounce(&["sent", "--db", db, bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("message_id"), "{}", stderr(&out));
}

#[test]
fn a_log_is_read_only_when_given_as_mta_log_never_as_mail() {
    let dir = TempDir::new("trust-maildir-log");
    let db = dir.path("s.db");
    let db = db.to_str().unwrap();
    // A stranger's "message" that is all log lines, delivered to a maildir,
    // dropped in a directory of messages, or named as mail: it is mail, not
    // our log.
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.path("Maildir").join(sub)).unwrap();
    }
    std::fs::write(dir.path("Maildir/new/1.eml"), MAILLOG).unwrap();
    std::fs::create_dir_all(dir.path("msgs")).unwrap();
    std::fs::write(dir.path("msgs/2.eml"), MAILLOG).unwrap();
    let named = dir.file("3.eml", MAILLOG);
    for path in [dir.path("Maildir"), dir.path("msgs"), named] {
        let out = prebounce(&["bounces", "--suppress", db, path.to_str().unwrap()], None);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            records(&out).is_empty(),
            "{path:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            stderr(&out).contains("pass it with --mta-log"),
            "{}",
            stderr(&out)
        );
    }
    assert!(listed(Path::new(db), false).is_empty());
    // Given as --mta-log, also on standard input (`journalctl … |`).
    let mut child = Command::new(env!("CARGO_BIN_EXE_prebounce"))
        .args(["bounces", "--mta-log", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(MAILLOG.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let recs = records(&out);
    assert_eq!(recs.len(), 1, "{}", stderr(&out));
    assert_eq!(recs[0]["verified"], "mta_log");
    assert_eq!(recs[0]["source"], "-:4");
}
