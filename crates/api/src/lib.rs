//! prebounce-api: the wire contract between prebounce's parts, written once.
//!
//! The edge worker (wasm32), `prebounce serve` and the tests all speak the
//! probe API; this crate holds what they must agree on byte for byte, so no
//! part carries a copy of its own:
//!
//! * [`signing`]: the HMAC-SHA256 request signature, its headers, the clock
//!   window and the nonce rules (docs/DESIGN.md, "The probe backend").
//!
//! Pure Rust with no I/O and no clock (callers pass `now` in); builds for
//! native and wasm32.

pub mod signing;
