//! The image config as a person reads it: how a container starts (entrypoint, cmd, env, user,
//! working directory), its labels, ports and volumes, and the build history next to the layers.
//! Everything is rows of lines, one view type for all of them: the page's wasm stays small.

use leptos::prelude::*;
use regsight_core::model::{ImageConfig, Manifest, RunConfig};

use crate::state::Page;
use crate::text::format_bytes;

/// One line of a row: its test hook, `data-layer`, the value (shown as code), a link (href and
/// text) and more text.
#[derive(Default)]
struct Line {
    testid: &'static str,
    layer: Option<String>,
    value: String,
    href: Option<String>,
    link: String,
    more: String,
}

/// One row: its name, the class of its list, and its lines.
type Row = (String, &'static str, Vec<Line>);

/// The image config: platform, run settings, labels and the history aligned with the layers.
#[component]
pub fn ConfigPanel(page: Page) -> impl IntoView {
    move || {
        let rows = contents(page)?;
        Some(view! {
            <section class="config" id="config">
                <h2>"Config"</h2>
                <dl class="digests config-settings">
                    {rows
                        .into_iter()
                        .map(|(name, class, lines)| {
                            view! {
                                <dt>{name}</dt>
                                <dd>
                                    <ol class=class>
                                        {lines
                                            .into_iter()
                                            .map(|l| {
                                                view! {
                                                    <li data-testid=l.testid data-layer=l.layer>
                                                        <code>{l.value}</code>
                                                        <a href=l.href>{l.link}</a>
                                                        {l.more}
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ol>
                                </dd>
                            }
                        })
                        .collect_view()}
                </dl>
            </section>
        })
    }
}

/// Adds a row of plain values, each a line with the test hook `testid`.
fn row(rows: &mut Vec<Row>, name: &str, class: &'static str, testid: &'static str, values: Vec<String>) {
    let lines = values.into_iter().map(|value| Line { testid, value, ..Line::default() }).collect();
    rows.push((name.to_owned(), class, lines));
}

/// The config's rows, as the page's signals stand.
#[inline(never)]
fn contents(page: Page) -> Option<Vec<Row>> {
    let mut rows = Vec::new();
    match page.config.get()? {
        Err(error) => {
            let why = format!("{}: {}", error.code.as_str(), error.message);
            row(&mut rows, "Unavailable", "plain", "config-error", vec![why]);
        }
        Ok(config) => {
            let id = format!("{} · {}", config.digest, format_bytes(config.bytes.len() as u64));
            row(&mut rows, "Image ID", "plain", "config-digest", vec![id]);
            match &config.parsed {
                Err(why) => row(&mut rows, "Does not parse", "plain", "config-error", vec![why.clone()]),
                Ok(parsed) => {
                    let layers = page.resolved.with(|r| match r.as_ref().and_then(|r| r.image()) {
                        Some(Manifest::Image(image)) => {
                            image.layers.iter().map(|l| l.digest.to_string()).collect()
                        }
                        _ => Vec::new(),
                    });
                    settings(parsed, &mut rows);
                    history(parsed, &layers, &mut rows);
                }
            }
        }
    }
    Some(rows)
}

/// Platform, dates, run settings, labels, ports and volumes, as rows.
fn settings(parsed: &ImageConfig, rows: &mut Vec<Row>) {
    let unset = RunConfig::default();
    let run = parsed.config.as_ref().unwrap_or(&unset);
    let one = |value: &str| if value.is_empty() { Vec::new() } else { vec![value.to_owned()] };
    row(rows, "Platform", "plain", "config-platform", vec![parsed.platform().to_string()]);
    row(rows, "Created", "plain", "config-created", one(parsed.created.as_deref().unwrap_or_default()));
    row(rows, "Author", "plain", "config-author", one(parsed.author.as_deref().unwrap_or_default()));
    row(rows, "Entrypoint", "argv", "config-entrypoint", run.entrypoint.clone().unwrap_or_default());
    row(rows, "Cmd", "argv", "config-cmd", run.cmd.clone().unwrap_or_default());
    row(rows, "User", "plain", "config-user", one(&run.user));
    row(rows, "Working dir", "plain", "config-workdir", one(&run.working_dir));
    row(rows, "Env", "plain", "config-env", run.env.clone());
    let labels = run.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    row(rows, "Labels", "plain", "config-label", labels);
    row(rows, "Ports", "plain", "config-port", run.exposed_ports.iter().cloned().collect());
    row(rows, "Volumes", "plain", "config-volume", run.volumes.iter().cloned().collect());
}

/// The build steps, oldest first, each that made a layer with that layer's index and digest
/// (`data-layer`: the index, "" for a step that made no layer, absent when history and layers
/// cannot be paired, which a first line then says).
fn history(parsed: &ImageConfig, layers: &[String], rows: &mut Vec<Row>) {
    let mismatch = parsed.layer_history(layers.len()).err();
    let paired = mismatch.is_none();
    let mut lines: Vec<Line> = mismatch
        .map(|m| Line {
            testid: "history-mismatch",
            more: format!("{m}: the steps cannot be paired with the layers."),
            ..Line::default()
        })
        .into_iter()
        .collect();
    for step in parsed.history_steps() {
        let entry = step.entry;
        let (layer, link, href) = match (step.layer, layers.get(step.layer.unwrap_or_default())) {
            (None, _) => (Some(String::new()), "no layer".to_owned(), None),
            (Some(i), Some(digest)) if paired => {
                (Some(i.to_string()), format!("layer {i}: {digest}"), Some(format!("#layer-{i}")))
            }
            (Some(_), _) => (None, "a layer (which one is unknown)".to_owned(), None),
        };
        let mut more = String::new();
        for extra in [&entry.created, &entry.author, &entry.comment].into_iter().flatten() {
            more.push_str(" · ");
            more.push_str(extra);
        }
        let value = entry.created_by.clone().unwrap_or_default();
        lines.push(Line { testid: "history-step", layer, value, href, link, more });
    }
    let name = format!("History ({} steps)", parsed.history.len());
    rows.push((name, "history", lines));
}
