//! `prebounce bounces`, `prebounce suppressions` and `check --suppress`, run
//! as the real binary over the core's bounce corpus, and the crash test:
//! `kill -9` in the middle of an ingest loses nothing reported stored, and
//! running the ingest again adds no duplicates.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[path = "support/pipe.rs"]
mod pipe;
#[path = "support/tempdir.rs"]
mod tempdir;
use tempdir::TempDir;

fn corpus(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/bounces")
        .join(sub)
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    run_stdin(args, b"")
}

/// `prebounce bounces ARGS`.
fn bounces<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    let mut all: Vec<&std::ffi::OsStr> = vec!["bounces".as_ref()];
    all.extend(args.iter().map(AsRef::as_ref));
    run_stdin(&all, b"")
}

fn run_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_prebounce"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run prebounce");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn records(out: &Output) -> Vec<Value> {
    lines(out)
        .into_iter()
        .filter(|l| l.get("recipient").is_some())
        .collect()
}

fn expected_recipients(file: &Path) -> BTreeSet<String> {
    let v: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    v["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn reads_mbox_maildir_and_stdin() {
    let out = bounces(&[corpus("mbox/sample.mbox")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: BTreeSet<String> = records(&out)
        .iter()
        .map(|r| r["recipient"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected_recipients(&corpus("mbox/sample.expect.json")));
    let sources: BTreeSet<String> = records(&out)
        .iter()
        .map(|r| r["source"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        sources.iter().all(|s| s.contains("sample.mbox#")),
        "{sources:?}"
    );

    // A maildir: cur/ and new/ are read, tmp/ (a message still being written) is not.
    let out = bounces(&[corpus("maildir")]);
    let got: BTreeSet<String> = records(&out)
        .iter()
        .map(|r| r["recipient"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected_recipients(&corpus("maildir/expect.json")));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("3 messages:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let eml = std::fs::read(corpus("corpus/26-gmail-disabled.eml")).unwrap();
    let out = run_stdin(&["bounces", "-"], &eml);
    let r = records(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["reason"], "mailbox_disabled");
    assert_eq!(r[0]["kind"], "hard");
    assert_eq!(r[0]["source"], "-");
}

#[test]
fn bad_input_is_reported_and_the_rest_goes_on() {
    let tmp = TempDir::new("bounces-bad");
    let missing = tmp.path("missing.eml");
    let big = tmp.file("big.eml", vec![b'x'; 100_000]);
    let out = bounces(&[
        missing.as_os_str(),
        corpus("bad").as_os_str(),
        big.as_os_str(),
        corpus("corpus/01-postfix-user-unknown.eml").as_os_str(),
        "--max-message-bytes".as_ref(),
        "65536".as_ref(),
    ]);
    // A path that cannot be read makes the exit code 1; the rest was read.
    assert_eq!(out.status.code(), Some(1));
    let all = lines(&out);
    let errors: Vec<&Value> = all.iter().filter(|l| l.get("error").is_some()).collect();
    assert!(errors
        .iter()
        .any(|e| e["source"].as_str().unwrap().ends_with("missing.eml")));
    assert!(errors
        .iter()
        .any(|e| e["source"].as_str().unwrap().ends_with("big.eml")
            && e["error"].as_str().unwrap().contains("--max-message-bytes")));
    // The good message after the bad ones still gave its record.
    assert!(all.iter().any(|l| l["recipient"] == "nobody@example.com"
        && l["source"]
            .as_str()
            .unwrap()
            .ends_with("01-postfix-user-unknown.eml")));
}

#[test]
fn streams_stdin_mboxes_ses_json_lines_and_skips_directory_links() {
    let tmp = TempDir::new("bounces-streams");
    // An mbox on standard input is split message by message: the size limit
    // applies to each message, not to the whole stream.
    let mbox = std::fs::read(corpus("mbox/sample.mbox")).unwrap();
    let out = run_stdin(&["bounces", "--max-message-bytes", "20000", "-"], &mbox);
    let got: BTreeSet<String> = records(&out)
        .iter()
        .map(|r| r["recipient"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected_recipients(&corpus("mbox/sample.expect.json")));

    // SES notifications one per line (as a queue or a log exports them).
    let one = |f: &str| -> String {
        let v: Value =
            serde_json::from_slice(&std::fs::read(corpus(&format!("corpus/{f}"))).unwrap())
                .unwrap();
        v.to_string()
    };
    let jsonl = tmp.file(
        "ses.jsonl",
        format!(
            "{}\n{}\n",
            one("36-ses-sns-bounce-permanent.json"),
            one("41-ses-sns-complaint.json")
        ),
    );
    let out = bounces(&[jsonl]);
    let r = records(&out);
    assert_eq!(r.len(), 3, "{r:?}");
    assert!(r
        .iter()
        .all(|x| x["source"].as_str().unwrap().contains("ses.jsonl:")));

    // A directory with a link back to itself is read once.
    let dir = tmp.path("loop");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        corpus("corpus/01-postfix-user-unknown.eml"),
        dir.join("a.eml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("again")).unwrap();
    let out = bounces(&[&dir]);
    assert_eq!(records(&out).len(), 1);
}

#[test]
fn suppress_then_check() {
    let tmp = TempDir::new("bounces-suppress");
    let db = tmp.path("s.db");
    let out = bounces(&[
        corpus("corpus").as_os_str(),
        "--suppress".as_ref(),
        db.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = records(&out);
    assert!(
        first.iter().all(|r| r["stored"].is_string()),
        "every record says what storing did"
    );
    let by_recipient: BTreeMap<String, String> = first
        .iter()
        .map(|r| {
            (
                r["recipient"].as_str().unwrap().to_owned(),
                r["stored"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(by_recipient["nobody@example.com"], "suppressed"); // 5.1.1
    assert_eq!(by_recipient["old.account@gmail.example"], "suppressed"); // 5.2.1
    assert_eq!(by_recipient["ida@example.com"], "counted"); // blocked: never
                                                            // Mailbox full, once: counted, under the alias that was mailed.
    assert_eq!(by_recipient["info@example.net"], "counted");

    // Again: nothing new.
    let again = bounces(&[
        corpus("corpus").as_os_str(),
        "--suppress".as_ref(),
        db.as_os_str(),
    ]);
    assert!(records(&again).iter().all(|r| r["stored"] == "duplicate"));

    let list = run(&[
        "suppressions",
        "--db",
        db.to_str().unwrap(),
        "list",
        "--format",
        "json",
    ]);
    let listed: BTreeMap<String, Value> = lines(&list)
        .into_iter()
        .map(|l| (l["address"].as_str().unwrap().to_owned(), l))
        .collect();
    assert_eq!(listed["nobody@example.com"]["reason"], "does_not_exist");
    assert!(listed["nobody@example.com"]["count"].as_u64().unwrap() >= 1);
    // The IDN recipient is stored under DESIGN's key: ASCII domain, NFC lower-case local part.
    assert!(
        listed.contains_key("jörg@xn--bcher-kva.example"),
        "{:?}",
        listed.keys()
    );
    assert!(!listed.contains_key("ida@example.com"));
    assert!(!listed.contains_key("info@example.net"));
    assert_eq!(listed["sara@example.com"]["reason"], "complained");

    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--suppress",
        db.to_str().unwrap(),
        "Nobody@Example.com",
        "fine@example.com",
    ]);
    let v = lines(&out);
    assert_eq!(
        (v[0]["status"].as_str(), v[0]["reason"].as_str()),
        (Some("invalid"), Some("suppressed"))
    );
    assert_eq!(v[0]["suppression"]["reason"], "does_not_exist");
    assert_eq!(
        v[0]["suppression"]["count"],
        listed["nobody@example.com"]["count"]
    );
    assert_eq!(v[1]["reason"], "ok");

    // With the network on, a suppressed address is never probed: the only
    // SMTP server on offer would see a connection.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let out = run(&[
        "check",
        "--json",
        "--suppress",
        db.to_str().unwrap(),
        "--mx",
        &format!("127.0.0.1:{port}"),
        "--connect-timeout",
        "2s",
        "--timeout",
        "3s",
        "nobody@example.com",
    ]);
    let v = lines(&out);
    assert_eq!(v[0]["reason"], "suppressed");
    assert!(
        listener.accept().is_err(),
        "a suppressed address was probed"
    );

    // CSV lists too.
    let list = tmp.file(
        "list.csv",
        "name,email\nA,nobody@example.com\nB,fine@example.com\n",
    );
    let out = run(&[
        "check",
        "--offline",
        "--format",
        "csv",
        "--suppress",
        db.to_str().unwrap(),
        "--file",
        list.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains(",invalid,suppressed,"),
        "{text}"
    );
}

#[test]
fn import_export_remove() {
    let tmp = TempDir::new("suppressions-io");
    let db = tmp.path("s.db");
    let db = db.to_str().unwrap();
    let csv = tmp.file(
        "in.csv",
        "Address,reason,first_seen,last_seen,count,source\n\
a@example.com,does_not_exist,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,2,crm\n\
not an address,,,,,\n\
B@Bücher.example,complained,,,,\n\
c@example.com,gone,,,,\n\
d@example.com,,yesterday,,,\n",
    );
    let out = run(&["suppressions", "--db", db, "import", csv.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "bad rows make the exit code 1: {err}"
    );
    for line in [":3:", ":5:", ":6:"] {
        assert!(err.contains(line), "line {line} reported: {err}");
    }
    assert!(err.contains("2 records read"), "{err}");

    let export = tmp.path("out.csv");
    let out = run(&[
        "suppressions",
        "--db",
        db,
        "export",
        "-o",
        export.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&export).unwrap();
    let mut rows = text.lines();
    assert_eq!(
        rows.next(),
        Some("address,reason,first_seen,last_seen,count,source")
    );
    assert_eq!(
        rows.next(),
        Some("a@example.com,does_not_exist,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,2,crm")
    );
    assert!(rows
        .next()
        .unwrap()
        .starts_with("b@xn--bcher-kva.example,complained,"));

    // The export imports into a fresh store unchanged; JSON Lines too.
    let db2 = tmp.path("s2.db");
    let out = run(&[
        "suppressions",
        "--db",
        db2.to_str().unwrap(),
        "import",
        export.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out2 = run(&["suppressions", "--db", db2.to_str().unwrap(), "export"]);
    assert_eq!(String::from_utf8_lossy(&out2.stdout), text);
    let json = run(&["suppressions", "--db", db, "export", "--format", "json"]);
    let db3 = tmp.path("s3.db");
    let out = run_stdin(
        &["suppressions", "--db", db3.to_str().unwrap(), "import", "-"],
        &json.stdout,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out3 = run(&["suppressions", "--db", db3.to_str().unwrap(), "export"]);
    assert_eq!(String::from_utf8_lossy(&out3.stdout), text);

    // One time given stands for both; reasons that never suppress are refused.
    let more = tmp.file(
        "more.csv",
        "address,reason,last_seen\ne@example.com,complained,2026-02-02T00:00:00Z\nf@example.com,blocked,\n",
    );
    let out = run(&["suppressions", "--db", db, "import", more.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(":3:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["suppressions", "--db", db, "export", "--format", "json"]);
    assert!(lines(&out)
        .iter()
        .any(|l| l["address"] == "e@example.com" && l["first_seen"] == "2026-02-02T00:00:00Z"));
    assert!(!lines(&out).iter().any(|l| l["address"] == "f@example.com"));
    let out = run(&["suppressions", "--db", db, "remove", "e@example.com"]);
    assert!(out.status.success());

    let out = run(&[
        "suppressions",
        "--db",
        db,
        "remove",
        "A@EXAMPLE.COM",
        "nobody@example.org",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("removed 1 of 2"));
    let out = run(&["suppressions", "--db", db, "list", "--format", "json"]);
    assert_eq!(lines(&out).len(), 1);
}

/// An mbox of `n` distinct hard bounces.
fn big_mbox(path: &Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        write!(
            f,
            "From MAILER-DAEMON Sat Mar 14 10:26:53 2026\n\
From: MAILER-DAEMON@mail.example.org\nTo: sender@example.org\nSubject: Undelivered Mail Returned to Sender\n\
Message-ID: <crash-{i}@mail.example.org>\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n\
--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.org\n\n\
Final-Recipient: rfc822; user{i}@example.com\nAction: failed\nStatus: 5.1.1\n\
Diagnostic-Code: smtp; 550 5.1.1 <user{i}@example.com>: Recipient address rejected: User unknown\n\n--b--\n\n"
        )
        .unwrap();
    }
    f.flush().unwrap();
}

#[test]
fn kill_9_loses_nothing_reported_stored_and_a_rerun_adds_no_duplicates() {
    let tmp = TempDir::new("bounces-crash");
    let mbox = tmp.path("big.mbox");
    let n = 20_000;
    big_mbox(&mbox, n);
    let db = tmp.path("s.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_prebounce"))
        .args([
            "bounces".as_ref(),
            mbox.as_os_str(),
            "--suppress".as_ref(),
            db.as_os_str(),
            "--batch".as_ref(),
            "250".as_ref(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut reported = BTreeSet::new();
    let mut line = String::new();
    while reported.len() < 3000 {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "ended early");
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["stored"], "suppressed");
        reported.insert(v["recipient"].as_str().unwrap().to_owned());
    }
    // SIGKILL: no destructor, no flush, no clean close of the database.
    child.kill().unwrap();
    // What the pipe still held was also reported before the kill.
    for l in reader.lines().map_while(Result::ok) {
        if let Ok(v) = serde_json::from_str::<Value>(&l) {
            reported.insert(v["recipient"].as_str().unwrap().to_owned());
        }
    }
    child.wait().unwrap();
    assert!(
        reported.len() < n,
        "the ingest had finished before the kill; make it bigger"
    );

    let stored = |db: &Path| -> BTreeMap<String, u64> {
        let out = run(&[
            "suppressions",
            "--db",
            db.to_str().unwrap(),
            "list",
            "--format",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines(&out)
            .into_iter()
            .map(|l| {
                (
                    l["address"].as_str().unwrap().to_owned(),
                    l["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let after_kill = stored(&db);
    let lost: Vec<&String> = reported
        .iter()
        .filter(|r| !after_kill.contains_key(*r))
        .collect();
    assert!(
        lost.is_empty(),
        "{} reported records lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );

    // Run it again to the end: everything is stored once.
    let out = bounces(&[mbox.as_os_str(), "--suppress".as_ref(), db.as_os_str()]);
    assert!(out.status.success());
    let again = records(&out);
    let dupes = again.iter().filter(|r| r["stored"] == "duplicate").count();
    assert!(
        dupes >= reported.len(),
        "{dupes} duplicates, {} reported before",
        reported.len()
    );
    let finished = stored(&db);
    assert_eq!(finished.len(), n);
    assert!(
        finished.values().all(|&c| c == 1),
        "a record was counted twice"
    );
}

/// `prebounce bounces … | head -1` and `prebounce suppressions export | head
/// -1`: like `check`, every subcommand ends quietly when its output pipe
/// closes (exit 0 or SIGPIPE, nothing on stderr).
#[test]
fn a_closed_output_pipe_is_quiet_for_bounces_and_suppressions() {
    let t = TempDir::new("pipes");
    let mbox = t.path("big.mbox");
    big_mbox(&mbox, 5_000);
    let db = t.path("store.db");
    let out = bounces(&[mbox.to_str().unwrap(), "--suppress", db.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mbox = mbox.to_str().unwrap();
    let db = db.to_str().unwrap();
    let commands: [&[&str]; 3] = [
        &["bounces", mbox],
        &["suppressions", "--db", db, "export"],
        &["suppressions", "--db", db, "list", "--format", "json"],
    ];
    for args in commands {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_prebounce"));
        cmd.args(args);
        let (first, out) = pipe::read_then_close(&mut cmd, 1);
        assert!(!first.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        // `bounces` ends with its summary line; nothing else may be there.
        assert!(
            err.lines().all(|l| l.starts_with("5000 messages")),
            "{args:?}: {err:?}"
        );
        pipe::assert_quiet_exit(&out, &format!("{args:?}"));
    }
}

/// An mbox message with an endless line (here 600 MB without a line end)
/// costs a bounded buffer: under a 512 MB address-space limit the message
/// is reported as too large and the next one is read. (Reading whole lines
/// first, as before, runs out of memory.)
#[cfg(unix)]
#[test]
fn an_endless_mbox_line_is_read_in_bounded_memory() {
    use std::io::Read as _;
    let script = format!(
        "ulimit -v 524288 && exec {} bounces --max-message-bytes 1000000 -",
        env!("CARGO_BIN_EXE_prebounce")
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().unwrap();
    let next = std::fs::read(corpus("corpus").join("01-postfix-user-unknown.eml")).unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(b"From MAILER-DAEMON Sat Mar 14 10:26:53 2026\nSubject: huge\n\n")?;
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..600 {
            stdin.write_all(&chunk)?;
        }
        stdin.write_all(b"\n\nFrom MAILER-DAEMON Sat Mar 14 10:26:53 2026\n")?;
        stdin.write_all(&next)
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(written.is_ok(), "prebounce stopped reading: {err}");
    assert!(err.contains("2 messages"), "{err}");
    let first: Value = serde_json::from_str(stdout.lines().next().unwrap_or("{}")).unwrap();
    assert!(
        first["error"]
            .as_str()
            .unwrap_or("")
            .contains("--max-message-bytes"),
        "{stdout}"
    );
}
