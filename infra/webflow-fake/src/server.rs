//! Routes, shared state and request logging.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tokio::sync::watch;
use tracing::info;

use crate::api;
use crate::behaviour::{Registry, token_hint};
use crate::control::{self, CONTROL_PREFIX};

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) registry: Arc<Registry>,
    /// Becomes `true` when the fake starts to shut down.
    pub(crate) shutdown: watch::Receiver<bool>,
}

pub(crate) fn router(state: AppState) -> Router {
    let control_route = format!("{CONTROL_PREFIX}{{token}}");
    Router::new()
        .route("/v2/sites", get(api::list_sites))
        .route("/v2/token/authorized_by", get(api::authorized_by))
        .route(
            &control_route,
            get(control::get_token)
                .put(control::put_token)
                .delete(control::delete_token),
        )
        .fallback(api::unknown_route)
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Returns the path with a control API token cut to its last four characters.
fn loggable_path(path: &str) -> String {
    match path.strip_prefix(CONTROL_PREFIX) {
        Some(token) => format!("{CONTROL_PREFIX}****{}", token_hint(token)),
        None => path.to_owned(),
    }
}

/// Logs one line per response with the method, path, status and the last four characters
/// of the bearer token. The whole token is never logged.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = loggable_path(request.uri().path());
    let token = api::bearer_token(request.headers()).map_or_else(|| "-".to_owned(), token_hint);
    let started = Instant::now();

    let response = next.run(request).await;

    info!(
        %method,
        %path,
        status = response.status().as_u16(),
        token_hint = %token,
        elapsed = ?started.elapsed(),
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loggable_path_hides_control_token() {
        let token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            loggable_path(&format!("/__fake/tokens/{token}")),
            "/__fake/tokens/****cdef"
        );
        assert_eq!(loggable_path("/v2/sites"), "/v2/sites");
    }
}
