//! Calls to the probe backend, signed as DESIGN.md pins it:
//! `X-Prebounce-Signature` = hex HMAC-SHA256(secret, METHOD \n PATH \n
//! TIMESTAMP \n NONCE \n hex(SHA-256(body))).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::platform::{Outbound, Platform};

/// A signed `POST` of `body` to `url`.
pub fn signed_request(
    url: &str,
    secret: &str,
    body: Vec<u8>,
    platform: &impl Platform,
    timeout_ms: u32,
) -> Outbound {
    let timestamp = platform.now_unix().to_string();
    let nonce = hex::encode(platform.random_bytes(16));
    let signature = sign(secret, "POST", url_path(url), &timestamp, &nonce, &body);
    Outbound {
        method: "POST".into(),
        url: url.to_owned(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-prebounce-timestamp".into(), timestamp),
            ("x-prebounce-nonce".into(), nonce),
            ("x-prebounce-signature".into(), signature),
        ],
        body,
        timeout_ms,
    }
}

/// The signature of one request.
pub fn sign(
    secret: &str,
    method: &str,
    path: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    let canonical = format!(
        "{method}\n{path}\n{timestamp}\n{nonce}\n{}",
        hex::encode(Sha256::digest(body))
    );
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(canonical.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The path of a URL (`/v1/probe` of `http://host:8025/v1/probe?x`).
pub fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_backends_worked_example() {
        // The vector in crates/probe/README.md, computed with openssl.
        assert_eq!(
            sign(
                "test-secret",
                "POST",
                "/v1/probe",
                "1700000000",
                "00112233445566778899aabbccddeeff",
                br#"{"emails":["a@example.com"]}"#
            ),
            "0093c54f97e6e8b0d29c7634b1adda748883c38a5f0da7d923d68cd69d681bbf"
        );
    }

    #[test]
    fn paths() {
        assert_eq!(url_path("http://127.0.0.1:8025/v1/probe"), "/v1/probe");
        assert_eq!(url_path("https://probe.example/v1/probe?x=1"), "/v1/probe");
        assert_eq!(url_path("https://probe.example"), "/");
    }
}
