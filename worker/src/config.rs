//! The worker's settings, read from its environment (wrangler.toml `[vars]`
//! and secrets). Every name is documented in `worker/README.md`.

use std::collections::BTreeMap;

use prebounce_api::signing::{same_secret, Secret};
use serde::Deserialize;

use crate::sns::{SigningCert, Topics};

/// Every variable the worker reads (vars and secrets alike). The glue copies
/// these from the Workers environment into [`Config::from_vars`].
pub const VAR_NAMES: [&str; 14] = [
    "DOH_URL",
    "PROBE_URL",
    "PROBE_SECRET",
    "API_KEYS",
    "SUBREQUEST_BUDGET",
    "VERDICT_CACHE_TTL",
    "DOH_TIMEOUT_MS",
    "PROBE_TIMEOUT_MS",
    "MAX_BODY_BYTES",
    "MAX_BULK_BODY_BYTES",
    "SNS_TOPIC_ARNS",
    "SNS_MAX_AGE_SECS",
    "SNS_TEST_CERT_PEM",
    "SNS_TEST_CONFIRM_ORIGIN",
];

/// The routes whose bodies may be up to `MAX_BULK_BODY_BYTES` (a bulk
/// upsert, an SNS message) rather than `MAX_BODY_BYTES`.
pub const BULK_PATHS: [&str; 2] = ["/v1/suppressions", "/v1/bounces"];

/// Cloudflare's public resolver, the default `DOH_URL`.
pub const DEFAULT_DOH_URL: &str = "https://cloudflare-dns.com/dns-query";

/// The free plan's subrequest limit per request.
pub const DEFAULT_SUBREQUEST_BUDGET: usize = 50;

/// Requests a secret key may make per minute unless `API_KEYS` says.
pub const DEFAULT_SECRET_RATE: u32 = 600;

/// Requests a publishable key may make per minute unless `API_KEYS` says.
pub const DEFAULT_PUBLISHABLE_RATE: u32 = 60;

/// Addresses per `POST /v1/check`.
pub const MAX_BATCH: usize = 100;

/// Addresses per `POST /v1/check` with a publishable key.
pub const MAX_BATCH_PUBLISHABLE: usize = 10;

/// Records per page of `GET /v1/suppressions` unless `limit` says.
pub const DEFAULT_PAGE: usize = 500;

/// The largest `limit` of `GET /v1/suppressions`.
pub const MAX_PAGE: usize = 1000;

/// The default `SNS_MAX_AGE_SECS`: SNS retries an HTTP delivery for at most
/// an hour, and a retry keeps the message's first `Timestamp`.
pub const DEFAULT_SNS_MAX_AGE_SECS: u64 = 3600;

/// What kind of key a caller holds (DESIGN: `sk_` for servers, `pk_` for
/// browsers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `sk_…`: servers; any origin.
    Secret,
    /// `pk_…`: browsers; only from its listed origins, with lower limits.
    Publishable,
}

/// One API key's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The key itself.
    pub key: String,
    /// Secret or publishable, from its prefix.
    pub kind: KeyKind,
    /// Origins a publishable key may be used from (`https://example.com`).
    pub origins: Vec<String>,
    /// Requests per minute.
    pub rate_per_minute: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    #[serde(default)]
    origins: Vec<String>,
    rate_per_minute: Option<u32>,
}

/// The settings, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The DoH resolver (RFC 8484).
    pub doh_url: String,
    /// The probe backend's `/v1/probe` URL; no SMTP step without it.
    pub probe_url: Option<String>,
    /// The secret shared with the probe (HMAC-SHA256).
    pub probe_secret: Option<String>,
    /// The API keys.
    pub keys: Vec<ApiKey>,
    /// Outbound requests allowed per incoming request (DoH lookups and the
    /// probe call).
    pub subrequest_budget: usize,
    /// How long verdicts are cached, in seconds (0: not at all).
    pub verdict_cache_ttl: u32,
    /// Deadline of one DoH query.
    pub doh_timeout_ms: u32,
    /// Deadline of the probe call.
    pub probe_timeout_ms: u32,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// The largest body of the bulk routes ([`BULK_PATHS`]).
    pub max_bulk_body_bytes: usize,
    /// Topics whose messages `POST /v1/bounces` accepts.
    pub sns_topics: Topics,
    /// SNS messages older than this many seconds are refused (replays).
    pub sns_max_age_secs: u64,
    /// Tests only: the certificate that signs SNS messages, used instead of
    /// fetching `SigningCertURL` (which must still be on an SNS host).
    pub sns_test_cert: Option<SigningCert>,
    /// Tests only: subscription confirmations go to this origin
    /// (`http://127.0.0.1:PORT`) instead of the SNS host, with the
    /// `SubscribeURL`'s path and query.
    pub sns_test_confirm_origin: Option<String>,
    /// Settings that could not be read (the worker answers 500 with them).
    pub problems: Vec<String>,
}

impl Config {
    /// Settings from variables (names as in [`VAR_NAMES`]); unset ones take
    /// their defaults, malformed ones are listed in `problems`.
    pub fn from_vars(vars: BTreeMap<String, String>) -> Config {
        let mut problems = Vec::new();
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut number = |name: &str, default: u64, max: u64| -> u64 {
            match get(name).map(str::parse::<u64>) {
                None => default,
                Some(Ok(n)) if n <= max => n,
                Some(_) => {
                    problems.push(format!("{name} must be a whole number up to {max}"));
                    default
                }
            }
        };
        let subrequest_budget = number(
            "SUBREQUEST_BUDGET",
            DEFAULT_SUBREQUEST_BUDGET as u64,
            10_000,
        ) as usize;
        let verdict_cache_ttl = number("VERDICT_CACHE_TTL", 3600, 30 * 86_400) as u32;
        let doh_timeout_ms = number("DOH_TIMEOUT_MS", 2000, 60_000) as u32;
        let probe_timeout_ms = number("PROBE_TIMEOUT_MS", 25_000, 300_000) as u32;
        let max_body_bytes = number("MAX_BODY_BYTES", 64 * 1024, 16 << 20) as usize;
        let max_bulk_body_bytes = number("MAX_BULK_BODY_BYTES", 1 << 20, 16 << 20) as usize;
        let sns_max_age_secs = number("SNS_MAX_AGE_SECS", DEFAULT_SNS_MAX_AGE_SECS, 7 * 86_400);
        let keys = match get("API_KEYS").map(parse_keys) {
            None => Vec::new(),
            Some(Ok(k)) => k,
            Some(Err(e)) => {
                problems.push(format!("API_KEYS: {e}"));
                Vec::new()
            }
        };
        let probe_url = get("PROBE_URL").map(str::to_owned);
        let probe_secret = get("PROBE_SECRET").map(str::to_owned);
        if probe_url.is_some() && probe_secret.is_none() {
            problems.push("PROBE_URL is set but PROBE_SECRET is not".into());
        }
        // The rule (at least 32 bytes) is the probe API's, shared with
        // `prebounce serve`, which refuses to start with a shorter one.
        if let Some(Err(e)) = probe_secret.as_deref().map(Secret::new) {
            problems.push(format!("PROBE_SECRET {e}"));
        }
        let sns_test_cert =
            match get("SNS_TEST_CERT_PEM").map(|p| SigningCert::from_pem(p.as_bytes())) {
                None => None,
                Some(Ok(cert)) => Some(cert),
                Some(Err(e)) => {
                    problems.push(format!("SNS_TEST_CERT_PEM: {e}"));
                    None
                }
            };
        let sns_test_confirm_origin =
            get("SNS_TEST_CONFIRM_ORIGIN").map(|o| o.trim_end_matches('/').to_owned());
        if let Some(o) = &sns_test_confirm_origin {
            let host = o
                .strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"));
            if !host.is_some_and(|h| !h.is_empty() && !h.contains(['/', '?', '#'])) {
                problems.push(
                    "SNS_TEST_CONFIRM_ORIGIN must be an origin: http(s)://HOST[:PORT]".into(),
                );
            }
        }
        let sns_topics = Topics::parse(get("SNS_TOPIC_ARNS")).unwrap_or_else(|e| {
            problems.push(e);
            Topics::Unset
        });
        Config {
            doh_url: get("DOH_URL").unwrap_or(DEFAULT_DOH_URL).to_owned(),
            probe_url,
            probe_secret,
            keys,
            subrequest_budget,
            verdict_cache_ttl,
            doh_timeout_ms,
            probe_timeout_ms,
            max_body_bytes,
            max_bulk_body_bytes,
            sns_topics,
            sns_max_age_secs,
            sns_test_cert,
            sns_test_confirm_origin,
            problems,
        }
    }

    /// The largest body accepted on `path`: `max_bulk_body_bytes` on the
    /// bulk routes, else `max_body_bytes`.
    pub fn body_limit(&self, path: &str) -> usize {
        let path = path.trim_end_matches('/');
        if BULK_PATHS.contains(&path) {
            self.max_bulk_body_bytes
        } else {
            self.max_body_bytes
        }
    }

    /// The settings of `key`, if it is one of ours. Every key is compared,
    /// each in constant time (`signing::same_secret`): how long a refusal
    /// takes tells nothing about how close a guess was.
    pub fn key(&self, key: &str) -> Option<&ApiKey> {
        self.keys.iter().fold(None, |found, k| {
            if same_secret(k.key.as_bytes(), key.as_bytes()) {
                Some(k)
            } else {
                found
            }
        })
    }

    /// Whether any publishable key lists `origin` (for CORS preflights).
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.keys
            .iter()
            .any(|k| k.kind == KeyKind::Publishable && k.origins.iter().any(|o| o == origin))
    }
}

/// `API_KEYS`: a JSON object from key to settings:
/// `{"sk_live_…": {"rate_per_minute": 600}, "pk_live_…": {"origins": ["https://example.com"]}}`.
fn parse_keys(text: &str) -> Result<Vec<ApiKey>, String> {
    let map: BTreeMap<String, KeyEntry> =
        serde_json::from_str(text).map_err(|e| format!("not the expected JSON object: {e}"))?;
    let mut keys = Vec::new();
    for (key, entry) in map {
        let kind = if key.starts_with("sk_") {
            KeyKind::Secret
        } else if key.starts_with("pk_") {
            KeyKind::Publishable
        } else {
            return Err(format!(
                "a key must start with sk_ or pk_ (got {:.6}…)",
                key
            ));
        };
        if key.len() < 8 {
            return Err("keys must be at least 8 characters".into());
        }
        if kind == KeyKind::Publishable && entry.origins.is_empty() {
            return Err(format!("{:.6}…: a publishable key needs its origins", key));
        }
        let default = match kind {
            KeyKind::Secret => DEFAULT_SECRET_RATE,
            KeyKind::Publishable => DEFAULT_PUBLISHABLE_RATE,
        };
        keys.push(ApiKey {
            key,
            kind,
            origins: entry
                .origins
                .into_iter()
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
            rate_per_minute: entry.rate_per_minute.unwrap_or(default),
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let c = Config::from_vars(BTreeMap::new());
        assert_eq!(c.doh_url, DEFAULT_DOH_URL);
        assert_eq!(c.subrequest_budget, 50);
        assert!(c.probe_url.is_none());
        assert!(c.keys.is_empty());
        assert!(c.problems.is_empty());
        assert_eq!(c.sns_topics, Topics::Unset);
        assert_eq!(c.sns_max_age_secs, 3600);
        assert!(c.sns_test_cert.is_none());
        assert_eq!(c.body_limit("/v1/check"), 65_536);
        assert_eq!(c.body_limit("/v1/suppressions"), 1 << 20);
        assert_eq!(c.body_limit("/v1/bounces/"), 1 << 20);
    }

    #[test]
    fn keys() {
        let c = Config::from_vars(vars(&[(
            "API_KEYS",
            r#"{"sk_test_1": {"rate_per_minute": 1000}, "pk_test_1": {"origins": ["http://localhost:5173/"], "rate_per_minute": 3}}"#,
        )]));
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let sk = c.key("sk_test_1").unwrap();
        assert_eq!((sk.kind, sk.rate_per_minute), (KeyKind::Secret, 1000));
        let pk = c.key("pk_test_1").unwrap();
        assert_eq!(pk.kind, KeyKind::Publishable);
        assert_eq!(pk.origins, ["http://localhost:5173"]);
        assert!(c.origin_allowed("http://localhost:5173"));
        assert!(!c.origin_allowed("https://evil.example"));
        assert!(c.key("sk_other").is_none());
    }

    #[test]
    fn a_short_probe_secret_is_a_misconfiguration() {
        let c = Config::from_vars(vars(&[
            ("PROBE_URL", "http://127.0.0.1:1/v1/probe"),
            ("PROBE_SECRET", "short-secret"),
        ]));
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        let p = &c.problems[0];
        assert!(
            p.contains("PROBE_SECRET has 12 bytes")
                && p.contains("at least 32")
                && p.contains("openssl rand -hex 32"),
            "{p}"
        );
        assert!(!p.contains("short-secret"), "the secret was shown: {p}");
        let good = "0123456789abcdef".repeat(4);
        let c = Config::from_vars(vars(&[
            ("PROBE_URL", "http://127.0.0.1:1/v1/probe"),
            ("PROBE_SECRET", &good),
        ]));
        assert!(c.problems.is_empty(), "{:?}", c.problems);
    }

    #[test]
    fn problems_are_reported_not_ignored() {
        for (name, value) in [
            ("API_KEYS", "not json"),
            ("API_KEYS", r#"{"xx_12345678": {}}"#),
            ("API_KEYS", r#"{"pk_12345678": {}}"#),
            ("SUBREQUEST_BUDGET", "lots"),
            ("PROBE_URL", "http://127.0.0.1:1/v1/probe"),
            (
                "SNS_TEST_CERT_PEM",
                "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----",
            ),
            ("SNS_TEST_CONFIRM_ORIGIN", "127.0.0.1:8080"),
            ("SNS_TEST_CONFIRM_ORIGIN", "http://127.0.0.1:8080/path"),
            ("SNS_MAX_AGE_SECS", "-1"),
            ("MAX_BULK_BODY_BYTES", "1e9"),
            ("PROBE_SECRET", "short"),
            ("PROBE_SECRET", "0123456789abcdef0123456789abcde"),
        ] {
            let c = Config::from_vars(vars(&[(name, value)]));
            assert_eq!(c.problems.len(), 1, "{name}={value}: {:?}", c.problems);
        }
    }
}
