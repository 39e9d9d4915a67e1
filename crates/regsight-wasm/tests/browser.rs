//! The client in headless Chromium against the rig's real registries: every registry kind, every
//! fixture, credentials, errors, token refresh and abort. Expected values come from `rig.json`,
//! whose ground truth was computed by sha256sum/gzip/zstd, never by our code.
//!
//! Run by `cargo xtask test`, which passes the rig description at compile time.
#![cfg(target_arch = "wasm32")]

use serde_json::{Value, json};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::{client, fixture, js, rig, settle, user};

fn image_ref(registry: &Value, repo: &str, tag: &str) -> String {
    format!("{}/{repo}:{tag}", registry["host"].as_str().unwrap_or_default())
}

/// Every fixture the rig must describe: a missing or renamed one fails the suite instead of
/// quietly shrinking it.
const FIXTURES: [&str; 18] = [
    "docker-v2",
    "oci-gzip",
    "oci-mixed",
    "multiarch",
    "multiarch-docker",
    "multimember",
    "attestation",
    "many-tags",
    "tags-10k",
    "hostile-strings",
    "broken-blob",
    "broken-diffid",
    "broken-size",
    "broken-manifest",
    "corrupt-blob",
    "sha512",
    "layer-1m",
    "layer-64m",
];

/// The rig's fixtures, checked to be exactly [`FIXTURES`].
fn all_fixtures(rig: &Value) -> Vec<Value> {
    let list = rig["fixtures"].as_array().cloned().unwrap_or_else(|| panic!("rig.json has no fixtures"));
    let mut names: Vec<&str> = list.iter().map(|f| f["name"].as_str().unwrap_or_default()).collect();
    names.sort_unstable();
    let mut expected = FIXTURES.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected, "the rig's fixtures");
    list
}

/// `value[key]` as a string, panicking with the key's name.
fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_else(|| panic!("no string {key:?} in {value}"))
}

/// Asserts a verify result (of the reference by tag) against a fixture's ground truth and
/// expectation; `registry` is the rig registry that served it.
fn assert_matches_truth(result: &Value, fixture: &Value, platform_image: usize, registry: &Value) {
    let name = &fixture["name"];
    let expect = &fixture["expect"];
    let truth = &fixture["images"][platform_image];
    assert_eq!(result["ok"], expect["ok"], "{name}: ok ({:?})", result["problems"]);
    assert_eq!(result["manifestDigest"], truth["manifest"]["digest"], "{name}: manifest digest");
    assert_eq!(result["imageId"], truth["config"]["digest"], "{name}: image id");
    assert_eq!(result["imageIdMatch"], Value::Null, "{name}: no image ID was expected");
    let source = json!({"origin": registry["url"], "viaMirror": false, "pinned": false});
    assert_eq!(result["source"], source, "{name}: source");
    if expect["failingCheck"] == "manifest" {
        // By tag: the registry's own Docker-Content-Digest names other bytes than it serves.
        assert_ne!(truth["manifest"]["digest"], truth["manifest"]["claimedDigest"], "{name}: truth");
        assert_eq!(result["chain"]["manifest"]["header"], "failed", "{name}: {:?}", result["problems"]);
        assert_eq!(result["verdict"], "failed", "{name}");
    }
    let layers = result["layers"].as_array().unwrap_or_else(|| panic!("{name}: no layers"));
    let truth_layers = truth["layers"].as_array().unwrap_or_else(|| panic!("{name}: no truth layers"));
    assert_eq!(layers.len(), truth_layers.len(), "{name}: layer count");
    assert!(!layers.is_empty(), "{name}: an image without layers proves nothing here");
    for (i, (got, want)) in layers.iter().zip(truth_layers).enumerate() {
        let failing = expect["failingLayer"].as_u64() == Some(i as u64);
        assert_eq!(got["ok"], json!(!failing), "{name} layer {i}: {:?}", got["error"]);
        // The blob's own digest and size are reported whatever else went wrong.
        assert_eq!(got["computedDigest"], want["digest"], "{name} layer {i}: computed digest");
        assert_eq!(got["bytes"], want["size"], "{name} layer {i}: size");
        let other_codes: Vec<&str> = got["otherErrors"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} layer {i}: no otherErrors"))
            .iter()
            .map(|e| text(e, "code"))
            .collect();
        match (failing, expect["failingCheck"].as_str()) {
            (true, Some("digest")) => {
                assert_ne!(got["computedDigest"], got["digest"], "{name} layer {i}");
                assert_eq!(got["error"]["code"], "DIGEST_MISMATCH");
            }
            (true, Some("stream")) => {
                assert_ne!(got["computedDigest"], got["digest"], "{name} layer {i}");
                assert_eq!(got["error"]["code"], "DIGEST_MISMATCH", "{name} layer {i}");
                assert_eq!(other_codes, ["CORRUPT_STREAM"], "{name} layer {i}");
                assert_eq!(got["computedDiffId"], Value::Null, "{name} layer {i}");
            }
            (true, Some("size")) => {
                assert_ne!(got["bytes"], got["size"], "{name} layer {i}");
                assert_eq!(got["error"]["code"], "SIZE_MISMATCH", "{name} layer {i}");
            }
            (true, Some("diff_id")) => {
                assert_eq!(got["computedDiffId"], want["diffId"], "{name} layer {i}: computed diff_id");
                assert_ne!(got["computedDiffId"], got["diffId"], "{name} layer {i}");
                assert_eq!(got["error"]["code"], "DIGEST_MISMATCH");
            }
            (true, other) => panic!("{name}: unknown failing check {other:?}"),
            (false, _) => {
                assert_eq!(got["computedDiffId"], want["diffId"], "{name} layer {i}: diff_id");
                assert_eq!(got["uncompressedBytes"], want["uncompressedSize"], "{name} layer {i}");
                assert_eq!(got["error"], Value::Null, "{name} layer {i}");
                assert!(other_codes.is_empty(), "{name} layer {i}: {other_codes:?}");
            }
        }
    }
}

/// Verifies every fixture by tag through `registry` (its `repositories[repo]`) with `c`, and
/// checks each against its ground truth.
async fn every_fixture_on(registry: &Value, repo: usize, c: &regsight_wasm::Client) {
    let rig = rig();
    for f in &all_fixtures(&rig) {
        let reference = image_ref(
            registry,
            f["repositories"][repo].as_str().unwrap_or_else(|| panic!("no repository {repo} in {f}")),
            text(f, "tag"),
        );
        let result =
            settle(c.verify(reference.clone(), None)).await.unwrap_or_else(|e| panic!("{reference}: {e:?}"));
        // The default platform is linux/amd64: the first image of multi-arch fixtures.
        assert_matches_truth(&result, f, 0, registry);
        let media_type = text(&f["manifest"], "mediaType");
        if media_type.contains("index") || media_type.contains("list") {
            assert_eq!(result["indexDigest"], f["manifest"]["digest"], "{reference}");
        }
    }
}

#[wasm_bindgen_test]
async fn every_fixture_verifies_as_its_ground_truth_says_on_the_open_registry() {
    let rig = rig();
    every_fixture_on(&rig["open"], 0, &client(json!({}))).await;
}

#[wasm_bindgen_test]
async fn every_fixture_verifies_on_the_token_registry_anonymously_and_with_a_password() {
    let rig = rig();
    every_fixture_on(&rig["token"], 0, &client(json!({}))).await;
    let (username, password) = user(&rig, "alice");
    let host = text(&rig["token"], "host");
    let alice = client(json!({"credentials": {host: {"username": username, "password": password}}}));
    every_fixture_on(&rig["token"], 1, &alice).await;
}

#[wasm_bindgen_test]
async fn every_fixture_verifies_on_the_basic_registry() {
    let rig = rig();
    let (username, password) = user(&rig, "alice");
    let host = text(&rig["basic"], "host");
    let alice = client(json!({"credentials": {host: {"username": username, "password": password}}}));
    every_fixture_on(&rig["basic"], 1, &alice).await;
}

#[wasm_bindgen_test]
async fn every_fixture_verifies_through_blob_redirects_to_a_cdn() {
    let rig = rig();
    let (username, password) = user(&rig, "alice");
    let host = text(&rig["redirecting"], "host");
    let alice = client(json!({"credentials": {host: {"username": username, "password": password}}}));
    every_fixture_on(&rig["redirecting"], 1, &alice).await;
}

#[wasm_bindgen_test]
async fn every_fixture_verifies_when_pinned_and_a_pin_the_bytes_miss_is_a_digest_mismatch() {
    let rig = rig();
    let c = client(json!({}));
    for f in &all_fixtures(&rig) {
        let claimed = text(&f["manifest"], "claimedDigest");
        let reference = format!(
            "{}/{}@{claimed}",
            text(&rig["open"], "host"),
            f["repositories"][0].as_str().unwrap_or_default()
        );
        let outcome = settle(c.verify(reference.clone(), None)).await;
        if f["expect"]["failingCheck"] == "manifest" {
            // The registry serves bytes that do not hash to the digest asked for: nothing below
            // them can be trusted, so the call fails naming both digests.
            let (code, message) = outcome.expect_err("a pin the bytes miss");
            assert_eq!(code, "DIGEST_MISMATCH", "{reference}: {message}");
            assert!(message.contains(claimed), "{message}");
            assert!(message.contains(text(&f["manifest"], "digest")), "{message}");
            continue;
        }
        let result = outcome.unwrap_or_else(|e| panic!("{reference}: {e:?}"));
        assert_eq!(result["ok"], f["expect"]["ok"], "{reference}: {:?}", result["problems"]);
        assert_eq!(result["source"]["pinned"], true, "{reference}");
        let top = if f["images"][0]["manifest"]["digest"] == f["manifest"]["digest"] {
            &result["manifestDigest"]
        } else {
            &result["indexDigest"]
        };
        assert_eq!(top.as_str(), Some(claimed), "{reference}: digest in the pin's algorithm");
        let expected_check = if f["images"][0]["manifest"]["digest"] == f["manifest"]["digest"] {
            &result["chain"]["manifest"]["expected"]
        } else {
            &result["chain"]["index"]["expected"]
        };
        assert_eq!(expected_check, "passed", "{reference}");
        assert!(
            text(&result, "pinnedReference").ends_with(claimed),
            "{reference}: {}",
            result["pinnedReference"]
        );
    }
}

#[wasm_bindgen_test]
async fn a_platform_is_chosen_from_an_index() {
    let rig = rig();
    let c = client(json!({}));
    for name in ["multiarch", "multiarch-docker"] {
        let f = fixture(&rig, name);
        let reference = image_ref(&rig["open"], f["repositories"][0].as_str().unwrap_or_default(), "v1");
        let options = js(&json!({"platform": "linux/arm/v7"}));
        let result =
            settle(c.verify(reference.clone(), Some(options))).await.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(result["platform"], "linux/arm/v7");
        assert_matches_truth(&result, f, 2, &rig["open"]);
        let missing = settle(c.manifest(reference, Some(js(&json!({"platform": "linux/s390x"}))))).await;
        let (code, message) = missing.expect_err("no s390x image");
        assert!(message.contains("linux/arm64/v8"), "{code}: {message}");
    }
}

#[wasm_bindgen_test]
async fn token_registry_with_anonymous_and_password_credentials() {
    let rig = rig();
    let f = fixture(&rig, "docker-v2");
    let host = rig["token"]["host"].as_str().unwrap_or_default().to_owned();
    let public = image_ref(&rig["token"], "public/docker-v2", "v1");
    let private = image_ref(&rig["token"], "private/docker-v2", "v1");

    let anonymous = client(json!({}));
    let result = settle(anonymous.verify(public, None)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_matches_truth(&result, f, 0, &rig["token"]);
    let (code, _) =
        settle(anonymous.manifest(private.clone(), None)).await.expect_err("private needs credentials");
    assert!(code == "DENIED" || code == "UNAUTHORIZED", "{code}");

    let (username, password) = user(&rig, "alice");
    let alice = client(json!({"credentials": {host.clone(): {"username": username, "password": password}}}));
    let result = settle(alice.verify(private.clone(), None)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_matches_truth(&result, f, 0, &rig["token"]);

    let wrong = client(json!({"credentials": {host: {"username": "alice", "password": "wrong"}}}));
    let (code, message) = settle(wrong.manifest(private, None)).await.expect_err("wrong password");
    assert_eq!(code, "UNAUTHORIZED", "{message}");
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .map(|f| f.unchecked_into())
            .unwrap_or_else(|e| panic!("no setTimeout: {e:?}"));
        let _ = set_timeout.call2(&JsValue::NULL, &resolve, &ms.into());
    });
    let _ = JsFuture::from(promise).await;
}

#[wasm_bindgen_test]
async fn a_cached_token_the_registry_now_refuses_is_refreshed() {
    let rig = rig();
    let host = rig["token"]["host"].as_str().unwrap_or_default().to_owned();
    let (username, password) = user(&rig, "stale");
    // The rig's `stale` tokens live ~2 s at the registry but claim 60 s: the client caches them.
    let stale = client(json!({"credentials": {host: {"username": username, "password": password}}}));
    let private = image_ref(&rig["token"], "private/oci-gzip", "v1");
    let first = settle(stale.manifest(private.clone(), None)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(first["digest"], fixture(&rig, "oci-gzip")["manifest"]["digest"]);
    sleep(3_000).await;
    let result = settle(stale.verify(private, None)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_matches_truth(&result, fixture(&rig, "oci-gzip"), 0, &rig["token"]);
}

#[wasm_bindgen_test]
async fn basic_registry_with_credentials() {
    let rig = rig();
    let host = rig["basic"]["host"].as_str().unwrap_or_default().to_owned();
    let (username, password) = user(&rig, "alice");
    let c = client(json!({"credentials": {host.clone(): {"username": username, "password": password}}}));
    let reference = image_ref(&rig["basic"], "private/oci-mixed", "v1");
    let result = settle(c.verify(reference.clone(), None)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_matches_truth(&result, fixture(&rig, "oci-mixed"), 0, &rig["basic"]);
    let anonymous = client(json!({}));
    let (code, _) = settle(anonymous.tags(reference, None)).await.expect_err("needs credentials");
    assert_eq!(code, "UNAUTHORIZED");
}

#[wasm_bindgen_test]
async fn tags_unknown_names_and_mirrors() {
    let rig = rig();
    let f = fixture(&rig, "many-tags");
    let c = client(json!({}));
    let tags = settle(c.tags(image_ref(&rig["open"], "public/many-tags", "latest"), None))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut got: Vec<String> = serde_json::from_value(tags).unwrap_or_else(|e| panic!("tags: {e}"));
    let mut want: Vec<String> =
        serde_json::from_value(f["tags"].clone()).unwrap_or_else(|e| panic!("rig tags: {e}"));
    assert_eq!(want.len(), 326, "the rig's many-tags fixture");
    got.sort();
    want.sort();
    assert_eq!(got, want);

    let (code, _) = settle(c.tags(image_ref(&rig["open"], "public/does-not-exist", "x"), None))
        .await
        .expect_err("unknown repo");
    assert_eq!(code, "NAME_UNKNOWN");
    let (code, _) = settle(c.manifest(image_ref(&rig["open"], "public/docker-v2", "no-such-tag"), None))
        .await
        .expect_err("unknown tag");
    assert_eq!(code, "MANIFEST_UNKNOWN");

    // A mirror for docker.io: `python:2.7`-style names reach the rig.
    let mirror = client(json!({"mirrors": {"docker.io": rig["open"]["url"]}}));
    let result =
        settle(mirror.manifest("public/docker-v2:v1".into(), None)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["digest"], fixture(&rig, "docker-v2")["manifest"]["digest"]);

    let (code, _) = settle(c.manifest("Not A Reference".into(), None)).await.expect_err("bad reference");
    assert_eq!(code, "INVALID_REFERENCE");
}

#[wasm_bindgen_test]
async fn an_unreachable_registry_is_a_network_error_that_mentions_cors() {
    let c = client(json!({}));
    let (code, message) =
        settle(c.manifest("127.0.0.1:9/x/y:z".into(), None)).await.expect_err("nothing listens on port 9");
    assert_eq!(code, "NETWORK");
    assert!(message.contains("CORS"), "{message}");
}

#[wasm_bindgen_test]
async fn abort_stops_a_verification_mid_layer() {
    let rig = rig();
    let c = client(json!({"concurrency": 1}));
    let controller = web_sys::AbortController::new().unwrap_or_else(|e| panic!("{e:?}"));
    let signal = controller.signal();
    let abort = wasm_bindgen::closure::Closure::<dyn Fn(JsValue)>::new(move |_| controller.abort());
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"signal".into(), &signal);
    let _ = js_sys::Reflect::set(&options, &"onProgress".into(), abort.as_ref());
    let reference = image_ref(&rig["open"], "public/docker-v2", "v1");
    let (code, _) = settle(c.verify(reference, Some(options.into()))).await.expect_err("aborted");
    assert_eq!(code, "ABORTED");
}

#[wasm_bindgen_test]
async fn a_pre_issued_token_is_sent_as_is() {
    let rig = rig();
    let (username, password) = user(&rig, "alice");
    // Obtain a token the way a CI system would, then hand it to the client.
    let realm = rig["tokenServer"]["realm"].as_str().unwrap_or_default();
    let service = rig["tokenServer"]["service"].as_str().unwrap_or_default();
    let url = format!("{realm}?service={service}&scope=repository:private/oci-gzip:pull");
    let basic = format!(
        "Basic {}",
        js_sys::global()
            .unchecked_into::<web_sys::WorkerGlobalScope>()
            .btoa(&format!("{username}:{password}"))
            .unwrap_or_default()
    );
    let headers = web_sys::Headers::new().unwrap_or_else(|e| panic!("{e:?}"));
    let _ = headers.set("Authorization", &basic);
    let init = web_sys::RequestInit::new();
    init.set_headers(&headers);
    let fetch: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"fetch".into())
        .map(|f| f.unchecked_into())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let response = JsFuture::from(js_sys::Promise::from(
        fetch.call2(&JsValue::NULL, &url.into(), &init).unwrap_or_else(|e| panic!("{e:?}")),
    ))
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    let response: web_sys::Response = response.unchecked_into();
    let body = JsFuture::from(response.json().unwrap_or_else(|e| panic!("{e:?}")))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let token =
        js_sys::Reflect::get(&body, &"token".into()).ok().and_then(|t| t.as_string()).unwrap_or_default();
    assert!(!token.is_empty());

    let host = rig["token"]["host"].as_str().unwrap_or_default().to_owned();
    let c = client(json!({"credentials": {host: {"token": token}}}));
    let result = settle(c.manifest(image_ref(&rig["token"], "private/oci-gzip", "v1"), None))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["digest"], fixture(&rig, "oci-gzip")["manifest"]["digest"]);
}

#[wasm_bindgen_test]
async fn a_pin_from_another_repository_is_unknown_there_and_a_digest_wins_over_the_tag() {
    let rig = rig();
    let other = text(&fixture(&rig, "oci-gzip")["manifest"], "digest").to_owned();
    let host = text(&rig["open"], "host");
    let c = client(json!({}));
    // A digest wins over the tag and is looked up in this repository, where it does not exist.
    let (code, _) = settle(c.manifest(format!("{host}/public/docker-v2:v1@{other}"), None))
        .await
        .expect_err("pinned to another repository's digest");
    assert_eq!(code, "MANIFEST_UNKNOWN");
    let own = text(&fixture(&rig, "docker-v2")["manifest"], "digest").to_owned();
    let result = settle(c.verify(format!("{host}/public/docker-v2:no-such-tag@{own}"), None))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["ok"], true, "{:?}", result["problems"]);
}

#[wasm_bindgen_test]
async fn a_mirror_gets_only_the_credentials_keyed_by_its_own_host() {
    let rig = rig();
    let (username, password) = user(&rig, "alice");
    let mirror = text(&rig["token"], "url");
    let alice = json!({"username": username, "password": password});
    // Docker Hub credentials do not travel to a mirror of Docker Hub.
    let hub_keyed = client(json!({"mirrors": {"docker.io": mirror}, "credentials": {"docker.io": alice}}));
    let (code, message) = settle(hub_keyed.manifest("private/docker-v2:v1".into(), None))
        .await
        .expect_err("the mirror must not get docker.io's credentials");
    assert!(code == "DENIED" || code == "UNAUTHORIZED", "{code}: {message}");
    // Keyed by the mirror's own host (any case, default port or not), they do.
    let host = text(&rig["token"], "host").to_uppercase();
    let mirror_keyed = client(json!({"mirrors": {"docker.io": mirror}, "credentials": {host: alice}}));
    let result = settle(mirror_keyed.verify("private/docker-v2:v1".into(), None))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["ok"], true, "{:?}", result["problems"]);
    assert_eq!(result["source"], json!({"origin": mirror, "viaMirror": true, "pinned": false}));
    assert_eq!(result["manifestDigest"], fixture(&rig, "docker-v2")["manifest"]["digest"]);
}

#[wasm_bindgen_test]
async fn an_expected_image_id_is_checked_against_the_config() {
    let rig = rig();
    let f = fixture(&rig, "docker-v2");
    let image_id = text(&f["images"][0]["config"], "digest");
    let reference = image_ref(&rig["open"], "public/docker-v2", "v1");
    let c = client(json!({}));
    // As `docker images` shows it: the first 12 hex digits.
    let prefix = &image_id["sha256:".len()..][..12];
    let result = settle(c.verify(reference.clone(), Some(js(&json!({"expectImageId": prefix})))))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!((result["ok"].clone(), result["imageIdMatch"].clone()), (json!(true), json!(true)));
    let other = text(&fixture(&rig, "oci-gzip")["images"][0]["config"], "digest");
    let result = settle(c.verify(reference.clone(), Some(js(&json!({"expectImageId": other})))))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!((result["ok"].clone(), result["imageIdMatch"].clone()), (json!(false), json!(false)));
    assert!(result["problems"].to_string().contains(other), "{:?}", result["problems"]);
    let (code, _) = settle(c.verify(reference, Some(js(&json!({"expectImageId": "f67e"})))))
        .await
        .expect_err("too short to name an image");
    assert_eq!(code, "INVALID_ARGUMENT");
}

#[wasm_bindgen_test]
async fn limits_stop_a_layer_with_limit_exceeded() {
    let rig = rig();
    let c = client(json!({"limits": {"maxUncompressedSize": 100000}}));
    let result = settle(c.verify(image_ref(&rig["open"], "public/docker-v2", "v1"), None))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["ok"], false);
    assert_eq!(result["layers"][0]["error"]["code"], "LIMIT_EXCEEDED", "{:?}", result["layers"][0]);
}
