//! The HTTP side of each function: turn an API Gateway request into an operation call and
//! its result into a response. Expected failures become problem+json responses, never
//! `Err`, so the Lambda runtime never receives an error for something a caller did.

use lambda_http::http::StatusCode;
use lambda_http::http::header::{CONTENT_TYPE, HeaderValue, LOCATION, RETRY_AFTER};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use sitelink_validation::{
    FieldError, parse_json_object, validate_account_id, validate_link_request, validate_list_query,
};

use crate::app::App;
use crate::config::TenancyConfig;
use crate::error::ApiError;
use crate::operations;
use crate::ports::{AccountStore, SecretStore, WebflowApi};
use crate::tenant::Tenant;

/// The largest request body accepted. A link body is well under 1 KiB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
const JSON: &str = "application/json";
const PROBLEM_JSON: &str = "application/problem+json";

/// `POST /accounts`
pub async fn handle_link<A, S, W>(app: &App<A, S, W>, request: Request) -> Response<Body>
where
    A: AccountStore,
    S: SecretStore,
    W: WebflowApi,
{
    let result = async {
        let tenant = resolve_tenant(&app.config.tenancy, &request)?;
        let body = json_body(&request)?;
        let link_request = validate_link_request(&body).map_err(ApiError::InvalidBody)?;
        operations::link(app, &tenant, link_request).await
    }
    .await;

    match result {
        Ok(linked) if linked.created => {
            let location = format!("/accounts/{}", linked.account.id);
            let mut response = json_response(StatusCode::CREATED, &linked.account);
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(LOCATION, value);
            }
            response
        }
        Ok(linked) => json_response(StatusCode::OK, &linked.account),
        Err(error) => problem_response(&request, "link", &error),
    }
}

/// `POST /accounts/{account_id}/test`
pub async fn handle_test<A, S, W>(app: &App<A, S, W>, request: Request) -> Response<Body>
where
    A: AccountStore,
    S: SecretStore,
    W: WebflowApi,
{
    let result = async {
        let tenant = resolve_tenant(&app.config.tenancy, &request)?;
        let account_id = account_id_parameter(&request)?;
        reject_query_parameters(&request)?;
        operations::test_connection(app, &tenant, &account_id).await
    }
    .await;

    match result {
        Ok(report) => json_response(StatusCode::OK, &report),
        Err(error) => problem_response(&request, "test-connection", &error),
    }
}

/// `GET /accounts`
pub async fn handle_list<A, S, W>(app: &App<A, S, W>, request: Request) -> Response<Body>
where
    A: AccountStore,
{
    let result = async {
        let tenant = resolve_tenant(&app.config.tenancy, &request)?;
        let pairs: Vec<(String, String)> = request
            .query_string_parameters_ref()
            .map(|query| {
                query
                    .iter()
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let query = validate_list_query(&pairs).map_err(ApiError::InvalidParameters)?;
        operations::list(app, &tenant, query).await
    }
    .await;

    match result {
        Ok(page) => json_response(StatusCode::OK, &page),
        Err(error) => problem_response(&request, "list-accounts", &error),
    }
}

/// Finds the request's tenant.
///
/// With an authorizer context (every request through the deployed API), the tenant is the
/// configured JWT claim and nothing else: the local setting is ignored even when set. With
/// no authorizer context at all, the local setting names the tenant; it exists for
/// `cargo lambda watch`, which sends none.
pub fn resolve_tenant(config: &TenancyConfig, request: &Request) -> Result<Tenant, ApiError> {
    let authorizer = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.authorizer.as_ref(),
        _ => None,
    };
    if let Some(authorizer) = authorizer {
        if config.local_tenant.is_some() {
            tracing::warn!(
                "SITELINK_LOCAL_TENANT is set but ignored: the request has an authorizer context"
            );
        }
        let claim = authorizer
            .jwt
            .as_ref()
            .and_then(|jwt| jwt.claims.get(&config.claim))
            .ok_or_else(|| {
                ApiError::Unauthenticated(format!(
                    "The access token has no `{}` claim, which names the tenant. Use a token from the configured identity provider that carries it.",
                    config.claim
                ))
            })?;
        return Tenant::new(claim).map_err(|_| {
            ApiError::Unauthenticated(format!(
                "The access token's `{}` claim is not a usable tenant id: it must be 1 to 256 characters without control characters.",
                config.claim
            ))
        });
    }
    match &config.local_tenant {
        Some(local) => Tenant::new(local).map_err(|_| {
            ApiError::Unauthenticated("SITELINK_LOCAL_TENANT is not a usable tenant id: use 1 to 256 characters without control characters.".to_owned())
        }),
        None => Err(ApiError::Unauthenticated(
            "The request carries no authorizer claims, so it has no tenant. Call the API through API Gateway with a valid access token.".to_owned(),
        )),
    }
}

fn account_id_parameter(request: &Request) -> Result<String, ApiError> {
    let id = request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("account_id"))
        .unwrap_or_default();
    validate_account_id("account_id", id)
        .map_err(|error| ApiError::InvalidParameters(vec![error]))?;
    Ok(id.to_owned())
}

/// Rejects any query parameter: the test endpoint takes none, and ignoring one would hide
/// a caller's mistake.
fn reject_query_parameters(request: &Request) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = request
        .query_string_parameters_ref()
        .map(|query| {
            query
                .iter()
                .map(|(name, _)| {
                    let shown: String = name.chars().filter(|c| !c.is_control()).take(40).collect();
                    FieldError::new(
                        shown.clone(),
                        "unknown_parameter",
                        format!(
                            "`{shown}` is not a query parameter of this endpoint, which takes none."
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidParameters(errors))
    }
}

fn json_body(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !is_json_content_type(content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_BODY_BYTES,
        });
    }
    parse_json_object(bytes).map_err(ApiError::MalformedBody)
}

/// Accepts `application/json`, optionally with `charset=utf-8`, in any letter case.
fn is_json_content_type(value: &str) -> bool {
    let mut parts = value.split(';').map(str::trim);
    let media_type = parts.next().unwrap_or_default();
    if !media_type.eq_ignore_ascii_case(JSON) {
        return false;
    }
    parts.all(|parameter| {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        name.trim().eq_ignore_ascii_case("charset")
            && value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    })
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(text) => build_response(status, JSON, text),
        Err(error) => {
            tracing::error!(error = %error, "failed to serialize a response");
            build_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                PROBLEM_JSON,
                String::new(),
            )
        }
    }
}

fn build_response(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Builds the problem+json response for `error` and logs it: server-side failures at
/// error level with their source chain, caller mistakes at info level.
pub fn problem_response(
    request: &Request,
    function: &'static str,
    error: &ApiError,
) -> Response<Body> {
    let problem = error.to_problem();
    let request_id = request
        .lambda_context_ref()
        .map(|context| context.request_id.clone())
        .unwrap_or_default();
    if problem.status >= 500 {
        tracing::error!(function, request_id, code = problem.code, status = problem.status, error = %error_chain(error), "request failed");
    } else {
        tracing::info!(
            function,
            request_id,
            code = problem.code,
            status = problem.status,
            "request rejected"
        );
    }

    let body = serde_json::to_string(&problem).unwrap_or_default();
    let mut response = build_response(error.status(), PROBLEM_JSON, body);
    if let Some(wait) = error.retry_after() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(wait.as_secs()));
    }
    response
}

/// Joins an error and its sources into one line for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        for accepted in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert!(is_json_content_type(accepted), "{accepted}");
        }
        for rejected in [
            "",
            "text/plain",
            "application/json; charset=latin1",
            "application/jsonx",
            "application/x-www-form-urlencoded",
        ] {
            assert!(!is_json_content_type(rejected), "{rejected}");
        }
    }
}
