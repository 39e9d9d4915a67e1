//! One layer across two Web Workers. The blob worker (the verifier's stage A: the download, the
//! blob's size, decompression) sends the decompressed bytes to the tar worker (stage B: the diff_id
//! and the listing) over a `MessageChannel`, in transferred `ArrayBuffer`s, and the compressed bytes
//! too: the tar worker computes the blob digest, which evens out the two workers' work (inflating
//! costs about as much as hashing, and there are two hashes; BENCHMARKS.md). At most [`CREDITS`]
//! buffers are in flight: each comes back with the tar worker's acknowledgement and is reused, and
//! the blob worker reads no more of the body until one has, so memory stays flat whichever side is
//! faster. At the end the tar worker sends its half of the report and the blob digest back the
//! same way. The pool (`pool.rs`) hands each worker its end of the channel and watches both.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures::channel::oneshot;
use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use regsight_core::verify::{TarHalf, TarStage};
use regsight_core::{Digest, DigestVerifier};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, MessagePort};

use crate::error::ClientError;
use crate::value::{object, to_js};

/// Bytes per message.
pub const BATCH: u32 = 1 << 20;
/// Messages sent and not yet acknowledged before the blob worker waits.
pub const CREDITS: usize = 6;

/// The fields of the messages on the channel.
mod key {
    /// Blob worker → tar worker: an `ArrayBuffer` of decompressed bytes (with [`LEN`]).
    pub const CHUNK: &str = "chunk";
    /// Blob worker → tar worker: an `ArrayBuffer` of compressed bytes, the blob (with [`LEN`]).
    pub const BLOB: &str = "blob";
    /// How many bytes of the [`CHUNK`] or [`BLOB`] are filled.
    pub const LEN: &str = "len";
    /// Blob worker → tar worker: no more bytes; send your half.
    pub const END: &str = "end";
    /// Tar worker → blob worker: a chunk was taken; its buffer, for reuse.
    pub const CREDIT: &str = "credit";
    /// Tar worker → blob worker: its [`super::FarHalf`].
    pub const HALF: &str = "half";
}

/// The two byte streams the blob worker sends, each in order.
#[derive(Clone, Copy)]
enum Stream {
    /// The compressed bytes, for the blob digest.
    Blob,
    /// The decompressed bytes, for stage B.
    Tar,
}

impl Stream {
    fn key(self) -> &'static str {
        match self {
            Self::Blob => key::BLOB,
            Self::Tar => key::CHUNK,
        }
    }
}

/// What the tar worker sends back at the end: stage B's half and the digest of the compressed
/// bytes it was sent (computed with the algorithm of the layer's declared digest).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FarHalf {
    /// Stage B's half of the report.
    pub tar: TarHalf,
    /// The blob digest.
    pub blob_digest: Digest,
}

/// What the blob worker's end of the channel shares with its message handler.
#[derive(Default)]
struct Shared {
    in_flight: usize,
    spare: Vec<ArrayBuffer>,
    half: Option<Result<FarHalf, ClientError>>,
    /// Why a chunk could not be sent.
    failed: Option<ClientError>,
    waker: Option<Waker>,
}

/// The blob worker's end: takes compressed and decompressed bytes and sends them to the tar
/// worker in batches.
pub struct Feed {
    port: MessagePort,
    shared: Rc<RefCell<Shared>>,
    /// The batches being filled, and how far: compressed bytes, decompressed bytes.
    current: [Option<(Uint8Array, u32)>; 2],
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Feed {
    /// The blob worker's end of a channel whose other end the tar worker holds.
    pub fn new(port: MessagePort) -> Self {
        let shared = Rc::new(RefCell::new(Shared::default()));
        let on_message = {
            let shared = shared.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let data = event.data();
                let mut shared = shared.borrow_mut();
                if let Ok(buffer) = field(&data, key::CREDIT).dyn_into::<ArrayBuffer>() {
                    shared.in_flight = shared.in_flight.saturating_sub(1);
                    shared.spare.push(buffer);
                } else {
                    let half = field(&data, key::HALF);
                    shared.half = Some(serde_wasm_bindgen::from_value(half).map_err(|e| {
                        ClientError::WorkerFailed(format!("its tar worker sent an unreadable half: {e}"))
                    }));
                }
                if let Some(waker) = shared.waker.take() {
                    waker.wake();
                }
            })
        };
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Self { port, shared, current: [None, None], _on_message: on_message }
    }

    /// Takes the next compressed bytes of the blob, in order; they leave in batches of [`BATCH`].
    pub fn write_blob(&mut self, bytes: &[u8]) {
        self.write_to(Stream::Blob, bytes);
    }

    /// Takes the next decompressed bytes, in order; they leave in batches of [`BATCH`].
    pub fn write(&mut self, bytes: &[u8]) {
        self.write_to(Stream::Tar, bytes);
    }

    fn write_to(&mut self, stream: Stream, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let (view, filled) = match self.current[stream as usize].take() {
                Some(current) => current,
                None => {
                    let spare = self.shared.borrow_mut().spare.pop();
                    (spare.map_or_else(|| Uint8Array::new_with_length(BATCH), |b| Uint8Array::new(&b)), 0)
                }
            };
            let n = (BATCH - filled).min(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            view.subarray(filled, filled + n).copy_from(&bytes[..n as usize]);
            bytes = &bytes[n as usize..];
            self.current[stream as usize] = Some((view, filled + n));
            if filled + n == BATCH {
                self.send(stream);
            }
        }
    }

    /// A handle whose [`Credits::wait`] resolves when another batch may be sent.
    pub fn credits(&self) -> Credits {
        Credits(self.shared.clone())
    }

    /// Sends what is batched, says the end, and waits for the tar worker's half.
    pub async fn finish(mut self) -> Result<FarHalf, ClientError> {
        self.send(Stream::Blob);
        self.send(Stream::Tar);
        let end = object(&[(key::END, &JsValue::TRUE)]);
        if let Err(e) = self.port.post_message(&end) {
            return Err(ClientError::WorkerFailed(format!("could not end its tar worker's stream: {e:?}")));
        }
        Wait { shared: &self.shared, ready: |s| s.half.is_some() || s.failed.is_some() }.await;
        let mut shared = self.shared.borrow_mut();
        match shared.failed.take() {
            Some(error) => Err(error),
            None => shared.half.take().unwrap_or_else(|| Err(ClientError::WorkerFailed("no half".into()))),
        }
    }

    /// Sends the batch of `stream` being filled, if any.
    fn send(&mut self, stream: Stream) {
        let Some((view, filled)) = self.current[stream as usize].take() else { return };
        let buffer = view.buffer();
        let message = object(&[(stream.key(), &buffer), (key::LEN, &filled.into())]);
        let mut shared = self.shared.borrow_mut();
        match self.port.post_message_with_transferable(&message, &Array::of1(&buffer)) {
            Ok(()) => shared.in_flight += 1,
            Err(e) => {
                let failure =
                    ClientError::WorkerFailed(format!("could not pass bytes to its tar worker: {e:?}"));
                shared.failed.get_or_insert(failure);
            }
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.port.set_onmessage(None);
        self.port.close();
    }
}

/// The blob worker's credits: room for another batch.
pub struct Credits(Rc<RefCell<Shared>>);

impl Credits {
    /// Resolves when fewer than [`CREDITS`] batches are in flight (or sending failed).
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        Wait { shared: &self.0, ready: |s| s.in_flight < CREDITS || s.failed.is_some() }
    }
}

/// Resolves when `ready` holds of the shared state; the message handler wakes it.
struct Wait<'a> {
    shared: &'a RefCell<Shared>,
    ready: fn(&Shared) -> bool,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = self.shared.borrow_mut();
        if (self.ready)(&shared) {
            Poll::Ready(())
        } else {
            shared.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// The tar worker's side: runs `stage` on the decompressed bytes arriving at `port` and
/// `blob_digest` on the compressed ones until the blob worker says the end, then sends its
/// [`FarHalf`] back; returns how many decompressed bytes it took.
pub async fn drain(
    port: MessagePort,
    stage: TarStage,
    blob_digest: DigestVerifier,
) -> Result<u64, ClientError> {
    let (done_tx, done_rx) = oneshot::channel::<Result<u64, ClientError>>();
    let mut state = Some((stage, blob_digest, done_tx));
    let mut buffer = vec![0u8; BATCH as usize];
    let reply = port.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let Some((stage, blob_digest, _)) = state.as_mut() else { return };
        let chunk =
            |stream: Stream| field(&data, stream.key()).dyn_into::<ArrayBuffer>().ok().map(|c| (stream, c));
        if let Some((stream, chunk)) = chunk(Stream::Tar).or_else(|| chunk(Stream::Blob)) {
            let len = field(&data, key::LEN).as_f64().unwrap_or(0.0) as u32;
            let len = len.min(chunk.byte_length()).min(BATCH);
            Uint8Array::new_with_byte_offset_and_length(&chunk, 0, len).copy_to(&mut buffer[..len as usize]);
            // The bytes are copied: the buffer goes back at once, before the hashing.
            let credit = object(&[(key::CREDIT, &chunk)]);
            let _ = reply.post_message_with_transferable(&credit, &Array::of1(&chunk));
            match stream {
                Stream::Tar => stage.update(&buffer[..len as usize]),
                Stream::Blob => blob_digest.update(&buffer[..len as usize]),
            }
        } else if field(&data, key::END).is_truthy() {
            let Some((stage, blob_digest, done)) = state.take() else { return };
            let half = FarHalf { tar: stage.finish(), blob_digest: blob_digest.finish().computed };
            let taken = half.tar.uncompressed_size();
            let sent = to_js(&half)
                .and_then(|half| reply.post_message(&object(&[(key::HALF, &half)])))
                .map(|()| taken)
                .map_err(|e| ClientError::WorkerFailed(format!("could not send its half: {e:?}")));
            let _ = done.send(sent);
        }
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let result =
        done_rx.await.unwrap_or_else(|_| Err(ClientError::WorkerFailed("its channel closed".into())));
    port.set_onmessage(None);
    result
}

/// `data[name]`, or `undefined`.
fn field(data: &JsValue, name: &str) -> JsValue {
    Reflect::get(data, &name.into()).unwrap_or(JsValue::UNDEFINED)
}
