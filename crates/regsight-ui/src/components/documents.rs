use leptos::prelude::*;

use crate::state::Page;

/// The index, manifest and config exactly as served.
#[component]
pub fn RawDocuments(page: Page) -> impl IntoView {
    let _ = page;
}
