//! The inside of a layer-verifying Web Worker: what `worker.js` starts once the wasm is loaded.
//! It says `ready`, then verifies one layer per message (fetching the blob itself with the header
//! the page authorized) and posts progress, a heartbeat while it works, and the result. The pool
//! (`pool.rs`) is the other end of this conversation; both use the tags in [`tag`].

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::error::ClientError;
use crate::fetch;
use crate::layer::{LayerJob, verify_body};
use crate::registry::{Registry, retrying};
use crate::timer::Interval;
use crate::value::to_js;

/// How often a busy worker says it is alive, in milliseconds.
pub const HEARTBEAT_MS: u32 = 1_000;

/// The tags of the messages a worker posts.
pub mod tag {
    /// Loaded and listening.
    pub const READY: &str = "ready";
    /// Still working on its job.
    pub const ALIVE: &str = "alive";
    /// Progress of its job.
    pub const PROGRESS: &str = "progress";
    /// The job's result.
    pub const DONE: &str = "done";
    /// The job could not be done (code and message).
    pub const ERROR: &str = "error";
}

/// Starts the worker's message loop (called by `worker.js` after the wasm loaded).
#[cfg_attr(feature = "js-api", wasm_bindgen(js_name = workerMain))]
pub fn worker_main() -> Result<(), JsValue> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global()
        .dyn_into()
        .map_err(|_| ClientError::Js("workerMain runs only inside a dedicated Web Worker".into()))?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        wasm_bindgen_futures::spawn_local(run_job(event.data()));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as its scope: the handler must too.
    on_message.forget();
    post(&scope, tag::READY, None);
    Ok(())
}

/// Verifies one layer and posts what happened.
async fn run_job(data: JsValue) {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else { return };
    let heartbeat = {
        let scope = scope.clone();
        Interval::new(HEARTBEAT_MS, move || post(&scope, tag::ALIVE, None))
    };
    let outcome = verify(&scope, data).await;
    drop(heartbeat);
    match outcome {
        Ok(result) => post(&scope, tag::DONE, Some(("result", result))),
        Err(error) => post(&scope, tag::ERROR, Some(("error", error.to_data()))),
    }
}

async fn verify(scope: &DedicatedWorkerGlobalScope, data: JsValue) -> Result<JsValue, ClientError> {
    let job: LayerJob =
        serde_wasm_bindgen::from_value(data).map_err(|e| ClientError::Js(format!("layer job: {e}")))?;
    let request = fetch::HttpRequest {
        method: "GET",
        url: &job.url,
        accept: None,
        authorization: job.authorization.as_deref(),
        form: None,
    };
    // The same bounded retries as the page's own requests (a short 429, a 502-504).
    let response = retrying("GET", None, || fetch::send(&request, None, job.timeouts), |r| r).await?;
    let response = Registry::expect_ok(response, regsight_core::ErrorCode::BlobUnknown, None).await?;
    let verified = verify_body(&job, response, None, |progress| {
        if let Ok(progress) = to_js(&progress) {
            post(scope, tag::PROGRESS, Some(("progress", progress)));
        }
    })
    .await?;
    to_js(&serde_json::json!({ "summary": verified.summary, "files": verified.files }))
        .map_err(|e| ClientError::Js(format!("{e:?}")))
}

/// Posts `{type: tag, [key]: value}` to the page.
fn post(scope: &DedicatedWorkerGlobalScope, tag: &str, field: Option<(&str, JsValue)>) {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"type".into(), &tag.into());
    if let Some((key, value)) = field {
        let _ = js_sys::Reflect::set(&message, &key.into(), &value);
    }
    let _ = scope.post_message(&message);
}
