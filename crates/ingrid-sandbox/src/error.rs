//! The one error type of the crate.

use std::io;
use std::net::SocketAddr;

use ingrid_openapi::SpecError;

/// Why a sandbox could not be built, started or served, or a fault text not parsed.
///
/// Requests never produce this error: a bad request gets an HTTP error answer from the running
/// sandbox instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A spec could not be parsed or bundled, or declares an operation the sandbox cannot
    /// emulate. Fix the spec at `pointer` in `file`.
    #[error("spec {file}, at {}: {message}", display_pointer(.pointer))]
    Spec {
        /// Spec file name, relative to the spec folder (`allocations.yaml`).
        file: String,
        /// JSON pointer inside that file (`/paths/~1v1~1allocations~1daily-allocations/get`);
        /// empty when the problem is the whole file.
        pointer: String,
        /// What is wrong.
        message: String,
    },

    /// A builder setting cannot work, for example a client id containing `:`, which HTTP Basic
    /// authentication cannot carry.
    #[error("invalid sandbox setting `{setting}`: {reason}")]
    InvalidSetting {
        /// The builder method whose value is refused (`credentials`).
        setting: &'static str,
        /// Why it is refused.
        reason: String,
    },

    /// A fault of [`Faults`](crate::Faults) cannot work as documented, or its text form does not
    /// parse: an unknown name, an item given twice, a value out of range.
    #[error("invalid sandbox fault `{item}`: {reason}")]
    Fault {
        /// The item in the text form (`revoke-every=0`), as written when it was parsed; the
        /// whole text when an item is empty.
        item: String,
        /// Why it is refused, and what is expected instead.
        reason: String,
    },

    /// The listening socket could not be opened, typically because the port is taken.
    #[error("cannot listen on {addr}: {source}; choose another port, or port 0 for any free one")]
    Bind {
        /// The address the sandbox tried to listen on.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// [`Sandbox::start`](crate::Sandbox::start) was awaited outside a tokio runtime, which the
    /// server needs for its tasks and sockets.
    #[error("the sandbox must be started from within a tokio runtime")]
    NoRuntime,

    /// [`Sandbox::serve`](crate::Sandbox::serve) could not listen for ctrl-c.
    #[error("cannot wait for ctrl-c: {0}")]
    Signal(#[source] io::Error),
}

impl From<SpecError> for SandboxError {
    fn from(error: SpecError) -> Self {
        Self::Spec {
            file: error.file,
            pointer: error.pointer,
            message: error.message,
        }
    }
}

impl SandboxError {
    /// A spec error at `pointer` in `file`.
    pub(crate) fn spec(file: &str, pointer: &str, message: impl Into<String>) -> Self {
        Self::Spec {
            file: file.to_owned(),
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() {
        "the whole file"
    } else {
        pointer
    }
}
