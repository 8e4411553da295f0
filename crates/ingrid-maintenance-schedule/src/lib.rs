//! Client for Ingrid Maintenance Schedule, generated from `spec/maintenance-schedule.yaml`.
//!
//! The code in `generated.rs` comes from the spec; regenerate it with `cargo xtask generate`.
//! Most users reach this client through the `ingrid` facade, which adds the token.

// Formatted by the generator (prettyplease); rustfmt would fight `--check`.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all)]
mod generated;

pub use generated::*;
pub use ingrid_types;
