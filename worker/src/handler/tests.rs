//! The handler against an in-memory platform: a fake DoH resolver (real DNS
//! wire format), a fake probe backend that checks signatures, a cache, a
//! rate limiter, an in-memory SQLite standing in for D1, and SNS hosts that
//! serve the test signing certificate and take subscription confirmations.
//!
//! The suppression routes and the SNS endpoint have their own files:
//! `tests/suppressions.rs`, `tests/bounces.rs`.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::executor::block_on;
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, MX, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use prebounce_core::outcome::{apply_dns, apply_smtp, SmtpOutcome};
use prebounce_core::verdict::{DnsInfo, MxRecord};
use prebounce_core::{Checker, Options, Reply, Stage};
use serde_json::{json, Value};

use super::*;
use crate::platform::{Outbound, OutboundResponse, Statement, StatementResult};
use crate::sns::tests::TEST_CERT;
use prebounce_api::signing::{sign, Secret};
use prebounce_api::{ProbeAnswer, ProbeRequest};

mod bounces;
mod suppressions;

const SECRET: &str = "probe-secret-0123456789abcdef0123456789";
const PROBE: &str = "http://probe.test:8025/v1/probe";
const DOH: &str = "http://doh.test/dns-query";
const SITE: &str = "http://localhost:5173";

/// Where the fake SNS host serves the test certificate.
const CERT_URL: &str = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem";

struct Fake {
    fetches: RefCell<Vec<String>>,
    cache: RefCell<HashMap<String, Vec<u8>>>,
    counts: RefCell<HashMap<String, u32>>,
    doh_down: bool,
    /// The DoH resolver answers NXDOMAIN for every name, `com.` included.
    doh_liar: bool,
    probe_down: bool,
    /// D1: an in-memory SQLite.
    db: RefCell<rusqlite::Connection>,
    schema: Cell<bool>,
    /// Batches run (schema creation included).
    batches: Cell<usize>,
    /// Every batch fails.
    db_down: bool,
    /// No database is bound.
    db_unbound: bool,
    /// The SNS host answers subscription confirmations with this status.
    confirm_status: u16,
    logs: RefCell<Vec<String>>,
    now_ms: Cell<u64>,
}

impl Default for Fake {
    fn default() -> Fake {
        Fake {
            fetches: RefCell::default(),
            cache: RefCell::default(),
            counts: RefCell::default(),
            doh_down: false,
            doh_liar: false,
            probe_down: false,
            db: RefCell::new(rusqlite::Connection::open_in_memory().expect("an in-memory SQLite")),
            schema: Cell::new(false),
            batches: Cell::new(0),
            db_down: false,
            db_unbound: false,
            confirm_status: 200,
            logs: RefCell::default(),
            now_ms: Cell::new(1_700_000_000_000),
        }
    }
}

impl Fake {
    /// Runs SQL straight on the database (bypassing the worker).
    fn sql(&self, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
        let db = self.db.borrow();
        let mut stmt = db.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |row| (0..n).map(|i| row.get(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn run_batch(&self, statements: Vec<Statement>) -> rusqlite::Result<Vec<StatementResult>> {
        let mut db = self.db.borrow_mut();
        let tx = db.transaction()?;
        let out = prebounce_store::sqlite::execute_all(&tx, &statements)?;
        tx.commit()?;
        Ok(out)
    }

    fn doh_fetches(&self) -> usize {
        self.fetches
            .borrow()
            .iter()
            .filter(|u| u.contains("dns="))
            .count()
    }
    /// The DoH queries so far, as `name TYPE` (`com. NS`).
    fn doh_queries(&self) -> Vec<String> {
        self.fetches
            .borrow()
            .iter()
            .filter_map(|u| u.split_once("dns="))
            .map(|(_, q)| {
                let query = Message::from_vec(&URL_SAFE_NO_PAD.decode(q).unwrap()).unwrap();
                let q = &query.queries[0];
                format!("{} {}", q.name().to_ascii(), q.query_type())
            })
            .collect()
    }
    fn probe_fetches(&self) -> usize {
        self.fetches
            .borrow()
            .iter()
            .filter(|u| u.starts_with(PROBE))
            .count()
    }

    fn dns(&self, url: &str) -> OutboundResponse {
        let q = url.split_once("dns=").unwrap().1;
        let query = Message::from_vec(&URL_SAFE_NO_PAD.decode(q).unwrap()).unwrap();
        let qname = query.queries[0].name().to_ascii();
        let qtype = query.queries[0].query_type();
        let mut msg = Message::new(0, MessageType::Response, OpCode::Query);
        let name = |s: &str| Name::from_ascii(s).unwrap();
        let soa = Record::from_rdata(
            name("test."),
            60,
            RData::SOA(SOA::new(name("ns.test."), name("h.test."), 1, 1, 1, 1, 60)),
        );
        let mx = |pref, ex: &str| {
            Record::from_rdata(name(&qname), 300, RData::MX(MX::new(pref, name(ex))))
        };
        match (qname.as_str(), qtype) {
            _ if self.doh_liar => {
                msg.metadata.response_code = ResponseCode::NXDomain;
            }
            // The TLDs exist: NODATA for test. (a static zone, as unbound
            // serves it), NS records elsewhere.
            ("test.", RecordType::NS) => {
                msg.add_authority(soa);
            }
            ("com.", RecordType::NS) => {
                msg.add_answer(Record::from_rdata(
                    name("com."),
                    300,
                    RData::NS(hickory_proto::rr::rdata::NS(name("a.gtld-servers.net."))),
                ));
            }
            ("alpha.test." | "catchall.test." | "grey.test.", RecordType::MX) => {
                msg.add_answer(mx(10, "mx.alpha.test."));
            }
            ("nullmx.test.", RecordType::MX) => {
                msg.add_answer(mx(0, "."));
            }
            ("amx.test.", RecordType::A) => {
                msg.add_answer(Record::from_rdata(
                    name(&qname),
                    300,
                    RData::A(A::new(192, 0, 2, 1)),
                ));
            }
            ("amx.test.", _) => {
                msg.add_authority(soa);
            }
            ("servfail.test.", _) => {
                msg.metadata.response_code = ResponseCode::ServFail;
            }
            (q, _) if q.starts_with('d') && q.ends_with(".test.") => {
                msg.add_answer(mx(10, "mx.alpha.test."));
            }
            _ => {
                msg.metadata.response_code = ResponseCode::NXDomain;
                msg.add_authority(soa);
            }
        }
        OutboundResponse {
            status: 200,
            body: msg.to_vec().unwrap(),
        }
    }

    /// The probe: checks the signature, answers like `prebounce serve` would
    /// with Postfix behind it.
    fn probe(&self, req: &Outbound) -> OutboundResponse {
        let h = |n: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let expected = sign(
            &Secret::new(SECRET).unwrap(),
            "POST",
            "/v1/probe",
            &h("x-prebounce-timestamp"),
            &h("x-prebounce-nonce"),
            &req.body,
        );
        assert_eq!(
            h("x-prebounce-signature"),
            expected,
            "signed as DESIGN pins"
        );
        assert_eq!(h("x-prebounce-nonce").len(), 32);
        // Read as `serve` reads it; the worker sends every option, so the
        // server's defaults do not matter.
        let body = ProbeRequest::parse(&req.body, Options::default()).unwrap();
        let checker = Checker::new(body.options);
        let results: Vec<_> = body
            .emails
            .iter()
            .map(|e| {
                let Item::Text(e) = e else {
                    panic!("the worker sends strings only: {e:?}")
                };
                let mut v = checker.verdict(e);
                let domain = v.domain.clone().unwrap();
                let mx: Vec<MxRecord> = body.mx[&domain].clone();
                apply_dns(
                    &mut v,
                    DnsInfo {
                        mx,
                        ..DnsInfo::default()
                    },
                );
                let local = v.local.clone().unwrap();
                let raw = match (local.as_str(), domain.as_str()) {
                    (_, "catchall.test") | ("ok", _) => "250 2.1.5 Ok\r\n",
                    ("disabled", _) => {
                        "550 5.2.1 The email account that you tried to reach is disabled\r\n"
                    }
                    (_, "grey.test") => "450 4.7.1 greylisted, try again later\r\n",
                    _ => "550 5.1.1 User unknown\r\n",
                };
                apply_smtp(
                    &mut v,
                    &SmtpOutcome::Answered {
                        mx: "mx.alpha.test".into(),
                        stage: Stage::RcptTo,
                        reply: Reply::parse(raw.as_bytes()).unwrap(),
                        tls: true,
                        catch_all: Some(domain == "catchall.test"),
                    },
                );
                v
            })
            .collect();
        OutboundResponse {
            status: 200,
            body: serde_json::to_vec(&ProbeAnswer { results }).unwrap(),
        }
    }
}

impl Platform for Fake {
    async fn fetch(&self, req: Outbound) -> Result<OutboundResponse, String> {
        self.fetches.borrow_mut().push(req.url.clone());
        if req.url.starts_with(DOH) {
            if self.doh_down {
                return Err("connection refused".into());
            }
            return Ok(self.dns(&req.url));
        }
        if req.url == PROBE {
            if self.probe_down {
                return Err("timed out".into());
            }
            return Ok(self.probe(&req));
        }
        if req.url == CERT_URL {
            return Ok(OutboundResponse {
                status: 200,
                body: TEST_CERT.as_bytes().to_vec(),
            });
        }
        if req
            .url
            .starts_with("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription")
        {
            return Ok(OutboundResponse {
                status: self.confirm_status,
                body: b"<ConfirmSubscriptionResponse/>".to_vec(),
            });
        }
        Err(format!("unexpected fetch {}", req.url))
    }
    async fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        self.cache.borrow().get(key).cloned()
    }
    async fn cache_put(&self, key: &str, value: Vec<u8>, ttl_secs: u32) {
        assert!(ttl_secs > 0);
        self.cache.borrow_mut().insert(key.to_owned(), value);
    }
    async fn rate_limit(&self, key: &str, limit: u32, _window: u32) -> RateDecision {
        let mut counts = self.counts.borrow_mut();
        let n = counts.entry(key.to_owned()).or_default();
        *n += 1;
        if *n > limit {
            RateDecision::Limited { retry_after: 42 }
        } else {
            RateDecision::Allowed
        }
    }
    async fn db_batch(&self, statements: Vec<Statement>) -> Result<Vec<StatementResult>, DbError> {
        if self.db_unbound {
            return Err(DbError::Unbound(crate::store::BINDING));
        }
        if self.db_down {
            return Err(DbError::Failed(
                "D1_ERROR: the network connection was lost".into(),
            ));
        }
        self.batches.set(self.batches.get() + 1);
        self.run_batch(statements)
            .map_err(|e| DbError::Failed(e.to_string()))
    }
    fn schema_ready(&self) -> bool {
        self.schema.get()
    }
    fn mark_schema_ready(&self) {
        self.schema.set(true);
    }
    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }
    fn random_bytes(&self, n: usize) -> Vec<u8> {
        (0..n as u8).collect()
    }
    fn log(&self, message: &str) {
        self.logs.borrow_mut().push(message.to_owned());
    }
}

fn config(extra: &[(&str, &str)]) -> Config {
    let mut vars: BTreeMap<String, String> = [
        ("DOH_URL", DOH),
        ("PROBE_URL", PROBE),
        ("PROBE_SECRET", SECRET),
        (
            "API_KEYS",
            r#"{"sk_test_1": {"rate_per_minute": 1000}, "pk_test_1": {"origins": ["http://localhost:5173"], "rate_per_minute": 3}}"#,
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    Config::from_vars(vars)
}

fn get(query: &str) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path: "/v1/check".into(),
        query: query.into(),
        headers: vec![("authorization".into(), "Bearer sk_test_1".into())],
        body: vec![],
    }
}

fn post(body: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: "/v1/check".into(),
        query: String::new(),
        headers: vec![("authorization".into(), "Bearer sk_test_1".into())],
        body: body.as_bytes().to_vec(),
    }
}

/// A request with a Bearer key (none when `key` is empty).
fn request(method: &str, target: &str, body: &str, key: &str) -> HttpRequest {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    if !key.is_empty() {
        headers.push(("authorization".to_owned(), format!("Bearer {key}")));
    }
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn run(req: HttpRequest, config: &Config, fake: &Fake) -> (u16, Value, HttpResponse) {
    let resp = block_on(handle(req, config, fake));
    let body = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    (resp.status, body, resp)
}

fn batch(emails: &[&str], fake: &Fake) -> Vec<Value> {
    let body = json!({"emails": emails, "options": {"allow_special_use": true}}).to_string();
    let (status, body, _) = run(post(&body), &config(&[]), fake);
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

#[test]
fn routes() {
    let fake = Fake::default();
    let c = config(&[]);
    let req = |m: &str, p: &str| HttpRequest {
        method: m.into(),
        path: p.into(),
        ..HttpRequest::default()
    };
    assert_eq!(run(req("GET", "/healthz"), &c, &fake).0, 200);
    let (s, b, _) = run(req("GET", "/nope"), &c, &fake);
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, b, _) = run(req("DELETE", "/v1/check"), &c, &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let (s, b, _) = run(req("GET", "/openapi.json"), &c, &fake);
    assert_eq!(s, 200);
    assert_eq!(b["openapi"], "3.1.0");
}

#[test]
fn the_full_pipeline_through_doh_and_the_probe() {
    let fake = Fake::default();
    let r = batch(
        &[
            "disabled@alpha.test",
            "nobody@alpha.test",
            "ok@alpha.test",
            "x@catchall.test",
            "x@grey.test",
            "x@nullmx.test",
            "x@nxdomain.test",
            "x@servfail.test",
            "not an address",
        ],
        &fake,
    );
    let got: Vec<(&str, &str, &str)> = r
        .iter()
        .map(|v| {
            (
                v["reason"].as_str().unwrap(),
                v["depth"].as_str().unwrap(),
                v["cache"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("mailbox_disabled", "smtp", "miss"),
            ("does_not_exist", "smtp", "miss"),
            ("ok", "smtp", "miss"),
            ("catch_all", "smtp", "miss"),
            ("temporary_failure", "smtp", "miss"),
            ("null_mx", "dns", "miss"),
            ("no_such_domain", "dns", "miss"),
            ("dns_error", "dns", "miss"),
            ("invalid_syntax", "syntax", "miss"),
        ]
    );
    // Our DoH TTL is kept over the probe's view of the hosts.
    assert_eq!(r[0]["dns"]["ttl"], 300);
    assert_eq!(r[0]["dns"]["mx"][0]["exchange"], "mx.alpha.test");
    assert!(r[4]["retry_after"].as_u64().unwrap() > 0);
    // One MX query per distinct domain, one NS query for test. (the
    // resolver guard, for nxdomain.test), one probe call per request.
    assert_eq!(fake.doh_fetches(), 7, "{:?}", fake.doh_queries());
    assert_eq!(
        fake.doh_queries()
            .iter()
            .filter(|q| *q == "test. NS")
            .count(),
        1
    );
    assert_eq!(fake.probe_fetches(), 1);
}

#[test]
fn implicit_mx_asks_a_and_aaaa() {
    let fake = Fake::default();
    let r = batch(&["ok@amx.test"], &fake);
    assert_eq!(r[0]["dns"]["implicit_mx"], true);
    assert_eq!(fake.doh_fetches(), 3, "MX, then A and AAAA");
}

#[test]
fn a_second_identical_request_is_served_from_the_cache() {
    let fake = Fake::default();
    let first = batch(&["disabled@alpha.test", "x@nxdomain.test"], &fake);
    assert!(first.iter().all(|v| v["cache"] == "miss"));
    let fetches = fake.fetches.borrow().len();
    let second = batch(&["disabled@alpha.test", "x@nxdomain.test"], &fake);
    assert!(second.iter().all(|v| v["cache"] == "hit"), "{second:?}");
    assert_eq!(second[0]["reason"], "mailbox_disabled");
    assert_eq!(fake.fetches.borrow().len(), fetches, "no outbound request");
    // Another address at a cached domain: no DoH, only the probe.
    let third = batch(&["nobody@alpha.test"], &fake);
    assert_eq!(third[0]["reason"], "does_not_exist");
    assert_eq!(fake.fetches.borrow().len(), fetches + 1);
}

#[test]
fn unknown_verdicts_are_not_cached() {
    let fake = Fake {
        probe_down: true,
        ..Fake::default()
    };
    let r = batch(&["ok@alpha.test"], &fake);
    assert_eq!(r[0]["reason"], "smtp_unavailable");
    assert_eq!(r[0]["depth"], "dns");
    assert!(r[0]["detail"].as_str().unwrap().contains("probe backend"));
    let r = batch(&["ok@alpha.test"], &fake);
    assert_eq!(r[0]["cache"], "miss");
}

#[test]
fn a_dead_resolver_gives_dns_error_not_500() {
    let fake = Fake {
        doh_down: true,
        ..Fake::default()
    };
    let r = batch(&["ok@alpha.test"], &fake);
    assert_eq!(r[0]["reason"], "dns_error");
    assert_eq!(r[0]["status"], "unknown");
    assert_eq!(fake.probe_fetches(), 0);
}

#[test]
fn the_subrequest_budget_counts_lookups_and_the_probe() {
    let fake = Fake::default();
    let c = config(&[("SUBREQUEST_BUDGET", "3")]);
    let body = json!({"emails": ["a@d1.test", "b@d2.test", "c@d3.test", "d@d1.test"],
                      "options": {"allow_special_use": true}})
    .to_string();
    let (_, b, _) = run(post(&body), &c, &fake);
    let r = b["results"].as_array().unwrap();
    assert_eq!(fake.doh_fetches() + fake.probe_fetches(), 3);
    assert_eq!(r[0]["depth"], "smtp");
    assert_eq!(r[1]["depth"], "smtp");
    assert_eq!(
        r[3]["depth"], "smtp",
        "same domain as the first: no extra lookup"
    );
    assert_eq!(r[2]["depth"], "syntax");
    assert!(r[2]["detail"]
        .as_str()
        .unwrap()
        .contains("SUBREQUEST_BUDGET"));
}

#[test]
fn a_lying_resolver_gives_dns_error_not_no_such_domain() {
    let fake = Fake {
        doh_liar: true,
        ..Fake::default()
    };
    let r = batch(
        &["someone@gmail.com", "other@yahoo.com", "x@nxdomain.test"],
        &fake,
    );
    for v in &r {
        assert_eq!(
            (&v["status"], &v["reason"]),
            (&json!("unknown"), &json!("dns_error")),
            "{v}"
        );
        let detail = v["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(
                "the edge's DoH resolver (DOH_URL) answered NXDOMAIN for the top-level domain"
            ),
            "{detail}"
        );
        assert!(
            !detail.contains("doh.test"),
            "the URL stays private: {detail}"
        );
    }
    let count = |q: &str| fake.doh_queries().iter().filter(|x| *x == q).count();
    // Asked once for the request's domains (shared), counted as DoH fetches.
    assert_eq!(count("com. NS"), 1, "{:?}", fake.doh_queries());
    assert_eq!(count("test. NS"), 1);
    assert_eq!(fake.probe_fetches(), 0);
    // The operator's log names the URL, once per request.
    let logs = fake.logs.borrow().clone();
    assert_eq!(
        logs.iter().filter(|l| l.contains(DOH)).count(),
        1,
        "{logs:?}"
    );
    // The next request: the TLD's answer is cached; dns_error never is.
    let before = fake.doh_queries().len();
    let r = batch(&["someone@gmail.com"], &fake);
    assert_eq!(r[0]["reason"], "dns_error");
    assert_eq!(fake.doh_queries()[before..], ["gmail.com. MX"]);
}

#[test]
fn a_tld_that_does_not_exist_is_no_resolver_fault() {
    // An honest resolver: `con.` is denied, `com.` is not.
    let fake = Fake::default();
    let r = batch(&["x@gmail.con"], &fake);
    assert_eq!(r[0]["reason"], "no_such_domain", "{}", r[0]);
    assert_eq!(fake.doh_queries(), ["gmail.con. MX", "con. NS", "com. NS"]);
}

#[test]
fn the_tld_query_counts_in_the_subrequest_budget() {
    let fake = Fake {
        doh_liar: true,
        ..Fake::default()
    };
    // The probe call (reserved), the MX query: no room for the NS query.
    let (_, b, _) = run(
        post(&json!({"emails": ["someone@gmail.com"]}).to_string()),
        &config(&[("SUBREQUEST_BUDGET", "2")]),
        &fake,
    );
    let v = &b["results"][0];
    assert_eq!(v["depth"], "syntax", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("SUBREQUEST_BUDGET"));
    assert_eq!(fake.doh_queries(), ["gmail.com. MX"]);
    // One more: the NS query fits.
    let (_, b, _) = run(
        post(&json!({"emails": ["someone@gmail.com"]}).to_string()),
        &config(&[("SUBREQUEST_BUDGET", "3")]),
        &fake,
    );
    assert_eq!(b["results"][0]["reason"], "dns_error");
    assert_eq!(fake.doh_queries()[1..], ["gmail.com. MX", "com. NS"]);
}

#[test]
fn keys_origins_and_cors() {
    let fake = Fake::default();
    let c = config(&[]);
    let with = |headers: &[(&str, &str)]| {
        let mut r = get("email=a%40example.com");
        r.headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        r
    };
    let (s, b, _) = run(with(&[]), &c, &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(
        run(with(&[("authorization", "Bearer sk_nope_123")]), &c, &fake).0,
        401
    );
    assert_eq!(run(with(&[("authorization", "Basic x")]), &c, &fake).0, 401);
    // A publishable key: only from its origin.
    assert_eq!(
        run(with(&[("authorization", "Bearer pk_test_1")]), &c, &fake).0,
        401
    );
    let foreign = [
        ("authorization", "Bearer pk_test_1"),
        ("origin", "https://evil.example"),
    ];
    let (s, _, resp) = run(with(&foreign), &c, &fake);
    assert_eq!(s, 401);
    assert!(resp.header("access-control-allow-origin").is_none());
    let own = [("authorization", "Bearer pk_test_1"), ("origin", SITE)];
    let (s, _, resp) = run(with(&own), &c, &fake);
    assert_eq!(s, 200);
    assert_eq!(resp.header("access-control-allow-origin"), Some(SITE));
    assert_eq!(
        resp.header("access-control-expose-headers"),
        Some("Retry-After")
    );
    // A preflight from a listed origin.
    let pre = HttpRequest {
        method: "OPTIONS".into(),
        path: "/v1/check".into(),
        headers: vec![("origin".into(), SITE.into())],
        ..HttpRequest::default()
    };
    let (s, _, resp) = run(pre, &c, &fake);
    assert_eq!(s, 204);
    assert!(resp
        .header("access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let fake = Fake::default();
    let c = config(&[]);
    let req = || {
        let mut r = get("email=a%40example.com");
        r.headers = vec![
            ("authorization".into(), "Bearer pk_test_1".into()),
            ("origin".into(), SITE.into()),
        ];
        r
    };
    for _ in 0..3 {
        assert_eq!(run(req(), &c, &fake).0, 200);
    }
    let (s, b, resp) = run(req(), &c, &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert_eq!(resp.header("retry-after"), Some("42"));
}

#[test]
fn get_takes_one_email_and_options() {
    let fake = Fake::default();
    let c = config(&[]);
    let (s, b, _) = run(get("email=John.Doe%40B%C3%BCcher.DE"), &c, &fake);
    assert_eq!(s, 200);
    assert_eq!(b["address"], "John.Doe@xn--bcher-kva.de");
    let (_, b, _) = run(
        get("email=x%40nullmx.test&allow_special_use=true"),
        &c,
        &fake,
    );
    assert_eq!(b["reason"], "null_mx");
    let (_, b, _) = run(get("email=x%40nullmx.test"), &c, &fake);
    assert_eq!(b["error"]["code"], "special_use_domain");
    for bad in [
        "",
        "mail=a",
        "email=a&email=b",
        "email=a&allow_special_use=maybe",
    ] {
        let (s, b, _) = run(get(bad), &c, &fake);
        assert_eq!(s, 400, "{bad}");
        assert_eq!(b["error"]["code"], "bad_request");
        assert!(!b["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn bad_bodies_get_a_4xx_that_says_what_to_fix() {
    let fake = Fake::default();
    let c = config(&[("MAX_BODY_BYTES", "2000")]);
    let hundred_one: Vec<String> = (0..101).map(|i| format!("a{i}@x.com")).collect();
    let cases = [
        ("{", 400),
        ("[]", 400),
        (r#"{"emails": "a@b.com"}"#, 400),
        (r#"{}"#, 400),
        (r#"{"emails": [], "options": {"nope": true}}"#, 400),
        (
            r#"{"emails": [], "options": {"allow_special_use": "yes"}}"#,
            400,
        ),
        (r#"{"emails": [], "extra": 1}"#, 400),
    ];
    for (body, status) in cases {
        let (s, b, _) = run(post(body), &c, &fake);
        assert_eq!(s, status, "{body}: {b}");
        assert!(b["error"]["message"].as_str().is_some());
    }
    let big = json!({ "emails": hundred_one }).to_string();
    let (s, b, _) = run(post(&big), &config(&[]), &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (413, Some("too_many_addresses"))
    );
    let huge = format!(r#"{{"emails": ["{}"]}}"#, "a".repeat(5000));
    assert_eq!(run(post(&huge), &c, &fake).0, 413);
    assert_eq!(fake.fetches.borrow().len(), 0);
}

#[test]
fn one_bad_item_gets_its_own_verdict() {
    let fake = Fake::default();
    let (s, b, _) = run(
        post(
            r#"{"emails": [42, "a@", null, "ok@alpha.test"], "options": {"allow_special_use": true}}"#,
        ),
        &config(&[]),
        &fake,
    );
    assert_eq!(s, 200);
    let r = b["results"].as_array().unwrap();
    assert_eq!(r[0]["error"]["code"], "not_a_string");
    assert_eq!(r[1]["reason"], "invalid_syntax");
    assert_eq!(r[2]["error"]["code"], "not_a_string");
    assert_eq!(r[3]["reason"], "ok");
}

#[test]
fn a_misconfigured_worker_says_so_and_says_what_only_to_its_operator() {
    // A malformed key's first characters were once shown to anyone.
    let fake = Fake::default();
    let c = config(&[("API_KEYS", r#"{"xk_secret_value": {}}"#)]);
    let (s, b, _) = run(get("email=a%40b.com"), &c, &fake);
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (500, Some("misconfigured"))
    );
    let message = b["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("API_KEYS") && !message.contains("xk_sec"),
        "{message}"
    );
    assert!(message.contains("operator's log"), "{message}");
    let logged = fake.logs.borrow().join("\n");
    assert!(
        logged.contains("API_KEYS") && logged.contains("xk_sec"),
        "{logged}"
    );

    // Another setting malformed, the keys fine: a valid secret key is told
    // what; a publishable key, a wrong key or none is not.
    let c = config(&[("MAX_BODY_BYTES", "lots")]);
    let (s, b, _) = run(get("email=a%40b.com"), &c, &fake);
    assert_eq!(s, 500);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("MAX_BODY_BYTES"),
        "{b}"
    );
    for auth in ["Bearer pk_test_1", "Bearer sk_wrong_key", ""] {
        let mut req = get("email=a%40b.com");
        req.headers.retain(|(n, _)| n != "authorization");
        if !auth.is_empty() {
            req.headers.push(("authorization".into(), auth.into()));
        }
        let (s, b, _) = run(req, &c, &fake);
        assert_eq!(s, 500, "{auth}");
        assert!(
            !b["error"]["message"]
                .as_str()
                .unwrap()
                .contains("MAX_BODY_BYTES"),
            "{auth}: {b}"
        );
    }
}

#[test]
fn a_post_item_is_capped_like_a_get_email() {
    let fake = Fake::default();
    let c = config(&[]);
    let padded = format!("{}a@alpha.test", " ".repeat(1_100));
    let body = json!({"emails": ["ok@alpha.test", padded]}).to_string();
    let (status, body, _) = run(post(&body), &c, &fake);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("emails[1]") && message.contains("1024"),
        "{message}"
    );
    assert_eq!(
        fake.doh_fetches() + fake.probe_fetches(),
        0,
        "nothing was checked"
    );
    // At the cap, it is an item like any other.
    let at_cap = format!("{}@alpha.test", "a".repeat(1_024 - "@alpha.test".len()));
    let body = json!({"emails": [at_cap]}).to_string();
    assert_eq!(run(post(&body), &c, &fake).0, 200);
}
