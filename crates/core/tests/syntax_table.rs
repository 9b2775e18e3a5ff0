//! Table-driven address-syntax tests.
//!
//! The cases live in `tests/data/syntax_cases.tsv` (its header comment documents
//! the columns, the escapes and the `{repeat:TEXT:N}` macro). Each row is run
//! through `prebounce_core::check` at depth `syntax`; every mismatch is
//! collected and the test fails once at the end, listing them all with their
//! line numbers, so one run shows everything.

use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};

use prebounce_core::{check, Options, Reason, SyntaxErrorCode, Verdict};

const TABLE: &str = include_str!("data/syntax_cases.tsv");
const TABLE_PATH: &str = "crates/core/tests/data/syntax_cases.tsv";
const MIN_ROWS: usize = 200;

/// Codes a string input can never produce, so the table need not cover them.
const NOT_FROM_STRINGS: [SyntaxErrorCode; 2] = [
    SyntaxErrorCode::NotAString,
    SyntaxErrorCode::InvalidEncoding,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Valid,
    /// `None`: any code (`invalid:*`).
    Invalid(Option<SyntaxErrorCode>),
}

#[derive(Debug)]
struct Case {
    line: usize,
    /// The input column as written (escapes and macros not expanded).
    raw_input: String,
    input: String,
    options_text: String,
    options: Options,
    expect: Expect,
    address: Option<String>,
    source: String,
}

fn malformed(line: usize, why: impl std::fmt::Display) -> ! {
    panic!("{TABLE_PATH}:{line}: malformed row: {why}")
}

fn code_name(code: SyntaxErrorCode) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("SyntaxErrorCode {code:?} does not serialize to a string: {other:?}"),
    }
}

fn parse_code(name: &str, line: usize) -> SyntaxErrorCode {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .unwrap_or_else(|_| malformed(line, format_args!("unknown error code {name:?}")))
}

/// Expands `{repeat:TEXT:N}` (TEXT may not contain `}`; N is decimal).
fn expand_repeats(field: &str, line: usize) -> String {
    const OPEN: &str = "{repeat:";
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let end = after.find('}').unwrap_or_else(|| {
            malformed(line, format_args!("unclosed {{repeat:...}} in {field:?}"))
        });
        let body = &after[..end];
        let (text, count) = body
            .rsplit_once(':')
            .unwrap_or_else(|| malformed(line, format_args!("{{repeat:{body}}} needs TEXT:N")));
        let count: usize = count
            .parse()
            .unwrap_or_else(|_| malformed(line, format_args!("bad repeat count {count:?}")));
        if text.is_empty() {
            malformed(line, "empty repeat text");
        }
        out.push_str(&text.repeat(count));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Decodes `\t`, `\n`, `\r`, `\\` and `\u{XXXX}`; any other backslash sequence
/// is a malformed row.
fn decode_escapes(field: &str, line: usize) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                if chars.next() != Some('{') {
                    malformed(
                        line,
                        format_args!("\\u must be followed by {{XXXX}} in {field:?}"),
                    );
                }
                let mut hex = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(h) if h.is_ascii_hexdigit() && hex.len() < 6 => hex.push(h),
                        _ => malformed(line, format_args!("bad \\u{{...}} escape in {field:?}")),
                    }
                }
                let value = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or_else(|| {
                        malformed(line, format_args!("\\u{{{hex}}} is not a scalar value"))
                    });
                out.push(value);
            }
            other => malformed(
                line,
                format_args!(
                    "unknown escape \\{} in {field:?}",
                    other.map(String::from).unwrap_or_default()
                ),
            ),
        }
    }
    out
}

fn decode(field: &str, line: usize) -> String {
    decode_escapes(&expand_repeats(field, line), line)
}

fn parse_options(text: &str, line: usize) -> Options {
    let mut options = Options::default();
    if text == "-" {
        return options;
    }
    for item in text.split(',') {
        let item = item.trim();
        let (name, value) = match item.split_once('=') {
            None => (item, true),
            Some((name, "true")) => (name, true),
            Some((name, "false")) => (name, false),
            Some((_, v)) => malformed(line, format_args!("option value {v:?} is not true/false")),
        };
        if !options.set(name, value) {
            malformed(line, format_args!("unknown option {name:?}"));
        }
    }
    options
}

fn parse_expect(text: &str, line: usize) -> Expect {
    match text {
        "valid" => Expect::Valid,
        "invalid:*" => Expect::Invalid(None),
        _ => match text.strip_prefix("invalid:") {
            Some(name) => Expect::Invalid(Some(parse_code(name, line))),
            None => malformed(
                line,
                format_args!("expect {text:?} is not valid / invalid:CODE / invalid:*"),
            ),
        },
    }
}

fn load() -> Vec<Case> {
    let mut cases = Vec::new();
    for (index, raw_line) in TABLE.lines().enumerate() {
        let line = index + 1;
        let raw_line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        if raw_line.trim().is_empty() || raw_line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = raw_line.split('\t').collect();
        let &[input, options_text, expect, address, source] = fields.as_slice() else {
            malformed(
                line,
                format_args!("expected 5 tab-separated columns, found {}", fields.len()),
            );
        };
        let expect = parse_expect(expect, line);
        let address = match (expect, address) {
            (_, "-") => None,
            (Expect::Valid, a) => Some(decode(a, line)),
            (Expect::Invalid(_), a) => {
                malformed(line, format_args!("invalid row with an address {a:?}"))
            }
        };
        if source.trim().is_empty() {
            malformed(line, "empty source column");
        }
        cases.push(Case {
            line,
            raw_input: input.to_owned(),
            input: decode(input, line),
            options_text: options_text.to_owned(),
            options: parse_options(options_text, line),
            expect,
            address,
            source: source.to_owned(),
        });
    }
    cases
}

fn describe_expect(expect: Expect) -> String {
    match expect {
        Expect::Valid => "valid".to_owned(),
        Expect::Invalid(None) => "invalid:*".to_owned(),
        Expect::Invalid(Some(code)) => format!("invalid:{}", code_name(code)),
    }
}

fn describe_verdict(v: &Verdict) -> String {
    if v.reason == Reason::InvalidSyntax {
        match &v.error {
            Some(e) => format!("invalid:{} ({:?})", code_name(e.code), e.message),
            None => "invalid_syntax with error: null".to_owned(),
        }
    } else {
        format!(
            "valid (status {:?}, reason {:?}, address {:?})",
            v.status, v.reason, v.address
        )
    }
}

/// Runs one case; `Some(problem)` on a mismatch.
fn run(case: &Case) -> Option<String> {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&case.input, &case.options)));
    let verdict = match outcome {
        Ok(v) => v,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            return Some(format!("check panicked: {msg}"));
        }
    };
    let got = describe_verdict(&verdict);
    match case.expect {
        Expect::Valid => {
            if verdict.reason == Reason::InvalidSyntax {
                return Some(format!("got {got}"));
            }
            if let Some(want) = &case.address {
                if verdict.address.as_deref() != Some(want.as_str()) {
                    return Some(format!("address: want {want:?}, got {:?}", verdict.address));
                }
            }
            None
        }
        Expect::Invalid(want) => {
            if verdict.reason != Reason::InvalidSyntax {
                return Some(format!("got {got}"));
            }
            let Some(error) = &verdict.error else {
                return Some(format!("got {got}"));
            };
            match want {
                Some(code) if code != error.code => Some(format!("got {got}")),
                _ => None,
            }
        }
    }
}

#[test]
fn table_has_enough_rows() {
    let cases = load();
    assert!(
        cases.len() >= MIN_ROWS,
        "{TABLE_PATH} has {} rows; at least {MIN_ROWS} expected",
        cases.len()
    );
}

#[test]
fn table_covers_every_error_code() {
    let cases = load();
    let missing: Vec<String> = SyntaxErrorCode::ALL
        .iter()
        .filter(|code| !NOT_FROM_STRINGS.contains(code))
        .filter(|code| {
            !cases
                .iter()
                .any(|c| c.expect == Expect::Invalid(Some(**code)))
        })
        .map(|code| code_name(*code))
        .collect();
    assert!(
        missing.is_empty(),
        "{TABLE_PATH} has no row expecting: {}",
        missing.join(", ")
    );
}

#[test]
fn table_matches_check() {
    let cases = load();
    let mut report = String::new();
    let mut failures = 0;
    // `SYNTAX_TABLE_SHOW_WILDCARDS=1 cargo test ... -- --nocapture` prints what
    // `invalid:*` rows actually report, to help pin their codes later.
    if std::env::var_os("SYNTAX_TABLE_SHOW_WILDCARDS").is_some() {
        for case in cases.iter().filter(|c| c.expect == Expect::Invalid(None)) {
            if let Ok(v) =
                panic::catch_unwind(AssertUnwindSafe(|| check(&case.input, &case.options)))
            {
                eprintln!(
                    "line {}: {} [{}] -> {}",
                    case.line,
                    case.raw_input,
                    case.options_text,
                    describe_verdict(&v)
                );
            }
        }
    }
    for case in &cases {
        if let Some(problem) = run(case) {
            failures += 1;
            let _ = writeln!(
                report,
                "  line {}: {} ({} octets) options {} — expected {} — {} — source: {}",
                case.line,
                case.raw_input,
                case.input.len(),
                case.options_text,
                describe_expect(case.expect),
                problem,
                case.source,
            );
        }
    }
    assert!(
        failures == 0,
        "{failures} of {} rows in {TABLE_PATH} disagree with prebounce_core::check:\n{report}",
        cases.len()
    );
}
