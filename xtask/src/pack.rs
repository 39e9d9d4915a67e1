//! `cargo xtask pack`: builds the npm package `regsight` into `pkg/`.
//!
//! The wasm is built in release mode with simd128 (see `.cargo/config.toml`), wasm-bindgen
//! (`--target web`) writes the JS glue and its types, wasm-opt shrinks the wasm (its size and
//! gzip size are printed), and `crates/regsight-wasm/js/` adds the entry points, the worker
//! script, `package.json`, the README and the CHANGELOG.

use std::path::{Path, PathBuf};
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
    let bundled = bindgen_web(&wasm, &pkg, "regsight")?;
    let before = std::fs::metadata(&bundled)?.len();
    wasm_opt(&bundled)?;
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

/// wasm-bindgen `--target web` of `wasm` into `out` as `<name>.js`; returns the `<name>_bg.wasm` it wrote.
pub fn bindgen_web(wasm: &Path, out: &Path, name: &str) -> Result<PathBuf> {
    run_status(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--out-name", name, "--out-dir"])
            .arg(out)
            .arg(wasm),
    )?;
    Ok(out.join(format!("{name}_bg.wasm")))
}

/// binaryen's optimizer in place (`-O3`), with the wasm features rustc emits for this target.
pub fn wasm_opt(wasm: &Path) -> Result<()> {
    run_status(
        Command::new("wasm-opt")
            .args(["-O3", "--enable-simd", "--enable-bulk-memory", "--enable-sign-ext"])
            .args(["--enable-mutable-globals", "--enable-nontrapping-float-to-int"])
            .args(["--enable-reference-types", "--enable-multivalue", "-o"])
            .arg(wasm)
            .arg(wasm),
    )
}
