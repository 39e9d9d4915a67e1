use leptos::prelude::*;

use std::rc::Rc;

use regsight_core::chain::Verdict;
use regsight_core::model::{Descriptor, Manifest};
use regsight_wasm::{LayerState, Verification as VerificationResult};

use crate::state::{LayerDone, LayerProgress, Page, Run};
use crate::text::{format_bytes, format_eta};

/// The verdict, the manifest's digests, one row per layer and the problems found.
#[component]
pub fn Verification(page: Page) -> impl IntoView {
    let verdict = move || {
        let (class, text) = match page.run.get() {
            Run::Idle if page.resolved.with(Option::is_some) => {
                ("idle", "not checked yet: press Verify".to_owned())
            }
            Run::Idle => return ().into_any(),
            Run::Verifying => ("running", "verifying…".to_owned()),
            Run::Done => {
                let Some(v) = page.verification.get() else { return ().into_any() };
                let source = v.resolved.source();
                let text = match (v.chain.verdict, source.pinned) {
                    (Verdict::Verified, true) => {
                        "verified against the digest you pinned: every digest in the chain \
                         was recomputed and matches"
                            .to_owned()
                    }
                    (Verdict::Verified, false) => format!(
                        "verified the image {} serves for {}: every digest in the chain was recomputed and matches",
                        source.origin,
                        v.resolved.reference.canonical()
                    ),
                    (Verdict::Failed, _) => "failed: the image is not what its manifest claims".to_owned(),
                    (Verdict::Unverifiable, _) => {
                        "unverifiable: nothing failed, but not every link could be checked".to_owned()
                    }
                };
                (if v.is_ok() { "ok" } else { "bad" }, text)
            }
            Run::Failed => ("bad", "failed: the verification could not complete".to_owned()),
            Run::Cancelled => ("idle", "cancelled".to_owned()),
        };
        view! { <p class=format!("verdict {class}") data-testid="verdict">{text}</p> }.into_any()
    };
    let trust = move || {
        (page.run.get() == Run::Done)
            .then(|| page.verification.get().map(|v| view! { <Trust verification=v /> }))
    };
    let manifest = move || {
        page.resolved.get().map(|resolved| {
            let image = &resolved.manifest;
            let header = match (&image.header_digest, image.header_matches) {
                (Some(_), Some(true)) => view! { <span class="ok">"matches Docker-Content-Digest"</span> }.into_any(),
                (Some(h), _) => {
                    view! { <span class="bad">"Docker-Content-Digest says " <code>{h.clone()}</code></span> }.into_any()
                }
                (None, _) => view! { <span class="muted">"no Docker-Content-Digest sent"</span> }.into_any(),
            };
            let index = resolved.index.as_ref().map(|(index, entry)| {
                view! {
                    <dt>"Index"</dt>
                    <dd>
                        <code>{index.digest.to_string()}</code>
                        " · platform " {entry.platform.as_ref().map(ToString::to_string).unwrap_or_default()} " of "
                        {index.platforms.clone().unwrap_or_default().join(", ")}
                    </dd>
                }
            });
            let image_id = move || {
                page.verification.get().and_then(|v| v.chain.image_id().map(|id| id.to_string())).map(|id| {
                    view! { <dt>"Image ID"</dt><dd><code>{id}</code></dd> }
                })
            };
            view! {
                <dl class="digests">
                    {index}
                    <dt>"Manifest"</dt>
                    <dd>
                        <code data-testid="manifest-digest">{image.digest.to_string()}</code>
                        " " {header} <br />
                        <span class="muted">{image.media_type.clone()} " · " {format_bytes(image.size)}</span>
                    </dd>
                    {image_id}
                </dl>
            }
        })
    };
    let rows = move || {
        let Some(resolved) = page.resolved.get() else { return Vec::new() };
        let Some(Manifest::Image(image)) = resolved.image() else { return Vec::new() };
        let verification = page.verification.get();
        let progress = page.progress.get();
        let done = page.layers.get();
        image
            .layers
            .iter()
            .enumerate()
            .map(|(index, descriptor)| {
                layer_row(
                    index,
                    descriptor,
                    progress.get(index).cloned().unwrap_or_default(),
                    done.get(index).and_then(Option::as_ref),
                    verification.as_deref(),
                )
            })
            .collect::<Vec<_>>()
    };
    let has_layers = move || {
        page.resolved.with(|r| matches!(r.as_ref().and_then(|r| r.image()), Some(Manifest::Image(i)) if !i.layers.is_empty()))
    };
    let problems = move || {
        let v = page.verification.get()?;
        let problems = v.problems();
        (page.run.get() == Run::Done && !problems.is_empty()).then(|| {
            view! {
                <h3>"Problems"</h3>
                <ul class="problems" data-testid="problems">
                    {problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                </ul>
            }
        })
    };
    view! {
        <section class="verification">
            {verdict}
            {trust}
            {manifest}
            <Show when=has_layers>
                <table class="layers">
                    <thead>
                        <tr><th>"#"</th><th>"Layer"</th><th>"Progress"</th><th>"Status"</th></tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </Show>
            {problems}
        </section>
    }
}

/// What the verdict proves: pinned (proof, whoever served it) or not (what the origin chose to
/// serve for a tag), the origin by name, the pinned reference to copy, and the image ID check.
#[component]
fn Trust(verification: Rc<VerificationResult>) -> impl IntoView {
    let source = verification.resolved.source();
    let via = if source.via_mirror { " (a mirror or gateway, not the registry itself)" } else { "" };
    let statement = if source.pinned {
        format!(
            "You pinned a digest, so this is proof: the bytes, wherever they came from (here {}{via}), are \
             the ones that digest names.",
            source.origin
        )
    } else {
        format!(
            "You named a tag, so this shows what {}{via} serves for it today, not that it is the image the \
             tag's publisher meant. Pin this digest to check it independently of {}:",
            source.origin, source.origin
        )
    };
    let pinned_reference = (!source.pinned).then(|| {
        let text = verification.resolved.pinned_reference().canonical();
        view! {
            <input
                class="pinned-reference"
                data-testid="pinned-reference"
                type="text"
                readonly
                aria-label="The reference pinned to the verified digest"
                prop:value=text
                on:focus=|ev| { event_target::<web_sys::HtmlInputElement>(&ev).select() }
            />
        }
    });
    let image_id = verification.image_id_match().map(|matches| {
        let id = verification.chain.image_id().map(|id| id.to_string()).unwrap_or_default();
        if matches {
            view! { <p class="ok small" data-testid="image-id-match" data-match="true">"The image ID " <code>{id}</code> " is the one you gave."</p> }.into_any()
        } else {
            view! { <p class="bad small" data-testid="image-id-match" data-match="false">"The image ID is " <code>{id}</code> ", not the one you gave."</p> }.into_any()
        }
    });
    view! {
        <div class="trust" data-testid="trust" data-pinned=if source.pinned { "true" } else { "false" }>
            <p>{statement}</p>
            {pinned_reference}
            {image_id}
        </div>
    }
}

/// One layer: its descriptor, live progress, once verified (`done`) its state and findings, and
/// once the whole image is, why it could not be streamed.
fn layer_row(
    index: usize,
    descriptor: &Descriptor,
    progress: LayerProgress,
    done: Option<&LayerDone>,
    verification: Option<&VerificationResult>,
) -> impl IntoView + use<> {
    let outcome = verification.and_then(|v| v.layers.get(index));
    let state = done.map(|d| d.state);
    let status = match state {
        Some(state) => state.as_str(),
        None if progress.running => "running",
        None => "pending",
    };
    let summary = done.and_then(|d| d.summary.as_ref());
    let bytes = summary.map_or(progress.bytes, |s| s.compressed_size.max(progress.bytes));
    let size = descriptor.size;
    let percent = if size > 0 { (bytes as f64 * 100.0 / size as f64).min(100.0) } else { 0.0 };
    let rate = progress.rate.map(|r| format!(" · {:.1} MB/s", r / 1_000_000.0)).unwrap_or_default();
    let eta = progress
        .rate
        .filter(|_| progress.running && state.is_none())
        .and_then(|r| format_eta(size.saturating_sub(bytes), r))
        .map(|eta| format!(" · {eta} left"))
        .unwrap_or_default();
    let progress_text = match status {
        "pending" => format!("{} to fetch", format_bytes(size)),
        _ => format!("{} / {}{rate}{eta}", format_bytes(bytes), format_bytes(size)),
    };
    let label = match state {
        Some(LayerState::Ok) => "ok",
        Some(LayerState::Mismatch) => "MISMATCH",
        Some(LayerState::Error) => "error",
        None if progress.running => "verifying",
        None => "pending",
    };
    let expected = descriptor.digest.to_string();
    let mut details = Vec::new();
    if let Some(summary) = summary.filter(|_| state != Some(LayerState::Ok)) {
        if let Some(computed) =
            summary.computed_digest.as_ref().map(ToString::to_string).filter(|c| *c != expected)
        {
            details.push(("digest expected", expected.clone(), computed));
        }
        if let (Some(want), Some(got)) = (&summary.expected_diff_id, &summary.computed_diff_id)
            && want != got
        {
            details.push(("diff_id expected", want.to_string(), got.to_string()));
        }
    }
    let error = match (outcome.and_then(|o| o.error.as_ref()), summary.and_then(|s| s.error.as_ref())) {
        (Some(e), _) => Some((e.code().as_str().to_owned(), e.to_string())),
        (None, Some(e)) if details.is_empty() => Some((e.code.clone(), e.message.clone())),
        _ => None,
    }
    .map(|(code, message)| view! { <div class="bad small"><code>{code}</code> " " {message}</div> });
    let other_errors = summary
        .map(|s| s.other_errors.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|e| view! { <div class="bad small">"also: " <code>{e.code}</code> " " {e.message}</div> })
        .collect_view();
    view! {
        <tr id=format!("layer-{index}") data-testid="layer-row" data-status=status class=format!("layer row-{status}")>
            <td>{index}</td>
            <td>
                <code class="digest">{expected.clone()}</code>
                <div class="muted small">{descriptor.media_type.to_string()}</div>
                {details
                    .into_iter()
                    .map(|(what, expected, computed)| {
                        view! {
                            <div class="compare small">
                                <div>{what} ": " <code>{expected}</code></div>
                                <div class="bad">"computed: " <code>{computed}</code></div>
                            </div>
                        }
                    })
                    .collect_view()}
                {error}
                {other_errors}
            </td>
            <td class="progress-cell">
                <progress max="100" value=percent></progress>
                <div class="small">{progress_text}</div>
            </td>
            <td class=format!("status {status}")>{label}</td>
        </tr>
    }
}
