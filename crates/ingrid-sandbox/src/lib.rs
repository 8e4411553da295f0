//! An embedded emulator of GRTgaz's Ingrid API, served on 127.0.0.1.
//!
//! Ingrid's credentials come only from a GRTgaz account manager, so the SDK, its examples and
//! its end-to-end tests run against this sandbox instead. It serves every operation of the specs
//! in `spec/` (compiled in at build time, or a [`SpecSet`] of your own) with no per-operation
//! code: an operation added to a spec is served after the next build.
//!
//! # What it does
//!
//! **Token endpoint**, `POST /oauth2/token`, as Ingrid's connection guide describes it: HTTP
//! Basic `base64(client_id:client_secret)` of the raw id and secret, a form body
//! `grant_type=client_credentials` (`scope` accepted and ignored). It answers
//! `{"access_token", "token_type": "Bearer", "expires_in"}`, or an RFC 6749 error: 401
//! `invalid_client` (with `WWW-Authenticate: Basic`) for missing or wrong credentials, 400
//! `invalid_request` for a missing `grant_type` or another content type, 400
//! `unsupported_grant_type` for any other grant. Every token is a new random opaque string.
//!
//! **Resources**: every operation of the specs. A request is checked in this order, and each
//! refusal is an RFC 7807 `application/problem+json` whose `instance` is the request path:
//! - 404 for a path no operation has, 405 (with `Allow`) for another method;
//! - 401 (with `WWW-Authenticate: Bearer`) without an issued, unexpired token in
//!   `Authorization: Bearer <token>` or as the bare header value;
//! - 400 naming the parameter for a missing required parameter or a value its schema refuses
//!   (dates as strict `YYYY-MM-DD`, integers within `minimum`/`maximum`, listed `enum` values);
//! - 400 when `gasDayTo` is before `gasDayFrom`, or when the range covers more than
//!   [`MAX_HOURLY_RANGE_GAS_DAYS`] gas days for an operation with hourly rows (its records or
//!   arrays inside them carry `periodStart`/`periodEnd`), [`MAX_DAILY_RANGE_GAS_DAYS`] otherwise;
//! - 403 when `contractCode` is not the sandbox's contract code.
//!
//! **Data**: the body validates against the operation's success schema, follows the request and
//! is deterministic: the same request gets the same bytes. A list answer carries the request's
//! `contractCode`, `gasDayFrom` and `gasDayTo`, one page of `data` (`page` from 0, `size`
//! defaulting to 500 and capped by the spec's `maximum`; past the last page `data` is empty) and
//! the `page` totals. Records are one per hour of each gas day and demo point when they carry
//! `periodStart`/`periodEnd` (23, 24 or 25 per gas day, with the right Europe/Paris offsets), one
//! per gas day and point when they carry `gasDay`, two per point otherwise. The demo points
//! (Obergailbach PIR entry, the PEG `EG001F` exit and a storage PITS entry) are filtered by the
//! request's `pointCode`, `pointType` and `direction`. Other fields take the spec's `example`,
//! quantities varying within ±20 % from row to row, or a value built from the schema.
//!
//! **Faults**, off by default: [`SandboxBuilder::faults`] makes a run misbehave on purpose, so
//! that a client's resilience can be tested: short-lived or revoked tokens, 429 with
//! `Retry-After`, bursts of 503, slow answers, truncated JSON bodies, a token endpoint outage.
//! They are driven by request counters, never by chance, and have a text form
//! (`revoke-every=10,unavailable=3/10`) for `ingrid sandbox serve --faults`; see [`Faults`].
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ingrid_sandbox::SandboxError> {
//! use ingrid_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CONTRACT_CODE, Sandbox};
//!
//! let sandbox = Sandbox::builder().build()?.start().await?;
//!
//! // Point a client at it: token URL, base URL and the demo credentials.
//! let (token_url, base_url) = (sandbox.token_url(), sandbox.base_url());
//! assert!(token_url.starts_with("http://127.0.0.1:"));
//! # let _ = (base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CONTRACT_CODE);
//!
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod calendar;
mod catalog;
mod error;
mod faults;
mod generate;
mod oauth;
mod parameters;
mod points;
mod resources;
mod responses;
mod sandbox;
mod schema;
mod server;
mod tokens;

pub use error::SandboxError;
pub use faults::Faults;
pub use ingrid_openapi::SpecSet;
pub use parameters::{MAX_DAILY_RANGE_GAS_DAYS, MAX_HOURLY_RANGE_GAS_DAYS};
pub use sandbox::{RunningSandbox, Sandbox, SandboxBuilder};

/// The client id the sandbox accepts unless [`SandboxBuilder::credentials`] says otherwise.
pub const DEMO_CLIENT_ID: &str = "ingrid-sandbox";

/// The client secret the sandbox accepts unless [`SandboxBuilder::credentials`] says otherwise.
/// It is public: the sandbox guards nothing.
pub const DEMO_CLIENT_SECRET: &str = "sandbox-secret";

/// The contract code the sandbox grants unless [`SandboxBuilder::contract_code`] says otherwise;
/// shaped like GRTgaz's shipper codes (`GFXXXX01`).
pub const DEMO_CONTRACT_CODE: &str = "GFSAND01";

include!(concat!(env!("OUT_DIR"), "/embedded_specs.rs"));

/// The specs compiled into this crate: the workspace's `spec/*.yaml` as they were at build time.
///
/// A sandbox serves them unless [`SandboxBuilder::specs`] gives others; tests use them to check
/// every served operation against its schema.
///
/// # Errors
///
/// [`SandboxError::Spec`], naming the file, when one of them is not valid YAML or not a mapping.
pub fn embedded_specs() -> Result<SpecSet, SandboxError> {
    Ok(SpecSet::from_sources(EMBEDDED_SPECS.iter().copied())?)
}
