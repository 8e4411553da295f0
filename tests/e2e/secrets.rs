//! Neither the client secret nor a token ever shows in an error's `Display` or `Debug`, even
//! when the server echoes them.

use httpmock::prelude::*;
use ingrid::Ingrid;
use serde_json::json;

use crate::support::{self, CLIENT_SECRET, TOKEN, daily_allocations};

const PATH: &str = "/v1/allocations/daily-allocations";

/// Neither secret, nor the start of one (an excerpt cut in the middle of it).
fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(&TOKEN[..8]),
        "{what} shows the token: {text}"
    );
    assert!(
        !text.contains(&CLIENT_SECRET[..8]),
        "{what} shows the secret: {text}"
    );
}

/// `secret` placed so that a 300-byte excerpt would cut it in two.
fn across_the_cut(secret: &str) -> String {
    format!("{} {secret} and more", "x".repeat(289))
}

#[tokio::test]
async fn a_secret_cut_by_an_excerpt_is_redacted_whole() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.path(PATH);
            then.status(400)
                .header("content-type", "text/plain")
                .body(across_the_cut(&format!("Authorization: Bearer {TOKEN}")));
        })
        .await;
    let refusing = MockServer::start_async().await;
    refusing
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(400).json_body(json!({
                "error": "invalid_request",
                "error_description": across_the_cut(CLIENT_SECRET),
            }));
        })
        .await;
    let odd_type = MockServer::start_async().await;
    odd_type
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .json_body(json!({"access_token": TOKEN, "token_type": CLIENT_SECRET}));
        })
        .await;

    let api = daily_allocations(&support::client(&server))
        .await
        .unwrap_err();
    let token = daily_allocations(&support::client(&refusing))
        .await
        .unwrap_err();
    let token_type = daily_allocations(&support::client(&odd_type))
        .await
        .unwrap_err();

    assert_eq!(api.status(), Some(400));
    for error in [api, token, token_type] {
        assert_clean("Display", &error.to_string());
        assert_clean("Debug", &format!("{error:?}"));
    }
}

#[tokio::test]
async fn errors_never_repeat_a_token_the_server_echoes() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    let echo = format!("bad request from Authorization: Bearer {TOKEN}");
    server
        .mock_async(|when, then| {
            when.path(PATH).query_param("gasDayFrom", "2025-01-15");
            then.status(400)
                .json_body(json!({"title": "Bad Request", "detail": echo}));
        })
        .await;
    let ingrid = support::client(&server);

    let error = daily_allocations(&ingrid).await.unwrap_err();

    assert_eq!(error.status(), Some(400));
    assert!(error.to_string().contains("[redacted]"), "{error}");
    assert_clean("Display", &error.to_string());
    assert_clean("Debug", &format!("{error:?}"));
}

#[tokio::test]
async fn a_body_that_echoes_the_token_is_redacted_in_decode_errors() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.path(PATH);
            then.status(200)
                .header("content-type", "application/json")
                .body(format!("{{\"seen\": \"{TOKEN}\""));
        })
        .await;
    let ingrid = support::client(&server);

    let error = daily_allocations(&ingrid).await.unwrap_err();

    assert!(matches!(error, ingrid::Error::Decode(_)), "{error:?}");
    assert_clean("Display", &error.to_string());
    assert_clean("Debug", &format!("{error:?}"));
}

#[tokio::test]
async fn every_error_category_and_public_type_is_clean() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.path(PATH);
            then.status(401).json_body(json!({"title": "Unauthorized"}));
        })
        .await;
    let config = support::config(&server);
    let ingrid = Ingrid::new(config.clone()).unwrap();
    let refused = daily_allocations(&ingrid).await.unwrap_err();
    let nowhere = {
        // A port nothing listens on: a transport failure after the retries.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let environment = ingrid::Environment::custom(
            &format!("http://{closed}"),
            &format!("http://{closed}/oauth2/token"),
        )
        .unwrap();
        let config = ingrid::Config::new(environment, support::CLIENT_ID, CLIENT_SECRET)
            .with_retry_policy(support::quick_retries());
        daily_allocations(&Ingrid::new(config).unwrap())
            .await
            .unwrap_err()
    };
    let missing = ingrid::Config::from_lookup(|name| {
        (name == ingrid::vars::CLIENT_SECRET).then(|| CLIENT_SECRET.to_owned())
    })
    .unwrap_err();

    assert!(refused.is_auth(), "{refused:?}");
    assert!(nowhere.is_auth() && nowhere.is_retryable(), "{nowhere:?}");
    let texts = [
        format!("{refused} {refused:?}"),
        format!("{nowhere} {nowhere:?}"),
        format!("{missing} {missing:?}"),
        format!("{config:?}"),
        format!("{ingrid:?}"),
        format!("{} {:?}", config.environment(), config.environment()),
    ];
    for text in texts {
        assert_clean("output", &text);
    }
}

#[tokio::test]
async fn a_token_endpoint_that_echoes_the_credentials_is_redacted() {
    use base64::Engine;

    let server = MockServer::start_async().await;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{CLIENT_SECRET}", support::CLIENT_ID));
    let echo = format!("bad request: authorization: Basic {basic}\nsecret={CLIENT_SECRET}");
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(400)
                .json_body(json!({"error": "invalid_request", "error_description": echo}));
        })
        .await;

    let error = daily_allocations(&support::client(&server))
        .await
        .unwrap_err();

    let text = format!("{error} {error:?}");
    assert!(text.contains("[redacted]"), "{text}");
    assert!(!text.contains(&basic), "{text}");
    assert_clean("token error", &text);
    assert_eq!(error.to_string().lines().count(), 1, "{error}");
}
