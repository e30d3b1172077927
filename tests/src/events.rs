//! API Gateway v2 (HTTP API) events, shaped as API Gateway sends them to a function.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::Request;
use serde_json::{Map, Value, json};

/// Builds one event. Without [`EventBuilder::tenant`] or [`EventBuilder::claims`] the
/// event has no authorizer context, as under `cargo lambda watch`.
#[derive(Debug, Clone)]
pub struct EventBuilder {
    method: &'static str,
    route: &'static str,
    path: String,
    query: String,
    headers: Map<String, Value>,
    path_parameters: Option<Value>,
    body: Option<Value>,
    base64: bool,
    claims: Option<Map<String, Value>>,
}

impl EventBuilder {
    pub fn new(method: &'static str, route: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            route,
            path: path.into(),
            query: String::new(),
            headers: Map::new(),
            path_parameters: None,
            body: None,
            base64: false,
            claims: None,
        }
    }

    /// `POST /accounts` with a JSON body.
    pub fn link(body: &str) -> Self {
        Self::new("POST", "/accounts", "/accounts")
            .header("content-type", "application/json")
            .body(body)
    }

    /// `POST /accounts/{account_id}/test`.
    pub fn test(account_id: &str) -> Self {
        Self::new(
            "POST",
            "/accounts/{account_id}/test",
            format!("/accounts/{account_id}/test"),
        )
        .path_parameter("account_id", account_id)
    }

    /// `GET /accounts` with a raw query string such as `limit=5&status=active`.
    pub fn list(query: &str) -> Self {
        let mut builder = Self::new("GET", "/accounts", "/accounts");
        builder.query = query.to_owned();
        builder
    }

    /// Sets the raw query string, such as `limit=5&status=active`.
    pub fn query(mut self, query: &str) -> Self {
        self.query = query.to_owned();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .insert(name.to_owned(), Value::String(value.to_owned()));
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.remove(name);
        self
    }

    pub fn path_parameter(mut self, name: &str, value: &str) -> Self {
        self.path_parameters = Some(json!({ name: value }));
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = Some(Value::String(body.to_owned()));
        self.base64 = false;
        self
    }

    /// Sets a body of arbitrary bytes, sent base64-encoded as API Gateway does for binary.
    pub fn binary_body(mut self, body: &[u8]) -> Self {
        self.body = Some(Value::String(STANDARD.encode(body)));
        self.base64 = true;
        self
    }

    /// Adds a JWT authorizer context whose `sub` claim names `tenant`.
    pub fn tenant(self, tenant: &str) -> Self {
        self.claims(
            json!({ "sub": tenant, "iss": "https://issuer.example.com", "aud": "sitelink" }),
        )
    }

    /// Adds a JWT authorizer context with these claims.
    pub fn claims(mut self, claims: Value) -> Self {
        self.claims = claims.as_object().cloned();
        self
    }

    pub fn build(self) -> Request {
        let mut context = json!({
            "accountId": "123456789012",
            "apiId": "sitelinktest",
            "domainName": "sitelinktest.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "sitelinktest",
            "http": {
                "method": self.method,
                "path": self.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "sitelink-tests"
            },
            "requestId": "test-request",
            "routeKey": format!("{} {}", self.method, self.route),
            "stage": "$default",
            "time": "04/Dec/2026:12:00:00 +0000",
            "timeEpoch": 1_796_385_600_000_u64
        });
        if let Some(claims) = self.claims {
            context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.route),
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": self.headers,
            "requestContext": context,
            "isBase64Encoded": self.base64
        });
        if let Some(parameters) = self.path_parameters {
            event["pathParameters"] = parameters;
        }
        if let Some(body) = self.body {
            event["body"] = body;
        }
        lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
    }
}
