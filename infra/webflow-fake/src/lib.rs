//! An HTTP fake of the two Webflow Data API v2 endpoints that Sitelink calls, for
//! end-to-end tests and for running the service locally.
//!
//! Tests start it in-process with [`FakeWebflow::start`] and point the service at
//! [`FakeWebflow::base_url`]. People run the `webflow-fake` binary and use the token
//! convention or the control API below.
//!
//! # Endpoints
//!
//! - `GET /v2/sites` returns `{"sites": [Site]}` with the token's one site, shaped like
//!   the spec's `Site` schema.
//! - `GET /v2/token/authorized_by` returns `{id, email, firstName, lastName}`.
//!
//! Both require `Authorization: Bearer <token>` with a token of 64 hexadecimal characters.
//! A missing header, another scheme or another credential gets 401 `not_authorized`.
//! Error bodies are `{message, code, externalReference, details}` in that key order, as
//! the live API sends them. Other paths under `/v2/` get 404 `resource_not_found`.
//!
//! # Identity served for a token
//!
//! - Site id: the token's last 24 characters, lowercased, so tokens that share them
//!   belong to one site. [`FakeWebflow::site_id_for`] returns it.
//! - Workspace id: derived from the site id. User id: derived from the whole token.
//!   Both are 24 lowercase hexadecimal characters and the same on every run.
//! - `displayName` `Site <last4>`, `shortName` `site-<last4>`, user
//!   `owner-<last4>@example.com`, where `<last4>` is the token's last four characters,
//!   lowercased.
//!
//! # Behaviours
//!
//! Each token can have a [`Behaviour`] or a script of behaviours, for one [`Endpoint`] or
//! for both. A script is consumed one behaviour per request, and its last behaviour
//! repeats forever, so `[RateLimited, Valid]` gives one 429 and then 200s. An `Any`
//! script is shared by both endpoints and replaces the token's endpoint scripts. A
//! `Sites` or `AuthorizedBy` script set later overrides it on that endpoint.
//!
//! # Token convention
//!
//! Without an explicit behaviour, the first eight characters of the token choose one:
//!
//! | prefix     | behaviour                                                        |
//! |------------|------------------------------------------------------------------|
//! | `00000401` | 401 `not_authorized` on both endpoints (revoked)                 |
//! | `00000403` | 403 `missing_scopes` for `authorized_user:read` on `/token/authorized_by`, 200 on `/sites` |
//! | `00000429` | 429 `too_many_requests` with `Retry-After: 60`                    |
//! | `00000500` | 500 `internal_error`                                             |
//! | `00000502` | 502 with an HTML page, as from a proxy                           |
//!
//! Any other 64-hex token is valid. A behaviour set through the library or the control
//! API overrides the convention on the endpoints it covers.
//!
//! # Control API
//!
//! - `PUT /__fake/tokens/{token}` with the JSON body
//!   `{"endpoint": "sites" | "authorized_by" | "any", "behaviours": [...]}` sets a script.
//!   `endpoint` is optional and defaults to `"any"`. A behaviour is its snake_case name
//!   (`"revoked"`, `"missing_scope"`, `"html_502"`, ...) or, for a rate limit,
//!   `{"rate_limited": {"retry_after": "3600"}}` (`{"rate_limited": {}}` sends no
//!   `Retry-After`). The response repeats the script with the token's `site_id`.
//! - `GET /__fake/tokens/{token}` returns `{"site_id", "request_count"}`.
//! - `DELETE /__fake/tokens/{token}` removes the token's behaviours and request count.
//!
//! An invalid token or body gets 400 with `{"error": "<what is wrong>"}`. The control API
//! has no authentication, so bind the fake to a loopback address only.
//!
//! ```text
//! curl -X PUT http://127.0.0.1:8787/__fake/tokens/$TOKEN \
//!   -d '{"endpoint": "sites", "behaviours": [{"rate_limited": {"retry_after": "5"}}, "valid"]}'
//! ```
//!
//! # Sources
//!
//! The response bodies in `responses/` are examples from Webflow's OpenAPI description of
//! the Data API v2 and bodies that users reported from the live API. `responses/README.md`
//! gives the source of each file, and `responses/LICENSE` is Webflow's MIT licence.

mod api;
mod behaviour;
mod control;
mod identity;
mod server;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::error;

pub use behaviour::{Behaviour, Endpoint};

use behaviour::{Registry, validate_script, validate_token};
use server::AppState;

/// A running fake. The server runs on a spawned tokio task and starts a graceful shutdown
/// when this value is dropped or [`FakeWebflow::shutdown`] is called.
pub struct FakeWebflow {
    local_addr: SocketAddr,
    registry: Arc<Registry>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
}

impl FakeWebflow {
    /// Binds `addr` and starts serving on a spawned task. Pass port 0 for a free port.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the address, such as `AddrInUse`.
    pub async fn start(addr: SocketAddr) -> io::Result<FakeWebflow> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let registry = Arc::new(Registry::default());
        let (shutdown, shutdown_receiver) = watch::channel(false);

        let app = server::router(AppState {
            registry: Arc::clone(&registry),
            shutdown: shutdown_receiver.clone(),
        });
        let mut stop_receiver = shutdown_receiver;
        let stop_requested = async move {
            // An error means the sender is gone, which also means shutdown.
            let _ = stop_receiver.wait_for(|stopped| *stopped).await;
        };
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stop_requested)
                .await;
            if let Err(err) = served {
                error!(address = %local_addr, error = %err, "webflow-fake server failed");
            }
        });

        Ok(FakeWebflow {
            local_addr,
            registry,
            shutdown,
            server,
        })
    }

    /// Returns the base URL of the API, such as `http://127.0.0.1:8787/v2`, with no
    /// trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.local_addr)
    }

    /// Returns the address that the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Sets one behaviour for every later request with `token` to `endpoint`.
    /// Same as [`FakeWebflow::set_script`] with a one-element script.
    ///
    /// # Panics
    ///
    /// Panics if the token does not have 64 hexadecimal characters, or if a `retry_after`
    /// is not a valid header value.
    pub fn set_behaviour(&self, token: &str, endpoint: Endpoint, behaviour: Behaviour) {
        self.set_script(token, endpoint, vec![behaviour]);
    }

    /// Sets a script: each request with `token` to `endpoint` consumes the next behaviour,
    /// and the last one repeats forever. See the crate documentation for how `Any` and
    /// endpoint scripts combine.
    ///
    /// # Panics
    ///
    /// Panics if the token does not have 64 hexadecimal characters, if the script is
    /// empty, or if a `retry_after` is not a valid header value.
    pub fn set_script(&self, token: &str, endpoint: Endpoint, script: Vec<Behaviour>) {
        if let Err(message) = validate_token(token).and_then(|()| validate_script(&script)) {
            panic!("FakeWebflow::set_script: {message}");
        }
        self.registry.set_script(token, endpoint, script);
    }

    /// Removes the token's behaviours and request count, as `DELETE /__fake/tokens/{token}`
    /// does.
    pub fn reset(&self, token: &str) {
        self.registry.reset(token);
    }

    /// Returns the number of requests to `/v2/sites` and `/v2/token/authorized_by` whose
    /// bearer credential was exactly `token`, including those that got an error response.
    pub fn request_count(&self, token: &str) -> usize {
        self.registry.request_count(token)
    }

    /// Returns the id of the site served for `token`: its last 24 characters, lowercased.
    /// With `Behaviour::TwoSites` this is the first of the two sites.
    ///
    /// # Panics
    ///
    /// Panics if the token does not have 64 hexadecimal characters.
    pub fn site_id_for(token: &str) -> String {
        if let Err(message) = validate_token(token) {
            panic!("FakeWebflow::site_id_for: {message}");
        }
        identity::site_id(token)
    }

    /// Stops accepting connections and waits until open connections have closed.
    /// Requests held by `Behaviour::Hang` end with 503 `service_unavailable`.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Err(err) = (&mut self.server).await {
            error!(error = %err, "webflow-fake server task failed");
        }
    }
}

impl Drop for FakeWebflow {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}
