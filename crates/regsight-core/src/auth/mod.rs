//! Registry authentication, sans-IO: challenges, scopes, tokens, a token cache and the per-registry
//! session that decides which `Authorization` header goes where.
//!
//! Reading order: [`challenge`] (what the registry asks for), [`scope`] (what a token is for),
//! [`token`] (asking the realm and reading its answer), [`cache`], then [`session`], which ties them
//! together. [`origin`] guards where credentials may go; [`time`] is the caller's clock.
//!
//! Nothing here performs I/O or reads a clock: the adapter sends what [`Action`] says and passes
//! responses and `now` back in.

pub mod basic;
pub mod cache;
pub mod challenge;
pub mod header;
pub mod origin;
pub mod scope;
pub mod session;
pub mod time;
pub mod token;

pub use basic::{CredentialsError, Password};
pub use cache::{CacheKey, TokenCache};
pub use challenge::{BasicChallenge, BearerChallenge, BearerError, Challenge, ChallengeError, parse_challenges};
pub use header::AuthHeader;
pub use origin::{HttpUrl, Origin, UrlError};
pub use scope::{Scope, ScopeError, ScopeSet};
pub use session::{Action, Attempt, AuthError, Credentials, Session, TokenRequest, UnauthorizedReason};
pub use time::{TimestampError, UnixMillis};
pub use token::{BearerToken, TokenError, TokenResponse};

/// At most `max` characters of untrusted `text`, with `...` when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Untrusted text cut to 64 characters, for error messages.
pub(crate) fn shorten(text: &str) -> String {
    truncate(text, 64)
}
