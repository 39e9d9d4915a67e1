//! The kernels as the bench page calls them (wasm-bindgen): the layer is copied into wasm memory
//! once, then each `run` is timed by the page around the call.

use wasm_bindgen::prelude::*;

use crate::{KERNELS, Layer};

/// One layer in wasm memory, ready for the kernels.
#[wasm_bindgen]
pub struct Kernels(Layer);

#[wasm_bindgen]
impl Kernels {
    /// The layer from its three encodings and its digests (`sha256:...`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        gzip: Vec<u8>,
        tar: Vec<u8>,
        zstd: Vec<u8>,
        digest: &str,
        diff_id: &str,
    ) -> Result<Kernels, JsError> {
        Layer::new(gzip, tar, zstd, digest, diff_id).map(Kernels).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Runs the kernel `name` once; returns the bytes it consumed.
    pub fn run(&self, name: &str) -> Result<f64, JsError> {
        self.0.run(name).map(|n| n as f64).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Every kernel's name.
    pub fn names() -> Vec<String> {
        KERNELS.map(String::from).to_vec()
    }
}
