//! The resolver guard end to end (issue 14, "A lying resolver must not empty
//! a list"), against a real unbound on a loopback port picked at run time
//! (tests/peers/unbound.sh), stopped by pid when the test ends:
//!
//! - with the test zones, `test.` and `example.` are static zones that
//!   answer NODATA for their NS, so an NXDOMAIN under them stays
//!   `invalid` / `no_such_domain`;
//! - with `LIAR=1`, unbound answers NXDOMAIN for every name, `com.`
//!   included: `someone@gmail.com` is `unknown` / `dns_error` with a detail
//!   that names the resolver, `check` exits 1 with the resolver named on
//!   stderr, and a `--file` run stops at the first such row, keeping the rows
//!   before it.
//!
//! Needs Debian's unbound (scripts/setup.sh); without it the tests skip
//! loudly, or fail when `CI` is set. No root needed.

#[path = "support/peers.rs"]
mod peers;

use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use peers::{Peers, Want};

const DNS_ONLY: Want = Want {
    dns: true,
    smtp: false,
    doh: false,
    milter: false,
};

/// `prebounce check --json ARGS...`: the verdicts and the run.
fn check(args: &[&str]) -> (Vec<Value>, peers::Output) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prebounce"));
    cmd.arg("check").arg("--json").args(args);
    let out = peers::output_with_deadline(cmd, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("prebounce check {}: {e}", args.join(" ")));
    let verdicts = out
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (verdicts, out)
}

/// One UDP query to 127.0.0.1:`port`: the response code and the number of
/// answer records.
fn query(port: u16, name: &str, qtype: u16) -> (u8, u16) {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    socket.send_to(&q, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 1500];
    let n = socket.recv(&mut buf).expect("a DNS answer");
    assert!(n >= 12, "short DNS answer");
    (buf[3] & 0x0f, u16::from_be_bytes([buf[6], buf[7]]))
}

const NS: u16 = 2;
const MX: u16 = 15;
const NOERROR: u8 = 0;
const NXDOMAIN: u8 = 3;

#[test]
fn the_test_zones_still_give_no_such_domain() {
    if !peers::require("resolver_guard (test zones)", &["unbound"]) {
        return;
    }
    let p = Peers::start(DNS_ONLY);
    // Static zones: NODATA for the TLD's NS, NXDOMAIN under it.
    assert_eq!(query(p.dns_port, "test", NS), (NOERROR, 0), "test. NS");
    assert_eq!(
        query(p.dns_port, "example", NS),
        (NOERROR, 0),
        "example. NS"
    );
    assert_eq!(query(p.dns_port, "nxdomain.test", MX).0, NXDOMAIN);

    let resolver = format!("127.0.0.1:{}", p.dns_port);
    let inputs = ["x@nxdomain.test", "x@nxdomain.example"];
    let list = p.dir.join("list.txt");
    std::fs::write(&list, inputs.join("\n") + "\n").expect("write the list");
    let list = list.display().to_string();
    for args in [
        vec![
            "--resolver",
            &resolver,
            "--allow-special-use",
            inputs[0],
            inputs[1],
        ],
        vec![
            "--resolver",
            &resolver,
            "--allow-special-use",
            "--file",
            &list,
        ],
    ] {
        let (verdicts, out) = check(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}\n{}",
            out.status,
            out.stderr
        );
        assert_eq!(verdicts.len(), 2, "{}", out.stdout);
        for v in &verdicts {
            assert_eq!(v["status"], "invalid", "{v}");
            assert_eq!(v["reason"], "no_such_domain", "{v}");
        }
    }
}

#[test]
fn a_lying_resolver_gives_dns_error_and_stops_a_list() {
    if !peers::require("resolver_guard (lying resolver)", &["unbound"]) {
        return;
    }
    let p = Peers::start_with(DNS_ONLY, &[("LIAR", "1")]);
    // The liar denies the TLDs themselves.
    assert_eq!(query(p.dns_port, "com", NS).0, NXDOMAIN, "com. NS");
    assert_eq!(query(p.dns_port, "test", NS).0, NXDOMAIN, "test. NS");
    let resolver = format!("127.0.0.1:{}", p.dns_port);
    let named =
        format!("the resolver {resolver} answered NXDOMAIN for the top-level domain com itself");

    // ---- an address given as an argument
    let (verdicts, out) = check(&["--resolver", &resolver, "someone@gmail.com"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", out.stderr);
    assert_eq!(verdicts.len(), 1, "{}", out.stdout);
    let v = &verdicts[0];
    assert_eq!(v["status"], "unknown", "{v}");
    assert_eq!(v["reason"], "dns_error", "{v}");
    let detail = v["detail"].as_str().unwrap_or("");
    assert!(detail.contains(&named), "detail {detail:?}");
    assert!(out.stderr.contains(&named), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("--resolver"), "stderr: {}", out.stderr);

    // ---- a list: stops at the first downgrade, the rows before it stay
    let list = p.dir.join("list.txt");
    std::fs::write(
        &list,
        "not an address\nsomeone@gmail.com\nother@yahoo.com\nx@nxdomain.test\n",
    )
    .expect("write the list");
    let com_ns = || p.unbound_log().matches(" com. NS IN").count();
    let before = com_ns();
    let list = list.display().to_string();
    let (verdicts, out) = check(&[
        "--resolver",
        &resolver,
        "--allow-special-use",
        "--retry-window",
        "0",
        "--file",
        &list,
    ]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", out.stderr);
    let got: Vec<(&str, &str)> = verdicts
        .iter()
        .map(|v| {
            (
                v["input"].as_str().unwrap_or("?"),
                v["reason"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("not an address", "invalid_syntax"),
            ("someone@gmail.com", "dns_error")
        ],
        "the rows up to the first downgrade, and no further"
    );
    assert!(
        out.stderr.contains(&format!("stopped at {list}:2")),
        "stderr: {}",
        out.stderr
    );
    assert!(out.stderr.contains(&named), "stderr: {}", out.stderr);
    // Three domains needed the guard; `com.` was asked once (cached).
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(com_ns() - before, 1, "{}", p.unbound_log());
}
