//! prebounce-worker: the edge API (docs/DESIGN.md "Edge API").
//!
//! The logic is plain Rust, tested natively: [`handle`] takes an
//! [`HttpRequest`], the [`Config`] and a [`Platform`] (outbound fetch, cache,
//! rate limiter, D1, clock, randomness, log) and returns an [`HttpResponse`]. The
//! Cloudflare glue (`glue.rs`, wasm32 only) adapts the Workers runtime to
//! those types; native tests use an in-memory platform.

pub mod config;
pub mod doh;
pub mod http;
pub mod pipeline;
pub mod platform;
pub mod probe_client;
pub mod sns;
pub mod store;

mod handler;

#[cfg(target_arch = "wasm32")]
mod glue;

pub use config::Config;
pub use handler::handle;
pub use http::{HttpRequest, HttpResponse};
pub use platform::{
    DbError, Outbound, OutboundResponse, Platform, RateDecision, SqlValue, Statement,
    StatementResult,
};
