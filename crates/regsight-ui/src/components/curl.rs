//! "Show as curl": every request the page's client made, as the curl commands a person would type
//! to make them by hand. Secrets never appear: the transcript records only which kind of
//! `Authorization` went, shown as `$USER:$PASSWORD` or `$TOKEN`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::state::Page;

/// Every request the page made, as curl commands, with a Copy button.
#[component]
pub fn CurlView(page: Page) -> impl IntoView {
    let status = RwSignal::new("");
    let copy = move |_| {
        let text = page.curl();
        spawn_local(async move {
            let copied = copy_text(&text).await;
            status.set(if copied { "Copied." } else { "Could not copy: select the text and copy it." });
        });
    };
    view! {
        <details class="curl-panel">
            <summary data-testid="show-curl">"Show as curl"</summary>
            <p class="muted small">
                "The requests this page made, as commands to make them by hand. Credentials are \
                 placeholders: set USER and PASSWORD (or TOKEN) yourself."
            </p>
            <button type="button" data-testid="copy-curl" on:click=copy>"Copy"</button>
            " "
            <span class="muted small" role="status" data-testid="copy-status">{move || status.get()}</span>
            <pre class="curl" data-testid="curl">{move || page.curl()}</pre>
        </details>
    }
}

/// Puts `text` on the clipboard; false where there is no clipboard or it is refused.
async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let clipboard = window.navigator().clipboard();
    if clipboard.is_undefined() {
        return false;
    }
    JsFuture::from(clipboard.write_text(text)).await.is_ok()
}
