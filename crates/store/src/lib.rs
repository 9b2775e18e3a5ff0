//! prebounce-store: where the suppression ledger is kept.
//!
//! The CLI keeps its suppression list in a SQLite file; the edge worker keeps
//! it in D1, which is SQLite too. This crate makes them one store:
//!
//! * [`schema`]: one schema, grown by numbered migrations
//!   (`migrations/NNNN_*.sql`), applied to SQLite by `PRAGMA user_version`
//!   and to D1 through wrangler's `d1_migrations` table;
//! * [`ledger`]: every statement either side runs, as SQL text with its
//!   parameters ([`Statement`]), and the reading of their rows. What the
//!   statements decide (which event suppresses, how records merge) is
//!   core's [`prebounce_core::suppression`]; an ingest is a sans-IO plan:
//!   reads, then core's `decide`, then writes;
//! * [`sent`]: the sent log's statements (what was sent to whom, which
//!   verifies bounces);
//! * [`sqlite`] (feature `sqlite`): the CLI's store, which runs those
//!   statements on a local file with rusqlite.
//!
//! Without the `sqlite` feature the crate has no I/O at all and builds for
//! wasm32: the worker runs the same statements through D1.

mod statement;

pub mod ledger;
pub mod schema;
pub mod sent;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use statement::{Row, SqlValue, Statement, StatementResult};
