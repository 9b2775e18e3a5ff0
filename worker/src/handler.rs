//! Routing and the per-request pipeline (being written).

use crate::{Config, HttpRequest, HttpResponse, Platform};

/// Answers one request.
pub async fn handle(req: HttpRequest, config: &Config, platform: &impl Platform) -> HttpResponse {
    let _ = (config, platform);
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/healthz") => HttpResponse::json(200, &serde_json::json!({"status": "ok"})),
        _ => HttpResponse::json(
            404,
            &serde_json::json!({"error": {"code": "not_found", "message": "no such route"}}),
        ),
    }
}
