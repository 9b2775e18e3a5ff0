//! The suppression routes (docs/DESIGN.md "Bounces and suppression"), secret
//! keys only:
//!
//! - `GET /v1/suppressions/{address}`: one record, 404 when the address is
//!   not suppressed.
//! - `GET /v1/suppressions?since=ISO-8601&cursor=…&limit=N`: the change
//!   feed, `prebounce-api`'s [`Page`], `{"suppressions": [...],
//!   "next_cursor": ...}`, with its opaque [`Cursor`].
//! - `PUT /v1/suppressions` with `{"suppressions": [...]}`: validates every
//!   item, then merges all of them in one statement, or none.
//! - `DELETE /v1/suppressions/{address}`: 204, or 404 when there was
//!   nothing to delete.
//!
//! Addresses in paths and bodies are turned into core's suppression key
//! before the store sees them.

use prebounce_api::{Change, Cursor, Page, PushAnswer, PushItem, MAX_PUSH};
use prebounce_core::suppression::{self, Suppression};
use prebounce_core::time::parse_rfc3339_ms;
use serde_json::Value;

use super::ApiError;
use crate::config::{DEFAULT_PAGE, MAX_PAGE};
use crate::store;
use crate::{Config, HttpResponse, Platform};

/// The prefix of `/v1/suppressions/{address}`.
pub(super) const ONE: &str = "/v1/suppressions/";

/// The address of `/v1/suppressions/{address}` (percent-decoded; `+` is a
/// plus sign, as addresses have them). 404 for a deeper path.
pub(super) fn address_in_path(path: &str) -> Result<String, ApiError> {
    let segment = path.strip_prefix(ONE).unwrap_or("");
    if segment.is_empty() || segment.contains('/') {
        return Err(ApiError::new(
            404,
            "not_found",
            "no such route: see /openapi.json",
        ));
    }
    percent_decode(segment).ok_or_else(|| {
        ApiError::bad("the address in the path is not percent-encoded UTF-8 (encode @ as %40)")
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The key of an address a caller gave, or a 400 that says why there is
/// none.
fn key_of(address: &str, what: &str) -> Result<String, ApiError> {
    suppression::key(address).map_err(|code| {
        ApiError::bad(format!(
            "{what} {address:?} is not an email address ({})",
            code.as_str()
        ))
    })
}

/// `GET /v1/suppressions/{address}`.
pub(super) async fn get_one(
    address: &str,
    platform: &impl Platform,
) -> Result<HttpResponse, ApiError> {
    let key = key_of(address, "the address")?;
    match store::get(platform, &key)
        .await
        .map_err(|e| ApiError::store(e, platform))?
    {
        // DESIGN's record: `{"address", "reason", "first_seen", "last_seen",
        // "count", "source"}`.
        Some(info) => Ok(HttpResponse::json(200, &Suppression { address: key, info })),
        None => Err(ApiError::new(
            404,
            "not_found",
            format!("{key} is not on the suppression list"),
        )),
    }
}

/// `DELETE /v1/suppressions/{address}`.
pub(super) async fn delete_one(
    address: &str,
    platform: &impl Platform,
) -> Result<HttpResponse, ApiError> {
    let key = key_of(address, "the address")?;
    let now = platform.now_ms() as i64;
    if store::delete(platform, &key, now)
        .await
        .map_err(|e| ApiError::store(e, platform))?
    {
        Ok(HttpResponse {
            status: 204,
            ..HttpResponse::default()
        })
    } else {
        Err(ApiError::new(
            404,
            "not_found",
            format!("{key} is not on the suppression list"),
        ))
    }
}

/// `GET /v1/suppressions?since=…&cursor=…&limit=…`.
pub(super) async fn page(query: &str, platform: &impl Platform) -> Result<HttpResponse, ApiError> {
    let mut since = None;
    let mut cursor = None;
    let mut limit = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "since" => &mut since,
            "cursor" => &mut cursor,
            "limit" => &mut limit,
            other => {
                return Err(ApiError::bad(format!(
                    "unknown parameter {other:?}: expected since, cursor and limit"
                )))
            }
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(ApiError::bad(format!("give {name} once")));
        }
    }
    let since_ms = match since.as_deref() {
        None => 0,
        Some(s) => parse_rfc3339_ms(s).ok_or_else(|| {
            ApiError::bad(format!(
                "since {s:?} is not an ISO 8601 time such as 2026-03-14T09:26:53Z"
            ))
        })?,
    };
    let cursor = match cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
            ApiError::bad("cursor is not one this API gave: pass next_cursor as it came")
        })?),
    };
    let limit = match limit.as_deref() {
        None => DEFAULT_PAGE,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| ApiError::bad(format!("limit must be a number from 1 to {MAX_PAGE}")))?,
    };
    let (changes, next) = store::page(platform, since_ms, cursor.as_ref(), limit)
        .await
        .map_err(|e| ApiError::store(e, platform))?;
    let page = Page {
        suppressions: changes
            .into_iter()
            .map(|c| Change::new(c.address, c.info, c.updated_at))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
    };
    Ok(HttpResponse::json(200, &page))
}

/// `PUT /v1/suppressions` with `{"suppressions": [...]}`.
pub(super) async fn put(
    body: &[u8],
    config: &Config,
    platform: &impl Platform,
) -> Result<HttpResponse, ApiError> {
    if body.len() > config.max_bulk_body_bytes {
        return Err(ApiError::too_large(
            config.max_bulk_body_bytes,
            "MAX_BULK_BODY_BYTES",
            "send fewer records per request",
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad(format!("the body is not valid JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(ApiError::bad(
            r#"the body must be a JSON object: {"suppressions": [...]}"#,
        ));
    };
    let items = match map.remove("suppressions") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ApiError::bad("suppressions must be an array of records")),
        None => return Err(ApiError::bad(r#"add "suppressions": [...]"#)),
    };
    if let Some(extra) = map.keys().next() {
        return Err(ApiError::bad(format!(
            "unknown field {extra:?}: the body has only suppressions"
        )));
    }
    if items.len() > MAX_PUSH {
        return Err(ApiError::too_many(
            "too_many_suppressions",
            items.len(),
            "records",
            &MAX_PUSH.to_string(),
        ));
    }
    let records = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| checked(i, item))
        .collect::<Result<Vec<_>, _>>()?;
    let changed = store::upsert(platform, &records, platform.now_ms() as i64)
        .await
        .map_err(|e| ApiError::store(e, platform))?;
    Ok(HttpResponse::json(
        200,
        &PushAnswer {
            received: records.len(),
            changed,
        },
    ))
}

/// Item `i` of a `PUT`, checked by core's [`suppression::check_record`]
/// (the check `prebounce suppressions import` makes, with its words): a
/// record that could not be stored makes the whole batch a 400.
fn checked(i: usize, item: Value) -> Result<Suppression, ApiError> {
    let at = format!("suppressions[{i}]");
    let item: PushItem = serde_json::from_value(item).map_err(|e| {
        ApiError::bad(format!(
            "{at}: {e} (a record is {{\"address\", \"reason\", \"first_seen\", \"last_seen\", \"count\", \"source\"}})"
        ))
    })?;
    suppression::check_record(item).map_err(|e| ApiError::bad(format!("{at}: {e}")))
}
