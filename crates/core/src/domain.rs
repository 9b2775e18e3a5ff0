//! Domains: UTS #46 mapping (non-transitional, via the `idna` crate), then
//! docs/DESIGN.md's policy for what can be a public mail domain.
//!
//! An all-ASCII letter-digit-hyphen domain without `xn--` labels maps to its
//! lower-case self under UTS #46, so it takes a fast path that never calls
//! `idna`; everything else goes through `idna` and then through the same
//! label checks.
//!
//! Policy, checked on the ASCII form: no empty label, no trailing dot, labels
//! of 1–63 octets, at most 253 octets, hyphen rules (not first or last, no
//! `--` in positions 3–4 except `xn--`), at least one dot (unless
//! `allow_single_label`), a top label that is not all digits, and not under
//! a special-use top label (`arpa`, `invalid`, `local`, `localhost`, `onion`,
//! `test`; RFC 6761, 6762, 7686) unless `allow_special_use`. Domain literals
//! (`[192.0.2.1]`, `[IPv6:2001:db8::1]`) need `allow_domain_literal`.

use std::borrow::Cow;
use std::net::Ipv6Addr;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use crate::address::SyntaxErrorCode;
use crate::options::Options;

/// The longest domain in ASCII form, in octets (RFC 1035, without the root dot).
pub const MAX_DOMAIN_OCTETS: usize = 253;
/// The longest label, in octets.
pub const MAX_LABEL_OCTETS: usize = 63;

/// Top labels reserved for special use (RFC 6761, RFC 6762, RFC 7686, RFC 3172).
pub const SPECIAL_USE_TLDS: [&str; 6] = ["arpa", "invalid", "local", "localhost", "onion", "test"];

/// A valid domain in its ASCII (A-label) and Unicode (U-label) forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain<'a> {
    ascii: Cow<'a, str>,
    /// Some label is an A-label, so the Unicode form differs.
    idn: bool,
    literal: bool,
}

impl<'a> Domain<'a> {
    /// The lower-case ASCII form (A-labels), or the literal as given.
    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    /// The Unicode form (U-labels). Computed on demand: the hot paths only
    /// need the ASCII form.
    pub fn unicode(&self) -> Cow<'_, str> {
        if !self.idn {
            return Cow::Borrowed(&self.ascii);
        }
        let (unicode, _) =
            Uts46::new().to_unicode(self.ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
        unicode
    }

    /// The domain is an address literal (`[192.0.2.1]`).
    pub fn is_literal(&self) -> bool {
        self.literal
    }

    /// The domain has internationalized labels.
    pub fn is_idn(&self) -> bool {
        self.idn
    }
}

/// Byte classes for the domain scan.
const INVALID: u8 = 0;
const LDH: u8 = 1;
const UPPER: u8 = 2;
const DOT: u8 = 3;
const NON_ASCII: u8 = 4;

static CLASS: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b >= 128 {
            NON_ASCII
        } else if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' {
            LDH
        } else if b.is_ascii_uppercase() {
            UPPER
        } else if b == b'.' {
            DOT
        } else {
            INVALID
        };
        i += 1;
    }
    t
};

/// Parses and normalizes the part after the `@`.
pub fn parse<'a>(raw: &'a str, options: &Options) -> Result<Domain<'a>, SyntaxErrorCode> {
    let bytes = raw.as_bytes();
    match bytes.first() {
        None => return Err(SyntaxErrorCode::EmptyDomain),
        Some(b'[') => return parse_literal(raw, options),
        Some(_) => {}
    }
    let scan = match scan(bytes, options)? {
        Some(scan) => scan,
        None => return idn(raw, options, false),
    };
    if scan.has_xn {
        // A-labels must be valid Punycode of a valid U-label: let idna judge.
        return idn(raw, options, true);
    }
    let ascii: Cow<'a, str> = if scan.upper {
        Cow::Owned(raw.to_ascii_lowercase())
    } else {
        Cow::Borrowed(raw)
    };
    Ok(Domain {
        ascii,
        idn: false,
        literal: false,
    })
}

/// What one pass over an ASCII domain found.
struct Scan {
    /// Upper-case letters to fold.
    upper: bool,
    /// Some label starts with `xn--`.
    has_xn: bool,
}

/// One pass over a domain: byte classes and docs/DESIGN.md's label policy.
/// `Ok(None)` means non-ASCII was found (UTS #46 must map it first).
///
/// Errors are reported in this order: an invalid character anywhere; a
/// trailing dot; the first label that breaks a rule (empty, over 63 octets,
/// hyphen placement); the length of the whole; a single label; an
/// all-numeric top label; a special-use top label.
fn scan(bytes: &[u8], options: &Options) -> Result<Option<Scan>, SyntaxErrorCode> {
    let mut seen = 0u8;
    let mut has_xn = false;
    let mut first_err = None;
    let mut start = 0;
    let mut labels = 1usize;
    for (i, &b) in bytes.iter().enumerate() {
        let c = CLASS[b as usize];
        if c == DOT {
            if first_err.is_none() {
                first_err = label_rule(&bytes[start..i], &mut has_xn).err();
            }
            labels += 1;
            start = i + 1;
        } else if c == INVALID {
            return Err(SyntaxErrorCode::DomainInvalidCharacter);
        }
        seen |= 1 << c;
    }
    if seen & (1 << NON_ASCII) != 0 {
        return Ok(None);
    }
    let n = bytes.len();
    if bytes[n - 1] == b'.' {
        // A lone "." or "a..": report the empty label, else the trailing dot.
        return Err(if n == 1 || bytes[n - 2] == b'.' {
            SyntaxErrorCode::DomainEmptyLabel
        } else {
            SyntaxErrorCode::DomainTrailingDot
        });
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let last = &bytes[start..];
    label_rule(last, &mut has_xn)?;
    if n > MAX_DOMAIN_OCTETS {
        return Err(SyntaxErrorCode::DomainTooLong);
    }
    if labels < 2 && !options.allow_single_label {
        return Err(SyntaxErrorCode::DomainSingleLabel);
    }
    if last.iter().all(u8::is_ascii_digit) {
        return Err(SyntaxErrorCode::DomainNumericTld);
    }
    if !options.allow_special_use && is_special_use(last) {
        return Err(SyntaxErrorCode::SpecialUseDomain);
    }
    Ok(Some(Scan {
        upper: seen & (1 << UPPER) != 0,
        has_xn,
    }))
}

/// The rules for one label: not empty, at most 63 octets, no hyphen first or
/// last or in positions 3–4 — except an A-label (`xn--`), which idna checks.
fn label_rule(lb: &[u8], has_xn: &mut bool) -> Result<(), SyntaxErrorCode> {
    match lb.len() {
        0 => return Err(SyntaxErrorCode::DomainEmptyLabel),
        n if n > MAX_LABEL_OCTETS => return Err(SyntaxErrorCode::DomainLabelTooLong),
        _ => {}
    }
    if lb.len() >= 4 && lb[2] == b'-' && lb[3] == b'-' && lb[..2].eq_ignore_ascii_case(b"xn") {
        *has_xn = true;
        Ok(())
    } else if lb[0] == b'-'
        || lb[lb.len() - 1] == b'-'
        || (lb.len() >= 4 && lb[2] == b'-' && lb[3] == b'-')
    {
        Err(SyntaxErrorCode::DomainHyphen)
    } else {
        Ok(())
    }
}

/// Runs UTS #46 ToASCII, then our label policy on the result.
fn idn<'a>(
    raw: &'a str,
    options: &Options,
    ascii_input: bool,
) -> Result<Domain<'a>, SyntaxErrorCode> {
    let ascii = match Uts46::new().to_ascii(
        raw.as_bytes(),
        AsciiDenyList::STD3,
        Hyphens::Check,
        DnsLength::Ignore,
    ) {
        Ok(a) => a.into_owned(),
        Err(_) => return Err(idna_failure(raw, ascii_input)),
    };
    if ascii.is_empty() {
        // Every character was one UTS #46 ignores (a soft hyphen, a zero-width space).
        return Err(SyntaxErrorCode::EmptyDomain);
    }
    // ToASCII output is ASCII, so the scan never asks for mapping again.
    let idn = scan(ascii.as_bytes(), options)?.is_some_and(|s| s.has_xn);
    Ok(Domain {
        ascii: Cow::Owned(ascii),
        idn,
        literal: false,
    })
}

/// `idna` reports failure without a reason; find it. A failure that
/// disappears when hyphens are not checked was a hyphen rule (judged on the
/// mapped label, so a full-width hyphen counts); otherwise the first label
/// that fails on its own names the error: an `xn--` label is bad Punycode,
/// any other has a character or combination IDNA does not allow.
fn idna_failure(raw: &str, ascii_input: bool) -> SyntaxErrorCode {
    let uts46 = Uts46::new();
    let to_ascii = |s: &str, h| {
        uts46
            .to_ascii(s.as_bytes(), AsciiDenyList::STD3, h, DnsLength::Ignore)
            .is_ok()
    };
    if to_ascii(raw, Hyphens::Allow) {
        return SyntaxErrorCode::DomainHyphen;
    }
    for label in raw.split(['.', '\u{3002}', '\u{FF0E}', '\u{FF61}']) {
        if !label.is_empty() && !to_ascii(label, Hyphens::Check) {
            let is_a_label = label
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("xn--"));
            return if is_a_label {
                SyntaxErrorCode::DomainInvalidPunycode
            } else {
                SyntaxErrorCode::DomainInvalidIdn
            };
        }
    }
    // Every label passes alone: a rule across labels (bidi) failed.
    if ascii_input {
        SyntaxErrorCode::DomainInvalidPunycode
    } else {
        SyntaxErrorCode::DomainInvalidIdn
    }
}

/// Whether a lower-case top label is one of [`SPECIAL_USE_TLDS`].
fn is_special_use(tld: &[u8]) -> bool {
    // Most top labels are 2 or 3 letters long; none of the special ones is.
    matches!(tld.len(), 4 | 5 | 7 | 9)
        && SPECIAL_USE_TLDS
            .iter()
            .any(|s| s.as_bytes().eq_ignore_ascii_case(tld))
}

/// RFC 5321 §4.1.3 address literals: IPv4, or `IPv6:` and an IPv6 address.
fn parse_literal<'a>(raw: &'a str, options: &Options) -> Result<Domain<'a>, SyntaxErrorCode> {
    let inner = match raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(i) => i,
        None => return Err(SyntaxErrorCode::InvalidDomainLiteral),
    };
    let v6 = inner
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("IPv6:"));
    let well_formed = if v6 {
        is_ipv6_literal(&inner[5..])
    } else {
        is_dotted_quad(inner)
    };
    if !well_formed {
        return Err(SyntaxErrorCode::InvalidDomainLiteral);
    }
    if !options.allow_domain_literal {
        return Err(SyntaxErrorCode::DomainLiteralNotAllowed);
    }
    // Normalize the tag's case and the IPv6 hex digits; IPv4 is kept as written.
    let ascii = if v6 {
        Cow::Owned(format!("[IPv6:{}]", inner[5..].to_ascii_lowercase()))
    } else {
        Cow::Borrowed(raw)
    };
    Ok(Domain {
        ascii,
        idn: false,
        literal: true,
    })
}

/// RFC 5321 `IPv4-address-literal`: four `Snum`s, each 1–3 digits with a
/// value of at most 255 (`01` is allowed by the grammar).
fn is_dotted_quad(s: &str) -> bool {
    let mut parts = 0;
    for p in s.split('.') {
        parts += 1;
        if p.is_empty()
            || p.len() > 3
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u16>().map_or(true, |n| n > 255)
        {
            return false;
        }
    }
    parts == 4
}

/// RFC 5321 `IPv6-addr`, which is stricter than RFC 4291: `::` stands for
/// at least two groups, so at most six groups (four before an IPv4 tail)
/// may stand beside it.
fn is_ipv6_literal(s: &str) -> bool {
    if s.parse::<Ipv6Addr>().is_err() {
        return false;
    }
    if !s.contains("::") {
        return true;
    }
    let v4_tail = s.rsplit(':').next().is_some_and(|t| t.contains('.'));
    let groups = s.split(':').filter(|g| !g.is_empty()).count() + usize::from(v4_tail);
    groups <= 6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Result<(String, String), SyntaxErrorCode> {
        parse(s, &Options::default()).map(|d| (d.ascii().to_owned(), d.unicode().into_owned()))
    }

    #[test]
    fn ascii_fast_path_lowercases() {
        assert_eq!(d("Example.COM").unwrap().0, "example.com");
        assert!(matches!(
            parse("example.com", &Options::default()).unwrap().ascii,
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn idn_maps_per_uts46() {
        assert_eq!(
            d("Bücher.DE").unwrap(),
            ("xn--bcher-kva.de".into(), "bücher.de".into())
        );
        assert_eq!(d("xn--bcher-kva.de").unwrap().1, "bücher.de");
        // Full-width letters and the ideographic full stop map.
        assert_eq!(d("ｅｘａｍｐｌｅ。ｃｏｍ").unwrap().0, "example.com");
        assert_eq!(d("例子。中国").unwrap().1, "例子.中国");
        // Non-transitional: ß and ς are kept, not mapped to ss / σ.
        assert_eq!(d("faß.de").unwrap().0, "xn--fa-hia.de");
    }

    #[test]
    fn label_policy() {
        use SyntaxErrorCode::*;
        assert_eq!(d(""), Err(EmptyDomain));
        assert_eq!(d("example"), Err(DomainSingleLabel));
        assert_eq!(d("example.com."), Err(DomainTrailingDot));
        assert_eq!(d("example..com"), Err(DomainEmptyLabel));
        assert_eq!(d(".example.com"), Err(DomainEmptyLabel));
        assert_eq!(d("-a.com"), Err(DomainHyphen));
        assert_eq!(d("a-.com"), Err(DomainHyphen));
        assert_eq!(d("ab--cd.com"), Err(DomainHyphen));
        assert_eq!(d("a_b.com"), Err(DomainInvalidCharacter));
        assert_eq!(d("a b.com"), Err(DomainInvalidCharacter));
        assert_eq!(d("example.123"), Err(DomainNumericTld));
        assert_eq!(d("1.2.3.4"), Err(DomainNumericTld));
        assert_eq!(d("mail.test"), Err(SpecialUseDomain));
        assert_eq!(d("x.localhost"), Err(SpecialUseDomain));
        assert_eq!(d("example.example").unwrap().0, "example.example");
        assert_eq!(d(&format!("{}.com", "a".repeat(63))).unwrap().0.len(), 67);
        assert_eq!(
            d(&format!("{}.com", "a".repeat(64))),
            Err(DomainLabelTooLong)
        );
        assert_eq!(d("xn--abc-.com"), Err(DomainInvalidPunycode));
        assert_eq!(d("XN--BCHER-KVA.de").unwrap().0, "xn--bcher-kva.de");
        assert_eq!(d("xn--.com"), Err(DomainInvalidPunycode));
        assert_eq!(d("xn--a.com"), Err(DomainInvalidPunycode));
    }

    #[test]
    fn domain_length_counts_ascii_form() {
        // 4 labels of 63 = 255 with dots; 3 x 63 + 61 + 3 dots = 253.
        let ok = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(61));
        assert_eq!(ok.len(), 253);
        assert!(d(&ok).is_ok());
        let long = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(62));
        assert_eq!(d(&long), Err(SyntaxErrorCode::DomainTooLong));
    }

    #[test]
    fn special_use_and_single_label_options() {
        let o = Options {
            allow_special_use: true,
            allow_single_label: true,
            ..Options::default()
        };
        assert!(parse("alpha.test", &o).is_ok());
        assert!(parse("intranet", &o).is_ok());
        assert!(parse("localhost", &o).is_ok());
    }

    #[test]
    fn literals() {
        use SyntaxErrorCode::*;
        assert_eq!(d("[192.0.2.1]"), Err(DomainLiteralNotAllowed));
        assert_eq!(d("[300.0.2.1]"), Err(InvalidDomainLiteral));
        let o = Options {
            allow_domain_literal: true,
            ..Options::default()
        };
        assert_eq!(parse("[192.0.2.1]", &o).unwrap().ascii(), "[192.0.2.1]");
        assert_eq!(
            parse("[ipv6:2001:DB8::1]", &o).unwrap().ascii(),
            "[IPv6:2001:db8::1]"
        );
        assert_eq!(parse("[2001:db8::1]", &o), Err(InvalidDomainLiteral));
        assert_eq!(parse("[192.0.2.1", &o), Err(InvalidDomainLiteral));
        assert!(parse("[192.0.2.01]", &o).is_ok());
        assert_eq!(parse("[1.2.3]", &o), Err(InvalidDomainLiteral));
        assert_eq!(
            parse("[IPv6:1111:2222:3333:4444:5555:6666::8888]", &o),
            Err(InvalidDomainLiteral)
        );
        assert!(parse("[IPv6:1111:2222:3333:4444:5555::8888]", &o).is_ok());
        assert!(parse("[IPv6:::ffff:192.0.2.1]", &o).is_ok());
    }
}
