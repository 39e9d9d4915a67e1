//! `cargo xtask pack`: builds the npm package `regsight` into `pkg/`.
//!
//! The wasm is built in release mode with simd128 (see `.cargo/config.toml`), wasm-bindgen
//! (`--target web`) writes the JS glue and its types, and `crates/regsight-wasm/js/` adds the
//! entry point, the worker script, `package.json` and the README.

use std::path::PathBuf;
use std::process::Command;

use regsight_rig::paths::workspace_root;
use regsight_rig::{Result, rig_err};

use crate::{cargo, run_status};

/// Builds `pkg/` and returns its path.
pub fn run() -> Result<PathBuf> {
    let root = workspace_root();
    cargo(&["build", "--quiet", "--release", "-p", "regsight-wasm", "--target", "wasm32-unknown-unknown"])?;
    let pkg = root.join("pkg");
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg)?;
    }
    let wasm = root.join("target/wasm32-unknown-unknown/release/regsight_wasm.wasm");
    run_status(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--out-name", "regsight", "--out-dir"])
            .arg(&pkg)
            .arg(&wasm),
    )?;
    let sources = root.join("crates/regsight-wasm/js");
    for entry in std::fs::read_dir(&sources)? {
        let path = entry?.path();
        let name = path.file_name().ok_or_else(|| rig_err!("odd path {}", path.display()))?;
        let text = std::fs::read_to_string(&path)?;
        std::fs::write(pkg.join(name), text.replace("@VERSION@", env!("CARGO_PKG_VERSION")))?;
    }
    println!("packed {}", pkg.display());
    Ok(pkg)
}
