use sitelink_tests::{Harness, token_for_same_site};
use webflow_fake::{Behaviour, Endpoint, FakeWebflow};

#[tokio::test]
async fn new_link_returns_201_with_location() {
    let harness = Harness::start().await;
    let token = harness.token();

    let reply = harness.link("tenant-a", &token, "customer-1").await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.json["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("acc_"), "{id}");
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(
        reply.headers["location"],
        format!("/accounts/{id}").as_str()
    );
    assert_eq!(reply.json["provider"], "webflow");
    assert_eq!(reply.json["status"], "active");
    assert_eq!(reply.json["status_reason"], serde_json::Value::Null);
    assert_eq!(reply.json["origin_owner_id"], "customer-1");
    assert_eq!(
        reply.json["site"]["id"],
        FakeWebflow::site_id_for(&token).as_str()
    );
    assert_eq!(reply.json["token_hint"], &token[60..]);
    assert!(
        reply.json["authorized_user"]["id"]
            .as_str()
            .is_some_and(|id| id.len() == 24)
    );
    assert!(reply.json.get("site_token").is_none());
    assert!(!reply.text.contains("arn:"), "{}", reply.text);

    let secrets = harness.secret_names().await;
    assert_eq!(secrets.len(), 1);
    assert!(secrets[0].ends_with(&id), "{secrets:?}");
    assert!(
        !secrets[0].contains("tenant-a"),
        "secret names carry no tenant id: {secrets:?}"
    );
    assert_eq!(
        harness.stored_token(&secrets[0]).await.as_deref(),
        Some(token.as_str())
    );
    assert_eq!(
        harness.item_count().await,
        2,
        "an account item and its uniqueness item"
    );

    let list = harness.list("tenant-a", "").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json["data"][0]["id"], id.as_str());
    let test = harness.test("tenant-a", &id).await;
    assert_eq!(test.status, 200, "{}", test.text);
    assert_eq!(test.json["result"], "ok");
    harness.assert_no_token_in_logs();
}

#[tokio::test]
async fn pasted_token_with_whitespace_links() {
    let harness = Harness::start().await;
    let token = harness.token();

    let reply = harness
        .link("tenant-a", &format!("  {token}\r\n"), "customer-1")
        .await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    let secrets = harness.secret_names().await;
    assert_eq!(
        harness.stored_token(&secrets[0]).await.as_deref(),
        Some(token.as_str())
    );
}

#[tokio::test]
async fn relink_uses_new_token() {
    let harness = Harness::start().await;
    let old_token = harness.token();
    let new_token = harness.remember(token_for_same_site(&old_token));
    let first = harness.link("tenant-a", &old_token, "customer-1").await;
    assert_eq!(first.status, 201);
    let id = first.json["id"].as_str().unwrap().to_owned();

    let second = harness.link("tenant-a", &new_token, "customer-1").await;

    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.json["id"], id.as_str());
    assert_eq!(second.json["token_hint"], &new_token[60..]);
    assert_eq!(second.json["created_at"], first.json["created_at"]);
    assert!(second.headers.get("location").is_none());
    let secrets = harness.secret_names().await;
    assert_eq!(
        secrets.len(),
        1,
        "a relink writes a new version of the same secret"
    );
    assert_eq!(
        harness.stored_token(&secrets[0]).await.as_deref(),
        Some(new_token.as_str())
    );

    // The old token is revoked: a test that still used it would fail.
    harness
        .webflow
        .set_behaviour(&old_token, Endpoint::Any, Behaviour::Revoked);
    let test = harness.test("tenant-a", &id).await;
    assert_eq!(test.json["result"], "ok", "{}", test.text);

    harness
        .webflow
        .set_behaviour(&new_token, Endpoint::Any, Behaviour::Revoked);
    let test = harness.test("tenant-a", &id).await;
    assert_eq!(test.json["result"], "token_invalid", "{}", test.text);

    let list = harness.list("tenant-a", "").await;
    assert_eq!(list.json["data"].as_array().unwrap().len(), 1);
    harness.assert_no_token_in_logs();
}

#[tokio::test]
async fn relink_resets_an_error_status() {
    let harness = Harness::start().await;
    let token = harness.token();
    let id = harness.linked_id("tenant-a", &token, "c").await;
    harness
        .webflow
        .set_behaviour(&token, Endpoint::Any, Behaviour::Revoked);
    assert_eq!(harness.test("tenant-a", &id).await.json["status"], "error");

    let fresh = harness.remember(token_for_same_site(&token));
    let relink = harness.link("tenant-a", &fresh, "c").await;

    assert_eq!(relink.status, 200);
    assert_eq!(relink.json["status"], "active");
    assert_eq!(relink.json["status_reason"], serde_json::Value::Null);
}

#[tokio::test]
async fn refused_relink_keeps_the_old_token() {
    let harness = Harness::start().await;
    let token = harness.token();
    let id = harness.linked_id("tenant-a", &token, "c").await;
    let refused = harness.remember(token_for_same_site(&token));
    harness
        .webflow
        .set_behaviour(&refused, Endpoint::Any, Behaviour::Revoked);

    let reply = harness.link("tenant-a", &refused, "c").await;

    assert_eq!(reply.status, 422);
    assert_eq!(reply.json["code"], "token_invalid");
    let secrets = harness.secret_names().await;
    assert_eq!(
        harness.stored_token(&secrets[0]).await.as_deref(),
        Some(token.as_str())
    );
    let test = harness.test("tenant-a", &id).await;
    assert_eq!(test.json["result"], "ok");
}

#[tokio::test]
async fn other_owner_of_same_site_gets_own_account() {
    let harness = Harness::start().await;
    let token = harness.token();

    let first = harness.link("tenant-a", &token, "owner#1").await;
    let second = harness.link("tenant-a", &token, "owner").await;

    assert_eq!(first.status, 201);
    assert_eq!(
        second.status, 201,
        "`#` in an owner id must not collide with another owner"
    );
    assert_ne!(first.json["id"], second.json["id"]);
    assert_eq!(harness.secret_names().await.len(), 2);
}

/// Asserts that a link with a token in `behaviour` fails with `status` and `code`, and
/// that nothing was stored.
async fn assert_link_fails(
    endpoint: Endpoint,
    behaviour: Behaviour,
    status: u16,
    code: &str,
) -> sitelink_tests::Reply {
    let harness = Harness::start().await;
    let token = harness.token();
    harness.webflow.set_behaviour(&token, endpoint, behaviour);

    let reply = harness.link("tenant-a", &token, "customer-1").await;

    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.json["code"], code, "{}", reply.text);
    assert_eq!(reply.headers["content-type"], "application/problem+json");
    assert_eq!(reply.json["status"], status);
    assert!(
        harness.secret_names().await.is_empty(),
        "no secret may be stored"
    );
    assert_eq!(harness.item_count().await, 0, "no record may be stored");
    harness.assert_no_token_in_logs();
    reply
}

#[tokio::test]
async fn revoked_token_is_token_invalid() {
    let reply = assert_link_fails(Endpoint::Any, Behaviour::Revoked, 422, "token_invalid").await;
    assert!(
        reply.json["detail"]
            .as_str()
            .unwrap()
            .contains("Apps & Integrations")
    );
}

#[tokio::test]
async fn missing_authorized_user_scope() {
    let reply = assert_link_fails(
        Endpoint::AuthorizedBy,
        Behaviour::MissingScope,
        422,
        "missing_scope",
    )
    .await;
    assert_eq!(reply.json["scope"], "authorized_user:read");
    assert!(
        reply.json["detail"]
            .as_str()
            .unwrap()
            .contains("Authorized user: read-only")
    );
}

#[tokio::test]
async fn authorized_by_refusal_is_a_missing_scope() {
    let reply = assert_link_fails(
        Endpoint::AuthorizedBy,
        Behaviour::Revoked,
        422,
        "missing_scope",
    )
    .await;
    assert_eq!(reply.json["scope"], "authorized_user:read");
}

#[tokio::test]
async fn missing_sites_scope_in_spec_form() {
    let reply = assert_link_fails(
        Endpoint::Sites,
        Behaviour::MissingScopeSpecForm,
        422,
        "missing_scope",
    )
    .await;
    assert_eq!(reply.json["scope"], "sites:read");
    assert!(
        reply.json["detail"]
            .as_str()
            .unwrap()
            .contains("Sites: read-only")
    );
}

#[tokio::test]
async fn rate_limit_is_503_with_retry_after() {
    let reply = assert_link_fails(
        Endpoint::Any,
        Behaviour::RateLimited {
            retry_after: Some("3600".to_owned()),
        },
        503,
        "provider_rate_limited",
    )
    .await;
    assert_eq!(reply.headers["retry-after"], "3600");
    assert_eq!(reply.json["retry_after_seconds"], 3600);
}

#[tokio::test]
async fn rate_limit_without_retry_after() {
    let reply = assert_link_fails(
        Endpoint::Any,
        Behaviour::RateLimited { retry_after: None },
        503,
        "provider_rate_limited",
    )
    .await;
    assert_eq!(reply.headers["retry-after"], "60");
}

#[tokio::test]
async fn webflow_errors_are_provider_unavailable() {
    let cases = [
        (Behaviour::ServerError, "HTTP 500"),
        (Behaviour::Unavailable, "HTTP 503"),
        (Behaviour::Html502, "HTTP 502"),
        (Behaviour::NotFound, "HTTP 404"),
        (Behaviour::EmptyBody, "HTTP 500"),
        (Behaviour::NotJson, "not the JSON it documents"),
    ];
    for (behaviour, cause) in cases {
        let reply =
            assert_link_fails(Endpoint::Sites, behaviour, 502, "provider_unavailable").await;
        let detail = reply.json["detail"].as_str().unwrap();
        assert!(detail.contains(cause), "{detail}");
        assert!(detail.contains("says nothing about the token"), "{detail}");
    }
}

#[tokio::test]
async fn hanging_webflow_times_out() {
    let reply = assert_link_fails(
        Endpoint::Sites,
        Behaviour::Hang,
        502,
        "provider_unavailable",
    )
    .await;
    assert!(
        reply.json["detail"]
            .as_str()
            .unwrap()
            .contains("did not answer in time")
    );
}

#[tokio::test]
async fn refused_connection_reads_differently_from_refused_token() {
    let harness = Harness::start_with(|config| {
        // Port 9 (discard) on loopback has no listener here, so the connection is refused.
        config.webflow.base_url = "http://127.0.0.1:9/v2".parse().unwrap();
    })
    .await;
    let token = harness.token();

    let reply = harness.link("tenant-a", &token, "c").await;

    assert_eq!(reply.status, 502, "{}", reply.text);
    assert_eq!(reply.json["code"], "provider_unavailable");
    let detail = reply.json["detail"].as_str().unwrap();
    assert!(detail.contains("connection to Webflow failed"), "{detail}");
    assert!(!detail.contains("refused the site token"), "{detail}");
    assert!(harness.secret_names().await.is_empty());
}

#[tokio::test]
async fn site_count_other_than_one() {
    for (behaviour, count) in [
        (Behaviour::NoSites, "0 sites"),
        (Behaviour::TwoSites, "2 sites"),
    ] {
        let reply = assert_link_fails(Endpoint::Sites, behaviour, 422, "not_a_site_token").await;
        assert!(reply.json["detail"].as_str().unwrap().contains(count));
    }
}

#[tokio::test]
async fn sparse_site_still_links() {
    let harness = Harness::start().await;
    let token = harness.token();
    harness
        .webflow
        .set_behaviour(&token, Endpoint::Sites, Behaviour::SparseSite);

    let reply = harness.link("tenant-a", &token, "c").await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.json["site"]["id"],
        FakeWebflow::site_id_for(&token).as_str()
    );
}

#[tokio::test]
async fn transient_failure_is_retried() {
    let harness = Harness::start().await;
    let token = harness.token();
    harness.webflow.set_script(
        &token,
        Endpoint::Sites,
        vec![
            Behaviour::RateLimited {
                retry_after: Some("0".to_owned()),
            },
            Behaviour::ServerError,
            Behaviour::Valid,
        ],
    );

    let reply = harness.link("tenant-a", &token, "c").await;

    assert_eq!(reply.status, 201, "{}", reply.text);
}

#[tokio::test]
async fn log_capture_covers_http_clients_at_trace() {
    let harness = Harness::start().await;
    let token = harness.token();

    assert_eq!(harness.link("tenant-a", &token, "c").await.status, 201);

    // The token checks on logs mean something only if the HTTP clients' own trace
    // output, where a header or body would leak, is captured.
    let logs = sitelink_tests::captured_logs();
    assert!(logs.contains("TRACE"), "trace level is captured");
    assert!(
        logs.contains("reqwest::"),
        "reqwest's log records are captured"
    );
    assert!(
        logs.contains("Secrets Manager.CreateSecret"),
        "the SDK's spans are captured"
    );
}

#[tokio::test]
async fn retry_after_as_http_date_is_honoured() {
    let harness = Harness::start().await;
    let token = harness.token();
    let soon =
        httpdate::fmt_http_date(std::time::SystemTime::now() + std::time::Duration::from_secs(1));
    harness.webflow.set_script(
        &token,
        Endpoint::Any,
        vec![
            Behaviour::RateLimited {
                retry_after: Some(soon),
            },
            Behaviour::Valid,
        ],
    );

    let reply = harness.link("tenant-a", &token, "c").await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(
        harness.webflow.request_count(&token) >= 3,
        "the rate-limited call was repeated"
    );
}
