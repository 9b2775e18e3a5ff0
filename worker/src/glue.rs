//! The Cloudflare Workers glue (wasm32 only): adapts the Workers runtime to
//! the plain types the handler uses, and holds the `RateLimiter` Durable
//! Object. No request logic lives here.
//!
//! - `fetch` (the `#[event(fetch)]` entry point) turns a `worker::Request`
//!   into an [`HttpRequest`] (method, path, raw query, lower-case headers, the
//!   body read up to the route's limit + 1 bytes: `MAX_BODY_BYTES`, or
//!   `MAX_BULK_BODY_BYTES` on the bulk routes), builds [`Config`] from the
//!   variables and secrets named in [`VAR_NAMES`], calls [`handle`] and turns
//!   the [`HttpResponse`] back. Anything that fails on the way is a JSON
//!   error, never a stack trace.
//! - [`WorkersPlatform`] implements [`Platform`]: outbound `fetch` with a
//!   deadline (an `AbortController` raced against a timer), the Cache API
//!   (string keys become synthetic URLs under [`CACHE_ORIGIN`]), rate limiting
//!   through the `RATE_LIMITER` Durable Object namespace (one object per key),
//!   D1 batches on the `SUPPRESSIONS_DB` binding, `Date.now()`,
//!   `crypto.getRandomValues()` and `console.warn`.
//! - [`RateLimiter`]: a fixed-window counter kept in the object's
//!   transactional storage, so every isolate everywhere shares it.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    durable_object, event, AbortController, Cache, Context, Date, Delay, DurableObject, Env, Fetch,
    Headers, Method, Request, RequestInit, Response, ResponseBuilder, State,
};

use crate::config::VAR_NAMES;
use crate::store::BINDING as SUPPRESSIONS_DB;
use crate::{
    handle, Config, DbError, HttpRequest, HttpResponse, Outbound, OutboundResponse, Platform,
    RateDecision, SqlValue, Statement, StatementResult,
};

/// The Durable Object namespace binding of [`RateLimiter`] (wrangler.toml).
pub const RATE_LIMITER_BINDING: &str = "RATE_LIMITER";
/// Cache API keys are URLs: a string key `k` is stored under
/// `CACHE_ORIGIN + encodeURIComponent(k)`. `.invalid` can never be a real
/// host (RFC 6761), so no key collides with a cached real resource.
pub const CACHE_ORIGIN: &str = "https://prebounce-cache.invalid/";
/// The URL the worker uses to talk to its rate-limiter objects (never on
/// the network: a Durable Object stub's fetch goes to the object).
const RATE_LIMITER_URL: &str = "https://rate-limiter.invalid/";

// ---------------------------------------------------------------- entry point

/// The Workers `fetch` handler.
#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let config = config_from_env(&env);
    let response = match to_http_request(&req, &config).await {
        Ok(request) => handle(request, &config, &WorkersPlatform { env }).await,
        Err(e) => {
            worker::console_warn!("reading the request failed: {e}");
            error_json(
                400,
                "unreadable_request",
                "The request body could not be read.",
            )
        }
    };
    match to_worker_response(response) {
        Ok(r) => Ok(r),
        Err(e) => {
            worker::console_error!("building the response failed: {e}");
            to_worker_response(error_json(
                500,
                "internal",
                "The worker could not build its response.",
            ))
        }
    }
}

/// The settings: each name of [`VAR_NAMES`] read as a var, else as a
/// secret; names set neither way are left out.
fn config_from_env(env: &Env) -> Config {
    let mut vars = BTreeMap::new();
    for name in VAR_NAMES {
        let value = env
            .var(name)
            .map(|v| v.to_string())
            .or_else(|_| env.secret(name).map(|s| s.to_string()));
        if let Ok(value) = value {
            vars.insert(name.to_string(), value);
        }
    }
    Config::from_vars(vars)
}

/// How many body bytes to read at most on `path`: one more than its limit
/// ([`Config::body_limit`]), so the handler sees that a body was too large
/// without the glue ever holding more than that in memory.
fn body_cap(config: &Config, path: &str) -> usize {
    config.body_limit(path).saturating_add(1)
}

/// A `{"error": {"code", "message"}}` response ([`prebounce_api::ErrorBody`]).
fn error_json(status: u16, code: &str, message: &str) -> HttpResponse {
    HttpResponse::json(status, &prebounce_api::ErrorBody::new(code, message))
}

/// The plain request: method as sent, the path (percent-encoded, as in the
/// URL), the raw query without `?`, headers with lower-case names, and at
/// most the path's [`body_cap`] bytes of body.
async fn to_http_request(req: &Request, config: &Config) -> Result<HttpRequest, String> {
    let url = req.url().map_err(|e| e.to_string())?;
    let cap = body_cap(config, url.path());
    let method = req.inner().method();
    let headers = req
        .headers()
        .entries()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let body = match req.inner().body() {
        Some(stream) if method != "GET" && method != "HEAD" => read_capped(stream, cap).await?,
        _ => Vec::new(),
    };
    Ok(HttpRequest {
        method,
        path: url.path().to_string(),
        query: url.query().unwrap_or("").to_string(),
        headers,
        body,
    })
}

/// Reads a body stream until its end or until `cap` bytes, whichever comes
/// first (then the rest is cancelled, never buffered).
async fn read_capped(
    stream: worker::web_sys::ReadableStream,
    cap: usize,
) -> Result<Vec<u8>, String> {
    let reader: worker::web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| js_text(&e))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .map_err(|e| js_text(&e))?
            .as_bool()
            .unwrap_or(true);
        if done {
            break;
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|e| js_text(&e))?;
        let bytes = Uint8Array::new(&value);
        let room = cap - body.len();
        let take = (bytes.length() as usize).min(room);
        let start = body.len();
        body.resize(start + take, 0);
        bytes.subarray(0, take as u32).copy_to(&mut body[start..]);
        if body.len() >= cap {
            let _ = reader.cancel();
            break;
        }
    }
    Ok(body)
}

/// The Workers response. An empty body is a null body (a 204 or 304 may not
/// have one at all).
fn to_worker_response(resp: HttpResponse) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in &resp.headers {
        headers.append(name, value)?;
    }
    let builder = ResponseBuilder::new()
        .with_status(resp.status)
        .with_headers(headers);
    if resp.body.is_empty() {
        Ok(builder.empty())
    } else {
        Ok(builder.fixed(resp.body))
    }
}

/// A JavaScript value as text for an error message.
fn js_text(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<worker::js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{value:?}"))
}

// ------------------------------------------------------------------ platform

/// [`Platform`] over the Workers runtime.
pub struct WorkersPlatform {
    env: Env,
}

impl Platform for WorkersPlatform {
    async fn fetch(&self, req: Outbound) -> Result<OutboundResponse, String> {
        let controller = AbortController::default();
        let signal = controller.signal();
        let timeout_ms = req.timeout_ms.max(1);
        let url = req.url.clone();
        let work = async move {
            let headers = Headers::new();
            for (name, value) in &req.headers {
                headers.append(name, value).map_err(|e| e.to_string())?;
            }
            let mut init = RequestInit::new();
            init.with_method(Method::from(req.method.clone()))
                .with_headers(headers);
            if !req.body.is_empty() {
                init.with_body(Some(Uint8Array::from(req.body.as_slice()).into()));
            }
            let request = Request::new_with_init(&req.url, &init).map_err(|e| e.to_string())?;
            let mut response = Fetch::Request(request)
                .send_with_signal(&signal)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status_code();
            // The body is read under the same deadline: the signal aborts it too.
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            Ok::<_, String>(OutboundResponse { status, body })
        };
        let timer = Delay::from(Duration::from_millis(u64::from(timeout_ms)));
        match first(work, timer).await {
            // The URL goes to the log, not into verdicts: API clients need
            // not learn where the resolver or the probe lives.
            Either::Left(result) => result.map_err(|e| {
                worker::console_warn!("fetch {url}: {e}");
                e
            }),
            Either::Right(()) => {
                controller.abort();
                worker::console_warn!("fetch {url}: no answer within {timeout_ms} ms");
                Err(format!("no answer within {timeout_ms} ms"))
            }
        }
    }

    async fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        let cache = Cache::default();
        match cache.get(cache_url(key), false).await {
            Ok(Some(mut response)) => response.bytes().await.ok(),
            Ok(None) => None,
            Err(e) => {
                worker::console_warn!("cache read failed: {e}");
                None
            }
        }
    }

    async fn cache_put(&self, key: &str, value: Vec<u8>, ttl_secs: u32) {
        if ttl_secs == 0 {
            return;
        }
        let headers = Headers::new();
        let set = headers
            .set("cache-control", &format!("max-age={ttl_secs}"))
            .and_then(|_| headers.set("content-type", "application/octet-stream"));
        if let Err(e) = set {
            worker::console_warn!("cache write failed: {e}");
            return;
        }
        let response = ResponseBuilder::new()
            .with_status(200)
            .with_headers(headers)
            .fixed(value);
        if let Err(e) = Cache::default().put(cache_url(key), response).await {
            worker::console_warn!("cache write failed: {e}");
        }
    }

    async fn rate_limit(&self, key: &str, limit: u32, window_secs: u32) -> RateDecision {
        match self.ask_rate_limiter(key, limit, window_secs).await {
            Ok(decision) => decision,
            Err(e) => {
                // Fails open: a broken limiter must not take the API down.
                worker::console_error!("rate limiter unavailable, request let through: {e}");
                RateDecision::Allowed
            }
        }
    }

    async fn db_batch(&self, statements: Vec<Statement>) -> Result<Vec<StatementResult>, DbError> {
        let db = self
            .env
            .d1(SUPPRESSIONS_DB)
            .map_err(|_| DbError::Unbound(SUPPRESSIONS_DB))?;
        let failed = |e: worker::Error| DbError::Failed(e.to_string());
        let mut prepared = Vec::with_capacity(statements.len());
        for s in &statements {
            let params: Vec<JsValue> = s
                .params
                .iter()
                .map(|p| match p {
                    SqlValue::Null => JsValue::NULL,
                    // Within ±2^53 (see SqlValue::Int): exact as a JS number.
                    SqlValue::Int(i) => JsValue::from_f64(*i as f64),
                    SqlValue::Text(t) => JsValue::from_str(t),
                })
                .collect();
            prepared.push(db.prepare(s.sql.as_str()).bind(&params).map_err(failed)?);
        }
        let results = db.batch(prepared).await.map_err(failed)?;
        results
            .iter()
            .map(|r| {
                let rows = r
                    .results::<serde_json::Map<String, serde_json::Value>>()
                    .map_err(failed)?;
                let changes = r
                    .meta()
                    .map_err(failed)?
                    .and_then(|m| m.changes)
                    .unwrap_or(0) as u64;
                Ok(StatementResult { rows, changes })
            })
            .collect()
    }

    fn schema_ready(&self) -> bool {
        SCHEMA_READY.with(Cell::get)
    }

    fn mark_schema_ready(&self) {
        SCHEMA_READY.with(|r| r.set(true));
    }

    fn now_ms(&self) -> u64 {
        worker::js_sys::Date::now() as u64
    }

    fn log(&self, message: &str) {
        worker::console_warn!("{message}");
    }

    fn random_bytes(&self, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        // getRandomValues fills at most 65,536 bytes per call.
        for chunk in out.chunks_mut(65_536) {
            if let Err(e) = get_random_values(chunk) {
                // Never hand out predictable bytes silently: this is a
                // runtime fault (crypto is always present in workerd).
                worker::console_error!("crypto.getRandomValues failed: {}", js_text(&e));
                panic!("crypto.getRandomValues failed");
            }
        }
        out
    }
}

impl WorkersPlatform {
    /// One round trip to the key's [`RateLimiter`] object.
    async fn ask_rate_limiter(
        &self,
        key: &str,
        limit: u32,
        window_secs: u32,
    ) -> worker::Result<RateDecision> {
        let namespace = self.env.durable_object(RATE_LIMITER_BINDING)?;
        let stub = namespace.id_from_name(key)?.get_stub()?;
        let url = format!("{RATE_LIMITER_URL}?limit={limit}&window={window_secs}");
        let mut response = stub.fetch_with_str(&url).await?;
        if response.status_code() != 200 {
            return Err(worker::Error::RustError(format!(
                "rate limiter answered {}",
                response.status_code()
            )));
        }
        let reply: RateReply = response.json().await?;
        Ok(if reply.allowed {
            RateDecision::Allowed
        } else {
            RateDecision::Limited {
                retry_after: reply.retry_after.max(1),
            }
        })
    }
}

thread_local! {
    /// Whether this isolate has made sure the D1 schema is up to date (see
    /// `store::run`): the first query of an isolate applies what is missing.
    static SCHEMA_READY: Cell<bool> = const { Cell::new(false) };
}

/// The Cache API key of a string key.
fn cache_url(key: &str) -> String {
    let encoded: String = worker::js_sys::encode_uri_component(key).into();
    format!("{CACHE_ORIGIN}{encoded}")
}

#[wasm_bindgen]
extern "C" {
    /// `crypto.getRandomValues(buf)` (fills `buf` in place).
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

/// Which of two futures finished first.
enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both futures; answers with the first to finish (the other is
/// dropped). `a` is polled first, so a result that is ready wins a tie.
async fn first<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}

// -------------------------------------------------------------- rate limiter

/// The answer of a [`RateLimiter`] object.
#[derive(Debug, Serialize, Deserialize)]
struct RateReply {
    allowed: bool,
    /// Requests left in this window (after this one).
    remaining: u32,
    /// Seconds until the window ends (with `allowed: false`).
    retry_after: u32,
}

/// One window's count, as stored.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Window {
    /// Start of the window: the first request counted in it, Unix
    /// milliseconds.
    start_ms: u64,
    /// Its length, milliseconds.
    len_ms: u64,
    /// Requests counted in it.
    count: u32,
}

/// The storage key of the current [`Window`].
const WINDOW_KEY: &str = "w";

/// A fixed-window request counter; one object per rate-limit key
/// (`idFromName(key)`). A window opens with the first request after the
/// previous one closed and lasts `window` seconds; at most `limit` requests
/// are let through in it. `GET /?limit=N&window=SECS` counts one request and
/// answers a [`RateReply`]; a refused request is not counted. An alarm at
/// the end of a window deletes the object's storage, so idle keys keep
/// nothing.
#[durable_object(alarm)]
pub struct RateLimiter {
    state: State,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter { state }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let url = req.url()?;
        let mut limit = None;
        let mut window_secs = None;
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "limit" => limit = value.parse::<u32>().ok(),
                "window" => window_secs = value.parse::<u64>().ok(),
                _ => {}
            }
        }
        let (Some(limit), Some(window_secs)) = (limit, window_secs.filter(|w| *w > 0)) else {
            return Response::error("limit and window (> 0) are required", 400);
        };
        let now_ms = Date::now().as_millis();
        let len_ms = window_secs * 1000;
        let storage = self.state.storage();
        let stored: Option<Window> = storage.get(WINDOW_KEY).await?;
        let mut window = match stored {
            Some(w) if w.len_ms == len_ms && now_ms < w.start_ms + w.len_ms => w,
            _ => Window {
                start_ms: now_ms,
                len_ms,
                count: 0,
            },
        };
        let end_ms = window.start_ms + window.len_ms;
        if window.count >= limit {
            let retry_after = end_ms.saturating_sub(now_ms).div_ceil(1000).max(1) as u32;
            return Response::from_json(&RateReply {
                allowed: false,
                remaining: 0,
                retry_after,
            });
        }
        window.count += 1;
        storage.put(WINDOW_KEY, window).await?;
        if window.count == 1 {
            // Clean-up a little after the window ends.
            let delay = end_ms.saturating_sub(now_ms) + 1000;
            storage.set_alarm(Duration::from_millis(delay)).await?;
        }
        Response::from_json(&RateReply {
            allowed: true,
            remaining: limit - window.count,
            retry_after: 0,
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        let stored: Option<Window> = storage.get(WINDOW_KEY).await?;
        let now_ms = Date::now().as_millis();
        match stored {
            Some(w) if w.start_ms + w.len_ms > now_ms => {
                // A newer window is running: its own alarm is set.
            }
            _ => storage.delete_all().await?,
        }
        Response::empty()
    }
}
