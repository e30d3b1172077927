use sitelink_core::adapters::{DynamoAccountStore, SecretsManagerStore};
use sitelink_core::model::{Account, AccountStatus, AuthorizedUser, Site};
use sitelink_core::ports::{
    AccountStore, CreateOutcome, ListFilter, SecretStore, SecretTags, StoreError,
};
use sitelink_core::tenant::Tenant;
use sitelink_tests::{create_table, emulator_config, random_token};
use sitelink_validation::SiteToken;

fn account(id: &str, site_id: &str, owner: &str) -> Account {
    Account {
        id: id.to_owned(),
        provider: "webflow".to_owned(),
        origin_owner_id: owner.to_owned(),
        origin_owner_name: "Owner".to_owned(),
        label: None,
        status: AccountStatus::Active,
        status_reason: None,
        site: Site {
            id: site_id.to_owned(),
            display_name: Some("Site".to_owned()),
            short_name: None,
            workspace_id: None,
        },
        authorized_user: AuthorizedUser {
            id: "0123456789abcdef01234567".to_owned(),
            email: None,
        },
        token_hint: "abcd".to_owned(),
        created_at: "2026-12-04T12:00:00.000Z".to_owned(),
        updated_at: "2026-12-04T12:00:00.000Z".to_owned(),
        last_tested_at: None,
    }
}

const VERSION: &str = "3f0c2a1e-0000-4000-8000-000000000001";

fn account_id(index: usize) -> String {
    format!("acc_{index:032x}")
}

async fn store() -> DynamoAccountStore {
    let sdk = emulator_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = create_table(&client).await;
    DynamoAccountStore::new(client, table)
}

#[tokio::test]
async fn create_is_unique_per_site_and_owner() {
    let store = store().await;
    let tenant = Tenant::new("tenant-a").unwrap();

    let first = store
        .create(&tenant, &account(&account_id(1), "site1", "owner"), VERSION)
        .await
        .unwrap();
    let second = store
        .create(&tenant, &account(&account_id(2), "site1", "owner"), VERSION)
        .await
        .unwrap();
    let other_owner = store
        .create(
            &tenant,
            &account(&account_id(3), "site1", "owner2"),
            VERSION,
        )
        .await
        .unwrap();

    assert_eq!(first, CreateOutcome::Created);
    assert_eq!(second, CreateOutcome::SiteAlreadyLinked);
    assert_eq!(other_owner, CreateOutcome::Created);
    assert!(
        store.get(&tenant, &account_id(2)).await.unwrap().is_none(),
        "the losing transaction wrote nothing"
    );
    assert_eq!(
        store.find_linked(&tenant, "site1", "owner").await.unwrap(),
        Some(account_id(1))
    );
    let other_tenant = Tenant::new("tenant-b").unwrap();
    assert_eq!(
        store
            .find_linked(&other_tenant, "site1", "owner")
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .get(&other_tenant, &account_id(1))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn list_pages_in_id_order() {
    let store = store().await;
    let tenant = Tenant::new("tenant-a").unwrap();
    for index in 0..12 {
        let owner = if index % 2 == 0 { "even" } else { "odd" };
        store
            .create(
                &tenant,
                &account(&account_id(index), &format!("site{index}"), owner),
                VERSION,
            )
            .await
            .unwrap();
    }

    let first = store
        .list(&tenant, &ListFilter::default(), 5, None)
        .await
        .unwrap();
    let ids: Vec<_> = first.accounts.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids, (0..5).map(account_id).collect::<Vec<_>>());
    assert_eq!(first.continue_after, Some(account_id(4)));

    let rest = store
        .list(&tenant, &ListFilter::default(), 100, Some(&account_id(4)))
        .await
        .unwrap();
    assert_eq!(rest.accounts.len(), 7);
    assert_eq!(rest.continue_after, None);

    let odd = ListFilter {
        origin_owner_id: Some("odd".to_owned()),
        status: None,
    };
    let page = store.list(&tenant, &odd, 4, None).await.unwrap();
    let ids: Vec<_> = page.accounts.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids, [1, 3, 5, 7].map(account_id));
    assert_eq!(page.continue_after, Some(account_id(7)));
}

#[tokio::test]
async fn secrets_create_put_get_delete() {
    let sdk = emulator_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let store = SecretsManagerStore::new(client.clone(), None);
    let name = format!("sitelink-test/{}/acc", uuid::Uuid::now_v7().simple());
    let first = SiteToken::from_stored(random_token());
    let second = SiteToken::from_stored(random_token());
    let tags = SecretTags {
        tenant_key: "0123456789abcdef0123456789abcdef".to_owned(),
        account_id: "acc_x".to_owned(),
    };

    assert!(store.get(&name).await.unwrap().is_none());
    let first_version = uuid::Uuid::new_v4().to_string();
    store
        .create(&name, &first, &tags, &first_version)
        .await
        .unwrap();
    let stored = store.get(&name).await.unwrap().unwrap();
    assert_eq!(stored.token, first);
    assert_eq!(
        stored.version, first_version,
        "the caller's version id is kept"
    );
    let described = client
        .describe_secret()
        .secret_id(&name)
        .send()
        .await
        .unwrap();
    let tag_keys: Vec<_> = described
        .tags()
        .iter()
        .filter_map(|tag| tag.key())
        .collect();
    assert!(
        tag_keys.contains(&"sitelink:tenant") && tag_keys.contains(&"sitelink:account-id"),
        "{tag_keys:?}"
    );

    let second_version = uuid::Uuid::new_v4().to_string();
    store
        .put(&name, &second, &tags, &second_version)
        .await
        .unwrap();
    let stored = store.get(&name).await.unwrap().unwrap();
    assert_eq!(stored.token, second);
    assert_eq!(stored.version, second_version);

    store.delete(&name).await.unwrap();
    assert!(store.get(&name).await.unwrap().is_none());
    store.delete(&name).await.unwrap();
}

#[tokio::test]
async fn secret_scheduled_for_deletion_is_reported() {
    let sdk = emulator_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let store = SecretsManagerStore::new(client.clone(), None);
    let name = format!("sitelink-test/{}/acc", uuid::Uuid::now_v7().simple());
    let tags = SecretTags {
        tenant_key: "t".to_owned(),
        account_id: "a".to_owned(),
    };
    store
        .create(
            &name,
            &SiteToken::from_stored(random_token()),
            &tags,
            VERSION,
        )
        .await
        .unwrap();
    client
        .delete_secret()
        .secret_id(&name)
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();

    let error = store.get(&name).await.unwrap_err();

    assert!(
        matches!(error, StoreError::SecretScheduledForDeletion),
        "{error:?}"
    );
}
