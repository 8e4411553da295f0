//! The OAuth 2.0 client-credentials exchange and the one token every domain client shares.
//!
//! The exchange follows GRTgaz's connection guide to the letter: a form POST of
//! `grant_type=client_credentials` with `Authorization: Basic base64(id:secret)`, where id and
//! secret are joined raw. The `oauth2` crate URL-encodes both before joining them (RFC 6749
//! §2.3.1), which changes the header for any secret holding `+`, `/`, `=` or `%`; so the
//! request is built here, and `oauth2` provides the redacted secret and token types and the
//! RFC 6749 error model.
//!
//! The cache makes one token request at a time ("single flight"): every caller that needs a
//! token while one is being fetched waits for that same request and shares its outcome,
//! success or failure. Times are read from tokio's monotonic clock, never from the server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use oauth2::basic::BasicErrorResponseType;
use oauth2::{AccessToken, ClientId, ClientSecret, StandardErrorResponse};
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use crate::error::{AuthError, excerpt};
use crate::transport::RetryPolicy;

/// The lifetime assumed when the token endpoint does not say (`expires_in` missing).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The longest lifetime believed, whatever `expires_in` says: a day. A longer one would only
/// postpone a refresh the server may need; an absurd one would overflow the clock.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// After a failed refresh while the current token is still valid, the next refresh is tried
/// this much later; calls meanwhile go on with the current token.
pub const REFRESH_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Where and how to ask for tokens.
#[derive(Debug)]
pub(crate) struct TokenEndpoint {
    pub http: reqwest::Client,
    pub url: Url,
    pub client_id: ClientId,
    pub client_secret: ClientSecret,
    pub timeout: Duration,
    /// Transient failures of the token endpoint are retried like those of the API.
    pub retry: RetryPolicy,
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
                serde::de::Error::custom("expires_in is not a whole number of seconds")
            })
        }
    }
}

impl TokenEndpoint {
    /// A token, retrying a 429, a 5xx, `temporarily_unavailable` and connection failures with
    /// the backoff of the retry policy; `sent_at` is when the successful request was sent.
    async fn fetch_with_retries(&self) -> Result<(TokenResponse, Instant), AuthError> {
        let mut attempt = 1;
        loop {
            let result = self.fetch().await;
            let transient = match &result {
                Ok(_) => false,
                Err(AuthError::TokenTransport { source, .. }) => source.is_connect(),
                Err(AuthError::TokenEndpoint { status, .. }) => is_transient(*status),
                Err(AuthError::TokenRefused { status, error, .. }) => {
                    is_transient(*status) || error == "temporarily_unavailable"
                }
                Err(_) => false,
            };
            if !transient || attempt >= self.retry.max_attempts {
                return result;
            }

            let delay = self.retry.backoff(attempt, rand::random());
            if let Err(error) = &result {
                tracing::warn!(
                    attempt,
                    next_attempt = attempt + 1,
                    delay_ms = delay.as_millis() as u64,
                    %error,
                    "retrying the token request"
                );
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One token request; `sent_at` is read just before it is sent.
    async fn fetch(&self) -> Result<(TokenResponse, Instant), AuthError> {
        let token_url = self.url.to_string();
        let sent_at = Instant::now();

        let response = self
            .http
            .post(self.url.clone())
            .basic_auth(self.client_id.as_str(), Some(self.client_secret.secret()))
            .form(&[("grant_type", "client_credentials")])
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|source| AuthError::TokenTransport {
                token_url: token_url.clone(),
                source,
            })?;

        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|source| AuthError::TokenTransport {
                token_url: token_url.clone(),
                source,
            })?;

        if (200..300).contains(&status) {
            // The body holds the token: quote nothing of it, only where decoding stopped.
            let token: TokenResponse =
                serde_json::from_slice(&body).map_err(|error| AuthError::TokenResponse {
                    token_url: token_url.clone(),
                    reason: format!(
                        "{} at line {}, column {}",
                        match error.classify() {
                            serde_json::error::Category::Data => "a missing or mistyped member",
                            _ => "invalid JSON",
                        },
                        error.line(),
                        error.column()
                    ),
                })?;
            return check(token, &token_url).map(|token| (token, sent_at));
        }

        // A misbehaving endpoint may echo the request: never repeat the credentials.
        let clean = |text: &[u8]| self.redact(&excerpt(text));
        let rejection: Option<StandardErrorResponse<BasicErrorResponseType>> =
            serde_json::from_slice(&body).ok();
        Err(match rejection {
            Some(rejection) => AuthError::TokenRefused {
                token_url,
                status,
                error: clean(rejection.error().as_ref().as_bytes()),
                description: rejection
                    .error_description()
                    .map(|text| clean(text.as_bytes())),
            },
            None => AuthError::TokenEndpoint {
                token_url,
                status,
                excerpt: clean(&body),
            },
        })
    }

    /// `text` without the client secret or the Basic value that carries it.
    fn redact(&self, text: &str) -> String {
        use base64::Engine;

        let secret = self.client_secret.secret();
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{secret}", self.client_id.as_str()));
        [basic.as_str(), secret.as_str()]
            .into_iter()
            .filter(|needle| !needle.is_empty())
            .fold(text.to_owned(), |text, needle| {
                text.replace(needle, "[redacted]")
            })
    }
}

/// Refuses a token this SDK cannot use: empty, or of a type other than Bearer (RFC 6750).
fn check(token: TokenResponse, token_url: &str) -> Result<TokenResponse, AuthError> {
    let refuse = |reason: String| AuthError::TokenResponse {
        token_url: token_url.to_owned(),
        reason,
    };

    if token.access_token.secret().trim().is_empty() {
        return Err(refuse("the access_token is empty".to_owned()));
    }
    match token.token_type.as_deref() {
        Some(kind) if !kind.eq_ignore_ascii_case("bearer") => Err(refuse(format!(
            "token_type `{}` is not Bearer",
            excerpt(kind.as_bytes())
        ))),
        _ => Ok(token),
    }
}

fn is_transient(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// A token, the instant (tokio's clock) from which it is replaced, and the instant at which
/// it expires.
#[derive(Clone, Debug)]
pub(crate) struct CachedToken {
    pub token: AccessToken,
    refresh_at: Instant,
    expires_at: Instant,
}

type Flight = Shared<BoxFuture<'static, Result<CachedToken, Arc<AuthError>>>>;

#[derive(Default)]
struct State {
    current: Option<CachedToken>,
    /// The token request under way, shared by everyone who waits for it.
    flight: Option<Flight>,
    /// No refresh is started before this instant, after a failed one.
    next_refresh_attempt: Option<Instant>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("current", &self.current)
            .field("fetching", &self.flight.is_some())
            .finish()
    }
}

#[derive(Debug)]
struct Inner {
    endpoint: TokenEndpoint,
    refresh_margin: Duration,
    state: Mutex<State>,
}

/// The one token all domain clients share; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct TokenCache {
    inner: Arc<Inner>,
}

impl TokenCache {
    pub fn new(endpoint: TokenEndpoint, refresh_margin: Duration) -> Self {
        let inner = Inner {
            endpoint,
            refresh_margin,
            state: Mutex::new(State::default()),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// A valid token: the cached one, or the outcome of the (shared) token request.
    ///
    /// A token due for refresh but not expired is refreshed by the one caller that finds it
    /// so; if that refresh fails, the current token is used until it really expires, and the
    /// refresh is tried again [`REFRESH_RETRY_DELAY`] later.
    pub async fn token(&self) -> Result<AccessToken, Arc<AuthError>> {
        let (flight, fallback) = {
            let mut state = self
                .inner
                .state
                .lock()
                .expect("the token lock is never poisoned");
            let now = Instant::now();

            match &state.current {
                Some(cached) if now < cached.refresh_at => return Ok(cached.token.clone()),
                Some(cached) if now < cached.expires_at => {
                    let backing_off = state.next_refresh_attempt.is_some_and(|at| now < at);
                    if backing_off || state.flight.is_some() {
                        // Someone else refreshes, or a refresh just failed: go on with it.
                        return Ok(cached.token.clone());
                    }
                    let fallback = cached.token.clone();
                    (self.start_flight(&mut state), Some(fallback))
                }
                _ => {
                    let flight = match &state.flight {
                        Some(flight) => flight.clone(),
                        None => self.start_flight(&mut state),
                    };
                    (flight, None)
                }
            }
        };

        match (flight.await, fallback) {
            (Ok(cached), _) => Ok(cached.token),
            (Err(_), Some(still_valid)) => Ok(still_valid),
            (Err(error), None) => Err(error),
        }
    }

    /// Forgets `rejected` if it is still the current token, so that the next call fetches a
    /// new one; a newer token fetched meanwhile by another caller is kept.
    pub fn invalidate(&self, rejected: &str) {
        let mut state = self
            .inner
            .state
            .lock()
            .expect("the token lock is never poisoned");
        if state
            .current
            .as_ref()
            .is_some_and(|cached| cached.token.secret() == rejected)
        {
            state.current = None;
            state.next_refresh_attempt = None;
            tracing::debug!("dropped the access token the API refused");
        }
    }

    /// Starts the token request that `state` shares from now on.
    fn start_flight(&self, state: &mut State) -> Flight {
        let inner = Arc::clone(&self.inner);
        let refreshing = state.current.is_some();
        let flight = async move { inner.fetch_and_store(refreshing).await }
            .boxed()
            .shared();
        state.flight = Some(flight.clone());
        flight
    }
}

impl Inner {
    /// Runs once per flight, whoever polls it: fetches, then updates the shared state.
    async fn fetch_and_store(&self, refreshing: bool) -> Result<CachedToken, Arc<AuthError>> {
        let result = self.endpoint.fetch_with_retries().await;

        let mut state = self.state.lock().expect("the token lock is never poisoned");
        state.flight = None;
        match result {
            Ok((response, sent_at)) => {
                let lifetime = response
                    .expires_in
                    .map(Duration::from_secs)
                    .unwrap_or(DEFAULT_TOKEN_LIFETIME)
                    .min(MAX_TOKEN_LIFETIME);
                let ahead = refresh_ahead(self.refresh_margin, lifetime, rand::random::<f64>());
                let cached = CachedToken {
                    token: response.access_token,
                    refresh_at: sent_at + lifetime - ahead,
                    expires_at: sent_at + lifetime,
                };
                tracing::debug!(
                    lifetime_s = lifetime.as_secs(),
                    refresh_in_s = (lifetime - ahead).as_secs(),
                    token_type = response.token_type.as_deref().unwrap_or("unspecified"),
                    "{} an access token",
                    if refreshing { "refreshed" } else { "fetched" }
                );
                state.current = Some(cached.clone());
                state.next_refresh_attempt = None;
                Ok(cached)
            }
            Err(error) => {
                let still_valid = state
                    .current
                    .as_ref()
                    .is_some_and(|cached| Instant::now() < cached.expires_at);
                if still_valid {
                    state.next_refresh_attempt = Some(Instant::now() + REFRESH_RETRY_DELAY);
                    tracing::debug!(%error, "kept the current access token after a failed refresh");
                } else {
                    tracing::debug!(%error, "no access token");
                }
                Err(Arc::new(error))
            }
        }
    }
}

/// How long before expiry a token is replaced: the margin plus up to half of it again at
/// random (`jitter` in `[0, 1)`), so that processes started together do not refresh together;
/// never more than three quarters of the lifetime.
fn refresh_ahead(margin: Duration, lifetime: Duration, jitter: f64) -> Duration {
    let ahead = margin.mul_f64(1.0 + jitter.clamp(0.0, 1.0) / 2.0);
    ahead.min(lifetime.mul_f64(0.75))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refresh_margin_has_jitter_and_stays_within_the_lifetime() {
        let hour = Duration::from_secs(3600);
        let minute = Duration::from_secs(60);

        assert_eq!(refresh_ahead(minute, hour, 0.0), minute);
        assert_eq!(refresh_ahead(minute, hour, 0.999_999).as_secs(), 89);
        assert_eq!(
            refresh_ahead(minute, Duration::from_secs(40), 0.5),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn expires_in_is_read_as_a_number_or_a_string_and_may_be_missing() {
        let number: TokenResponse =
            serde_json::from_str(r#"{"access_token": "a", "expires_in": 7200}"#).unwrap();
        let text: TokenResponse =
            serde_json::from_str(r#"{"access_token": "a", "expires_in": " 7200 "}"#).unwrap();
        let missing: TokenResponse = serde_json::from_str(r#"{"access_token": "a"}"#).unwrap();
        let bad =
            serde_json::from_str::<TokenResponse>(r#"{"access_token": "a", "expires_in": "soon"}"#);

        assert_eq!(number.expires_in, Some(7200));
        assert_eq!(text.expires_in, Some(7200));
        assert_eq!(missing.expires_in, None);
        assert!(bad.is_err());
    }
}
