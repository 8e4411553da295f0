//! Error answers reach the caller with their status and the server's own words.

use httpmock::prelude::*;
use serde_json::json;

use crate::support::{self, CONTRACT, TOKEN};

const PATH: &str = "/v1/measures/hourly-measures";

async fn failing_call(server: &MockServer) -> ingrid::Error {
    let result = support::client(server)
        .measures()
        .get_hourly_measures()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .await;
    ingrid::Error::from_client(result.unwrap_err()).await
}

#[tokio::test]
async fn a_problem_json_error_keeps_its_status_title_and_detail() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(403)
                .header("content-type", "application/problem+json")
                .json_body(json!({
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "Contract GFXY1201 is not granted to this client",
                    "instance": PATH
                }));
        })
        .await;

    let error = failing_call(&server).await;

    let ingrid::Error::Api(api) = &error else {
        panic!("expected an API error: {error:?}")
    };
    assert_eq!(api.status, 403);
    let problem = api.problem.as_ref().unwrap();
    assert_eq!(
        problem.detail.as_deref(),
        Some("Contract GFXY1201 is not granted to this client")
    );
    assert_eq!(error.status(), Some(403));
    assert_eq!(
        error.to_string(),
        "HTTP 403 Forbidden: Contract GFXY1201 is not granted to this client"
    );
}

#[tokio::test]
async fn a_gateway_message_body_is_shown_as_the_reason() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(429)
                .header("content-type", "application/json")
                .header("retry-after", "30")
                .json_body(json!({"message": "Rate exceeded for this API key"}));
        })
        .await;

    let error = failing_call(&server).await;

    assert_eq!(error.status(), Some(429));
    assert_eq!(
        error.to_string(),
        "HTTP 429 Too Many Requests: Rate exceeded for this API key"
    );
}

#[tokio::test]
async fn an_undocumented_status_keeps_the_start_of_its_body() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(418)
                .header("content-type", "text/plain")
                .body("short and stout");
        })
        .await;

    let error = failing_call(&server).await;

    assert_eq!(error.status(), Some(418));
    assert!(error.to_string().contains("short and stout"), "{error}");
}

#[tokio::test]
async fn a_body_that_does_not_match_the_spec_is_a_decode_error_with_an_excerpt() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"contractCode": CONTRACT, "data": "not a list"}));
        })
        .await;

    let error = failing_call(&server).await;

    let ingrid::Error::Decode { excerpt, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(excerpt.contains("not a list"), "{excerpt}");
}
