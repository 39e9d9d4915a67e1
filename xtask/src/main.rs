//! `cargo xtask`: the project's chores. Run `cargo xtask help`.

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
  pack                  build the npm package regsight into pkg/
  rig up|down|status [--name N] [--base-port P]
                        manage a rig of real registries with fixture images (default name: test)
  rig bench-image [--name N] [--size-mib S]
                        push the benchmark image (one layer of S MiB of real files, default 300)
  site --out DIR [--listen A:P] [--upstream NAME[=URL][,realm=ORIGIN]]... [--cache SIZE] ...
                        render a deployable site: the page, its nginx config and a registry gateway
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("pack") => pack::run().map(|_| ()),
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
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

/// The rig named by `--name` (default `default`) with its `--base-port`.
fn rig_paths(args: &[String], default: &str) -> Result<RigPaths> {
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
            let info = rig_up(&paths, None)?;
            println!("rig {:?} is up: {}", info.name, paths.info_file().display());
            println!("stop it with: cargo xtask rig down --name {}", info.name);
            Ok(())
        }
        Some("down") => services::stop(&paths),
        Some("bench-image") => {
            let size: u64 = match flag(args, "--size-mib") {
                Some(s) => s.parse().map_err(|_| rig_err!("--size-mib {s:?} is not a number"))?,
                None => 300,
            };
            let mut info = RigInfo::load(&paths.info_file())?;
            let builder = fixtures::Builder::new(&paths.build(), &paths.storage(), &info.open.host);
            let bench = builder.bench(size)?;
            println!(
                "pushed {}:{} ({} bytes compressed)",
                bench.repositories[0], bench.tag, bench.images[0].layers[0].size
            );
            info.fixtures.retain(|f| f.name != bench.name);
            info.fixtures.push(bench);
            info.save(&paths.info_file())
        }
        Some("status") => {
            println!("{}", services::status(&paths));
            Ok(())
        }
        _ => Err(rig_err!("usage: cargo xtask rig up|down|status [--name N] [--base-port P]")),
    }
}

/// Builds the token server, (re)starts the rig detached, pushes the fixtures and writes `rig.json`.
fn rig_up(paths: &RigPaths, page: Option<(PathBuf, u16)>) -> Result<RigInfo> {
    let tokend = build_tokend()?;
    services::stop(paths)?;
    if paths.root.exists() {
        std::fs::remove_dir_all(&paths.root)?;
    }
    println!("starting rig {:?} on ports {}..", paths.name, paths.base_port);
    services::start(paths, &UpOptions { tokend, page, detach: true })?;
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
    };
    info.save(&paths.info_file())?;
    Ok(info)
}

fn build_tokend() -> Result<PathBuf> {
    cargo(&["build", "--quiet", "-p", "regsight-rig", "--bin", "regsight-tokend"])?;
    Ok(workspace_root().join("target").join("debug").join("regsight-tokend"))
}

/// Runs cargo in the workspace root; a failure is an error.
fn cargo(args: &[&str]) -> Result<()> {
    run_status(Command::new(env!("CARGO")).args(args).current_dir(workspace_root()))
}

/// Runs a command with inherited output; a non-zero exit is an error.
fn run_status(command: &mut Command) -> Result<()> {
    let status = command.status().map_err(|e| rig_err!("cannot run {command:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(rig_err!("{command:?} failed ({status})")) }
}

fn demo(args: &[String]) -> Result<()> {
    setup::run()?;
    let port: u16 = match flag(args, "--port") {
        Some(p) => p.parse().map_err(|_| rig_err!("--port {p:?} is not a port"))?,
        None => 8080,
    };
    let dist = build_page()?;
    let paths = rig_paths(args, "demo")?;
    let info = rig_up(&paths, Some((dist, port)))?;
    let fixture = info.fixture("docker-v2")?;
    println!();
    println!(
        "regsight demo: http://127.0.0.1:{port}/?image={}/{}:{}",
        info.open.host, fixture.repositories[0], fixture.tag
    );
    println!("registries: open {} | token {} | basic {}", info.open.url, info.token.url, info.basic.url);
    println!("rig description: {}", paths.info_file().display());
    println!("stop with Ctrl-C (or `cargo xtask rig down --name {}`)", paths.name);
    let guard = StopOnDrop(paths.clone());
    wait_forever(&paths);
    drop(guard);
    Ok(())
}

/// Stops a rig when dropped, so the demo cleans up when it returns.
struct StopOnDrop(RigPaths);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = services::stop(&self.0);
    }
}

/// Blocks while the rig's services run (the demo ends with Ctrl-C or `rig down`).
fn wait_forever(paths: &RigPaths) {
    while paths.pids_file().exists() {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Builds the page with trunk into `dist/`.
pub(crate) fn build_page() -> Result<PathBuf> {
    run_status(
        Command::new("trunk").args(["build", "--release", "--offline"]).current_dir(workspace_root()),
    )?;
    Ok(workspace_root().join("dist"))
}

/// Runs regsight-wasm's tests in headless Chromium (wasm-bindgen-test-runner + chromedriver), with
/// the rig description compiled in.
fn wasm_browser_tests(info: &std::path::Path) -> Result<()> {
    let rig_json = std::fs::read_to_string(info)?;
    run_status(
        Command::new(env!("CARGO"))
            .args(["test", "-p", "regsight-wasm", "--target", "wasm32-unknown-unknown"])
            .env("REGSIGHT_RIG_JSON", rig_json)
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
    let up = rig_up(&paths, None).map(|_| ());
    let rig_ok = up.is_ok();
    steps.push(Step { name: "rig up", result: up });
    if rig_ok {
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
        steps.push(Step { name: "pack the npm package (cargo xtask pack)", result: pack::run().map(|_| ()) });
        steps.push(Step { name: "build the page (trunk build)", result: build_page().map(|_| ()) });
        steps.push(Step {
            name: "browser end-to-end tests (node --test, headless Chromium)",
            result: run_status(
                Command::new("node")
                    .args(["--test", "--test-reporter=spec"])
                    .env(regsight_rig::info::RIG_ENV, &info)
                    .current_dir(workspace_root().join("tests").join("e2e")),
            ),
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
