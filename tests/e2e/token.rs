//! The token exchange: its exact wire form, one token for everyone, refresh on expiry.

use std::time::Duration;

use base64::Engine;
use httpmock::prelude::*;
use ingrid::Call;
use serde_json::json;

use crate::support::{
    self, CLIENT_ID, CLIENT_SECRET, CONTRACT, TOKEN, daily_allocations, empty_page,
};

const ALLOCATIONS: &str = "/v1/allocations/daily-allocations";
const MEASURES: &str = "/v1/measures/daily-measures";
const BALANCING: &str = "/v1/balancing/common-indicators";

async fn daily_measures(ingrid: &ingrid::Ingrid) {
    ingrid
        .measures()
        .get_daily_measures()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .await
        .unwrap();
}

async fn common_indicators(ingrid: &ingrid::Ingrid) {
    ingrid
        .balancing()
        .get_common_indicators()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_token_request_is_exactly_what_the_connection_guide_describes() {
    let server = MockServer::start_async().await;
    // The raw id and secret joined by a colon, base64-encoded, nothing URL-encoded.
    let raw = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    );
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/oauth2/token")
                .header("authorization", basic.as_str())
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(
                    json!({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 7200}),
                );
        })
        .await;
    let resource = support::resource(&server, ALLOCATIONS, empty_page()).await;

    daily_allocations(&support::client(&server)).await.unwrap();

    token.assert_calls_async(1).await;
    resource.assert_calls_async(1).await;
}

#[tokio::test]
async fn many_calls_across_domains_share_one_token_request() {
    let server = MockServer::start_async().await;
    let token = support::token_endpoint(&server, TOKEN, 7200).await;
    let allocations = support::resource(&server, ALLOCATIONS, empty_page()).await;
    let measures = support::resource(&server, MEASURES, empty_page()).await;
    let balancing = support::resource(&server, BALANCING, empty_page()).await;
    let ingrid = support::client(&server);

    // Concurrent calls on a cold cache first, then sequential ones on a warm cache.
    let concurrent = (0..30).map(|index| {
        let ingrid = ingrid.clone();
        async move {
            match index % 3 {
                0 => daily_allocations(&ingrid).await.unwrap(),
                1 => daily_measures(&ingrid).await,
                _ => common_indicators(&ingrid).await,
            }
        }
    });
    futures::future::join_all(concurrent).await;
    for _ in 0..5 {
        daily_allocations(&ingrid).await.unwrap();
        daily_measures(&ingrid).await;
        common_indicators(&ingrid).await;
    }

    token.assert_calls_async(1).await;
    allocations.assert_calls_async(15).await;
    measures.assert_calls_async(15).await;
    balancing.assert_calls_async(15).await;
}

#[tokio::test]
async fn concurrent_calls_on_a_cold_cache_on_many_threads_make_one_token_request() {
    let server = MockServer::start_async().await;
    let token = support::token_endpoint(&server, TOKEN, 7200).await;
    let allocations = support::resource(&server, ALLOCATIONS, empty_page()).await;
    let ingrid = support::client(&server);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();

    let calls: Vec<_> = (0..40)
        .map(|_| {
            let ingrid = ingrid.clone();
            runtime.spawn(async move { daily_allocations(&ingrid).await.unwrap() })
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    runtime.shutdown_background();

    token.assert_calls_async(1).await;
    allocations.assert_calls_async(40).await;
}

#[tokio::test]
async fn the_token_is_replaced_before_it_expires() {
    let server = MockServer::start_async().await;
    let first = support::token_endpoint(&server, TOKEN, 7200).await;
    let ingrid = support::client(&server);
    let with_first = server
        .mock_async(|when, then| {
            when.path(ALLOCATIONS)
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(empty_page());
        })
        .await;
    daily_allocations(&ingrid).await.unwrap();

    // 7200 s lifetime, replaced 60 to 90 s ahead: still fresh after 7109 s of (paused) time ...
    support::advance(Duration::from_secs(7109)).await;
    daily_allocations(&ingrid).await.unwrap();
    first.assert_calls_async(1).await;
    with_first.assert_calls_async(2).await;

    // ... and due after 7141 s: that call goes on with the first token, and the new one is
    // fetched in the background, once, for the calls that follow.
    first.delete_async().await;
    let second = support::token_endpoint(&server, "eyJ0b2tlbi10d28ifQ", 7200).await;
    let with_second = server
        .mock_async(|when, then| {
            when.path(ALLOCATIONS)
                .header("authorization", "Bearer eyJ0b2tlbi10d28ifQ");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(empty_page());
        })
        .await;
    support::advance(Duration::from_secs(32)).await;
    daily_allocations(&ingrid).await.unwrap();
    with_first.assert_calls_async(3).await;

    assert_eq!(support::calls_reaching(&second, 1).await, 1);
    let mut calls = 0;
    while with_second.calls_async().await == 0 {
        assert!(calls < 100, "the new token is never used");
        daily_allocations(&ingrid).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        calls += 1;
    }
    second.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_refused_token_request_says_what_the_token_endpoint_said_and_never_the_secret() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(401)
                .header("content-type", "application/json")
                .json_body(json!({
                    "error": "invalid_client",
                    "error_description": "Client authentication failed"
                }));
        })
        .await;
    let ingrid = support::client(&server);

    let error = ingrid
        .allocations()
        .get_daily_allocations()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .call()
        .await
        .unwrap_err();

    let message = error.to_string();
    let ingrid::Error::Auth(auth) = &error else {
        panic!("{error:?}")
    };
    let ingrid::AuthError::TokenRefused {
        status,
        error: code,
        ..
    } = auth.as_ref()
    else {
        panic!("{auth:?}")
    };
    assert_eq!((*status, code.as_str()), (401, "invalid_client"));
    assert!(!error.is_retryable());
    assert!(message.contains("HTTP 401 invalid_client"), "{message}");
    assert!(
        message.contains("Client authentication failed"),
        "{message}"
    );
    assert!(message.contains(&server.url("/oauth2/token")), "{message}");
    assert!(!message.contains(CLIENT_SECRET), "{message}");
    assert!(!format!("{error:?}").contains(CLIENT_SECRET));
}

#[tokio::test]
async fn neither_the_secret_nor_the_token_shows_in_debug_output() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    support::resource(&server, ALLOCATIONS, empty_page()).await;
    let config = support::config(&server);
    let ingrid = ingrid::Ingrid::new(config.clone()).unwrap();

    daily_allocations(&ingrid).await.unwrap();

    for debug in [format!("{config:?}"), format!("{ingrid:?}")] {
        assert!(!debug.contains(CLIENT_SECRET), "{debug}");
        assert!(!debug.contains(TOKEN), "{debug}");
    }
}
