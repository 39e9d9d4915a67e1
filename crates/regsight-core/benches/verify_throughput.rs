//! Verifier throughput in MB/s for plain, gzip and zstd layers, plus the kernels it is made of.
//!
//! Natively: `cargo bench -p regsight-core --bench verify_throughput`.
//! In wasm (Node 20's WASI): the crate's dev-dependencies (proptest's process forking) do not
//! build for `wasm32-wasip1`, so compile this file as the `[[bin]]` of a throwaway crate outside
//! the workspace (dependencies: `regsight-core` by path, `flate2` with `zlib-rs`, `ruzstd`,
//! `crc32fast`; an empty `[workspace]` table), with
//! `RUSTFLAGS="-C target-feature=+simd128" cargo build --release --target wasm32-wasip1`, and run
//! `node crates/regsight-core/benches/wasi-run.mjs <that>.wasm`.
//! Set `REGSIGHT_BENCH_MB` to change the layer size (default 64 MiB of tar).
//!
//! The layer is synthetic but tar-like: text made of a small vocabulary (compresses ~4x) mixed
//! with incompressible runs, so that inflate, SHA-256 and the tar walk all do real work.

use std::io::Write;
use std::time::{Duration, Instant};

use regsight_core::verify::{LayerVerifier, ListingOptions, VerifyOptions};
use regsight_core::{Digest, Hasher, MediaType};

/// Fetch-sized chunks, as the browser hands them to the verifier.
const CHUNK: usize = 64 * 1024;

fn main() {
    let mb: usize = std::env::var("REGSIGHT_BENCH_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(64);
    let tar = synthetic_tar(mb << 20);
    let gz = {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        enc.write_all(&tar).expect("gzip");
        enc.finish().expect("gzip")
    };
    let zst = ruzstd::encoding::compress_to_vec(&tar[..], ruzstd::encoding::CompressionLevel::Fastest);
    println!(
        "layer: {} MiB tar; gzip -6 {:.1} MiB (ratio {:.2}); zstd {:.1} MiB (ratio {:.2})",
        tar.len() >> 20,
        mib(gz.len()),
        tar.len() as f64 / gz.len() as f64,
        mib(zst.len()),
        tar.len() as f64 / zst.len() as f64
    );
    println!("{:<28} {:>12} {:>12}", "case", "in MB/s", "out MB/s");
    let diff_id = Digest::sha256_of(&tar);
    for (name, media_type, blob) in [
        ("plain tar", MediaType::OciLayerTar, &tar),
        ("gzip", MediaType::OciLayerGzip, &gz),
        ("zstd", MediaType::OciLayerZstd, &zst),
    ] {
        let digest = Digest::sha256_of(blob);
        for listing in [false, true] {
            let options =
                VerifyOptions { listing: listing.then(ListingOptions::default), ..VerifyOptions::default() };
            let time = best_of(3, || {
                let mut v = LayerVerifier::new(
                    &media_type,
                    digest.clone(),
                    blob.len() as u64,
                    Some(diff_id.clone()),
                    options,
                )
                .expect("layer type");
                for chunk in blob.chunks(CHUNK) {
                    v.update(chunk).expect("valid layer");
                }
                assert!(v.finish().verified);
            });
            let label = if listing { format!("{name} + listing") } else { name.to_owned() };
            report(&label, blob.len(), tar.len(), time);
        }
    }
    // The kernels alone, for the split.
    let time = best_of(3, || {
        let mut h = Hasher::new(regsight_core::Algorithm::Sha256);
        for chunk in tar.chunks(CHUNK) {
            h.update(chunk);
        }
        let _ = h.finalize();
    });
    report("kernel: sha256", tar.len(), tar.len(), time);
    let time = best_of(3, || {
        let mut h = crc32fast::Hasher::new();
        h.update(&tar);
        let _ = h.finalize();
    });
    report("kernel: crc32", tar.len(), tar.len(), time);
    let time = best_of(3, || {
        let mut d = flate2::Decompress::new(false);
        let mut out = vec![0u8; CHUNK];
        let mut input = &gz[10..gz.len() - 8];
        loop {
            let before = d.total_in();
            let status = d.decompress(input, &mut out, flate2::FlushDecompress::None).expect("inflate");
            input = &input[(d.total_in() - before) as usize..];
            if status == flate2::Status::StreamEnd {
                break;
            }
        }
    });
    report("kernel: inflate (zlib-rs)", gz.len(), tar.len(), time);
}

fn mib(n: usize) -> f64 {
    n as f64 / f64::from(1 << 20)
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn report(label: &str, input: usize, output: usize, time: Duration) {
    let secs = time.as_secs_f64().max(1e-9);
    println!("{label:<28} {:>12.0} {:>12.0}", input as f64 / 1e6 / secs, output as f64 / 1e6 / secs);
}

/// A tar of files whose contents mix vocabulary text and incompressible bytes.
fn synthetic_tar(size: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "layer",
        "digest",
        "registry",
        "manifest",
        "config",
        "sha256",
        "usr",
        "lib",
        "bin",
        "share",
        "doc",
        "locale",
        "python3",
        "site-packages",
        "__init__",
        "import",
        "return",
        "def",
        "class",
        "self",
        "0x7f",
        "ELF",
        "x86_64",
        "linux",
        "gnu",
        "so",
        "include",
        "static",
        "const",
        "int",
        "void",
    ];
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut tar = Vec::with_capacity(size + (1 << 20));
    let mut n = 0;
    while tar.len() < size {
        let len = (next() % (256 << 10)) as usize + 1;
        let mut data = Vec::with_capacity(len);
        let random = next() % 4 == 0;
        while data.len() < len {
            if random {
                data.extend_from_slice(&next().to_le_bytes());
            } else {
                data.extend_from_slice(WORDS[(next() % WORDS.len() as u64) as usize].as_bytes());
                data.push(if next() % 8 == 0 { b'\n' } else { b' ' });
            }
        }
        data.truncate(len);
        tar.extend_from_slice(&tar_header(&format!("usr/lib/file{n}"), len));
        tar.extend_from_slice(&data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
        n += 1;
    }
    tar.extend_from_slice(&[0; 1024]);
    tar
}

/// A ustar header for a regular file.
fn tar_header(name: &str, size: usize) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"14553411000");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}
