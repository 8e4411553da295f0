//! The errors of the facade: what went wrong, and where, in one line a person can act on.

use std::fmt;

use ingrid_types::Problem;

/// The longest piece of a response body an error quotes.
const EXCERPT_BYTES: usize = 300;

/// Everything a call through [`Ingrid`](crate::Ingrid) can fail with.
///
/// `Display` is one line that says what failed; the cause chain is kept in `source()`. No
/// variant ever holds the client secret or a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or wrong; nothing was sent.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),

    /// No access token could be obtained.
    #[error("authentication: {0}")]
    Auth(String),

    /// The API answered with an error status (boxed: a problem is large).
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The request timed out.
    #[error("timed out: {0}")]
    Timeout(#[source] reqwest::Error),

    /// The request could not be sent or its answer not read.
    #[error("transport: {0}")]
    Transport(#[source] reqwest::Error),

    /// The answer is not what the spec describes.
    #[error("cannot decode the answer: {message}; the body starts with: {excerpt}")]
    Decode {
        /// What the decoder said, with the line and column.
        message: String,
        /// The start of the body, at most a few hundred bytes.
        excerpt: String,
    },

    /// The request was incomplete or a parameter could not be converted; nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

/// An error status from the API, with the problem the server described.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// The decoded RFC 7807 problem (a gateway's `{"message": ...}` lands in its `extra`).
    pub problem: Option<Problem>,
    /// The start of the body when it was not a JSON object.
    pub excerpt: Option<String>,
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
                return Some(parts.join(": "));
            }
        }
        self.excerpt.clone()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|status| status.canonical_reason())
            .unwrap_or("");
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
        Ok(())
    }
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
    pub async fn from_client(error: progenitor_client::Error<Problem>) -> Self {
        use progenitor_client::Error as ClientError;

        match error {
            ClientError::InvalidRequest(message) => Self::InvalidRequest(message),
            ClientError::Custom(message) => Self::Auth(message),
            ClientError::ErrorResponse(response) => Self::Api(Box::new(ApiError {
                status: response.status().as_u16(),
                problem: Some(response.into_inner()),
                excerpt: None,
            })),
            ClientError::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(body) => Self::Api(Box::new(ApiError {
                        status,
                        problem: serde_json::from_slice::<Problem>(&body).ok(),
                        excerpt: Some(excerpt(&body)),
                    })),
                    Err(error) => Self::from_reqwest(error),
                }
            }
            ClientError::InvalidResponsePayload(body, error) => Self::Decode {
                message: error.to_string(),
                excerpt: excerpt(&body),
            },
            ClientError::CommunicationError(error)
            | ClientError::InvalidUpgrade(error)
            | ClientError::ResponseBodyError(error) => Self::from_reqwest(error),
        }
    }

    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout(error)
        } else {
            Self::Transport(error)
        }
    }

    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(error) => Some(error.status),
            _ => None,
        }
    }
}

/// The first bytes of a body as text, cut on a character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.len() <= EXCERPT_BYTES {
        return trimmed.to_owned();
    }
    let mut end = EXCERPT_BYTES;
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &trimmed[..end], body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_error_shows_status_title_and_detail() {
        let problem: Problem = serde_json::from_value(serde_json::json!({
            "title": "Forbidden", "status": 403, "detail": "Contract GFXY1299 is not granted"
        }))
        .unwrap();
        let error = ApiError {
            status: 403,
            problem: Some(problem),
            excerpt: None,
        };

        assert_eq!(
            error.to_string(),
            "HTTP 403 Forbidden: Contract GFXY1299 is not granted"
        );
    }

    #[test]
    fn a_gateway_message_is_shown_too() {
        let problem: Problem =
            serde_json::from_value(serde_json::json!({"message": "Endpoint request timed out"}))
                .unwrap();
        let error = ApiError {
            status: 504,
            problem: Some(problem),
            excerpt: None,
        };

        assert_eq!(
            error.to_string(),
            "HTTP 504 Gateway Timeout: Endpoint request timed out"
        );
    }

    #[test]
    fn excerpts_are_capped_on_a_character_boundary() {
        let body = "é".repeat(400);

        let cut = excerpt(body.as_bytes());

        assert!(cut.len() < 400, "{}", cut.len());
        assert!(cut.ends_with("(800 bytes in all)"), "{cut}");
    }
}
