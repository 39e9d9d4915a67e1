//! Stable, machine-readable error codes shared by every error type in the workspace.

use std::fmt;

/// A stable code that JS callers can switch on; every core error maps to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The image reference could not be parsed.
    InvalidReference,
    /// The caller's own configuration or arguments are malformed (a mirror base URL, a registry
    /// name, a request URL): nothing the registry sent, nothing the user's reference said.
    InvalidArgument,
    /// The registry wants credentials (or better ones).
    Unauthorized,
    /// The registry refused access to the resource.
    Denied,
    /// The repository does not exist.
    NameUnknown,
    /// The manifest (tag or digest) does not exist.
    ManifestUnknown,
    /// The blob does not exist.
    BlobUnknown,
    /// The registry rate-limits us.
    TooManyRequests,
    /// A bare network failure, most likely CORS.
    Network,
    /// The registry sent no response headers, or no body bytes, for longer than allowed.
    Timeout,
    /// Bytes did not hash to the digest they were announced with.
    DigestMismatch,
    /// Bytes were longer or shorter than announced.
    SizeMismatch,
    /// A safety limit (size, ratio, count) was exceeded.
    LimitExceeded,
    /// Something we understand but do not support (schema1 verification, unknown compression...).
    Unsupported,
    /// The operation was cancelled.
    Aborted,
    /// A document from the registry (manifest, config, challenge, token...) is malformed.
    InvalidResponse,
    /// A compressed or archived stream is corrupt or truncated.
    CorruptStream,
    /// A Web Worker that verifies layers could not start, or died (the layer is then verified
    /// in-process where possible).
    Worker,
    /// Anything else the registry reported.
    Registry,
}

impl ErrorCode {
    /// Every code, for looking one up by name.
    pub const ALL: [Self; 19] = [
        Self::InvalidReference,
        Self::InvalidArgument,
        Self::Unauthorized,
        Self::Denied,
        Self::NameUnknown,
        Self::ManifestUnknown,
        Self::BlobUnknown,
        Self::TooManyRequests,
        Self::Network,
        Self::Timeout,
        Self::DigestMismatch,
        Self::SizeMismatch,
        Self::LimitExceeded,
        Self::Unsupported,
        Self::Aborted,
        Self::InvalidResponse,
        Self::CorruptStream,
        Self::Worker,
        Self::Registry,
    ];

    /// The SCREAMING_SNAKE_CASE name exposed to JavaScript.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidReference => "INVALID_REFERENCE",
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Denied => "DENIED",
            Self::NameUnknown => "NAME_UNKNOWN",
            Self::ManifestUnknown => "MANIFEST_UNKNOWN",
            Self::BlobUnknown => "BLOB_UNKNOWN",
            Self::TooManyRequests => "TOOMANYREQUESTS",
            Self::Network => "NETWORK",
            Self::Timeout => "TIMEOUT",
            Self::DigestMismatch => "DIGEST_MISMATCH",
            Self::SizeMismatch => "SIZE_MISMATCH",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::Unsupported => "UNSUPPORTED",
            Self::Aborted => "ABORTED",
            Self::InvalidResponse => "INVALID_RESPONSE",
            Self::CorruptStream => "CORRUPT_STREAM",
            Self::Worker => "WORKER",
            Self::Registry => "REGISTRY_ERROR",
        }
    }
}

/// A name that is not one of [`ErrorCode::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code {0:?}")]
pub struct UnknownErrorCode(pub String);

impl std::str::FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_name() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
        }
        assert!("NOT_A_CODE".parse::<ErrorCode>().is_err());
    }
}
