//! `PUT /v1/suppressions`: records pushed to the edge (by `prebounce
//! suppressions push`, or any client), and what the edge answers.
//!
//! The edge reads the body strictly and checks every item with core's
//! `suppression::check_record` (the check an import row gets); one bad item
//! rejects the whole request.

use prebounce_core::suppression::{RawRecord, Suppression};
use serde::{Deserialize, Serialize};

/// The most records one request may carry.
pub const MAX_PUSH: usize = 1000;

/// The request body, as a client writes it: `{"suppressions": [...]}`.
#[derive(Debug, Clone, Serialize)]
pub struct PushRequest<'a> {
    /// The records, keyed or not (the edge keys them).
    pub suppressions: Vec<&'a Suppression>,
}

/// One record of the request as the edge reads it, before core's check:
/// core's [`RawRecord`] (exactly its fields, each present).
pub type PushItem = RawRecord;

/// The answer: how many records arrived and how many rows the merge
/// changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushAnswer {
    /// Records in the request.
    pub received: usize,
    /// Entries inserted or changed by the merge.
    pub changed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use prebounce_core::time::StoreTime;
    use prebounce_core::SuppressionInfo;

    #[test]
    fn a_pushed_record_reads_back_as_the_edge_reads_it() {
        let s = Suppression {
            address: "a@example.com".into(),
            info: SuppressionInfo {
                reason: "does_not_exist".into(),
                first_seen: StoreTime::from_unix(1_773_480_413),
                last_seen: StoreTime::from_unix(1_773_480_413),
                count: 2,
                source: "crm".into(),
            },
        };
        let body = serde_json::to_string(&PushRequest {
            suppressions: vec![&s],
        })
        .unwrap();
        assert_eq!(
            body,
            r#"{"suppressions":[{"address":"a@example.com","reason":"does_not_exist","first_seen":"2026-03-14T09:26:53Z","last_seen":"2026-03-14T09:26:53Z","count":2,"source":"crm"}]}"#
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let raw: PushItem = serde_json::from_value(v["suppressions"][0].clone()).unwrap();
        assert_eq!((raw.address.as_str(), raw.count), ("a@example.com", 2));
        let extra = r#"{"address":"a@x.org","reason":"r","first_seen":"","last_seen":"","count":1,"source":"","deleted":0}"#;
        assert!(serde_json::from_str::<PushItem>(extra).is_err());
    }

    #[test]
    fn the_answer_has_its_two_numbers() {
        let a = PushAnswer {
            received: 3,
            changed: 1,
        };
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(text, r#"{"received":3,"changed":1}"#);
        assert_eq!(serde_json::from_str::<PushAnswer>(&text).unwrap(), a);
    }
}
