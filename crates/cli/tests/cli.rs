//! Integration tests for `prebounce check --offline`: they run the real
//! binary and hold it to docs/DESIGN.md ("Interfaces users rely on: CLI" and the
//! verdict JSON).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[path = "support/pipe.rs"]
mod pipe;
#[path = "support/tempdir.rs"]
mod tempdir;
use tempdir::TempDir;

/// docs/DESIGN.md's verdict fields, in docs/DESIGN.md's order.
const VERDICT_FIELDS: [&str; 17] = [
    "input",
    "address",
    "address_unicode",
    "local",
    "domain",
    "domain_unicode",
    "status",
    "reason",
    "depth",
    "message",
    "detail",
    "suggestion",
    "retry_after",
    "flags",
    "error",
    "dns",
    "smtp",
];
const FLAG_FIELDS: [&str; 4] = ["disposable", "role", "free", "smtputf8"];

// ---------------------------------------------------------------- helpers

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_prebounce"))
}

/// Runs `prebounce ARGS`, feeding `stdin` (empty when None).
fn run_with_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: Option<&[u8]>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn prebounce");
    let mut pipe = child.stdin.take().expect("stdin");
    let input = stdin.unwrap_or_default().to_vec();
    // Feed stdin from a thread so a large input cannot deadlock against a
    // full stdout pipe.
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for prebounce");
    feeder.join().expect("stdin feeder");
    out
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    run_with_stdin(args, None)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    )
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", show(out));
}

/// Parses JSON Lines output: every line one JSON object.
fn verdicts(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}\n{}", show(out)));
            assert!(v.is_object(), "not an object: {l}");
            v
        })
        .collect()
}

/// `check --offline --json ARGS...`, expected to succeed.
fn check_json(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["check", "--offline", "--json"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_exit(&out, 0);
    verdicts(&out)
}

/// One address, default options.
fn check_one(address: &str, options: &[&str]) -> Value {
    let mut args = options.to_vec();
    args.push("--");
    args.push(address);
    let v = check_json(&args);
    assert_eq!(v.len(), 1, "one verdict for {address:?}: {v:?}");
    v.into_iter().next().unwrap()
}

fn inputs(vs: &[Value]) -> Vec<String> {
    vs.iter()
        .map(|v| v["input"].as_str().expect("input is a string").to_owned())
        .collect()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_status(v: &Value, status: &str, reason: &str) {
    assert_eq!(
        (v["status"].as_str(), v["reason"].as_str()),
        (Some(status), Some(reason)),
        "{v}"
    );
}

fn assert_syntax_error(v: &Value, code: &str) {
    assert_status(v, "invalid", "invalid_syntax");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["message"].is_string(), "{v}");
    assert_eq!(v["error"]["message"], v["message"], "{v}");
}

/// Every verdict: exactly DESIGN's fields, in DESIGN's order, at depth syntax.
fn assert_shape(v: &Value) {
    assert_eq!(keys(v), VERDICT_FIELDS, "field names or order: {v}");
    assert_eq!(keys(&v["flags"]), FLAG_FIELDS, "flags: {v}");
    for f in FLAG_FIELDS {
        assert!(v["flags"][f].is_boolean(), "flags.{f}: {v}");
    }
    assert_eq!(v["depth"], "syntax", "{v}");
    assert!(v["dns"].is_null() && v["smtp"].is_null(), "{v}");
    assert!(v["retry_after"].is_null(), "{v}");
    match v["status"].as_str() {
        Some("valid") => {
            assert_eq!(v["reason"], "ok", "{v}");
            assert!(v["message"].is_null() && v["error"].is_null(), "{v}");
        }
        Some("invalid" | "risky" | "unknown") => {
            assert!(
                v["message"].as_str().is_some_and(|m| !m.is_empty()),
                "a message for every status but valid: {v}"
            );
        }
        _ => panic!("status: {v}"),
    }
    if v["reason"] == "invalid_syntax" {
        assert_eq!(v["error"]["message"], v["message"], "{v}");
        assert_eq!(keys(&v["error"]), ["code", "message"], "{v}");
    } else {
        assert!(v["error"].is_null(), "error only with invalid_syntax: {v}");
    }
}

// ------------------------------------------------------------ JSON output

#[test]
fn json_keys_keep_their_order_when_parsed() {
    // The field-order assertions below read keys through serde_json::Value,
    // which keeps document order only with its `preserve_order` feature
    // (set in the workspace). Fail loudly here rather than confusingly there.
    let v: Value = serde_json::from_str(r#"{"b":1,"a":2}"#).unwrap();
    assert_eq!(keys(&v), ["b", "a"], "serde_json needs preserve_order");
}

#[test]
fn json_lines_one_verdict_per_address_with_designs_fields_in_order() {
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "john@example.com",
        "John.Doe@Bücher.DE",
        "x@mailinator.com",
        "john@gmial.com",
        "a b@example.com",
    ]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.ends_with('\n'), "last line ends with a newline");
    assert_eq!(text.lines().count(), 5, "{text}");
    let vs = verdicts(&out);
    for v in &vs {
        assert_shape(v);
    }
    assert_eq!(
        inputs(&vs),
        [
            "john@example.com",
            "John.Doe@Bücher.DE",
            "x@mailinator.com",
            "john@gmial.com",
            "a b@example.com"
        ]
    );
}

#[test]
fn json_valid_address() {
    let v = check_one("john@example.com", &[]);
    assert_shape(&v);
    assert_status(&v, "valid", "ok");
    assert_eq!(v["address"], "john@example.com");
    assert_eq!(v["local"], "john");
    assert_eq!(v["domain"], "example.com");
    assert!(v["suggestion"].is_null() && v["detail"].is_null(), "{v}");
    assert_eq!(
        v["flags"],
        serde_json::json!({"disposable": false, "role": false, "free": false, "smtputf8": false})
    );
}

#[test]
fn json_idn_address_matches_designs_example() {
    let v = check_one("John.Doe@Bücher.DE", &[]);
    assert_shape(&v);
    // docs/DESIGN.md's example verdict, field for field.
    let want = serde_json::json!({
        "input": "John.Doe@Bücher.DE",
        "address": "John.Doe@xn--bcher-kva.de",
        "address_unicode": "John.Doe@bücher.de",
        "local": "John.Doe",
        "domain": "xn--bcher-kva.de",
        "domain_unicode": "bücher.de",
        "status": "valid",
        "reason": "ok",
        "depth": "syntax",
        "message": null,
        "detail": null,
        "suggestion": null,
        "retry_after": null,
        "flags": { "disposable": false, "role": false, "free": false, "smtputf8": false },
        "error": null,
        "dns": null,
        "smtp": null
    });
    assert_eq!(v, want);
}

#[test]
fn json_disposable_is_risky() {
    let v = check_one("x@mailinator.com", &[]);
    assert_shape(&v);
    assert_status(&v, "risky", "disposable");
    assert_eq!(v["flags"]["disposable"], true, "{v}");
    assert_eq!(v["address"], "x@mailinator.com");
}

#[test]
fn json_typo_has_a_whole_address_suggestion() {
    let v = check_one("john@gmial.com", &[]);
    assert_shape(&v);
    assert_status(&v, "risky", "possible_typo");
    assert_eq!(v["suggestion"], "john@gmail.com", "{v}");
}

#[test]
fn json_invalid_syntax_has_error_code_and_the_same_message() {
    for (input, code) in [
        ("a b@example.com", "local_invalid_character"),
        ("no-at-sign.example.com", "missing_at"),
        ("", "empty"),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
            "local_too_long",
        ),
    ] {
        let v = check_one(input, &[]);
        assert_shape(&v);
        assert_syntax_error(&v, code);
        assert_eq!(v["input"], input);
        assert!(v["address"].is_null(), "{v}");
    }
}

// ----------------------------------------------------------- option flags

#[test]
fn allow_special_use() {
    let v = check_one("a@alpha.test", &[]);
    assert_syntax_error(&v, "special_use_domain");
    let v = check_one("a@alpha.test", &["--allow-special-use=false"]);
    assert_syntax_error(&v, "special_use_domain");
    for on in [&["--allow-special-use"][..], &["--allow-special-use=true"]] {
        let v = check_one("a@alpha.test", on);
        assert_shape(&v);
        assert_status(&v, "valid", "ok");
        assert_eq!(v["domain"], "alpha.test");
    }
    // The flag after the address, as users also write it.
    let v = check_json(&["a@alpha.test", "--allow-special-use"]);
    assert_status(&v[0], "valid", "ok");
}

/// A bare option flag means `true` and never swallows the address after it
/// (a value needs `=`).
#[test]
fn bare_option_flag_before_an_address_does_not_swallow_it() {
    for (flag, address, status, reason) in [
        ("--allow-special-use", "a@alpha.test", "valid", "ok"),
        (
            "--role-is-risky",
            "info@example.com",
            "risky",
            "role_account",
        ),
        (
            "--allow-quoted-local",
            "\"john doe\"@example.com",
            "valid",
            "ok",
        ),
        ("--allow-domain-literal", "a@[192.0.2.1]", "valid", "ok"),
    ] {
        let out = run(&["check", "--offline", "--json", flag, address]);
        assert_exit(&out, 0);
        let v = verdicts(&out);
        assert_eq!(v.len(), 1, "{}", show(&out));
        assert_status(&v[0], status, reason);
    }
}

#[test]
fn allow_smtputf8_false_rejects_a_non_ascii_local_part() {
    let v = check_one("jöhn@example.com", &[]);
    assert_shape(&v);
    assert_status(&v, "valid", "ok");
    assert_eq!(v["flags"]["smtputf8"], true, "{v}");
    let v = check_one("jöhn@example.com", &["--allow-smtputf8=true"]);
    assert_status(&v, "valid", "ok");
    let v = check_one("jöhn@example.com", &["--allow-smtputf8=false"]);
    assert_shape(&v);
    assert_syntax_error(&v, "smtputf8_not_allowed");
    // An IDN domain is not SMTPUTF8: still fine without it.
    let v = check_one("John.Doe@Bücher.DE", &["--allow-smtputf8=false"]);
    assert_status(&v, "valid", "ok");
}

#[test]
fn role_is_risky() {
    let v = check_one("info@example.com", &[]);
    assert_status(&v, "valid", "ok");
    assert_eq!(v["flags"]["role"], true, "{v}");
    let v = check_one("info@example.com", &["--role-is-risky=true"]);
    assert_shape(&v);
    assert_status(&v, "risky", "role_account");
    let v = check_json(&["info@example.com", "--role-is-risky"]);
    assert_status(&v[0], "risky", "role_account");
    let v = check_one("info@example.com", &["--role-is-risky=false"]);
    assert_status(&v, "valid", "ok");
    // Not a role address: unaffected.
    let v = check_one("john@example.com", &["--role-is-risky=true"]);
    assert_status(&v, "valid", "ok");
}

#[test]
fn allow_quoted_local() {
    let q = "\"john doe\"@example.com";
    let v = check_one(q, &[]);
    assert_shape(&v);
    assert_syntax_error(&v, "quoted_local_not_allowed");
    let v = check_one(q, &["--allow-quoted-local=true"]);
    assert_shape(&v);
    assert_status(&v, "valid", "ok");
    assert_eq!(v["domain"], "example.com");
    let v = check_json(&[q, "--allow-quoted-local"]);
    assert_status(&v[0], "valid", "ok");
}

#[test]
fn allow_domain_literal() {
    let lit = "a@[192.0.2.1]";
    let v = check_one(lit, &[]);
    assert_shape(&v);
    assert_syntax_error(&v, "domain_literal_not_allowed");
    let v = check_one(lit, &["--allow-domain-literal=true"]);
    assert_shape(&v);
    assert_status(&v, "valid", "ok");
    assert_eq!(v["domain"], "[192.0.2.1]");
    let v = check_json(&[lit, "--allow-domain-literal"]);
    assert_status(&v[0], "valid", "ok");
}

#[test]
fn allow_single_label() {
    let v = check_one("a@localdomain", &[]);
    assert_syntax_error(&v, "domain_single_label");
    let v = check_one("a@localdomain", &["--allow-single-label=true"]);
    assert_status(&v, "valid", "ok");
}

#[test]
fn option_flags_reject_non_boolean_values() {
    let out = run(&[
        "check",
        "--offline",
        "--allow-special-use=yes",
        "a@alpha.test",
    ]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty(), "{}", show(&out));
    assert!(
        stderr(&out).contains("--allow-special-use"),
        "{}",
        show(&out)
    );
}

// ------------------------------------------------------------------ files

#[test]
fn file_plain_list_blank_lines_crlf_bom_and_bad_utf8() {
    let t = TempDir::new("plain_list");
    let list = t.file(
        "list.txt",
        b"\xEF\xBB\xBFa@example.com\r\n\r\n   \n\tb@\xFFexample.com\r\nc@example.com\r\n\nd@example.com",
    );
    let list_arg = list.to_str().unwrap();
    let out = run(&["check", "--offline", "--json", "--file", list_arg]);
    assert_exit(&out, 0);
    let vs = verdicts(&out);
    for v in &vs {
        assert_shape(v);
    }
    assert_eq!(vs.len(), 4, "blank lines skipped: {}", show(&out));
    // The BOM is not part of the first address; CR is not part of any.
    assert_eq!(vs[0]["input"], "a@example.com");
    assert_status(&vs[0], "valid", "ok");
    assert_syntax_error(&vs[1], "invalid_encoding");
    assert_eq!(vs[2]["input"], "c@example.com");
    assert_status(&vs[2], "valid", "ok");
    assert_eq!(vs[3]["input"], "d@example.com", "last line without newline");
    assert_status(&vs[3], "valid", "ok");
    // The rejected line is named on stderr: file and 1-based line number.
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{list_arg}:4")),
        "stderr names file and line 4: {err:?}"
    );
    assert_eq!(err.lines().count(), 1, "one message: {err:?}");
}

#[test]
fn file_from_stdin() {
    let out = run_with_stdin(
        &["check", "--offline", "--json", "--file", "-"],
        Some(b"x@example.com\r\n\ny@mailinator.com\nz@\xC3example.com\n"),
    );
    assert_exit(&out, 0);
    let vs = verdicts(&out);
    assert_eq!(vs.len(), 3, "{}", show(&out));
    assert_status(&vs[0], "valid", "ok");
    assert_eq!(vs[0]["input"], "x@example.com");
    assert_status(&vs[1], "risky", "disposable");
    assert_syntax_error(&vs[2], "invalid_encoding");
    assert!(stderr(&out).contains(":4"), "{}", show(&out));
}

#[test]
fn file_from_stdin_as_csv_with_column() {
    let out = run_with_stdin(
        &[
            "check",
            "--offline",
            "--json",
            "--file",
            "-",
            "--column",
            "email",
        ],
        Some(b"name,email\n\"Doe, John\",john@example.com\nAnn,ann@example.org\n"),
    );
    assert_exit(&out, 0);
    assert_eq!(
        inputs(&verdicts(&out)),
        ["john@example.com", "ann@example.org"]
    );
}

#[test]
fn csv_with_header_finds_the_email_column_and_handles_quoted_commas() {
    let t = TempDir::new("csv_header");
    let csv = t.file(
        "people.csv",
        "\u{FEFF}name,E-mail,city\r\n\
         \"Doe, John\",john@example.com,\"Oslo, NO\"\r\n\
         \"Roe, Ann\",\"ann@example.org\",Bergen\r\n\
         Bob,bob@gmial.com,\"a \"\"quoted\"\" city, really\"\r\n",
    );
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        csv.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let vs = verdicts(&out);
    assert_eq!(
        inputs(&vs),
        ["john@example.com", "ann@example.org", "bob@gmial.com"],
        "header skipped, the e-mail column picked: {}",
        show(&out)
    );
    assert_status(&vs[2], "risky", "possible_typo");
    assert_eq!(vs[2]["suggestion"], "bob@gmail.com");
}

#[test]
fn csv_column_by_name_and_by_number() {
    let t = TempDir::new("csv_column");
    // Two address columns: auto-detection alone cannot tell which.
    let csv = t.file(
        "two.csv",
        "name,work,home\nJo,jo@work.example.com,jo@home.example.com\nAl,al@work.example.com,al@home.example.com\n",
    );
    let p = csv.to_str().unwrap();
    for column in ["home", "HOME", "3"] {
        let out = run(&[
            "check",
            "--offline",
            "--json",
            "--file",
            p,
            "--column",
            column,
        ]);
        assert_exit(&out, 0);
        assert_eq!(
            inputs(&verdicts(&out)),
            ["jo@home.example.com", "al@home.example.com"],
            "--column {column}"
        );
    }
    let out = run(&["check", "--offline", "--json", "--file", p, "--column", "2"]);
    assert_exit(&out, 0);
    assert_eq!(
        inputs(&verdicts(&out)),
        ["jo@work.example.com", "al@work.example.com"]
    );
    // --column makes any file a CSV, whatever its name.
    let txt = t.file("list.txt", "x,a@example.com\ny,b@example.com\n");
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        txt.to_str().unwrap(),
        "--column",
        "2",
    ]);
    assert_exit(&out, 0);
    assert_eq!(inputs(&verdicts(&out)), ["a@example.com", "b@example.com"]);
}

#[test]
fn csv_semicolon_separated() {
    let t = TempDir::new("csv_semicolon");
    let csv = t.file(
        "list.csv",
        "id;name;mail\n1;Doe, John;john@example.com\n2;\"Roe; Ann\";ann@example.org\n",
    );
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        csv.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert_eq!(
        inputs(&verdicts(&out)),
        ["john@example.com", "ann@example.org"],
        "{}",
        show(&out)
    );
}

#[test]
fn csv_tab_separated() {
    let t = TempDir::new("csv_tab");
    let tsv = t.file("list.tsv", "name\temail\nDoe, John\tjohn@example.com\n");
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        tsv.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert_eq!(inputs(&verdicts(&out)), ["john@example.com"]);
}

#[test]
fn csv_missing_column_name_is_an_error_with_a_clear_message() {
    let t = TempDir::new("csv_missing_column");
    let csv = t.file("list.csv", "name,email\nJo,jo@example.com\n");
    let p = csv.to_str().unwrap();
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        p,
        "--column",
        "nope",
    ]);
    assert_ne!(out.status.code(), Some(0), "{}", show(&out));
    assert!(out.status.code().is_some(), "exited, not killed");
    assert!(out.stdout.is_empty(), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("nope"), "names the column: {err:?}");
    assert!(err.contains(p), "names the file: {err:?}");
    assert!(
        err.contains("email"),
        "lists the columns there are: {err:?}"
    );
    assert!(!err.contains("panicked"), "{err:?}");
}

/// A header-less CSV whose first row has no `@` in any cell (here a mistyped
/// address) keeps that row: it is data, not a header.
#[test]
fn headerless_csv_keeps_a_first_row_without_an_at_sign() {
    let t = TempDir::new("csv_headerless");
    let csv = t.file(
        "list.csv",
        "1,Bob,bob.example.com\n2,Ann,ann@example.org\n3,Cy,cy@example.org\n",
    );
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        csv.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert_eq!(
        inputs(&verdicts(&out)),
        ["bob.example.com", "ann@example.org", "cy@example.org"],
        "one verdict per data row: {}",
        show(&out)
    );
}

/// The delimiter is sniffed outside quotes, so a quoted header cell with
/// semicolons leaves a comma-separated file comma-separated.
#[test]
fn csv_delimiter_sniffing_ignores_quoted_delimiters() {
    let t = TempDir::new("csv_sniff");
    let csv = t.file(
        "list.csv",
        "\"name; full; legal\",email\n\"Doe; John; Q\",john@example.com\n",
    );
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        csv.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert_eq!(
        inputs(&verdicts(&out)),
        ["john@example.com"],
        "{}",
        show(&out)
    );
}

#[test]
fn csv_order_is_kept_past_the_sniffed_rows() {
    // The first rows are read ahead to find the column; the rest stream.
    let t = TempDir::new("csv_order");
    let mut content = String::from("id,email\n");
    let want: Vec<String> = (0..300).map(|i| format!("user{i}@example.com")).collect();
    for (i, a) in want.iter().enumerate() {
        content.push_str(&format!("{i},{a}\n"));
    }
    let csv = t.file("list.csv", content);
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        csv.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert_eq!(inputs(&verdicts(&out)), want);
}

#[test]
fn several_files_one_missing_the_others_still_checked() {
    let t = TempDir::new("missing_file");
    let a = t.file("a.txt", "a@example.com\n");
    let b = t.file("b.csv", "email\nb@example.com\n");
    let missing = t.path("does-not-exist.txt");
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        a.to_str().unwrap(),
        "--file",
        missing.to_str().unwrap(),
        "--file",
        b.to_str().unwrap(),
    ]);
    assert_exit(&out, 1);
    assert_eq!(
        inputs(&verdicts(&out)),
        ["a@example.com", "b@example.com"],
        "{}",
        show(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains(missing.to_str().unwrap()),
        "names the missing file: {err:?}"
    );
    assert!(!err.contains(a.to_str().unwrap()), "{err:?}");
    assert!(!err.contains("panicked"), "{err:?}");
}

// ------------------------------------------------------------- exit codes

#[test]
fn exit_0_when_every_address_is_invalid() {
    let out = run(&[
        "check",
        "--offline",
        "nope",
        "a b@example.com",
        "@example.com",
    ]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 3);
    assert!(out.stderr.is_empty(), "{}", show(&out));

    let t = TempDir::new("all_invalid");
    let f = t.file("bad.txt", "nope\nstill nope\n");
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        f.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert!(verdicts(&out).iter().all(|v| v["status"] == "invalid"));
}

#[test]
fn exit_2_without_addresses() {
    let out = run(&["check", "--offline"]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty(), "{}", show(&out));
    assert!(stderr(&out).contains("--file"), "says how: {}", show(&out));
}

#[test]
fn exit_2_for_an_unknown_flag() {
    let out = run(&["check", "--offline", "--no-such-flag", "a@example.com"]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty(), "{}", show(&out));
    assert!(stderr(&out).contains("--no-such-flag"), "{}", show(&out));
    let out = run(&["frobnicate", "a@example.com"]);
    assert_exit(&out, 2);
    let out = run::<&str>(&[]);
    assert_exit(&out, 2);
}

#[test]
fn exit_2_for_bad_network_flags() {
    for (flag, value) in [
        ("--mx", "no-port"),
        ("--mx", "host:0"),
        ("--proxy", "http://127.0.0.1:1080"),
        ("--helo", "bad name"),
        ("--from", "not an address"),
        ("--timeout", "soon"),
        ("--concurrency", "0"),
    ] {
        let out = run(&["check", "--json", flag, value, "a@example.com"]);
        assert_exit(&out, 2);
        assert!(out.stdout.is_empty(), "no verdicts: {}", show(&out));
        assert!(stderr(&out).contains(flag), "{flag}: {}", show(&out));
    }
}

#[test]
fn invalid_addresses_are_answered_without_the_network() {
    // Port 1 on loopback: nothing listens; a connection attempt would make the
    // valid-looking address smtp_unavailable, but a syntax error never tries.
    let out = run(&["check", "--json", "--mx", "127.0.0.1:1", "not-an-address"]);
    assert_exit(&out, 0);
    let v = verdicts(&out);
    assert_eq!(v[0]["reason"], "invalid_syntax");
    assert_eq!(v[0]["depth"], "syntax");
}

#[test]
fn a_closed_port_gives_smtp_unavailable_and_exit_0() {
    let out = run(&[
        "check",
        "--json",
        "--mx",
        "127.0.0.1:1",
        "--timeout",
        "3s",
        "someone@example.com",
    ]);
    assert_exit(&out, 0);
    let v = verdicts(&out);
    assert_eq!(v[0]["status"], "unknown", "{}", show(&out));
    assert_eq!(v[0]["reason"], "smtp_unavailable");
    assert_eq!(v[0]["depth"], "syntax", "no DNS ran and no server answered");
    assert!(v[0]["detail"].as_str().unwrap().contains("127.0.0.1:1"));
}

#[test]
fn exit_1_for_unreadable_files() {
    let t = TempDir::new("unreadable");
    let missing = t.path("missing.txt");
    let out = run(&["check", "--offline", "--file", missing.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains(missing.to_str().unwrap()),
        "{}",
        show(&out)
    );

    // A directory opens but cannot be read.
    let out = run(&["check", "--offline", "--file", t.0.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains(t.0.to_str().unwrap()),
        "{}",
        show(&out)
    );

    let out = run(&[
        "check",
        "--offline",
        "--disposable-list",
        missing.to_str().unwrap(),
        "a@example.com",
    ]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains(missing.to_str().unwrap()),
        "{}",
        show(&out)
    );
}

#[test]
fn disposable_list_and_allowlist() {
    let t = TempDir::new("data_files");
    let extra = t.file("extra.txt", "example.org\n");
    let allow = t.file("allow.txt", "mailinator.com\n");
    let vs = check_json(&[
        "--disposable-list",
        extra.to_str().unwrap(),
        "--allowlist",
        allow.to_str().unwrap(),
        "a@example.org",
        "a@sub.example.org",
        "x@mailinator.com",
        "a@example.com",
    ]);
    assert_status(&vs[0], "risky", "disposable");
    assert_status(&vs[1], "risky", "disposable");
    assert_status(&vs[2], "valid", "ok");
    assert_eq!(vs[2]["flags"]["disposable"], false);
    assert_status(&vs[3], "valid", "ok");
}

// ------------------------------------------------------------ text output

#[test]
fn text_output_one_line_per_address_with_status_reason_and_suggestion() {
    let out = run(&[
        "check",
        "--offline",
        "john@example.com",
        "John.Doe@Bücher.DE",
        "x@mailinator.com",
        "john@gmial.com",
        "a b@example.com",
    ]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(!text.trim_start().starts_with('{'), "not JSON: {text}");
    let fields = |l: &str| -> (String, String) {
        let mut w = l.split_whitespace();
        (w.next().unwrap_or("").into(), w.next().unwrap_or("").into())
    };
    assert_eq!(fields(lines[0]), ("valid".into(), "ok".into()));
    assert!(lines[0].contains("john@example.com"), "{}", lines[0]);
    assert_eq!(fields(lines[1]), ("valid".into(), "ok".into()));
    assert!(lines[1].contains("bücher.de"), "{}", lines[1]);
    assert_eq!(fields(lines[2]), ("risky".into(), "disposable".into()));
    assert_eq!(fields(lines[3]), ("risky".into(), "possible_typo".into()));
    assert!(
        lines[3].contains("john@gmail.com"),
        "suggestion shown: {}",
        lines[3]
    );
    assert_eq!(
        fields(lines[4]),
        ("invalid".into(), "invalid_syntax".into())
    );
    assert!(lines[4].contains("a b@example.com"), "{}", lines[4]);
    assert!(lines[4].contains("local_invalid_character"), "{}", lines[4]);
}

/// The text output escapes control characters, so an address carrying a
/// line break (an argument, or a quoted CSV cell) still takes one line.
#[test]
fn text_output_stays_one_line_per_address_with_control_characters() {
    let t = TempDir::new("text_control");
    let csv = t.file(
        "l.csv",
        "name,email\nJo,\"jo\n@example.com\"\nAl,al@example.com\n",
    );
    let out = run(&[
        "check",
        "--offline",
        "--file",
        csv.to_str().unwrap(),
        "a\nb@example.com",
        "c\rd@example.com",
    ]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert_eq!(text.split('\n').count() - 1, 4, "{text:?}");
    assert!(!text.contains('\r'), "{text:?}");
}

// ------------------------------------------------------------ big inputs

/// `prebounce check --offline --file big.txt | head -1`: no panic, no error.
#[test]
fn closed_stdout_pipe_is_quiet() {
    let t = TempDir::new("broken_pipe");
    let mut content = String::new();
    for i in 0..200_000 {
        content.push_str(&format!("user{i}@example.com\n"));
    }
    let big = t.file("big.txt", content);
    for format in ["text", "json", "csv"] {
        let mut cmd = bin();
        cmd.args(["check", "--offline", "--file", big.to_str().unwrap()]);
        cmd.args(["--format", format]);
        // The header first in CSV.
        let lines = if format == "csv" { 2 } else { 1 };
        let (first, out) = pipe::read_then_close(&mut cmd, lines);
        assert!(first.contains("user0@example.com"), "{format}: {first:?}");
        let err = stderr(&out);
        assert!(err.is_empty(), "{format}: nothing on stderr: {err:?}");
        pipe::assert_quiet_exit(&out, format);
    }
}

#[test]
fn a_100k_line_file_gives_one_verdict_per_non_blank_line_in_order() {
    let t = TempDir::new("hundred_k");
    let mut content = Vec::new();
    let mut want = Vec::new();
    for i in 0..100_000u32 {
        let line = match i % 7 {
            0 => format!("User{i}@Example.COM"),
            1 => format!("user{i}@gmial.com"),
            2 => format!("bad {i}@example.com"),
            3 => format!("u{i}@bücher.de"),
            4 => format!("x{i}@mailinator.com"),
            5 => format!("no-at-{i}"),
            _ => format!("\"q {i}\"@example.com"),
        };
        content.extend_from_slice(line.as_bytes());
        content.extend_from_slice(if i % 2 == 0 { b"\r\n" } else { b"\n" });
        if i % 1000 == 0 {
            content.extend_from_slice(b"\n  \n");
        }
        want.push(line);
    }
    let big = t.file("big.txt", &content);
    let out = run(&[
        "check",
        "--offline",
        "--json",
        "--file",
        big.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    let vs = verdicts(&out);
    assert_eq!(vs.len(), 100_000);
    let got = inputs(&vs);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "line {i}");
    }
    let reasons = [
        "ok",
        "possible_typo",
        "invalid_syntax",
        "ok",
        "disposable",
        "invalid_syntax",
        "invalid_syntax",
    ];
    for (i, v) in vs.iter().enumerate() {
        assert_eq!(v["reason"], reasons[i % 7], "verdict {i}: {v}");
    }
}

#[test]
fn order_is_preserved_arguments_then_files_in_command_line_order() {
    let t = TempDir::new("order");
    let a = t.file("a.txt", "a1@example.com\n\na2@gmial.com\nbad a3\n");
    let b = t.file("b.csv", "email\nb1@example.com\nb2@mailinator.com\n");
    let out = run_with_stdin(
        &[
            "check",
            "--offline",
            "--json",
            "--file",
            b.to_str().unwrap(),
            "--file",
            "-",
            "--file",
            a.to_str().unwrap(),
            "z1@example.com",
            "z2@example.com",
        ],
        Some(b"s1@example.com\ns2@example.com\n"),
    );
    assert_exit(&out, 0);
    // Addresses given as arguments come first (documented by the code:
    // arguments, then each --file in order).
    assert_eq!(
        inputs(&verdicts(&out)),
        [
            "z1@example.com",
            "z2@example.com",
            "b1@example.com",
            "b2@mailinator.com",
            "s1@example.com",
            "s2@example.com",
            "a1@example.com",
            "a2@gmial.com",
            "bad a3",
        ]
    );
}
