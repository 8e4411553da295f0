//! The public entry points: [`SandboxBuilder`], [`Sandbox`] and [`RunningSandbox`].

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ingrid_openapi::SpecSet;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::catalog::Catalog;
use crate::error::SandboxError;
use crate::faults::{FaultInjector, Faults};
use crate::oauth::{ClientCredentials, TOKEN_PATH};
use crate::server::{self, State};
use crate::tokens::TokenStore;
use crate::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CONTRACT_CODE, embedded_specs};

/// Token lifetime when [`SandboxBuilder::token_lifetime`] is not called.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Settings of a sandbox, from [`Sandbox::builder`].
///
/// Every setting has a default that serves the embedded specs to the demo client: port 0 (any
/// free port), tokens valid for one hour, client [`DEMO_CLIENT_ID`] with secret
/// [`DEMO_CLIENT_SECRET`], contract [`DEMO_CONTRACT_CODE`], no faults.
#[must_use = "a builder does nothing until `build` is called"]
pub struct SandboxBuilder {
    port: u16,
    token_lifetime: Duration,
    specs: Option<SpecSet>,
    credentials: ClientCredentials,
    contract_code: String,
    faults: Faults,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            specs: None,
            credentials: ClientCredentials {
                client_id: DEMO_CLIENT_ID.to_owned(),
                client_secret: DEMO_CLIENT_SECRET.to_owned(),
            },
            contract_code: DEMO_CONTRACT_CODE.to_owned(),
            faults: Faults::none(),
        }
    }
}

impl fmt::Debug for SandboxBuilder {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SandboxBuilder")
            .field("port", &self.port)
            .field("token_lifetime", &self.token_lifetime)
            .field(
                "specs",
                &self.specs.as_ref().map(|specs| specs.documents().count()),
            )
            .field("credentials", &self.credentials)
            .field("contract_code", &self.contract_code)
            .field("faults", &self.faults)
            .finish()
    }
}

impl SandboxBuilder {
    /// The TCP port to listen on, on 127.0.0.1. Defaults to 0: the system picks a free port,
    /// which [`RunningSandbox::addr`] then tells.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How long an issued access token stays valid; the token response's `expires_in` is this,
    /// in whole seconds. Defaults to one hour. Expiry follows tokio's clock, so tests on paused
    /// time can expire tokens with `tokio::time::advance`. A
    /// [`Faults::token_lifetime`] in [`faults`](Self::faults) takes precedence.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The specs whose operations to serve, for example loaded with [`SpecSet::load_dir`] from a
    /// `--spec-dir`, or written by a test. Defaults to the workspace's `spec/` folder as it was
    /// when this crate was built.
    pub fn specs(mut self, specs: SpecSet) -> Self {
        self.specs = Some(specs);
        self
    }

    /// The only client id and secret the token endpoint accepts. Defaults to
    /// [`DEMO_CLIENT_ID`] and [`DEMO_CLIENT_SECRET`].
    ///
    /// [`build`](Self::build) refuses an empty id or secret, and an id containing `:`, which
    /// HTTP Basic authentication cannot carry.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.credentials = ClientCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        };
        self
    }

    /// The only contract code resource requests may name; any other gets 403. Defaults to
    /// [`DEMO_CONTRACT_CODE`]. [`build`](Self::build) refuses an empty one.
    pub fn contract_code(mut self, contract_code: impl Into<String>) -> Self {
        self.contract_code = contract_code.into();
        self
    }

    /// Faults to inject on purpose: 401 after revoked tokens, 429, bursts of 503, slow or
    /// truncated answers, a token endpoint outage, short-lived tokens; see [`Faults`]. Defaults
    /// to none.
    ///
    /// [`build`](Self::build) refuses faults that cannot work as documented (a 503 burst longer
    /// than its period, for example).
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Checks the settings and reads every operation of the specs.
    ///
    /// # Errors
    ///
    /// [`SandboxError::InvalidSetting`] for refused credentials or contract code;
    /// [`SandboxError::Fault`], naming the item, for refused [`faults`](Self::faults);
    /// [`SandboxError::Spec`], naming the file and JSON pointer, when a spec does not parse or
    /// bundle, when two operations share a method and path, or when an operation has no JSON
    /// success body to emulate.
    pub fn build(self) -> Result<Sandbox, SandboxError> {
        let ClientCredentials {
            client_id,
            client_secret,
        } = &self.credentials;
        let refuse = |setting, reason: &str| SandboxError::InvalidSetting {
            setting,
            reason: reason.to_owned(),
        };
        if client_id.is_empty() || client_secret.is_empty() {
            return Err(refuse(
                "credentials",
                "the client id and secret must not be empty",
            ));
        }
        if client_id.contains(':') {
            return Err(refuse(
                "credentials",
                "the client id must not contain ':', which separates it from the secret in \
                 HTTP Basic authentication",
            ));
        }
        if self.contract_code.is_empty() {
            return Err(refuse(
                "contract_code",
                "the contract code must not be empty",
            ));
        }

        self.faults.check()?;

        let specs = match self.specs {
            Some(specs) => specs,
            None => embedded_specs()?,
        };
        let catalog = Catalog::from_specs(&specs)?;
        let token_lifetime = self.faults.lifetime().unwrap_or(self.token_lifetime);

        Ok(Sandbox {
            port: self.port,
            state: Arc::new(State {
                catalog,
                tokens: TokenStore::new(token_lifetime),
                credentials: self.credentials,
                contract_code: self.contract_code,
                faults: FaultInjector::new(self.faults),
            }),
        })
    }
}

/// An emulator of Ingrid, ready to listen on 127.0.0.1.
///
/// It serves `POST /oauth2/token` (client credentials with HTTP Basic) and every operation of
/// its specs, with the checks and answers described in the [crate documentation](crate).
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ingrid_sandbox::SandboxError> {
/// use ingrid_sandbox::Sandbox;
///
/// let sandbox = Sandbox::builder().build()?.start().await?;
/// println!("token URL: {}", sandbox.token_url());
/// for (domain, api, path) in sandbox.operations() {
///     println!("{domain}/{api}: {}{path}", sandbox.base_url());
/// }
/// sandbox.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct Sandbox {
    port: u16,
    state: Arc<State>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Sandbox")
            .field("port", &self.port)
            .field("credentials", &self.state.credentials)
            .field("contract_code", &self.state.contract_code)
            .field("operations", &self.state.catalog.endpoints().len())
            .field("faults", self.state.faults.faults())
            .finish()
    }
}

impl Sandbox {
    /// Starts configuring a sandbox; every setting has a default, see [`SandboxBuilder`].
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The operations served, as `(domain, api, path)`: the spec file's domain slug
    /// (`allocations`), the API name (`daily-allocations`) and the path
    /// (`/v1/allocations/daily-allocations`), by domain then path.
    pub fn operations(&self) -> Vec<(String, String, String)> {
        operation_list(&self.state)
    }

    /// Listens on 127.0.0.1 at the configured port and serves in a task of the current tokio
    /// runtime; returns as soon as the socket listens.
    ///
    /// # Errors
    ///
    /// [`SandboxError::Bind`] when the port cannot be had (it is taken, or reserved);
    /// [`SandboxError::NoRuntime`] when not called from within a tokio runtime.
    pub async fn start(self) -> Result<RunningSandbox, SandboxError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SandboxError::NoRuntime)?;
        let requested = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let bind_error = |source| SandboxError::Bind {
            addr: requested,
            source,
        };

        let listener = TcpListener::bind(requested).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;

        let (shutdown, shutdown_requested) = watch::channel(false);
        let operations = operation_list(&self.state);
        let server = runtime.spawn(server::run(listener, self.state, shutdown_requested));
        tracing::debug!(%addr, operations = operations.len(), "sandbox listening");

        Ok(RunningSandbox {
            addr,
            operations,
            shutdown,
            server: Some(server),
        })
    }

    /// Serves until ctrl-c, for `ingrid sandbox serve` and tools such as curl or Postman.
    ///
    /// Logs the base and token URLs, the credentials (the secret only when it is the public
    /// [`DEMO_CLIENT_SECRET`]) and the faults, if any, at INFO on start, then waits for ctrl-c
    /// and shuts down.
    ///
    /// # Errors
    ///
    /// Those of [`start`](Self::start), and [`SandboxError::Signal`] when ctrl-c cannot be
    /// listened for.
    pub async fn serve(self) -> Result<(), SandboxError> {
        let credentials = self.state.credentials.clone();
        let contract_code = self.state.contract_code.clone();
        let faults = self.state.faults.faults().clone();
        let running = self.start().await?;

        let shown_secret = if credentials.client_secret == DEMO_CLIENT_SECRET {
            DEMO_CLIENT_SECRET
        } else {
            "<as configured>"
        };
        tracing::info!(
            base_url = %running.base_url(),
            token_url = %running.token_url(),
            operations = running.operations().len(),
            "Ingrid sandbox listening; press ctrl-c to stop"
        );
        tracing::info!(
            client_id = %credentials.client_id,
            client_secret = %shown_secret,
            contract_code = %contract_code,
            "sandbox credentials"
        );
        if !faults.is_empty() {
            tracing::info!(%faults, "injecting faults on purpose");
        }
        for (domain, api, path) in running.operations() {
            let url = format!("{}{path}", running.base_url());
            tracing::info!(%domain, %api, %url, "serving");
        }

        let signal = tokio::signal::ctrl_c().await;
        tracing::info!("Ingrid sandbox shutting down");
        running.shutdown().await;
        signal.map_err(SandboxError::Signal)
    }
}

/// A sandbox serving on 127.0.0.1, from [`Sandbox::start`].
///
/// Dropping it stops the server too, without waiting; [`shutdown`](Self::shutdown) waits.
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    operations: Vec<(String, String, String)>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl RunningSandbox {
    /// The address listened on, with the actual port when port 0 was asked for.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, `http://127.0.0.1:PORT`, without a trailing slash: append a spec path.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The token endpoint, `http://127.0.0.1:PORT/oauth2/token`.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.base_url())
    }

    /// The operations served, as `(domain, api, path)`; see [`Sandbox::operations`].
    pub fn operations(&self) -> Vec<(String, String, String)> {
        self.operations.clone()
    }

    /// Stops accepting connections, lets requests in flight finish (for up to five seconds) and
    /// returns once the port is released.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(server) = self.server.take() {
            // The task only ends by itself; an error here means it panicked or was cancelled
            // with its runtime, and either way it is gone.
            let _ = server.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

fn operation_list(state: &State) -> Vec<(String, String, String)> {
    let mut operations: Vec<(String, String, String)> = state
        .catalog
        .endpoints()
        .iter()
        .map(|endpoint| {
            (
                endpoint.domain.clone(),
                endpoint.api.clone(),
                endpoint.path.clone(),
            )
        })
        .collect();
    operations.dedup();
    operations
}
