//! The `/v2` endpoints: authentication, the token's behaviour and Webflow's response bodies.

use std::time::Duration;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::info;

use crate::behaviour::{Behaviour, ServedEndpoint, is_site_token, token_hint};
use crate::identity;
use crate::server::AppState;

/// How long `Behaviour::Hang` keeps a request open: far longer than any client timeout.
const HANG_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// Per-token request limit of Webflow's Starter and Basic plans, per minute. The fake
/// sends it in `X-RateLimit-Limit` on a 429 and does not enforce it.
const RATE_LIMIT_PER_MINUTE: &str = "60";

/// Start of a `missing_scopes` message. The spec example and the live bodies that users
/// reported both use it. Only the live form quotes the scope.
const MISSING_SCOPES_PREFIX: &str = "OAuthForbidden: You are missing the following scopes - ";

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A Webflow error body. It is serialized in the key order of live responses (message,
/// code, externalReference, details), while the spec examples put `code` first.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    message: String,
    code: String,
    external_reference: Option<String>,
    details: Vec<Value>,
}

impl ErrorBody {
    fn new(code: &str, message: String) -> Self {
        Self {
            message,
            code: code.to_owned(),
            external_reference: None,
            details: Vec::new(),
        }
    }

    /// Parses one of the example bodies in `responses/`.
    fn from_example(json: &str) -> Self {
        serde_json::from_str(json).expect("every error example in responses/ is an ErrorBody")
    }

    fn into_response(self, status: StatusCode) -> Response {
        let body = serde_json::to_string(&self).expect("an ErrorBody always serializes");
        json_response(status, body)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScopeQuoting {
    /// `... scopes - 'sites:read'`, as live responses show.
    Live,
    /// `... scopes - sites:read`, as the spec example shows.
    Spec,
}

fn missing_scopes(scope: &str, quoting: ScopeQuoting) -> ErrorBody {
    let message = match quoting {
        ScopeQuoting::Live => format!("{MISSING_SCOPES_PREFIX}'{scope}'"),
        ScopeQuoting::Spec => format!("{MISSING_SCOPES_PREFIX}{scope}"),
    };
    ErrorBody::new("missing_scopes", message)
}

fn required_scope(endpoint: ServedEndpoint) -> &'static str {
    match endpoint {
        ServedEndpoint::Sites => "sites:read",
        ServedEndpoint::AuthorizedBy => "authorized_user:read",
    }
}

fn not_authorized() -> Response {
    ErrorBody::from_example(include_str!("../responses/token_authorized_by.401.json"))
        .into_response(StatusCode::UNAUTHORIZED)
}

fn resource_not_found(endpoint: Option<ServedEndpoint>) -> Response {
    let example = match endpoint {
        Some(ServedEndpoint::Sites) => include_str!("../responses/sites_list.404.json"),
        _ => include_str!("../responses/observed.404.resource_not_found.item.json"),
    };
    ErrorBody::from_example(example).into_response(StatusCode::NOT_FOUND)
}

fn service_unavailable() -> Response {
    // NOTE: neither the spec nor Webflow's docs show a 503 body, so this message is invented.
    ErrorBody::new("service_unavailable", "Service Unavailable".to_owned())
        .into_response(StatusCode::SERVICE_UNAVAILABLE)
}

fn too_many_requests(retry_after: Option<&str>) -> Response {
    let mut response =
        ErrorBody::from_example(include_str!("../responses/docs.429.too_many_requests.json"))
            .into_response(StatusCode::TOO_MANY_REQUESTS);
    let headers = response.headers_mut();
    headers.insert(
        "x-ratelimit-limit",
        HeaderValue::from_static(RATE_LIMIT_PER_MINUTE),
    );
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    // `validate_script` rejected invalid values when the behaviour was set, so none is skipped.
    if let Some(value) = retry_after.and_then(|value| HeaderValue::from_str(value).ok()) {
        headers.insert(RETRY_AFTER, value);
    }
    response
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, JSON_CONTENT_TYPE)], body).into_response()
}

/// Returns the credential of an `Authorization: Bearer <token>` header. The scheme name is
/// matched case-insensitively, as RFC 9110 section 11.1 defines for every scheme.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credential) = value.split_once(' ')?;
    let credential = credential.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !credential.is_empty() {
        Some(credential)
    } else {
        None
    }
}

/// Handles `GET /v2/sites`.
pub(crate) async fn list_sites(State(app): State<AppState>, headers: HeaderMap) -> Response {
    respond(&app, ServedEndpoint::Sites, &headers).await
}

/// Handles `GET /v2/token/authorized_by`.
pub(crate) async fn authorized_by(State(app): State<AppState>, headers: HeaderMap) -> Response {
    respond(&app, ServedEndpoint::AuthorizedBy, &headers).await
}

/// Handles every path that no route matches. Under `/v2` the body is Webflow's
/// `resource_not_found`, elsewhere a plain-text list of the fake's routes.
pub(crate) async fn unknown_route(uri: Uri) -> Response {
    if uri.path().starts_with("/v2/") {
        return resource_not_found(None);
    }
    let message = "not found: webflow-fake serves GET /v2/sites, GET /v2/token/authorized_by \
                   and PUT, GET, DELETE /__fake/tokens/{token}\n";
    (StatusCode::NOT_FOUND, message).into_response()
}

/// Authenticates the request, counts it and sends the response of the token's next behaviour.
async fn respond(app: &AppState, endpoint: ServedEndpoint, headers: &HeaderMap) -> Response {
    let Some(token) = bearer_token(headers) else {
        return not_authorized();
    };
    app.registry.record_request(token);
    if !is_site_token(token) {
        return not_authorized();
    }

    let behaviour = app.registry.next_behaviour(token, endpoint);
    match behaviour {
        Behaviour::Valid | Behaviour::NoSites | Behaviour::TwoSites | Behaviour::SparseSite => {
            success(token, endpoint, &behaviour)
        }
        Behaviour::Revoked => not_authorized(),
        Behaviour::MissingScope => missing_scopes(required_scope(endpoint), ScopeQuoting::Live)
            .into_response(StatusCode::FORBIDDEN),
        Behaviour::MissingScopeSpecForm => {
            missing_scopes(required_scope(endpoint), ScopeQuoting::Spec)
                .into_response(StatusCode::FORBIDDEN)
        }
        Behaviour::NotFound => resource_not_found(Some(endpoint)),
        Behaviour::RateLimited { retry_after } => too_many_requests(retry_after.as_deref()),
        Behaviour::ServerError => {
            ErrorBody::from_example(include_str!("../responses/sites_list.5XX.json"))
                .into_response(StatusCode::INTERNAL_SERVER_ERROR)
        }
        Behaviour::Unavailable => service_unavailable(),
        Behaviour::Html502 => (
            StatusCode::BAD_GATEWAY,
            [(CONTENT_TYPE, "text/html; charset=utf-8")],
            include_str!("../responses/bad_gateway.html"),
        )
            .into_response(),
        Behaviour::EmptyBody => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Behaviour::NotJson => (
            StatusCode::OK,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            "OK: this body is not JSON (webflow-fake behaviour `not_json`)\n",
        )
            .into_response(),
        Behaviour::Hang => {
            info!(
                token_hint = %token_hint(token),
                "holding the request open without a response (behaviour `hang`)"
            );
            hang(app).await;
            service_unavailable()
        }
    }
}

/// Returns the 200 response of `Valid` and of the behaviours that change only `/sites`.
fn success(token: &str, endpoint: ServedEndpoint, behaviour: &Behaviour) -> Response {
    let body = match (endpoint, behaviour) {
        (ServedEndpoint::AuthorizedBy, _) => identity::authorized_user_body(token),
        (ServedEndpoint::Sites, Behaviour::NoSites) => r#"{"sites":[]}"#.to_owned(),
        (ServedEndpoint::Sites, Behaviour::TwoSites) => identity::two_sites_body(token),
        (ServedEndpoint::Sites, Behaviour::SparseSite) => identity::sparse_site_body(token),
        (ServedEndpoint::Sites, _) => identity::sites_body(token),
    };
    json_response(StatusCode::OK, body)
}

/// Waits for [`HANG_DURATION`] or until the fake shuts down, whichever comes first.
/// Ending on shutdown lets a graceful shutdown finish instead of waiting for the hang.
async fn hang(app: &AppState) {
    let mut shutdown = app.shutdown.clone();
    let shutdown_started = async move {
        // An error means the sender is gone, which also means shutdown.
        let _ = shutdown.wait_for(|stopped| *stopped).await;
    };
    tokio::select! {
        () = tokio::time::sleep(HANG_DURATION) => {}
        () = shutdown_started => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(json: &str) -> ErrorBody {
        ErrorBody::from_example(json)
    }

    #[test]
    fn live_scope_message_matches_observed_body() {
        let observed = example(include_str!(
            "../responses/observed.403.missing_scopes.site-token.json"
        ));
        let built = missing_scopes("users:read", ScopeQuoting::Live);
        assert_eq!(built.message, observed.message);
        assert_eq!(built.code, observed.code);
    }

    #[test]
    fn spec_scope_message_matches_spec_example() {
        let spec = example(include_str!("../responses/token_authorized_by.403.json"));
        let built = missing_scopes("components:write", ScopeQuoting::Spec);
        assert_eq!(built.message, spec.message);
        assert_eq!(built.code, spec.code);
    }

    #[test]
    fn error_body_uses_live_key_order() {
        let body = example(include_str!("../responses/token_authorized_by.401.json"));
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"message":"Request not authorized","code":"not_authorized","externalReference":null,"details":[]}"#
        );
    }

    #[test]
    fn bearer_token_parsing() {
        let cases = [
            ("Bearer abc", Some("abc")),
            ("bearer abc", Some("abc")),
            ("BEARER  abc ", Some("abc")),
            ("Bearer ", None),
            ("Bearer", None),
            ("Basic abc", None),
            ("abc", None),
        ];
        for (header, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, HeaderValue::from_str(header).unwrap());
            assert_eq!(bearer_token(&headers), expected, "header {header:?}");
        }
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
