//! The OAuth 2.0 client-credentials exchange and the one token every domain client shares.
//!
//! The exchange follows GRTgaz's connection guide to the letter: a form POST of
//! `grant_type=client_credentials` with `Authorization: Basic base64(id:secret)`, where id and
//! secret are joined raw. The `oauth2` crate URL-encodes both before joining them (RFC 6749
//! §2.3.1), which changes the header for any secret holding `+`, `/`, `=` or `%`; so the
//! request is built here, and `oauth2` provides the redacted secret and token types and the
//! RFC 6749 error model.

use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use ingrid_types::hooks::RequestHooks;
use oauth2::basic::BasicErrorResponseType;
use oauth2::{AccessToken, ClientId, ClientSecret, StandardErrorResponse};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use crate::config::AuthorizationScheme;
use crate::error::excerpt;

/// The lifetime assumed when the token endpoint does not say (`expires_in` missing).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Where and how to ask for tokens.
#[derive(Debug)]
pub(crate) struct TokenEndpoint {
    pub http: reqwest::Client,
    pub url: Url,
    pub client_id: ClientId,
    pub client_secret: ClientSecret,
    pub timeout: Duration,
}

/// The token endpoint's answer, as RFC 6749 §5.1 describes it.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: AccessToken,
    #[serde(default)]
    token_type: Option<String>,
    /// Some servers send the number as a string; both are accepted.
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<u64>,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lifetime {
        Number(u64),
        Text(String),
    }

    match Option::<Lifetime>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Lifetime::Number(seconds)) => Ok(Some(seconds)),
        Some(Lifetime::Text(text)) => {
            text.trim().parse().map(Some).map_err(|_| {
                serde::de::Error::custom(format!("expires_in `{text}` is not a number"))
            })
        }
    }
}

/// A token with the instants, on tokio's monotonic clock, at which it is replaced and at which
/// it expires.
#[derive(Clone, Debug)]
struct CachedToken {
    token: AccessToken,
    refresh_at: Instant,
}

/// The one token all domain clients share.
///
/// Callers that find no fresh token queue on one lock; the first fetches, the others then
/// find the new token, so any number of concurrent calls on a cold cache make one request.
#[derive(Debug)]
pub(crate) struct TokenCache {
    endpoint: TokenEndpoint,
    refresh_margin: Duration,
    current: Mutex<Option<CachedToken>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl TokenCache {
    pub fn new(endpoint: TokenEndpoint, refresh_margin: Duration) -> Self {
        Self {
            endpoint,
            refresh_margin,
            current: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// A token that is not due for refresh, fetching one if needed.
    pub async fn token(&self) -> Result<AccessToken, String> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }

        // TODO(#4): a failed fetch is retried by each queued caller in turn; the waiters should
        // share the failure, and a still-valid token should be kept when a refresh fails.
        let _guard = self.refreshing.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }

        let sent_at = Instant::now();
        let response = self.fetch().await?;
        let lifetime = response
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        let margin = self.refresh_margin.min(lifetime / 2);
        let cached = CachedToken {
            token: response.access_token,
            refresh_at: sent_at + lifetime - margin,
        };

        tracing::debug!(
            lifetime_s = lifetime.as_secs(),
            refresh_in_s = (lifetime - margin).as_secs(),
            token_type = response.token_type.as_deref().unwrap_or("unspecified"),
            "fetched an access token"
        );
        let token = cached.token.clone();
        *self
            .current
            .lock()
            .expect("the token lock is never poisoned") = Some(cached);
        Ok(token)
    }

    fn fresh(&self) -> Option<AccessToken> {
        let current = self
            .current
            .lock()
            .expect("the token lock is never poisoned");
        current
            .as_ref()
            .filter(|cached| Instant::now() < cached.refresh_at)
            .map(|cached| cached.token.clone())
    }

    /// One token request. Errors are one line that names the token URL and what it said.
    async fn fetch(&self) -> Result<TokenResponse, String> {
        let endpoint = &self.endpoint;
        let url = endpoint.url.as_str();

        let response = endpoint
            .http
            .post(endpoint.url.clone())
            .basic_auth(
                endpoint.client_id.as_str(),
                Some(endpoint.client_secret.secret()),
            )
            .form(&[("grant_type", "client_credentials")])
            .timeout(endpoint.timeout)
            .send()
            .await
            .map_err(|error| {
                let what = if error.is_timeout() {
                    "timed out"
                } else {
                    "failed"
                };
                format!("the token request to {url} {what}: {}", without_url(&error))
            })?;

        let status = response.status();
        let body = response.bytes().await.map_err(|error| {
            format!(
                "reading the answer of {url} failed: {}",
                without_url(&error)
            )
        })?;

        if status.is_success() {
            // The body holds the token: quote nothing of it, only where decoding stopped.
            return serde_json::from_slice(&body).map_err(|error| {
                format!(
                    "the answer of {url} is not a token response ({:?} error at line {}, \
                     column {})",
                    error.classify(),
                    error.line(),
                    error.column()
                )
            });
        }

        let rejection: Option<StandardErrorResponse<BasicErrorResponseType>> =
            serde_json::from_slice(&body).ok();
        Err(match rejection {
            Some(rejection) => {
                let description = rejection
                    .error_description()
                    .map(|text| format!(" ({text})"))
                    .unwrap_or_default();
                format!(
                    "the token endpoint {url} refused the client credentials: HTTP {} {}{description}",
                    status.as_u16(),
                    rejection.error().as_ref()
                )
            }
            None => format!(
                "the token endpoint {url} answered HTTP {}: {}",
                status.as_u16(),
                excerpt(&body)
            ),
        })
    }
}

/// reqwest's message names the URL already given; keep the cause alone.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text
            .replace(&format!(" ({url})"), "")
            .replace(&format!(" for url ({url})"), "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The hooks every domain client of one [`Ingrid`](crate::Ingrid) shares: they put the
/// shared token on each request.
#[derive(Debug)]
pub(crate) struct TokenHooks {
    pub cache: TokenCache,
    pub scheme: AuthorizationScheme,
}

impl RequestHooks for TokenHooks {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _operation: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let token = self.cache.token().await?;
            let value = match self.scheme {
                AuthorizationScheme::Bearer => format!("Bearer {}", token.secret()),
                AuthorizationScheme::BareToken => token.secret().clone(),
            };
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                "the token endpoint sent a token that is not a header value".to_owned()
            })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
            Ok(())
        })
    }
}
