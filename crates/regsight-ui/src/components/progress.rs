use leptos::prelude::*;

use crate::state::Page;

/// The whole image's progress.
#[component]
pub fn ImageProgress(page: Page) -> impl IntoView {
    let _ = page;
}
