//! The suppression change feed: `GET /v1/suppressions?since=…&cursor=…&limit=…`
//! answers a [`Page`] of [`Change`]s, and its `next_cursor` is a [`Cursor`]
//! in its opaque text form (docs/DESIGN.md "Suppression routes").
//!
//! ```json
//! {"suppressions": [
//!    {"address": "a@example.com", "reason": "does_not_exist",
//!     "first_seen": "2026-03-14T09:26:53Z", "last_seen": "2026-03-14T09:26:53Z",
//!     "count": 1, "source": "ses",
//!     "updated_at": "2026-03-14T09:26:54.120Z", "deleted": false},
//!    {"address": "b@example.com", "updated_at": "2026-03-14T09:27:00.003Z", "deleted": true}],
//!  "next_cursor": "MTc3MzQ4MDQyMDAwM3xiQGV4YW1wbGUuY29t"}
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use prebounce_core::suppression::Suppression;
use prebounce_core::time::{format_ms, parse_rfc3339_ms};
use prebounce_core::SuppressionInfo;
use serde::{Deserialize, Serialize};

/// One page of the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The entries, in `(updated_at, address)` order.
    pub suppressions: Vec<Change>,
    /// What to pass back as `cursor` for the next page, as it came: opaque
    /// text (the server's [`Cursor::encode`]); `None` (JSON null) at the end.
    pub next_cursor: Option<String>,
}

/// One entry of the change feed: a record with `updated_at` and
/// `deleted: false`, or a deleted address (a tombstone) with only
/// `address`, `updated_at` and `deleted: true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The suppression key.
    pub address: String,
    /// The record, its fields inline; `None` for a tombstone. Read
    /// leniently: an entry whose record fields are missing or malformed
    /// reads as `None`, for the reader to report.
    #[serde(flatten)]
    pub info: Option<SuppressionInfo>,
    /// When the entry last changed: UTC with milliseconds
    /// (`2026-03-14T09:26:53.120Z`), usable as `since`.
    pub updated_at: String,
    /// Whether the address was deleted.
    #[serde(default)]
    pub deleted: bool,
}

impl Change {
    /// An entry: a record, or (`info` `None`) a tombstone, changed at
    /// `updated_at_ms` (Unix milliseconds).
    pub fn new(address: String, info: Option<SuppressionInfo>, updated_at_ms: i64) -> Change {
        Change {
            address,
            deleted: info.is_none(),
            info,
            updated_at: format_ms(updated_at_ms),
        }
    }

    /// `updated_at` in Unix milliseconds, when it is an RFC 3339 time.
    pub fn updated_at_ms(&self) -> Option<i64> {
        parse_rfc3339_ms(&self.updated_at)
    }

    /// The record of a live entry, as given (its address not yet re-keyed
    /// nor checked: that is core's `suppression::check_record`).
    pub fn record(&self) -> Option<Suppression> {
        match (&self.info, self.deleted) {
            (Some(info), false) => Some(Suppression {
                address: self.address.clone(),
                info: info.clone(),
            }),
            _ => None,
        }
    }
}

/// Where a page of the change feed ends: the last row's `(updated_at,
/// address)`. Clients see it as opaque base64url text ([`Cursor::encode`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last row's `updated_at` (Unix milliseconds).
    pub updated_at: i64,
    /// The last row's address.
    pub address: String,
}

impl Cursor {
    /// The opaque text form: base64url without padding of
    /// `"{updated_at}|{address}"`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.updated_at, self.address))
    }

    /// Reads [`Cursor::encode`]'s text; `None` if it is not one.
    pub fn decode(text: &str) -> Option<Cursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (at, address) = raw.split_once('|')?;
        Some(Cursor {
            updated_at: at.parse().ok()?,
            address: address.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prebounce_core::time::StoreTime;

    fn info() -> SuppressionInfo {
        let t: StoreTime = "2026-03-14T09:26:53Z".parse().unwrap();
        SuppressionInfo {
            reason: "does_not_exist".into(),
            first_seen: t,
            last_seen: t,
            count: 2,
            source: "ses".into(),
        }
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let c = Cursor {
            updated_at: 1_700_000_000_123,
            address: "a|b@example.com".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for junk in ["", "!!", "bm9waXBl", &URL_SAFE_NO_PAD.encode("x|a@b")] {
            assert_eq!(Cursor::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn the_cursor_text_is_pinned() {
        // Cursors handed out before must still read: the form never changes.
        let c = Cursor {
            updated_at: 1_773_480_420_003,
            address: "b@example.com".into(),
        };
        assert_eq!(c.encode(), "MTc3MzQ4MDQyMDAwM3xiQGV4YW1wbGUuY29t");
        assert_eq!(
            Cursor::decode("MTc3MzQ4MDQyMDAwM3xiQGV4YW1wbGUuY29t"),
            Some(c)
        );
        // Negative times and padding-free lengths of every remainder.
        for address in ["", "a", "ab", "abc"] {
            let c = Cursor {
                updated_at: -1,
                address: address.into(),
            };
            assert!(!c.encode().contains('='));
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
    }

    #[test]
    fn a_page_is_written_as_designed() {
        let page = Page {
            suppressions: vec![
                Change::new("a@example.com".into(), Some(info()), 1_773_480_414_120),
                Change::new("b@example.com".into(), None, 1_773_480_420_003),
            ],
            next_cursor: Some(
                Cursor {
                    updated_at: 1_773_480_420_003,
                    address: "b@example.com".into(),
                }
                .encode(),
            ),
        };
        let text = serde_json::to_string(&page).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"suppressions":["#,
                r#"{"address":"a@example.com","reason":"does_not_exist","first_seen":"2026-03-14T09:26:53Z","#,
                r#""last_seen":"2026-03-14T09:26:53Z","count":2,"source":"ses","#,
                r#""updated_at":"2026-03-14T09:26:54.120Z","deleted":false},"#,
                r#"{"address":"b@example.com","updated_at":"2026-03-14T09:27:00.003Z","deleted":true}],"#,
                r#""next_cursor":"MTc3MzQ4MDQyMDAwM3xiQGV4YW1wbGUuY29t"}"#
            )
        );
        let back: Page = serde_json::from_str(&text).unwrap();
        assert_eq!(back, page);
        assert_eq!(
            back.suppressions[0].updated_at_ms(),
            Some(1_773_480_414_120)
        );
        assert_eq!(back.suppressions[0].record().map(|s| s.info), Some(info()));
        assert_eq!(back.suppressions[1].record(), None);

        let end = Page {
            suppressions: vec![],
            next_cursor: None,
        };
        assert_eq!(
            serde_json::to_string(&end).unwrap(),
            r#"{"suppressions":[],"next_cursor":null}"#
        );
    }

    #[test]
    fn entries_are_read_leniently() {
        // A record with a field missing or malformed has no record; fields
        // added later are ignored; `deleted` defaults to false.
        let page: Page = serde_json::from_str(
            r#"{"suppressions": [
                {"address": "a@example.com", "reason": "does_not_exist", "updated_at": "x"},
                {"address": "b@example.com", "reason": "does_not_exist",
                 "first_seen": "yesterday", "last_seen": "2026-03-14T09:26:53Z",
                 "count": 1, "source": "ses", "updated_at": "x"},
                {"address": "c@example.com", "reason": "does_not_exist",
                 "first_seen": "2026-03-14T09:26:53Z", "last_seen": "2026-03-14T09:26:53Z",
                 "count": 2, "source": "ses", "scope": "all", "updated_at": "x"}],
              "next_cursor": null, "more": 1}"#,
        )
        .unwrap();
        let s = &page.suppressions;
        assert_eq!((s[0].info.is_none(), s[0].deleted), (true, false));
        assert!(s[1].info.is_none());
        assert_eq!(s[2].info, Some(info()));
        assert_eq!(s[2].updated_at_ms(), None);
    }
}
