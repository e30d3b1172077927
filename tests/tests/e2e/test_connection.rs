use serde_json::Value;
use sitelink_tests::{EventBuilder, Function, Harness};
use webflow_fake::{Behaviour, Endpoint};

async fn linked(harness: &Harness) -> (String, String) {
    let token = harness.token();
    let reply = harness.link("tenant-a", &token, "customer-1").await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    (token, reply.json["id"].as_str().unwrap().to_owned())
}

async fn stored_account(harness: &Harness, id: &str) -> Value {
    let list = harness.list("tenant-a", "").await;
    list.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["id"] == id)
        .cloned()
        .expect("the account is listed")
}

#[tokio::test]
async fn ok_result_records_time() {
    let harness = Harness::start().await;
    let (_, id) = linked(&harness).await;

    let reply = harness.test("tenant-a", &id).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["account_id"], id.as_str());
    assert_eq!(reply.json["result"], "ok");
    assert_eq!(reply.json["status"], "active");
    assert!(reply.json.get("error").is_none());
    let account = stored_account(&harness, &id).await;
    assert_eq!(account["last_tested_at"], reply.json["tested_at"]);
}

#[tokio::test]
async fn failure_sets_error_and_ok_restores_active() {
    let harness = Harness::start().await;
    let (token, id) = linked(&harness).await;

    harness
        .webflow
        .set_behaviour(&token, Endpoint::Any, Behaviour::Revoked);
    let failed = harness.test("tenant-a", &id).await;
    assert_eq!(failed.status, 200);
    assert_eq!(failed.json["result"], "token_invalid");
    assert_eq!(failed.json["status"], "error");
    assert_eq!(failed.json["error"]["code"], "token_invalid");
    let account = stored_account(&harness, &id).await;
    assert_eq!(account["status"], "error");
    assert_eq!(account["status_reason"]["code"], "token_invalid");
    assert_eq!(account["status_reason"]["at"], failed.json["tested_at"]);

    harness
        .webflow
        .set_behaviour(&token, Endpoint::Any, Behaviour::Valid);
    let restored = harness.test("tenant-a", &id).await;
    assert_eq!(restored.json["result"], "ok");
    assert_eq!(restored.json["status"], "active");
    let account = stored_account(&harness, &id).await;
    assert_eq!(account["status"], "active");
    assert_eq!(account["status_reason"], Value::Null);
    harness.assert_no_token_in_logs();
}

#[tokio::test]
async fn missing_scope_sets_error() {
    let harness = Harness::start().await;
    let (token, id) = linked(&harness).await;
    harness
        .webflow
        .set_behaviour(&token, Endpoint::AuthorizedBy, Behaviour::MissingScope);

    let reply = harness.test("tenant-a", &id).await;

    assert_eq!(reply.json["result"], "missing_scope");
    assert_eq!(reply.json["status"], "error");
    assert!(
        reply.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("authorized_user:read")
    );
}

#[tokio::test]
async fn transient_failures_leave_active_account_alone() {
    let harness = Harness::start().await;
    let (token, id) = linked(&harness).await;
    let cases = [
        (
            Behaviour::RateLimited {
                retry_after: Some("3600".to_owned()),
            },
            "rate_limited",
        ),
        (Behaviour::ServerError, "provider_unavailable"),
        (Behaviour::Html502, "provider_unavailable"),
    ];
    for (behaviour, result) in cases {
        harness
            .webflow
            .set_behaviour(&token, Endpoint::Any, behaviour);

        let reply = harness.test("tenant-a", &id).await;

        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.json["result"], result);
        assert_eq!(reply.json["status"], "active");
        assert_eq!(reply.json["error"]["code"], result);
        let account = stored_account(&harness, &id).await;
        assert_eq!(account["status"], "active");
        assert_eq!(account["last_tested_at"], reply.json["tested_at"]);
    }
}

#[tokio::test]
async fn transient_failure_keeps_error_status() {
    let harness = Harness::start().await;
    let (token, id) = linked(&harness).await;
    harness
        .webflow
        .set_behaviour(&token, Endpoint::Any, Behaviour::Revoked);
    harness.test("tenant-a", &id).await;

    harness
        .webflow
        .set_behaviour(&token, Endpoint::Any, Behaviour::ServerError);
    let reply = harness.test("tenant-a", &id).await;

    assert_eq!(reply.json["result"], "provider_unavailable");
    assert_eq!(reply.json["status"], "error");
    assert_eq!(
        stored_account(&harness, &id).await["status_reason"]["code"],
        "token_invalid"
    );
}

#[tokio::test]
async fn unknown_account_is_404() {
    let harness = Harness::start().await;

    let reply = harness
        .test("tenant-a", "acc_0123456789abcdef0123456789abcdef")
        .await;

    assert_eq!(reply.status, 404);
    assert_eq!(reply.json["code"], "account_not_found");
}

#[tokio::test]
async fn invalid_account_ids_are_400_before_any_lookup() {
    let harness = Harness::start().await;
    for id in [
        "../x",
        "",
        "acc_",
        "acc_XYZ",
        "acc_0123456789abcdef0123456789abcdef00",
        "ацц_0123",
    ] {
        let reply = harness
            .send(
                Function::Test,
                EventBuilder::test(id).tenant("tenant-a").build(),
            )
            .await;

        assert_eq!(reply.status, 400, "{id}: {}", reply.text);
        assert_eq!(reply.json["code"], "invalid_parameters");
        assert_eq!(reply.json["errors"][0]["field"], "account_id");
    }
}

#[tokio::test]
async fn missing_secret_is_409_with_the_fix() {
    let harness = Harness::start().await;
    let (token, id) = linked(&harness).await;
    let secret = harness.secret_names().await.remove(0);
    harness
        .secrets
        .delete_secret()
        .secret_id(&secret)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();

    let reply = harness.test("tenant-a", &id).await;

    assert_eq!(reply.status, 409, "{}", reply.text);
    assert_eq!(reply.json["code"], "secret_missing");
    assert!(
        reply.json["detail"]
            .as_str()
            .unwrap()
            .contains("POST /accounts")
    );

    // The fix the message gives: link the site again, which writes the secret anew.
    let fresh = harness.remember(sitelink_tests::token_for_same_site(&token));
    let relink = harness.link("tenant-a", &fresh, "customer-1").await;
    assert_eq!(relink.status, 200, "{}", relink.text);
    assert_eq!(relink.json["id"], id.as_str());
    let after = harness.test("tenant-a", &id).await;
    assert_eq!(after.json["result"], "ok", "{}", after.text);
}

#[tokio::test]
async fn every_webflow_answer_has_its_result() {
    let cases = [
        (Endpoint::Any, Behaviour::Revoked, "token_invalid", "error"),
        (
            Endpoint::Sites,
            Behaviour::MissingScope,
            "missing_scope",
            "error",
        ),
        (
            Endpoint::AuthorizedBy,
            Behaviour::MissingScopeSpecForm,
            "missing_scope",
            "error",
        ),
        (
            Endpoint::AuthorizedBy,
            Behaviour::Revoked,
            "missing_scope",
            "error",
        ),
        (
            Endpoint::Sites,
            Behaviour::NoSites,
            "token_invalid",
            "error",
        ),
        (
            Endpoint::Sites,
            Behaviour::TwoSites,
            "token_invalid",
            "error",
        ),
        (
            Endpoint::Any,
            Behaviour::RateLimited { retry_after: None },
            "rate_limited",
            "active",
        ),
        (
            Endpoint::Any,
            Behaviour::RateLimited {
                retry_after: Some("3600".to_owned()),
            },
            "rate_limited",
            "active",
        ),
        (
            Endpoint::Sites,
            Behaviour::NotFound,
            "provider_unavailable",
            "active",
        ),
        (
            Endpoint::Sites,
            Behaviour::ServerError,
            "provider_unavailable",
            "active",
        ),
        (
            Endpoint::Sites,
            Behaviour::Unavailable,
            "provider_unavailable",
            "active",
        ),
        (
            Endpoint::Sites,
            Behaviour::Html502,
            "provider_unavailable",
            "active",
        ),
        (
            Endpoint::Sites,
            Behaviour::EmptyBody,
            "provider_unavailable",
            "active",
        ),
        (
            Endpoint::Sites,
            Behaviour::NotJson,
            "provider_unavailable",
            "active",
        ),
        (
            Endpoint::Sites,
            Behaviour::Hang,
            "provider_unavailable",
            "active",
        ),
        (Endpoint::Sites, Behaviour::SparseSite, "ok", "active"),
    ];
    let harness = Harness::start().await;
    for (endpoint, behaviour, result, status) in cases {
        let (token, id) = linked(&harness).await;
        harness
            .webflow
            .set_behaviour(&token, endpoint, behaviour.clone());

        let reply = harness.test("tenant-a", &id).await;

        assert_eq!(reply.status, 200, "{behaviour:?}: {}", reply.text);
        assert_eq!(reply.json["result"], result, "{behaviour:?}");
        assert_eq!(reply.json["status"], status, "{behaviour:?}");
        assert_eq!(
            stored_account(&harness, &id).await["status"],
            status,
            "{behaviour:?}"
        );
    }
}

#[tokio::test]
async fn refused_connection_at_test_is_provider_unavailable() {
    let harness = Harness::start().await;
    let (_, id) = linked(&harness).await;
    let mut config = harness.app.config.clone();
    config.webflow.base_url = "http://127.0.0.1:9/v2".parse().unwrap();
    let unreachable = sitelink_core::App::with_ports(
        config.clone(),
        sitelink_core::adapters::DynamoAccountStore::new(
            harness.dynamodb.clone(),
            harness.table.clone(),
        ),
        sitelink_core::adapters::SecretsManagerStore::new(harness.secrets.clone(), None),
        sitelink_core::webflow::WebflowClient::new(config.webflow).unwrap(),
    );

    let response = sitelink_core::http::handle_test(
        &unreachable,
        EventBuilder::test(&id).tenant("tenant-a").build(),
    )
    .await;

    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    assert_eq!(body["result"], "provider_unavailable");
    assert_eq!(body["status"], "active");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("connection to Webflow failed")
    );
}

#[tokio::test]
async fn rate_limited_result_gives_retry_after() {
    let harness = Harness::start().await;
    let (token, id) = linked(&harness).await;
    let limited = Behaviour::RateLimited {
        retry_after: Some("3600".to_owned()),
    };
    harness
        .webflow
        .set_behaviour(&token, Endpoint::Any, limited);

    let reply = harness.test("tenant-a", &id).await;

    assert_eq!(reply.json["result"], "rate_limited");
    assert_eq!(reply.json["error"]["retry_after_seconds"], 3600);
}

#[tokio::test]
async fn query_parameters_are_rejected() {
    let harness = Harness::start().await;
    let (_, id) = linked(&harness).await;
    let mut event = EventBuilder::test(&id);
    event = event.query("force=1");

    let reply = harness
        .send(Function::Test, event.tenant("tenant-a").build())
        .await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.json["errors"][0]["field"], "force");
    assert_eq!(reply.json["errors"][0]["code"], "unknown_parameter");
}
