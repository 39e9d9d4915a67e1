//! Verifying a layer does not grow wasm memory with the layer's size: memory after a 64 MiB layer
//! stays within 16 MiB of memory after a 1 MiB one. A test binary of its own, so that no other
//! test has grown the memory first (wasm memory never shrinks).
#![cfg(target_arch = "wasm32")]

use regsight_wasm::Client;
use serde_json::Value;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod common;

use common::{client, rig, settle};

fn memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

async fn verify(client: &Client, reference: String) -> Value {
    settle(client.verify(reference.clone(), None)).await.unwrap_or_else(|e| panic!("{reference}: {e:?}"))
}

#[wasm_bindgen_test]
async fn memory_after_a_64_mib_layer_stays_within_16_mib_of_a_1_mib_layer() {
    let rig = rig();
    let host = rig["open"]["host"].as_str().unwrap_or_default().to_owned();
    let client = client(serde_json::json!({"workers": false}));

    let small = verify(&client, format!("{host}/public/layer-1m:v1")).await;
    assert_eq!(small["ok"], true, "{:?}", small["problems"]);
    let after_small = memory_bytes();

    let big = verify(&client, format!("{host}/public/layer-64m:v1")).await;
    assert_eq!(big["ok"], true, "{:?}", big["problems"]);
    let uncompressed = big["layers"][0]["uncompressedBytes"].as_f64().unwrap_or_default();
    assert!(uncompressed >= 64.0 * 1024.0 * 1024.0, "the big layer is {uncompressed} bytes");
    let after_big = memory_bytes();

    let growth = after_big - after_small;
    assert!(
        growth <= 16.0 * 1024.0 * 1024.0,
        "wasm memory grew by {growth} bytes verifying a 64 MiB layer ({after_small} -> {after_big})"
    );
}
