//! What every Ingrid domain crate shares.
//!
//! - [`GasDay`], the unit of time of the gas market: 06:00 to 06:00 Europe/Paris, 23, 24 or
//!   25 hours long, with [`GasDay::hours`] to list its hours and their UTC offsets;
//! - the schemas of `spec/common.yaml` ([`Direction`], [`PointType`], [`Problem`],
//!   [`HourlyAllocation`] ...), generated once here so that `Direction` from the allocations
//!   crate is the same Rust type as `Direction` from the measures crate;
//! - [`open_enum!`], which makes every enumeration keep values the spec does not list yet;
//! - [`hooks`], through which every generated client sends its requests, so that
//!   authentication is written once.

mod gas_day;
// Formatted by the generator (prettyplease); rustfmt would fight `--check`.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all)]
mod generated;
pub mod hooks;
mod open_enum;

pub use gas_day::{GasDay, GasDayError, GasHour};
pub use generated::*;

#[doc(hidden)]
pub mod __private {
    pub use serde;
}
