//! Starts the fake on 127.0.0.1:0 and calls it over HTTP, as Sitelink's tests do.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use webflow_fake::{Behaviour, Endpoint, FakeWebflow};

const TOKEN: &str = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";
const NOT_AUTHORIZED_BODY: &str = r#"{"message":"Request not authorized","code":"not_authorized","externalReference":null,"details":[]}"#;

async fn start() -> FakeWebflow {
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    FakeWebflow::start(loopback).await.unwrap()
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn token_with_prefix(prefix: &str) -> String {
    format!("{prefix}{}", &TOKEN[prefix.len()..])
}

fn is_object_id(value: &Value) -> bool {
    value.as_str().is_some_and(|id| {
        id.len() == 24
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

struct Reply {
    status: StatusCode,
    content_type: Option<String>,
    retry_after: Option<String>,
    body: String,
}

impl Reply {
    fn content_type(&self) -> &str {
        self.content_type.as_deref().unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("body is not JSON ({err}): {}", self.body))
    }
}

async fn get(fake: &FakeWebflow, path: &str, token: Option<&str>) -> Reply {
    let mut request = client().get(format!("{}{path}", fake.base_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|value: &reqwest::header::HeaderValue| value.to_str().unwrap().to_owned())
    };
    Reply {
        status: response.status(),
        content_type: header(CONTENT_TYPE),
        retry_after: header(RETRY_AFTER),
        body: response.text().await.unwrap(),
    }
}

async fn sites(fake: &FakeWebflow, token: &str) -> Reply {
    get(fake, "/sites", Some(token)).await
}

async fn authorized_by(fake: &FakeWebflow, token: &str) -> Reply {
    get(fake, "/token/authorized_by", Some(token)).await
}

fn control_url(fake: &FakeWebflow, token: &str) -> String {
    format!("http://{}/__fake/tokens/{token}", fake.local_addr())
}

#[tokio::test]
async fn base_url_has_no_trailing_slash() {
    let fake = start().await;
    let expected = format!("http://127.0.0.1:{}/v2", fake.local_addr().port());
    assert_eq!(fake.base_url(), expected);
}

#[tokio::test]
async fn valid_token_gets_its_site() {
    let fake = start().await;

    let reply = sites(&fake, TOKEN).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type().starts_with("application/json"));
    let body = reply.json();
    let sites = body["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 1);
    let site = &sites[0];
    assert_eq!(site["id"], FakeWebflow::site_id_for(TOKEN));
    assert_eq!(site["id"], &TOKEN[40..]);
    assert!(is_object_id(&site["id"]), "{site}");
    assert!(is_object_id(&site["workspaceId"]), "{site}");
    assert_eq!(site["displayName"], "Site c592");
    assert_eq!(site["shortName"], "site-c592");
    for key in [
        "previewUrl",
        "timeZone",
        "createdOn",
        "lastUpdated",
        "locales",
    ] {
        assert!(site.get(key).is_some(), "missing {key} in {site}");
    }
}

#[tokio::test]
async fn valid_token_gets_its_user() {
    let fake = start().await;

    let reply = authorized_by(&fake, TOKEN).await;

    assert_eq!(reply.status, StatusCode::OK);
    let user = reply.json();
    assert!(is_object_id(&user["id"]), "{user}");
    assert_eq!(user["email"], "owner-c592@example.com");
    assert!(user["firstName"].is_string());
    assert!(user["lastName"].is_string());
    assert_eq!(user.as_object().unwrap().len(), 4, "{user}");
}

#[tokio::test]
async fn identity_is_deterministic() {
    let first = start().await;
    let second = start().await;

    let first_site = sites(&first, TOKEN).await.json();
    let second_site = sites(&second, TOKEN).await.json();
    let first_user = authorized_by(&first, TOKEN).await.json();
    let second_user = authorized_by(&second, TOKEN).await.json();

    assert_eq!(first_site, second_site);
    assert_eq!(first_user, second_user);
}

#[tokio::test]
async fn tokens_with_same_suffix_share_site() {
    let fake = start().await;
    let other_token = format!("{}{}", "f".repeat(40), &TOKEN[40..]);

    let site = sites(&fake, TOKEN).await.json();
    let other_site = sites(&fake, &other_token).await.json();

    assert_eq!(site["sites"][0]["id"], other_site["sites"][0]["id"]);
    assert_eq!(
        site["sites"][0]["workspaceId"],
        other_site["sites"][0]["workspaceId"]
    );
}

#[tokio::test]
async fn uppercase_token_gets_lowercase_site_id() {
    let fake = start().await;
    let token = TOKEN.to_ascii_uppercase();

    let site = sites(&fake, &token).await.json();

    assert_eq!(site["sites"][0]["id"], &TOKEN[40..]);
    assert_eq!(FakeWebflow::site_id_for(&token), &TOKEN[40..]);
}

#[tokio::test]
async fn revoked_token_gets_401_body() {
    let fake = start().await;
    fake.set_behaviour(TOKEN, Endpoint::Any, Behaviour::Revoked);

    for reply in [sites(&fake, TOKEN).await, authorized_by(&fake, TOKEN).await] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.body, NOT_AUTHORIZED_BODY);
    }
}

#[tokio::test]
async fn bad_credentials_get_401() {
    let fake = start().await;
    let url = format!("{}/sites", fake.base_url());
    let short_token = &TOKEN[..63];
    let non_hex_token = format!("{}z", &TOKEN[..63]);
    let basic = format!("Basic {TOKEN}");
    let no_credential = "Bearer ".to_owned();
    let headers = [
        None,
        Some(basic.as_str()),
        Some(no_credential.as_str()),
        Some(TOKEN),
    ];

    for header in headers {
        let mut request = client().get(&url);
        if let Some(value) = header {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(response.text().await.unwrap(), NOT_AUTHORIZED_BODY);
    }
    for token in [short_token, non_hex_token.as_str()] {
        let reply = sites(&fake, token).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(reply.body, NOT_AUTHORIZED_BODY);
    }
}

#[tokio::test]
async fn prefix_convention() {
    let fake = start().await;

    let revoked = token_with_prefix("00000401");
    assert_eq!(
        sites(&fake, &revoked).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        authorized_by(&fake, &revoked).await.status,
        StatusCode::UNAUTHORIZED
    );

    let missing_scope = token_with_prefix("00000403");
    assert_eq!(sites(&fake, &missing_scope).await.status, StatusCode::OK);
    let reply = authorized_by(&fake, &missing_scope).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.json(),
        json!({
            "message": "OAuthForbidden: You are missing the following scopes - 'authorized_user:read'",
            "code": "missing_scopes",
            "externalReference": null,
            "details": [],
        })
    );

    let rate_limited = token_with_prefix("00000429");
    let reply = sites(&fake, &rate_limited).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.retry_after.as_deref(), Some("60"));
    assert_eq!(reply.json()["code"], "too_many_requests");

    let server_error = token_with_prefix("00000500");
    let reply = authorized_by(&fake, &server_error).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json()["code"], "internal_error");

    let bad_gateway = token_with_prefix("00000502");
    let reply = sites(&fake, &bad_gateway).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(reply.content_type().starts_with("text/html"));
    assert!(reply.body.contains("502 Bad Gateway"));

    let valid = token_with_prefix("00000404");
    assert_eq!(sites(&fake, &valid).await.status, StatusCode::OK);
}

#[tokio::test]
async fn explicit_behaviour_overrides_prefix() {
    let fake = start().await;
    let revoked = token_with_prefix("00000401");
    fake.set_behaviour(&revoked, Endpoint::Sites, Behaviour::Valid);

    assert_eq!(sites(&fake, &revoked).await.status, StatusCode::OK);
    assert_eq!(
        authorized_by(&fake, &revoked).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn script_429_then_valid() {
    let fake = start().await;
    let script = vec![
        Behaviour::RateLimited {
            retry_after: Some("3".to_owned()),
        },
        Behaviour::Valid,
    ];
    fake.set_script(TOKEN, Endpoint::Sites, script);

    let first = sites(&fake, TOKEN).await;
    assert_eq!(first.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.retry_after.as_deref(), Some("3"));
    assert_eq!(
        first.body,
        r#"{"message":"Too Many Requests","code":"too_many_requests","externalReference":null,"details":[]}"#
    );

    for _ in 0..2 {
        let reply = sites(&fake, TOKEN).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["sites"][0]["id"], &TOKEN[40..]);
    }
    assert_eq!(authorized_by(&fake, TOKEN).await.status, StatusCode::OK);
    assert_eq!(fake.request_count(TOKEN), 4);
}

#[tokio::test]
async fn rate_limited_without_retry_after() {
    let fake = start().await;
    fake.set_behaviour(
        TOKEN,
        Endpoint::Any,
        Behaviour::RateLimited { retry_after: None },
    );

    let reply = sites(&fake, TOKEN).await;

    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.retry_after, None);
}

#[tokio::test]
async fn missing_scope_names_endpoint_scope() {
    let fake = start().await;
    fake.set_behaviour(TOKEN, Endpoint::Any, Behaviour::MissingScope);

    let sites_reply = sites(&fake, TOKEN).await;
    let user_reply = authorized_by(&fake, TOKEN).await;

    assert_eq!(sites_reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        sites_reply.json()["message"],
        "OAuthForbidden: You are missing the following scopes - 'sites:read'"
    );
    assert_eq!(user_reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        user_reply.json()["message"],
        "OAuthForbidden: You are missing the following scopes - 'authorized_user:read'"
    );
}

#[tokio::test]
async fn missing_scope_spec_form_is_unquoted() {
    let fake = start().await;
    fake.set_behaviour(TOKEN, Endpoint::Sites, Behaviour::MissingScopeSpecForm);

    let reply = sites(&fake, TOKEN).await;

    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["code"], "missing_scopes");
    assert_eq!(
        reply.json()["message"],
        "OAuthForbidden: You are missing the following scopes - sites:read"
    );
}

#[tokio::test]
async fn error_behaviours_status_and_code() {
    let fake = start().await;
    let cases = [
        (
            Behaviour::NotFound,
            StatusCode::NOT_FOUND,
            "resource_not_found",
        ),
        (
            Behaviour::ServerError,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
        ),
        (
            Behaviour::Unavailable,
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
        ),
    ];

    for (behaviour, status, code) in cases {
        fake.set_behaviour(TOKEN, Endpoint::Any, behaviour.clone());
        for reply in [sites(&fake, TOKEN).await, authorized_by(&fake, TOKEN).await] {
            assert_eq!(reply.status, status, "{behaviour:?}");
            let body = reply.json();
            assert_eq!(body["code"], code, "{behaviour:?}");
            let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
            assert_eq!(
                keys.len(),
                4,
                "{behaviour:?} body has keys {keys:?}, expected message, code, externalReference, details"
            );
        }
    }
}

#[tokio::test]
async fn empty_body_and_not_json() {
    let fake = start().await;

    fake.set_behaviour(TOKEN, Endpoint::Any, Behaviour::EmptyBody);
    let reply = sites(&fake, TOKEN).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, "");

    fake.set_behaviour(TOKEN, Endpoint::Any, Behaviour::NotJson);
    let reply = authorized_by(&fake, TOKEN).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type().starts_with("text/plain"));
    assert!(serde_json::from_str::<Value>(&reply.body).is_err());
}

#[tokio::test]
async fn site_list_variants() {
    let fake = start().await;

    fake.set_behaviour(TOKEN, Endpoint::Sites, Behaviour::NoSites);
    assert_eq!(sites(&fake, TOKEN).await.json(), json!({ "sites": [] }));

    fake.set_behaviour(TOKEN, Endpoint::Sites, Behaviour::TwoSites);
    let body = sites(&fake, TOKEN).await.json();
    let two = body["sites"].as_array().unwrap();
    assert_eq!(two.len(), 2);
    assert_ne!(two[0]["id"], two[1]["id"]);
    assert!(two.iter().all(|site| is_object_id(&site["id"])));

    fake.set_behaviour(TOKEN, Endpoint::Sites, Behaviour::SparseSite);
    let body = sites(&fake, TOKEN).await.json();
    let sparse = body["sites"][0].as_object().unwrap();
    assert_eq!(sparse["id"], &TOKEN[40..]);
    assert!(sparse["displayName"].is_null());
    assert!(!sparse.contains_key("workspaceId"));
    let spec_keys = ["id", "displayName", "shortName", "lastPublished"];
    assert!(sparse.keys().any(|key| !spec_keys.contains(&key.as_str())));
}

#[tokio::test]
async fn site_variants_do_not_change_user() {
    let fake = start().await;
    fake.set_behaviour(TOKEN, Endpoint::Any, Behaviour::NoSites);

    let reply = authorized_by(&fake, TOKEN).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["email"], "owner-c592@example.com");
}

#[tokio::test]
async fn hang_outlasts_client_timeout() {
    let fake = start().await;
    fake.set_behaviour(TOKEN, Endpoint::Sites, Behaviour::Hang);

    let result = Client::new()
        .get(format!("{}/sites", fake.base_url()))
        .bearer_auth(TOKEN)
        .timeout(Duration::from_millis(300))
        .send()
        .await;

    let err = result.expect_err("a hanging request must time out");
    assert!(err.is_timeout(), "{err}");
    assert_eq!(fake.request_count(TOKEN), 1);
}

#[tokio::test]
async fn shutdown_ends_hanging_request() {
    let fake = start().await;
    fake.set_behaviour(TOKEN, Endpoint::Sites, Behaviour::Hang);
    let url = format!("{}/sites", fake.base_url());
    let hanging = tokio::spawn(async move { client().get(url).bearer_auth(TOKEN).send().await });
    while fake.request_count(TOKEN) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    tokio::time::timeout(Duration::from_secs(5), fake.shutdown())
        .await
        .expect("shutdown must not wait for the hang");

    let response = hanging.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn request_count_per_token() {
    let fake = start().await;
    let other_token = token_with_prefix("00000401");

    sites(&fake, TOKEN).await;
    authorized_by(&fake, TOKEN).await;
    sites(&fake, &other_token).await;

    assert_eq!(fake.request_count(TOKEN), 2);
    assert_eq!(fake.request_count(&other_token), 1);
    assert_eq!(fake.request_count(&TOKEN.replace('5', "6")), 0);
}

#[tokio::test]
async fn unknown_v2_path_gets_webflow_404() {
    let fake = start().await;

    let reply = get(&fake, "/sites/unknown/path", Some(TOKEN)).await;

    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json()["code"], "resource_not_found");
}

#[tokio::test]
#[should_panic(expected = "expected 64 hexadecimal characters")]
async fn set_behaviour_rejects_short_token() {
    let fake = start().await;
    fake.set_behaviour("abc", Endpoint::Any, Behaviour::Revoked);
}

#[tokio::test]
async fn control_endpoint_sets_and_resets_script() {
    let fake = start().await;
    let body = json!({
        "endpoint": "sites",
        "behaviours": ["revoked", {"rate_limited": {"retry_after": "3600"}}],
    });

    let response = client()
        .put(control_url(&fake, TOKEN))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let echoed: Value = response.json().await.unwrap();
    assert_eq!(echoed["site_id"], &TOKEN[40..]);
    assert_eq!(echoed["endpoint"], "sites");
    assert_eq!(echoed["behaviours"], body["behaviours"]);

    assert_eq!(sites(&fake, TOKEN).await.status, StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        let reply = sites(&fake, TOKEN).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(reply.retry_after.as_deref(), Some("3600"));
    }
    assert_eq!(authorized_by(&fake, TOKEN).await.status, StatusCode::OK);

    let status: Value = client()
        .get(control_url(&fake, TOKEN))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["request_count"], 4);

    let response = client()
        .delete(control_url(&fake, TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(sites(&fake, TOKEN).await.status, StatusCode::OK);
    assert_eq!(fake.request_count(TOKEN), 1);
}

#[tokio::test]
async fn control_endpoint_defaults_to_any() {
    let fake = start().await;

    let response = client()
        .put(control_url(&fake, TOKEN))
        .body(r#"{"behaviours": ["server_error", "valid"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    assert_eq!(
        authorized_by(&fake, TOKEN).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(sites(&fake, TOKEN).await.status, StatusCode::OK);
}

#[tokio::test]
async fn control_endpoint_rejects_bad_requests() {
    let fake = start().await;
    let cases = [
        (TOKEN, "not json", "invalid control request body"),
        (TOKEN, r#"{"behaviours": ["banned"]}"#, "unknown variant"),
        (TOKEN, r#"{"behaviours": []}"#, "empty"),
        (
            TOKEN,
            r#"{"behavior": ["revoked"], "behaviours": ["revoked"]}"#,
            "unknown field",
        ),
        (
            TOKEN,
            r#"{"endpoint": "pages", "behaviours": ["revoked"]}"#,
            "unknown variant",
        ),
        ("abc", r#"{"behaviours": ["revoked"]}"#, "hexadecimal"),
    ];

    for (token, body, expected) in cases {
        let response = client()
            .put(control_url(&fake, token))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: Value = response.json().await.unwrap();
        let message = error["error"].as_str().unwrap();
        assert!(message.contains(expected), "{body}: {message}");
    }
    assert_eq!(sites(&fake, TOKEN).await.status, StatusCode::OK);
}
