//! Stores written before the shared migrations open without losing a
//! record, and every way of making a store ends with the same schema.
//! The fixtures and how they were made: `fixtures/README.md`.

use std::path::{Path, PathBuf};

use prebounce_store::schema::{self, VERSION};
use prebounce_store::sqlite::{execute_all, migrate, Store, StoreError};
use rusqlite::Connection;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of a fixture in a throwaway directory, removed on drop.
struct Temp(PathBuf);
impl Temp {
    fn copy_of(name: &str, tag: &str) -> Temp {
        let dir =
            std::env::temp_dir().join(format!("prebounce-upgrade-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.db");
        if !name.is_empty() {
            std::fs::copy(fixture(name), &path).unwrap();
        }
        Temp(path)
    }
}
impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The ledger's tables and indexes, their SQL with comments and spacing
/// normalized (wrangler keeps a migration file's comments in the schema,
/// the CLI and the worker drop them).
fn schema_of(conn: &Connection) -> Vec<(String, String)> {
    let mut stmt = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL \
             AND name NOT LIKE 'sqlite_%' AND name NOT IN ('d1_migrations', '_cf_KV') ORDER BY name",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    rows.map(|r| {
        let (name, sql) = r.unwrap();
        let no_comments: String = sql
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        (
            name,
            no_comments.split_whitespace().collect::<Vec<_>>().join(" "),
        )
    })
    .collect()
}

fn fresh_schema() -> Vec<(String, String)> {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate(&mut conn).unwrap();
    schema_of(&conn)
}

fn listing(store: &Store) -> Vec<String> {
    store
        .all(None)
        .unwrap()
        .into_iter()
        .map(|(s, _)| serde_json::to_string(&s).unwrap())
        .collect()
}

fn events(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT message_key, recipient_key, recipient, reason, kind, seen_at, source, undetermined \
             FROM bounce_events ORDER BY 1, 2",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            let cols: Vec<String> = (0..7)
                .map(|i| r.get::<_, String>(i))
                .collect::<Result<_, _>>()?;
            let undetermined: i64 = r.get(7)?;
            assert_eq!(undetermined == 1, cols[4] == "undetermined", "{cols:?}");
            Ok(cols.join(" | "))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn a_cli_store_of_the_first_schema_keeps_every_record_event_and_counter() {
    let t = Temp::copy_of("cli-v1.db", "cli");
    let before = std::fs::read_to_string(fixture("cli-v1.records.jsonl")).unwrap();
    let before: Vec<&str> = before.lines().collect();
    assert_eq!(before.len(), 34);
    let store = Store::open(&t.0).unwrap();
    assert_eq!(listing(&store), before, "every record, byte for byte");
    let conn = store.connection();
    let want = std::fs::read_to_string(fixture("cli-v1.events.txt")).unwrap();
    assert_eq!(events(conn), want.lines().collect::<Vec<_>>());
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, i64::from(VERSION));
    assert_eq!(
        schema_of(conn),
        fresh_schema(),
        "the same schema as a new store"
    );
    // The change number goes on from where the old store left it, so a
    // push after the upgrade still sends only what changed.
    let change: i64 = conn
        .query_row(
            "SELECT value FROM counters WHERE name = 'change'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(change, 2);
    drop(store);
    // Opening again changes nothing.
    let again = Store::open(&t.0).unwrap();
    assert_eq!(listing(&again), before);
}

#[test]
fn a_reader_of_an_old_store_upgrades_it_first() {
    let t = Temp::copy_of("cli-v1.db", "reader");
    let store = Store::open_read_only(&t.0).unwrap();
    assert_eq!(store.all(None).unwrap().len(), 34);
    assert!(store.lookup("imported@example.org").unwrap().is_some());
}

#[test]
fn a_d1_database_of_the_first_schema_upgrades_as_the_worker_does_it() {
    // What the worker before the shared migrations made: its own copy of
    // 0001 run on first use, nothing in d1_migrations.
    let conn = Connection::open_in_memory().unwrap();
    let old = std::fs::read_to_string(fixture("d1-0001-before.sql")).unwrap();
    for sql in schema::statements(&old) {
        conn.execute_batch(&sql).unwrap();
    }
    conn.execute_batch(
        "INSERT INTO suppressions VALUES ('a@example.com', 'does_not_exist', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 'ses', 1700000000000, 0);
         INSERT INTO suppressions VALUES ('gone@example.com', NULL, NULL, NULL, NULL, NULL, 1700000000001, 1);
         INSERT INTO bounce_events VALUES ('sns:1', 'a@example.com', 'does_not_exist', '2026-01-01T00:00:00Z', 0);",
    )
    .unwrap();
    let applied = execute_all(&conn, &schema::d1_check()).unwrap();
    let pending = schema::d1_pending(&applied[1]);
    assert!(!pending.is_empty());
    execute_all(&conn, &pending).unwrap();
    let applied = execute_all(&conn, &schema::d1_check()).unwrap();
    assert!(schema::d1_pending(&applied[1]).is_empty(), "applied once");
    assert_eq!(schema_of(&conn), fresh_schema());
    let rows: Vec<(String, i64)> = conn
        .prepare("SELECT address, deleted FROM suppressions ORDER BY address")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [("a@example.com".into(), 0), ("gone@example.com".into(), 1)]
    );
    let n: i64 = conn
        .query_row("SELECT count(*) FROM bounce_events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn newer_and_foreign_files_are_refused_untouched() {
    let t = Temp::copy_of("", "newer");
    {
        let conn = Connection::open(&t.0).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    assert!(matches!(Store::open(&t.0), Err(StoreError::Version(99))));
    assert!(matches!(
        Store::open_read_only(&t.0),
        Err(StoreError::Version(99))
    ));
    let f = Temp::copy_of("", "foreign");
    {
        let conn = Connection::open(&f.0).unwrap();
        conn.execute_batch("CREATE TABLE notes (x TEXT); PRAGMA user_version = 1;")
            .unwrap();
    }
    assert!(matches!(Store::open(&f.0), Err(StoreError::Foreign(1))));
    let conn = Connection::open(&f.0).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1, "nothing was created in a file that is not ours");
}
