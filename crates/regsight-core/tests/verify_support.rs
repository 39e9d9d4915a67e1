//! Helpers shared by the `verify_*` tests (included with `#[path]`); it has no tests of its own.
//!
//! Expected values come from independent tools (`tar`, `gzip -n`, `zstd`, `sha256sum`) run as
//! processes, so no code of ours produces the answers it is checked against.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use regsight_core::verify::{BlobStage, LayerReport, LayerVerifier, TarHalf, TarStage, VerifyOptions};
use regsight_core::{Digest, DigestVerifier, MediaType};

/// Runs `program args` with `stdin`, returning stdout; panics (failing the test) on failure.
pub fn run(program: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("join").expect("write stdin");
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// SHA-256 of `bytes` as computed by coreutils `sha256sum`.
pub fn sha256sum(bytes: &[u8]) -> Digest {
    let out = String::from_utf8(run("sha256sum", &[], bytes)).expect("utf8");
    let hex = out.split_whitespace().next().expect("hex");
    format!("sha256:{hex}").parse().expect("digest")
}

/// `gzip -n` of `bytes` (one member).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    run("gzip", &["-n", "-c"], bytes)
}

/// `zstd` of `bytes`, with extra CLI arguments (e.g. a level).
pub fn zstd(bytes: &[u8], args: &[&str]) -> Vec<u8> {
    let mut all = vec!["-q", "-c"];
    all.extend_from_slice(args);
    run("zstd", &all, bytes)
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("regsight-{label}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A reproducible tar of `dir` made by GNU tar in `format` (`gnu`, `pax`, `ustar`).
pub fn tar_of(dir: &Path, format: &str) -> Vec<u8> {
    let dir = dir.to_str().expect("utf8 path");
    let format = format!("--format={format}");
    run(
        "tar",
        &[
            &format,
            "--sort=name",
            "--mtime=@1700000000",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-C",
            dir,
            "-cf",
            "-",
            ".",
        ],
        b"",
    )
}

/// A small layer tree: a few files of different sizes, a directory and a symlink.
pub fn sample_tar() -> Vec<u8> {
    let dir = temp_dir("sample");
    std::fs::create_dir_all(dir.join("etc")).expect("mkdir");
    std::fs::write(dir.join("etc/hostname"), b"regsight\n").expect("write");
    let big: Vec<u8> =
        (0..300_000u32).flat_map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()).collect();
    std::fs::write(dir.join("etc/big.bin"), &big).expect("write");
    std::fs::write(dir.join("zeros"), vec![0u8; 200_000]).expect("write");
    std::os::unix::fs::symlink("etc/hostname", dir.join("link")).expect("symlink");
    let tar = tar_of(&dir, "gnu");
    let _ = std::fs::remove_dir_all(&dir);
    tar
}

/// Feeds `blob` to a fresh verifier in chunks of `chunk` bytes and returns the report.
pub fn verify_chunked(
    media_type: &MediaType,
    blob: &[u8],
    digest: &Digest,
    size: u64,
    diff_id: Option<&Digest>,
    options: VerifyOptions,
    chunk: usize,
) -> LayerReport {
    let pieces: Vec<&[u8]> = blob.chunks(chunk.max(1)).collect();
    verify_in_place(media_type, digest, size, diff_id, options, &pieces)
}

/// Verifies `blob` whole against its own digest, size and the given diff_id.
pub fn verify_whole(
    media_type: &MediaType,
    blob: &[u8],
    diff_id: Option<&Digest>,
    options: VerifyOptions,
) -> LayerReport {
    let digest = sha256sum(blob);
    verify_chunked(media_type, blob, &digest, blob.len() as u64, diff_id, options, blob.len())
}

/// `blob` cut into pieces of `sizes` bytes, cycled (a 0 is an empty piece); `sizes` must hold a
/// non-zero size.
pub fn cut<'a>(blob: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = blob;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*size).min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// Verifies `pieces` in place: one [`LayerVerifier`], stopping when it says the stream must stop.
pub fn verify_in_place(
    media_type: &MediaType,
    digest: &Digest,
    size: u64,
    diff_id: Option<&Digest>,
    options: VerifyOptions,
    pieces: &[&[u8]],
) -> LayerReport {
    let mut v = LayerVerifier::new(media_type, digest.clone(), size, diff_id.cloned(), options)
        .expect("supported media type");
    for piece in pieces {
        if v.update(piece).is_err() {
            break;
        }
    }
    v.finish()
}

/// Verifies `pieces` with the verifier's two stages apart, as two Web Workers run them: stage B
/// on another thread behind a bounded queue of owned chunks, hashing the blob there too (stage A
/// [`BlobStage::hashed_elsewhere`]), its half and the blob digest crossing back as JSON.
pub fn verify_split(
    media_type: &MediaType,
    digest: &Digest,
    size: u64,
    diff_id: Option<&Digest>,
    options: VerifyOptions,
    pieces: &[&[u8]],
) -> LayerReport {
    /// What crosses to stage B's thread: compressed bytes (for the blob digest) or decompressed ones.
    enum Bytes {
        Blob(Vec<u8>),
        Tar(Vec<u8>),
    }
    let mut blob = BlobStage::new(media_type, digest.clone(), size, &options)
        .expect("supported media type")
        .hashed_elsewhere();
    let (to_b, from_a) = std::sync::mpsc::sync_channel::<Bytes>(4);
    let mut tar = TarStage::new(diff_id.cloned(), options.listing);
    let mut blob_digest = DigestVerifier::new(Some(digest.clone()));
    let b = std::thread::spawn(move || {
        for bytes in from_a {
            match bytes {
                Bytes::Blob(bytes) => blob_digest.update(&bytes),
                Bytes::Tar(bytes) => tar.update(&bytes),
            }
        }
        let half = serde_json::to_string(&tar.finish()).expect("a tar half serializes");
        (half, blob_digest.finish().computed.to_string())
    });
    for piece in pieces {
        let sent =
            blob.update(piece, &mut |bytes| to_b.send(Bytes::Tar(bytes.to_vec())).expect("stage B is alive"));
        if sent.is_err() {
            break;
        }
        to_b.send(Bytes::Blob(piece.to_vec())).expect("stage B is alive");
    }
    drop(to_b);
    let (half, computed) = b.join().expect("stage B does not panic");
    let tar: TarHalf = serde_json::from_str(&half).expect("a tar half deserializes");
    let blob = blob.finish_with_digest(computed.parse().expect("a digest parses"));
    assert_eq!(blob.uncompressed_size(), tar.uncompressed_size(), "stage B got every byte stage A passed");
    LayerReport::assemble(blob, tar)
}
