//! Faults injected on purpose: which request meets which, and what the client sees.

use std::time::Duration;

use ingrid_sandbox::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Faults, RunningSandbox, Sandbox, SandboxError,
};
use reqwest::header::{CACHE_CONTROL, CONTENT_LENGTH, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

use crate::support::{self, CapturedLogs, DAILY_ALLOCATIONS, client, json_body, problem};

/// Starts a sandbox with `faults` in their text form.
async fn start_with_faults(faults: &str) -> RunningSandbox {
    let faults: Faults = faults.parse().expect("the faults parse");
    support::start_with(Sandbox::builder().faults(faults)).await
}

/// GETs one gas day of daily allocations with `token`.
async fn daily(client: &Client, sandbox: &RunningSandbox, token: &str) -> Response {
    let query = support::range_query("2025-01-15", "2025-01-15");
    support::get(client, sandbox, token, DAILY_ALLOCATIONS, &query).await
}

/// The statuses of `count` requests in a row with `token`.
async fn statuses(
    client: &Client,
    sandbox: &RunningSandbox,
    token: &str,
    count: usize,
) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        statuses.push(daily(client, sandbox, token).await.status().as_u16());
    }
    statuses
}

fn header(response: &Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// A token request with the demo credentials.
async fn token_request(client: &Client, sandbox: &RunningSandbox) -> Response {
    client
        .post(sandbox.token_url())
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("the token request is answered")
}

#[tokio::test]
async fn without_faults_every_request_is_answered_as_usual() {
    let sandbox = support::start().await;
    let client = client();

    let mut token_statuses = Vec::new();
    for _ in 0..3 {
        token_statuses.push(token_request(&client, &sandbox).await.status());
    }
    let token = support::token(&client, &sandbox).await;
    let mut bodies = Vec::new();
    for _ in 0..12 {
        let response = daily(&client, &sandbox, &token).await;
        bodies.push(json_body(response, StatusCode::OK, "application/json").await);
    }

    assert!(
        token_statuses
            .iter()
            .all(|status| *status == StatusCode::OK)
    );
    assert!(bodies.iter().all(|body| *body == bodies[0]));
}

#[tokio::test(start_paused = true)]
async fn token_lifetime_shortens_the_tokens_and_their_expires_in() {
    let faults: Faults = "token-lifetime=5s".parse().expect("parses");
    let builder = Sandbox::builder()
        .token_lifetime(Duration::from_secs(3600))
        .faults(faults);
    let sandbox = support::start_with(builder).await;
    let client = client();

    let answer = token_request(&client, &sandbox).await;
    let body = json_body(answer, StatusCode::OK, "application/json").await;
    let token = body["access_token"].as_str().expect("a token").to_owned();
    let fresh = daily(&client, &sandbox, &token).await.status();
    tokio::time::advance(Duration::from_secs(5)).await;
    let expired = daily(&client, &sandbox, &token).await;

    assert_eq!(body["expires_in"], 5);
    assert_eq!(fresh, StatusCode::OK);
    let detail =
        problem(expired, StatusCode::UNAUTHORIZED, DAILY_ALLOCATIONS).await["detail"].to_string();
    assert!(detail.contains("expired"), "{detail}");
}

#[tokio::test]
async fn revoke_every_revokes_every_token_until_the_client_fetches_a_new_one() {
    let sandbox = start_with_faults("revoke-every=4").await;
    let client = client();
    let first = support::token(&client, &sandbox).await;
    let spare = support::token(&client, &sandbox).await;

    let before = statuses(&client, &sandbox, &first, 3).await;
    let revoking = daily(&client, &sandbox, &first).await;
    let with_the_old_token = daily(&client, &sandbox, &first).await.status();
    let with_the_spare_token = daily(&client, &sandbox, &spare).await.status();
    let second = support::token(&client, &sandbox).await;
    let with_a_new_token = daily(&client, &sandbox, &second).await.status();
    let revoking_again = daily(&client, &sandbox, &second).await.status();

    assert_eq!(before, [200, 200, 200]);
    let challenge = header(&revoking, WWW_AUTHENTICATE).unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let body = problem(revoking, StatusCode::UNAUTHORIZED, DAILY_ALLOCATIONS).await;
    assert!(body["detail"].to_string().contains("revoked"), "{body}");
    assert_eq!(with_the_old_token, StatusCode::UNAUTHORIZED);
    assert_eq!(with_the_spare_token, StatusCode::UNAUTHORIZED);
    assert_eq!(with_a_new_token, StatusCode::OK);
    assert_eq!(
        revoking_again,
        StatusCode::UNAUTHORIZED,
        "request 8 revokes again"
    );
}

#[tokio::test]
async fn rate_limit_every_answers_429_with_retry_after() {
    let sandbox = start_with_faults("rate-limit-every=2").await;
    let tuned = start_with_faults("rate-limit-every=1,retry-after=7").await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let tuned_token = support::token(&client, &tuned).await;

    let first = statuses(&client, &sandbox, &token, 1).await;
    let limited = daily(&client, &sandbox, &token).await;
    let after = statuses(&client, &sandbox, &token, 3).await;
    let tuned_limited = daily(&client, &tuned, &tuned_token).await;

    assert_eq!(first, [200]);
    assert_eq!(header(&limited, RETRY_AFTER).as_deref(), Some("1"));
    problem(limited, StatusCode::TOO_MANY_REQUESTS, DAILY_ALLOCATIONS).await;
    assert_eq!(after, [200, 429, 200]);
    assert_eq!(header(&tuned_limited, RETRY_AFTER).as_deref(), Some("7"));
}

#[tokio::test]
async fn unavailable_answers_bursts_of_503_before_any_check() {
    let sandbox = start_with_faults("unavailable=2/4").await;
    let tuned = start_with_faults("unavailable=1/1,retry-after=3").await;
    let client = client();
    let token = support::token(&client, &sandbox).await;

    let without_a_token = daily(&client, &sandbox, "not-a-token").await;
    let rest = statuses(&client, &sandbox, &token, 7).await;
    let tuned_answer = daily(&client, &tuned, "not-a-token").await;

    assert_eq!(header(&without_a_token, RETRY_AFTER), None);
    problem(
        without_a_token,
        StatusCode::SERVICE_UNAVAILABLE,
        DAILY_ALLOCATIONS,
    )
    .await;
    assert_eq!(rest, [503, 200, 200, 503, 503, 200, 200]);
    assert_eq!(header(&tuned_answer, RETRY_AFTER).as_deref(), Some("3"));
    assert_eq!(tuned_answer.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(start_paused = true)]
async fn slow_answers_wait_on_tokios_clock() {
    let sandbox = start_with_faults("slow=30s,slow-every=2").await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let wall_clock = std::time::Instant::now();

    let mut waits = Vec::new();
    for _ in 0..4 {
        let sent = tokio::time::Instant::now();
        let status = daily(&client, &sandbox, &token).await.status();
        waits.push((status, sent.elapsed()));
    }

    let slow = Duration::from_secs(30);
    assert!(waits.iter().all(|(status, _)| *status == StatusCode::OK));
    assert!(waits[0].1 < slow && waits[2].1 < slow, "{waits:?}");
    assert!(waits[1].1 >= slow && waits[3].1 >= slow, "{waits:?}");
    assert!(
        wall_clock.elapsed() < Duration::from_secs(20),
        "the delays were really waited"
    );
}

#[tokio::test]
async fn truncate_every_cuts_every_nth_success_body_in_half() {
    let sandbox = start_with_faults("truncate-every=2").await;
    let client = client();
    let token = support::token(&client, &sandbox).await;

    let whole = daily(&client, &sandbox, &token).await;
    let whole = whole.bytes().await.expect("a body");
    let refused = daily(&client, &sandbox, "not-a-token").await.status();
    let cut = daily(&client, &sandbox, &token).await;
    let cut_length = header(&cut, CONTENT_LENGTH);
    let cut_status = cut.status();
    let cut = cut.bytes().await.expect("a body");
    let next = daily(&client, &sandbox, &token).await;
    let next = next.bytes().await.expect("a body");

    assert_eq!(
        refused,
        StatusCode::UNAUTHORIZED,
        "refusals are not counted"
    );
    assert_eq!(cut_status, StatusCode::OK);
    assert_eq!(cut_length, Some(cut.len().to_string()));
    assert!(whole.starts_with(&cut), "the cut body is the first part");
    assert!(
        cut.len() <= whole.len() / 2 && cut.len() + 4 > whole.len() / 2,
        "{} of {} bytes",
        cut.len(),
        whole.len()
    );
    assert!(serde_json::from_slice::<Value>(&cut).is_err());
    assert_eq!(next, whole, "the third success is whole again");
}

#[tokio::test]
async fn a_token_outage_answers_503_temporarily_unavailable_to_the_first_requests() {
    let sandbox = start_with_faults("token-outage=2,retry-after=5").await;
    let plain = start_with_faults("token-outage=1").await;
    let client = client();

    let first = token_request(&client, &sandbox).await;
    let second = token_request(&client, &sandbox).await.status();
    let third = token_request(&client, &sandbox).await.status();
    let plain_first = token_request(&client, &plain).await;

    assert_eq!(header(&first, RETRY_AFTER).as_deref(), Some("5"));
    assert_eq!(header(&first, CACHE_CONTROL).as_deref(), Some("no-store"));
    let body = json_body(first, StatusCode::SERVICE_UNAVAILABLE, "application/json").await;
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(body["error_description"].is_string(), "{body}");
    assert_eq!(second, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(third, StatusCode::OK);
    assert_eq!(plain_first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&plain_first, RETRY_AFTER), None);
}

#[tokio::test]
async fn a_revocation_applies_even_to_a_request_that_meets_a_429() {
    let sandbox = start_with_faults("revoke-every=2,rate-limit-every=2").await;
    let client = client();
    let token = support::token(&client, &sandbox).await;

    let answered = statuses(&client, &sandbox, &token, 3).await;

    assert_eq!(answered, [200, 429, 401]);
}

#[tokio::test]
async fn each_injected_fault_is_logged_with_its_request() {
    let logs = CapturedLogs::default();
    let _guard = logs.capture();
    let sandbox = start_with_faults("token-outage=1,rate-limit-every=1").await;
    let client = client();

    let outage = token_request(&client, &sandbox).await.status();
    let token = support::token(&client, &sandbox).await;
    let limited = daily(&client, &sandbox, &token).await.status();
    sandbox.shutdown().await;

    assert_eq!(outage, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(limited, StatusCode::TOO_MANY_REQUESTS);
    let text = logs.text();
    for expected in ["fault=token-outage", "fault=rate-limit", "status=429"] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
}

#[test]
fn faults_that_cannot_work_are_refused_by_build_naming_the_item() {
    let faults = Faults::none().unavailable(5, 3);

    let result = Sandbox::builder().faults(faults).build();

    match result {
        Err(SandboxError::Fault { item, .. }) => assert_eq!(item, "unavailable=5/3"),
        other => panic!("expected a fault error, got {other:?}"),
    }
}
