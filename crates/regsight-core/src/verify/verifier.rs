//! The layer verifier: compressed chunks in, a [`LayerReport`] out.

use serde::{Deserialize, Serialize};

use super::error::VerifyError;
use super::gzip::GzipDecoder;
use super::output::{Cap, Sink, Uncompressed};
use super::report::LayerReport;
use super::tar::{ListingOptions, TarWalker};
use super::zstd::ZstdDecoder;
use crate::{Check, Compression, Digest, DigestCheck, DigestVerifier, MediaType};

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

/// The decompressor for the layer's compression.
enum Decoder {
    /// A plain tar: the bytes are the uncompressed bytes.
    Plain,
    /// gzip, any number of members.
    Gzip(Box<GzipDecoder>),
    /// zstd, any number of frames.
    Zstd(Box<ZstdDecoder>),
}

/// Verifies one layer blob as it streams by, in one pass and in memory that does not grow with
/// the layer.
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
    media_type: MediaType,
    compression: Compression,
    expected_digest: Digest,
    declared_size: u64,
    expected_diff_id: Option<Digest>,
    received: u64,
    compressed: DigestVerifier,
    decoder: Decoder,
    output: Uncompressed,
    buffer: Box<[u8]>,
    /// Why the stream must stop (too long); nothing more is read.
    stopped: Option<VerifyError>,
    /// Why decompression stopped; the compressed bytes are still hashed.
    decode_error: Option<VerifyError>,
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
        let compression = media_type.layer_compression().ok_or_else(|| {
            VerifyError::UnsupportedMediaType { media_type: media_type.as_str().to_owned() }
        })?;
        let decoder = match compression {
            Compression::None => Decoder::Plain,
            Compression::Gzip => Decoder::Gzip(Box::new(GzipDecoder::new())),
            Compression::Zstd => Decoder::Zstd(Box::new(ZstdDecoder::new(options.max_zstd_window))),
        };
        let cap = Cap::new(options.max_uncompressed_size, options.max_ratio, size, options.ratio_floor);
        let tar = options.listing.map(TarWalker::new);
        Ok(Self {
            media_type: media_type.clone(),
            compression,
            compressed: DigestVerifier::new(Some(digest.clone())),
            expected_digest: digest,
            declared_size: size,
            expected_diff_id: diff_id.clone(),
            received: 0,
            decoder,
            output: Uncompressed::new(diff_id, cap, tar),
            buffer: vec![0; options.output_buffer_size.max(1024)].into_boxed_slice(),
            stopped: None,
            decode_error: None,
        })
    }

    /// Takes the next chunk of the blob. Errs only when the stream must stop (see the type's
    /// documentation); after that, returns that error and does nothing.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), VerifyError> {
        if let Some(error) = &self.stopped {
            return Err(error.clone());
        }
        let received = self.received.saturating_add(chunk.len() as u64);
        if received > self.declared_size {
            let error = VerifyError::TooLong { declared: self.declared_size, received };
            self.stopped = Some(error.clone());
            return Err(error);
        }
        self.received = received;
        self.compressed.update(chunk);
        if self.decode_error.is_none() {
            let decoded = match &mut self.decoder {
                Decoder::Plain => self.output.write(chunk),
                Decoder::Gzip(gzip) => gzip.update(chunk, &mut self.buffer, &mut self.output),
                Decoder::Zstd(zstd) => zstd.update(chunk, &mut self.buffer, &mut self.output),
            };
            self.decode_error = decoded.err();
        }
        Ok(())
    }

    /// Bytes received and produced so far.
    pub fn progress(&self) -> Progress {
        Progress { received: self.received, uncompressed: self.output.len, declared: self.declared_size }
    }

    /// The error that stopped the stream or the decompression, if one did.
    pub fn error(&self) -> Option<&VerifyError> {
        self.stopped.as_ref().or(self.decode_error.as_ref())
    }

    /// Ends verification (the stream is over or abandoned) and reports what was found.
    pub fn finish(self) -> LayerReport {
        // A stream stopped for being too long was not hashed (nor decoded) to its end; any other was.
        let too_long = self.stopped.is_some();
        let size = Check::compare(!too_long && self.received == self.declared_size);
        let size_error = match self.stopped {
            Some(error) => Some(error),
            None => (size == Check::Failed)
                .then_some(VerifyError::TooShort { declared: self.declared_size, received: self.received }),
        };
        let digest_check = (!too_long).then(|| self.compressed.finish());
        let digest = digest_check.as_ref().map_or(Check::Incomplete, DigestCheck::result);
        let computed_digest = digest_check.map(|c| c.computed);
        let digest_error = computed_digest.as_ref().filter(|_| digest == Check::Failed).map(|computed| {
            VerifyError::DigestMismatch { expected: self.expected_digest.clone(), computed: computed.clone() }
        });
        let decode_error = match (self.decode_error, &self.decoder) {
            (Some(error), _) => Some(error),
            (None, _) if too_long => None,
            (None, Decoder::Plain) => None,
            (None, Decoder::Gzip(gzip)) => gzip.finish().err(),
            (None, Decoder::Zstd(zstd)) => zstd.finish().err(),
        };
        let decoded = !too_long && decode_error.is_none();
        let uncompressed_size = self.output.len;
        let (diff_id_check, tar) = self.output.finish();
        let diff_id_check = decoded.then_some(diff_id_check);
        let diff_id = match (&self.expected_diff_id, &diff_id_check) {
            (None, _) => Check::NotChecked,
            (Some(_), None) => Check::Incomplete,
            (Some(_), Some(check)) => check.result(),
        };
        let computed_diff_id = diff_id_check.map(|c| c.computed);
        let diff_id_error = match (&self.expected_diff_id, &computed_diff_id) {
            (Some(expected), Some(computed)) if diff_id == Check::Failed => {
                Some(VerifyError::DiffIdMismatch { expected: expected.clone(), computed: computed.clone() })
            }
            _ => None,
        };
        // The most telling fact first: the blob's size, then its digest, then what decoding found.
        let mut errors = [size_error, digest_error, decode_error, diff_id_error].into_iter().flatten();
        let error = errors.next();
        let other_errors: Vec<VerifyError> = errors.collect();
        LayerReport {
            media_type: self.media_type,
            compression: self.compression,
            expected_digest: self.expected_digest,
            computed_digest,
            declared_size: self.declared_size,
            compressed_size: self.received,
            uncompressed_size,
            expected_diff_id: self.expected_diff_id,
            computed_diff_id,
            digest,
            size,
            diff_id,
            listing: tar.map(TarWalker::finish),
            verified: error.is_none(),
            error,
            other_errors,
        }
    }
}
