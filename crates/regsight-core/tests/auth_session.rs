//! Drives `auth::Session` through the flows a registry client meets: anonymous and password token
//! flows (OAuth2 POST with refresh tokens, GET fallback), Basic registries, pre-issued tokens,
//! expiry, refresh, insufficient scope, bad challenges and hostile realms. Each test plays the
//! registry and the token service by hand.

use proptest::prelude::*;
use regsight_core::ErrorCode;
use regsight_core::auth::session::{MAX_SENDS, MAX_TOKEN_FETCHES};
use regsight_core::auth::{
    Action, AuthError, AuthHeader, BearerToken, ChallengeError, Credentials, Password, Scope, ScopeSet,
    Session, TokenRequest, UnauthorizedReason, UnixMillis,
};
use regsight_core::transcript::FormValue;

const REGISTRY: &str = "https://registry.example";
const MANIFEST: &str = "https://registry.example/v2/library/alpine/manifests/latest";
const REALM: &str = "https://auth.example/token";
const T0: UnixMillis = UnixMillis(1_700_000_000_000);

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn pull(name: &str) -> ScopeSet {
    match Scope::repository_pull(name) {
        Ok(scope) => ScopeSet::from(scope),
        Err(e) => panic!("{e}"),
    }
}

fn bearer(scope: &str, error: Option<&str>) -> String {
    let mut header = format!(r#"Bearer realm="{REALM}",service="registry.example""#);
    if !scope.is_empty() {
        header.push_str(&format!(r#",scope="{scope}""#));
    }
    if let Some(error) = error {
        header.push_str(&format!(r#",error="{error}",error_description="registry says {error}""#));
    }
    header
}

fn token_body(token: &str, expires_in: Option<u64>) -> Vec<u8> {
    match expires_in {
        Some(secs) => format!(r#"{{"token":"{token}","expires_in":{secs}}}"#).into_bytes(),
        None => format!(r#"{{"token":"{token}"}}"#).into_bytes(),
    }
}

fn password(user: &str, pass: &str) -> Credentials {
    match Password::new(user, pass) {
        Ok(p) => Credentials::Password(p),
        Err(e) => panic!("{e}"),
    }
}

/// The header of a `Send`, panicking on any other action.
fn sent(action: Action) -> Option<AuthHeader> {
    match action {
        Action::Send { authorization } => authorization,
        other => panic!("expected Send, got {other:?}"),
    }
}

/// The token request of a `FetchToken`, panicking on any other action.
fn fetch(action: Action) -> TokenRequest {
    match action {
        Action::FetchToken(request) => request,
        other => panic!("expected FetchToken, got {other:?}"),
    }
}

fn value(header: Option<AuthHeader>) -> Option<String> {
    header.map(|h| h.value().to_owned())
}

/// Gets `token` into the session's cache for `scopes` through the anonymous flow, at `now`.
fn prime(
    session: &mut Session,
    scopes: &ScopeSet,
    token: &str,
    expires_in: Option<u64>,
    now: UnixMillis,
) -> TestResult {
    let (mut attempt, action) = session.start(MANIFEST, scopes.clone(), now)?;
    let action = match action {
        Action::Send { .. } => {
            session.handle_response(&mut attempt, 401, Some(&bearer(&scopes.to_string(), None)), now)?
        }
        other => other,
    };
    fetch(action);
    let action = session.handle_token_response(&mut attempt, 200, &token_body(token, expires_in), now)?;
    assert_eq!(value(sent(action)), Some(format!("Bearer {token}")));
    assert_eq!(session.handle_response(&mut attempt, 200, None, now)?, Action::Done);
    Ok(())
}

#[test]
fn anonymous_token_flow() -> TestResult {
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    let (mut attempt, action) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    assert_eq!(sent(action), None, "nothing is known yet: go without credentials");

    let challenge = bearer("repository:library/alpine:pull", None);
    let request = fetch(session.handle_response(&mut attempt, 401, Some(&challenge), T0)?);
    assert_eq!(
        request.url(),
        "https://auth.example/token?service=registry.example&scope=repository%3Alibrary%2Falpine%3Apull"
    );
    assert_eq!(request.authorization(), None, "anonymous: no credentials to the realm");
    assert_eq!((request.method(), request.form(), request.content_type()), ("GET", None, None));

    let header =
        sent(session.handle_token_response(&mut attempt, 200, &token_body("tok-1", Some(300)), T0)?);
    let header = header.ok_or("a token header")?;
    assert_eq!(header.value(), "Bearer tok-1");
    assert_eq!(header.url(), MANIFEST);
    assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);
    assert!(attempt.is_finished());

    // Same scope again: straight from the cache, no 401 round trip.
    let (_, action) = session.start(
        "https://registry.example/v2/library/alpine/blobs/sha256:00",
        pull("library/alpine"),
        T0,
    )?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer tok-1"));

    // Another repository: the realm is known, so the token is fetched before the first try.
    let (mut attempt, action) = session.start(
        "https://registry.example/v2/library/busybox/manifests/1",
        pull("library/busybox"),
        T0,
    )?;
    let request = fetch(action);
    assert!(request.url().ends_with("&scope=repository%3Alibrary%2Fbusybox%3Apull"), "{}", request.url());
    let action = session.handle_token_response(&mut attempt, 200, &token_body("tok-2", None), T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer tok-2"));
    assert_eq!(session.cached_tokens(), 2);
    Ok(())
}

#[test]
fn ping_without_scope_gets_a_scopeless_token() -> TestResult {
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    let (mut attempt, action) = session.start("https://registry.example/v2/", ScopeSet::new(), T0)?;
    assert_eq!(sent(action), None);
    let request = fetch(session.handle_response(&mut attempt, 401, Some(&bearer("", None)), T0)?);
    assert_eq!(request.url(), "https://auth.example/token?service=registry.example");
    Ok(())
}

#[test]
fn password_flow_sends_the_password_to_the_realm_only() -> TestResult {
    let mut session = Session::new(REGISTRY, password("alice", "open sesame"))?;
    let (mut attempt, action) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    assert_eq!(sent(action), None, "the password is not sent to a registry before it asks for Basic");

    // First an OAuth2 POST to the realm itself; this realm does not take it (405).
    let post = fetch(session.handle_response(
        &mut attempt,
        401,
        Some(&bearer("repository:library/alpine:pull", None)),
        T0,
    )?);
    assert_eq!((post.method(), post.url(), post.authorization()), ("POST", REALM, None));
    let request = fetch(session.handle_token_response(&mut attempt, 405, b"", T0)?);
    assert_eq!((request.method(), request.form()), ("GET", None));
    assert!(request.url().ends_with("&account=alice"), "{}", request.url());
    let basic = request.authorization().ok_or("basic credentials for the realm")?;
    assert_eq!(basic.value(), "Basic YWxpY2U6b3BlbiBzZXNhbWU=");
    assert_eq!(basic.url(), request.url());
    assert_eq!(basic.origin().to_string(), "https://auth.example");

    let header = sent(session.handle_token_response(&mut attempt, 200, &token_body("tok", Some(300)), T0)?);
    let header = header.ok_or("a token header")?;
    assert_eq!(header.value(), "Bearer tok");
    assert_eq!(header.origin().to_string(), REGISTRY);
    Ok(())
}

/// The form of a POST token request as `name=value` pairs, values decoded (only `%XX` escapes
/// appear in what the session encodes).
fn form_pairs(request: &TokenRequest) -> Vec<(String, String)> {
    let Some(form) = request.form() else { panic!("expected a POST form, got {request:?}") };
    let decode = |text: &str| {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    form.encoded()
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// A session with alice's password whose first request to library/alpine got a 401 from the
/// registry; returns the attempt and the token request it led to.
fn password_session_at_the_realm()
-> Result<(Session, regsight_core::auth::Attempt, TokenRequest), Box<dyn std::error::Error>> {
    let mut session = Session::new(REGISTRY, password("alice", "s3cret pw"))?;
    let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    let challenge = bearer("repository:library/alpine:pull", None);
    let request = fetch(session.handle_response(&mut attempt, 401, Some(&challenge), T0)?);
    Ok((session, attempt, request))
}

const BUSYBOX: &str = "https://registry.example/v2/library/busybox/manifests/1";

#[test]
fn oauth_password_grant_then_refresh_grant_for_a_new_scope() -> TestResult {
    let (mut session, mut attempt, request) = password_session_at_the_realm()?;
    assert_eq!(request.method(), "POST");
    assert_eq!(request.url(), REALM, "the form carries the parameters, not the URL");
    assert_eq!(request.authorization(), None, "no Authorization header: a CORS simple request");
    assert_eq!(request.content_type(), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        form_pairs(&request),
        pairs(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "s3cret pw"),
            ("access_type", "offline"),
            ("client_id", "regsight"),
            ("service", "registry.example"),
            ("scope", "repository:library/alpine:pull"),
        ])
    );
    // Every field of the spec's answer; the unused ones do not matter.
    let answer = br#"{"access_token":"a-1","token_type":"Bearer","expires_in":300,"scope":"repository:library/alpine:pull","issued_at":"2023-11-14T22:13:20Z","refresh_token":"r-1"}"#;
    let header = sent(session.handle_token_response(&mut attempt, 200, answer, T0)?);
    assert_eq!(value(header).as_deref(), Some("Bearer a-1"));
    assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);

    // Another scope: a new token, asked for with the refresh token, never the password again.
    let (mut attempt, action) = session.start(BUSYBOX, pull("library/busybox"), T0)?;
    let request = fetch(action);
    assert_eq!((request.method(), request.url()), ("POST", REALM));
    assert_eq!(
        form_pairs(&request),
        pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "r-1"),
            ("client_id", "regsight"),
            ("service", "registry.example"),
            ("scope", "repository:library/busybox:pull"),
        ])
    );
    assert!(!request.form().ok_or("form")?.encoded().contains("s3cret"));
    assert!(
        request
            .form()
            .ok_or("form")?
            .shown()
            .contains(&("refresh_token".to_owned(), FormValue::Secret("REFRESH_TOKEN"))),
        "the transcript shows a placeholder"
    );
    // No expires_in: 60 s.
    let action = session.handle_token_response(&mut attempt, 200, br#"{"access_token":"a-2"}"#, T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer a-2"));
    assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);
    let (_, action) = session.start(BUSYBOX, pull("library/busybox"), T0.plus_seconds(49))?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer a-2"));
    let (_, action) = session.start(BUSYBOX, pull("library/busybox"), T0.plus_seconds(51))?;
    assert_eq!(form_pairs(&fetch(action))[0], ("grant_type".to_owned(), "refresh_token".to_owned()));
    Ok(())
}

#[test]
fn a_refused_refresh_token_is_forgotten_for_the_password() -> TestResult {
    let (mut session, mut attempt, _) = password_session_at_the_realm()?;
    let answer = br#"{"access_token":"a-1","refresh_token":"r-1"}"#;
    sent(session.handle_token_response(&mut attempt, 200, answer, T0)?);

    let (mut attempt, action) = session.start(BUSYBOX, pull("library/busybox"), T0)?;
    assert_eq!(form_pairs(&fetch(action))[1], ("refresh_token".to_owned(), "r-1".to_owned()));
    let refused = br#"{"error":"invalid_grant","error_description":"refresh token revoked"}"#;
    let request = fetch(session.handle_token_response(&mut attempt, 400, refused, T0)?);
    assert_eq!(
        form_pairs(&request)[..3],
        pairs(&[("grant_type", "password"), ("username", "alice"), ("password", "s3cret pw")])
    );
    let action = session.handle_token_response(&mut attempt, 200, br#"{"access_token":"a-2"}"#, T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer a-2"));
    assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);

    // Forgotten: the next scope goes with the password (that answer gave no refresh token).
    let (_, action) = session.start(
        "https://registry.example/v2/library/debian/manifests/1",
        pull("library/debian"),
        T0,
    )?;
    assert_eq!(form_pairs(&fetch(action))[0], ("grant_type".to_owned(), "password".to_owned()));
    Ok(())
}

#[test]
fn a_realm_without_the_post_is_asked_by_get_and_remembered() -> TestResult {
    let not_supported: [(u16, &[u8]); 7] = [
        (404, b"404 page not found"),
        // A redirect, not followed (0: one the runtime hides, a browser's opaqueredirect).
        (307, b""),
        (0, b""),
        (405, br#"{"errors":[{"code":"UNSUPPORTED"}]}"#),
        (400, br#"{"error":"unsupported_grant_type"}"#),
        (400, b"<html>Bad Request</html>"),
        (401, br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#),
    ];
    for (status, body) in not_supported {
        let (mut session, mut attempt, post) = password_session_at_the_realm()?;
        assert_eq!(post.method(), "POST");
        let get = fetch(session.handle_token_response(&mut attempt, status, body, T0)?);
        assert_eq!(get.method(), "GET", "{status}");
        assert_eq!(value(get.authorization().cloned()).as_deref(), Some("Basic YWxpY2U6czNjcmV0IHB3"));
        let action = session.handle_token_response(&mut attempt, 200, &token_body("g-1", None), T0)?;
        assert_eq!(value(sent(action)).as_deref(), Some("Bearer g-1"));
        assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);

        // Remembered: the next token request goes straight to GET.
        let (mut attempt, action) = session.start(BUSYBOX, pull("library/busybox"), T0)?;
        let get = fetch(action);
        assert_eq!((get.method(), get.form()), ("GET", None), "{status}");
        let action = session.handle_token_response(&mut attempt, 200, &token_body("g-2", None), T0)?;
        assert_eq!(value(sent(action)).as_deref(), Some("Bearer g-2"));
    }
    Ok(())
}

#[test]
fn a_wrong_password_by_oauth_is_unauthorized_with_its_description() -> TestResult {
    let long = "x".repeat(500);
    let cases = [
        ("invalid_grant", "incorrect username or password", UnauthorizedReason::RealmWrongPassword),
        ("invalid_grant", long.as_str(), UnauthorizedReason::RealmWrongPassword),
        ("invalid_request", "client_id missing", UnauthorizedReason::RealmRefusedRequest),
    ];
    for (error, description, reason) in cases {
        let (mut session, mut attempt, _) = password_session_at_the_realm()?;
        let body = format!(r#"{{"error":"{error}","error_description":"{description}"}}"#);
        let err = session.handle_token_response(&mut attempt, 400, body.as_bytes(), T0);
        let Err(err @ AuthError::Unauthorized { reason: got, .. }) = err else { panic!("{err:?}") };
        assert_eq!((got, err.code()), (reason, ErrorCode::Unauthorized));
        let message = err.to_string();
        let shown: String = description.chars().take(200).collect();
        assert!(message.contains(&shown), "{message}");
        assert!(message.len() < 400, "{message}");
        assert!(attempt.is_finished());

        // The next request starts over and works.
        let (mut attempt, action) = session.start(MANIFEST, pull("library/alpine"), T0)?;
        assert_eq!(sent(action), None);
        let challenge = bearer("repository:library/alpine:pull", None);
        assert_eq!(fetch(session.handle_response(&mut attempt, 401, Some(&challenge), T0)?).method(), "POST");
        let action = session.handle_token_response(&mut attempt, 200, br#"{"access_token":"ok"}"#, T0)?;
        assert_eq!(value(sent(action)).as_deref(), Some("Bearer ok"));
    }
    Ok(())
}

#[test]
fn token_requests_per_registry_request_are_bounded() -> TestResult {
    // The longest way a token can come: refresh refused, password POST not taken, GET.
    let (mut session, mut attempt, _) = password_session_at_the_realm()?;
    sent(session.handle_token_response(
        &mut attempt,
        200,
        br#"{"access_token":"a","refresh_token":"r"}"#,
        T0,
    )?);
    let (mut attempt, action) = session.start(BUSYBOX, pull("library/busybox"), T0)?;
    let mut request = fetch(action);
    let mut methods = vec![];
    for (status, body) in [(400u16, &br#"{"error":"invalid_grant"}"#[..]), (405, b"")] {
        methods.push(request.method());
        request = fetch(session.handle_token_response(&mut attempt, status, body, T0)?);
    }
    methods.push(request.method());
    assert_eq!(methods, ["POST", "POST", "GET"]);
    assert_eq!(usize::from(MAX_TOKEN_FETCHES), methods.len());
    // A cached token rejected afterwards cannot be refetched within this request: bounded, no loop.
    sent(session.handle_token_response(&mut attempt, 200, &token_body("t", None), T0)?);
    let challenge = bearer("repository:library/busybox:pull,push", Some("insufficient_scope"));
    let err = session.handle_response(&mut attempt, 401, Some(&challenge), T0);
    assert!(matches!(err, Err(AuthError::TooManyRounds { what: "token requests", .. })), "{err:?}");
    assert_eq!(err.map_err(|e| e.code()).err(), Some(ErrorCode::LimitExceeded));
    Ok(())
}

#[test]
fn wrong_password_and_missing_credentials_at_the_realm() -> TestResult {
    let cases = [
        (
            password("alice", "wrong"),
            UnauthorizedReason::RealmWrongPassword,
            "rejected the username or password",
        ),
        (Credentials::Anonymous, UnauthorizedReason::RealmNeedsCredentials, "needs a username and password"),
    ];
    for (credentials, expected_reason, expected_text) in cases {
        let with_password = matches!(credentials, Credentials::Password(_));
        let mut session = Session::new(REGISTRY, credentials)?;
        let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
        let mut request = fetch(session.handle_response(
            &mut attempt,
            401,
            Some(&bearer("repository:library/alpine:pull", None)),
            T0,
        )?);
        let body = br#"{"details":"incorrect username or password"}"#;
        if with_password {
            // A realm answering a POST 401 without an OAuth error (as Artifactory does to POSTs
            // it does not take) is asked again by GET, where the same 401 means a wrong password.
            assert_eq!(request.method(), "POST");
            request = fetch(session.handle_token_response(&mut attempt, 401, body, T0)?);
        }
        assert_eq!(request.method(), "GET");
        let err = session.handle_token_response(&mut attempt, 401, body, T0);
        let Err(err @ AuthError::Unauthorized { reason, .. }) = err else { panic!("{err:?}") };
        assert_eq!(reason, expected_reason);
        assert_eq!(err.code(), ErrorCode::Unauthorized);
        let message = err.to_string();
        assert!(message.contains("https://auth.example") && message.contains(expected_text), "{message}");
        assert!(message.contains("incorrect username or password"), "{message}");
        assert!(attempt.is_finished());
        assert_eq!(session.cached_tokens(), 0);
    }
    Ok(())
}

#[test]
fn token_service_failures() -> TestResult {
    let oversized = vec![b' '; 300 * 1024];
    let cases: Vec<(u16, Vec<u8>, ErrorCode)> = vec![
        (403, br#"{"details":"no"}"#.to_vec(), ErrorCode::Denied),
        (429, Vec::new(), ErrorCode::TooManyRequests),
        (500, b"oops".to_vec(), ErrorCode::Registry),
        (404, Vec::new(), ErrorCode::Registry),
        (200, b"<html>".to_vec(), ErrorCode::InvalidResponse),
        (200, br#"{"token":""}"#.to_vec(), ErrorCode::InvalidResponse),
        (200, br#"{"token":"a\nb"}"#.to_vec(), ErrorCode::InvalidResponse),
        (200, oversized, ErrorCode::LimitExceeded),
    ];
    for (status, body, code) in cases {
        let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
        let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
        fetch(session.handle_response(
            &mut attempt,
            401,
            Some(&bearer("repository:library/alpine:pull", None)),
            T0,
        )?);
        match session.handle_token_response(&mut attempt, status, &body, T0) {
            Ok(action) => panic!("{status}: {action:?}"),
            Err(e) => assert_eq!(e.code(), code, "{status}: {e}"),
        }
        // The failed realm is forgotten: the next repository goes without credentials first and
        // learns its own realm, rather than being sent to this one.
        let (_, action) = session.start(
            "https://registry.example/v2/library/busybox/manifests/1",
            pull("library/busybox"),
            T0,
        )?;
        assert_eq!(action, Action::Send { authorization: None }, "{status}");
    }
    Ok(())
}

#[test]
fn basic_registry() -> TestResult {
    let mut session = Session::new("http://127.0.0.1:5000", password("bob", "pw"))?;
    let url = "http://127.0.0.1:5000/v2/a/b/tags/list";
    let (mut attempt, action) = session.start(url, pull("a/b"), T0)?;
    assert_eq!(sent(action), None);
    let header =
        sent(session.handle_response(&mut attempt, 401, Some(r#"Basic realm="Registry Realm""#), T0)?);
    let header = header.ok_or("basic header")?;
    assert_eq!((header.url(), header.value()), (url, "Basic Ym9iOnB3"));
    assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);

    // Known Basic now: attached up front.
    let (mut attempt, action) = session.start("http://127.0.0.1:5000/v2/", ScopeSet::new(), T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Basic Ym9iOnB3"));
    // A 401 to our Basic credentials: wrong password, no loop.
    let err = session.handle_response(&mut attempt, 401, Some(r#"Basic realm="Registry Realm""#), T0);
    assert!(
        matches!(err, Err(AuthError::Unauthorized { reason: UnauthorizedReason::WrongPassword, .. })),
        "{err:?}"
    );

    for (credentials, reason) in [
        (Credentials::Anonymous, UnauthorizedReason::NeedsCredentials),
        (Credentials::Token(BearerToken::new("t")?), UnauthorizedReason::BasicWantsPassword),
    ] {
        let mut session = Session::new("http://127.0.0.1:5000", credentials)?;
        let (mut attempt, _) = session.start(url, pull("a/b"), T0)?;
        let err = session.handle_response(&mut attempt, 401, Some("Basic realm=x"), T0);
        let Err(err @ AuthError::Unauthorized { reason: got, .. }) = err else { panic!("{err:?}") };
        assert_eq!(got, reason);
        assert_eq!(err.code(), ErrorCode::Unauthorized);
    }
    Ok(())
}

#[test]
fn bearer_preferred_over_basic_in_one_header() -> TestResult {
    let mut session = Session::new(REGISTRY, password("alice", "pw"))?;
    let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    // Two header lines joined by Headers.get().
    let header = format!(r#"Basic realm="r", {}"#, bearer("repository:library/alpine:pull", None));
    fetch(session.handle_response(&mut attempt, 401, Some(&header), T0)?);
    Ok(())
}

#[test]
fn pre_issued_token() -> TestResult {
    let token = Credentials::Token(BearerToken::new("pre-issued")?);
    let mut session = Session::new(REGISTRY, token)?;
    let (mut attempt, action) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    let header = sent(action).ok_or("token header")?;
    assert_eq!((header.url(), header.value()), (MANIFEST, "Bearer pre-issued"));
    assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);

    // Rejected: reported, never exchanged at the realm.
    let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    let err = session.handle_response(
        &mut attempt,
        401,
        Some(&bearer("repository:library/alpine:pull", Some("invalid_token"))),
        T0,
    );
    let Err(err @ AuthError::Unauthorized { reason: UnauthorizedReason::TokenRejected, .. }) = err else {
        panic!("{err:?}")
    };
    assert!(err.to_string().contains("registry says invalid_token"), "{err}");

    let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    let err = session.handle_response(
        &mut attempt,
        401,
        Some(&bearer("repository:library/alpine:pull", Some("insufficient_scope"))),
        T0,
    );
    assert_eq!(err.map_err(|e| e.code()), Err(ErrorCode::Denied));
    Ok(())
}

#[test]
fn expiry_follows_the_callers_clock() -> TestResult {
    let scopes = pull("library/alpine");
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    prime(&mut session, &scopes, "tok", Some(300), T0)?;
    // 300 s lifetime, dropped 10 s early.
    let (_, action) = session.start(MANIFEST, scopes.clone(), T0.plus_seconds(289))?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer tok"));
    let (_, action) = session.start(MANIFEST, scopes.clone(), T0.plus_seconds(291))?;
    fetch(action);

    // No expires_in: 60 s.
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    prime(&mut session, &scopes, "tok", None, T0)?;
    let (_, action) = session.start(MANIFEST, scopes.clone(), T0.plus_seconds(49))?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer tok"));
    let (_, action) = session.start(MANIFEST, scopes.clone(), T0.plus_seconds(51))?;
    fetch(action);
    Ok(())
}

#[test]
fn lifetime_counts_from_the_token_request() -> TestResult {
    let scopes = pull("library/alpine");
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    let (mut attempt, _) = session.start(MANIFEST, scopes.clone(), T0)?;
    fetch(session.handle_response(
        &mut attempt,
        401,
        Some(&bearer("repository:library/alpine:pull", None)),
        T0,
    )?);
    // The realm took 30 s to answer: the token's 60 s started when we asked.
    let answered = T0.plus_seconds(30);
    sent(session.handle_token_response(&mut attempt, 200, &token_body("slow", Some(60)), answered)?);
    let (_, action) = session.start(MANIFEST, scopes.clone(), T0.plus_seconds(49))?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer slow"));
    let (_, action) = session.start(MANIFEST, scopes, T0.plus_seconds(51))?;
    fetch(action);
    Ok(())
}

#[test]
fn invalid_token_refreshes_once() -> TestResult {
    let scopes = pull("library/alpine");
    let challenge = bearer("repository:library/alpine:pull", Some("invalid_token"));
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    prime(&mut session, &scopes, "old", Some(300), T0)?;

    let (mut attempt, action) = session.start(MANIFEST, scopes.clone(), T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer old"));
    // The registry revoked it: drop it, fetch a new one, retry.
    fetch(session.handle_response(&mut attempt, 401, Some(&challenge), T0)?);
    assert_eq!(session.cached_tokens(), 0, "the rejected token is dropped at once");
    let action = session.handle_token_response(&mut attempt, 200, &token_body("new", Some(300)), T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer new"));
    assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);

    // The fresh token rejected too: fail, do not loop.
    let (mut attempt, action) = session.start(MANIFEST, scopes.clone(), T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer new"));
    fetch(session.handle_response(&mut attempt, 401, Some(&challenge), T0)?);
    sent(session.handle_token_response(&mut attempt, 200, &token_body("newer", Some(300)), T0)?);
    let err = session.handle_response(&mut attempt, 401, Some(&challenge), T0);
    assert!(
        matches!(err, Err(AuthError::Unauthorized { reason: UnauthorizedReason::FreshTokenRejected, .. })),
        "{err:?}"
    );
    assert!(attempt.is_finished());
    assert_eq!(session.cached_tokens(), 0);
    Ok(())
}

#[test]
fn insufficient_scope_is_reported_not_looped() -> TestResult {
    let scopes = pull("library/alpine");
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    let (mut attempt, _) = session.start(MANIFEST, scopes.clone(), T0)?;
    fetch(session.handle_response(
        &mut attempt,
        401,
        Some(&bearer("repository:library/alpine:pull", None)),
        T0,
    )?);
    sent(session.handle_token_response(&mut attempt, 200, &token_body("tok", None), T0)?);
    // The realm granted nothing (the user may not pull): the same scope again would not help.
    let challenge = bearer("repository:library/alpine:pull", Some("insufficient_scope"));
    let err = session.handle_response(&mut attempt, 401, Some(&challenge), T0);
    let Err(err @ AuthError::InsufficientScope { .. }) = err else { panic!("{err:?}") };
    assert_eq!(err.code(), ErrorCode::Denied);
    assert!(err.to_string().contains("repository:library/alpine:pull"), "{err}");

    // A 403 carrying the same challenge is handled the same way.
    let (mut attempt, action) = session.start(MANIFEST, scopes.clone(), T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer tok"));
    let err = session.handle_response(&mut attempt, 403, Some(&challenge), T0);
    assert!(matches!(err, Err(AuthError::InsufficientScope { .. })), "{err:?}");
    Ok(())
}

#[test]
fn insufficient_scope_asks_once_for_what_the_registry_names() -> TestResult {
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    prime(&mut session, &pull("library/alpine"), "pull-only", Some(300), T0)?;
    // We asked for pull only, the registry wants push too: ask once for the union.
    let (mut attempt, action) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    assert_eq!(value(sent(action)).as_deref(), Some("Bearer pull-only"));
    let challenge = bearer("repository:library/alpine:pull,push", Some("insufficient_scope"));
    let request = fetch(session.handle_response(&mut attempt, 401, Some(&challenge), T0)?);
    assert!(
        request.url().ends_with("&scope=repository%3Alibrary%2Falpine%3Apull%2Cpush"),
        "{}",
        request.url()
    );
    sent(session.handle_token_response(&mut attempt, 200, &token_body("still-pull-only", None), T0)?);
    let err = session.handle_response(&mut attempt, 401, Some(&challenge), T0);
    assert!(matches!(err, Err(AuthError::InsufficientScope { .. })), "{err:?}");

    // A registry that names a new scope every time is cut off by the token-request bound.
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    let (mut attempt, _) = session.start(MANIFEST, ScopeSet::new(), T0)?;
    let mut fetches = 0;
    let mut action = session.handle_response(&mut attempt, 401, Some(&bearer("", None)), T0);
    for i in 0..10 {
        match action {
            Ok(Action::FetchToken(_)) => {
                fetches += 1;
                action = session.handle_token_response(&mut attempt, 200, &token_body("t", None), T0);
            }
            Ok(Action::Send { .. }) => {
                let challenge = bearer(&format!("repository:r{i}:pull"), Some("insufficient_scope"));
                action = session.handle_response(&mut attempt, 401, Some(&challenge), T0);
            }
            Ok(Action::Done) | Err(_) => break,
        }
    }
    assert!(matches!(action, Err(AuthError::InsufficientScope { .. })), "{action:?}");
    assert_eq!(fetches, 2);
    Ok(())
}

#[test]
fn malformed_challenges_are_specific_errors() -> TestResult {
    let cases: &[(Option<&str>, ErrorCode, &str)] = &[
        (None, ErrorCode::Unauthorized, "Access-Control-Expose-Headers"),
        (Some(""), ErrorCode::InvalidResponse, "no challenge"),
        (Some("Bearer realm=\"https://auth.example/token"), ErrorCode::InvalidResponse, "never closed"),
        (Some("Bearer service=\"x\""), ErrorCode::InvalidResponse, "no realm"),
        (
            Some("Bearer realm=\"https://a/t\" service=\"x\""),
            ErrorCode::InvalidResponse,
            "',' between parameters",
        ),
        (Some("Bearer realm=\"https://a/t\",scope=\"repository:x\""), ErrorCode::InvalidResponse, "scope"),
        (Some("Bearer realm=\"https://a/t\",realm=\"https://b/t\""), ErrorCode::InvalidResponse, "twice"),
        (Some("\u{0}\u{1}garbage"), ErrorCode::InvalidResponse, "auth scheme"),
        (Some("Digest realm=\"d\", nonce=\"n\""), ErrorCode::Unsupported, "Digest"),
        (Some("Negotiate abc=="), ErrorCode::Unsupported, "Negotiate"),
    ];
    for (header, code, text) in cases {
        let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
        let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
        match session.handle_response(&mut attempt, 401, *header, T0) {
            Ok(action) => panic!("{header:?}: {action:?}"),
            Err(e) => {
                assert_eq!(e.code(), *code, "{header:?}: {e}");
                assert!(e.to_string().contains(text), "{header:?}: {e}");
            }
        }
        assert!(attempt.is_finished());
    }
    let huge = format!(r#"Bearer realm="https://a/t",scope="{}""#, "x".repeat(20_000));
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    let err = session.handle_response(&mut attempt, 401, Some(&huge), T0);
    assert!(matches!(err, Err(AuthError::Challenge(ChallengeError::TooLong { .. }))), "{err:?}");
    assert_eq!(err.map_err(|e| e.code()), Err(ErrorCode::LimitExceeded));
    Ok(())
}

#[test]
fn hostile_realms_are_refused() -> TestResult {
    let realms = [
        ("javascript:alert(1)", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("data:text/plain,x", "http:// or https://"),
        ("ftp://auth.example/token", "http:// or https://"),
        ("https://alice:pw@evil.example/token", "user information"),
        ("https://auth.example/token#x", "'#'"),
        ("http://auth.example/token", "uses https but the realm does not"),
    ];
    for (realm, text) in realms {
        let mut session = Session::new(REGISTRY, password("alice", "pw"))?;
        let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
        let header = format!(r#"Bearer realm="{realm}",service="s""#);
        match session.handle_response(&mut attempt, 401, Some(&header), T0) {
            Ok(action) => panic!("{realm}: {action:?}"),
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::InvalidResponse, "{realm}: {e}");
                assert!(e.to_string().contains(text), "{realm}: {e}");
            }
        }
    }
    // A plain-http registry may use a plain-http realm (local test setups).
    let mut session = Session::new("http://localhost:5000", Credentials::Anonymous)?;
    let (mut attempt, _) = session.start("http://localhost:5000/v2/", ScopeSet::new(), T0)?;
    let request = fetch(session.handle_response(
        &mut attempt,
        401,
        Some(r#"Bearer realm="http://localhost:5001/auth""#),
        T0,
    )?);
    assert_eq!(request.url(), "http://localhost:5001/auth");

    // A same-origin gateway answers with a relative realm: it resolves against the request, so
    // the password goes to the registry's own origin and nowhere else.
    let mut session = Session::new(REGISTRY, password("alice", "pw"))?;
    let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    let header = r#"Bearer realm="/realms/hub/token",service="s""#;
    let post = fetch(session.handle_response(&mut attempt, 401, Some(header), T0)?);
    assert_eq!((post.method(), post.url()), ("POST", "https://registry.example/realms/hub/token"));
    let request = fetch(session.handle_token_response(&mut attempt, 404, b"", T0)?);
    assert!(
        request.url().starts_with("https://registry.example/realms/hub/token?service=s&"),
        "{}",
        request.url()
    );
    assert!(request.authorization().is_some_and(|h| h.may_send_to(request.url())));
    Ok(())
}

#[test]
fn nothing_is_attached_to_another_origin() -> TestResult {
    let mut session = Session::new(REGISTRY, Credentials::Token(BearerToken::new("secret")?))?;
    for url in [
        "https://evil.example/v2/",
        "http://registry.example/v2/",
        "https://registry.example:8443/v2/",
        "https://registry.example.evil.example/v2/",
        "https://registry.example@evil.example/v2/",
        "not a url",
    ] {
        let err = session.start(url, ScopeSet::new(), T0);
        assert!(err.is_err(), "{url}: {err:?}");
    }
    assert!(matches!(
        session.start("https://evil.example/v2/", ScopeSet::new(), T0),
        Err(AuthError::ForeignOrigin { .. })
    ));
    let (_, action) = session.start("https://REGISTRY.example:443/v2/", ScopeSet::new(), T0)?;
    assert!(sent(action).is_some());
    assert_eq!(
        Session::new("ftp://x", Credentials::Anonymous).map_err(|e| e.code()).err(),
        Some(ErrorCode::InvalidArgument)
    );
    Ok(())
}

#[test]
fn non_auth_statuses_are_done() -> TestResult {
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    for (status, header) in [
        (200, None),
        (404, None),
        (500, Some("Bearer realm=\"javascript:x\"")),
        (403, None),
        (403, Some(r#"Bearer realm="https://a/t""#)),
        (403, Some("garbage \"")),
    ] {
        let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
        assert_eq!(
            session.handle_response(&mut attempt, status, header, T0)?,
            Action::Done,
            "{status} {header:?}"
        );
    }
    Ok(())
}

#[test]
fn call_order_is_checked() -> TestResult {
    let mut session = Session::new(REGISTRY, Credentials::Anonymous)?;
    let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    let err = session.handle_token_response(&mut attempt, 200, &token_body("t", None), T0);
    assert!(matches!(err, Err(AuthError::CallOrder { .. })), "{err:?}");

    let (mut attempt, _) = session.start(MANIFEST, pull("library/alpine"), T0)?;
    assert_eq!(session.handle_response(&mut attempt, 200, None, T0)?, Action::Done);
    let err = session.handle_response(&mut attempt, 401, Some(&bearer("", None)), T0);
    assert!(matches!(err, Err(AuthError::CallOrder { .. })), "{err:?}");
    Ok(())
}

/// One step of a registry or token service that answers anything at all.
#[derive(Debug, Clone)]
enum Answer {
    Registry(u16, Option<String>),
    Realm(u16, Vec<u8>),
}

fn any_challenge() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(bearer("", None))),
        Just(Some(bearer("repository:library/alpine:pull", None))),
        Just(Some(bearer("repository:library/alpine:pull", Some("invalid_token")))),
        Just(Some(bearer("repository:library/alpine:pull,push", Some("insufficient_scope")))),
        Just(Some(r#"Bearer realm="https://other-auth.example/t""#.to_owned())),
        Just(Some("Basic realm=x".to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

fn any_answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        (prop_oneof![Just(200u16), Just(401), Just(403), Just(404)], any_challenge())
            .prop_map(|(s, c)| Answer::Registry(s, c)),
        (
            prop_oneof![Just(200u16), Just(400), Just(401), Just(404), Just(405), Just(500)],
            prop_oneof![
                Just(token_body("t", Some(300))),
                Just(br#"{"access_token":"t","refresh_token":"r"}"#.to_vec()),
                Just(br#"{"error":"invalid_grant","error_description":"no"}"#.to_vec()),
                Just(br#"{"error":"unsupported_grant_type"}"#.to_vec()),
                Just(b"{}".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..40),
            ]
        )
            .prop_map(|(s, b)| Answer::Realm(s, b)),
    ]
}

proptest! {
    /// Whatever the servers answer, an attempt ends within the bounds, and every header goes to the
    /// registry's origin (Send) or to the realm the registry named (FetchToken).
    #[test]
    fn any_answers_terminate_and_stay_on_allowed_origins(
        credentials in prop_oneof![
            Just(Credentials::Anonymous),
            Just(password("alice", "pw")),
        ],
        answers in proptest::collection::vec(any_answer(), 0..12),
    ) {
        let mut session = Session::new(REGISTRY, credentials).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (mut attempt, mut action) = session
            .start(MANIFEST, pull("library/alpine"), T0)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut steps = 0;
        let mut seen_basic = false;
        let mut answers = answers.into_iter();
        loop {
            let result = match (&action, answers.next()) {
                (Action::Done, _) | (_, None) => break,
                (Action::Send { authorization }, Some(answer)) => {
                    if let Some(h) = authorization {
                        prop_assert_eq!(h.origin().to_string(), REGISTRY);
                        prop_assert!(seen_basic || !h.value().starts_with("Basic"), "password sent before a Basic challenge");
                    }
                    match answer {
                        Answer::Registry(status, header) => {
                            seen_basic |= header.as_deref().is_some_and(|h| h.to_ascii_lowercase().contains("basic"));
                            session.handle_response(&mut attempt, status, header.as_deref(), T0)
                        }
                        Answer::Realm(..) => session.handle_response(&mut attempt, 401, None, T0),
                    }
                }
                (Action::FetchToken(request), Some(answer)) => {
                    prop_assert!(request.form().is_none() || request.authorization().is_none(), "a form and a header");
                    let origin = regsight_core::auth::HttpUrl::parse(request.url()).map(|u| u.origin().to_string());
                    let origin = origin.map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert!(origin == "https://auth.example" || origin == "https://other-auth.example", "{}", origin);
                    match answer {
                        Answer::Realm(status, body) => session.handle_token_response(&mut attempt, status, &body, T0),
                        Answer::Registry(..) => session.handle_token_response(&mut attempt, 500, b"", T0),
                    }
                }
            };
            steps += 1;
            prop_assert!(steps <= usize::from(MAX_SENDS + MAX_TOKEN_FETCHES), "more steps than the bounds allow");
            match result {
                Ok(next) => action = next,
                Err(_) => {
                    prop_assert!(attempt.is_finished());
                    break;
                }
            }
        }
    }
}
