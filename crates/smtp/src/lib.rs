//! The probe's SMTP dialogue, with no I/O: the rules of the conversation as
//! state machines, in the manner of rustls and smtp-proto. The runtime (the
//! probe's tokio code) moves bytes and keeps deadlines; everything it should
//! *do* comes from here.
//!
//! - [`Client`]: one session, from banner to QUIT. Bytes the server sent go
//!   in ([`Client::receive`]), commands to write come out
//!   ([`Client::take_output`]), and [`Event`]s say what happened: the session
//!   is open, TLS must start now, the server refused, a group of recipients
//!   was answered.
//! - [`dialogue`]: what the probe asks over a session and what the answers
//!   mean for its queue: how big the next group is under the server's error
//!   budget, where the catch-all question goes, which pipelined recipient a
//!   broken connection hit, what a 421 means, and a refused MAIL FROM
//!   applying to every queued address.
//!
//! What a reply *means* for an address is core's (`prebounce_core::reply`,
//! `prebounce_core::outcome`).

mod client;
pub mod dialogue;
#[doc(hidden)]
pub mod exercise;

pub use client::{Client, Event, Extensions, GroupAnswer, ProtocolError};
