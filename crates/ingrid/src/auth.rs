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

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use oauth2::basic::BasicErrorResponseType;
use oauth2::{AccessToken, ClientId, ClientSecret, StandardErrorResponse};
use serde::Deserialize;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::error::AuthError;
use crate::quote::{ERROR_BODY_LIMIT, Secrets};
use crate::transport::{RetryPolicy, is_retryable_failure, read_at_most, retry_after};

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
    /// Seconds; see [`lifetime_seconds`] for what is accepted.
    #[serde(default, deserialize_with = "lifetime_seconds")]
    expires_in: Option<u64>,
}

/// `expires_in` as RFC 6749 has it (a whole number of seconds), and as servers send it
/// otherwise: a string, a fraction (cut to whole seconds) or a number too large for any clock
/// (kept as `u64::MAX`, capped later by [`MAX_TOKEN_LIFETIME`]). A negative or unreadable
/// value counts as missing, so that a usable token is not refused over its lifetime.
fn lifetime_seconds<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lifetime {
        Whole(u64),
        Number(f64),
        Text(String),
        Other(serde::de::IgnoredAny),
    }

    let seconds = match Option::<Lifetime>::deserialize(deserializer)? {
        None => return Ok(None),
        Some(Lifetime::Whole(seconds)) => return Ok(Some(seconds)),
        Some(Lifetime::Number(seconds)) => Some(seconds),
        Some(Lifetime::Text(text)) => text.trim().parse::<f64>().ok(),
        Some(Lifetime::Other(_)) => None,
    };
    match seconds {
        // `as` saturates: 1e30 becomes u64::MAX.
        Some(seconds) if seconds >= 0.0 => Ok(Some(seconds as u64)),
        _ => {
            tracing::warn!(
                "the token endpoint sent an unreadable expires_in; assuming the default"
            );
            Ok(None)
        }
    }
}

/// Why one token request failed, and how long the endpoint asked to wait before the next.
struct Failure {
    error: AuthError,
    retry_after: Option<Duration>,
}

impl From<AuthError> for Failure {
    fn from(error: AuthError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

impl TokenEndpoint {
    /// A token, retrying a 429, a 5xx, `temporarily_unavailable` and connection failures after
    /// the endpoint's `Retry-After` or the backoff of the retry policy; `sent_at` is when the
    /// successful request was sent.
    async fn fetch_with_retries(
        &self,
        progress: &Progress,
    ) -> Result<(TokenResponse, Instant), AuthError> {
        let mut attempt = 1;
        loop {
            progress.expect_within(self.timeout);
            let failure = match self.fetch().await {
                Ok(token) => return Ok(token),
                Err(failure) => failure,
            };
            let transient = match &failure.error {
                AuthError::TokenTransport { source, .. } => is_retryable_failure(source),
                AuthError::TokenEndpoint { status, .. } => is_transient(*status),
                AuthError::TokenRefused { status, error, .. } => {
                    is_transient(*status) || error == "temporarily_unavailable"
                }
                _ => false,
            };
            if !transient || attempt >= self.retry.max_attempts {
                return Err(with_attempts(failure.error, attempt));
            }

            let delay = match failure.retry_after {
                Some(delay) => delay.min(self.retry.max_retry_after),
                None => self.retry.backoff(attempt, rand::random()),
            };
            tracing::warn!(
                attempt,
                next_attempt = attempt + 1,
                delay_ms = delay.as_millis() as u64,
                error = %failure.error,
                "retrying the token request"
            );
            progress.expect_within(delay);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One token request; `sent_at` is read just before it is sent.
    async fn fetch(&self) -> Result<(TokenResponse, Instant), Failure> {
        let token_url = self.url.to_string();
        let transport = |source| AuthError::TokenTransport {
            token_url: token_url.clone(),
            source,
            attempts: 1,
        };
        let sent_at = Instant::now();

        let response = self
            .http
            .post(self.url.clone())
            .basic_auth(self.client_id.as_str(), Some(self.client_secret.secret()))
            .form(&[("grant_type", "client_credentials")])
            .timeout(self.timeout)
            .send()
            .await
            .map_err(transport)?;

        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let body = read_at_most(response, ERROR_BODY_LIMIT)
            .await
            .map_err(transport)?;

        if (200..300).contains(&status) {
            let token = self.decode(&body, &token_url)?;
            return Ok((token, sent_at));
        }

        // A misbehaving endpoint may echo the request: never repeat the credentials.
        let secrets = self.secrets();
        let clean = |text: &[u8]| secrets.excerpt(text);
        let rejection: Option<StandardErrorResponse<BasicErrorResponseType>> =
            serde_json::from_slice(&body).ok();
        let error = match rejection {
            Some(rejection) => AuthError::TokenRefused {
                token_url,
                status,
                error: clean(rejection.error().as_ref().as_bytes()),
                description: rejection
                    .error_description()
                    .map(|text| clean(text.as_bytes())),
                attempts: 1,
            },
            None => AuthError::TokenEndpoint {
                token_url,
                status,
                excerpt: clean(&body),
                attempts: 1,
            },
        };
        Err(Failure { error, retry_after })
    }

    /// The token in a 2xx answer, if it is one this SDK can use.
    fn decode(&self, body: &[u8], token_url: &str) -> Result<TokenResponse, AuthError> {
        let refuse = |reason: String| AuthError::TokenResponse {
            token_url: token_url.to_owned(),
            reason,
        };

        if body.len() > ERROR_BODY_LIMIT {
            return Err(refuse(format!(
                "the answer is larger than {ERROR_BODY_LIMIT} bytes"
            )));
        }
        // The body holds the token: quote nothing of it, only where decoding stopped.
        let token: TokenResponse = serde_json::from_slice(body).map_err(|error| {
            refuse(format!(
                "{} at line {}, column {}",
                match error.classify() {
                    serde_json::error::Category::Data => "a missing or mistyped member",
                    _ => "invalid JSON",
                },
                error.line(),
                error.column()
            ))
        })?;

        let secret = token.access_token.secret();
        if secret.trim().is_empty() {
            return Err(refuse("the access_token is empty".to_owned()));
        }
        // RFC 6750's b64token is visible ASCII; anything else cannot go in a header, and a
        // token that can never be sent must not be cached for its lifetime.
        if !secret.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(refuse(
                "the access_token has characters an HTTP header cannot carry".to_owned(),
            ));
        }
        match token.token_type.as_deref().map(str::trim) {
            Some(kind) if !kind.eq_ignore_ascii_case("bearer") => Err(refuse(format!(
                "token_type `{}` is not Bearer",
                self.secrets().excerpt(kind.as_bytes())
            ))),
            _ => Ok(token),
        }
    }

    /// What must never be quoted from the endpoint's answers: the client secret and the Basic
    /// value that carries it.
    fn secrets(&self) -> Secrets {
        use base64::Engine;

        let secret = self.client_secret.secret();
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{secret}", self.client_id.as_str()));
        Secrets::new([basic.as_str(), secret.as_str()])
    }
}

/// `error` with the number of token requests it took.
fn with_attempts(mut error: AuthError, attempt: u32) -> AuthError {
    if let AuthError::TokenRefused { attempts, .. }
    | AuthError::TokenEndpoint { attempts, .. }
    | AuthError::TokenTransport { attempts, .. } = &mut error
    {
        *attempts = attempt;
    }
    error
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

/// How many token requests one call starts at most, when the one it waited for was stopped
/// (its runtime shut down) or stalled (its runtime not driven).
const FLIGHTS_PER_CALL: usize = 3;

/// How late a token request may be heard of before it counts as stalled, beyond its own
/// timeout or backoff: slack for a busy runtime.
const PROGRESS_GRACE: Duration = Duration::from_secs(1);

/// The token request under way, run by a task of its own so that it finishes even when every
/// caller waiting for it gives up (a timeout, a `select!`, a dropped future).
struct Running {
    flight: Flight,
    /// Tells whether the task is over: one that is over while still listed here ended without
    /// storing its outcome (it panicked, or its runtime was shut down).
    task: tokio::task::AbortHandle,
    progress: Arc<Progress>,
}

/// By when a token request must next be heard of: answered, or on to its next attempt.
///
/// The task runs on the runtime of the call that started it. If that runtime is not driven
/// (a program that runs one `block_on` per call, and sits idle between calls), the task does
/// not move, and its own timeout cannot fire; a caller that finds it overdue starts another.
#[derive(Debug)]
struct Progress(Mutex<Instant>);

impl Progress {
    fn new() -> Self {
        Self(Mutex::new(Instant::now() + PROGRESS_GRACE))
    }

    /// The request is next heard of within `span` (its timeout, or a backoff).
    fn expect_within(&self, span: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) =
            Instant::now() + span + PROGRESS_GRACE;
    }

    fn deadline(&self) -> Instant {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_overdue(&self) -> bool {
        Instant::now() >= self.deadline()
    }
}

#[derive(Default)]
struct State {
    current: Option<CachedToken>,
    /// The token request under way, shared by everyone who waits for it.
    running: Option<Running>,
    /// No refresh is started before this instant, after a failed one.
    next_refresh_attempt: Option<Instant>,
}

impl State {
    /// The token request under way and its progress, unless its task ended without a word or
    /// stalled; a stalled one is stopped.
    fn running_flight(&mut self) -> Option<(Flight, Arc<Progress>)> {
        let running = self.running.as_ref()?;
        if running.task.is_finished() {
            return None;
        }
        if running.progress.is_overdue() {
            tracing::debug!("a token request made no progress (its runtime is not driven)");
            running.task.abort();
            self.running = None;
            return None;
        }
        Some((running.flight.clone(), Arc::clone(&running.progress)))
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("current", &self.current)
            .field("fetching", &self.running.is_some())
            .finish()
    }
}

#[derive(Debug)]
struct Inner {
    endpoint: TokenEndpoint,
    refresh_margin: Duration,
    state: Mutex<State>,
}

impl Inner {
    /// The shared state. Nothing panics while holding it; should something ever do so, the
    /// state is still consistent (each update is one assignment), so it is used on.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
    /// A token due for refresh but not expired is returned at once, and the first caller that
    /// finds it so starts the refresh in the background. If that refresh fails, the current
    /// token is used until it really expires, and the refresh is tried again
    /// [`REFRESH_RETRY_DELAY`] later. Only callers without a valid token wait.
    pub async fn token(&self) -> Result<AccessToken, Arc<AuthError>> {
        self.get(false).await
    }

    /// Like [`TokenCache::token`], but a token due for refresh is not good enough: the caller
    /// waits for its successor (and gets it back only if that refresh fails). For the replay
    /// after a 401, which must not go out with a token about to expire.
    pub async fn fresh_token(&self) -> Result<AccessToken, Arc<AuthError>> {
        self.get(true).await
    }

    async fn get(&self, wait_for_refresh: bool) -> Result<AccessToken, Arc<AuthError>> {
        let mut last_error = None;

        for _ in 0..FLIGHTS_PER_CALL {
            let (flight, progress, fallback) = {
                let mut state = self.inner.state();
                let now = Instant::now();

                match state.current.clone() {
                    Some(cached) if now < cached.refresh_at => return Ok(cached.token),
                    Some(cached) if now < cached.expires_at => {
                        let backing_off = state.next_refresh_attempt.is_some_and(|at| now < at);
                        let flight = match state.running_flight() {
                            Some(flight) => Some(flight),
                            None if backing_off => None,
                            None => Some(self.start_flight(&mut state)),
                        };
                        match flight {
                            Some((flight, progress)) if wait_for_refresh => {
                                (flight, progress, Some(cached.token))
                            }
                            // The refresh task stores the new token; no need to wait for it.
                            _ => return Ok(cached.token),
                        }
                    }
                    _ => {
                        let (flight, progress) = match state.running_flight() {
                            Some(flight) => flight,
                            None => self.start_flight(&mut state),
                        };
                        (flight, progress, None)
                    }
                }
            };

            let error = match wait_for(flight, &progress).await {
                Ok(cached) => return Ok(cached.token),
                Err(error) => error,
            };
            if let Some(still_valid) = fallback {
                return Ok(still_valid);
            }
            // A request stopped with another runtime, or stalled on it: try again on ours.
            let gone = matches!(error.as_ref(), AuthError::Interrupted(_));
            last_error = Some(error);
            if !gone {
                break;
            }
        }

        Err(last_error.expect("the loop runs at least once"))
    }

    /// Forgets `rejected` if it is still the current token, so that the next call fetches a
    /// new one; a newer token fetched meanwhile by another caller is kept.
    pub fn invalidate(&self, rejected: &str) {
        let mut state = self.inner.state();
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

    /// Stops the token request under way, if any: nobody will use what it brings.
    pub fn stop(&self) {
        if let Some(running) = self.inner.state().running.take() {
            running.task.abort();
        }
    }

    /// Starts the token request that `state` shares from now on, on a task of its own.
    fn start_flight(&self, state: &mut State) -> (Flight, Arc<Progress>) {
        let refreshing = state.current.is_some();
        let progress = Arc::new(Progress::new());
        let inner = Arc::clone(&self.inner);
        let task_progress = Arc::clone(&progress);
        let task = tokio::spawn(
            async move { inner.fetch_and_store(refreshing, &task_progress).await }
                .instrument(tracing::Span::current()),
        );
        let abort = task.abort_handle();

        let flight = async move {
            task.await.unwrap_or_else(|stopped| {
                Err(Arc::new(AuthError::Interrupted(stopped.to_string())))
            })
        }
        .boxed()
        .shared();
        state.running = Some(Running {
            flight: flight.clone(),
            task: abort,
            progress: Arc::clone(&progress),
        });
        (flight, progress)
    }
}

/// The outcome of `flight`, or an [`AuthError::Interrupted`] once it is overdue: a request
/// that is not driven would otherwise be waited for forever.
async fn wait_for(flight: Flight, progress: &Progress) -> Result<CachedToken, Arc<AuthError>> {
    loop {
        let deadline = progress.deadline();
        if let Ok(result) = tokio::time::timeout_at(deadline, flight.clone()).await {
            return result;
        }
        // The deadline moves on with every attempt; only one that stays passed is a stall.
        if progress.is_overdue() {
            return Err(Arc::new(AuthError::Interrupted(
                "the token request made no progress: the runtime running it is not being driven"
                    .to_owned(),
            )));
        }
    }
}

impl Inner {
    /// Runs once per flight, on its own task: fetches, then updates the shared state.
    async fn fetch_and_store(
        &self,
        refreshing: bool,
        progress: &Progress,
    ) -> Result<CachedToken, Arc<AuthError>> {
        let result = self.endpoint.fetch_with_retries(progress).await;
        let jitter = rand::random::<f64>();

        let mut state = self.state();
        state.running = None;
        match result {
            Ok((response, sent_at)) => {
                let lifetime = response
                    .expires_in
                    .map(Duration::from_secs)
                    .unwrap_or(DEFAULT_TOKEN_LIFETIME)
                    .min(MAX_TOKEN_LIFETIME);
                let ahead = refresh_ahead(self.refresh_margin, lifetime, jitter);
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
/// never more than three quarters of the lifetime, however large the margin.
fn refresh_ahead(margin: Duration, lifetime: Duration, jitter: f64) -> Duration {
    let most = lifetime.mul_f64(0.75);
    let margin = margin.min(most);
    let spread = margin.mul_f64(jitter.clamp(0.0, 1.0) / 2.0);
    (margin + spread).min(most)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache whose token endpoint is `server`, with the default margin.
    fn cache_of(server: &httpmock::MockServer) -> TokenCache {
        let endpoint = TokenEndpoint {
            http: reqwest::Client::new(),
            url: Url::parse(&server.url("/oauth2/token")).unwrap(),
            client_id: ClientId::new("id".to_owned()),
            client_secret: ClientSecret::new("secret".to_owned()),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        };
        TokenCache::new(endpoint, crate::DEFAULT_REFRESH_MARGIN)
    }

    async fn token_answer<'a>(server: &'a httpmock::MockServer, token: &str) -> httpmock::Mock<'a> {
        let body = serde_json::json!({"access_token": token, "expires_in": 100});
        server
            .mock_async(|when, then| {
                when.path("/oauth2/token");
                then.status(200).json_body(body);
            })
            .await
    }

    #[tokio::test]
    async fn a_fresh_token_is_not_one_due_for_refresh() {
        let server = httpmock::MockServer::start_async().await;
        let first = token_answer(&server, "first").await;
        let cache = cache_of(&server);
        assert_eq!(cache.token().await.unwrap().secret(), "first");

        // Lifetime 100 s, replaced 60 to 75 s ahead: due after 50 s.
        first.delete_async().await;
        token_answer(&server, "second").await;
        tokio::time::pause();
        tokio::time::advance(Duration::from_secs(50)).await;
        tokio::time::resume();

        assert_eq!(cache.token().await.unwrap().secret(), "first");
        assert_eq!(cache.fresh_token().await.unwrap().secret(), "second");
        assert_eq!(cache.token().await.unwrap().secret(), "second");
    }

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
        assert_eq!(refresh_ahead(Duration::MAX, hour, 0.9), hour.mul_f64(0.75));
    }

    #[test]
    fn expires_in_is_read_leniently_and_an_unreadable_one_counts_as_missing() {
        let lifetime = |value: &str| {
            let body = format!(r#"{{"access_token": "a", "expires_in": {value}}}"#);
            serde_json::from_str::<TokenResponse>(&body)
                .unwrap_or_else(|error| panic!("{value}: {error}"))
                .expires_in
        };
        let missing: TokenResponse = serde_json::from_str(r#"{"access_token": "a"}"#).unwrap();

        assert_eq!(lifetime("7200"), Some(7200));
        assert_eq!(lifetime(r#"" 7200 ""#), Some(7200));
        assert_eq!(lifetime("3599.5"), Some(3599));
        assert_eq!(lifetime(r#""3600.0""#), Some(3600));
        assert_eq!(lifetime("1e30"), Some(u64::MAX));
        assert_eq!(lifetime(r#""99999999999999999999999""#), Some(u64::MAX));
        assert_eq!(lifetime("null"), None);
        assert_eq!(lifetime("-1"), None);
        assert_eq!(lifetime(r#""soon""#), None);
        assert_eq!(lifetime("[1]"), None);
        assert_eq!(missing.expires_in, None);
    }
}
