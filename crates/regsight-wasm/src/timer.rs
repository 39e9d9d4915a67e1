//! Time for the client's deadlines: the global `setTimeout`/`setInterval`, which pages, Web
//! Workers and Node.js all have (no `window` needed).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    #[wasm_bindgen(js_name = setInterval)]
    fn set_interval(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearInterval)]
    fn clear_interval(id: &JsValue);
}

/// Calls `tick` every `ms` milliseconds until dropped.
pub struct Interval {
    id: JsValue,
    _tick: Closure<dyn FnMut()>,
}

impl Interval {
    /// Starts calling `tick` every `ms` milliseconds.
    pub fn new(ms: u32, tick: impl FnMut() + 'static) -> Self {
        let tick = Closure::<dyn FnMut()>::new(tick);
        let id = set_interval(tick.as_ref().unchecked_ref(), i32::try_from(ms).unwrap_or(i32::MAX));
        Self { id, _tick: tick }
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        clear_interval(&self.id);
    }
}

/// A future that resolves after `ms` milliseconds; dropping it clears its timer.
pub struct Delay {
    id: JsValue,
    fired: JsFuture,
}

impl Delay {
    /// A delay of `ms` milliseconds, starting now.
    pub fn new(ms: u32) -> Self {
        let delay = i32::try_from(ms).unwrap_or(i32::MAX);
        let mut id = JsValue::UNDEFINED;
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            id = set_timeout(&resolve, delay);
        });
        Self { id, fired: JsFuture::from(promise) }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.fired).poll(cx).map(|_| ())
    }
}

impl Drop for Delay {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}
