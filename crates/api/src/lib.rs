//! prebounce-api: the wire contract between prebounce's parts, written once.
//!
//! The edge worker (wasm32), `prebounce serve`, the CLI's sync client and the
//! tests all speak these bodies; this crate holds what they must agree on
//! byte for byte, so no part carries a copy of its own:
//!
//! * [`signing`]: the HMAC-SHA256 request signature, its headers, the clock
//!   window and the nonce rules (docs/DESIGN.md, "The probe backend").
//! * [`probe`]: the body of `POST /v1/probe` ([`ProbeRequest`], written by
//!   the worker, read strictly by `serve`) and its answer ([`ProbeAnswer`]).
//! * [`error`]: the error body of every API, `{"error": {"code", "message"}}`
//!   ([`ErrorBody`]).
//! * [`feed`]: the suppression change feed, `GET /v1/suppressions`: a
//!   [`Page`] of [`Change`]s and its opaque [`Cursor`].
//! * [`push`]: `PUT /v1/suppressions`, records pushed to the edge
//!   ([`PushRequest`], read item by item as [`PushItem`]) and its
//!   [`PushAnswer`].
//! * Suppression records are core's ([`Suppression`], [`SuppressionInfo`]),
//!   re-exported here: core's ledger decides what they hold.
//!
//! The types are tested against the edge's OpenAPI document
//! (`worker/src/openapi.json`, `tests/openapi.rs`). Pure Rust with no I/O
//! and no clock (callers pass `now` in); builds for native and wasm32.

pub mod error;
pub mod feed;
pub mod probe;
pub mod push;
pub mod signing;

pub use error::{ErrorBody, ErrorDetail};
pub use feed::{Change, Cursor, Page};
pub use prebounce_core::suppression::Suppression;
pub use prebounce_core::SuppressionInfo;
pub use probe::{BadRequest, Item, ProbeAnswer, ProbeRequest};
pub use push::{PushAnswer, PushItem, PushRequest, MAX_PUSH};
