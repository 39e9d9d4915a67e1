//! The OAuth2 token request of distribution's token spec (`docs/spec/auth/oauth.md`): a `POST` of
//! a form to the realm, and what its refusals mean.
//!
//! Form: `grant_type=password` with `username`, `password` and `access_type=offline` (ask for a
//! refresh token), or `grant_type=refresh_token` with `refresh_token`; both with
//! `client_id=regsight`, `service` and `scope` (the scopes space-separated, one field), sent as
//! `application/x-www-form-urlencoded` with no `Authorization` header (a CORS "simple" request: no
//! preflight). The answer is read by [`crate::auth::token::TokenResponse`] like a GET's.
//!
//! A refusal is an OAuth error `{"error", "error_description"}`, or a status of a realm that does
//! not take POSTs at all; [`Refusal::of`] tells them apart (why each falls back or fails: NOTES.md).
//!
//! A token POST is never redirected: a `307`/`308` would carry the form, password included, to
//! wherever it points, perhaps another origin. The adapter sends it without following redirects and
//! reports a redirect as its `3xx` status, or `0` where the runtime hides it (a browser's
//! `opaqueredirect`); either is [`Refusal::NotSupported`], so the realm is asked by GET, whose
//! Basic header fetch drops on a cross-origin redirect.

use std::fmt;

use crate::auth::basic::Password;
use crate::auth::scope::ScopeSet;
use crate::auth::token::BearerToken;
use crate::transcript::FormValue;
use crate::url::push_encoded;

/// The `client_id` regsight names itself by.
pub const CLIENT_ID: &str = "regsight";

/// The body's content type.
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Largest error body read for its OAuth `error` code, in bytes.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// What the form trades for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// The user's username and password (`grant_type=password`).
    Password(Password),
    /// A refresh token the realm gave earlier (`grant_type=refresh_token`).
    RefreshToken(BearerToken),
}

/// A field's value: sent as is, or a secret that a transcript shows as a shell variable.
#[derive(Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Secret { value: String, variable: &'static str },
}

/// The form of one token POST; `Debug` never shows its secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenForm {
    fields: Vec<(&'static str, Value)>,
}

impl TokenForm {
    /// The form asking for `scopes` of `service` with `grant`.
    pub fn new(grant: &Grant, service: Option<&str>, scopes: &ScopeSet) -> Self {
        let text = |value: &str| Value::Text(value.to_owned());
        let secret = |value: &str, variable| Value::Secret { value: value.to_owned(), variable };
        let mut fields = match grant {
            Grant::Password(password) => vec![
                ("grant_type", text("password")),
                ("username", secret(password.username(), "USER")),
                ("password", secret(password.password(), "PASSWORD")),
                ("access_type", text("offline")),
            ],
            Grant::RefreshToken(token) => vec![
                ("grant_type", text("refresh_token")),
                ("refresh_token", secret(token.as_str(), "REFRESH_TOKEN")),
            ],
        };
        fields.push(("client_id", text(CLIENT_ID)));
        if let Some(service) = service {
            fields.push(("service", text(service)));
        }
        if !scopes.is_empty() {
            // Space-separated, in one field.
            fields.push(("scope", text(&scopes.to_string())));
        }
        Self { fields }
    }

    /// The body: every name and value percent-encoded, pairs joined by `&`.
    pub fn encoded(&self) -> String {
        let mut body = String::new();
        for (name, value) in &self.fields {
            if !body.is_empty() {
                body.push('&');
            }
            push_encoded(&mut body, name);
            body.push('=');
            push_encoded(
                &mut body,
                match value {
                    Value::Text(text) => text,
                    Value::Secret { value, .. } => value,
                },
            );
        }
        body
    }

    /// The fields as a transcript may keep them: secrets replaced by their shell variable's name.
    pub fn shown(&self) -> Vec<(String, FormValue)> {
        self.fields
            .iter()
            .map(|(name, value)| {
                let shown = match value {
                    Value::Text(text) => FormValue::Text(text.clone()),
                    Value::Secret { variable, .. } => FormValue::Secret(variable),
                };
                ((*name).to_owned(), shown)
            })
            .collect()
    }
}

impl fmt::Debug for TokenForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.shown()).finish()
    }
}

/// What a non-2xx answer to a token POST means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The realm does not take this POST (404, 405; 400 or 401 without an OAuth error, or with
    /// `unsupported_grant_type`; a redirect, not followed: `3xx` or `0`): ask it by GET instead.
    NotSupported,
    /// OAuth `invalid_grant`: the password or the refresh token is wrong.
    InvalidGrant,
    /// Another OAuth error (`invalid_request`, `invalid_client`, `invalid_scope`...) on a 400 or 401.
    Refused,
    /// Any other status: the answer is judged as a GET's would be.
    Other,
}

impl Refusal {
    /// Classifies a token POST's `status` and error `body`.
    pub fn of(status: u16, body: &[u8]) -> Self {
        match status {
            0 | 300..=399 | 404 | 405 => Self::NotSupported,
            400 | 401 => match oauth_error(body).as_deref() {
                None | Some("unsupported_grant_type") => Self::NotSupported,
                Some("invalid_grant") => Self::InvalidGrant,
                Some(_) => Self::Refused,
            },
            _ => Self::Other,
        }
    }
}

/// The OAuth `error` code of an error body, if it is a JSON object with a non-empty string one.
fn oauth_error(body: &[u8]) -> Option<String> {
    if body.len() > MAX_ERROR_BODY {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = json.get("error")?.as_str()?;
    (!code.is_empty()).then(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn password_form_follows_the_spec_and_hides_the_password() -> TestResult {
        let grant = Grant::Password(Password::new("al ice", "p&ss=w+rd")?);
        let scopes = ScopeSet::parse("repository:a/b:pull repository:c:pull,push")?;
        let form = TokenForm::new(&grant, Some("my registry"), &scopes);
        assert_eq!(
            form.encoded(),
            "grant_type=password&username=al%20ice&password=p%26ss%3Dw%2Brd&access_type=offline\
             &client_id=regsight&service=my%20registry\
             &scope=repository%3Aa%2Fb%3Apull%20repository%3Ac%3Apull%2Cpush"
        );
        let shown = format!("{form:?} {:?}", form.shown());
        assert!(!shown.contains("p&ss") && !shown.contains("al ice"), "{shown}");
        assert!(shown.contains("PASSWORD") && shown.contains("USER"), "{shown}");
        Ok(())
    }

    #[test]
    fn refresh_form_carries_no_password() -> TestResult {
        let grant = Grant::RefreshToken(BearerToken::new("r-1")?);
        let form = TokenForm::new(&grant, None, &ScopeSet::new());
        assert_eq!(form.encoded(), "grant_type=refresh_token&refresh_token=r-1&client_id=regsight");
        assert_eq!(
            form.shown(),
            [
                ("grant_type".to_owned(), FormValue::Text("refresh_token".into())),
                ("refresh_token".to_owned(), FormValue::Secret("REFRESH_TOKEN")),
                ("client_id".to_owned(), FormValue::Text("regsight".into())),
            ]
        );
        Ok(())
    }

    #[test]
    fn refusals() {
        let oauth = |code: &str| format!(r#"{{"error":"{code}","error_description":"x"}}"#).into_bytes();
        assert_eq!(Refusal::of(404, b""), Refusal::NotSupported);
        assert_eq!(Refusal::of(307, b""), Refusal::NotSupported);
        assert_eq!(Refusal::of(0, b""), Refusal::NotSupported, "a redirect the runtime hides");
        assert_eq!(Refusal::of(405, &oauth("invalid_grant")), Refusal::NotSupported);
        assert_eq!(Refusal::of(400, &oauth("unsupported_grant_type")), Refusal::NotSupported);
        assert_eq!(Refusal::of(401, br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#), Refusal::NotSupported);
        assert_eq!(Refusal::of(400, b"<html>bad request</html>"), Refusal::NotSupported);
        assert_eq!(Refusal::of(400, &oauth("invalid_grant")), Refusal::InvalidGrant);
        assert_eq!(Refusal::of(401, &oauth("invalid_grant")), Refusal::InvalidGrant);
        assert_eq!(Refusal::of(400, &oauth("invalid_request")), Refusal::Refused);
        assert_eq!(Refusal::of(403, &oauth("invalid_grant")), Refusal::Other);
        assert_eq!(Refusal::of(500, b""), Refusal::Other);
        let huge = format!(r#"{{"error":"invalid_grant","pad":"{}"}}"#, "x".repeat(MAX_ERROR_BODY));
        assert_eq!(Refusal::of(400, huge.as_bytes()), Refusal::NotSupported);
    }
}
