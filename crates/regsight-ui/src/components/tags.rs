use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::failure::Failure;
use crate::state::{Listing, Page};

/// Height of one row of a [`ListPanel`], in CSS pixels (`.vlist li` in styles.css says the same).
const ROW: i32 = 30;
/// Rows rendered at once: the ~11 a 20rem list shows, and some above and below.
const WINDOW: usize = 40;
/// Rows rendered above the first one in view.
const ABOVE: usize = 8;

/// The repository's tags (version-sorted), filterable, each one opening its image; the digest of
/// a tag is asked for on demand. Only the rows in view are in the DOM, so 10,000 tags scroll smoothly.
#[component]
pub fn TagList(page: Page) -> impl IntoView {
    view! {
        <section class="tags-panel">
            <h2>"Tags"</h2>
            <ListPanel page listing=page.tags kind=Kind::Tags />
        </section>
    }
}

/// What a [`ListPanel`] lists.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A repository's tags: each opens its image and can ask its digest.
    Tags,
    /// A registry's repositories: each opens its tags and `latest`.
    Repositories,
}

impl Kind {
    /// The test hook of each row's button, and of the count line.
    fn hooks(self) -> (&'static str, &'static str) {
        match self {
            Self::Tags => ("tag", "tag-count"),
            Self::Repositories => ("repository", "repository-count"),
        }
    }
}

/// A listing's status line (loading, failed, `of · 12 of 40 tags`), a filter, and a scrolling list
/// that renders only the rows in view: each row is [`ROW`] pixels high, a spacer holds the whole
/// list's height, and the rows shown follow `scrollTop`. Rows are reused in place as the list
/// scrolls (no keyed diff: it would cost 4 KB of wasm); the keyboard focus stays on its item.
#[component]
pub(super) fn ListPanel(page: Page, listing: RwSignal<Listing>, kind: Kind) -> impl IntoView {
    let tags = kind == Kind::Tags;
    let (hook, count_hook) = kind.hooks();
    let filter = RwSignal::new(String::new());
    // The first row rendered, and the list it is a row of.
    let first = RwSignal::new((0_usize, 0_usize));
    // (which list, its items): the number tells lists apart, so another list starts at its top.
    let items = Memo::new(move |previous: Option<&Arc<(usize, Vec<String>)>>| {
        let typed = filter.with(|f| f.trim().to_owned());
        let items = listing.with(|l| match l {
            Listing::Loaded { items, .. } => matching(items, &typed),
            _ => Vec::new(),
        });
        Arc::new((previous.map_or(1, |p| p.0 + 1), items))
    });
    let len = move || items.with(|v| v.1.len());
    let list_id = move || items.with(|v| v.0);
    let status = move || {
        let (class, testid, text) = listing.with(|l| match l {
            Listing::None => ("muted", "", String::new()),
            Listing::Loading => ("muted", "", "Listing…".to_owned()),
            Listing::Failed(error) => failed(page, kind, error),
            Listing::Loaded { of, items } => {
                let noun = match (tags, items.len() == 1) {
                    (true, true) => "tag",
                    (true, false) => "tags",
                    (false, true) => "repository",
                    (false, false) => "repositories",
                };
                ("muted", count_hook, format!("{of} · {}", count(len(), items.len(), noun)))
            }
        });
        view! { <p class=class data-testid=testid>{text}</p> }
    };
    let list_element = if tags { "tag-list" } else { "repository-list" };
    let rows = move || {
        let (row, of) = first.get();
        let (id, n) = (list_id(), len());
        // Another list (a filter, another repository) starts at its top.
        let row = if of == id {
            row
        } else {
            if let Some(list) = document().get_element_by_id(list_element) {
                list.set_scroll_top(0);
            }
            0
        };
        items.with(|v| {
            v.1.iter()
                .enumerate()
                .skip(row)
                .take(WINDOW)
                .map(|(i, name)| (i, n, name.clone()))
                .collect::<Vec<_>>()
        })
    };
    let scrolled = move |ev: leptos::ev::Event| {
        let list = event_target::<web_sys::Element>(&ev);
        let top = list.scroll_top() / ROW;
        let row = (top.max(0) as usize).saturating_sub(ABOVE).min(len().saturating_sub(WINDOW));
        let now = (row, list_id());
        if now == first.get_untracked() {
            return;
        }
        // Rows are reused in place, so a focused button would now show another item: the focus
        // goes back to the same button of the same item (or to the list, if it scrolled away).
        let focused = document().active_element().filter(|a| list.contains(Some(a)) && *a != list);
        let again = focused.and_then(|a| {
            let pos = a.closest("li").ok()??.get_attribute("aria-posinset")?;
            Some(format!("li[aria-posinset=\"{pos}\"] .{}", a.class_name()))
        });
        first.set(now);
        if let Some(selector) = again {
            queue_microtask(move || {
                let target = list.query_selector(&selector).ok().flatten().unwrap_or_else(|| list.clone());
                if let Ok(target) = target.dyn_into::<web_sys::HtmlElement>() {
                    let _ = target.focus();
                }
            });
        }
    };
    let label = if tags { "Filter tags" } else { "Filter repositories" };
    view! {
        {status}
        <div class="list" hidden=move || listing.with(|l| !matches!(l, Listing::Loaded { .. }))>
            <input
                type="search"
                placeholder=label
                aria-label=label
                data-testid=if tags { "tag-filter" } else { "repository-filter" }
                spellcheck="false"
                autocomplete="off"
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
            <div
                class="vlist"
                role="region"
                tabindex="0"
                aria-label=if tags { "Tags" } else { "Repositories" }
                id=list_element
                data-testid=list_element
                on:scroll=scrolled
            >
                <ul style=("height", move || format!("{}px", len() as i32 * ROW))>
                    {move || rows().into_iter().map(|(index, n, name)| view! {
                        <li style=("top", format!("{}px", index as i32 * ROW)) aria-posinset=index + 1 aria-setsize=n>
                            {row(page, hook, tags, name)}
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        </div>
    }
}

/// The status line of a listing that failed: `(class, test hook, text)`. A registry that keeps its
/// catalog closed (401, 403, 404, UNSUPPORTED, as Docker Hub) gets a note, not an error.
fn failed(page: Page, kind: Kind, error: &Failure) -> (&'static str, &'static str, String) {
    use regsight_core::ErrorCode::{Denied, NameUnknown, Unauthorized, Unsupported};
    let code = error.code.as_str();
    match kind {
        Kind::Tags => ("muted", "tag-error", format!("Tags unavailable: {code}: {}", error.message)),
        Kind::Repositories if matches!(error.code, Unauthorized | Denied | Unsupported | NameUnknown) => {
            let registry = page.browse.get_untracked();
            let text = format!(
                "{registry} keeps its catalog closed (it answered {code}): it does not list its repositories. \
                 Type a repository in the image reference above instead, such as {registry}/namespace/name:tag."
            );
            ("note", "catalog-closed", text)
        }
        Kind::Repositories => {
            ("bad", "catalog-error", format!("Could not list the repositories: {code}: {}", error.message))
        }
    }
}

/// One row: a button opening the item; for a tag, one asking its digest (a HEAD), and the answer.
fn row(page: Page, hook: &'static str, tags: bool, name: String) -> impl IntoView + use<> {
    let open = name.clone();
    let digest = tags.then(|| {
        let (ask, asked) = (name.clone(), name.clone());
        let answer = move || {
            page.tag_digests.with(|answers| {
                answers.get(&asked).map(|answer| {
                    let (class, testid, text) = match answer {
                        Ok(digest) => ("tag-digest", "tag-digest", digest.clone()),
                        Err(error) => (
                            "bad small",
                            "tag-digest-error",
                            format!("{}: {}", error.code.as_str(), error.message),
                        ),
                    };
                    view! { <code class=class data-testid=testid>{text}</code> }
                })
            })
        };
        view! {
            <button
                type="button"
                class="ask-digest"
                aria-label=format!("Digest of {name}")
                on:click=move |_| page.tag_digest(&ask)
            >
                "digest"
            </button>
            {answer}
        }
    });
    let on_click = move |_| if tags { page.load_tag(&open) } else { page.open_repository(&open) };
    view! {
        <button type="button" class="item" data-testid=hook on:click=on_click>{name.clone()}</button>
        {digest}
    }
}

/// `items` containing `typed` (ASCII case-insensitive: tags and repository names are ASCII), in
/// their order but with an exact match first (a case-sensitive one before others).
fn matching(items: &[String], typed: &str) -> Vec<String> {
    if typed.is_empty() {
        return items.to_vec();
    }
    let needle = typed.to_ascii_lowercase();
    let mut found: Vec<String> =
        items.iter().filter(|i| i.to_ascii_lowercase().contains(&needle)).cloned().collect();
    let exact = found
        .iter()
        .position(|i| i == typed)
        .or_else(|| found.iter().position(|i| i.eq_ignore_ascii_case(typed)));
    if let Some(exact) = exact {
        let item = found.remove(exact);
        found.insert(0, item);
    }
    found
}

/// `12 of 40 repositories` while filtered, `40 repositories` otherwise (thousands grouped).
fn count(shown: usize, total: usize, noun: &str) -> String {
    if shown == total {
        format!("{} {noun}", grouped(total))
    } else {
        format!("{} of {} {noun}", grouped(shown), grouped(total))
    }
}

/// `10000` -> `10,000`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
