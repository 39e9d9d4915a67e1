//! The layer verifier: compressed chunks in, a [`LayerReport`] out.

use serde::{Deserialize, Serialize};

use super::blob::BlobStage;
use super::error::VerifyError;
use super::report::LayerReport;
use super::tar::ListingOptions;
use super::tar_stage::TarStage;
use crate::{Digest, MediaType};

/// Limits and switches for a [`LayerVerifier`]; the defaults are explained in `NOTES.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VerifyOptions {
    /// Cap on the uncompressed size, in bytes (default 32 GiB).
    pub max_uncompressed_size: u64,
    /// Cap on uncompressed size / declared compressed size (default 100).
    pub max_ratio: u64,
    /// The ratio cap is applied to at least this many bytes, so tiny layers may still hold a
    /// few megabytes of zeros (default 1 MiB).
    pub ratio_floor: u64,
    /// Largest zstd window (decoder memory) accepted, in bytes (default 128 MiB, zstd's own).
    pub max_zstd_window: u64,
    /// Size of the one decompression output buffer, in bytes (default 64 KiB, at least 1 KiB).
    pub output_buffer_size: usize,
    /// List the tar entries with these limits; `None` (the default) lists nothing.
    pub listing: Option<ListingOptions>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            max_uncompressed_size: 32 << 30,
            max_ratio: 100,
            ratio_floor: 1 << 20,
            max_zstd_window: 128 << 20,
            output_buffer_size: 64 << 10,
            listing: None,
        }
    }
}

/// How far a verifier has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Compressed bytes received.
    pub received: u64,
    /// Uncompressed bytes produced.
    pub uncompressed: u64,
    /// Size from the descriptor.
    pub declared: u64,
}

/// Verifies one layer blob as it streams by, in one pass and in memory that does not grow with
/// the layer: stage A ([`BlobStage`]) feeding stage B ([`TarStage`]) in place. Where two threads
/// are at hand the same two stages run apart and [`LayerReport::assemble`] joins their halves
/// into the same report.
///
/// Call order: [`LayerVerifier::new`], then [`LayerVerifier::update`] with each chunk of the
/// blob in order (chunks of any size, empty ones included), [`LayerVerifier::progress`] at any
/// time, then [`LayerVerifier::finish`] once, when the stream ends or is abandoned.
///
/// `update` hashes the compressed bytes, decompresses them through one fixed output buffer,
/// hashes the result and (if asked) lists the tar. When decompression fails (corrupt data, a
/// decompression bomb, a cap), decoding stops but hashing goes on, so the blob's digest — the
/// primary fact — is still known once every byte has arrived; the error is available from
/// [`LayerVerifier::error`]. `update` returns an error only when reading on is pointless: more
/// bytes arrived than the descriptor declares. The verifier then ignores further input and returns
/// that error again, so the caller should stop downloading. `finish` always returns a report with
/// what was computed and every error found, the most telling first. For a stream that does not
/// stop early the report does not depend on how the chunks were cut; after a stop, the byte counts
/// say how far it got, which does.
pub struct LayerVerifier {
    blob: BlobStage,
    tar: TarStage,
}

impl LayerVerifier {
    /// A verifier for a layer with this descriptor (`media_type`, `digest`, `size`) and, if
    /// known, the diff_id the image config gives it.
    pub fn new(
        media_type: &MediaType,
        digest: Digest,
        size: u64,
        diff_id: Option<Digest>,
        options: VerifyOptions,
    ) -> Result<Self, VerifyError> {
        let blob = BlobStage::new(media_type, digest, size, &options)?;
        Ok(Self { blob, tar: TarStage::new(diff_id, options.listing) })
    }

    /// Takes the next chunk of the blob. Errs only when the stream must stop (see the type's
    /// documentation); after that, returns that error and does nothing.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), VerifyError> {
        let tar = &mut self.tar;
        self.blob.update(chunk, &mut |bytes| tar.update(bytes))
    }

    /// Bytes received and produced so far.
    pub fn progress(&self) -> Progress {
        self.blob.progress()
    }

    /// The error that stopped the stream or the decompression, if one did.
    pub fn error(&self) -> Option<&VerifyError> {
        self.blob.error()
    }

    /// Ends verification (the stream is over or abandoned) and reports what was found.
    pub fn finish(self) -> LayerReport {
        LayerReport::assemble(self.blob.finish(), self.tar.finish())
    }
}
