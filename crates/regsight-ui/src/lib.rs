//! The regsight page (Leptos CSR). A placeholder until the page issue lands: it shows the image
//! named by the `?image=` deep link.

use leptos::prelude::*;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let image = image_from_location();
    view! {
        <main>
            <h1>"regsight"</h1>
            <p>"Inspect and verify container images straight from a registry, in your browser."</p>
            <p data-testid="image">{image.unwrap_or_else(|| "no image selected (use ?image=...)".into())}</p>
            <p class="muted">"regsight " {regsight_wasm::version()}</p>
        </main>
    }
}

/// The `image` query parameter of the page's URL, if any.
fn image_from_location() -> Option<String> {
    let search = window().location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "image")
        .map(|(_, value)| value.replace("%2F", "/").replace("%3A", ":").replace("%40", "@"))
}
