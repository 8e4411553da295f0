//! End-to-end tests of the SDK: the facade, its token and the generated domain clients,
//! against local httpmock servers that each test starts for itself.
//!
//! The CLI's own end-to-end tests (against the sandbox) live beside its binary, in
//! `crates/ingrid-cli/tests/`, because cargo only hands a binary's path to its own package.
//! The logging tests are a binary of their own (`logging.rs`): tracing's per-thread
//! subscribers and its global callsite cache do not mix with tests on other threads.

mod domains;
mod errors;
mod faults;
mod forward_compatibility;
mod resilience;
mod resources;
mod secrets;
mod support;
mod token;
