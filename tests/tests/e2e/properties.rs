//! Property tests of the request handling: any body, header, query or path reaches a 4xx
//! or a success, never a 5xx or a panic, and a token in the input never comes back.

use lambda_http::{Body, Request, Response};
use proptest::prelude::*;
use sitelink_core::App;
use sitelink_core::config::Config;
use sitelink_core::testing::{EmptyStorage, RefusingWebflow};
use sitelink_tests::EventBuilder;

type StubApp = App<EmptyStorage, EmptyStorage, RefusingWebflow>;

fn stub_app() -> StubApp {
    let config = Config::from_lookup(|name| match name {
        "SITELINK_TABLE_NAME" => Some("unused".to_owned()),
        "SITELINK_CURSOR_KEYS" => Some("property-test-key-0123456789abcdef".to_owned()),
        _ => None,
    })
    .expect("configuration");
    App::with_ports(config, EmptyStorage, EmptyStorage, RefusingWebflow)
}

fn body_text(response: &Response<Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

fn run(future: impl std::future::Future<Output = Response<Body>>) -> Response<Body> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

fn check(response: &Response<Body>, token: &str) -> Result<(), TestCaseError> {
    let status = response.status().as_u16();
    prop_assert!(status < 500, "status {status}: {}", body_text(response));
    prop_assert!(!body_text(response).contains(token), "the token came back");
    Ok(())
}

fn with_tenant(builder: EventBuilder, tenant: Option<&str>) -> Request {
    match tenant {
        Some(tenant) => builder.tenant(tenant).build(),
        None => builder.build(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn link_handles_any_body(
        prefix in prop::collection::vec(any::<u8>(), 0..64),
        token in "[0-9a-f]{64}",
        suffix in prop::collection::vec(any::<u8>(), 0..64),
        // Header values are visible ASCII: API Gateway delivers no others.
        content_type in prop::option::of("application/json(; ?charset=[a-zA-Z0-9-]{0,8})?|text/plain|[ -~]{0,20}"),
        tenant in prop::option::of(".{0,300}"),
    ) {
        let app = stub_app();
        let body = [prefix.as_slice(), token.as_bytes(), suffix.as_slice()].concat();
        let mut event = EventBuilder::link("").binary_body(&body).without_header("content-type");
        if let Some(content_type) = &content_type {
            event = event.header("content-type", content_type);
        }
        let response = run(sitelink_core::http::handle_link(&app, with_tenant(event, tenant.as_deref())));
        check(&response, &token)?;
    }

    #[test]
    fn link_handles_any_json_fields(
        site_token in prop_oneof![".{0,80}", "[0-9a-f]{64}"],
        owner in ".{0,200}",
        name in ".{0,250}",
        label in prop::option::of(".{0,120}"),
    ) {
        let app = stub_app();
        let body = serde_json::json!({
            "site_token": site_token, "origin_owner_id": owner, "origin_owner_name": name, "label": label,
        });
        let event = EventBuilder::link(&body.to_string()).tenant("tenant-a").build();
        let response = run(sitelink_core::http::handle_link(&app, event));
        let status = response.status().as_u16();
        prop_assert!(status == 422, "status {status}: {}", body_text(&response));
        if site_token.len() >= 8 {
            prop_assert!(!body_text(&response).contains(&site_token));
        }
    }

    #[test]
    fn test_handles_any_path_id(id in ".{0,80}|acc_[0-9a-f]{32}") {
        let app = stub_app();
        let event = EventBuilder::test(&id).tenant("tenant-a").build();
        let response = run(sitelink_core::http::handle_test(&app, event));
        let status = response.status().as_u16();
        prop_assert!(status == 400 || status == 404, "status {status}: {}", body_text(&response));
    }

    #[test]
    fn list_handles_any_query(query in "([a-z_%0-9]{0,16}=[a-zA-Z0-9%._~-]{0,40}&?){0,5}") {
        let app = stub_app();
        let event = EventBuilder::list(&query).tenant("tenant-a").build();
        let response = run(sitelink_core::http::handle_list(&app, event));
        let status = response.status().as_u16();
        prop_assert!(status == 200 || status == 400, "status {status} for {query}: {}", body_text(&response));
    }
}
