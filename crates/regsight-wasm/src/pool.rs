//! A pool of dedicated Web Workers verifying layers with their own `fetch`, so hashing and
//! inflating never run on the page's main thread. The main thread only authorizes the request (the
//! auth flow stays in one place) and receives progress. While two cores are free a layer is split
//! across two workers (`split.rs`), else one worker takes it whole; why is in ARCHITECTURE.md.
//!
//! A worker is never trusted to answer: it must say `ready` within [`START_DEADLINE_MS`] of being
//! created and, while it works, post something at least every [`SILENCE_DEADLINE_MS`] (it sends a
//! heartbeat every second). A worker that fails to load, to instantiate, errs or falls silent is
//! terminated and reported as [`ClientError::WorkerFailed`]; the client then verifies that layer
//! in-process (see `client.rs`), so a verification never hangs on a worker.

use std::cell::{Cell, RefCell};
use std::pin::pin;

use futures::StreamExt as _;
use futures::channel::mpsc;
use futures::future::{Either, join, select};
use regsight_core::ErrorCode;
use regsight_core::verify::{LayerSummary, Progress};
use serde::Deserialize;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, MessageChannel, MessageEvent, MessagePort, Worker, WorkerOptions, WorkerType};

use crate::error::ClientError;
use crate::layer::LayerJob;
use crate::options::cores;
use crate::timer::Interval;
use crate::value::to_js;
use crate::worker::{Assignment, PORT, Role, tag};

/// How long a new worker may take to load its script and wasm and say `ready`.
pub const START_DEADLINE_MS: u32 = 20_000;
/// How long a busy worker may stay silent before it counts as dead (it beats every second).
pub const SILENCE_DEADLINE_MS: u32 = 10_000;
/// How often a wait checks for silence.
const WATCHDOG_TICK_MS: u32 = 1_000;

thread_local! {
    static DEFAULT_FACTORY: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Sets how clients create their workers by default: a function returning a new `Worker` (the npm
/// package's `init` passes one written so that bundlers bundle the worker script with it).
#[cfg(feature = "js-api")]
#[wasm_bindgen(js_name = setWorkerFactory)]
pub fn set_worker_factory(factory: Option<js_sys::Function>) {
    DEFAULT_FACTORY.with(|f| *f.borrow_mut() = factory);
}

/// True where `Worker` exists (pages and workers of a browser; not Node).
fn has_workers() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"Worker".into()).is_ok_and(|w| w.is_function())
}

/// Where a pool gets its workers.
#[derive(Clone)]
pub enum WorkerSource {
    /// `new Worker(url, { type: "module" })`.
    Url(String),
    /// A function returning a new `Worker`.
    Factory(js_sys::Function),
}

impl WorkerSource {
    /// The default source, if one was set and this environment has Web Workers.
    pub fn default_source() -> Option<Self> {
        if !has_workers() {
            return None;
        }
        DEFAULT_FACTORY.with(|f| f.borrow().clone()).map(Self::Factory)
    }

    /// Workers from the script at `url`, if this environment has Web Workers.
    pub fn url_if_supported(url: String) -> Option<Self> {
        has_workers().then_some(Self::Url(url))
    }

    fn create(&self) -> Result<Worker, ClientError> {
        match self {
            Self::Url(url) => {
                let options = WorkerOptions::new();
                options.set_type(WorkerType::Module);
                Worker::new_with_options(url, &options).map_err(|e| {
                    ClientError::WorkerFailed(format!("could not be created from {url}: {}", describe(&e)))
                })
            }
            Self::Factory(factory) => factory
                .call0(&JsValue::NULL)
                .map_err(|e| ClientError::WorkerFailed(format!("factory threw: {}", describe(&e))))?
                .dyn_into::<Worker>()
                .map_err(|_| ClientError::WorkerFailed("factory did not return a Worker".into())),
        }
    }
}

/// What a worker sends back for a finished layer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerResult {
    /// The chain-facing summary.
    pub summary: LayerSummary,
    /// The tar listing, when asked for.
    pub files: Option<regsight_core::verify::TarListing>,
}

/// A message from a worker (or about it), as the pool sees it.
enum Message {
    Ready,
    Alive,
    Progress(Progress),
    Done(Result<Box<WorkerResult>, ClientError>),
    /// A tar worker finished its half of a split layer.
    Drained,
    /// The watchdog's tick (not from the worker).
    Tick,
}

/// A worker with its event handlers attached; the handlers feed one channel.
struct Live {
    worker: Worker,
    tx: mpsc::UnboundedSender<Message>,
    rx: mpsc::UnboundedReceiver<Message>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
    /// `Date.now()` of the last message from the worker.
    last_heard: f64,
    /// Whether it said `ready` yet.
    ready: bool,
}

impl Live {
    fn start(source: &WorkerSource) -> Result<Self, ClientError> {
        let worker = source.create()?;
        let (tx, rx) = mpsc::unbounded::<Message>();
        let on_message = {
            let tx = tx.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let _ = tx.unbounded_send(decode(&event.data()));
            })
        };
        // `error`: the script did not load or threw; `messageerror`: a message could not be read.
        let on_error = {
            let tx = tx.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let failure = ClientError::WorkerFailed(format!("failed: {}", describe(&event)));
                let _ = tx.unbounded_send(Message::Done(Err(failure)));
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_error.as_ref().unchecked_ref()));
        let last_heard = js_sys::Date::now();
        Ok(Self { worker, tx, rx, _on_message: on_message, _on_error: on_error, last_heard, ready: false })
    }

    /// Starts a watchdog for one wait: a tick every second into the worker's channel, so
    /// [`Live::next`] notices silence with one timer per wait rather than one per message.
    fn watch(&mut self) -> Interval {
        self.last_heard = js_sys::Date::now();
        let tx = self.tx.clone();
        Interval::new(WATCHDOG_TICK_MS, move || {
            let _ = tx.unbounded_send(Message::Tick);
        })
    }

    /// The next message, or `WorkerFailed` when nothing but watchdog ticks came for
    /// `deadline_ms` (call inside a [`Live::watch`]).
    async fn next(&mut self, deadline_ms: u32, waiting_for: &str) -> Message {
        loop {
            match self.rx.next().await {
                Some(Message::Tick) => {
                    if js_sys::Date::now() - self.last_heard >= f64::from(deadline_ms) {
                        return Message::Done(Err(ClientError::WorkerFailed(format!(
                            "sent nothing for {} s while {waiting_for}",
                            deadline_ms / 1000
                        ))));
                    }
                }
                Some(message) => {
                    self.last_heard = js_sys::Date::now();
                    return message;
                }
                None => return Message::Done(Err(ClientError::WorkerFailed("went away".into()))),
            }
        }
    }

    /// Waits for `ready` after the worker was created (at once if it said so already).
    async fn until_ready(&mut self) -> Result<(), ClientError> {
        if self.ready {
            return Ok(());
        }
        let _watchdog = self.watch();
        loop {
            match self.next(START_DEADLINE_MS, "starting").await {
                Message::Ready => {
                    self.ready = true;
                    return Ok(());
                }
                Message::Done(Err(e)) => return Err(e),
                Message::Alive | Message::Progress(_) | Message::Tick => {}
                Message::Done(Ok(_)) | Message::Drained => {
                    return Err(ClientError::WorkerFailed("sent a result before it was ready".into()));
                }
            }
        }
    }

    fn stop(self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
        self.worker.terminate();
    }
}

/// Dedicated workers, created on demand and reused.
pub struct WorkerPool {
    source: WorkerSource,
    idle: RefCell<Vec<Live>>,
    /// Workers on a layer now.
    busy: Cell<usize>,
    /// Workers that may be busy at once before a layer is no longer split: one per core.
    cores: usize,
    failed: Cell<bool>,
}

/// Workers taken for one layer, given back when it ends, however it ends.
struct Reserved<'a> {
    busy: &'a Cell<usize>,
    count: usize,
}

impl<'a> Reserved<'a> {
    fn new(busy: &'a Cell<usize>, count: usize) -> Self {
        busy.set(busy.get() + count);
        Self { busy, count }
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        self.busy.set(self.busy.get().saturating_sub(self.count));
    }
}

impl WorkerPool {
    /// A pool of workers from `source`, splitting layers while it has a core for each worker.
    pub fn new(source: WorkerSource) -> Self {
        Self {
            source,
            idle: RefCell::new(Vec::new()),
            busy: Cell::new(0),
            cores: cores().unwrap_or(1),
            failed: Cell::new(false),
        }
    }

    /// Starts workers until there are enough for one layer (two while the cores allow a split), so
    /// they load while the caller fetches the manifest and config. A worker that cannot start is
    /// left for [`WorkerPool::run`] to report.
    pub fn warm(&self) {
        if self.failed.get() {
            return;
        }
        let wanted = self.cores.clamp(1, 2);
        let mut idle = self.idle.borrow_mut();
        while idle.len() + self.busy.get() < wanted {
            match Live::start(&self.source) {
                Ok(live) => idle.push(live),
                Err(_) => return,
            }
        }
    }

    /// False once a worker failed: the client then verifies in-process rather than try again.
    pub fn usable(&self) -> bool {
        !self.failed.get()
    }

    /// Runs `job` in a worker, or split across two while two cores are free; `on_progress` gets
    /// its progress. Aborting terminates the workers.
    pub async fn run(
        &self,
        job: &LayerJob,
        signal: Option<&AbortSignal>,
        on_progress: impl FnMut(Progress),
    ) -> Result<WorkerResult, ClientError> {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(ClientError::Aborted);
        }
        let split = self.busy.get() + 2 <= self.cores;
        let _reserved = Reserved::new(&self.busy, if split { 2 } else { 1 });
        let (mut blob, mut tar) = if split {
            // Both start (or finish starting) at once.
            match join(self.take(), self.take()).await {
                (Ok(blob), Ok(tar)) => (blob, Some(tar)),
                (Ok(live), Err(e)) | (Err(e), Ok(live)) => {
                    self.idle.borrow_mut().push(live);
                    return Err(e);
                }
                (Err(e), Err(_)) => return Err(e),
            }
        } else {
            (self.take().await?, None)
        };
        // Aborting ends the wait at once, through the same channel as the worker's messages.
        let on_abort = {
            let tx = blob.tx.clone();
            Closure::<dyn FnMut()>::new(move || {
                let _ = tx.unbounded_send(Message::Done(Err(ClientError::Aborted)));
            })
        };
        if let Some(signal) = signal {
            let _ = signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
        let result = match &mut tar {
            None => match assign(&blob, job, Role::Whole, None) {
                Ok(()) => Self::follow(&mut blob, on_progress).await,
                Err(e) => Err(e),
            },
            Some(tar) => match MessageChannel::new() {
                Err(e) => Err(ClientError::WorkerFailed(format!("no channel between two: {}", describe(&e)))),
                Ok(channel) => match assign(tar, job, Role::Tar, Some(&channel.port2()))
                    .and_then(|()| assign(&blob, job, Role::Blob, Some(&channel.port1())))
                {
                    Ok(()) => Self::follow_pair(&mut blob, tar, on_progress).await,
                    Err(e) => Err(e),
                },
            },
        };
        if let Some(signal) = signal {
            let _ = signal.remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
        let workers = std::iter::once(blob).chain(tar);
        match &result {
            // Workers that finished their job cleanly are reused; any other is stopped.
            Ok(_) => self.idle.borrow_mut().extend(workers),
            Err(e) => {
                if matches!(e, ClientError::WorkerFailed(_)) {
                    self.failed.set(true);
                }
                workers.for_each(Live::stop);
            }
        }
        result
    }

    /// An idle worker (or a new one) once it is ready.
    async fn take(&self) -> Result<Live, ClientError> {
        let popped = self.idle.borrow_mut().pop();
        let mut live = match popped {
            Some(live) => live,
            None => Live::start(&self.source).inspect_err(|_| self.failed.set(true))?,
        };
        if let Err(e) = live.until_ready().await {
            self.failed.set(true);
            live.stop();
            return Err(e);
        }
        Ok(live)
    }

    /// Follows a busy worker to its result.
    async fn follow(
        live: &mut Live,
        mut on_progress: impl FnMut(Progress),
    ) -> Result<WorkerResult, ClientError> {
        let _watchdog = live.watch();
        loop {
            match live.next(SILENCE_DEADLINE_MS, "verifying a layer").await {
                Message::Progress(p) => on_progress(p),
                Message::Alive | Message::Ready | Message::Tick => {}
                Message::Drained => {
                    return Err(ClientError::WorkerFailed(
                        "said it drained a layer it was given whole".into(),
                    ));
                }
                Message::Done(result) => return result.map(|done| *done),
            }
        }
    }

    /// Follows the two workers of a split layer until the blob worker has the result and the tar
    /// worker is done; either failing or falling silent ends the layer.
    async fn follow_pair(
        blob: &mut Live,
        tar: &mut Live,
        mut on_progress: impl FnMut(Progress),
    ) -> Result<WorkerResult, ClientError> {
        let (_blob_watchdog, _tar_watchdog) = (blob.watch(), tar.watch());
        let mut result = None;
        let mut drained = false;
        loop {
            if drained && let Some(result) = result {
                return Ok(result);
            }
            let from_blob = blob.next(SILENCE_DEADLINE_MS, "verifying the blob half of a layer");
            let from_tar = tar.next(SILENCE_DEADLINE_MS, "verifying the tar half of a layer");
            let (message, is_blob) = match select(pin!(from_blob), pin!(from_tar)).await {
                Either::Left((message, _)) => (message, true),
                Either::Right((message, _)) => (message, false),
            };
            match (message, is_blob) {
                (Message::Alive | Message::Ready | Message::Tick, _) => {}
                (Message::Done(Err(e)), _) => return Err(e),
                (Message::Progress(p), true) => on_progress(p),
                (Message::Done(Ok(done)), true) => result = Some(*done),
                (Message::Drained, false) => drained = true,
                (Message::Progress(_) | Message::Done(Ok(_)), false) | (Message::Drained, true) => {
                    return Err(ClientError::WorkerFailed("sent a message that is not its part's".into()));
                }
            }
        }
    }

    /// Terminates every idle worker.
    pub fn shutdown(&self) {
        for live in self.idle.borrow_mut().drain(..) {
            live.stop();
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Posts `job` to `live` with its `role` and, for a split layer, its end of the channel.
fn assign(live: &Live, job: &LayerJob, role: Role, port: Option<&MessagePort>) -> Result<(), ClientError> {
    let failed =
        |e: JsValue| ClientError::WorkerFailed(format!("could not be given its job: {}", describe(&e)));
    let assignment = to_js(&Assignment { job: job.clone(), role }).map_err(failed)?;
    match port {
        None => live.worker.post_message(&assignment),
        Some(port) => js_sys::Reflect::set(&assignment, &PORT.into(), port)
            .and_then(|_| live.worker.post_message_with_transfer(&assignment, &js_sys::Array::of1(port))),
    }
    .map_err(failed)
}

/// Reads a worker message: `{type, progress | result | error}` (see `worker::tag`).
fn decode(data: &JsValue) -> Message {
    let get = |key: &str| js_sys::Reflect::get(data, &key.into()).unwrap_or(JsValue::UNDEFINED);
    match get("type").as_string().as_deref() {
        Some(tag::READY) => Message::Ready,
        Some(tag::ALIVE) => Message::Alive,
        Some(tag::PROGRESS) => match serde_wasm_bindgen::from_value::<Progress>(get("progress")) {
            Ok(p) => Message::Progress(p),
            Err(e) => Message::Done(Err(ClientError::WorkerFailed(format!("sent unreadable progress: {e}")))),
        },
        Some(tag::DRAINED) => Message::Drained,
        Some(tag::DONE) => Message::Done(
            serde_wasm_bindgen::from_value(get("result"))
                .map_err(|e| ClientError::WorkerFailed(format!("sent an unreadable result: {e}"))),
        ),
        Some(tag::ERROR) => {
            let error = get("error");
            let field = |k: &str| {
                js_sys::Reflect::get(&error, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
            };
            match field("code").parse::<ErrorCode>() {
                // The worker's own failure (it could not load its wasm): not the layer's.
                Ok(ErrorCode::Worker) | Err(_) => {
                    Message::Done(Err(ClientError::WorkerFailed(field("message"))))
                }
                Ok(code) => Message::Done(Err(ClientError::Worker { code, message: field("message") })),
            }
        }
        _ => Message::Done(Err(ClientError::WorkerFailed("sent a message regsight does not know".into()))),
    }
}

/// A short description of a JS error or event, for messages.
fn describe(value: &JsValue) -> String {
    let text = |key: &str| js_sys::Reflect::get(value, &key.into()).ok().and_then(|v| v.as_string());
    let message = text("message").filter(|m| !m.is_empty());
    let detail = message
        .or_else(|| text("type").map(|t| format!("{t} event (the script could not be loaded or run)")));
    let detail = detail.unwrap_or_else(|| format!("{value:?}"));
    detail.chars().take(300).collect()
}
