//! The control API under `/__fake/tokens/{token}`, which sets behaviours over HTTP.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tracing::{info, warn};

use crate::behaviour::{Behaviour, Endpoint, token_hint, validate_script, validate_token};
use crate::identity;
use crate::server::AppState;

/// Path of the control API, without the trailing token.
pub(crate) const CONTROL_PREFIX: &str = "/__fake/tokens/";

const REQUEST_SHAPE: &str = r#"{"endpoint": "sites" | "authorized_by" | "any", "behaviours": ["revoked", {"rate_limited": {"retry_after": "60"}}]}"#;

/// Body of `PUT /__fake/tokens/{token}`. `endpoint` defaults to `any`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlRequest {
    #[serde(default = "any_endpoint")]
    endpoint: Endpoint,
    behaviours: Vec<Behaviour>,
}

fn any_endpoint() -> Endpoint {
    Endpoint::Any
}

/// Logs the rejection, because a script may not show the response body, and returns 400.
fn bad_request(token: &str, message: String) -> Response {
    warn!(token_hint = %token_hint(token), error = %message, "control request rejected");
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

/// Handles `PUT /__fake/tokens/{token}`: sets the token's script and returns it with the
/// token's site id.
///
/// The body is parsed whatever its `Content-Type`, because `curl -d` sends a form type.
pub(crate) async fn put_token(
    State(app): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(message) = validate_token(&token) {
        return bad_request(&token, message);
    }
    let request: ControlRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            return bad_request(
                &token,
                format!("invalid control request body: {err}. Expected {REQUEST_SHAPE}"),
            );
        }
    };
    if let Err(message) = validate_script(&request.behaviours) {
        return bad_request(&token, message);
    }

    info!(
        token_hint = %token_hint(&token),
        endpoint = ?request.endpoint,
        behaviours = ?request.behaviours,
        "behaviours set"
    );
    app.registry
        .set_script(&token, request.endpoint, request.behaviours.clone());
    Json(json!({
        "site_id": identity::site_id(&token),
        "endpoint": request.endpoint,
        "behaviours": request.behaviours,
    }))
    .into_response()
}

/// Handles `GET /__fake/tokens/{token}`: returns the token's site id and request count.
pub(crate) async fn get_token(State(app): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(message) = validate_token(&token) {
        return bad_request(&token, message);
    }
    Json(json!({
        "site_id": identity::site_id(&token),
        "request_count": app.registry.request_count(&token),
    }))
    .into_response()
}

/// Handles `DELETE /__fake/tokens/{token}`: removes the token's behaviours and request count.
pub(crate) async fn delete_token(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    if let Err(message) = validate_token(&token) {
        return bad_request(&token, message);
    }
    info!(token_hint = %token_hint(&token), "behaviours reset");
    app.registry.reset(&token);
    StatusCode::NO_CONTENT.into_response()
}
