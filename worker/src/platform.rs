//! What the handler needs from the runtime. The Workers glue implements it
//! with `fetch`, the Cache API and a Durable Object; tests with memory.

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
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> u64;
    /// Cryptographically random bytes.
    fn random_bytes(&self, n: usize) -> Vec<u8>;
}
