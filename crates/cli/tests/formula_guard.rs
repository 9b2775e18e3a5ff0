//! The spreadsheet-formula guard of the CSV prebounce writes (core's
//! `list::guard_formula`, the one the list page's exports use):
//! `check --format csv` and `suppressions export`/`list --format csv` put a
//! `'` before a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return, unless `--no-formula-guard`; JSON is never guarded; `suppressions
//! import` takes the guard's `'` off again (core's `list::unguard_formula`),
//! so an export imports as it was.

#[path = "support/fake_smtp.rs"]
mod fake_smtp;
#[path = "support/tempdir.rs"]
mod tempdir;

use std::process::{Command, Output, Stdio};

use fake_smtp::{Action, FakeSmtp, Script};
use serde_json::Value;
use tempdir::TempDir;

/// A valid address a spreadsheet would run as a formula.
const FORMULA: &str = "=cmd|'/c+calc'!a0@example.com";
/// A valid address that really starts with `'`.
const QUOTED: &str = "'quoted'@example.com";

fn run(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_prebounce"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run prebounce");
    assert!(
        out.status.success(),
        "prebounce {args:?}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Standard output of a successful run.
fn run_out(args: &[&str]) -> Vec<u8> {
    run(args).stdout
}

/// A CSV text's header, then its rows, as written.
fn csv_rows(text: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text)
        .records()
        .map(|r| r.expect("CSV row").iter().map(str::to_owned).collect())
        .collect()
}

/// The cell of `column` in every row after the header.
fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}: {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

#[test]
fn check_csv_guards_inputs_and_addresses() {
    let args = ["check", "--offline", "--format", "csv", "--"];
    let plain = "ann@example.com";
    let bad = "=cmd|'/C calc'!A0@example.com"; // a space: not an address
    let rows = csv_rows(&run_out(
        &[&args[..], &[FORMULA, "-info@example.com", plain, bad]].concat(),
    ));
    assert_eq!(
        column(&rows, "input"),
        [
            format!("'{FORMULA}"),
            "'-info@example.com".into(),
            plain.into(),
            format!("'{bad}")
        ]
    );
    assert_eq!(
        column(&rows, "address"),
        [
            format!("'{FORMULA}"),
            "'-info@example.com".into(),
            plain.into(),
            String::new()
        ]
    );
    assert_eq!(column(&rows, "status")[..3], ["valid", "valid", "valid"]);

    // `--no-formula-guard`: as they are.
    let mut off = args.to_vec();
    off.insert(4, "--no-formula-guard");
    off.push(FORMULA);
    let rows = csv_rows(&run_out(&off));
    assert_eq!(column(&rows, "input"), [FORMULA]);
    assert_eq!(column(&rows, "address"), [FORMULA]);

    // JSON is data, never guarded.
    let out = run(&["check", "--offline", "--json", "--", FORMULA]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        (v["input"].as_str(), v["address"].as_str()),
        (Some(FORMULA), Some(FORMULA))
    );
}

#[test]
fn check_csv_guards_the_servers_reply_text() {
    let text = r#"=HYPERLINK("http://evil.example/","click")"#;
    let server =
        FakeSmtp::start(Script::new().rcpt(move |_| Action::reply(&format!("550 5.1.1 {text}"))));
    let mx = server.mx();
    let addr = "nobody@alpha.test";
    let args = [
        "check",
        "--format",
        "csv",
        "--mx",
        &mx,
        "--allow-special-use",
        "--timeout",
        "3s",
        "--connect-timeout",
        "1s",
    ];
    let rows = csv_rows(&run_out(&[&args[..], &[addr]].concat()));
    assert_eq!(column(&rows, "smtp_code"), ["550"]);
    assert_eq!(column(&rows, "smtp_reply"), [format!("'{text}")]);
    let rows = csv_rows(&run_out(
        &[&args[..], &["--no-formula-guard", addr]].concat(),
    ));
    assert_eq!(column(&rows, "smtp_reply"), [text]);
}

#[test]
fn suppressions_export_is_guarded_and_imports_back_as_it_was() {
    let dir = TempDir::new("formula-guard-round-trip");
    let db = dir.path("a.db");
    let db = db.to_str().unwrap();
    let input = dir.file(
        "in.csv",
        format!("address,source\n\"{FORMULA}\",=crm!A1\n{QUOTED},crm\n-info@example.com,crm\n"),
    );
    run(&[
        "suppressions",
        "--db",
        db,
        "import",
        input.to_str().unwrap(),
    ]);
    let listed = |db: &str| -> Vec<(String, String)> {
        let out = run(&["suppressions", "--db", db, "list", "--format", "json"]);
        let mut v: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("JSON line");
                (
                    v["address"].as_str().unwrap().into(),
                    v["source"].as_str().unwrap().into(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let stored = listed(db);
    // An unguarded file imports as written; a real leading `'` stays.
    assert_eq!(
        stored,
        [
            ("'quoted'@example.com".to_string(), "crm".to_string()),
            ("-info@example.com".into(), "crm".into()),
            (FORMULA.into(), "=crm!A1".into()),
        ]
    );

    // Export: guarded cells; `list --format csv` alike.
    let exported = dir.path("export.csv");
    run(&[
        "suppressions",
        "--db",
        db,
        "export",
        "-o",
        exported.to_str().unwrap(),
    ]);
    let rows = csv_rows(&std::fs::read(&exported).unwrap());
    let mut guarded = column(&rows, "address");
    guarded.sort();
    assert_eq!(
        guarded,
        [
            "'-info@example.com".to_string(),
            format!("'{FORMULA}"),
            QUOTED.into(),
        ]
    );
    let mut sources = column(&rows, "source");
    sources.sort();
    assert_eq!(sources, ["'=crm!A1", "crm", "crm"]);
    let listed_csv = run(&["suppressions", "--db", db, "list", "--format", "csv"]);
    let mut addresses = column(&csv_rows(&listed_csv.stdout), "address");
    addresses.sort();
    assert_eq!(addresses, guarded);
    let raw = run(&["suppressions", "--db", db, "export", "--no-formula-guard"]);
    let mut addresses = column(&csv_rows(&raw.stdout), "address");
    addresses.sort();
    assert_eq!(addresses, [QUOTED, "-info@example.com", FORMULA]);

    // Import the export into a fresh store: the same records.
    let fresh = dir.path("b.db");
    let fresh = fresh.to_str().unwrap();
    run(&[
        "suppressions",
        "--db",
        fresh,
        "import",
        exported.to_str().unwrap(),
    ]);
    assert_eq!(listed(fresh), stored);
}
