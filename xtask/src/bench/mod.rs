//! `cargo xtask bench`: regsight's figures, measured in one run on the same data, written as JSON
//! to `target/bench/figures.json` and as tables and a chart to `BENCHMARKS.md` and
//! `docs/benchmarks.svg` (issue #12).
//!
//! One run: a `bench` rig (reused when it is up) with the benchmark images (one big gzip layer of
//! real files and the same files in four layers), then `tests/bench/run.mjs` in headless Chromium:
//! regsight's verify, the page, the JS peers and the native pipeline interleaved run by run, the
//! kernels (`tests/bench/kernels`) natively and in wasm run by run, wasm memory over a >= 1 GiB
//! layer.
//! Every figure is a ratio of times taken in this run; the targets are shown, never enforced.

mod report;
mod sizes;

use std::path::{Path, PathBuf};
use std::process::Command;

use regsight_rig::cmd::{pipeline, sh_quote};
use regsight_rig::info::Fixture;
use regsight_rig::paths::{RigPaths, workspace_root};
use regsight_rig::{Result, RigInfo, rig_err, services};
use serde_json::{Value, json};

use crate::{
    Lifetime, cargo, flag, number_flag, pack, pack_and_build_page, push_bench_image, rig_up, run_status,
    setup,
};

/// What one bench run measures.
struct Options {
    /// MiB of files in the benchmark images.
    size_mib: u64,
    /// Runs of each measure; figures are their medians.
    runs: u64,
    /// MiB of the one layer wasm memory is watched over; `None` skips it.
    memory_mib: Option<u64>,
    /// Whether the page dist/ is timed too.
    page: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        if let Some(unknown) = args.iter().find(|a| a.starts_with("--") && !FLAGS.contains(&a.as_str())) {
            return Err(rig_err!("unknown flag {unknown}; bench takes {FLAGS:?}"));
        }
        let memory_mib = number_flag(args, "--memory-mib", 1024)?;
        if memory_mib < 1024 && flag(args, "--memory-mib").is_some() {
            println!("NOTE: --memory-mib {memory_mib} is below the 1 GiB layer the memory target is about");
        }
        Ok(Self {
            size_mib: number_flag(args, "--size-mib", 300)?,
            runs: number_flag(args, "--runs", 5)?.max(1),
            memory_mib: (!args.iter().any(|a| a == "--no-memory")).then_some(memory_mib),
            page: !args.iter().any(|a| a == "--no-page"),
        })
    }
}

/// The flags `bench` takes.
const FLAGS: [&str; 7] =
    ["--size-mib", "--runs", "--memory-mib", "--no-memory", "--no-page", "--smoke", "--render"];

/// Runs the benchmark and writes its figures, tables and chart.
pub fn run(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    if args.iter().any(|a| a == "--render") {
        let figures = std::fs::read_to_string(bench_dir().join("figures.json"))
            .map_err(|e| rig_err!("no figures to render (run `cargo xtask bench` first): {e}"))?;
        return write_report(&serde_json::from_str(&figures)?);
    }
    // Like `test` and `demo`: install what is missing first (the harness's npm modules among it).
    setup::run()?;
    let dist = pack_and_build_page()?;
    let paths = RigPaths::new("bench", RigPaths::default_base_port("bench"));
    let started = !rig_is_up(&paths);
    if started {
        rig_up(&paths, Lifetime::Detached)?;
    } else {
        println!("reusing the running rig {:?}", paths.name);
    }
    let figures = if args.iter().any(|a| a == "--smoke") {
        smoke(&paths, &dist).map(|()| None)
    } else {
        sizes::measure(&dist)
            .and_then(|sizes| Ok(serde_json::to_value(sizes)?))
            .and_then(|sizes| measure(&paths, &options, &dist, &sizes))
            .map(Some)
    };
    if started {
        services::stop(&paths)?;
    }
    let Some(figures) = figures? else {
        println!("the smoke run produced every figure: target/bench/smoke/");
        return Ok(());
    };
    std::fs::write(bench_dir().join("figures.json"), serde_json::to_string_pretty(&figures)?)?;
    write_report(&figures)
}

/// Writes `BENCHMARKS.md` and `docs/benchmarks.svg` from `figures` and prints the targets.
fn write_report(figures: &Value) -> Result<()> {
    let root = workspace_root();
    std::fs::create_dir_all(root.join("docs"))?;
    std::fs::write(root.join("docs").join("benchmarks.svg"), report::chart(figures))?;
    std::fs::write(root.join("BENCHMARKS.md"), report::markdown(figures, "docs/benchmarks.svg"))?;
    println!("{}", report::targets_text(figures));
    println!("figures in {}; tables in BENCHMARKS.md", bench_dir().join("figures.json").display());
    Ok(())
}

/// The harness's smoke run for `cargo xtask test`: tiny images on the running rig `paths`, one run,
/// every figure present (no timing is judged). Writes to `target/bench/smoke/`, not BENCHMARKS.md.
pub fn smoke(paths: &RigPaths, dist: &Path) -> Result<()> {
    let options = Options { size_mib: 4, runs: 1, memory_mib: Some(8), page: true };
    let sizes = serde_json::to_value(sizes::measure(dist)?)?;
    let figures = measure(paths, &options, dist, &sizes)?;
    let missing = report::missing(&figures);
    let out = bench_dir().join("smoke");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("figures.json"), serde_json::to_string_pretty(&figures)?)?;
    std::fs::write(out.join("benchmarks.svg"), report::chart(&figures))?;
    std::fs::write(out.join("BENCHMARKS.md"), report::markdown(&figures, "benchmarks.svg"))?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(rig_err!("the bench harness left figures out: {}", missing.join(", ")))
    }
}

fn bench_dir() -> PathBuf {
    workspace_root().join("target").join("bench")
}

/// Whether the rig's description exists and its open registry answers.
fn rig_is_up(paths: &RigPaths) -> bool {
    RigInfo::load(&paths.info_file())
        .ok()
        .and_then(|info| pipeline(&format!("curl -sf -o /dev/null {}/v2/", sh_quote(&info.open.url))).ok())
        .is_some()
}

/// Everything but the sizes, on the rig `paths`, into one figures document.
fn measure(paths: &RigPaths, options: &Options, dist: &Path, sizes: &Value) -> Result<Value> {
    let one = push_bench_image(paths, options.size_mib, 1)?;
    let four = push_bench_image(paths, options.size_mib, 4)?;
    let memory = options.memory_mib.map(|mib| push_bench_image(paths, mib, 1)).transpose()?;
    let info = RigInfo::load(&paths.info_file())?;
    let data = kernel_data(&one)?;
    let native_kernels = native_kernels(&data)?;
    let kernels_wasm = build_wasm_kernels()?;
    let reference = |f: &Fixture| format!("{}/{}:{}", info.open.host, f.repositories[0], f.tag);
    let image = |f: &Fixture| {
        json!({
            "name": f.name,
            "reference": reference(f),
            "repository": f.repositories[0],
            "layers": f.images[0].layers.iter().map(|l| json!({
                "digest": l.digest, "diffId": l.diff_id, "size": l.size, "uncompressedSize": l.uncompressed_size,
            })).collect::<Vec<_>>(),
        })
    };
    let plan = json!({
        "runs": options.runs,
        "registry": info.open.url,
        "images": [image(&one), image(&four)],
        "kernelsWasm": kernels_wasm,
        "kernelData": { "dir": data.dir, "digest": data.digest, "diffId": data.diff_id },
        "nativeKernels": native_kernels,
        "dist": options.page.then_some(dist),
        "memory": memory.as_ref().map(|big| json!({ "warmup": reference(&one), "big": reference(big) })),
    });
    let dir = bench_dir();
    std::fs::create_dir_all(&dir)?;
    let plan_file = dir.join("plan.json");
    let browser_file = dir.join("browser.json");
    std::fs::write(&plan_file, serde_json::to_string_pretty(&plan)?)?;
    let load_before = load_average();
    run_status(
        Command::new("node")
            .arg("run.mjs")
            .arg(&plan_file)
            .arg(&browser_file)
            .current_dir(workspace_root().join("tests").join("bench")),
    )?;
    let load = [load_before, load_average()];
    let browser: Value = serde_json::from_str(&std::fs::read_to_string(&browser_file)?)?;
    Ok(report::figures(report::Raw {
        commit: commit()?,
        runs: options.runs,
        load,
        sizes: sizes.clone(),
        images: [&one, &four],
        browser,
        kernel_layer_bytes: (data.gzip_bytes, data.tar_bytes, data.zstd_bytes),
        memory_layer: memory.as_ref(),
    }))
}

/// The kernels' input: the big image's layer as served, its tar, the tar through `zstd -3`.
struct KernelData {
    dir: PathBuf,
    digest: String,
    diff_id: String,
    gzip_bytes: u64,
    tar_bytes: u64,
    zstd_bytes: u64,
}

fn kernel_data(image: &Fixture) -> Result<KernelData> {
    let layer = image.images[0].layers.first().ok_or_else(|| rig_err!("{} has no layer", image.name))?;
    let dir = bench_dir().join("data");
    std::fs::create_dir_all(&dir)?;
    let (gz, tar, zst) = (dir.join("layer.gz"), dir.join("layer.tar"), dir.join("layer.tar.zst"));
    std::fs::copy(&layer.file, &gz)?;
    pipeline(&format!("gzip -dc {} > {}", sh_quote(&gz), sh_quote(&tar)))?;
    pipeline(&format!("zstd -3 -q -f {} -o {}", sh_quote(&tar), sh_quote(&zst)))?;
    let bytes = |p: &Path| std::fs::metadata(p).map(|m| m.len());
    Ok(KernelData {
        digest: layer.digest.clone(),
        diff_id: layer.diff_id.clone().ok_or_else(|| rig_err!("{} does not decompress", image.name))?,
        gzip_bytes: bytes(&gz)?,
        tar_bytes: bytes(&tar)?,
        zstd_bytes: bytes(&zst)?,
        dir,
    })
}

/// The native kernels' command line (release build) over `data`, for the harness to run once per
/// run with `--runs 1`, interleaved with the same kernels in wasm.
fn native_kernels(data: &KernelData) -> Result<Vec<String>> {
    cargo(&["build", "--quiet", "--release", "-p", "regsight-bench-kernels"])?;
    let binary = workspace_root().join("target/release/regsight-bench-kernels");
    let file = |name: &str| data.dir.join(name).display().to_string();
    Ok(vec![
        binary.display().to_string(),
        "--gzip".to_owned(),
        file("layer.gz"),
        "--tar".to_owned(),
        file("layer.tar"),
        "--zstd".to_owned(),
        file("layer.tar.zst"),
        "--digest".to_owned(),
        data.digest.clone(),
        "--diff-id".to_owned(),
        data.diff_id.clone(),
    ])
}

/// The kernels for the browser: wasm32 release with the workspace's +simd128, wasm-bindgen and
/// wasm-opt as the npm package's wasm gets; returns the folder of their JS glue and wasm.
fn build_wasm_kernels() -> Result<PathBuf> {
    cargo(&[
        "build",
        "--quiet",
        "--release",
        "-p",
        "regsight-bench-kernels",
        "--target",
        "wasm32-unknown-unknown",
    ])?;
    let wasm = workspace_root().join("target/wasm32-unknown-unknown/release/regsight_bench_kernels.wasm");
    let out = bench_dir().join("kernels-wasm");
    let bundled = pack::bindgen_web(&wasm, &out, "regsight_bench_kernels")?;
    pack::wasm_opt(&bundled)?;
    Ok(out)
}

/// The commit measured, with `-dirty` when the work tree has changes.
fn commit() -> Result<String> {
    let git = format!("git -C {}", sh_quote(workspace_root()));
    let head = pipeline(&format!("{git} rev-parse --short=12 HEAD"))?;
    let dirty = !pipeline(&format!("{git} status --porcelain --untracked-files=no"))?.trim().is_empty();
    Ok(format!("{}{}", head.trim(), if dirty { "-dirty" } else { "" }))
}

/// The machine's 1-minute load average (`/proc/loadavg`), as context for the figures.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}
