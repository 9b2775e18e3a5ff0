//! The ledger's schema: numbered migrations from one source.
//!
//! A store is at version *n* when migrations 1 to *n* have been applied.
//! The files live in `crates/store/migrations/` (wrangler.toml's
//! `migrations_dir` points there) and are compiled in, so the CLI and the
//! worker apply exactly what `wrangler d1 migrations apply` would.
//!
//! * **SQLite** records the version in `PRAGMA user_version`
//!   ([`crate::sqlite`]).
//! * **D1** records applied files in wrangler's `d1_migrations` table, by
//!   file name. The worker applies what is missing on its first query in
//!   each isolate ([`d1_check`], [`d1_pending`]); the application and its
//!   record are one batch, so two isolates racing apply a file once (the
//!   loser's batch fails on the `UNIQUE` name and rolls back).

use crate::statement::{text, SqlValue, Statement, StatementResult};

/// One numbered migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its number: the store's version once applied.
    pub number: u32,
    /// Its file name, as `d1_migrations` records it.
    pub name: &'static str,
    /// The file's text.
    pub sql: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        number: 1,
        name: "0001_suppressions.sql",
        sql: include_str!("../migrations/0001_suppressions.sql"),
    },
    Migration {
        number: 2,
        name: "0002_one_ledger.sql",
        sql: include_str!("../migrations/0002_one_ledger.sql"),
    },
    Migration {
        number: 3,
        name: "0003_ingest_guard.sql",
        sql: include_str!("../migrations/0003_ingest_guard.sql"),
    },
    Migration {
        number: 4,
        name: "0004_trust.sql",
        sql: include_str!("../migrations/0004_trust.sql"),
    },
];

/// The version this code writes and reads: the last migration's number.
pub const VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].number;

/// The table wrangler records applied D1 migrations in.
pub const D1_MIGRATIONS_TABLE: &str = "d1_migrations";

/// The statements of a migration file: split at a `;` that ends a line,
/// `--` comment lines dropped.
pub fn statements(sql: &str) -> Vec<String> {
    sql.split(";\n")
        .map(|chunk| {
            chunk
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .map(|s| s.trim().trim_end_matches(';').trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The statements that bring a store from version `from` to [`VERSION`].
pub fn upgrade_from(from: u32) -> Vec<String> {
    MIGRATIONS
        .iter()
        .filter(|m| m.number > from)
        .flat_map(|m| statements(m.sql))
        .collect()
}

/// The D1 batch that lists applied migrations (creating wrangler's table,
/// exactly as wrangler does, if it is missing). Read its last result with
/// [`d1_pending`].
pub fn d1_check() -> Vec<Statement> {
    vec![
        Statement::new(
            format!(
                "CREATE TABLE IF NOT EXISTS {D1_MIGRATIONS_TABLE}(\n\
                 \t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\
                 \t\tname       TEXT UNIQUE,\n\
                 \t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n)"
            ),
            vec![],
        ),
        Statement::new(format!("SELECT name FROM {D1_MIGRATIONS_TABLE}"), vec![]),
    ]
}

/// The D1 batch that applies the migrations `applied` (the result of
/// [`d1_check`]'s `SELECT`) lacks, each followed by its record in
/// `d1_migrations`; empty when the database is up to date.
pub fn d1_pending(applied: &StatementResult) -> Vec<Statement> {
    let done: Vec<String> = applied
        .rows
        .iter()
        .filter_map(|row| text(row, "name"))
        .collect();
    let mut batch = Vec::new();
    for m in MIGRATIONS
        .iter()
        .filter(|m| !done.iter().any(|d| d == m.name))
    {
        batch.extend(
            statements(m.sql)
                .into_iter()
                .map(|s| Statement::new(s, vec![])),
        );
        batch.push(Statement::new(
            format!("INSERT INTO {D1_MIGRATIONS_TABLE} (name) VALUES (?1)"),
            vec![SqlValue::Text(m.name.to_owned())],
        ));
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn migrations_are_numbered_in_order_and_named_after_their_number() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.number as usize, i + 1);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.number)),
                "{}",
                m.name
            );
            assert!(m.name.ends_with(".sql"));
        }
        assert_eq!(VERSION, 4);
    }

    #[test]
    fn every_migration_file_in_the_directory_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn statements_split_at_line_ending_semicolons_and_drop_comments() {
        let sql = "-- a comment; not a statement\nCREATE TABLE t (\n  a TEXT, -- kept\n  -- dropped\n  b TEXT\n);\n\nINSERT INTO t VALUES ('x;y');\n";
        assert_eq!(
            statements(sql),
            vec![
                "CREATE TABLE t (\n  a TEXT, -- kept\n  b TEXT\n)".to_owned(),
                "INSERT INTO t VALUES ('x;y')".to_owned()
            ]
        );
        assert_eq!(statements(MIGRATIONS[0].sql).len(), 4);
        assert_eq!(statements(MIGRATIONS[1].sql).len(), 8);
        assert_eq!(statements(MIGRATIONS[2].sql).len(), 1);
        assert_eq!(statements(MIGRATIONS[3].sql).len(), 2);
    }

    #[test]
    fn d1_applies_only_what_is_missing_and_records_it() {
        let none = StatementResult::default();
        let all = d1_pending(&none);
        assert_eq!(all.len(), 4 + 1 + 8 + 1 + 1 + 1 + 2 + 1);
        assert_eq!(
            all[4].params,
            vec![SqlValue::Text("0001_suppressions.sql".into())]
        );
        let first = StatementResult {
            rows: vec![json!({"name": "0001_suppressions.sql"})
                .as_object()
                .cloned()
                .unwrap_or_default()],
            changes: 0,
        };
        let rest = d1_pending(&first);
        assert_eq!(rest.len(), 8 + 1 + 1 + 1 + 2 + 1);
        assert!(rest[0].sql.starts_with("ALTER TABLE bounce_events"));
        let both = StatementResult {
            rows: MIGRATIONS
                .iter()
                .map(|m| {
                    json!({"name": m.name})
                        .as_object()
                        .cloned()
                        .unwrap_or_default()
                })
                .collect(),
            changes: 0,
        };
        assert!(d1_pending(&both).is_empty());
    }
}
