//! Absolute `http`/`https` URLs and their origins: where credentials may be sent.
//!
//! The parser is deliberately strict: anything a browser might read differently from us (userinfo,
//! backslashes, percent-encoded or non-ASCII hosts, whitespace) is an error. Two URLs we call
//! same-origin are therefore same-origin for the browser too; the reverse may not hold (`127.1` and
//! `127.0.0.1` differ here), which only ever makes us refuse, never leak.

use std::fmt;

use crate::ErrorCode;

/// Longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 8 * 1024;

/// `scheme://host[:port]`, normalised: lower-case scheme and host, default ports made explicit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    secure: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// Whether the scheme is `https`.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The lower-case host (an IPv6 address keeps its brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, the scheme's default when the URL names none.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "https" } else { "http" };
        let default_port = if self.secure { 443 } else { 80 };
        if self.port == default_port {
            write!(f, "{scheme}://{}", self.host)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// An absolute `http`/`https` URL that passed the strict checks, with its origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl {
    text: String,
    origin: Origin,
}

impl HttpUrl {
    /// Checks `text` and extracts its origin.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let origin = parse_origin(text)?;
        Ok(Self { text: text.to_owned(), origin })
    }

    /// The URL exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The URL's origin.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a string is not an absolute `http`/`https` URL we are willing to send anything to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Longer than [`MAX_URL_LEN`].
    #[error("url is {len} bytes long; the limit is {limit}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// No `scheme://`, or a scheme other than http/https (`javascript:`, `file:`, `data:` ...).
    #[error("url {url:?} must start with http:// or https://")]
    UnsupportedScheme {
        /// The URL (shortened).
        url: String,
    },
    /// A character browsers would strip or reinterpret (whitespace, control, non-ASCII, `\`, `#`).
    #[error("url {url:?} holds {found:?} at byte {position}, which is not allowed")]
    BadCharacter {
        /// The URL (shortened).
        url: String,
        /// The character.
        found: char,
        /// Its byte offset.
        position: usize,
    },
    /// `user:password@` before the host: refused so credentials never travel in URLs.
    #[error("url {url:?} carries user information before the host")]
    UserInfo {
        /// The URL (shortened).
        url: String,
    },
    /// The host is empty or not a plain DNS name, IPv4 or bracketed IPv6 address.
    #[error("url {url:?} has no usable host (expected a DNS name, IPv4 or [IPv6] address)")]
    BadHost {
        /// The URL (shortened).
        url: String,
    },
    /// The port is empty, not a number or above 65535.
    #[error("url {url:?} has a bad port (expected 1 to 65535)")]
    BadPort {
        /// The URL (shortened).
        url: String,
    },
}

impl UrlError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLong { .. } => ErrorCode::LimitExceeded,
            _ => ErrorCode::InvalidResponse,
        }
    }
}

fn parse_origin(text: &str) -> Result<Origin, UrlError> {
    if text.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong { len: text.len(), limit: MAX_URL_LEN });
    }
    let url = || crate::auth::shorten(text);
    if let Some((position, found)) =
        text.char_indices().find(|&(_, c)| !c.is_ascii_graphic() || c == '\\' || c == '#')
    {
        return Err(UrlError::BadCharacter { url: url(), found, position });
    }
    let (secure, rest) = match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => (true, rest),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (false, rest),
        _ => return Err(UrlError::UnsupportedScheme { url: url() }),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(UrlError::UserInfo { url: url() });
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| UrlError::BadHost { url: url() })?;
    let port = match port {
        None if secure => 443,
        None => 80,
        Some(digits) => parse_port(digits).ok_or_else(|| UrlError::BadPort { url: url() })?,
    };
    Ok(Origin { secure, host: host.to_ascii_lowercase(), port })
}

/// Splits `host[:port]`, checking the host's characters; `None` when the host is unusable.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if let Some(after_bracket) = authority.strip_prefix('[') {
        let end = after_bracket.find(']')?;
        let host = authority.get(..end + 2)?;
        let inner = after_bracket.get(..end)?;
        let ok = inner.contains(':') && inner.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
        if !ok {
            return None;
        }
        let rest = authority.get(end + 2..)?;
        let port = match rest {
            "" => None,
            _ => Some(rest.strip_prefix(':')?),
        };
        (host, port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let ok = host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if !ok || !host.chars().any(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        (host, port)
    };
    Some((host, port))
}

fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|&port| port != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> String {
        match HttpUrl::parse(text) {
            Ok(url) => url.origin().to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn extracts_normalised_origins() {
        let cases = [
            ("https://Registry.Example.COM/v2/", "https://registry.example.com"),
            ("HTTPS://auth.docker.io/token?x=1", "https://auth.docker.io"),
            ("https://auth.docker.io:443/token", "https://auth.docker.io"),
            ("http://127.0.0.1:5000/v2/a/b/manifests/latest", "http://127.0.0.1:5000"),
            ("http://localhost", "http://localhost"),
            ("http://[::1]:5000/v2/", "http://[::1]:5000"),
            ("https://[2001:DB8::1]/", "https://[2001:db8::1]"),
            ("https://host?query=only", "https://host"),
        ];
        for (text, expected) in cases {
            assert_eq!(origin(text), expected, "{text}");
        }
    }

    #[test]
    fn same_origin_means_same_host_and_port() {
        let a = HttpUrl::parse("https://r.example/v2/").map(|u| u.origin().clone());
        let b = HttpUrl::parse("https://R.EXAMPLE:443/v2/x").map(|u| u.origin().clone());
        let c = HttpUrl::parse("http://r.example/v2/").map(|u| u.origin().clone());
        let d = HttpUrl::parse("https://r.example:8443/v2/").map(|u| u.origin().clone());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn rejects_urls_a_browser_could_read_differently() {
        let cases = [
            ("", "http://"),
            ("javascript:alert(1)", "http://"),
            ("file:///etc/passwd", "http://"),
            ("data:text/plain,x", "http://"),
            ("ftp://host/", "http://"),
            ("//host/path", "http://"),
            ("https://user:pw@host/", "user information"),
            ("https://good.example@evil.example/", "user information"),
            ("https://good.example\\@evil.example/", "'\\\\'"),
            ("https://host/a b", "' '"),
            ("https://ho\tst/", "'\\t'"),
            ("https://host/#frag", "'#'"),
            ("https://hôst/", "'ô'"),
            ("https://ho%73t/", "no usable host"),
            ("https:///path", "no usable host"),
            ("https://.../", "no usable host"),
            ("https://[zz::1]/", "no usable host"),
            ("https://[::1/", "no usable host"),
            ("https://host:/", "bad port"),
            ("https://host:0/", "bad port"),
            ("https://host:65536/", "bad port"),
            ("https://host:+80/", "bad port"),
            ("https://[::1]x/", "no usable host"),
        ];
        for (text, expected) in cases {
            let got = origin(text);
            assert!(got.starts_with("error") && got.contains(expected), "{text:?}: {got}");
        }
        let long = format!("https://h/{}", "a".repeat(MAX_URL_LEN));
        assert!(matches!(HttpUrl::parse(&long), Err(UrlError::TooLong { limit: MAX_URL_LEN, .. })));
    }
}
