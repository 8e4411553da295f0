//! What every resource request carries, and where the environments point.

use httpmock::prelude::*;
use ingrid::{AuthorizationScheme, Config, Environment, Ingrid};
use serde_json::json;

use crate::support::{self, CLIENT_ID, CLIENT_SECRET, CONTRACT, TOKEN};

const PATH: &str = "/v1/allocations/hourly-allocations";

fn empty_page() -> serde_json::Value {
    json!({
        "contractCode": CONTRACT,
        "gasDayFrom": "2024-10-26",
        "gasDayTo": "2024-10-26",
        "data": [],
        "page": {"number": 0, "size": 500, "totalElements": 0, "totalPages": 0}
    })
}

async fn hourly_allocations(ingrid: &Ingrid) {
    ingrid
        .allocations()
        .get_hourly_allocations()
        .contract_code(CONTRACT)
        .gas_day_from("2024-10-26")
        .gas_day_to("2024-10-26")
        .point_code("EG001F")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn resource_requests_carry_the_bearer_token_json_content_type_and_nothing_else_of_ours() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    let resource = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                // reqwest would send `*/*` without it; the generated client asks for JSON.
                .header("accept", "application/json")
                .header_missing("api-version")
                .header_missing("user-agent")
                .query_param("contractCode", CONTRACT)
                .query_param("gasDayFrom", "2024-10-26")
                .query_param("gasDayTo", "2024-10-26")
                .query_param("pointCode", "EG001F");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(empty_page());
        })
        .await;

    hourly_allocations(&support::client(&server)).await;

    resource.assert_calls_async(1).await;
}

#[tokio::test]
async fn the_bare_token_scheme_sends_the_token_alone() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    let resource = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH).header("authorization", TOKEN);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(empty_page());
        })
        .await;
    let config = support::config(&server).with_authorization_scheme(AuthorizationScheme::BareToken);

    hourly_allocations(&Ingrid::new(config).unwrap()).await;

    resource.assert_calls_async(1).await;
}

#[test]
fn production_and_staging_use_the_urls_of_the_connection_guide() {
    let production = Ingrid::new(Config::new(
        Environment::Production,
        CLIENT_ID,
        CLIENT_SECRET,
    ));
    let staging = Ingrid::new(Config::new(Environment::Staging, CLIENT_ID, CLIENT_SECRET));

    let production = production.unwrap();
    let staging = staging.unwrap();
    assert_eq!(
        production.environment().token_url().as_str(),
        "https://auth-api.offre.grtgaz.com/oauth2/token"
    );
    assert_eq!(
        production.environment().api_url(),
        "https://api.ingrid.grtgaz.com"
    );
    assert_eq!(
        staging.environment().token_url().as_str(),
        "https://auth-api.offre-stg.grtgaz.com/oauth2/token"
    );
    assert_eq!(
        staging.environment().api_url(),
        "https://api.ingrid-stg.grtgaz.com"
    );
}
