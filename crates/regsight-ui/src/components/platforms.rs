use leptos::prelude::*;
use leptos::task::spawn_local;
use regsight_core::ErrorCode;
use regsight_core::model::{Descriptor, Manifest};
use regsight_wasm::Resolved;

use crate::failure::Failure;
use crate::state::Page;
use crate::text::format_bytes;

/// Manifest digest -> the compressed size of its image (config + layers); `None` while fetching.
type Sizes = Vec<(String, Option<Result<u64, Failure>>)>;

/// An index's entries as cards: platform, manifest digest and compressed size; attestations are
/// labelled as such, with the manifest (and platform) they attest. Choosing a platform inspects it
/// (`platform=`). Each other platform's manifest is fetched once, by digest, for its size.
#[component]
pub fn PlatformCards(page: Page) -> impl IntoView {
    let sizes = RwSignal::new(Sizes::new());
    move || {
        let resolved = page.resolved.get()?;
        let Some(Manifest::Index(index)) = resolved.index() else { return None };
        // The sizes follow what is shown: asked here, once per manifest, as the cards appear.
        fetch_sizes(page, &resolved, &index.manifests, sizes);
        let chosen = resolved.index.as_ref().map(|(_, entry)| entry.digest.clone());
        let cards = index
            .manifests
            .iter()
            .map(|entry| card(page, entry, &index.manifests, chosen.as_ref() == Some(&entry.digest), sizes))
            .collect_view();
        Some(view! {
            <section class="platforms">
                <h2>"Platforms in this index"</h2>
                <ul class="platform-cards">{cards}</ul>
            </section>
        })
    }
}

/// Records the shown image's size, and fetches (by digest, once each) the manifests of the index's
/// other platforms for theirs. Attestations are not fetched.
fn fetch_sizes(page: Page, resolved: &Resolved, entries: &[Descriptor], sizes: RwSignal<Sizes>) {
    let known = move |key: &str, size: Option<Result<u64, Failure>>| {
        sizes.update(|s| match s.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = size,
            None => s.push((key.to_owned(), size)),
        });
    };
    if let (Some((_, chosen)), Some(size)) = (&resolved.index, image_size(resolved.image())) {
        known(&chosen.digest.to_string(), Some(Ok(size)));
    }
    for entry in entries.iter().filter(|e| !e.is_attestation()) {
        let key = entry.digest.to_string();
        let asked = sizes.with_untracked(|s| s.iter().any(|(k, v)| *k == key && !matches!(v, Some(Err(_)))));
        if asked {
            continue;
        }
        let client = match page.client() {
            Ok(client) => client,
            Err(error) => {
                known(&key, Some(Err(error)));
                continue;
            }
        };
        known(&key, None);
        let reference = resolved.reference.with_digest(entry.digest.clone());
        spawn_local(async move {
            let size = match client.manifest(&reference, None).await {
                Ok(manifest) => image_size(manifest.parsed())
                    .ok_or_else(|| Failure::new(ErrorCode::Unsupported, "not an image manifest")),
                Err(error) => Err(Failure::from(error)),
            };
            known(&key, Some(size));
            page.requests.update(|n| *n += 1);
        });
    }
}

/// One index entry of `entries`: its platform (or, for an attestation, the manifest it attests
/// and that manifest's platform), digest and size, and a button to inspect it (disabled for the one
/// shown).
fn card(
    page: Page,
    entry: &Descriptor,
    entries: &[Descriptor],
    chosen: bool,
    sizes: RwSignal<Sizes>,
) -> impl IntoView + use<> {
    let platform_of =
        |d: &Descriptor| d.platform.as_ref().map_or_else(|| "unknown".to_owned(), ToString::to_string);
    let platform = platform_of(entry);
    let attestation = entry.is_attestation();
    let attests = entry.attests();
    let title = match &attests {
        _ if !attestation => platform.clone(),
        Some(digest) => match entries.iter().find(|e| e.digest == *digest && !e.is_attestation()) {
            Some(attested) => format!("attestation of {}", platform_of(attested)),
            None => "attestation of a manifest not in this index".to_owned(),
        },
        None => "attestation".to_owned(),
    };
    let attests = attests.map(|digest| digest.to_string());
    let attested = attests.clone().map(|digest| {
        view! { <p class="small" data-testid="attests">"attests " <code class="digest">{digest}</code></p> }
    });
    let digest = entry.digest.to_string();
    let key = digest.clone();
    let size = move || {
        let (text, bytes) = sizes.with(|s| match s.iter().find(|(k, _)| *k == key).map(|(_, v)| v) {
            _ if attestation => (String::new(), None),
            Some(Some(Ok(bytes))) => {
                (format!("compressed {}", format_bytes(*bytes)), Some(bytes.to_string()))
            }
            Some(Some(Err(error))) => {
                (format!("size unknown: {} {}", error.code.as_str(), error.message), None)
            }
            _ => ("compressed size…".to_owned(), None),
        });
        view! { <p class="small" data-testid="platform-size" data-bytes=bytes>{text}</p> }
    };
    let choose = platform.clone();
    view! {
        <li
            class=if attestation { "platform-card attestation" } else { "platform-card" }
            data-testid="platform-card"
            data-platform=platform.clone()
            data-attestation=if attestation { "true" } else { "false" }
            data-attests=attests
            data-chosen=if chosen { "true" } else { "false" }
            aria-current=chosen.then_some("true")
        >
            <h3>{title}</h3>
            <code class="digest" data-testid="platform-digest">{digest}</code>
            {attested}
            {size}
            <button
                type="button"
                hidden=attestation
                disabled=chosen
                aria-label=format!("Inspect {platform}")
                on:click=move |_| page.choose_platform(&choose)
            >
                {if chosen { "Shown" } else { "Inspect" }}
            </button>
        </li>
    }
}

/// The compressed size of an image manifest's image: its config and layers.
fn image_size(manifest: Option<&Manifest>) -> Option<u64> {
    match manifest {
        Some(Manifest::Image(image)) => {
            Some(image.layers.iter().fold(image.config.size, |total, layer| total.saturating_add(layer.size)))
        }
        _ => None,
    }
}
