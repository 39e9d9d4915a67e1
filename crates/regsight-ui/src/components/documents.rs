//! The index, manifest and config exactly as served: the bytes whose digests the page shows, as
//! text, re-indented on demand, copyable, and with every digest in them a link to what it names.
//!
//! The documents are drawn with plain DOM calls: every string from the registry becomes a text
//! node, and the only attribute values are the page's own (hooks, and links made of a validated
//! digest, the parsed reference's name URL-encoded, or `#config` / `#layer-N`). A Leptos view per
//! piece of text would cost the page several KB of wasm.

use leptos::prelude::*;
use regsight_core::model::Manifest;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::state::Page;
use crate::text::format_bytes;

/// The index, manifest and config exactly as served.
#[component]
pub fn RawDocuments(page: Page) -> impl IntoView {
    let pretty = RwSignal::new(false);
    let list = drawn(page, pretty, draw);
    view! {
        <section class="documents" hidden=nothing(page)>
            <h2>"Documents as served"</h2>
            <p class="muted small">
                "The exact bytes the digests above are computed from. Every digest in them links to what it names."
            </p>
            <label class="pretty-toggle">
                <input
                    type="checkbox"
                    data-testid="raw-pretty"
                    on:change=move |ev| pretty.set(event_target_checked(&ev))
                />
                " Pretty-print (re-indented: not the bytes the digests are of)"
            </label>
            <div node_ref=list on:click=copy></div>
        </section>
    }
}

/// A `<div>` that `draw` fills with plain DOM calls, again whenever the signals it reads (and
/// `flag`, its third argument) change. One helper for the panels drawn so: one Effect in the wasm.
pub(super) fn drawn(
    page: Page,
    flag: RwSignal<bool>,
    draw: fn(&Element, Page, bool),
) -> NodeRef<leptos::html::Div> {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let flag = flag.get();
        if let Some(element) = node.get() {
            draw(&element, page, flag);
        }
    });
    node
}

/// True while nothing is resolved (the panels about an image hide).
pub(super) fn nothing(page: Page) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    move || page.resolved.with(Option::is_none)
}

/// What each kind of document is called: kind, heading, text hook, Copy button label.
const KINDS: [(&str, &str, &str, &str); 3] = [
    ("index", "Index", "raw-index", "Copy the index as shown"),
    ("manifest", "Manifest", "raw-manifest", "Copy the manifest as shown"),
    ("config", "Config", "raw-config", "Copy the config as shown"),
];

/// Draws the documents (index if any, manifest, config once fetched) as the page's signals
/// stand into `list`, re-indented when `pretty`, keeping each open or closed as it was.
#[inline(never)]
fn draw(list: &Element, page: Page, pretty: bool) {
    let mut open = [true, true, false];
    let mut child = list.first_element_child();
    while let Some(details) = child {
        let kind = details.get_attribute("data-document");
        if let Some(i) = KINDS.iter().position(|k| Some(k.0) == kind.as_deref()) {
            open[i] = details.has_attribute("open");
        }
        child = details.next_element_sibling();
    }
    list.set_text_content(None);
    let Some(resolved) = page.resolved.get() else { return };
    let config = page.config.get().and_then(Result::ok);
    let mut links = Links {
        repository: format!("{}/{}", resolved.reference.registry(), resolved.reference.repository()),
        mirror: page.mirror.get_untracked().trim().to_owned(),
        config: resolved.config_digest().map(ToString::to_string),
        layers: Vec::new(),
        diff_ids: Vec::new(),
    };
    if let Some(Manifest::Image(image)) = resolved.image() {
        links.layers = image.layers.iter().map(|l| l.digest.to_string()).collect();
    }
    // A diff_id names layer i too (uncompressed): it links to the same row.
    if let Some(Ok(parsed)) = config.as_ref().map(|c| &c.parsed) {
        links.diff_ids = parsed.rootfs.diff_ids.iter().map(ToString::to_string).collect();
    }
    let index =
        resolved.index.as_ref().map(|(index, _)| (0, &index.digest, index.bytes(), index.parsed().is_some()));
    let manifest = &resolved.manifest;
    let manifest = Some((1, &manifest.digest, manifest.bytes(), manifest.parsed().is_some()));
    let config = config.as_ref().map(|c| (2, &c.digest, c.bytes.as_slice(), c.parsed.is_ok()));
    for (i, digest, bytes, json) in [index, manifest, config].into_iter().flatten() {
        let (kind, title, testid, label) = KINDS[i];
        let attributes = [("class", "raw"), ("data-document", kind), ("open", "")];
        let Some(details) = add(list, false, "details", &attributes[..if open[i] { 3 } else { 2 }], None)
        else {
            continue;
        };
        if let Some(summary) = add(&details, false, "summary", &[], None) {
            add(&summary, false, "strong", &[], Some(title));
            let _ = summary.append_with_str_1(&format!(" {digest} · {}", format_bytes(bytes.len() as u64)));
        }
        let button =
            [("type", "button"), ("class", "copy"), ("data-testid", "copy"), ("data-document", kind)];
        if let Some(button) = add(&details, false, "button", &button, Some("Copy")) {
            let _ = button.set_attribute("aria-label", label);
        }
        let Some(pre) = add(&details, false, "pre", &[("class", "raw"), ("data-testid", testid)], None)
        else {
            continue;
        };
        let served = String::from_utf8_lossy(bytes);
        let text = if pretty && json { reindent(&served).into() } else { served };
        for (plain, digest) in split_digests(&text) {
            let _ = pre.append_with_str_1(&plain);
            if let Some(digest) = digest {
                add(&pre, false, "a", &[("href", &links.href(&digest))], Some(&digest));
            }
        }
    }
}

/// Appends an element (SVG when `svg`, else HTML) with these page-made attributes and, as a
/// text node, `text`.
pub(super) fn add(
    parent: &Element,
    svg: bool,
    tag: &str,
    attributes: &[(&str, &str)],
    text: Option<&str>,
) -> Option<Element> {
    let namespace = if svg { "http://www.w3.org/2000/svg" } else { "http://www.w3.org/1999/xhtml" };
    let element = parent.owner_document()?.create_element_ns(Some(namespace), tag).ok()?;
    for (name, value) in attributes {
        let _ = element.set_attribute(name, value);
    }
    element.set_text_content(text);
    parent.append_child(&element).ok()?;
    Some(element)
}

/// A click in the documents: on a Copy button, copies the document as shown (the text of the
/// `<pre>` after it), and says on the button whether that worked.
fn copy(event: web_sys::MouseEvent) {
    let Some(button) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
    if button.get_attribute("data-testid").as_deref() != Some("copy") {
        return;
    }
    let text = button.next_element_sibling().and_then(|pre| pre.text_content()).unwrap_or_default();
    leptos::task::spawn_local(async move {
        let copied = match web_sys::window().map(|w| w.navigator().clipboard()) {
            Some(clipboard) if !clipboard.is_undefined() => {
                wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await.is_ok()
            }
            _ => false,
        };
        button.set_text_content(Some(if copied { "Copied" } else { "Copy (the browser refused)" }));
    });
}

/// Where the digests in the documents link to.
struct Links {
    /// `registry/repository` of the reference, for deep links.
    repository: String,
    /// The mirror in use, carried into deep links.
    mirror: String,
    /// The config's digest (links to the config panel).
    config: Option<String>,
    /// The layers' digests (each links to its row).
    layers: Vec<String>,
    /// The config's diff_ids (each links to its layer's row).
    diff_ids: Vec<String>,
}

impl Links {
    /// Where `digest` links to: the config panel, a layer's row, or the page for that object.
    fn href(&self, digest: &str) -> String {
        if self.config.as_deref() == Some(digest) {
            return "#config".to_owned();
        }
        let layer = self.layers.iter().position(|d| d == digest);
        if let Some(i) = layer.or_else(|| self.diff_ids.iter().position(|d| d == digest)) {
            return format!("#layer-{i}");
        }
        let image = js_sys::encode_uri_component(&format!("{}@{digest}", self.repository));
        match self.mirror.as_str() {
            "" => format!("?image={image}"),
            mirror => format!("?image={image}&mirror={}", js_sys::encode_uri_component(mirror)),
        }
    }
}

/// Splits `text` into pieces: plain text, then the digest (`sha256:` + 64 hex or `sha512:` +
/// 128 hex) that follows it, if any.
fn split_digests(text: &str) -> Vec<(String, Option<String>)> {
    let mut pieces = Vec::new();
    let (mut plain, mut at) = (0, 0);
    while at < text.len() {
        match digest_len(&text.as_bytes()[at..]) {
            // A digest starts and ends with ASCII, so both ends are char boundaries.
            Some(len) => {
                pieces.push((text[plain..at].to_owned(), Some(text[at..at + len].to_owned())));
                plain = at + len;
                at = plain;
            }
            None => at += 1,
        }
    }
    pieces.push((text[plain..].to_owned(), None));
    pieces
}

/// The length of the digest `bytes` start with, if they start with one (and it is not the start
/// of a longer hex run).
fn digest_len(bytes: &[u8]) -> Option<usize> {
    let hex = if bytes.starts_with(b"sha256:") {
        64
    } else if bytes.starts_with(b"sha512:") {
        128
    } else {
        return None;
    };
    let end = 7 + hex;
    let is_hex = |c: &u8| matches!(c, b'0'..=b'9' | b'a'..=b'f');
    (bytes.len() >= end && bytes[7..end].iter().all(is_hex) && !bytes.get(end).is_some_and(is_hex))
        .then_some(end)
}

/// JSON `text` re-indented by two spaces (the layout of `serde_json`'s pretty printer), keeping
/// its keys in order and its strings and numbers exactly as written.
fn reindent(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * 2));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.next_if(|c| matches!(c, ' ' | '\t' | '\n' | '\r')).is_some() {}
                match chars.next_if(|&next| next == if c == '{' { '}' } else { ']' }) {
                    Some(close) => out.push(close),
                    None => {
                        depth += 1;
                        newline(&mut out, depth);
                    }
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            ' ' | '\t' | '\n' | '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_split_out_exactly() {
        let a = format!("sha256:{}", "a".repeat(64));
        let long = format!("sha256:{}", "b".repeat(65));
        let text = format!("{{\"d\":\"{a}\",\"x\":\"{long}\",\"sha\":1}}");
        let pieces = split_digests(&text);
        assert_eq!(
            pieces,
            [("{\"d\":\"".to_owned(), Some(a)), (format!("\",\"x\":\"{long}\",\"sha\":1}}"), None),]
        );
    }

    #[test]
    fn reindent_matches_serde_json_pretty() {
        let text = r#"{"b":[1, {"c":"x,\"y\":[z]"}],"a":{}, "e":[ ],"n":-1.5e3}"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let pretty = reindent(text);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&pretty).ok(), Some(value));
        assert_eq!(
            pretty,
            "{\n  \"b\": [\n    1,\n    {\n      \"c\": \"x,\\\"y\\\":[z]\"\n    }\n  ],\n  \"a\": {},\n  \"e\": [],\n  \"n\": -1.5e3\n}"
        );
    }
}
