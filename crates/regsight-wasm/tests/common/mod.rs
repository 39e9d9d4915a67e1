//! Helpers shared by the browser test binaries: the rig description, JS <-> JSON, promises.
#![allow(dead_code)]

use regsight_wasm::Client;
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// The rig description, compiled in from the file `cargo xtask test` names in
/// `REGSIGHT_RIG_JSON_FILE` (a file: the description outgrew what one environment string holds).
pub fn rig() -> Value {
    let text = include_str!(env!(
        "REGSIGHT_RIG_JSON_FILE",
        "set REGSIGHT_RIG_JSON_FILE to a rig.json: these tests run through `cargo xtask test`"
    ));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("rig description: {e}"))
}

/// The fixture called `name`.
pub fn fixture<'a>(rig: &'a Value, name: &str) -> &'a Value {
    rig["fixtures"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == name))
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

/// Username and password of the rig user `name`.
pub fn user(rig: &Value, name: &str) -> (String, String) {
    let u = rig["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["username"] == name))
        .unwrap_or_else(|| panic!("no user {name}"));
    (u["username"].as_str().unwrap_or_default().into(), u["password"].as_str().unwrap_or_default().into())
}

/// A client built from JSON options.
pub fn client(options: Value) -> Client {
    Client::new(Some(js(&options))).unwrap_or_else(|e| panic!("client: {e:?}"))
}

/// A JS object from JSON (so maps become plain objects).
pub fn js(value: &Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::UNDEFINED)
}

/// JSON from a JS value.
pub fn from_js(value: &JsValue) -> Value {
    let text: String = js_sys::JSON::stringify(value).map(String::from).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Awaits a client promise: Ok(result) or Err((code, message)).
pub async fn settle(promise: js_sys::Promise) -> Result<Value, (String, String)> {
    match JsFuture::from(promise).await {
        Ok(v) => Ok(from_js(&v)),
        Err(e) => {
            let get = |k: &str| {
                js_sys::Reflect::get(&e, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
            };
            Err((get("code"), get("message")))
        }
    }
}
