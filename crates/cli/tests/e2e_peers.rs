//! End to end against real peers: `prebounce check` asks a real unbound for
//! the test zones and a real Postfix for the mailboxes (tests/peers/). Both
//! run on loopback ports picked at run time, from a fresh folder under /tmp,
//! and are stopped when the test ends, however it ends.
//!
//! Needs root and Debian's postfix and unbound (scripts/setup.sh). Without
//! them the test is skipped loudly, or fails when `CI` is set.
//!
//! Every expectation is checked and the failures are listed together, with
//! the verdict JSON each one was judged on.

#[path = "support/peers.rs"]
mod peers;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use peers::{Peers, Want};

const HELO: &str = "probe.prebounce.test";

/// The truth table: address, status, reason (None: not asserted).
/// tests/peers/postfix.sh lists the replies Postfix sends for each.
const CASES: [(&str, &str, Option<&str>); 13] = [
    ("ok@alpha.test", "valid", Some("ok")),
    // "550 5.2.1 <disabled@alpha.test>: Recipient address rejected: The email account ..."
    ("disabled@alpha.test", "invalid", Some("mailbox_disabled")),
    // verbatim by the milter, multi-line: "550-5.2.1 The email account that you tried to reach is disabled. ..."
    ("gone@alpha.test", "invalid", Some("mailbox_disabled")),
    // verbatim: "550 5.0.0 The email account that you tried to reach is disabled" (the text decides)
    ("closed@alpha.test", "invalid", Some("mailbox_disabled")),
    // verbatim: "550 5.1.1 The email account that you tried to reach does not exist."
    ("ghost@alpha.test", "invalid", Some("does_not_exist")),
    ("nobody@alpha.test", "invalid", Some("does_not_exist")),
    ("full@alpha.test", "risky", Some("mailbox_full")),
    ("x@catchall.test", "risky", Some("catch_all")),
    ("x@grey.test", "unknown", Some("temporary_failure")),
    ("x@nullmx.test", "invalid", Some("null_mx")),
    ("x@nxdomain.test", "invalid", Some("no_such_domain")),
    ("x@servfail.test", "unknown", Some("dns_error")),
    // not a Postfix domain: relay refused, an unknown/... verdict
    ("x@amx.test", "unknown", None),
];

/// Expectations checked softly: every failure is kept and reported at the end.
#[derive(Default)]
struct Checks {
    passed: usize,
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if ok {
            self.passed += 1;
        } else {
            self.failed.push(what());
        }
    }

    /// `verdict[path] == want`, `path` like "smtp.code".
    /// A missing verdict (`null`) was reported already and is skipped here.
    fn field(&mut self, v: &Value, path: &str, want: Value) {
        if v.is_null() {
            return;
        }
        let got = get(v, path);
        let ok = got == &want;
        self.check(ok, || {
            format!(
                "{}: {path} = {got}, want {want}\n    verdict: {v}",
                v["input"].as_str().unwrap_or("?")
            )
        });
    }

    fn finish(self) {
        eprintln!(
            "e2e_peers: {} expectations passed, {} failed",
            self.passed,
            self.failed.len()
        );
        if !self.failed.is_empty() {
            panic!(
                "{} of {} expectations failed:\n  - {}",
                self.failed.len(),
                self.passed + self.failed.len(),
                self.failed.join("\n  - ")
            );
        }
    }
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| &v[k])
}

/// `prebounce check --json ARGS...`: the verdicts, one a line.
fn check(args: &[String]) -> (Vec<Value>, peers::Output) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prebounce"));
    cmd.arg("check").arg("--json").args(args);
    // a run that hangs must not hang the suite: every step has a deadline of its own
    let out = peers::output_with_deadline(cmd, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("prebounce check {}: {e}", args.join(" ")));
    let verdicts = out
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (verdicts, out)
}

fn net_args(p: &Peers, allow_private: bool) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "--resolver".into(),
        format!("127.0.0.1:{}", p.dns_port),
        "--smtp-port".into(),
        p.smtp_port.to_string(),
        "--allow-special-use".into(),
        "--helo".into(),
        HELO.into(),
        "--timeout".into(),
        "10s".into(),
    ];
    if allow_private {
        a.push("--allow-private".into());
    }
    a
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// Exit code 0, one verdict per input, in input order.
fn check_run(c: &mut Checks, what: &str, inputs: &[&str], verdicts: &[Value], out: &peers::Output) {
    c.check(out.status.success(), || {
        format!(
            "{what}: exit status {} (want 0)\n    stderr: {}",
            out.status,
            out.stderr.trim()
        )
    });
    let got: Vec<&str> = verdicts
        .iter()
        .map(|v| v["input"].as_str().unwrap_or("?"))
        .collect();
    c.check(got == inputs, || {
        format!(
            "{what}: verdict inputs {got:?}, want {inputs:?} (one per address, in input order)\n    stdout: {}\n    stderr: {}",
            out.stdout.trim(),
            out.stderr.trim()
        )
    });
    eprintln!("{what}: {} verdicts in {:.2?}", verdicts.len(), out.elapsed);
}

#[test]
fn check_against_real_postfix_and_unbound() {
    if !peers::require("e2e_peers", &["postfix", "unbound", "python3-milter"]) {
        return;
    }
    let p = Peers::start(Want {
        dns: true,
        smtp: true,
        doh: false,
        milter: true,
    });
    eprintln!(
        "peers: unbound 127.0.0.1:{}, postfix 127.0.0.1:{}, folder {}",
        p.dns_port,
        p.smtp_port,
        p.dir.display()
    );
    let mut c = Checks::default();
    // every verdict of every run, printed at the end
    let mut shown: Vec<Value> = Vec::new();
    let inputs: Vec<&str> = CASES.iter().map(|(a, _, _)| *a).collect();

    // ---- 1. addresses as arguments, --allow-private
    let before = p.smtp_connects();
    let mut args = net_args(&p, true);
    args.extend(strings(&inputs));
    let (verdicts, out) = check(&args);
    check_run(&mut c, "arguments", &inputs, &verdicts, &out);
    let sessions = p.smtp_connects() - before;
    eprintln!("arguments: {sessions} SMTP sessions");
    c.check(sessions > 0, || {
        "arguments: Postfix logged no SMTP session".into()
    });
    let by_input: HashMap<&str, &Value> = verdicts
        .iter()
        .filter_map(|v| Some((v["input"].as_str()?, v)))
        .collect();
    for (addr, status, reason) in CASES {
        let Some(v) = by_input.get(addr) else {
            c.check(false, || format!("{addr}: no verdict"));
            continue;
        };
        c.field(v, "status", status.into());
        if let Some(r) = reason {
            c.field(v, "reason", r.into());
        }
    }
    let v = |a: &str| by_input.get(a).copied().unwrap_or(&Value::Null);
    // valid, over STARTTLS (Postfix offers it with a self-signed certificate)
    let ok = v("ok@alpha.test");
    c.field(ok, "depth", "smtp".into());
    c.field(ok, "smtp.code", 250.into());
    c.field(ok, "smtp.tls", true.into());
    c.field(ok, "smtp.mx", "mx.alpha.test".into());
    c.field(ok, "message", Value::Null);
    c.field(ok, "dns.implicit_mx", false.into());
    c.field(ok, "dns.null_mx", false.into());
    c.field(
        ok,
        "dns.mx",
        serde_json::json!([{"preference": 10, "exchange": "mx.alpha.test"}]),
    );
    let disabled = v("disabled@alpha.test");
    c.field(disabled, "depth", "smtp".into());
    c.field(disabled, "smtp.code", 550.into());
    c.field(disabled, "smtp.enhanced", "5.2.1".into());
    let reply = disabled["smtp"]["reply"].as_str().unwrap_or("");
    c.check(
        reply.contains("The email account that you tried to reach is disabled"),
        || format!("disabled@alpha.test: smtp.reply {reply:?} lacks Postfix's text"),
    );
    let gone = v("gone@alpha.test");
    c.field(gone, "smtp.code", 550.into());
    c.field(gone, "smtp.enhanced", "5.2.1".into());
    let reply = gone["smtp"]["reply"].as_str().unwrap_or("");
    c.check(
        reply.contains("tried to reach is disabled") && reply.contains("DisabledUser"),
        || format!("gone@alpha.test: smtp.reply {reply:?} should keep both lines of the reply"),
    );
    c.field(v("closed@alpha.test"), "smtp.enhanced", "5.0.0".into());
    c.field(v("ghost@alpha.test"), "smtp.enhanced", "5.1.1".into());
    let nobody = v("nobody@alpha.test");
    c.field(nobody, "smtp.code", 550.into());
    c.field(nobody, "smtp.enhanced", "5.1.1".into());
    let full = v("full@alpha.test");
    c.field(full, "smtp.code", 452.into());
    c.field(full, "smtp.enhanced", "4.2.2".into());
    c.field(full, "retry_after", Value::Null);
    c.field(v("x@catchall.test"), "smtp.catch_all", true.into());
    c.field(v("x@catchall.test"), "depth", "smtp".into());
    let grey = v("x@grey.test");
    c.field(grey, "smtp.code", 450.into());
    c.check(grey["retry_after"].is_u64(), || {
        format!("x@grey.test: retry_after should be a number of seconds\n    verdict: {grey}")
    });
    c.field(v("x@nullmx.test"), "depth", "dns".into());
    c.field(v("x@nullmx.test"), "dns.null_mx", true.into());
    c.field(v("x@nullmx.test"), "smtp", Value::Null);
    c.field(v("x@nxdomain.test"), "smtp", Value::Null);
    c.field(v("x@servfail.test"), "smtp", Value::Null);
    let amx = v("x@amx.test");
    c.field(amx, "dns.implicit_mx", true.into());
    c.field(amx, "depth", "smtp".into());
    for vd in &verdicts {
        let status = vd["status"].as_str().unwrap_or("");
        c.check(status == "valid" || vd["message"].is_string(), || {
            format!(
                "{}: a {status} verdict needs a message\n    verdict: {vd}",
                vd["input"]
            )
        });
    }

    // The probe's manners (DESIGN "Ground rules"): the configured HELO, the
    // null sender, never DATA.
    let log = p.maillog_text();
    c.check(log.contains(&format!("helo=<{HELO}>")), || {
        format!("maillog: no RCPT logged with helo=<{HELO}>")
    });
    c.check(log.contains("from=<> "), || {
        "maillog: no RCPT logged with the null sender from=<>".into()
    });
    c.check(
        !log.lines()
            .any(|l| l.contains(" data=") || l.contains(" bdat=")),
        || "maillog: a session sent DATA/BDAT".into(),
    );

    // ---- 2. without --allow-private: the MX resolves to 127.0.0.1, refused
    let before = p.smtp_connects();
    let mut args = net_args(&p, false);
    args.push("ok@alpha.test".into());
    let (vs, out) = check(&args);
    shown.extend(vs.iter().cloned());
    check_run(&mut c, "no --allow-private", &["ok@alpha.test"], &vs, &out);
    let after = p.smtp_connects();
    if let Some(v) = vs.first() {
        c.field(v, "status", "unknown".into());
        c.field(v, "reason", "smtp_unavailable".into());
        let detail = v["detail"].as_str().unwrap_or("");
        c.check(detail.contains("127.0.0.1"), || {
            format!("no --allow-private: detail {detail:?} should name 127.0.0.1\n    verdict: {v}")
        });
    }
    c.check(after == before, || {
        format!(
            "no --allow-private: Postfix logged {} SMTP session(s); want none",
            after - before
        )
    });

    // ---- 3. the same list with --file: the same verdicts, in input order
    let list = p.dir.join("list.txt");
    std::fs::write(&list, inputs.join("\n") + "\n").expect("write list");
    let mut args = net_args(&p, true);
    // --file retries temporary failures for 15 minutes by default
    args.extend(strings(&["--retry-window", "0", "--file"]));
    args.push(list.display().to_string());
    let (file_verdicts, out) = check(&args);
    check_run(&mut c, "--file", &inputs, &file_verdicts, &out);
    for (a, b) in verdicts.iter().zip(&file_verdicts) {
        let key = |v: &Value| (v["input"].clone(), v["status"].clone(), v["reason"].clone());
        c.check(key(a) == key(b), || {
            format!("--file: {b}\n    differs from the arguments' verdict {a}")
        });
    }

    // ---- 4. --mx names the server: no DNS, and no private-address refusal
    let args = strings(&[
        "--mx",
        &format!("127.0.0.1:{}", p.smtp_port),
        "--allow-special-use",
        "--helo",
        HELO,
        "--timeout",
        "10s",
        "disabled@alpha.test",
    ]);
    let (vs, out) = check(&args);
    shown.extend(vs.iter().cloned());
    check_run(&mut c, "--mx", &["disabled@alpha.test"], &vs, &out);
    if let Some(v) = vs.first() {
        c.field(v, "status", "invalid".into());
        c.field(v, "reason", "mailbox_disabled".into());
        c.field(v, "depth", "smtp".into());
        c.field(v, "smtp.enhanced", "5.2.1".into());
    }

    let mut all = verdicts.clone();
    all.extend(shown);
    print_verdicts(&p.dir, &all);
    c.finish();
}

/// Writes the verdicts next to the peers (kept with PREBOUNCE_KEEP_PEERS=1)
/// and prints them, so a failing run shows everything it was judged on.
fn print_verdicts(dir: &Path, verdicts: &[Value]) {
    let text: String = verdicts.iter().map(|v| format!("{v}\n")).collect();
    let _ = std::fs::write(dir.join("verdicts.jsonl"), &text);
    eprintln!("verdicts:\n{text}");
}

/// The optional DoH front (dnsdist, RFC 8484 wire format over plain HTTP)
/// answers from the same zones: what the worker's tests will ask.
#[test]
fn doh_front_answers_the_test_zones() {
    if !peers::require("e2e_peers (DoH)", &["unbound", "dnsdist"]) {
        return;
    }
    let p = Peers::start(Want {
        dns: true,
        smtp: false,
        doh: true,
        milter: false,
    });
    let url = format!("http://127.0.0.1:{}/dns-query", p.doh_port);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    // (name, type, rcode, answers)
    for (name, qtype, rcode, answers) in [
        ("alpha.test", 15u16, 0u8, 1u16),
        ("nullmx.test", 15, 0, 1),
        ("amx.test", 15, 0, 0),
        ("amx.test", 1, 0, 1),
        ("nxdomain.test", 15, 3, 0),
    ] {
        let resp = client
            .post(&url)
            .header("content-type", "application/dns-message")
            .header("accept", "application/dns-message")
            .body(dns_query(name, qtype))
            .send()
            .unwrap_or_else(|e| panic!("DoH {name}: {e}"));
        assert_eq!(resp.status().as_u16(), 200, "DoH {name} {qtype}");
        let body = resp.bytes().expect("DoH body");
        assert!(body.len() >= 12, "DoH {name}: short answer {body:?}");
        assert_eq!(body[3] & 0x0f, rcode, "DoH {name} {qtype}: rcode");
        let ancount = u16::from_be_bytes([body[6], body[7]]);
        assert_eq!(ancount, answers, "DoH {name} {qtype}: answers");
    }
}

/// A DNS query in wire format (RFC 1035), recursion desired.
fn dns_query(name: &str, qtype: u16) -> Vec<u8> {
    let mut q = vec![0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}
