use leptos::prelude::*;

use crate::state::Page;

/// The chain from the reference to every diff_id, as an SVG.
#[component]
pub fn ChainPicture(page: Page) -> impl IntoView {
    let _ = page;
}
