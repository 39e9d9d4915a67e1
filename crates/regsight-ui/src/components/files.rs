use leptos::prelude::*;

use crate::state::Page;

/// A verified layer's files as a searchable tree.
#[component]
pub fn FileTree(page: Page) -> impl IntoView {
    let _ = page;
}
