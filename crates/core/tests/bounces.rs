//! The bounce corpus (`tests/bounces/`): every message, with LF and with CRLF
//! line ends, must give the records its `.expect.json` names. The corpus and
//! its expectations were written from what each message *says*, not from
//! what the parser does; see `tests/bounces/README.md`.
#![cfg(feature = "bounces")]

use std::fs;
use std::path::{Path, PathBuf};

use prebounce_core::bounce::{self, Report};
use serde_json::Value;

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bounces")
        .join(name)
}

/// (message path, expectation) for every message with an expect file.
fn cases(name: &str) -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir(name)).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file.ends_with(".expect.json") || file.ends_with(".md") {
            continue;
        }
        let stem = file
            .rsplit_once('.')
            .map_or(file.as_str(), |(s, _)| s)
            .to_owned();
        let expect = path.with_file_name(format!("{stem}.expect.json"));
        let expect = fs::read_to_string(&expect)
            .unwrap_or_else(|e| panic!("{}: no expectation ({e})", expect.display()));
        let expect: Value = serde_json::from_str(&expect).unwrap_or_else(|e| panic!("{stem}: {e}"));
        out.push((path, expect));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Both line-end forms of a message (JSON is left as it is).
fn variants(raw: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut lf = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        lf.push(raw[i]);
        i += 1;
    }
    let mut crlf = Vec::with_capacity(lf.len() + lf.len() / 40);
    for &b in &lf {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    vec![("LF", lf), ("CRLF", crlf)]
}

/// Differences between a report and an expectation; empty when it matches.
fn mismatches(report: &Report, expect: &Value) -> Vec<String> {
    let got = serde_json::to_value(report).unwrap();
    let mut out = Vec::new();
    for key in ["format", "notice"] {
        if let Some(want) = expect.get(key) {
            if got[key] != *want {
                out.push(format!("{key}: got {} want {want}", got[key]));
            }
        }
    }
    if let Some(want) = expect.get("bounce").and_then(Value::as_bool) {
        if report.is_bounce() != want {
            out.push(format!("bounce: got {} want {want}", report.is_bounce()));
        }
    }
    if let Some(min) = expect.get("min_records").and_then(Value::as_u64) {
        if (report.records.len() as u64) < min {
            out.push(format!(
                "records: got {} want at least {min}",
                report.records.len()
            ));
        }
    }
    if let Some(want) = expect.get("recipients").and_then(Value::as_array) {
        for r in want {
            if !report
                .records
                .iter()
                .any(|b| Some(b.recipient.as_str()) == r.as_str())
            {
                out.push(format!("recipients: {r} missing"));
            }
        }
    }
    let Some(want_records) = expect.get("records").and_then(Value::as_array) else {
        return out; // "any"
    };
    let got_records = got["records"].as_array().unwrap();
    if got_records.len() != want_records.len() {
        out.push(format!(
            "records: got {} want {}: {}",
            got_records.len(),
            want_records.len(),
            got["records"]
        ));
        return out;
    }
    for (i, (g, w)) in got_records.iter().zip(want_records).enumerate() {
        for (key, want) in w.as_object().unwrap() {
            if g[key.as_str()] != *want {
                out.push(format!(
                    "record {i} {key}: got {} want {want}",
                    g[key.as_str()]
                ));
            }
        }
    }
    out
}

fn run(name: &str) -> usize {
    let mut failures = Vec::new();
    let all = cases(name);
    for (path, expect) in &all {
        let raw = fs::read(path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy();
        let forms = if file.ends_with(".json") {
            vec![("as stored", raw)]
        } else {
            variants(&raw)
        };
        for (form, bytes) in forms {
            let report = bounce::parse(&bytes);
            for m in mismatches(&report, expect) {
                failures.push(format!("{file} ({form}): {m}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    all.len()
}

#[test]
fn corpus() {
    let n = run("corpus");
    assert!(n >= 12, "the corpus has {n} messages");
}

#[test]
fn bad_input() {
    run("bad");
}

#[test]
fn a_50_mb_message_is_bounded_work() {
    // A real bounce with a 50 MB returned message: the report part is read,
    // the attachment is only MIME-parsed.
    let head = "From: MAILER-DAEMON@mail.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.org\r\n\r\n\
Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <big@example.org>\r\nSubject: big\r\n\r\n";
    let mut raw = head.as_bytes().to_vec();
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    while raw.len() < 50 * 1024 * 1024 {
        raw.extend_from_slice(line);
    }
    raw.extend_from_slice(b"--b--\r\n");
    let report = bounce::parse(&raw);
    assert_eq!(report.records.len(), 1);
    assert_eq!(report.records[0].reason.as_str(), "does_not_exist");
    assert_eq!(
        report.records[0].original_message_id.as_deref(),
        Some("big@example.org")
    );
    // And 50 MB of text with no structure at all.
    let text = vec![b'a'; 50 * 1024 * 1024];
    let report = bounce::parse(&text);
    assert!(!report.is_bounce());
}
