//! Every registry kind of the running rig answers as it is configured: the open one without auth,
//! the token one with a Bearer challenge whose realm issues working, scoped tokens, the htpasswd one
//! with a Basic challenge; every fixture is served with the digest its ground truth names, the
//! broken ones broken where their truth says; and the token server logs every request. The hub
//! (like Docker Hub) sends no CORS header from any of its three origins, names a realm on another
//! origin, lets anyone pull `library/*` and redirects blobs to its CDN; the pull-through mirror
//! serves the token registry's private images with CORS.

use base64::Engine as _;
use regsight_rig::RigInfo;
use regsight_rig::fixtures::{FIXTURE_NAMES, is_tar};
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
    send(method, url, headers, true)
}

/// A GET that returns a redirect instead of following it.
fn get_no_redirect(url: &str, headers: &[(&str, String)]) -> Answer {
    send("GET", url, headers, false)
}

fn send(method: &str, url: &str, headers: &[(&str, String)], follow_redirects: bool) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(if follow_redirects { 10 } else { 0 })
        .build()
        .into();
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
    token_from(&rig.token_server.realm, rig, scope, credentials)
}

fn token_from(realm: &str, rig: &RigInfo, scope: &str, credentials: Option<(&str, &str)>) -> Answer {
    let url = format!("{realm}?service={}&scope={}", rig.token_server.service, scope);
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
    // `rig bench-image` and `xtask bench` may have added benchmark images.
    let names: Vec<&str> =
        rig.fixtures.iter().map(|f| f.name.as_str()).filter(|n| !n.starts_with("bench-")).collect();
    assert_eq!(names, FIXTURE_NAMES, "the rig's fixtures");
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
    // An OAuth2 token POST: refused (GET only), its form's scope logged, never its password.
    let status = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30"])
        .args(["--data-urlencode", "grant_type=password", "--data-urlencode", "username=alice"])
        .args(["--data-urlencode", &format!("password={}", alice.password)])
        .args(["--data-urlencode", &format!("scope={marker} registry:catalog:*")])
        .arg(&rig.token_server.realm)
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    assert_eq!(String::from_utf8_lossy(&status.stdout), "405");
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let lines: Vec<&str> = text.lines().skip(before).filter(|l| l.contains(&marker)).collect();
    assert_eq!(
        lines,
        [
            format!("token GET scope={marker} basic=none -> 200"),
            format!("token GET scope={marker} scope=registry:catalog:* basic=alice -> 200"),
            format!("token GET scope={marker} basic=alice -> 401"),
            format!("token POST scope={marker}%20registry:catalog:* basic=none -> 405"),
        ],
        "{}",
        log.display()
    );
    assert!(!text.contains(&alice.password) && !text.contains("not-her-password"), "passwords in the log");
}

/// The names of an answer's `Access-Control-*` headers (the hub must send none).
fn cors_headers(answer: &Answer) -> Vec<String> {
    answer
        .headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

/// `scheme://host:port` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    url[after_scheme..].find('/').map(|i| &url[..after_scheme + i]).unwrap_or(url)
}

/// A bearer token for `scope` from the hub's realm, as `Authorization` value.
fn hub_bearer(rig: &RigInfo, scope: &str, credentials: Option<(&str, &str)>) -> String {
    let answer = token_from(&rig.hub.realm, rig, scope, credentials);
    assert_eq!(answer.status, 200, "hub token request: {}", answer.body);
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
    format!("Bearer {}", json["token"].as_str().unwrap_or_default())
}

fn hub_manifest_url(rig: &RigInfo, repo: &str, reference: &str) -> String {
    format!("{}/v2/{repo}/manifests/{reference}", rig.hub.url)
}

#[test]
fn hub_sends_no_cors_header_from_any_of_its_origins() {
    let rig = rig();
    let page = ("Origin", "http://page.example".to_owned());
    let image = rig.hub.images.first().unwrap_or_else(|| panic!("the hub has no images"));
    let fixture = rig.hub_fixture(image).unwrap_or_else(|e| panic!("{e}"));
    let manifest = hub_manifest_url(&rig, &image.repository, &image.tag);
    let mut answers = Vec::new();

    let v2 = get(&format!("{}/v2/", rig.hub.url), std::slice::from_ref(&page));
    assert_eq!(v2.status, 401, "{}", v2.body);
    answers.push(("GET /v2/", v2));
    let unauthorized = get(&manifest, &[page.clone(), ("Accept", ACCEPT.into())]);
    assert_eq!(unauthorized.status, 401, "{}", unauthorized.body);
    answers.push(("GET manifest without a token (401)", unauthorized));
    let scope = format!("repository:{}:pull", image.repository);
    let token_url = format!("{}?service={}&scope={scope}", rig.hub.realm, rig.token_server.service);
    let token = get(&token_url, std::slice::from_ref(&page));
    assert_eq!(token.status, 200, "{}", token.body);
    answers.push(("GET realm", token));
    let auth = ("Authorization", hub_bearer(&rig, &scope, None));
    let ok = get(&manifest, &[page.clone(), ("Accept", ACCEPT.into()), auth.clone()]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    answers.push(("GET manifest", ok));
    let layer = &fixture.images[0].layers[0];
    let blob = format!("{}/v2/{}/blobs/{}", rig.hub.url, image.repository, layer.claimed_digest);
    let redirect = get_no_redirect(&blob, &[page.clone(), auth.clone()]);
    assert_eq!(redirect.status, 307, "{}", redirect.body);
    let location = redirect.header("Location").unwrap_or_else(|| panic!("307 without Location"));
    answers.push(("GET blob (307)", redirect));
    // After a cross-origin redirect a browser sends `Origin: null` and no Authorization.
    let cdn = get(&location, &[("Origin", "null".into())]);
    assert_eq!(cdn.status, 200, "{}", cdn.body);
    answers.push(("GET blob from the CDN", cdn));

    // Preflights get no special answer: whatever comes back grants nothing.
    for url in [manifest.as_str(), rig.hub.realm.as_str(), location.as_str()] {
        let preflight = request(
            "OPTIONS",
            url,
            &[
                page.clone(),
                ("Access-Control-Request-Method", "GET".into()),
                ("Access-Control-Request-Headers", "authorization, accept".into()),
            ],
        );
        assert_ne!(preflight.status, 204, "OPTIONS {url}");
        answers.push(("OPTIONS preflight", preflight));
    }
    for (what, answer) in &answers {
        assert_eq!(cors_headers(answer), Vec::<String>::new(), "{what}: {:?}", answer.headers);
    }
}

#[test]
fn hub_challenge_names_a_realm_on_another_origin() {
    let rig = rig();
    let challenge = get(&format!("{}/v2/", rig.hub.url), &[]);
    assert_eq!(challenge.status, 401);
    let www = challenge.header("WWW-Authenticate").unwrap_or_else(|| panic!("no challenge"));
    assert!(www.starts_with("Bearer "), "{www}");
    let realm = param(&www, "realm");
    assert_eq!(realm, rig.hub.realm);
    assert_eq!(param(&www, "service"), rig.token_server.service);
    assert_eq!(origin(&realm), rig.hub.auth_url);
    assert_ne!(origin(&realm), origin(&rig.hub.url));
    assert_eq!(origin(&rig.hub.url), rig.hub.url);
    assert_eq!(format!("http://{}", rig.hub.host), rig.hub.url);
    let cdn = origin(&rig.hub.cdn.url);
    assert!(cdn != origin(&rig.hub.url) && cdn != origin(&realm), "{cdn}");

    // A repository's challenge names the scope to ask for.
    let image = &rig.hub.images[0];
    let res = get(&hub_manifest_url(&rig, &image.repository, &image.tag), &[("Accept", ACCEPT.into())]);
    assert_eq!(res.status, 401);
    let www = res.header("WWW-Authenticate").unwrap_or_default();
    assert_eq!(param(&www, "realm"), rig.hub.realm);
    assert_eq!(param(&www, "scope"), format!("repository:{}:pull", image.repository));
}

#[test]
fn hub_lets_anyone_pull_library_images_and_only_users_private_ones() {
    let rig = rig();
    assert!(rig.hub.images.len() >= 3, "{:?}", rig.hub.images);
    for image in &rig.hub.images {
        assert!(image.repository.starts_with("library/"), "{}", image.repository);
        let fixture = rig.hub_fixture(image).unwrap_or_else(|e| panic!("{e}"));
        let auth = hub_bearer(&rig, &format!("repository:{}:pull", image.repository), None);
        let res = get(
            &hub_manifest_url(&rig, &image.repository, &image.tag),
            &[("Accept", ACCEPT.into()), ("Authorization", auth)],
        );
        assert_eq!(res.status, 200, "{}: {}", image.repository, res.body);
        assert_eq!(res.header("Docker-Content-Digest"), Some(fixture.manifest.claimed_digest.clone()));
        assert_eq!(res.bytes, read(&fixture.manifest.file), "{}", image.repository);
    }

    let alice = rig.user("alice").unwrap_or_else(|e| panic!("{e}"));
    assert!(!rig.hub.private.is_empty());
    for image in &rig.hub.private {
        let fixture = rig.hub_fixture(image).unwrap_or_else(|e| panic!("{e}"));
        let url = hub_manifest_url(&rig, &image.repository, &image.tag);
        let scope = format!("repository:{}:pull", image.repository);
        let anonymous = hub_bearer(&rig, &scope, None);
        let res = get(&url, &[("Accept", ACCEPT.into()), ("Authorization", anonymous)]);
        assert_eq!(res.status, 401, "{}: {}", image.repository, res.body);
        assert!(res.header("WWW-Authenticate").unwrap_or_default().contains("insufficient_scope"));
        let granted = hub_bearer(&rig, &scope, Some((&alice.username, &alice.password)));
        let res = get(&url, &[("Accept", ACCEPT.into()), ("Authorization", granted)]);
        assert_eq!(res.status, 200, "{}: {}", image.repository, res.body);
        assert_eq!(res.header("Docker-Content-Digest"), Some(fixture.manifest.claimed_digest.clone()));
        assert_eq!(res.bytes, read(&fixture.manifest.file));
    }
}

#[test]
fn hub_redirects_blob_gets_to_its_cdn_which_serves_the_truth() {
    let rig = rig();
    let cdn_log = &rig.hub.cdn.log;
    for image in &rig.hub.images {
        let fixture = rig.hub_fixture(image).unwrap_or_else(|e| panic!("{e}"));
        let repo = &image.repository;
        let auth = ("Authorization", hub_bearer(&rig, &format!("repository:{repo}:pull"), None));
        for platform in &fixture.images {
            // Platform manifests come from the registry itself, by digest.
            let res = get(
                &hub_manifest_url(&rig, repo, &platform.manifest.claimed_digest),
                &[("Accept", ACCEPT.into()), auth.clone()],
            );
            assert_eq!(res.status, 200, "{repo}@{}: {}", platform.manifest.claimed_digest, res.body);
            assert_eq!(res.bytes, read(&platform.manifest.file));
            let blobs = std::iter::once((
                &platform.config.claimed_digest,
                &platform.config.digest,
                &platform.config.file,
            ))
            .chain(platform.layers.iter().map(|l| (&l.claimed_digest, &l.digest, &l.file)));
            for (claimed, digest, file) in blobs {
                let url = format!("{}/v2/{repo}/blobs/{claimed}", rig.hub.url);
                let redirect = get_no_redirect(&url, std::slice::from_ref(&auth));
                assert_eq!(redirect.status, 307, "{url}: {}", redirect.body);
                let location = redirect.header("Location").unwrap_or_default();
                assert_eq!(location, format!("{}/v2/{repo}/blobs/{claimed}", rig.hub.cdn.url));
                // Followed as a browser does across origins: without the Authorization header.
                let res = get(&location, &[]);
                assert_eq!(res.status, 200, "{location}: {}", res.body);
                assert_eq!(res.bytes, read(file), "{location}");
                assert_eq!(&digest_like(claimed, &res.bytes), digest, "{location}");
            }
        }
    }
    // The broken image is broken at the CDN as its truth says.
    let broken = rig.hub.images.iter().find(|i| i.fixture == "broken-blob").map(|i| rig.hub_fixture(i));
    if let Some(Ok(fixture)) = broken {
        let layer = &fixture.images[0].layers[fixture.expect.failing_layer.unwrap_or_default()];
        assert_ne!(layer.digest, layer.claimed_digest);
    }
    // The CDN logs what it receives, Authorization included.
    let marker = format!("Bearer cdn-log-marker-{}", std::process::id());
    let image = &rig.hub.images[0];
    let fixture = rig.hub_fixture(image).unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "{}/v2/{}/blobs/{}",
        rig.hub.cdn.url, image.repository, fixture.images[0].config.claimed_digest
    );
    assert_eq!(get(&url, &[("Authorization", marker.clone())]).status, 200);
    // nginx writes the access log line as it finalizes the request, which may be just after the
    // client has its answer: give it up to two seconds.
    let logged = format!("auth=\"{marker}\"");
    let mut text = String::new();
    for _ in 0..40 {
        text = std::fs::read_to_string(cdn_log).unwrap_or_else(|e| panic!("{}: {e}", cdn_log.display()));
        if text.contains(&logged) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(text.contains(&logged), "{} has no line with {logged}", cdn_log.display());
    assert!(
        text.lines()
            .any(|l| l.contains(&format!("/v2/{}/blobs/", image.repository)) && l.ends_with("auth=\"-\""))
    );
}

#[test]
fn pull_through_mirror_serves_a_private_image_with_cors() {
    let rig = rig();
    let mirror = &rig.pull_through;
    assert_eq!(mirror.upstream, rig.token.url);
    let config = std::fs::read_to_string(&mirror.config)
        .unwrap_or_else(|e| panic!("{}: {e}", mirror.config.display()));
    assert!(config.contains(&format!("remoteurl: {}", mirror.upstream)), "{config}");
    assert!(!config.lines().any(|l| l.starts_with("auth:")), "the mirror must have no auth section");

    // No auth: /v2/ answers, and a preflight gets the CORS headers.
    let v2 = get(&format!("{}/v2/", mirror.url), &[("Origin", "http://page.example".into())]);
    assert_eq!(v2.status, 200, "{}", v2.body);
    assert_eq!(v2.header("Access-Control-Allow-Origin"), Some("*".into()));
    let fixture = docker_v2(&rig);
    let repo = &fixture.repositories[1];
    assert!(repo.starts_with("private/"), "{repo}");
    let url = format!("{}/v2/{repo}/manifests/{}", mirror.url, fixture.tag);
    let preflight = request(
        "OPTIONS",
        &url,
        &[
            ("Origin", "http://page.example".into()),
            ("Access-Control-Request-Method", "GET".into()),
            ("Access-Control-Request-Headers", "accept".into()),
        ],
    );
    assert_eq!(preflight.status, 200);
    assert!(preflight.header("Access-Control-Allow-Headers").unwrap_or_default().contains("Accept"));

    // The private manifest, fetched upstream with the mirror's credentials, unchanged.
    let page = ("Origin", "http://page.example".to_owned());
    let res = get(&url, &[page.clone(), ("Accept", ACCEPT.into())]);
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("Access-Control-Allow-Origin"), Some("*".into()));
    assert!(
        res.header("Access-Control-Expose-Headers").unwrap_or_default().contains("Docker-Content-Digest")
    );
    assert_eq!(res.header("Docker-Content-Digest"), Some(fixture.manifest.claimed_digest.clone()));
    assert_eq!(res.bytes, read(&fixture.manifest.file));

    // Its config and layers come through too, byte for byte.
    let image = &fixture.images[0];
    let blobs = std::iter::once((&image.config.claimed_digest, &image.config.file))
        .chain(image.layers.iter().map(|l| (&l.claimed_digest, &l.file)));
    for (digest, file) in blobs {
        let res = get(&format!("{}/v2/{repo}/blobs/{digest}", mirror.url), std::slice::from_ref(&page));
        assert_eq!(res.status, 200, "{digest}: {}", res.body);
        assert_eq!(res.header("Access-Control-Allow-Origin"), Some("*".into()), "{digest}");
        assert_eq!(res.bytes, read(file), "{digest}");
    }
}

/// The tags `GET <registry>/v2/<repo>/tags/list` answers (with `headers`), sorted.
fn served_tags(registry: &RegistryInfo, repo: &str, headers: &[(&str, String)]) -> Vec<String> {
    let res = get(&format!("{}/v2/{repo}/tags/list", registry.url), headers);
    assert_eq!(res.status, 200, "{} {repo}: {}", registry.kind, res.body);
    let json: serde_json::Value = serde_json::from_str(&res.body).unwrap_or_default();
    let mut tags: Vec<String> = serde_json::from_value(json["tags"].clone()).unwrap_or_default();
    tags.sort_unstable();
    tags
}

#[test]
fn tags_10k_lists_exactly_its_ten_thousand_tags() {
    let rig = rig();
    let fixture = fixture(&rig, "tags-10k");
    let mut recorded = fixture.tags.clone();
    assert_eq!(recorded.len(), 10_000);
    assert_eq!(recorded[0], fixture.tag);
    recorded.sort_unstable();
    recorded.dedup();
    assert_eq!(recorded.len(), 10_000, "the recorded tags are distinct");
    let (public, private) = (&fixture.repositories[0], &fixture.repositories[1]);
    assert_eq!(served_tags(&rig.open, public, &[]), recorded);
    let alice = rig.user("alice").unwrap_or_else(|e| panic!("{e}"));
    let auth = [("Authorization", basic(&alice.username, &alice.password))];
    assert_eq!(served_tags(&rig.basic, public, &auth), recorded);
    assert_eq!(served_tags(&rig.basic, private, &auth), vec![fixture.tag.clone()], "the private copy");
    // Every tag names the one image.
    for tag in ["1.10.0", "3.12.1-alpine3.20", "bookworm", "20240101", "v2.9.9", "2.0.0-beta.2"] {
        assert!(fixture.tags.iter().any(|t| t == tag), "{tag}");
        let res = get(&manifest_url(&rig.open, public, tag), &[("Accept", ACCEPT.into())]);
        assert_eq!(res.status, 200, "{tag}: {}", res.body);
        assert_eq!(
            res.header("Docker-Content-Digest"),
            Some(fixture.manifest.claimed_digest.clone()),
            "{tag}"
        );
    }
}

#[test]
fn hostile_strings_are_served_in_every_registry_controlled_field() {
    let rig = rig();
    let fixture = fixture(&rig, "hostile-strings");
    assert!(fixture.expect.ok);
    let hostile = |s: &str| s.contains('<') || s.to_ascii_lowercase().contains("javascript:");
    let image = &fixture.images[0];
    let manifest: serde_json::Value = serde_json::from_slice(&read(&image.manifest.file)).unwrap_or_default();
    let config: serde_json::Value = serde_json::from_slice(&read(&image.config.file)).unwrap_or_default();
    let c = &config["config"];
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
    };
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v.as_object().into_iter().flat_map(|o| o.keys().cloned()).collect()
    };
    let values = |v: &serde_json::Value| -> Vec<String> {
        v.as_object()
            .into_iter()
            .flat_map(|o| o.values())
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    let history = config["history"].as_array().cloned().unwrap_or_default();
    let fields: Vec<(&str, Vec<String>)> = vec![
        ("Env", strings(&c["Env"])),
        ("Cmd", strings(&c["Cmd"])),
        ("Entrypoint", strings(&c["Entrypoint"])),
        ("User", vec![c["User"].as_str().unwrap_or_default().to_owned()]),
        ("WorkingDir", vec![c["WorkingDir"].as_str().unwrap_or_default().to_owned()]),
        ("ExposedPorts keys", keys(&c["ExposedPorts"])),
        ("Labels keys", keys(&c["Labels"])),
        ("Labels values", values(&c["Labels"])),
        (
            "history created_by",
            history.iter().filter_map(|h| h["created_by"].as_str().map(str::to_owned)).collect(),
        ),
        (
            "history comment",
            history.iter().filter_map(|h| h["comment"].as_str().map(str::to_owned)).collect(),
        ),
        ("manifest annotations keys", keys(&manifest["annotations"])),
        ("manifest annotations values", values(&manifest["annotations"])),
        ("layer files", image.layers[0].files.clone().unwrap_or_default()),
    ];
    for (field, found) in fields {
        assert!(found.iter().any(|s| hostile(s)), "{field}: {found:?}");
    }
    let files = image.layers[0].files.clone().unwrap_or_default();
    for name in
        ["<img src=x onerror=alert(1)>.txt", "<script>alert(1)</script>/", "javascript:window.__pwned=1"]
    {
        assert!(files.iter().any(|f| f == name), "{name} in {files:?}");
    }
}

#[test]
fn every_tar_layer_that_decompresses_is_listed_by_tar() {
    let rig = rig();
    for fixture in rig.fixtures.iter().filter(|f| !f.name.starts_with("bench-")) {
        for image in &fixture.images {
            for (i, layer) in image.layers.iter().enumerate().filter(|(_, l)| is_tar(&l.media_type)) {
                let at = format!("{} {} layer {i}", fixture.name, image.platform);
                assert_eq!(layer.files.is_some(), layer.decompresses, "{at}: {:?}", layer.files);
                assert!(layer.files.as_ref().is_none_or(|f| !f.is_empty()), "{at}");
            }
        }
    }
    let docker = docker_v2(&rig);
    let whiteouts = docker.images[0].layers[2].files.clone().unwrap_or_default();
    assert!(whiteouts.iter().any(|f| f == "etc/.wh.old"), "{whiteouts:?}");
    let corrupt = fixture(&rig, "corrupt-blob");
    assert_eq!(corrupt.images[0].layers[1].files, None);
}
