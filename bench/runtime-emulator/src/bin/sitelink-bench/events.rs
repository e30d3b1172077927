//! API Gateway v2 (HTTP API, payload format 2.0) events, shaped as API Gateway sends them
//! to a function behind a JWT authorizer.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// One HTTP request as API Gateway would deliver it.
pub struct HttpEvent<'a> {
    pub method: &'a str,
    /// The route key's path, such as `/accounts/{account_id}/test`.
    pub route: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub path_parameters: Option<(&'a str, &'a str)>,
    pub json_body: Option<Value>,
    /// The JWT `sub` claim, which Sitelink reads as the tenant. `None` sends no
    /// authorizer context.
    pub tenant: Option<&'a str>,
}

impl HttpEvent<'_> {
    /// Serializes the event; `request_id` becomes `requestContext.requestId`.
    pub fn to_json(&self, request_id: &str) -> Vec<u8> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let route_key = format!("{} {}", self.method, self.route);

        let mut headers = Map::new();
        for (name, value) in [
            ("accept", "application/json"),
            ("host", "sitelink.execute-api.us-east-1.amazonaws.com"),
            ("user-agent", "sitelink-bench"),
            (
                "x-amzn-trace-id",
                "Root=1-00000000-000000000000000000000000",
            ),
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-port", "443"),
            ("x-forwarded-proto", "https"),
        ] {
            headers.insert(name.to_owned(), Value::String(value.to_owned()));
        }
        if self.json_body.is_some() {
            headers.insert(
                "content-type".to_owned(),
                Value::String("application/json".to_owned()),
            );
        }

        let mut context = json!({
            "accountId": "123456789012",
            "apiId": "sitelink",
            "domainName": "sitelink.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "sitelink",
            "http": {
                "method": self.method,
                "path": self.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "sitelink-bench"
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": now_ms
        });
        if let Some(tenant) = self.tenant {
            context["authorizer"] = json!({
                "jwt": {
                    "claims": {
                        "sub": tenant,
                        "iss": "https://issuer.example.com",
                        "aud": "sitelink",
                        "iat": "1767225600",
                        "exp": "1767229200"
                    },
                    "scopes": null
                }
            });
        }

        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": false
        });
        if !self.query.is_empty() {
            let parameters: Map<String, Value> = url::form_urlencoded::parse(self.query.as_bytes())
                .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
                .collect();
            event["queryStringParameters"] = Value::Object(parameters);
        }
        if let Some((name, value)) = self.path_parameters {
            event["pathParameters"] = json!({ name: value });
        }
        if let Some(body) = &self.json_body {
            event["body"] = Value::String(body.to_string());
        }
        serde_json::to_vec(&event).unwrap_or_default()
    }
}

/// The HTTP response a function returned, from its API Gateway v2 response object.
#[derive(Debug)]
pub struct HttpReply {
    pub status: u16,
    pub body: Value,
}

/// Parses a function's API Gateway v2 response. The body is parsed as JSON when it is
/// JSON, and kept as a string otherwise.
pub fn parse_reply(raw: &[u8]) -> Result<HttpReply, String> {
    let response: Value = serde_json::from_slice(raw).map_err(|error| {
        format!(
            "the function's response is not JSON ({error}): {}",
            String::from_utf8_lossy(raw)
        )
    })?;
    let status = response["statusCode"]
        .as_u64()
        .ok_or_else(|| format!("the function's response has no statusCode: {response}"))?
        as u16;
    let text = response["body"].as_str().unwrap_or_default();
    let body = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()));
    Ok(HttpReply { status, body })
}
