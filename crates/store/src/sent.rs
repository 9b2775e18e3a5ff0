//! The sent log's statements: what was sent, to whom, so that a bounce
//! quoting one of those Message-IDs for that recipient is verified
//! (core's `suppression::trust`, [`Verified::SentLog`]).
//!
//! Keys are core's: a Message-ID without angle brackets
//! ([`trust::message_id_key`]), a recipient as its suppression key.
//!
//! [`Verified::SentLog`]: prebounce_core::suppression::trust::Verified::SentLog
//! [`trust::message_id_key`]: prebounce_core::suppression::trust::message_id_key

use std::collections::HashMap;

use crate::statement::{int, text, SqlValue, Statement, StatementResult};

/// One message sent to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The Message-ID, without angle brackets.
    pub message_id: String,
    /// The recipient's suppression key.
    pub recipient_key: String,
    /// The recipient as the log wrote it.
    pub recipient: String,
    /// When it was sent (a store time), if the log said.
    pub sent_at: Option<String>,
    /// Where it was read (a file and line).
    pub source: String,
}

/// Rows per insert: 5 parameters each, within D1's 100 a statement.
pub const ROWS: usize = 20;

/// Inserts up to [`ROWS`] sent records; one already recorded stays as it
/// is (the first reading wins). Its `changes` is how many were new.
pub fn insert(rows: &[Sent]) -> Statement {
    let values = (0..rows.len())
        .map(|r| {
            let p = r * 5;
            format!(
                "(?{}, ?{}, ?{}, ?{}, ?{})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let params = rows
        .iter()
        .flat_map(|s| {
            [
                SqlValue::Text(s.message_id.clone()),
                SqlValue::Text(s.recipient_key.clone()),
                SqlValue::Text(s.recipient.clone()),
                s.sent_at.clone().map_or(SqlValue::Null, SqlValue::Text),
                SqlValue::Text(s.source.clone()),
            ]
        })
        .collect();
    Statement::new(
        format!(
            "INSERT INTO sent (message_id, recipient_key, recipient, sent_at, source) \
             VALUES {values} ON CONFLICT DO NOTHING"
        ),
        params,
    )
}

/// Whether the store holds any sent record (verified mode is on when it
/// does): one row `any` = 0 or 1.
pub fn any() -> Statement {
    Statement::new("SELECT EXISTS (SELECT 1 FROM sent) AS any", Vec::new())
}

/// Which of these (Message-ID, recipient key) pairs were sent, each with
/// how many recipients that message went to; read with [`matched`].
pub fn lookup<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Statement {
    let pairs: Vec<[&str; 2]> = pairs.into_iter().map(|(m, k)| [m, k]).collect();
    Statement::new(
        "SELECT s.message_id, s.recipient_key, \
           (SELECT count(*) FROM sent AS t WHERE t.message_id = s.message_id) AS recipients \
         FROM json_each(?1) AS j \
         JOIN sent AS s ON s.message_id = json_extract(j.value, '$[0]') \
           AND s.recipient_key = json_extract(j.value, '$[1]')",
        // Pairs of strings always serialize.
        vec![SqlValue::Text(
            serde_json::to_string(&pairs).unwrap_or_default(),
        )],
    )
}

/// The pairs a [`lookup`] found, each with its message's recipient count.
pub fn matched(result: &StatementResult) -> HashMap<(String, String), u64> {
    result
        .rows
        .iter()
        .filter_map(|r| {
            let n = u64::try_from(int(r, "recipients")?).ok()?;
            Some(((text(r, "message_id")?, text(r, "recipient_key")?), n))
        })
        .collect()
}
