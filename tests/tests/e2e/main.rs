//! End-to-end tests: real API Gateway v2 events through the functions' handlers, against
//! the local AWS emulator and the Webflow fake. Run them with `infra/test.sh`.

mod adapters;
mod faults;
mod input;
mod link;
mod list;
mod properties;
mod races;
mod sweep;
mod tenancy;
mod test_connection;
