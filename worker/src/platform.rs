//! What the handler needs from the runtime. The Workers glue implements it
//! with `fetch`, the Cache API, a Durable Object and D1; tests with memory
//! and an in-memory SQLite.

use std::future::Future;

/// An outbound HTTP request (a DoH query or the probe call).
#[derive(Debug, Clone)]
pub struct Outbound {
    /// `GET` or `POST`.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Give up after this many milliseconds.
    pub timeout_ms: u32,
}

/// The answer to an [`Outbound`] request.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// The outcome of a rate-limit check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Go on.
    Allowed,
    /// Refuse; retry after this many seconds.
    Limited {
        /// Seconds until the window frees up.
        retry_after: u32,
    },
}

// A statement and its result are the store crate's, shared with the CLI.
pub use prebounce_store::{SqlValue, Statement, StatementResult};

/// Why the database could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// No database is bound to the worker.
    #[error("no D1 database is bound as {0}")]
    Unbound(&'static str),
    /// The database refused or failed the batch (nothing of it was written).
    #[error("the database failed: {0}")]
    Failed(String),
}

/// The runtime services the handler uses. Futures need not be `Send` (the
/// Workers runtime is single-threaded).
pub trait Platform {
    /// Sends an outbound request; `Err` for a network failure or timeout.
    fn fetch(&self, req: Outbound) -> impl Future<Output = Result<OutboundResponse, String>>;
    /// Reads a cached value.
    fn cache_get(&self, key: &str) -> impl Future<Output = Option<Vec<u8>>>;
    /// Stores a value for `ttl_secs` seconds.
    fn cache_put(&self, key: &str, value: Vec<u8>, ttl_secs: u32) -> impl Future<Output = ()>;
    /// Counts one request against `key`'s limit of `limit` per `window_secs`,
    /// in state shared by every isolate.
    fn rate_limit(
        &self,
        key: &str,
        limit: u32,
        window_secs: u32,
    ) -> impl Future<Output = RateDecision>;
    /// Runs statements as one transaction (a D1 batch): all of them or, on
    /// an error, none. Answers one result per statement, in order.
    fn db_batch(
        &self,
        statements: Vec<Statement>,
    ) -> impl Future<Output = Result<Vec<StatementResult>, DbError>>;
    /// Whether the schema is known to be up to date in this isolate (see
    /// [`crate::store`]): set once it has been created here.
    fn schema_ready(&self) -> bool;
    /// Notes that the schema is up to date (for the isolate's lifetime).
    fn mark_schema_ready(&self);
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> u64 {
        self.now_ms() / 1000
    }
    /// Cryptographically random bytes.
    fn random_bytes(&self, n: usize) -> Vec<u8>;
    /// Writes a line to the operator's log (`console.warn` in Workers):
    /// what a response does not tell, such as an authentic SNS message that
    /// was not a bounce.
    fn log(&self, message: &str);
}
