//! Calls to the probe backend, signed by `prebounce-api`'s
//! [`signing`](prebounce_api::signing) (docs/DESIGN.md, "The probe
//! backend"): the very code `prebounce serve` verifies with.

use prebounce_api::signing::{self, Secret, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

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
    // An empty secret is refused when the configuration is read; signing
    // with none would only get a 401.
    let signature = Secret::new(secret)
        .map(|s| signing::sign(&s, "POST", url_path(url), &timestamp, &nonce, &body))
        .unwrap_or_default();
    Outbound {
        method: "POST".into(),
        url: url.to_owned(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (TIMESTAMP_HEADER.into(), timestamp),
            (NONCE_HEADER.into(), nonce),
            (SIGNATURE_HEADER.into(), signature),
        ],
        body,
        timeout_ms,
    }
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
    fn paths() {
        assert_eq!(url_path("http://127.0.0.1:8025/v1/probe"), "/v1/probe");
        assert_eq!(url_path("https://probe.example/v1/probe?x=1"), "/v1/probe");
        assert_eq!(url_path("https://probe.example"), "/");
    }
}
