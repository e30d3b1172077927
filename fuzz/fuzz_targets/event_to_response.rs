//! Feeds arbitrary bytes through the path from a Lambda event to an HTTP response: the
//! bytes are either a whole API Gateway v2 event or the body of a `POST /accounts` event.
//! Every event that parses must get a response below 500, and none may panic.

#![no_main]

use std::sync::OnceLock;

use lambda_http::{Body, Request, Response};
use libfuzzer_sys::fuzz_target;
use sitelink_core::App;
use sitelink_core::config::Config;
use sitelink_core::testing::{EmptyStorage, RefusingWebflow};

type StubApp = App<EmptyStorage, EmptyStorage, RefusingWebflow>;

fn app() -> &'static StubApp {
    static APP: OnceLock<StubApp> = OnceLock::new();
    APP.get_or_init(|| {
        let config = Config::from_lookup(|name| match name {
            "SITELINK_TABLE_NAME" => Some("unused".to_owned()),
            "SITELINK_CURSOR_KEYS" => Some("fuzz-cursor-key-0123456789abcdef0123".to_owned()),
            _ => None,
        })
        .expect("configuration");
        App::with_ports(config, EmptyStorage, EmptyStorage, RefusingWebflow)
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime"))
}

/// Wraps `body` in a `POST /accounts` event with a tenant claim, as API Gateway sends it.
fn link_event(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let escaped = serde_json_escape(&text);
    format!(
        r#"{{"version":"2.0","routeKey":"POST /accounts","rawPath":"/accounts","rawQueryString":"",
        "headers":{{"content-type":"application/json"}},
        "requestContext":{{"accountId":"123456789012","apiId":"fuzz","domainName":"fuzz.example.com","domainPrefix":"fuzz",
        "http":{{"method":"POST","path":"/accounts","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"fuzz"}},
        "requestId":"fuzz","routeKey":"POST /accounts","stage":"$default","time":"04/Dec/2026:12:00:00 +0000","timeEpoch":0,
        "authorizer":{{"jwt":{{"claims":{{"sub":"tenant-fuzz"}},"scopes":null}}}}}},
        "body":"{escaped}","isBase64Encoded":false}}"#
    )
}

fn serde_json_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            c if (c as u32) < 0x20 => escaped.push_str(&format!("\\u{:04x}", c as u32)),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Percent-encodes every byte of `query` that may not appear raw in a URI query (RFC 3986).
fn percent_encode_query(query: &str) -> String {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
    let mut encoded = String::with_capacity(query.len());
    for byte in query.bytes() {
        if allowed(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn handle(request: Request) -> Response<Body> {
    let app = app();
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    runtime().block_on(async move {
        if method == "GET" {
            sitelink_core::http::handle_list(app, request).await
        } else if path.ends_with("/test") {
            sitelink_core::http::handle_test(app, request).await
        } else {
            sitelink_core::http::handle_link(app, request).await
        }
    })
}

/// Pins the URL parts of an arbitrary event to what API Gateway sends: its own domain name,
/// a `rawPath` that starts with `/`, and a percent-encoded `rawQueryString`.
///
/// NOTE: lambda_http 1.3 panics while converting an event whose host, path or query cannot
/// form a URI (it unwraps `Url::parse` and `Request::builder`), before any Sitelink code
/// runs. The release profile unwinds, so the runtime turns such a panic into a failed
/// invocation instead of a dead process.
fn with_api_gateway_host(event: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(event).ok()?;
    if let Some(headers) = value.get_mut("headers").and_then(|headers| headers.as_object_mut()) {
        headers.retain(|name, _| !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("x-forwarded-proto"));
    }
    if let Some(context) = value.get_mut("requestContext").and_then(|context| context.as_object_mut()) {
        context.insert("domainName".to_owned(), serde_json::Value::from("fuzz.example.com"));
    }
    if let Some(query) = value.get("rawQueryString").and_then(|query| query.as_str()) {
        let encoded = percent_encode_query(query);
        value["rawQueryString"] = serde_json::Value::from(encoded);
    }
    if let Some(path) = value.get("rawPath").and_then(|path| path.as_str()) {
        if !path.starts_with('/') {
            let fixed = format!("/{path}");
            value["rawPath"] = serde_json::Value::from(fixed);
        }
    }
    Some(value.to_string())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let event = if mode % 2 == 0 {
        match with_api_gateway_host(&String::from_utf8_lossy(rest)) {
            Some(event) => event,
            None => return,
        }
    } else {
        link_event(rest)
    };
    let Ok(request) = lambda_http::request::from_str(&event) else {
        return;
    };
    let response = handle(request);
    assert!(response.status().as_u16() < 500, "status {}", response.status());
});
