//! `prebounce verp encode|decode`: the real binary, its output and its exit
//! codes (docs/TRUST.md, "VERP return paths").

use std::process::{Command, Output};

#[path = "support/tempdir.rs"]
mod tempdir;
use tempdir::TempDir;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// `prebounce ARGS` with `PREBOUNCE_VERP_SECRET` set to `secret` (unset
/// when None).
fn run(secret: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prebounce"));
    cmd.args(args).env_remove("PREBOUNCE_VERP_SECRET");
    if let Some(s) = secret {
        cmd.env("PREBOUNCE_VERP_SECRET", s);
    }
    cmd.output().expect("run prebounce")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn encode(secret: &str, addresses: &[&str]) -> Output {
    let mut args = vec!["verp", "encode", "--domain", "bounces.example.com"];
    args.extend_from_slice(addresses);
    run(Some(secret), &args)
}

#[test]
fn encode_then_decode() {
    let o = encode(SECRET, &["Gone@Example.com", "a=b+c@bücher.de"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let paths: Vec<&str> = out.lines().collect();
    assert_eq!(paths.len(), 2, "{out}");
    assert!(paths[0].starts_with("prb+"), "{out}");
    assert!(
        paths[0].ends_with("-gone=example.com@bounces.example.com"),
        "{out}"
    );
    assert!(
        paths[1].ends_with("-a=b+c=xn--bcher-kva.de@bounces.example.com"),
        "{out}"
    );
    let o = run(
        Some(SECRET),
        &["verp", "decode", paths[0], &format!("<{}>", paths[1])],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "gone@example.com\na=b+c@xn--bcher-kva.de\n");
    // An MTA that upper-cased the whole path changes nothing.
    let o = run(Some(SECRET), &["verp", "decode", &paths[0].to_uppercase()]);
    assert_eq!(stdout(&o), "gone@example.com\n", "{}", stderr(&o));
}

#[test]
fn tampered_tag_exits_1() {
    let o = encode(SECRET, &["gone@example.com"]);
    let path = stdout(&o).trim().to_owned();
    let mut bytes = path.clone().into_bytes();
    bytes[5] = if bytes[5] == b'a' { b'b' } else { b'a' };
    let bad = String::from_utf8(bytes).unwrap();
    let o = run(Some(SECRET), &["verp", "decode", &bad, &path]);
    assert_eq!(o.status.code(), Some(1));
    // The good one is still printed.
    assert_eq!(stdout(&o), "gone@example.com\n");
    let err = stderr(&o);
    assert!(err.starts_with("prebounce verp: "), "{err}");
    assert!(err.contains("does not match"), "{err}");
    // Another secret's path, and no path at all.
    let other = "x".repeat(40);
    let o = run(
        Some(&other),
        &["verp", "decode", &path, "someone@example.com"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("not a prebounce VERP return path"), "{err}");
}

#[test]
fn addresses_that_cannot_be_encoded_exit_1_and_the_rest_print() {
    let long = format!("{}@example.com", "a".repeat(40));
    let o = encode(
        SECRET,
        &[
            "ok@example.com",
            &long,
            "\"x y\"@example.com",
            "nope",
            "b@example.com",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().all(|l| l.starts_with("prb+")), "{out}");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 3, "{err}");
    assert!(err.contains("local part of 67 octets"), "{err}");
    assert!(err.contains("prebounce sent"), "{err}");
    assert!(err.contains("quoted local part"), "{err}");
    assert!(err.contains("\"nope\" is not an address"), "{err}");
}

#[test]
fn short_or_missing_secret_exits_2() {
    let o = encode(&"k".repeat(31), &["gone@example.com"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.starts_with("prebounce verp: "), "{err}");
    assert!(err.contains("PREBOUNCE_VERP_SECRET has 31 bytes"), "{err}");
    assert!(err.contains("at least 32"), "{err}");
    let o = encode("", &["gone@example.com"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(
        None,
        &["verp", "decode", "prb+aaaaaaaaaa-a=b.example@c.example"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("no VERP secret"), "{err}");
    assert!(err.contains("--verp-secret-file"), "{err}");
    // No address, or no --domain: clap's usage errors.
    assert_eq!(
        run(Some(SECRET), &["verp", "encode", "--domain", "b.example"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(Some(SECRET), &["verp", "encode", "a@b.example"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(Some(SECRET), &["verp", "decode"]).status.code(),
        Some(2)
    );
}

#[test]
fn secret_file() {
    let dir = TempDir::new("verp-secret-file");
    let file = dir.file("secret", format!("{SECRET}\n"));
    let file = file.to_str().unwrap();
    // The file's secret (newline trimmed) is the env's secret.
    let from_env = stdout(&encode(SECRET, &["gone@example.com"]));
    let o = run(
        None,
        &[
            "verp",
            "encode",
            "--verp-secret-file",
            file,
            "--domain",
            "bounces.example.com",
            "gone@example.com",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), from_env);
    // Before the subcommand too; and the file wins over the environment.
    let o = run(
        Some("an environment secret that is long enough"),
        &[
            "verp",
            "--verp-secret-file",
            file,
            "decode",
            from_env.trim(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "gone@example.com\n");
    // Too short in a file.
    let short = dir.file("short", "short\n");
    let o = run(
        None,
        &[
            "verp",
            "decode",
            "--verp-secret-file",
            short.to_str().unwrap(),
            from_env.trim(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("has 5 bytes"), "{}", stderr(&o));
    // A file that cannot be read: a run-time error.
    let missing = dir.path("missing");
    let o = run(
        Some(SECRET),
        &[
            "verp",
            "decode",
            "--verp-secret-file",
            missing.to_str().unwrap(),
            from_env.trim(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--verp-secret-file"), "{}", stderr(&o));
}
