//! regsight-wasm: the browser client. It drives regsight-core over `fetch` (in a page, a Web Worker
//! or Node.js 20+), does the registry auth flow, and streams layers through the verifier.
//!
//! Rust callers (the page) use [`ClientCore`] and its typed results. The JS API (feature
//! `js-api`, on by default; see `README.md` of the npm package) wraps it: `parseReference`,
//! `new Client(options)` with `tags`, `manifest`, `config` and `verify`, errors as `Error`s with
//! a stable `code`.

#[cfg(feature = "js-api")]
mod api;
mod client;
mod error;
mod fetch;
#[cfg(feature = "js-api")]
mod js;
mod layer;
mod options;
mod pool;
mod registry;
mod split;
mod timer;
mod value;
mod worker;

#[cfg(feature = "js-api")]
pub use api::{Client, parse_reference};
pub use client::{
    ClientCore, FetchedManifest, LayerOutcome, LayerState, Resolved, Settings, Source, Verification,
    VerifyCall,
};
pub use error::ClientError;
pub use options::{ClientOptions, CredentialsInput, WorkersOption, page_url};
pub use worker::worker_main;

/// The version of the regsight package.
#[cfg_attr(feature = "js-api", wasm_bindgen::prelude::wasm_bindgen)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
