use std::time::{Duration, SystemTime};

use sitelink_core::operations::{SweepLimits, SweepReport, sweep_orphans};
use sitelink_tests::{Fault, Harness, Operation};

/// Leaves a secret without an account, as a link killed between its two writes would.
async fn leave_orphan(harness: &Harness) -> String {
    let before = harness.secret_names().await;
    harness.faults.set(Operation::CreateAccount, Fault::Failed);
    harness.faults.set(Operation::DeleteSecret, Fault::Failed);
    let token = harness.token();
    assert_eq!(
        harness
            .link("tenant-a", &token, &format!("owner-{token}")[..20])
            .await
            .status,
        503
    );
    harness.faults.clear();
    let after = harness.secret_names().await;
    after
        .into_iter()
        .find(|name| !before.contains(name))
        .expect("the orphaned secret")
}

async fn sweep(harness: &Harness, grace: Duration, max_deleted: usize) -> SweepReport {
    let limits = SweepLimits {
        grace,
        max_examined: 1000,
        max_deleted,
    };
    // Five seconds on, so that secrets made just now are past a zero grace period even
    // where the emulator rounds creation times to the second.
    let now = SystemTime::now() + Duration::from_secs(5);
    sweep_orphans(
        &harness.app.accounts,
        &harness.app.secrets,
        &harness.secret_prefix,
        &limits,
        now,
    )
    .await
    .expect("sweep")
}

#[tokio::test]
async fn sweep_deletes_only_old_orphans() {
    let harness = Harness::start().await;
    let token = harness.token();
    assert_eq!(harness.link("tenant-a", &token, "kept").await.status, 201);
    let linked_secret = harness.secret_names().await.remove(0);
    let orphan = leave_orphan(&harness).await;
    let foreign = format!("{}not-a-sitelink-secret", harness.secret_prefix);
    harness
        .secrets
        .create_secret()
        .name(&foreign)
        .secret_string("{}")
        .send()
        .await
        .unwrap();

    let young = sweep(&harness, Duration::from_secs(3600), 100).await;
    assert_eq!(young.deleted, 0, "{young:?}");
    assert_eq!(young.too_young, 2, "{young:?}");

    let report = sweep(&harness, Duration::ZERO, 100).await;
    assert_eq!(
        report,
        SweepReport {
            examined: 3,
            deleted: 1,
            kept: 1,
            too_young: 0,
            unrecognized: 1,
            complete: true,
        }
    );
    let remaining = harness.secret_names().await;
    assert!(!remaining.contains(&orphan), "the orphan is gone");
    assert!(
        remaining.contains(&linked_secret) && remaining.contains(&foreign),
        "{remaining:?}"
    );
    let logs = sitelink_tests::captured_logs();
    assert!(
        logs.lines()
            .any(|line| line.contains("deleted an orphaned secret") && line.contains(&orphan))
    );

    let again = sweep(&harness, Duration::ZERO, 100).await;
    assert_eq!(
        again.deleted, 0,
        "a second run finds nothing more: {again:?}"
    );
    let test = harness
        .test("tenant-a", linked_secret.rsplit('/').next().unwrap())
        .await;
    assert_eq!(test.json["result"], "ok", "the linked account still works");
}

#[tokio::test]
async fn sweep_stops_at_its_deletion_limit() {
    let harness = Harness::start().await;
    leave_orphan(&harness).await;
    leave_orphan(&harness).await;

    let first = sweep(&harness, Duration::ZERO, 1).await;
    assert_eq!(first.deleted, 1);
    assert!(!first.complete);
    assert_eq!(harness.secret_names().await.len(), 1);

    let second = sweep(&harness, Duration::ZERO, 1).await;
    assert_eq!(second.deleted, 1);
    assert!(harness.secret_names().await.is_empty());
}
