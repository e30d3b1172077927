//! The site and user that the fake serves for a token, derived from the token alone so that
//! every run and every instance of the fake returns the same ids.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Length of a Webflow object id (site, workspace, user): 24 lowercase hexadecimal characters.
const OBJECT_ID_LENGTH: usize = 24;

/// A Site as in the spec's `Site` schema. Bodies are serialized from these structs, not
/// from `serde_json::Value`, so the top-level keys keep the spec example's order. Keys
/// inside `locales` come out sorted.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Site {
    id: String,
    workspace_id: String,
    display_name: String,
    short_name: String,
    preview_url: String,
    time_zone: String,
    created_on: String,
    last_updated: String,
    last_published: Option<String>,
    parent_folder_id: Option<String>,
    custom_domains: Vec<CustomDomain>,
    locales: Value,
    data_collection_enabled: bool,
    data_collection_type: String,
}

#[derive(Debug, Serialize)]
struct SiteList {
    sites: Vec<Site>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct CustomDomain {
    id: String,
    url: String,
}

/// The body of `GET /token/authorized_by`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizedUser {
    id: String,
    email: String,
    first_name: String,
    last_name: String,
}

/// The spec's Site example. Its locale ids are valid object ids and are served as they
/// are. Its own `id`, `workspaceId` and `parentFolderId` are not valid, so every served
/// site overwrites them.
static SITE_TEMPLATE: LazyLock<Site> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../responses/sites_get.200.json"))
        .expect("responses/sites_get.200.json matches the Site struct")
});

/// Returns a 24-hex id derived from `label` and `input` with SHA-256.
fn derive_object_id(label: &str, input: &str) -> String {
    let digest = Sha256::new()
        .chain_update(label)
        .chain_update(b":")
        .chain_update(input)
        .finalize();
    hex::encode(&digest[..OBJECT_ID_LENGTH / 2])
}

/// Returns the site id of a token: its last 24 characters, lowercased, so tokens that share
/// them belong to one site. The caller checks that the token has 64 hex characters.
pub(crate) fn site_id(token: &str) -> String {
    token[token.len() - OBJECT_ID_LENGTH..].to_ascii_lowercase()
}

fn last_four(id: &str) -> &str {
    &id[id.len() - 4..]
}

/// Builds a site for `site_id`. The workspace comes from the token's site, so the second
/// site of [`two_sites_body`] shares the first one's workspace.
fn site(site_id: &str, workspace_id: &str) -> Site {
    let suffix = last_four(site_id);
    let short_name = format!("site-{suffix}");
    Site {
        id: site_id.to_owned(),
        workspace_id: workspace_id.to_owned(),
        display_name: format!("Site {suffix}"),
        preview_url: format!("https://screenshots.webflow.com/sites/{site_id}/preview.png"),
        parent_folder_id: None,
        custom_domains: vec![CustomDomain {
            id: derive_object_id("custom-domain", site_id),
            url: format!("{short_name}.example.com"),
        }],
        short_name,
        ..SITE_TEMPLATE.clone()
    }
}

fn workspace_id(token: &str) -> String {
    derive_object_id("workspace", &site_id(token))
}

fn to_json(sites: Vec<Site>) -> String {
    serde_json::to_string(&SiteList { sites }).expect("a SiteList always serializes")
}

/// Returns the `/sites` body for `Behaviour::Valid`: the token's one site.
pub(crate) fn sites_body(token: &str) -> String {
    to_json(vec![site(&site_id(token), &workspace_id(token))])
}

/// Returns the `/sites` body for `Behaviour::TwoSites`: the token's site, then a second
/// site in the same workspace.
pub(crate) fn two_sites_body(token: &str) -> String {
    let workspace_id = workspace_id(token);
    let second_site_id = derive_object_id("second-site", &site_id(token));
    to_json(vec![
        site(&site_id(token), &workspace_id),
        site(&second_site_id, &workspace_id),
    ])
}

/// Returns the `/sites` body for `Behaviour::SparseSite`. Only `id` is required by the
/// spec. The extra fields stand for fields that Webflow may add later.
pub(crate) fn sparse_site_body(token: &str) -> String {
    let body = json!({
        "sites": [{
            "id": site_id(token),
            "displayName": null,
            "shortName": null,
            "lastPublished": null,
            "parentFolderId": null,
            "customDomains": null,
            "siteFeatureFlags": { "newFeature": true },
            "archived": false,
        }]
    });
    body.to_string()
}

/// Returns the `/token/authorized_by` body: a user derived from the whole token, because
/// two tokens of one site may have been created by different users.
pub(crate) fn authorized_user_body(token: &str) -> String {
    let suffix = last_four(token).to_ascii_lowercase();
    let user = AuthorizedUser {
        id: derive_object_id("user", &token.to_ascii_lowercase()),
        email: format!("owner-{suffix}@example.com"),
        first_name: "Owner".to_owned(),
        last_name: suffix,
    };
    serde_json::to_string(&user).expect("an AuthorizedUser always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF";

    fn is_object_id(value: &str) -> bool {
        value.len() == OBJECT_ID_LENGTH
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    /// Collects every string under a key named `id` or ending in `Id`.
    fn collect_ids(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    if (key == "id" || key.ends_with("Id"))
                        && let Value::String(id) = child
                    {
                        found.push(id.clone());
                    }
                    collect_ids(child, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect_ids(item, found)),
            _ => {}
        }
    }

    #[test]
    fn site_id_is_lowercased_suffix() {
        assert_eq!(site_id(TOKEN), "89abcdef0123456789abcdef");
    }

    #[test]
    fn derived_ids_are_object_ids() {
        let id = derive_object_id("workspace", TOKEN);
        assert!(is_object_id(&id), "{id}");
        assert_eq!(id, derive_object_id("workspace", TOKEN));
        assert_ne!(id, derive_object_id("user", TOKEN));
    }

    #[test]
    fn served_bodies_contain_only_object_ids() {
        let bodies = [
            sites_body(TOKEN),
            two_sites_body(TOKEN),
            sparse_site_body(TOKEN),
            authorized_user_body(TOKEN),
        ];
        for body in bodies {
            let body: Value = serde_json::from_str(&body).unwrap();
            let mut ids = Vec::new();
            collect_ids(&body, &mut ids);
            assert!(!ids.is_empty(), "{body}");
            for id in ids {
                assert!(is_object_id(&id), "{id} in {body}");
            }
        }
    }

    #[test]
    fn site_has_every_spec_example_field() {
        let spec_example: Value =
            serde_json::from_str(include_str!("../responses/sites_get.200.json")).unwrap();
        let served: Value = serde_json::from_str(&sites_body(TOKEN)).unwrap();
        let site = &served["sites"][0];
        for key in spec_example.as_object().unwrap().keys() {
            assert!(site.get(key).is_some(), "missing {key}");
        }
        assert_eq!(site["displayName"], "Site cdef");
        assert_eq!(site["shortName"], "site-cdef");
    }

    #[test]
    fn two_sites_share_workspace() {
        let body: Value = serde_json::from_str(&two_sites_body(TOKEN)).unwrap();
        let sites = body["sites"].as_array().unwrap();
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[0]["id"], site_id(TOKEN));
        assert_ne!(sites[0]["id"], sites[1]["id"]);
        assert_eq!(sites[0]["workspaceId"], sites[1]["workspaceId"]);
    }

    #[test]
    fn user_has_spec_example_fields() {
        let spec_example: Value =
            serde_json::from_str(include_str!("../responses/token_authorized_by.200.json"))
                .unwrap();
        let user: Value = serde_json::from_str(&authorized_user_body(TOKEN)).unwrap();
        let served_keys: Vec<_> = user.as_object().unwrap().keys().collect();
        let spec_keys: Vec<_> = spec_example.as_object().unwrap().keys().collect();
        assert_eq!(served_keys, spec_keys);
        assert_eq!(user["email"], "owner-cdef@example.com");
    }
}
