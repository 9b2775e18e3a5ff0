//! Integration tests for `prebounce serve`: they run the real binary and
//! hold it to docs/DESIGN.md ("Interfaces users rely on: Probe backend"): signed
//! requests, input order, the 401 cases (and that they cause no SMTP
//! traffic), 400/413 errors, `/healthz`, `/metrics`, logs and a graceful
//! SIGTERM.
//!
//! Every server is started with `--mx 127.0.0.1:PORT`, aimed at a tiny fake
//! SMTP server run by the test, so any SMTP traffic a request causes lands
//! there and is counted.

#[path = "support/http.rs"]
mod http;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use http::{now, AuthHeaders, Serve};
use serde_json::{json, Value};

const SECRET: &str = "serve-api-test-secret-0123456789abcdef";
const PROBE: &str = "/v1/probe";

// ---------------------------------------------------------------- fake SMTP

/// A fake mail server: `alice@…` and `info@…` exist, `disabled@…` is disabled, every
/// other mailbox is unknown. It counts connections and records RCPTs.
struct FakeSmtp {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    rcpts: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeSmtp {
    fn start() -> FakeSmtp {
        FakeSmtp::with_banner_delay(Duration::ZERO)
    }

    /// A server that waits `delay` before its banner (a slow server, so a
    /// request is still in flight when the test signals).
    fn with_banner_delay(delay: Duration) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake SMTP");
        let addr = listener.local_addr().expect("fake SMTP address");
        let connections = Arc::new(AtomicUsize::new(0));
        let rcpts = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (connections, rcpts, stop) = (connections.clone(), rcpts.clone(), stop.clone());
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let rcpts = rcpts.clone();
                    thread::spawn(move || {
                        let _ = session(conn, delay, &rcpts);
                    });
                }
            })
        };
        FakeSmtp {
            addr,
            connections,
            rcpts,
            stop,
            thread: Some(thread),
        }
    }

    /// `--mx` for this server.
    fn mx(&self) -> String {
        self.addr.to_string()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn rcpts(&self) -> Vec<String> {
        self.rcpts.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        if let Ok(s) = TcpStream::connect(self.addr) {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One SMTP session, line by line (pipelined commands are answered in order).
fn session(conn: TcpStream, delay: Duration, rcpts: &Mutex<Vec<String>>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut out = conn.try_clone()?;
    thread::sleep(delay);
    out.write_all(b"220 fake.test ESMTP ready\r\n")?;
    let mut lines = BufReader::new(conn);
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end();
        let verb = cmd
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-fake.test\r\n250 8BITMIME\r\n",
            "HELO" => b"250 fake.test\r\n",
            "MAIL" => b"250 2.1.0 Ok\r\n",
            "RCPT" => {
                let addr = cmd
                    .split_once('<')
                    .and_then(|(_, r)| r.split_once('>'))
                    .map(|(a, _)| a.to_owned())
                    .unwrap_or_default();
                rcpts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(addr.clone());
                let local = addr.split('@').next().unwrap_or("").to_ascii_lowercase();
                match local.as_str() {
                    "alice" | "info" => b"250 2.1.5 Ok\r\n",
                    "disabled" => {
                        b"550 5.2.1 The email account that you tried to reach is disabled\r\n"
                    }
                    _ => b"550 5.1.1 Recipient address rejected: User unknown\r\n",
                }
            }
            "RSET" | "NOOP" => b"250 2.0.0 Ok\r\n",
            "QUIT" => {
                out.write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
            "DATA" => b"554 5.5.1 No DATA here\r\n",
            _ => b"502 5.5.2 Command not recognized\r\n",
        };
        out.write_all(reply)?;
    }
}

// ---------------------------------------------------------------- helpers

/// A fake SMTP server and `prebounce serve` aimed at it.
struct World {
    smtp: FakeSmtp,
    serve: Serve,
}

impl World {
    fn start() -> World {
        World::start_with(FakeSmtp::start(), &[])
    }

    fn start_with(smtp: FakeSmtp, extra: &[&str]) -> World {
        let mx = smtp.mx();
        let mut args = vec![
            "--helo",
            "probe.test",
            "--from",
            "probe@example.com",
            "--allow-private",
            "--mx",
            &mx,
            "--timeout",
            "10s",
        ];
        args.extend_from_slice(extra);
        let serve = Serve::start(SECRET, &args);
        World { smtp, serve }
    }
}

/// The JSON body of a response.
fn json_of(resp: reqwest::blocking::Response) -> Value {
    let text = resp.text().expect("response body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts the docs/DESIGN.md error shape and returns the message.
fn assert_error(resp: reqwest::blocking::Response, status: u16, code: &str) -> String {
    assert_eq!(resp.status().as_u16(), status);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("application/json"), "content-type {ct:?}");
    let v = json_of(resp);
    assert_eq!(v["error"]["code"], code, "{v}");
    let message = v["error"]["message"].as_str().expect("message").to_owned();
    assert!(!message.is_empty());
    message
}

/// A body that would be probed if it got through: an address the fake
/// server knows, under a `.test` domain (allowed by the request's options).
fn probed_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "emails": ["alice@alpha.test"],
        "options": {"allow_special_use": true}
    }))
    .unwrap()
}

fn results(v: &Value) -> &Vec<Value> {
    v["results"].as_array().expect("results array")
}

// ---------------------------------------------------------------- tests

#[test]
fn signed_request_answers_in_input_order() {
    let w = World::start();
    let body = serde_json::to_vec(&json!({
        "emails": ["not-an-address", 42, "john..doe@example.com", null, "x@alpha.test"],
    }))
    .unwrap();
    let resp = w.serve.post_signed(PROBE, &body);
    assert_eq!(resp.status().as_u16(), 200);
    let v = json_of(resp);
    let r = results(&v);
    assert_eq!(r.len(), 5);
    let inputs: Vec<&str> = r.iter().map(|v| v["input"].as_str().unwrap()).collect();
    assert_eq!(
        inputs,
        [
            "not-an-address",
            "42",
            "john..doe@example.com",
            "null",
            "x@alpha.test"
        ]
    );
    for v in r {
        assert_eq!(v["status"], "invalid", "{v}");
        assert_eq!(v["reason"], "invalid_syntax", "{v}");
        assert_eq!(v["depth"], "syntax", "{v}");
        assert_eq!(v["message"], v["error"]["message"], "{v}");
    }
    let codes: Vec<&str> = r
        .iter()
        .map(|v| v["error"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "missing_at",
            "not_a_string",
            "local_dot",
            "not_a_string",
            // .test without allow_special_use: decided before SMTP.
            "special_use_domain"
        ]
    );
    // Nothing here needed the mail server.
    assert_eq!(w.smtp.connections(), 0);
}

#[test]
fn probes_go_to_the_mail_server() {
    // Fails while the engine is a stub: the stub returns depth-syntax verdicts.
    let w = World::start();
    let body = serde_json::to_vec(&json!({
        "emails": ["alice@alpha.test", "not-an-address", "nobody@alpha.test", 7, "disabled@alpha.test"],
        "options": {"allow_special_use": true}
    }))
    .unwrap();
    let resp = w.serve.post_signed(PROBE, &body);
    assert_eq!(resp.status().as_u16(), 200);
    let v = json_of(resp);
    let r = results(&v);
    assert_eq!(r.len(), 5);
    let got: Vec<(&str, &str, &str)> = r
        .iter()
        .map(|v| {
            (
                v["input"].as_str().unwrap(),
                v["reason"].as_str().unwrap(),
                v["depth"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("alice@alpha.test", "ok", "smtp"),
            ("not-an-address", "invalid_syntax", "syntax"),
            ("nobody@alpha.test", "does_not_exist", "smtp"),
            ("7", "invalid_syntax", "syntax"),
            ("disabled@alpha.test", "mailbox_disabled", "smtp"),
        ],
        "{v:#}"
    );
    assert_eq!(r[0]["status"], "valid");
    assert_eq!(r[0]["smtp"]["code"], 250);
    assert_eq!(r[2]["status"], "invalid");
    assert_eq!(r[2]["smtp"]["code"], 550);
    assert_eq!(r[2]["smtp"]["enhanced"], "5.1.1");
    assert_eq!(r[4]["smtp"]["enhanced"], "5.2.1");
    assert!(w.smtp.connections() >= 1);
    let rcpts = w.smtp.rcpts();
    for a in [
        "alice@alpha.test",
        "nobody@alpha.test",
        "disabled@alpha.test",
    ] {
        assert!(rcpts.iter().any(|r| r == a), "{a} not asked: {rcpts:?}");
    }

    // /metrics counts the connections and the verdicts.
    let text = w.serve.get("/metrics").text().unwrap();
    let conns = metric(&text, "prebounce_smtp_connections_total").unwrap();
    assert!(conns >= 1.0, "{text}");
    assert_eq!(
        metric(&text, "prebounce_probes_total{reason=\"ok\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "prebounce_probes_total{reason=\"does_not_exist\"}"),
        Some(1.0)
    );
}

#[test]
fn server_default_options_apply_and_requests_override_them() {
    let w = World::start_with(
        FakeSmtp::start(),
        &["--allow-special-use", "--role-is-risky"],
    );
    // No options in the request: the server's defaults hold.
    let v = json_of(w.serve.post_signed(
        PROBE,
        br#"{"emails": ["info@example.com", "x@alpha.test"]}"#,
    ));
    let r = results(&v);
    assert_eq!(
        r[0]["reason"], "role_account",
        "server default --role-is-risky: {v:#}"
    );
    assert_ne!(
        r[1]["reason"], "invalid_syntax",
        "server default --allow-special-use: {v:#}"
    );
    // The request's options override them one by one.
    let body = br#"{"emails": ["x@alpha.test", "info@example.com"],
                    "options": {"allow_special_use": false, "role_is_risky": false}}"#;
    let v = json_of(w.serve.post_signed(PROBE, body));
    let r = results(&v);
    assert_eq!(r[0]["error"]["code"], "special_use_domain", "{v:#}");
    assert_eq!(r[1]["reason"], "ok", "{v:#}");
}

#[test]
fn unsigned_request_is_refused_without_smtp() {
    let w = World::start();
    let msg = assert_error(
        w.serve.post_with(PROBE, &probed_body(), None),
        401,
        "unauthorized",
    );
    assert!(msg.contains("X-Prebounce-Timestamp"), "{msg}");
    assert_eq!(w.smtp.connections(), 0);
}

#[test]
fn stale_and_future_timestamps_are_refused_without_smtp() {
    let w = World::start();
    let body = probed_body();
    for ts in [now() - 301, now() + 360] {
        let h = AuthHeaders::new(SECRET.as_bytes(), PROBE, ts, &body);
        let msg = assert_error(
            w.serve.post_with(PROBE, &body, Some(&h)),
            401,
            "unauthorized",
        );
        assert!(msg.contains("300 s"), "{msg}");
    }
    assert_eq!(w.smtp.connections(), 0);
}

#[test]
fn replayed_nonce_is_refused_the_second_time() {
    let w = World::start();
    let body = probed_body();
    let h = AuthHeaders::new(SECRET.as_bytes(), PROBE, now(), &body);
    let first = w.serve.post_with(PROBE, &body, Some(&h));
    assert_eq!(first.status().as_u16(), 200);
    let _ = json_of(first);
    let after_first = w.smtp.connections();
    assert!(
        after_first >= 1,
        "the genuine request reached the fake server"
    );
    let msg = assert_error(
        w.serve.post_with(PROBE, &body, Some(&h)),
        401,
        "unauthorized",
    );
    assert!(msg.contains("nonce"), "{msg}");
    assert_eq!(w.smtp.connections(), after_first, "the replay reached SMTP");
}

#[test]
fn tampered_body_is_refused_without_smtp() {
    let w = World::start();
    let signed_body = br#"{"emails": ["not-an-address"]}"#;
    let h = AuthHeaders::new(SECRET.as_bytes(), PROBE, now(), signed_body);
    let msg = assert_error(
        w.serve.post_with(PROBE, &probed_body(), Some(&h)),
        401,
        "unauthorized",
    );
    assert!(msg.contains("X-Prebounce-Signature"), "{msg}");
    // Signed with another secret.
    let body = probed_body();
    let h = AuthHeaders::new(b"not-the-secret-0123456789abcdef0123", PROBE, now(), &body);
    assert_error(
        w.serve.post_with(PROBE, &body, Some(&h)),
        401,
        "unauthorized",
    );
    // Signed for another path.
    let h = AuthHeaders::new(SECRET.as_bytes(), "/v1/check", now(), &body);
    assert_error(
        w.serve.post_with(PROBE, &body, Some(&h)),
        401,
        "unauthorized",
    );
    // A nonce that is too short or not hex, correctly signed.
    for nonce in ["0011223344556677", "zz112233445566778899aabbccddeeff"] {
        let ts = now().to_string();
        let h = AuthHeaders {
            signature: prebounce_api::signing::sign(
                &http::key(SECRET.as_bytes()),
                "POST",
                PROBE,
                &ts,
                nonce,
                &body,
            ),
            timestamp: ts,
            nonce: nonce.to_owned(),
        };
        let msg = assert_error(
            w.serve.post_with(PROBE, &body, Some(&h)),
            401,
            "unauthorized",
        );
        assert!(msg.contains("hex"), "{msg}");
    }
    assert_eq!(w.smtp.connections(), 0);
    // The refusals did not spend the nonce of a genuine request.
    let h = AuthHeaders::new(SECRET.as_bytes(), PROBE, now(), signed_body);
    let bad = AuthHeaders {
        signature: "0".repeat(64),
        ..h.clone()
    };
    assert_error(
        w.serve.post_with(PROBE, signed_body, Some(&bad)),
        401,
        "unauthorized",
    );
    assert_eq!(
        w.serve
            .post_with(PROBE, signed_body, Some(&h))
            .status()
            .as_u16(),
        200
    );
}

#[test]
fn malformed_requests_get_400_with_a_reason() {
    let w = World::start();
    let cases: [(&[u8], &str); 6] = [
        (b"{\"emails\": [", "JSON"),
        (b"not json", "JSON"),
        (
            br#"{"emails": "a@example.com"}"#,
            "\"emails\" must be an array",
        ),
        (br#"{"mails": []}"#, "unknown field"),
        (
            br#"{"emails": [], "options": {"allow_everything": true}}"#,
            "unknown option",
        ),
        (
            br#"{"emails": [], "options": {"role_is_risky": 1}}"#,
            "true or false",
        ),
    ];
    for (body, want) in cases {
        let msg = assert_error(w.serve.post_signed(PROBE, body), 400, "bad_request");
        assert!(
            msg.contains(want),
            "{}: {msg}",
            String::from_utf8_lossy(body)
        );
    }
    let bad_mx =
        br#"{"emails": [], "mx": {"x.com": [{"preference": "ten", "exchange": "mx.x.com"}]}}"#;
    let msg = assert_error(w.serve.post_signed(PROBE, bad_mx), 400, "bad_request");
    assert!(msg.contains("mx.x.com[0].preference"), "{msg}");
    assert_eq!(w.smtp.connections(), 0);
}

#[test]
fn mx_field_is_used_instead_of_dns() {
    // No --mx: the engine plans from the request's `mx` map, and asks DNS
    // (a closed port on loopback here) only for the domains not in it.
    let serve = Serve::start(
        SECRET,
        &[
            "--helo",
            "probe.test",
            "--from",
            "probe@example.com",
            "--resolver",
            "127.0.0.1:9",
            "--timeout",
            "5s",
            "--connect-timeout",
            "1s",
        ],
    );
    let body = serde_json::to_vec(&json!({
        "emails": ["a@alpha.test", "b@Bücher.DE", "not-an-address"],
        "options": {"allow_special_use": true},
        // Keys in any case, with a trailing dot, or in Unicode: the probe
        // normalizes them to the lower-case ASCII form of the verdict's domain.
        "mx": {"Alpha.TEST.": [{"preference": 0, "exchange": "."}],
               "bücher.de": [{"preference": 0, "exchange": ""}]}
    }))
    .unwrap();
    let resp = serve.post_signed(PROBE, &body);
    assert_eq!(resp.status().as_u16(), 200);
    let v = json_of(resp);
    let r = results(&v);
    let reasons: Vec<&str> = r.iter().map(|v| v["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["null_mx", "null_mx", "invalid_syntax"], "{v:#}");
    assert_eq!(r[0]["depth"], "dns");
    assert_eq!(r[0]["dns"]["null_mx"], true);
    assert_eq!(r[1]["domain"], "xn--bcher-kva.de");
}

#[test]
fn batch_limits() {
    let w = World::start();
    let batch =
        |n: usize| serde_json::to_vec(&json!({ "emails": vec!["not-an-address"; n] })).unwrap();
    let resp = w.serve.post_signed(PROBE, &batch(500));
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(results(&json_of(resp)).len(), 500);
    let msg = assert_error(
        w.serve.post_signed(PROBE, &batch(501)),
        413,
        "payload_too_large",
    );
    assert!(msg.contains("501") && msg.contains("500"), "{msg}");
    let resp = w.serve.post_signed(PROBE, br#"{"emails": []}"#);
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(json_of(resp), json!({"results": []}));
}

/// Sends `POST /v1/probe` by hand: these headers, a `Content-Length` of
/// `declared`, and only `body` of it (so a server that waits for the rest
/// never answers). Returns the status and the body of the answer, or `None`
/// if none came within 10 s.
fn raw_post(
    addr: SocketAddr,
    headers: &[(&str, String)],
    declared: usize,
    body: &[u8],
) -> Option<(u16, Value)> {
    let mut conn = TcpStream::connect(addr).expect("connect to serve");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "POST {PROBE} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {declared}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).unwrap();
    // The server may answer and close without reading what it does not need.
    let _ = conn.write_all(body);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("the answer has a Content-Length");
            if got.len() >= end + 4 + length {
                let status = head.split(' ').nth(1)?.parse().ok()?;
                let json = serde_json::from_slice(&got[end + 4..end + 4 + length]).ok()?;
                return Some((status, json));
            }
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn headers_are_checked_before_the_body_is_read() {
    let w = World::start();
    let sig = ("X-Prebounce-Signature", "0".repeat(64));
    let nonce = ("X-Prebounce-Nonce", http::fresh_nonce());
    let stale = ("X-Prebounce-Timestamp", (now() - 301).to_string());
    let fresh = ("X-Prebounce-Timestamp", now().to_string());
    let bad_nonce = ("X-Prebounce-Nonce", "0011223344556677".to_owned());
    type Case<'a> = (Vec<(&'a str, String)>, usize, &'a str);
    let cases: [Case<'_>; 5] = [
        (vec![], 10 << 20, "X-Prebounce-Timestamp"),
        (vec![], 100_000, "X-Prebounce-Timestamp"),
        (
            vec![fresh.clone(), nonce.clone()],
            100_000,
            "X-Prebounce-Signature",
        ),
        (vec![stale, nonce, sig.clone()], 100_000, "300 s"),
        (vec![fresh, bad_nonce, sig], 100_000, "hex"),
    ];
    for (headers, declared, says) in cases {
        // None of the body is sent.
        let start = Instant::now();
        let answer = raw_post(w.serve.addr, &headers, declared, b"");
        let (status, v) = answer.unwrap_or_else(|| {
            panic!("no answer without the body ({headers:?}, Content-Length {declared})")
        });
        assert_eq!(status, 401, "{headers:?}: {v}");
        assert_eq!(v["error"]["code"], "unauthorized");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }
    assert_eq!(w.smtp.connections(), 0);
    let metrics = w.serve.get("/metrics").text().unwrap();
    assert_eq!(
        metric(&metrics, "prebounce_requests_total{code=\"401\"}"),
        Some(5.0)
    );
    // A request whose headers pass has its body read, up to the limit.
    let body = probed_body();
    let h = AuthHeaders::new(SECRET.as_bytes(), PROBE, now(), &body);
    let headers = [
        ("X-Prebounce-Timestamp", h.timestamp.clone()),
        ("X-Prebounce-Nonce", h.nonce.clone()),
        ("X-Prebounce-Signature", h.signature.clone()),
    ];
    let (status, v) = raw_post(w.serve.addr, &headers, body.len(), &body).expect("an answer");
    assert_eq!(status, 200, "{v}");
    assert_eq!(results(&v)[0]["reason"], "ok", "{v}");
}

#[test]
fn body_limits() {
    // The default: 512 KiB, a full batch of the longest addresses and more.
    let w = World::start();
    let mut big = br#"{"emails": [""#.to_vec();
    big.resize(big.len() + (512 << 10), b'a');
    big.extend_from_slice(br#""]}"#);
    assert_error(w.serve.post_signed(PROBE, &big), 413, "payload_too_large");
    // 500 addresses of 254 octets, every one escaped: within the default.
    let longest = serde_json::to_vec(&json!({ "emails": vec!["\\".repeat(254); 500] })).unwrap();
    assert!(longest.len() > 255_000, "{}", longest.len());
    let resp = w.serve.post_signed(PROBE, &longest);
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(results(&json_of(resp)).len(), 500);
    // Unsigned, it is refused by its headers, before the size matters.
    let (status, v) = raw_post(w.serve.addr, &[], big.len(), b"").expect("an answer");
    assert_eq!((status, &v["error"]["code"]), (401, &json!("unauthorized")));
    drop(w);

    // --max-body and --max-batch set lower.
    let w = World::start_with(
        FakeSmtp::start(),
        &["--max-body", "200", "--max-batch", "2"],
    );
    let ok = br#"{"emails": ["not-an-address", "also not"]}"#;
    assert_eq!(w.serve.post_signed(PROBE, ok).status().as_u16(), 200);
    let three = br#"{"emails": ["a", "b", "c"]}"#;
    assert_error(w.serve.post_signed(PROBE, three), 413, "payload_too_large");
    let long = format!(r#"{{"emails": ["{}"]}}"#, "a".repeat(200));
    assert_error(
        w.serve.post_signed(PROBE, long.as_bytes()),
        413,
        "payload_too_large",
    );
    assert_eq!(w.smtp.connections(), 0);
}

#[test]
fn health_and_routing_errors() {
    let w = World::start();
    let resp = w.serve.get("/healthz");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(json_of(resp), json!({"status": "ok"}));
    assert_error(w.serve.get("/nowhere"), 404, "not_found");
    assert_error(w.serve.get(PROBE), 405, "method_not_allowed");
    let resp = w.serve.http.post(w.serve.url("/healthz")).send().unwrap();
    assert_error(resp, 405, "method_not_allowed");
}

/// The value of the sample `name` (with its labels) in an exposition.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_count_requests_and_verdicts() {
    let w = World::start();
    let body = br#"{"emails": ["not-an-address", 1, "x@example..com"]}"#;
    assert_eq!(w.serve.post_signed(PROBE, body).status().as_u16(), 200);
    assert_eq!(w.serve.post_signed(PROBE, body).status().as_u16(), 200);
    assert_eq!(w.serve.post_with(PROBE, body, None).status().as_u16(), 401);
    assert_eq!(w.serve.post_signed(PROBE, b"[").status().as_u16(), 400);
    assert_eq!(w.serve.get("/nowhere").status().as_u16(), 404);

    let resp = w.serve.get("/metrics");
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        ct.starts_with("text/plain") && ct.contains("version=0.0.4"),
        "{ct}"
    );
    let text = resp.text().unwrap();

    assert_eq!(
        metric(&text, "prebounce_probes_total{reason=\"invalid_syntax\"}"),
        Some(6.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "prebounce_probes_total{reason=\"ok\"}"),
        Some(0.0)
    );
    assert_eq!(
        metric(&text, "prebounce_requests_total{code=\"200\"}"),
        Some(2.0)
    );
    assert_eq!(
        metric(&text, "prebounce_requests_total{code=\"401\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "prebounce_requests_total{code=\"400\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "prebounce_requests_total{code=\"404\"}"),
        Some(1.0)
    );
    assert_eq!(metric(&text, "prebounce_smtp_connections_total"), Some(0.0));
    assert_eq!(
        metric(&text, "prebounce_probe_duration_seconds_count"),
        Some(4.0)
    );
    assert_eq!(
        metric(
            &text,
            "prebounce_probe_duration_seconds_bucket{le=\"+Inf\"}"
        ),
        Some(4.0)
    );
    assert!(metric(&text, "prebounce_probe_duration_seconds_sum").unwrap() > 0.0);
    for family in [
        "prebounce_probes_total counter",
        "prebounce_smtp_connections_total counter",
        "prebounce_probe_duration_seconds histogram",
        "prebounce_requests_total counter",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}\n")),
            "{family}\n{text}"
        );
        let name = family.split(' ').next().unwrap();
        assert!(text.contains(&format!("# HELP {name} ")), "{name}");
    }
    // Buckets are cumulative and end at +Inf.
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("prebounce_probe_duration_seconds_bucket{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.len() > 5);
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
}

#[test]
fn logs_one_line_per_request_and_never_the_secret() {
    let w = World::start();
    let body = br#"{"emails": ["not-an-address", 2]}"#;
    assert_eq!(w.serve.post_signed(PROBE, body).status().as_u16(), 200);
    assert_eq!(w.serve.post_with(PROBE, body, None).status().as_u16(), 401);
    let _ = w.serve.get("/healthz");
    // The log line is written after the response: give it a moment.
    let mut logs = String::new();
    for _ in 0..100 {
        logs = w.serve.logs();
        if logs.contains("/healthz") {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains("request")).collect();
    assert!(
        lines.iter().any(|l| l.contains("method=POST")
            && l.contains("path=\"/v1/probe\"")
            && l.contains("status=200")
            && l.contains("batch=2")
            && l.contains("latency_ms=")),
        "{logs}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("status=401") && l.contains("error=\"unauthorized\"")),
        "{logs}"
    );
    assert!(!logs.contains(SECRET), "the secret was logged:\n{logs}");
}

#[test]
fn json_logs() {
    let w = World::start_with(FakeSmtp::start(), &["--log-json"]);
    assert_eq!(
        w.serve
            .post_signed(PROBE, br#"{"emails": ["x"]}"#)
            .status()
            .as_u16(),
        200
    );
    let mut found = None;
    for _ in 0..100 {
        found = w.serve.logs().lines().find_map(|l| {
            let v: Value = serde_json::from_str(l).ok()?;
            (v["fields"]["path"] == PROBE).then_some(v)
        });
        if found.is_some() {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let v = found.unwrap_or_else(|| panic!("no JSON request line:\n{}", w.serve.logs()));
    assert_eq!(v["fields"]["status"], 200);
    assert_eq!(v["fields"]["batch"], 1);
    assert_eq!(v["fields"]["method"], "POST");
    assert!(v["fields"]["latency_ms"].is_number());
}

#[test]
fn secret_file_is_read() {
    let dir = std::env::temp_dir().join(format!("prebounce-serve-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("secret");
    std::fs::write(&file, "from-a-file-0123456789abcdef0123456789\n").unwrap();
    let smtp = FakeSmtp::start();
    let mx = smtp.mx();
    let mut cmd = Serve::command(&[
        "--helo",
        "probe.test",
        "--from",
        "probe@example.com",
        "--mx",
        &mx,
        "--secret-file",
        file.to_str().unwrap(),
    ]);
    // The file wins over the environment.
    cmd.env("PREBOUNCE_SECRET", "from-the-environment-0123456789abcdef");
    let serve = Serve::spawn(cmd, b"from-a-file-0123456789abcdef0123456789");
    let resp = serve.post_signed(PROBE, br#"{"emails": []}"#);
    assert_eq!(resp.status().as_u16(), 200);
    drop(serve);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `serve` expecting it to refuse to start with exit code `code` (2
/// for a usage error, 1 for a run-time one); returns its stderr.
fn start_up_error(args: &[&str], secret: Option<&str>, code: i32) -> String {
    let mut cmd = Serve::command(args);
    if let Some(s) = secret {
        cmd.env("PREBOUNCE_SECRET", s);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run serve");
    // A server that starts instead of refusing would never exit by itself.
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait for serve").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve started instead of refusing: {args:?}");
        }
        thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("serve's output");
    assert_eq!(out.status.code(), Some(code), "{args:?}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening on"),
        "{args:?}"
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    // The same form as every subcommand's errors.
    assert!(err.starts_with("prebounce serve: "), "{err}");
    err
}

#[test]
fn start_up_errors_are_clear() {
    let ident = ["--helo", "probe.test", "--from", "probe@example.com"];
    let err = start_up_error(&ident, None, 2);
    assert!(
        err.contains("PREBOUNCE_SECRET") && err.contains("--secret-file"),
        "{err}"
    );
    let err = start_up_error(&ident, Some(""), 2);
    assert!(err.contains("empty"), "{err}");
    // Shorter than 32 bytes as given: refused, with how to make one.
    for short in ["short", "0123456789abcdef0123456789abcde"] {
        let err = start_up_error(&ident, Some(short), 2);
        assert!(
            err.contains("PREBOUNCE_SECRET")
                && err.contains(&format!("has {} bytes", short.len()))
                && err.contains("at least 32")
                && err.contains("openssl rand -hex 32"),
            "{err}"
        );
        assert!(!err.contains(short), "the secret was shown: {err}");
    }
    let dir = std::env::temp_dir().join(format!("prebounce-serve-short-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("secret");
    std::fs::write(&file, "0123456789abcdef0123456789abcde\n").unwrap();
    let mut args = ident.to_vec();
    args.extend(["--secret-file", file.to_str().unwrap()]);
    let err = start_up_error(&args, None, 2);
    assert!(
        err.contains("--secret-file") && err.contains("has 31 bytes"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let err = start_up_error(&["--from", "probe@example.com"], Some(SECRET), 2);
    assert!(err.contains("--helo"), "{err}");
    let err = start_up_error(&["--helo", "probe.test"], Some(SECRET), 2);
    assert!(err.contains("--from"), "{err}");
    let mut args = ident.to_vec();
    args.extend(["--secret-file", "/nonexistent/prebounce-secret"]);
    let err = start_up_error(&args, None, 1);
    assert!(err.contains("/nonexistent/prebounce-secret"), "{err}");
    assert!(!err.contains(SECRET));
}

#[test]
fn sigterm_finishes_requests_in_flight_then_exits_zero() {
    // The fake server greets after 1.5 s, so the probe is still waiting on
    // it when the signal arrives (with the real engine; the stub answers at
    // once, and the test still checks the clean exit).
    let smtp = FakeSmtp::with_banner_delay(Duration::from_millis(1500));
    let mut w = World::start_with(smtp, &[]);
    let body = probed_body();
    let headers = AuthHeaders::new(SECRET.as_bytes(), PROBE, now(), &body);
    let url = w.serve.url(PROBE);
    let in_flight = thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let req = headers.apply(client.post(url).body(body));
        let resp = req.send().expect("in-flight request");
        (resp.status().as_u16(), resp.text().unwrap_or_default())
    });
    thread::sleep(Duration::from_millis(400));
    w.serve.signal("TERM");
    let (status, text) = in_flight.join().expect("request thread");
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(results(&v).len(), 1);
    let exit = w
        .serve
        .wait_exit(Duration::from_secs(20))
        .expect("serve did not exit after SIGTERM");
    assert!(exit.success(), "exit status {exit:?}\n{}", w.serve.logs());
    let logs = w.serve.logs();
    let shutdown = logs.find("shutting down").expect("shutdown logged");
    let answered = logs.find("status=200").expect("request logged");
    assert!(
        shutdown < answered,
        "the request was no longer in flight at the signal:\n{logs}"
    );
    // No longer listening.
    assert!(TcpStream::connect(w.serve.addr).is_err());
}

#[test]
fn sigint_exits_zero_when_idle() {
    let mut w = World::start();
    w.serve.signal("INT");
    let exit = w
        .serve
        .wait_exit(Duration::from_secs(20))
        .expect("serve did not exit after SIGINT");
    assert!(exit.success(), "{exit:?}");
}
