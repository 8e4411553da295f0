//! How resource requests are checked: token, parameters, range, contract, path and method.

use std::time::Duration;

use ingrid_sandbox::{
    DEMO_CLIENT_SECRET, MAX_DAILY_RANGE_GAS_DAYS, MAX_HOURLY_RANGE_GAS_DAYS, Sandbox,
};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};

use crate::support::{
    self, DAILY_ALLOCATIONS, HOURLY_ALLOCATIONS, client, get, problem, range_query, start,
};

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_request_without_a_token_gets_401_with_a_bearer_challenge() {
    let sandbox = start().await;
    let client = client();

    let response = client
        .get(format!("{}{DAILY_ALLOCATIONS}", sandbox.base_url()))
        .query(&range_query("2025-01-15", "2025-01-15"))
        .send()
        .await
        .expect("answered");

    assert!(
        challenge(&response).starts_with("Bearer"),
        "{}",
        challenge(&response)
    );
    problem(response, StatusCode::UNAUTHORIZED, DAILY_ALLOCATIONS).await;
}

#[tokio::test]
async fn unknown_tokens_and_the_client_secret_are_not_accepted() {
    let sandbox = start().await;
    let client = client();
    let query = range_query("2025-01-15", "2025-01-15");

    for token in ["made-up-token", DEMO_CLIENT_SECRET] {
        let response = get(&client, &sandbox, token, DAILY_ALLOCATIONS, &query).await;

        assert!(challenge(&response).starts_with("Bearer"));
        problem(response, StatusCode::UNAUTHORIZED, DAILY_ALLOCATIONS).await;
    }
}

#[tokio::test]
async fn a_token_issued_by_another_sandbox_is_not_accepted() {
    let sandbox = start().await;
    let other = start().await;
    let client = client();
    let foreign_token = support::token(&client, &other).await;

    let response = get(
        &client,
        &sandbox,
        &foreign_token,
        DAILY_ALLOCATIONS,
        &range_query("2025-01-15", "2025-01-15"),
    )
    .await;

    problem(response, StatusCode::UNAUTHORIZED, DAILY_ALLOCATIONS).await;
}

#[tokio::test]
async fn a_bare_token_works_like_a_bearer_token() {
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;

    let response = client
        .get(format!("{}{DAILY_ALLOCATIONS}", sandbox.base_url()))
        .header(AUTHORIZATION, &token)
        .query(&range_query("2025-01-15", "2025-01-15"))
        .send()
        .await
        .expect("answered");

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn a_token_stops_working_when_its_lifetime_is_over() {
    let sandbox =
        support::start_with(Sandbox::builder().token_lifetime(Duration::from_secs(60))).await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let query = range_query("2025-01-15", "2025-01-15");

    tokio::time::advance(Duration::from_secs(59)).await;
    let before = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &query).await;
    tokio::time::advance(Duration::from_secs(1)).await;
    let after = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &query).await;

    assert_eq!(before.status(), StatusCode::OK);
    assert!(challenge(&after).contains("invalid_token"));
    let body = problem(after, StatusCode::UNAUTHORIZED, DAILY_ALLOCATIONS).await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("expired"))
    );
}

#[tokio::test]
async fn each_missing_required_parameter_is_named() {
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let complete = range_query("2025-01-15", "2025-01-15");

    for (missing, _) in &complete {
        let query: Vec<_> = complete
            .iter()
            .filter(|(name, _)| name != missing)
            .copied()
            .collect();

        let response = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &query).await;

        let body = problem(response, StatusCode::BAD_REQUEST, DAILY_ALLOCATIONS).await;
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(missing) && detail.contains("missing"),
            "{detail}"
        );
    }
}

#[tokio::test]
async fn values_the_schema_refuses_are_named_with_the_parameter() {
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let bad_values = [
        ("gasDayFrom", "2025-13-01"),
        ("gasDayTo", "15/01/2025"),
        ("gasDayFrom", "2025-1-15"),
        ("direction", "SIDEWAYS"),
        ("pointType", "PIPELINE"),
        ("status", "MAYBE"),
        ("size", "0"),
        ("size", "5001"),
        ("size", "ten"),
        ("page", "-1"),
    ];

    for (name, value) in bad_values {
        let mut query = range_query("2025-01-15", "2025-01-15");
        query.retain(|(known, _)| *known != name);
        query.push((name, value));

        let response = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &query).await;

        let body = problem(response, StatusCode::BAD_REQUEST, DAILY_ALLOCATIONS).await;
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(name) && detail.contains(value),
            "{name}={value}: {detail}"
        );
    }
}

#[tokio::test]
async fn a_parameter_given_twice_is_refused() {
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let mut query = range_query("2025-01-15", "2025-01-15");
    query.push(("direction", "ENTRY"));
    query.push(("direction", "EXIT"));

    let response = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &query).await;

    let body = problem(response, StatusCode::BAD_REQUEST, DAILY_ALLOCATIONS).await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("direction"))
    );
}

#[tokio::test]
async fn a_range_that_ends_before_it_starts_is_refused() {
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;

    let response = get(
        &client,
        &sandbox,
        &token,
        DAILY_ALLOCATIONS,
        &range_query("2025-01-16", "2025-01-15"),
    )
    .await;

    let body = problem(response, StatusCode::BAD_REQUEST, DAILY_ALLOCATIONS).await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("gasDayTo"))
    );
}

#[tokio::test]
async fn ranges_are_capped_at_31_gas_days_for_hourly_data_and_366_for_daily() {
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let last_day = |first: &str, count: i64| {
        let first = chrono::NaiveDate::parse_from_str(first, "%Y-%m-%d").expect("valid");
        (first + chrono::Duration::days(count - 1)).to_string()
    };
    let cases = [
        (
            HOURLY_ALLOCATIONS,
            MAX_HOURLY_RANGE_GAS_DAYS,
            StatusCode::OK,
        ),
        (
            HOURLY_ALLOCATIONS,
            MAX_HOURLY_RANGE_GAS_DAYS + 1,
            StatusCode::BAD_REQUEST,
        ),
        (DAILY_ALLOCATIONS, MAX_DAILY_RANGE_GAS_DAYS, StatusCode::OK),
        (
            DAILY_ALLOCATIONS,
            MAX_DAILY_RANGE_GAS_DAYS + 1,
            StatusCode::BAD_REQUEST,
        ),
    ];

    for (path, gas_days, expected) in cases {
        let to = last_day("2024-01-01", gas_days);
        let mut query = range_query("2024-01-01", &to);
        query.push(("size", "1"));

        let response = get(&client, &sandbox, &token, path, &query).await;

        assert_eq!(
            response.status(),
            expected,
            "{path} over {gas_days} gas days"
        );
    }
    assert_eq!(
        (MAX_HOURLY_RANGE_GAS_DAYS, MAX_DAILY_RANGE_GAS_DAYS),
        (31, 366)
    );
}

#[tokio::test]
async fn another_contract_is_forbidden() {
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let query = [
        ("contractCode", "GFXY1299"),
        ("gasDayFrom", "2025-01-15"),
        ("gasDayTo", "2025-01-15"),
    ];

    let response = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &query).await;

    let body = problem(response, StatusCode::FORBIDDEN, DAILY_ALLOCATIONS).await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("GFXY1299"))
    );
}

#[tokio::test]
async fn a_configured_contract_code_replaces_the_demo_one() {
    let sandbox = support::start_with(Sandbox::builder().contract_code("GFXY1201")).await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let own_contract = [
        ("contractCode", "GFXY1201"),
        ("gasDayFrom", "2025-01-15"),
        ("gasDayTo", "2025-01-15"),
    ];
    let demo_contract = range_query("2025-01-15", "2025-01-15");

    let own = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &own_contract).await;
    let demo = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &demo_contract).await;

    assert_eq!(own.status(), StatusCode::OK);
    problem(demo, StatusCode::FORBIDDEN, DAILY_ALLOCATIONS).await;
}

#[tokio::test]
async fn an_unknown_path_is_404_and_another_method_405() {
    let sandbox = start().await;
    let client = client();
    let token = support::token(&client, &sandbox).await;
    let unknown = "/v1/allocations/no-such-api";

    let missing = get(&client, &sandbox, &token, unknown, &[]).await;
    let posted = client
        .post(format!("{}{DAILY_ALLOCATIONS}", sandbox.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answered");

    problem(missing, StatusCode::NOT_FOUND, unknown).await;
    let allow = posted.headers().get("allow").cloned();
    problem(posted, StatusCode::METHOD_NOT_ALLOWED, DAILY_ALLOCATIONS).await;
    assert_eq!(
        allow.as_ref().and_then(|value| value.to_str().ok()),
        Some("GET")
    );
}
