//! `POST /oauth2/token`: OAuth 2.0 client credentials, the way Ingrid's connection guide
//! describes them.
//!
//! The client authenticates with HTTP Basic, `base64(client_id:client_secret)` of the raw id and
//! secret (no URL-encoding first, unlike RFC 6749 §2.3.1 strictly read), and posts the form
//! `grant_type=client_credentials`; `scope` is accepted and ignored. Checks run in this order,
//! so that a caller without valid credentials learns nothing else: client credentials (401
//! `invalid_client`), content type and body (400 `invalid_request`), grant type (400
//! `unsupported_grant_type`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Body as HttpBody;
use hyper::header::{self, HeaderMap};
use hyper::{Request, Response, StatusCode};
use serde_json::json;

use crate::responses::{self, BASIC_CHALLENGE, Body};
use crate::tokens::TokenStore;

/// Path of the token endpoint, as on Ingrid's authentication host.
pub(crate) const TOKEN_PATH: &str = "/oauth2/token";

/// The only media type a token request may have.
const FORM_MEDIA_TYPE: &str = "application/x-www-form-urlencoded";

/// The only grant type Ingrid offers.
const CLIENT_CREDENTIALS: &str = "client_credentials";

/// The largest token request body read; a real one is about 30 bytes.
const MAX_BODY_BYTES: usize = 16 * 1024;

/// The client id and secret the token endpoint accepts.
#[derive(Clone)]
pub(crate) struct ClientCredentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl ClientCredentials {
    /// Whether `client_id` and `client_secret` are exactly these, compared in a time that does
    /// not depend on where they differ.
    fn accepts(&self, client_id: &str, client_secret: &str) -> bool {
        let id_matches = same_bytes(self.client_id.as_bytes(), client_id.as_bytes());
        let secret_matches = same_bytes(self.client_secret.as_bytes(), client_secret.as_bytes());
        id_matches & secret_matches
    }
}

/// Answers one token request.
pub(crate) async fn token<B>(
    request: Request<B>,
    credentials: &ClientCredentials,
    tokens: &TokenStore,
) -> Response<Body>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if let Err(refusal) = authenticate(request.headers(), credentials) {
        tracing::debug!(
            reason = refusal,
            "token request refused: client authentication"
        );
        let response = responses::token_error(StatusCode::UNAUTHORIZED, "invalid_client", refusal);
        return responses::with_header(response, header::WWW_AUTHENTICATE, BASIC_CHALLENGE);
    }

    if !has_form_content_type(request.headers()) {
        return invalid_request("Content-Type must be application/x-www-form-urlencoded");
    }

    let body = match Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return invalid_request("The request body could not be read, or is over 16 KiB");
        }
    };

    // An empty `grant_type=` is as missing as no `grant_type` at all.
    let grant_types: Vec<String> = url::form_urlencoded::parse(&body)
        .filter(|(name, value)| name == "grant_type" && !value.is_empty())
        .map(|(_, value)| value.into_owned())
        .collect();
    match grant_types.as_slice() {
        [] => invalid_request("The grant_type parameter is missing"),
        [grant_type] if grant_type == CLIENT_CREDENTIALS => issue(tokens),
        [grant_type] => {
            tracing::debug!(grant_type, "token request refused: grant type");
            responses::token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("The grant type {grant_type:?} is not supported; use client_credentials"),
            )
        }
        _ => invalid_request("The grant_type parameter is given more than once"),
    }
}

fn issue(tokens: &TokenStore) -> Response<Body> {
    let access_token = tokens.issue();
    let expires_in = tokens.lifetime().as_secs();
    tracing::debug!(expires_in, "issued an access token");

    let body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    });
    responses::no_store(responses::json(StatusCode::OK, &body))
}

fn invalid_request(description: &str) -> Response<Body> {
    tracing::debug!(reason = description, "token request refused: malformed");
    responses::token_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// Checks the HTTP Basic client credentials; the error is the `error_description`.
fn authenticate(headers: &HeaderMap, credentials: &ClientCredentials) -> Result<(), &'static str> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or("Client authentication with HTTP Basic is required")?;

    let malformed = "The Authorization header is not valid HTTP Basic credentials";
    let value = value.to_str().map_err(|_| malformed)?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed)?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed)?;
    let (client_id, client_secret) = decoded.split_once(':').ok_or(malformed)?;

    if credentials.accepts(client_id, client_secret) {
        Ok(())
    } else {
        Err("Unknown client id or wrong client secret")
    }
}

/// Whether the media type is the form one, whatever its parameters (`; charset=UTF-8`).
fn has_form_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case(FORM_MEDIA_TYPE))
}

fn same_bytes(expected: &[u8], given: &[u8]) -> bool {
    let difference = expected
        .iter()
        .zip(given)
        .fold(0_u8, |difference, (left, right)| {
            difference | (left ^ right)
        });
    expected.len() == given.len() && difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> ClientCredentials {
        ClientCredentials {
            client_id: "id".into(),
            client_secret: "s3:cr+t/=".into(),
        }
    }

    fn basic(raw: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(raw));
        headers.insert(header::AUTHORIZATION, value.parse().expect("valid header"));
        headers
    }

    #[test]
    fn the_secret_may_contain_colons_and_is_compared_raw() {
        assert_eq!(authenticate(&basic("id:s3:cr+t/="), &credentials()), Ok(()));
        assert!(authenticate(&basic("id:s3%3Acr%2Bt%2F%3D"), &credentials()).is_err());
        assert!(authenticate(&basic("id:s3:cr+t/"), &credentials()).is_err());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let shown = format!("{:?}", credentials());

        assert!(!shown.contains("s3:cr+t/="), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
