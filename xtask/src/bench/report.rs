//! The benchmark's figures from one run's raw times (medians, ratios, targets), and their views:
//! `BENCHMARKS.md`'s tables, its SVG chart, a console summary, and the list of missing figures the
//! smoke run checks.

use std::fmt::Write as _;

use regsight_rig::info::Fixture;
use serde_json::{Value, json};

use super::sizes::FIRST_LOAD_BUDGET;

/// The methods timed on each image, in table order: key in the harness's output and label.
const METHODS: [(&str, &str); 7] = [
    ("native", "native pipeline: `curl | tee >(sha256sum) | gzip -dc | sha256sum`"),
    ("regsight", "regsight `verify`, npm package on a plain page"),
    ("regsightPage", "regsight page, deep link: `dist/` opened with `verify=1`, verifying at once"),
    ("regsightPageLoaded", "regsight page, Verify clicked: `dist/` loaded and idle, then Verify pressed"),
    ("hashwasmDecompressionStream", "hash-wasm SHA-256 x2 + DecompressionStream"),
    ("hashwasmFflate", "hash-wasm SHA-256 x2 + fflate"),
    ("decompressionStream", "DecompressionStream alone (no hashing)"),
];

/// The JS peers that verify (hash both sides), which regsight is compared against.
const HASHING_PEERS: [&str; 2] = ["hashwasmDecompressionStream", "hashwasmFflate"];

/// The kernels, in table order: name and what its input is.
const KERNELS: [(&str, &str); 5] = [
    ("sha256", "SHA-256 of the tar, 64 KiB chunks"),
    ("inflate", "inflate (zlib-rs) of the gzip layer"),
    ("zstd", "zstd (ruzstd) of the tar through `zstd -3`"),
    ("verify-streamed", "LayerVerifier, gzip layer fed in 64 KiB chunks"),
    ("verify-whole", "LayerVerifier, gzip layer fed as one buffer"),
];

/// Wasm memory growth allowed over a >= 1 GiB layer (issue #12).
const MEMORY_GROWTH_TARGET: u64 = 16 << 20;

/// One run's raw material.
pub struct Raw<'a> {
    /// The commit measured.
    pub commit: String,
    /// Runs per measure.
    pub runs: u64,
    /// The machine's load average before and after the browser's measures.
    pub load: [Option<f64>; 2],
    /// The size figures.
    pub sizes: Value,
    /// The one-layer and the four-layer image.
    pub images: [&'a Fixture; 2],
    /// What `tests/bench/run.mjs` wrote.
    pub browser: Value,
    /// Bytes of the kernels' gzip layer, tar and zstd.
    pub kernel_layer_bytes: (u64, u64, u64),
    /// The image wasm memory was watched over, if it was.
    pub memory_layer: Option<&'a Fixture>,
}

/// The median of `times` (milliseconds), `None` when there are none.
fn median(times: &Value) -> Option<f64> {
    let mut v: Vec<f64> = times.as_array()?.iter().filter_map(Value::as_f64).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) { (v[mid - 1] + v[mid]) / 2.0 } else { v[mid] })
}

/// `a / b` when both are known and `b` is not zero.
fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// MB/s (10^6 bytes) of `bytes` in `ms`.
fn mb_per_s(bytes: u64, ms: Option<f64>) -> Option<f64> {
    ms.filter(|ms| *ms > 0.0).map(|ms| bytes as f64 / 1e3 / ms)
}

/// The figures document (`figures.json`) of one run.
pub fn figures(raw: Raw) -> Value {
    let images: Vec<Value> =
        raw.images.iter().map(|f| image_figures(f, &raw.browser["images"][&f.name])).collect();
    let (gzip, tar, zstd) = raw.kernel_layer_bytes;
    let mut kernels = serde_json::Map::new();
    for (name, what) in KERNELS {
        let input = match name {
            "sha256" => tar,
            "zstd" => zstd,
            _ => gzip,
        };
        let wasm = median(&raw.browser["kernels"]["wasm"][name]);
        let native = median(&raw.browser["kernels"]["native"][name]);
        kernels.insert(
            name.to_owned(),
            json!({
                "what": what, "inputBytes": input, "outputBytes": tar,
                "wasmMs": wasm, "nativeMs": native,
                "wasmOutMBps": mb_per_s(tar, wasm), "nativeOutMBps": mb_per_s(tar, native),
                "wasmOverNative": ratio(native, wasm),
            }),
        );
    }
    let big = &images[0]["methods"];
    let regsight = big["regsight"]["medianMs"].as_f64();
    let whole = kernels["verify-whole"]["wasmMs"].as_f64();
    let best_peer = HASHING_PEERS.iter().filter_map(|p| big[*p]["medianMs"].as_f64()).reduce(f64::min);
    let memory = raw.memory_layer.map(|f| {
        let m = &raw.browser["memory"];
        let growth = m["afterBigBytes"].as_f64().zip(m["afterWarmupBytes"].as_f64()).map(|(a, b)| a - b);
        json!({
            "image": f.name,
            "layerUncompressedBytes": m["layerUncompressedBytes"],
            "afterWarmupBytes": m["afterWarmupBytes"],
            "afterBigBytes": m["afterBigBytes"],
            "growthBytes": growth,
        })
    });
    let long_tasks: Vec<f64> = images
        .iter()
        .flat_map(|i| i["longTasks"]["durationsMs"].as_array().cloned().unwrap_or_default())
        .filter_map(|d| d.as_f64())
        .collect();
    let first_load = raw.sizes["pageFirstLoad"]["gzip"].as_f64();
    let targets = vec![
        target(
            "regsight vs the native pipeline, big layer",
            big["regsight"]["vsNative"].as_f64(),
            ">= 1.5x",
            |r| r >= 1.5,
        ),
        target("regsight vs the best hashing JS peer, big layer", ratio(best_peer, regsight), ">= 2x", |r| {
            r >= 2.0
        }),
        target(
            "streamed (regsight verify) vs the whole-buffer kernel (wasm), big layer",
            ratio(whole, regsight),
            ">= 0.9x",
            |r| r >= 0.9,
        ),
        target(
            "wasm memory growth over the memory layer, MiB",
            memory.as_ref().and_then(|m| m["growthBytes"].as_f64()).map(|b| b / f64::from(1 << 20)),
            "< 16 MiB",
            |g| g < (MEMORY_GROWTH_TARGET >> 20) as f64,
        ),
        target(
            "main-thread long tasks (> 50 ms) during regsight's verifications",
            Some(long_tasks.len() as f64),
            "0",
            |n| n == 0.0,
        ),
        target("the page's first load, gzip bytes", first_load, &format!("<= {FIRST_LOAD_BUDGET}"), |b| {
            b <= FIRST_LOAD_BUDGET as f64
        }),
    ];
    json!({
        "measured": {
            "commit": raw.commit,
            "runs": raw.runs,
            "loadAverage": raw.load,
            "browser": raw.browser["browser"],
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        },
        "sizes": raw.sizes,
        "images": images,
        "kernels": kernels,
        "streamedOverWhole": {
            "wasmKernel": ratio(whole, kernels["verify-streamed"]["wasmMs"].as_f64()),
            "nativeKernel": ratio(kernels["verify-whole"]["nativeMs"].as_f64(), kernels["verify-streamed"]["nativeMs"].as_f64()),
            "regsightVerify": ratio(whole, regsight),
        },
        "memory": memory,
        "targets": targets,
    })
}

fn target(what: &str, measured: Option<f64>, goal: &str, pass: impl Fn(f64) -> bool) -> Value {
    json!({ "what": what, "measured": measured, "target": goal, "pass": measured.map(pass) })
}

/// One image's figures: per method the runs, median, MB/s of uncompressed output, speed vs native.
fn image_figures(fixture: &Fixture, times: &Value) -> Value {
    let layers = &fixture.images[0].layers;
    let compressed: u64 = layers.iter().map(|l| l.size).sum();
    let uncompressed: u64 = layers.iter().filter_map(|l| l.uncompressed_size).sum();
    let native = median(&times["native"]);
    let mut methods = serde_json::Map::new();
    for (key, label) in METHODS {
        let ms = median(&times[key]);
        if times[key].is_null() {
            continue;
        }
        methods.insert(
            key.to_owned(),
            json!({
                "label": label, "runsMs": times[key], "medianMs": ms,
                "outMBps": mb_per_s(uncompressed, ms), "vsNative": ratio(native, ms),
            }),
        );
    }
    let durations: Vec<Value> = times["longTasks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|run| run.as_array().cloned().unwrap_or_default())
        .collect();
    json!({
        "name": fixture.name,
        "layers": layers.len(),
        "compressedBytes": compressed,
        "uncompressedBytes": uncompressed,
        "methods": methods,
        "longTasks": { "durationsMs": durations },
    })
}

/// The figures a complete run has and `figures` lacks (the smoke run's check).
pub fn missing(figures: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    let mut need = |path: String, value: &Value| {
        if value.is_null() {
            missing.push(path);
        }
    };
    for (i, image) in figures["images"].as_array().into_iter().flatten().enumerate() {
        for (key, _) in METHODS {
            need(format!("images[{i}].methods.{key}.vsNative"), &image["methods"][key]["vsNative"]);
        }
        need(format!("images[{i}].longTasks"), &image["longTasks"]["durationsMs"]);
    }
    if figures["images"].as_array().map_or(0, Vec::len) != 2 {
        need("images (two: one layer and four layers)".to_owned(), &Value::Null);
    }
    for (name, _) in KERNELS {
        need(format!("kernels.{name}.wasmOverNative"), &figures["kernels"][name]["wasmOverNative"]);
    }
    need("memory.growthBytes".to_owned(), &figures["memory"]["growthBytes"]);
    for (i, t) in figures["targets"].as_array().into_iter().flatten().enumerate() {
        need(format!("targets[{i}].measured ({})", t["what"]), &t["measured"]);
    }
    missing
}

/// A number with `digits` decimals (a whole number with none), or a dash when it is missing.
fn fmt(v: &Value, digits: usize) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.digits$}"),
        None => "—".to_owned(),
    }
}

/// Text for a Markdown table cell (a `|` would end the cell).
fn cell(v: &Value) -> String {
    v.as_str().unwrap_or("").replace('|', "\\|")
}

fn pass_word(t: &Value) -> &'static str {
    match t["pass"].as_bool() {
        Some(true) => "pass",
        Some(false) => "miss",
        None => "—",
    }
}

/// The targets, one line each, for the console.
pub fn targets_text(figures: &Value) -> String {
    let mut out = String::from("\n== targets (shown, not enforced) ==\n");
    for t in figures["targets"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "{:<5} {} = {} (target {})",
            pass_word(t),
            t["what"].as_str().unwrap_or(""),
            fmt(&t["measured"], 2),
            t["target"].as_str().unwrap_or("")
        );
    }
    out
}

/// `BENCHMARKS.md`: how it was measured, the targets, the tables, the chart at `svg`.
pub fn markdown(figures: &Value, svg: &str) -> String {
    let m = &figures["measured"];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Benchmarks\n\n\
         Written by `cargo xtask bench` (issue #12) from one run on this machine: commit `{}`, {} run(s) \
         of each measure (medians), {} cores (load average {} before the measures, {} after: the \
         machine is shared), {}. Every figure below is a ratio of times taken in the same run on the \
         same bytes, the methods taking turns run by run; absolute times and MB/s are context only, \
         and they move with the machine's load. The targets are shown, never enforced. The raw \
         figures are in `target/bench/figures.json`.\n\n\
         The verifier measured is whatever the commit above holds; rerun `cargo xtask bench` after a \
         change to it.\n\n![speed relative to the native pipeline]({svg})\n",
        m["commit"].as_str().unwrap_or("?"),
        m["runs"],
        m["cores"],
        fmt(&m["loadAverage"][0], 1),
        fmt(&m["loadAverage"][1], 1),
        m["browser"].as_str().map_or("headless Chromium".to_owned(), |b| format!("headless Chromium {b}")),
    );
    out.push_str("## Targets\n\n| target | measured | goal | |\n|---|---|---|---|\n");
    for t in figures["targets"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&t["what"]),
            fmt(&t["measured"], 2),
            cell(&t["target"]),
            pass_word(t)
        );
    }
    out.push_str(
        "\nThe page is timed two ways. On a `verify=1` deep link the page starts, inspects and \
         verifies at once, so its own start and the browser's housekeeping around a new page (its \
         wasm compiled and tiered up, a spare renderer launched) share the two cores with the \
         verification. With Verify clicked once the page has loaded (and sat idle for a second), \
         that start is out of the way; what still separates it from the npm package's row is that \
         the package's plain page has verified before, so its workers' wasm is compiled and \
         optimized already, while the page's first verification starts its workers from \
         nothing.\n",
    );
    for image in figures["images"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "\n## `{}`: {} gzip layer(s), {:.1} MB compressed, {:.1} MB uncompressed\n\n\
             Speed relative to the native pipeline (higher is faster; layers one after another for \
             the native pipeline and the JS peers, regsight's own pool for regsight).\n\n\
             | method | vs native | median time (s) | MB/s out |\n|---|---|---|---|",
            image["name"].as_str().unwrap_or(""),
            image["layers"],
            image["compressedBytes"].as_f64().unwrap_or(0.0) / 1e6,
            image["uncompressedBytes"].as_f64().unwrap_or(0.0) / 1e6,
        );
        for (key, label) in METHODS {
            let row = &image["methods"][key];
            if row.is_null() {
                continue;
            }
            let secs = row["medianMs"].as_f64().map(|ms| json!(ms / 1e3)).unwrap_or(Value::Null);
            let _ = writeln!(
                out,
                "| {} | {}x | {} | {} |",
                cell(&json!(label)),
                fmt(&row["vsNative"], 2),
                fmt(&secs, 2),
                fmt(&row["outMBps"], 0)
            );
        }
        let tasks = image["longTasks"]["durationsMs"].as_array().map_or(0, Vec::len);
        let _ = writeln!(
            out,
            "\nMain-thread long tasks (> 50 ms) during regsight's verifications of this image, all runs: {tasks}."
        );
    }
    out.push_str(
        "\n## Kernels: wasm (this Chromium) vs native, same code, same layer\n\n\
         `tests/bench/kernels`: one small crate over the core's kernels, built natively and for \
         wasm32 (+simd128, wasm-bindgen, wasm-opt -O3, as the npm package), timed around each call, native and wasm taking turns run by run, \
         on the big image's layer held in memory.\n\n\
         | kernel | wasm / native | wasm MB/s out | native MB/s out |\n|---|---|---|---|\n",
    );
    for (name, _) in KERNELS {
        let k = &figures["kernels"][name];
        let _ = writeln!(
            out,
            "| {} | {}x | {} | {} |",
            cell(&k["what"]),
            fmt(&k["wasmOverNative"], 2),
            fmt(&k["wasmOutMBps"], 0),
            fmt(&k["nativeOutMBps"], 0)
        );
    }
    let s = &figures["streamedOverWhole"];
    let _ = writeln!(
        out,
        "\nStreamed vs whole-buffer: the verifier fed 64 KiB chunks runs at {}x its whole-buffer speed \
         in wasm ({}x natively); regsight's `verify` over HTTP (fetch, worker, streaming) runs at {}x \
         the whole-buffer kernel in wasm on the same layer.",
        fmt(&s["wasmKernel"], 2),
        fmt(&s["nativeKernel"], 2),
        fmt(&s["regsightVerify"], 2),
    );
    let mem = &figures["memory"];
    if !mem.is_null() {
        let mib =
            |v: &Value| fmt(&v.as_f64().map(|b| json!(b / f64::from(1 << 20))).unwrap_or(Value::Null), 1);
        let _ = writeln!(
            out,
            "\n## Memory\n\nwasm memory of an in-process client (`workers: false`: the verifier the workers \
             run, on the main thread so its memory can be read) after verifying `{}` ({} MiB \
             uncompressed) following a warm-up on the big image: {} MiB -> {} MiB, growth {} MiB.",
            mem["image"].as_str().unwrap_or(""),
            mib(&mem["layerUncompressedBytes"]),
            mib(&mem["afterWarmupBytes"]),
            mib(&mem["afterBigBytes"]),
            mib(&mem["growthBytes"]),
        );
    }
    let sizes = &figures["sizes"];
    if !sizes["pageFirstLoad"].is_null() {
        let _ = writeln!(
            out,
            "\n## Sizes (gzip -9)\n\nThe page's first load: {} bytes; added by its first verification \
             (the worker, glue and wasm): {} bytes; the npm package's wasm: {} bytes.",
            sizes["pageFirstLoad"]["gzip"],
            sizes["pageFirstVerification"]["gzip"],
            sizes["packageWasm"]["gzip"],
        );
    }
    out.push_str(
        "\n## How to run\n\n`cargo xtask bench [--size-mib S] [--runs N] [--memory-mib M | --no-memory] \
         [--no-page]` (defaults: 300 MiB, 5 runs, a 1024 MiB memory layer; `--render` only rewrites \
         this file and the chart from the last figures). It starts (or reuses) the \
         rig `bench`, pushes the images once, and rewrites this file, `docs/benchmarks.svg` and \
         `target/bench/figures.json`. `cargo xtask test` runs the harness once on tiny images and \
         checks that every figure is produced, never how fast.\n",
    );
    out
}

/// An SVG bar chart: each method's speed relative to the native pipeline, per image, with the
/// native pipeline (1x) and the 1.5x target marked.
pub fn chart(figures: &Value) -> String {
    const WIDTH: f64 = 820.0;
    const LEFT: f64 = 330.0;
    const ROW: f64 = 22.0;
    let images: Vec<&Value> = figures["images"].as_array().map(|v| v.iter().collect()).unwrap_or_default();
    let rows: Vec<(String, Option<f64>, bool)> = images
        .iter()
        .flat_map(|image| {
            let name = image["name"].as_str().unwrap_or("").to_owned();
            let mut rows = vec![(format!("{name} ({} layer(s))", image["layers"]), None, true)];
            for (key, label) in METHODS {
                if !image["methods"][key].is_null() {
                    let short = label.split(':').next().unwrap_or(label).replace('`', "");
                    rows.push((short, image["methods"][key]["vsNative"].as_f64(), false));
                }
            }
            rows
        })
        .collect();
    let max = rows.iter().filter_map(|r| r.1).fold(2.0_f64, f64::max) * 1.1;
    let scale = (WIDTH - LEFT - 60.0) / max;
    let height = 40.0 + ROW * rows.len() as f64 + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\" fill=\"#1f2328\">Speed relative to the native pipeline (higher is faster), commit {}</text>\n",
        figures["measured"]["commit"].as_str().unwrap_or("?")
    );
    let top = 34.0;
    let bottom = top + ROW * rows.len() as f64;
    for (x, label, color) in [(1.0, "native 1x", "#57606a"), (1.5, "target 1.5x", "#1a7f37")] {
        let px = LEFT + x * scale;
        let _ = writeln!(
            svg,
            "<line x1=\"{px:.1}\" y1=\"{top}\" x2=\"{px:.1}\" y2=\"{bottom}\" stroke=\"{color}\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{color}\">{label}</text>",
            bottom + 16.0
        );
    }
    for (i, (label, value, heading)) in rows.iter().enumerate() {
        let y = top + ROW * i as f64;
        if *heading {
            let _ = writeln!(
                svg,
                "<text x=\"10\" y=\"{:.1}\" font-weight=\"bold\" fill=\"#1f2328\">{}</text>",
                y + 15.0,
                escape(label)
            );
            continue;
        }
        let _ =
            writeln!(svg, "<text x=\"24\" y=\"{:.1}\" fill=\"#1f2328\">{}</text>", y + 15.0, escape(label));
        if let Some(v) = value {
            let color = if label.starts_with("regsight") {
                "#0969da"
            } else if label.starts_with("native") {
                "#57606a"
            } else {
                "#bf8700"
            };
            let _ = writeln!(
                svg,
                "<rect x=\"{LEFT}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1f2328\">{v:.2}x</text>",
                y + 4.0,
                v * scale,
                ROW - 8.0,
                LEFT + v * scale + 4.0,
                y + 15.0
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
