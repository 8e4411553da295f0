//! The token cache and the transport on a bad night: shared failures, refreshes that fail,
//! revoked tokens. (Retries on 429 and 5xx run against the sandbox's fault modes, on paused
//! time, in `faults.rs`.)

use std::sync::atomic::Ordering;
use std::time::Duration;

use httpmock::prelude::*;
use ingrid::Ingrid;
use serde_json::json;

use crate::support::{
    self, TOKEN, advance, calls_reaching, daily_allocations, empty_page, raw_answer,
};

const PATH: &str = "/v1/allocations/daily-allocations";
const NEW_TOKEN: &str = "eyJ0b2tlbi10d28ifQ";

/// A token endpoint that answers `status` with an RFC 6749 or plain body, `times` times
/// (`None`: always).
async fn failing_token_endpoint<'a>(
    server: &'a MockServer,
    status: u16,
    times: Option<usize>,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            let then = then
                .status(status)
                .header("content-type", "application/json")
                .json_body(
                    json!({"error": "temporarily_unavailable", "error_description": "maintenance"}),
                );
            if let Some(times) = times {
                // Slow enough that every concurrent caller is waiting on the same request.
                then.up_to_n_times(times).delay(Duration::from_millis(100));
            }
        })
        .await
}

/// A resource that accepts only `token`.
async fn resource_for<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .header("authorization", format!("Bearer {token}"));
            then.status(200)
                .header("content-type", "application/json")
                .json_body(empty_page());
        })
        .await
}

/// A resource that refuses `token` with 401.
async fn refusing<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .header("authorization", format!("Bearer {token}"));
            then.status(401)
                .header("content-type", "application/problem+json")
                .header("www-authenticate", "Bearer error=\"invalid_token\"")
                .json_body(
                    json!({"title": "Unauthorized", "status": 401, "detail": "Token revoked"}),
                );
        })
        .await
}

#[tokio::test]
async fn a_thousand_concurrent_calls_on_a_cold_cache_make_one_token_request() {
    let server = MockServer::start_async().await;
    let token = support::token_endpoint(&server, TOKEN, 7200).await;
    let resource = resource_for(&server, TOKEN).await;
    let ingrid = support::client(&server);

    let results = futures::future::join_all((0..1000).map(|_| daily_allocations(&ingrid))).await;

    assert!(results.iter().all(Result::is_ok));
    token.assert_calls_async(1).await;
    resource.assert_calls_async(1000).await;
}

#[tokio::test]
async fn waiters_share_a_failed_token_request_and_the_next_call_tries_again() {
    let server = MockServer::start_async().await;
    // Down for all the attempts of one token request (it is retried like an API call).
    let attempts = support::quick_retries().max_attempts as usize;
    let down = failing_token_endpoint(&server, 503, Some(attempts)).await;
    let up = support::token_endpoint(&server, TOKEN, 7200).await;
    resource_for(&server, TOKEN).await;
    let config = support::config(&server).with_retry_policy(support::quick_retries());
    let ingrid = Ingrid::new(config).unwrap();

    // Spawned, so that all of them start waiting at once (join_all polls in batches).
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let ingrid = ingrid.clone();
            tokio::spawn(async move { daily_allocations(&ingrid).await })
        })
        .collect();
    let mut results = Vec::new();
    for call in calls {
        results.push(call.await.unwrap());
    }

    down.assert_calls_async(attempts).await;
    up.assert_calls_async(0).await;
    for result in &results {
        let error = result.as_ref().unwrap_err();
        assert!(error.is_auth() && error.is_retryable(), "{error}");
        assert!(error.to_string().contains("HTTP 503"), "{error}");
    }

    // The endpoint is back: the first call after it succeeds, with nothing rebuilt.
    daily_allocations(&ingrid).await.unwrap();
    up.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_valid_token_until_it_really_expires() {
    let server = MockServer::start_async().await;
    let good = support::token_endpoint(&server, TOKEN, 7200).await;
    let resource = resource_for(&server, TOKEN).await;
    let config = support::config(&server).with_retry_policy(support::quick_retries());
    let ingrid = Ingrid::new(config).unwrap();
    let attempts = support::quick_retries().max_attempts as usize;
    daily_allocations(&ingrid).await.unwrap();

    // Due for refresh (60 to 90 s before expiry), and the token endpoint is down: the call
    // goes on with the current token while the refresh fails in the background.
    good.delete_async().await;
    let down = failing_token_endpoint(&server, 500, None).await;
    advance(Duration::from_secs(7141)).await;
    daily_allocations(&ingrid).await.unwrap();
    assert_eq!(calls_reaching(&down, attempts).await, attempts);

    // Calls go on with the current token; the refresh is tried again after a delay, once.
    let mut waited = Duration::ZERO;
    while down.calls_async().await < 2 * attempts {
        assert!(waited < Duration::from_secs(40), "no second refresh");
        daily_allocations(&ingrid).await.unwrap();
        advance(Duration::from_secs(1)).await;
        waited += Duration::from_secs(1);
    }
    assert!(
        waited >= ingrid::REFRESH_RETRY_DELAY,
        "retried after {waited:?}"
    );
    assert_eq!(calls_reaching(&down, 2 * attempts).await, 2 * attempts);
    resource
        .assert_calls_async(2 + waited.as_secs() as usize)
        .await;

    // Expired for good: now the failure is the caller's.
    advance(Duration::from_secs(60)).await;
    let error = daily_allocations(&ingrid).await.unwrap_err();
    assert!(error.is_auth(), "{error}");
}

#[tokio::test]
async fn without_expires_in_a_token_lives_the_default_lifetime() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"access_token": TOKEN, "token_type": "Bearer"}));
        })
        .await;
    resource_for(&server, TOKEN).await;
    let ingrid = support::client(&server);
    let lifetime = ingrid::DEFAULT_TOKEN_LIFETIME;

    daily_allocations(&ingrid).await.unwrap();
    advance(lifetime - Duration::from_secs(91)).await;
    daily_allocations(&ingrid).await.unwrap();
    token.assert_calls_async(1).await;
    advance(Duration::from_secs(32)).await;
    daily_allocations(&ingrid).await.unwrap();

    token.assert_calls_async(2).await;
}

#[tokio::test(start_paused = true)]
async fn the_token_request_has_its_own_timeout() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .delay(Duration::from_secs(30))
                .json_body(json!({"access_token": TOKEN}));
        })
        .await;
    let config = support::config(&server).with_token_timeout(Duration::from_secs(5));
    let ingrid = Ingrid::new(config).unwrap();
    let started = tokio::time::Instant::now();

    let error = daily_allocations(&ingrid).await.unwrap_err();

    assert!(error.is_auth() && error.is_timeout(), "{error:?}");
    // The paused clock jumps to the first timer: the 5 s token timeout, not the 60 s one.
    assert!(
        started.elapsed() <= Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_401_drops_that_token_and_replays_the_request_once_with_a_new_one() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"access_token": TOKEN, "expires_in": 7200}))
                .up_to_n_times(1);
        })
        .await;
    let second = support::token_endpoint(&server, NEW_TOKEN, 7200).await;
    let refused = refusing(&server, TOKEN).await;
    let accepted = resource_for(&server, NEW_TOKEN).await;
    let ingrid = support::client(&server);

    daily_allocations(&ingrid).await.unwrap();

    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    refused.assert_calls_async(1).await;
    accepted.assert_calls_async(1).await;
}

#[tokio::test]
async fn fifty_concurrent_401s_cause_one_token_request() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"access_token": TOKEN, "expires_in": 7200}))
                .up_to_n_times(1);
        })
        .await;
    let second = support::token_endpoint(&server, NEW_TOKEN, 7200).await;
    refusing(&server, TOKEN).await;
    let accepted = resource_for(&server, NEW_TOKEN).await;
    let ingrid = support::client(&server);

    let results = futures::future::join_all((0..50).map(|_| daily_allocations(&ingrid))).await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    accepted.assert_calls_async(50).await;
}

#[tokio::test]
async fn a_second_401_is_an_auth_error_and_nothing_loops() {
    let server = MockServer::start_async().await;
    let token = support::token_endpoint(&server, TOKEN, 7200).await;
    let refused = refusing(&server, TOKEN).await;
    let ingrid = support::client(&server);

    let error = daily_allocations(&ingrid).await.unwrap_err();

    let ingrid::Error::Auth(auth) = &error else {
        panic!("{error:?}")
    };
    assert!(
        matches!(auth.as_ref(), ingrid::AuthError::Rejected(_)),
        "{auth:?}"
    );
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.attempts(), 2);
    assert!(error.to_string().contains("Token revoked"), "{error}");
    refused.assert_calls_async(2).await;
    token.assert_calls_async(2).await;
}

#[tokio::test]
async fn an_absurd_expires_in_is_capped_and_an_unusable_token_refused() {
    let server = MockServer::start_async().await;
    let huge = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .json_body(json!({"access_token": TOKEN, "expires_in": u64::MAX}))
                .up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .json_body(json!({"access_token": TOKEN, "token_type": "mac"}));
        })
        .await;
    resource_for(&server, TOKEN).await;
    let ingrid = support::client(&server);

    daily_allocations(&ingrid).await.unwrap();
    huge.assert_calls_async(1).await;

    // Believed for a day at most: the next token request meets a token type we cannot use.
    advance(ingrid::MAX_TOKEN_LIFETIME).await;
    let error = daily_allocations(&ingrid).await.unwrap_err();
    assert!(error.is_auth(), "{error:?}");
    assert!(
        error.to_string().contains("token_type `mac` is not Bearer"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_gives_up_does_not_take_the_token_request_with_it() {
    let token = json!({"access_token": TOKEN, "expires_in": 7200}).to_string();
    let token_server = support::raw_server(
        Duration::from_secs(5),
        vec![Some(raw_answer("200 OK", &token))],
    )
    .await;
    let page = empty_page().to_string();
    let api = support::raw_server(Duration::ZERO, vec![Some(raw_answer("200 OK", &page))]).await;
    let ingrid = support::client_at(&api.url, &format!("{}/oauth2/token", token_server.url));

    let gave_up = tokio::time::timeout(Duration::from_secs(1), daily_allocations(&ingrid)).await;
    assert!(gave_up.is_err(), "the first call was meant to give up");

    // Long past the token request's own timeout: had nobody finished that request, the next
    // caller would find it timed out.
    tokio::time::sleep(Duration::from_secs(120)).await;
    daily_allocations(&ingrid).await.unwrap();

    assert_eq!(token_server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_token_endpoint_failure_after_a_401_is_what_the_caller_sees() {
    let server = MockServer::start_async().await;
    let good = support::token_endpoint(&server, TOKEN, 7200).await;
    refusing(&server, TOKEN).await;
    let config = support::config(&server).with_retry_policy(support::quick_retries());
    let ingrid = Ingrid::new(config).unwrap();
    ingrid.allocations(); // the client is built before the endpoint goes down
    let first = daily_allocations(&ingrid).await;
    assert!(first.is_err());

    good.delete_async().await;
    failing_token_endpoint(&server, 503, None).await;
    let error = daily_allocations(&ingrid).await.unwrap_err();

    assert!(error.is_auth() && error.is_retryable(), "{error}");
    assert!(
        error.to_string().contains("temporarily_unavailable"),
        "{error}"
    );
}

#[tokio::test]
async fn a_token_no_header_can_carry_is_refused_and_not_kept() {
    let server = MockServer::start_async().await;
    let unusable = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .json_body(json!({"access_token": "tok\u{1}en", "expires_in": 3600}))
                .up_to_n_times(1);
        })
        .await;
    let good = support::token_endpoint(&server, TOKEN, 3600).await;
    resource_for(&server, TOKEN).await;
    let ingrid = support::client(&server);

    let error = daily_allocations(&ingrid).await.unwrap_err();
    daily_allocations(&ingrid).await.unwrap();

    assert!(error.is_auth(), "{error}");
    assert!(error.to_string().contains("cannot carry"), "{error}");
    unusable.assert_calls_async(1).await;
    good.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_refresh_margin_longer_than_any_token_is_cut_to_three_quarters_of_it() {
    let server = MockServer::start_async().await;
    let token = support::token_endpoint(&server, TOKEN, 400).await;
    resource_for(&server, TOKEN).await;
    let config = support::config(&server).with_refresh_margin(Duration::MAX);
    let ingrid = Ingrid::new(config).unwrap();

    daily_allocations(&ingrid).await.unwrap();
    advance(Duration::from_secs(99)).await;
    daily_allocations(&ingrid).await.unwrap();
    token.assert_calls_async(1).await;
    advance(Duration::from_secs(2)).await;
    daily_allocations(&ingrid).await.unwrap();

    assert_eq!(calls_reaching(&token, 2).await, 2);
}

#[tokio::test]
async fn a_connection_that_breaks_before_the_answer_is_retried() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    let page = empty_page().to_string();
    let api = support::raw_server(
        Duration::ZERO,
        vec![None, None, Some(raw_answer("200 OK", &page))],
    )
    .await;
    let ingrid = support::client_at(&api.url, &server.url("/oauth2/token"));

    daily_allocations(&ingrid).await.unwrap();
}

#[tokio::test]
async fn an_error_answer_that_breaks_off_keeps_its_status() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    // The body is announced as 100 bytes, and 9 come.
    let cut_short = raw_answer("503 Service Unavailable", "{\"title\":")
        .replace("content-length: 9", "content-length: 100");
    let api = support::raw_server(Duration::ZERO, vec![Some(cut_short)]).await;
    let ingrid = support::client_at(&api.url, &server.url("/oauth2/token"));

    let error = daily_allocations(&ingrid).await.unwrap_err();

    assert_eq!(error.status(), Some(503), "{error:?}");
    assert_eq!(error.attempts(), 4);
    assert!(error.to_string().contains("broke off"), "{error}");
}

#[tokio::test]
async fn a_huge_error_body_is_read_only_in_part_and_quoted_briefly() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    server
        .mock_async(|when, then| {
            when.path(PATH);
            then.status(400)
                .header("content-type", "text/html")
                .body("<p>".repeat(2_000_000));
        })
        .await;
    let ingrid = support::client(&server);

    let error = daily_allocations(&ingrid).await.unwrap_err();

    let message = error.to_string();
    assert_eq!(error.status(), Some(400));
    assert!(message.len() < 600, "{} bytes", message.len());
    assert!(message.contains("more than 65536 bytes"), "{message}");
}

/// A runtime on paused time that runs only while the test drives it, as a program that keeps
/// one runtime and calls `block_on` once per call does.
fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

#[test]
fn a_token_request_stranded_on_a_runtime_nobody_drives_is_replaced() {
    let server_runtime = paused_runtime();
    let token = json!({"access_token": TOKEN, "expires_in": 7200}).to_string();
    let page = empty_page().to_string();
    let (token_server, api) = server_runtime.block_on(async {
        let token_server =
            support::raw_server(Duration::ZERO, vec![Some(raw_answer("200 OK", &token))]).await;
        let api = support::raw_server(Duration::ZERO, vec![Some(raw_answer("200 OK", &page))]);
        (token_server, api.await)
    });
    let ingrid = support::client_at(&api.url, &format!("{}/oauth2/token", token_server.url));

    // A call on another runtime starts the token request and gives up on it; that runtime is
    // then never driven again, so the request never moves.
    let stranded = paused_runtime();
    let gave_up = stranded.block_on(async {
        tokio::time::timeout(Duration::from_secs(1), daily_allocations(&ingrid)).await
    });
    assert!(gave_up.is_err(), "the first call was meant to give up");

    let result = server_runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(600), daily_allocations(&ingrid)).await
    });

    assert!(matches!(result, Ok(Ok(()))), "{result:?}");
    assert_eq!(token_server.connections.load(Ordering::SeqCst), 2);
    drop(stranded);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_client_stops_asking_for_tokens() {
    let unavailable =
        "HTTP/1.1 503 Service Unavailable\r\nretry-after: 60\r\ncontent-length: 2\r\n\
                       connection: close\r\n\r\n{}"
            .to_owned();
    let token_server = support::raw_server(Duration::ZERO, vec![Some(unavailable)]).await;
    let api = support::raw_server(Duration::ZERO, vec![None]).await;
    let ingrid = support::client_at(&api.url, &format!("{}/oauth2/token", token_server.url));
    let gave_up = tokio::time::timeout(Duration::from_secs(1), daily_allocations(&ingrid)).await;
    assert!(gave_up.is_err(), "the call was meant to give up");
    let asked = token_server.connections.load(Ordering::SeqCst);

    drop(ingrid);
    tokio::time::sleep(Duration::from_secs(300)).await;

    assert_eq!(token_server.connections.load(Ordering::SeqCst), asked);
}
