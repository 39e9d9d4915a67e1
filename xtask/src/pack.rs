//! `cargo xtask pack`: builds the npm package `regsight` into `pkg/`.
//!
//! The wasm is built in release mode with simd128 (see `.cargo/config.toml`), wasm-bindgen
//! (`--target web`) writes the JS glue and its types, wasm-opt shrinks the wasm (its size and
//! gzip size are printed), and `crates/regsight-wasm/js/` adds the entry points, the worker
//! script, `package.json`, the README and the CHANGELOG.

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
    // Size: binaryen's optimizer, with the wasm features rustc emits for this target.
    let bundled = pkg.join("regsight_bg.wasm");
    let before = std::fs::metadata(&bundled)?.len();
    run_status(
        Command::new("wasm-opt")
            .args(["-O3", "--enable-simd", "--enable-bulk-memory", "--enable-sign-ext"])
            .args(["--enable-mutable-globals", "--enable-nontrapping-float-to-int"])
            .args(["--enable-reference-types", "--enable-multivalue", "-o"])
            .arg(&bundled)
            .arg(&bundled),
    )?;
    let after = std::fs::metadata(&bundled)?.len();
    let gzipped =
        regsight_rig::cmd::byte_count_of(&format!("gzip -9c {}", regsight_rig::cmd::sh_quote(&bundled)))?;
    println!("wasm: {before} bytes, {after} after wasm-opt, {gzipped} gzipped");
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
