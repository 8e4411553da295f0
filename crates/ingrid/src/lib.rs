//! Rust SDK for GRTgaz's Ingrid API.
//!
//! [`Ingrid`] holds one HTTP client, one OAuth 2.0 token shared by every domain, and a typed
//! client per domain (portfolio, confirmation notice, operational capacity notice, maintenance
//! schedule, measures, allocations, balancing), each behind a cargo feature of the same name.
//! The domain clients are generated from the specs in `spec/`; this crate adds what the specs
//! cannot say: where to connect, and the token.
//!
//! ```no_run
//! # async fn run() -> Result<(), ingrid::Error> {
//! use ingrid::{Call, Config, Environment, Ingrid};
//!
//! // Or `Ingrid::from_env()`, reading INGRID_CLIENT_ID, INGRID_CLIENT_SECRET, INGRID_ENV ...
//! let config = Config::new(Environment::Staging, "my-client-id", "my-client-secret")
//!     .with_contract_code("GFXY1201");
//! let ingrid = Ingrid::new(config)?;
//!
//! // `.call()` (from `ingrid::Call`) turns the generated `send()` into `Result<_, ingrid::Error>`.
//! let page = ingrid
//!     .allocations()
//!     .get_daily_allocations()
//!     .contract_code("GFXY1201")
//!     .gas_day_from("2025-01-15")
//!     .gas_day_to("2025-01-15")
//!     .send()
//!     .call()
//!     .await?;
//! for allocation in &page.data {
//!     println!("{} {} {} kWh", allocation.gas_day, allocation.point_code, allocation.allocated_quantity);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every request is retried on 429, 5xx and connection failures (see [`RetryPolicy`]) and sent
//! once more with a new token after a 401. Errors fall in the categories of [`Error`], with
//! predicates such as [`Error::is_retryable`].
//!
//! Secrets never show: the client secret and tokens are redacted in `Debug`, the
//! `Authorization` header is marked sensitive, and no error or log line holds either.

mod auth;
mod call;
mod config;
mod error;
mod quote;
mod transport;

use std::sync::Arc;

use ingrid_types::hooks::ClientContext;

pub use auth::{DEFAULT_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME, REFRESH_RETRY_DELAY};
pub use call::Call;
pub use config::{
    AuthorizationScheme, Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REFRESH_MARGIN,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_TOKEN_TIMEOUT, Environment, PRODUCTION_API_URL,
    PRODUCTION_TOKEN_URL, STAGING_API_URL, STAGING_TOKEN_URL, vars,
};
pub use error::{ApiError, AuthError, ConfigError, DecodeError, Error, TransportError};
pub use ingrid_types as types;
pub use ingrid_types::{GasDay, GasHour};
pub use progenitor_client::{Error as ClientError, ResponseValue};
pub use transport::RetryPolicy;

#[cfg(feature = "allocations")]
pub use ingrid_allocations as allocations;
#[cfg(feature = "balancing")]
pub use ingrid_balancing as balancing;
#[cfg(feature = "confirmation-notice")]
pub use ingrid_confirmation_notice as confirmation_notice;
#[cfg(feature = "maintenance-schedule")]
pub use ingrid_maintenance_schedule as maintenance_schedule;
#[cfg(feature = "measures")]
pub use ingrid_measures as measures;
#[cfg(feature = "operational-capacity-notice")]
pub use ingrid_operational_capacity_notice as operational_capacity_notice;
#[cfg(feature = "portfolio")]
pub use ingrid_portfolio as portfolio;

// The README's Rust example is compiled with the doctests, so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;

/// The Ingrid API: one client per domain, sharing one HTTP client and one token.
///
/// Cheap to clone; clones share the token.
#[derive(Clone, Debug)]
pub struct Ingrid {
    environment: Environment,
    contract_code: Option<String>,
    #[cfg(feature = "portfolio")]
    portfolio: ingrid_portfolio::Client,
    #[cfg(feature = "confirmation-notice")]
    confirmation_notice: ingrid_confirmation_notice::Client,
    #[cfg(feature = "operational-capacity-notice")]
    operational_capacity_notice: ingrid_operational_capacity_notice::Client,
    #[cfg(feature = "maintenance-schedule")]
    maintenance_schedule: ingrid_maintenance_schedule::Client,
    #[cfg(feature = "measures")]
    measures: ingrid_measures::Client,
    #[cfg(feature = "allocations")]
    allocations: ingrid_allocations::Client,
    #[cfg(feature = "balancing")]
    balancing: ingrid_balancing::Client,
}

impl Ingrid {
    /// Builds the clients of `config`. Nothing is sent until the first call, which fetches the
    /// token.
    ///
    /// Fails only when the HTTP client cannot be built (TLS set-up).
    pub fn new(config: Config) -> Result<Self, Error> {
        let http = http_client(&config)?;
        let endpoint = auth::TokenEndpoint {
            http: http.clone(),
            url: config.environment.token_url(),
            client_id: config.client_id,
            client_secret: config.client_secret,
            timeout: config.token_timeout,
            retry: config.retry,
        };
        let hooks = transport::TokenHooks {
            cache: auth::TokenCache::new(endpoint, config.refresh_margin),
            scheme: config.authorization,
            retry: config.retry,
        };
        let context = ClientContext::new(Arc::new(hooks));
        let api_url = config.environment.api_url();

        // Every domain client gets the same HTTP client and context, hence the same token.
        Ok(Self {
            environment: config.environment.clone(),
            contract_code: config.contract_code,
            #[cfg(feature = "portfolio")]
            portfolio: ingrid_portfolio::Client::new_with_client(
                &api_url,
                http.clone(),
                context.clone(),
            ),
            #[cfg(feature = "confirmation-notice")]
            confirmation_notice: ingrid_confirmation_notice::Client::new_with_client(
                &api_url,
                http.clone(),
                context.clone(),
            ),
            #[cfg(feature = "operational-capacity-notice")]
            operational_capacity_notice:
                ingrid_operational_capacity_notice::Client::new_with_client(
                    &api_url,
                    http.clone(),
                    context.clone(),
                ),
            #[cfg(feature = "maintenance-schedule")]
            maintenance_schedule: ingrid_maintenance_schedule::Client::new_with_client(
                &api_url,
                http.clone(),
                context.clone(),
            ),
            #[cfg(feature = "measures")]
            measures: ingrid_measures::Client::new_with_client(
                &api_url,
                http.clone(),
                context.clone(),
            ),
            #[cfg(feature = "allocations")]
            allocations: ingrid_allocations::Client::new_with_client(
                &api_url,
                http.clone(),
                context.clone(),
            ),
            #[cfg(feature = "balancing")]
            balancing: ingrid_balancing::Client::new_with_client(
                &api_url,
                http.clone(),
                context.clone(),
            ),
        })
    }

    /// [`Ingrid::new`] with [`Config::from_env`]; the error names a missing or wrong variable.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(Config::from_env()?)
    }

    /// The environment the clients talk to.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The configured contract code, to pass to `contract_code(...)` of each call.
    pub fn contract_code(&self) -> Option<&str> {
        self.contract_code.as_deref()
    }

    /// Portfolio of services and capacities: `/v1/portfolio/...`.
    #[cfg(feature = "portfolio")]
    pub fn portfolio(&self) -> &ingrid_portfolio::Client {
        &self.portfolio
    }

    /// Confirmation notices: `/v1/confirmation-notice/...`.
    #[cfg(feature = "confirmation-notice")]
    pub fn confirmation_notice(&self) -> &ingrid_confirmation_notice::Client {
        &self.confirmation_notice
    }

    /// Operational capacity notices: `/v1/operational-capacity-notice/...`.
    #[cfg(feature = "operational-capacity-notice")]
    pub fn operational_capacity_notice(&self) -> &ingrid_operational_capacity_notice::Client {
        &self.operational_capacity_notice
    }

    /// Consolidated maintenance programs: `/v1/maintenance-schedule/...`.
    #[cfg(feature = "maintenance-schedule")]
    pub fn maintenance_schedule(&self) -> &ingrid_maintenance_schedule::Client {
        &self.maintenance_schedule
    }

    /// Measures and metering links: `/v1/measures/...`.
    #[cfg(feature = "measures")]
    pub fn measures(&self) -> &ingrid_measures::Client {
        &self.measures
    }

    /// Allocations, imbalances and exceedings: `/v1/allocations/...`.
    #[cfg(feature = "allocations")]
    pub fn allocations(&self) -> &ingrid_allocations::Client {
        &self.allocations
    }

    /// Balancing indicators, forecasts and hourly allocations: `/v1/balancing/...`.
    #[cfg(feature = "balancing")]
    pub fn balancing(&self) -> &ingrid_balancing::Client {
        &self.balancing
    }
}

/// The one HTTP client of an [`Ingrid`]: rustls with the platform's trusted roots, and the
/// configured timeouts.
fn http_client(config: &Config) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .build()
        .map_err(|error| ConfigError::HttpClient(error.to_string()).into())
}
