//! A statement to run and what it gave, the same for D1 and rusqlite.

use serde_json::{Map, Value};

/// A value bound to a `?N` parameter of a SQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// `NULL`.
    Null,
    /// An integer (D1 carries it as a JavaScript number: keep it within
    /// ±2^53).
    Int(i64),
    /// Text.
    Text(String),
}

/// One SQL statement (SQLite's dialect, as D1 speaks it) and its parameters,
/// bound in order to `?1`, `?2` …
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// The parameters.
    pub params: Vec<SqlValue>,
}

impl Statement {
    /// A statement with its parameters.
    pub fn new(sql: impl Into<String>, params: Vec<SqlValue>) -> Statement {
        Statement {
            sql: sql.into(),
            params,
        }
    }
}

/// One result row: column name → value.
pub type Row = Map<String, Value>;

/// What one statement of a batch gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementResult {
    /// The rows, as column name → value (integers as JSON integers).
    pub rows: Vec<Row>,
    /// Rows the statement inserted, updated or deleted.
    pub changes: u64,
}

/// A text column of a row.
pub(crate) fn text(row: &Row, column: &str) -> Option<String> {
    row.get(column)?.as_str().map(str::to_owned)
}

/// An integer column of a row.
pub(crate) fn int(row: &Row, column: &str) -> Option<i64> {
    let v = row.get(column)?;
    // D1 hands numbers over as JavaScript numbers: whole ones may arrive as
    // floats.
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
}
