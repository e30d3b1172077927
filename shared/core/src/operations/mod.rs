//! The three operations, independent of HTTP and of Lambda.

mod link;
mod list;
mod sweep;
mod test_connection;
mod verify;

pub use link::{Linked, link};
pub use list::list;
pub use sweep::{SweepLimits, SweepReport, sweep_orphans};
pub use test_connection::test_connection;
pub use verify::{TokenCheckError, VerifiedToken, verify_token};
