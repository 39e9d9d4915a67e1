use leptos::prelude::*;

use super::format_bytes;
use crate::api::{LayerRow, LayerStatus, Outcome};
use crate::state::{Page, Run};

/// The verdict, the manifest's digests, one row per layer and the problems found.
#[component]
pub fn Verification(page: Page) -> impl IntoView {
    let verdict = move || {
        let (class, text) = match page.run.get() {
            Run::Idle if page.manifest.with(Option::is_some) => {
                ("idle", "not checked yet: press Verify".to_owned())
            }
            Run::Idle => return ().into_any(),
            Run::Verifying => ("running", "verifying…".to_owned()),
            Run::Done(outcome) => (
                if outcome.ok { "ok" } else { "bad" },
                match (outcome.verdict.as_str(), outcome.source.pinned) {
                    ("verified", true) => {
                        "verified against the digest you pinned: every digest in the chain \
                                           was recomputed and matches"
                            .to_owned()
                    }
                    ("verified", false) => format!(
                        "verified the image {} serves for {}: every digest in the chain was recomputed and matches",
                        outcome.source.origin, outcome.reference
                    ),
                    ("failed", _) => "failed: the image is not what its manifest claims".to_owned(),
                    (other, _) => format!("{other}: nothing failed, but not every link could be checked"),
                },
            ),
            Run::Failed => ("bad", "failed: the verification could not complete".to_owned()),
            Run::Cancelled => ("idle", "cancelled".to_owned()),
        };
        view! { <p class=format!("verdict {class}") data-testid="verdict">{text}</p> }.into_any()
    };
    let trust = move || match page.run.get() {
        Run::Done(outcome) => Some(view! { <Trust outcome /> }),
        _ => None,
    };
    let manifest = move || {
        page.manifest.get().map(|m| {
            let image = m.image().clone();
            let header = match (&image.header_digest, image.header_matches) {
                (Some(_), Some(true)) => {
                    view! { <span class="ok">"matches Docker-Content-Digest"</span> }.into_any()
                }
                (Some(h), _) => {
                    view! { <span class="bad">"Docker-Content-Digest says " <code>{h.clone()}</code></span> }
                        .into_any()
                }
                (None, _) => view! { <span class="muted">"no Docker-Content-Digest sent"</span> }.into_any(),
            };
            let index = m.resolved.is_some().then(|| {
                view! {
                    <dt>"Index"</dt>
                    <dd>
                        <code>{m.top.digest.clone()}</code>
                        " · platform " {m.platform.clone().unwrap_or_default()} " of "
                        {m.top.platforms.clone().unwrap_or_default().join(", ")}
                    </dd>
                }
            });
            let image_id = move || match page.run.get() {
                Run::Done(outcome) => {
                    outcome.image_id.map(|id| view! { <dt>"Image ID"</dt><dd><code>{id}</code></dd> })
                }
                _ => None,
            };
            view! {
                <dl class="digests">
                    {index}
                    <dt>"Manifest"</dt>
                    <dd>
                        <code data-testid="manifest-digest">{image.digest.clone()}</code>
                        " " {header} <br />
                        <span class="muted">{image.media_type.clone()} " · " {format_bytes(image.size)}</span>
                    </dd>
                    {image_id}
                </dl>
            }
        })
    };
    let rows = move || page.layers.get().into_iter().map(layer_row).collect_view();
    let problems = move || match page.run.get() {
        Run::Done(outcome) if !outcome.problems.is_empty() => Some(view! {
            <h3>"Problems"</h3>
            <ul class="problems" data-testid="problems">
                {outcome.problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
            </ul>
        }),
        _ => None,
    };
    view! {
        <section class="verification">
            {verdict}
            {trust}
            {manifest}
            <Show when=move || page.layers.with(|l| !l.is_empty())>
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
fn Trust(outcome: Outcome) -> impl IntoView {
    let source = outcome.source.clone();
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
        let text = outcome.pinned_reference.clone();
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
    let image_id = outcome.image_id_match.map(|matches| {
        let id = outcome.image_id.clone().unwrap_or_default();
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

fn layer_row(row: LayerRow) -> impl IntoView {
    let status = row.status.as_str();
    let percent = if row.size > 0 { (row.bytes as f64 * 100.0 / row.size as f64).min(100.0) } else { 0.0 };
    let rate = row.rate.map(|r| format!(" · {:.1} MB/s", r / 1_000_000.0)).unwrap_or_default();
    let progress = match row.status {
        LayerStatus::Pending => format!("{} to fetch", format_bytes(row.size)),
        _ => format!("{} / {}{rate}", format_bytes(row.bytes), format_bytes(row.size)),
    };
    let label = match row.status {
        LayerStatus::Pending => "pending",
        LayerStatus::Running => "verifying",
        LayerStatus::Ok => "ok",
        LayerStatus::Mismatch => "MISMATCH",
        LayerStatus::Error => "error",
    };
    let mut details = Vec::new();
    if row.status == LayerStatus::Mismatch || row.status == LayerStatus::Error {
        if let Some(computed) = row.computed_digest.as_ref().filter(|c| **c != row.digest) {
            details.push(("digest expected", row.digest.clone(), "computed", computed.clone()));
        }
        if let (Some(expected), Some(computed)) = (&row.diff_id, &row.computed_diff_id)
            && expected != computed
        {
            details.push(("diff_id expected", expected.clone(), "computed", computed.clone()));
        }
    }
    let error = row
        .error
        .filter(|_| details.is_empty())
        .map(|e| view! { <div class="bad small"><code>{e.code}</code> " " {e.message}</div> });
    let other_errors = row
        .other_errors
        .into_iter()
        .map(|e| view! { <div class="bad small">"also: " <code>{e.code}</code> " " {e.message}</div> })
        .collect_view();
    view! {
        <tr data-testid="layer-row" data-status=status class=format!("layer row-{status}")>
            <td>{row.index}</td>
            <td>
                <code class="digest">{row.digest.clone()}</code>
                <div class="muted small">{row.media_type.clone()}</div>
                {details
                    .into_iter()
                    .map(|(what, expected, computed_label, computed)| {
                        view! {
                            <div class="compare small">
                                <div>{what} ": " <code>{expected}</code></div>
                                <div class="bad">{computed_label} ": " <code>{computed}</code></div>
                            </div>
                        }
                    })
                    .collect_view()}
                {error}
                {other_errors}
            </td>
            <td class="progress-cell">
                <progress max="100" value=percent></progress>
                <div class="small">{progress}</div>
            </td>
            <td class=format!("status {status}")>{label}</td>
        </tr>
    }
}
