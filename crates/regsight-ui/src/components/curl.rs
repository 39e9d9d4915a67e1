use leptos::prelude::*;

use crate::state::Page;

/// Every request the page made, as curl commands.
#[component]
pub fn CurlView(page: Page) -> impl IntoView {
    let _ = page;
}
