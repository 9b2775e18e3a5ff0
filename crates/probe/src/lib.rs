//! The probe as a library: DNS, the SMTP client and the engine that runs a
//! list of addresses through them, politely. The `prebounce` binary
//! (`crates/cli`) is one user; anything that links this crate can probe the
//! same way.
//!
//! - [`config`]: what the probe needs to know, checked.
//! - [`dns`]: MX, A and AAAA through hickory-resolver, in core's terms.
//! - [`smtp`]: connections with deadlines, and the driver that runs
//!   `prebounce-smtp`'s session machine over one.
//! - [`engine`]: [`Prober`](engine::Prober), which deepens syntax verdicts
//!   with DNS and SMTP: one MX plan per domain, shared sessions, caps, the
//!   address-safety guard, retries.
//!
//! What a DNS answer or an SMTP reply means is `prebounce-core`'s; what to
//! say to a mail server next is `prebounce-smtp`'s.

pub mod config;
pub mod dns;
pub mod engine;
pub mod smtp;
