//! What every test needs: a started sandbox, an HTTP client that only talks to it, a token.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once, PoisonError};

use ingrid_sandbox::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_CONTRACT_CODE, RunningSandbox, Sandbox, SandboxBuilder,
};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The reference daily operation of the Allocations spec.
pub const DAILY_ALLOCATIONS: &str = "/v1/allocations/daily-allocations";

/// The reference hourly operation of the Allocations spec.
pub const HOURLY_ALLOCATIONS: &str = "/v1/allocations/hourly-allocations";

/// How many demo points the sandbox knows, without filters.
pub const DEMO_POINT_COUNT: usize = 3;

/// Starts a sandbox with the default settings.
pub async fn start() -> RunningSandbox {
    start_with(Sandbox::builder()).await
}

/// Starts a sandbox from `builder`.
pub async fn start_with(builder: SandboxBuilder) -> RunningSandbox {
    builder
        .build()
        .expect("the sandbox builds")
        .start()
        .await
        .expect("the sandbox starts")
}

/// An HTTP client without proxies (traffic goes to 127.0.0.1 only) and without a connection
/// pool, whose idle timers would otherwise run on paused test clocks.
pub fn client() -> Client {
    Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .expect("the client builds")
}

/// Asks for a token with the demo credentials.
pub async fn token(client: &Client, sandbox: &RunningSandbox) -> String {
    let response = client
        .post(sandbox.token_url())
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("the token request is answered");
    assert_eq!(response.status(), StatusCode::OK);

    let body: Value = response.json().await.expect("the token answer is JSON");
    body["access_token"]
        .as_str()
        .expect("the answer has an access token")
        .to_owned()
}

/// GETs `path` with a bearer token and the query parameters.
pub async fn get(
    client: &Client,
    sandbox: &RunningSandbox,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Response {
    client
        .get(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .expect("the request is answered")
}

/// The query of a valid request for the demo contract over one range.
pub fn range_query<'a>(from: &'a str, to: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("contractCode", DEMO_CONTRACT_CODE),
        ("gasDayFrom", from),
        ("gasDayTo", to),
    ]
}

/// The JSON body of a response, after checking its status and content type.
pub async fn json_body(response: Response, status: StatusCode, content_type: &str) -> Value {
    assert_eq!(response.status(), status);
    let shown_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(shown_type, content_type);
    response.json().await.expect("the body is JSON")
}

/// The RFC 7807 problem of a refused request, after checking its status and media type and
/// that it carries every member with `status` and `instance` right.
pub async fn problem(response: Response, status: StatusCode, path: &str) -> Value {
    let body = json_body(response, status, "application/problem+json").await;
    for member in ["type", "title", "status", "detail", "instance"] {
        assert!(
            body.get(member).is_some(),
            "the problem has `{member}`: {body}"
        );
    }
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["instance"], path);
    body
}

/// The `data` array of a list answer.
pub fn records(body: &Value) -> &Vec<Value> {
    body["data"]
        .as_array()
        .expect("the answer has a data array")
}

/// Log output written into memory.
///
/// Tests run in parallel threads, and tracing caches whether a log statement is wanted the
/// first time any thread reaches it; with a subscriber per thread, a statement first reached by
/// another test would stay silent here. So one global subscriber, installed on first use, writes
/// each event into the captured logs of the thread that emits it, if that thread captures.
/// `#[tokio::test]` runs the sandbox on the test's own thread, so its events land there.
#[derive(Debug, Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

thread_local! {
    /// The logs the current thread captures into, if any.
    static CAPTURING: RefCell<Option<CapturedLogs>> = const { RefCell::new(None) };
}

/// Stops capturing on this thread when dropped.
#[derive(Debug)]
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURING.with(|capturing| capturing.borrow_mut().take());
    }
}

impl CapturedLogs {
    /// Captures every event of the sandbox, down to TRACE, emitted on this thread until the
    /// guard is dropped.
    pub fn capture(&self) -> CaptureGuard {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter(EnvFilter::new("ingrid_sandbox=trace"))
                .with_ansi(false)
                .with_writer(ThreadLogs)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in the sandbox tests");
        });

        CAPTURING.with(|capturing| *capturing.borrow_mut() = Some(self.clone()));
        CaptureGuard(())
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Writes into the logs the emitting thread captures, or nowhere.
#[derive(Debug, Clone, Copy)]
struct ThreadLogs;

impl Write for ThreadLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|capturing| {
            if let Some(logs) = capturing.borrow().as_ref() {
                let mut captured = logs.0.lock().unwrap_or_else(PoisonError::into_inner);
                captured.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for ThreadLogs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}
