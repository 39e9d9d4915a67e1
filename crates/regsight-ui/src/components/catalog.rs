use leptos::prelude::*;

use crate::state::Page;

/// The browsed registry's repositories (`registry=`).
#[component]
pub fn RegistryBrowser(page: Page) -> impl IntoView {
    let _ = page;
}
