//! The token endpoint: the GET request URL, the JSON answer, and how long a token is good for.
//!
//! Request: `realm?service=S&scope=A&scope=B[&account=U]`, one `scope` parameter per scope, every
//! value percent-encoded; Basic credentials ride in the `Authorization` header when there are any.
//!
//! Answer (to a GET or to [`crate::auth::grant`]'s POST): `{"token"|"access_token", "expires_in",
//! "issued_at", "refresh_token"}`, other fields (`scope`, `token_type`) ignored. Tokens are opaque:
//! they are checked to be header-safe, never decoded. Only the token must be right: an odd
//! `expires_in`, `issued_at` or `refresh_token` is ignored, never a failed login.
//!
//! Lifetime policy: a token counts as issued when we *asked* for it (the caller's clock, which is no
//! later than the server's issuance), lives `expires_in` seconds (absent or below 60 means 60; above
//! [`MAX_LIFETIME_SECS`] is capped) and is dropped [`EXPIRY_MARGIN_MS`] early so it does not expire in
//! flight. `issued_at` is read and kept but does not move the expiry: it is on the server's clock, and
//! a browser's clock can be minutes off, so mixing the two would expire tokens early or late by the
//! skew. The registry checks expiry on its own clock; an early rejection comes back as
//! `invalid_token` and the session refreshes once.

use std::fmt;

use serde::Deserialize;

use crate::ErrorCode;
use crate::auth::scope::ScopeSet;
use crate::auth::time::UnixMillis;
use crate::url::{HttpUrl, append_query_param};

/// Largest token-endpoint answer read, in bytes (real ones are a few KiB).
pub const MAX_RESPONSE_LEN: usize = 256 * 1024;

/// Longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 32 * 1024;

/// Lifetime assumed when `expires_in` is absent, and the least one honoured (seconds).
pub const MIN_LIFETIME_SECS: u64 = 60;

/// Longest lifetime honoured (seconds): one day.
pub const MAX_LIFETIME_SECS: u64 = 24 * 60 * 60;

/// How long before its computed expiry a token stops being used (milliseconds).
pub const EXPIRY_MARGIN_MS: u64 = 10_000;

/// An opaque bearer token, checked to be safe in a header; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    /// Checks that `token` is non-empty visible ASCII without spaces, at most [`MAX_TOKEN_LEN`].
    pub fn new(token: &str) -> Result<Self, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TokenTooLong { len: token.len(), limit: MAX_TOKEN_LEN });
        }
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenError::BadToken);
        }
        Ok(Self(token.to_owned()))
    }

    /// The token itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `Authorization` header value: `Bearer <token>`.
    pub fn authorization_value(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BearerToken(<{} bytes, redacted>)", self.0.len())
    }
}

/// The token request's URL: the realm with `service`, one `scope` per scope and `account` appended.
pub fn token_request_url(
    realm: &HttpUrl,
    service: Option<&str>,
    scopes: &ScopeSet,
    account: Option<&str>,
) -> String {
    let mut url = realm.as_str().to_owned();
    if let Some(service) = service {
        append_query_param(&mut url, "service", service);
    }
    for scope in scopes.iter() {
        append_query_param(&mut url, "scope", &scope.to_string());
    }
    if let Some(account) = account {
        append_query_param(&mut url, "account", account);
    }
    url
}

/// A token endpoint's successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// The token (`access_token` if present, else `token`).
    pub token: BearerToken,
    /// `expires_in` as sent, in seconds (`None` when absent; negative or fractional values rounded
    /// down to whole seconds, negatives to 0).
    pub expires_in: Option<u64>,
    /// `issued_at`, on the server's clock (kept for diagnostics; see the module doc).
    pub issued_at: Option<UnixMillis>,
    /// A refresh token (an OAuth2 POST with `access_type=offline`, a GET with `offline_token=true`).
    pub refresh_token: Option<BearerToken>,
}

/// The answer as sent. Only the token must be right; the other fields are advisory, so an odd
/// one (a string `expires_in`, an unreadable `issued_at`, a refresh token with spaces) is ignored
/// rather than failing a login that does not need it.
#[derive(Deserialize)]
struct RawResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    issued_at: Option<serde_json::Value>,
    refresh_token: Option<serde_json::Value>,
}

/// `expires_in` in whole seconds: a number (fractions and negatives rounded down, to 0 at least)
/// or a string of digits; anything else is as if absent.
fn seconds(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => Some(match (n.as_u64(), n.as_f64()) {
            (Some(secs), _) => secs,
            // Fractional or negative: whole seconds, never below zero (saturating float cast).
            (None, Some(secs)) => secs.max(0.0) as u64,
            (None, None) => 0,
        }),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl TokenResponse {
    /// Parses the body of a 200 answer, refusing bodies over [`MAX_RESPONSE_LEN`] before reading them.
    pub fn parse(body: &[u8]) -> Result<Self, TokenError> {
        if body.len() > MAX_RESPONSE_LEN {
            return Err(TokenError::ResponseTooLarge { len: body.len(), limit: MAX_RESPONSE_LEN });
        }
        let raw: RawResponse =
            serde_json::from_slice(body).map_err(|e| TokenError::Json { message: e.to_string() })?;
        let chosen = [raw.access_token, raw.token].into_iter().flatten().find(|t| !t.is_empty());
        let token = BearerToken::new(&chosen.ok_or(TokenError::MissingToken)?)?;
        let expires_in = raw.expires_in.as_ref().and_then(seconds);
        let issued_at =
            raw.issued_at.as_ref().and_then(|v| v.as_str()).and_then(|t| UnixMillis::parse_rfc3339(t).ok());
        let refresh_token =
            raw.refresh_token.as_ref().and_then(|v| v.as_str()).and_then(|t| BearerToken::new(t).ok());
        Ok(Self { token, expires_in, issued_at, refresh_token })
    }

    /// The lifetime honoured, in seconds: `expires_in` clamped to [60, one day].
    pub fn lifetime_secs(&self) -> u64 {
        self.expires_in.unwrap_or(MIN_LIFETIME_SECS).clamp(MIN_LIFETIME_SECS, MAX_LIFETIME_SECS)
    }

    /// When to stop using the token, given when it was requested (on the caller's clock).
    pub fn expires_at(&self, requested_at: UnixMillis) -> UnixMillis {
        requested_at.plus_seconds(self.lifetime_secs()).minus_millis(EXPIRY_MARGIN_MS)
    }
}

/// A short human-readable reason from a token endpoint's error body, if it has one.
///
/// Docker Hub sends `{"details": "..."}`, distribution-style servers `{"errors": [{"message": ...}]}`,
/// OAuth servers `{"error_description": ...}`. Capped to 200 characters.
pub fn error_message(body: &[u8]) -> Option<String> {
    const MAX_BODY: usize = 16 * 1024;
    if body.len() > MAX_BODY {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = [
        json.get("details"),
        json.get("error_description"),
        json.get("message"),
        json.get("errors").and_then(|e| e.get(0)).and_then(|e| e.get("message")),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| v.as_str().filter(|s| !s.is_empty()))?;
    Some(message.chars().take(200).collect())
}

/// Why a token-endpoint answer or a bearer token cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The body is over [`MAX_RESPONSE_LEN`].
    #[error("token response is {len} bytes; the limit is {limit}")]
    ResponseTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON, or a field has the wrong type.
    #[error("token response is not the expected JSON: {message}")]
    Json {
        /// The JSON parser's explanation.
        message: String,
    },
    /// Neither `token` nor `access_token` holds a token.
    #[error("token response has neither \"token\" nor \"access_token\"")]
    MissingToken,
    /// A token with spaces, control or non-ASCII characters (it could not go in a header).
    #[error("token must be non-empty printable ASCII without spaces")]
    BadToken,
    /// A token over [`MAX_TOKEN_LEN`].
    #[error("token is {len} bytes; the limit is {limit}")]
    TokenTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

impl TokenError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::ResponseTooLarge { .. } | Self::TokenTooLong { .. } => ErrorCode::LimitExceeded,
            _ => ErrorCode::InvalidResponse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn realm(text: &str) -> HttpUrl {
        match HttpUrl::parse(text) {
            Ok(url) => url,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn parse(body: &str) -> Result<TokenResponse, TokenError> {
        TokenResponse::parse(body.as_bytes())
    }

    #[test]
    fn request_url_has_one_scope_parameter_per_scope() -> Result<(), crate::auth::scope::ScopeError> {
        let scopes = ScopeSet::parse("repository:127.0.0.1:5000/a/b:pull,push registry:catalog:*")?;
        let url = token_request_url(
            &realm("https://auth.example/token"),
            Some("my registry"),
            &scopes,
            Some("al ice@x"),
        );
        assert_eq!(
            url,
            "https://auth.example/token?service=my%20registry\
             &scope=registry%3Acatalog%3A%2A\
             &scope=repository%3A127.0.0.1%3A5000%2Fa%2Fb%3Apull%2Cpush\
             &account=al%20ice%40x"
        );
        let url = token_request_url(&realm("https://a/t?client=x"), None, &ScopeSet::new(), None);
        assert_eq!(url, "https://a/t?client=x");
        let url = token_request_url(&realm("https://a/t?"), Some("s"), &ScopeSet::new(), None);
        assert_eq!(url, "https://a/t?service=s");
        let url = token_request_url(&realm("https://a/t?client=x"), Some("s"), &ScopeSet::new(), None);
        assert_eq!(url, "https://a/t?client=x&service=s");
        let url = token_request_url(&realm("https://a/t"), Some("caf\u{e9}"), &ScopeSet::new(), None);
        assert_eq!(url, "https://a/t?service=caf%C3%A9");
        Ok(())
    }

    #[test]
    fn prefers_access_token_and_clamps_lifetime() -> Result<(), TokenError> {
        let r = parse(
            r#"{"token":"t1","access_token":"t2","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"}"#,
        )?;
        assert_eq!(r.token.as_str(), "t2");
        assert_eq!(r.lifetime_secs(), 300);
        assert_eq!(r.issued_at, Some(UnixMillis(1_704_067_200_000)));
        assert_eq!(parse(r#"{"token":"t1","access_token":""}"#)?.token.as_str(), "t1");
        assert_eq!(parse(r#"{"token":"t1"}"#)?.lifetime_secs(), 60);
        assert_eq!(parse(r#"{"token":"t1","expires_in":null}"#)?.lifetime_secs(), 60);
        assert_eq!(parse(r#"{"token":"t1","expires_in":5}"#)?.lifetime_secs(), 60);
        assert_eq!(parse(r#"{"token":"t1","expires_in":-5}"#)?.lifetime_secs(), 60);
        assert_eq!(parse(r#"{"token":"t1","expires_in":90.9}"#)?.lifetime_secs(), 90);
        assert_eq!(parse(r#"{"token":"t1","expires_in":1e300}"#)?.lifetime_secs(), MAX_LIFETIME_SECS);
        let r = parse(r#"{"token":"t1","refresh_token":"r1","extra":{"nested":[1,2]}}"#)?;
        assert_eq!(r.refresh_token.as_ref().map(BearerToken::as_str), Some("r1"));
        Ok(())
    }

    #[test]
    fn expiry_counts_from_the_request_not_from_issued_at() -> Result<(), TokenError> {
        // The server's clock says 2001; ours says 1 000 000 ms. Only ours matters.
        let r = parse(r#"{"token":"t","expires_in":300,"issued_at":"2001-01-01T00:00:00Z"}"#)?;
        assert_eq!(r.expires_at(UnixMillis(1_000_000)), UnixMillis(1_000_000 + 300_000 - EXPIRY_MARGIN_MS));
        let r = parse(r#"{"token":"t"}"#)?;
        assert_eq!(r.expires_at(UnixMillis(0)), UnixMillis(60_000 - EXPIRY_MARGIN_MS));
        Ok(())
    }

    #[test]
    fn malformed_responses() {
        let cases: &[(&str, &str)] = &[
            ("", "not the expected JSON"),
            ("not json", "not the expected JSON"),
            ("[]", "not the expected JSON"),
            (r#"{"token":5}"#, "not the expected JSON"),
            (r#"{"expires_in":60}"#, "neither"),
            (r#"{"token":""}"#, "neither"),
            (r#"{"token":"a b"}"#, "printable ASCII"),
            ("{\"token\":\"a\\r\\nX-Evil: 1\"}", "printable ASCII"),
            (r#"{"token":"caf\u00e9"}"#, "printable ASCII"),
        ];
        for (body, expected) in cases {
            match parse(body) {
                Ok(r) => panic!("{body:?} parsed as {r:?}"),
                Err(e) => assert!(e.to_string().contains(expected), "{body:?}: {e}"),
            }
        }
        let huge = format!(r#"{{"token":"{}"}}"#, "a".repeat(MAX_RESPONSE_LEN));
        assert!(matches!(parse(&huge), Err(TokenError::ResponseTooLarge { limit: MAX_RESPONSE_LEN, .. })));
        let long = format!(r#"{{"token":"{}"}}"#, "a".repeat(MAX_TOKEN_LEN + 1));
        assert!(matches!(parse(&long), Err(TokenError::TokenTooLong { .. })));
    }

    #[test]
    fn odd_advisory_fields_are_ignored_not_fatal() -> Result<(), TokenError> {
        let r = parse(r#"{"token":"t","expires_in":"300","issued_at":"yesterday","refresh_token":"r r"}"#)?;
        assert_eq!((r.expires_in, r.issued_at, r.refresh_token), (Some(300), None, None));
        let r = parse(r#"{"token":"t","expires_in":{"a":1},"issued_at":5,"refresh_token":7}"#)?;
        assert_eq!((r.expires_in, r.lifetime_secs()), (None, MIN_LIFETIME_SECS));
        Ok(())
    }

    #[test]
    fn debug_hides_tokens() -> Result<(), TokenError> {
        let r = parse(r#"{"token":"very-secret-token"}"#)?;
        let shown = format!("{r:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        Ok(())
    }

    #[test]
    fn error_messages_from_realm_bodies() {
        assert_eq!(
            error_message(br#"{"details":"incorrect username or password"}"#).as_deref(),
            Some("incorrect username or password")
        );
        assert_eq!(
            error_message(br#"{"errors":[{"code":"UNAUTHORIZED","message":"bad creds"}]}"#).as_deref(),
            Some("bad creds")
        );
        assert_eq!(
            error_message(br#"{"error":"invalid_grant","error_description":"nope"}"#).as_deref(),
            Some("nope")
        );
        assert_eq!(error_message(b"<html>401</html>"), None);
        assert_eq!(error_message(br#"{"details":""}"#), None);
        let long = format!(r#"{{"details":"{}"}}"#, "x".repeat(500));
        assert_eq!(error_message(long.as_bytes()).map(|m| m.len()), Some(200));
    }
}
