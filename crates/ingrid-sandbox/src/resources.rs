//! Answering a request for one of the spec's operations.
//!
//! The checks run in the order a gateway in front of Ingrid would apply them: the access token
//! (401), then the parameters and the gas-day range (400), then the contract (403). Only a
//! request that passes all of them gets generated data. The [faults](crate::Faults) of the run
//! act around these checks: they may delay the answer, revoke tokens first, answer 503 or 429
//! instead, or truncate the generated body.

use hyper::header::{self, HeaderMap};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::Value;

use crate::catalog::Endpoint;
use crate::generate::{self, BodyRequest};
use crate::parameters::{self, RequestValues};
use crate::responses::{self, BEARER_CHALLENGE, Body, INVALID_TOKEN_CHALLENGE};
use crate::server::State;
use crate::tokens::TokenStatus;

/// The query parameter that names the contract of every call.
const CONTRACT_CODE: &str = "contractCode";

/// Answers `request` for `endpoint`, whose path parameters the route captured, with the faults
/// of the run applied; the request's span records their names in `fault` (`slow+revoke`).
pub(crate) async fn answer(
    state: &State,
    endpoint: &Endpoint,
    path_values: &[(&str, String)],
    request: &Parts,
) -> Response<Body> {
    let instance = request.uri.path();
    let faults = state.faults.resource_request();
    let mut applied = faults.names();

    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    if faults.revoke {
        tracing::debug!("fault: revoking every issued token");
        state.tokens.revoke_all();
    }

    let response = if let Some(refusal) = faults.refusal {
        state.faults.refusal(refusal, instance)
    } else {
        match check(state, endpoint, path_values, request) {
            Checked::Refused(refused) => refused,
            Checked::Passed(body) if state.faults.truncates_success() => {
                applied.push("truncate");
                responses::truncated_json(endpoint.success_status, &body)
            }
            Checked::Passed(body) => responses::json(endpoint.success_status, &body),
        }
    };

    if !applied.is_empty() {
        tracing::Span::current().record("fault", tracing::field::display(applied.join("+")));
    }
    response
}

/// What the checks of a request found.
enum Checked {
    /// Every check passed: the generated success body.
    Passed(Value),
    /// A check failed: its answer.
    Refused(Response<Body>),
}

/// Checks the request and generates its body, or answers the first check it fails.
fn check(
    state: &State,
    endpoint: &Endpoint,
    path_values: &[(&str, String)],
    request: &Parts,
) -> Checked {
    let instance = request.uri.path();

    if let Err(refusal) = authorize(state, &request.headers) {
        tracing::debug!(
            reason = refusal.detail,
            "resource request refused: access token"
        );
        let response = responses::problem(StatusCode::UNAUTHORIZED, refusal.detail, instance);
        let response =
            responses::with_header(response, header::WWW_AUTHENTICATE, refusal.challenge);
        return Checked::Refused(response);
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
            let response = responses::problem(StatusCode::BAD_REQUEST, &detail, instance);
            return Checked::Refused(response);
        }
    };

    if let Some(contract) = values.get(CONTRACT_CODE).and_then(Value::as_str)
        && contract != state.contract_code
    {
        let detail = format!(
            "Contract {} is not granted to this client",
            parameters::shown(contract)
        );
        return Checked::Refused(responses::problem(StatusCode::FORBIDDEN, &detail, instance));
    }

    Checked::Passed(generate::body(&BodyRequest {
        endpoint,
        values: &values,
        range,
        paging,
    }))
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
        TokenStatus::Revoked => Err(Refusal {
            detail: "The access token has been revoked; request a new one",
            challenge: INVALID_TOKEN_CHALLENGE,
        }),
        TokenStatus::Unknown => Err(invalid),
    }
}
