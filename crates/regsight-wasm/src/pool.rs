//! A pool of dedicated Web Workers, each verifying one layer at a time with its own `fetch`, so
//! hashing and inflating never run on the page's main thread. The main thread only authorizes
//! the request (the auth flow stays in one place) and receives progress.

use std::cell::RefCell;

use futures::StreamExt as _;
use futures::channel::mpsc;
use regsight_core::ErrorCode;
use regsight_core::verify::{LayerSummary, Progress};
use serde::Deserialize;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::error::ClientError;
use crate::js::to_js;
use crate::layer::LayerJob;

thread_local! {
    static DEFAULT_WORKER_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Sets the worker script clients use by default (the npm package's `init` calls this).
#[wasm_bindgen(js_name = setWorkerUrl)]
pub fn set_worker_url(url: Option<String>) {
    DEFAULT_WORKER_URL.with(|u| *u.borrow_mut() = url);
}

/// The default worker script URL, if one was set and this environment has Web Workers.
pub fn default_worker_url() -> Option<String> {
    let has_worker = js_sys::Reflect::get(&js_sys::global(), &"Worker".into()).is_ok_and(|w| w.is_function());
    if !has_worker {
        return None;
    }
    DEFAULT_WORKER_URL.with(|u| u.borrow().clone())
}

/// What a worker sends back for a finished layer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerResult {
    /// The chain-facing summary.
    pub summary: LayerSummary,
    /// The tar listing, when asked for (passed through to JS as is).
    pub files: Option<serde_json::Value>,
}

/// A message from a worker, as the pool sees it.
enum Message {
    Progress(Progress),
    Done(Result<WorkerResult, ClientError>),
}

/// Dedicated workers, created on demand and reused.
pub struct WorkerPool {
    url: String,
    idle: RefCell<Vec<Worker>>,
}

impl WorkerPool {
    /// A pool of workers running the script at `url`.
    pub fn new(url: String) -> Self {
        Self { url, idle: RefCell::new(Vec::new()) }
    }

    /// Runs `job` in a worker; `on_progress` gets its progress. Aborting terminates the worker.
    pub async fn run(
        &self,
        job: &LayerJob,
        signal: Option<&AbortSignal>,
        mut on_progress: impl FnMut(Progress),
    ) -> Result<WorkerResult, ClientError> {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(ClientError::Aborted);
        }
        let worker = match self.idle.borrow_mut().pop() {
            Some(worker) => worker,
            None => self.spawn()?,
        };
        let (tx, mut rx) = mpsc::unbounded::<Message>();
        let on_message = {
            let tx = tx.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let _ = tx.unbounded_send(decode(&event.data()));
            })
        };
        let on_error = {
            let tx = tx.clone();
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
                let message = format!("the verification worker failed: {}", event.message());
                let _ = tx.unbounded_send(Message::Done(Err(ClientError::Unsupported(message))));
            })
        };
        let on_abort = {
            let tx = tx.clone();
            Closure::<dyn FnMut()>::new(move || {
                let _ = tx.unbounded_send(Message::Done(Err(ClientError::Aborted)));
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        if let Some(signal) = signal {
            let _ = signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
        let posted = to_js(job).and_then(|job| worker.post_message(&job));
        let result = match posted {
            Err(e) => Err(ClientError::Js(format!("cannot post a job to the worker: {e:?}"))),
            Ok(()) => loop {
                match rx.next().await {
                    Some(Message::Progress(p)) => on_progress(p),
                    Some(Message::Done(result)) => break result,
                    None => break Err(ClientError::Js("the worker channel closed".into())),
                }
            },
        };
        if let Some(signal) = signal {
            let _ = signal.remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
        worker.set_onmessage(None);
        worker.set_onerror(None);
        match &result {
            // A worker that finished its job cleanly is reused; any other is stopped.
            Ok(_) => self.idle.borrow_mut().push(worker),
            Err(_) => worker.terminate(),
        }
        result
    }

    /// Terminates every idle worker.
    pub fn shutdown(&self) {
        for worker in self.idle.borrow_mut().drain(..) {
            worker.terminate();
        }
    }

    fn spawn(&self) -> Result<Worker, ClientError> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        Worker::new_with_options(&self.url, &options)
            .map_err(|e| ClientError::Unsupported(format!("cannot start a worker from {}: {e:?}", self.url)))
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Reads a worker message: `{type: "progress", progress}`, `{type: "done", result}` or
/// `{type: "error", error: {code, message}}`.
fn decode(data: &JsValue) -> Message {
    let get = |key: &str| js_sys::Reflect::get(data, &key.into()).unwrap_or(JsValue::UNDEFINED);
    match get("type").as_string().as_deref() {
        Some("progress") => match serde_wasm_bindgen::from_value::<Progress>(get("progress")) {
            Ok(p) => Message::Progress(p),
            Err(e) => Message::Done(Err(ClientError::Js(format!("worker progress: {e}")))),
        },
        Some("done") => Message::Done(
            serde_wasm_bindgen::from_value(get("result"))
                .map_err(|e| ClientError::Js(format!("worker result: {e}"))),
        ),
        Some("error") => {
            let error = get("error");
            let field = |k: &str| {
                js_sys::Reflect::get(&error, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
            };
            let code = field("code").parse::<ErrorCode>().unwrap_or(ErrorCode::Registry);
            Message::Done(Err(ClientError::Worker { code, message: field("message") }))
        }
        _ => Message::Done(Err(ClientError::Js("unexpected message from the worker".into()))),
    }
}
