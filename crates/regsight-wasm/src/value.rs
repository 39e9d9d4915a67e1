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

/// A plain JS object with these fields: the messages between the pool and its workers.
pub fn object(fields: &[(&str, &JsValue)]) -> js_sys::Object {
    let object = js_sys::Object::new();
    for (key, value) in fields {
        let _ = js_sys::Reflect::set(&object, &(*key).into(), value);
    }
    object
}
