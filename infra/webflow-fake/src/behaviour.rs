//! Behaviours, scripts and the per-token registry that picks the behaviour of each request.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::HeaderValue;
use serde::{Deserialize, Serialize};

/// The endpoints that a behaviour can be set for.
///
/// In the control API's JSON these are `"sites"`, `"authorized_by"` and `"any"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET /v2/sites`.
    Sites,
    /// `GET /v2/token/authorized_by`.
    AuthorizedBy,
    /// Both endpoints, sharing one script.
    Any,
}

/// The response that the fake sends to one request.
///
/// In the control API's JSON a behaviour without data is a string (`"revoked"`), and
/// `RateLimited` is an object: `{"rate_limited": {"retry_after": "60"}}` or
/// `{"rate_limited": {}}` for a 429 without `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// 200 with the token's site or user.
    Valid,
    /// 401 `not_authorized`, as for a revoked, expired or unknown token.
    Revoked,
    /// 403 `missing_scopes` with the live message form, which quotes the scope:
    /// `sites:read` on `/sites`, `authorized_user:read` on `/token/authorized_by`.
    MissingScope,
    /// 403 `missing_scopes` with the spec's message form, which does not quote the scope.
    MissingScopeSpecForm,
    /// 404 `resource_not_found`.
    NotFound,
    /// 429 `too_many_requests`, with a `Retry-After` header when `retry_after` is set.
    /// The value is sent as given, so it may be seconds or an HTTP date.
    RateLimited {
        #[serde(default)]
        retry_after: Option<String>,
    },
    /// 500 `internal_error`.
    ServerError,
    /// 503 `service_unavailable`.
    Unavailable,
    /// 502 with an HTML page such as a proxy in front of the API returns.
    #[serde(rename = "html_502")]
    Html502,
    /// 500 with a zero-length body.
    EmptyBody,
    /// 200 with a `text/plain` body that is not JSON.
    NotJson,
    /// Accepts the request and sends no response for 24 hours, or until the fake shuts
    /// down. Then it sends 503 `service_unavailable`.
    Hang,
    /// `/sites` returns `{"sites": []}`. Same as `Valid` on `/token/authorized_by`.
    NoSites,
    /// `/sites` returns the token's site and a second one. Same as `Valid` on
    /// `/token/authorized_by`.
    TwoSites,
    /// `/sites` returns one site with only `id` set, optional fields null or missing,
    /// and fields that the spec does not define. Same as `Valid` on `/token/authorized_by`.
    SparseSite,
}

/// Length of a Webflow Site API token: 64 hexadecimal characters.
pub(crate) const SITE_TOKEN_LENGTH: usize = 64;

/// Returns whether `token` has the form of a Site API token. The fake rejects any other
/// bearer credential with 401, as Webflow does for an unknown token.
pub(crate) fn is_site_token(token: &str) -> bool {
    token.len() == SITE_TOKEN_LENGTH && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Returns the last four characters of a credential, the only part that may be logged.
pub(crate) fn token_hint(token: &str) -> String {
    let start = token.len().saturating_sub(4);
    match token.get(start..) {
        Some(hint) => hint.to_owned(),
        None => "****".to_owned(),
    }
}

/// Checks a token given to the library or the control API. The error message states the
/// expected form.
pub(crate) fn validate_token(token: &str) -> Result<(), String> {
    if is_site_token(token) {
        Ok(())
    } else {
        Err(format!(
            "invalid token ending in `{}`: expected {SITE_TOKEN_LENGTH} hexadecimal characters, \
             because the fake rejects every other credential with 401",
            token_hint(token)
        ))
    }
}

/// Checks a script given to the library or the control API.
pub(crate) fn validate_script(script: &[Behaviour]) -> Result<(), String> {
    if script.is_empty() {
        return Err("the list of behaviours is empty: give at least one behaviour".to_owned());
    }
    for behaviour in script {
        if let Behaviour::RateLimited {
            retry_after: Some(value),
        } = behaviour
            && HeaderValue::from_str(value).is_err()
        {
            return Err(format!(
                "invalid retry_after {value:?}: expected a header value such as \"60\" \
                 or an HTTP date"
            ));
        }
    }
    Ok(())
}

/// Returns the behaviour that the token's first eight characters select, for people who
/// run the binary and cannot call the control API from their client.
fn conventional_behaviour(token: &str, endpoint: ServedEndpoint) -> Behaviour {
    match token.get(..8) {
        Some("00000401") => Behaviour::Revoked,
        Some("00000403") if endpoint == ServedEndpoint::AuthorizedBy => Behaviour::MissingScope,
        Some("00000429") => Behaviour::RateLimited {
            retry_after: Some("60".to_owned()),
        },
        Some("00000500") => Behaviour::ServerError,
        Some("00000502") => Behaviour::Html502,
        _ => Behaviour::Valid,
    }
}

/// The endpoint that a request reached, as opposed to [`Endpoint`], which may also be `Any`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ServedEndpoint {
    Sites,
    AuthorizedBy,
}

/// A list of behaviours consumed one per request. The last one repeats forever.
#[derive(Clone, Debug)]
struct Script {
    steps: Vec<Behaviour>,
    next: usize,
}

impl Script {
    fn new(steps: Vec<Behaviour>) -> Self {
        Self { steps, next: 0 }
    }

    fn advance(&mut self) -> Behaviour {
        let index = self.next.min(self.steps.len() - 1);
        if self.next < self.steps.len() {
            self.next += 1;
        }
        self.steps[index].clone()
    }
}

#[derive(Debug, Default)]
struct TokenState {
    any: Option<Script>,
    sites: Option<Script>,
    authorized_by: Option<Script>,
    request_count: usize,
}

/// Behaviours set for each token and the number of requests seen with it.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    tokens: Mutex<HashMap<String, TokenState>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, TokenState>> {
        // No code panics while holding the lock, so the map is consistent even if poisoned.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the script for `endpoint`. `Any` replaces every script of the token, and a
    /// later `Sites` or `AuthorizedBy` script overrides it on that endpoint.
    /// The caller validates the script first.
    pub(crate) fn set_script(&self, token: &str, endpoint: Endpoint, steps: Vec<Behaviour>) {
        let mut tokens = self.lock();
        let state = tokens.entry(token.to_owned()).or_default();
        let script = Some(Script::new(steps));
        match endpoint {
            Endpoint::Any => {
                state.any = script;
                state.sites = None;
                state.authorized_by = None;
            }
            Endpoint::Sites => state.sites = script,
            Endpoint::AuthorizedBy => state.authorized_by = script,
        }
    }

    /// Removes the token's scripts and request count.
    pub(crate) fn reset(&self, token: &str) {
        self.lock().remove(token);
    }

    pub(crate) fn record_request(&self, token: &str) {
        self.lock()
            .entry(token.to_owned())
            .or_default()
            .request_count += 1;
    }

    pub(crate) fn request_count(&self, token: &str) -> usize {
        self.lock()
            .get(token)
            .map_or(0, |state| state.request_count)
    }

    /// Consumes the next behaviour for a request to `endpoint`: the endpoint's own script
    /// first, then the `Any` script, then the token-prefix convention.
    pub(crate) fn next_behaviour(&self, token: &str, endpoint: ServedEndpoint) -> Behaviour {
        let mut tokens = self.lock();
        let Some(state) = tokens.get_mut(token) else {
            return conventional_behaviour(token, endpoint);
        };
        let own_script = match endpoint {
            ServedEndpoint::Sites => state.sites.as_mut(),
            ServedEndpoint::AuthorizedBy => state.authorized_by.as_mut(),
        };
        match own_script.or(state.any.as_mut()) {
            Some(script) => script.advance(),
            None => conventional_behaviour(token, endpoint),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn token_with_prefix(prefix: &str) -> String {
        format!("{prefix}{}", &TOKEN[prefix.len()..])
    }

    #[test]
    fn script_repeats_last_step() {
        let mut script = Script::new(vec![Behaviour::ServerError, Behaviour::Valid]);
        assert_eq!(script.advance(), Behaviour::ServerError);
        assert_eq!(script.advance(), Behaviour::Valid);
        assert_eq!(script.advance(), Behaviour::Valid);
    }

    #[test]
    fn convention_selects_by_prefix() {
        let cases = [
            ("00000401", ServedEndpoint::Sites, Behaviour::Revoked),
            ("00000401", ServedEndpoint::AuthorizedBy, Behaviour::Revoked),
            ("00000403", ServedEndpoint::Sites, Behaviour::Valid),
            (
                "00000403",
                ServedEndpoint::AuthorizedBy,
                Behaviour::MissingScope,
            ),
            (
                "00000429",
                ServedEndpoint::Sites,
                Behaviour::RateLimited {
                    retry_after: Some("60".to_owned()),
                },
            ),
            ("00000500", ServedEndpoint::Sites, Behaviour::ServerError),
            ("00000502", ServedEndpoint::AuthorizedBy, Behaviour::Html502),
            ("00000404", ServedEndpoint::Sites, Behaviour::Valid),
        ];
        for (prefix, endpoint, expected) in cases {
            let token = token_with_prefix(prefix);
            assert_eq!(
                conventional_behaviour(&token, endpoint),
                expected,
                "prefix {prefix} on {endpoint:?}"
            );
        }
    }

    #[test]
    fn endpoint_script_overrides_any() {
        let registry = Registry::default();
        registry.set_script(TOKEN, Endpoint::Any, vec![Behaviour::ServerError]);
        registry.set_script(TOKEN, Endpoint::Sites, vec![Behaviour::NoSites]);

        assert_eq!(
            registry.next_behaviour(TOKEN, ServedEndpoint::Sites),
            Behaviour::NoSites
        );
        assert_eq!(
            registry.next_behaviour(TOKEN, ServedEndpoint::AuthorizedBy),
            Behaviour::ServerError
        );
    }

    #[test]
    fn any_script_replaces_endpoint_scripts() {
        let registry = Registry::default();
        registry.set_script(TOKEN, Endpoint::Sites, vec![Behaviour::NoSites]);
        registry.set_script(TOKEN, Endpoint::Any, vec![Behaviour::Unavailable]);

        assert_eq!(
            registry.next_behaviour(TOKEN, ServedEndpoint::Sites),
            Behaviour::Unavailable
        );
    }

    #[test]
    fn any_script_is_shared_by_endpoints() {
        let registry = Registry::default();
        registry.set_script(
            TOKEN,
            Endpoint::Any,
            vec![Behaviour::Revoked, Behaviour::Valid],
        );

        assert_eq!(
            registry.next_behaviour(TOKEN, ServedEndpoint::AuthorizedBy),
            Behaviour::Revoked
        );
        assert_eq!(
            registry.next_behaviour(TOKEN, ServedEndpoint::Sites),
            Behaviour::Valid
        );
    }

    #[test]
    fn explicit_script_overrides_convention() {
        let registry = Registry::default();
        let token = token_with_prefix("00000401");
        registry.set_script(&token, Endpoint::AuthorizedBy, vec![Behaviour::Valid]);

        assert_eq!(
            registry.next_behaviour(&token, ServedEndpoint::AuthorizedBy),
            Behaviour::Valid
        );
        assert_eq!(
            registry.next_behaviour(&token, ServedEndpoint::Sites),
            Behaviour::Revoked
        );
    }

    #[test]
    fn reset_clears_script_and_count() {
        let registry = Registry::default();
        registry.set_script(TOKEN, Endpoint::Any, vec![Behaviour::Revoked]);
        registry.record_request(TOKEN);
        registry.reset(TOKEN);

        assert_eq!(registry.request_count(TOKEN), 0);
        assert_eq!(
            registry.next_behaviour(TOKEN, ServedEndpoint::Sites),
            Behaviour::Valid
        );
    }

    #[test]
    fn validate_token_requires_64_hex() {
        assert!(validate_token(TOKEN).is_ok());
        assert!(validate_token(&TOKEN.to_ascii_uppercase()).is_ok());
        assert!(validate_token("abc").is_err());
        assert!(validate_token(&TOKEN.replace('0', "g")).is_err());
        assert!(validate_token(&format!("{TOKEN}0")).is_err());
    }

    #[test]
    fn validate_script_rejects_bad_input() {
        assert!(validate_script(&[Behaviour::Valid]).is_ok());
        assert!(validate_script(&[]).is_err());
        let bad_header = Behaviour::RateLimited {
            retry_after: Some("60\n".to_owned()),
        };
        assert!(validate_script(&[bad_header]).is_err());
    }

    #[test]
    fn behaviour_json_shape() {
        let script: Vec<Behaviour> = serde_json::from_str(
            r#"["revoked", "html_502", {"rate_limited": {"retry_after": "3600"}}, {"rate_limited": {}}]"#,
        )
        .unwrap();
        assert_eq!(
            script,
            vec![
                Behaviour::Revoked,
                Behaviour::Html502,
                Behaviour::RateLimited {
                    retry_after: Some("3600".to_owned())
                },
                Behaviour::RateLimited { retry_after: None },
            ]
        );
    }

    #[test]
    fn token_hint_is_last_four() {
        assert_eq!(token_hint(TOKEN), "cdef");
        assert_eq!(token_hint("ab"), "ab");
    }
}
