//! What the tests share: a client pointed at a mock server, and the spec examples.

use std::path::Path;

use httpmock::prelude::*;
use ingrid::{Config, Environment, Ingrid};
use serde_json::Value;

pub const CLIENT_ID: &str = "shipper-app";
/// A secret with the characters that URL-encoding would change, so that a test sees it.
pub const CLIENT_SECRET: &str = "p+ss/w=rd%2F:x~";
pub const CONTRACT: &str = "GFXY1201";
pub const TOKEN: &str = "eyJ0b2tlbi1vbmUifQ";

/// A list answer with no record, for the gas day `2025-01-15`.
pub fn empty_page() -> Value {
    serde_json::json!({
        "contractCode": CONTRACT,
        "gasDayFrom": "2025-01-15",
        "gasDayTo": "2025-01-15",
        "data": [],
        "page": {"number": 0, "size": 500, "totalElements": 0, "totalPages": 0}
    })
}

/// The daily allocations of gas day `2025-01-15`, the call most tests make.
pub async fn daily_allocations(ingrid: &Ingrid) -> Result<(), ingrid::Error> {
    use ingrid::Call;

    ingrid
        .allocations()
        .get_daily_allocations()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .call()
        .await
        .map(|_| ())
}

/// The configuration of a client whose token URL and API are both on `server`.
pub fn config(server: &MockServer) -> Config {
    let environment =
        Environment::custom(&server.base_url(), &server.url("/oauth2/token")).unwrap();
    Config::new(environment, CLIENT_ID, CLIENT_SECRET).with_contract_code(CONTRACT)
}

/// Retries without real waiting, for the tests that meet failures on real time.
pub fn quick_retries() -> ingrid::RetryPolicy {
    ingrid::RetryPolicy {
        initial_backoff: std::time::Duration::from_millis(1),
        max_backoff: std::time::Duration::from_millis(2),
        ..ingrid::RetryPolicy::default()
    }
}

/// Moves tokio's clock on while no request is in flight: the token lifetimes pass at once,
/// while the mock server still answers on real time.
pub async fn advance(duration: std::time::Duration) {
    tokio::time::pause();
    tokio::time::advance(duration).await;
    tokio::time::resume();
}

/// How many requests `mock` has matched, once it has matched `expected` (the token cache
/// refreshes on a task of its own, which a test cannot await); fails after a few seconds.
pub async fn calls_reaching(mock: &httpmock::Mock<'_>, expected: usize) -> usize {
    for _ in 0..500 {
        let calls = mock.calls_async().await;
        if calls >= expected {
            return calls;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    mock.calls_async().await
}

pub fn client(server: &MockServer) -> Ingrid {
    Ingrid::new(config(server)).unwrap()
}

/// A token endpoint that hands out `token`, valid `expires_in` seconds.
pub async fn token_endpoint<'a>(
    server: &'a MockServer,
    token: &str,
    expires_in: u64,
) -> httpmock::Mock<'a> {
    let body = serde_json::json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    });
    server
        .mock_async(|when, then| {
            when.method(POST).path("/oauth2/token");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await
}

/// An API path that answers `body` to any GET.
pub async fn resource<'a>(server: &'a MockServer, path: &str, body: Value) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(GET).path(path.to_owned());
            then.status(200)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await
}

/// The `example` of an operation's 200 response, as written in `spec/`.
pub fn spec_example(spec_file: &str, path: &str) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let set = ingrid_openapi::SpecSet::load_dir(&dir).unwrap();
    let document = set.get(spec_file).unwrap();
    let pointer = format!(
        "/paths/{}/get/responses/200/content/application~1json/example",
        ingrid_openapi::escape_pointer(path)
    );
    document
        .value
        .pointer(&pointer)
        .cloned()
        .unwrap_or_else(|| panic!("{spec_file} has no example at {pointer}"))
}

/// A JSON value with nulls dropped and every number as a float, so that a spec example and
/// the same data written back by the typed client compare equal.
pub fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (key.clone(), normalized(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        Value::Number(number) => serde_json::json!(number.as_f64().unwrap()),
        other => other.clone(),
    }
}

/// A server on 127.0.0.1, on the test's own runtime (so that paused time applies to it), for
/// what a well-behaved mock server cannot do: break off, lie about a length, answer late.
pub struct RawServer {
    pub url: String,
    /// Connections accepted so far.
    pub connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Answers the `n`-th connection with `answers[n]` (the last one again once they run out),
/// `delay` after reading the request head, and closes it; `None` closes without a word.
pub async fn raw_server(delay: std::time::Duration, answers: Vec<Option<String>>) -> RawServer {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let index = counter.fetch_add(1, Ordering::SeqCst);
            let answer = answers[index.min(answers.len() - 1)].clone();
            tokio::spawn(async move {
                // The request head is enough: what follows it is never looked at.
                let mut head = Vec::new();
                let mut byte = [0; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1
                {
                    head.push(byte[0]);
                }
                tokio::time::sleep(delay).await;
                if let Some(answer) = answer {
                    let _ = stream.write_all(answer.as_bytes()).await;
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    RawServer { url, connections }
}

/// A raw HTTP/1.1 answer with `status` and a JSON `body`.
pub fn raw_answer(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A client whose token endpoint is `token_url` and whose API is at `api_url`.
pub fn client_at(api_url: &str, token_url: &str) -> Ingrid {
    let environment = Environment::custom(api_url, token_url).unwrap();
    let config = Config::new(environment, CLIENT_ID, CLIENT_SECRET)
        .with_contract_code(CONTRACT)
        .with_retry_policy(quick_retries());
    Ingrid::new(config).unwrap()
}
