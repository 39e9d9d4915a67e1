//! Every registry kind of the running rig answers as it is configured: the open one without auth,
//! the token one with a Bearer challenge whose realm issues working, scoped tokens, the htpasswd one
//! with a Basic challenge; every fixture is served with the digest its ground truth names, the
//! broken ones broken where their truth says; and the token server logs every request.

use base64::Engine as _;
use regsight_rig::RigInfo;
use regsight_rig::info::{Fixture, RegistryInfo};
use sha2::{Digest as _, Sha256, Sha512};

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// The status, the headers and the body of an HTTP answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    /// The body as text (lossy).
    body: String,
    /// The body's exact bytes.
    bytes: Vec<u8>,
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
    let bytes = res.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap_or_default();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Answer { status, headers, body, bytes }
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
    fixture(rig, "docker-v2")
}

fn fixture<'a>(rig: &'a RigInfo, name: &str) -> &'a Fixture {
    rig.fixture(name).unwrap_or_else(|e| panic!("{e}"))
}

/// `<algorithm>:<hex>` of `bytes`, the algorithm taken from `like` (`sha256` or `sha512`).
fn digest_like(like: &str, bytes: &[u8]) -> String {
    if like.starts_with("sha512:") {
        format!("sha512:{}", hex::encode(Sha512::digest(bytes)))
    } else {
        format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
    }
}

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A bearer token for `scope`, as `Authorization` value.
fn bearer(rig: &RigInfo, scope: &str, credentials: Option<(&str, &str)>) -> String {
    let answer = token(rig, scope, credentials);
    assert_eq!(answer.status, 200, "token request: {}", answer.body);
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
    format!("Bearer {}", json["token"].as_str().unwrap_or_default())
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
            // The digest it is stored under: for broken-manifest not the digest of the served bytes.
            assert_eq!(
                res.header("Docker-Content-Digest"),
                Some(fixture.manifest.claimed_digest.clone()),
                "{repo}:{}",
                fixture.tag
            );
            assert_eq!(res.bytes, read(&fixture.manifest.file), "{repo}:{}", fixture.tag);
            assert_eq!(digest_like(&fixture.manifest.claimed_digest, &res.bytes), fixture.manifest.digest);
            assert_eq!(res.header("Content-Type"), Some(fixture.manifest.media_type.clone()));
        }
    }
    let many = rig.fixture("many-tags").unwrap_or_else(|e| panic!("{e}"));
    assert!(many.tags.len() >= 300);
    let list = get(&format!("{}/v2/{}/tags/list", rig.open.url, many.repositories[0]), &[]);
    let json: serde_json::Value = serde_json::from_str(&list.body).unwrap_or_default();
    assert_eq!(json["tags"].as_array().map(Vec::len), Some(many.tags.len()));
}

#[test]
fn broken_manifest_is_served_altered_by_tag_and_by_its_original_digest() {
    let rig = rig();
    let fixture = fixture(&rig, "broken-manifest");
    assert!(!fixture.expect.ok);
    assert_eq!(fixture.expect.failing_layer, None);
    assert_eq!(fixture.expect.failing_check.as_deref(), Some("manifest"));
    let truth = &fixture.manifest;
    assert_ne!(truth.digest, truth.claimed_digest);
    let accept = [("Accept", "application/vnd.oci.image.manifest.v1+json".to_owned())];
    for repo in &fixture.repositories {
        for reference in [fixture.tag.as_str(), truth.claimed_digest.as_str()] {
            let res = get(&manifest_url(&rig.open, repo, reference), &accept);
            assert_eq!(res.status, 200, "{repo} {reference}: {}", res.body);
            assert_eq!(res.header("Docker-Content-Digest"), Some(truth.claimed_digest.clone()));
            assert_eq!(res.bytes.len() as u64, truth.size);
            assert_eq!(digest_like(&truth.digest, &res.bytes), truth.digest, "{repo} {reference}");
            assert_ne!(digest_like(&truth.digest, &res.bytes), truth.claimed_digest, "{repo} {reference}");
            let json: serde_json::Value = serde_json::from_slice(&res.bytes)
                .unwrap_or_else(|e| panic!("{repo} {reference}: served manifest is not JSON: {e}"));
            assert_eq!(json["schemaVersion"], 2);
        }
    }
    // Its layers and config are intact.
    for image in &fixture.images {
        assert_eq!(image.config.digest, image.config.claimed_digest);
        for layer in &image.layers {
            assert_eq!(layer.digest, layer.claimed_digest);
            assert_eq!(layer.diff_id.as_deref(), Some(layer.claimed_diff_id.as_str()));
        }
    }
}

#[test]
fn corrupt_blob_is_served_with_its_size_but_not_its_digest() {
    let rig = rig();
    let fixture = fixture(&rig, "corrupt-blob");
    assert_eq!(fixture.expect.failing_layer, Some(1));
    assert_eq!(fixture.expect.failing_check.as_deref(), Some("stream"));
    let layer = &fixture.images[0].layers[1];
    assert!(!layer.decompresses);
    assert_eq!((layer.diff_id.as_deref(), layer.uncompressed_size), (None, None));
    assert!(fixture.images[0].layers[0].decompresses);
    let url = format!("{}/v2/{}/blobs/{}", rig.open.url, fixture.repositories[0], layer.claimed_digest);
    let res = get(&url, &[]);
    assert_eq!(res.status, 200);
    assert_eq!(res.bytes.len() as u64, layer.claimed_size);
    assert_eq!(res.bytes, read(&layer.file));
    assert_eq!(digest_like(&layer.claimed_digest, &res.bytes), layer.digest);
    assert_ne!(layer.digest, layer.claimed_digest);
}

#[test]
fn sha512_image_is_served_under_its_sha512_digests() {
    let rig = rig();
    let fixture = fixture(&rig, "sha512");
    assert!(fixture.expect.ok);
    let truth = &fixture.manifest;
    assert!(truth.claimed_digest.starts_with("sha512:") && truth.digest == truth.claimed_digest);
    let image = &fixture.images[0];
    assert!(image.config.claimed_digest.starts_with("sha512:"));
    for layer in &image.layers {
        assert!(layer.claimed_digest.starts_with("sha512:") && layer.claimed_diff_id.starts_with("sha512:"));
        assert_eq!(layer.diff_id.as_deref(), Some(layer.claimed_diff_id.as_str()));
    }
    let alice = rig.user("alice").unwrap_or_else(|e| panic!("{e}"));
    for repo in &fixture.repositories {
        // The open registry, and the token registry with a token for the repository.
        let auth = bearer(&rig, &format!("repository:{repo}:pull"), Some((&alice.username, &alice.password)));
        for (registry, auth) in [(&rig.open, None), (&rig.token, Some(auth))] {
            let mut headers = vec![("Accept", ACCEPT.to_owned())];
            headers.extend(auth.map(|a| ("Authorization", a)));
            for reference in [fixture.tag.as_str(), truth.claimed_digest.as_str()] {
                let res = get(&manifest_url(registry, repo, reference), &headers);
                assert_eq!(res.status, 200, "{} {repo} {reference}: {}", registry.kind, res.body);
                assert_eq!(res.header("Docker-Content-Digest"), Some(truth.claimed_digest.clone()));
                assert_eq!(digest_like(&truth.digest, &res.bytes), truth.digest);
                assert_eq!(res.bytes, read(&truth.file));
            }
            let blobs = std::iter::once((&image.config.claimed_digest, &image.config.file))
                .chain(image.layers.iter().map(|l| (&l.claimed_digest, &l.file)));
            for (digest, file) in blobs {
                let url = format!("{}/v2/{repo}/blobs/{digest}", registry.url);
                let res = get(&url, &headers[1..]);
                assert_eq!(res.status, 200, "{} {repo} {digest}: {}", registry.kind, res.body);
                assert_eq!(res.header("Docker-Content-Digest"), Some(digest.clone()));
                assert_eq!(&digest_like(digest, &res.bytes), digest);
                assert_eq!(res.bytes, read(file));
            }
        }
    }
}

#[test]
fn token_server_logs_each_request_with_its_scopes_and_basic_user() {
    let rig = rig();
    let log = &rig.token_server.log;
    let before = std::fs::read_to_string(log).unwrap_or_default().lines().count();
    // A marker scope no other test asks for, so parallel tests do not confuse the count.
    let marker = format!("repository:public/log-marker-{}:pull", std::process::id());
    let alice = rig.user("alice").unwrap_or_else(|e| panic!("{e}"));
    token(&rig, &marker, None);
    token(&rig, &format!("{marker}&scope=registry:catalog:*"), Some((&alice.username, &alice.password)));
    token(&rig, &marker, Some((&alice.username, "not-her-password")));
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let lines: Vec<&str> = text.lines().skip(before).filter(|l| l.contains(&marker)).collect();
    assert_eq!(
        lines,
        [
            format!("token GET scope={marker} basic=none -> 200"),
            format!("token GET scope={marker} scope=registry:catalog:* basic=alice -> 200"),
            format!("token GET scope={marker} basic=alice -> 401"),
        ],
        "{}",
        log.display()
    );
    assert!(!text.contains(&alice.password) && !text.contains("not-her-password"), "passwords in the log");
}
