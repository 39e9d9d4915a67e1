//! Where requests go: the base URL of a registry, the URL of each registry endpoint, and the next
//! page named by a `Link` header.
//!
//! Use it in this order:
//! 1. [`Endpoints`] maps a registry (`docker.io`, `127.0.0.1:5000`) to a [`BaseUrl`]: a mirror or
//!    explicit base URL if one is configured, otherwise the default ([`BaseUrl::for_registry`]).
//! 2. [`BaseUrl`]'s builders (`api_root`, `tags_list`, `manifest`, `blob`, `referrers`, `catalog`)
//!    return full URL strings; [`BaseUrl::host`] is the key for credentials.
//! 3. After a paged response, [`next_link`] turns its `Link` header into the next URL and says whether
//!    it stays on the request's origin (credentials must not follow it elsewhere).
//!
//! URLs are plain strings: a browser hands them to `fetch` as they are. Parsing, origins and
//! RFC 3986 resolution are [`crate::url`]'s, the same code that decides where credentials go.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Serialize, Serializer};

use crate::quote::shorten;
use crate::reference::{self, Reference};
use crate::url::{self, HttpUrl, Origin, UrlError};
use crate::{Digest, ErrorCode};

/// Where Docker Hub's registry API lives (`docker.io` is only its name in references).
pub const DOCKER_HUB_API: &str = "https://registry-1.docker.io";

/// Why no URL could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// A registry name that is not `host[:port]`.
    #[error("invalid registry {registry:?}: {source}")]
    BadRegistry {
        /// The registry as given (possibly shortened).
        registry: String,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// A configured base URL that cannot be used.
    #[error("invalid base url {url:?}: {source}")]
    BadBaseUrl {
        /// The URL as given (possibly shortened).
        url: String,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// The URL a response came from cannot be used to resolve its links.
    #[error("invalid request url {url:?}: {source}")]
    BadRequestUrl {
        /// The URL as given (possibly shortened).
        url: String,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// The `Link` header does not follow RFC 8288.
    #[error("malformed Link header at byte {position}: {reason}")]
    MalformedLink {
        /// Where parsing stopped.
        position: usize,
        /// What was expected there.
        reason: &'static str,
    },
    /// The `rel="next"` target cannot be used.
    #[error("unusable next link {target:?}: {source}")]
    BadNextLink {
        /// The target as written in the header (possibly shortened).
        target: String,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// The `rel="next"` target is the page just fetched: following it would never end.
    #[error("next link {url:?} points back to the page it came from")]
    NextLinkLoops {
        /// The resolved URL.
        url: String,
    },
}

impl EndpointError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            // All three come from the caller: its mirror configuration, or the registry and
            // request URL it passes in (a parsed `Reference` always names a valid registry).
            Self::BadRegistry { .. } | Self::BadBaseUrl { .. } | Self::BadRequestUrl { .. } => {
                ErrorCode::InvalidArgument
            }
            Self::MalformedLink { .. } | Self::BadNextLink { .. } | Self::NextLinkLoops { .. } => {
                ErrorCode::InvalidResponse
            }
        }
    }
}

/// Whether a host (without port) is the local machine: `localhost`, `127.0.0.0/8` or `[::1]`.
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// A validated registry base URL: `http(s)://host[:port][/prefix]`, without a trailing slash.
///
/// Endpoint paths (`/v2/…`) are appended to it, so a mirror may live under a path prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    origin: Origin,
    prefix: String,
}

impl BaseUrl {
    /// Checks a configured base URL: http or https, a host, an optional path prefix, no credentials,
    /// query or fragment. One trailing slash is tolerated.
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        let bad = |source| EndpointError::BadBaseUrl { url: shorten(url), source };
        let parsed = HttpUrl::parse(url).map_err(bad)?;
        if parsed.query().is_some() {
            return Err(bad(UrlError::Query));
        }
        // Without a query, the path runs to the end of the text.
        let path = parsed.path();
        let prefix = path.strip_suffix('/').unwrap_or(path);
        let mut position = url.len() - path.len();
        for segment in prefix.split('/').skip(1) {
            position += 1;
            if segment.is_empty() || url::is_dot_segment(segment).is_some() {
                return Err(bad(UrlError::BadPathSegment { position }));
            }
            position += segment.len();
        }
        Ok(Self { origin: parsed.origin().clone(), prefix: prefix.to_owned() })
    }

    /// Checks a configured base URL that may be relative (`/registries/docker.io`, as a site's
    /// `regsight.json` names its gateway), resolved against `page`, the URL of what configured it.
    pub fn resolve(url: &str, page: &str) -> Result<Self, EndpointError> {
        let bad = |source| EndpointError::BadBaseUrl { url: shorten(url), source };
        // A page's fragment (`#section`) never reaches a server and takes no part in resolution.
        let page = page.split_once('#').map_or(page, |(before, _)| before);
        let page = HttpUrl::parse(page)
            .map_err(|source| EndpointError::BadRequestUrl { url: shorten(page), source })?;
        if let Some(position) = url.find(['?', '#']) {
            let source = if url[position..].starts_with('?') {
                UrlError::Query
            } else {
                UrlError::Fragment { position }
            };
            return Err(bad(source));
        }
        let joined = page.join(url).map_err(bad)?;
        Self::parse(joined.as_str())
    }

    /// The default base URL of a registry: Docker Hub's API host for `docker.io`, plain http for
    /// `localhost`, `127.0.0.0/8` and `[::1]` (any port), https for everything else.
    pub fn for_registry(registry: &str) -> Result<Self, EndpointError> {
        let bad = |source| EndpointError::BadRegistry { registry: shorten(registry), source };
        let origin = Origin::from_authority(true, registry).map_err(bad)?;
        if reference::normalize_registry(registry) == Ok(reference::DOCKER_HUB) {
            return Self::parse(DOCKER_HUB_API);
        }
        let origin = if is_loopback(origin.host()) {
            Origin::from_authority(false, registry).map_err(bad)?
        } else {
            origin
        };
        Ok(Self { origin, prefix: String::new() })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.origin.scheme()
    }

    /// The `host[:port]` requests go to, normalized (lower case, no default port): the key under
    /// which credentials for this registry are kept.
    pub fn host(&self) -> &str {
        self.origin.authority()
    }

    /// `scheme://host[:port]`, as a browser compares origins.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// `…/v2/`, the version check (always with the trailing slash: `/v2` redirects).
    #[must_use]
    pub fn api_root(&self) -> String {
        self.url("", &[])
    }

    /// `…/v2/<repository>/tags/list`, with the page size `n` and the `last` tag of the previous page.
    #[must_use]
    pub fn tags_list(&self, reference: &Reference, n: Option<u32>, last: Option<&str>) -> String {
        let n = n.map(|n| n.to_string());
        let path = format!("{}/tags/list", reference.repository());
        self.url(&path, &[("n", n.as_deref()), ("last", last)])
    }

    /// `…/v2/<repository>/manifests/<tag or digest>`, for what the reference targets.
    #[must_use]
    pub fn manifest(&self, reference: &Reference) -> String {
        self.url(&format!("{}/manifests/{}", reference.repository(), reference.target()), &[])
    }

    /// `…/v2/<repository>/blobs/<digest>`.
    #[must_use]
    pub fn blob(&self, reference: &Reference, digest: &Digest) -> String {
        self.url(&format!("{}/blobs/{digest}", reference.repository()), &[])
    }

    /// `…/v2/<repository>/referrers/<digest>`, optionally filtered by `artifactType`.
    #[must_use]
    pub fn referrers(&self, reference: &Reference, subject: &Digest, artifact_type: Option<&str>) -> String {
        let path = format!("{}/referrers/{subject}", reference.repository());
        self.url(&path, &[("artifactType", artifact_type)])
    }

    /// `…/v2/_catalog`, with the page size `n` and the `last` repository of the previous page.
    #[must_use]
    pub fn catalog(&self, n: Option<u32>, last: Option<&str>) -> String {
        let n = n.map(|n| n.to_string());
        self.url("_catalog", &[("n", n.as_deref()), ("last", last)])
    }

    /// `base/v2/<path>?<query>`; the path comes from validated parts, query values are encoded.
    fn url(&self, path: &str, query: &[(&str, Option<&str>)]) -> String {
        let mut built = format!("{self}/v2/{path}");
        for (name, value) in query {
            if let Some(value) = value {
                url::append_query_param(&mut built, name, value);
            }
        }
        built
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.prefix)
    }
}

impl Serialize for BaseUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Which registries go to which base URL: configured mirrors and explicit base URLs first, then the
/// default rule of [`BaseUrl::for_registry`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    overrides: BTreeMap<String, BaseUrl>,
}

impl Endpoints {
    /// No overrides: every registry gets its default base URL.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends requests for `registry` (e.g. `docker.io`) to `base_url` (e.g. `https://mirror.example/hub`).
    pub fn set_base_url(&mut self, registry: &str, base_url: BaseUrl) -> Result<(), EndpointError> {
        let key = registry_key(registry)?;
        self.overrides.insert(key, base_url);
        Ok(())
    }

    /// True when requests for `registry` go to a configured base URL (a mirror or gateway)
    /// rather than the registry's own endpoint.
    pub fn is_overridden(&self, registry: &str) -> bool {
        registry_key(registry).is_ok_and(|key| self.overrides.contains_key(&key))
    }

    /// The base URL for `registry`: its override if one is set, otherwise the default.
    pub fn base_url(&self, registry: &str) -> Result<BaseUrl, EndpointError> {
        match self.overrides.get(&registry_key(registry)?) {
            Some(base) => Ok(base.clone()),
            None => BaseUrl::for_registry(registry),
        }
    }
}

/// The normalized registry name overrides are stored under (host names compare case-insensitively).
fn registry_key(registry: &str) -> Result<String, EndpointError> {
    reference::normalize_registry(registry).map(str::to_ascii_lowercase).map_err(|source| {
        let source = UrlError::BadHost { host: shorten(registry), source };
        EndpointError::BadRegistry { registry: shorten(registry), source }
    })
}

/// The next page named by a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextLink {
    /// The absolute URL of the next page (fragment removed).
    pub url: String,
    /// Whether it has the request's scheme, host and port; if not, send no credentials there.
    pub same_origin: bool,
}

/// Reads the `rel="next"` link (RFC 8288) of a response to `request_url`, resolved against it.
///
/// The whole header is checked; a malformed one is an error rather than a silent last page.
/// `Ok(None)` means there is no next page.
pub fn next_link(link_header: &str, request_url: &str) -> Result<Option<NextLink>, EndpointError> {
    let request = HttpUrl::parse(request_url)
        .map_err(|source| EndpointError::BadRequestUrl { url: shorten(request_url), source })?;
    let Some(target) = find_next_target(link_header)? else {
        return Ok(None);
    };
    let next = request
        .join(target)
        .map_err(|source| EndpointError::BadNextLink { target: shorten(target), source })?;
    if next.as_str() == request.normalized() {
        return Err(EndpointError::NextLinkLoops { url: shorten(next.as_str()) });
    }
    Ok(Some(NextLink { url: next.as_str().to_owned(), same_origin: next.origin() == request.origin() }))
}

/// Parses a `Link` header and returns the target of its first link whose `rel` holds `next`.
fn find_next_target(header: &str) -> Result<Option<&str>, EndpointError> {
    let mut cursor = Cursor { text: header, position: 0 };
    let mut next = None;
    loop {
        cursor.skip_while(|c| c == ',' || is_ows(c));
        if cursor.at_end() {
            return Ok(next);
        }
        cursor.expect('<', "expected '<' to start a link")?;
        let target = cursor.take_while(|c| c != '>');
        cursor.expect('>', "'<' without a closing '>'")?;
        let mut rel = None;
        loop {
            cursor.skip_while(is_ows);
            if cursor.at_end() || cursor.peek() == Some(',') {
                break;
            }
            cursor.expect(';', "expected ';' or ',' after a link")?;
            cursor.skip_while(is_ows);
            if matches!(cursor.peek(), None | Some(',' | ';')) {
                continue;
            }
            let name = cursor.take_while(is_tchar);
            if name.is_empty() {
                return Err(cursor.malformed("expected a parameter name"));
            }
            cursor.skip_while(is_ows);
            let value = if cursor.peek() == Some('=') {
                cursor.position += 1;
                cursor.skip_while(is_ows);
                Some(cursor.value()?)
            } else {
                None
            };
            // RFC 8288 section 3.3: occurrences of `rel` after the first are ignored.
            if rel.is_none() && name.eq_ignore_ascii_case("rel") {
                rel = Some(value.unwrap_or_default());
            }
        }
        let is_next =
            rel.is_some_and(|rel| rel.split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("next")));
        if is_next && next.is_none() {
            next = Some(target);
        }
    }
}

/// Optional whitespace (RFC 9110 OWS).
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// A token character (RFC 9110 tchar).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A position in a `Link` header being parsed.
struct Cursor<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    /// Whether everything has been read.
    fn at_end(&self) -> bool {
        self.position >= self.text.len()
    }

    /// The next character, if any.
    fn peek(&self) -> Option<char> {
        self.text.get(self.position..).and_then(|rest| rest.chars().next())
    }

    /// Consumes characters while `keep` says so and returns them.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let rest = self.text.get(self.position..).unwrap_or_default();
        let length = rest.find(|c| !keep(c)).unwrap_or(rest.len());
        self.position += length;
        &rest[..length]
    }

    /// Skips characters while `skip` says so.
    fn skip_while(&mut self, skip: impl Fn(char) -> bool) {
        self.take_while(skip);
    }

    /// Consumes `expected`, or fails with `reason`.
    fn expect(&mut self, expected: char, reason: &'static str) -> Result<(), EndpointError> {
        if self.peek() == Some(expected) {
            self.position += expected.len_utf8();
            Ok(())
        } else {
            Err(self.malformed(reason))
        }
    }

    /// A parameter value: a token or a quoted string (escapes resolved).
    fn value(&mut self) -> Result<String, EndpointError> {
        if self.peek() != Some('"') {
            let token = self.take_while(is_tchar);
            if token.is_empty() {
                return Err(self.malformed("expected a parameter value"));
            }
            return Ok(token.to_owned());
        }
        let start = self.position;
        self.position += 1;
        let mut value = String::new();
        loop {
            match self.peek() {
                None => {
                    self.position = start;
                    return Err(self.malformed("quoted string without a closing '\"'"));
                }
                Some('"') => {
                    self.position += 1;
                    return Ok(value);
                }
                Some('\\') => {
                    self.position += 1;
                    let escaped =
                        self.peek().ok_or_else(|| self.malformed("'\\' at the end of the header"))?;
                    value.push(escaped);
                    self.position += escaped.len_utf8();
                }
                Some(c) if c.is_ascii_control() && c != '\t' => {
                    return Err(self.malformed("control character in a quoted string"));
                }
                Some(c) => {
                    value.push(c);
                    self.position += c.len_utf8();
                }
            }
        }
    }

    /// The error for a malformed header at the current position.
    fn malformed(&self, reason: &'static str) -> EndpointError {
        EndpointError::MalformedLink { position: self.position, reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::ReferenceError;

    const HEX: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    fn reference(s: &str) -> Reference {
        Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn base(s: &str) -> BaseUrl {
        BaseUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn default_base_urls() {
        let cases = [
            ("docker.io", "https://registry-1.docker.io"),
            ("index.docker.io", "https://registry-1.docker.io"),
            ("ghcr.io", "https://ghcr.io"),
            ("Foo", "https://foo"),
            ("registry.example:5000", "https://registry.example:5000"),
            ("localhost", "http://localhost"),
            ("localhost:5000", "http://localhost:5000"),
            ("127.0.0.1:5000", "http://127.0.0.1:5000"),
            ("127.255.3.4", "http://127.255.3.4"),
            ("128.0.0.1:5000", "https://128.0.0.1:5000"),
            ("[::1]:5000", "http://[::1]:5000"),
            ("[0:0:0:0:0:0:0:1]", "http://[0:0:0:0:0:0:0:1]"),
            ("[2001:db8::1]:5000", "https://[2001:db8::1]:5000"),
            ("localhost.example", "https://localhost.example"),
            ("example.com:443", "https://example.com"),
        ];
        for (registry, expected) in cases {
            let url = BaseUrl::for_registry(registry).unwrap_or_else(|e| panic!("{registry}: {e}"));
            assert_eq!(url.to_string(), expected, "{registry}");
        }
    }

    #[test]
    fn bad_registries_are_rejected() {
        for registry in
            ["", "a b", "exa_mple.com", "host:99999", "host:0", "[::g]:5000", "[1:2]", "user@host"]
        {
            let err = BaseUrl::for_registry(registry).expect_err(registry);
            assert_eq!(err.code(), ErrorCode::InvalidArgument, "{registry}: {err}");
        }
    }

    #[test]
    fn base_url_validation() {
        let good = [
            ("https://mirror.example", "https://mirror.example", "mirror.example"),
            ("https://mirror.example/", "https://mirror.example", "mirror.example"),
            ("HTTPS://Mirror.Example:443/prefix/", "https://mirror.example/prefix", "mirror.example"),
            ("http://10.0.0.1:8080/a/b", "http://10.0.0.1:8080/a/b", "10.0.0.1:8080"),
            ("http://[::1]:80", "http://[::1]", "[::1]"),
        ];
        for (input, expected, host) in good {
            let url = base(input);
            assert_eq!((url.to_string().as_str(), url.host()), (expected, host), "{input}");
        }
        let bad: &[(&str, UrlError)] = &[
            ("ftp://mirror.example", UrlError::UnsupportedScheme { scheme: "ftp".into() }),
            ("javascript:alert(1)", UrlError::UnsupportedScheme { scheme: "javascript".into() }),
            ("mirror.example", UrlError::NotAbsolute),
            ("//mirror.example", UrlError::NotAbsolute),
            ("https://user:pw@mirror.example", UrlError::UserInfo),
            ("https://mirror.example?x=1", UrlError::Query),
            ("https://mirror.example/#frag", UrlError::Fragment { position: 23 }),
            ("https://mirror.example//v2", UrlError::BadPathSegment { position: 23 }),
            ("https://mirror.example/a/../b", UrlError::BadPathSegment { position: 25 }),
            ("https://mirror.example/%2E", UrlError::BadPathSegment { position: 23 }),
            ("https://mirror.example:70000", UrlError::BadPort { port: "70000".into() }),
            ("https://mirror example", UrlError::BadCharacter { found: ' ', position: 14 }),
            ("https://mirror.example\\x", UrlError::BadCharacter { found: '\\', position: 22 }),
            ("https://mïrror.example", UrlError::BadCharacter { found: 'ï', position: 9 }),
            (
                "https://[::1",
                UrlError::BadHost {
                    host: "[::1".into(),
                    source: ReferenceError::UnclosedBracket { position: 0 },
                },
            ),
        ];
        for (input, expected) in bad {
            match BaseUrl::parse(input) {
                Err(EndpointError::BadBaseUrl { source, .. }) => assert_eq!(&source, expected, "{input}"),
                other => panic!("{input}: {other:?}"),
            }
        }
        assert!(matches!(
            BaseUrl::parse("https://"),
            Err(EndpointError::BadBaseUrl { source: UrlError::BadHost { .. }, .. })
        ));
    }

    #[test]
    fn endpoints_use_overrides_then_defaults() {
        let mut endpoints = Endpoints::new();
        let hub = BaseUrl::parse("https://mirror.example/hub/").expect("valid");
        endpoints.set_base_url("index.docker.io", hub).expect("valid");
        let ghcr = BaseUrl::parse("https://ghcr-proxy.example").expect("valid");
        endpoints.set_base_url("GHCR.io", ghcr).expect("valid");
        let url = |registry: &str| endpoints.base_url(registry).map(|b| b.to_string());
        assert_eq!(url("docker.io"), Ok("https://mirror.example/hub".into()));
        assert_eq!(url("ghcr.io"), Ok("https://ghcr-proxy.example".into()));
        assert_eq!(url("quay.io"), Ok("https://quay.io".into()));
        let err = BaseUrl::parse("ftp://x").expect_err("ftp");
        assert!(matches!(err, EndpointError::BadBaseUrl { .. }), "{err:?}");
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
        let any = BaseUrl::parse("https://x").expect("valid");
        assert!(matches!(endpoints.set_base_url("bad host", any), Err(EndpointError::BadRegistry { .. })));
    }

    #[test]
    fn relative_base_urls_resolve_against_the_page() {
        let page = "https://site.example/tools/regsight/index.html?image=x#layers";
        let cases = [
            ("/registries/docker.io", "https://site.example/registries/docker.io"),
            ("registries/ghcr.io/", "https://site.example/tools/regsight/registries/ghcr.io"),
            ("../gw/hub", "https://site.example/tools/gw/hub"),
            ("https://mirror.example/hub", "https://mirror.example/hub"),
        ];
        for (given, expected) in cases {
            let base = BaseUrl::resolve(given, page).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(base.to_string(), expected, "{given}");
        }
        for bad in ["/gw?x=1", "/gw#top", "javascript:alert(1)", "//user:pw@evil.example/"] {
            let err = BaseUrl::resolve(bad, page).expect_err(bad);
            assert_eq!(err.code(), ErrorCode::InvalidArgument, "{bad}: {err}");
        }
    }

    #[test]
    fn builders_make_full_urls() {
        let hub = BaseUrl::for_registry("docker.io").expect("default");
        let python = reference("python:2.7");
        assert_eq!(hub.api_root(), "https://registry-1.docker.io/v2/");
        assert_eq!(hub.manifest(&python), "https://registry-1.docker.io/v2/library/python/manifests/2.7");
        assert_eq!(
            hub.tags_list(&python, None, None),
            "https://registry-1.docker.io/v2/library/python/tags/list"
        );
        assert_eq!(
            hub.tags_list(&python, Some(50), Some("3.12 rc&x=1")),
            "https://registry-1.docker.io/v2/library/python/tags/list?n=50&last=3.12%20rc%26x%3D1"
        );
        assert_eq!(
            hub.tags_list(&python, None, Some("v1")),
            "https://registry-1.docker.io/v2/library/python/tags/list?last=v1"
        );

        let mirror = base("https://mirror.example/prefix/");
        let pinned = reference(&format!("localhost:5000/a/b:1@sha256:{HEX}"));
        let digest = pinned.digest().expect("pinned").clone();
        assert_eq!(mirror.api_root(), "https://mirror.example/prefix/v2/");
        assert_eq!(
            mirror.manifest(&pinned),
            format!("https://mirror.example/prefix/v2/a/b/manifests/sha256:{HEX}")
        );
        assert_eq!(
            mirror.blob(&pinned, &digest),
            format!("https://mirror.example/prefix/v2/a/b/blobs/sha256:{HEX}")
        );
        assert_eq!(
            mirror.referrers(&pinned, &digest, None),
            format!("https://mirror.example/prefix/v2/a/b/referrers/sha256:{HEX}")
        );
        assert_eq!(
            mirror.referrers(&pinned, &digest, Some("application/vnd.dev.sigstore.bundle.v0.3+json")),
            format!(
                "https://mirror.example/prefix/v2/a/b/referrers/sha256:{HEX}\
                 ?artifactType=application%2Fvnd.dev.sigstore.bundle.v0.3%2Bjson"
            )
        );
        assert_eq!(mirror.catalog(None, None), "https://mirror.example/prefix/v2/_catalog");
        assert_eq!(
            mirror.catalog(Some(100), Some("a/b")),
            "https://mirror.example/prefix/v2/_catalog?n=100&last=a%2Fb"
        );
        assert_eq!(
            mirror.tags_list(&pinned, None, Some("é~")),
            "https://mirror.example/prefix/v2/a/b/tags/list?last=%C3%A9~"
        );
    }

    #[test]
    fn next_links_resolve_against_the_request() {
        let request = "https://r.example/v2/a/b/tags/list?n=2";
        let cases = [
            // Absolute path, as distribution sends for `_catalog`.
            (
                r#"</v2/a/b/tags/list?n=2&last=x>; rel="next""#,
                "https://r.example/v2/a/b/tags/list?n=2&last=x",
            ),
            // Absolute URL.
            (
                r#"<https://r.example/v2/a/b/tags/list?last=x>; rel=next"#,
                "https://r.example/v2/a/b/tags/list?last=x",
            ),
            // Relative path and query-only references.
            (r#"<list?last=x>; rel="next""#, "https://r.example/v2/a/b/tags/list?last=x"),
            (r#"<../x>; rel="next""#, "https://r.example/v2/a/b/x"),
            (r#"<?last=x>; rel="next""#, "https://r.example/v2/a/b/tags/list?last=x"),
            (r#"<#frag>; rel="next"; title="t""#, "ERR"),
            // Case, several links, several rel values, quoted commas and semicolons, extra params.
            (
                r#"<https://r.example/p1>; rel="prev", </p3>; title="a, b; c"; REL="first next""#,
                "https://r.example/p3",
            ),
            (r#"<https://r.example/p1>;rel="prev",</p2>;Rel=NEXT"#, "https://r.example/p2"),
            (r#"</p2>; rel="next", </p3>; rel="next""#, "https://r.example/p2"),
            (r#"</p2>; rel="prev"; rel="next""#, "NONE"),
            (r#"</p2> ; rel = "next" ,"#, "https://r.example/p2"),
            (r#", , </p2>;; rel="next""#, "https://r.example/p2"),
            (r#"</p2>; title*=UTF-8'de'n%c3%a4chst; rel="next""#, "https://r.example/p2"),
            (r#"</p2>; rel="nextpage""#, "NONE"),
            (r#"</p2>; anchor="x""#, "NONE"),
            ("", "NONE"),
            // Dot segments are removed, percent-encoded ones too (browsers would do the same).
            (r#"</v2/a/./b/%2e%2E/c>; rel="next""#, "https://r.example/v2/a/c"),
            (r#"<//r.example:443/p>; rel="next""#, "https://r.example/p"),
            (r#"<HTTPS://R.EXAMPLE/p>; rel="next""#, "https://r.example/p"),
        ];
        for (header, expected) in cases {
            let got = next_link(header, request);
            match (expected, got) {
                ("NONE", Ok(None)) => {}
                ("ERR", Err(_)) => {}
                (expected, Ok(Some(link))) => {
                    assert_eq!(link.url, expected, "{header}");
                    assert!(link.same_origin, "{header}");
                }
                (expected, other) => panic!("{header}: expected {expected}, got {other:?}"),
            }
        }
    }

    #[test]
    fn next_links_to_another_origin_are_flagged() {
        let request = "https://r.example/v2/_catalog";
        for (header, url) in [
            (
                r#"<https://evil.example/v2/_catalog?last=a>; rel="next""#,
                "https://evil.example/v2/_catalog?last=a",
            ),
            (r#"<http://r.example/v2/_catalog?last=a>; rel="next""#, "http://r.example/v2/_catalog?last=a"),
            (r#"<https://r.example:8443/x>; rel="next""#, "https://r.example:8443/x"),
            (r#"<//evil.example/x>; rel="next""#, "https://evil.example/x"),
        ] {
            let link = next_link(header, request).expect(header).expect(header);
            assert_eq!(link, NextLink { url: url.into(), same_origin: false }, "{header}");
        }
        let json = serde_json::to_value(NextLink { url: "u".into(), same_origin: false }).expect("json");
        assert_eq!(json, serde_json::json!({ "url": "u", "sameOrigin": false }));
    }

    #[test]
    fn same_origin_agrees_with_the_auth_origin_guard() {
        // The auth module decides where credentials may go; a next link must never disagree with it.
        let request = "https://r.example/v2/_catalog?n=1";
        let guard = |url: &str| crate::auth::HttpUrl::parse(url).map(|u| u.origin().clone()).expect(url);
        for target in [
            "/v2/_catalog?last=a",
            "https://R.example:443/x",
            "http://r.example/x",
            "https://r.example:8443/x",
            "//evil.example/x",
            "https://[::1]:5000/x",
            "HTTP://localhost:80/x",
        ] {
            let header = format!("<{target}>; rel=next");
            let link = next_link(&header, request).expect(target).expect(target);
            let same = guard(&link.url) == guard(request);
            assert_eq!(link.same_origin, same, "{target} -> {}", link.url);
        }
    }

    #[test]
    fn malformed_and_hostile_links_are_errors() {
        let request = "https://r.example/v2/a/tags/list";
        let malformed = [
            (r#"/p2; rel="next""#, 0),
            (r#"</p2; rel="next""#, 16),
            (r#"</p2> rel="next""#, 6),
            (r#"</p2>; ="next""#, 7),
            (r#"</p2>; rel="next"#, 11),
            (r#"</p2>; rel="#, 11),
            (r#"</p2>; rel=,"#, 11),
            ("</p2>; rel=\"ne\u{1}xt\"", 14),
            (r#"</p2>; rel="next"x"#, 17),
            (r#"</p2>; rel="next\""#, 11),
            (r#"</p2>; rel="x\"#, 14),
        ];
        for (header, position) in malformed {
            match next_link(header, request) {
                Err(EndpointError::MalformedLink { position: got, reason }) => {
                    assert_eq!(got, position, "{header}: {reason}");
                }
                other => panic!("{header}: {other:?}"),
            }
        }
        let hostile = [
            r#"<javascript:alert(1)>; rel="next""#,
            r#"<data:text/html,x>; rel="next""#,
            r#"<https://user:pw@r.example/x>; rel="next""#,
            r#"<https://r.example/a b>; rel="next""#,
            r#"<https://r.example/é>; rel="next""#,
            r#"<https://r.example:99999/>; rel="next""#,
            r#"<https://[::zz]/>; rel="next""#,
            r#"<//user@evil.example/>; rel="next""#,
            r#"<https:/r.example/x>; rel="next""#,
        ];
        for header in hostile {
            let err = next_link(header, request).expect_err(header);
            assert!(matches!(err, EndpointError::BadNextLink { .. }), "{header}: {err:?}");
            assert_eq!(err.code(), ErrorCode::InvalidResponse);
        }
        // A link back to the same page would make a pager loop forever.
        for header in [r#"<>; rel="next""#, r#"<list>; rel="next""#, r#"<#x>; rel="next""#] {
            let err = next_link(header, request).expect_err(header);
            assert!(matches!(err, EndpointError::NextLinkLoops { .. }), "{header}: {err:?}");
        }
        assert!(matches!(next_link("</x>; rel=next", "/v2/"), Err(EndpointError::BadRequestUrl { .. })));
        // Long hostile values are quoted shortened.
        let long = format!("<https://r.example/{}\u{1}>; rel=next", "a".repeat(5000));
        let message = next_link(&long, request).expect_err("control char").to_string();
        assert!(message.len() < 400, "{message}");
    }
}
