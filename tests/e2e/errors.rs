//! Error answers reach the caller with their status and the server's own words.

use httpmock::prelude::*;
use ingrid::Call;
use serde_json::json;

use crate::support::{self, CONTRACT, TOKEN};

const PATH: &str = "/v1/measures/hourly-measures";

async fn failing_call(server: &MockServer) -> ingrid::Error {
    support::client(server)
        .measures()
        .get_hourly_measures()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .call()
        .await
        .unwrap_err()
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
        "get_hourly_measures: HTTP 403 Forbidden: Contract GFXY1201 is not granted to this client"
    );
    assert!(!error.is_retryable());
    assert_eq!(error.attempts(), 1);
}

#[tokio::test]
async fn a_gateway_message_body_is_shown_as_the_reason() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(404)
                .header("content-type", "application/json")
                .json_body(json!({"message": "Missing Authentication Token"}));
        })
        .await;

    let error = failing_call(&server).await;

    assert_eq!(error.status(), Some(404));
    assert_eq!(
        error.to_string(),
        "get_hourly_measures: HTTP 404 Not Found: Missing Authentication Token"
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

    let ingrid::Error::Decode(decode) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(decode.operation, Some("get_hourly_measures"));
    assert_eq!(decode.path.as_deref(), Some("data"));
    assert!(decode.excerpt.contains("not a list"), "{}", decode.excerpt);
}

#[tokio::test]
async fn a_gateway_page_instead_of_a_problem_keeps_its_status() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(502)
                .header("content-type", "text/html")
                .body("<html>\n<h1>502 Bad Gateway</h1>\n</html>");
        })
        .await;
    let config = support::config(&server).with_retry_policy(support::quick_retries());

    let error = ingrid::Ingrid::new(config)
        .unwrap()
        .measures()
        .get_hourly_measures()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .call()
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(502));
    assert_eq!(error.attempts(), 4);
    assert_eq!(
        error.to_string(),
        "get_hourly_measures: HTTP 502 Bad Gateway: <html> <h1>502 Bad Gateway</h1> </html> \
         (after 4 attempts)"
    );
}

#[tokio::test]
async fn a_request_that_cannot_be_built_is_invalid_and_never_reaches_the_api() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    let resource = support::resource(&server, PATH, support::empty_page()).await;
    let huge = "A".repeat(70_000);

    let error = support::client(&server)
        .measures()
        .get_hourly_measures()
        .contract_code(huge.as_str())
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .call()
        .await
        .unwrap_err();

    assert!(
        matches!(error, ingrid::Error::InvalidRequest(_)),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(
        error.to_string().len() < 1200,
        "{} bytes",
        error.to_string().len()
    );
    resource.assert_calls_async(0).await;
}
