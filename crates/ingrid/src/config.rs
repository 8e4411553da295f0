//! Where the client talks to and with which credentials: from code or from the environment.

use std::fmt;
use std::time::Duration;

use oauth2::{ClientId, ClientSecret};
use url::Url;

use crate::error::ConfigError;
use crate::transport::RetryPolicy;

/// Token URL of production, from GRTgaz's connection guide.
pub const PRODUCTION_TOKEN_URL: &str = "https://auth-api.offre.grtgaz.com/oauth2/token";
/// API base URL of production.
pub const PRODUCTION_API_URL: &str = "https://api.ingrid.grtgaz.com";
/// Token URL of staging.
pub const STAGING_TOKEN_URL: &str = "https://auth-api.offre-stg.grtgaz.com/oauth2/token";
/// API base URL of staging.
pub const STAGING_API_URL: &str = "https://api.ingrid-stg.grtgaz.com";

/// The variables [`Config::from_env`] reads.
pub mod vars {
    /// `production` (the default), `staging` or `custom`.
    pub const ENV: &str = "INGRID_ENV";
    /// The OAuth 2.0 client id given by the GRTgaz account manager.
    pub const CLIENT_ID: &str = "INGRID_CLIENT_ID";
    /// The OAuth 2.0 client secret that goes with it.
    pub const CLIENT_SECRET: &str = "INGRID_CLIENT_SECRET";
    /// The contract code calls are made for (optional for the library).
    pub const CONTRACT_CODE: &str = "INGRID_CONTRACT_CODE";
    /// API base URL of a custom environment; setting it means `custom`.
    pub const API_URL: &str = "INGRID_API_URL";
    /// Token URL of a custom environment; setting it means `custom`.
    pub const TOKEN_URL: &str = "INGRID_TOKEN_URL";
}

/// A pair of token URL and API base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// GRTgaz production: [`PRODUCTION_TOKEN_URL`] and [`PRODUCTION_API_URL`].
    Production,
    /// GRTgaz staging: [`STAGING_TOKEN_URL`] and [`STAGING_API_URL`].
    Staging,
    /// Any other pair, for example a sandbox or a proxy.
    Custom {
        /// Where the client credentials are exchanged for a token.
        token_url: Url,
        /// The base URL the operation paths (`/v1/...`) are appended to.
        api_url: Url,
    },
}

impl Environment {
    /// A custom environment from its API base URL and its token URL, in the order of the CLI
    /// (`--api-url`, `--token-url`); the error names the one that does not parse.
    pub fn custom(api_url: &str, token_url: &str) -> Result<Self, ConfigError> {
        Self::custom_named(api_url, "API URL", token_url, "token URL")
    }

    /// [`Environment::custom`], with the names an error gives each URL (a variable, a flag).
    fn custom_named(
        api_url: &str,
        api_url_name: &'static str,
        token_url: &str,
        token_url_name: &'static str,
    ) -> Result<Self, ConfigError> {
        Ok(Self::Custom {
            token_url: parse_url(token_url_name, token_url)?,
            api_url: parse_url(api_url_name, api_url)?,
        })
    }

    /// Where the client credentials are exchanged for a token.
    pub fn token_url(&self) -> Url {
        match self {
            Self::Production => Url::parse(PRODUCTION_TOKEN_URL).expect("a valid constant"),
            Self::Staging => Url::parse(STAGING_TOKEN_URL).expect("a valid constant"),
            Self::Custom { token_url, .. } => token_url.clone(),
        }
    }

    /// The API base URL, without a trailing slash (the operation paths start with one).
    pub fn api_url(&self) -> String {
        let url = match self {
            Self::Production => PRODUCTION_API_URL.to_owned(),
            Self::Staging => STAGING_API_URL.to_owned(),
            Self::Custom { api_url, .. } => api_url.to_string(),
        };
        url.trim_end_matches('/').to_owned()
    }

    /// `production`, `staging` or `custom`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Staging => "staging",
            Self::Custom { .. } => "custom",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.api_url())
    }
}

fn parse_url(what: &'static str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|error| ConfigError::InvalidValue {
        what,
        value: text.to_owned(),
        reason: error.to_string(),
    })?;
    let refuse = |reason: &str| ConfigError::InvalidValue {
        what,
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("the URL must be http or https"));
    }
    // The operation paths and their query are appended to the API URL; a query or fragment of
    // its own would swallow them.
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            "the URL must not have a query (?...) or a fragment (#...)",
        ));
    }
    Ok(url)
}

/// How the access token is written in the `Authorization` header of resource requests.
///
/// The connection guide prints the header value as the bare token, while the token endpoint
/// says the token type is `Bearer`; this SDK sends `Bearer <token>` unless told otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthorizationScheme {
    /// `Authorization: Bearer <token>`, the default.
    #[default]
    Bearer,
    /// `Authorization: <token>`.
    BareToken,
}

/// Everything an [`Ingrid`](crate::Ingrid) client needs.
///
/// `Debug` never shows the client secret.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) environment: Environment,
    pub(crate) client_id: ClientId,
    pub(crate) client_secret: ClientSecret,
    pub(crate) contract_code: Option<String>,
    pub(crate) authorization: AuthorizationScheme,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) token_timeout: Duration,
    pub(crate) refresh_margin: Duration,
    pub(crate) retry: RetryPolicy,
}

/// Default for [`Config::with_connect_timeout`]: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default for [`Config::with_request_timeout`]: 60 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default for [`Config::with_token_timeout`]: 30 seconds.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(30);
/// Default for [`Config::with_refresh_margin`]: 60 seconds.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

impl Config {
    /// A configuration for `environment` with the given client credentials and the defaults:
    /// no contract code, `Bearer` tokens, and the timeouts of the `DEFAULT_*` constants.
    pub fn new(
        environment: Environment,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            environment,
            client_id: ClientId::new(client_id.into()),
            client_secret: ClientSecret::new(client_secret.into()),
            contract_code: None,
            authorization: AuthorizationScheme::Bearer,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            token_timeout: DEFAULT_TOKEN_TIMEOUT,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            retry: RetryPolicy::default(),
        }
    }

    /// Reads the configuration from the process environment; see [`vars`].
    ///
    /// `INGRID_CLIENT_ID` and `INGRID_CLIENT_SECRET` are required. The environment is
    /// `INGRID_ENV` (`production` when unset); setting `INGRID_API_URL` and
    /// `INGRID_TOKEN_URL` means `custom` and needs both. The error names the variable that is
    /// missing or wrong.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup` (for tests and for
    /// programs that keep settings elsewhere). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let environment =
            environment_from(get(vars::ENV), get(vars::API_URL), get(vars::TOKEN_URL))?;
        let client_id = get(vars::CLIENT_ID).ok_or(ConfigError::Missing(vars::CLIENT_ID))?;
        let client_secret =
            get(vars::CLIENT_SECRET).ok_or(ConfigError::Missing(vars::CLIENT_SECRET))?;

        let mut config = Self::new(environment, client_id, client_secret);
        config.contract_code = get(vars::CONTRACT_CODE);
        Ok(config)
    }

    /// The contract code calls are made for, available as [`Ingrid::contract_code`].
    ///
    /// [`Ingrid::contract_code`]: crate::Ingrid::contract_code
    pub fn with_contract_code(mut self, contract_code: impl Into<String>) -> Self {
        self.contract_code = Some(contract_code.into());
        self
    }

    /// How the token is written in `Authorization`; [`AuthorizationScheme::Bearer`] by default.
    pub fn with_authorization_scheme(mut self, scheme: AuthorizationScheme) -> Self {
        self.authorization = scheme;
        self
    }

    /// How long to wait for a TCP and TLS connection; 10 seconds by default.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one API request may take, body included; 60 seconds by default.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long one token request may take; 30 seconds by default.
    pub fn with_token_timeout(mut self, timeout: Duration) -> Self {
        self.token_timeout = timeout;
        self
    }

    /// How failed requests are sent again; [`RetryPolicy::default`] (4 attempts) by default.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long before its expiry a token is replaced: 60 seconds by default, plus up to half
    /// as much again at random so that processes started together spread their refreshes, and
    /// never more than three quarters of the token's lifetime.
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The environment this configuration talks to.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The contract code, if one was configured.
    pub fn contract_code(&self) -> Option<&str> {
        self.contract_code.as_deref()
    }
}

/// Decides the environment from `INGRID_ENV` and the two URL variables.
fn environment_from(
    name: Option<String>,
    api_url: Option<String>,
    token_url: Option<String>,
) -> Result<Environment, ConfigError> {
    let name = name.map(|name| name.trim().to_ascii_lowercase());
    let any_url = api_url.is_some() || token_url.is_some();

    match name.as_deref() {
        None | Some("custom") if any_url || name.is_some() => {
            let api_url = api_url.ok_or(ConfigError::Missing(vars::API_URL))?;
            let token_url = token_url.ok_or(ConfigError::Missing(vars::TOKEN_URL))?;
            Environment::custom_named(&api_url, vars::API_URL, &token_url, vars::TOKEN_URL)
        }
        None => Ok(Environment::Production),
        Some(chosen @ ("production" | "staging")) if any_url => {
            Err(ConfigError::Conflict(format!(
                "{} is `{chosen}` but {} or {} is set too; unset the URLs or set {} to `custom`",
                vars::ENV,
                vars::API_URL,
                vars::TOKEN_URL,
                vars::ENV
            )))
        }
        Some("production") => Ok(Environment::Production),
        Some("staging") => Ok(Environment::Staging),
        Some(other) => Err(ConfigError::InvalidValue {
            what: vars::ENV,
            value: other.to_owned(),
            reason: "expected production, staging or custom".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const CREDENTIALS: [(&str, &str); 2] =
        [(vars::CLIENT_ID, "client"), (vars::CLIENT_SECRET, "s3cret")];

    #[test]
    fn production_is_the_default_and_staging_is_chosen_by_name() {
        let production = config(&CREDENTIALS).unwrap();
        let staging = config(&[CREDENTIALS[0], CREDENTIALS[1], (vars::ENV, "Staging")]).unwrap();

        assert_eq!(production.environment, Environment::Production);
        assert_eq!(
            production.environment.token_url().as_str(),
            PRODUCTION_TOKEN_URL
        );
        assert_eq!(production.environment.api_url(), PRODUCTION_API_URL);
        assert_eq!(staging.environment.token_url().as_str(), STAGING_TOKEN_URL);
        assert_eq!(staging.environment.api_url(), STAGING_API_URL);
    }

    #[test]
    fn urls_mean_custom_and_need_each_other() {
        let both = config(&[
            CREDENTIALS[0],
            CREDENTIALS[1],
            (vars::API_URL, "http://127.0.0.1:9/"),
            (vars::TOKEN_URL, "http://127.0.0.1:9/oauth2/token"),
        ])
        .unwrap();
        let one = config(&[
            CREDENTIALS[0],
            CREDENTIALS[1],
            (vars::API_URL, "http://127.0.0.1:9"),
        ]);
        let named = config(&[CREDENTIALS[0], CREDENTIALS[1], (vars::ENV, "custom")]);

        assert_eq!(both.environment.name(), "custom");
        assert_eq!(both.environment.api_url(), "http://127.0.0.1:9");
        assert_eq!(one.unwrap_err(), ConfigError::Missing(vars::TOKEN_URL));
        assert_eq!(named.unwrap_err(), ConfigError::Missing(vars::API_URL));
    }

    #[test]
    fn a_url_with_a_query_or_fragment_is_refused() {
        for url in ["http://127.0.0.1:9?x=1", "http://127.0.0.1:9/#frag"] {
            let error = Environment::custom(url, "http://127.0.0.1:9/oauth2/token").unwrap_err();

            assert!(error.to_string().contains("query"), "{error}");
        }
    }

    #[test]
    fn errors_name_the_variable() {
        let missing_secret = config(&[CREDENTIALS[0]]).unwrap_err();
        let bad_env = config(&[CREDENTIALS[0], CREDENTIALS[1], (vars::ENV, "prod")]).unwrap_err();
        let conflict = config(&[
            CREDENTIALS[0],
            CREDENTIALS[1],
            (vars::ENV, "staging"),
            (vars::API_URL, "http://127.0.0.1:9"),
        ])
        .unwrap_err();
        let bad_url = config(&[
            CREDENTIALS[0],
            CREDENTIALS[1],
            (vars::API_URL, "ftp://127.0.0.1"),
            (vars::TOKEN_URL, "http://127.0.0.1:9/oauth2/token"),
        ])
        .unwrap_err();

        assert!(
            missing_secret.to_string().contains("INGRID_CLIENT_SECRET"),
            "{missing_secret}"
        );
        assert!(bad_env.to_string().contains("INGRID_ENV"), "{bad_env}");
        assert!(bad_env.to_string().contains("`prod`"), "{bad_env}");
        assert!(
            conflict.to_string().contains("INGRID_API_URL"),
            "{conflict}"
        );
        assert!(bad_url.to_string().contains("INGRID_API_URL"), "{bad_url}");
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let config = config(&CREDENTIALS).unwrap();

        let debug = format!("{config:?}");

        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("client"), "the id is not secret: {debug}");
    }
}
