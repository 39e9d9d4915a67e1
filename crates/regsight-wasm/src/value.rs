//! Rust values as plain JS objects: what crosses to a worker, and out of the JS API.

use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::error::ClientError;

/// Converts a serializable value to plain JS objects (maps as objects, numbers as numbers).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| ClientError::Js(e.to_string()).into())
}
