//! The whole image's progress while it is verified (and where it ended): bytes received of the
//! image's total, the rate and the time left. Drawn with plain DOM calls like the documents (only
//! numbers reach its attributes).

use leptos::prelude::*;
use regsight_core::model::Manifest;
use web_sys::Element;

use super::documents::{add, drawn};
use crate::state::{Page, Run};
use crate::text::{format_bytes, format_eta};

/// The whole image's progress.
#[component]
pub fn ImageProgress(page: Page) -> impl IntoView {
    let bar = drawn(page, RwSignal::new(false), draw);
    view! { <div node_ref=bar></div> }
}

/// Draws the progress as the page's signals stand into `bar`, replacing what was there.
fn draw(bar: &Element, page: Page, _: bool) {
    bar.set_text_content(None);
    let run = page.run.get();
    if run == Run::Idle {
        return;
    }
    let Some((total, received, rate)) = page.image_progress() else { return };
    let mut text = format!("{} of {} received", format_bytes(received), format_bytes(total));
    if let Some(rate) = rate {
        text.push_str(&format!(" · {:.1} MB/s", rate / 1_000_000.0));
        if let Some(eta) = format_eta(total.saturating_sub(received), rate).filter(|_| run == Run::Verifying)
        {
            text.push_str(&format!(" · {eta} left"));
        }
    }
    let (received, total) = (received.to_string(), total.to_string());
    let attributes = [
        ("class", "image-progress"),
        ("data-testid", "image-progress"),
        ("data-bytes", &received),
        ("data-total", &total),
    ];
    let Some(section) = add(bar, false, "section", &attributes, None) else { return };
    let label = "Bytes of the image received";
    add(&section, false, "progress", &[("max", &total), ("value", &received), ("aria-label", label)], None);
    add(&section, false, "span", &[("class", "small")], Some(&text));
}

impl crate::state::Page {
    /// The image's total size, the bytes received of it, and the overall rate (bytes per
    /// second, from the first layer's start to the latest event); `None` without image layers.
    pub fn image_progress(&self) -> Option<(u64, u64, Option<f64>)> {
        let sizes: Vec<u64> = self.resolved.with(|r| match r.as_ref().and_then(|r| r.image()) {
            Some(Manifest::Image(image)) if !image.layers.is_empty() => {
                Some(image.layers.iter().map(|l| l.size).collect())
            }
            _ => None,
        })?;
        let verification = self.verification.get();
        self.progress.with(|rows| {
            let (mut received, mut streamed, mut start, mut end) = (0, 0, f64::INFINITY, 0.0f64);
            for i in 0..sizes.len() {
                let row = rows.get(i).cloned().unwrap_or_default();
                let summary = verification.as_ref().and_then(|v| v.layers.get(i)?.summary.as_ref());
                received += summary.map_or(row.bytes, |s| s.compressed_size.max(row.bytes));
                if let (Some(started), Some(rate)) = (row.started_ms, row.rate.filter(|r| *r > 0.0)) {
                    streamed += row.bytes;
                    start = start.min(started);
                    end = end.max(started + row.bytes as f64 / rate * 1000.0);
                }
            }
            let seconds = (end - start) / 1000.0;
            let rate = (seconds > 0.05).then(|| streamed as f64 / seconds);
            Some((sizes.iter().sum(), received, rate))
        })
    }
}
