//! The inside of a layer-verifying Web Worker: what `worker.js` starts once the wasm is loaded.
//! It says `ready`, then takes one assignment per message: a layer and a [`Role`]. A whole layer
//! or the blob half of a split one means fetching the blob itself with the header the page
//! authorized and posting progress and the result; the tar half means taking decompressed bytes
//! from the blob worker (`split.rs`). A busy worker beats every second. The pool (`pool.rs`) is
//! the other end of this conversation; both use the tags in [`tag`] and the [`Assignment`].

use regsight_core::DigestVerifier;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

use crate::error::ClientError;
use crate::fetch;
use crate::layer::{LayerJob, Tail, tar_stage, verify_into};
use crate::registry::{Registry, retrying};
use crate::split::{self, Feed};
use crate::timer::Interval;
use crate::value::{object, to_js};

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
    /// The tar half of a split layer is done (its half went to the blob worker).
    pub const DRAINED: &str = "drained";
}

/// A worker's part in verifying one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// The whole layer: download, both stages, the result.
    Whole,
    /// Stage A of a split layer: the download, the blob digest and decompression; its output goes
    /// to the tar worker over the assignment's port, and it assembles the result.
    Blob,
    /// Stage B of a split layer: the diff_id and listing of what the blob worker sends.
    Tar,
}

/// What the pool posts to a worker: a layer and the worker's part in it. A split layer's two
/// workers also get one end each of a `MessageChannel`, in the message's `port` field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// The layer.
    pub job: LayerJob,
    /// This worker's part.
    pub role: Role,
}

/// The field of an assignment message that carries a split layer's `MessagePort`.
pub const PORT: &str = "port";

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

/// Does one assignment and posts what happened.
async fn run_job(data: JsValue) {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else { return };
    let heartbeat = {
        let scope = scope.clone();
        Interval::new(HEARTBEAT_MS, move || post(&scope, tag::ALIVE, None))
    };
    let outcome = assigned(&scope, data).await;
    drop(heartbeat);
    match outcome {
        Ok(Some(result)) => post(&scope, tag::DONE, Some(("result", result))),
        Ok(None) => post(&scope, tag::DRAINED, None),
        Err(error) => post(&scope, tag::ERROR, Some(("error", error.to_data()))),
    }
}

/// Does the assignment in `data`: the layer's result, or nothing for a tar worker.
async fn assigned(scope: &DedicatedWorkerGlobalScope, data: JsValue) -> Result<Option<JsValue>, ClientError> {
    let port = js_sys::Reflect::get(&data, &PORT.into()).ok().and_then(|p| p.dyn_into::<MessagePort>().ok());
    let Assignment { job, role } =
        serde_wasm_bindgen::from_value(data).map_err(|e| ClientError::Js(format!("layer job: {e}")))?;
    let no_port = || ClientError::Js("a split layer's assignment came without its port".into());
    let tail = match role {
        Role::Whole => Tail::here(&job),
        Role::Blob => Tail::There(Feed::new(port.ok_or_else(no_port)?)),
        Role::Tar => {
            let blob_digest = DigestVerifier::new(Some(job.digest.clone()));
            split::drain(port.ok_or_else(no_port)?, tar_stage(&job), blob_digest).await?;
            return Ok(None);
        }
    };
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
    let verified = verify_into(&job, response, None, tail, |progress| {
        if let Ok(progress) = to_js(&progress) {
            post(scope, tag::PROGRESS, Some(("progress", progress)));
        }
    })
    .await?;
    to_js(&serde_json::json!({ "summary": verified.summary, "files": verified.files }))
        .map(Some)
        .map_err(|e| ClientError::Js(format!("{e:?}")))
}

/// Posts `{type: tag, [key]: value}` to the page.
fn post(scope: &DedicatedWorkerGlobalScope, tag: &str, field: Option<(&str, JsValue)>) {
    let tag = JsValue::from(tag);
    let message = match &field {
        Some((key, value)) => object(&[("type", &tag), (key, value)]),
        None => object(&[("type", &tag)]),
    };
    let _ = scope.post_message(&message);
}
