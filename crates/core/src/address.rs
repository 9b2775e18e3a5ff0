//! Address syntax: an RFC 5321 `Mailbox` with RFC 6531 (SMTPUTF8) local parts,
//! under docs/DESIGN.md's policy.
//!
//! # Why our own parser
//! The design names the `email_address` crate, and we keep it as a test oracle
//! (`tests/oracle.rs`: whatever we accept with default options it accepts
//! too). We do not parse with it, because it follows RFC 5322 rather than
//! RFC 5321 and is too lenient for a mail sender: it accepts `a@b` (no dot),
//! comments and folding white space, trailing dots, unbounded local parts in
//! some versions, and its errors do not tell a signup form what to fix. We
//! also need a zero-allocation ASCII fast path for list cleaning (millions of
//! addresses a second), which a general parser cannot give.
//!
//! Domains go through [`crate::domain`], which uses the `idna` crate for
//! UTS #46.
//!
//! # Rules, in the order they are checked
//! 1. Leading and trailing ASCII white space is trimmed (pasted lists carry
//!    it); what remains must not be empty.
//! 2. `Name <addr>` forms are refused with [`SyntaxErrorCode::DisplayName`].
//! 3. The address splits at its last `@`.
//! 4. The local part: a dot-atom of RFC 5322 `atext` plus, with
//!    `allow_smtputf8`, non-ASCII characters other than controls, separators,
//!    format and private-use characters and noncharacters; or, with
//!    `allow_quoted_local`, an RFC 5321 `Quoted-string`. It is NFC-normalized,
//!    then must be at most 64 octets (RFC 5321 §4.5.3.1.1).
//! 5. The domain: see [`crate::domain`].
//! 6. The whole address (local part, `@`, ASCII domain) is at most 254
//!    octets (RFC 5321 §4.5.3.1.3 path limit of 256 minus the angle brackets).

use std::borrow::Cow;

use icu_normalizer::ComposingNormalizerBorrowed;
use serde::{Deserialize, Serialize};

use crate::domain::{self, Domain};
use crate::options::Options;

/// The longest local part, in octets (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_OCTETS: usize = 64;
/// The longest address, in octets (RFC 5321 §4.5.3.1.3, less `<` and `>`).
pub const MAX_ADDRESS_OCTETS: usize = 254;

/// Defines [`SyntaxErrorCode`] from one table: each code's variant, its
/// stable snake_case name and the sentence a form shows, so the lists cannot
/// drift apart. Codes are numbered in table order (append only).
macro_rules! syntax_error_codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $message:literal;)*) => {
        /// Why an input is not an acceptable address. Stable snake_case codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[repr(u8)]
        pub enum SyntaxErrorCode {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl SyntaxErrorCode {
            /// Every code, in code order.
            pub const ALL: [SyntaxErrorCode; [$(SyntaxErrorCode::$variant),*].len()] =
                [$(SyntaxErrorCode::$variant),*];

            /// The stable snake_case name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(SyntaxErrorCode::$variant => $name,)*
                }
            }

            /// One plain sentence a signup form can show.
            pub fn message(self) -> &'static str {
                match self {
                    $(SyntaxErrorCode::$variant => $message,)*
                }
            }
        }
    };
}

syntax_error_codes! {
    /// The input is empty (or only white space).
    Empty = "empty", "Enter an email address.";
    /// The item is not a string (lists handed in from JavaScript).
    NotAString = "not_a_string", "This item is not text, so it cannot be an email address.";
    /// No `@` sign.
    MissingAt = "missing_at", "An email address needs an @ sign, as in name@example.com.";
    /// Nothing before the `@`.
    EmptyLocal = "empty_local", "Add the part before the @ sign.";
    /// Nothing after the `@`.
    EmptyDomain = "empty_domain", "Add the domain after the @ sign, as in name@example.com.";
    /// The whole address is longer than 254 octets.
    AddressTooLong = "address_too_long", "This email address is too long (at most 254 characters).";
    /// The local part is longer than 64 octets.
    LocalTooLong = "local_too_long", "The part before the @ sign is too long (at most 64 characters).";
    /// A character not allowed in an unquoted local part.
    LocalInvalidCharacter = "local_invalid_character", "The part before the @ sign contains a character that is not allowed.";
    /// A dot at the start or end of the local part, or two in a row.
    LocalDot = "local_dot", "The part before the @ sign cannot start or end with a dot or have two dots in a row.";
    /// A quoted local part while `allow_quoted_local` is off.
    QuotedLocalNotAllowed = "quoted_local_not_allowed", "Quoted addresses are not accepted here.";
    /// A malformed quoted local part.
    InvalidQuotedLocal = "invalid_quoted_local", "The quoted part before the @ sign is not well formed.";
    /// A non-ASCII local part while `allow_smtputf8` is off.
    Smtputf8NotAllowed = "smtputf8_not_allowed", "The part before the @ sign may only use plain letters, digits and common symbols here.";
    /// A display name or angle brackets around the address.
    DisplayName = "display_name", "Enter only the address, without a name or angle brackets.";
    /// A character not allowed in a domain.
    DomainInvalidCharacter = "domain_invalid_character", "The domain contains a character that is not allowed.";
    /// An empty label (two dots in a row, or a leading dot).
    DomainEmptyLabel = "domain_empty_label", "The domain cannot start with a dot or have two dots in a row.";
    /// The domain ends with a dot.
    DomainTrailingDot = "domain_trailing_dot", "The domain cannot end with a dot.";
    /// A label longer than 63 octets.
    DomainLabelTooLong = "domain_label_too_long", "A part of the domain is too long (at most 63 characters between dots).";
    /// The domain is longer than 253 octets in ASCII form.
    DomainTooLong = "domain_too_long", "The domain is too long (at most 253 characters).";
    /// A label starts or ends with a hyphen, or has `--` in positions 3–4.
    DomainHyphen = "domain_hyphen", "A part of the domain cannot start or end with a hyphen.";
    /// An `xn--` label that is not valid Punycode or does not round-trip.
    DomainInvalidPunycode = "domain_invalid_punycode", "The domain contains an invalid internationalized (xn--) name.";
    /// A label IDNA does not allow (disallowed code points, bidi or joiner rules).
    DomainInvalidIdn = "domain_invalid_idn", "The domain contains characters that are not allowed in domain names.";
    /// A domain without a dot.
    DomainSingleLabel = "domain_single_label", "The domain needs a dot, as in example.com.";
    /// An all-numeric top-level label.
    DomainNumericTld = "domain_numeric_tld", "The domain cannot end in a number.";
    /// A special-use name (`.test`, `.localhost` …).
    SpecialUseDomain = "special_use_domain", "This domain is reserved and cannot receive email.";
    /// A domain literal while `allow_domain_literal` is off.
    DomainLiteralNotAllowed = "domain_literal_not_allowed", "Addresses with an IP address instead of a domain are not accepted here.";
    /// A malformed domain literal.
    InvalidDomainLiteral = "invalid_domain_literal", "The IP address after the @ sign is not well formed.";
    /// The input is not valid UTF-8 text (a line of a file, say).
    InvalidEncoding = "invalid_encoding", "This text is not valid UTF-8, so it cannot be read as an email address.";
}

impl SyntaxErrorCode {
    /// The compact numeric code (stable; used in typed arrays).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The error for a compact code, if it is one.
    pub fn from_code(code: u8) -> Option<SyntaxErrorCode> {
        Self::ALL.get(code as usize).copied()
    }
}

impl std::fmt::Display for SyntaxErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A syntactically valid mailbox, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox<'a> {
    /// The local part, NFC-normalized, case preserved (quotes kept when quoted).
    pub local: Cow<'a, str>,
    /// The domain, in ASCII and Unicode forms.
    pub domain: Domain<'a>,
    /// The local part is a quoted string.
    pub quoted: bool,
    /// The local part has non-ASCII characters, so delivery needs SMTPUTF8.
    pub smtputf8: bool,
}

impl Mailbox<'_> {
    /// The address with the ASCII (A-label) domain.
    pub fn address(&self) -> String {
        format!("{}@{}", self.local, self.domain.ascii())
    }

    /// The address with the Unicode (U-label) domain.
    pub fn address_unicode(&self) -> String {
        format!("{}@{}", self.local, self.domain.unicode())
    }
}

/// Parses and normalizes `input` under `options`.
///
/// Leading and trailing ASCII white space is ignored. No allocation happens
/// for an all-ASCII address whose domain is already lower case.
pub fn parse<'a>(input: &'a str, options: &Options) -> Result<Mailbox<'a>, SyntaxErrorCode> {
    let s = trim_ascii_whitespace(input);
    if s.is_empty() {
        return Err(SyntaxErrorCode::Empty);
    }
    let bytes = s.as_bytes();
    if bytes[bytes.len() - 1] == b'>' && bytes.contains(&b'<') {
        return Err(SyntaxErrorCode::DisplayName);
    }
    let (local, at, quoted, non_ascii) = if bytes[0] == b'"' {
        // A quoted local part may hold `@`: the domain starts after the last one.
        let at = memrchr_at(bytes).ok_or(SyntaxErrorCode::MissingAt)?;
        let (local, non_ascii) = parse_quoted_local(&s[..at], options)?;
        (local, at, true, non_ascii)
    } else {
        let (at, non_ascii) = split_dot_atom(bytes)?;
        (&s[..at], at, false, non_ascii)
    };
    let (local, smtputf8) = finish_local(local, non_ascii, quoted, options)?;
    let domain_raw = &s[at + 1..];
    let domain = domain::parse(domain_raw, options).map_err(|e| {
        if !quoted && domain_raw.as_bytes().contains(&b'@') {
            // The local part runs to the last `@`, so it holds an `@`.
            SyntaxErrorCode::LocalInvalidCharacter
        } else {
            e
        }
    })?;
    if local.len() + 1 + domain.ascii().len() > MAX_ADDRESS_OCTETS {
        return Err(SyntaxErrorCode::AddressTooLong);
    }
    Ok(Mailbox {
        local,
        domain,
        quoted,
        smtputf8,
    })
}

/// Scans an unquoted local part up to the first `@` (or the end): one table
/// lookup per byte. Returns where the `@` is (`None`: no `@`) and whether
/// non-ASCII bytes were seen.
fn scan_dot_atom(bytes: &[u8]) -> Result<(Option<usize>, bool), SyntaxErrorCode> {
    let mut after_dot = true; // a leading dot counts as "after a dot"
    let mut non_ascii = false;
    let mut at = None;
    for (i, &b) in bytes.iter().enumerate() {
        let c = LOCAL_CLASS[b as usize];
        if c == ATOM {
            after_dot = false;
        } else if c == L_AT {
            at = Some(i);
            break;
        } else if c == L_DOT && !after_dot {
            after_dot = true;
        } else if c == L_NON_ASCII {
            non_ascii = true;
            after_dot = false;
        } else if c == L_DOT {
            return Err(SyntaxErrorCode::LocalDot);
        } else {
            return Err(SyntaxErrorCode::LocalInvalidCharacter);
        }
    }
    if at == Some(0) {
        return Err(SyntaxErrorCode::EmptyLocal);
    }
    if after_dot && !bytes.is_empty() {
        return Err(SyntaxErrorCode::LocalDot);
    }
    Ok((at, non_ascii))
}

/// The local part before the first `@` of an unquoted address.
fn split_dot_atom(bytes: &[u8]) -> Result<(usize, bool), SyntaxErrorCode> {
    match scan_dot_atom(bytes) {
        Ok((Some(at), non_ascii)) => Ok((at, non_ascii)),
        Ok((None, _)) => Err(SyntaxErrorCode::MissingAt),
        // A bad byte: but an input without any `@` is first of all missing one.
        Err(_) if !bytes.contains(&b'@') => Err(SyntaxErrorCode::MissingAt),
        Err(e) => Err(e),
    }
}

/// NFC-normalizes a local part, then checks what normalization may have
/// changed (three characters, such as the Greek question mark, normalize to
/// ASCII: `;` must then be refused as if typed), its non-ASCII characters and
/// its length. Returns it with whether it still needs SMTPUTF8.
fn finish_local<'a>(
    local: &'a str,
    non_ascii: bool,
    quoted: bool,
    options: &Options,
) -> Result<(Cow<'a, str>, bool), SyntaxErrorCode> {
    if !non_ascii {
        if local.len() > MAX_LOCAL_OCTETS {
            return Err(SyntaxErrorCode::LocalTooLong);
        }
        return Ok((Cow::Borrowed(local), false));
    }
    let local = nfc(local);
    if let Cow::Owned(normalized) = &local {
        // Normalization changed it: the structure must hold for the new text.
        if quoted {
            parse_quoted_local(normalized, options)?;
        } else {
            match scan_dot_atom(normalized.as_bytes()) {
                Ok((None, _)) => {}
                // NFC never makes an `@` of something else; were it to, it is a bad character here.
                Ok((Some(_), _)) => return Err(SyntaxErrorCode::LocalInvalidCharacter),
                Err(e) => return Err(e),
            }
        }
    }
    let smtputf8 = !local.is_ascii();
    if smtputf8 {
        if !options.allow_smtputf8 {
            return Err(SyntaxErrorCode::Smtputf8NotAllowed);
        }
        if local
            .chars()
            .any(|c| !c.is_ascii() && !is_allowed_non_ascii(c))
        {
            return Err(if quoted {
                SyntaxErrorCode::InvalidQuotedLocal
            } else {
                SyntaxErrorCode::LocalInvalidCharacter
            });
        }
    }
    if local.len() > MAX_LOCAL_OCTETS {
        return Err(SyntaxErrorCode::LocalTooLong);
    }
    Ok((local, smtputf8))
}

/// Strips leading and trailing ASCII white space (space, tab, CR, LF, FF).
pub(crate) fn trim_ascii_whitespace(s: &str) -> &str {
    // Trimming ASCII bytes keeps the remaining slice on char boundaries.
    let b = s.as_bytes();
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &s[start..end]
}

fn memrchr_at(bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|&b| b == b'@')
}

const L_INVALID: u8 = 0;
const ATOM: u8 = 1;
const L_DOT: u8 = 2;
const L_NON_ASCII: u8 = 3;
const L_AT: u8 = 4;

/// Byte classes for the unquoted local part: RFC 5322 `atext`, the dot,
/// and any byte of a non-ASCII UTF-8 sequence.
static LOCAL_CLASS: [u8; 256] = {
    let mut t = [L_INVALID; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b >= 128 {
            L_NON_ASCII
        } else if b == b'.' {
            L_DOT
        } else if b == b'@' {
            L_AT
        } else if b.is_ascii_alphanumeric() {
            ATOM
        } else {
            L_INVALID
        };
        i += 1;
    }
    let specials = b"!#$%&'*+-/=?^_`{|}~";
    let mut j = 0;
    while j < specials.len() {
        t[specials[j] as usize] = ATOM;
        j += 1;
    }
    t
};

/// RFC 5321 `Quoted-string` (with RFC 6531's UTF-8 extension).
fn parse_quoted_local<'a>(
    local: &'a str,
    options: &Options,
) -> Result<(&'a str, bool), SyntaxErrorCode> {
    let bytes = local.as_bytes();
    // Find the closing quote, honouring backslash escapes.
    let mut i = 1;
    let mut non_ascii = false;
    let mut closed_at = None;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                closed_at = Some(i);
                break;
            }
            b'\\' => {
                // quoted-pairSMTP = "\" %d32-126
                match bytes.get(i + 1) {
                    Some(&n) if (32..=126).contains(&n) => i += 2,
                    _ => return Err(SyntaxErrorCode::InvalidQuotedLocal),
                }
            }
            // qtextSMTP = %d32-33 / %d35-91 / %d93-126
            32..=126 => i += 1,
            b if b >= 128 => {
                non_ascii = true;
                i += 1;
            }
            _ => return Err(SyntaxErrorCode::InvalidQuotedLocal),
        }
    }
    match closed_at {
        Some(end) if end == bytes.len() - 1 => {}
        // Text after the closing quote (`"a"b@x`, the obsolete `"a".b@x`), or no closing quote.
        _ => return Err(SyntaxErrorCode::InvalidQuotedLocal),
    }
    if !options.allow_quoted_local {
        return Err(SyntaxErrorCode::QuotedLocalNotAllowed);
    }
    Ok((local, non_ascii))
}

pub(crate) fn nfc(s: &str) -> Cow<'_, str> {
    // ICU4X's normalizer: idna already links its data, so NFC costs no extra tables.
    ComposingNormalizerBorrowed::new_nfc().normalize(s)
}

/// Non-ASCII characters a local part may carry (RFC 6531 `UTF8-non-ascii`),
/// minus those that make an address unsafe to show or compare: C1 controls,
/// white space and separators, invisible format characters (zero-width and
/// bidi controls), private use, noncharacters, and U+FFFD, the replacement
/// character a decoder leaves where it met garbage (a lone surrogate, say).
pub(crate) fn is_allowed_non_ascii(c: char) -> bool {
    let u = c as u32;
    !(c.is_whitespace()
        || (0x80..=0x9F).contains(&u)
        || u == 0x00AD
        || u == 0x034F
        || u == 0x061C
        || u == 0x180E
        || (0x200B..=0x200F).contains(&u)
        || (0x2028..=0x202E).contains(&u)
        || (0x2060..=0x206F).contains(&u)
        || u == 0xFEFF
        || u == 0xFFFD
        || (0xFFF9..=0xFFFB).contains(&u)
        || (0xE000..=0xF8FF).contains(&u)
        || (0xFDD0..=0xFDEF).contains(&u)
        || (u & 0xFFFE) == 0xFFFE
        || (0xE0000..=0xE007F).contains(&u)
        || u >= 0xF0000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        parse(s, &Options::default())
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
            .address()
    }
    fn err(s: &str) -> SyntaxErrorCode {
        parse(s, &Options::default()).expect_err(s)
    }
    fn err_with(s: &str, o: Options) -> SyntaxErrorCode {
        parse(s, &o).expect_err(s)
    }

    #[test]
    fn plain_and_special_atext() {
        assert_eq!(ok("john.doe@example.com"), "john.doe@example.com");
        assert_eq!(ok("John.Doe@EXAMPLE.com"), "John.Doe@example.com");
        assert_eq!(
            ok("!#$%&'*+-/=?^_`{|}~@example.com"),
            "!#$%&'*+-/=?^_`{|}~@example.com"
        );
        assert_eq!(ok("  padded@example.com \r\n"), "padded@example.com");
    }

    #[test]
    fn local_part_errors() {
        assert_eq!(err(""), SyntaxErrorCode::Empty);
        assert_eq!(err("   "), SyntaxErrorCode::Empty);
        assert_eq!(err("plainaddress"), SyntaxErrorCode::MissingAt);
        assert_eq!(err("@example.com"), SyntaxErrorCode::EmptyLocal);
        assert_eq!(err(".a@example.com"), SyntaxErrorCode::LocalDot);
        assert_eq!(err("a.@example.com"), SyntaxErrorCode::LocalDot);
        assert_eq!(err("a..b@example.com"), SyntaxErrorCode::LocalDot);
        assert_eq!(
            err("a b@example.com"),
            SyntaxErrorCode::LocalInvalidCharacter
        );
        assert_eq!(
            err("a@b@example.com"),
            SyntaxErrorCode::LocalInvalidCharacter
        );
        assert_eq!(
            err("a(comment)@example.com"),
            SyntaxErrorCode::LocalInvalidCharacter
        );
        assert_eq!(
            err("a\0@example.com"),
            SyntaxErrorCode::LocalInvalidCharacter
        );
        assert_eq!(err("John <john@example.com>"), SyntaxErrorCode::DisplayName);
        assert_eq!(err("<john@example.com>"), SyntaxErrorCode::DisplayName);
    }

    #[test]
    fn local_length_is_64_octets() {
        let l64 = "a".repeat(64);
        assert_eq!(
            ok(&format!("{l64}@example.com")),
            format!("{l64}@example.com")
        );
        assert_eq!(
            err(&format!("{l64}a@example.com")),
            SyntaxErrorCode::LocalTooLong
        );
        // 22 three-octet characters = 66 octets, though only 22 characters.
        assert_eq!(
            err(&format!("{}@example.com", "用".repeat(22))),
            SyntaxErrorCode::LocalTooLong
        );
        assert!(parse(
            &format!("{}@example.com", "用".repeat(21)),
            &Options::default()
        )
        .is_ok());
    }

    #[test]
    fn smtputf8_local_parts() {
        let m = parse("θσερ@example.com", &Options::default()).unwrap();
        assert!(m.smtputf8);
        let o = Options {
            allow_smtputf8: false,
            ..Options::default()
        };
        assert_eq!(
            err_with("θσερ@example.com", o),
            SyntaxErrorCode::Smtputf8NotAllowed
        );
        // Decomposed é (e + U+0301) is normalized to U+00E9.
        let m = parse("jose\u{301}@example.com", &Options::default()).unwrap();
        assert_eq!(m.local, "jos\u{e9}");
        assert_eq!(
            err("a\u{200B}b@example.com"),
            SyntaxErrorCode::LocalInvalidCharacter
        );
        assert_eq!(
            err("a\u{A0}b@example.com"),
            SyntaxErrorCode::LocalInvalidCharacter
        );
        assert_eq!(
            err("a\u{85}b@example.com"),
            SyntaxErrorCode::LocalInvalidCharacter
        );
        // The replacement character: what a lone surrogate becomes.
        assert_eq!(
            err("a\u{FFFD}b@example.com"),
            SyntaxErrorCode::LocalInvalidCharacter
        );
    }

    #[test]
    fn quoted_local_parts() {
        assert_eq!(
            err("\"john doe\"@example.com"),
            SyntaxErrorCode::QuotedLocalNotAllowed
        );
        let o = Options {
            allow_quoted_local: true,
            ..Options::default()
        };
        let m = parse("\"john doe\"@example.com", &o).unwrap();
        assert!(m.quoted);
        assert_eq!(m.address(), "\"john doe\"@example.com");
        assert!(parse(r#""a\"b"@example.com"#, &o).is_ok());
        assert!(parse(r#""a@b"@example.com"#, &o).is_ok());
        assert_eq!(
            err_with(r#""unclosed@example.com"#, o),
            SyntaxErrorCode::InvalidQuotedLocal
        );
        assert_eq!(
            err_with(r#""a"b@example.com"#, o),
            SyntaxErrorCode::InvalidQuotedLocal
        );
        assert_eq!(
            err_with(r#""a".b@example.com"#, o),
            SyntaxErrorCode::InvalidQuotedLocal
        );
        assert_eq!(
            err_with("\"a\tb\"@example.com", o),
            SyntaxErrorCode::InvalidQuotedLocal
        );
        assert_eq!(
            err_with("\"a\\\u{1}\"@example.com", o),
            SyntaxErrorCode::InvalidQuotedLocal
        );
    }

    #[test]
    fn address_length_is_254_octets() {
        let local = "a".repeat(64);
        // 64 + 1 + 189 = 254
        let dom = format!(
            "{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(57)
        );
        assert_eq!(dom.len(), 189);
        assert!(parse(&format!("{local}@{dom}"), &Options::default()).is_ok());
        let dom = format!(
            "{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(58)
        );
        assert_eq!(
            err(&format!("{local}@{dom}")),
            SyntaxErrorCode::AddressTooLong
        );
    }

    #[test]
    fn codes_round_trip() {
        for c in SyntaxErrorCode::ALL {
            assert_eq!(SyntaxErrorCode::from_code(c.code()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            assert!(c.message().ends_with('.'));
        }
    }
}
