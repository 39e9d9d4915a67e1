//! The Files panel: one button per layer lists that layer's files (the layer is streamed again
//! through the verifier's tar walk in a worker), shown as a filterable tree. Directories carry
//! the total size below them, whiteouts say what they delete from the layers below, and at most
//! [`MAX_ROWS`] rows are rendered so a 100,000-entry layer stays smooth. `files=N` in the page's
//! address opens layer N once the image is resolved. File names are registry-controlled: text only.

use std::rc::Rc;

use leptos::prelude::*;
use regsight_core::Manifest;
use regsight_core::verify::{EntryKind, TarListing, Whiteout};
use regsight_wasm::LayerState;

use crate::state::{Files, Page, Run};
use crate::text::format_bytes;

/// Most rows rendered at once; the filter narrows the rest down.
const MAX_ROWS: usize = 500;

/// A resolved image's layers' files, one layer at a time.
#[component]
pub fn FileTree(page: Page) -> impl IntoView {
    // The `files=` deep link (and an open layer kept when another image is loaded): list the
    // open layer once the image and its config (for the diff_id) are known, and not while a
    // verification streams the same layer.
    Effect::new(move |_| {
        let ready = page.resolved.with(Option::is_some)
            && page.config.with(Option::is_some)
            && page.run.get() != Run::Verifying;
        if let (true, Some(index)) = (ready, page.open_layer.get_untracked()) {
            page.list_files(index);
        }
    });
    let filter = RwSignal::new(String::new());
    // The tree of the listing shown, built once per listing (not per keystroke).
    let cache = StoredValue::new_local(None::<(Rc<TarListing>, Vec<Row>)>);
    let sizes = move || {
        page.resolved.with(|r| match r.as_ref().and_then(|r| r.image()) {
            Some(Manifest::Image(image)) => image.layers.iter().map(|l| l.size).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    };
    let buttons = move || {
        let open = page.open_layer.get();
        let sizes = sizes();
        (!sizes.is_empty()).then(|| {
            let buttons = sizes
                .into_iter()
                .enumerate()
                .map(|(index, size)| {
                    view! {
                        <li>
                            <button
                                type="button"
                                data-testid="open-files"
                                data-layer=index.to_string()
                                aria-pressed=if open == Some(index) { "true" } else { "false" }
                                on:click=move |_| page.list_files(index)
                            >
                                "Files of layer " {index}
                            </button>
                            " " {format_bytes(size)}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <h2>"Files"</h2>
                <ul class="layer-buttons">{buttons}</ul>
            }
        })
    };
    // The open layer and its listing, if any.
    let current = move || page.open_layer.get().map(|i| (i, page.files.with(|f| f.get(&i).cloned())));
    let status = move || {
        let (class, testid, text) = match current()? {
            (i, None) => ("muted", "files-none", format!("Layer {i}'s files are not listed yet.")),
            (i, Some(Files::Loading)) => {
                ("muted", "files-loading", format!("Streaming layer {i} to list its files…"))
            }
            (i, Some(Files::Failed(e))) => {
                ("bad", "files-error", format!("Could not list layer {i}: {} {}", e.code.as_str(), e.message))
            }
            (_, Some(Files::Listed(listing, state))) => {
                let (text, bad) = summary(&listing, state);
                (if bad { "bad" } else { "muted" }, "files-summary", text)
            }
        };
        // Rebuilt only when the layer or its listing changes: the input keeps what is typed.
        Some(view! {
            <label>
                "Filter paths "
                <input
                    type="search"
                    data-testid="file-filter"
                    placeholder="part of a path, e.g. etc/"
                    spellcheck="false"
                    autocomplete="off"
                    value=filter.get_untracked()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
            </label>
            <p class=class data-testid=testid>{text}</p>
        })
    };
    // At most MAX_ROWS rows, rendered again on every keystroke; the tree is built once per listing.
    let table = move || {
        let Some((_, Some(Files::Listed(listing, _)))) = current() else { return None };
        if !cache.with_value(|c| c.as_ref().is_some_and(|(l, _)| Rc::ptr_eq(l, &listing))) {
            cache.set_value(Some((listing.clone(), tree_rows(&listing))));
        }
        let needle = filter.get();
        let (rows, count) = cache.with_value(|c| {
            let (_, rows) = c.as_ref()?;
            let (shown, count) = visible(rows, &needle);
            Some((shown.into_iter().map(|i| file_row(&rows[i], &listing)).collect_view(), count))
        })?;
        let more = count.saturating_sub(MAX_ROWS);
        Some(view! {
            <table class="file-tree">
                <thead><tr><th>"Path"</th><th>"Type"</th><th>"Mode"</th><th>"Size"</th><th>"Note"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="muted" data-testid="files-more">{(more > 0).then(|| format!("{more} more, refine the filter"))}</p>
        })
    };
    view! {
        <section class="files-panel" data-testid="files">
            {buttons}
            {status}
            {table}
        </section>
    }
}

/// What a listing holds, and whether something is wrong with it (truncated, unreadable tar,
/// bytes that did not verify).
fn summary(listing: &TarListing, state: LayerState) -> (String, bool) {
    let total: u64 = listing.entries.iter().map(|e| e.size).sum();
    let mut text = format!("{} entries, {} of files.", listing.entries.len(), format_bytes(total));
    if listing.truncated {
        text += &format!(
            " Only the first {} of {} entries are listed (the listing's cap).",
            listing.entries.len(),
            listing.total_entries
        );
    }
    if let Some(e) = &listing.error {
        text += &format!(" The tar could not be read further: {} {}", e.code, e.message);
    }
    if state != LayerState::Ok {
        text += " This layer's bytes did not verify this time: the listing is of unverified bytes.";
    }
    (text, listing.truncated || listing.error.is_some() || state != LayerState::Ok)
}

/// One row of the tree: an entry of the listing, or a directory only implied by its entries' paths.
struct Row {
    /// The path, without `./` in front or `/` behind.
    path: String,
    /// How many directories up to the root.
    depth: usize,
    /// The row of its directory.
    parent: Option<usize>,
    /// Its entry in the listing; `None` for an implied directory.
    entry: Option<usize>,
    /// True for directories.
    dir: bool,
    /// Bytes of everything below a directory (a file's own size).
    total: u64,
}

/// A path as shown: no leading `./` or `/`, no trailing `/`.
fn normalize(path: &str) -> &str {
    let bytes = path.as_bytes();
    let mut start = 0;
    loop {
        match &bytes[start..] {
            [b'.', b'/', ..] => start += 2,
            [b'/', ..] => start += 1,
            _ => break,
        }
    }
    let mut end = bytes.len();
    while end > start && bytes[end - 1] == b'/' {
        end -= 1;
    }
    path.get(start..end).unwrap_or(path)
}

/// The listing's entries as a tree in pre-order (a directory, then everything below it), with
/// the directories the entries' paths imply but the tar does not hold.
fn tree_rows(listing: &TarListing) -> Vec<Row> {
    let order: Vec<(usize, &str)> =
        listing.entries.iter().enumerate().map(|(i, e)| (i, normalize(&e.path))).collect();
    let order = sort_paths(order);
    let mut rows: Vec<Row> = Vec::with_capacity(order.len());
    // The directories the current row is inside, outermost first.
    let mut stack: Vec<usize> = Vec::new();
    for (index, path) in order {
        let entry = &listing.entries[index];
        let cuts: Vec<usize> =
            path.bytes().enumerate().filter(|(_, b)| *b == b'/').map(|(at, _)| at).collect();
        let depth = cuts.len();
        stack.truncate(depth);
        let same = stack.iter().zip(&cuts).take_while(|(row, cut)| rows[**row].path == path[..**cut]).count();
        stack.truncate(same);
        for &cut in &cuts[same..] {
            let parent = stack.last().copied();
            let path = path[..cut].to_owned();
            rows.push(Row { path, depth: stack.len(), parent, entry: None, dir: true, total: 0 });
            stack.push(rows.len() - 1);
        }
        for &row in &stack {
            rows[row].total += entry.size;
        }
        let dir = entry.kind == EntryKind::Dir;
        let parent = stack.last().copied();
        rows.push(Row { path: path.to_owned(), depth, parent, entry: Some(index), dir, total: entry.size });
        if dir {
            stack.push(rows.len() - 1);
        }
    }
    rows
}

/// Sorts (entry, path) pairs so a directory comes right before what is below it: by path, with
/// `/` before any other byte. A stable bottom-up merge sort: the standard library's sorts are
/// large in wasm, and this runs once per listing.
fn sort_paths(mut items: Vec<(usize, &str)>) -> Vec<(usize, &str)> {
    let key = |b: u8| if b == b'/' { 0 } else { b };
    let before = |a: &str, b: &str| a.bytes().map(key).le(b.bytes().map(key));
    let n = items.len();
    let mut other = items.clone();
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let (mid, end) = ((start + width).min(n), (start + 2 * width).min(n));
            let (mut left, mut right) = (start, mid);
            for slot in &mut other[start..end] {
                let take_left = right >= end || (left < mid && before(items[left].1, items[right].1));
                *slot = if take_left { items[left] } else { items[right] };
                if take_left { left += 1 } else { right += 1 }
            }
            start = end;
        }
        std::mem::swap(&mut items, &mut other);
        width *= 2;
    }
    items
}

/// True when `haystack` contains `needle` (ASCII letters in any case).
fn contains_ignoring_case(haystack: &str, needle: &[u8]) -> bool {
    needle.is_empty() || haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// The rows to show: those matching `needle` and their directories (all when it is empty); at
/// most [`MAX_ROWS`] of them, and how many in all.
fn visible(rows: &[Row], needle: &str) -> (Vec<usize>, usize) {
    let needle = needle.trim().as_bytes();
    let mut keep = vec![needle.is_empty(); rows.len()];
    if !needle.is_empty() {
        for (i, row) in rows.iter().enumerate() {
            if contains_ignoring_case(&row.path, needle) {
                let mut at = Some(i);
                while let Some(j) = at.filter(|&j| !keep[j]) {
                    keep[j] = true;
                    at = rows[j].parent;
                }
            }
        }
    }
    let count = keep.iter().filter(|&&k| k).count();
    let shown = (0..rows.len()).filter(|&i| keep[i]).take(MAX_ROWS).collect();
    (shown, count)
}

/// `drwxr-xr-x`: the kind's letter, then permissions with set-id and sticky bits, as `tar -tv`
/// shows them (`h` for a hard link).
fn mode_text(kind: EntryKind, mode: u32) -> String {
    let mut text = *b"----------";
    text[0] = match kind {
        EntryKind::Dir => b'd',
        EntryKind::Symlink => b'l',
        EntryKind::Hardlink => b'h',
        EntryKind::CharDevice => b'c',
        EntryKind::BlockDevice => b'b',
        EntryKind::Fifo => b'p',
        _ => b'-',
    };
    for (i, letter) in b"rwxrwxrwx".iter().enumerate() {
        if mode & (0o400 >> i) != 0 {
            text[i + 1] = *letter;
        }
    }
    // setuid, setgid, sticky: in the x column, lowercase when x is set too.
    for (i, letter) in b"sst".iter().enumerate() {
        if mode & (0o4000 >> i) != 0 {
            let at = 3 + 3 * i;
            text[at] = if text[at] == b'x' { *letter } else { letter.to_ascii_uppercase() };
        }
    }
    text.iter().map(|&b| char::from(b)).collect()
}

/// What a kind of entry is called.
fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink => "symlink",
        EntryKind::Hardlink => "hard link",
        EntryKind::CharDevice => "char device",
        EntryKind::BlockDevice => "block device",
        EntryKind::Fifo => "fifo",
        EntryKind::Other => "other",
    }
}

/// One row of the tree: the path (its directories muted), type, mode, exact size (a directory's:
/// everything below it), and what a link points to or a whiteout deletes.
fn file_row(row: &Row, listing: &TarListing) -> impl IntoView + use<> {
    let (dir_part, name) = match row.path.rfind('/') {
        Some(at) => (row.path[..=at].to_owned(), row.path[at + 1..].to_owned()),
        None => (String::new(), row.path.clone()),
    };
    let name = if row.dir { name + "/" } else { name };
    let entry = row.entry.and_then(|i| listing.entries.get(i));
    let kind = entry.map_or(EntryKind::Dir, |e| e.kind);
    let note = match entry.map(|e| (&e.whiteout, &e.link_target)) {
        None => "not in the layer, implied by its paths".to_owned(),
        Some((Some(Whiteout::Remove { target }), _)) => {
            format!("whiteout: deletes {target} of the layers below")
        }
        Some((Some(Whiteout::Opaque { dir }), _)) => {
            format!("opaque: hides what the layers below have in {dir}/")
        }
        Some((None, Some(target))) if kind == EntryKind::Hardlink => format!("link to {target}"),
        Some((None, Some(target))) => format!("-> {target}"),
        Some((None, None)) => String::new(),
    };
    let whiteout = match entry.and_then(|e| e.whiteout.as_ref()) {
        Some(Whiteout::Remove { .. }) => "remove",
        Some(Whiteout::Opaque { .. }) => "opaque",
        None => "",
    };
    let size = format_bytes(row.total);
    let size = if row.dir { size + " in all" } else { size };
    view! {
        <tr data-testid=if entry.is_some() { "file" } else { "implied-dir" } data-whiteout=whiteout>
            <td class="path" style=("--depth", row.depth.to_string())>
                <code data-testid="file-path"><span class="muted">{dir_part}</span>{name}</code>
            </td>
            <td>{kind_name(kind)}</td>
            <td><code>{entry.map(|e| mode_text(kind, e.mode))}</code></td>
            <td data-bytes=row.total.to_string()>{size}</td>
            <td>{note}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regsight_core::verify::TarEntry;

    fn entry(path: &str, kind: EntryKind, size: u64) -> TarEntry {
        TarEntry {
            path: path.into(),
            kind,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            link_target: None,
            whiteout: None,
            sparse: false,
        }
    }

    fn listing(entries: Vec<TarEntry>) -> TarListing {
        let total_entries = entries.len() as u64;
        TarListing { entries, total_entries, truncated: false, end_of_archive: true, error: None }
    }

    #[test]
    fn a_tree_in_pre_order_with_implied_directories_and_totals() {
        let l = listing(vec![
            entry("./usr/bin/b", EntryKind::File, 5),
            entry("etc/", EntryKind::Dir, 0),
            entry("usr/bin/a", EntryKind::File, 7),
            entry("etc/x", EntryKind::File, 3),
            entry("etc-x", EntryKind::File, 1),
        ]);
        let rows = tree_rows(&l);
        let paths: Vec<(&str, usize, bool, u64)> =
            rows.iter().map(|r| (r.path.as_str(), r.depth, r.entry.is_some(), r.total)).collect();
        assert_eq!(
            paths,
            [
                ("etc", 0, true, 3),
                ("etc/x", 1, true, 3),
                ("etc-x", 0, true, 1),
                ("usr", 0, false, 12),
                ("usr/bin", 1, false, 12),
                ("usr/bin/a", 2, true, 7),
                ("usr/bin/b", 2, true, 5),
            ]
        );
        assert_eq!(rows[4].parent, Some(3));
        assert_eq!(rows[6].parent, Some(4));
    }

    #[test]
    fn the_filter_keeps_matches_and_their_directories() {
        let l = listing(vec![
            entry("a/", EntryKind::Dir, 0),
            entry("a/b/", EntryKind::Dir, 0),
            entry("a/b/Needle.txt", EntryKind::File, 1),
            entry("a/c", EntryKind::File, 1),
            entry("z", EntryKind::File, 1),
        ]);
        let rows = tree_rows(&l);
        let (shown, count) = visible(&rows, "needle");
        let paths: Vec<&str> = shown.iter().map(|&i| rows[i].path.as_str()).collect();
        assert_eq!((paths, count), (vec!["a", "a/b", "a/b/Needle.txt"], 3));
        assert_eq!(visible(&rows, " ").1, rows.len());
    }

    #[test]
    fn at_most_max_rows_are_shown() {
        let l = listing((0..MAX_ROWS + 7).map(|i| entry(&format!("f{i}"), EntryKind::File, 1)).collect());
        let (shown, count) = visible(&tree_rows(&l), "");
        assert_eq!((shown.len(), count), (MAX_ROWS, MAX_ROWS + 7));
    }

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(mode_text(EntryKind::Dir, 0o755), "drwxr-xr-x");
        assert_eq!(mode_text(EntryKind::File, 0o644), "-rw-r--r--");
        assert_eq!(mode_text(EntryKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_text(EntryKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_text(EntryKind::File, 0o2640), "-rw-r-S---");
        assert_eq!(mode_text(EntryKind::Symlink, 0o777), "lrwxrwxrwx");
        assert_eq!(mode_text(EntryKind::Hardlink, 0o644), "hrw-r--r--");
    }
}
