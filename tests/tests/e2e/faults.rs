use serde_json::Value;
use sitelink_tests::{Fault, Harness, Operation, token_for_same_site};

async fn list_all(harness: &Harness) -> Value {
    harness.list("tenant-a", "limit=100").await.json["data"].clone()
}

fn assert_storage_unavailable(reply: &sitelink_tests::Reply) {
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert_eq!(reply.json["code"], "storage_unavailable");
    assert_eq!(reply.headers["retry-after"], "1");
}

#[tokio::test]
async fn link_storage_faults_leave_nothing_behind() {
    let cases = [
        (Operation::FindLinked, Fault::Throttled),
        (Operation::CreateSecret, Fault::Failed),
        (Operation::CreateSecret, Fault::Throttled),
        (Operation::CreateAccount, Fault::Failed),
        (Operation::CreateAccount, Fault::Throttled),
    ];
    for (operation, fault) in cases {
        let harness = Harness::start().await;
        harness.faults.set(operation, fault);
        let token = harness.token();

        let reply = harness.link("tenant-a", &token, "c").await;

        assert_storage_unavailable(&reply);
        if fault == Fault::Throttled {
            assert!(
                reply.json["detail"]
                    .as_str()
                    .unwrap()
                    .contains("throttling"),
                "{operation:?}"
            );
        }
        assert!(
            harness.secret_names().await.is_empty(),
            "{operation:?}: no secret left"
        );
        assert_eq!(
            harness.item_count().await,
            0,
            "{operation:?}: no record left"
        );
    }
}

#[tokio::test]
async fn failed_cleanup_is_logged_as_an_orphan() {
    let harness = Harness::start().await;
    harness.faults.set(Operation::CreateAccount, Fault::Failed);
    harness.faults.set(Operation::DeleteSecret, Fault::Failed);
    let token = harness.token();

    let reply = harness.link("tenant-a", &token, "c").await;

    assert_storage_unavailable(&reply);
    assert_eq!(
        harness.item_count().await,
        0,
        "no record points at anything"
    );
    let secrets = harness.secret_names().await;
    assert_eq!(secrets.len(), 1, "the secret is the only thing left");
    let logs = sitelink_tests::captured_logs();
    assert!(
        logs.lines()
            .any(|line| line.contains("orphaned") && line.contains(&secrets[0])),
        "the orphan is logged by name"
    );
}

#[tokio::test]
async fn missing_table_is_503_and_leaves_no_secret() {
    let harness =
        Harness::start_with(|config| config.table_name = "sitelink-missing-table".to_owned()).await;
    let token = harness.token();

    let link = harness.link("tenant-a", &token, "c").await;
    assert_storage_unavailable(&link);
    assert!(harness.secret_names().await.is_empty());

    let list = harness.list("tenant-a", "").await;
    assert_storage_unavailable(&list);
    let test = harness
        .test("tenant-a", "acc_0123456789abcdef0123456789abcdef")
        .await;
    assert_storage_unavailable(&test);
}

#[tokio::test]
async fn failed_relink_keeps_account_and_old_token() {
    for operation in [Operation::Relink, Operation::PutSecret] {
        let harness = Harness::start().await;
        let old_token = harness.token();
        assert_eq!(harness.link("tenant-a", &old_token, "c").await.status, 201);
        let before = list_all(&harness).await;
        let new_token = harness.remember(token_for_same_site(&old_token));
        harness.faults.set(operation, Fault::Failed);

        let reply = harness.link("tenant-a", &new_token, "c").await;

        assert_storage_unavailable(&reply);
        harness.faults.clear();
        let secrets = harness.secret_names().await;
        assert_eq!(secrets.len(), 1);
        assert_eq!(
            harness.stored_token(&secrets[0]).await.as_deref(),
            Some(old_token.as_str()),
            "{operation:?}"
        );
        assert_eq!(
            list_all(&harness).await,
            before,
            "{operation:?}: the account is unchanged"
        );
    }
}

#[tokio::test]
async fn link_retried_after_write_is_created() {
    let harness = Harness::start().await;
    harness
        .faults
        .set(Operation::CreateAccount, Fault::RetriedAfterWrite);
    let token = harness.token();

    let reply = harness.link("tenant-a", &token, "c").await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    let secrets = harness.secret_names().await;
    assert_eq!(secrets.len(), 1, "the account keeps its one secret");
    assert!(
        secrets[0].ends_with(reply.json["id"].as_str().unwrap()),
        "the secret is the new account's"
    );
    assert_eq!(
        harness.stored_token(&secrets[0]).await.as_deref(),
        Some(token.as_str())
    );
    assert_eq!(list_all(&harness).await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn relink_survives_failed_secret_cleanup() {
    let harness = Harness::start().await;
    let old_token = harness.token();
    let first = harness.link("tenant-a", &old_token, "c").await;
    assert_eq!(first.status, 201, "{}", first.text);
    let account_secret = harness.secret_names().await;
    assert_eq!(account_secret.len(), 1);
    let new_token = harness.remember(token_for_same_site(&old_token));
    harness.faults.set(Operation::DeleteSecret, Fault::Failed);

    let reply = harness.link("tenant-a", &new_token, "c").await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["id"], first.json["id"]);
    assert_eq!(
        harness.stored_token(&account_secret[0]).await.as_deref(),
        Some(new_token.as_str()),
        "the account's secret holds the new token"
    );
    let orphans: Vec<String> = harness
        .secret_names()
        .await
        .into_iter()
        .filter(|name| *name != account_secret[0])
        .collect();
    assert_eq!(orphans.len(), 1, "the unused secret is left for the sweep");
    let logs = sitelink_tests::captured_logs();
    assert!(
        logs.lines()
            .any(|line| line.contains("orphan sweep") && line.contains(&orphans[0])),
        "the unused secret is logged by name"
    );
}

#[tokio::test]
async fn test_storage_faults_change_nothing() {
    for operation in [
        Operation::GetAccount,
        Operation::GetSecret,
        Operation::RecordTest,
    ] {
        let harness = Harness::start().await;
        let token = harness.token();
        let id = harness.linked_id("tenant-a", &token, "c").await;
        let before = list_all(&harness).await;
        harness.faults.set(operation, Fault::Throttled);

        let reply = harness.test("tenant-a", &id).await;

        assert_storage_unavailable(&reply);
        harness.faults.clear();
        assert_eq!(list_all(&harness).await, before, "{operation:?}");
    }
}

#[tokio::test]
async fn list_fault_is_503() {
    let harness = Harness::start().await;
    harness.faults.set(Operation::List, Fault::Failed);

    assert_storage_unavailable(&harness.list("tenant-a", "").await);
}

#[tokio::test]
async fn secret_scheduled_for_deletion_is_409() {
    let harness = Harness::start().await;
    let token = harness.token();
    let id = harness.linked_id("tenant-a", &token, "c").await;
    let secret = harness.secret_names().await.remove(0);
    harness
        .secrets
        .delete_secret()
        .secret_id(&secret)
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();

    let reply = harness.test("tenant-a", &id).await;

    assert_eq!(reply.status, 409, "{}", reply.text);
    assert_eq!(reply.json["code"], "secret_missing");
}

/// Accepts TCP connections on 127.0.0.1 and never responds, like a hung peer. Returns its
/// URL; the listener lives as long as the test process.
fn silent_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            open.push(stream);
        }
    });
    url
}

#[tokio::test]
async fn hung_dynamodb_call_is_503() {
    let harness = Harness::start().await;
    let config = harness.app.config.clone();
    let sdk = sitelink_tests::emulator_config().await;
    let silent_dynamodb = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(silent_endpoint())
        .build();
    let app = sitelink_core::App::with_ports(
        config.clone(),
        sitelink_core::adapters::DynamoAccountStore::new(
            aws_sdk_dynamodb::Client::from_conf(silent_dynamodb),
            harness.table.clone(),
        ),
        sitelink_core::adapters::SecretsManagerStore::new(harness.secrets.clone(), None),
        sitelink_core::webflow::WebflowClient::new(config.webflow).unwrap(),
    );
    let token = harness.token();
    let body = serde_json::json!({
        "site_token": token,
        "origin_owner_id": "c",
        "origin_owner_name": "Owner c",
    });
    let event = sitelink_tests::EventBuilder::link(&body.to_string())
        .tenant("tenant-a")
        .build();

    // Without the SDK timeouts this call would never return.
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        sitelink_core::http::handle_link(&app, event),
    )
    .await
    .expect("the link returns once the AWS timeouts fire");

    let reply: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
    assert_eq!(response.status(), 503, "{reply}");
    assert_eq!(reply["code"], "storage_unavailable");
    assert!(
        harness.secret_names().await.is_empty(),
        "the secret written alongside the hung read is deleted"
    );
}
