//! Request signing for the probe API (docs/DESIGN.md, "The probe backend"):
//! the one implementation the worker (signing), `prebounce serve`
//! (verifying) and the tests (both) use.
//!
//! Every request carries `X-Prebounce-Timestamp` (Unix seconds),
//! `X-Prebounce-Nonce` (at least 16 random bytes as hex) and
//! `X-Prebounce-Signature`, the lower-case hex HMAC-SHA256 under the shared
//! secret of the canonical string
//!
//! ```text
//! METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA-256(body))
//! ```
//!
//! The checks run cheapest first and the nonce is recorded only once the
//! signature holds, so unsigned traffic can neither fill the nonce store nor
//! burn a legitimate caller's nonce. [`check_headers`] is the part that needs
//! no body: a server runs it before it reads one.
//!
//! The secret is at least [`MIN_SECRET_BYTES`] bytes: [`Secret::new`] refuses
//! anything shorter, for the worker and `serve` alike.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "x-prebounce-timestamp";
/// The nonce header.
pub const NONCE_HEADER: &str = "x-prebounce-nonce";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-prebounce-signature";

/// How far a timestamp may be from the server's clock, either way, in seconds.
/// A nonce is remembered until its request's timestamp is this far in the
/// past (at most twice this long after it was first seen).
pub const MAX_SKEW_SECS: u64 = 300;
/// Fewest bytes in a shared secret (256 bits, HMAC-SHA256's own strength).
pub const MIN_SECRET_BYTES: usize = 32;
/// Fewest hex digits in a nonce (16 bytes).
pub const NONCE_MIN_HEX: usize = 32;
/// Most hex digits in a nonce (bounds the store's memory).
pub const NONCE_MAX_HEX: usize = 128;
/// Nonces remembered at most. At 1,000 requests a second sustained for the
/// whole window (up to 600 s) this would be too small, but one request carries up
/// to `--max-batch` SMTP probes, and no probe does that many; past the cap
/// requests are refused (503), never let in unchecked.
pub const NONCE_CAPACITY: usize = 200_000;

/// The shared secret. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct Secret(Arc<[u8]>);

/// Why a secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretError {
    /// No bytes at all.
    Empty,
    /// Fewer than [`MIN_SECRET_BYTES`] bytes.
    TooShort {
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for SecretError {
    /// Says what was wrong and how to make a good one; the caller names the
    /// source (`the secret from PREBOUNCE_SECRET …`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::Empty => write!(f, "is empty"),
            SecretError::TooShort { len } => write!(
                f,
                "has {len} bytes; it must have at least {MIN_SECRET_BYTES}"
            ),
        }?;
        write!(
            f,
            ": make one with `openssl rand -hex 32` (64 hex digits) and give the worker's \
             PROBE_SECRET and the probe's PREBOUNCE_SECRET the same value"
        )
    }
}

impl std::error::Error for SecretError {}

impl Secret {
    /// A secret from its bytes, exactly as given: refused when shorter than
    /// [`MIN_SECRET_BYTES`].
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Secret, SecretError> {
        let bytes = bytes.as_ref();
        match bytes.len() {
            0 => Err(SecretError::Empty),
            len if len < MIN_SECRET_BYTES => Err(SecretError::TooShort { len }),
            _ => Ok(Secret(Arc::from(bytes))),
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true: a short secret is refused by [`Secret::new`].
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; new_from_slice cannot fail for it.
        HmacSha256::new_from_slice(&self.0).expect("HMAC accepts any key length")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret([{} bytes redacted])", self.0.len())
    }
}

/// Whether two secrets (API keys, tokens) are equal, in time that depends on
/// neither's content nor on where they differ: their SHA-256 digests are
/// compared with no early exit. A key looked up with `==` tells a caller,
/// by how long a refusal takes, how many of its first bytes were right.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// The string that is signed.
pub fn canonical_string(
    method: &str,
    path: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("{method}\n{path}\n{timestamp}\n{nonce}\n{body_hash}")
}

/// The signature of a request: lower-case hex HMAC-SHA256 of its canonical
/// string.
pub fn sign(
    secret: &Secret,
    method: &str,
    path: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    let mut mac = secret.mac();
    mac.update(canonical_string(method, path, timestamp, nonce, body).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// A header is missing or not text.
    Missing(&'static str),
    /// The timestamp is not a whole number of seconds.
    BadTimestamp,
    /// The timestamp is too far from the server's clock.
    Skewed {
        /// The request's timestamp.
        timestamp: u64,
        /// The server's clock.
        now: u64,
    },
    /// The nonce is not 32 to 128 hex digits.
    BadNonce,
    /// The signature is not hex, or does not match.
    BadSignature,
    /// The nonce was used before.
    Replayed,
    /// The nonce store is full (a flood of signed requests).
    StoreFull,
}

impl AuthError {
    /// `true` for a refusal that is the caller's fault (401); `false` when
    /// the server cannot take the request now (503).
    pub fn is_unauthorized(&self) -> bool {
        !matches!(self, AuthError::StoreFull)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Missing(h) => write!(f, "missing or unreadable header {h}"),
            AuthError::BadTimestamp => {
                write!(f, "X-Prebounce-Timestamp must be Unix time in whole seconds")
            }
            AuthError::Skewed { timestamp, now } => write!(
                f,
                "X-Prebounce-Timestamp {timestamp} is more than {MAX_SKEW_SECS} s from the server's clock ({now}); \
                 check the caller's clock"
            ),
            AuthError::BadNonce => write!(
                f,
                "X-Prebounce-Nonce must be {NONCE_MIN_HEX} to {NONCE_MAX_HEX} hex digits (at least 16 random bytes)"
            ),
            AuthError::BadSignature => write!(
                f,
                "X-Prebounce-Signature does not match: it must be the lower-case hex HMAC-SHA256 of \
                 METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(body)) under the shared secret"
            ),
            AuthError::Replayed => write!(f, "this nonce was already used; send a fresh one"),
            AuthError::StoreFull => write!(f, "too many recent requests; retry shortly"),
        }
    }
}

/// The authentication headers of one request, as text.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    /// `X-Prebounce-Timestamp`.
    pub timestamp: Option<&'a str>,
    /// `X-Prebounce-Nonce`.
    pub nonce: Option<&'a str>,
    /// `X-Prebounce-Signature`.
    pub signature: Option<&'a str>,
}

/// Verifies signed requests and remembers their nonces.
#[derive(Debug, Clone)]
pub struct Authenticator {
    secret: Secret,
    nonces: Arc<Mutex<NonceStore>>,
}

impl Authenticator {
    /// An authenticator with this secret and an empty nonce store.
    pub fn new(secret: Secret) -> Authenticator {
        Authenticator::with_capacity(secret, NONCE_CAPACITY)
    }

    /// Same, with a nonce store of this capacity.
    pub fn with_capacity(secret: Secret, capacity: usize) -> Authenticator {
        Authenticator {
            secret,
            nonces: Arc::new(Mutex::new(NonceStore::new(capacity, MAX_SKEW_SECS))),
        }
    }

    /// Nonces remembered now.
    pub fn nonces_held(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, NonceStore> {
        // The store stays consistent even if a holder panicked mid-way
        // (every mutation is a single push or pop), so poisoning is ignored.
        self.nonces.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks one request at Unix time `now`; on success its nonce is
    /// recorded, so the same request is refused the second time.
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        headers: SignedHeaders<'_>,
        body: &[u8],
        now: u64,
    ) -> Result<(), AuthError> {
        let Checked {
            timestamp,
            timestamp_text,
            nonce,
            signature,
        } = check_headers(headers, now)?;
        let mut mac = self.secret.mac();
        mac.update(canonical_string(method, path, timestamp_text, nonce, body).as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&signature)
            .map_err(|_| AuthError::BadSignature)?;

        self.lock()
            .insert(&nonce.to_ascii_lowercase(), timestamp, now)
    }
}

/// The headers of a request that passed [`check_headers`].
#[derive(Debug, Clone)]
pub struct Checked<'a> {
    /// The timestamp, in Unix seconds.
    pub timestamp: u64,
    /// The timestamp as sent (what was signed).
    pub timestamp_text: &'a str,
    /// The nonce as sent.
    pub nonce: &'a str,
    /// The signature's 32 bytes (not yet compared).
    pub signature: Vec<u8>,
}

/// The checks that need neither the body nor the secret, at Unix time `now`:
/// the three headers are there, the timestamp is inside the window, the
/// nonce and the signature have their shapes. A server runs this before it
/// reads a body, so an unsigned or stale request costs it no body bytes;
/// [`Authenticator::verify`] runs it too.
pub fn check_headers(headers: SignedHeaders<'_>, now: u64) -> Result<Checked<'_>, AuthError> {
    let timestamp_text = headers
        .timestamp
        .ok_or(AuthError::Missing("X-Prebounce-Timestamp"))?;
    let nonce = headers
        .nonce
        .ok_or(AuthError::Missing("X-Prebounce-Nonce"))?;
    let sig_text = headers
        .signature
        .ok_or(AuthError::Missing("X-Prebounce-Signature"))?;

    let timestamp = parse_timestamp(timestamp_text)?;
    if timestamp.abs_diff(now) > MAX_SKEW_SECS {
        return Err(AuthError::Skewed { timestamp, now });
    }
    if !(NONCE_MIN_HEX..=NONCE_MAX_HEX).contains(&nonce.len())
        || !nonce.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(AuthError::BadNonce);
    }
    // An HMAC-SHA256 is 32 bytes: 64 hex digits, nothing else.
    if sig_text.len() != 64 {
        return Err(AuthError::BadSignature);
    }
    let signature = hex::decode(sig_text).map_err(|_| AuthError::BadSignature)?;
    Ok(Checked {
        timestamp,
        timestamp_text,
        nonce,
        signature,
    })
}

fn parse_timestamp(s: &str) -> Result<u64, AuthError> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::BadTimestamp);
    }
    s.parse().map_err(|_| AuthError::BadTimestamp)
}

/// Nonces whose requests' timestamps are still inside the window, at most
/// `capacity` of them.
///
/// A nonce is held until its own request's timestamp is more than `window`
/// seconds in the past, the moment that request would be refused as stale
/// anyway. (Holding it for a span after it was first seen is not enough: a
/// request stamped `window` seconds ahead stays acceptable for `2 * window`
/// seconds.) Entries sit in a min-heap by expiry, so expired ones are
/// pruned in logarithmic time.
#[derive(Debug)]
pub struct NonceStore {
    seen: HashSet<Arc<str>>,
    expiry: BinaryHeap<Reverse<(u64, Arc<str>)>>,
    capacity: usize,
    window: u64,
}

impl NonceStore {
    /// An empty store for timestamps accepted `window` seconds either way.
    pub fn new(capacity: usize, window: u64) -> NonceStore {
        NonceStore {
            seen: HashSet::new(),
            expiry: BinaryHeap::new(),
            capacity,
            window,
        }
    }

    /// Nonces held now (expired ones included until the next insert).
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no nonce is held.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Forgets nonces whose timestamps left the window by `now`.
    fn prune(&mut self, now: u64) {
        while let Some(Reverse((expires, _))) = self.expiry.peek() {
            if *expires > now {
                break;
            }
            if let Some(Reverse((_, nonce))) = self.expiry.pop() {
                self.seen.remove(&nonce);
            }
        }
    }

    /// Records `nonce`, sent with Unix time `timestamp`, at Unix time `now`:
    /// `Replayed` if it is held, `StoreFull` if the store is at capacity
    /// after pruning. It is held while `timestamp` is within `window`
    /// seconds of the clock: until `timestamp + window + 1`.
    pub fn insert(&mut self, nonce: &str, timestamp: u64, now: u64) -> Result<(), AuthError> {
        self.prune(now);
        if self.seen.contains(nonce) {
            return Err(AuthError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            return Err(AuthError::StoreFull);
        }
        let nonce: Arc<str> = Arc::from(nonce);
        self.seen.insert(nonce.clone());
        let expires = timestamp.saturating_add(self.window).saturating_add(1);
        self.expiry.push(Reverse((expires, nonce)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn secrets_compare_by_content_whatever_their_lengths() {
        assert!(same_secret(b"sk_live_0123456789", b"sk_live_0123456789"));
        assert!(!same_secret(b"sk_live_0123456789", b"sk_live_0123456788"));
        assert!(!same_secret(b"sk_live_0123456789", b"sk_live_012345678"));
        assert!(!same_secret(b"", b"x"));
        assert!(same_secret(b"", b""));
    }

    use super::*;

    const NOW: u64 = 1_700_000_000;
    const NONCE: &str = "00112233445566778899aabbccddeeff";

    /// The docs/DESIGN.md test vector's secret: 32 bytes, the fewest allowed.
    const SECRET: &str = "prebounce-test-secret-0123456789";

    fn secret() -> Secret {
        Secret::new(SECRET).unwrap()
    }

    fn headers<'a>(ts: &'a str, nonce: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            timestamp: Some(ts),
            nonce: Some(nonce),
            signature: Some(sig),
        }
    }

    #[test]
    fn canonical_string_layout() {
        assert_eq!(
            canonical_string("POST", "/v1/probe", "1700000000", NONCE, b""),
            "POST\n/v1/probe\n1700000000\n00112233445566778899aabbccddeeff\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn signature_matches_an_independent_implementation() {
        // Computed with: printf 'POST\n/v1/probe\n1700000000\n<NONCE>\n%s' \
        //   "$(printf '%s' '{"emails":["a@example.com"]}' | openssl dgst -sha256 -r | cut -c1-64)" \
        //   | openssl dgst -sha256 -hmac prebounce-test-secret-0123456789 -r
        let sig = sign(
            &secret(),
            "POST",
            "/v1/probe",
            "1700000000",
            NONCE,
            br#"{"emails":["a@example.com"]}"#,
        );
        assert_eq!(sig, OPENSSL_VECTOR);
        assert_eq!(sig.len(), 64);
        assert!(sig
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
    }

    const OPENSSL_VECTOR: &str = "dd5cfe881d9f952fb4dc4b482de6d59d5218c5015e9f98e1b1ed6d6c8bf5d5d0";

    #[test]
    fn accepts_a_good_request_once() {
        let auth = Authenticator::new(secret());
        let body = br#"{"emails":[]}"#;
        let ts = NOW.to_string();
        let sig = sign(&secret(), "POST", "/v1/probe", &ts, NONCE, body);
        let h = headers(&ts, NONCE, &sig);
        assert_eq!(auth.verify("POST", "/v1/probe", h, body, NOW), Ok(()));
        assert_eq!(
            auth.verify("POST", "/v1/probe", h, body, NOW + 1),
            Err(AuthError::Replayed)
        );
        assert_eq!(auth.nonces_held(), 1);
    }

    #[test]
    fn refuses_what_was_not_signed() {
        let auth = Authenticator::new(secret());
        let body = br#"{"emails":["a@example.com"]}"#;
        let ts = NOW.to_string();
        let sig = sign(&secret(), "POST", "/v1/probe", &ts, NONCE, body);
        let h = headers(&ts, NONCE, &sig);
        let other = Secret::new("another-secret-of-32-bytes-or-so").unwrap();
        let cases: Vec<(&str, &str, SignedHeaders<'_>, &[u8])> = vec![
            ("POST", "/v1/probe", h, b"{\"emails\":[\"b@example.com\"]}"),
            ("GET", "/v1/probe", h, body),
            ("POST", "/v1/probe/", h, body),
        ];
        for (method, path, h, body) in cases {
            assert_eq!(
                auth.verify(method, path, h, body, NOW),
                Err(AuthError::BadSignature),
                "{method} {path}"
            );
        }
        let forged = sign(&other, "POST", "/v1/probe", &ts, NONCE, body);
        assert_eq!(
            auth.verify("POST", "/v1/probe", headers(&ts, NONCE, &forged), body, NOW),
            Err(AuthError::BadSignature)
        );
        let upper = sig.to_ascii_uppercase();
        let bad_sigs = [
            "",
            "zz",
            &sig[..62],
            "not hex at all, but 64 chars long...............................",
        ];
        for s in bad_sigs {
            assert_eq!(
                auth.verify("POST", "/v1/probe", headers(&ts, NONCE, s), body, NOW),
                Err(AuthError::BadSignature),
                "{s:?}"
            );
        }
        // None of the refusals burnt the nonce: the genuine request still passes.
        assert_eq!(auth.nonces_held(), 0);
        assert_eq!(
            auth.verify("POST", "/v1/probe", headers(&ts, NONCE, &upper), body, NOW),
            Ok(())
        );
    }

    #[test]
    fn missing_headers() {
        let auth = Authenticator::new(secret());
        let none = SignedHeaders {
            timestamp: None,
            nonce: None,
            signature: None,
        };
        assert_eq!(
            auth.verify("POST", "/v1/probe", none, b"", NOW),
            Err(AuthError::Missing("X-Prebounce-Timestamp"))
        );
        let h = SignedHeaders {
            signature: None,
            ..headers("1", NONCE, "")
        };
        assert_eq!(
            auth.verify("POST", "/v1/probe", h, b"", NOW),
            Err(AuthError::Missing("X-Prebounce-Signature"))
        );
    }

    #[test]
    fn timestamp_window() {
        let auth = Authenticator::new(secret());
        let body = b"{}";
        for (offset, ok) in [
            (-301i64, false),
            (-300, true),
            (0, true),
            (300, true),
            (301, false),
        ] {
            let ts = NOW.checked_add_signed(offset).unwrap().to_string();
            let nonce = format!("{:032x}", offset + 1000);
            let sig = sign(&secret(), "POST", "/v1/probe", &ts, &nonce, body);
            let r = auth.verify("POST", "/v1/probe", headers(&ts, &nonce, &sig), body, NOW);
            assert_eq!(r.is_ok(), ok, "offset {offset}: {r:?}");
            if !ok {
                assert!(matches!(r, Err(AuthError::Skewed { .. })));
            }
        }
        for bad in [
            "",
            "-5",
            "1.5",
            "1e9",
            " 1700000000",
            "99999999999999999999",
        ] {
            let sig = sign(&secret(), "POST", "/v1/probe", bad, NONCE, body);
            assert_eq!(
                auth.verify("POST", "/v1/probe", headers(bad, NONCE, &sig), body, NOW),
                Err(AuthError::BadTimestamp),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn nonce_format() {
        let auth = Authenticator::new(secret());
        let ts = NOW.to_string();
        let long = "a".repeat(NONCE_MAX_HEX + 1);
        for bad in [
            "",
            "0011223344556677",                 // 8 bytes: too short
            "00112233445566778899aabbccddeeg0", // not hex
            "00112233-4455-6677-8899-aabbccddeeff",
            long.as_str(),
        ] {
            let sig = sign(&secret(), "POST", "/v1/probe", &ts, bad, b"");
            assert_eq!(
                auth.verify("POST", "/v1/probe", headers(&ts, bad, &sig), b"", NOW),
                Err(AuthError::BadNonce),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn nonce_case_does_not_allow_a_replay() {
        let auth = Authenticator::new(secret());
        let ts = NOW.to_string();
        let lower = "abcdefabcdefabcdefabcdefabcdefab";
        let upper = lower.to_ascii_uppercase();
        let s1 = sign(&secret(), "POST", "/p", &ts, lower, b"");
        let s2 = sign(&secret(), "POST", "/p", &ts, &upper, b"");
        assert_eq!(
            auth.verify("POST", "/p", headers(&ts, lower, &s1), b"", NOW),
            Ok(())
        );
        assert_eq!(
            auth.verify("POST", "/p", headers(&ts, &upper, &s2), b"", NOW),
            Err(AuthError::Replayed)
        );
    }

    #[test]
    fn nonce_store_expires_and_is_bounded() {
        // (nonce, timestamp, now): each nonce is held until its timestamp
        // is more than 300 s in the past.
        let mut store = NonceStore::new(3, 300);
        assert_eq!(store.insert("a", 1_000, 1_000), Ok(()));
        assert_eq!(store.insert("b", 1_100, 1_100), Ok(()));
        assert_eq!(store.insert("a", 1_000, 1_300), Err(AuthError::Replayed));
        assert_eq!(store.insert("c", 1_200, 1_200), Ok(()));
        assert_eq!(store.insert("d", 1_300, 1_300), Err(AuthError::StoreFull));
        // At 1,301 "a"'s timestamp left the window: it is forgotten.
        assert_eq!(store.insert("d", 1_301, 1_301), Ok(()));
        assert_eq!(store.len(), 3);
        assert_eq!(store.insert("b", 1_100, 1_400), Err(AuthError::Replayed));
        assert_eq!(store.insert("a", 1_550, 1_550), Ok(()));
        assert_eq!(store.len(), 2, "b and c expired");
        assert!(!AuthError::StoreFull.is_unauthorized());
        assert!(AuthError::Replayed.is_unauthorized());
    }

    #[test]
    fn nonce_store_expires_by_the_request_timestamp_not_arrival() {
        let mut store = NonceStore::new(10, 300);
        // Stamped 300 s ahead: acceptable until 1,600, so held until then,
        // though it arrived at 1,000.
        assert_eq!(store.insert("ahead", 1_300, 1_000), Ok(()));
        // Stamped 300 s behind: acceptable only until 1,000.
        assert_eq!(store.insert("behind", 700, 1_000), Ok(()));
        assert_eq!(store.insert("behind", 700, 1_000), Err(AuthError::Replayed));
        assert_eq!(store.insert("x", 1_301, 1_001), Ok(()));
        assert_eq!(store.len(), 2, "behind is gone at 1,001");
        assert_eq!(
            store.insert("ahead", 1_300, 1_600),
            Err(AuthError::Replayed)
        );
        assert_eq!(store.insert("y", 1_601, 1_601), Ok(()));
        assert_eq!(store.len(), 2, "ahead is gone at 1,601; x and y stay");
    }

    #[test]
    fn a_request_stamped_at_the_edge_of_the_window_cannot_be_replayed() {
        // Stamped 300 s ahead of the clock, then replayed 600 s later, when
        // its timestamp is exactly 300 s behind: still inside the window,
        // so the nonce must still be held.
        let auth = Authenticator::new(secret());
        let body = br#"{"emails":["a@example.com"]}"#;
        let ts = (NOW + MAX_SKEW_SECS).to_string();
        let sig = sign(&secret(), "POST", "/v1/probe", &ts, NONCE, body);
        let h = headers(&ts, NONCE, &sig);
        assert_eq!(auth.verify("POST", "/v1/probe", h, body, NOW), Ok(()));
        for later in [1, 300, 599, 600] {
            assert_eq!(
                auth.verify("POST", "/v1/probe", h, body, NOW + later),
                Err(AuthError::Replayed),
                "replayed {later} s later"
            );
        }
        // A second later the timestamp itself is refused.
        assert!(matches!(
            auth.verify("POST", "/v1/probe", h, body, NOW + 601),
            Err(AuthError::Skewed { .. })
        ));
    }

    #[test]
    fn headers_are_checked_without_the_body_or_the_secret() {
        let ts = NOW.to_string();
        let sig = "00".repeat(32);
        let c = check_headers(headers(&ts, NONCE, &sig), NOW).unwrap();
        assert_eq!((c.timestamp, c.nonce, c.signature.len()), (NOW, NONCE, 32));
        let stale = (NOW - 301).to_string();
        assert!(matches!(
            check_headers(headers(&stale, NONCE, &sig), NOW),
            Err(AuthError::Skewed { .. })
        ));
        assert_eq!(
            check_headers(headers(&ts, "abc", &sig), NOW).unwrap_err(),
            AuthError::BadNonce
        );
        assert_eq!(
            check_headers(headers(&ts, NONCE, "abc"), NOW).unwrap_err(),
            AuthError::BadSignature
        );
        let none = SignedHeaders {
            timestamp: None,
            nonce: None,
            signature: None,
        };
        assert_eq!(
            check_headers(none, NOW).unwrap_err(),
            AuthError::Missing("X-Prebounce-Timestamp")
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(Secret::new("").unwrap_err(), SecretError::Empty);
        assert_eq!(
            Secret::new("short").unwrap_err(),
            SecretError::TooShort { len: 5 }
        );
        let just_short = "x".repeat(MIN_SECRET_BYTES - 1);
        assert_eq!(
            Secret::new(&just_short).unwrap_err(),
            SecretError::TooShort { len: 31 }
        );
        assert_eq!(Secret::new("x".repeat(MIN_SECRET_BYTES)).unwrap().len(), 32);
        // As given: bytes, not characters, and nothing trimmed.
        assert!(Secret::new("é".repeat(16)).is_ok());
        let msg = SecretError::TooShort { len: 5 }.to_string();
        assert!(
            msg.contains("5 bytes") && msg.contains("32") && msg.contains("openssl rand -hex 32"),
            "{msg}"
        );
        assert!(SecretError::Empty
            .to_string()
            .contains("openssl rand -hex 32"));
    }

    #[test]
    fn secret_is_never_shown() {
        let s = Secret::new("hunter2-hunter2-hunter2-hunter2-hunter2").unwrap();
        let shown = format!("{s:?} {:?}", Authenticator::new(s.clone()));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
