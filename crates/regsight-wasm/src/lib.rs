//! regsight-wasm: the browser client built on regsight-core (fetch, auth, workers, JS API).

use wasm_bindgen::prelude::*;

/// The version of the regsight package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
