//! `cargo xtask`: the project's chores. Run `cargo xtask help`.

mod bench;
mod demo;
mod pack;
mod setup;
mod site;
mod wasm_check;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use regsight_rig::paths::{RigPaths, workspace_root};
use regsight_rig::services::{self, UpOptions};
use regsight_rig::{Result, RigInfo, fixtures, rig_err};

const HELP: &str = "\
cargo xtask <command>

  setup                 install what is missing (rustup target, Debian packages, pinned cargo tools, npm)
  demo [--port P]       build the page, start the demo rig, serve the page (default port 8080)
  test                  install what is missing and run every test (native, browser, end-to-end)
  check-demo            run the demo on ports 16000.. and check that Ctrl-C stops all it started
  pack                  build the npm package regsight into pkg/
  bench [--size-mib S] [--runs N] [--memory-mib M | --no-memory] [--no-page] [--smoke|--render]
                        measure regsight against the native pipeline and JS peers in headless
                        Chromium, its kernels wasm vs native, memory, long tasks and sizes, on the
                        rig `bench` (started or reused): S MiB images in 1 and 4 layers (default
                        300), medians of N runs (default 5), wasm memory over an M MiB layer
                        (default 1024); --no-page skips timing the page dist/. Writes BENCHMARKS.md,
                        docs/benchmarks.svg and target/bench/figures.json. --smoke: only the smoke
                        run `test` makes (tiny images, one run, every figure produced); --render:
                        only rewrite BENCHMARKS.md and its chart from target/bench/figures.json
  rig up|down|status [--name N] [--base-port P]
                        manage a rig of real registries with fixture images (default name: test)
  rig bench-image [--name N] [--size-mib S] [--layers L]
                        push a benchmark image (S MiB of real files, default 300, in L gzip layers,
                        default 1) unless the rig has it
  site --out DIR [--listen A:P] [--upstream NAME[=URL][,realm=ORIGIN]]... [--cache SIZE] ...
                        render a deployable site: the page, its nginx config and a registry gateway
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("demo") => demo::run(&args[1..]),
        Some("check-demo") => demo::check_ctrl_c(),
        Some("test") => test(),
        Some("pack") => pack::run().map(|_| ()),
        Some("bench") => bench::run(&args[1..]),
        Some("rig") => rig(&args[1..]),
        Some("site") => site::run(&args[1..]),
        Some("help") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(rig_err!("unknown command {other:?}\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The value following `--flag` in `args`, if any.
pub(crate) fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

/// The rig named by `--name` (default `default`) with its `--base-port`.
pub(crate) fn rig_paths(args: &[String], default: &str) -> Result<RigPaths> {
    let name = flag(args, "--name").unwrap_or(default);
    let base = match flag(args, "--base-port") {
        Some(p) => p.parse().map_err(|_| rig_err!("--base-port {p:?} is not a port"))?,
        None => RigPaths::default_base_port(name),
    };
    Ok(RigPaths::new(name, base))
}

fn rig(args: &[String]) -> Result<()> {
    let paths = rig_paths(args, "test")?;
    match args.first().map(String::as_str) {
        Some("up") => {
            let info = rig_up(&paths, Lifetime::Detached)?;
            println!("rig {:?} is up: {}", info.name, paths.info_file().display());
            println!("stop it with: cargo xtask rig down --name {}", info.name);
            Ok(())
        }
        Some("down") => services::stop(&paths),
        Some("bench-image") => {
            let size = number_flag(args, "--size-mib", 300)?;
            let layers = number_flag(args, "--layers", 1)?;
            let bench = push_bench_image(&paths, size, layers as usize)?;
            let bytes: u64 = bench.images[0].layers.iter().map(|l| l.size).sum();
            println!("pushed {}:{} ({bytes} bytes compressed)", bench.repositories[0], bench.tag);
            Ok(())
        }
        Some("status") => {
            println!("{}", services::status(&paths));
            Ok(())
        }
        _ => Err(rig_err!("usage: cargo xtask rig up|down|status [--name N] [--base-port P]")),
    }
}

/// The number following `--flag` in `args`, or `default`.
pub(crate) fn number_flag(args: &[String], name: &str, default: u64) -> Result<u64> {
    match flag(args, name) {
        Some(s) => s.parse().map_err(|_| rig_err!("{name} {s:?} is not a number")),
        None => Ok(default),
    }
}

/// Builds and pushes the benchmark image of `size_mib` MiB in `layers` layers to the rig's open
/// registry and records it in `rig.json`, unless it is there already.
pub(crate) fn push_bench_image(
    paths: &RigPaths,
    size_mib: u64,
    layers: usize,
) -> Result<regsight_rig::info::Fixture> {
    let mut info = RigInfo::load(&paths.info_file())?;
    let name = fixtures::bench_name(size_mib, layers);
    if let Some(pushed) = info.fixtures.iter().find(|f| f.name == name) {
        return Ok(pushed.clone());
    }
    println!("building and pushing the benchmark image {name}");
    let builder = fixtures::Builder::new(&paths.build(), &paths.storage(), &info.open.host);
    let bench = builder.bench(size_mib, layers)?;
    info.fixtures.push(bench.clone());
    info.save(&paths.info_file())?;
    Ok(bench)
}

/// Whether the rig's services outlive the command that starts them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifetime {
    /// In process groups of their own: they run until `rig down` (rig up, test).
    Detached,
    /// In the caller's process group: Ctrl-C in the terminal stops them with it (demo).
    WithCaller,
}

/// Builds the rig's servers, (re)starts the rig, pushes the fixtures, describes the evil registry
/// and writes `rig.json`.
pub(crate) fn rig_up(paths: &RigPaths, lifetime: Lifetime) -> Result<RigInfo> {
    let (tokend, evil) = build_tokend()?;
    services::stop(paths)?;
    if paths.root.exists() {
        std::fs::remove_dir_all(&paths.root)?;
    }
    println!("starting rig {:?} on ports {}..", paths.name, paths.base_port);
    services::start(paths, &UpOptions { tokend, evil, page: None, detach: lifetime == Lifetime::Detached })?;
    println!("building and pushing fixtures");
    let (open, token, basic, token_server) = services::registries(paths);
    let (redirecting, cdn) = services::redirecting(paths);
    let builder = fixtures::Builder::new(&paths.build(), &paths.storage(), &open.host);
    let fixtures = builder.build_all().inspect_err(|_| {
        let _ = services::stop(paths);
    })?;
    let info = RigInfo {
        name: paths.name.clone(),
        open,
        token,
        basic,
        redirecting,
        cdn,
        token_server,
        hub: services::hub(paths),
        pull_through: services::pull_through(paths),
        users: services::users(),
        fixtures,
        logs: paths.logs(),
        storage: paths.storage(),
        evil: Some(regsight_rig::evil::describe(paths).inspect_err(|_| {
            let _ = services::stop(paths);
        })?),
    };
    info.save(&paths.info_file())?;
    Ok(info)
}

/// Builds the rig's own servers: the token server and the evil registry.
fn build_tokend() -> Result<(PathBuf, PathBuf)> {
    cargo(&["build", "--quiet", "-p", "regsight-rig", "--bin", "regsight-tokend", "--bin", "regsight-evil"])?;
    let debug = workspace_root().join("target").join("debug");
    Ok((debug.join("regsight-tokend"), debug.join("regsight-evil")))
}

/// Runs cargo in the workspace root; a failure is an error.
fn cargo(args: &[&str]) -> Result<()> {
    run_status(Command::new(env!("CARGO")).args(args).current_dir(workspace_root()))
}

/// Runs a command with inherited output; a non-zero exit is an error.
fn run_status(command: &mut Command) -> Result<()> {
    // Named by program and arguments only: the environment may hold a whole rig description.
    let shown = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let status = command.status().map_err(|e| rig_err!("cannot run {shown}: {e}"))?;
    if status.success() { Ok(()) } else { Err(rig_err!("{shown} failed ({status})")) }
}

/// The npm package's files the page's Web Workers load: its one worker script, the glue it
/// imports and the wasm (the verifier alone, without the page).
pub(crate) const WORKER_FILES: [&str; 3] = ["worker.js", "regsight.js", "regsight_bg.wasm"];

/// Builds the page with trunk into `dist/` and copies the package's worker files from `pkg` next
/// to it (see [`pack::run`]).
pub(crate) fn build_page(pkg: &std::path::Path) -> Result<PathBuf> {
    run_status(
        Command::new("trunk").args(["build", "--release", "--offline"]).current_dir(workspace_root()),
    )?;
    let dist = workspace_root().join("dist");
    for name in WORKER_FILES {
        std::fs::copy(pkg.join(name), dist.join(name))
            .map_err(|e| rig_err!("cannot copy {name} of the npm package into the page: {e}"))?;
    }
    Ok(dist)
}

/// Packs the npm package, then builds the page with its workers.
pub(crate) fn pack_and_build_page() -> Result<PathBuf> {
    build_page(&pack::run()?)
}

/// Runs regsight-wasm's tests in headless Chromium (wasm-bindgen-test-runner + chromedriver), with
/// the rig description compiled in.
fn wasm_browser_tests(info: &std::path::Path) -> Result<()> {
    run_status(
        Command::new(env!("CARGO"))
            .args(["test", "-p", "regsight-wasm", "--target", "wasm32-unknown-unknown"])
            .env("REGSIGHT_RIG_JSON_FILE", info)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
            .current_dir(workspace_root()),
    )
}

/// One named step of the test run and its outcome.
struct Step {
    name: &'static str,
    result: Result<()>,
}

fn test() -> Result<()> {
    setup::run()?;
    let paths = RigPaths::new("test", RigPaths::default_base_port("test"));
    let mut steps = Vec::new();
    let up = rig_up(&paths, Lifetime::Detached);
    steps.push(Step { name: "rig up", result: up.as_ref().map(|_| ()).map_err(|e| rig_err!("{e}")) });
    if let Ok(rig) = &up {
        let info = paths.info_file();
        steps.push(Step {
            name: "native tests (cargo test --workspace)",
            result: run_status(
                Command::new(env!("CARGO"))
                    .args(["test", "--workspace", "--exclude", "regsight-wasm"])
                    .env(regsight_rig::info::RIG_ENV, &info)
                    .current_dir(workspace_root()),
            ),
        });
        steps.push(Step {
            name: "core builds for wasm32 and imports nothing from env",
            result: wasm_check::check_core_wasm(),
        });
        steps.push(Step {
            name: "wasm tests in headless Chromium (wasm-bindgen-test)",
            result: wasm_browser_tests(&info),
        });
        let pkg = pack::run();
        let pkg_dir = pkg.as_ref().ok().cloned();
        steps.push(Step { name: "pack the npm package (cargo xtask pack)", result: pkg.map(|_| ()) });
        let site_port = paths.port(regsight_rig::paths::port::SITE);
        // The test site also serves the open registry anonymously through its gateway, with the
        // cache on, so the end-to-end tests see content-addressed answers cached.
        let extra = [
            "--upstream".to_owned(),
            format!("{}={}", rig.open.host, rig.open.url),
            "--cache".to_owned(),
            "256m".to_owned(),
        ];
        let site = pkg_dir
            .ok_or_else(|| rig_err!("the page needs the npm package's worker, which did not pack"))
            .and_then(|pkg| build_page(&pkg))
            .and_then(|dist| demo::render_site(&paths, rig, &dist, site_port, &extra));
        let site_dir = site.as_ref().map(|dir| dir.display().to_string()).unwrap_or_default();
        steps.push(Step {
            name: "build the page and render it as a site (trunk build, xtask site)",
            result: site.map(|_| ()),
        });
        steps.push(Step {
            name: "browser end-to-end tests (node --test, headless Chromium)",
            result: run_status(
                Command::new("node")
                    .args(["--test", "--test-reporter=spec"])
                    .env(regsight_rig::info::RIG_ENV, &info)
                    .env("REGSIGHT_SITE", &site_dir)
                    .env("REGSIGHT_SITE_URL", format!("http://127.0.0.1:{site_port}"))
                    .current_dir(workspace_root().join("tests").join("e2e")),
            ),
        });
        steps.push(Step {
            name: "bench harness smoke run (tiny images, one run: every figure produced)",
            result: bench::smoke(&paths, &workspace_root().join("dist")),
        });
        steps.push(Step {
            name: "the demo stops everything it started on Ctrl-C",
            result: demo::check_ctrl_c(),
        });
    }
    if let Err(e) = services::stop(&paths) {
        steps.push(Step { name: "rig down", result: Err(e) });
    }
    println!("\n== cargo xtask test summary ==");
    let mut failed = 0;
    for step in &steps {
        match &step.result {
            Ok(()) => println!("ok     {}", step.name),
            Err(e) => {
                failed += 1;
                println!("FAILED {}: {e}", step.name);
            }
        }
    }
    println!("xtask: {} passed, {failed} failed", steps.len() - failed);
    if failed > 0 {
        println!("logs of the rig's services: {}", paths.logs().display());
        return Err(rig_err!("{failed} of {} steps failed", steps.len()));
    }
    Ok(())
}
