//! The regsight page's entry point: mounts [`regsight_ui::App`], except inside the layer-verifying
//! Web Worker (`web/worker.js` loads this same module for `workerMain` and has no document).

fn main() {
    // Keeps the worker's entry point in this binary's exports (the linker drops what nothing uses).
    std::hint::black_box(regsight_wasm::worker_main as fn() -> _);
    let has_document = web_sys::window().and_then(|w| w.document()).is_some();
    if !has_document {
        return;
    }
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(regsight_ui::App);
}
