use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::tags::{Kind, ListPanel};
use crate::state::Page;

/// The browsed registry's repositories (`registry=`, from its `_catalog`), filterable; one opens
/// its tags and `latest`. Registries that keep their catalog closed get a note, not an error.
#[component]
pub fn RegistryBrowser(page: Page) -> impl IntoView {
    let draft = RwSignal::new(page.browse.get_untracked());
    let browse = move |ev: SubmitEvent| {
        ev.prevent_default();
        page.browse.set(draft.get_untracked().trim().to_owned());
        page.load_catalog();
    };
    view! {
        <section class="browser">
            <h2>"Browse a registry"</h2>
            <form class="browse" on:submit=browse>
                <label>
                    "Registry"
                    <input
                        type="text"
                        data-testid="browse-registry"
                        placeholder="registry.example or 127.0.0.1:5000"
                        spellcheck="false"
                        autocomplete="off"
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit" data-testid="browse">"Browse"</button>
            </form>
            <ListPanel page listing=page.repositories kind=Kind::Repositories />
        </section>
    }
}
