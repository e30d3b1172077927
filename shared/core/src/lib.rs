//! Sitelink's domain: linked Webflow accounts, the operations on them (link, test, list),
//! the ports those operations use, their adapters (DynamoDB, Secrets Manager, Webflow),
//! and the mapping of results and errors to HTTP responses.
//!
//! Each function binary builds one [`App`] at start-up and hands every request to the
//! matching handler in [`http`].

pub mod adapters;
pub mod app;
pub mod config;
pub mod cursor;
pub mod error;
pub mod http;
pub mod logging;
pub mod model;
pub mod operations;
pub mod ports;
pub mod tenant;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod timestamp;
pub mod webflow;

pub use app::App;
pub use config::Config;
