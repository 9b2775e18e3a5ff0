//! Address syntax: RFC 5321 Mailbox, RFC 6531 SMTPUTF8 local parts, DESIGN.md policy.

use serde::{Deserialize, Serialize};

/// Why an input is not an acceptable address. Stable snake_case codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum SyntaxErrorCode {
    /// The input is empty (or only white space).
    Empty = 0,
    /// The item is not a string (lists handed in from JavaScript).
    NotAString,
    /// No `@` sign.
    MissingAt,
    /// Nothing before the `@`.
    EmptyLocal,
    /// Nothing after the `@`.
    EmptyDomain,
    /// The whole address is longer than 254 octets.
    AddressTooLong,
    /// The local part is longer than 64 octets.
    LocalTooLong,
    /// A character not allowed in an unquoted local part.
    LocalInvalidCharacter,
    /// A dot at the start or end of the local part, or two in a row.
    LocalDot,
    /// A quoted local part while `allow_quoted_local` is off.
    QuotedLocalNotAllowed,
    /// A malformed quoted local part.
    InvalidQuotedLocal,
    /// A non-ASCII local part while `allow_smtputf8` is off.
    Smtputf8NotAllowed,
    /// A display name or angle brackets around the address.
    DisplayName,
    /// A character not allowed in a domain.
    DomainInvalidCharacter,
    /// An empty label (two dots in a row, or a leading dot).
    DomainEmptyLabel,
    /// The domain ends with a dot.
    DomainTrailingDot,
    /// A label longer than 63 octets.
    DomainLabelTooLong,
    /// The domain is longer than 253 octets in ASCII form.
    DomainTooLong,
    /// A label starts or ends with a hyphen, or has `--` in positions 3–4.
    DomainHyphen,
    /// An `xn--` label that is not valid Punycode or does not round-trip.
    DomainInvalidPunycode,
    /// A label IDNA does not allow (disallowed code points, bidi or joiner rules).
    DomainInvalidIdn,
    /// A domain without a dot.
    DomainSingleLabel,
    /// An all-numeric top-level label.
    DomainNumericTld,
    /// A special-use name (`.test`, `.localhost` …).
    SpecialUseDomain,
    /// A domain literal while `allow_domain_literal` is off.
    DomainLiteralNotAllowed,
    /// A malformed domain literal.
    InvalidDomainLiteral,
}
