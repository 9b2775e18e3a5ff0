//! The SMTP runtime of the probe: connections with deadlines ([`conn`]) and
//! the driver that runs `prebounce_smtp`'s session machine over one
//! ([`session`]). The dialogue's rules are in `prebounce-smtp`; what a reply
//! *means* is core's (`prebounce_core::reply`).

pub mod conn;
pub mod session;
