//! An error that crossed a boundary as data (a worker's answer, a JS result): its stable code and
//! its message. A leaf module, so the verifier's report and the tar listing both use it.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// An error as data: the stable code and the message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedError {
    /// The stable code, e.g. `DIGEST_MISMATCH`.
    pub code: String,
    /// The message for people.
    pub message: String,
}

impl ReportedError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code: code.as_str().to_owned(), message: message.into() }
    }
}
