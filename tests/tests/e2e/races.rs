use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sitelink_tests::{Harness, token_for_same_site};
use webflow_fake::{Behaviour, Endpoint};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_links_make_one_account() {
    let harness = Harness::start().await;
    let token = harness.token();

    let replies =
        futures::future::join_all((0..50).map(|_| harness.link("tenant-a", &token, "customer-1")))
            .await;

    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|status| **status == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|status| *status == 200 || *status == 201),
        "{statuses:?}"
    );
    let ids: BTreeSet<&str> = replies
        .iter()
        .map(|reply| reply.json["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "every caller gets the one account: {ids:?}");
    assert_eq!(
        harness.secret_names().await.len(),
        1,
        "the losers' secrets are deleted"
    );
    assert_eq!(
        harness.item_count().await,
        2,
        "one account item and one uniqueness item"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tests_during_relink() {
    let harness = Arc::new(Harness::start().await);
    let old_token = harness.token();
    let id = harness.linked_id("tenant-a", &old_token, "c").await;
    // Tests that still read the old token fail; those that read the new one pass.
    harness
        .webflow
        .set_behaviour(&old_token, Endpoint::Any, Behaviour::Revoked);
    let new_token = harness.remember(token_for_same_site(&old_token));

    // A reader checks, while the race runs, that `last_tested_at` never moves back.
    let running = Arc::new(AtomicBool::new(true));
    let reader = {
        let harness = harness.clone();
        let running = running.clone();
        tokio::spawn(async move {
            let mut last = String::new();
            while running.load(Ordering::Relaxed) {
                let list = harness.list("tenant-a", "").await;
                if let Some(at) = list.json["data"][0]["last_tested_at"].as_str() {
                    assert!(
                        at >= last.as_str(),
                        "last_tested_at moved back from {last} to {at}"
                    );
                    last = at.to_owned();
                }
            }
        })
    };
    let tests = futures::future::join_all((0..20).map(|_| harness.test("tenant-a", &id)));
    let (test_replies, relink) = tokio::join!(tests, harness.link("tenant-a", &new_token, "c"));
    running.store(false, Ordering::Relaxed);
    reader
        .await
        .expect("the reader saw last_tested_at move forward only");

    assert_eq!(relink.status, 200, "{}", relink.text);
    let stored = &harness.list("tenant-a", "").await.json["data"][0];
    // A test that read the old token after the relink began is not recorded, so the
    // relink's `active` is never overwritten by a failure of the token it replaced.
    assert_eq!(stored["status"], "active", "{stored}");
    assert_eq!(stored["status_reason"], serde_json::Value::Null);
    let recorded = &stored["last_tested_at"];
    assert!(
        recorded.is_null()
            || test_replies
                .iter()
                .any(|reply| &reply.json["tested_at"] == recorded),
        "last_tested_at is unset or one of the tests' times: {recorded}"
    );

    let after = harness.test("tenant-a", &id).await;
    assert_eq!(
        after.json["result"], "ok",
        "once quiet, tests use the relinked token"
    );
    assert_eq!(after.json["status"], "active");
    let results: BTreeSet<&str> = test_replies
        .iter()
        .map(|reply| reply.json["result"].as_str().unwrap())
        .collect();
    assert!(
        results.is_subset(&BTreeSet::from(["ok", "token_invalid"])),
        "{results:?}"
    );
}
