use leptos::prelude::*;

use crate::state::Page;

/// An index's platforms as cards; choosing one inspects it (`platform=`).
#[component]
pub fn PlatformCards(page: Page) -> impl IntoView {
    let _ = page;
}
