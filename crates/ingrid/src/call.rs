//! [`Call::call`]: a generated request's outcome as `Result<T, ingrid::Error>`, with what
//! happened on the way (the operation, attempts, the token failure).
//!
//! The hooks of the domain clients cannot return our error type through progenitor, so while a
//! call runs they note what they see in a ledger that lives as long as the call's future (a
//! tokio task-local), and the ledger completes the error at the end.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

use ingrid_types::Problem;
use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;

use crate::error::{AuthError, Error};

tokio::task_local! {
    static LEDGER: RefCell<Ledger>;
}

/// What the hooks saw during one call.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// The generated method's name (`get_daily_allocations`).
    pub operation: Option<&'static str>,
    /// Requests sent, retries and a replay included.
    pub attempts: u32,
    /// Why no token could be had, as the token cache said it.
    pub auth_failure: Option<Arc<AuthError>>,
    /// Whether the request was sent again with a new token after a 401.
    pub replayed: bool,
    /// The tokens the call's requests carried, so that an error quoting the server never
    /// repeats one (a misbehaving server may echo the request).
    pub tokens: Vec<oauth2::AccessToken>,
}

fn note(update: impl FnOnce(&mut Ledger)) {
    // Outside `call()` there is no ledger, and nothing to note.
    let _ = LEDGER.try_with(|ledger| update(&mut ledger.borrow_mut()));
}

pub(crate) fn note_operation(operation: &'static str) {
    note(|ledger| ledger.operation = Some(operation));
}

pub(crate) fn note_attempt() {
    note(|ledger| ledger.attempts += 1);
}

pub(crate) fn note_auth_failure(error: Arc<AuthError>) {
    note(|ledger| ledger.auth_failure = Some(error));
}

pub(crate) fn note_replayed() {
    note(|ledger| ledger.replayed = true);
}

pub(crate) fn note_token(token: &oauth2::AccessToken) {
    note(|ledger| ledger.tokens.push(token.clone()));
}

/// Turns the future of a generated `send()` into `Result<T, ingrid::Error>`.
///
/// ```no_run
/// # async fn run(ingrid: ingrid::Ingrid) -> Result<(), ingrid::Error> {
/// use ingrid::Call;
///
/// let page = ingrid
///     .allocations()
///     .get_daily_allocations()
///     .contract_code("GFXY1201")
///     .gas_day_from("2025-01-15")
///     .gas_day_to("2025-01-15")
///     .send()
///     .call()
///     .await?;
/// println!("{} records", page.data.len());
/// # Ok(())
/// # }
/// ```
pub trait Call {
    /// The decoded body of a successful answer.
    type Output;

    /// Awaits the call; an error says which operation failed, after how many attempts, with
    /// the server's words or the JSON path that did not decode.
    fn call(self) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

impl<F, T> Call for F
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<Problem>>> + Send,
    T: DeserializeOwned + Send,
{
    type Output = T;

    fn call(self) -> impl Future<Output = Result<T, Error>> + Send {
        LEDGER.scope(RefCell::new(Ledger::default()), async move {
            let result = self.await;
            let ledger = LEDGER.with(|ledger| ledger.take());
            match result {
                Ok(response) => Ok(response.into_inner()),
                Err(error) => Err(Error::from_parts::<T>(error, ledger).await),
            }
        })
    }
}
