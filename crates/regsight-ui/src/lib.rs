//! The regsight page (Leptos CSR): paste a reference, see its manifest, config and tags, and verify
//! every digest of its chain in the browser. It calls the client's Rust API (`regsight-wasm`)
//! through one [`state::Page`]; its Web Workers run the npm package's worker script.

pub mod components;
pub mod failure;
pub mod link;
pub mod session;
pub mod site;
pub mod state;
pub mod text;

use leptos::prelude::*;

use crate::components::{
    ChainPicture, ConfigPanel, CurlView, ErrorPanel, FileTree, ImageProgress, PlatformCards, RawDocuments,
    ReferenceForm, RegistryBrowser, TagList, Verification,
};
use crate::link::DeepLink;
use crate::state::Page;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let link = DeepLink::from_location();
    let page = Page::new(&link);
    // The site's gateway must be known before the first request: load regsight.json, then start.
    leptos::task::spawn_local(async move {
        match site::load().await {
            Ok(Some(site)) => page.use_site(site, &link),
            Ok(None) => {}
            Err(error) => page.show_error(error),
        }
        page.loaded.set(true);
        if !page.browse.get_untracked().is_empty() {
            page.load_catalog();
        }
        if !page.reference.get_untracked().trim().is_empty() {
            page.start(link.verify);
        }
    });
    view! {
        <header>
            <h1>"regsight"</h1>
            <p class="muted">"Verify container images straight from a registry, in your browser: every digest is recomputed here."</p>
        </header>
        <main>
            <ReferenceForm page=page />
            <ErrorPanel page=page />
            <ImageProgress page=page />
            <Verification page=page />
            <ChainPicture page=page />
            <PlatformCards page=page />
            <FileTree page=page />
            <ConfigPanel page=page />
            <RawDocuments page=page />
            <TagList page=page />
            <RegistryBrowser page=page />
            <CurlView page=page />
        </main>
        <footer class="muted">"regsight " {regsight_wasm::version()}</footer>
    }
}
