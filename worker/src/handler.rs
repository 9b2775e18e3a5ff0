//! Routing, keys, CORS, rate limits and request validation (docs/DESIGN.md
//! "Edge API"). Every error is `prebounce-api`'s [`ErrorBody`],
//! `{"error": {"code", "message"}}`, with a message that says what to fix;
//! nothing here can panic on input.
//!
//! The suppression routes are in [`suppressions`], the SNS endpoint in
//! [`bounces`].

use prebounce_api::ErrorBody;
use prebounce_core::Options;
use serde_json::{json, Map, Value};

use crate::config::{ApiKey, KeyKind, MAX_BATCH, MAX_BATCH_PUBLISHABLE};
use crate::pipeline::{check_all, Item};
use crate::platform::{DbError, RateDecision};
use crate::{Config, HttpRequest, HttpResponse, Platform};

mod bounces;
mod suppressions;

/// The OpenAPI 3.1 description of this API (served at `/openapi.json`).
pub const OPENAPI: &str = include_str!("openapi.json");

/// The longest `email` accepted in a query string or a batch item, in bytes:
/// far beyond any address (254), short enough to bound the work and the
/// cache's URLs.
const MAX_INPUT_BYTES: usize = 1024;

/// An error answer.
#[derive(Debug)]
struct ApiError {
    status: u16,
    code: &'static str,
    message: String,
    retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "bad_request", message)
    }

    /// The suppression store could not be used (503: SNS and clients retry).
    /// The details go to the log, not to the caller.
    fn store(e: DbError, platform: &impl Platform) -> ApiError {
        let message = match &e {
            DbError::Unbound(_) => {
                format!("{e}: the suppression store is not set up (worker/README.md)")
            }
            DbError::Failed(_) => {
                platform.log(&format!("suppression store: {e}"));
                "the suppression store failed and nothing was written: retry later".to_owned()
            }
        };
        ApiError::new(503, "store_unavailable", message)
    }

    /// 413: `n` items where `limit` are allowed.
    fn too_many(code: &'static str, n: usize, what: &str, limit: &str) -> ApiError {
        ApiError::new(
            413,
            code,
            format!("{n} {what} in one request; at most {limit}: split the list"),
        )
    }

    /// 413: a body over `setting`'s `limit` bytes.
    fn too_large(limit: usize, setting: &str, advice: &str) -> ApiError {
        ApiError::new(
            413,
            "payload_too_large",
            format!("the body is larger than {limit} bytes ({setting}): {advice}"),
        )
    }

    fn response(self) -> HttpResponse {
        let mut r = HttpResponse::json(self.status, &ErrorBody::new(self.code, self.message));
        if let Some(s) = self.retry_after {
            r.headers.push(("retry-after".into(), s.to_string()));
        }
        r
    }
}

/// Answers one request.
pub async fn handle(req: HttpRequest, config: &Config, platform: &impl Platform) -> HttpResponse {
    let origin = req
        .header("origin")
        .map(|o| o.trim_end_matches('/').to_owned());
    let cors_origin = origin.filter(|o| config.origin_allowed(o));
    let mut resp = match route(&req, config, platform, cors_origin.is_some()).await {
        Ok(r) => r,
        Err(e) => e.response(),
    };
    if let Some(o) = cors_origin {
        resp.headers.push(("access-control-allow-origin".into(), o));
        // A page must be able to read how long a 429 asks it to wait.
        resp.headers
            .push(("access-control-expose-headers".into(), "Retry-After".into()));
        resp.headers.push(("vary".into(), "Origin".into()));
    }
    resp
}

async fn route(
    req: &HttpRequest,
    config: &Config,
    platform: &impl Platform,
    cors: bool,
) -> Result<HttpResponse, ApiError> {
    let path = req.path.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    match (req.method.as_str(), path) {
        ("GET" | "HEAD", "/healthz") => Ok(HttpResponse::json(200, &json!({"status": "ok"}))),
        ("GET" | "HEAD", "/openapi.json") => Ok(HttpResponse {
            status: 200,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: OPENAPI.as_bytes().to_vec(),
        }),
        ("OPTIONS", "/v1/check") => Ok(preflight(cors)),
        ("GET", "/v1/check") => {
            ready(req, config, platform)?;
            let key = authorize(req, config)?;
            limit(key, platform).await?;
            let (email, options) = parse_query(&req.query)?;
            let mut results = check_all(vec![Item::Text(email)], options, config, platform).await;
            Ok(HttpResponse::json(
                200,
                &results.pop().unwrap_or(Value::Null),
            ))
        }
        ("POST", "/v1/check") => {
            ready(req, config, platform)?;
            let key = authorize(req, config)?;
            if req.body.len() > config.max_body_bytes {
                return Err(ApiError::too_large(
                    config.max_body_bytes,
                    "MAX_BODY_BYTES",
                    "send fewer addresses per request",
                ));
            }
            limit(key, platform).await?;
            let max = match key.kind {
                KeyKind::Secret => MAX_BATCH,
                KeyKind::Publishable => MAX_BATCH_PUBLISHABLE,
            };
            let (items, options) = parse_body(&req.body, max)?;
            let results = check_all(items, options, config, platform).await;
            Ok(HttpResponse::json(200, &json!({ "results": results })))
        }
        ("POST", "/v1/bounces") => {
            ready(req, config, platform)?;
            bounces::post(req, config, platform).await
        }
        ("GET" | "PUT", "/v1/suppressions") => {
            ready(req, config, platform)?;
            secret_key(req, config, platform).await?;
            if req.method == "GET" {
                suppressions::page(&req.query, platform).await
            } else {
                suppressions::put(&req.body, config, platform).await
            }
        }
        ("GET" | "DELETE", p) if p.starts_with(suppressions::ONE) => {
            let address = suppressions::address_in_path(p)?;
            ready(req, config, platform)?;
            secret_key(req, config, platform).await?;
            if req.method == "GET" {
                suppressions::get_one(&address, platform).await
            } else {
                suppressions::delete_one(&address, platform).await
            }
        }
        (_, "/v1/check" | "/healthz" | "/openapi.json" | "/v1/bounces" | "/v1/suppressions") => {
            Err(not_allowed(&req.method))
        }
        (_, p) if p.starts_with(suppressions::ONE) => {
            suppressions::address_in_path(p)?;
            Err(not_allowed(&req.method))
        }
        _ => Err(ApiError::new(
            404,
            "not_found",
            "no such route: see /openapi.json",
        )),
    }
}

fn not_allowed(method: &str) -> ApiError {
    ApiError::new(
        405,
        "method_not_allowed",
        format!("{method} is not allowed here"),
    )
}

/// A secret key (the suppression routes): a publishable key is refused
/// with 403 even from its own origin. Counts against the key's rate.
async fn secret_key<'c>(
    req: &HttpRequest,
    config: &'c Config,
    platform: &impl Platform,
) -> Result<&'c ApiKey, ApiError> {
    let key = authorize(req, config)?;
    if key.kind != KeyKind::Secret {
        return Err(ApiError::new(
            403,
            "forbidden",
            "the suppression list needs a secret key (sk_…); publishable keys only check addresses",
        ));
    }
    limit(key, platform).await?;
    Ok(key)
}

fn preflight(cors: bool) -> HttpResponse {
    let mut r = HttpResponse {
        status: 204,
        ..HttpResponse::default()
    };
    if cors {
        r.headers.extend([
            (
                "access-control-allow-methods".into(),
                "GET, POST, OPTIONS".into(),
            ),
            (
                "access-control-allow-headers".into(),
                "Authorization, Content-Type".into(),
            ),
            ("access-control-max-age".into(), "600".into()),
        ]);
    }
    r
}

/// 500 `misconfigured` while any setting is malformed. What is wrong goes to
/// the operator's log, and to a caller holding a valid secret key; anyone
/// else learns only that the service is misconfigured (the details may
/// quote settings, keys among them).
fn ready(req: &HttpRequest, config: &Config, platform: &impl Platform) -> Result<(), ApiError> {
    if config.problems.is_empty() {
        return Ok(());
    }
    let details = config.problems.join("; ");
    platform.log(&format!("the worker is misconfigured: {details}"));
    let operator = bearer(req)
        .and_then(|token| config.key(token))
        .is_some_and(|k| k.kind == KeyKind::Secret);
    let message = if operator {
        format!("the service is misconfigured: {details}")
    } else {
        "the service is misconfigured; the operator's log says what to fix".to_owned()
    };
    Err(ApiError::new(500, "misconfigured", message))
}

/// The token of `Authorization: Bearer TOKEN`, if the header has that shape.
fn bearer(req: &HttpRequest) -> Option<&str> {
    let header = req.header("authorization")?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
}

/// The caller's key: `Authorization: Bearer KEY`; a publishable key only
/// from one of its origins.
fn authorize<'c>(req: &HttpRequest, config: &'c Config) -> Result<&'c ApiKey, ApiError> {
    let unauthorized = |m: &str| ApiError::new(401, "unauthorized", m);
    if req.header("authorization").is_none() {
        return Err(unauthorized("send your key as Authorization: Bearer KEY"));
    }
    let token =
        bearer(req).ok_or_else(|| unauthorized("the Authorization header must be Bearer KEY"))?;
    let key = config
        .key(token)
        .ok_or_else(|| unauthorized("this key is not valid"))?;
    if key.kind == KeyKind::Publishable {
        let origin = req.header("origin").map(|o| o.trim_end_matches('/'));
        match origin {
            Some(o) if key.origins.iter().any(|k| k == o) => {}
            Some(o) => {
                return Err(unauthorized(&format!(
                    "this publishable key may not be used from {o}"
                )))
            }
            None => {
                return Err(unauthorized(
                    "a publishable key works only from a browser on one of its origins; servers use a secret key",
                ))
            }
        }
    }
    Ok(key)
}

async fn limit(key: &ApiKey, platform: &impl Platform) -> Result<(), ApiError> {
    match platform
        .rate_limit(&rate_key(&key.key), key.rate_per_minute, 60)
        .await
    {
        RateDecision::Allowed => Ok(()),
        RateDecision::Limited { retry_after } => {
            let mut e = ApiError::new(
                429,
                "rate_limited",
                format!(
                    "more than {} requests a minute with this key; retry in {retry_after} s",
                    key.rate_per_minute
                ),
            );
            e.retry_after = Some(retry_after.max(1));
            Err(e)
        }
    }
}

/// The rate limiter's name for a key: a hash, so the key itself is never
/// stored or logged by the limiter.
fn rate_key(key: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("key/{}", hex::encode(&Sha256::digest(key.as_bytes())[..16]))
}

/// `email=…` plus options by DESIGN's names (`allow_special_use=true`).
fn parse_query(query: &str) -> Result<(String, Options), ApiError> {
    let mut email = None;
    let mut options = Options::default();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name == "email" {
            if email.is_some() {
                return Err(ApiError::bad(
                    "give one email per GET; POST a batch of up to 100",
                ));
            }
            if value.len() > MAX_INPUT_BYTES {
                return Err(ApiError::bad(format!(
                    "email is longer than {MAX_INPUT_BYTES} bytes"
                )));
            }
            email = Some(value.into_owned());
        } else if Options::NAMES.contains(&name.as_ref()) {
            let v = match value.as_ref() {
                "true" | "1" | "" => true,
                "false" | "0" => false,
                other => {
                    return Err(ApiError::bad(format!(
                        "{name} must be true or false, not {other:?}"
                    )))
                }
            };
            options.set(&name, v);
        } else {
            return Err(ApiError::bad(format!(
                "unknown parameter {name:?}: expected email and the options {}",
                Options::NAMES.join(", ")
            )));
        }
    }
    let email = email.ok_or_else(|| ApiError::bad("add ?email=ADDRESS"))?;
    Ok((email, options))
}

/// `{"emails": [...], "options": {...}}`.
fn parse_body(body: &[u8], max: usize) -> Result<(Vec<Item>, Options), ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad(format!("the body is not valid JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(ApiError::bad(
            r#"the body must be a JSON object: {"emails": [...], "options": {...}}"#,
        ));
    };
    let emails = match map.remove("emails") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ApiError::bad("emails must be an array of strings")),
        None => return Err(ApiError::bad(r#"add "emails": [...]"#)),
    };
    if emails.len() > max {
        return Err(ApiError::too_many(
            "too_many_addresses",
            emails.len(),
            "addresses",
            &format!("{max} with this key"),
        ));
    }
    let options = match map.remove("options") {
        None | Some(Value::Null) => Options::default(),
        Some(Value::Object(o)) => parse_options(o)?,
        Some(_) => return Err(ApiError::bad("options must be an object of booleans")),
    };
    if let Some(extra) = map.keys().next() {
        return Err(ApiError::bad(format!(
            "unknown field {extra:?}: the body has emails and options"
        )));
    }
    // The same cap as GET's `email`: a padded item would make cache URLs
    // longer than the platform takes, and costs work for nothing.
    if let Some((i, len)) = emails.iter().enumerate().find_map(|(i, e)| match e {
        Value::String(s) if s.len() > MAX_INPUT_BYTES => Some((i, s.len())),
        _ => None,
    }) {
        return Err(ApiError::bad(format!(
            "emails[{i}] is {len} bytes long; an email is at most {MAX_INPUT_BYTES} bytes"
        )));
    }
    let items = emails.into_iter().map(Item::from).collect();
    Ok((items, options))
}

fn parse_options(o: Map<String, Value>) -> Result<Options, ApiError> {
    let mut options = Options::default();
    for (name, value) in o {
        let Value::Bool(b) = value else {
            return Err(ApiError::bad(format!(
                "option {name} must be true or false"
            )));
        };
        if !options.set(&name, b) {
            return Err(ApiError::bad(format!(
                "unknown option {name:?}: the options are {}",
                Options::NAMES.join(", ")
            )));
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests;
