//! A recording reverse proxy on 127.0.0.1: it forwards every request to one upstream
//! server and records, per request, when it arrived and when the upstream response was
//! ready. The harness puts one in front of moto and one in front of the Webflow fake to
//! see how long, and in what order, a function waits on downstream calls.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use runtime_emulator::stats::Exchange;
use tokio::net::TcpListener;
use tokio::runtime::Handle;

/// The largest request body forwarded, in bytes; DynamoDB's limit for one request is
/// 16 MB and the harness sends far less.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Exchanges recorded by every proxy, shared so that one drain returns every service's calls.
#[derive(Clone, Default)]
pub struct ExchangeLog(Arc<Mutex<Vec<Exchange>>>);

impl ExchangeLog {
    /// Removes and returns every exchange recorded so far.
    pub fn drain(&self) -> Vec<Exchange> {
        let mut exchanges = self.0.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *exchanges)
    }

    fn push(&self, exchange: Exchange) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(exchange);
    }
}

struct ProxyState {
    /// Scheme, host and port of the upstream server, without a trailing slash.
    upstream: String,
    /// Names the service in recorded operations that carry no `X-Amz-Target` header.
    label: &'static str,
    client: reqwest::Client,
    log: ExchangeLog,
}

/// Starts a proxy to `upstream` (such as `http://127.0.0.1:5000`) on a free port on
/// 127.0.0.1 and returns its address. It runs until the runtime behind `handle` stops.
pub fn start(
    handle: &Handle,
    upstream: &str,
    label: &'static str,
    log: ExchangeLog,
) -> std::io::Result<SocketAddr> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(std::io::Error::other)?;
    let state = Arc::new(ProxyState {
        upstream: upstream.trim_end_matches('/').to_owned(),
        label,
        client,
        log,
    });
    let listener = handle.block_on(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))?;
    let address = listener.local_addr()?;
    let app = Router::new().fallback(forward).with_state(state);
    handle.spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            eprintln!("sitelink-bench: the recording proxy stopped: {error}");
        }
    });
    Ok(address)
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let started_at = Instant::now();
    let (parts, body) = request.into_parts();
    let operation = operation_name(state.label, &parts.method, parts.uri.path(), &parts.headers);
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(error) => return bad_gateway(format!("reading the request body failed: {error}")),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |value| value.as_str());
    let url = format!("{}{}", state.upstream, path_and_query);

    let mut upstream_request = state.client.request(parts.method, url).body(body);
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name) {
            upstream_request = upstream_request.header(name, value);
        }
    }
    let upstream_response = match upstream_request.send().await {
        Ok(response) => response,
        Err(error) => return bad_gateway(format!("the upstream request failed: {error}")),
    };
    let status = upstream_response.status();
    let headers = upstream_response.headers().clone();
    let bytes = match upstream_response.bytes().await {
        Ok(bytes) => bytes,
        Err(error) => return bad_gateway(format!("reading the upstream body failed: {error}")),
    };

    state.log.push(Exchange {
        operation,
        started_at,
        finished_at: Instant::now(),
    });
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !is_hop_by_hop(name) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

/// Names an exchange by its AWS operation (`X-Amz-Target: DynamoDB_20120810.Query` gives
/// `DynamoDB.Query`), or by label, method and path.
fn operation_name(
    label: &str,
    method: &axum::http::Method,
    path: &str,
    headers: &HeaderMap,
) -> String {
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok());
    match target.and_then(|target| target.split_once('.')) {
        Some((service, action)) => {
            let service = match service {
                s if s.starts_with("DynamoDB") => "DynamoDB",
                s if s.eq_ignore_ascii_case("secretsmanager") => "SecretsManager",
                other => other,
            };
            format!("{service}.{action}")
        }
        None => format!("{label} {method} {path}"),
    }
}

/// Headers that describe one connection (RFC 9110 §7.6.1) or that the HTTP stack sets
/// from the body, so they are not copied across the proxy.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    [
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::HOST,
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ]
    .contains(name)
        || name.as_str() == "keep-alive"
}

fn bad_gateway(message: String) -> Response {
    eprintln!("sitelink-bench: proxy: {message}");
    (StatusCode::BAD_GATEWAY, message).into_response()
}
