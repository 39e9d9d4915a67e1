use leptos::prelude::*;
use serde_json::Value;

use super::format_bytes;
use crate::state::Page;

/// The image config: platform, Entrypoint/Cmd, Env and history.
#[component]
pub fn ConfigPanel(page: Page) -> impl IntoView {
    move || {
        page.config.get().map(|config| match config {
            Err(error) => view! {
                <section class="config"><h2>"Config"</h2><p class="muted">"Unavailable: " {error.code} ": " {error.message}</p></section>
            }
            .into_any(),
            Ok(config) => {
                let json = &config.json;
                let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                let platform = [json.get("os"), json.get("architecture"), json.get("variant")]
                    .into_iter()
                    .flatten()
                    .map(text)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("/");
                let inner = json.get("config").cloned().unwrap_or(Value::Null);
                let list = |key: &str| -> Vec<String> {
                    inner.get(key).and_then(Value::as_array).map(|a| a.iter().map(text).collect()).unwrap_or_default()
                };
                let (env, cmd, entrypoint) = (list("Env"), list("Cmd"), list("Entrypoint"));
                let history: Vec<(String, bool)> = json
                    .get("history")
                    .and_then(Value::as_array)
                    .map(|h| {
                        h.iter()
                            .map(|e| {
                                let by = e.get("created_by").map(text).unwrap_or_default();
                                (by, e.get("empty_layer").and_then(Value::as_bool).unwrap_or(false))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let command = |v: Vec<String>| if v.is_empty() { "—".to_owned() } else { v.join(" ") };
                view! {
                    <section class="config">
                        <h2>"Config"</h2>
                        <dl class="digests">
                            <dt>"Image ID"</dt>
                            <dd><code>{config.digest.clone()}</code> <span class="muted">" · " {format_bytes(config.size)}</span></dd>
                            <dt>"Platform"</dt>
                            <dd>{platform}</dd>
                            <dt>"Entrypoint"</dt>
                            <dd><code>{command(entrypoint)}</code></dd>
                            <dt>"Cmd"</dt>
                            <dd><code>{command(cmd)}</code></dd>
                            <dt>"Env"</dt>
                            <dd>
                                <ul class="plain">{env.into_iter().map(|e| view! { <li><code>{e}</code></li> }).collect_view()}</ul>
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
