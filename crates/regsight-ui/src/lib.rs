//! The regsight page (Leptos CSR): paste a reference, see its manifest, config and tags, and verify
//! every digest of its chain in the browser. All registry traffic goes through [`api`].

pub mod api;
pub mod components;
pub mod state;

use leptos::prelude::*;

use crate::components::{ConfigPanel, ErrorPanel, ReferenceForm, TagList, Verification};
use crate::state::{DeepLink, Page};

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let link = DeepLink::from_location();
    let page = Page::new(&link);
    if link.image.is_some() {
        // After mounting, so the first progress has somewhere to go.
        request_animation_frame(move || page.start(link.verify));
    }
    view! {
        <header>
            <h1>"regsight"</h1>
            <p class="muted">"Verify container images straight from a registry, in your browser: every digest is recomputed here."</p>
        </header>
        <main>
            <ReferenceForm page=page />
            <ErrorPanel page=page />
            <Verification page=page />
            <ConfigPanel page=page />
            <TagList page=page />
        </main>
        <footer class="muted">"regsight " {regsight_wasm::version()}</footer>
    }
}
