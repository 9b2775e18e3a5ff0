//! The probe API's bodies (docs/DESIGN.md "Probe backend"): the edge worker
//! sends a [`ProbeRequest`] to `prebounce serve`'s `POST /v1/probe` and reads
//! its [`ProbeAnswer`].
//!
//! ```json
//! {"emails": ["a@x.com", 42],
//!  "mx": {"x.com": [{"preference": 10, "exchange": "mx1.x.com"}]},
//!  "options": {"allow_special_use": true}}
//! ```
//!
//! The request is written by serde and read by [`ProbeRequest::parse`],
//! strictly: every mistake gets a [`BadRequest`] whose message says what to
//! fix, and the `options` given override the server's defaults one by one.
//! The answer is `{"results": [verdict, ...]}`, in input order.

use std::collections::BTreeMap;

use prebounce_core::verdict::MxRecord;
use prebounce_core::{Options, Verdict};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use thiserror::Error;

/// The probe route.
pub const PROBE_PATH: &str = "/v1/probe";

/// The fields a request body may have.
pub const FIELDS: [&str; 3] = ["emails", "mx", "options"];

/// Longest MX exchange name accepted (a DNS name is at most 253 octets).
pub const MAX_EXCHANGE_LEN: usize = 255;
/// Most MX records accepted for one domain.
pub const MAX_MX_PER_DOMAIN: usize = 64;

/// Most addresses in one request by default (`prebounce serve --max-batch`).
pub const DEFAULT_MAX_BATCH: usize = 500;

/// The most bytes one address takes in `emails`: the longest address (254
/// octets), every octet escaped to two (`\"`, `\\`), two quotes and a comma.
pub const MAX_ADDRESS_JSON_BYTES: usize = 2 * prebounce_core::address::MAX_ADDRESS_OCTETS + 3;

/// The largest body by default (`prebounce serve --max-body`), 512 KiB: a
/// [`DEFAULT_MAX_BATCH`] batch of the longest, fully escaped addresses
/// (500 × 511 = 255,500 bytes) in at most half of it, and the rest
/// (268,788 bytes, over 500 bytes an address) for `mx` (a domain with a few
/// records of usual length, or one of the longest) and `options`.
pub const DEFAULT_MAX_BODY: usize = 512 * 1024;

// The two defaults agree: a full batch fits with room to spare.
const _: () = assert!(2 * DEFAULT_MAX_BATCH * MAX_ADDRESS_JSON_BYTES <= DEFAULT_MAX_BODY);

/// One item of `emails`: a string to check, or any other JSON value (which
/// gets `invalid_syntax` / `not_a_string`). The edge's `POST /v1/check`
/// reads its items the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A string: an address to check.
    Text(String),
    /// Anything else, as compact JSON text.
    Other(String),
}

impl From<Value> for Item {
    fn from(v: Value) -> Item {
        match v {
            Value::String(s) => Item::Text(s),
            other => Item::Other(other.to_string()),
        }
    }
}

impl Serialize for Item {
    /// A string as itself; anything else as the JSON value it was read from.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Item::Text(text) => s.serialize_str(text),
            Item::Other(json) => match serde_json::from_str::<Value>(json) {
                Ok(v) => v.serialize(s),
                // Not JSON after all: it goes as text, and is checked as such.
                Err(_) => s.serialize_str(json),
            },
        }
    }
}

/// The body of `POST /v1/probe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeRequest {
    /// The addresses, in order.
    pub emails: Vec<Item>,
    /// MX records the caller already resolved, by domain (an empty list:
    /// the domain has no MX, so its A/AAAA is used). As read by
    /// [`ProbeRequest::parse`], keyed by lower-case ASCII domain
    /// ([`normalize_domain`]).
    pub mx: BTreeMap<String, Vec<MxRecord>>,
    /// The options. The sender writes all of them; as read, the server's
    /// defaults with the request's on top.
    pub options: Options,
}

/// The answer of `POST /v1/probe`: one verdict per address, in input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeAnswer {
    /// The verdicts.
    pub results: Vec<Verdict>,
}

/// A request body that cannot be read: a 400 with this message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

fn bad(msg: impl Into<String>) -> BadRequest {
    BadRequest(msg.into())
}

/// JSON's name for a value's type, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl ProbeRequest {
    /// Reads a request body over the server's default options.
    pub fn parse(body: &[u8], defaults: Options) -> Result<ProbeRequest, BadRequest> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            bad(format!(
                "the body is not valid JSON ({e}); send {{\"emails\": [\"a@example.com\"]}}"
            ))
        })?;
        let Value::Object(mut top) = value else {
            return Err(bad(format!(
                "the body must be a JSON object with an \"emails\" array, not {}",
                kind(&value)
            )));
        };
        if let Some(unknown) = top.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(bad(format!(
                "unknown field {unknown:?}; the body takes \"emails\", \"mx\" and \"options\""
            )));
        }
        let emails =
            match top.remove("emails") {
                Some(Value::Array(items)) => items.into_iter().map(Item::from).collect(),
                Some(other) => {
                    return Err(bad(format!(
                        "\"emails\" must be an array of strings, not {}",
                        kind(&other)
                    )))
                }
                None => return Err(bad(
                    "\"emails\" is required: an array of addresses, such as [\"a@example.com\"]",
                )),
            };
        let options = match top.remove("options") {
            None | Some(Value::Null) => defaults,
            Some(Value::Object(o)) => merge_options(defaults, &o)?,
            Some(other) => {
                return Err(bad(format!(
                    "\"options\" must be an object of option names to true or false, not {}",
                    kind(&other)
                )))
            }
        };
        let mx = match top.remove("mx") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(m)) => parse_mx(m)?,
            Some(other) => {
                return Err(bad(format!(
                    "\"mx\" must be an object mapping a domain to its MX records, not {}",
                    kind(&other)
                )))
            }
        };
        Ok(ProbeRequest {
            emails,
            mx,
            options,
        })
    }
}

/// The request's options over the defaults.
pub fn merge_options(defaults: Options, given: &Map<String, Value>) -> Result<Options, BadRequest> {
    let mut options = defaults;
    for (name, value) in given {
        let Value::Bool(b) = value else {
            return Err(bad(format!(
                "options.{name} must be true or false, not {}",
                kind(value)
            )));
        };
        if !options.set(name, *b) {
            return Err(bad(format!(
                "unknown option {name:?}; the options are {}",
                Options::NAMES.join(", ")
            )));
        }
    }
    Ok(options)
}

/// A domain as the probe keys it: lower-case ASCII (A-labels), without a
/// trailing dot. Any syntactically possible domain is accepted, special-use
/// and single-label names included: which addresses are acceptable is for
/// the options to say, not for the MX map.
pub fn normalize_domain(raw: &str) -> Option<String> {
    let trimmed = raw.strip_suffix('.').unwrap_or(raw);
    if trimmed.is_empty() || trimmed.starts_with('[') {
        return None;
    }
    let permissive = Options {
        allow_single_label: true,
        allow_special_use: true,
        ..Options::default()
    };
    prebounce_core::domain::parse(trimmed, &permissive)
        .ok()
        .map(|d| d.ascii().to_owned())
}

fn parse_mx(map: Map<String, Value>) -> Result<BTreeMap<String, Vec<MxRecord>>, BadRequest> {
    let mut out: BTreeMap<String, Vec<MxRecord>> = BTreeMap::new();
    for (domain, records) in map {
        let key = normalize_domain(&domain)
            .ok_or_else(|| bad(format!("mx: {domain:?} is not a domain name")))?;
        let Value::Array(records) = records else {
            return Err(bad(format!(
                "mx.{domain} must be an array of {{\"preference\": 10, \"exchange\": \"mx1.example.com\"}}, not {}",
                kind(&records)
            )));
        };
        if records.len() > MAX_MX_PER_DOMAIN {
            return Err(bad(format!(
                "mx.{domain} has {} records; at most {MAX_MX_PER_DOMAIN} are accepted",
                records.len()
            )));
        }
        let list = out.entry(key).or_default();
        for (i, record) in records.iter().enumerate() {
            list.push(parse_record(&domain, i, record)?);
        }
    }
    Ok(out)
}

fn parse_record(domain: &str, i: usize, record: &Value) -> Result<MxRecord, BadRequest> {
    let at = format!("mx.{domain}[{i}]");
    let Value::Object(fields) = record else {
        return Err(bad(format!(
            "{at} must be an object such as {{\"preference\": 10, \"exchange\": \"mx1.example.com\"}}, not {}",
            kind(record)
        )));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| *k != "preference" && *k != "exchange")
    {
        return Err(bad(format!(
            "{at}: unknown field {unknown:?}; a record has \"preference\" and \"exchange\""
        )));
    }
    let preference = match fields.get("preference") {
        Some(Value::Number(n)) => {
            n.as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "{at}.preference must be a whole number from 0 to 65535"
                    ))
                })?
        }
        Some(other) => {
            return Err(bad(format!(
                "{at}.preference must be a whole number from 0 to 65535, not {}",
                kind(other)
            )))
        }
        None => return Err(bad(format!("{at}.preference is required"))),
    };
    let exchange = match fields.get("exchange") {
        Some(Value::String(s)) if s.len() <= MAX_EXCHANGE_LEN => s.clone(),
        Some(Value::String(_)) => {
            return Err(bad(format!(
                "{at}.exchange is longer than {MAX_EXCHANGE_LEN} characters"
            )))
        }
        Some(other) => {
            return Err(bad(format!(
                "{at}.exchange must be a host name, not {}",
                kind(other)
            )))
        }
        None => return Err(bad(format!("{at}.exchange is required"))),
    };
    // The exchange is passed on as given: the probe's MX planning (core's
    // `mx::plan`) normalizes it and skips unusable ones (IP literals, the
    // null MX `.`) exactly as it does for records it resolved itself.
    Ok(MxRecord {
        preference,
        exchange,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(body: &str) -> Result<ProbeRequest, BadRequest> {
        ProbeRequest::parse(body.as_bytes(), Options::default())
    }

    fn err(body: &str) -> String {
        p(body).expect_err(body).0
    }

    #[test]
    fn minimal_and_full_bodies() {
        let r = p(r#"{"emails": ["a@example.com", 42, null, {"x": 1}]}"#).unwrap();
        assert_eq!(
            r.emails,
            [
                Item::Text("a@example.com".into()),
                Item::Other("42".into()),
                Item::Other("null".into()),
                Item::Other(r#"{"x":1}"#.into()),
            ]
        );
        assert!(r.mx.is_empty());
        assert_eq!(r.options, Options::default());

        let r = p(
            r#"{"emails": [], "options": {"allow_special_use": true, "allow_smtputf8": false},
                    "mx": {"Bücher.DE.": [{"preference": 10, "exchange": "MX1.Example.com."}],
                           "bücher.de": [{"preference": 20, "exchange": "mx2.example.com"}],
                           "alpha.test": []}}"#,
        )
        .unwrap();
        assert!(r.options.allow_special_use && !r.options.allow_smtputf8);
        assert_eq!(r.mx.len(), 2);
        let recs = &r.mx["xn--bcher-kva.de"];
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].preference, 10);
        assert_eq!(recs[0].exchange, "MX1.Example.com.");
        assert!(r.mx["alpha.test"].is_empty());
    }

    #[test]
    fn options_merge_over_server_defaults() {
        let defaults = Options {
            allow_special_use: true,
            role_is_risky: true,
            ..Options::default()
        };
        let r = ProbeRequest::parse(
            br#"{"emails":[],"options":{"role_is_risky":false}}"#,
            defaults,
        )
        .unwrap();
        assert!(r.options.allow_special_use && !r.options.role_is_risky);
        let r = ProbeRequest::parse(br#"{"emails":[],"options":null}"#, defaults).unwrap();
        assert_eq!(r.options, defaults);
        for name in Options::NAMES {
            let body = format!(r#"{{"emails":[],"options":{{"{name}":true}}}}"#);
            assert!(p(&body).is_ok(), "{name}");
        }
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            ("", "not valid JSON"),
            ("{\"emails\": [", "not valid JSON"),
            ("[]", "must be a JSON object"),
            ("{}", "\"emails\" is required"),
            (
                r#"{"emails": "a@example.com"}"#,
                "\"emails\" must be an array of strings, not a string",
            ),
            (r#"{"emails": [], "email": []}"#, "unknown field \"email\""),
            (
                r#"{"emails": [], "options": []}"#,
                "\"options\" must be an object",
            ),
            (
                r#"{"emails": [], "options": {"allow_quoted": true}}"#,
                "unknown option \"allow_quoted\"",
            ),
            (
                r#"{"emails": [], "options": {"role_is_risky": "yes"}}"#,
                "options.role_is_risky must be true or false, not a string",
            ),
            (r#"{"emails": [], "mx": []}"#, "\"mx\" must be an object"),
            (
                r#"{"emails": [], "mx": {"x.com": {}}}"#,
                "mx.x.com must be an array",
            ),
            (
                r#"{"emails": [], "mx": {"x.com": ["mx.x.com"]}}"#,
                "mx.x.com[0] must be an object",
            ),
            (
                r#"{"emails": [], "mx": {"x.com": [{"exchange": "m"}]}}"#,
                "mx.x.com[0].preference is required",
            ),
            (
                r#"{"emails": [], "mx": {"x.com": [{"preference": 70000, "exchange": "m"}]}}"#,
                "from 0 to 65535",
            ),
            (
                r#"{"emails": [], "mx": {"x.com": [{"preference": -1, "exchange": "m"}]}}"#,
                "from 0 to 65535",
            ),
            (
                r#"{"emails": [], "mx": {"x.com": [{"preference": "10", "exchange": "m"}]}}"#,
                "not a string",
            ),
            (
                r#"{"emails": [], "mx": {"x.com": [{"preference": 10}]}}"#,
                "mx.x.com[0].exchange is required",
            ),
            (
                r#"{"emails": [], "mx": {"x.com": [{"preference": 10, "exchange": 1}]}}"#,
                "must be a host name, not a number",
            ),
            (
                r#"{"emails": [], "mx": {"x.com": [{"preference": 10, "exchange": "m", "ttl": 1}]}}"#,
                "unknown field \"ttl\"",
            ),
            (
                r#"{"emails": [], "mx": {"bad domain": []}}"#,
                "\"bad domain\" is not a domain name",
            ),
            (r#"{"emails": [], "mx": {"": []}}"#, "is not a domain name"),
            (
                r#"{"emails": [], "mx": {"[192.0.2.1]": []}}"#,
                "is not a domain name",
            ),
        ];
        for (body, want) in cases {
            let got = err(body);
            assert!(got.contains(want), "{body}: {got}");
        }
    }

    #[test]
    fn domain_keys_are_normalized() {
        assert_eq!(
            normalize_domain("Alpha.TEST").as_deref(),
            Some("alpha.test")
        );
        assert_eq!(
            normalize_domain("example.com.").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            normalize_domain("例子.中国").as_deref(),
            Some("xn--fsqu00a.xn--fiqs8s")
        );
        assert_eq!(normalize_domain("intranet").as_deref(), Some("intranet"));
        for bad in ["", ".", "a..b", "-x.com", "a b.com", "[1.2.3.4]"] {
            assert_eq!(normalize_domain(bad), None, "{bad:?}");
        }
    }

    /// What the worker sends is what `serve` reads, whatever the server's
    /// defaults: every option goes, and the bytes are pinned (they are
    /// signed).
    #[test]
    fn the_sent_request_reads_back_the_same() {
        let options = Options {
            allow_special_use: true,
            ..Options::default()
        };
        let sent = ProbeRequest {
            emails: vec![Item::Text("a@alpha.test".into()), Item::Other("42".into())],
            mx: BTreeMap::from([
                (
                    "alpha.test".to_owned(),
                    vec![MxRecord {
                        preference: 10,
                        exchange: "mx.alpha.test".into(),
                    }],
                ),
                ("beta.test".to_owned(), vec![]),
            ]),
            options,
        };
        let bytes = serde_json::to_vec(&sent).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            concat!(
                r#"{"emails":["a@alpha.test",42],"#,
                r#""mx":{"alpha.test":[{"preference":10,"exchange":"mx.alpha.test"}],"beta.test":[]},"#,
                r#""options":{"allow_quoted_local":false,"allow_domain_literal":false,"allow_smtputf8":true,"#,
                r#""allow_single_label":false,"allow_special_use":true,"role_is_risky":false}}"#
            )
        );
        let all_on = Options::from_bits(u8::MAX); // every option on
        for defaults in [Options::default(), all_on] {
            assert_eq!(ProbeRequest::parse(&bytes, defaults).unwrap(), sent);
        }
    }

    #[test]
    fn items_other_than_strings_go_as_their_json() {
        let items: Vec<Item> = serde_json::from_str::<Vec<Value>>(r#"["a", 1.5, null, [true]]"#)
            .unwrap()
            .into_iter()
            .map(Item::from)
            .collect();
        assert_eq!(
            serde_json::to_string(&items).unwrap(),
            r#"["a",1.5,null,[true]]"#
        );
        assert_eq!(
            serde_json::to_string(&Item::Other("not json".into())).unwrap(),
            r#""not json""#
        );
    }

    #[test]
    fn the_answer_round_trips() {
        let v = prebounce_core::Checker::new(Options::default()).verdict("Gone@Example.com");
        let answer = ProbeAnswer { results: vec![v] };
        let text = serde_json::to_string(&answer).unwrap();
        assert!(text.starts_with(r#"{"results":[{"input":"Gone@Example.com","#));
        assert_eq!(serde_json::from_str::<ProbeAnswer>(&text).unwrap(), answer);
    }

    #[test]
    fn a_full_batch_of_the_longest_addresses_fits_the_default_body() {
        // 254 octets that all need escaping, 500 of them, each under its own
        // 253-octet domain with one MX record of the longest name.
        let address = "\"".repeat(254);
        let label = "a".repeat(63);
        let domains: Vec<String> = (0..DEFAULT_MAX_BATCH)
            .map(|i| format!("{i:03}{label}.{label}.{label}.{}", &label[..58]))
            .collect();
        assert!(domains.iter().all(|d| d.len() == 253));
        let emails_only = serde_json::to_vec(&serde_json::json!({
            "emails": vec![address.as_str(); DEFAULT_MAX_BATCH],
        }))
        .unwrap();
        assert!(emails_only.len() <= DEFAULT_MAX_BATCH * MAX_ADDRESS_JSON_BYTES + 16);
        assert!(
            2 * emails_only.len() <= DEFAULT_MAX_BODY,
            "{}",
            emails_only.len()
        );
        // And with an MX list for each address's own longest domain: two
        // records with 64-character names.
        let mx: Map<String, Value> = domains
            .iter()
            .map(|d| {
                let record =
                    |p: u16| serde_json::json!({"preference": p, "exchange": "m".repeat(64)});
                (d.clone(), serde_json::json!([record(10), record(20)]))
            })
            .collect();
        let body = serde_json::to_vec(&serde_json::json!({
            "emails": vec![address.as_str(); DEFAULT_MAX_BATCH],
            "mx": mx,
            "options": {"allow_quoted_local": true, "allow_smtputf8": true},
        }))
        .unwrap();
        assert!(body.len() <= DEFAULT_MAX_BODY, "{}", body.len());
    }
}
