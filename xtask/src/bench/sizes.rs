//! The benchmark's sizes, with `gzip -9` (what a static host serves compressed): the page's
//! first load (the files `index.html` references), what the page adds on its first verification
//! (the npm package's worker, glue and wasm), and the npm package's wasm.

use std::path::{Path, PathBuf};

use regsight_rig::cmd::{byte_count_of, sh_quote};
use regsight_rig::paths::workspace_root;
use regsight_rig::{Result, rig_err};
use serde::Serialize;

use crate::WORKER_FILES;

/// The most the page's first load may weigh, gzipped (issue #10).
pub const FIRST_LOAD_BUDGET: u64 = 400_000;

/// One file's size as stored and as served gzipped.
#[derive(Debug, Serialize)]
pub struct FileSize {
    file: String,
    /// Bytes as stored.
    pub bytes: u64,
    /// Bytes through `gzip -9`.
    pub gzip: u64,
}

/// A group of files loaded together.
#[derive(Debug, Serialize)]
pub struct Load {
    files: Vec<FileSize>,
    /// Bytes as stored.
    pub bytes: u64,
    /// Bytes through `gzip -9`.
    pub gzip: u64,
}

/// Every size figure.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sizes {
    /// The files `index.html` loads.
    pub page_first_load: Load,
    /// The npm package's files the page's first verification adds (its workers).
    pub page_first_verification: Load,
    /// The npm package's wasm.
    pub package_wasm: FileSize,
}

/// Measures the page in `dist` and the npm package in `pkg/`, and prints the sizes.
pub fn measure(dist: &Path) -> Result<Sizes> {
    let pkg = workspace_root().join("pkg");
    let sizes = Sizes {
        page_first_load: load(dist, &first_load_files(dist)?)?,
        page_first_verification: load(dist, &WORKER_FILES.map(String::from))?,
        package_wasm: size(&pkg, "regsight_bg.wasm")?,
    };
    print_sizes(&sizes);
    if sizes.page_first_load.gzip > FIRST_LOAD_BUDGET {
        println!(
            "NOTE: the page's first load ({} bytes gzipped) is over its budget of {FIRST_LOAD_BUDGET}",
            sizes.page_first_load.gzip
        );
    }
    Ok(sizes)
}

/// `index.html` and every file it references (`href`/`src` and the module script's imports).
fn first_load_files(dist: &Path) -> Result<Vec<String>> {
    let html = std::fs::read_to_string(dist.join("index.html"))?;
    let mut files = vec!["index.html".to_owned()];
    for quote in ['"', '\''] {
        for piece in html.split(quote).skip(1).step_by(2) {
            let name = piece.trim_start_matches("./").trim_start_matches('/');
            let local = !name.is_empty() && !name.contains(':') && !name.contains(' ');
            if local && dist.join(name).is_file() && !files.iter().any(|f| f == name) {
                files.push(name.to_owned());
            }
        }
    }
    if !files.iter().any(|f| f.ends_with(".wasm")) {
        return Err(rig_err!("{} references no .wasm file: is it the page trunk built?", dist.display()));
    }
    Ok(files)
}

fn load(dir: &Path, names: &[String]) -> Result<Load> {
    let files = names.iter().map(|name| size(dir, name)).collect::<Result<Vec<_>>>()?;
    Ok(Load { bytes: files.iter().map(|f| f.bytes).sum(), gzip: files.iter().map(|f| f.gzip).sum(), files })
}

fn size(dir: &Path, name: &str) -> Result<FileSize> {
    let path: PathBuf = dir.join(name);
    let bytes = std::fs::metadata(&path).map_err(|e| rig_err!("{}: {e}", path.display()))?.len();
    let gzip = byte_count_of(&format!("gzip -9c {}", sh_quote(&path)))?;
    Ok(FileSize { file: name.to_owned(), bytes, gzip })
}

fn print_sizes(sizes: &Sizes) {
    println!("\n== sizes (gzip -9, as a static host serves them) ==");
    for (what, load) in [
        ("page, first load", &sizes.page_first_load),
        ("page, added by the first verification (workers)", &sizes.page_first_verification),
    ] {
        println!("{what}: {} bytes, {} gzipped", load.bytes, load.gzip);
        for f in &load.files {
            println!("  {:<24} {:>9} {:>9}", f.file, f.bytes, f.gzip);
        }
    }
    let wasm = &sizes.package_wasm;
    println!("npm package wasm (after wasm-opt): {} bytes, {} gzipped", wasm.bytes, wasm.gzip);
}
