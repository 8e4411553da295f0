//! One operation of every domain, against its spec's own example: the typed client decodes the
//! example and writes back every field of it.

use httpmock::prelude::*;
use serde::Serialize;

use crate::support::{self, CONTRACT, TOKEN};

/// Serves the spec example of `path`, and checks the typed response against it.
async fn check<T: Serialize>(
    server: &MockServer,
    spec_file: &str,
    path: &str,
    call: impl AsyncFnOnce(ingrid::Ingrid) -> T,
) {
    let example = support::spec_example(spec_file, path);
    let resource = support::resource(server, path, example.clone()).await;

    let typed = call(support::client(server)).await;

    resource.assert_calls_async(1).await;
    let written_back = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        support::normalized(&written_back),
        support::normalized(&example),
        "{path}"
    );
    let rows = example["data"].as_array().map(Vec::len).unwrap_or_default();
    assert!(rows > 0, "the example of {path} has records");
}

macro_rules! call {
    ($domain:ident . $operation:ident) => {
        async |ingrid: ingrid::Ingrid| {
            ingrid
                .$domain()
                .$operation()
                .contract_code(CONTRACT)
                .gas_day_from("2025-01-15")
                .gas_day_to("2025-01-15")
                .send()
                .await
                .unwrap()
                .into_inner()
        }
    };
}

#[tokio::test]
async fn every_domain_decodes_its_spec_example_without_losing_a_field() {
    let server = MockServer::start_async().await;
    let token = support::token_endpoint(&server, TOKEN, 7200).await;

    check(
        &server,
        "portfolio.yaml",
        "/v1/portfolio/upstream-allocated-capacities",
        call!(portfolio.get_upstream_allocated_capacities),
    )
    .await;
    check(
        &server,
        "confirmation-notice.yaml",
        "/v1/confirmation-notice/confirmation-notice",
        call!(confirmation_notice.get_confirmation_notice),
    )
    .await;
    check(
        &server,
        "operational-capacity-notice.yaml",
        "/v1/operational-capacity-notice/operational-notices",
        call!(operational_capacity_notice.get_operational_notices),
    )
    .await;
    check(
        &server,
        "maintenance-schedule.yaml",
        "/v1/maintenance-schedule/consolidated-maintenance-programs",
        call!(maintenance_schedule.get_consolidated_maintenance_programs),
    )
    .await;
    check(
        &server,
        "measures.yaml",
        "/v1/measures/hourly-measures",
        call!(measures.get_hourly_measures),
    )
    .await;
    check(
        &server,
        "allocations.yaml",
        "/v1/allocations/daily-imbalances",
        call!(allocations.get_daily_imbalances),
    )
    .await;
    check(
        &server,
        "balancing.yaml",
        "/v1/balancing/hourly-allocations",
        call!(balancing.get_hourly_allocations),
    )
    .await;

    // Seven clients built one after the other: each fetched its own token once.
    token.assert_calls_async(7).await;
}
