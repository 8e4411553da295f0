//! How a generated client's requests reach the server.
//!
//! Every generated domain client carries a [`ClientContext`] and hands it each request twice:
//! once to [`ClientContext::prepare`] before it is sent, once to [`ClientContext::execute`] to
//! send it. The context does what every Ingrid request needs (the headers of the connection
//! guide, a tracing span) and defers to [`RequestHooks`] for the rest. The `ingrid` facade
//! implements the hooks with its token cache; a user of one domain crate alone can implement
//! them with their own credentials.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tracing::Instrument;

/// What a generated client's requests go through besides the HTTP client.
///
/// Both methods get the operation, named as the generated method (`get_daily_allocations`).
pub trait RequestHooks: Send + Sync + fmt::Debug {
    /// Completes the request before it is sent: typically adds `Authorization`.
    ///
    /// An error fails the call before anything is sent; the generated client returns it as
    /// `Error::Custom` with this message, so the message must say what failed and must never
    /// contain a secret.
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, Result<(), String>>;

    /// Sends the request. The default sends it once with `client`.
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = operation;
        Box::pin(client.execute(request))
    }
}

/// The context every generated client holds; cheap to clone.
///
/// [`ClientContext::default`] sends requests without credentials, which only a server
/// without authentication accepts.
#[derive(Clone, Debug, Default)]
pub struct ClientContext {
    hooks: Option<Arc<dyn RequestHooks>>,
}

/// The header every generated request carries and the Ingrid API does not define.
const PROGENITOR_VERSION_HEADER: &str = "api-version";

impl ClientContext {
    /// A context whose requests go through `hooks`.
    pub fn new(hooks: Arc<dyn RequestHooks>) -> Self {
        Self { hooks: Some(hooks) }
    }

    /// Called by the generated client before each request; see [`RequestHooks::prepare`].
    ///
    /// Sets the headers the connection guide asks for and removes the ones the API does not
    /// define, then runs the hooks. What is left is `Content-Type: application/json`,
    /// `Accept: application/json` (HTTP always carries an `Accept`; reqwest would send `*/*`)
    /// and what the hooks add.
    pub async fn prepare(
        &self,
        request: &mut reqwest::Request,
        operation: &'static str,
    ) -> Result<(), String> {
        let headers = request.headers_mut();
        headers.remove(PROGENITOR_VERSION_HEADER);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));

        match &self.hooks {
            Some(hooks) => hooks.prepare(request, operation).await,
            None => Ok(()),
        }
    }

    /// Called by the generated client to send each request, inside a tracing span named
    /// `ingrid.request` that records the operation, the contract code, the HTTP status, the
    /// duration and (when the hooks retry) the attempt.
    pub async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let contract_code = request
            .url()
            .query_pairs()
            .find(|(name, _)| name == "contractCode")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        let span = tracing::info_span!(
            "ingrid.request",
            operation,
            contract_code,
            method = %request.method(),
            path = request.url().path(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );

        async {
            let started = Instant::now();
            let result = match &self.hooks {
                Some(hooks) => hooks.execute(client, request, operation).await,
                None => client.execute(request).await,
            };
            let duration_ms = started.elapsed().as_millis() as u64;

            let span = tracing::Span::current();
            span.record("duration_ms", duration_ms);
            match &result {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    tracing::debug!(status = response.status().as_u16(), duration_ms, "answered");
                }
                Err(error) => {
                    // reqwest's Display names the URL (with its query, which holds no
                    // secret) and the cause, never headers.
                    tracing::debug!(%error, duration_ms, "failed");
                }
            }
            result
        }
        .instrument(span)
        .await
    }
}
