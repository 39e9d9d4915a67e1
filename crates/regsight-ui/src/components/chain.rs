//! The chain as a picture: reference -> index -> manifest -> config and layers -> diff_ids, each
//! node green (recomputed and matches), red (does not) or grey (not checked), redrawn whenever
//! the resolved image, its config, a layer's result (each as soon as that layer is verified) or
//! the verification change.
//!
//! Drawn with plain DOM calls into one `<svg>`: attributes hold only page-made values (numbers,
//! kinds, statuses) and every string from the registry or the reference is a text node. A Leptos
//! view per SVG element would cost the page several KB of wasm.

use leptos::prelude::*;
use regsight_core::Check;
use regsight_core::chain::DocumentCheck;
use regsight_core::model::Manifest;
use regsight_wasm::LayerState;
use web_sys::Element;

use super::documents::{add, drawn, nothing};
use crate::state::{LayerDone, Page, Run};

/// Node width and height, column step and row step, in SVG units.
const W: i32 = 150;
const H: i32 = 40;
const COLUMN: i32 = 190;
const ROW: i32 = 52;

/// `ok`, `bad` or `unchecked` (the `data-status` hook).
type Status = &'static str;

/// The chain from the reference to every diff_id, as an SVG.
#[component]
pub fn ChainPicture(page: Page) -> impl IntoView {
    let picture = drawn(page, RwSignal::new(false), draw);
    view! {
        <section class="chain" hidden=nothing(page)>
            <h2>"The chain"</h2>
            <div class="chain-scroll" node_ref=picture></div>
            <p class="muted small legend">
                <span class="ok">"green"</span> ": recomputed here and matches · "
                <span class="bad">"red"</span> ": does not match · grey: not checked (yet). Hover a box for its full digest."
            </p>
        </section>
    }
}

/// Draws the chain as the page's signals stand into `picture`, replacing what was there.
#[inline(never)]
fn draw(picture: &Element, page: Page, _: bool) {
    picture.set_text_content(None);
    let Some(resolved) = page.resolved.get() else { return };
    let config = page.config.get().and_then(Result::ok);
    let verification = page.verification.get().filter(|_| page.run.get() == Run::Done);
    let v = verification.as_deref();
    let done = page.layers.get();
    let image = match resolved.image() {
        Some(Manifest::Image(image)) => Some(image),
        _ => None,
    };
    let layers = image.map_or(0, |i| i.layers.len()) as i32;
    let columns = 2 + i32::from(resolved.index.is_some()) + if image.is_some() { 2 } else { 0 };
    let size = format!("0 0 {} {}", columns * COLUMN - 38, layers * ROW + H + 2);
    let label = "The chain of digests from the reference to every layer's diff_id";
    let attributes = [("data-testid", "chain"), ("role", "img"), ("aria-label", label), ("viewBox", &size)];
    let Some(svg) = add(picture, true, "svg", &attributes, None) else { return };
    let svg = &svg;

    // The reference: a pin is checked against the top document's bytes, a tag only against the
    // registry's Docker-Content-Digest for it.
    let reference = &resolved.reference;
    let top = v.map(|v| v.chain.index.as_ref().unwrap_or(&v.chain.manifest));
    let pin = reference.digest().map(ToString::to_string);
    let check = match pin {
        Some(_) => top.map(|t| t.expected),
        None => top.map(|t| t.header),
    };
    let text = pin.unwrap_or_else(|| format!(":{}", reference.tag().unwrap_or_default()));
    node(
        svg,
        "reference",
        None,
        &reference.canonical(),
        &text,
        of(check.unwrap_or(Check::NotChecked)),
        (0, 0),
    );
    let mut at = (0, 0);
    let mut next = |svg: &Element, status: Status| {
        link(svg, at, (at.0 + 1, 0), status);
        at.0 += 1;
        at
    };
    if let Some((index, _)) = &resolved.index {
        let status = document(v.and_then(|v| v.chain.index.as_ref()));
        let digest = index.digest.to_string();
        node(svg, "index", None, &digest, &digest, status, next(svg, status));
    }
    let status = document(v.map(|v| &v.chain.manifest));
    let digest = resolved.manifest.digest.to_string();
    let manifest = next(svg, status);
    node(svg, "manifest", None, &digest, &digest, status, manifest);
    let Some(image) = image else { return };

    let column = manifest.0 + 1;
    let status = document(v.and_then(|v| v.chain.config.as_ref()));
    let digest = config.as_ref().map_or(&image.config.digest, |c| &c.digest).to_string();
    link(svg, manifest, (column, 0), status);
    node(svg, "config", None, &digest, &digest, status, (column, 0));
    let diff_ids = match config.as_ref().map(|c| &c.parsed) {
        Some(Ok(parsed)) => parsed.rootfs.diff_ids.as_slice(),
        _ => &[],
    };
    for (i, layer) in image.layers.iter().enumerate() {
        let (layer_status, diff_status) =
            done.get(i).and_then(Option::as_ref).map_or(("unchecked", "unchecked"), layer_statuses);
        let row = i as i32 + 1;
        let digest = layer.digest.to_string();
        link(svg, manifest, (column, row), layer_status);
        node(svg, "layer", Some(i), &digest, &digest, layer_status, (column, row));
        let diff_id = diff_ids.get(i).map(ToString::to_string).unwrap_or_default();
        link(svg, (column, row), (column + 1, row), diff_status);
        node(svg, "diff-id", Some(i), &diff_id, &diff_id, diff_status, (column + 1, row));
    }
}

/// Draws a node: its kind (and index), the start of `text`, and `full` with its status as title.
fn node(
    svg: &Element,
    kind: &str,
    index: Option<usize>,
    full: &str,
    text: &str,
    status: Status,
    at: (i32, i32),
) {
    let label = match index {
        Some(i) => format!("{kind} {i}"),
        None => kind.to_owned(),
    };
    let short = match text.char_indices().nth(19) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    };
    let said = match status {
        "ok" => "recomputed here: matches",
        "bad" => "recomputed here: DOES NOT MATCH",
        _ => "not checked",
    };
    let title = format!("{label}: {full}\n{said}");
    let class = format!("node {status}");
    let place = format!("translate({} {})", at.0 * COLUMN + 1, at.1 * ROW + 1);
    let attributes = [
        ("data-testid", "chain-node"),
        ("data-kind", kind),
        ("data-status", status),
        ("class", &class),
        ("transform", &place),
    ];
    let Some(g) = add(svg, true, "g", &attributes, None) else { return };
    add(&g, true, "title", &[], Some(&title));
    add(&g, true, "rect", &[("width", "150"), ("height", "40"), ("rx", "6")], None);
    add(&g, true, "text", &[("x", "8"), ("y", "16"), ("class", "label")], Some(&label));
    add(&g, true, "text", &[("x", "8"), ("y", "32"), ("class", "digest")], Some(&short));
}

/// Draws the link from the node at `from` to the node at `to`, coloured by `to`'s status.
fn link(svg: &Element, from: (i32, i32), to: (i32, i32), status: Status) {
    let (x1, y1) = (from.0 * COLUMN + W + 1, from.1 * ROW + H / 2 + 1);
    let (x2, y2) = (to.0 * COLUMN + 1, to.1 * ROW + H / 2 + 1);
    let d = format!("M{x1} {y1}H{}V{y2}H{x2}", x1 + (COLUMN - W) / 2);
    add(svg, true, "path", &[("d", &d), ("class", &format!("link {status}"))], None);
}

/// One check's status.
fn of(check: Check) -> Status {
    match check {
        Check::Passed => "ok",
        Check::Failed => "bad",
        _ => "unchecked",
    }
}

/// Several checks' status: bad if any failed, ok if none failed and one passed.
fn all(checks: &[Check]) -> Status {
    if checks.contains(&Check::Failed) {
        "bad"
    } else if checks.contains(&Check::Passed) {
        "ok"
    } else {
        "unchecked"
    }
}

/// A document's status: its digest, header and size checks together.
fn document(check: Option<&DocumentCheck>) -> Status {
    check.map_or("unchecked", |c| all(&[c.header, c.expected, c.size_check]))
}

/// A verified layer's status (digest and size of the blob) and its diff_id's (the uncompressed tar).
fn layer_statuses(done: &LayerDone) -> (Status, Status) {
    let Some(summary) = done.summary.as_ref() else {
        return ("unchecked", "unchecked");
    };
    let layer = match all(&[summary.digest, summary.size]) {
        "ok" if summary.digest != Check::Passed => "unchecked",
        status => status,
    };
    let failed = done.state == LayerState::Mismatch;
    let diff_id = match of(summary.diff_id) {
        // The blob holds but did not yield the config's diff_id (e.g. it would not decompress).
        "unchecked" if layer == "ok" && failed && summary.expected_diff_id.is_some() => "bad",
        status => status,
    };
    (layer, diff_id)
}
