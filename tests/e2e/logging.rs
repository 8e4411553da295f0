//! What the SDK logs: a span per request, and never a secret.
//!
//! A test binary of its own, so that no test on another thread touches tracing's callsites
//! while a subscriber captures them.

#[allow(dead_code)]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use httpmock::prelude::*;
use ingrid::{Ingrid, RetryPolicy};
use serde_json::json;
use tracing_subscriber::EnvFilter;

use support::{CLIENT_SECRET, CONTRACT, TOKEN, daily_allocations};

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const NEW_TOKEN: &str = "eyJ0b2tlbi10d28ifQ";
const PATH: &str = "/v1/allocations/daily-allocations";

/// One test, so that nothing else in this binary logs while it captures.
#[tokio::test]
async fn trace_logs_follow_each_request_and_each_token_decision_and_hold_no_secret() {
    let server = MockServer::start_async().await;
    let first_token = server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"access_token": TOKEN, "expires_in": 7200}))
                .up_to_n_times(1);
        })
        .await;
    support::token_endpoint(&server, NEW_TOKEN, 7200).await;
    // The first token is revoked; the second one meets a 503 once, then an answer.
    server
        .mock_async(|when, then| {
            when.path(PATH)
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(401)
                .json_body(json!({"title": "Unauthorized", "detail": "revoked"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path(PATH)
                .header("authorization", format!("Bearer {NEW_TOKEN}"));
            then.status(503)
                .json_body(json!({"title": "Service Unavailable"}))
                .up_to_n_times(1);
        })
        .await;
    support::resource(&server, PATH, support::empty_page()).await;
    let quick = RetryPolicy {
        initial_backoff: Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let captured = Captured::default();
    let writer = captured.clone();
    // Everything at TRACE but the mock server's own logs, which print what it received.
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("trace,httpmock=off"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A token exchange, a 401 and its replay, a retry.
    let ingrid = Ingrid::new(support::config(&server).with_retry_policy(quick)).unwrap();
    daily_allocations(&ingrid).await.unwrap();
    // A hundred callers on the cold cache of a second client: one token request, one event.
    let second = Ingrid::new(support::config(&server)).unwrap();
    futures::future::join_all((0..100).map(|_| daily_allocations(&second))).await;
    // A failure: a token endpoint that refuses.
    first_token.delete_async().await;
    let refusing = MockServer::start_async().await;
    refusing
        .mock_async(|when, then| {
            when.method(POST);
            then.status(401)
                .json_body(json!({"error": "invalid_client"}));
        })
        .await;
    let failing = Ingrid::new(support::config(&refusing)).unwrap();
    let errors = futures::future::join_all((0..20).map(|_| daily_allocations(&failing))).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("operation=\"get_daily_allocations\""),
        "{logs}"
    );
    assert!(
        logs.contains(&format!("contract_code=\"{CONTRACT}\"")),
        "{logs}"
    );
    assert!(
        logs.contains("status=200") && logs.contains("duration_ms="),
        "{logs}"
    );
    // The attempts of a call count on through its replay: 401, then 503, then the answer.
    assert!(
        logs.contains("retrying") && logs.contains("next_attempt=3"),
        "{logs}"
    );
    assert!(logs.contains("attempt=3"), "{logs}");
    assert!(logs.contains("the API refused the access token"), "{logs}");
    assert_eq!(logs.matches("fetched an access token").count(), 3, "{logs}");
    assert_eq!(logs.matches("no access token").count(), 1, "{logs}");
    for secret in [TOKEN, NEW_TOKEN, CLIENT_SECRET] {
        assert!(!logs.contains(secret), "{secret} is logged: {logs}");
        for error in errors.iter().filter_map(|result| result.as_ref().err()) {
            assert!(!format!("{error} {error:?}").contains(secret), "{error:?}");
        }
    }
}
