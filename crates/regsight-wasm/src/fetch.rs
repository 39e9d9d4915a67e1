//! The one place regsight touches the network: the global `fetch`, which exists in pages, Web
//! Workers and Node.js 20+ alike (so no `window` is ever needed).

use std::ops::ControlFlow;

use futures::future::{Either, select};
use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, Headers, ReadableStream, ReadableStreamByobReader,
    ReadableStreamDefaultReader, Request, RequestCredentials, RequestInit, RequestMode, RequestRedirect,
    Response,
};

use regsight_core::auth::{TokenForm, grant};

use crate::error::ClientError;
use crate::options::Timeouts;
use crate::timer::Delay;
use crate::value::object;

#[wasm_bindgen]
extern "C" {
    /// `globalThis.fetch(request)`.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
}

/// Bytes copied from a JS chunk into wasm memory at a time: one buffer, reused for a whole body.
pub const CHUNK_BUFFER: usize = 256 * 1024;

/// A GET, HEAD or (token) POST request as regsight sends it.
#[derive(Debug, Clone)]
pub struct HttpRequest<'a> {
    /// `GET`, `HEAD` or `POST`.
    pub method: &'a str,
    /// Full URL.
    pub url: &'a str,
    /// `Accept` value, if any.
    pub accept: Option<&'a str>,
    /// `Authorization` value, if any.
    pub authorization: Option<&'a str>,
    /// An OAuth2 token form to send as the body (`application/x-www-form-urlencoded`), if any.
    pub form: Option<&'a TokenForm>,
}

/// A response whose body has not been read yet.
pub struct HttpResponse {
    response: Response,
    url: String,
    idle_ms: u32,
    abort: Abort,
}

/// The request's own abort switch: pulled by a timeout, or by the caller's signal.
struct Abort {
    controller: AbortController,
    caller: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

impl Abort {
    /// A switch that the caller's `signal` (if any) also pulls.
    fn new(signal: Option<&AbortSignal>) -> Result<Self, ClientError> {
        let controller =
            AbortController::new().map_err(|e| ClientError::Js(format!("AbortController: {e:?}")))?;
        let caller = signal.map(|signal| {
            let ours = controller.clone();
            let on_abort = Closure::<dyn FnMut()>::new(move || ours.abort());
            let _ = signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
            (signal.clone(), on_abort)
        });
        if signal.is_some_and(AbortSignal::aborted) {
            controller.abort();
        }
        Ok(Self { controller, caller })
    }
}

impl Drop for Abort {
    fn drop(&mut self) {
        if let Some((signal, on_abort)) = &self.caller {
            let _ = signal.remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
    }
}

/// Sends a request with `credentials: "omit"`, CORS mode and redirects followed (browsers drop
/// `Authorization` on cross-origin redirects). A form goes as a CORS "simple" body (form-urlencoded,
/// no `Authorization`, so no preflight) and its redirects are not followed, since a 307 would carry
/// the form elsewhere: the answer is the 3xx itself, or status 0 where the runtime hides it. No
/// response headers within `timeouts.headers_ms` is a `TIMEOUT`; so is a body that sends nothing
/// for `timeouts.idle_ms`.
pub async fn send(
    request: &HttpRequest<'_>,
    signal: Option<&AbortSignal>,
    timeouts: Timeouts,
) -> Result<HttpResponse, ClientError> {
    let js = |e: JsValue| ClientError::Js(format!("{e:?}"));
    let headers = Headers::new().map_err(js)?;
    if let Some(accept) = request.accept {
        headers.set("Accept", accept).map_err(js)?;
    }
    if let Some(authorization) = request.authorization {
        headers.set("Authorization", authorization).map_err(js)?;
    }
    let init = RequestInit::new();
    if let Some(form) = request.form {
        headers.set("Content-Type", grant::CONTENT_TYPE).map_err(js)?;
        init.set_body(&JsValue::from_str(&form.encoded()));
    }
    init.set_method(request.method);
    init.set_headers(&headers);
    init.set_credentials(RequestCredentials::Omit);
    init.set_mode(RequestMode::Cors);
    init.set_redirect(if request.form.is_some() { RequestRedirect::Manual } else { RequestRedirect::Follow });
    let abort = Abort::new(signal)?;
    init.set_signal(Some(&abort.controller.signal()));
    let req = Request::new_with_str_and_init(request.url, &init)
        .map_err(|e| ClientError::from_fetch_failure(request.url, &e))?;
    let pending = global_fetch(&req);
    let answer = select(JsFuture::from(pending.clone()), Delay::new(timeouts.headers_ms)).await;
    let response = match answer {
        Either::Left((answer, _)) => answer.map_err(|e| ClientError::from_fetch_failure(request.url, &e))?,
        Either::Right(_) => {
            // Aborting rejects the pending fetch, which nobody awaits any more: not an error.
            quiet(&pending);
            abort.controller.abort();
            return Err(ClientError::Timeout {
                url: request.url.to_owned(),
                waiting_for: "response headers",
                ms: timeouts.headers_ms,
            });
        }
    };
    let response: Response =
        response.dyn_into().map_err(|v| ClientError::Js(format!("fetch resolved to {v:?}")))?;
    // The final URL, after redirects (empty for some synthetic responses: then the one asked).
    let url = Some(response.url()).filter(|u| !u.is_empty()).unwrap_or_else(|| request.url.to_owned());
    Ok(HttpResponse { response, url, idle_ms: timeouts.idle_ms, abort })
}

impl HttpResponse {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.response.status()
    }

    /// A response header, as the browser lets us read it (CORS-exposed headers only).
    pub fn header(&self, name: &str) -> Option<String> {
        self.response.headers().get(name).ok().flatten()
    }

    /// The URL that answered: the one requested, or where its redirects ended (relative links in
    /// the answer, such as a `Link` header's, resolve against it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Reads the whole body, refusing more than `limit` bytes (whatever Content-Length says).
    pub async fn bytes(
        self,
        what: &str,
        limit: usize,
        signal: Option<&AbortSignal>,
    ) -> Result<Vec<u8>, ClientError> {
        let mut body = Vec::new();
        let url = self.url.clone();
        self.for_each_chunk(signal, |chunk| {
            if body.len() + chunk.len() > limit {
                return Err(ClientError::TooLarge {
                    what: what.to_owned(),
                    limit: limit as u64,
                    unit: "bytes",
                });
            }
            body.extend_from_slice(chunk);
            Ok(ControlFlow::Continue(()))
        })
        .await
        .map_err(|e| match e {
            ClientError::Js(detail) => ClientError::Network { url, detail },
            other => other,
        })?;
        Ok(body)
    }

    /// Streams the body through `sink` in slices of at most [`CHUNK_BUFFER`] bytes, read into one
    /// reused JS buffer where the runtime allows (see [`BodyReader`]) and copied into one reused
    /// wasm buffer. Stops early when `sink` breaks or fails,
    /// and then cancels the download.
    pub async fn for_each_chunk(
        self,
        signal: Option<&AbortSignal>,
        sink: impl FnMut(&[u8]) -> Result<ControlFlow<()>, ClientError>,
    ) -> Result<(), ClientError> {
        self.for_each_chunk_paced(signal, || std::future::ready(()), sink).await
    }

    /// [`HttpResponse::for_each_chunk`], awaiting `pace()` before each read: a consumer with a
    /// bounded queue (a split layer's tar worker) holds the download back until it has room.
    pub async fn for_each_chunk_paced<F: Future<Output = ()>>(
        self,
        signal: Option<&AbortSignal>,
        mut pace: impl FnMut() -> F,
        mut sink: impl FnMut(&[u8]) -> Result<ControlFlow<()>, ClientError>,
    ) -> Result<(), ClientError> {
        let Some(stream) = self.response.body() else { return Ok(()) };
        let mut reader = BodyReader::new(&stream)?;
        let mut buffer = vec![0u8; CHUNK_BUFFER];
        let mut received: u64 = 0;
        let result = loop {
            pace().await;
            if signal.is_some_and(AbortSignal::aborted) {
                break Err(ClientError::Aborted);
            }
            let read = reader.read();
            let step = match select(JsFuture::from(read.clone()), Delay::new(self.idle_ms)).await {
                Either::Left((Ok(step), _)) => step,
                Either::Left((Err(e), _)) => {
                    break Err(ClientError::from_body_failure(&self.url, received, &e));
                }
                Either::Right(_) => {
                    quiet(&read);
                    self.abort.controller.abort();
                    break Err(ClientError::Timeout {
                        url: self.url.clone(),
                        waiting_for: "body bytes",
                        ms: self.idle_ms,
                    });
                }
            };
            let done = Reflect::get(&step, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true);
            if done {
                break Ok(false);
            }
            let Ok(value) = Reflect::get(&step, &"value".into()) else { break Ok(false) };
            let chunk: Uint8Array = match value.dyn_into() {
                Ok(chunk) => chunk,
                Err(v) => break Err(ClientError::Js(format!("body chunk is {v:?}"))),
            };
            received += u64::from(chunk.length());
            let fed = copy_through(&chunk, &mut buffer, &mut sink);
            reader.recycle(&chunk);
            match fed {
                Ok(ControlFlow::Continue(())) => {}
                Ok(ControlFlow::Break(())) => break Ok(true),
                Err(e) => break Err(e),
            }
        };
        if !matches!(result, Ok(false)) {
            // Tell the browser we no longer want the body; its own errors do not matter here.
            quiet(&reader.cancel());
        }
        result.map(|_| ())
    }
}

/// A body's reader: a BYOB reader reading into one reused [`CHUNK_BUFFER`]-byte buffer where the
/// runtime's body is a byte stream, else a default reader (a fresh buffer per chunk).
enum BodyReader {
    /// The reader and the view of the buffer it reads into next (a read transfers the buffer,
    /// and the chunk it gives back views it).
    Byob(ReadableStreamByobReader, Uint8Array),
    Default(ReadableStreamDefaultReader),
}

impl BodyReader {
    fn new(stream: &ReadableStream) -> Result<Self, ClientError> {
        // `getReader({ mode: "byob" })` throws where the body is not a byte stream.
        let byob = object(&[("mode", &"byob".into())]);
        let get_reader =
            Reflect::get(stream, &"getReader".into()).and_then(|f| f.dyn_into::<js_sys::Function>());
        // A reader it did give is a BYOB reader (and the stream is locked to it).
        if let Ok(reader) = get_reader.and_then(|f| f.call1(stream, &byob)) {
            let reader = reader.unchecked_into::<ReadableStreamByobReader>();
            return Ok(Self::Byob(reader, Uint8Array::new_with_length(CHUNK_BUFFER as u32)));
        }
        let reader =
            stream.get_reader().dyn_into().map_err(|v| ClientError::Js(format!("body reader is {v:?}")))?;
        Ok(Self::Default(reader))
    }

    /// The next `{done, value}`.
    fn read(&self) -> Promise {
        match self {
            Self::Byob(reader, view) => reader.read_with_array_buffer_view(view),
            Self::Default(reader) => reader.read(),
        }
    }

    /// Takes back the buffer of a `chunk` it read and consumed, for the next read.
    fn recycle(&mut self, chunk: &Uint8Array) {
        if let Self::Byob(_, view) = self {
            *view = Uint8Array::new(&chunk.buffer());
        }
    }

    fn cancel(&self) -> Promise {
        match self {
            Self::Byob(reader, _) => reader.cancel(),
            Self::Default(reader) => reader.cancel(),
        }
    }
}

thread_local! {
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// Marks a promise whose rejection nobody will await as handled, so it is not reported as an
/// unhandled rejection (which Node turns into a crash).
fn quiet(promise: &Promise) {
    IGNORE.with(|ignore| {
        let _ = promise.catch(ignore);
    });
}

/// Feeds one JS chunk to `sink` through `buffer`, one buffer-sized slice at a time.
fn copy_through(
    chunk: &Uint8Array,
    buffer: &mut [u8],
    sink: &mut impl FnMut(&[u8]) -> Result<ControlFlow<()>, ClientError>,
) -> Result<ControlFlow<()>, ClientError> {
    let len = chunk.length();
    let step = buffer.len() as u32;
    let mut offset = 0;
    while offset < len {
        let end = len.min(offset + step);
        let n = (end - offset) as usize;
        chunk.subarray(offset, end).copy_to(&mut buffer[..n]);
        if sink(&buffer[..n])?.is_break() {
            return Ok(ControlFlow::Break(()));
        }
        offset = end;
    }
    Ok(ControlFlow::Continue(()))
}

/// Milliseconds since the Unix epoch from the JS clock (the core never reads a clock).
pub fn now() -> regsight_core::auth::UnixMillis {
    regsight_core::auth::UnixMillis(js_sys::Date::now() as u64)
}
