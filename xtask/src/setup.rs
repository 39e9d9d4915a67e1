//! `cargo xtask setup`: installs whatever the build and the tests need and is missing.
//!
//! Installs only from package registries (rustup's target, Debian packages, crates.io, npm) and
//! skips anything already present at the right version. Needs root for `apt-get`; otherwise it
//! prints the exact command to run and fails.

use std::path::Path;
use std::process::Command;

use regsight_rig::cmd::on_path;
use regsight_rig::paths::workspace_root;
use regsight_rig::{Result, rig_err};

use crate::run_status;

/// trunk 0.22 needs a newer rustc than the one we build with; 0.21.14 works.
const TRUNK_VERSION: &str = "0.21.14";

/// The `wasm-opt` crate builds binaryen 116 from source (Debian's binaryen 108 mangles the
/// externref table wasm-bindgen 0.2.130 emits); its binary reports binaryen's version.
const WASM_OPT_VERSION: &str = "0.116.1";
/// What `wasm-opt --version` prints for [`WASM_OPT_VERSION`].
const WASM_OPT_REPORTS: &str = "116";

/// Debian packages and the command each provides.
const APT: &[(&str, &str)] = &[
    ("docker-registry", "docker-registry"),
    ("nginx", "nginx"),
    ("skopeo", "skopeo"),
    ("umoci", "umoci"),
    ("chromium", "chromium"),
    ("chromium-driver", "chromedriver"),
    ("apache2-utils", "htpasswd"),
    ("zstd", "zstd"),
    ("curl", "curl"),
    ("openssl", "openssl"),
];

/// Installs everything that is missing.
pub fn run() -> Result<()> {
    rustup_target()?;
    apt_packages()?;
    let bindgen = lockfile_version("wasm-bindgen")?;
    cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &bindgen, &bindgen, false)?;
    cargo_tool("trunk", "trunk", TRUNK_VERSION, TRUNK_VERSION, true)?;
    cargo_tool("wasm-opt", "wasm-opt", WASM_OPT_VERSION, WASM_OPT_REPORTS, true)?;
    npm_ci(&workspace_root().join("tests").join("e2e"))?;
    npm_ci(&workspace_root().join("tests").join("bench"))?;
    Ok(())
}

fn rustup_target() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    let has = installed
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l == "wasm32-unknown-unknown"))
        .unwrap_or(false);
    if !has {
        println!("setup: rustup target add wasm32-unknown-unknown");
        run_status(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

fn apt_packages() -> Result<()> {
    let missing: Vec<&str> = APT.iter().filter(|(_, bin)| !on_path(bin)).map(|(pkg, _)| *pkg).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    let uid = Command::new("id").arg("-u").output().map(|o| o.stdout).unwrap_or_default();
    if String::from_utf8_lossy(&uid).trim() != "0" {
        return Err(rig_err!(
            "missing Debian packages; run as root:\n  apt-get update && apt-get install -y {list}"
        ));
    }
    println!("setup: apt-get install {list}");
    run_status(Command::new("apt-get").args(["update", "-q"]))?;
    run_status(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// The version of `package` recorded in Cargo.lock.
fn lockfile_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock"))?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .map(|i| i + needle.len())
        .ok_or_else(|| rig_err!("Cargo.lock has no {package}"))?;
    let end = lock[start..].find('"').ok_or_else(|| rig_err!("Cargo.lock is malformed"))?;
    Ok(lock[start..start + end].to_owned())
}

/// `cargo install <krate> --version <version>` unless `<bin> --version` already reports
/// `reports` as one of its words.
fn cargo_tool(bin: &str, krate: &str, version: &str, reports: &str, locked: bool) -> Result<()> {
    let current = Command::new(bin).arg("--version").output();
    if let Ok(out) = current
        && String::from_utf8_lossy(&out.stdout).split_whitespace().any(|w| w == reports)
    {
        return Ok(());
    }
    println!("setup: cargo install {krate} --version {version} (takes several minutes, once)");
    let mut install = Command::new(env!("CARGO"));
    install.args(["install", krate, "--version", version]);
    // wasm-bindgen-cli is installed without --locked: the crate index here can lag its lockfile.
    if locked {
        install.arg("--locked");
    }
    run_status(&mut install)
}

/// `npm ci` when `node_modules` is missing or older than the lockfile.
fn npm_ci(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let modules = dir.join("node_modules").join(".package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&modules).is_some() && modified(&modules) >= modified(&lock) {
        return Ok(());
    }
    println!("setup: npm ci in {}", dir.display());
    run_status(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir))
}
