//! The SMTP probe against a scriptable fake server: the real binary runs
//! `prebounce check --json --mx 127.0.0.1:PORT --allow-special-use ...` and
//! these tests hold its verdicts to docs/DESIGN.md ("The verdict", "Ground rules
//! for the SMTP probe"), and check what the server received: the greeting,
//! `MAIL FROM:<>`, the RCPT order, RSET, QUIT, and never DATA.
//!
//! `SMTP_FAKE_VERBOSE=1 cargo test --test smtp_fake -- --nocapture` prints
//! every run's command line, output and server log.

#[path = "support/fake_smtp.rs"]
mod fake_smtp;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use fake_smtp::{Action, Conn, FakeSmtp, Rcpt, Script};
use serde_json::Value;

/// A run that takes longer is killed: the engine hangs.
const HARD_LIMIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------- helpers

/// `prebounce check` aimed at a fake server.
struct Probe<'a> {
    server: &'a FakeSmtp,
    timeout: &'static str,
    args: Vec<String>,
}

impl<'a> Probe<'a> {
    fn new(server: &'a FakeSmtp) -> Probe<'a> {
        Probe {
            server,
            timeout: "3s",
            args: Vec::new(),
        }
    }

    /// `--timeout` (3s unless set).
    fn timeout(mut self, t: &'static str) -> Self {
        self.timeout = t;
        self
    }

    fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// Runs with these addresses as arguments.
    fn run(self, addrs: &[&str]) -> Run {
        let list: Vec<String> = addrs.iter().map(|s| s.to_string()).collect();
        self.exec(&list, addrs)
    }

    /// Runs with these addresses in a `--file`.
    fn run_file(self, addrs: &[&str]) -> Run {
        let path = temp_file(&addrs.join("\n"));
        let args = vec!["--file".to_string(), path.0.display().to_string()];
        self.exec(&args, addrs)
    }

    fn exec(self, tail: &[String], addrs: &[&str]) -> Run {
        let mut args: Vec<String> = [
            "check",
            "--json",
            "--mx",
            &self.server.mx(),
            "--allow-special-use",
            "--timeout",
            self.timeout,
            "--connect-timeout",
            "1s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(self.args);
        args.extend(tail.iter().cloned());
        let cmdline = format!("prebounce {}", args.join(" "));

        let start = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_prebounce"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn prebounce");
        let out = drain(child.stdout.take().expect("stdout"));
        let err = drain(child.stderr.take().expect("stderr"));
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break Some(s);
            }
            if start.elapsed() > HARD_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(10));
        };
        let elapsed = start.elapsed();
        let stdout = out.join().expect("stdout reader");
        let stderr = String::from_utf8_lossy(&err.join().expect("stderr reader")).into_owned();
        // The client's last commands (QUIT) may still be in flight.
        self.server.settle(Duration::from_secs(3));
        let log = self.server.dump();
        let context = format!(
            "$ {cmdline}\n[exit {status:?} after {elapsed:?}]\n--- stdout\n{}\n--- stderr\n{stderr}\n--- server log\n{log}",
            String::from_utf8_lossy(&stdout)
        );
        if std::env::var_os("SMTP_FAKE_VERBOSE").is_some() {
            eprintln!("{context}");
        }
        let Some(status) = status else {
            panic!("prebounce still running after {HARD_LIMIT:?}; killed\n{context}");
        };
        assert!(status.success(), "prebounce failed\n{context}");
        let text = match String::from_utf8(stdout) {
            Ok(t) => t,
            Err(e) => panic!("stdout is not UTF-8: {e}\n{context}"),
        };
        let verdicts: Vec<Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not JSON: {e}: {l:?}\n{context}"))
            })
            .collect();
        assert_eq!(
            verdicts.len(),
            addrs.len(),
            "one verdict per address\n{context}"
        );
        let run = Run {
            verdicts,
            elapsed,
            context,
            conns: self.server.conns(),
        };
        // Never DATA, never a nested MAIL, never a command before the
        // greeting or before the new EHLO after STARTTLS.
        let violations = self.server.violations();
        assert!(
            violations.is_empty(),
            "protocol violations: {violations:?}\n{}",
            run.context
        );
        run
    }
}

fn drain(mut r: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// A temporary file, removed on drop.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_file(content: &str) -> TempFile {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "prebounce-smtp-fake-{}-{}.txt",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, content).expect("write list");
    TempFile(path)
}

/// The outcome of one run.
struct Run {
    verdicts: Vec<Value>,
    elapsed: Duration,
    /// Command line, output and server log, for assertion messages.
    context: String,
    /// The server's log after the run.
    conns: Vec<Conn>,
}

impl Run {
    /// The verdict whose `input` is `addr`.
    fn verdict(&self, addr: &str) -> &Value {
        self.verdicts
            .iter()
            .find(|v| v["input"] == addr)
            .unwrap_or_else(|| panic!("no verdict for {addr}\n{}", self.context))
    }

    /// Asserts status and reason of `addr`'s verdict and returns it.
    fn expect(&self, addr: &str, status: &str, reason: &str) -> &Value {
        let v = self.verdict(addr);
        assert_eq!(
            (v["status"].as_str(), v["reason"].as_str()),
            (Some(status), Some(reason)),
            "{addr}: expected {status}/{reason}\n{}",
            self.context
        );
        v
    }

    /// Asserts a field (a JSON pointer such as `/smtp/code`) of `addr`'s verdict.
    fn field(&self, addr: &str, pointer: &str, want: Value) {
        let v = self.verdict(addr);
        assert_eq!(
            v.pointer(pointer),
            Some(&want),
            "{addr}: {pointer}\n{}",
            self.context
        );
    }

    /// Asserts depth `smtp` and the reply code (and enhanced code) kept.
    fn smtp(&self, addr: &str, code: u16, enhanced: Option<&str>) {
        self.field(addr, "/depth", "smtp".into());
        self.field(addr, "/smtp/code", code.into());
        if let Some(e) = enhanced {
            self.field(addr, "/smtp/enhanced", e.into());
        }
    }

    /// Fails with the whole context.
    fn fail(&self, why: &str) -> ! {
        panic!("{why}\n{}", self.context)
    }

    fn check(&self, ok: bool, why: &str) {
        if !ok {
            self.fail(why);
        }
    }

    /// Every command line received, over all connections.
    fn lines(&self) -> Vec<String> {
        self.conns.iter().flat_map(Conn::lines).collect()
    }

    fn count_verb(&self, verb: &str) -> usize {
        self.conns.iter().map(|c| c.with_verb(verb).len()).sum()
    }

    /// RCPT TO commands naming `addr`.
    fn rcpt_count(&self, addr: &str) -> usize {
        self.conns
            .iter()
            .flat_map(Conn::rcpts)
            .filter(|a| a == addr)
            .count()
    }

    /// Every connection that said something ended with QUIT.
    fn check_quit_last(&self) {
        for c in &self.conns {
            if let Some(last) = c.entries.last() {
                self.check(
                    last.verb() == "QUIT",
                    &format!("connection {} did not end with QUIT", c.id),
                );
            }
        }
    }

    /// `retry_after` is a positive number.
    fn check_retry_after(&self, addr: &str) {
        let v = self.verdict(addr);
        self.check(
            v["retry_after"].as_u64().is_some_and(|n| n > 0),
            &format!("{addr}: retry_after should be a positive number"),
        );
    }
}

/// 250 for these mailboxes, `550 5.1.1` for every other one.
fn mailboxes(known: &'static [&'static str]) -> impl Fn(&Rcpt) -> Action + Send + Sync {
    move |r| {
        if known.contains(&r.addr.as_str()) {
            Action::reply("250 2.1.5 Ok")
        } else {
            Action::reply(&format!(
                "550 5.1.1 <{}>: Recipient address rejected: User unknown in local recipient table",
                r.addr
            ))
        }
    }
}

/// This reply for `addr`, `550 5.1.1` for every other address.
fn only(addr: &'static str, reply: Action) -> impl Fn(&Rcpt) -> Action + Send + Sync {
    move |r| {
        if r.addr == addr {
            reply.clone()
        } else {
            Action::reply("550 5.1.1 User unknown")
        }
    }
}

// ------------------------------------------------- the classifier, offline

/// The reply texts the tests below use, classified by core (no network):
/// when a test fails while this passes, the engine is at fault.
#[test]
fn fixture_replies_classify_as_the_tests_expect() {
    use prebounce_core::{classify, Reply, Stage};
    let cases: &[(Stage, &[u8], &str)] = &[
        (Stage::RcptTo, b"250 2.1.5 Ok\r\n", "ok"),
        (Stage::RcptTo, b"550 5.1.1 User unknown\r\n", "does_not_exist"),
        (Stage::RcptTo, GMAIL_DISABLED.as_bytes(), "mailbox_disabled"),
        (Stage::RcptTo, b"550 5.2.1 Mailbox disabled, not accepting messages\r\n", "mailbox_disabled"),
        (Stage::RcptTo, b"550 5.2.1 <x@alpha.test>: Recipient address rejected: The email account that you tried to reach is disabled\r\n", "mailbox_disabled"),
        (Stage::RcptTo, b"550 5.7.1 This account has been suspended\r\n", "mailbox_disabled"),
        (Stage::RcptTo, b"452 4.2.2 The email account that you tried to reach is over quota\r\n", "mailbox_full"),
        (Stage::RcptTo, b"552 5.2.2 Mailbox full\r\n", "mailbox_full"),
        (Stage::RcptTo, b"450 4.7.1 <grey@alpha.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/alpha.test.html\r\n", "temporary_failure"),
        (Stage::RcptTo, b"451 4.7.1 Please try again later\r\n", "temporary_failure"),
        (Stage::Banner, b"421 4.3.2 Service not available, closing transmission channel\r\n", "temporary_failure"),
        (Stage::Banner, BANNER_554.as_bytes(), "blocked"),
        (Stage::RcptTo, RCPT_554.as_bytes(), "blocked"),
        (Stage::MailFrom, b"550 5.7.1 Sender rejected by policy\r\n", "blocked"),
        (Stage::RcptTo, b"550 5.1.1 \xff\xfe user unknown\r\n", "does_not_exist"),
    ];
    for (stage, raw, want) in cases {
        let reply = Reply::parse(raw).unwrap_or_else(|e| panic!("{e}: {raw:?}"));
        let got = classify(*stage, &reply).reason.as_str();
        assert_eq!(got, *want, "{stage:?} {}", String::from_utf8_lossy(raw));
    }
}

// ----------------------------------------------------- verdicts by reply

#[test]
fn accepted_mailbox_is_valid() {
    let server = FakeSmtp::start(Script::new().rcpt(mailboxes(&["known@alpha.test"])));
    let run = Probe::new(&server).run(&["known@alpha.test"]);
    let v = run.expect("known@alpha.test", "valid", "ok");
    run.smtp("known@alpha.test", 250, Some("2.1.5"));
    run.field("known@alpha.test", "/smtp/catch_all", false.into());
    run.field("known@alpha.test", "/smtp/tls", false.into());
    run.check(v["retry_after"].is_null(), "retry_after must be null");
    run.check(
        run.rcpt_count("known@alpha.test") == 1,
        "one RCPT for the address",
    );
    run.check_quit_last();
}

#[test]
fn unknown_user_550_5_1_1_does_not_exist() {
    let server = FakeSmtp::start(Script::new());
    let run = Probe::new(&server).run(&["nobody@alpha.test"]);
    run.expect("nobody@alpha.test", "invalid", "does_not_exist");
    run.smtp("nobody@alpha.test", 550, Some("5.1.1"));
    let v = run.verdict("nobody@alpha.test");
    run.check(
        v["detail"].as_str().is_some_and(|d| d.contains("RCPT")),
        "detail names RCPT TO",
    );
    run.check(
        v["smtp"]["reply"]
            .as_str()
            .is_some_and(|r| r.contains("User unknown")),
        "smtp.reply keeps the text",
    );
    run.check_quit_last();
}

/// Gmail's multi-line 550 5.2.1 DisabledUser reply.
const GMAIL_DISABLED: &str = "550-5.2.1 The email account that you tried to reach is disabled. Learn more at\r\n550-5.2.1  https://support.google.com/mail/?p=DisabledUser\r\n550-5.2.1 For more information, go to the Gmail Help Center.\r\n550 5.2.1 x-y.z - gsmtp\r\n";

fn disabled_case(reply: Action, enhanced: &str) {
    let addr = "gone@alpha.test";
    let server = FakeSmtp::start(Script::new().rcpt(only(addr, reply)));
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "invalid", "mailbox_disabled");
    run.smtp(addr, 550, Some(enhanced));
    run.check_quit_last();
}

#[test]
fn disabled_gmail_multiline_5_2_1() {
    disabled_case(Action::Reply(GMAIL_DISABLED.as_bytes().to_vec()), "5.2.1");
}

#[test]
fn disabled_mailbox_disabled_text() {
    disabled_case(
        Action::reply("550 5.2.1 Mailbox disabled, not accepting messages"),
        "5.2.1",
    );
}

#[test]
fn disabled_postfix_recipient_rejected_text() {
    disabled_case(
        Action::reply("550 5.2.1 <gone@alpha.test>: Recipient address rejected: The email account that you tried to reach is disabled"),
        "5.2.1",
    );
}

/// rules.rs step 4: a suspended text under 5.7.1 is still a disabled
/// mailbox (text beats code; "account has been suspended" is not about us).
#[test]
fn disabled_suspended_text_under_5_7_1() {
    disabled_case(
        Action::reply("550 5.7.1 This account has been suspended"),
        "5.7.1",
    );
}

fn mailbox_full_case(text: &'static str, code: u16, enhanced: &str) {
    let addr = "full@alpha.test";
    let server = FakeSmtp::start(Script::new().rcpt(only(addr, Action::reply(text))));
    let run = Probe::new(&server)
        .args(&["--retry-window", "5s", "--retry-delay", "100ms"])
        .run(&[addr]);
    let v = run.expect(addr, "risky", "mailbox_full");
    run.smtp(addr, code, Some(enhanced));
    run.check(
        v["retry_after"].is_null(),
        "mailbox_full has no retry_after",
    );
    run.check(
        run.rcpt_count(addr) == 1,
        "mailbox_full is never retried: exactly one RCPT for the address",
    );
}

#[test]
fn mailbox_full_452_4_2_2_never_retried() {
    mailbox_full_case(
        "452 4.2.2 The email account that you tried to reach is over quota",
        452,
        "4.2.2",
    );
}

#[test]
fn mailbox_full_552_5_2_2_never_retried() {
    mailbox_full_case("552 5.2.2 Mailbox full", 552, "5.2.2");
}

/// Greylists `grey@alpha.test` at its first RCPT, accepts it afterwards.
fn greylisting(first: &'static str) -> Script {
    Script::new().rcpt(move |r| {
        if r.addr != "grey@alpha.test" {
            Action::reply("550 5.1.1 User unknown")
        } else if r.attempt == 1 {
            Action::reply(first)
        } else {
            Action::reply("250 2.1.5 Ok")
        }
    })
}

fn greylist_retried(first: &'static str) {
    let addr = "grey@alpha.test";
    let server = FakeSmtp::start(greylisting(first));
    let run = Probe::new(&server)
        .args(&["--retry-window", "10s", "--retry-delay", "200ms"])
        .run(&[addr]);
    let v = run.expect(addr, "valid", "ok");
    run.smtp(addr, 250, None);
    run.check(v["retry_after"].is_null(), "retry_after null once accepted");
    run.check(
        run.rcpt_count(addr) >= 2,
        "the greylisted RCPT is asked again",
    );
    run.check(
        run.elapsed < Duration::from_secs(8),
        "a 200ms retry delay should not take this long",
    );
}

#[test]
fn greylist_450_retried_until_accepted() {
    greylist_retried("450 4.7.1 <grey@alpha.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/alpha.test.html");
}

#[test]
fn greylist_451_retried_until_accepted() {
    greylist_retried("451 4.7.1 Please try again later");
}

#[test]
fn greylist_without_retry_window_is_temporary_failure() {
    let addr = "grey@alpha.test";
    let server = FakeSmtp::start(greylisting(
        "450 4.7.1 <grey@alpha.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/alpha.test.html",
    ));
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "unknown", "temporary_failure");
    run.smtp(addr, 450, Some("4.7.1"));
    run.check_retry_after(addr);
    run.check(
        run.rcpt_count(addr) == 1,
        "the retry window of command-line addresses is 0: no retry",
    );
}

// ------------------------------------------------ refusals of the session

#[test]
fn banner_421_is_temporary_failure() {
    let addr = "someone@alpha.test";
    let server = FakeSmtp::start(Script::new().banner(Action::reply_and_close(
        "421 4.3.2 mx.alpha.test Service not available, closing transmission channel",
    )));
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "unknown", "temporary_failure");
    run.smtp(addr, 421, Some("4.3.2"));
    run.check_retry_after(addr);
    run.check(run.count_verb("RCPT") == 0, "no RCPT after a 421 banner");
}

const BANNER_554: &str = "554 5.7.1 mx.alpha.test ESMTP not accepting connections from 127.0.0.1: blocked using zen.spamhaus.org\r\n";

#[test]
fn banner_554_is_blocked() {
    let addr = "someone@alpha.test";
    let server = FakeSmtp::start(Script::new().banner(Action::Reply(BANNER_554.into())));
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "unknown", "blocked");
    run.smtp(addr, 554, Some("5.7.1"));
    run.check(
        run.count_verb("MAIL") == 0 && run.count_verb("RCPT") == 0,
        "no transaction after a 554 banner",
    );
    run.check(
        run.count_verb("QUIT") == 1,
        "QUIT after a 554 greeting (RFC 5321 section 3.1)",
    );
}

const RCPT_554: &str = "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1\r\n";

#[test]
fn rcpt_554_blocklist_is_blocked() {
    let addr = "someone@alpha.test";
    let server = FakeSmtp::start(Script::new().rcpt(|_| Action::Reply(RCPT_554.into())));
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "unknown", "blocked");
    run.smtp(addr, 554, Some("5.7.1"));
}

#[test]
fn mail_from_550_5_7_1_is_blocked() {
    let addr = "someone@alpha.test";
    let server = FakeSmtp::start(
        Script::new()
            .mail(|_| Action::reply("550 5.7.1 Sender rejected by policy"))
            .rcpt(mailboxes(&["someone@alpha.test"])),
    );
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "unknown", "blocked");
    run.smtp(addr, 550, Some("5.7.1"));
    let v = run.verdict(addr);
    run.check(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("MAIL FROM")),
        "detail names MAIL FROM",
    );
}

// ------------------------------------------------------------- catch-all

#[test]
fn catch_all_domain_is_risky_and_probed_with_a_random_address() {
    let addr = "real.person@alpha.test";
    let server = FakeSmtp::start(Script::new().rcpt(|_| Action::reply("250 2.1.5 Ok")));
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "risky", "catch_all");
    run.smtp(addr, 250, None);
    run.field(addr, "/smtp/catch_all", true.into());
    let tx = run
        .conns
        .iter()
        .flat_map(Conn::transactions)
        .find(|t| t.iter().any(|a| a == addr))
        .unwrap_or_else(|| run.fail("no transaction holds the address"));
    run.check(
        tx.len() >= 2,
        "the random address is asked in the same transaction",
    );
    run.check(tx[0] == addr, "the real address is asked first");
    let random = &tx[1];
    run.check(
        random != addr && random.ends_with("@alpha.test") && random.len() > "@alpha.test".len(),
        "the second RCPT is another local part at the same domain",
    );
    run.check_quit_last();
}

// ------------------------------------------------------ protocol variants

#[test]
fn helo_fallback_when_ehlo_is_refused() {
    let addr = "known@alpha.test";
    let server = FakeSmtp::start(
        Script::new()
            .ehlo(Action::reply("500 5.5.1 Error: command not recognized"))
            .rcpt(mailboxes(&["known@alpha.test"])),
    );
    let run = Probe::new(&server)
        .args(&["--helo", "probe.example.net"])
        .run(&[addr]);
    run.expect(addr, "valid", "ok");
    run.smtp(addr, 250, None);
    let lines = run.lines();
    run.check(
        lines.first().map(String::as_str) == Some("EHLO probe.example.net"),
        "EHLO first",
    );
    run.check(
        lines.get(1).map(String::as_str) == Some("HELO probe.example.net"),
        "HELO after the refused EHLO",
    );
    run.check_quit_last();
}

#[test]
fn starttls_upgrades_and_greets_again() {
    let addr = "known@alpha.test";
    let server = FakeSmtp::start(
        Script::new()
            .starttls()
            .rcpt(mailboxes(&["known@alpha.test"])),
    );
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "valid", "ok");
    run.field(addr, "/smtp/tls", true.into());
    let c = &run.conns[0];
    run.check(c.tls, "TLS negotiated");
    let at = c
        .entries
        .iter()
        .position(|e| e.verb() == "STARTTLS")
        .unwrap_or_else(|| run.fail("STARTTLS was offered but not used"));
    run.check(
        c.entries
            .get(at + 1)
            .is_some_and(|e| e.verb() == "EHLO" && e.tls),
        "EHLO again, over TLS, after STARTTLS",
    );
    run.check(
        c.entries
            .iter()
            .filter(|e| matches!(e.verb().as_str(), "MAIL" | "RCPT"))
            .all(|e| e.tls),
        "MAIL and RCPT only over TLS",
    );
}

#[test]
fn no_starttls_flag_stays_plain() {
    let addr = "known@alpha.test";
    let server = FakeSmtp::start(
        Script::new()
            .starttls()
            .rcpt(mailboxes(&["known@alpha.test"])),
    );
    let run = Probe::new(&server).args(&["--no-starttls"]).run(&[addr]);
    run.expect(addr, "valid", "ok");
    run.field(addr, "/smtp/tls", false.into());
    run.check(run.count_verb("STARTTLS") == 0, "STARTTLS never sent");
}

/// The engine's documented choice (engine.rs): a failed TLS handshake is
/// tried once more in plain text, as MTAs do.
#[test]
fn broken_starttls_handshake_falls_back_to_plain_text() {
    let addr = "known@alpha.test";
    let server = FakeSmtp::start(
        Script::new()
            .starttls()
            .starttls_reply(Action::reply_and_close("220 2.0.0 Ready to start TLS"))
            .rcpt(mailboxes(&["known@alpha.test"])),
    );
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "valid", "ok");
    run.field(addr, "/smtp/tls", false.into());
    run.check(run.conns.len() == 2, "one more connection, in plain text");
    run.check(
        run.conns[1].with_verb("STARTTLS").is_empty(),
        "no STARTTLS on the plain-text retry",
    );
}

// --------------------------------------------------- hostile servers

fn check_unavailable_in_time(run: &Run, addr: &str, bound: Duration) {
    run.expect(addr, "unknown", "smtp_unavailable");
    run.check(
        run.elapsed < bound,
        &format!("took {:?}; the bound is {bound:?}", run.elapsed),
    );
}

#[test]
fn tarpit_banner_times_out() {
    let addr = "someone@alpha.test";
    let server = FakeSmtp::start(Script::new().banner(Action::hang()));
    let run = Probe::new(&server).timeout("2s").run(&[addr]);
    check_unavailable_in_time(&run, addr, Duration::from_secs(4));
}

#[test]
fn slow_drip_banner_times_out() {
    let addr = "someone@alpha.test";
    let server = FakeSmtp::start(Script::new().banner(Action::Drip {
        bytes: b"220 mx.alpha.test ESMTP slowly".to_vec(),
        every: Duration::from_millis(300),
    }));
    let run = Probe::new(&server).timeout("2s").run(&[addr]);
    check_unavailable_in_time(&run, addr, Duration::from_secs(4));
}

#[test]
fn endless_ehlo_reply_is_cut_off() {
    let addr = "someone@alpha.test";
    let server = FakeSmtp::start(Script::new().ehlo(Action::Endless(
        b"250-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n".to_vec(),
    )));
    let run = Probe::new(&server).run(&[addr]);
    check_unavailable_in_time(&run, addr, Duration::from_secs(5));
    run.check(
        run.count_verb("RCPT") == 0,
        "no RCPT after a broken EHLO reply",
    );
}

#[test]
fn megabyte_banner_line_is_refused_quickly() {
    let addr = "someone@alpha.test";
    let mut banner = b"220 ".to_vec();
    banner.resize(1 << 20, b'x');
    let server = FakeSmtp::start(Script::new().banner(Action::SendAndHang(banner)));
    // The line is over the bound long before the deadline.
    let run = Probe::new(&server).timeout("5s").run(&[addr]);
    check_unavailable_in_time(&run, addr, Duration::from_secs(3));
}

#[test]
fn reset_in_the_middle_of_the_rcpt_reply() {
    let addr = "someone@alpha.test";
    let server = FakeSmtp::start(
        Script::new().rcpt(|_| Action::SendAndReset(b"250-first line\r\n".to_vec())),
    );
    let run = Probe::new(&server).run(&[addr]);
    check_unavailable_in_time(&run, addr, Duration::from_secs(5));
    run.field(addr, "/depth", "smtp".into());
}

#[test]
fn invalid_utf8_in_the_reply_text() {
    let addr = "nobody@alpha.test";
    let server = FakeSmtp::start(Script::new().rcpt(only(
        addr,
        Action::reply_bytes(b"550 5.1.1 \xff\xfe user unknown"),
    )));
    // `run` has already checked that stdout is UTF-8 and JSON.
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "invalid", "does_not_exist");
    run.smtp(addr, 550, Some("5.1.1"));
    let v = run.verdict(addr);
    run.check(
        v["smtp"]["reply"]
            .as_str()
            .is_some_and(|r| r.contains("user unknown")),
        "smtp.reply keeps the readable text",
    );
}

// ------------------------------------------------- sessions and batches

const SIX: [&str; 6] = [
    "a@alpha.test",
    "b@alpha.test",
    "c@alpha.test",
    "d@alpha.test",
    "e@alpha.test",
    "f@alpha.test",
];
const SIX_KNOWN: &[&str] = &["a@alpha.test", "c@alpha.test", "e@alpha.test"];

fn check_six(run: &Run) {
    for a in SIX {
        if SIX_KNOWN.contains(&a) {
            run.expect(a, "valid", "ok");
        } else {
            run.expect(a, "invalid", "does_not_exist");
        }
        run.field(a, "/depth", "smtp".into());
    }
}

#[test]
fn one_domain_shares_one_session() {
    let server = FakeSmtp::start(Script::new().rcpt(mailboxes(SIX_KNOWN)));
    let run = Probe::new(&server).run(&SIX);
    check_six(&run);
    let inputs: Vec<&str> = run
        .verdicts
        .iter()
        .filter_map(|v| v["input"].as_str())
        .collect();
    run.check(inputs == SIX, "verdicts in input order");
    run.check(run.conns.len() == 1, "one connection for one domain");
    run.check(run.count_verb("MAIL") == 1, "MAIL FROM once");
    // The engine may order a domain's addresses as it likes (it sorts and
    // de-duplicates them); each is asked exactly once.
    for a in SIX {
        run.check(run.rcpt_count(a) == 1, &format!("{a} asked once"));
    }
    let tx = run.conns[0].transactions();
    run.check(
        tx.len() == 1 && SIX.iter().all(|a| tx[0].iter().any(|t| t == a)),
        "all RCPTs in one transaction",
    );
    run.check(
        run.conns[0].entries.iter().any(|e| e.pipelined),
        "PIPELINING offered: MAIL and the RCPTs sent without waiting",
    );
    run.check_quit_last();
}

/// RFC 2920: without PIPELINING the client waits for each reply.
#[test]
fn without_pipelining_each_command_waits_for_its_reply() {
    let server = FakeSmtp::start(
        Script::new()
            .extensions(&["SIZE 10240000", "ENHANCEDSTATUSCODES", "8BITMIME"])
            .rcpt(mailboxes(SIX_KNOWN)),
    );
    let run = Probe::new(&server).run(&SIX);
    check_six(&run);
    run.check(run.conns.len() == 1, "still one session");
    for c in &run.conns {
        for e in &c.entries {
            run.check(
                !e.pipelined,
                &format!("a command was sent before the reply to {:?}", e.line),
            );
        }
    }
    run.check_quit_last();
}

#[test]
fn no_session_reuse_opens_one_connection_per_address() {
    let server = FakeSmtp::start(Script::new().rcpt(mailboxes(SIX_KNOWN)));
    let run = Probe::new(&server).args(&["--no-session-reuse"]).run(&SIX);
    check_six(&run);
    run.check(run.conns.len() >= SIX.len(), "a connection per address");
    for c in &run.conns {
        let real = c
            .rcpts()
            .into_iter()
            .filter(|a| SIX.contains(&a.as_str()))
            .count();
        run.check(
            real <= 1,
            &format!("connection {} asked {real} of the addresses", c.id),
        );
    }
    for a in SIX {
        run.check(run.rcpt_count(a) == 1, &format!("{a} asked once"));
    }
    run.check_quit_last();
}

/// A guest does not knock without a reason: every connection that was
/// greeted carries a transaction (no EHLO-then-QUIT sessions opened for
/// work another session already took).
#[test]
fn no_idle_sessions() {
    // Two sessions at a time (--per-mx 2) and an odd number of addresses:
    // in the last round only one session has work.
    const THREE: [&str; 3] = ["a@alpha.test", "b@alpha.test", "c@alpha.test"];
    let server = FakeSmtp::start(Script::new().rcpt(mailboxes(SIX_KNOWN)));
    let run = Probe::new(&server)
        .args(&["--no-session-reuse", "--per-mx", "2"])
        .run(&THREE);
    run.expect("a@alpha.test", "valid", "ok");
    run.expect("b@alpha.test", "invalid", "does_not_exist");
    run.expect("c@alpha.test", "valid", "ok");
    for c in &run.conns {
        let greeted = c
            .entries
            .iter()
            .any(|e| matches!(e.verb().as_str(), "EHLO" | "HELO") && e.code == Some(250));
        run.check(
            !greeted || !c.with_verb("MAIL").is_empty(),
            &format!("connection {} was opened for nothing", c.id),
        );
    }
}

#[test]
fn rcpts_per_transaction_is_a_limit() {
    const FIVE: [&str; 5] = [
        "p1@alpha.test",
        "p2@alpha.test",
        "p3@alpha.test",
        "p4@alpha.test",
        "p5@alpha.test",
    ];
    let server = FakeSmtp::start(Script::new().rcpt(mailboxes(&FIVE)));
    let run = Probe::new(&server)
        .args(&["--rcpts-per-transaction", "2"])
        .run(&FIVE);
    for a in FIVE {
        run.expect(a, "valid", "ok");
    }
    let txs: Vec<Vec<String>> = run.conns.iter().flat_map(Conn::transactions).collect();
    for t in &txs {
        run.check(
            t.len() <= 2,
            &format!("a transaction with {} RCPTs", t.len()),
        );
    }
    for c in &run.conns {
        // A second MAIL on a connection needs an RSET first (the fake notes
        // a nested MAIL as a violation); count that there was one.
        if c.with_verb("MAIL").len() > 1 {
            run.check(!c.with_verb("RSET").is_empty(), "RSET between transactions");
        }
    }
    run.check_quit_last();
}

#[test]
fn error_budget_opens_new_connections() {
    let addrs: Vec<String> = (1..=30).map(|i| format!("u{i:02}@alpha.test")).collect();
    let refs: Vec<&str> = addrs.iter().map(String::as_str).collect();
    let server = FakeSmtp::start(Script::new());
    let run = Probe::new(&server)
        .args(&["--errors-per-session", "9"])
        .run(&refs);
    for a in &refs {
        run.expect(a, "invalid", "does_not_exist");
    }
    for c in &run.conns {
        run.check(
            c.rejected_rcpts() <= 9,
            &format!(
                "connection {} had {} rejected RCPTs; --errors-per-session 9",
                c.id,
                c.rejected_rcpts()
            ),
        );
    }
    run.check(
        run.conns.len() >= 4,
        "30 rejections need at least 4 sessions",
    );
}

#[test]
fn mid_session_421_reconnects_for_the_rest() {
    const EIGHT: [&str; 8] = [
        "m1@alpha.test",
        "m2@alpha.test",
        "m3@alpha.test",
        "m4@alpha.test",
        "m5@alpha.test",
        "m6@alpha.test",
        "m7@alpha.test",
        "m8@alpha.test",
    ];
    const KNOWN: &[&str] = &["m2@alpha.test", "m6@alpha.test"];
    let server = FakeSmtp::start(Script::new().rcpt(|r| {
        if r.conn == 1 && r.nth_in_conn == 4 {
            Action::reply_and_close("421 4.7.0 mx.alpha.test Error: too many errors")
        } else {
            mailboxes(KNOWN)(r)
        }
    }));
    let run = Probe::new(&server).run(&EIGHT);
    run.check(run.conns.len() >= 2, "a new connection after the 421");
    let hit = run.conns[0]
        .entries
        .iter()
        .find(|e| e.code == Some(421))
        .and_then(|e| fake_smtp::rcpt_addr(&e.line))
        .unwrap_or_else(|| run.fail("the fourth RCPT did not get the 421"));
    for a in EIGHT {
        let (status, reason) = if KNOWN.contains(&a) {
            ("valid", "ok")
        } else {
            ("invalid", "does_not_exist")
        };
        if a == hit {
            // The 421 was about the session: either asked again on the new
            // one, or reported as a temporary failure.
            let v = run.verdict(a);
            let got = (v["status"].as_str(), v["reason"].as_str());
            run.check(
                got == (Some(status), Some(reason))
                    || got == (Some("unknown"), Some("temporary_failure")),
                &format!("{a} (the 421): {got:?}"),
            );
        } else {
            run.expect(a, status, reason);
        }
    }
}

// ------------------------------------------------------------- identity

#[test]
fn default_identity_null_sender_and_host_name() {
    let addr = "known@alpha.test";
    let server = FakeSmtp::start(Script::new().rcpt(mailboxes(&["known@alpha.test"])));
    let run = Probe::new(&server).run(&[addr]);
    run.expect(addr, "valid", "ok");
    let lines = run.lines();
    let ehlo = lines
        .first()
        .unwrap_or_else(|| run.fail("nothing received"));
    let name = ehlo.strip_prefix("EHLO ").unwrap_or("");
    run.check(
        !name.is_empty() && !name.contains(' '),
        "EHLO with one host name",
    );
    let mails: Vec<&String> = lines.iter().filter(|l| l.starts_with("MAIL")).collect();
    run.check(
        !mails.is_empty()
            && mails
                .iter()
                .all(|l| fake_smtp::mail_from(l).as_deref() == Some("")),
        "MAIL FROM:<> (the null sender) by default",
    );
    run.check(
        mails.iter().all(|l| l.starts_with("MAIL FROM:<>")),
        "MAIL FROM:<> spelled as RFC 5321 writes it",
    );
    run.check(
        !lines
            .iter()
            .any(|l| matches!(l.to_ascii_uppercase().as_str(), "DATA" | "BDAT")),
        "never DATA",
    );
    run.check_quit_last();
}

#[test]
fn helo_and_from_flags_are_used() {
    let addr = "known@alpha.test";
    let server = FakeSmtp::start(Script::new().rcpt(mailboxes(&["known@alpha.test"])));
    let run = Probe::new(&server)
        .args(&["--helo", "probe.example.net", "--from", "probe@example.org"])
        .run(&[addr]);
    run.expect(addr, "valid", "ok");
    let lines = run.lines();
    run.check(
        lines.first().map(String::as_str) == Some("EHLO probe.example.net"),
        "EHLO names --helo",
    );
    let mails: Vec<&String> = lines.iter().filter(|l| l.starts_with("MAIL")).collect();
    run.check(
        !mails.is_empty()
            && mails
                .iter()
                .all(|l| fake_smtp::mail_from(l).as_deref() == Some("probe@example.org")),
        "MAIL FROM:<probe@example.org>",
    );
    run.check(run.count_verb("DATA") == 0, "never DATA");
    run.check_quit_last();
}

// ------------------------------------------- one bad address, the rest fine

#[test]
fn a_resetting_address_does_not_stop_the_rest_of_a_list() {
    // In sorted order too (the engine sorts a domain's addresses): two
    // before the hostile one, two after it.
    const LIST: [&str; 5] = [
        "h1@alpha.test",
        "h2@alpha.test",
        "h3@alpha.test",
        "h4@alpha.test",
        "h5@alpha.test",
    ];
    const BAD: &str = "h3@alpha.test";
    const KNOWN: &[&str] = &["h1@alpha.test", "h4@alpha.test"];
    let server = FakeSmtp::start(Script::new().rcpt(|r| {
        if r.addr == BAD {
            Action::SendAndReset(b"250-first line\r\n".to_vec())
        } else {
            mailboxes(KNOWN)(r)
        }
    }));
    let run = Probe::new(&server)
        .args(&["--retry-window", "0"])
        .run_file(&LIST);
    run.expect(BAD, "unknown", "smtp_unavailable");
    for a in LIST {
        if a == BAD {
            continue;
        }
        if KNOWN.contains(&a) {
            run.expect(a, "valid", "ok");
        } else {
            run.expect(a, "invalid", "does_not_exist");
        }
    }
    run.check(run.elapsed < Duration::from_secs(10), "in time");
}

#[test]
fn a_server_that_breaks_every_session_is_given_up_on() {
    // MAIL FROM is accepted, then the connection drops before any RCPT is
    // answered, every time: three such sessions in a row and the domain's
    // remaining addresses are answered without more connections.
    let list: Vec<String> = (0..40).map(|i| format!("u{i:02}@alpha.test")).collect();
    let list: Vec<&str> = list.iter().map(String::as_str).collect();
    let server = FakeSmtp::start(
        Script::new()
            .mail(|_| Action::SendAndReset(b"250 2.1.0 Ok\r\n".to_vec()))
            .rcpt(|_| Action::reply("250 2.1.5 Ok")),
    );
    let run = Probe::new(&server)
        .args(&["--retry-window", "0"])
        .run_file(&list);
    for a in &list {
        run.expect(a, "unknown", "smtp_unavailable");
    }
    run.check(
        server.connection_count() <= 4,
        "at most a few sessions, not one or two per address",
    );
    run.check(run.elapsed < Duration::from_secs(10), "in time");
}

// ------------------------------------------------------------- SMTPUTF8

const UTF8_ADDR: &str = "jöhn@alpha.test";

#[test]
fn a_utf8_address_is_never_sent_to_a_server_without_smtputf8() {
    // RFC 6531: a UTF-8 address may only go to a server that offers
    // SMTPUTF8. This one does not, and answers 550 to every unknown RCPT:
    // sent anyway, its refusal of the command would read as a false
    // `invalid`. The ASCII addresses of the batch are probed as usual.
    let server = FakeSmtp::start(Script::new().rcpt(mailboxes(&["known@alpha.test"])));
    let run = Probe::new(&server).run(&[UTF8_ADDR, "known@alpha.test", "nobody@alpha.test"]);
    let v = run.expect(UTF8_ADDR, "unknown", "smtp_unavailable");
    run.check(
        v["detail"].as_str().is_some_and(|d| {
            d.contains("does not accept internationalized addresses") && d.contains("SMTPUTF8")
        }),
        "the detail says the server does not accept internationalized addresses",
    );
    run.check(
        run.lines().iter().all(|l| l.is_ascii()),
        "no UTF-8 command reached the server",
    );
    run.check(
        run.conns.iter().flat_map(Conn::rcpts).all(|a| a.is_ascii()),
        "no RCPT TO for the UTF-8 address",
    );
    run.check(
        run.lines().iter().all(|l| !l.contains("SMTPUTF8")),
        "no SMTPUTF8 parameter to a server that did not offer it",
    );
    run.expect("known@alpha.test", "valid", "ok");
    run.expect("nobody@alpha.test", "invalid", "does_not_exist");
    run.check_quit_last();
}

#[test]
fn a_batch_of_only_utf8_addresses_asks_nothing_of_a_server_without_smtputf8() {
    let server = FakeSmtp::start(Script::new());
    let run = Probe::new(&server).run(&[UTF8_ADDR, "δοκιμή@alpha.test"]);
    for a in [UTF8_ADDR, "δοκιμή@alpha.test"] {
        run.expect(a, "unknown", "smtp_unavailable");
    }
    run.check(run.count_verb("RCPT") == 0, "no RCPT TO at all");
    run.check_quit_last();
}

#[test]
fn a_utf8_address_is_asked_of_a_server_offering_smtputf8() {
    let server = FakeSmtp::start(
        Script::new()
            .extensions(&["PIPELINING", "8BITMIME", "SMTPUTF8"])
            .rcpt(mailboxes(&["jöhn@alpha.test"])),
    );
    let run = Probe::new(&server).run(&[UTF8_ADDR]);
    run.expect(UTF8_ADDR, "valid", "ok");
    run.check(run.rcpt_count(UTF8_ADDR) == 1, "one RCPT for the address");
    run.check(
        run.lines()
            .iter()
            .any(|l| l.starts_with("MAIL FROM:") && l.ends_with(" SMTPUTF8")),
        "MAIL FROM with the SMTPUTF8 parameter",
    );
    run.check_quit_last();
}
