//! The answers the sandbox sends: JSON bodies, RFC 7807 problems and RFC 6749 token errors.
//!
//! Responses are built with infallible calls only (`Response::new`, static header values), so
//! answering can never fail, whatever the request was.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

/// Body type of every answer: the whole body at once.
pub(crate) type Body = Full<Bytes>;

/// Challenge sent with a token request that lacks valid client credentials.
pub(crate) const BASIC_CHALLENGE: &str = "Basic realm=\"ingrid-sandbox\"";

/// Challenge sent with a resource request that has no token (RFC 6750 §3).
pub(crate) const BEARER_CHALLENGE: &str = "Bearer realm=\"ingrid-sandbox\"";

/// Challenge sent with a resource request whose token is unknown or expired (RFC 6750 §3.1).
pub(crate) const INVALID_TOKEN_CHALLENGE: &str =
    "Bearer realm=\"ingrid-sandbox\", error=\"invalid_token\"";

/// A JSON answer with `Content-Type: application/json`.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response<Body> {
    with_body(status, "application/json", body)
}

/// A JSON answer whose body is cut in half, for the fault `truncate-every`: the first half of
/// the bytes (cut between two characters), with the `Content-Length` of what is sent, so that
/// the client reads a whole answer that is not valid JSON.
pub(crate) fn truncated_json(status: StatusCode, body: &Value) -> Response<Body> {
    let mut bytes = serialise(body);

    let mut half = bytes.len() / 2;
    // Step back over UTF-8 continuation bytes; at most three, and index 0 always starts one.
    while half > 0
        && bytes
            .get(half)
            .is_some_and(|byte| byte & 0b1100_0000 == 0b1000_0000)
    {
        half -= 1;
    }
    bytes.truncate(half);

    with_bytes(status, "application/json", bytes)
}

/// An RFC 7807 problem whose `instance` is the request path.
pub(crate) fn problem(status: StatusCode, detail: &str, instance: &str) -> Response<Body> {
    let body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "instance": instance,
    });
    with_body(status, "application/problem+json", &body)
}

/// An RFC 6749 §5.2 token error, never cached.
pub(crate) fn token_error(status: StatusCode, error: &str, description: &str) -> Response<Body> {
    let body = json!({"error": error, "error_description": description});
    no_store(json(status, &body))
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache`, which RFC 6749 §5.1 asks of every
/// token endpoint answer.
pub(crate) fn no_store(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Adds a header whose value is one of this module's constants.
pub(crate) fn with_header(
    mut response: Response<Body>,
    name: HeaderName,
    value: &'static str,
) -> Response<Body> {
    response
        .headers_mut()
        .insert(name, HeaderValue::from_static(value));
    response
}

fn with_body(status: StatusCode, content_type: &'static str, body: &Value) -> Response<Body> {
    with_bytes(status, content_type, serialise(body))
}

fn serialise(body: &Value) -> Vec<u8> {
    // Serialising a `Value` cannot fail: its map keys are strings.
    serde_json::to_vec(body).unwrap_or_default()
}

/// An answer of `bytes`; hyper sends their length as `Content-Length`.
fn with_bytes(status: StatusCode, content_type: &'static str, bytes: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
