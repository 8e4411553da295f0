//! The token endpoint, `POST /oauth2/token`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ingrid_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox};
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

use crate::support::{self, client, json_body, start};

/// A token request with the demo credentials, to which each test adds or breaks something.
fn token_request(client: &reqwest::Client, url: &str) -> RequestBuilder {
    client
        .post(url)
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
}

/// The RFC 6749 error of a refused token request.
async fn token_error(response: reqwest::Response, status: StatusCode) -> Value {
    let body = json_body(response, status, "application/json").await;
    assert!(body["error_description"].is_string(), "{body}");
    body
}

#[tokio::test]
async fn the_demo_credentials_get_a_bearer_token_with_the_configured_lifetime() {
    let sandbox =
        support::start_with(Sandbox::builder().token_lifetime(Duration::from_secs(7200))).await;
    let client = client();

    let response = token_request(&client, &sandbox.token_url())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answered");

    let cache_control = response.headers().get(CACHE_CONTROL).cloned();
    let body = json_body(response, StatusCode::OK, "application/json").await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7200);
    assert!(
        body["access_token"]
            .as_str()
            .is_some_and(|token| !token.is_empty())
    );
    assert_eq!(
        cache_control.as_ref().and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

#[tokio::test]
async fn every_token_is_new_and_is_not_the_secret() {
    let sandbox = start().await;
    let client = client();

    let first = support::token(&client, &sandbox).await;
    let second = support::token(&client, &sandbox).await;

    assert_ne!(first, second);
    assert!(!first.contains(DEMO_CLIENT_SECRET));
    assert!(!second.contains(DEMO_CLIENT_SECRET));
}

#[tokio::test]
async fn a_scope_and_a_charset_are_accepted() {
    let sandbox = start().await;
    let client = client();

    let response = token_request(&client, &sandbox.token_url())
        .header(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body("grant_type=client_credentials&scope=anything")
        .send()
        .await
        .expect("answered");

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn credentials_are_the_raw_id_and_secret_joined_by_a_colon() {
    let secret = "s3:cr+t/=&%";
    let sandbox = support::start_with(Sandbox::builder().credentials("client", secret)).await;
    let client = client();
    let send = |raw: String| {
        client
            .post(sandbox.token_url())
            .header(AUTHORIZATION, format!("Basic {}", STANDARD.encode(raw)))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };

    let raw = send(format!("client:{secret}")).await.expect("answered");
    let url_encoded = send("client:s3%3Acr%2Bt%2F%3D%26%25".to_owned())
        .await
        .expect("answered");

    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(url_encoded.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_malformed_or_wrong_client_credentials_are_invalid_client() {
    let sandbox = start().await;
    let client = client();
    let url = sandbox.token_url();
    let form = [("grant_type", "client_credentials")];
    let attempts = [
        ("no Authorization", client.post(&url).form(&form)),
        (
            "not base64",
            client
                .post(&url)
                .header(AUTHORIZATION, "Basic %%%")
                .form(&form),
        ),
        (
            "no colon",
            client
                .post(&url)
                .header(
                    AUTHORIZATION,
                    format!("Basic {}", STANDARD.encode(DEMO_CLIENT_ID)),
                )
                .form(&form),
        ),
        (
            "a bearer token",
            client
                .post(&url)
                .bearer_auth(DEMO_CLIENT_SECRET)
                .form(&form),
        ),
        (
            "a wrong secret",
            client
                .post(&url)
                .basic_auth(DEMO_CLIENT_ID, Some("wrong"))
                .form(&form),
        ),
        (
            "a wrong client id",
            client
                .post(&url)
                .basic_auth("someone-else", Some(DEMO_CLIENT_SECRET))
                .form(&form),
        ),
    ];

    for (what, request) in attempts {
        let response = request.send().await.expect("answered");

        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = token_error(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["error"], "invalid_client", "{what}");
        assert_eq!(
            challenge.as_deref(),
            Some("Basic realm=\"ingrid-sandbox\""),
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_missing_grant_type_or_another_content_type_is_invalid_request() {
    let sandbox = start().await;
    let client = client();
    let url = sandbox.token_url();
    let attempts = [
        (
            "no grant_type",
            token_request(&client, &url).form(&[("scope", "x")]),
        ),
        (
            "empty body",
            token_request(&client, &url).form(&[] as &[(&str, &str)]),
        ),
        (
            "empty grant_type",
            token_request(&client, &url).form(&[("grant_type", "")]),
        ),
        (
            "JSON body",
            token_request(&client, &url)
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"grant_type":"client_credentials"}"#),
        ),
        (
            "no content type",
            token_request(&client, &url).body("grant_type=client_credentials"),
        ),
        (
            "grant_type twice",
            token_request(&client, &url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&grant_type=client_credentials"),
        ),
    ];

    for (what, request) in attempts {
        let response = request.send().await.expect("answered");

        let body = token_error(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"], "invalid_request", "{what}");
    }
}

#[tokio::test]
async fn other_grant_types_are_unsupported() {
    let sandbox = start().await;
    let client = client();

    for grant_type in ["password", "authorization_code", "refresh_token"] {
        let response = token_request(&client, &sandbox.token_url())
            .form(&[("grant_type", grant_type)])
            .send()
            .await
            .expect("answered");

        let body = token_error(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"], "unsupported_grant_type", "{grant_type:?}");
    }
}

#[tokio::test]
async fn the_token_endpoint_only_takes_post() {
    let sandbox = start().await;
    let client = client();

    let response = client
        .get(sandbox.token_url())
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .send()
        .await
        .expect("answered");

    let allow = response.headers().get("allow").cloned();
    support::problem(response, StatusCode::METHOD_NOT_ALLOWED, "/oauth2/token").await;
    assert_eq!(allow.as_ref().and_then(|v| v.to_str().ok()), Some("POST"));
}
