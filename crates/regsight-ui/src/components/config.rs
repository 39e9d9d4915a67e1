use leptos::prelude::*;

use crate::state::Page;
use crate::text::format_bytes;

/// The image config: platform, Entrypoint/Cmd, Env and history.
#[component]
pub fn ConfigPanel(page: Page) -> impl IntoView {
    move || {
        page.config.get().map(|config| match config {
            Err(error) => view! {
                <section class="config"><h2>"Config"</h2><p class="muted">"Unavailable: " {error.code.as_str()} ": " {error.message}</p></section>
            }
            .into_any(),
            Ok(config) => {
                let digest = config.digest.to_string();
                let size = config.bytes.len() as u64;
                let Ok(parsed) = &config.parsed else {
                    let why = config.parsed.clone().err().unwrap_or_default();
                    return view! {
                        <section class="config"><h2>"Config"</h2>
                            <p><code>{digest}</code></p><p class="bad">"The config does not parse: " {why}</p>
                        </section>
                    }
                    .into_any();
                };
                let run = parsed.config.clone().unwrap_or_default();
                let command = |v: Option<Vec<String>>| match v {
                    Some(v) if !v.is_empty() => v.join(" "),
                    _ => "—".to_owned(),
                };
                let history: Vec<(String, bool)> = parsed
                    .history
                    .iter()
                    .map(|h| (h.created_by.clone().unwrap_or_default(), h.empty_layer))
                    .collect();
                view! {
                    <section class="config">
                        <h2>"Config"</h2>
                        <dl class="digests">
                            <dt>"Image ID"</dt>
                            <dd><code>{digest}</code> <span class="muted">" · " {format_bytes(size)}</span></dd>
                            <dt>"Platform"</dt>
                            <dd>{parsed.platform().to_string()}</dd>
                            <dt>"Entrypoint"</dt>
                            <dd><code>{command(run.entrypoint.clone())}</code></dd>
                            <dt>"Cmd"</dt>
                            <dd><code>{command(run.cmd.clone())}</code></dd>
                            <dt>"Env"</dt>
                            <dd>
                                <ul class="plain">{run.env.into_iter().map(|e| view! { <li><code>{e}</code></li> }).collect_view()}</ul>
                            </dd>
                        </dl>
                        <details>
                            <summary>"History (" {history.len()} " steps)"</summary>
                            <ol class="history">
                                {history
                                    .into_iter()
                                    .map(|(by, empty)| {
                                        view! {
                                            <li class:empty=empty>
                                                <code>{by}</code>
                                                {empty.then_some(view! { <span class="muted">" (no layer)"</span> })}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        </details>
                    </section>
                }
                .into_any()
            }
        })
    }
}
