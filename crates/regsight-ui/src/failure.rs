//! A failure of a whole operation as the page shows it: the client's stable code and its message.

use regsight_core::ErrorCode;
use regsight_wasm::ClientError;

/// A failure: what went wrong, for people, with the code tests and docs refer to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Stable code, e.g. `NETWORK`, `MANIFEST_UNKNOWN`, `ABORTED`.
    pub code: ErrorCode,
    /// The message for people.
    pub message: String,
}

impl Failure {
    /// A failure with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// True when the operation was cancelled.
    pub fn is_abort(&self) -> bool {
        self.code == ErrorCode::Aborted
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Self { code: error.code(), message: error.to_string() }
    }
}
