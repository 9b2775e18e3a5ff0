//! The edge's OpenAPI document (`worker/src/openapi.json`, the file the
//! worker serves at `/openapi.json`) against this crate's types: for each
//! type the document describes, representative values are serialized and
//!
//! * validated against the type's schema (names, required fields, types,
//!   enums, patterns, no property the schema does not list), and
//! * checked to cover the schema: every property the schema lists, every
//!   `oneOf` branch and every type of a `["string", "null"]` union is
//!   produced by some value, so the document promises nothing the type
//!   cannot write.
//!
//! The checker (`Schema` below) is a small hand-written subset of JSON
//! Schema 2020-12: exactly the keywords the document uses. A keyword it does
//! not know fails the test, rather than passing silently. The JavaScript
//! tests (`tests/worker/openapi.mjs`, Ajv) validate the running worker's
//! responses against the same document.
//!
//! The probe API (`POST /v1/probe`) is `prebounce serve`'s, not the edge's,
//! and is not in the document; its bodies are pinned by the unit tests of
//! `prebounce_api::probe`.

use std::collections::BTreeSet;

use prebounce_api::{
    Change, Cursor, ErrorBody, Page, PushAnswer, PushRequest, Suppression, SuppressionInfo,
    MAX_PUSH,
};
use prebounce_core::outcome::{apply_dns, apply_smtp, apply_suppression, SmtpOutcome};
use prebounce_core::time::StoreTime;
use prebounce_core::verdict::{DnsInfo, MxRecord};
use prebounce_core::{Checker, Options, Reason, Reply, Stage, Status, Verdict};
use serde::Serialize;
use serde_json::{json, Value};

const DOC: &str = include_str!("../../../worker/src/openapi.json");

/// The change feed's answer, as a JSON pointer into the document.
/// `PUT /v1/suppressions`.
const PUT: &str = "#/paths/~1v1~1suppressions/put";
const PAGE: &str = "#/paths/~1v1~1suppressions/get/responses/200/content/application~1json/schema";

// ------------------------------------------------------------ the checker

/// The document and a JSON Schema subset over it.
struct Schema {
    doc: Value,
}

/// JSON Schema's name for a value's type (`integer` for whole numbers).
fn is_type(v: &Value, ty: &str) -> bool {
    match ty {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown type {other:?} in the document"),
    }
}

/// The `pattern`s the document uses: `^…$` of literal characters and `\d`,
/// each optionally repeated `{n}` times.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    let body = pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .unwrap_or_else(|| panic!("pattern {pattern:?}: only anchored patterns are supported"));
    let mut atoms: Vec<(Option<char>, usize)> = Vec::new(); // None: a digit
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        let atom = match c {
            '\\' => match chars.next() {
                Some('d') => None,
                Some(e @ ('.' | '-' | '\\' | '{' | '}' | '+' | '*' | '?')) => Some(e),
                other => panic!("pattern {pattern:?}: escape {other:?} is not supported"),
            },
            '{' => {
                let n: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let n: usize = n.parse().unwrap_or_else(|_| panic!("pattern {pattern:?}"));
                let last = atoms.last_mut().expect("a repeat follows an atom");
                last.1 = n;
                continue;
            }
            '[' | '(' | '|' | '.' | '*' | '+' | '?' => {
                panic!("pattern {pattern:?}: {c:?} is not supported; teach the checker")
            }
            c => Some(c),
        };
        atoms.push((atom, 1));
    }
    let mut text = text.chars();
    for (atom, n) in atoms {
        for _ in 0..n {
            match (atom, text.next()) {
                (None, Some(c)) if c.is_ascii_digit() => {}
                (Some(a), Some(c)) if a == c => {}
                _ => return false,
            }
        }
    }
    text.next().is_none()
}

impl Schema {
    fn load() -> Schema {
        Schema {
            doc: serde_json::from_str(DOC).expect("worker/src/openapi.json is JSON"),
        }
    }

    /// The node at a `#/…` reference.
    fn at(&self, reference: &str) -> &Value {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local references: {reference}"));
        self.doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{reference} is not in the document"))
    }

    /// Whether `v` is valid against `schema`; the error names where not.
    fn validate(&self, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
        let s = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return Err(format!("{at}: nothing is allowed here")),
            Value::Object(s) => s,
            other => panic!("{at}: {other} is not a schema"),
        };
        for (keyword, k) in s {
            match keyword.as_str() {
                "description" | "title" | "default" | "examples" => {}
                "$ref" => self.validate(self.at(k.as_str().expect("$ref text")), v, at)?,
                "type" => {
                    let types: Vec<&str> = match k {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                        other => panic!("{at}: type {other}"),
                    };
                    if !types.iter().any(|t| is_type(v, t)) {
                        return Err(format!("{at}: {v} is not of type {k}"));
                    }
                }
                "enum" => {
                    if !k.as_array().expect("enum array").contains(v) {
                        return Err(format!("{at}: {v} is not one of {k}"));
                    }
                }
                "const" => {
                    if k != v {
                        return Err(format!("{at}: {v} is not {k}"));
                    }
                }
                "oneOf" => {
                    let branches = k.as_array().expect("oneOf array");
                    let results: Vec<Result<(), String>> =
                        branches.iter().map(|b| self.validate(b, v, at)).collect();
                    let ok = results.iter().filter(|r| r.is_ok()).count();
                    if ok != 1 {
                        let why: Vec<String> =
                            results.into_iter().filter_map(Result::err).collect();
                        return Err(format!(
                            "{at}: {v} matches {ok} of the oneOf branches, not exactly one ({})",
                            why.join("; ")
                        ));
                    }
                }
                "properties" => {
                    if let Value::Object(obj) = v {
                        for (name, sub) in k.as_object().expect("properties object") {
                            if let Some(x) = obj.get(name) {
                                self.validate(sub, x, &format!("{at}.{name}"))?;
                            }
                        }
                    }
                }
                "required" => {
                    if let Value::Object(obj) = v {
                        for name in k.as_array().expect("required array") {
                            let name = name.as_str().expect("required names");
                            if !obj.contains_key(name) {
                                return Err(format!("{at}: required {name:?} is missing in {v}"));
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Value::Object(obj) = v {
                        let listed = s.get("properties").and_then(Value::as_object);
                        for (name, x) in obj {
                            if listed.is_some_and(|p| p.contains_key(name)) {
                                continue;
                            }
                            self.validate(k, x, &format!("{at}.{name}"))
                                .map_err(|e| format!("{e} (the schema does not list {name:?})"))?;
                        }
                    }
                }
                "items" => {
                    if let Value::Array(items) = v {
                        for (i, x) in items.iter().enumerate() {
                            self.validate(k, x, &format!("{at}[{i}]"))?;
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let (Some(x), Some(limit)) = (v.as_f64(), k.as_f64()) {
                        let ok = if keyword == "minimum" {
                            x >= limit
                        } else {
                            x <= limit
                        };
                        if !ok {
                            return Err(format!("{at}: {v} is beyond the {keyword} {k}"));
                        }
                    }
                }
                "minLength" | "maxLength" | "minItems" | "maxItems" => {
                    let n = match v {
                        Value::String(t) if keyword.ends_with("Length") => t.chars().count(),
                        Value::Array(a) if keyword.ends_with("Items") => a.len(),
                        _ => continue,
                    };
                    let limit = k.as_u64().expect("a count") as usize;
                    let ok = if keyword.starts_with("min") {
                        n >= limit
                    } else {
                        n <= limit
                    };
                    if !ok {
                        return Err(format!("{at}: {v} is beyond the {keyword} {k}"));
                    }
                }
                "pattern" => {
                    if let Value::String(t) = v {
                        if !matches_pattern(k.as_str().expect("pattern text"), t) {
                            return Err(format!("{at}: {t:?} does not match {k}"));
                        }
                    }
                }
                other => panic!("{at}: keyword {other:?} is not supported; teach the checker"),
            }
        }
        Ok(())
    }

    /// Whether `values` (all valid against `schema`) between them produce
    /// everything the schema describes: each listed property, each `oneOf`
    /// branch, each type of a type union, each array's items.
    fn cover(&self, schema: &Value, values: &[&Value], at: &str) -> Result<(), String> {
        let Value::Object(s) = schema else {
            return Ok(());
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            self.cover(self.at(r), values, at)?;
        }
        if let Some(Value::Array(types)) = s.get("type") {
            for ty in types.iter().filter_map(Value::as_str) {
                if !values.iter().any(|v| is_type(v, ty)) {
                    return Err(format!("{at}: no value of the type is a {ty}"));
                }
            }
        }
        if let Some(Value::Array(branches)) = s.get("oneOf") {
            for (i, branch) in branches.iter().enumerate() {
                let hits: Vec<&Value> = values
                    .iter()
                    .copied()
                    .filter(|v| self.validate(branch, v, at).is_ok())
                    .collect();
                if hits.is_empty() {
                    return Err(format!(
                        "{at}: no value of the type takes oneOf branch {i} ({branch})"
                    ));
                }
                self.cover(branch, &hits, at)?;
            }
        }
        if let Some(Value::Object(props)) = s.get("properties") {
            for (name, sub) in props {
                let at = format!("{at}.{name}");
                let present: Vec<&Value> = values.iter().filter_map(|v| v.get(name)).collect();
                if present.is_empty() {
                    return Err(format!(
                        "{at}: the schema lists it, but no value of the type has it"
                    ));
                }
                self.cover(sub, &present, &at)?;
            }
        }
        if let Some(items) = s.get("items") {
            let all: Vec<&Value> = values
                .iter()
                .filter_map(|v| v.as_array())
                .flatten()
                .collect();
            if all.is_empty() {
                return Err(format!("{at}: no value of the type has an item"));
            }
            self.cover(items, &all, &format!("{at}[]"))?;
        }
        Ok(())
    }

    /// Validates every value against the schema at `reference`, then checks
    /// that together they cover it.
    fn check(&self, reference: &str, values: &[Value]) {
        let schema = self.at(reference);
        for v in values {
            if let Err(e) = self.validate(schema, v, reference) {
                panic!("{e}");
            }
        }
        let all: Vec<&Value> = values.iter().collect();
        if let Err(e) = self.cover(schema, &all, reference) {
            panic!("{e}");
        }
    }
}

fn to_json(v: &impl Serialize) -> Value {
    serde_json::to_value(v).expect("serializable")
}

fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

// ---------------------------------------------------- representative values

fn time(s: &str) -> StoreTime {
    s.parse().expect("a store time")
}

fn infos() -> Vec<SuppressionInfo> {
    vec![
        SuppressionInfo {
            reason: "does_not_exist".into(),
            first_seen: time("2026-03-14T09:26:53Z"),
            last_seen: time("2026-03-14T09:26:53Z"),
            count: 1,
            source: "ses".into(),
        },
        SuppressionInfo {
            reason: "complained".into(),
            first_seen: time("2025-12-31T23:59:59Z"),
            last_seen: time("2026-03-14T09:26:53Z"),
            count: u32::MAX,
            source: "x".repeat(200),
        },
    ]
}

fn records() -> Vec<Suppression> {
    infos()
        .into_iter()
        .zip(["gone@example.com", "john.doe@xn--bcher-kva.de"])
        .map(|(info, address)| Suppression {
            address: address.into(),
            info,
        })
        .collect()
}

fn changes() -> Vec<Change> {
    let mut out: Vec<Change> = records()
        .into_iter()
        .map(|s| Change::new(s.address, Some(s.info), 1_773_480_414_120))
        .collect();
    out.push(Change::new("b@example.com".into(), None, 1_773_480_420_003));
    out
}

fn reply(raw: &str) -> Reply {
    Reply::parse(raw.as_bytes()).expect("a reply")
}

fn answered(raw: &str, catch_all: Option<bool>) -> SmtpOutcome {
    SmtpOutcome::Answered {
        mx: "mx1.example.com".into(),
        stage: Stage::RcptTo,
        reply: reply(raw),
        tls: true,
        catch_all,
    }
}

/// Verdicts of every shape: syntax errors, typos, each depth, SMTP answers
/// with and without codes, a retry, a suppression.
fn verdicts() -> Vec<Verdict> {
    let checker = Checker::new(Options::default());
    let dns = DnsInfo {
        mx: vec![
            MxRecord {
                preference: 10,
                exchange: "mx1.example.com".into(),
            },
            MxRecord {
                preference: 20,
                exchange: "mx2.example.com".into(),
            },
        ],
        null_mx: false,
        implicit_mx: false,
        ttl: Some(300),
    };
    let implicit = DnsInfo {
        mx: vec![],
        null_mx: false,
        implicit_mx: true,
        ttl: None,
    };
    let smtp = |input: &str, dns: &DnsInfo, outcome: SmtpOutcome| {
        let mut v = checker.verdict(input);
        apply_dns(&mut v, dns.clone());
        apply_smtp(&mut v, &outcome);
        v
    };
    let mut suppressed = checker.verdict("Gone@Example.com");
    apply_suppression(&mut suppressed, infos().remove(0));
    let mut at_dns = checker.verdict("someone@example.org");
    apply_dns(&mut at_dns, implicit.clone());
    vec![
        checker.verdict("not-an-address"),
        checker.verdict("john@gmailcom"),
        checker.verdict("john@gmial.com"),
        checker.verdict("John.Doe@Bücher.DE"),
        at_dns,
        suppressed,
        smtp(
            "Gone@Example.com",
            &dns,
            answered(
                "550 5.2.1 The email account that you tried to reach is disabled.\r\n",
                Some(false),
            ),
        ),
        smtp("ok@example.com", &dns, answered("250 2.1.5 Ok\r\n", None)),
        smtp(
            "grey@example.com",
            &implicit,
            answered("450 4.7.1 greylisted, try again later\r\n", Some(false)),
        ),
        smtp(
            "late@example.com",
            &dns,
            SmtpOutcome::Unavailable {
                mx: Some("mx1.example.com".into()),
                answered: true,
                tls: false,
                detail: "the connection broke after the greeting".into(),
            },
        ),
        smtp(
            "down@example.com",
            &dns,
            SmtpOutcome::Unavailable {
                mx: None,
                answered: false,
                tls: false,
                detail: "no MX host answered".into(),
            },
        ),
    ]
}

/// A verdict as the edge answers it: with its `cache` field.
fn edge_verdict(v: &Verdict, hit: bool) -> Value {
    let mut value = to_json(v);
    value
        .as_object_mut()
        .expect("a verdict is an object")
        .insert("cache".into(), json!(if hit { "hit" } else { "miss" }));
    value
}

// ------------------------------------------------------------------ tests

#[test]
fn the_checker_knows_its_patterns() {
    let p = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$";
    assert!(matches_pattern(p, "2026-03-14T09:26:53Z"));
    for bad in [
        "2026-03-14T09:26:53",
        "2026-03-14T09:26:53.120Z",
        "2026-3-14T09:26:53Z",
        "x026-03-14T09:26:53Z",
        "",
    ] {
        assert!(!matches_pattern(p, bad), "{bad}");
    }
}

#[test]
fn the_checker_refuses_what_it_should() {
    let s = Schema::load();
    let error = s.at(&schema_ref("Error"));
    let bad = [
        json!({}),
        json!({"error": {"code": "x"}}),
        json!({"error": {"code": 1, "message": "m"}}),
        json!({"error": {"code": "x", "message": "m", "extra": true}}),
        json!({"error": {"code": "x", "message": "m"}, "status": 400}),
    ];
    for v in bad {
        assert!(s.validate(error, &v, "Error").is_err(), "{v}");
    }
    // A type that never writes a property the schema lists is caught.
    let partial = json!({"error": {"code": "x"}});
    assert!(s.cover(error, &[&partial], "Error").is_err());
}

#[test]
fn the_error_body() {
    let s = Schema::load();
    s.check(
        &schema_ref("Error"),
        &[
            to_json(&ErrorBody::new("bad_request", "add ?email=ADDRESS")),
            to_json(&ErrorBody::new("rate_limited", "")),
        ],
    );
}

#[test]
fn every_error_answer_is_the_error_body() {
    let s = Schema::load();
    let paths = s.doc["paths"].as_object().expect("paths");
    let mut seen = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("operations") {
            let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                continue;
            };
            for (status, response) in responses {
                if status.as_str() < "400" {
                    continue;
                }
                let schema = &response["content"]["application/json"]["schema"];
                assert_eq!(
                    schema,
                    &json!({"$ref": "#/components/schemas/Error"}),
                    "{method} {path} {status}: every error answer is an ErrorBody"
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 10, "{seen}");
}

#[test]
fn the_options() {
    let s = Schema::load();
    let all_on = Options::from_bits(u8::MAX); // every option on
    s.check(
        &schema_ref("Options"),
        &[to_json(&Options::default()), to_json(&all_on)],
    );
    let listed: BTreeSet<&str> = s.at(&schema_ref("Options"))["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(listed, Options::NAMES.into_iter().collect());
}

#[test]
fn suppression_records() {
    let s = Schema::load();
    let infos: Vec<Value> = infos().iter().map(to_json).collect();
    s.check(&schema_ref("SuppressionInfo"), &infos);
    let records: Vec<Value> = records().iter().map(to_json).collect();
    s.check(&schema_ref("Suppression"), &records);
    // What `prebounce suppressions push` sends to PUT /v1/suppressions,
    // and what the edge answers.
    s.check(&schema_ref("SuppressionInput"), &records);
    let all: Vec<Suppression> = self::infos()
        .into_iter()
        .map(|info| Suppression {
            address: "a@example.com".into(),
            info,
        })
        .collect();
    let bodies = [
        to_json(&PushRequest {
            suppressions: all.iter().collect(),
        }),
        to_json(&PushRequest {
            suppressions: vec![],
        }),
    ];
    s.check(
        &format!("{PUT}/requestBody/content/application~1json/schema"),
        &bodies,
    );
    let answers = [
        to_json(&PushAnswer {
            received: 2,
            changed: 1,
        }),
        to_json(&PushAnswer {
            received: 0,
            changed: 0,
        }),
    ];
    s.check(
        &format!("{PUT}/responses/200/content/application~1json/schema"),
        &answers,
    );
    assert_eq!(
        s.at(&format!(
            "{PUT}/requestBody/content/application~1json/schema/properties/suppressions/maxItems"
        )),
        &serde_json::json!(MAX_PUSH)
    );
}

#[test]
fn the_change_feed() {
    let s = Schema::load();
    let entries: Vec<Value> = changes().iter().map(to_json).collect();
    s.check(&schema_ref("SuppressionChange"), &entries);
    let cursor = Cursor {
        updated_at: 1_773_480_420_003,
        address: "b@example.com".into(),
    };
    let pages = [
        Page {
            suppressions: changes(),
            next_cursor: Some(cursor.encode()),
        },
        Page {
            suppressions: vec![],
            next_cursor: None,
        },
    ];
    let pages: Vec<Value> = pages.iter().map(to_json).collect();
    s.check(PAGE, &pages);
    // The document's `limit` bounds what a page holds.
    let limit = &s.at("#/paths/~1v1~1suppressions/get/parameters")[2];
    assert_eq!(limit["name"], "limit");
    assert_eq!(
        s.at(PAGE)["properties"]["suppressions"]["maxItems"],
        limit["schema"]["maximum"]
    );
}

#[test]
fn verdicts_as_the_edge_answers_them() {
    let s = Schema::load();
    let values: Vec<Value> = verdicts()
        .iter()
        .enumerate()
        .map(|(i, v)| edge_verdict(v, i % 2 == 0))
        .collect();
    s.check(&schema_ref("Verdict"), &values);
    // The GET /v1/check answer is one of them.
    s.check(
        "#/paths/~1v1~1check/get/responses/200/content/application~1json/schema",
        &values,
    );
}

#[test]
fn the_verdict_enums_are_core_s() {
    let s = Schema::load();
    let props = &s.at(&schema_ref("Verdict"))["properties"];
    let listed = |name: &str| -> Vec<Value> {
        props[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("Verdict.{name} is an enum"))
            .clone()
    };
    let statuses: Vec<Value> = Status::ALL.iter().map(to_json).collect();
    assert_eq!(listed("status"), statuses);
    let reasons: Vec<Value> = Reason::ALL.iter().map(to_json).collect();
    assert_eq!(listed("reason"), reasons);
    let depths: Vec<Value> = verdicts().iter().map(|v| to_json(&v.depth)).collect();
    let depths: BTreeSet<String> = depths.iter().map(Value::to_string).collect();
    let listed_depths: BTreeSet<String> = listed("depth").iter().map(Value::to_string).collect();
    assert_eq!(listed_depths, depths);
}

/// Every schema in the document is either one of this crate's types (or
/// core's, which this crate re-exports or carries), checked above, or the
/// worker's own.
#[test]
fn every_schema_is_accounted_for() {
    let s = Schema::load();
    let names: BTreeSet<&str> = s.doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .map(String::as_str)
        .collect();
    let checked = [
        "Error",
        "Options",
        "SuppressionInfo",
        "Suppression",
        "SuppressionInput",
        "SuppressionChange",
        "Verdict",
        // Through Verdict.
        "Dns",
        "Smtp",
    ];
    // The worker's own: the SNS endpoint's bodies.
    let worker_only = ["BounceResult", "SnsMessage"];
    let known: BTreeSet<&str> = checked.into_iter().chain(worker_only).collect();
    assert_eq!(
        names, known,
        "a schema was added or removed: check it against its type here"
    );
}
