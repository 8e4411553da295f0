//! The HTTP/1.1 server: accepting connections, routing requests, logging them, shutting down.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::catalog::{Catalog, Route};
use crate::faults::FaultInjector;
use crate::oauth::{self, ClientCredentials, TOKEN_PATH};
use crate::resources;
use crate::responses::{self, Body};
use crate::tokens::TokenStore;

/// How long shutdown waits for requests in flight before it drops their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long the accept loop pauses after a failed accept (for example when the process is out
/// of file descriptors), so that it does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) catalog: Catalog,
    pub(crate) tokens: TokenStore,
    pub(crate) credentials: ClientCredentials,
    pub(crate) contract_code: String,
    pub(crate) faults: FaultInjector,
}

/// Serves connections from `listener` until `shutdown` turns true or its sender is dropped, then
/// lets requests in flight finish (for up to five seconds) and returns.
pub(crate) async fn run(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();

    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let state = Arc::clone(&state);
                    let shutdown = shutdown.clone();
                    connections.spawn(serve_connection(TokioIo::new(stream), state, shutdown));
                }
                Err(error) => {
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                }
            },
            _ = wait_for_shutdown(&mut shutdown) => break,
        }

        // Reap finished connections so the set does not grow with every client.
        while connections.try_join_next().is_some() {}
    }

    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("dropping connections still open after the shutdown grace period");
        connections.abort_all();
    }
}

/// Resolves once shutdown is asked for: the flag turns true, or its sender is gone.
async fn wait_for_shutdown(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn serve_connection(
    io: TokioIo<tokio::net::TcpStream>,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = service_fn(move |request| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(handle(&state, request).await) }
    });
    let connection = http1::Builder::new().serve_connection(io, service);
    tokio::pin!(connection);

    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = wait_for_shutdown(&mut shutdown) => {
            // Finish the request in flight, if any, then close.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// Answers one request inside a span that records its method, path, operation, status and
/// duration, and the faults injected into it, if any.
async fn handle(state: &State, request: Request<Incoming>) -> Response<Body> {
    let started = std::time::Instant::now();
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        operation = Empty,
        fault = Empty,
        status = Empty,
        duration_ms = Empty,
    );

    async move {
        let response = route(state, request).await;

        let span = tracing::Span::current();
        span.record("status", response.status().as_u16());
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
        tracing::info!("answered");
        response
    }
    .instrument(span)
    .await
}

async fn route(state: &State, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_owned();

    if path == TOKEN_PATH {
        tracing::Span::current().record("operation", tracing::field::display("token"));
        if request.method() != Method::POST {
            return method_not_allowed(request.method(), &[&Method::POST], &path);
        }
        if state.faults.token_outage() {
            tracing::Span::current().record("fault", tracing::field::display("token-outage"));
            return state.faults.token_unavailable();
        }
        return oauth::token(request, &state.credentials, &state.tokens).await;
    }

    match state.catalog.route(request.method(), &path) {
        Route::Found(endpoint, path_values) => {
            let operation = endpoint.operation_id.as_deref().unwrap_or(&endpoint.path);
            tracing::Span::current().record("operation", tracing::field::display(operation));

            // The body of a GET means nothing to Ingrid; only the head is read.
            let (parts, _body) = request.into_parts();
            resources::answer(state, endpoint, &path_values, &parts).await
        }
        Route::MethodNotAllowed(allowed) => method_not_allowed(request.method(), &allowed, &path),
        Route::NotFound => {
            let detail = format!("No operation is served at {path}");
            responses::problem(StatusCode::NOT_FOUND, &detail, &path)
        }
    }
}

fn method_not_allowed(method: &Method, allowed: &[&Method], path: &str) -> Response<Body> {
    let allowed: Vec<&str> = allowed.iter().map(|method| method.as_str()).collect();
    let allowed = allowed.join(", ");
    let detail = format!("Method {method} is not allowed on {path}; use {allowed}");

    let mut response = responses::problem(StatusCode::METHOD_NOT_ALLOWED, &detail, path);
    if let Ok(value) = HeaderValue::from_str(&allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
