//! The outcome of one comparison (a digest, a size, an image ID): shared by the digest checks,
//! the layer verifier and the chain, so it lives in a leaf module all of them import.

use serde::{Deserialize, Serialize};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Check {
    /// The computed value equals the expected one.
    Passed,
    /// The computed value differs from the expected one.
    Failed,
    /// Nothing was expected (e.g. no diff_id given), so nothing was compared.
    NotChecked,
    /// Verification stopped before the value could be computed.
    Incomplete,
    /// The expected value uses an algorithm this crate cannot compute: not checked, and not a
    /// mismatch either.
    Unsupported,
}

impl Check {
    /// `Passed` or `Failed` depending on `equal`.
    pub(crate) fn compare(equal: bool) -> Self {
        if equal { Self::Passed } else { Self::Failed }
    }
}
