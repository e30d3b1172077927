//! Input validation for Sitelink's HTTP API.
//!
//! Everything here is pure: it takes bytes, strings or parsed JSON and returns either a
//! typed value or a list of [`FieldError`]s that name the field, a stable code and the fix.
//! No message ever contains the value of a site token.

mod body;
mod field;
mod ids;
mod link;
mod list;
mod text;
mod token;

pub use body::{BodyError, parse_json_object};
pub use field::FieldError;
pub use ids::{ACCOUNT_ID_PREFIX, validate_account_id, validate_tenant};
pub use link::{LinkRequest, validate_link_request};
pub use list::{DEFAULT_PAGE_LIMIT, ListQuery, MAX_PAGE_LIMIT, StatusFilter, validate_list_query};
pub use token::{SITE_TOKEN_LENGTH, SiteToken};
