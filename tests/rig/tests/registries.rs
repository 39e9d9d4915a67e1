//! Every registry kind of the running rig answers as it is configured: the open one without auth,
//! the token one with a Bearer challenge whose realm issues working, scoped tokens, the htpasswd one
//! with a Basic challenge; and every fixture is served with the digest its ground truth names.

use base64::Engine as _;
use regsight_rig::RigInfo;
use regsight_rig::info::{Fixture, RegistryInfo};

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// The status, one header and the body of an HTTP answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    /// All values of a header joined with ", ", as browsers' `Headers.get()` does.
    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

fn rig() -> RigInfo {
    RigInfo::from_env().unwrap_or_else(|e| panic!("{e}"))
}

fn request(method: &str, url: &str, headers: &[(&str, String)]) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    let req = builder.body(()).unwrap_or_else(|e| panic!("building {method} {url}: {e}"));
    let mut res = agent.run(req).unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let headers = res
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let status = res.status().as_u16();
    let body = res.body_mut().read_to_string().unwrap_or_default();
    Answer { status, headers, body }
}

fn get(url: &str, headers: &[(&str, String)]) -> Answer {
    request("GET", url, headers)
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// `name="value"` parameters of a challenge (the rig's values hold no escapes).
fn param(challenge: &str, name: &str) -> String {
    let key = format!("{name}=\"");
    let start =
        challenge.find(&key).map(|i| i + key.len()).unwrap_or_else(|| panic!("no {name} in {challenge}"));
    let end = challenge[start..].find('"').map(|i| start + i).unwrap_or(challenge.len());
    challenge[start..end].to_owned()
}

fn token(rig: &RigInfo, scope: &str, credentials: Option<(&str, &str)>) -> Answer {
    let url = format!("{}?service={}&scope={}", rig.token_server.realm, rig.token_server.service, scope);
    let auth: Vec<(&str, String)> =
        credentials.map(|(u, p)| vec![("Authorization", basic(u, p))]).unwrap_or_default();
    get(&url, &auth)
}

fn manifest_url(registry: &RegistryInfo, repo: &str, reference: &str) -> String {
    format!("{}/v2/{repo}/manifests/{reference}", registry.url)
}

fn docker_v2(rig: &RigInfo) -> &Fixture {
    rig.fixture("docker-v2").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn open_registry_answers_v2_without_auth_and_with_cors() {
    let rig = rig();
    let res = get(&format!("{}/v2/", rig.open.url), &[]);
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("Access-Control-Allow-Origin"), Some("*".into()));
    let preflight = request(
        "OPTIONS",
        &manifest_url(&rig.open, "public/docker-v2", "v1"),
        &[("Origin", "http://page.example".into()), ("Access-Control-Request-Headers", "accept".into())],
    );
    assert_eq!(preflight.status, 200);
    assert!(preflight.header("Access-Control-Allow-Headers").unwrap_or_default().contains("Accept"));
}

#[test]
fn token_registry_challenges_and_its_realm_issues_scoped_tokens() {
    let rig = rig();
    let challenge = get(&format!("{}/v2/", rig.token.url), &[]);
    assert_eq!(challenge.status, 401);
    let www = challenge.header("WWW-Authenticate").unwrap_or_else(|| panic!("no challenge"));
    assert!(www.starts_with("Bearer "), "{www}");
    assert_eq!(param(&www, "realm"), rig.token_server.realm);
    assert_eq!(param(&www, "service"), rig.token_server.service);

    let fixture = docker_v2(&rig);
    let (public, private) = (&fixture.repositories[0], &fixture.repositories[1]);
    let bearer = |answer: &Answer| {
        assert_eq!(answer.status, 200, "token request: {}", answer.body);
        let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
        format!("Bearer {}", json["token"].as_str().unwrap_or_default())
    };
    let pull = |repo: &str, auth: String| {
        get(
            &manifest_url(&rig.token, repo, &fixture.tag),
            &[("Accept", ACCEPT.into()), ("Authorization", auth)],
        )
    };

    // Anonymous tokens pull public repositories...
    let anonymous = bearer(&token(&rig, &format!("repository:{public}:pull"), None));
    let res = pull(public, anonymous);
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("Docker-Content-Digest"), Some(fixture.manifest.digest.clone()));

    // ...but not private ones: the scope is not granted and the registry says so.
    let anonymous = bearer(&token(&rig, &format!("repository:{private}:pull"), None));
    let res = pull(private, anonymous);
    assert_eq!(res.status, 401);
    assert!(res.header("WWW-Authenticate").unwrap_or_default().contains("insufficient_scope"));

    // A user's token pulls private repositories.
    let alice = rig.user("alice").unwrap_or_else(|e| panic!("{e}"));
    let granted =
        bearer(&token(&rig, &format!("repository:{private}:pull"), Some((&alice.username, &alice.password))));
    let res = pull(private, granted);
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("Docker-Content-Digest"), Some(fixture.manifest.digest.clone()));

    // A wrong password gets no token.
    let refused = token(&rig, &format!("repository:{private}:pull"), Some((&alice.username, "wrong")));
    assert_eq!(refused.status, 401, "{}", refused.body);

    // A garbage token is refused by the registry as invalid.
    let res = pull(public, "Bearer not.a.token".into());
    assert_eq!(res.status, 401);
    assert!(res.header("WWW-Authenticate").unwrap_or_default().contains("invalid_token"));
}

#[test]
fn token_front_answers_preflight_itself() {
    let rig = rig();
    let preflight = request(
        "OPTIONS",
        &manifest_url(&rig.token, "private/docker-v2", "v1"),
        &[
            ("Origin", "http://page.example".into()),
            ("Access-Control-Request-Method", "GET".into()),
            ("Access-Control-Request-Headers", "authorization, accept".into()),
        ],
    );
    assert_eq!(preflight.status, 204);
    let allowed = preflight.header("Access-Control-Allow-Headers").unwrap_or_default();
    assert!(allowed.contains("Authorization") && allowed.contains("Accept"), "{allowed}");
}

#[test]
fn basic_registry_challenges_and_accepts_only_the_right_password() {
    let rig = rig();
    let challenge = get(&format!("{}/v2/", rig.basic.url), &[]);
    assert_eq!(challenge.status, 401);
    let www = challenge.header("WWW-Authenticate").unwrap_or_default();
    assert!(www.starts_with("Basic realm="), "{www}");
    assert_eq!(challenge.header("Access-Control-Allow-Origin"), Some("*".into()));

    let alice = rig.user("alice").unwrap_or_else(|e| panic!("{e}"));
    let fixture = docker_v2(&rig);
    let url = manifest_url(&rig.basic, &fixture.repositories[1], &fixture.tag);
    let ok =
        get(&url, &[("Accept", ACCEPT.into()), ("Authorization", basic(&alice.username, &alice.password))]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.header("Docker-Content-Digest"), Some(fixture.manifest.digest.clone()));
    let wrong = get(&url, &[("Accept", ACCEPT.into()), ("Authorization", basic(&alice.username, "nope"))]);
    assert_eq!(wrong.status, 401);
}

#[test]
fn every_fixture_is_served_under_its_ground_truth_digest() {
    let rig = rig();
    assert!(rig.fixtures.len() >= 10, "expected the full fixture set");
    for fixture in &rig.fixtures {
        for repo in &fixture.repositories {
            let res = get(&manifest_url(&rig.open, repo, &fixture.tag), &[("Accept", ACCEPT.into())]);
            assert_eq!(res.status, 200, "{repo}:{}: {}", fixture.tag, res.body);
            assert_eq!(
                res.header("Docker-Content-Digest"),
                Some(fixture.manifest.digest.clone()),
                "{repo}:{}",
                fixture.tag
            );
            assert_eq!(res.header("Content-Type"), Some(fixture.manifest.media_type.clone()));
        }
    }
    let many = rig.fixture("many-tags").unwrap_or_else(|e| panic!("{e}"));
    assert!(many.tags.len() >= 300);
    let list = get(&format!("{}/v2/{}/tags/list", rig.open.url, many.repositories[0]), &[]);
    let json: serde_json::Value = serde_json::from_str(&list.body).unwrap_or_default();
    assert_eq!(json["tags"].as_array().map(Vec::len), Some(many.tags.len()));
}
