//! Username/password credentials and their `Authorization: Basic` value (RFC 7617).
//!
//! Base64 encoding is written out here (a dozen lines, encode only, standard alphabet with padding)
//! rather than taken from a crate: see NOTES.md.

use std::fmt;

use crate::ErrorCode;

/// Longest username or password accepted, in bytes.
pub const MAX_CREDENTIAL_LEN: usize = 4 * 1024;

/// A username and password; `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Password {
    username: String,
    password: String,
}

impl Password {
    /// Checks the pair: RFC 7617 forbids `:` in the username and control characters in both.
    pub fn new(username: &str, password: &str) -> Result<Self, CredentialsError> {
        for (field, value) in [("username", username), ("password", password)] {
            if value.len() > MAX_CREDENTIAL_LEN {
                return Err(CredentialsError::TooLong { field, len: value.len(), limit: MAX_CREDENTIAL_LEN });
            }
            if value.chars().any(char::is_control) {
                return Err(CredentialsError::ControlCharacter { field });
            }
        }
        if username.is_empty() {
            return Err(CredentialsError::EmptyUsername);
        }
        if username.contains(':') {
            return Err(CredentialsError::ColonInUsername);
        }
        Ok(Self { username: username.to_owned(), password: password.to_owned() })
    }

    /// The username (sent as `account` in token requests).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password itself (for an OAuth2 password grant's form).
    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    /// The `Authorization` header value: `Basic base64(username:password)` (UTF-8).
    pub fn authorization_value(&self) -> String {
        let mut value = String::from("Basic ");
        let pair = format!("{}:{}", self.username, self.password);
        base64_encode_into(pair.as_bytes(), &mut value);
        value
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Password").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}

/// Why credentials cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// The username is empty.
    #[error("the username is empty")]
    EmptyUsername,
    /// The username holds `:`, which Basic authentication cannot carry.
    #[error("the username must not contain ':'")]
    ColonInUsername,
    /// A control character (newline, tab, ...) in the username, password or token.
    #[error("the {field} contains a control character")]
    ControlCharacter {
        /// Which field.
        field: &'static str,
    },
    /// A bearer token that is empty or holds spaces or non-ASCII characters.
    #[error("the bearer token must be non-empty printable ASCII without spaces")]
    BadToken,
    /// Longer than the limit.
    #[error("the {field} is {len} bytes long; the limit is {limit}")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

impl CredentialsError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLong { .. } => ErrorCode::LimitExceeded,
            _ => ErrorCode::Unauthorized,
        }
    }
}

/// Appends the standard, padded base64 encoding of `bytes` to `out` (RFC 4648 section 4): the
/// workspace's one base64 encoder (Basic credentials here, CSP hashes in `cargo xtask site`).
pub fn base64_encode_into(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let symbol = |index: u32| char::from(ALPHABET[(index & 63) as usize]);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let group = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(symbol(group >> 18));
        out.push(symbol(group >> 12));
        out.push(if chunk.len() > 1 { symbol(group >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { symbol(group) } else { '=' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        let mut out = String::new();
        base64_encode_into(bytes, &mut out);
        out
    }

    #[test]
    fn base64_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(b64(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(b64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn basic_value_matches_rfc7617() -> Result<(), CredentialsError> {
        // RFC 7617 section 2's example, and its UTF-8 example from section 2.1.
        assert_eq!(
            Password::new("Aladdin", "open sesame")?.authorization_value(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(Password::new("test", "123\u{a3}")?.authorization_value(), "Basic dGVzdDoxMjPCow==");
        // A colon in the password is fine: the first colon separates.
        assert_eq!(Password::new("u", "a:b")?.authorization_value(), "Basic dTphOmI=");
        Ok(())
    }

    #[test]
    fn rejects_unusable_credentials() {
        assert_eq!(Password::new("", "p"), Err(CredentialsError::EmptyUsername));
        assert_eq!(Password::new("a:b", "p"), Err(CredentialsError::ColonInUsername));
        assert_eq!(
            Password::new("a", "p\r\nX-Evil: 1"),
            Err(CredentialsError::ControlCharacter { field: "password" })
        );
        assert_eq!(Password::new("a\n", "p"), Err(CredentialsError::ControlCharacter { field: "username" }));
        let long = "p".repeat(MAX_CREDENTIAL_LEN + 1);
        assert!(matches!(
            Password::new("a", &long),
            Err(CredentialsError::TooLong { field: "password", .. })
        ));
    }

    #[test]
    fn debug_hides_the_password() {
        let p = Password::new("alice", "s3cret-value");
        let shown = format!("{p:?}");
        assert!(shown.contains("alice") && !shown.contains("s3cret"), "{shown}");
    }
}
