//! Retries, replays and timeouts against the sandbox's fault modes, on paused time.
//!
//! The sandbox runs on the test's own runtime, so while a request is on its way the runtime is
//! never idle and tokio's paused clock only jumps when the SDK itself waits (a backoff, a
//! `Retry-After`, a timeout): the suite takes virtual minutes and real milliseconds.

use std::time::Duration;

use ingrid::{Call, Config, Environment, Ingrid};
use ingrid_sandbox::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CONTRACT_CODE, Faults, RunningSandbox,
};
use tokio::time::Instant;

async fn sandbox(faults: Faults) -> RunningSandbox {
    ingrid_sandbox::Sandbox::builder()
        .faults(faults)
        .build()
        .unwrap()
        .start()
        .await
        .unwrap()
}

fn config(sandbox: &RunningSandbox) -> Config {
    let environment = Environment::custom(&sandbox.base_url(), &sandbox.token_url()).unwrap();
    Config::new(environment, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
}

async fn call(ingrid: &Ingrid) -> Result<usize, ingrid::Error> {
    ingrid
        .measures()
        .get_daily_measures()
        .contract_code(DEMO_CONTRACT_CODE)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .call()
        .await
        .map(|page| page.data.len())
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_after_its_retry_after() {
    let sandbox = sandbox(Faults::none().rate_limit_every(2).retry_after(7)).await;
    let ingrid = Ingrid::new(config(&sandbox)).unwrap();
    call(&ingrid).await.unwrap();
    let started = Instant::now();

    let rows = call(&ingrid).await.unwrap();

    assert!(rows > 0);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(7) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_the_cap_is_cut_to_it() {
    let sandbox = sandbox(Faults::none().rate_limit_every(1).retry_after(600)).await;
    let policy = ingrid::RetryPolicy {
        max_attempts: 2,
        ..ingrid::RetryPolicy::default()
    };
    let ingrid = Ingrid::new(config(&sandbox).with_retry_policy(policy)).unwrap();
    let started = Instant::now();

    let error = call(&ingrid).await.unwrap_err();

    assert_eq!(error.status(), Some(429));
    assert_eq!(
        started.elapsed().as_secs(),
        policy.max_retry_after.as_secs()
    );
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_503_is_ridden_out_with_backoff() {
    // Of every 10 requests, the first 3 answer 503: the 4th attempt gets through.
    let sandbox = sandbox(Faults::none().unavailable(3, 10)).await;
    let ingrid = Ingrid::new(config(&sandbox)).unwrap();
    let started = Instant::now();

    let rows = call(&ingrid).await.unwrap();

    assert!(rows > 0);
    // Backoffs of 0.25-0.5 s, 0.5-1 s and 1-2 s.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1750) && waited <= Duration::from_millis(3500),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn when_retries_run_out_the_error_says_how_many_attempts_and_what_came_last() {
    let sandbox = sandbox(Faults::none().unavailable(9, 10)).await;
    let ingrid = Ingrid::new(config(&sandbox)).unwrap();

    let error = call(&ingrid).await.unwrap_err();

    assert_eq!(error.status(), Some(503));
    assert_eq!(error.attempts(), 4);
    assert!(error.is_retryable());
    let message = error.to_string();
    assert!(
        message.starts_with("get_daily_measures: HTTP 503 Service Unavailable"),
        "{message}"
    );
    assert!(message.ends_with("(after 4 attempts)"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn a_revoked_token_is_replaced_and_the_request_replayed() {
    let sandbox = sandbox(Faults::none().revoke_every(3)).await;
    let ingrid = Ingrid::new(config(&sandbox)).unwrap();

    for _ in 0..7 {
        assert!(call(&ingrid).await.unwrap() > 0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_answer_times_out_on_the_request_timeout() {
    let sandbox = sandbox(Faults::none().slow(Duration::from_secs(120), 1)).await;
    let config = config(&sandbox).with_request_timeout(Duration::from_secs(20));
    let ingrid = Ingrid::new(config).unwrap();
    let started = Instant::now();

    let error = call(&ingrid).await.unwrap_err();

    assert!(error.is_timeout() && error.is_retryable(), "{error:?}");
    assert!(matches!(error, ingrid::Error::Timeout(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("get_daily_measures: request timed out"),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(21),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_truncated_body_is_a_decode_error_naming_the_operation() {
    let sandbox = sandbox(Faults::none().truncate_every(1)).await;
    let ingrid = Ingrid::new(config(&sandbox)).unwrap();

    let error = call(&ingrid).await.unwrap_err();

    let ingrid::Error::Decode(decode) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(decode.operation, Some("get_daily_measures"));
    assert!(decode.message.contains("EOF"), "{}", decode.message);
    assert!(decode.excerpt.starts_with('{'), "{}", decode.excerpt);
    assert!(!error.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_token_endpoint_outage_does_not_poison_the_client() {
    // A token request is tried 4 times: the first call's all fail, the second call's second
    // gets through.
    let sandbox = sandbox(Faults::none().token_outage(5)).await;
    let ingrid = Ingrid::new(config(&sandbox)).unwrap();

    let first = call(&ingrid).await.unwrap_err();
    let second = call(&ingrid).await;

    assert!(first.is_auth() && first.is_retryable(), "{first}");
    assert!(
        first.to_string().contains("temporarily_unavailable"),
        "{first}"
    );
    assert_eq!(first.attempts(), 4);
    assert!(first.to_string().ends_with("(after 4 attempts)"), "{first}");
    assert!(second.unwrap() > 0);
}

#[tokio::test(start_paused = true)]
async fn the_token_endpoint_is_retried_after_its_retry_after() {
    let sandbox = sandbox(Faults::none().token_outage(1).retry_after(7)).await;
    let ingrid = Ingrid::new(config(&sandbox)).unwrap();
    let started = Instant::now();

    let rows = call(&ingrid).await.unwrap();

    assert!(rows > 0);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(7) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_short_token_endpoint_outage_is_ridden_out_by_retries() {
    let sandbox = sandbox(Faults::none().token_outage(2)).await;
    let ingrid = Ingrid::new(config(&sandbox)).unwrap();

    assert!(call(&ingrid).await.unwrap() > 0);
}
