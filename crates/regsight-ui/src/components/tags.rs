use leptos::prelude::*;

use crate::state::{Page, Tags};

/// The repository's tags (version-sorted), filterable; clicking one loads it.
#[component]
pub fn TagList(page: Page) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let body = move || match page.tags.get() {
        Tags::None => ().into_any(),
        Tags::Loading => view! { <p class="muted">"Listing tags…"</p> }.into_any(),
        Tags::Failed(error) => {
            view! { <p class="muted">"Tags unavailable: " {error.code} ": " {error.message}</p> }.into_any()
        }
        Tags::Loaded { repository, tags } => {
            let needle = filter.get().to_lowercase();
            let shown: Vec<String> =
                tags.iter().filter(|t| t.to_lowercase().contains(&needle)).cloned().collect();
            let plural = if tags.len() == 1 { "tag" } else { "tags" };
            let count = if shown.len() == tags.len() {
                format!("{} {plural}", tags.len())
            } else {
                format!("{} of {} {plural}", shown.len(), tags.len())
            };
            view! {
                <p class="muted">{repository} " · " {count}</p>
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
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
            {body}
        </section>
    }
}
