//! The SMTP side of the probe: connections with bounded reads ([`conn`]) and
//! the session that greets and asks about recipients ([`session`]). What a
//! reply *means* is decided in core (`prebounce_core::reply`), not here.

pub mod conn;
pub mod session;
