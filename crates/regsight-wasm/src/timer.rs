//! Time for the client's deadlines: the global `setInterval`, which pages, Web
//! Workers and Node.js all have (no `window` needed).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
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
