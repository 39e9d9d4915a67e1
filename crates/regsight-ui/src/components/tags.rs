use leptos::prelude::*;

use crate::state::{Listing, Page};

/// The repository's tags (version-sorted), filterable; clicking one loads it.
#[component]
pub fn TagList(page: Page) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let body = move || match page.tags.get() {
        Listing::None => ().into_any(),
        Listing::Loading => view! { <p class="muted">"Listing tags…"</p> }.into_any(),
        Listing::Failed(error) => {
            view! { <p class="muted">"Tags unavailable: " {error.code.as_str()} ": " {error.message}</p> }
                .into_any()
        }
        Listing::Loaded { of, items } => {
            let needle = filter.get().to_lowercase();
            let shown: Vec<String> =
                items.iter().filter(|t| t.to_lowercase().contains(&needle)).cloned().collect();
            let plural = if items.len() == 1 { "tag" } else { "tags" };
            let count = if shown.len() == items.len() {
                format!("{} {plural}", items.len())
            } else {
                format!("{} of {} {plural}", shown.len(), items.len())
            };
            view! {
                <p class="muted">{of} " · " {count}</p>
                <ul class="tags">
                    {shown
                        .into_iter()
                        .map(|tag| {
                            let name = tag.clone();
                            view! {
                                <li>
                                    <button type="button" class="tag" data-testid="tag" on:click=move |_| page.load_tag(&name)>
                                        {tag}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
            .into_any()
        }
    };
    view! {
        <section class="tags-panel">
            <h2>"Tags"</h2>
            <input
                type="search"
                placeholder="filter tags"
                aria-label="Filter tags"
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
            {body}
        </section>
    }
}
