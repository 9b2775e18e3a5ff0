//! Property tests: no input panics any public verdict function, and the
//! contract's invariants hold for whatever comes in.
//!
//! Inputs: arbitrary strings and bytes, strings built from a grammar of
//! plausible email pieces (atoms, dots, quotes, brackets, IDN labels, `xn--`
//! junk, full-width forms, U+3002 and the other UTS #46 dots), a few very long
//! strings (up to ~300 KB), and every one of the 64 option combinations.
//!
//! Case counts are modest ([`CASES`] per property, fewer for the slow ones) so
//! the whole file runs in well under 20 s in a debug build; raise them for a
//! soak with `PROPTEST_CASES=100000 cargo test -p prebounce-core --test props
//! -- --skip long_inputs` (the variable sets every property's count, and the
//! 300 KB one takes about 50 ms a case).
//! Failure persistence is off (no `proptest-regressions/` files appear);
//! the minimal inputs of the bugs found so far are pinned as regression
//! tests at the end of this file.

use std::collections::BTreeSet;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use prebounce_core::address::{self, MAX_ADDRESS_OCTETS, MAX_LOCAL_OCTETS};
use prebounce_core::disposable::{Disposable, DisposableDataError, DisposableFilter};
use prebounce_core::domain::MAX_DOMAIN_OCTETS;
use prebounce_core::hash::domain_hash;
use prebounce_core::mx::{self, AddressAnswer, MxAnswer, MxDecision};
use prebounce_core::reply::{self, ReplyParser, MAX_LINE_KEPT, MAX_REPLY_BYTES, MAX_REPLY_LINES};
use prebounce_core::typo::{self, Suggestion};
use prebounce_core::{
    check, classify, Checker, Data, EnhancedCode, MxRecord, Options, Reason, Reply, Stage, Status,
    SyntaxErrorCode, Verdict,
};

/// Cases per property. proptest's own `PROPTEST_CASES` variable overrides
/// this for every property, the 300 KB one included.
const CASES: u32 = 512;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Some properties reject inputs (`prop_assume!`); never let that
        // abort a long run.
        max_global_rejects: 1_000_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const STAGES: [Stage; 6] = [
    Stage::Banner,
    Stage::Ehlo,
    Stage::MailFrom,
    Stage::RcptTo,
    Stage::Rset,
    Stage::Other,
];

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Every combination of the six options.
fn any_options() -> impl Strategy<Value = Options> {
    (0u8..64).prop_map(Options::from_bits)
}

/// Fragments that tend to break parsers: syntax characters, controls, marks,
/// bidi and format characters, mapped and full-width forms, IDN scripts.
#[rustfmt::skip]
const PIECES: &[&str] = &[
    "a", "Z", "0", "9", "john", "Doe", "info", "x", "-", "_", "+", "!", "#", "$", "%", "&", "'",
    "*", "/", "=", "?", "^", "`", "{", "|", "}", "~", ".", "..", "@", "@@", "\"", "\\", "\\\"",
    "(", ")", ",", ":", ";", "<", ">", "[", "]", " ", "\t", "\r", "\n", "\r\n", "\0", "\u{1}",
    "\u{1f}", "\u{7f}", "\u{85}", "\u{a0}", "\u{301}", "\u{308}", "\u{20dd}", "\u{200d}",
    "\u{200c}", "\u{200b}", "\u{200e}", "\u{200f}", "\u{202a}", "\u{202e}", "\u{2066}",
    "\u{2069}", "\u{61c}", "\u{feff}", "\u{ad}", "\u{34f}", "\u{180e}", "é", "e\u{301}", "ß", "ς",
    "İ", "ı", "ﬀ", "Ⅻ", "ǅ", "\u{212a}", "\u{2126}", "ｅ", "Ｅ", "＠", "．", "。", "｡", "－",
    "\u{3000}", "用户", "例子", "中国", "бюро", "пример", "ελ", "עברית", "العربية", "١٢٣",
    "۱۲۳", "हिन्दी", "क्", "ไทย", "🙂", "☃", "xn--", "xn--bcher-kva", "xn--a", "xn---",
    "XN--", "xn--zz", "xn--80ak6aa92e", "xn--ls8h", "com", "example", "gmail", "gmial", "con",
    "test", "localhost", "onion", "123", "co.uk", "IPv6:", "::1", "192.0.2.1", "\u{fdd0}",
    "\u{e000}", "\u{10ffff}", "\u{e0001}", "\u{fffd}", "\u{fffe}", "\u{1d400}", "\u{fe0f}",
    "\u{2060}", "\u{37e}", "\u{1fef}", "\u{2126}", "\u{212b}", "@\u{ad}", "@\u{200b}",
];

fn piece_soup() -> impl Strategy<Value = String> {
    vec(prop::sample::select(PIECES), 0..24).prop_map(|v| v.concat())
}

/// Strings with many `@` signs between short runs of anything.
fn at_heavy() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            3 => Just("@".to_owned()),
            1 => "[a-z.\"\\\\ ]{0,3}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

/// Lone or stacked combining marks, NUL, controls and bidi controls.
fn hostile_chars() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            Just('\0'),
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
            (0x7fu32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
            (0x300u32..0x370).prop_map(|c| char::from_u32(c).unwrap()),
            prop::sample::select(
                &[
                    '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
                    '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{61c}', '@',
                    '.', 'a', '\u{5d0}', '\u{627}', '\u{3002}',
                ][..]
            ),
        ],
        0..16,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,12}",
        2 => prop::sample::select(&[
            "用户", "josé", "jose\u{301}", "θσερ", "Ölçü", "ß", "ǅ", "İ", "ｊｏｈｎ", "\u{1d400}",
            "🙂", "क्", "a\u{200d}b", "\u{e000}", "\u{212a}", "\u{2126}", "\u{212b}", "\u{37e}",
            "\u{1fef}", "a\u{1fef}",
        ][..]).prop_map(str::to_owned),
        1 => "[a-z]{60,70}",
        1 => Just("info".to_owned()),
    ]
}

fn local_part() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => vec(atom(), 1..4).prop_map(|v| v.join(".")),
        1 => vec(atom(), 1..4).prop_map(|v| v.join("..")),
        1 => atom().prop_map(|a| format!(".{a}")),
        2 => "[ a-zA-Z0-9@.()<>,;:\\[\\]é用\u{1}\t]{0,20}".prop_map(|q| format!("\"{q}\"")),
        1 => "[ a-z\\\\\"]{0,12}".prop_map(|q| format!("\"{q}\"")),
        1 => Just(String::new()),
    ]
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?",
        2 => "[A-Za-z]{1,8}",
        3 => prop::sample::select(&[
            "bücher", "Bücher", "例子", "中国", "пример", "рф", "ελ", "עברית", "العربية",
            "ｅｘａｍｐｌｅ", "ＣＯＭ", "faß", "ς", "ǅ", "ﬀ", "Ⅻ", "١٢٣", "a١", "हिन्दी", "ไทย",
            "☃", "🙂", "a\u{200d}b", "\u{200c}", "\u{301}a", "e\u{301}", "a\u{ad}b", "gmail",
            "gmial", "yahoo", "mailinator", "xn--bcher-kva", "xn--80ak6aa92e", "XN--BCHER-KVA",
            "\u{ad}", "\u{200b}", "\u{feff}", "\u{fe0f}", "\u{34f}", "\u{2060}", "a\u{fe0f}",
            "ｘｎ－－ｂｃｈｅｒ－ｋｖａ", "\u{ad}\u{200b}",
        ][..]).prop_map(str::to_owned),
        2 => "xn--[a-z0-9-]{0,12}",
        1 => "[a-z]{60,66}",
        1 => "[0-9]{1,4}",
        1 => "-[a-z]{1,3}|[a-z]{1,3}-|[a-z]{2}--[a-z]{1,3}",
        1 => Just(String::new()),
    ]
}

fn tld() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&[
            "com", "de", "org", "net", "co.uk", "example", "test", "localhost", "local",
            "onion", "arpa", "invalid", "con", "cmo", "123", "中国", "рф", "ＣＯＭ", "xn--p1ai",
            "\u{ad}", "\u{200b}", "com\u{feff}", "ＴＥＳＴ", "ｔｅｓｔ",
        ][..]).prop_map(str::to_owned),
        1 => label(),
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        12 => Just("."),
        1 => Just("\u{3002}"),
        1 => Just("\u{ff0e}"),
        1 => Just("\u{ff61}"),
        1 => Just(".."),
    ]
}

fn domain_part() -> impl Strategy<Value = String> {
    let named = (
        vec((label(), separator()), 0..4),
        tld(),
        prop_oneof![8 => Just(""), 1 => Just("."), 1 => Just("\u{3002}")],
    )
        .prop_map(|(labels, tld, trailing)| {
            let mut d = String::new();
            for (l, s) in labels {
                d.push_str(&l);
                d.push_str(s);
            }
            d.push_str(&tld);
            d.push_str(trailing);
            d
        });
    let literal = prop_oneof![
        "(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}",
        "[0-9.]{0,16}",
        "(IPv6|ipv6|IPV6):[0-9a-fA-F:.]{0,40}",
        "[0-9a-f:]{0,20}",
    ]
    .prop_map(|inner| format!("[{inner}]"));
    prop_oneof![8 => named, 1 => literal, 1 => Just(String::new())]
}

/// Plausible addresses, right or slightly wrong.
fn grammar_address() -> impl Strategy<Value = String> {
    (
        prop_oneof![6 => Just(""), 1 => Just(" "), 1 => Just("\t"), 1 => Just("\u{3000}")],
        local_part(),
        prop_oneof![12 => Just("@"), 1 => Just("＠"), 1 => Just("@@"), 1 => Just("")],
        domain_part(),
        prop_oneof![6 => Just(""), 1 => Just(" \r\n"), 1 => Just("\u{a0}")],
        prop_oneof![12 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(lead, local, at, domain, trail, display)| {
            let a = format!("{lead}{local}{at}{domain}{trail}");
            if display {
                format!("Name <{a}>")
            } else {
                a
            }
        })
}

/// Every kind of string input.
fn any_input() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        3 => piece_soup(),
        1 => at_heavy(),
        1 => hostile_chars(),
        6 => grammar_address(),
    ]
}

// ---------------------------------------------------------------------------
// Verdict invariants
// ---------------------------------------------------------------------------

fn is_literal(domain: &str) -> bool {
    domain.starts_with('[')
}

/// The invariants of one depth-`syntax` verdict; recurses once into the
/// normalized forms (idempotence) when `recheck` is set.
fn verdict_props(input: &str, o: &Options, recheck: bool) -> Result<Verdict, TestCaseError> {
    let checker = Checker::new(*o);
    let v = checker.verdict(input);
    prop_assert_eq!(&v, &check(input, o), "check and Checker::verdict differ");
    let a = checker.assess(input);
    prop_assert_eq!(
        (a.reason, a.flags, a.error),
        (v.reason, v.flags, v.error.as_ref().map(|e| e.code)),
        "assess disagrees with verdict"
    );
    prop_assert_eq!(a.suggestion.is_some(), v.suggestion.is_some());
    prop_assert_eq!(&v.input, input);
    prop_assert_eq!(v.status, v.reason.status());
    prop_assert_eq!(a.status(), v.status);
    prop_assert_eq!(v.message.is_some(), v.status != Status::Valid);
    prop_assert_eq!(v.error.is_some(), v.reason == Reason::InvalidSyntax);
    if let Some(e) = &v.error {
        prop_assert_eq!(v.message.as_deref(), Some(e.message.as_str()));
        prop_assert_eq!(e.message.as_str(), e.code.message());
        prop_assert!(
            e.code != SyntaxErrorCode::NotAString && e.code != SyntaxErrorCode::InvalidEncoding,
            "a string produced {:?}",
            e.code
        );
    }
    // Syntax-depth verdicts carry nothing from deeper checks.
    prop_assert!(v.dns.is_none() && v.smtp.is_none() && v.retry_after.is_none());
    prop_assert!(v.suppression.is_none());
    prop_assert!(matches!(
        v.reason,
        Reason::InvalidSyntax
            | Reason::Disposable
            | Reason::PossibleTypo
            | Reason::RoleAccount
            | Reason::Ok
    ));
    if v.reason == Reason::RoleAccount {
        prop_assert!(o.role_is_risky && v.flags.role);
    }

    let parsed = address::parse(input, o);
    prop_assert_eq!(parsed.is_ok(), v.reason != Reason::InvalidSyntax);
    if let Err(code) = parsed {
        prop_assert_eq!(Some(code), v.error.as_ref().map(|e| e.code));
    }

    let fields = [
        &v.address,
        &v.address_unicode,
        &v.local,
        &v.domain,
        &v.domain_unicode,
    ];
    if v.reason == Reason::InvalidSyntax {
        prop_assert!(
            fields.iter().all(|f| f.is_none()),
            "invalid with address fields"
        );
    } else {
        prop_assert!(
            fields.iter().all(|f| f.is_some()),
            "valid without address fields"
        );
        let address = v.address.as_deref().unwrap();
        let local = v.local.as_deref().unwrap();
        let domain = v.domain.as_deref().unwrap();
        prop_assert_eq!(address, format!("{local}@{domain}"));
        prop_assert_eq!(
            v.address_unicode.as_deref().unwrap(),
            format!("{local}@{}", v.domain_unicode.as_deref().unwrap())
        );
        prop_assert!(
            !local.is_empty() && local.len() <= MAX_LOCAL_OCTETS,
            "local {local:?}"
        );
        prop_assert!(address.len() <= MAX_ADDRESS_OCTETS, "address {address:?}");
        prop_assert!(domain.is_ascii(), "domain {domain:?}");
        prop_assert!(domain.len() <= MAX_DOMAIN_OCTETS, "domain {domain:?}");
        if is_literal(domain) {
            prop_assert!(o.allow_domain_literal);
            prop_assert_eq!(v.domain_unicode.as_deref(), Some(domain));
        } else {
            prop_assert!(
                !domain.bytes().any(|b| b.is_ascii_uppercase()),
                "domain {:?} is not lower case",
                domain
            );
            prop_assert!(domain.contains('.') || o.allow_single_label);
            prop_assert!(!domain.ends_with('.') && !domain.starts_with('.'));
        }
        prop_assert_eq!(v.flags.smtputf8, !local.is_ascii());
        prop_assert!(o.allow_smtputf8 || local.is_ascii());
        prop_assert!(o.allow_quoted_local || !local.starts_with('"'));

        if recheck {
            // Idempotent normalization: the normalized address, and its
            // Unicode form, check to the same address and verdict.
            for again_input in [address, v.address_unicode.as_deref().unwrap()] {
                let again = verdict_props(again_input, o, false)?;
                prop_assert_eq!(
                    again.address.as_deref(),
                    Some(address),
                    "re-checking {:?} (from {:?}) changed the address",
                    again_input,
                    input
                );
                prop_assert_eq!(
                    (again.reason, again.flags, &again.domain_unicode),
                    (v.reason, v.flags, &v.domain_unicode),
                    "re-checking {:?} changed the verdict",
                    again_input
                );
            }
        }
    }

    if let Some(s) = &v.suggestion {
        prop_assert!(matches!(
            v.reason,
            Reason::PossibleTypo | Reason::InvalidSyntax
        ));
        let sv = check(s, o);
        prop_assert!(
            sv.reason != Reason::InvalidSyntax,
            "suggestion {:?} for {:?} is not a valid address: {:?}",
            s,
            input,
            sv.error
        );
        prop_assert!(
            sv.suggestion.is_none(),
            "suggestion {s:?} has its own suggestion"
        );
    }
    if v.reason == Reason::PossibleTypo {
        prop_assert!(v.suggestion.is_some());
    }

    let json = serde_json::to_string(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: Verdict =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, &v, "JSON round trip changed the verdict: {}", json);
    Ok(v)
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn verdicts_hold_their_invariants(s in any_input(), o in any_options()) {
        verdict_props(&s, &o, true)?;
    }

    #[test]
    fn plausible_addresses_hold_their_invariants(s in grammar_address(), o in any_options()) {
        verdict_props(&s, &o, true)?;
    }

    #[test]
    fn parse_never_panics(s in any_input(), o in any_options()) {
        if let Ok(m) = address::parse(&s, &o) {
            prop_assert!(m.address().len() <= MAX_ADDRESS_OCTETS);
            prop_assert_eq!(m.quoted, m.local.starts_with('"'));
            prop_assert_eq!(m.domain.is_literal(), m.domain.ascii().starts_with('['));
            prop_assert_eq!(m.domain.is_idn(), m.domain.ascii().split('.').any(|l| l.starts_with("xn--")));
        }
    }

    #[test]
    fn role_lookup_is_case_and_subaddress_blind(s in "[a-zA-Z0-9._-]{0,30}", tag in "[a-z0-9+]{0,8}") {
        let data = Data::builtin();
        let r = data.is_role(&s);
        prop_assert_eq!(r, data.is_role(&s.to_ascii_uppercase()));
        prop_assert_eq!(r, data.is_role(&s.to_ascii_lowercase()));
        prop_assert_eq!(r, data.is_role(&format!("{s}+{tag}")));
    }

    #[test]
    fn role_lookup_never_panics(s in any_input()) {
        let _ = Data::builtin().is_role(&s);
    }
}

proptest! {
    // 300 KB inputs take a while in a debug build: a few cases only.
    #![proptest_config(config(6))]

    #[test]
    fn long_inputs_do_not_panic(
        unit in prop_oneof![piece_soup(), grammar_address(), Just("a".to_owned()), Just("é".to_owned()), Just("\u{301}".to_owned()), Just("@".to_owned())],
        len in 1_000usize..300_000,
        shape in 0u8..4,
        o in any_options(),
    ) {
        let unit = if unit.is_empty() { "x".to_owned() } else { unit };
        let body = unit.repeat(len / unit.len() + 1);
        let mut end = len.min(body.len());
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let body = &body[..end];
        let s = match shape {
            0 => body.to_owned(),
            1 => format!("{body}@example.com"),
            2 => format!("john@{body}.com"),
            _ => format!("\"{body}\"@[{body}]"),
        };
        let v = verdict_props(&s, &o, true)?;
        // Nothing this long is a valid address.
        prop_assert_eq!(v.reason, Reason::InvalidSyntax);
        let _ = typo::suggest(&s);
        let _ = Data::builtin().is_role(&s);
    }
}

// ---------------------------------------------------------------------------
// SMTP replies
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const REPLY_PIECES: &[&[u8]] = &[
    b"250", b"550", b"421", b"450", b"452", b"554", b"521", b"220", b"354", b"199", b"600", b"099",
    b"5.1.1", b"5.2.1", b"5.2.2", b"4.2.2", b"5.7.1", b"5.1.7", b"2.0.0", b"5.999.999",
    b"5.1000.1", b"9.1.1", b"4.7.0", b"-", b" ", b"  ", b"\t", b"\r\n", b"\n", b"\r", b"\0",
    b"user unknown", b"no such user", b"mailbox full", b"over quota", b"disabled",
    b"account suspended", b"try again in 5 minutes", b"retry in 999999999 days",
    b"come back in 00:05:00", b"99:99:99", b"greylisted", b"rate limit", b"spamhaus",
    b"blocked", b"policy", b"Access denied", b"mailbox unavailable", b"\xff", b"\xc3",
    b"\xe2\x80\x99", b"\xef\xbb\xbf", b"\xc4\xb0", b"SMTP", b"ok",
];

fn reply_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => vec(any::<u8>(), 0..300),
        5 => vec(prop::sample::select(REPLY_PIECES), 0..30).prop_map(|v| v.concat()),
        3 => reply_like().prop_map(|(bytes, _)| bytes),
        1 => (prop::sample::select(&[b"250 ", b"250-", b"550 "][..]), 3_000usize..6_000, any::<u8>())
            .prop_map(|(head, n, b)| {
                let mut v = head.to_vec();
                v.extend(std::iter::repeat_n(if b == b'\n' { b'x' } else { b }, n));
                v.extend_from_slice(b"\r\n");
                v
            }),
    ]
}

/// Text for a reply line: printable, no leading or trailing blanks, not
/// starting with something that reads as an enhanced code.
fn reply_text() -> impl Strategy<Value = String> {
    "([A-Za-z<>@.,;:!()é][A-Za-z0-9<>@.,;:!()é ]{0,40}[A-Za-z0-9.])?"
}

fn enhanced_code() -> impl Strategy<Value = Option<EnhancedCode>> {
    prop_oneof![
        1 => Just(None),
        3 => (prop::sample::select(&[2u8, 4, 5][..]), 0u16..1000, 0u16..1000)
            .prop_map(|(c, s, d)| EnhancedCode::new(c, s, d)),
    ]
}

/// A well-formed reply and what it should parse to.
fn reply_like() -> impl Strategy<Value = (Vec<u8>, Reply)> {
    (
        100u16..600,
        enhanced_code(),
        vec(reply_text(), 1..6),
        prop::sample::select(&["\r\n", "\n", ""][..]),
        any::<bool>(),
    )
        .prop_map(|(code, enhanced, lines, eol, on_every_line)| {
            let mut bytes = Vec::new();
            let n = lines.len();
            for (i, text) in lines.iter().enumerate() {
                let sep = if i + 1 == n { ' ' } else { '-' };
                let mut line = format!("{code}{sep}");
                if let Some(e) = enhanced {
                    if on_every_line || i == 0 {
                        line.push_str(&e.to_string());
                        if !text.is_empty() {
                            line.push(' ');
                        }
                    }
                }
                line.push_str(text);
                let line = line.trim_end().to_owned();
                bytes.extend_from_slice(line.as_bytes());
                // The final line's end is optional.
                bytes.extend_from_slice(if i + 1 == n { eol } else { "\r\n" }.as_bytes());
            }
            let reply = Reply {
                code,
                enhanced,
                lines,
            };
            (bytes, reply)
        })
}

fn reply_props(r: &Reply) -> Result<(), TestCaseError> {
    prop_assert!((100..600).contains(&r.code), "code {}", r.code);
    prop_assert!(!r.lines.is_empty() && r.lines.len() <= MAX_REPLY_LINES);
    for l in &r.lines {
        prop_assert!(l.len() <= MAX_LINE_KEPT - 4, "line of {} bytes", l.len());
        prop_assert!(!l.contains('\n'));
        prop_assert!(
            !l.ends_with([' ', '\t', '\r']),
            "line {l:?} keeps trailing blanks"
        );
    }
    if let Some(e) = r.enhanced {
        prop_assert!(matches!(e.class, 2 | 4 | 5) && e.subject <= 999 && e.detail <= 999);
        prop_assert_eq!(EnhancedCode::parse(&e.to_string()), Ok(e));
    }
    for stage in STAGES {
        classification_props(stage, r)?;
    }
    Ok(())
}

fn classification_props(stage: Stage, r: &Reply) -> Result<(), TestCaseError> {
    let c = classify(stage, r);
    prop_assert_eq!(
        c.retry_after.is_some(),
        c.reason == Reason::TemporaryFailure,
        "{:?} {:?}: {:?}",
        stage,
        r,
        c
    );
    if let Some(secs) = c.retry_after {
        prop_assert!(
            (1..=reply::MAX_RETRY_AFTER_SECS).contains(&secs),
            "retry_after {secs}"
        );
    }
    prop_assert!(
        matches!(
            c.reason,
            Reason::Ok
                | Reason::TemporaryFailure
                | Reason::SmtpUnavailable
                | Reason::Blocked
                | Reason::Rejected
                | Reason::MailboxFull
                | Reason::MailboxDisabled
                | Reason::DoesNotExist
        ),
        "{:?} {:?}: {:?}",
        stage,
        r,
        c
    );
    if stage != Stage::RcptTo {
        prop_assert!(
            !matches!(
                c.reason,
                Reason::MailboxFull | Reason::MailboxDisabled | Reason::DoesNotExist
            ),
            "a mailbox reason outside RCPT TO: {:?} {:?}: {:?}",
            stage,
            r,
            c
        );
    }
    match r.code {
        421 => prop_assert_eq!(c.reason, Reason::TemporaryFailure),
        200..=299 => prop_assert_eq!(c.reason, Reason::Ok),
        400..=499 => prop_assert!(c.reason.status() != Status::Invalid, "4xx gave {c:?}"),
        500..=599 => {
            prop_assert!(c.reason != Reason::Ok);
            if matches!(stage, Stage::Ehlo | Stage::MailFrom) {
                prop_assert_eq!(c.reason, Reason::Blocked);
            }
        }
        _ => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn reply_parse_never_panics(bytes in reply_bytes()) {
        if let Ok(r) = Reply::parse(&bytes) {
            reply_props(&r)?;
            let _ = r.text();
        }
    }

    #[test]
    fn well_formed_replies_parse_back((bytes, want) in reply_like()) {
        let got = Reply::parse(&bytes);
        prop_assert_eq!(got.as_ref(), Ok(&want), "{:?}", String::from_utf8_lossy(&bytes));
        reply_props(&want)?;
    }

    #[test]
    fn lf_and_crlf_parse_alike(bytes in reply_bytes()) {
        let lf: Vec<u8> = bytes.iter().copied().filter(|&b| b != b'\r').collect();
        let mut crlf = Vec::with_capacity(lf.len() * 2);
        for &b in &lf {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        prop_assume!(crlf.len() <= MAX_REPLY_BYTES);
        prop_assert_eq!(Reply::parse(&lf), Reply::parse(&crlf));
    }

    #[test]
    fn line_parser_never_panics(bytes in reply_bytes(), chunked in any::<bool>()) {
        let mut parser = ReplyParser::new();
        let mut replies = 0;
        let lines: Vec<&[u8]> = if chunked {
            bytes.split_inclusive(|&b| b == b'\n').collect()
        } else {
            // Lines handed over without their line ends.
            bytes.split(|&b| b == b'\n').collect()
        };
        for line in lines {
            match parser.push_line(line) {
                Ok(Some(r)) => {
                    replies += 1;
                    reply_props(&r)?;
                    prop_assert!(!parser.in_progress());
                }
                Ok(None) => prop_assert!(parser.in_progress()),
                Err(_) => prop_assert!(!parser.in_progress()),
            }
        }
        // Whole-reply parsing agrees with the first reply of the line parser.
        if let Ok(r) = Reply::parse(&bytes) {
            let mut p = ReplyParser::new();
            let first = bytes
                .split_inclusive(|&b| b == b'\n')
                .find_map(|l| p.push_line(l).ok().flatten());
            prop_assert_eq!(first.as_ref(), Some(&r));
            prop_assert!(replies >= 1 || !chunked);
        }
    }

    #[test]
    fn classify_never_panics(
        code in prop_oneof![3 => 100u16..600, 1 => any::<u16>()],
        enhanced in enhanced_code(),
        lines in vec(prop_oneof![
            3 => vec(prop::sample::select(REPLY_PIECES), 0..8)
                .prop_map(|v| String::from_utf8_lossy(&v.concat()).into_owned()),
            1 => any::<String>(),
            1 => "[0-9 :smhdayin]{0,30}".prop_map(|s| format!("try again in {s}")),
        ], 0..4),
    ) {
        let r = Reply { code, enhanced, lines };
        for stage in STAGES {
            if (100..600).contains(&code) && !r.lines.is_empty() {
                classification_props(stage, &r)?;
            } else {
                let _ = classify(stage, &r);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// MX planning
// ---------------------------------------------------------------------------

fn exchange() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9]{1,6}(\\.[a-z0-9-_]{1,6}){0,3}\\.?",
        1 => prop::sample::select(&[
            ".", "", " ", "..", "a..b", "MX1.Example.COM.", "mx1.example.com", "192.0.2.1",
            "[192.0.2.1]", "ipv6:::1", "[IPv6:2001:db8::1]", "2001:db8::1", "1.2.3.4.",
            "mx.123", "-mx.example", "mx_.example", " mx.example.com ", "mx.example.com..",
            "bücher.de", "xn--bcher-kva.de",
        ][..]).prop_map(str::to_owned),
        1 => "[a-z]{60,70}\\.com",
        1 => any::<String>(),
    ]
}

fn records() -> impl Strategy<Value = Vec<MxRecord>> {
    vec(
        (prop_oneof![3 => 0u16..4, 1 => any::<u16>()], exchange()).prop_map(
            |(preference, exchange)| MxRecord {
                preference,
                exchange,
            },
        ),
        0..10,
    )
}

fn mx_answer() -> impl Strategy<Value = MxAnswer> {
    let ttl = proptest::option::of(any::<u32>());
    prop_oneof![
        6 => (records(), ttl.clone()).prop_map(|(records, ttl)| MxAnswer::Records { records, ttl }),
        1 => ttl.clone().prop_map(|ttl| MxAnswer::NoRecords { ttl }),
        1 => ttl.prop_map(|ttl| MxAnswer::NxDomain { ttl }),
        1 => any::<String>().prop_map(MxAnswer::Failed),
    ]
}

fn address_answer() -> impl Strategy<Value = AddressAnswer> {
    let ttl = proptest::option::of(any::<u32>());
    prop_oneof![
        ttl.clone().prop_map(|ttl| AddressAnswer::Found { ttl }),
        ttl.clone().prop_map(|ttl| AddressAnswer::NoRecords { ttl }),
        ttl.prop_map(|ttl| AddressAnswer::NxDomain { ttl }),
        any::<String>().prop_map(AddressAnswer::Failed),
    ]
}

fn mx_domain() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9]{1,8}\\.[a-z]{2,4}\\.?",
        1 => "[A-Z]{1,8}\\.COM",
        1 => any::<String>(),
    ]
}

fn plan_props(domain: &str, answer: &MxAnswer, decision: &MxDecision) -> Result<(), TestCaseError> {
    match decision {
        MxDecision::Plan(p) => {
            prop_assert!(!p.hosts.is_empty());
            prop_assert!(!p.implicit);
            prop_assert!(p
                .hosts
                .windows(2)
                .all(|w| w[0].preference <= w[1].preference));
            let names: BTreeSet<&str> = p.hosts.iter().map(|h| h.exchange.as_str()).collect();
            prop_assert_eq!(names.len(), p.hosts.len(), "a host is listed twice");
            for h in &p.hosts {
                let e = &h.exchange;
                prop_assert!(
                    !e.is_empty() && !e.ends_with('.') && e.len() <= 253,
                    "{e:?}"
                );
                prop_assert!(
                    e.is_ascii() && !e.bytes().any(|b| b.is_ascii_uppercase()),
                    "{e:?}"
                );
                prop_assert!(
                    e.parse::<std::net::IpAddr>().is_err(),
                    "an IP literal host {e:?}"
                );
            }
            if let MxAnswer::Records { records, ttl } = answer {
                prop_assert_eq!(p.ttl, *ttl);
                prop_assert!(p.hosts.len() + p.skipped.len() <= records.len());
                // Each host keeps the lowest preference any record gave it.
                for h in &p.hosts {
                    let lowest = records
                        .iter()
                        .filter(|r| {
                            let n = r.exchange.trim_matches(|c: char| c.is_ascii_whitespace());
                            n.strip_suffix('.')
                                .unwrap_or(n)
                                .eq_ignore_ascii_case(&h.exchange)
                        })
                        .map(|r| r.preference)
                        .min();
                    prop_assert_eq!(lowest, Some(h.preference), "{:?}", h);
                }
            }
            let dns = p.dns_info();
            prop_assert_eq!(&dns.mx, &p.hosts);
            prop_assert!(!dns.null_mx);
        }
        MxDecision::Fail(f) => {
            prop_assert!(matches!(
                f.reason,
                Reason::NullMx | Reason::NoMailServer | Reason::NoSuchDomain | Reason::DnsError
            ));
            prop_assert_eq!(f.dns.is_none(), f.reason == Reason::DnsError);
            if let Some(dns) = &f.dns {
                prop_assert!(dns.mx.is_empty());
                prop_assert_eq!(dns.null_mx, f.reason == Reason::NullMx);
            }
            prop_assert!(!f.detail.is_empty());
        }
        MxDecision::NeedAddressLookup(l) => {
            let no_mx = matches!(
                answer,
                MxAnswer::NoRecords { .. } | MxAnswer::Records { .. }
            );
            prop_assert!(no_mx, "address lookup after {:?}", answer);
            if let MxAnswer::Records { records, .. } = answer {
                prop_assert!(records.is_empty());
            }
            prop_assert!(!l.domain().ends_with('.') || domain.ends_with(".."));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn mx_plan_never_panics(
        domain in mx_domain(),
        answer in mx_answer(),
        seed in any::<u64>(),
        then in address_answer(),
    ) {
        let decision = mx::plan(&domain, answer.clone(), seed);
        plan_props(&domain, &answer, &decision)?;
        // Deterministic.
        prop_assert_eq!(&decision, &mx::plan(&domain, answer.clone(), seed));
        if let MxDecision::NeedAddressLookup(l) = decision {
            let via_plan = l.clone().finish(then.clone());
            // plan_implicit knows no MX TTL; otherwise the two agree.
            let direct = mx::plan_implicit(&domain, then.clone());
            prop_assert_eq!(
                via_plan.as_ref().map(|p| (&p.hosts, p.implicit)).map_err(|f| f.reason),
                direct.as_ref().map(|p| (&p.hosts, p.implicit)).map_err(|f| f.reason)
            );
            match via_plan {
                Ok(p) => {
                    prop_assert!(p.implicit && p.hosts.len() == 1 && p.hosts[0].preference == 0);
                    prop_assert_eq!(p.hosts[0].exchange.as_str(), l.domain());
                    prop_assert!(p.dns_info().implicit_mx);
                }
                Err(f) => prop_assert!(matches!(
                    f.reason,
                    Reason::NoMailServer | Reason::NoSuchDomain | Reason::DnsError
                )),
            }
        }
        let _ = mx::domain_seed(&domain);
    }

    /// DESIGN: the order depends only on the record set and the seed, never
    /// on the order a resolver returned.
    #[test]
    fn mx_plan_ignores_record_order(
        domain in mx_domain(),
        recs in records(),
        ttl in proptest::option::of(any::<u32>()),
        seed in any::<u64>(),
        shuffle_seed in any::<u64>(),
    ) {
        let mut shuffled = recs.clone();
        // A simple deterministic shuffle.
        let mut state = shuffle_seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = mx::plan(&domain, MxAnswer::Records { records: recs.clone(), ttl }, seed);
        let b = mx::plan(&domain, MxAnswer::Records { records: shuffled.clone(), ttl }, seed);
        prop_assert_eq!(&a, &b, "records {:?} vs {:?}", recs, shuffled);
    }
}

// ---------------------------------------------------------------------------
// Typos
// ---------------------------------------------------------------------------

/// A target with one random edit.
fn near_target() -> impl Strategy<Value = String> {
    (
        prop::sample::select(typo::TARGETS),
        0u8..4,
        any::<prop::sample::Index>(),
        prop::sample::select(&b"abcdefghijklmnopqrstuvwxyz0123456789.-"[..]),
    )
        .prop_map(|(t, op, at, c)| {
            let mut b = t.as_bytes().to_vec();
            let i = at.index(b.len());
            match op {
                0 => b[i] = c,
                1 => b.insert(i, c),
                2 => {
                    b.remove(i);
                }
                _ if i + 1 < b.len() => b.swap(i, i + 1),
                _ => {}
            }
            String::from_utf8(b).unwrap()
        })
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn typo_suggestions_are_sane(d in prop_oneof![near_target(), any_input(), "[a-z]{1,10}\\.(con|cmo|nte|ogr|com|c0m)"]) {
        if let Some(s) = typo::suggest(&d) {
            let fixed = s.apply(&d);
            prop_assert_ne!(&fixed, &d);
            if let Suggestion::Domain(t) = s {
                prop_assert!(typo::TARGETS.contains(&t));
                prop_assert!(d.len().abs_diff(t.len()) <= 1);
            }
        }
        if let Some(s) = typo::suggest_dotless(&d) {
            prop_assert!(matches!(s, Suggestion::Domain(t) if typo::TARGETS.contains(&t)));
            prop_assert!(!d.contains('.'));
        }
        // The whole address path: a suggested address is valid and fixes the domain only.
        let input = format!("someone@{d}");
        let v = check(&input, &Options::default());
        if let Some(s) = &v.suggestion {
            prop_assert!(s.starts_with("someone@"));
            prop_assert_ne!(check(s, &Options::default()).reason, Reason::InvalidSyntax);
        }
    }
}

#[test]
fn targets_are_never_corrected() {
    for t in typo::TARGETS {
        let v = check(&format!("someone@{t}"), &Options::default());
        assert_eq!(v.suggestion, None, "{t}");
        assert_ne!(v.reason, Reason::PossibleTypo, "{t}");
    }
}

// ---------------------------------------------------------------------------
// The disposable filter file
// ---------------------------------------------------------------------------

const HEADER_LEN: usize = 36;

/// A filter file with the given header fields and fingerprints, and a
/// correct checksum, so the descriptor checks are what decide.
fn craft_filter(
    domains: u32,
    seed: u64,
    segment_length: u32,
    mask: u32,
    segment_count_length: u32,
    fingerprints: &[u16],
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"PBDF");
    out.extend_from_slice(&[1, 1, 0, 0]);
    out.extend_from_slice(&domains.to_le_bytes());
    out.extend_from_slice(&seed.to_le_bytes());
    out.extend_from_slice(&segment_length.to_le_bytes());
    out.extend_from_slice(&mask.to_le_bytes());
    out.extend_from_slice(&segment_count_length.to_le_bytes());
    out.extend_from_slice(&(fingerprints.len() as u32).to_le_bytes());
    assert_eq!(out.len(), HEADER_LEN);
    for f in fingerprints {
        out.extend_from_slice(&f.to_le_bytes());
    }
    fix_checksum(&mut out, false);
    out
}

/// Appends (or, with `replace`, rewrites) the trailing XXH3 checksum.
fn fix_checksum(bytes: &mut Vec<u8>, replace: bool) {
    if replace {
        let n = bytes.len().saturating_sub(8);
        bytes.truncate(n);
    }
    let sum = xxhash_rust::xxh3::xxh3_64(bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
}

/// Looks up many keys and domains in a filter the reader accepted.
fn exercise_filter(f: DisposableFilter, keys: &[u64]) {
    let _ = f.domain_count();
    for &k in keys {
        let _ = f.contains_hash(k);
    }
    let _ = f.to_bytes();
    let mut d = Disposable::new();
    d.set_full(f);
    for domain in ["a.example.com", "mailinator.com", "x.y.z.w.example", "com"] {
        let _ = d.lookup(domain);
    }
}

fn small_domains() -> impl Strategy<Value = Vec<String>> {
    vec("[a-z0-9]{1,10}\\.(com|net|org|de)", 0..40)
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn filter_reader_never_panics_on_junk(
        bytes in prop_oneof![
            vec(any::<u8>(), 0..200),
            vec(any::<u8>(), 0..200).prop_map(|v| [b"PBDF\x01\x01\0\0".to_vec(), v].concat()),
        ],
        keys in vec(any::<u64>(), 0..32),
    ) {
        if let Ok(f) = DisposableFilter::from_bytes(&bytes) {
            exercise_filter(f, &keys);
        }
    }

    #[test]
    fn filter_round_trips(domains in small_domains()) {
        let f = DisposableFilter::build(domains.iter().map(String::as_str))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes = f.to_bytes();
        let back = DisposableFilter::from_bytes(&bytes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.to_bytes(), bytes);
        for d in &domains {
            prop_assert!(back.contains_hash(domain_hash(d)), "false negative for {d}");
        }
    }

    /// Valid files with bytes flipped, cut or inserted: with the checksum
    /// left stale (must be refused) or recomputed (must be refused or usable).
    #[test]
    fn mutated_filters_never_panic(
        domains in small_domains(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
        fix in any::<bool>(),
        keys in vec(any::<u64>(), 0..64),
    ) {
        let f = DisposableFilter::build(domains.iter().map(String::as_str))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let original = f.to_bytes();
        let mut bytes = original.clone();
        for (at, b, op) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if i < bytes.len() => bytes[i] ^= b | 1,
                // Header fields are where the descriptor lives: hit them often.
                1 => {
                    let j = 8 + at.index(HEADER_LEN - 8);
                    if j < bytes.len() {
                        bytes[j] = b;
                    }
                }
                2 => bytes.truncate(i),
                _ => bytes.insert(i.min(bytes.len()), b),
            }
        }
        if fix {
            fix_checksum(&mut bytes, true);
        }
        if let Ok(f) = DisposableFilter::from_bytes(&bytes) {
            exercise_filter(f, &keys);
        }
        if !fix && bytes != original {
            prop_assert!(DisposableFilter::from_bytes(&bytes).is_err(), "a corrupt file was accepted");
        }
    }

    /// Hand-made descriptors with a correct checksum: the reader must refuse
    /// any it cannot look up in safely.
    #[test]
    fn crafted_descriptors_never_panic(
        seed in any::<u64>(),
        shift in 0u32..8,
        mask_off in prop_oneof![4 => Just(0u32), 1 => any::<u32>()],
        segment_count_length in prop_oneof![3 => 0u32..64, 1 => 0u32..3000, 1 => any::<u32>()],
        slack in 0usize..8,
        keys in vec(any::<u64>(), 64),
    ) {
        let segment_length = 1u32 << shift;
        let mask = (segment_length - 1) ^ mask_off;
        let need = segment_count_length as usize + 2 * segment_length as usize + slack;
        if need > 4096 {
            // Too big to build: a file with fewer fingerprints than the
            // descriptor reaches must be refused.
            let fingerprints = vec![0u16; slack + 3];
            let bytes = craft_filter(1, seed, segment_length, mask, segment_count_length, &fingerprints);
            prop_assert!(DisposableFilter::from_bytes(&bytes).is_err());
            return Ok(());
        }
        let fingerprints: Vec<u16> = (0..need as u16).collect();
        let bytes = craft_filter(1, seed, segment_length, mask, segment_count_length, &fingerprints);
        if let Ok(f) = DisposableFilter::from_bytes(&bytes) {
            exercise_filter(f, &keys);
        }
    }
}

#[test]
fn builtin_filter_is_accepted_and_mutations_of_it_do_not_panic() {
    let bytes = prebounce_core::data::FULL_DISPOSABLE_FILTER;
    let f = DisposableFilter::from_bytes(bytes).expect("the embedded filter loads");
    assert!(f.domain_count() > 0);
    // Every header byte set to a few values, checksum stale and recomputed.
    for i in 4..HEADER_LEN {
        for v in [0u8, 1, 0x7f, 0xff] {
            let mut b = bytes.to_vec();
            if b[i] == v {
                continue;
            }
            b[i] = v;
            assert!(
                DisposableFilter::from_bytes(&b).is_err(),
                "byte {i} = {v} accepted with a stale checksum"
            );
            fix_checksum(&mut b, true);
            if let Ok(f) = DisposableFilter::from_bytes(&b) {
                exercise_filter(f, &[0, 1, u64::MAX, domain_hash("mailinator.com")]);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Regressions: the minimal inputs of the bugs the properties above found,
// pinned as plain tests. All four are fixed; the properties cover these
// inputs again too.
// ---------------------------------------------------------------------------

/// `mx::plan`'s `no_mail_server` detail listed the first three skipped
/// records in the order the resolver returned them, so two resolvers that
/// ordered the same record set differently gave different `detail` strings.
/// The detail now lists them by preference, then name.
#[test]
fn mx_failure_detail_ignores_record_order() {
    let rec = |p, e: &str| MxRecord {
        preference: p,
        exchange: e.to_owned(),
    };
    let plan = |records| mx::plan("example.com", MxAnswer::Records { records, ttl: None }, 0);
    let detail = |d: &MxDecision| match d {
        MxDecision::Fail(f) if f.reason == Reason::NoMailServer => f.detail.clone(),
        other => panic!("not a no_mail_server failure: {other:?}"),
    };

    let a = plan(vec![rec(10, "192.0.2.1"), rec(20, "bad_name!")]);
    let b = plan(vec![rec(20, "bad_name!"), rec(10, "192.0.2.1")]);
    assert_eq!(a, b);
    assert_eq!(
        detail(&a),
        "no usable MX host for example.com (MX 10 192.0.2.1: an IP address, not a host name; \
         MX 20 bad_name!: not a valid host name)"
    );

    // More than three: the same three are named whatever the order, then a count.
    let many = vec![rec(40, "d!"), rec(30, "c!"), rec(20, "b!"), rec(10, "a!")];
    let mut reversed = many.clone();
    reversed.reverse();
    let (a, b) = (plan(many), plan(reversed));
    assert_eq!(a, b);
    assert_eq!(
        detail(&a),
        "no usable MX host for example.com (MX 10 a!: not a valid host name; \
         MX 20 b!: not a valid host name; MX 30 c!: not a valid host name; 1 more)"
    );
}

/// `DisposableFilter::from_bytes` checked only that `segment_count_length +
/// 2 * segment_length` fingerprints exist, but xorf's lookup reads index
/// `h0 + 2 * segment_length` with its low bits XOR-ed by the mask, where `h0`
/// is below `segment_count_length` (or 0 when that is 0): the reach is the end
/// of the block of `segment_length` that contains `max(h0) + 2 * segment_length`.
/// That equals the reader's bound only when `segment_count_length` is a
/// non-zero multiple of `segment_length` (as in every filter xorf builds);
/// any other descriptor it accepted could make a lookup index out of bounds.
/// The reader now refuses such descriptors.
#[test]
fn filter_with_unaligned_segment_count_is_refused() {
    // segment_length 4, mask 3: a descriptor with the given segment count
    // length and number of fingerprints.
    let read = |segment_count_length, fingerprints: usize| {
        DisposableFilter::from_bytes(&craft_filter(
            1,
            0,
            4,
            3,
            segment_count_length,
            &vec![0; fingerprints],
        ))
    };
    // 13 = 5 + 2 * 4 fingerprints, the least the reader asked for: lookups overran.
    assert_eq!(read(5, 13).err(), Some(DisposableDataError::BadDescriptor));
    // Refused on its shape, even with enough fingerprints for the real reach.
    assert_eq!(read(5, 16).err(), Some(DisposableDataError::BadDescriptor));
    // A segment count length of 0: h0 is 0 and lookups reach 3 * 4 > 8.
    assert_eq!(read(0, 8).err(), Some(DisposableDataError::BadDescriptor));
    assert_eq!(read(0, 64).err(), Some(DisposableDataError::BadDescriptor));
    // Whole segments, as xorf builds them, still load, and lookups stay in bounds.
    let f = read(8, 16).expect("an aligned descriptor loads");
    for k in 0..10_000u64 {
        let _ = f.contains_hash(k.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}

/// A domain made only of code points UTS #46 ignores maps to the empty
/// string; `domain::idn` handed "" to `scan`, which read `bytes[n - 1]` with
/// n = 0 (`attempt to subtract with overflow` in debug, index out of bounds
/// in release), at any depth, with any options (the wasm module aborted). An
/// empty ToASCII result is now `empty_domain`.
#[test]
fn domain_of_ignored_code_points_is_empty_domain() {
    assert_eq!(SyntaxErrorCode::EmptyDomain.as_str(), "empty_domain");
    for s in [
        "a@\u{ad}",
        "a@\u{200b}",
        "a@\u{feff}",
        "a@\u{fe0f}",
        "a@\u{34f}",
        "a@\u{2060}",
    ] {
        for bits in 0..64 {
            let o = Options::from_bits(bits);
            let v = std::panic::catch_unwind(|| check(s, &o))
                .unwrap_or_else(|_| panic!("check({s:?}) panicked"));
            assert_eq!(v.reason, Reason::InvalidSyntax, "{s:?} {o:?}");
            assert_eq!(
                v.error.as_ref().map(|e| e.code),
                Some(SyntaxErrorCode::EmptyDomain),
                "{s:?} {o:?}"
            );
            assert_eq!(
                address::parse(s, &o).err(),
                Some(SyntaxErrorCode::EmptyDomain),
                "{s:?} {o:?}"
            );
        }
    }
}

/// The local part's characters were checked before NFC, and three non-ASCII
/// characters normalize to ASCII. `a\u{37e}b@example.com` (GREEK QUESTION
/// MARK) was accepted and normalized to `a;b@example.com`, which is not a
/// valid address (`;` is not atext) and which `check` itself rejects;
/// `\u{212a}@example.com` (KELVIN SIGN) became `K@example.com` with
/// `flags.smtputf8 = true`, while `K@example.com` has it false (and with
/// `allow_smtputf8=false` the input was refused although its normal form is
/// plain ASCII). Characters and `smtputf8` are now judged on the NFC form.
#[test]
fn local_part_normalization_is_idempotent() {
    let no_smtputf8 = Options {
        allow_smtputf8: false,
        ..Options::default()
    };
    for o in [Options::default(), no_smtputf8] {
        // NFC makes `;`: refused as if it had been typed.
        for s in ["a\u{37e}b@example.com", "a;b@example.com"] {
            let v = check(s, &o);
            assert_eq!(v.reason, Reason::InvalidSyntax, "{s:?} {o:?}");
            assert_eq!(
                v.error.as_ref().map(|e| e.code),
                Some(SyntaxErrorCode::LocalInvalidCharacter),
                "{s:?} {o:?}"
            );
        }
        // NFC makes plain ASCII: valid, without SMTPUTF8, even where that is
        // not allowed; the same verdict as the normal form's.
        for (s, local) in [
            ("\u{212a}@example.com", "K"),
            ("a\u{1fef}@example.com", "a`"),
        ] {
            let v = check(s, &o);
            assert_ne!(
                v.reason,
                Reason::InvalidSyntax,
                "{s:?} {o:?}: {:?}",
                v.error
            );
            let address = format!("{local}@example.com");
            assert_eq!(v.local.as_deref(), Some(local), "{s:?} {o:?}");
            assert_eq!(v.address.as_deref(), Some(address.as_str()), "{s:?} {o:?}");
            assert_eq!(
                v.address_unicode.as_deref(),
                Some(address.as_str()),
                "{s:?} {o:?}"
            );
            assert!(!v.flags.smtputf8, "{s:?} {o:?}");
            let mut again = check(&address, &o);
            assert_eq!(again.input, address);
            again.input = v.input.clone();
            assert_eq!(again, v, "{s:?} vs its normal form {address:?}");
        }
    }
}
