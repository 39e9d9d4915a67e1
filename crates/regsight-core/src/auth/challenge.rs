//! `WWW-Authenticate` values (RFC 7235 section 4.1): one or more challenges, typed for Bearer and Basic.
//!
//! Grammar, with the list rule's optional whitespace and empty elements:
//!
//! ```text
//! WWW-Authenticate = 1#challenge
//! challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param       = token BWS "=" BWS ( token / quoted-string )
//! token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! Commas separate both challenges and parameters; browsers' `Headers.get()` also joins repeated
//! header lines with `", "`. After a comma, a token followed by `=` is a parameter of the current
//! challenge; a token not followed by `=` starts the next challenge. The parser is a single forward
//! pass without backtracking beyond one token, bounded by [`MAX_HEADER_LEN`].

use std::fmt;

use crate::ErrorCode;
use crate::auth::scope::{ScopeError, ScopeSet};
use crate::url::{HttpUrl, UrlError};

/// Longest header value accepted, in bytes. Real challenges are a few hundred bytes; the cap bounds
/// the work and memory a hostile registry can cause.
pub const MAX_HEADER_LEN: usize = 16 * 1024;

/// Most challenges accepted in one header value.
pub const MAX_CHALLENGES: usize = 16;

/// Most parameters accepted in one challenge.
pub const MAX_PARAMS: usize = 32;

/// One challenge: a scheme with either a token68 or parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    token68: Option<String>,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// The scheme as sent (compare with [`Challenge::is_scheme`], which ignores case).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the scheme is `name`, ignoring ASCII case.
    pub fn is_scheme(&self, name: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(name)
    }

    /// The token68 form's value (`Negotiate abc==`), if the challenge uses that form.
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// A parameter's value (unescaped), looked up ignoring the name's ASCII case.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// All parameters in order, names lower-cased.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Parses a whole header value into its challenges (at least one).
pub fn parse_challenges(header: &str) -> Result<Vec<Challenge>, ChallengeError> {
    if header.len() > MAX_HEADER_LEN {
        return Err(ChallengeError::TooLong { len: header.len(), limit: MAX_HEADER_LEN });
    }
    let mut parser = Parser { input: header.as_bytes(), text: header, pos: 0 };
    let mut challenges = Vec::new();
    loop {
        parser.skip_list_separators();
        if parser.at_end() {
            break;
        }
        if challenges.len() == MAX_CHALLENGES {
            return Err(ChallengeError::TooMany { what: "challenges", limit: MAX_CHALLENGES });
        }
        challenges.push(parser.challenge()?);
    }
    if challenges.is_empty() {
        return Err(ChallengeError::Empty);
    }
    Ok(challenges)
}

/// A forward-only cursor over the header's bytes.
struct Parser<'a> {
    input: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Skips spaces and tabs; returns how many.
    fn skip_ows(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Skips whitespace and commas (list separators and the empty elements the list rule allows).
    fn skip_list_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    /// Takes a run of bytes matching `class` (possibly empty).
    fn take_while(&mut self, class: fn(u8) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(class) {
            self.pos += 1;
        }
        // Both ends sit on ASCII bytes or the input's ends, so this is a char boundary.
        self.text.get(start..self.pos).unwrap_or_default()
    }

    /// The error for whatever sits at the cursor, given what was expected there.
    fn unexpected(&self, expected: &'static str) -> ChallengeError {
        match self.text.get(self.pos..).and_then(|rest| rest.chars().next()) {
            None => ChallengeError::UnexpectedEnd { expected },
            Some(found) => ChallengeError::UnexpectedChar { found, position: self.pos, expected },
        }
    }

    /// One challenge, from its scheme up to (not including) the comma that ends it.
    fn challenge(&mut self) -> Result<Challenge, ChallengeError> {
        let scheme = self.take_while(is_tchar).to_owned();
        if scheme.is_empty() {
            return Err(self.unexpected("an auth scheme"));
        }
        let mut challenge = Challenge { scheme, token68: None, params: Vec::new() };
        let spaces = self.skip_ows();
        match self.peek() {
            None | Some(b',') => return Ok(challenge),
            Some(_) if spaces == 0 => return Err(self.unexpected("a space after the auth scheme")),
            Some(_) => {}
        }
        if let Some(token68) = self.token68() {
            challenge.token68 = Some(token68);
            return Ok(challenge);
        }
        self.params(&mut challenge)?;
        Ok(challenge)
    }

    /// A token68 that fills the rest of the challenge, or `None` (cursor unchanged) if what follows
    /// is not one: `realm=x` reads as `realm=` then `x`, so it is parameters instead.
    fn token68(&mut self) -> Option<String> {
        let start = self.pos;
        let body = self.take_while(is_token68_char).len();
        while self.peek() == Some(b'=') {
            self.pos += 1;
        }
        let end = self.pos;
        self.skip_ows();
        if body > 0 && matches!(self.peek(), None | Some(b',')) {
            return self.text.get(start..end).map(str::to_owned);
        }
        self.pos = start;
        None
    }

    /// `#auth-param` for `challenge`, stopping before a comma that starts the next challenge.
    fn params(&mut self, challenge: &mut Challenge) -> Result<(), ChallengeError> {
        loop {
            let name_start = self.pos;
            let name = self.take_while(is_tchar).to_ascii_lowercase();
            if name.is_empty() {
                return Err(self.unexpected("a parameter name"));
            }
            self.skip_ows();
            if self.peek() != Some(b'=') {
                if challenge.params.is_empty() {
                    return Err(self.unexpected("'=' after the parameter name"));
                }
                // A token not followed by '=' after a comma: the next challenge's scheme.
                self.pos = name_start;
                return Ok(());
            }
            self.pos += 1;
            self.skip_ows();
            let value = match self.peek() {
                Some(b'"') => self.quoted_string()?,
                _ => {
                    let token = self.take_while(is_tchar);
                    if token.is_empty() {
                        return Err(self.unexpected("a token or quoted string as parameter value"));
                    }
                    token.to_owned()
                }
            };
            if challenge.param(&name).is_some() {
                return Err(ChallengeError::DuplicateParam { scheme: challenge.scheme.clone(), name });
            }
            if challenge.params.len() == MAX_PARAMS {
                return Err(ChallengeError::TooMany {
                    what: "parameters in one challenge",
                    limit: MAX_PARAMS,
                });
            }
            challenge.params.push((name, value));

            self.skip_ows();
            match self.peek() {
                None => return Ok(()),
                Some(b',') => {
                    self.skip_list_separators();
                    if self.at_end() {
                        return Ok(());
                    }
                }
                Some(_) => return Err(self.unexpected("',' between parameters")),
            }
        }
    }

    /// A quoted string starting at the cursor's `"`, unescaped.
    fn quoted_string(&mut self) -> Result<String, ChallengeError> {
        let open = self.pos;
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ChallengeError::UnterminatedQuote { position: open }),
                Some(b'"') => {
                    self.pos += 1;
                    // Only ASCII bytes were removed, so the rest is still UTF-8.
                    return String::from_utf8(value)
                        .map_err(|_| ChallengeError::UnterminatedQuote { position: open });
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(ChallengeError::UnterminatedQuote { position: open }),
                        Some(c) if is_qdtext(c) || c == b'"' || c == b'\\' => {
                            value.push(c);
                            self.pos += 1;
                        }
                        Some(_) => return Err(self.unexpected("a printable character after '\\'")),
                    }
                }
                Some(c) if is_qdtext(c) => {
                    value.push(c);
                    self.pos += 1;
                }
                Some(_) => return Err(self.unexpected("a printable character in a quoted string")),
            }
        }
    }
}

/// RFC 7230 `tchar`.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// RFC 7235 `token68` characters, without the trailing `=` padding.
fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/".contains(&c)
}

/// RFC 7230 `qdtext` (tab, space, visible ASCII but `"` and `\`, and obs-text bytes).
fn is_qdtext(c: u8) -> bool {
    matches!(c, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// The `error` parameter of a Bearer challenge (RFC 6750 section 3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    /// `invalid_request`: the request was malformed.
    InvalidRequest,
    /// `invalid_token`: the token is expired, revoked or malformed.
    InvalidToken,
    /// `insufficient_scope`: the token does not grant what the request needs.
    InsufficientScope,
    /// Any other value, as sent.
    Other(String),
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::Other(other) => other,
        })
    }
}

/// A `Bearer` challenge: where to get a token and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerChallenge {
    /// The token endpoint (checked: an http/https URL; a relative realm is resolved against the
    /// request that was challenged, as a same-origin gateway sends it).
    pub realm: HttpUrl,
    /// The `service` to name in the token request, if given.
    pub service: Option<String>,
    /// The scopes the registry wants (empty for `/v2/`).
    pub scope: ScopeSet,
    /// Why the previous token failed, if it did.
    pub error: Option<BearerError>,
    /// The registry's human-readable explanation, if any.
    pub error_description: Option<String>,
}

impl BearerChallenge {
    /// Reads a challenge whose scheme is `Bearer`, sent in answer to a request for `request`
    /// (RFC 3986 resolves a relative realm against it; any other scheme than http(s) is refused).
    pub fn from_challenge(challenge: &Challenge, request: &HttpUrl) -> Result<Self, ChallengeError> {
        if !challenge.is_scheme("bearer") {
            return Err(ChallengeError::WrongScheme { expected: "Bearer", found: challenge.scheme.clone() });
        }
        let realm = challenge.param("realm").ok_or(ChallengeError::MissingRealm)?;
        let bad = |source| ChallengeError::BadRealm { realm: crate::auth::shorten(realm), source };
        // Resolution would drop a fragment; a realm that has one is refused as a whole, as before.
        if let Some(position) = realm.find('#') {
            return Err(bad(crate::url::UrlError::Fragment { position }));
        }
        let realm = request.join(realm).map_err(bad)?;
        let scope = ScopeSet::parse(challenge.param("scope").unwrap_or_default())
            .map_err(ChallengeError::BadScope)?;
        let error = challenge.param("error").map(|e| match e {
            "invalid_request" => BearerError::InvalidRequest,
            "invalid_token" => BearerError::InvalidToken,
            "insufficient_scope" => BearerError::InsufficientScope,
            other => BearerError::Other(other.to_owned()),
        });
        Ok(Self {
            realm,
            service: challenge.param("service").map(str::to_owned),
            scope,
            error,
            error_description: challenge.param("error_description").map(str::to_owned),
        })
    }
}

/// A `Basic` challenge (RFC 7617).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicChallenge {
    /// The protection space's label (required by RFC 7617, tolerated when missing).
    pub realm: Option<String>,
}

impl BasicChallenge {
    /// Reads a challenge whose scheme is `Basic`.
    pub fn from_challenge(challenge: &Challenge) -> Result<Self, ChallengeError> {
        if !challenge.is_scheme("basic") {
            return Err(ChallengeError::WrongScheme { expected: "Basic", found: challenge.scheme.clone() });
        }
        Ok(Self { realm: challenge.param("realm").map(str::to_owned) })
    }
}

/// Why a `WWW-Authenticate` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// Empty, or only commas and whitespace.
    #[error("WWW-Authenticate holds no challenge")]
    Empty,
    /// Longer than [`MAX_HEADER_LEN`].
    #[error("WWW-Authenticate is {len} bytes long; the limit is {limit}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// More challenges or parameters than the limits allow.
    #[error("WWW-Authenticate has more than {limit} {what}")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A character that does not fit the grammar where it stands.
    #[error("WWW-Authenticate: expected {expected} at byte {position}, found {found:?}")]
    UnexpectedChar {
        /// The character.
        found: char,
        /// Its byte offset.
        position: usize,
        /// What the grammar wants there.
        expected: &'static str,
    },
    /// The value stops where the grammar wants more.
    #[error("WWW-Authenticate ends where {expected} was expected")]
    UnexpectedEnd {
        /// What the grammar wants there.
        expected: &'static str,
    },
    /// A quoted string opened and never closed.
    #[error("WWW-Authenticate: quoted string opened at byte {position} is never closed")]
    UnterminatedQuote {
        /// Byte offset of the opening quote.
        position: usize,
    },
    /// The same parameter twice in one challenge (RFC 7235 forbids it; which one wins is unclear).
    #[error("WWW-Authenticate: {scheme} challenge has parameter {name:?} twice")]
    DuplicateParam {
        /// The challenge's scheme.
        scheme: String,
        /// The parameter name.
        name: String,
    },
    /// A typed reader was handed a challenge of another scheme.
    #[error("expected a {expected} challenge, found {found:?}")]
    WrongScheme {
        /// The scheme wanted.
        expected: &'static str,
        /// The scheme found.
        found: String,
    },
    /// A Bearer challenge without `realm`, so there is nowhere to ask for a token.
    #[error("Bearer challenge has no realm (token endpoint)")]
    MissingRealm,
    /// The Bearer realm is not an http/https URL we will send anything to.
    #[error("Bearer realm {realm:?} refused: {source}")]
    BadRealm {
        /// The realm as sent (shortened).
        realm: String,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// The Bearer `scope` parameter is malformed.
    #[error("Bearer challenge scope: {0}")]
    BadScope(#[source] ScopeError),
}

impl ChallengeError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLong { .. } | Self::TooMany { .. } => ErrorCode::LimitExceeded,
            _ => ErrorCode::InvalidResponse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &str) -> Vec<Challenge> {
        match parse_challenges(header) {
            Ok(c) => c,
            Err(e) => panic!("{header:?}: {e}"),
        }
    }

    fn challenge(scheme: &str, params: &[(&str, &str)]) -> Challenge {
        Challenge {
            scheme: scheme.to_owned(),
            token68: None,
            params: params.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        }
    }

    #[test]
    fn distribution_bearer_challenge() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#;
        let c = parse(header);
        assert_eq!(c.len(), 1);
        let bearer = BearerChallenge::from_challenge(&c[0], &request());
        let bearer = match bearer {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(bearer.realm.as_str(), "https://auth.docker.io/token");
        assert_eq!(bearer.service.as_deref(), Some("registry.docker.io"));
        assert_eq!(bearer.scope.to_string(), "repository:library/alpine:pull,push");
        assert_eq!(bearer.error, None);
    }

    #[test]
    fn grammar_table() {
        let cases: Vec<(&str, Vec<Challenge>)> = vec![
            ("Basic", vec![challenge("Basic", &[])]),
            (r#"Basic realm="x""#, vec![challenge("Basic", &[("realm", "x")])]),
            (r#"bAsIc REALM = "x" "#, vec![challenge("bAsIc", &[("realm", "x")])]),
            (
                "Bearer realm=tok,service=svc",
                vec![challenge("Bearer", &[("realm", "tok"), ("service", "svc")])],
            ),
            (
                r#"Bearer realm="a", service="b", Basic realm="c""#,
                vec![
                    challenge("Bearer", &[("realm", "a"), ("service", "b")]),
                    challenge("Basic", &[("realm", "c")]),
                ],
            ),
            // What Headers.get() makes of two header lines.
            (
                r#"Basic realm="r", Bearer realm="https://a/t",scope="repository:x:pull,push""#,
                vec![
                    challenge("Basic", &[("realm", "r")]),
                    challenge("Bearer", &[("realm", "https://a/t"), ("scope", "repository:x:pull,push")]),
                ],
            ),
            (
                r#"Digest realm="d", nonce="n", qop="auth,auth-int", Basic"#,
                vec![
                    challenge("Digest", &[("realm", "d"), ("nonce", "n"), ("qop", "auth,auth-int")]),
                    challenge("Basic", &[]),
                ],
            ),
            (r#"A, B, C x=1"#, vec![challenge("A", &[]), challenge("B", &[]), challenge("C", &[("x", "1")])]),
            (r#" , ,Basic realm="x" ,, , "#, vec![challenge("Basic", &[("realm", "x")])]),
            (
                r#"Basic realm="x",,, charset="UTF-8""#,
                vec![challenge("Basic", &[("realm", "x"), ("charset", "UTF-8")])],
            ),
            (r#"Bearer realm="a\"b\\c\d""#, vec![challenge("Bearer", &[("realm", r#"a"b\cd"#)])]),
            (
                r#"Bearer error_description="caf\é ok""#,
                vec![challenge("Bearer", &[("error_description", "café ok")])],
            ),
            (r#"Bearer realm="""#, vec![challenge("Bearer", &[("realm", "")])]),
            ("Bearer\trealm=x", vec![challenge("Bearer", &[("realm", "x")])]),
        ];
        for (header, expected) in cases {
            assert_eq!(parse(header), expected, "{header:?}");
        }
    }

    #[test]
    fn token68_challenges() {
        let c = parse("Negotiate YII+/abc==, Basic realm=x");
        assert_eq!(c[0].token68(), Some("YII+/abc=="));
        assert!(c[0].params().next().is_none());
        assert_eq!(c[1].param("REALM"), Some("x"));
        let c = parse("Negotiate abc");
        assert_eq!(c[0].token68(), Some("abc"));
        // A lone word after the scheme is token68 by the grammar; a Bearer reader then finds no realm.
        let c = parse("Bearer realm");
        assert_eq!(c[0].token68(), Some("realm"));
        let c = parse("Bearer realm=");
        assert_eq!(c[0].token68(), Some("realm="));
        assert_eq!(BearerChallenge::from_challenge(&c[0], &request()), Err(ChallengeError::MissingRealm));
        // `realm=x` is a parameter, not token68 `realm=` followed by junk.
        let c = parse("Basic realm=x");
        assert_eq!(c[0].token68(), None);
        assert_eq!(c[0].param("realm"), Some("x"));
    }

    #[test]
    fn malformed_table() {
        let cases: &[(&str, &str)] = &[
            ("", "no challenge"),
            (" , , ", "no challenge"),
            (r#"Bearer realm="https://a/t"#, "never closed"),
            (r#"Bearer realm="abc\"#, "never closed"),
            (r#"Bearer realm="a", service="b"#, "never closed"),
            (r#"Bearer service=x, realm="#, "ends where a token or quoted string"),
            (r#"Bearer realm=,service=x"#, "a space after the auth scheme"),
            (r#"Bearer realm="a" service="b""#, "',' between parameters"),
            (r#"Bearer realm="a"x"#, "',' between parameters"),
            (r#"Bearer realm x"#, "'=' after the parameter name"),
            (r#"Bearer ="x""#, "a parameter name"),
            (r#""Bearer" realm=x"#, "an auth scheme"),
            (r#"Bearer="x""#, "a space after the auth scheme"),
            ("Bearer realm=\"a\u{1}b\"", "printable character in a quoted string"),
            ("Bearer realm=\"a\\\u{7f}\"", "after '\\'"),
            (r#"Bearer realm="a", realm="b""#, "twice"),
            (r#"Bearer realm="a", REALM="b""#, "twice"),
            ("Bearer realm=caf\u{e9}", "',' between parameters"),
            ("\u{e9}", "an auth scheme"),
        ];
        for (header, expected) in cases {
            match parse_challenges(header) {
                Ok(c) => panic!("{header:?} parsed as {c:?}"),
                Err(e) => assert!(e.to_string().contains(expected), "{header:?}: {e}"),
            }
        }
    }

    #[test]
    fn limits_are_errors() {
        let long = format!(r#"Bearer realm="{}""#, "a".repeat(MAX_HEADER_LEN));
        assert_eq!(
            parse_challenges(&long),
            Err(ChallengeError::TooLong { len: long.len(), limit: MAX_HEADER_LEN })
        );
        let many = vec!["A"; MAX_CHALLENGES + 1].join(", ");
        assert!(matches!(
            parse_challenges(&many),
            Err(ChallengeError::TooMany { limit: MAX_CHALLENGES, .. })
        ));
        let params: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i}=v")).collect();
        let header = format!("Bearer {}", params.join(","));
        assert!(matches!(parse_challenges(&header), Err(ChallengeError::TooMany { limit: MAX_PARAMS, .. })));
        // Quadratic-looking input stays linear and errors cleanly.
        let commas = format!("Bearer realm=x{}", ",".repeat(MAX_HEADER_LEN - 20));
        assert_eq!(parse(&commas).len(), 1);
    }

    #[test]
    fn bearer_typed_access_and_errors() {
        let read = |header: &str| {
            let c = parse(header);
            BearerChallenge::from_challenge(&c[0], &request())
        };
        let b = read(
            r#"Bearer realm="https://a/t",error="insufficient_scope",scope="repository:a:pull repository:b:pull",error_description="nope""#,
        );
        let b = match b {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(b.error, Some(BearerError::InsufficientScope));
        assert_eq!(b.error_description.as_deref(), Some("nope"));
        assert_eq!(b.scope.len(), 2);
        assert_eq!(
            read(r#"Bearer error="invalid_token",realm="http://a""#).map(|b| b.error),
            Ok(Some(BearerError::InvalidToken))
        );
        assert_eq!(read(r#"Bearer service="s""#), Err(ChallengeError::MissingRealm));
        assert!(matches!(read(r#"Basic realm="https://a""#), Err(ChallengeError::WrongScheme { .. })));
        assert!(matches!(
            read(r#"Bearer realm="https://a",scope="nonsense""#),
            Err(ChallengeError::BadScope(_))
        ));
        let hostile = [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:,x",
            "ftp://auth.example/token",
            "https://user:pw@auth.example/token",
            "https://auth.example/t#frag",
            "https://auth example/t",
            "https://good.example\\\\@evil.example/",
        ];
        for realm in hostile {
            let header = format!(r#"Bearer realm="{realm}""#);
            assert!(matches!(read(&header), Err(ChallengeError::BadRealm { .. })), "{realm:?}");
        }
        // A same-origin gateway sends relative realms: RFC 3986 resolves them against the request.
        let resolved = [
            ("/realms/docker.io/token", "https://registry.example/realms/docker.io/token"),
            ("token?x=1", "https://registry.example/gw/v2/library/alpine/manifests/token?x=1"),
            ("//auth.example/t", "https://auth.example/t"),
            ("../../../../../t", "https://registry.example/t"),
        ];
        for (realm, expected) in resolved {
            let header = format!(r#"Bearer realm="{realm}""#);
            assert_eq!(
                read(&header).map(|b| b.realm.as_str().to_owned()),
                Ok(expected.to_owned()),
                "{realm}"
            );
        }
    }

    /// The request the challenges in these tests answer.
    fn request() -> HttpUrl {
        HttpUrl::parse("https://registry.example/gw/v2/library/alpine/manifests/latest").expect("url")
    }

    #[test]
    fn basic_typed_access() {
        let c = parse(r#"Basic realm="Registry Realm", charset="UTF-8""#);
        assert_eq!(
            BasicChallenge::from_challenge(&c[0]),
            Ok(BasicChallenge { realm: Some("Registry Realm".to_owned()) })
        );
        let c = parse("basic");
        assert_eq!(BasicChallenge::from_challenge(&c[0]), Ok(BasicChallenge { realm: None }));
    }
}
