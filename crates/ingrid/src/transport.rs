//! What happens to each request of every domain client: the token, retries, one replay after
//! a 401.
//!
//! Every Ingrid operation is a GET, so every request can be sent again without harm:
//! - 429 and 503 are retried after their `Retry-After` (seconds or an HTTP date), capped;
//! - 500, 502, 503, 504 and connections that fail or break before the answer are retried with
//!   exponential backoff and jitter (a connect timeout included: nothing was sent); a request
//!   that timed out once sent is not (the server may still be working on it);
//! - a 401 means the token was revoked or expired early: that token is dropped, a new one is
//!   fetched (once for all concurrent callers) and the request is sent once more. A second 401
//!   is the caller's.
//!
//! An error answer whose body is not a JSON object (a gateway's HTML page, an empty 503, a body
//! that broke off) is given a problem+json body with its status, so that the caller sees the
//! status and the start of the page instead of a decoding failure. At most
//! [`ERROR_BODY_LIMIT`] bytes of it are read.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use ingrid_types::hooks::RequestHooks;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};

use crate::auth::TokenCache;
use crate::call;
use crate::config::AuthorizationScheme;
use crate::quote::{ERROR_BODY_LIMIT, Secrets};

/// How failed requests are sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 disables retries.
    pub max_attempts: u32,
    /// The first backoff; each further one doubles, up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest backoff between two attempts.
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, backoff from 500 ms doubling to at most 8 s, `Retry-After` up to 60 s.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` after `attempt` failed: half the exponential
    /// delay, plus up to as much again at random (`jitter` in `[0, 1)`).
    pub(crate) fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let delay = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        delay.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// The hooks every domain client of one [`Ingrid`](crate::Ingrid) shares.
#[derive(Debug)]
pub(crate) struct TokenHooks {
    pub cache: TokenCache,
    pub scheme: AuthorizationScheme,
    pub retry: RetryPolicy,
}

impl TokenHooks {
    fn authorization(&self, token: &str) -> Result<HeaderValue, String> {
        let value = match self.scheme {
            AuthorizationScheme::Bearer => format!("Bearer {token}"),
            AuthorizationScheme::BareToken => token.to_owned(),
        };
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| "the token endpoint sent a token that is not a valid header value")?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// The token a request carries, as the cache knows it.
    fn token_of(&self, request: &reqwest::Request) -> Option<String> {
        let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
        let token = match self.scheme {
            AuthorizationScheme::Bearer => value.strip_prefix("Bearer ")?,
            AuthorizationScheme::BareToken => value,
        };
        Some(token.to_owned())
    }

    /// Sends `request`, retrying as the module documentation says; returns the last answer.
    /// `sending.attempts` counts on from the requests of the call sent before this one.
    async fn send_with_retries(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
        sending: &mut Sending,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = request;
        let mut attempt = 1;

        loop {
            sending.attempts += 1;
            tracing::Span::current().record("attempt", sending.attempts);
            call::note_attempt();
            let again = (attempt < self.retry.max_attempts)
                .then(|| request.try_clone())
                .flatten();
            let result = client.execute(request).await;

            let Some(next) = again else {
                return result;
            };
            let delay = match &result {
                Ok(response) => {
                    match retry_delay(response.status(), response.headers(), &self.retry) {
                        Some(retry_after) => retry_after
                            .unwrap_or_else(|| self.retry.backoff(attempt, rand::random())),
                        None => return result,
                    }
                }
                Err(error) if is_retryable_failure(error) => {
                    self.retry.backoff(attempt, rand::random())
                }
                Err(_) => return result,
            };

            let cause = match &result {
                Ok(response) => format!("HTTP {}", response.status().as_u16()),
                Err(error) => format!("connection failed: {error}"),
            };
            tracing::warn!(
                operation,
                attempt = sending.attempts,
                next_attempt = sending.attempts + 1,
                delay_ms = delay.as_millis() as u64,
                %cause,
                "retrying"
            );
            drop(result);
            tokio::time::sleep(delay).await;
            request = next;
            attempt += 1;
        }
    }

    /// Sends with retries, and once more with a new token after a 401.
    async fn send_with_replay(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
        sending: &mut Sending,
    ) -> reqwest::Result<reqwest::Response> {
        let replay = request.try_clone();
        let used_token = self.token_of(&request);
        sending.tokens.extend(used_token.clone());
        let response = self
            .send_with_retries(client, request, operation, sending)
            .await?;

        let (Some(mut replay), Some(used_token)) = (replay, used_token) else {
            return Ok(response);
        };
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }

        tracing::debug!(
            operation,
            "the API refused the access token; fetching a new one"
        );
        self.cache.invalidate(&used_token);
        let token = match self.cache.fresh_token().await {
            Ok(token) => token,
            Err(error) => {
                call::note_auth_failure(error);
                return Ok(response);
            }
        };
        let Ok(value) = self.authorization(token.secret()) else {
            return Ok(response);
        };
        replay.headers_mut().insert(AUTHORIZATION, value);
        call::note_token(&token);
        call::note_replayed();
        sending.tokens.push(token.secret().clone());
        self.send_with_retries(client, replay, operation, sending)
            .await
    }
}

impl Drop for TokenHooks {
    /// The last client is gone: a token request under way would only keep sending the
    /// credentials for nobody.
    fn drop(&mut self) {
        self.cache.stop();
    }
}

/// What one call's requests have been so far: how many were sent, with which tokens.
#[derive(Debug, Default)]
struct Sending {
    attempts: u32,
    tokens: Vec<String>,
}

/// Whether a request that got no answer may be sent again: the connection failed (a connect
/// timeout included: nothing was sent), or broke before the answer came (reset, closed
/// early). A request that timed out once sent is not: the server may still be working on it,
/// and each attempt would wait as long again.
pub(crate) fn is_retryable_failure(error: &reqwest::Error) -> bool {
    error.is_connect() || (error.is_request() && !error.is_timeout())
}

/// At most the first `limit` bytes of a body and one more, so that the caller can tell a body
/// of exactly `limit` bytes from a longer one; the rest is not read.
pub(crate) async fn read_at_most(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<Vec<u8>> {
    let limit = limit + 1;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() >= room {
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Whether to retry after this answer: `None` not at all, `Some(None)` after a backoff,
/// `Some(Some(delay))` after the server's `Retry-After`.
fn retry_delay(
    status: StatusCode,
    headers: &HeaderMap,
    policy: &RetryPolicy,
) -> Option<Option<Duration>> {
    match status.as_u16() {
        429 | 503 => Some(retry_after(headers).map(|delay| delay.min(policy.max_retry_after))),
        500 | 502 | 504 => Some(None),
        _ => None,
    }
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // Too many digits for a u64 is still "a very long time", which the cap then cuts.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    // A date in the past means "now".
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl RequestHooks for TokenHooks {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            call::note_operation(operation);
            let token = self.cache.token().await.map_err(|error| {
                let message = error.to_string();
                call::note_auth_failure(Arc::clone(&error));
                message
            })?;
            let value = self.authorization(token.secret())?;
            request.headers_mut().insert(AUTHORIZATION, value);
            call::note_token(&token);
            Ok(())
        })
    }

    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let mut sending = Sending::default();
            let response = self
                .send_with_replay(client, request, operation, &mut sending)
                .await?;
            let tokens = Secrets::new(sending.tokens.iter().map(String::as_str));
            Ok(with_problem_body(response, &tokens).await)
        })
    }
}

/// An error answer whose body is not a problem (HTML, text, empty, cut short, larger than
/// [`ERROR_BODY_LIMIT`], or a JSON object with members of the wrong types), rewritten as an
/// RFC 7807 problem with the status, its reason and the start of the body without `tokens`;
/// any other answer as it came.
async fn with_problem_body(response: reqwest::Response, tokens: &Secrets) -> reqwest::Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }

    let headers = response.headers().clone();
    let (body, detail) = match read_at_most(response, ERROR_BODY_LIMIT).await {
        Ok(body) => {
            let detail = tokens.excerpt(&body);
            (body, detail)
        }
        // The status is what matters; a body that broke off is said to have.
        Err(error) => (Vec::new(), format!("the body broke off: {error}")),
    };
    // Our problem type decodes any JSON object whose members have the right types.
    let is_problem = body.len() <= ERROR_BODY_LIMIT
        && serde_json::from_slice::<ingrid_types::Problem>(&body).is_ok();
    let body = if is_problem {
        body
    } else {
        let mut problem = serde_json::json!({
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
        });
        if !detail.is_empty() {
            problem["detail"] = serde_json::Value::String(detail);
        }
        problem.to_string().into_bytes()
    };

    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    rebuilt
        .headers_mut()
        .remove(reqwest::header::CONTENT_LENGTH);
    reqwest::Response::from(rebuilt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter() {
        let policy = RetryPolicy::default();

        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(250));
        assert_eq!(policy.backoff(2, 0.0), Duration::from_millis(500));
        assert_eq!(policy.backoff(3, 0.999_999).as_millis(), 1999);
        assert_eq!(policy.backoff(30, 0.0), Duration::from_secs(4));
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_an_http_date_and_capped() {
        let policy = RetryPolicy::default();
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            headers
        };
        let in_ten_seconds = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(10));

        let seconds = retry_delay(StatusCode::TOO_MANY_REQUESTS, &headers("7"), &policy);
        let date = retry_delay(
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&in_ten_seconds),
            &policy,
        );
        let long = retry_delay(StatusCode::TOO_MANY_REQUESTS, &headers("3600"), &policy);
        let huge = retry_delay(
            StatusCode::TOO_MANY_REQUESTS,
            &headers("99999999999999999999999"),
            &policy,
        );
        let past = retry_delay(
            StatusCode::TOO_MANY_REQUESTS,
            &headers("Thu, 01 Jan 1970 00:00:00 GMT"),
            &policy,
        );

        assert_eq!(seconds, Some(Some(Duration::from_secs(7))));
        let date = date.flatten().unwrap();
        assert!(
            date > Duration::from_secs(8) && date <= Duration::from_secs(10),
            "{date:?}"
        );
        assert_eq!(long, Some(Some(Duration::from_secs(60))));
        assert_eq!(huge, Some(Some(Duration::from_secs(60))));
        assert_eq!(past, Some(Some(Duration::ZERO)));
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        let policy = RetryPolicy::default();
        let none = HeaderMap::new();

        for status in [500, 502, 503, 504, 429] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(retry_delay(status, &none, &policy), Some(None), "{status}");
        }
        for status in [400, 401, 403, 404, 501] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(retry_delay(status, &none, &policy), None, "{status}");
        }
    }
}
