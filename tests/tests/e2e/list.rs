use std::collections::BTreeSet;

use futures::StreamExt;
use serde_json::Value;
use sitelink_tests::Harness;
use webflow_fake::{Behaviour, Endpoint};

/// Links `count` accounts for `tenant`, spread over three origin owners, and returns the
/// ids with their owners and tokens.
async fn link_many(harness: &Harness, tenant: &str, count: usize) -> Vec<(String, String, String)> {
    let requests = (0..count).map(|index| {
        let token = harness.token();
        let owner = format!("owner-{}", index % 3);
        async move {
            let reply = harness.link(tenant, &token, &owner).await;
            assert_eq!(reply.status, 201, "{}", reply.text);
            (reply.json["id"].as_str().unwrap().to_owned(), owner, token)
        }
    });
    futures::stream::iter(requests)
        .buffer_unordered(8)
        .collect()
        .await
}

/// Follows `next_cursor` from the first page to the last and returns every id, in order.
async fn page_through(harness: &Harness, tenant: &str, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut full = query.to_owned();
        if let Some(cursor) = &cursor {
            full.push_str(&format!("&cursor={cursor}"));
        }
        let reply = harness.list(tenant, &full).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        for account in reply.json["data"].as_array().unwrap() {
            ids.push(account["id"].as_str().unwrap().to_owned());
        }
        match &reply.json["next_cursor"] {
            Value::String(next) => cursor = Some(next.clone()),
            Value::Null => return ids,
            other => panic!("next_cursor is {other}"),
        }
    }
    panic!("paging did not end");
}

#[tokio::test]
async fn paging_and_filters_across_60_accounts() {
    let harness = Harness::start().await;
    let accounts = link_many(&harness, "tenant-a", 60).await;
    // Two accounts of owner-1 fail their test, so they move to `error`.
    let failing: Vec<_> = accounts
        .iter()
        .filter(|(_, owner, _)| owner == "owner-1")
        .take(2)
        .collect();
    for (id, _, token) in &failing {
        harness
            .webflow
            .set_behaviour(token, Endpoint::Any, Behaviour::Revoked);
        assert_eq!(harness.test("tenant-a", id).await.json["status"], "error");
    }
    let all: BTreeSet<String> = accounts.iter().map(|(id, _, _)| id.clone()).collect();

    let paged = page_through(&harness, "tenant-a", "limit=7").await;
    assert_eq!(paged.len(), 60, "no account repeated or missed");
    assert_eq!(paged.iter().cloned().collect::<BTreeSet<_>>(), all);
    assert!(
        paged.windows(2).all(|pair| pair[0] < pair[1]),
        "ids come in order"
    );

    let owner_1 = page_through(&harness, "tenant-a", "limit=3&origin_owner_id=owner-1").await;
    let expected: BTreeSet<String> = accounts
        .iter()
        .filter(|(_, o, _)| o == "owner-1")
        .map(|(id, _, _)| id.clone())
        .collect();
    assert_eq!(owner_1.len(), 20);
    assert_eq!(owner_1.into_iter().collect::<BTreeSet<_>>(), expected);

    let errors = page_through(&harness, "tenant-a", "limit=1&status=error").await;
    let expected: BTreeSet<String> = failing.iter().map(|(id, _, _)| id.clone()).collect();
    assert_eq!(errors.into_iter().collect::<BTreeSet<_>>(), expected);

    let active_owner_1 = page_through(
        &harness,
        "tenant-a",
        "limit=100&status=active&origin_owner_id=owner-1",
    )
    .await;
    assert_eq!(active_owner_1.len(), 18);

    let default_page = harness.list("tenant-a", "").await;
    assert_eq!(default_page.json["data"].as_array().unwrap().len(), 25);
    harness.assert_no_token_in_logs();
}

#[tokio::test]
async fn paging_sees_accounts_added_meanwhile_without_repeats() {
    let harness = Harness::start().await;
    let before = link_many(&harness, "tenant-a", 10).await;
    let first = harness.list("tenant-a", "limit=4").await;
    let cursor = first.json["next_cursor"].as_str().unwrap().to_owned();
    let mut seen: Vec<String> = first.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();

    let added = link_many(&harness, "tenant-a", 5).await;
    let rest = {
        let mut ids = Vec::new();
        let mut next = Some(cursor);
        while let Some(cursor) = next {
            let reply = harness
                .list("tenant-a", &format!("limit=4&cursor={cursor}"))
                .await;
            ids.extend(
                reply.json["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["id"].as_str().unwrap().to_owned()),
            );
            next = reply.json["next_cursor"].as_str().map(str::to_owned);
        }
        ids
    };
    seen.extend(rest);

    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no account repeated");
    for (id, _, _) in before.iter().chain(added.iter()) {
        assert!(seen.contains(id), "every account seen: {id}");
    }
}

#[tokio::test]
async fn tampered_or_foreign_cursor_is_400() {
    let harness = Harness::start().await;
    link_many(&harness, "tenant-a", 3).await;
    let first = harness.list("tenant-a", "limit=1").await;
    let cursor = first.json["next_cursor"].as_str().unwrap().to_owned();

    let tampered = format!("{}A", &cursor[..cursor.len() - 1]);
    let cases = [
        ("tenant-a", format!("limit=1&cursor={tampered}")),
        (
            "tenant-a",
            format!("limit=1&cursor={}", &cursor[..cursor.len() / 2]),
        ),
        ("tenant-a", format!("limit=1&status=active&cursor={cursor}")),
        ("tenant-a", "cursor=not-a-cursor".to_owned()),
        ("tenant-b", format!("limit=1&cursor={cursor}")),
    ];
    for (tenant, query) in cases {
        let reply = harness.list(tenant, &query).await;
        assert_eq!(reply.status, 400, "{tenant} {query}: {}", reply.text);
        assert_eq!(reply.json["code"], "invalid_cursor");
    }
    let same_filters = harness
        .list("tenant-a", &format!("limit=1&cursor={cursor}"))
        .await;
    assert_eq!(same_filters.status, 200);
}

#[tokio::test]
async fn invalid_query_parameters_are_400() {
    let harness = Harness::start().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("status=paused", "status"),
        ("tenant=other", "tenant"),
        ("limit=5&limit=6", "limit"),
    ] {
        let reply = harness.list("tenant-a", query).await;
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.json["code"], "invalid_parameters");
        assert_eq!(reply.json["errors"][0]["field"], field, "{query}");
    }
}
