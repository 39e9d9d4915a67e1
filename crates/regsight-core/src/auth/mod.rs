//! Registry authentication, sans-IO: challenges, scopes, tokens, a token cache and the per-registry
//! session that decides which `Authorization` header goes where.
//!
//! Reading order: [`challenge`] (what the registry asks for), [`scope`] (what a token is for),
//! [`token`] (asking the realm and reading its answer), [`grant`] (asking it by OAuth2 POST),
//! [`cache`], [`realms`] (refresh tokens, GET-only realms), then [`session`], which ties them
//! together. URLs and their origins, which decide where credentials may go, come from
//! [`crate::url`]; [`time`] is the caller's clock.
//!
//! Nothing here performs I/O or reads a clock: the adapter sends what [`Action`] says and passes
//! responses and `now` back in.

pub mod basic;
pub mod cache;
pub mod challenge;
pub mod grant;
pub mod header;
pub mod realms;
pub mod scope;
pub mod session;
pub mod store;
pub mod time;
pub mod token;

pub use crate::url::{HttpUrl, Origin, UrlError};
pub use basic::{CredentialsError, Password};
pub use cache::{CacheKey, TokenCache};
pub use challenge::{
    BasicChallenge, BearerChallenge, BearerError, Challenge, ChallengeError, parse_challenges,
};
pub use grant::{Grant, Refusal, TokenForm};
pub use header::AuthHeader;
pub use realms::RealmMemory;
pub use scope::{Scope, ScopeError, ScopeSet};
pub use session::{Action, Attempt, AuthError, Credentials, Session, TokenRequest, UnauthorizedReason};
pub use store::{Contact, CredentialKeyError, CredentialStore};
pub use time::{TimestampError, UnixMillis};
pub use token::{BearerToken, TokenError, TokenResponse};

pub(crate) use crate::quote::{shorten, truncate};
