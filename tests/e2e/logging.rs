//! What the SDK logs: a span per request, and never a secret.
//!
//! A test binary of its own, so that no test on another thread touches tracing's callsites
//! while a subscriber captures them.

#[allow(dead_code)]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use serde_json::json;
use tracing_subscriber::EnvFilter;

use support::{CLIENT_SECRET, CONTRACT, TOKEN};

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

#[tokio::test]
async fn trace_logs_name_the_operation_and_status_and_hold_no_secret() {
    let server = MockServer::start_async().await;
    support::token_endpoint(&server, TOKEN, 7200).await;
    support::resource(
        &server,
        "/v1/allocations/daily-allocations",
        json!({
            "contractCode": CONTRACT, "gasDayFrom": "2025-01-15", "gasDayTo": "2025-01-15",
            "data": [], "page": {"number": 0, "size": 500, "totalElements": 0, "totalPages": 0}
        }),
    )
    .await;
    let captured = Captured::default();
    let writer = captured.clone();
    // Everything at TRACE but the mock server's own logs, which print what it received.
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("trace,httpmock=off"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    support::client(&server)
        .allocations()
        .get_daily_allocations()
        .contract_code(CONTRACT)
        .gas_day_from("2025-01-15")
        .gas_day_to("2025-01-15")
        .send()
        .await
        .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("operation=\"get_daily_allocations\""),
        "{logs}"
    );
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("duration_ms="), "{logs}");
    assert!(logs.contains("fetched an access token"), "{logs}");
    assert!(!logs.contains(TOKEN), "the token is logged: {logs}");
    assert!(
        !logs.contains(CLIENT_SECRET),
        "the secret is logged: {logs}"
    );
}
