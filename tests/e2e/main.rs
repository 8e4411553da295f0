//! End-to-end tests of the SDK: the facade, its token and the generated domain clients,
//! against local httpmock servers that each test starts for itself.
//!
//! The CLI's own end-to-end tests (against the sandbox) live beside its binary, in
//! `crates/ingrid-cli/tests/`, because cargo only hands a binary's path to its own package.

mod domains;
mod errors;
mod forward_compatibility;
mod logging;
mod resources;
mod support;
mod token;
