//! VERP return paths: a return path per recipient, with a tag that proves
//! we made it.
//!
//! Anyone can mail a bounce address, so a bounce by itself proves nothing.
//! A message sent with a return path made here names its recipient and
//! carries a short HMAC tag over that recipient; only a holder of the secret
//! can make the tag. A bounce delivered to such a return path is about that
//! recipient: the MTA that gave up sent it to the address the message went
//! out with, and nobody could have guessed that address.
//!
//! # Format
//!
//! ```text
//! prb+{tag}-{local}={domain}@{bounce domain}
//!
//! john.doe@bücher.de, bounces.example.com →
//!     prb+{10 tag chars}-john.doe=xn--bcher-kva.de@bounces.example.com
//! ```
//!
//! - `prb+` is a fixed prefix (any case on reading). With Postfix's
//!   `recipient_delimiter = +`, every return path lands in the one mailbox
//!   `prb@bounces.example.com`, and `Delivered-To` / `X-Original-To` keep the
//!   whole address; a catch-all on a bounce-only domain works as well.
//! - `{local}={domain}` is the recipient's suppression key
//!   ([`crate::suppression::key`]: local part NFC-normalized and lower-cased,
//!   domain as lower-case A-labels), its `@` written `=`. Reading splits at
//!   the **last** `=`: a domain never holds one, a local part may
//!   (`a=b@example.com` → `prb+…-a=b=example.com@…`).
//! - `{tag}` is 10 characters of lower-case RFC 4648 base32 (`a`–`z`,
//!   `2`–`7`): the first 50 bits of HMAC-SHA256(secret, `"prebounce-verp-v1"`
//!   NUL key). Reading takes the tag in any case, and the rest is reduced to
//!   its key again before the tag is checked, so an MTA that changes the case
//!   of the local part (some do) or the domain changes nothing.
//!
//! Why 50 bits: verification is offline (the bounce reader checks the tag;
//! nothing answers "right" or "wrong" to the sender of a forged bounce), so
//! a forger for one chosen victim must send about 2^49 bounces on average
//! before one counts: a billion bounces a second for six days, each one
//! mail our server receives. Longer tags would cost local-part room that
//! ordinary addresses need.
//!
//! # What can be encoded
//!
//! The prefix, tag and separators take 16 octets of the 64 a local part may
//! have (RFC 5321 §4.5.3.1.1), so the recipient's key may be 48 octets
//! (`local` + `domain`): every address of up to 49 octets fits. A longer one
//! is [`VerpError::TooLong`]: send that message with the plain bounce
//! address and record it in the sent log (`prebounce sent`), which proves
//! the bounce another way. The whole return path must also stay within 254
//! octets.
//!
//! Refused with [`VerpError::NotEncodable`]: quoted local parts (`"john
//! doe"@…`: not a dot-atom, so not a valid local part once prefixed) and
//! address literals (`john@[192.0.2.1]`). A non-ASCII local part (SMTPUTF8)
//! is encoded as UTF-8: mail to such a recipient needs SMTPUTF8 anyway, and
//! RFC 6531 lets that same transaction carry a UTF-8 return path. Its octets
//! count toward the 64.
//!
//! # Reading a bounce
//!
//! [`VerpKey::recipients_in`] looks for tagged return paths in, in order:
//!
//! 1. the envelope recipients the caller knows (a pipe transport's
//!    `${original_recipient}`);
//! 2. the bounce's own `Delivered-To`, `X-Original-To`, `Envelope-To`,
//!    `X-Envelope-To` and `To` headers (RFC 3464 §2 sends the report to the
//!    return path, and MTAs put it in `To`; the delivering MTA records it in
//!    `Delivered-To` / `X-Original-To`);
//! 3. the report's per-message fields that carry the envelope sender
//!    (Postfix's `X-Postfix-Sender: rfc822; prb+…`);
//! 4. the returned message's `Return-Path` (a `message/rfc822` part, or
//!    RFC 6522's `text/rfc822-headers` / RFC 6533's
//!    `message/global-headers`): Postfix writes it into what it returns.
//!
//! Where the tag is found does not make it more or less true: only the
//! secret makes a tag. The recipient fields of a report (`Final-Recipient`,
//! `Original-Recipient`) and the returned message's `To` are not read: they
//! hold the *failed* address, never the return path.
//!
//! What a tag proves: that we sent mail to that recipient with this return
//! path. The caller accepts only records about a recipient a tag verified
//! (by key). A tag is per recipient, not per message: whoever has seen a
//! message we sent to R with its return path (R, or anyone R forwards it
//! to with headers) can send bounces about R. That reaches R alone.
//!
//! Bounded: at most [`MAX_CANDIDATES`] candidate addresses (ones that start
//! with the prefix and hold an `@`) are checked per message; a message with
//! 10,000 `To` addresses costs a scan of its headers and 32 HMACs.

use hmac::{Hmac, Mac};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use sha2::Sha256;

use super::fields;
use crate::address::{self, SyntaxErrorCode};
// Every address a server could have bounced is read, quoted and literal
// ones included (they are refused later, with a reason).
use crate::suppression::LENIENT;
use crate::{domain, suppression};

/// The fixed start of every return path made here.
pub const PREFIX: &str = "prb+";
/// Base32 characters in a tag (5 bits each).
pub const TAG_LEN: usize = 10;
/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// The longest local part SMTP allows (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_OCTETS: usize = 64;
/// The longest return path (RFC 5321's 256-octet path, less its brackets).
pub const MAX_PATH_OCTETS: usize = 254;
/// Candidate addresses checked per message, at most.
pub const MAX_CANDIDATES: usize = 32;
/// Octets a return path's local part adds to the recipient's key: the
/// prefix, the tag and the `-` after it (the key's `@` becomes `=`).
pub const OVERHEAD: usize = PREFIX.len() + TAG_LEN + 1;

/// The HMAC input's label: versioned, so a later format can never accept
/// this one's tags by accident.
const LABEL: &[u8] = b"prebounce-verp-v1\0";
/// RFC 4648's base32 alphabet, lower case.
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Bounce headers that can hold the envelope recipient, i.e. the return
/// path the bounce was sent to.
pub const ENVELOPE_HEADERS: [&str; 5] = [
    "Delivered-To",
    "X-Original-To",
    "Envelope-To",
    "X-Envelope-To",
    "To",
];

/// A report's per-message fields that carry the envelope sender, i.e. the
/// return path: Postfix's extension field (`X-Postfix-Sender: rfc822;
/// prb+…@…`).
pub const DSN_FIELDS: [&str; 1] = ["X-Postfix-Sender"];

/// Why a return path could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerpError {
    /// The secret is too short to be a key.
    #[error("the VERP secret has {len} bytes; it must have at least {MIN_SECRET_BYTES} (random bytes, such as `openssl rand -hex 32`)")]
    ShortSecret {
        /// Its length in bytes.
        len: usize,
    },
    /// The recipient is not an address.
    #[error("{address:?} is not an address ({code}): {}", code.message())]
    NotAnAddress {
        /// The input.
        address: String,
        /// Why not.
        code: SyntaxErrorCode,
    },
    /// The recipient is an address, but no return path can carry it.
    #[error("{address:?} cannot be carried in a return path: {why}; send it with the plain bounce address and record the message in the sent log (`prebounce sent`)")]
    NotEncodable {
        /// The input.
        address: String,
        /// What is in the way.
        why: &'static str,
    },
    /// The return path would be longer than SMTP allows.
    #[error("the return path for {address:?} would have a {part} of {octets} octets, over SMTP's {limit}; send it with the plain bounce address and record the message in the sent log (`prebounce sent`)")]
    TooLong {
        /// The input.
        address: String,
        /// `local part` or `return path`.
        part: &'static str,
        /// How long it would be.
        octets: usize,
        /// The limit it passes.
        limit: usize,
    },
    /// The bounce domain is not a domain.
    #[error("the bounce domain {domain:?} is not a domain name ({code}): {}", code.message())]
    BadBounceDomain {
        /// The input.
        domain: String,
        /// Why not.
        code: SyntaxErrorCode,
    },
    /// Not a return path made here (no prefix, no tag, no recipient).
    #[error(
        "{return_path:?} is not a prebounce VERP return path (prb+TAG-LOCAL=DOMAIN@BOUNCE-DOMAIN)"
    )]
    NotVerp {
        /// The input.
        return_path: String,
    },
    /// A return path of the right shape whose tag is wrong: made with
    /// another secret, changed on the way, or forged.
    #[error("the tag of {return_path:?} does not match its recipient: made with another secret, altered or forged")]
    BadTag {
        /// The input.
        return_path: String,
    },
}

/// The secret that makes and checks tags. `Debug` shows no secret.
#[derive(Clone)]
pub struct VerpKey {
    /// HMAC-SHA256 keyed with the secret, the label already absorbed.
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for VerpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerpKey([redacted])")
    }
}

impl VerpKey {
    /// A key from the secret's bytes: at least [`MIN_SECRET_BYTES`].
    pub fn new(secret: &[u8]) -> Result<VerpKey, VerpError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(VerpError::ShortSecret { len: secret.len() });
        }
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .map_err(|_| VerpError::ShortSecret { len: secret.len() })?;
        mac.update(LABEL);
        Ok(VerpKey { mac })
    }

    /// The tag of a suppression key: [`TAG_LEN`] lower-case base32
    /// characters.
    fn tag(&self, key: &str) -> [u8; TAG_LEN] {
        let mut mac = self.mac.clone();
        mac.update(key.as_bytes());
        let digest = mac.finalize().into_bytes();
        // The first 64 bits, big-endian; 50 of them are used.
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let bits = u64::from_be_bytes(first);
        let mut out = [0u8; TAG_LEN];
        for (i, c) in out.iter_mut().enumerate() {
            let index = (bits >> (64 - 5 * (i + 1))) & 31;
            *c = BASE32[index as usize];
        }
        out
    }

    /// The return path for `recipient` at `bounce_domain` (see the module
    /// doc for the format and what cannot be encoded).
    pub fn encode(&self, recipient: &str, bounce_domain: &str) -> Result<String, VerpError> {
        let mailbox =
            address::parse(recipient, &LENIENT).map_err(|code| VerpError::NotAnAddress {
                address: recipient.to_owned(),
                code,
            })?;
        let not_encodable = |why| VerpError::NotEncodable {
            address: recipient.to_owned(),
            why,
        };
        if mailbox.quoted {
            return Err(not_encodable(
                "a quoted local part is not a dot-atom, so no return path can hold it",
            ));
        }
        if mailbox.domain.is_literal() {
            return Err(not_encodable(
                "an address literal ([192.0.2.1]) cannot be written in a return path's local part",
            ));
        }
        let key = suppression::key_of(&mailbox.local, mailbox.domain.ascii());
        let bad_domain = |code| VerpError::BadBounceDomain {
            domain: bounce_domain.to_owned(),
            code,
        };
        let bounce = match domain::parse(bounce_domain.trim(), &LENIENT) {
            Ok(d) if d.is_literal() => {
                return Err(bad_domain(SyntaxErrorCode::DomainLiteralNotAllowed))
            }
            Ok(d) => d,
            Err(code) => return Err(bad_domain(code)),
        };
        // The key of an unquoted address has exactly one `@`.
        let Some((local, domain)) = key.rsplit_once('@') else {
            return Err(not_encodable("it has no domain"));
        };
        // Lower-casing can, rarely, make a local part that no longer parses
        // (a character whose lower case is not allowed): refuse what could
        // not be read back.
        if suppression::key(&key).as_deref() != Ok(key.as_str()) {
            return Err(not_encodable(
                "its lower-case form is not a valid address of its own",
            ));
        }
        let tag = self.tag(&key);
        let local_part_len = OVERHEAD + local.len() + 1 + domain.len();
        if local_part_len > MAX_LOCAL_OCTETS {
            return Err(VerpError::TooLong {
                address: recipient.to_owned(),
                part: "local part",
                octets: local_part_len,
                limit: MAX_LOCAL_OCTETS,
            });
        }
        let path_len = local_part_len + 1 + bounce.ascii().len();
        if path_len > MAX_PATH_OCTETS {
            return Err(VerpError::TooLong {
                address: recipient.to_owned(),
                part: "return path",
                octets: path_len,
                limit: MAX_PATH_OCTETS,
            });
        }
        let mut out = String::with_capacity(path_len);
        out.push_str(PREFIX);
        // Base32 characters are ASCII.
        out.extend(tag.iter().map(|&b| char::from(b)));
        out.push('-');
        out.push_str(local);
        out.push('=');
        out.push_str(domain);
        out.push('@');
        out.push_str(bounce.ascii());
        Ok(out)
    }

    /// The recipient a return path names, as its suppression key, once its
    /// tag is checked. Takes the path with or without angle brackets, in
    /// any case.
    pub fn decode(&self, return_path: &str) -> Result<String, VerpError> {
        let not_verp = || VerpError::NotVerp {
            return_path: return_path.to_owned(),
        };
        let (tag, recipient) = split(return_path).ok_or_else(not_verp)?;
        let key = suppression::key(&recipient).map_err(|_| not_verp())?;
        let expected = self.tag(&key);
        // Constant time, though nothing here answers a forger: cheap habit.
        let diff = tag
            .iter()
            .zip(expected.iter())
            .fold(0u8, |acc, (a, b)| acc | (a.to_ascii_lowercase() ^ b));
        if diff != 0 {
            return Err(VerpError::BadTag {
                return_path: return_path.to_owned(),
            });
        }
        Ok(key)
    }

    /// The recipients (suppression keys, each once, in the order found) that
    /// tagged return paths in a bounce prove it is about: from `envelope`
    /// (the envelope recipients, when the caller knows them), then the
    /// bounce's headers and the returned message's `Return-Path` (see the
    /// module doc). Empty when no tag verifies.
    pub fn recipients_in(&self, message: &Message<'_>, envelope: &[&str]) -> Vec<String> {
        self.search(Some(message), envelope)
    }

    /// [`VerpKey::recipients_in`] of a raw message; only `envelope` counts
    /// when it has no headers.
    pub fn recipients_in_raw(&self, raw: &[u8], envelope: &[&str]) -> Vec<String> {
        let message = MessageParser::new().parse(raw);
        self.search(message.as_ref(), envelope)
    }

    fn search(&self, message: Option<&Message<'_>>, envelope: &[&str]) -> Vec<String> {
        let mut search = Search {
            key: self,
            tried: 0,
            found: Vec::new(),
        };
        for e in envelope {
            search.scan(e);
        }
        // `headers_raw` reads the first part: a message without one has no
        // headers.
        let Some(message) = message.filter(|m| !m.parts.is_empty()) else {
            return search.found;
        };
        for (name, value) in message.headers_raw() {
            if ENVELOPE_HEADERS
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name.trim()))
            {
                search.scan(value);
            }
        }
        for part in &message.parts {
            if search.full() {
                break;
            }
            let (ctype, subtype) = part
                .content_type()
                .map(|c| {
                    (
                        c.ctype().to_ascii_lowercase(),
                        c.subtype().unwrap_or("").to_ascii_lowercase(),
                    )
                })
                .unwrap_or_default();
            match (&part.body, ctype.as_str(), subtype.as_str()) {
                (_, "message", "delivery-status" | "global-delivery-status") => {
                    // Only the per-message fields: a recipient group names
                    // the failed address, never the return path.
                    let groups = fields::parse(part.contents());
                    for f in &groups.message {
                        if DSN_FIELDS.iter().any(|n| f.name.eq_ignore_ascii_case(n)) {
                            search.scan(fields::typed(&f.value).1);
                        }
                    }
                }
                (PartType::Message(returned), _, _) => search.return_path(returned),
                (_, "text" | "message", "rfc822-headers" | "global-headers") => {
                    if let Some(headers) = MessageParser::new().parse_headers(part.contents()) {
                        search.return_path(&headers);
                    }
                }
                _ => {}
            }
        }
        search.found
    }
}

/// Whether `address` has the shape of a return path made here (the prefix,
/// a tag, a recipient), without checking the tag.
pub fn looks_like_verp(address: &str) -> bool {
    split(address).is_some()
}

/// A return path's tag bytes (as written) and recipient (`local@domain`, as
/// written), if it has the shape.
fn split(return_path: &str) -> Option<([u8; TAG_LEN], String)> {
    let s = return_path.trim();
    let s = s.strip_prefix('<').unwrap_or(s);
    let s = s.strip_suffix('>').unwrap_or(s);
    let (local, bounce_domain) = s.rsplit_once('@')?;
    if bounce_domain.is_empty() {
        return None;
    }
    let b = local.as_bytes();
    if b.len() <= OVERHEAD
        || !b[..PREFIX.len()].eq_ignore_ascii_case(PREFIX.as_bytes())
        || b[OVERHEAD - 1] != b'-'
    {
        return None;
    }
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&b[PREFIX.len()..PREFIX.len() + TAG_LEN]);
    if !tag.iter().all(|c| BASE32.contains(&c.to_ascii_lowercase())) {
        return None;
    }
    // Byte OVERHEAD - 1 is the ASCII `-`: the next one starts a character.
    let (rlocal, rdomain) = local[OVERHEAD..].rsplit_once('=')?;
    if rlocal.is_empty() || rdomain.is_empty() {
        return None;
    }
    Some((tag, format!("{rlocal}@{rdomain}")))
}

/// One message's search for tags, bounded by [`MAX_CANDIDATES`].
struct Search<'k> {
    key: &'k VerpKey,
    tried: usize,
    found: Vec<String>,
}

impl Search<'_> {
    fn full(&self) -> bool {
        self.tried >= MAX_CANDIDATES
    }

    /// Checks every address-like word of `text` that has the shape.
    fn scan(&mut self, text: &str) {
        let words = text.split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '<' | '>' | ',' | ';' | ':' | '(' | ')' | '"' | '[' | ']' | '\\'
                )
        });
        for word in words {
            if self.full() {
                return;
            }
            if word.len() <= OVERHEAD || !word.contains('@') || split(word).is_none() {
                continue;
            }
            self.tried += 1;
            if let Ok(key) = self.key.decode(word) {
                if !self.found.contains(&key) {
                    self.found.push(key);
                }
            }
        }
    }

    /// The returned message's `Return-Path`, if it kept one.
    fn return_path(&mut self, returned: &Message<'_>) {
        if returned.parts.is_empty() {
            return;
        }
        for (name, value) in returned.headers_raw() {
            if name.trim().eq_ignore_ascii_case("Return-Path") {
                self.scan(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OTHER: &[u8] = b"fedcba9876543210fedcba9876543210";

    fn key() -> VerpKey {
        VerpKey::new(SECRET).unwrap()
    }

    #[test]
    fn round_trip() {
        let k = key();
        let rp = k
            .encode("John.Doe@Example.com", "bounces.example.com")
            .unwrap();
        assert!(rp.starts_with("prb+"), "{rp}");
        assert!(
            rp.ends_with("-john.doe=example.com@bounces.example.com"),
            "{rp}"
        );
        assert_eq!(
            rp.len(),
            OVERHEAD + "john.doe=example.com@bounces.example.com".len()
        );
        let tag = &rp[PREFIX.len()..PREFIX.len() + TAG_LEN];
        assert!(tag.bytes().all(|c| BASE32.contains(&c)), "{tag}");
        assert_eq!(k.decode(&rp).unwrap(), "john.doe@example.com");
        assert_eq!(
            k.decode(&format!("<{rp}>")).unwrap(),
            "john.doe@example.com"
        );
        assert_eq!(
            k.decode(&format!("  {rp}\r\n")).unwrap(),
            "john.doe@example.com"
        );
        // The same recipient, however spelled, gets the same path.
        assert_eq!(
            k.encode("john.doe@EXAMPLE.COM", "Bounces.Example.com")
                .unwrap(),
            rp
        );
    }

    /// A fixed vector: the format and the tag must never change silently
    /// (return paths already out there must keep verifying).
    #[test]
    fn vector() {
        let rp = key()
            .encode("gone@example.com", "bounces.example.com")
            .unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET).unwrap();
        mac.update(b"prebounce-verp-v1\0gone@example.com");
        let d = mac.finalize().into_bytes();
        let bits = u64::from_be_bytes(d[..8].try_into().unwrap());
        let tag: String = (0..10)
            .map(|i| BASE32[((bits >> (59 - 5 * i)) & 31) as usize] as char)
            .collect();
        assert_eq!(
            rp,
            format!("prb+{tag}-gone=example.com@bounces.example.com")
        );
        assert_eq!(rp, "prb+e4kwri3dod-gone=example.com@bounces.example.com");
    }

    #[test]
    fn tampered_tag_fails() {
        let k = key();
        let rp = k.encode("gone@example.com", "bounces.example.com").unwrap();
        for i in PREFIX.len()..PREFIX.len() + TAG_LEN {
            let mut b = rp.clone().into_bytes();
            b[i] = if b[i] == b'a' { b'b' } else { b'a' };
            let bad = String::from_utf8(b).unwrap();
            assert!(
                matches!(k.decode(&bad), Err(VerpError::BadTag { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_tag_for_another_recipient_fails() {
        let k = key();
        let rp = k
            .encode("alice@example.com", "bounces.example.com")
            .unwrap();
        let forged = rp.replace("alice=", "bob=");
        assert!(matches!(k.decode(&forged), Err(VerpError::BadTag { .. })));
        let forged = rp.replace("=example.com", "=example.org");
        assert!(matches!(k.decode(&forged), Err(VerpError::BadTag { .. })));
    }

    #[test]
    fn case_changed_by_an_mta_still_decodes() {
        let k = key();
        let rp = k
            .encode("Mixed.Case@Example.com", "bounces.example.com")
            .unwrap();
        assert_eq!(
            k.decode(&rp.to_uppercase()).unwrap(),
            "mixed.case@example.com"
        );
        let odd: String = rp
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(k.decode(&odd).unwrap(), "mixed.case@example.com");
    }

    #[test]
    fn wrong_secret_fails() {
        let rp = key().encode("gone@example.com", "b.example").unwrap();
        let other = VerpKey::new(OTHER).unwrap();
        assert!(matches!(other.decode(&rp), Err(VerpError::BadTag { .. })));
    }

    #[test]
    fn short_secret_is_refused() {
        assert_eq!(
            VerpKey::new(&SECRET[..31]).unwrap_err(),
            VerpError::ShortSecret { len: 31 }
        );
        assert_eq!(
            VerpKey::new(b"").unwrap_err(),
            VerpError::ShortSecret { len: 0 }
        );
        assert!(VerpKey::new(&[0u8; 32]).is_ok());
        assert!(VerpKey::new(&[7u8; 1000]).is_ok());
    }

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!("{:?}", key());
        assert_eq!(shown, "VerpKey([redacted])");
        assert!(!shown.contains("0123"));
    }

    #[test]
    fn equals_and_plus_in_the_local_part() {
        let k = key();
        for (addr, want) in [
            ("a=b@example.com", "a=b@example.com"),
            ("a==b=@example.com", "a==b=@example.com"),
            ("user+tag@example.com", "user+tag@example.com"),
            ("prb+x@example.com", "prb+x@example.com"),
            ("o'brien-x_y{z}@example.com", "o'brien-x_y{z}@example.com"),
        ] {
            let rp = k.encode(addr, "bounces.example.com").unwrap();
            assert_eq!(k.decode(&rp).unwrap(), want, "{rp}");
        }
        let rp = k.encode("a=b@example.com", "bounces.example.com").unwrap();
        assert!(rp.contains("-a=b=example.com@"), "{rp}");
    }

    #[test]
    fn idn_domain_becomes_a_labels() {
        let k = key();
        let rp = k.encode("Jürgen@Bücher.de", "bounces.example.com").unwrap();
        assert!(
            rp.ends_with("-jürgen=xn--bcher-kva.de@bounces.example.com"),
            "{rp}"
        );
        assert_eq!(k.decode(&rp).unwrap(), "jürgen@xn--bcher-kva.de");
        let ascii = k.encode("info@bücher.de", "bounces.example.com").unwrap();
        assert!(ascii.is_ascii(), "{ascii}");
        assert_eq!(k.decode(&ascii).unwrap(), "info@xn--bcher-kva.de");
        // An IDN bounce domain is written in A-labels too.
        let rp = k.encode("a@example.com", "rückläufer.example").unwrap();
        assert!(rp.ends_with("@xn--rcklufer-3za0v.example"), "{rp}");
        assert_eq!(k.decode(&rp).unwrap(), "a@example.com");
    }

    #[test]
    fn smtputf8_local_part_is_carried_as_utf8() {
        let k = key();
        let rp = k.encode("Δοκιμή@παράδειγμα.δοκιμή", "b.example").unwrap();
        assert!(rp.contains("-δοκιμή=xn--"), "{rp}");
        assert_eq!(
            k.decode(&rp).unwrap(),
            "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp"
        );
        // An MTA that upper-cases it does not break it.
        assert_eq!(
            k.decode(&rp.to_uppercase()).unwrap(),
            "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp"
        );
    }

    #[test]
    fn long_addresses() {
        let k = key();
        // 48 octets of key (local + domain) is the most that fits.
        let local = "a".repeat(48 - "example.com".len());
        let fits = format!("{local}@example.com");
        let rp = k.encode(&fits, "bounces.example.com").unwrap();
        assert_eq!(rp.split('@').next().unwrap().len(), 64);
        assert_eq!(k.decode(&rp).unwrap(), fits);
        let over = format!("a{fits}");
        match k.encode(&over, "bounces.example.com") {
            Err(
                e @ VerpError::TooLong {
                    octets: 65,
                    limit: 64,
                    ..
                },
            ) => {
                let text = e.to_string();
                assert!(text.contains("local part of 65 octets"), "{text}");
                assert!(text.contains("prebounce sent"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        // A 64-octet local part alone is already too long.
        let max_local = format!("{}@example.com", "x".repeat(64));
        assert!(matches!(
            k.encode(&max_local, "b.example"),
            Err(VerpError::TooLong {
                part: "local part",
                ..
            })
        ));
        // The whole path: a short local part at a very long bounce domain.
        let label = "d".repeat(63);
        let bounce = format!("{label}.{label}.{label}.{}.example", "e".repeat(40));
        assert!(bounce.len() <= 253);
        assert!(matches!(
            k.encode("a@b.example", &bounce),
            Err(VerpError::TooLong {
                part: "return path",
                limit: 254,
                ..
            })
        ));
    }

    #[test]
    fn what_cannot_be_encoded() {
        let k = key();
        for addr in ["\"john doe\"@example.com", "\"a\"@example.com"] {
            assert!(
                matches!(
                    k.encode(addr, "b.example"),
                    Err(VerpError::NotEncodable { .. })
                ),
                "{addr}"
            );
        }
        assert!(matches!(
            k.encode("john@[192.0.2.1]", "b.example"),
            Err(VerpError::NotEncodable { .. })
        ));
        for addr in [
            "",
            "no-at",
            "a@",
            "@b.example",
            "a b@example.com",
            "a..b@example.com",
        ] {
            assert!(
                matches!(
                    k.encode(addr, "b.example"),
                    Err(VerpError::NotAnAddress { .. })
                ),
                "{addr}"
            );
        }
        for bad in ["", "bad domain", "[192.0.2.1]", "a..b", "-x.example"] {
            assert!(
                matches!(
                    k.encode("a@example.com", bad),
                    Err(VerpError::BadBounceDomain { .. })
                ),
                "{bad:?}"
            );
        }
        let e = k
            .encode("\"x y\"@example.com", "b.example")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("quoted local part") && e.contains("prebounce sent"),
            "{e}"
        );
    }

    #[test]
    fn not_verp_addresses() {
        let k = key();
        let good = k.encode("gone@example.com", "b.example").unwrap();
        let tag = &good[4..14];
        for s in [
            "".to_owned(),
            "gone@example.com".to_owned(),
            "bounce+gone=example.com@b.example".to_owned(),
            format!("prb+{tag}-gone=example.com"), // no bounce domain
            format!("prb+{tag}-gone=example.com@"), // empty bounce domain
            format!("prb+{tag}gone=example.com@b.example"), // no dash
            format!("prb+{tag}-goneexample.com@b.example"), // no `=`
            format!("prb+{tag}-=example.com@b.example"), // empty local
            format!("prb+{tag}-gone=@b.example"),  // empty domain
            "prb+0000000000-gone=example.com@b.example".to_owned(), // 0 is not base32
            format!("prb+{}-gone=example.com@b.example", &tag[..9]),
            format!("prb-{tag}-gone=example.com@b.example"),
            format!("prb+{tag}-"),
            format!("prb+{tag}-@b"),
            format!("prb+{tag}-a b=example.com@b.example"), // not an address
        ] {
            assert!(
                matches!(k.decode(&s), Err(VerpError::NotVerp { .. })),
                "{s:?}: {:?}",
                k.decode(&s)
            );
            assert!(!looks_like_verp(&s) || k.decode(&s).is_err());
        }
        assert!(looks_like_verp(&good));
        // Multi-byte text right after the tag must not split a character.
        assert!(k.decode("prb+abcdefghijé=x@b").is_err());
        assert!(k.decode("prb+abcdefghi-é=x@b").is_err());
        assert!(k.decode("prb+abcdefghéj-a=x@b").is_err());
    }

    #[test]
    fn the_bounce_domain_is_not_part_of_the_proof() {
        // An operator may move the bounce domain: old paths still verify.
        let k = key();
        let rp = k.encode("gone@example.com", "old.example").unwrap();
        let moved = rp.replace("@old.example", "@new.example");
        assert_eq!(k.decode(&moved).unwrap(), "gone@example.com");
    }

    fn dsn(headers: &str, returned: &str) -> String {
        format!(
            "{headers}From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r
Subject: Undelivered Mail Returned to Sender\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r
\r
--B\r
Content-Type: text/plain\r
\r
I'm sorry to have to inform you that your message could not be delivered.\r
--B\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.com\r
\r
Final-Recipient: rfc822; gone@example.com\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 no such user\r
--B\r
Content-Type: text/rfc822-headers\r
\r
{returned}From: news@sender.example\r
To: gone@example.com\r
Subject: hello\r
\r
--B--\r
"
        )
    }

    /// Postfix 3.7.11's own DSN for mail sent with a return path made under
    /// `SECRET` (`prb+e5uvwaataa-disabled=alpha.test@sender.test`), refused
    /// by tests/peers/postfix.sh and delivered by virtual(8) to the maildir
    /// of `prb@sender.test` (`recipient_delimiter = +`): the tag is in
    /// X-Original-To, Delivered-To, To, X-Postfix-Sender and the returned
    /// message's Return-Path.
    const POSTFIX_DSN: &str = r#"Return-Path: <>
X-Original-To: prb+e5uvwaataa-disabled=alpha.test@sender.test
Delivered-To: prb+e5uvwaataa-disabled=alpha.test@sender.test
Received: by out.sender.test (Postfix)
	id 4jk4T35jhcz1XZmY; Tue,  8 Dec 2026 03:39:03 +0000 (UTC)
Date: Tue,  8 Dec 2026 03:39:03 +0000 (UTC)
From: Mail Delivery System <MAILER-DAEMON@sender.test>
Subject: Undelivered Mail Returned to Sender
To: prb+e5uvwaataa-disabled=alpha.test@sender.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4jk4T352zcz1XZmX.1796701143/out.sender.test"
Content-Transfer-Encoding: 8bit
Message-Id: <4jk4T35jhcz1XZmY@out.sender.test>

This is a MIME-encapsulated message.

--4jk4T352zcz1XZmX.1796701143/out.sender.test
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host out.sender.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<disabled@alpha.test>: host 127.0.0.1[127.0.0.1] said: 550 5.2.1
    <disabled@alpha.test>: Recipient address rejected: The email account that
    you tried to reach is disabled (in reply to RCPT TO command)

--4jk4T352zcz1XZmX.1796701143/out.sender.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; out.sender.test
X-Postfix-Queue-ID: 4jk4T352zcz1XZmX
X-Postfix-Sender: rfc822; prb+e5uvwaataa-disabled=alpha.test@sender.test
Arrival-Date: Tue,  8 Dec 2026 03:39:03 +0000 (UTC)

Final-Recipient: rfc822; disabled@alpha.test
Original-Recipient: rfc822;disabled@alpha.test
Action: failed
Status: 5.2.1
Remote-MTA: dns; 127.0.0.1
Diagnostic-Code: smtp; 550 5.2.1 <disabled@alpha.test>: Recipient address
    rejected: The email account that you tried to reach is disabled

--4jk4T352zcz1XZmX.1796701143/out.sender.test
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

Return-Path: <prb+e5uvwaataa-disabled=alpha.test@sender.test>
Received: by out.sender.test (Postfix, from userid 0)
	id 4jk4T352zcz1XZmX; Tue,  8 Dec 2026 03:39:03 +0000 (UTC)
From: Sender <news@sender.test>
To: disabled@alpha.test
Subject: test
Message-ID: <verp-test-1@sender.test>
Date: Tue,  8 Dec 2026 03:39:03 +0000 (UTC)

hello

--4jk4T352zcz1XZmX.1796701143/out.sender.test--
"#;

    #[test]
    fn a_real_postfix_bounce() {
        let k = key();
        assert_eq!(
            k.encode("disabled@alpha.test", "sender.test").unwrap(),
            "prb+e5uvwaataa-disabled=alpha.test@sender.test"
        );
        let found = k.recipients_in_raw(POSTFIX_DSN.as_bytes(), &[]);
        assert_eq!(found, ["disabled@alpha.test"]);
        // What the report says is about the same recipient.
        let report = super::super::parse(POSTFIX_DSN.as_bytes());
        let keys: Vec<String> = report
            .records
            .iter()
            .map(|r| suppression::key(&r.recipient).unwrap())
            .collect();
        assert_eq!(keys, found);
        // Each place alone is enough.
        let rp = "prb+e5uvwaataa-disabled=alpha.test@sender.test";
        let only = |keep: &str| -> String {
            POSTFIX_DSN
                .lines()
                .map(|l| {
                    if l.starts_with(keep) {
                        l.to_owned()
                    } else {
                        l.replace(rp, "plain@sender.test")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        for keep in [
            "X-Original-To:",
            "Delivered-To:",
            "To:",
            "X-Postfix-Sender:",
            "Return-Path: <prb",
        ] {
            let msg = only(keep);
            assert_eq!(msg.matches("prb+").count(), 1, "{keep}: {msg}");
            assert_eq!(
                k.recipients_in_raw(msg.as_bytes(), &[]),
                ["disabled@alpha.test"],
                "{keep}"
            );
        }
        assert!(only("nothing").matches("prb+").count() == 0);
        assert!(k
            .recipients_in_raw(only("nothing").as_bytes(), &[])
            .is_empty());
        // Under another secret, none of the five verifies.
        let other = VerpKey::new(OTHER).unwrap();
        assert!(other
            .recipients_in_raw(POSTFIX_DSN.as_bytes(), &[])
            .is_empty());
    }

    #[test]
    fn a_bounce_with_the_tag_in_delivered_to() {
        let k = key();
        let rp = k.encode("gone@example.com", "bounces.example.com").unwrap();
        let msg = dsn(
            &format!("Delivered-To: {rp}\r\nTo: postmaster@bounces.example.com\r\n"),
            "",
        );
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
    }

    #[test]
    fn a_bounce_with_the_tag_in_x_original_to() {
        let k = key();
        let rp = k.encode("gone@example.com", "bounces.example.com").unwrap();
        let msg = dsn(&format!("X-Original-To: {}\r\n", rp.to_uppercase()), "");
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
    }

    #[test]
    fn a_bounce_with_the_tag_in_to() {
        let k = key();
        let rp = k.encode("gone@example.com", "bounces.example.com").unwrap();
        let msg = dsn(&format!("To: \"Bounces\" <{rp}>\r\n"), "");
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
        // Folded, among other addresses.
        let msg = dsn(
            &format!("To: someone@example.org,\r\n  <{rp}>, other@example.net\r\n"),
            "",
        );
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
    }

    #[test]
    fn a_bounce_with_the_tag_in_envelope_to_and_returned_headers() {
        let k = key();
        let rp = k.encode("gone@example.com", "bounces.example.com").unwrap();
        let msg = dsn(&format!("Envelope-To: {rp}\r\n"), "");
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
        let msg = dsn(&format!("X-Envelope-To: <{rp}>\r\n"), "");
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
        // Only in the returned message's Return-Path.
        let msg = dsn(
            "To: bounces@sender.example\r\n",
            &format!("Return-Path: <{rp}>\r\n"),
        );
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
        // The caller's envelope recipient.
        let msg = dsn("", "");
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[&rp]),
            ["gone@example.com"]
        );
        assert!(k.recipients_in_raw(msg.as_bytes(), &[]).is_empty());
    }

    #[test]
    fn a_returned_message_part_counts_only_by_return_path() {
        let k = key();
        let rp = k.encode("gone@example.com", "bounces.example.com").unwrap();
        let msg = format!(
            "From: MAILER-DAEMON@mx.example.com\r
To: bounces@sender.example\r
Subject: Undeliverable\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"B\"\r
\r
--B\r
Content-Type: text/plain\r
\r
failed\r
--B\r
Content-Type: message/rfc822\r
\r
Return-Path: <{rp}>\r
From: news@sender.example\r
To: gone@example.com\r
Subject: hello\r
\r
body\r
--B--\r
"
        );
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
        // The same return path in the returned message's To is not where a
        // return path goes: not read.
        let msg = msg
            .replace("Return-Path:", "X-Other:")
            .replace("To: gone@example.com", &format!("To: {rp}"));
        assert!(k.recipients_in_raw(msg.as_bytes(), &[]).is_empty());
    }

    #[test]
    fn forged_bounces_verify_nobody() {
        let k = key();
        let other = VerpKey::new(OTHER).unwrap();
        let forged = other
            .encode("victim@example.com", "bounces.example.com")
            .unwrap();
        let msg = dsn(&format!("Delivered-To: {forged}\r\nTo: {forged}\r\n"), "");
        assert!(k.recipients_in_raw(msg.as_bytes(), &[]).is_empty());
        let plain = dsn("To: bounces@sender.example\r\n", "");
        assert!(k.recipients_in_raw(plain.as_bytes(), &[]).is_empty());
        assert!(k.recipients_in_raw(b"", &[]).is_empty());
        assert!(k.recipients_in_raw(b"\xff\xfe garbage", &[]).is_empty());
    }

    #[test]
    fn several_tags_each_found_once() {
        let k = key();
        let a = k.encode("a@example.com", "b.example").unwrap();
        let b = k.encode("b@example.com", "b.example").unwrap();
        let msg = dsn(
            &format!(
                "Delivered-To: {a}\r\nX-Original-To: {a}\r\nTo: {b}, {}\r\n",
                a.to_uppercase()
            ),
            "",
        );
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["a@example.com", "b@example.com"]
        );
    }

    #[test]
    fn hostile_headers_cost_bounded_work() {
        let k = key();
        let real = k.encode("gone@example.com", "b.example").unwrap();
        // 10,000 well-shaped but forged candidates before the real one: only
        // MAX_CANDIDATES are checked, so the real one is never reached.
        let forged: Vec<String> = (0..10_000)
            .map(|i| format!("prb+aaaaaaaaaa-u{i}=example.com@b.example"))
            .collect();
        let to = forged.join(", ");
        let msg = dsn(&format!("To: {to}, {real}\r\n"), "");
        assert!(k.recipients_in_raw(msg.as_bytes(), &[]).is_empty());
        // The real one first is found; the forgeries after it cost nothing.
        let msg = dsn(&format!("Delivered-To: {real}\r\nTo: {to}\r\n"), "");
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
        // Plain addresses are not candidates and do not use up the budget.
        let plain: Vec<String> = (0..10_000).map(|i| format!("u{i}@example.com")).collect();
        let msg = dsn(&format!("To: {}, {real}\r\n", plain.join(", ")), "");
        assert_eq!(
            k.recipients_in_raw(msg.as_bytes(), &[]),
            ["gone@example.com"]
        );
    }

    #[test]
    fn key_is_stable_under_decode() {
        // What decode returns is a fixed point of the suppression key, so
        // the store finds the record encode meant.
        let k = key();
        for addr in ["A@B.example", "Jürgen@Bücher.de", "x.y+z@Sub.Example.ORG"] {
            let rp = k.encode(addr, "b.example").unwrap();
            let got = k.decode(&rp).unwrap();
            assert_eq!(suppression::key(addr).unwrap(), got);
            assert_eq!(suppression::key(&got).unwrap(), got);
        }
    }

    proptest::proptest! {
        #[test]
        fn prop_round_trip(
            local in "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[a-zA-Z0-9=+_-]{1,6}){0,2}",
            domain in "[a-z0-9]{1,10}(\\.[a-z0-9]{1,8}){1,2}",
        ) {
            let k = key();
            let addr = format!("{local}@{domain}");
            match k.encode(&addr, "bounces.example.com") {
                Ok(rp) => {
                    proptest::prop_assert!(rp.split('@').next().unwrap().len() <= 64);
                    proptest::prop_assert_eq!(k.decode(&rp).unwrap(), suppression::key(&addr).unwrap());
                    proptest::prop_assert_eq!(k.decode(&rp.to_uppercase()).unwrap(), suppression::key(&addr).unwrap());
                }
                Err(VerpError::TooLong { .. }) => {
                    proptest::prop_assert!(addr.len() > 49);
                }
                Err(VerpError::NotAnAddress { .. }) => {
                    // Numeric TLDs and the like: the key refuses them too.
                    proptest::prop_assert!(suppression::key(&addr).is_err());
                }
                Err(e) => proptest::prop_assert!(false, "{e}"),
            }
        }
    }
}
