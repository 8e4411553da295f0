//! Answering a request for one of the spec's operations.
//!
//! The checks run in the order a gateway in front of Ingrid would apply them: the access token
//! (401), then the parameters and the gas-day range (400), then the contract (403). Only a
//! request that passes all of them gets generated data.

use hyper::header::{self, HeaderMap};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::Value;

use crate::catalog::Endpoint;
use crate::generate::{self, BodyRequest};
use crate::parameters::RequestValues;
use crate::responses::{self, BEARER_CHALLENGE, Body, INVALID_TOKEN_CHALLENGE};
use crate::server::State;
use crate::tokens::TokenStatus;

/// The query parameter that names the contract of every call.
const CONTRACT_CODE: &str = "contractCode";

/// Answers `request` for `endpoint`, whose path parameters the route captured.
// TODO(#4): there is no way yet to make the sandbox answer 429 (with `Retry-After`) or a 5xx, which
// the SDK's retry tests will want; it needs a fault-injection setting on the builder.
pub(crate) fn answer(
    state: &State,
    endpoint: &Endpoint,
    path_values: &[(&str, String)],
    request: &Parts,
) -> Response<Body> {
    let instance = request.uri.path();

    if let Err(refusal) = authorize(state, &request.headers) {
        tracing::debug!(
            reason = refusal.detail,
            "resource request refused: access token"
        );
        let response = responses::problem(StatusCode::UNAUTHORIZED, refusal.detail, instance);
        return responses::with_header(response, header::WWW_AUTHENTICATE, refusal.challenge);
    }

    let checked = RequestValues::read(endpoint, path_values, request.uri.query(), &request.headers)
        .and_then(|values| {
            let range = values.gas_day_range(endpoint)?;
            let paging = values.paging(endpoint)?;
            Ok((values, range, paging))
        });
    let (values, range, paging) = match checked {
        Ok(checked) => checked,
        Err(detail) => {
            tracing::debug!(detail, "resource request refused: parameters");
            return responses::problem(StatusCode::BAD_REQUEST, &detail, instance);
        }
    };

    if let Some(contract) = values.get(CONTRACT_CODE).and_then(Value::as_str)
        && contract != state.contract_code
    {
        let detail = format!("Contract {contract} is not granted to this client");
        return responses::problem(StatusCode::FORBIDDEN, &detail, instance);
    }

    let body = generate::body(&BodyRequest {
        endpoint,
        values: &values,
        range,
        paging,
    });
    responses::json(endpoint.success_status, &body)
}

/// Why a request's token is refused.
#[derive(Debug, Clone, Copy)]
struct Refusal {
    detail: &'static str,
    challenge: &'static str,
}

/// Checks the access token: `Authorization: Bearer <token>`, or the bare token, which the SDK
/// can be switched to send because Ingrid's guide prints it so.
fn authorize(state: &State, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Refusal {
            detail: "The request has no access token",
            challenge: BEARER_CHALLENGE,
        });
    };

    let invalid = Refusal {
        detail: "The access token is not valid",
        challenge: INVALID_TOKEN_CHALLENGE,
    };
    let value = value.to_str().map_err(|_| invalid)?.trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        Some(_) => return Err(invalid),
        None => value,
    };

    match state.tokens.status(token) {
        TokenStatus::Valid => Ok(()),
        TokenStatus::Expired => Err(Refusal {
            detail: "The access token has expired",
            challenge: INVALID_TOKEN_CHALLENGE,
        }),
        TokenStatus::Unknown => Err(invalid),
    }
}
