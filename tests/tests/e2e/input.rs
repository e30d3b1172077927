use serde_json::json;
use sitelink_tests::{EventBuilder, Function, Harness};

fn valid_body(token: &str) -> serde_json::Value {
    json!({ "site_token": token, "origin_owner_id": "c", "origin_owner_name": "C" })
}

async fn link_event(harness: &Harness, event: EventBuilder) -> sitelink_tests::Reply {
    harness
        .send(Function::Link, event.tenant("tenant-a").build())
        .await
}

#[tokio::test]
async fn content_type_must_be_json() {
    let harness = Harness::start().await;
    let body = valid_body(&harness.token()).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut event = EventBuilder::link(&body).without_header("content-type");
        if let Some(content_type) = content_type {
            event = event.header("content-type", content_type);
        }

        let reply = link_event(&harness, event).await;

        assert_eq!(reply.status, 415, "{content_type:?}");
        assert_eq!(reply.json["code"], "unsupported_media_type");
    }
}

#[tokio::test]
async fn oversized_body_is_413() {
    let harness = Harness::start().await;
    let mut body = valid_body(&harness.token());
    body["label"] = json!("x".repeat(17 * 1024));

    let reply = link_event(&harness, EventBuilder::link(&body.to_string())).await;

    assert_eq!(reply.status, 413);
    assert_eq!(reply.json["code"], "payload_too_large");
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let harness = Harness::start().await;
    let token = harness.token();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("array", b"[]".to_vec()),
        ("null", b"null".to_vec()),
        ("syntax", b"{\"site_token\": ".to_vec()),
        (
            "bom",
            [
                &[0xEF, 0xBB, 0xBF][..],
                valid_body(&token).to_string().as_bytes(),
            ]
            .concat(),
        ),
        ("not utf-8", b"{\"origin_owner_id\": \"\xff\"}".to_vec()),
        (
            "duplicate key",
            format!(r#"{{"site_token": "{token}", "site_token": "{token}"}}"#).into_bytes(),
        ),
        ("bare token", format!("\"{token}\"").into_bytes()),
    ];
    for (name, body) in cases {
        let reply = link_event(&harness, EventBuilder::link("").binary_body(&body)).await;

        assert_eq!(reply.status, 400, "{name}: {}", reply.text);
        assert_eq!(reply.json["code"], "malformed_body", "{name}");
    }
}

#[tokio::test]
async fn invalid_fields_are_422_naming_each_field() {
    let harness = Harness::start().await;
    let token = harness.token();
    let body = json!({
        "site_token": format!("{token}ff"),
        "origin_owner_id": 7,
        "label": "a\u{0007}b",
        "tenant": "someone-else",
    });

    let reply = link_event(&harness, EventBuilder::link(&body.to_string())).await;

    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(reply.json["code"], "validation_failed");
    let fields: Vec<(&str, &str)> = reply.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["field"].as_str().unwrap(),
                error["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            ("tenant", "unknown_field"),
            ("site_token", "invalid_format"),
            ("origin_owner_id", "invalid_type"),
            ("origin_owner_name", "missing"),
            ("label", "invalid_character"),
        ]
    );
    assert!(
        !reply.text.contains(&token[..32]),
        "the token is not echoed"
    );
    assert_eq!(
        harness.webflow.request_count(&format!("{token}ff")),
        0,
        "Webflow is not called"
    );
}
