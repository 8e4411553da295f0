//! Building, starting, logging and stopping a sandbox.

use ingrid_sandbox::{DEMO_CLIENT_SECRET, Sandbox, SandboxError, SpecSet};
use reqwest::StatusCode;

use crate::support::{self, DAILY_ALLOCATIONS, client, get, range_query, start};

/// A minimal domain spec with one operation; `{response}` is its `200` response object.
fn spec_with_response(response: &str) -> String {
    format!(
        r##"
openapi: 3.0.3
info: {{title: t, version: '1'}}
paths:
  /v1/test/things:
    get:
      operationId: getThings
      responses:
        '200': {response}
components:
  schemas:
    Thing: {{type: object, properties: {{name: {{type: string}}}}}}
"##
    )
}

/// A `200` response object whose JSON body is the component schema `schema`.
fn json_response(schema: &str) -> String {
    format!(
        "{{description: ok, content: {{application/json: {{schema: \
         {{$ref: '#/components/schemas/{schema}'}}}}}}}}"
    )
}

fn build_error(sources: &[(&str, &str)]) -> SandboxError {
    let specs = SpecSet::from_sources(sources.iter().copied());
    let result = specs
        .map_err(SandboxError::from)
        .and_then(|specs| Sandbox::builder().specs(specs).build());
    match result {
        Ok(sandbox) => panic!("the specs were accepted: {sandbox:?}"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn the_urls_point_at_the_loopback_address_and_the_actual_port() {
    let sandbox = start().await;

    let addr = sandbox.addr();

    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        sandbox.base_url(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    assert_eq!(
        sandbox.token_url(),
        format!("http://127.0.0.1:{}/oauth2/token", addr.port())
    );
}

#[tokio::test]
async fn a_taken_port_is_a_bind_error_naming_the_address() {
    let running = start().await;
    let port = running.addr().port();

    let result = Sandbox::builder()
        .port(port)
        .build()
        .expect("builds")
        .start()
        .await;

    match result {
        Err(error @ SandboxError::Bind { .. }) => {
            assert!(
                error.to_string().contains(&format!("127.0.0.1:{port}")),
                "{error}"
            );
        }
        other => panic!("expected a bind error, got {other:?}"),
    }
}

#[tokio::test]
async fn shutdown_releases_the_port() {
    let running = start().await;
    let addr = running.addr();

    running.shutdown().await;

    let rebound = tokio::net::TcpListener::bind(addr).await;
    assert!(rebound.is_ok(), "{rebound:?}");
}

#[tokio::test]
async fn a_dropped_sandbox_stops_serving() {
    let running = start().await;
    let url = running.token_url();
    let client = client();

    drop(running);
    tokio::task::yield_now().await;
    let mut refused = false;
    for _ in 0..100 {
        if client.post(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
    }

    assert!(
        refused,
        "the port still answers after the sandbox was dropped"
    );
}

#[test]
fn an_unresolvable_reference_is_a_spec_error_naming_file_and_pointer() {
    let spec = spec_with_response(&json_response("Nothing"));

    let error = build_error(&[("test.yaml", &spec)]);

    let SandboxError::Spec { file, pointer, .. } = &error else {
        panic!("expected a spec error, got {error:?}");
    };
    assert_eq!(file, "test.yaml");
    assert!(
        pointer.contains("/paths/~1v1~1test~1things/get"),
        "{pointer}"
    );
    assert!(error.to_string().contains("test.yaml"), "{error}");
}

#[test]
fn invalid_yaml_is_a_spec_error_naming_the_file() {
    let error = build_error(&[("broken.yaml", "openapi: [unclosed")]);

    assert!(
        matches!(&error, SandboxError::Spec { file, .. } if file == "broken.yaml"),
        "{error}"
    );
}

#[test]
fn an_operation_without_a_json_body_is_a_spec_error() {
    let spec = spec_with_response("{description: nothing to return}");

    let error = build_error(&[("test.yaml", &spec)]);

    let SandboxError::Spec {
        pointer, message, ..
    } = &error
    else {
        panic!("expected a spec error, got {error:?}");
    };
    assert!(pointer.ends_with("/get/responses"), "{pointer}");
    assert!(message.contains("JSON"), "{message}");
}

#[test]
fn two_specs_declaring_the_same_operation_are_refused() {
    let spec = spec_with_response(&json_response("Thing"));

    let error = build_error(&[("first.yaml", &spec), ("second.yaml", &spec)]);

    assert!(
        matches!(&error, SandboxError::Spec { file, .. } if file == "second.yaml"),
        "{error}"
    );
    assert!(error.to_string().contains("first"), "{error}");
}

#[test]
fn credentials_http_basic_cannot_carry_are_refused() {
    for (client_id, secret) in [("with:colon", "secret"), ("", "secret"), ("id", "")] {
        let result = Sandbox::builder().credentials(client_id, secret).build();

        assert!(
            matches!(
                result,
                Err(SandboxError::InvalidSetting {
                    setting: "credentials",
                    ..
                })
            ),
            "{client_id:?} / {secret:?}"
        );
    }
}

#[test]
fn debug_output_never_shows_the_secret() {
    let builder = Sandbox::builder().credentials("client", "very-secret-value");
    let shown_builder = format!("{builder:?}");
    let sandbox = builder.build().expect("builds");

    let shown_sandbox = format!("{sandbox:?}");

    for shown in [shown_builder, shown_sandbox] {
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("client"), "{shown}");
    }
}

#[tokio::test]
async fn each_request_is_logged_with_method_path_status_and_duration_but_no_secret() {
    let logs = support::CapturedLogs::default();
    let _guard = logs.capture();
    let sandbox = start().await;
    let client = client();

    let token = support::token(&client, &sandbox).await;
    let query = range_query("2025-01-15", "2025-01-15");
    let accepted = get(&client, &sandbox, &token, DAILY_ALLOCATIONS, &query).await;
    let refused = get(&client, &sandbox, "wrong", DAILY_ALLOCATIONS, &query).await;
    sandbox.shutdown().await;

    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let text = logs.text();
    for expected in [
        "method=GET",
        &format!("path={DAILY_ALLOCATIONS}"),
        "operation=getDailyAllocations",
        "status=200",
        "status=401",
        "duration_ms=",
        "method=POST path=/oauth2/token",
    ] {
        assert!(
            text.contains(expected),
            "no {expected:?} in the logs:\n{text}"
        );
    }
    assert!(
        !text.contains(DEMO_CLIENT_SECRET),
        "the secret is logged:\n{text}"
    );
    assert!(!text.contains(&token), "the token is logged:\n{text}");
}
