//! `prebounce serve`: the probe backend's HTTP API (docs/DESIGN.md, "Interfaces
//! users rely on: Probe backend").
//!
//! - `POST /v1/probe` — signed (see [`prebounce_api::signing`]); `{"emails": [...], "mx": {...}?,
//!   "options": {...}?}` ([`ProbeRequest`], read by [`ProbeRequest::parse`])
//!   answers `{"results": [verdict, ...]}` ([`ProbeAnswer`]) in input order.
//! - `GET /healthz` — `{"status":"ok"}`, no auth.
//! - `GET /metrics` — Prometheus text format, no auth.
//!
//! Errors are [`ErrorBody`], `{"error": {"code", "message"}}`, with the HTTP status: 400
//! `bad_request`, 401 `unauthorized`, 404 `not_found`, 405
//! `method_not_allowed`, 413 `payload_too_large`, 503 `unavailable`.
//!
//! A request is authenticated before its body is parsed and before anything
//! is probed: a refused request causes no DNS or SMTP traffic. The checks
//! that need no body (the headers are there, the timestamp is in the
//! window, the nonce has its shape) run before the body is even read, so an
//! unsigned or stale request costs no body bytes; only then is the body read
//! (at most `--max-body`) and the signature checked.

pub mod metrics;

use std::future::IntoFuture;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Args;
use prebounce_core::{unreadable, Checker, Options, SyntaxErrorCode, Verdict};
use serde_json::json;
use tracing::{info, warn};

use crate::net::NetFlags;
use crate::options::OptionFlags;
use prebounce_probe::engine::Prober;

use metrics::Metrics;
use prebounce_api::probe::{DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY};
use prebounce_api::signing::{self as auth, AuthError, Authenticator, Secret, SignedHeaders};
use prebounce_api::{ErrorBody, Item, ProbeAnswer, ProbeRequest};

/// The probe route.
pub use prebounce_api::probe::PROBE_PATH;

/// The environment variable holding the shared secret.
pub const SECRET_ENV: &str = "PREBOUNCE_SECRET";

/// Arguments of `prebounce serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    net: NetFlags,
    /// The address to listen on (IP:PORT; port 0 picks a free port, and the
    /// start-up line tells which).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8025")]
    listen: SocketAddr,
    /// Read the shared HMAC secret from this file (one trailing newline is
    /// ignored); otherwise from the PREBOUNCE_SECRET environment variable.
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
    /// Most addresses in one request; more is refused with 413.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_BATCH as u32,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_batch: u32,
    /// Largest request body in bytes; more is refused with 413. The default
    /// (512 KiB) holds a full default batch of the longest addresses, with
    /// room for their MX lists.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY as u64,
          value_parser = clap::value_parser!(u64).range(64..=1 << 30))]
    max_body: u64,
    /// Log JSON objects (one a line) instead of text. The level comes from
    /// RUST_LOG (default `info`).
    #[arg(long)]
    log_json: bool,
    /// Server-side defaults for the check options; a request's `options`
    /// override them one by one.
    #[command(flatten)]
    options: OptionFlags,
}

/// What stops `serve` from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A flag is missing or makes no sense.
    #[error("{0}")]
    Usage(String),
    /// The server could not start or went down.
    #[error("{0}")]
    Failed(String),
}

impl From<String> for ServeError {
    fn from(e: String) -> ServeError {
        ServeError::Failed(e)
    }
}

/// Runs `prebounce serve` until SIGTERM or SIGINT, then finishes the
/// requests in flight and returns success.
pub fn run(args: ServeArgs) -> Result<ExitCode, ServeError> {
    init_logging(args.log_json);
    let secret = load_secret(args.secret_file.as_ref())?;
    if args.net.helo.is_none() {
        return Err(ServeError::Usage(
            "--helo NAME is required: the host name to greet mail servers with (a name whose \
             address has matching reverse DNS)"
                .into(),
        ));
    }
    if args.net.from.is_none() {
        return Err(ServeError::Usage(
            "--from ADDRESS is required: the envelope sender for MAIL FROM (a mailbox you \
             control, or <> for the null sender)"
                .into(),
        ));
    }
    let config = args
        .net
        .to_config(Duration::ZERO, true)
        .map_err(|e| ServeError::Usage(e.to_string()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(async move {
            let prober = Prober::new(config).map_err(|e| e.to_string())?;
            let state = AppState(Arc::new(Inner {
                auth: Authenticator::new(secret),
                prober,
                metrics: Metrics::default(),
                defaults: args.options.to_options(),
                max_batch: args.max_batch as usize,
            }));
            // Limits are checked above (at most 1 GiB), so this fits in usize.
            let app = router(state, usize::try_from(args.max_body).unwrap_or(usize::MAX));
            serve(app, args.listen).await
        })
        .map_err(ServeError::Failed)
}

/// Binds, announces the address, and serves until a signal.
async fn serve(app: Router, listen: SocketAddr) -> Result<ExitCode, String> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    // Handlers first, announcement second: a supervisor that signals as
    // soon as it reads the line gets a graceful shutdown.
    let mut signals = Signals::new().map_err(|e| format!("cannot watch for signals: {e}"))?;
    {
        let mut out = std::io::stdout().lock();
        // A closed stdout is no reason to stop serving.
        let _ = writeln!(out, "listening on http://{local}");
        let _ = out.flush();
    }
    info!(address = %local, "listening");

    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = first_rx.await;
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        r = &mut server => return r.map(|()| ExitCode::SUCCESS).map_err(|e| format!("server: {e}")),
        name = signals.next() => {
            info!(signal = name, "shutting down: no new connections; finishing requests in flight");
            let _ = first_tx.send(());
        }
    }
    tokio::select! {
        r = &mut server => {
            r.map_err(|e| format!("server: {e}"))?;
            info!("stopped");
            Ok(ExitCode::SUCCESS)
        }
        name = signals.next() => {
            warn!(signal = name, "second signal: stopping without waiting for requests in flight");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// SIGTERM and SIGINT, registered at once (not on first poll).
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    // A subscriber already set (never, in the binary) is not an error.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The secret from `--secret-file` or `PREBOUNCE_SECRET`: a file that
/// cannot be read is a run-time error; no secret, or one shorter than
/// [`auth::MIN_SECRET_BYTES`] as given, a usage error.
fn load_secret(file: Option<&PathBuf>) -> Result<Secret, ServeError> {
    let (bytes, source) = match file {
        Some(path) => {
            let mut bytes = std::fs::read(path).map_err(|e| {
                ServeError::Failed(format!("--secret-file {}: {e}", path.display()))
            })?;
            // One line ending, as editors and `echo` leave it.
            if bytes.ends_with(b"\n") {
                bytes.pop();
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
            }
            (bytes, format!("--secret-file {}", path.display()))
        }
        None => match std::env::var_os(SECRET_ENV) {
            Some(v) => (v.into_encoded_bytes(), SECRET_ENV.to_owned()),
            None => {
                return Err(ServeError::Usage(format!(
                    "no secret: set {SECRET_ENV} or pass --secret-file PATH (the key the worker \
                     signs requests with)"
                )))
            }
        },
    };
    Secret::new(bytes).map_err(|e| ServeError::Usage(format!("the secret from {source} {e}")))
}

// ------------------------------------------------------------------ the app

#[derive(Clone)]
struct AppState(Arc<Inner>);

struct Inner {
    auth: Authenticator,
    prober: Prober,
    metrics: Metrics,
    defaults: Options,
    max_batch: usize,
}

fn router(state: AppState, max_body: usize) -> Router {
    Router::new()
        .route(
            PROBE_PATH,
            post(probe).route_layer(middleware::from_fn(check_headers_first)),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// The batch size of a `/v1/probe` request, for the request log.
#[derive(Debug, Clone, Copy)]
struct BatchSize(usize);

/// An error response: its status, and its [`ErrorBody`]'s code and message.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// The error code and message of a response, for the request log.
#[derive(Debug, Clone)]
struct Logged {
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        if e.is_unauthorized() {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string())
        } else {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                e.to_string(),
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody::new(self.code, self.message.as_str());
        let mut resp = (self.status, Json(body)).into_response();
        let headers = resp.headers_mut();
        match self.status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Prebounce-HMAC-SHA256"),
                );
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        resp.extensions_mut().insert(Logged {
            code: self.code,
            message: self.message,
        });
        resp
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The headers of a request, as text, for [`auth::check_headers`].
fn signed_headers(headers: &HeaderMap) -> SignedHeaders<'_> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    SignedHeaders {
        timestamp: text(auth::TIMESTAMP_HEADER),
        nonce: text(auth::NONCE_HEADER),
        signature: text(auth::SIGNATURE_HEADER),
    }
}

/// Refuses a request whose headers fail [`auth::check_headers`] before its
/// body is read: the body is left unread (the connection is closed after
/// the answer), so an unsigned 10 MB upload costs headers only.
async fn check_headers_first(req: Request, next: Next) -> Response {
    if let Err(e) = auth::check_headers(signed_headers(req.headers()), unix_now()) {
        return ApiError::from(e).into_response();
    }
    next.run(req).await
}

async fn probe(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let s = &state.0;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(
                "the body is larger than this server accepts (--max-body); send fewer addresses per request",
            )
        } else {
            ApiError::bad_request(format!("the body could not be read: {e}"))
        }
    })?;

    // Authenticate before looking inside the body (the headers alone were
    // checked before it was read).
    s.auth.verify(
        method.as_str(),
        uri.path(),
        signed_headers(&headers),
        &body,
        unix_now(),
    )?;

    let request = ProbeRequest::parse(&body, s.defaults).map_err(|e| ApiError::bad_request(e.0))?;
    let n = request.emails.len();
    if n > s.max_batch {
        let mut resp = ApiError::too_large(format!(
            "the batch has {n} addresses; at most {} are accepted per request: split it",
            s.max_batch
        ))
        .into_response();
        resp.extensions_mut().insert(BatchSize(n));
        return Ok(resp);
    }

    let checker = Checker::new(request.options);
    let verdicts: Vec<Verdict> = request
        .emails
        .into_iter()
        .map(|item| match item {
            Item::Text(s) => checker.verdict(&s),
            Item::Other(json) => unreadable(json, SyntaxErrorCode::NotAString),
        })
        .collect();
    let results = s.prober.probe(verdicts, &request.mx).await;
    if results.len() != n {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!(
                "the probe returned {} verdicts for {n} addresses",
                results.len()
            ),
        ));
    }
    for v in &results {
        s.metrics.verdict(v.reason);
    }
    let mut resp = Json(ProbeAnswer { results }).into_response();
    resp.extensions_mut().insert(BatchSize(n));
    Ok(resp)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn metrics_page(State(state): State<AppState>) -> Response {
    let s = &state.0;
    let text = s
        .metrics
        .render(s.prober.stats().connections(), s.auth.nonces_held());
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no such route: {}; the routes are POST {PROBE_PATH}, GET /healthz and GET /metrics",
            shown_path(uri.path())
        ),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{method} is not allowed on {}; the routes are POST {PROBE_PATH}, GET /healthz and GET /metrics",
            shown_path(uri.path())
        ),
    )
}

/// A path as logs and messages show it: at most 200 characters.
fn shown_path(path: &str) -> &str {
    match path.char_indices().nth(200) {
        Some((i, _)) => &path[..i],
        None => path,
    }
}

/// Counts and logs every request: one line each, with method, path, status,
/// latency and, for `/v1/probe`, the batch size.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = shown_path(req.uri().path()).to_owned();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let resp = next.run(req).await;
    let latency = start.elapsed();
    let status = resp.status().as_u16();
    let m = &state.0.metrics;
    m.request(status);
    if method == Method::POST && path == PROBE_PATH {
        m.probe_duration(latency);
    }
    let batch = resp.extensions().get::<BatchSize>().map(|b| b.0 as u64);
    let logged = resp.extensions().get::<Logged>();
    let error = logged.map(|l| l.code);
    let detail = logged.map(|l| l.message.as_str());
    let latency_ms = (latency.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    if status >= 500 {
        warn!(%method, path, status, latency_ms, batch, error, detail, peer, "request");
    } else {
        info!(%method, path, status, latency_ms, batch, error, detail, peer, "request");
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use prebounce_probe::config::ProbeConfig;

    /// A test client for the app served on a loopback port.
    struct Client {
        base: String,
        http: reqwest::Client,
    }

    impl Client {
        async fn start(app: Router) -> Client {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                let _ = axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await;
            });
            Client {
                base: format!("http://{addr}"),
                http: reqwest::Client::new(),
            }
        }

        async fn get(&self, path: &str) -> (StatusCode, serde_json::Value) {
            let r = self
                .http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                StatusCode::from_u16(status).unwrap(),
                r.json().await.unwrap(),
            )
        }

        async fn signed(
            &self,
            body: &str,
            secret: &str,
            nonce: &str,
        ) -> (StatusCode, serde_json::Value) {
            let ts = unix_now().to_string();
            let sig = auth::sign(
                &Secret::new(secret).unwrap(),
                "POST",
                PROBE_PATH,
                &ts,
                nonce,
                body.as_bytes(),
            );
            let r = self
                .http
                .post(format!("{}{PROBE_PATH}", self.base))
                .header(auth::TIMESTAMP_HEADER, ts)
                .header(auth::NONCE_HEADER, nonce)
                .header(auth::SIGNATURE_HEADER, sig)
                .body(body.to_owned())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                StatusCode::from_u16(status).unwrap(),
                r.json().await.unwrap(),
            )
        }
    }

    const S3CRET: &str = "s3cret-s3cret-s3cret-s3cret-s3cret";
    const WRONG: &str = "wrong-wrong-wrong-wrong-wrong-wrong";

    fn state(max_batch: usize) -> AppState {
        let flags = NetFlags {
            resolver: None,
            smtp_port: 25,
            mx: Some("127.0.0.1:9".into()),
            allow_private: true,
            helo: Some("probe.test".into()),
            from: Some("probe@example.com".into()),
            proxy: None,
            timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            retry_window: None,
            retry_delay: Duration::from_secs(1),
            concurrency: 1,
            per_mx: 1,
            rcpts_per_transaction: 1,
            errors_per_session: 1,
            no_session_reuse: false,
            no_starttls: true,
        };
        let config: ProbeConfig = flags.to_config(Duration::ZERO, true).unwrap();
        AppState(Arc::new(Inner {
            auth: Authenticator::new(Secret::new(S3CRET).unwrap()),
            prober: Prober::new(config).unwrap(),
            metrics: Metrics::default(),
            defaults: Options::default(),
            max_batch,
        }))
    }

    #[tokio::test]
    async fn in_process_round_trip() {
        let st = state(3);
        let app = router(st.clone(), 4096);
        let nonce = "0123456789abcdef0123456789abcdef";
        let body = r#"{"emails":["not-an-address",42]}"#;

        let c = Client::start(app).await;
        let (status, v) = c.signed(body, S3CRET, nonce).await;
        assert_eq!(status, StatusCode::OK);
        let results = v["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["input"], "not-an-address");
        assert_eq!(results[0]["reason"], "invalid_syntax");
        assert_eq!(results[1]["input"], "42");
        assert_eq!(results[1]["error"]["code"], "not_a_string");

        // The same request again: a replay.
        let (status, v) = c.signed(body, S3CRET, nonce).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(v["error"]["code"], "unauthorized");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already used"));

        // Wrong secret; the nonce is fresh but never recorded.
        let other = "fedcba9876543210fedcba9876543210";
        let (status, _) = c.signed(body, WRONG, other).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(st.0.auth.nonces_held(), 1);

        // Batch over the limit, then a body over the limit.
        let (status, v) = c
            .signed(r#"{"emails":["a","b","c","d"]}"#, S3CRET, other)
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
        let huge = format!(r#"{{"emails":["{}"]}}"#, "a".repeat(5000));
        let n3 = "11111111111111111111111111111111";
        let (status, v) = c.signed(&huge, S3CRET, n3).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(v["error"]["code"], "payload_too_large");

        // Bad JSON after good auth.
        let n4 = "22222222222222222222222222222222";
        let (status, v) = c.signed("{\"emails\": [", S3CRET, n4).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"]["code"], "bad_request");

        // Routing errors are JSON too.
        let (status, v) = c.get("/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(v["error"]["code"], "not_found");
        let (status, v) = c.get(PROBE_PATH).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(v["error"]["code"], "method_not_allowed");
        let (status, v) = c.get("/healthz").await;
        assert_eq!((status, v), (StatusCode::OK, json!({"status": "ok"})));

        let metrics = st.0.metrics.render(0, 0);
        assert!(metrics.contains("prebounce_probes_total{reason=\"invalid_syntax\"} 2"));
        assert!(metrics.contains("prebounce_requests_total{code=\"401\"} 2"));
        assert!(metrics.contains("prebounce_requests_total{code=\"404\"} 1"));
        assert!(metrics.contains("prebounce_requests_total{code=\"400\"} 1"));
        assert!(metrics.contains("prebounce_probe_duration_seconds_count 6"));
    }

    #[test]
    fn paths_are_shortened_for_logs() {
        assert_eq!(shown_path("/v1/probe"), "/v1/probe");
        let long = "/é".repeat(300);
        assert_eq!(shown_path(&long).chars().count(), 200);
    }

    #[test]
    fn secret_sources() {
        let dir = std::env::temp_dir().join(format!("prebounce-serve-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        let long = "0123456789abcdef".repeat(4);
        std::fs::write(&file, format!("{long}\r\n")).unwrap();
        assert_eq!(load_secret(Some(&file)).unwrap().len(), 64);
        std::fs::write(&file, "\n").unwrap();
        assert!(matches!(
            load_secret(Some(&file)),
            Err(ServeError::Usage(e)) if e.contains("is empty")
        ));
        // 32 bytes as given: the line ending is not counted, spaces are.
        std::fs::write(&file, format!("{}\n", &long[..31])).unwrap();
        assert!(matches!(
            load_secret(Some(&file)),
            Err(ServeError::Usage(e)) if e.contains("has 31 bytes") && e.contains("openssl rand -hex 32")
        ));
        std::fs::write(&file, format!(" {}\n", &long[..31])).unwrap();
        assert_eq!(load_secret(Some(&file)).unwrap().len(), 32);
        let missing = dir.join("missing");
        assert!(matches!(
            load_secret(Some(&missing)),
            Err(ServeError::Failed(e)) if e.contains("--secret-file")
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
