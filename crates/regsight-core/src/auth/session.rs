//! Per-registry authentication as a state machine that a thin I/O adapter drives.
//!
//! The session decides which `Authorization` header goes on each registry request, when to visit
//! the token realm, and when to give up; the adapter does the HTTP and passes `now` in.

use std::fmt;

use crate::ErrorCode;
use crate::auth::basic::Password;
use crate::auth::cache::{CacheKey, TokenCache};
use crate::auth::challenge::{BearerChallenge, BearerError, ChallengeError, parse_challenges};
use crate::auth::grant::{self, Grant, Refusal, TokenForm};
use crate::auth::header::AuthHeader;
use crate::auth::realms::RealmMemory;
use crate::auth::scope::{ScopeError, ScopeSet};
use crate::auth::time::UnixMillis;
use crate::auth::token::{self, BearerToken, TokenError, TokenResponse};
use crate::auth::truncate;
use crate::url::{HttpUrl, Origin, UrlError};

/// Most times one request is sent to the registry (first try plus retries).
pub const MAX_SENDS: u8 = 3;

/// Most token requests made for one registry request: one more than a single fetch needs, for a
/// cached token the registry no longer takes or a scope it adds, and one more for a token POST
/// that falls back to GET (or a refresh token that falls back to the password).
pub const MAX_TOKEN_FETCHES: u8 = 3;

/// Longest message from a registry or token service quoted in an error, in characters.
const MAX_DETAIL_CHARS: usize = 200;

/// Who the user is to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Nobody: anonymous tokens only.
    Anonymous,
    /// A username and password: Basic to a Basic registry, or to the token realm of a Bearer one.
    Password(Password),
    /// A bearer token obtained elsewhere, sent as is to the registry and never to anyone else.
    Token(BearerToken),
}

/// What to do next for one registry request.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send (or send again) the registry request to [`Attempt::url`], with this header if any,
    /// then call [`Session::handle_response`].
    Send {
        /// The `Authorization` header to attach; it is bound to [`Attempt::url`].
        authorization: Option<AuthHeader>,
    },
    /// Send this token request to the realm, then call [`Session::handle_token_response`].
    FetchToken(TokenRequest),
    /// The last registry response is final as far as authentication goes: use it.
    Done,
}

/// A request to the token realm: a GET (Docker token auth) or an OAuth2 form POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    url: HttpUrl,
    authorization: Option<AuthHeader>,
    form: Option<TokenForm>,
}

impl TokenRequest {
    /// The HTTP method: `POST` with a form, else `GET`.
    pub fn method(&self) -> &'static str {
        if self.form.is_some() { "POST" } else { "GET" }
    }

    /// The full URL: for a GET, the realm plus `service`, `scope` and `account` parameters; for a
    /// POST, the realm as named.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Basic credentials for the realm: a GET's when the session has a password.
    pub fn authorization(&self) -> Option<&AuthHeader> {
        self.authorization.as_ref()
    }

    /// A POST's form, sent as [`TokenRequest::content_type`].
    pub fn form(&self) -> Option<&TokenForm> {
        self.form.as_ref()
    }

    /// The body's content type, for a POST.
    pub fn content_type(&self) -> Option<&'static str> {
        self.form.as_ref().map(|_| grant::CONTENT_TYPE)
    }
}

/// One registry request going through authentication; create with [`Session::start`].
#[derive(Debug, Clone)]
pub struct Attempt {
    url: HttpUrl,
    scopes: ScopeSet,
    state: State,
    sent: Sent,
    sends: u8,
    token_fetches: u8,
    /// Whether a token was already asked for again with the scopes an `insufficient_scope` named.
    rescoped: bool,
}

#[derive(Debug, Clone)]
enum State {
    AwaitingResponse,
    AwaitingToken { key: CacheKey, requested_at: UnixMillis, asked: Asked },
    Finished,
}

/// How the token being awaited was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Get,
    PasswordGrant,
    RefreshGrant,
}

/// What the last send to the registry carried.
#[derive(Debug, Clone)]
enum Sent {
    Nothing,
    Basic,
    PreIssued,
    Token { key: CacheKey, fresh: bool },
}

impl Attempt {
    /// The registry URL this attempt is for.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The scopes the request needs.
    pub fn scopes(&self) -> &ScopeSet {
        &self.scopes
    }

    /// Whether the attempt is over (after [`Action::Done`] or an error).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// Records a send and builds the header for it.
    fn send(&mut self, sent: Sent, value: Option<String>) -> Result<Action, AuthError> {
        if self.sends >= MAX_SENDS {
            return Err(AuthError::TooManyRounds { what: "registry requests", limit: MAX_SENDS });
        }
        self.sends += 1;
        self.sent = sent;
        self.state = State::AwaitingResponse;
        Ok(Action::Send { authorization: value.map(|v| AuthHeader::new(self.url.clone(), v)) })
    }
}

/// What the registry is known to want, learned from its last challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    Nothing,
    Basic,
    Bearer { realm: HttpUrl, service: Option<String> },
}

/// Authentication state for one registry: credentials, what the registry asked for, and tokens.
///
/// # Call order
///
/// For every registry request:
///
/// 1. [`Session::start`] with the request URL (which must be on the registry's origin) and the
///    scopes it needs. It returns an [`Attempt`] and the first [`Action`].
/// 2. Loop on the action:
///    - [`Action::Send`]: send the request to [`Attempt::url`] with the given header, then pass the
///      status and the `WWW-Authenticate` value to [`Session::handle_response`];
///    - [`Action::FetchToken`]: send [`TokenRequest::method`] to [`TokenRequest::url`] with its
///      header or its form, then pass status and body to [`Session::handle_token_response`];
///    - [`Action::Done`]: the last registry response is the one to use.
/// 3. An error ends the attempt; it says why (wrong password, insufficient scope, bad challenge...).
///
/// With a password, a token is asked for by an OAuth2 POST (a refresh token the realm gave before,
/// else the password) and by GET with Basic credentials from a realm that does not take the POST;
/// without one, by GET (see [`crate::auth::grant`]).
///
/// Every method takes the caller's `now`. One attempt ends after at most [`MAX_SENDS`] registry
/// requests and [`MAX_TOKEN_FETCHES`] token requests. Several attempts may be in flight at once;
/// they share the token cache and what the session learned about the registry and its realms.
///
/// ```
/// # use regsight_core::auth::{Session, Credentials, Action, ScopeSet, Scope, UnixMillis};
/// let mut session = Session::new("https://registry.example", Credentials::Anonymous)?;
/// let scopes = ScopeSet::from(Scope::repository_pull("library/alpine")?);
/// let now = UnixMillis(1_700_000_000_000);
/// let url = "https://registry.example/v2/library/alpine/manifests/latest";
/// let (mut attempt, action) = session.start(url, scopes, now)?;
/// assert_eq!(action, Action::Send { authorization: None });
/// let challenge = r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:library/alpine:pull""#;
/// let Action::FetchToken(request) = session.handle_response(&mut attempt, 401, Some(challenge), now)? else { panic!() };
/// assert_eq!(request.url(), "https://auth.example/token?service=registry.example&scope=repository%3Alibrary%2Falpine%3Apull");
/// let action = session.handle_token_response(&mut attempt, 200, br#"{"token":"abc"}"#, now)?;
/// let Action::Send { authorization: Some(header) } = action else { panic!() };
/// assert_eq!((header.url(), header.value()), (url, "Bearer abc"));
/// assert_eq!(session.handle_response(&mut attempt, 200, None, now)?, Action::Done);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    registry: HttpUrl,
    credentials: Credentials,
    known: Known,
    cache: TokenCache,
    realms: RealmMemory,
}

impl Session {
    /// A session for the registry at `registry_url` (any URL on its origin, e.g. `https://host:5000`).
    pub fn new(registry_url: &str, credentials: Credentials) -> Result<Self, AuthError> {
        let registry = HttpUrl::parse(registry_url).map_err(|source| AuthError::BadRegistryUrl {
            url: truncate(registry_url, MAX_DETAIL_CHARS),
            source,
        })?;
        Ok(Self {
            registry,
            credentials,
            known: Known::Nothing,
            cache: TokenCache::default(),
            realms: RealmMemory::default(),
        })
    }

    /// Replaces the token cache with an empty one holding at most `capacity` tokens.
    #[must_use]
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = TokenCache::new(capacity);
        self
    }

    /// The registry's origin: the only place registry requests and their headers may go.
    pub fn registry(&self) -> &Origin {
        self.registry.origin()
    }

    /// Number of tokens cached.
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }

    /// Begins a registry request to `url` needing `scopes`; refuses URLs on another origin.
    pub fn start(
        &mut self,
        url: &str,
        scopes: ScopeSet,
        now: UnixMillis,
    ) -> Result<(Attempt, Action), AuthError> {
        let url = HttpUrl::parse(url)
            .map_err(|source| AuthError::BadRequestUrl { url: truncate(url, MAX_DETAIL_CHARS), source })?;
        if url.origin() != self.registry.origin() {
            return Err(AuthError::ForeignOrigin {
                url: truncate(url.as_str(), MAX_DETAIL_CHARS),
                registry: self.registry.origin().to_string(),
            });
        }
        let mut attempt = Attempt {
            url,
            scopes,
            state: State::Finished,
            sent: Sent::Nothing,
            sends: 0,
            token_fetches: 0,
            rescoped: false,
        };
        let action = match (&self.credentials, &self.known) {
            (Credentials::Token(token), _) => {
                attempt.send(Sent::PreIssued, Some(token.authorization_value()))
            }
            (Credentials::Password(password), Known::Basic) => {
                attempt.send(Sent::Basic, Some(password.authorization_value()))
            }
            (_, Known::Bearer { realm, service }) => {
                let key = CacheKey {
                    realm: realm.clone(),
                    service: service.clone(),
                    scopes: attempt.scopes.clone(),
                };
                match self.cache.get(&key, now) {
                    Some(token) => {
                        let value = token.authorization_value();
                        attempt.send(Sent::Token { key, fresh: false }, Some(value))
                    }
                    None => self.fetch_token(&mut attempt, key, now),
                }
            }
            (_, Known::Nothing | Known::Basic) => attempt.send(Sent::Nothing, None),
        }?;
        Ok((attempt, action))
    }

    /// Takes the registry's answer to [`Action::Send`]: its status and `WWW-Authenticate` value.
    ///
    /// Anything but 401, and 403 without an `insufficient_scope` Bearer challenge, is [`Action::Done`].
    pub fn handle_response(
        &mut self,
        attempt: &mut Attempt,
        status: u16,
        www_authenticate: Option<&str>,
        now: UnixMillis,
    ) -> Result<Action, AuthError> {
        if !matches!(attempt.state, State::AwaitingResponse) {
            return Err(AuthError::CallOrder { expected: "handle_response only after Action::Send" });
        }
        attempt.state = State::Finished;
        match (status, www_authenticate) {
            (401, None) => Err(AuthError::MissingChallenge { server: self.registry.origin().to_string() }),
            (401, Some(header)) => {
                let challenges = parse_challenges(header)?;
                if let Some(bearer) = challenges.iter().find(|c| c.is_scheme("bearer")) {
                    let bearer = BearerChallenge::from_challenge(bearer, &attempt.url)?;
                    return self.on_bearer(attempt, bearer, now);
                }
                if challenges.iter().any(|c| c.is_scheme("basic")) {
                    return self.on_basic(attempt);
                }
                let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme()).collect();
                Err(AuthError::UnsupportedChallenge {
                    schemes: truncate(&schemes.join(", "), MAX_DETAIL_CHARS),
                })
            }
            (403, Some(header)) => {
                // Only an insufficient_scope Bearer challenge is ours; other 403s carry a DENIED body.
                let bearer = parse_challenges(header).ok().and_then(|challenges| {
                    let bearer = challenges.iter().find(|c| c.is_scheme("bearer"))?;
                    BearerChallenge::from_challenge(bearer, &attempt.url).ok()
                });
                match bearer {
                    Some(b) if b.error == Some(BearerError::InsufficientScope) => {
                        self.on_bearer(attempt, b, now)
                    }
                    _ => Ok(Action::Done),
                }
            }
            _ => Ok(Action::Done),
        }
    }

    /// Takes the token realm's answer to [`Action::FetchToken`]: its status and body.
    ///
    /// When the realm fails, the session forgets it: the next request starts without credentials
    /// and learns its realm from its own challenge, so one repository's broken realm does not
    /// decide where every other repository's token requests go.
    pub fn handle_token_response(
        &mut self,
        attempt: &mut Attempt,
        status: u16,
        body: &[u8],
        now: UnixMillis,
    ) -> Result<Action, AuthError> {
        let action = self.take_token_response(attempt, status, body, now);
        if action.is_err() {
            self.known = Known::Nothing;
        }
        action
    }

    fn take_token_response(
        &mut self,
        attempt: &mut Attempt,
        status: u16,
        body: &[u8],
        now: UnixMillis,
    ) -> Result<Action, AuthError> {
        let State::AwaitingToken { key, requested_at, asked } =
            std::mem::replace(&mut attempt.state, State::Finished)
        else {
            return Err(AuthError::CallOrder {
                expected: "handle_token_response only after Action::FetchToken",
            });
        };
        let server = key.realm.origin().to_string();
        let detail = || token::error_message(body);
        if asked != Asked::Get {
            let unauthorized =
                |reason| AuthError::Unauthorized { server: server.clone(), reason, detail: detail() };
            match (Refusal::of(status, body), asked) {
                (Refusal::NotSupported, _) => {
                    self.realms.mark_get_only(&key.realm);
                    return self.fetch_token(attempt, key, now);
                }
                (Refusal::InvalidGrant, Asked::RefreshGrant) => {
                    self.realms.forget_refresh_token(&key.realm, key.service.as_deref());
                    return self.fetch_token(attempt, key, now);
                }
                (Refusal::InvalidGrant, _) => {
                    return Err(unauthorized(UnauthorizedReason::RealmWrongPassword));
                }
                (Refusal::Refused, _) => return Err(unauthorized(UnauthorizedReason::RealmRefusedRequest)),
                (Refusal::Other, _) => {}
            }
        }
        match status {
            200..=299 => {}
            401 => {
                let reason = match self.credentials {
                    Credentials::Password(_) => UnauthorizedReason::RealmWrongPassword,
                    _ => UnauthorizedReason::RealmNeedsCredentials,
                };
                return Err(AuthError::Unauthorized { server, reason, detail: detail() });
            }
            403 => return Err(AuthError::TokenDenied { server, detail: detail() }),
            429 => return Err(AuthError::TokenRateLimited { server }),
            _ => return Err(AuthError::TokenEndpointStatus { server, status }),
        }
        let response = TokenResponse::parse(body)?;
        if let (Some(refresh), Asked::PasswordGrant | Asked::RefreshGrant) = (&response.refresh_token, asked)
        {
            self.realms.keep_refresh_token(&key.realm, key.service.as_deref(), refresh.clone());
        }
        // Count the lifetime from when we asked: the server issued the token no earlier than that.
        let expires_at = response.expires_at(requested_at.min(now));
        self.cache.insert(key.clone(), response.token.clone(), expires_at, now);
        attempt.send(Sent::Token { key, fresh: true }, Some(response.token.authorization_value()))
    }

    /// A Bearer challenge on a 401 (or a 403 with `insufficient_scope`).
    fn on_bearer(
        &mut self,
        attempt: &mut Attempt,
        challenge: BearerChallenge,
        now: UnixMillis,
    ) -> Result<Action, AuthError> {
        if self.registry.origin().is_secure() && !challenge.realm.origin().is_secure() {
            return Err(AuthError::InsecureRealm {
                realm: challenge.realm.origin().to_string(),
                registry: self.registry.origin().to_string(),
            });
        }
        self.known = Known::Bearer { realm: challenge.realm.clone(), service: challenge.service.clone() };
        let server = self.registry.origin().to_string();
        let detail = challenge.error_description.as_deref().map(|d| truncate(d, MAX_DETAIL_CHARS));
        let insufficient = challenge.error == Some(BearerError::InsufficientScope);
        let insufficient_error =
            |detail| AuthError::InsufficientScope { scope: challenge.scope.clone(), detail };

        match std::mem::replace(&mut attempt.sent, Sent::Nothing) {
            Sent::PreIssued if insufficient => Err(insufficient_error(detail)),
            Sent::PreIssued => {
                Err(AuthError::Unauthorized { server, reason: UnauthorizedReason::TokenRejected, detail })
            }
            Sent::Token { key, .. } if insufficient => {
                // Ask again, once, only if we asked for less than the registry names; the realm grants
                // the intersection of asked and allowed silently, so asking for the same again cannot help.
                if key.scopes.covers(&challenge.scope) || attempt.rescoped {
                    return Err(insufficient_error(detail));
                }
                attempt.rescoped = true;
                let scopes = key.scopes.union(&challenge.scope)?;
                self.fetch_token(attempt, CacheKey { scopes, ..key }, now)
            }
            Sent::Token { key, fresh } => {
                self.cache.invalidate(&key);
                if fresh {
                    return Err(AuthError::Unauthorized {
                        server,
                        reason: UnauthorizedReason::FreshTokenRejected,
                        detail,
                    });
                }
                // A cached token the registry no longer takes (expired on its clock, revoked): once more.
                let scopes = attempt.scopes.union(&challenge.scope)?;
                self.fetch_token(attempt, Self::key_for(&challenge, scopes), now)
            }
            Sent::Nothing | Sent::Basic => {
                let scopes = attempt.scopes.union(&challenge.scope)?;
                self.fetch_token(attempt, Self::key_for(&challenge, scopes), now)
            }
        }
    }

    /// A Basic challenge on a 401.
    fn on_basic(&mut self, attempt: &mut Attempt) -> Result<Action, AuthError> {
        self.known = Known::Basic;
        let server = self.registry.origin().to_string();
        let unauthorized = |reason| Err(AuthError::Unauthorized { server, reason, detail: None });
        match (&self.credentials, std::mem::replace(&mut attempt.sent, Sent::Nothing)) {
            (Credentials::Password(_), Sent::Basic) => unauthorized(UnauthorizedReason::WrongPassword),
            (Credentials::Password(password), _) => {
                attempt.send(Sent::Basic, Some(password.authorization_value()))
            }
            (Credentials::Anonymous, _) => unauthorized(UnauthorizedReason::NeedsCredentials),
            (Credentials::Token(_), _) => unauthorized(UnauthorizedReason::BasicWantsPassword),
        }
    }

    fn key_for(challenge: &BearerChallenge, scopes: ScopeSet) -> CacheKey {
        CacheKey { realm: challenge.realm.clone(), service: challenge.service.clone(), scopes }
    }

    /// Builds the token request for `key` and waits for its answer: with a password, a POST (the
    /// realm's refresh token if it gave one, else the password) unless the realm is GET-only.
    fn fetch_token(
        &self,
        attempt: &mut Attempt,
        key: CacheKey,
        now: UnixMillis,
    ) -> Result<Action, AuthError> {
        if attempt.token_fetches >= MAX_TOKEN_FETCHES {
            return Err(AuthError::TooManyRounds { what: "token requests", limit: MAX_TOKEN_FETCHES });
        }
        attempt.token_fetches += 1;
        let password = match &self.credentials {
            Credentials::Password(password) => Some(password),
            Credentials::Anonymous | Credentials::Token(_) => None,
        };
        if let Some(password) = password.filter(|_| !self.realms.is_get_only(&key.realm)) {
            let (grant, asked) = match self.realms.refresh_token(&key.realm, key.service.as_deref()) {
                Some(refresh) => (Grant::RefreshToken(refresh.clone()), Asked::RefreshGrant),
                None => (Grant::Password(password.clone()), Asked::PasswordGrant),
            };
            let form = TokenForm::new(&grant, key.service.as_deref(), &key.scopes);
            let url = key.realm.clone();
            attempt.state = State::AwaitingToken { key, requested_at: now, asked };
            return Ok(Action::FetchToken(TokenRequest { url, authorization: None, form: Some(form) }));
        }
        let url = token::token_request_url(
            &key.realm,
            key.service.as_deref(),
            &key.scopes,
            password.map(Password::username),
        );
        let url = HttpUrl::parse(&url)
            .map_err(|source| AuthError::TokenRequestUrl { url: truncate(&url, MAX_DETAIL_CHARS), source })?;
        // Appending a query keeps the realm's origin, so the password goes to the realm and nowhere else.
        let authorization = password.map(|p| AuthHeader::new(url.clone(), p.authorization_value()));
        attempt.state = State::AwaitingToken { key, requested_at: now, asked: Asked::Get };
        Ok(Action::FetchToken(TokenRequest { url, authorization, form: None }))
    }
}

/// Why the registry or its token service did not let us in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthorizedReason {
    /// Anonymous access was refused by a Basic registry.
    NeedsCredentials,
    /// The Basic registry refused the username and password.
    WrongPassword,
    /// The registry refused the pre-issued bearer token.
    TokenRejected,
    /// The registry refused a token its own realm had just issued.
    FreshTokenRejected,
    /// A Basic registry cannot use a bearer token.
    BasicWantsPassword,
    /// The token service refused anonymous access.
    RealmNeedsCredentials,
    /// The token service refused the username and password.
    RealmWrongPassword,
    /// The token service refused an OAuth2 token request for another reason it names.
    RealmRefusedRequest,
}

impl fmt::Display for UnauthorizedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NeedsCredentials => "the registry needs a username and password",
            Self::WrongPassword => "the registry rejected the username or password",
            Self::TokenRejected => "the registry rejected the bearer token",
            Self::FreshTokenRejected => "the registry rejected a token its token service had just issued",
            Self::BasicWantsPassword => "the registry wants a username and password, not a bearer token",
            Self::RealmNeedsCredentials => "the token service needs a username and password",
            Self::RealmWrongPassword => "the token service rejected the username or password",
            Self::RealmRefusedRequest => "the token service refused the login request",
        })
    }
}

/// ` (it says "<detail>")`, or nothing without a detail.
fn says(detail: &Option<String>) -> String {
    detail.as_ref().map(|d| format!(" (it says {d:?})")).unwrap_or_default()
}

/// Why a registry request could not be authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The registry URL given to [`Session::new`] is unusable.
    #[error("invalid registry url {url:?}: {source}")]
    BadRegistryUrl {
        /// The URL (shortened).
        url: String,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// A request URL given to [`Session::start`] is unusable.
    #[error("invalid request url {url:?}: {source}")]
    BadRequestUrl {
        /// The URL (shortened).
        url: String,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// A request URL on another origin than the registry's: nothing is attached to it.
    #[error("refusing to authenticate a request to {url:?}: it is not on the registry's origin {registry}")]
    ForeignOrigin {
        /// The URL (shortened).
        url: String,
        /// The registry's origin.
        registry: String,
    },
    /// A 401 without `WWW-Authenticate`.
    #[error(
        "{server} answered 401 without a WWW-Authenticate header; if it sent one, the browser hid it: \
         the registry must list WWW-Authenticate in Access-Control-Expose-Headers"
    )]
    MissingChallenge {
        /// The registry's origin.
        server: String,
    },
    /// The `WWW-Authenticate` value is malformed or unusable.
    #[error(transparent)]
    Challenge(#[from] ChallengeError),
    /// Only schemes we do not speak (Digest, Negotiate, ...).
    #[error("the registry asks for authentication schemes this client does not support: {schemes}")]
    UnsupportedChallenge {
        /// The schemes offered.
        schemes: String,
    },
    /// An https registry pointing at a plain-http token realm (credentials would travel in clear).
    #[error("refusing token realm {realm}: the registry {registry} uses https but the realm does not")]
    InsecureRealm {
        /// The realm's origin.
        realm: String,
        /// The registry's origin.
        registry: String,
    },
    /// Credentials missing or refused.
    #[error("{server}: {reason}{}", says(detail))]
    Unauthorized {
        /// The origin that refused (registry or token service).
        server: String,
        /// What went wrong.
        reason: UnauthorizedReason,
        /// The server's own explanation, if any (shortened).
        detail: Option<String>,
    },
    /// The token does not grant what the request needs; asking again would not help.
    #[error("access denied: the token does not grant {}{}", if scope.is_empty() { "what the request needs".to_owned() } else { scope.to_string() }, says(detail))]
    InsufficientScope {
        /// The scopes the registry named.
        scope: ScopeSet,
        /// The registry's explanation, if any (shortened).
        detail: Option<String>,
    },
    /// The token service answered 403.
    #[error("the token service {server} denied access{}", says(detail))]
    TokenDenied {
        /// The realm's origin.
        server: String,
        /// Its explanation, if any.
        detail: Option<String>,
    },
    /// The token service answered 429.
    #[error("the token service {server} is rate-limiting requests; try again later")]
    TokenRateLimited {
        /// The realm's origin.
        server: String,
    },
    /// The token service answered another non-2xx status.
    #[error("the token service {server} answered HTTP {status}")]
    TokenEndpointStatus {
        /// The realm's origin.
        server: String,
        /// The status.
        status: u16,
    },
    /// The token request URL came out unusable (too long with many scopes).
    #[error("unusable token request url {url:?}: {source}")]
    TokenRequestUrl {
        /// The URL (shortened).
        url: String,
        /// What is wrong with it.
        #[source]
        source: UrlError,
    },
    /// The token service's answer is unusable.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Merging scopes went over the limit.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// A bound on retries was reached.
    #[error("gave up after {limit} {what} for one registry request")]
    TooManyRounds {
        /// What was repeated.
        what: &'static str,
        /// The limit.
        limit: u8,
    },
    /// A method was called out of the documented order (a bug in the caller).
    #[error("auth session used out of order: call {expected}")]
    CallOrder {
        /// The rule broken.
        expected: &'static str,
    },
}

impl AuthError {
    /// The stable error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRegistryUrl { .. } | Self::BadRequestUrl { .. } => ErrorCode::InvalidArgument,
            Self::TokenRequestUrl { source, .. } => source.code(),
            Self::ForeignOrigin { .. } | Self::InsecureRealm { .. } => ErrorCode::InvalidResponse,
            Self::MissingChallenge { .. } | Self::Unauthorized { .. } => ErrorCode::Unauthorized,
            Self::Challenge(e) => e.code(),
            Self::UnsupportedChallenge { .. } | Self::CallOrder { .. } => ErrorCode::Unsupported,
            Self::InsufficientScope { .. } | Self::TokenDenied { .. } => ErrorCode::Denied,
            Self::TokenRateLimited { .. } => ErrorCode::TooManyRequests,
            Self::TokenEndpointStatus { .. } => ErrorCode::Registry,
            Self::Token(e) => e.code(),
            Self::Scope(e) => e.code(),
            Self::TooManyRounds { .. } => ErrorCode::LimitExceeded,
        }
    }
}
