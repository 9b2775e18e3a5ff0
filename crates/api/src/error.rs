//! The error body every prebounce HTTP API answers with, the edge worker's
//! and `prebounce serve`'s alike: `{"error": {"code", "message"}}`, where
//! `code` is a stable name (docs/DESIGN.md lists them per API) and `message`
//! says what to fix.

use serde::{Deserialize, Serialize};

/// `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The `error` object of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The stable code (`bad_request`, `unauthorized` …).
    pub code: String,
    /// For people: what went wrong and what to do about it.
    pub message: String,
}

impl ErrorBody {
    /// The body of an error with this code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_written_as_designed() {
        let e = ErrorBody::new("bad_request", "add ?email=ADDRESS");
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(
            text,
            r#"{"error":{"code":"bad_request","message":"add ?email=ADDRESS"}}"#
        );
        assert_eq!(serde_json::from_str::<ErrorBody>(&text).unwrap(), e);
        // Fields added later do not stop a reader.
        let later: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"x","message":"y","hint":1},"id":2}"#)
                .unwrap();
        assert_eq!(later, ErrorBody::new("x", "y"));
    }
}
