//! http(s) URLs as regsight uses them: one strict parser that yields the URL's normalized
//! [`Origin`] (where credentials may go), RFC 3986 reference resolution (for `Link` headers), and
//! the percent-encoding of query values. Every module that reads or builds a URL goes through here.
//!
//! The parser is deliberately strict: anything a browser might read differently from us is an
//! error (userinfo, backslashes, whitespace, non-ASCII, `%` in hosts, a fragment). Two URLs we call
//! same-origin are therefore same-origin for the browser too; the reverse may not hold (`127.1` and
//! `127.0.0.1` differ here), which only ever makes us refuse, never leak.
//!
//! Hosts follow the registry grammar of image references (`reference::normalize_registry`): DNS
//! labels of letters, digits and inner dashes (no `_`), or a bracketed IPv6 address; so a URL
//! accepts exactly the hosts a reference can name. Ports are 1-65535.

use std::fmt;
use std::net::Ipv6Addr;

use crate::ErrorCode;
use crate::quote::shorten;
use crate::reference::{self, ReferenceError};

/// Longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 8 * 1024;

/// Why a string is not an http(s) URL we are willing to use.
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
    /// Not of the form `scheme://host…`.
    #[error("not an absolute url (expected http:// or https:// and a host)")]
    NotAbsolute,
    /// A scheme other than http and https (`javascript:`, `file:`, `data:`, `ftp:` ...).
    #[error("scheme {scheme:?} is not supported (expected http:// or https://)")]
    UnsupportedScheme {
        /// The scheme (shortened).
        scheme: String,
    },
    /// A character browsers would strip, encode or reinterpret (whitespace, control, non-ASCII,
    /// `\`, quotes, braces...).
    #[error("invalid character {found:?} at byte {position}")]
    BadCharacter {
        /// The character.
        found: char,
        /// Its byte offset.
        position: usize,
    },
    /// A fragment (`#…`), which is never sent to a server.
    #[error("a fragment ('#') at byte {position} is not allowed in this url")]
    Fragment {
        /// Byte offset of the `#`.
        position: usize,
    },
    /// `user:password@` before the host: refused so credentials never travel in URLs.
    #[error("user information (user:password@) is not allowed in the url; configure credentials separately")]
    UserInfo,
    /// The host is not a DNS name or bracketed IPv6 address as image references allow.
    #[error("no usable host {host:?}: {source}")]
    BadHost {
        /// The host as written (shortened).
        host: String,
        /// What is wrong with it, in the registry grammar's words.
        #[source]
        source: ReferenceError,
    },
    /// A bracketed host that is not an IPv6 address.
    #[error("no usable host {host:?}: not a valid IPv6 address")]
    BadIpv6 {
        /// The host as written (shortened).
        host: String,
    },
    /// The port is empty, not a number, 0 or above 65535.
    #[error("bad port {port:?} (expected 1 to 65535)")]
    BadPort {
        /// The port as written (shortened).
        port: String,
    },
    /// A query (`?…`) where none may be (a base URL).
    #[error("a query ('?') is not allowed in this url")]
    Query,
    /// An empty, `.` or `..` path segment where none may be (a base URL).
    #[error("the path has an empty, '.' or '..' segment at byte {position}")]
    BadPathSegment {
        /// Where the segment starts.
        position: usize,
    },
}

impl UrlError {
    /// The stable error code for this error when the URL came from a server; callers that took
    /// it from their own configuration report [`ErrorCode::InvalidArgument`] instead.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLong { .. } => ErrorCode::LimitExceeded,
            _ => ErrorCode::InvalidResponse,
        }
    }
}

/// `scheme://host[:port]`, normalized: lower-case scheme and host, the default port implied.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    secure: bool,
    /// `host[:port]`, lower case, the port only when it is not the scheme's default.
    authority: String,
    host_len: usize,
    port: u16,
}

impl Origin {
    /// Checks `host[:port]` (no userinfo) for a URL whose scheme is https if `secure`, else http.
    pub(crate) fn from_authority(secure: bool, authority: &str) -> Result<Self, UrlError> {
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = split_port(authority);
        reference::normalize_registry(host)
            .map_err(|source| UrlError::BadHost { host: shorten(host), source })?;
        if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            inner.parse::<Ipv6Addr>().map_err(|_| UrlError::BadIpv6 { host: shorten(host) })?;
        }
        let default_port = if secure { 443 } else { 80 };
        let port = match port {
            None => default_port,
            Some(digits) => parse_port(digits).ok_or_else(|| UrlError::BadPort { port: shorten(digits) })?,
        };
        let mut authority = host.to_ascii_lowercase();
        let host_len = authority.len();
        if port != default_port {
            authority.push(':');
            authority.push_str(&port.to_string());
        }
        Ok(Self { secure, authority, host_len, port })
    }

    /// Whether the scheme is `https`.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.secure { "https" } else { "http" }
    }

    /// The lower-case host (an IPv6 address keeps its brackets).
    pub fn host(&self) -> &str {
        &self.authority[..self.host_len]
    }

    /// The port, the scheme's default when the URL names none.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host[:port]`, lower case, with the port only when it is not the scheme's default.
    pub fn authority(&self) -> &str {
        &self.authority
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme(), self.authority)
    }
}

/// An absolute `http`/`https` URL that passed the strict checks, with its origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl {
    text: String,
    origin: Origin,
    path_start: usize,
    /// Byte offset just after the `?`, if there is a query.
    query_start: Option<usize>,
}

impl HttpUrl {
    /// Checks `text` (at most [`MAX_URL_LEN`] bytes, no fragment) and extracts its origin.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        check_length(text)?;
        check_characters(text, false)?;
        let (scheme, rest) = match text.split_once(':') {
            Some((scheme, rest)) if is_scheme(scheme) => (scheme, rest),
            _ => return Err(UrlError::NotAbsolute),
        };
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            // `host:5000` is a host without a scheme, not a scheme of its own.
            _ if rest.starts_with(|c: char| c.is_ascii_digit()) => return Err(UrlError::NotAbsolute),
            _ => return Err(UrlError::UnsupportedScheme { scheme: shorten(scheme) }),
        };
        let rest = rest.strip_prefix("//").ok_or(UrlError::NotAbsolute)?;
        let authority_len = rest.find(['/', '?']).unwrap_or(rest.len());
        let origin = Origin::from_authority(secure, &rest[..authority_len])?;
        let path_start = text.len() - rest.len() + authority_len;
        let query_start = text[path_start..].find('?').map(|i| path_start + i + 1);
        Ok(Self { text: text.to_owned(), origin, path_start, query_start })
    }

    /// The URL exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The URL's origin.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The path as written (possibly empty), without the query.
    pub fn path(&self) -> &str {
        let end = self.query_start.map_or(self.text.len(), |start| start - 1);
        &self.text[self.path_start..end]
    }

    /// The query as written, without its `?`.
    pub fn query(&self) -> Option<&str> {
        self.query_start.map(|start| &self.text[start..])
    }

    /// The URL as a request goes out: normalized origin, dot segments removed, `/` for an empty
    /// path.
    #[must_use]
    pub fn normalized(&self) -> String {
        compose(&self.origin, &remove_dot_segments(self.path()), self.query())
    }

    /// Resolves `reference` (an absolute URL, `//host/…`, `/path`, `path`, `?query`; a fragment is
    /// dropped) against this URL as RFC 3986 section 5.2 says; the result is [`Self::normalized`].
    pub fn join(&self, reference: &str) -> Result<Self, UrlError> {
        check_length(reference)?;
        check_characters(reference, true)?;
        let reference = reference.split_once('#').map_or(reference, |(before, _)| before);
        let has_scheme = reference
            .find([':', '/', '?'])
            .is_some_and(|end| reference[end..].starts_with(':') && is_scheme(&reference[..end]));
        let resolved = if has_scheme {
            Self::parse(reference)?.normalized()
        } else if reference.starts_with("//") {
            Self::parse(&format!("{}:{reference}", self.origin.scheme()))?.normalized()
        } else {
            let (path, query) = match reference.split_once('?') {
                Some((path, query)) => (path, Some(query)),
                None => (reference, None),
            };
            let (path, query) = if path.is_empty() {
                (remove_dot_segments(self.path()), query.or(self.query()))
            } else if path.starts_with('/') {
                (remove_dot_segments(path), query)
            } else {
                let base = self.path();
                let directory = base.rfind('/').map_or("/", |slash| &base[..=slash]);
                (remove_dot_segments(&format!("{directory}{path}")), query)
            };
            compose(&self.origin, &path, query)
        };
        Self::parse(&resolved)
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Appends `name=value` to `url` as a query parameter, both percent-encoded (everything but RFC
/// 3986 unreserved characters, so `+` becomes `%2B`), after `?` or `&` as the URL needs.
pub fn append_query_param(url: &mut String, name: &str, value: &str) {
    if !url.contains('?') {
        url.push('?');
    } else if !url.ends_with(['?', '&']) {
        url.push('&');
    }
    push_encoded(url, name);
    url.push('=');
    push_encoded(url, value);
}

/// Appends `value` percent-encoded: everything but RFC 3986 unreserved characters.
pub(crate) fn push_encoded(out: &mut String, value: &str) {
    const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
        }
    }
}

/// Whether `s` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-` or `.`).
pub(crate) fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Splits `host[:port]` (the host possibly `[ipv6]`); what cannot be split stays the host, so
/// that the host check reports it.
pub(crate) fn split_port(authority: &str) -> (&str, Option<&str>) {
    let host_end = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |close| close + 1)
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    match authority[host_end..].strip_prefix(':') {
        Some(port) => (&authority[..host_end], Some(port)),
        None => (authority, None),
    }
}

/// Which dot segment `segment` is (`.` → 1, `..` → 2), counting `%2e` as a dot like browsers do.
pub(crate) fn is_dot_segment(segment: &str) -> Option<u8> {
    match segment.to_ascii_lowercase().as_str() {
        "." | "%2e" => Some(1),
        ".." | ".%2e" | "%2e." | "%2e%2e" => Some(2),
        _ => None,
    }
}

/// Refuses text over [`MAX_URL_LEN`] before looking at it.
fn check_length(text: &str) -> Result<(), UrlError> {
    if text.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong { len: text.len(), limit: MAX_URL_LEN });
    }
    Ok(())
}

/// Finds the first character that may not appear: anything but RFC 3986's unreserved, reserved
/// and `%`; `#` only where a fragment may be dropped.
fn check_characters(text: &str, fragment_allowed: bool) -> Result<(), UrlError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/?[]@!$&'()*+,;=%".contains(c);
    for (position, found) in text.char_indices() {
        match found {
            '#' if fragment_allowed => {}
            '#' => return Err(UrlError::Fragment { position }),
            c if allowed(c) => {}
            _ => return Err(UrlError::BadCharacter { found, position }),
        }
    }
    Ok(())
}

/// A port: 1 to 5 digits, 1-65535.
fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|&port| port != 0)
}

/// `origin` + `path` (`/` when empty) + `?query`.
fn compose(origin: &Origin, path: &str, query: Option<&str>) -> String {
    let path = if path.is_empty() { "/" } else { path };
    match query {
        Some(query) => format!("{origin}{path}?{query}"),
        None => format!("{origin}{path}"),
    }
}

/// Removes `.` and `..` segments from an absolute path (RFC 3986 section 5.2.4).
fn remove_dot_segments(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match is_dot_segment(segment) {
            Some(dots) => {
                if dots == 2 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            None => out.push(segment),
        }
    }
    if path.is_empty() { String::new() } else { format!("/{}", out.join("/")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> HttpUrl {
        HttpUrl::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

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
            ("http://Foo:80", "http://foo"),
        ];
        for (text, expected) in cases {
            assert_eq!(origin(text), expected, "{text}");
        }
        let parsed = url("https://R.example:8443/v2/x?n=1");
        let o = parsed.origin();
        assert_eq!(
            (o.scheme(), o.host(), o.port(), o.authority()),
            ("https", "r.example", 8443, "r.example:8443")
        );
        assert_eq!((parsed.path(), parsed.query()), ("/v2/x", Some("n=1")));
        let bare = url("http://[::1]");
        assert_eq!(
            (bare.origin().host(), bare.origin().port(), bare.path(), bare.query()),
            ("[::1]", 80, "", None)
        );
    }

    #[test]
    fn same_origin_means_same_scheme_host_and_port() {
        let a = url("https://r.example/v2/");
        let b = url("https://R.EXAMPLE:443/v2/x");
        let c = url("http://r.example/v2/");
        let d = url("https://r.example:8443/v2/");
        assert_eq!(a.origin(), b.origin());
        assert_ne!(a.origin(), c.origin());
        assert_ne!(a.origin(), d.origin());
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
            ("host:5000", "http://"),
            ("https:/host", "http://"),
            ("https://user:pw@host/", "user information"),
            ("https://good.example@evil.example/", "user information"),
            ("https://good.example\\@evil.example/", "'\\\\'"),
            ("https://host/a b", "' '"),
            ("https://ho\tst/", "'\\t'"),
            ("https://host/#frag", "'#'"),
            ("https://hôst/", "'ô'"),
            ("https://host/\"x\"", "'\"'"),
            ("https://host/{x}", "'{'"),
            ("https://ho%73t/", "no usable host"),
            ("https:///path", "no usable host"),
            ("https://.../", "no usable host"),
            ("https://exa_mple.com/", "no usable host"),
            ("https://-host/", "no usable host"),
            ("https://[zz::1]/", "no usable host"),
            ("https://[::1/", "no usable host"),
            ("https://[1:2]/", "IPv6"),
            ("https://[::1]x/", "no usable host"),
            ("https://host:/", "bad port"),
            ("https://host:0/", "bad port"),
            ("https://host:65536/", "bad port"),
            ("https://host:+80/", "bad port"),
            ("https://host:1:2/", "bad port"),
        ];
        for (text, expected) in cases {
            let got = origin(text);
            assert!(got.starts_with("error") && got.contains(expected), "{text:?}: {got}");
        }
        let long = format!("https://h/{}", "a".repeat(MAX_URL_LEN));
        assert!(matches!(HttpUrl::parse(&long), Err(UrlError::TooLong { limit: MAX_URL_LEN, .. })));
        assert_eq!(HttpUrl::parse("https://h/a b"), Err(UrlError::BadCharacter { found: ' ', position: 11 }));
        assert_eq!(HttpUrl::parse("https://h/#x"), Err(UrlError::Fragment { position: 10 }));
        assert_eq!(HttpUrl::parse("ftp://h"), Err(UrlError::UnsupportedScheme { scheme: "ftp".into() }));
        assert_eq!(
            HttpUrl::parse("https://[::1"),
            Err(UrlError::BadHost {
                host: "[::1".into(),
                source: ReferenceError::UnclosedBracket { position: 0 }
            })
        );
    }

    #[test]
    fn joins_references_as_rfc_3986_says() {
        let base = url("https://r.example/v2/a/b/tags/list?n=2");
        let cases = [
            ("/v2/x?last=y", "https://r.example/v2/x?last=y"),
            ("https://other.example/p", "https://other.example/p"),
            ("HTTP://R.EXAMPLE:80/p", "http://r.example/p"),
            ("//r.example:443/p", "https://r.example/p"),
            ("//evil.example", "https://evil.example/"),
            ("list?last=x", "https://r.example/v2/a/b/tags/list?last=x"),
            ("../x", "https://r.example/v2/a/b/x"),
            ("?last=x", "https://r.example/v2/a/b/tags/list?last=x"),
            ("", "https://r.example/v2/a/b/tags/list?n=2"),
            ("#frag", "https://r.example/v2/a/b/tags/list?n=2"),
            ("/v2/a/./b/%2e%2E/c#x", "https://r.example/v2/a/c"),
        ];
        for (reference, expected) in cases {
            let joined = base.join(reference).unwrap_or_else(|e| panic!("{reference}: {e}"));
            assert_eq!(joined.as_str(), expected, "{reference}");
        }
        assert_eq!(
            url("https://r.example").join("x").map(|u| u.as_str().to_owned()),
            Ok("https://r.example/x".into())
        );
        assert_eq!(url("HTTPS://R.example:443/a/./b").normalized(), "https://r.example/a/b");
        let refused: &[(&str, UrlError)] = &[
            ("javascript:alert(1)", UrlError::UnsupportedScheme { scheme: "javascript".into() }),
            ("https:/r.example/x", UrlError::NotAbsolute),
            ("//user@evil.example/", UrlError::UserInfo),
            ("/a b", UrlError::BadCharacter { found: ' ', position: 2 }),
            ("https://r.example:99999/", UrlError::BadPort { port: "99999".into() }),
        ];
        for (reference, expected) in refused {
            assert_eq!(base.join(reference).as_ref(), Err(expected), "{reference}");
        }
        let long = "a".repeat(MAX_URL_LEN + 1);
        assert!(matches!(base.join(&long), Err(UrlError::TooLong { .. })));
    }

    #[test]
    fn dot_segments_follow_rfc_3986() {
        let cases = [
            ("/a/b/c/./../../g", "/a/g"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/..", "/"),
            ("/../../x", "/x"),
            ("/a//b", "/a//b"),
            ("/", "/"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(remove_dot_segments(input), expected, "{input}");
        }
    }

    #[test]
    fn query_params_are_percent_encoded() {
        let mut built = "https://a/t".to_owned();
        append_query_param(&mut built, "service", "my registry");
        append_query_param(&mut built, "scope", "repository:a/b:pull,push");
        append_query_param(&mut built, "q", "é~+&=");
        assert_eq!(
            built,
            "https://a/t?service=my%20registry&scope=repository%3Aa%2Fb%3Apull%2Cpush&q=%C3%A9~%2B%26%3D"
        );
        for (start, expected) in [
            ("https://a/t?", "https://a/t?n=1"),
            ("https://a/t?x=1&", "https://a/t?x=1&n=1"),
            ("https://a/t?x", "https://a/t?x&n=1"),
        ] {
            let mut built = start.to_owned();
            append_query_param(&mut built, "n", "1");
            assert_eq!(built, expected);
        }
    }

    #[test]
    fn splits_ports_for_the_host_check() {
        let cases = [
            ("host", ("host", None)),
            ("host:5000", ("host", Some("5000"))),
            ("host:", ("host", Some(""))),
            ("[::1]:5000", ("[::1]", Some("5000"))),
            ("[::1]", ("[::1]", None)),
            ("[::1]x", ("[::1]x", None)),
            ("[::1", ("[::1", None)),
        ];
        for (authority, expected) in cases {
            assert_eq!(split_port(authority), expected, "{authority}");
        }
    }
}
