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

/// Asserts a verify result against a fixture's ground truth and expectation.
fn assert_matches_truth(result: &Value, fixture: &Value, platform_image: usize) {
    let name = &fixture["name"];
    let expect = &fixture["expect"];
    let truth = &fixture["images"][platform_image];
    assert_eq!(result["ok"], expect["ok"], "{name}: ok ({:?})", result["problems"]);
    assert_eq!(result["manifestDigest"], truth["manifest"]["digest"], "{name}: manifest digest");
    assert_eq!(result["imageId"], truth["config"]["digest"], "{name}: image id");
    let layers = result["layers"].as_array().unwrap_or_else(|| panic!("{name}: no layers"));
    let truth_layers = truth["layers"].as_array().unwrap_or_else(|| panic!("{name}: no truth layers"));
    assert_eq!(layers.len(), truth_layers.len(), "{name}: layer count");
    for (i, (got, want)) in layers.iter().zip(truth_layers).enumerate() {
        let failing = expect["failingLayer"].as_u64() == Some(i as u64);
        assert_eq!(got["ok"], json!(!failing), "{name} layer {i}: {:?}", got["error"]);
        match (failing, expect["failingCheck"].as_str()) {
            (true, Some("digest")) => {
                assert_eq!(got["computedDigest"], want["digest"], "{name} layer {i}: computed digest");
                assert_eq!(got["error"]["code"], "DIGEST_MISMATCH");
            }
            (true, Some("size")) => assert_eq!(got["error"]["code"], "SIZE_MISMATCH", "{name} layer {i}"),
            (true, Some("diff_id")) => {
                assert_eq!(got["computedDiffId"], want["diffId"], "{name} layer {i}: computed diff_id");
                assert_eq!(got["error"]["code"], "DIGEST_MISMATCH");
            }
            _ => {
                assert_eq!(got["computedDigest"], want["digest"], "{name} layer {i}: digest");
                assert_eq!(got["computedDiffId"], want["diffId"], "{name} layer {i}: diff_id");
                assert_eq!(got["bytes"], want["size"], "{name} layer {i}: size");
                assert_eq!(got["uncompressedBytes"], want["uncompressedSize"], "{name} layer {i}");
            }
        }
    }
}

#[wasm_bindgen_test]
async fn every_fixture_verifies_as_its_ground_truth_says_on_the_open_registry() {
    let rig = rig();
    let c = client(json!({}));
    for f in rig["fixtures"].as_array().into_iter().flatten() {
        let reference = image_ref(
            &rig["open"],
            f["repositories"][0].as_str().unwrap_or_default(),
            f["tag"].as_str().unwrap_or_default(),
        );
        let result = settle(c.verify(reference.clone(), JsValue::UNDEFINED))
            .await
            .unwrap_or_else(|e| panic!("{reference}: {e:?}"));
        // The default platform is linux/amd64: the first image of multi-arch fixtures.
        assert_matches_truth(&result, f, 0);
        if f["manifest"]["mediaType"].as_str().unwrap_or_default().contains("index")
            || f["manifest"]["mediaType"].as_str().unwrap_or_default().contains("list")
        {
            assert_eq!(result["indexDigest"], f["manifest"]["digest"]);
        }
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
        let result = settle(c.verify(reference.clone(), options)).await.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(result["platform"], "linux/arm/v7");
        assert_matches_truth(&result, f, 2);
        let missing = settle(c.manifest(reference, js(&json!({"platform": "linux/s390x"})))).await;
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
    let result =
        settle(anonymous.verify(public, JsValue::UNDEFINED)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_matches_truth(&result, f, 0);
    let (code, _) = settle(anonymous.manifest(private.clone(), JsValue::UNDEFINED))
        .await
        .expect_err("private needs credentials");
    assert!(code == "DENIED" || code == "UNAUTHORIZED", "{code}");

    let (username, password) = user(&rig, "alice");
    let alice = client(json!({"credentials": {host.clone(): {"username": username, "password": password}}}));
    let result =
        settle(alice.verify(private.clone(), JsValue::UNDEFINED)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_matches_truth(&result, f, 0);

    let wrong = client(json!({"credentials": {host: {"username": "alice", "password": "wrong"}}}));
    let (code, message) =
        settle(wrong.manifest(private, JsValue::UNDEFINED)).await.expect_err("wrong password");
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
    let first =
        settle(stale.manifest(private.clone(), JsValue::UNDEFINED)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(first["digest"], fixture(&rig, "oci-gzip")["manifest"]["digest"]);
    sleep(3_000).await;
    let result = settle(stale.verify(private, JsValue::UNDEFINED)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_matches_truth(&result, fixture(&rig, "oci-gzip"), 0);
}

#[wasm_bindgen_test]
async fn basic_registry_with_credentials() {
    let rig = rig();
    let host = rig["basic"]["host"].as_str().unwrap_or_default().to_owned();
    let (username, password) = user(&rig, "alice");
    let c = client(json!({"credentials": {host.clone(): {"username": username, "password": password}}}));
    let reference = image_ref(&rig["basic"], "private/oci-mixed", "v1");
    let result =
        settle(c.verify(reference.clone(), JsValue::UNDEFINED)).await.unwrap_or_else(|e| panic!("{e:?}"));
    assert_matches_truth(&result, fixture(&rig, "oci-mixed"), 0);
    let anonymous = client(json!({}));
    let (code, _) =
        settle(anonymous.tags(reference, JsValue::UNDEFINED)).await.expect_err("needs credentials");
    assert_eq!(code, "UNAUTHORIZED");
}

#[wasm_bindgen_test]
async fn tags_unknown_names_and_mirrors() {
    let rig = rig();
    let f = fixture(&rig, "many-tags");
    let c = client(json!({}));
    let tags = settle(c.tags(image_ref(&rig["open"], "public/many-tags", "latest"), JsValue::UNDEFINED))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut got: Vec<String> = serde_json::from_value(tags).unwrap_or_default();
    let mut want: Vec<String> = serde_json::from_value(f["tags"].clone()).unwrap_or_default();
    got.sort();
    want.sort();
    assert_eq!(got, want);

    let (code, _) = settle(c.tags(image_ref(&rig["open"], "public/does-not-exist", "x"), JsValue::UNDEFINED))
        .await
        .expect_err("unknown repo");
    assert_eq!(code, "NAME_UNKNOWN");
    let (code, _) =
        settle(c.manifest(image_ref(&rig["open"], "public/docker-v2", "no-such-tag"), JsValue::UNDEFINED))
            .await
            .expect_err("unknown tag");
    assert_eq!(code, "MANIFEST_UNKNOWN");

    // A mirror for docker.io: `python:2.7`-style names reach the rig.
    let mirror = client(json!({"mirrors": {"docker.io": rig["open"]["url"]}}));
    let result = settle(mirror.manifest("public/docker-v2:v1".into(), JsValue::UNDEFINED))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["digest"], fixture(&rig, "docker-v2")["manifest"]["digest"]);

    let (code, _) =
        settle(c.manifest("Not A Reference".into(), JsValue::UNDEFINED)).await.expect_err("bad reference");
    assert_eq!(code, "INVALID_REFERENCE");
}

#[wasm_bindgen_test]
async fn an_unreachable_registry_is_a_network_error_that_mentions_cors() {
    let c = client(json!({}));
    let (code, message) = settle(c.manifest("127.0.0.1:9/x/y:z".into(), JsValue::UNDEFINED))
        .await
        .expect_err("nothing listens on port 9");
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
    let (code, _) = settle(c.verify(reference, options.into())).await.expect_err("aborted");
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
    let result = settle(c.manifest(image_ref(&rig["token"], "private/oci-gzip", "v1"), JsValue::UNDEFINED))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["digest"], fixture(&rig, "oci-gzip")["manifest"]["digest"]);
}

#[wasm_bindgen_test]
async fn a_pinned_reference_is_fetched_by_digest_and_checked_against_the_pin() {
    let rig = rig();
    let other = fixture(&rig, "oci-gzip")["manifest"]["digest"].as_str().unwrap_or_default().to_owned();
    let host = rig["open"]["host"].as_str().unwrap_or_default();
    let c = client(json!({}));
    // A digest wins over the tag and is looked up in this repository, where it does not exist.
    let reference = format!("{host}/public/docker-v2:v1@{other}");
    let pinned = settle(c.manifest(reference, JsValue::UNDEFINED)).await;
    // By digest the registry looks the pin up, so a pin from another repository is unknown there.
    let (code, _) = pinned.expect_err("pinned to another repository's digest");
    assert_eq!(code, "MANIFEST_UNKNOWN");
    let own = fixture(&rig, "docker-v2")["manifest"]["digest"].as_str().unwrap_or_default().to_owned();
    let result = settle(c.verify(format!("{host}/public/docker-v2@{own}"), JsValue::UNDEFINED))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["ok"], true);
    assert_eq!(result["chain"]["manifest"]["expected"], "passed");
}

#[wasm_bindgen_test]
async fn limits_stop_a_layer_with_limit_exceeded() {
    let rig = rig();
    let c = client(json!({"limits": {"maxUncompressedSize": 100000}}));
    let result = settle(c.verify(image_ref(&rig["open"], "public/docker-v2", "v1"), JsValue::UNDEFINED))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(result["ok"], false);
    assert_eq!(result["layers"][0]["error"]["code"], "LIMIT_EXCEEDED", "{:?}", result["layers"][0]);
}
