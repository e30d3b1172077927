use serde_json::json;
use sitelink_tests::{EventBuilder, Function, Harness};

fn link_body(token: &str) -> String {
    json!({ "site_token": token, "origin_owner_id": "c", "origin_owner_name": "C" }).to_string()
}

#[tokio::test]
async fn other_tenant_sees_nothing() {
    let harness = Harness::start().await;
    let token = harness.token();
    let id = harness.linked_id("tenant-a", &token, "c").await;

    let list = harness.list("tenant-b", "").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json["data"], json!([]));
    assert_eq!(list.json["next_cursor"], serde_json::Value::Null);

    let test = harness.test("tenant-b", &id).await;
    assert_eq!(
        test.status, 404,
        "another tenant's account is not found, never forbidden"
    );
    assert_eq!(test.json["code"], "account_not_found");

    // Linking the same site as tenant B makes B's own account, not a relink of A's.
    let other = harness.link("tenant-b", &token, "c").await;
    assert_eq!(other.status, 201);
    assert_ne!(other.json["id"], id.as_str());
}

#[tokio::test]
async fn no_authorizer_and_no_local_tenant_is_401() {
    let harness = Harness::start().await;
    let token = harness.token();

    let reply = harness
        .send(
            Function::Link,
            EventBuilder::link(&link_body(&token)).build(),
        )
        .await;

    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(reply.json["code"], "unauthenticated");
    assert!(harness.secret_names().await.is_empty());
}

#[tokio::test]
async fn local_tenant_applies_only_without_authorizer() {
    let harness =
        Harness::start_with(|config| config.tenancy.local_tenant = Some("local".to_owned())).await;
    let token = harness.token();

    let local = harness
        .send(
            Function::Link,
            EventBuilder::link(&link_body(&token)).build(),
        )
        .await;
    assert_eq!(local.status, 201, "{}", local.text);
    let local_list = harness
        .send(Function::List, EventBuilder::list("").build())
        .await;
    assert_eq!(local_list.json["data"].as_array().unwrap().len(), 1);

    // With an authorizer context, the claims decide and the local setting is ignored.
    let claimed = harness.list("tenant-a", "").await;
    assert_eq!(claimed.json["data"], json!([]));
    let no_claim = harness
        .send(
            Function::List,
            EventBuilder::list("").claims(json!({ "iss": "x" })).build(),
        )
        .await;
    assert_eq!(no_claim.status, 401, "{}", no_claim.text);
}

#[tokio::test]
async fn tenant_claim_is_configurable() {
    let harness =
        Harness::start_with(|config| config.tenancy.claim = "custom:tenant".to_owned()).await;
    let token = harness.token();
    let claims = json!({ "sub": "user-1", "custom:tenant": "org-1" });

    let reply = harness
        .send(
            Function::Link,
            EventBuilder::link(&link_body(&token))
                .claims(claims)
                .build(),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);

    let org = harness
        .send(
            Function::List,
            EventBuilder::list("")
                .claims(json!({ "custom:tenant": "org-1" }))
                .build(),
        )
        .await;
    assert_eq!(org.json["data"].as_array().unwrap().len(), 1);
    let sub_only = harness
        .send(
            Function::List,
            EventBuilder::list("")
                .claims(json!({ "sub": "org-1" }))
                .build(),
        )
        .await;
    assert_eq!(sub_only.status, 401);
}

#[test]
fn template_never_sets_the_local_tenant() {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
            .expect("read template.yaml");
    assert!(
        template.contains("SITELINK_TABLE_NAME"),
        "the template configures the functions"
    );
    assert!(!template.contains("SITELINK_LOCAL_TENANT"));
}
