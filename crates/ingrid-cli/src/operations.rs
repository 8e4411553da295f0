//! The types the generated operation table is made of, and how a call's answer becomes JSON.

use std::collections::BTreeMap;
use std::str::FromStr;

use ingrid::Call;
use ingrid::types::Problem;
use progenitor_client::ResponseValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// One operation of the specs, as the CLI offers it: `ingrid <domain> <api>`.
#[derive(Debug)]
pub struct Operation {
    /// The domain slug, as in the path (`allocations`).
    pub domain: &'static str,
    /// The API name, the last path segment (`hourly-allocations`).
    pub api: &'static str,
    /// The spec's operationId.
    pub operation_id: &'static str,
    /// The spec's one-line summary, shown in `--help`.
    pub summary: &'static str,
    /// The query parameters, in the spec's order.
    pub parameters: &'static [Parameter],
}

/// A query parameter of an operation.
#[derive(Debug)]
pub struct Parameter {
    /// The name on the wire (`pointCode`).
    pub name: &'static str,
    /// Whether the API requires it.
    pub required: bool,
    /// The spec's description, on one line.
    pub description: &'static str,
    /// How its value is read from the command line.
    pub kind: ParameterKind,
    /// The values an enumeration lists; others are passed on as well, since GRTgaz adds
    /// values without notice.
    pub values: &'static [&'static str],
}

/// How a parameter's value is read from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterKind {
    Text,
    Integer,
    // No spec has a number parameter yet; the generator emits this kind for one.
    #[allow(dead_code)]
    Number,
    Boolean,
}

/// The parameter values of one call, by wire name.
#[derive(Debug, Clone, Default)]
pub struct Query {
    values: BTreeMap<&'static str, String>,
}

impl Query {
    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.values.insert(name, value.into());
    }

    /// The value of a text parameter; the generated client converts and checks it.
    pub fn text(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }

    /// The value of a number, integer or boolean parameter.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<Option<T>, CallError> {
        let Some(value) = self.values.get(name) else {
            return Ok(None);
        };
        value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| CallError::InvalidValue {
                parameter: name.to_owned(),
                value: value.clone(),
            })
    }
}

/// Why a call from the command line failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The specs have no such operation.
    #[error("no operation `{domain} {api}`; see `ingrid --help`")]
    UnknownOperation { domain: String, api: String },
    /// A value does not parse as its parameter's type.
    #[error("parameter {parameter}: `{value}` is not a valid value")]
    InvalidValue { parameter: String, value: String },
    /// The call itself failed.
    #[error(transparent)]
    Ingrid(#[from] ingrid::Error),
    /// The answer could not be written back as JSON.
    #[error("cannot write the answer as JSON: {0}")]
    Output(String),
}

/// Awaits a generated client's `send()`: the answer as JSON, or its error as an
/// [`ingrid::Error`] that names the operation and the attempts.
pub async fn finish<T, F>(send: F) -> Result<serde_json::Value, CallError>
where
    T: Serialize + DeserializeOwned + Send,
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<Problem>>> + Send,
{
    let answer = send.call().await?;
    serde_json::to_value(answer).map_err(|error| CallError::Output(error.to_string()))
}
