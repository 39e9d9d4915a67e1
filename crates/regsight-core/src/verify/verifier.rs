//! The layer verifier: compressed chunks in, a [`LayerReport`] out.

use serde::{Deserialize, Serialize};

use super::error::VerifyError;
use super::gzip::GzipDecoder;
use super::output::{Cap, Sink, Uncompressed};
use super::report::{Check, LayerReport};
use super::tar::{ListingOptions, TarWalker};
use super::zstd::ZstdDecoder;
use crate::{Algorithm, Compression, Digest, Hasher, MediaType};

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
/// hashes the result and (if asked) lists the tar. It returns an error as soon as the blob is
/// known to be bad (too long, corrupt, a decompression bomb); the verifier then ignores further
/// input and returns that error again, so the caller should stop downloading. `finish` always
/// returns a report with what was computed, including that error. For a stream that does not stop
/// early the report does not depend on how the chunks were cut; after a stop, the byte counts say
/// how far it got, which does.
pub struct LayerVerifier {
    media_type: MediaType,
    compression: Compression,
    expected_digest: Digest,
    declared_size: u64,
    expected_diff_id: Option<Digest>,
    received: u64,
    compressed: Hasher,
    decoder: Decoder,
    output: Uncompressed,
    buffer: Box<[u8]>,
    error: Option<VerifyError>,
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
        let diff_algorithm = diff_id.as_ref().map_or(Algorithm::Sha256, Digest::algorithm);
        let tar = options.listing.map(TarWalker::new);
        Ok(Self {
            media_type: media_type.clone(),
            compression,
            compressed: Hasher::new(digest.algorithm()),
            expected_digest: digest,
            declared_size: size,
            expected_diff_id: diff_id,
            received: 0,
            decoder,
            output: Uncompressed::new(diff_algorithm, cap, tar),
            buffer: vec![0; options.output_buffer_size.max(1024)].into_boxed_slice(),
            error: None,
        })
    }

    /// Takes the next chunk of the blob. After an error, returns that error and does nothing.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), VerifyError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.process(chunk);
        if let Err(error) = &result {
            self.error = Some(error.clone());
        }
        result
    }

    fn process(&mut self, chunk: &[u8]) -> Result<(), VerifyError> {
        let received = self.received.saturating_add(chunk.len() as u64);
        if received > self.declared_size {
            return Err(VerifyError::TooLong { declared: self.declared_size, received });
        }
        self.received = received;
        self.compressed.update(chunk);
        match &mut self.decoder {
            Decoder::Plain => self.output.write(chunk),
            Decoder::Gzip(gzip) => gzip.update(chunk, &mut self.buffer, &mut self.output),
            Decoder::Zstd(zstd) => zstd.update(chunk, &mut self.buffer, &mut self.output),
        }
    }

    /// Bytes received and produced so far.
    pub fn progress(&self) -> Progress {
        Progress { received: self.received, uncompressed: self.output.len, declared: self.declared_size }
    }

    /// The error that stopped the verifier, if one did.
    pub fn error(&self) -> Option<&VerifyError> {
        self.error.as_ref()
    }

    /// Ends verification (the stream is over or abandoned) and reports what was found.
    pub fn finish(self) -> LayerReport {
        let stopped = self.error.is_some();
        let size = match &self.error {
            Some(VerifyError::TooLong { .. }) => Check::Failed,
            Some(_) => Check::Incomplete,
            None => Check::compare(self.received == self.declared_size),
        };
        let too_short = (size == Check::Failed && !stopped)
            .then_some(VerifyError::TooShort { declared: self.declared_size, received: self.received });
        let decoded = match &self.decoder {
            _ if stopped => Err(None),
            Decoder::Plain => Ok(()),
            Decoder::Gzip(gzip) => gzip.finish().map_err(Some),
            Decoder::Zstd(zstd) => zstd.finish().map_err(Some),
        };
        let computed_digest = (!stopped).then(|| self.compressed.finalize());
        let digest = match &computed_digest {
            Some(computed) => Check::compare(*computed == self.expected_digest),
            None => Check::Incomplete,
        };
        let uncompressed_size = self.output.len;
        let (diff_id_of_output, tar) = self.output.finish();
        let computed_diff_id = decoded.is_ok().then_some(diff_id_of_output);
        let diff_id = match (&self.expected_diff_id, &computed_diff_id) {
            (None, _) => Check::NotChecked,
            (Some(_), None) => Check::Incomplete,
            (Some(expected), Some(computed)) => Check::compare(expected == computed),
        };
        let digest_error = match &computed_digest {
            Some(computed) if *computed != self.expected_digest => Some(VerifyError::DigestMismatch {
                expected: self.expected_digest.clone(),
                computed: computed.clone(),
            }),
            _ => None,
        };
        let diff_id_error = match (&self.expected_diff_id, &computed_diff_id) {
            (Some(expected), Some(computed)) if expected != computed => {
                Some(VerifyError::DiffIdMismatch { expected: expected.clone(), computed: computed.clone() })
            }
            _ => None,
        };
        let error = self.error.or(too_short).or(decoded.err().flatten()).or(digest_error).or(diff_id_error);
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
        }
    }
}
