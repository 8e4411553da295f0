//! The errors of the facade: what went wrong, and where, in one line a person can act on.

use std::fmt;
use std::sync::Arc;

use ingrid_types::Problem;
use serde::de::DeserializeOwned;

use crate::call::Ledger;
use crate::quote::{ERROR_BODY_LIMIT, Secrets, cut, one_line};

/// The longest server message (a problem's title and detail) an error's `Display` repeats.
const MESSAGE_BYTES: usize = 1000;

/// Everything a call through [`Ingrid`](crate::Ingrid) can fail with, by category.
///
/// `Display` is one line that names the operation and says what failed; the cause chain is
/// kept in `source()`. No variant ever holds the client secret or a token. Use
/// [`Call::call`](crate::Call::call) to get errors with the operation and the attempt count.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or wrong; nothing was sent.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),

    /// No access token could be had, or the API refused a fresh one.
    #[error("authentication: {0}")]
    Auth(#[source] Arc<AuthError>),

    /// The API answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The request timed out: once sent (not retried, as the server may still be working on
    /// it), or while connecting, on every attempt.
    #[error("{}", .0.describe("timed out"))]
    Timeout(#[source] Box<TransportError>),

    /// The request could not be sent or its answer not read, on every attempt.
    #[error("{}", .0.describe("failed"))]
    Transport(#[source] Box<TransportError>),

    /// The answer is not what the spec describes.
    #[error("{0}")]
    Decode(Box<DecodeError>),

    /// The request was incomplete or a parameter could not be converted; nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

/// An error status from the API, with the problem the server described.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// The decoded RFC 7807 problem (a gateway's `{"message": ...}` lands in its `extra`).
    pub problem: Option<Problem>,
    /// The start of the body when it was not a JSON object.
    pub excerpt: Option<String>,
    /// The generated method that was called, when known.
    pub operation: Option<&'static str>,
    /// Requests sent in all (0 when not counted).
    pub attempts: u32,
}

impl ApiError {
    /// The server's own words: the problem's title and detail, a gateway's message, or the
    /// start of the body.
    pub fn message(&self) -> Option<String> {
        if let Some(problem) = &self.problem {
            let gateway_message = problem
                .extra
                .get("message")
                .and_then(|value| value.as_str());
            let parts: Vec<&str> = [problem.title.as_deref(), problem.detail.as_deref()]
                .into_iter()
                .flatten()
                .chain(gateway_message)
                .collect();
            if !parts.is_empty() {
                return Some(cut(one_line(&parts.join(": ")), MESSAGE_BYTES));
            }
        }
        self.excerpt.clone().filter(|excerpt| !excerpt.is_empty())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("");
        if let Some(operation) = self.operation {
            write!(f, "{operation}: ")?;
        }
        write!(f, "HTTP {} {reason}", self.status)?;

        // A problem's title is often the reason phrase again; say it once.
        let message = self.message().map(|message| {
            let repeated = format!("{reason}: ");
            message
                .strip_prefix(&repeated)
                .map(str::to_owned)
                .unwrap_or(message)
        });
        if let Some(message) = message.filter(|message| message != reason) {
            write!(f, ": {message}")?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

/// A request that timed out or failed below HTTP.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.describe("failed"))]
#[non_exhaustive]
pub struct TransportError {
    /// The generated method that was called, when known.
    pub operation: Option<&'static str>,
    /// Requests sent in all (0 when not counted).
    pub attempts: u32,
    /// reqwest's error: its message names the URL (whose query holds no secret) and cause.
    #[source]
    pub source: reqwest::Error,
}

impl TransportError {
    fn describe(&self, what: &str) -> String {
        let operation = self
            .operation
            .map(|operation| format!("{operation}: "))
            .unwrap_or_default();
        let attempts = match self.attempts {
            0 | 1 => String::new(),
            attempts => format!(" after {attempts} attempts"),
        };
        format!(
            "{operation}request {what}{attempts}: {}",
            cause_chain(&self.source)
        )
    }
}

/// An answer that does not decode as the spec's type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// The generated method that was called, when known.
    pub operation: Option<&'static str>,
    /// Where decoding stopped, as a path into the JSON (`data[3].allocatedQuantity`).
    pub path: Option<String>,
    /// What the decoder said, with the line and column.
    pub message: String,
    /// The start of the body, at most a few hundred bytes.
    pub excerpt: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(operation) = self.operation {
            write!(f, "{operation}: ")?;
        }
        write!(f, "cannot decode the answer")?;
        if let Some(path) = &self.path {
            write!(f, " at `{path}`")?;
        }
        write!(
            f,
            ": {}; the body starts with: {}",
            self.message, self.excerpt
        )
    }
}

/// Why no access token could be had, or why the API refused one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint answered with an RFC 6749 error (`invalid_client`,
    /// `temporarily_unavailable` ...).
    #[error(
        "the token endpoint {token_url} answered HTTP {status} {error}{}{}",
        description.as_deref().map(|text| format!(" ({text})")).unwrap_or_default(),
        after_attempts(*attempts)
    )]
    TokenRefused {
        /// The token URL.
        token_url: String,
        /// The HTTP status.
        status: u16,
        /// RFC 6749 `error`.
        error: String,
        /// RFC 6749 `error_description`.
        description: Option<String>,
        /// Token requests sent in all, retries included.
        attempts: u32,
    },
    /// The token endpoint answered an error status without an RFC 6749 body.
    #[error(
        "the token endpoint {token_url} answered HTTP {status}: {excerpt}{}",
        after_attempts(*attempts)
    )]
    TokenEndpoint {
        /// The token URL.
        token_url: String,
        /// The HTTP status.
        status: u16,
        /// The start of its body.
        excerpt: String,
        /// Token requests sent in all, retries included.
        attempts: u32,
    },
    /// The token endpoint answered 2xx with something that is not a token response.
    #[error("the token endpoint {token_url} sent no usable token: {reason}")]
    TokenResponse {
        /// The token URL.
        token_url: String,
        /// Where decoding stopped (the body is never quoted: it may hold a token).
        reason: String,
    },
    /// The token request timed out or could not be sent.
    #[error(
        "the token request to {token_url} failed{}: {}",
        after_attempts(*attempts),
        cause_chain(source)
    )]
    TokenTransport {
        /// The token URL.
        token_url: String,
        /// reqwest's error.
        #[source]
        source: reqwest::Error,
        /// Token requests sent in all, retries included.
        attempts: u32,
    },
    /// The token request stopped before it had an answer: the task running it panicked, or
    /// the tokio runtime it ran on was shut down. The next call tries again.
    #[error("the token request was interrupted: {0}")]
    Interrupted(String),
    /// The API answered 401 to a request made with a freshly fetched token.
    #[error("{0}")]
    Rejected(Box<ApiError>),
    /// A token failure reported by a hook, when the call did not go through
    /// [`Call::call`](crate::Call::call).
    #[error("{0}")]
    Hook(String),
}

/// A configuration that cannot work, naming the variable or value at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A value does not parse.
    #[error("{what} `{value}` is invalid: {reason}")]
    InvalidValue {
        /// The variable or setting.
        what: &'static str,
        /// The value given (never a secret).
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// Two settings contradict each other.
    #[error("{0}")]
    Conflict(String),
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}

impl Error {
    /// Turns the error of a generated client's `send()` into an [`Error`], reading the body
    /// of an undocumented error response to find the server's message.
    ///
    /// [`Call::call`](crate::Call::call) does this too, and adds the operation, the attempt
    /// count, the typed token failure and the JSON path of a decoding error.
    pub async fn from_client(error: progenitor_client::Error<Problem>) -> Self {
        Self::from_parts::<serde::de::IgnoredAny>(error, Ledger::default()).await
    }

    /// The conversion, with what the hooks noted and the type the body was decoded as.
    pub(crate) async fn from_parts<T: DeserializeOwned>(
        error: progenitor_client::Error<Problem>,
        ledger: Ledger,
    ) -> Self {
        use progenitor_client::Error as ClientError;

        let Ledger {
            operation,
            attempts,
            auth_failure,
            tokens,
            ..
        } = ledger;
        let secrets = Secrets::new(tokens.iter().map(|token| token.secret().as_str()));
        let api = |status: u16, problem: Option<Problem>, excerpt: Option<String>| {
            let problem = problem.map(|problem| secrets.redact_problem(problem));
            let error = Box::new(ApiError {
                status,
                problem,
                excerpt,
                operation,
                attempts,
            });
            if status == 401 {
                // A 401 that was not replayed because no new token could be had: the token
                // endpoint's failure is what the caller needs to see.
                let cause = auth_failure
                    .clone()
                    .unwrap_or_else(|| Arc::new(AuthError::Rejected(error)));
                Self::Auth(cause)
            } else {
                Self::Api(error)
            }
        };
        let transport = |source: reqwest::Error| {
            // Nothing was sent: the URL could not be made (a parameter far too long, ...).
            if source.is_builder() {
                let cause = cause_chain(&source.without_url());
                return Self::InvalidRequest(cut(cause, MESSAGE_BYTES));
            }
            let timed_out = source.is_timeout();
            let error = Box::new(TransportError {
                operation,
                attempts,
                source,
            });
            if timed_out {
                Self::Timeout(error)
            } else {
                Self::Transport(error)
            }
        };

        match error {
            ClientError::InvalidRequest(message) => Self::InvalidRequest(readable(&message)),
            ClientError::Custom(message) => {
                Self::Auth(auth_failure.unwrap_or_else(|| Arc::new(AuthError::Hook(message))))
            }
            ClientError::ErrorResponse(response) => api(
                response.status().as_u16(),
                Some(response.into_inner()),
                None,
            ),
            ClientError::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                match crate::transport::read_at_most(response, ERROR_BODY_LIMIT).await {
                    Ok(body) => api(
                        status,
                        serde_json::from_slice::<Problem>(&body).ok(),
                        Some(secrets.excerpt(&body)),
                    ),
                    Err(error) => transport(error),
                }
            }
            ClientError::InvalidResponsePayload(body, error) => {
                let path = json_path_of_failure::<T>(&body);
                Self::Decode(Box::new(DecodeError {
                    operation,
                    path,
                    message: secrets.redact(error.to_string()),
                    excerpt: secrets.excerpt(&body),
                }))
            }
            ClientError::CommunicationError(error)
            | ClientError::InvalidUpgrade(error)
            | ClientError::ResponseBodyError(error) => transport(error),
        }
    }

    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(error) => Some(error.status),
            Self::Auth(error) => match error.as_ref() {
                AuthError::Rejected(error) => Some(error.status),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the same call may succeed later: a timeout, a transport failure, or an answer
    /// of 429, 500, 502, 503 or 504 (from the API or the token endpoint). The SDK has retried
    /// these already; a caller may wait longer and try again.
    pub fn is_retryable(&self) -> bool {
        let transient = |status: u16| matches!(status, 429 | 500 | 502 | 503 | 504);
        match self {
            Self::Timeout(_) | Self::Transport(_) => true,
            Self::Api(error) => transient(error.status),
            Self::Auth(error) => match error.as_ref() {
                AuthError::TokenTransport { .. } | AuthError::Interrupted(_) => true,
                AuthError::TokenEndpoint { status, .. } => transient(*status),
                AuthError::TokenRefused { status, error, .. } => {
                    transient(*status) || error == "temporarily_unavailable"
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether authentication failed: the token endpoint, or the API's 401.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth(_))
    }

    /// Whether the request, or the token request, timed out.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout(_) => true,
            Self::Auth(error) => {
                matches!(error.as_ref(), AuthError::TokenTransport { source, .. } if source.is_timeout())
            }
            _ => false,
        }
    }

    /// Whether the configuration is at fault; nothing was sent.
    pub fn is_config(&self) -> bool {
        matches!(self, Self::Config(_))
    }

    /// Requests sent before the call gave up (0 when not counted).
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Api(error) => error.attempts,
            Self::Timeout(error) | Self::Transport(error) => error.attempts,
            Self::Auth(error) => match error.as_ref() {
                AuthError::Rejected(error) => error.attempts,
                AuthError::TokenRefused { attempts, .. }
                | AuthError::TokenEndpoint { attempts, .. }
                | AuthError::TokenTransport { attempts, .. } => *attempts,
                _ => 0,
            },
            _ => 0,
        }
    }
}

/// ` (after 3 attempts)`, or nothing for a single attempt.
fn after_attempts(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// progenitor's "conversion to `:: ingrid_types :: GasDay` for gas_day_from failed", said
/// for a person: "gas_day_from: the value is not a gas day as YYYY-MM-DD".
fn readable(message: &str) -> String {
    let parsed = message
        .strip_prefix("conversion to `")
        .and_then(|rest| rest.split_once("` for "))
        .and_then(|(type_path, rest)| Some((type_path, rest.strip_suffix(" failed")?)));
    match parsed {
        Some((type_path, parameter)) => {
            let type_path: String = type_path.split_whitespace().collect();
            let type_path = type_path.trim_start_matches("::");
            let expected = match type_path.rsplit("::").next().unwrap_or(type_path) {
                "NonZeroU32" | "NonZeroU64" => "a whole number of at least 1".to_owned(),
                "GasDay" => "a gas day as YYYY-MM-DD".to_owned(),
                _ => format!("a valid {type_path}"),
            };
            format!("{parameter}: the value is not {expected}")
        }
        None => message.to_owned(),
    }
}

/// Decodes `body` again as `T`, tracking the path, to say where the first decode stopped.
fn json_path_of_failure<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => None,
        Err(error) => {
            let path = error.path().to_string();
            (path != ".").then_some(path)
        }
    }
}

/// An error's message followed by its causes, on one line, at most [`MESSAGE_BYTES`] long
/// (reqwest's messages repeat the URL, whose query may be long).
fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    cut(full_cause_chain(error), MESSAGE_BYTES)
}

fn full_cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, problem: serde_json::Value) -> ApiError {
        ApiError {
            status,
            problem: Some(serde_json::from_value(problem).unwrap()),
            excerpt: None,
            operation: Some("get_daily_measures"),
            attempts: 1,
        }
    }

    #[test]
    fn an_api_error_shows_operation_status_and_detail() {
        let error = api(
            403,
            serde_json::json!({"title": "Forbidden", "status": 403, "detail": "Contract X is not granted"}),
        );

        assert_eq!(
            error.to_string(),
            "get_daily_measures: HTTP 403 Forbidden: Contract X is not granted"
        );
    }

    #[test]
    fn a_gateway_message_and_the_attempts_are_shown_too() {
        let mut error = api(
            504,
            serde_json::json!({"message": "Endpoint request timed out"}),
        );
        error.attempts = 4;

        assert_eq!(
            error.to_string(),
            "get_daily_measures: HTTP 504 Gateway Timeout: Endpoint request timed out (after 4 attempts)"
        );
    }

    #[test]
    fn progenitor_conversion_messages_are_reworded() {
        assert_eq!(
            readable("conversion to `:: ingrid_types :: GasDay` for gas_day_from failed"),
            "gas_day_from: the value is not a gas day as YYYY-MM-DD"
        );
        assert_eq!(
            readable("conversion to `:: std :: num :: NonZeroU32` for size failed"),
            "size: the value is not a whole number of at least 1"
        );
        assert_eq!(
            readable("contract_code was not initialized"),
            "contract_code was not initialized"
        );
    }

    #[test]
    fn a_long_server_message_is_capped() {
        let error = api(
            400,
            serde_json::json!({"title": "Bad Request", "detail": "y".repeat(100_000)}),
        );

        let shown = error.to_string();

        assert!(shown.len() < MESSAGE_BYTES + 100, "{}", shown.len());
        assert!(shown.ends_with("..."), "{shown}");
    }

    #[test]
    fn the_path_of_a_decoding_failure_is_found() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Row {
            quantity: i64,
        }
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Page {
            data: Vec<Row>,
        }

        let path =
            json_path_of_failure::<Page>(br#"{"data": [{"quantity": 1}, {"quantity": "x"}]}"#);

        assert_eq!(path.as_deref(), Some("data[1].quantity"));
    }
}
