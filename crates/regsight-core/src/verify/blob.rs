//! Stage A of a layer's verification: the blob as served. Compressed chunks in; the blob's size and
//! digest checked, decompression and its caps; decompressed chunks out to stage B
//! ([`super::TarStage`]), in place or on another thread. The blob digest may also be computed on
//! another thread ([`BlobStage::hashed_elsewhere`]), to even out the two threads' work.

use super::error::VerifyError;
use super::gzip::GzipDecoder;
use super::output::{Cap, Capped};
use super::verifier::{Progress, VerifyOptions};
use super::zstd::ZstdDecoder;
use crate::{Check, Compression, Digest, DigestCheck, DigestVerifier, MediaType};

/// The decompressor for the layer's compression.
enum Decoder {
    /// A plain tar: the bytes are the uncompressed bytes.
    Plain,
    /// gzip, any number of members.
    Gzip(Box<GzipDecoder>),
    /// zstd, any number of frames.
    Zstd(Box<ZstdDecoder>),
}

/// Stage A: hashes and counts the compressed bytes, decompresses them through one fixed buffer
/// within the caps, and hands every decompressed byte to stage B, in order.
///
/// The contract is [`super::LayerVerifier`]'s (which is this stage feeding a [`super::TarStage`]
/// in place): `update` errs only when the blob is longer than declared; a decompression error
/// stops decoding but not hashing. [`BlobStage::finish`] gives this stage's half of the report.
pub struct BlobStage {
    media_type: MediaType,
    compression: Compression,
    expected_digest: Digest,
    declared_size: u64,
    received: u64,
    /// The blob digest being computed here, or `None` when another thread computes it.
    compressed: Option<DigestVerifier>,
    decoder: Decoder,
    cap: Cap,
    /// Decompressed bytes passed to stage B.
    produced: u64,
    buffer: Box<[u8]>,
    /// Why the stream must stop (too long); nothing more is read.
    stopped: Option<VerifyError>,
    /// Why decompression stopped; the compressed bytes are still hashed.
    decode_error: Option<VerifyError>,
}

impl BlobStage {
    /// Stage A for a layer with this descriptor (`media_type`, `digest`, `size`).
    pub fn new(
        media_type: &MediaType,
        digest: Digest,
        size: u64,
        options: &VerifyOptions,
    ) -> Result<Self, VerifyError> {
        let compression = media_type.layer_compression().ok_or_else(|| {
            VerifyError::UnsupportedMediaType { media_type: media_type.as_str().to_owned() }
        })?;
        let decoder = match compression {
            Compression::None => Decoder::Plain,
            Compression::Gzip => Decoder::Gzip(Box::new(GzipDecoder::new())),
            Compression::Zstd => Decoder::Zstd(Box::new(ZstdDecoder::new(options.max_zstd_window))),
        };
        Ok(Self {
            media_type: media_type.clone(),
            compression,
            compressed: Some(DigestVerifier::new(Some(digest.clone()))),
            expected_digest: digest,
            declared_size: size,
            received: 0,
            decoder,
            cap: Cap::new(options.max_uncompressed_size, options.max_ratio, size, options.ratio_floor),
            produced: 0,
            buffer: vec![0; options.output_buffer_size.max(1024)].into_boxed_slice(),
            stopped: None,
            decode_error: None,
        })
    }

    /// This stage without the blob digest: the caller hashes the same compressed bytes elsewhere
    /// (a split layer's tar worker, where the work then balances) and ends with
    /// [`BlobStage::finish_with_digest`].
    #[must_use]
    pub fn hashed_elsewhere(mut self) -> Self {
        self.compressed = None;
        self
    }

    /// Takes the next chunk of the blob and passes what it decompresses to `out` (stage B). Errs
    /// only when the stream must stop; after that, returns that error and does nothing.
    pub fn update(&mut self, chunk: &[u8], out: &mut impl FnMut(&[u8])) -> Result<(), VerifyError> {
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
        if let Some(compressed) = &mut self.compressed {
            compressed.update(chunk);
        }
        if self.decode_error.is_none() {
            let mut sink = Capped { len: &mut self.produced, cap: self.cap, out };
            let decoded = match &mut self.decoder {
                Decoder::Plain => super::output::Sink::write(&mut sink, chunk),
                Decoder::Gzip(gzip) => gzip.update(chunk, &mut self.buffer, &mut sink),
                Decoder::Zstd(zstd) => zstd.update(chunk, &mut self.buffer, &mut sink),
            };
            self.decode_error = decoded.err();
        }
        Ok(())
    }

    /// Bytes received and produced so far.
    pub fn progress(&self) -> Progress {
        Progress { received: self.received, uncompressed: self.produced, declared: self.declared_size }
    }

    /// The error that stopped the stream or the decompression, if one did.
    pub fn error(&self) -> Option<&VerifyError> {
        self.stopped.as_ref().or(self.decode_error.as_ref())
    }

    /// Ends this stage (the stream is over or abandoned): its half of the report. A stage
    /// [`BlobStage::hashed_elsewhere`] ends with [`BlobStage::finish_with_digest`]; ended here, its
    /// digest check is incomplete.
    pub fn finish(mut self) -> BlobHalf {
        let check = self.compressed.take().map(DigestVerifier::finish);
        self.finish_checked(check)
    }

    /// Ends a stage [`BlobStage::hashed_elsewhere`], given the digest computed elsewhere of every
    /// byte this stage took (in order).
    pub fn finish_with_digest(self, computed: Digest) -> BlobHalf {
        let check = DigestCheck { expected: Some(self.expected_digest.clone()), computed };
        self.finish_checked(Some(check))
    }

    /// Ends this stage with `check`, the blob digest's comparison (if the blob was hashed).
    fn finish_checked(self, check: Option<DigestCheck>) -> BlobHalf {
        // A stream stopped for being too long was not hashed (nor decoded) to its end; any other was.
        let too_long = self.stopped.is_some();
        let size = Check::compare(!too_long && self.received == self.declared_size);
        let size_error = match self.stopped {
            Some(error) => Some(error),
            None => (size == Check::Failed)
                .then_some(VerifyError::TooShort { declared: self.declared_size, received: self.received }),
        };
        let digest_check = check.filter(|_| !too_long);
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
        BlobHalf {
            media_type: self.media_type,
            compression: self.compression,
            decoded: !too_long && decode_error.is_none(),
            expected_digest: self.expected_digest,
            computed_digest,
            declared_size: self.declared_size,
            compressed_size: self.received,
            uncompressed_size: self.produced,
            digest,
            size,
            errors: [size_error, digest_error, decode_error],
        }
    }
}

/// Stage A's half of a layer report: the blob's checks and whether it decompressed to its end.
/// [`super::LayerReport::assemble`] joins it with stage B's [`super::TarHalf`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHalf {
    pub(crate) media_type: MediaType,
    pub(crate) compression: Compression,
    /// True when every byte arrived and decompressed cleanly, so stage B saw the whole tar.
    pub(crate) decoded: bool,
    pub(crate) expected_digest: Digest,
    pub(crate) computed_digest: Option<Digest>,
    pub(crate) declared_size: u64,
    pub(crate) compressed_size: u64,
    pub(crate) uncompressed_size: u64,
    pub(crate) digest: Check,
    pub(crate) size: Check,
    /// The size, digest and decompression errors, in that order.
    pub(crate) errors: [Option<VerifyError>; 3],
}

impl BlobHalf {
    /// Decompressed bytes this stage passed to stage B.
    pub fn uncompressed_size(&self) -> u64 {
        self.uncompressed_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stage A over a plain layer `bytes` declared with `digest`, hashed elsewhere.
    fn unhashed(bytes: &[u8], digest: &Digest) -> BlobStage {
        let options = VerifyOptions::default();
        let mut stage = BlobStage::new(&MediaType::OciLayerTar, digest.clone(), bytes.len() as u64, &options)
            .expect("a plain layer is supported")
            .hashed_elsewhere();
        stage.update(bytes, &mut |_| {}).expect("not longer than declared");
        stage
    }

    #[test]
    fn a_digest_computed_elsewhere_is_compared_here() {
        let bytes = b"a plain layer";
        let digest = Digest::sha256_of(bytes);
        let half = unhashed(bytes, &digest).finish_with_digest(digest.clone());
        assert_eq!((half.digest, half.computed_digest.as_ref()), (Check::Passed, Some(&digest)));

        let other = Digest::sha256_of(b"other bytes");
        let half = unhashed(bytes, &digest).finish_with_digest(other.clone());
        assert_eq!(half.digest, Check::Failed);
        assert_eq!(half.errors[1], Some(VerifyError::DigestMismatch { expected: digest, computed: other }));
    }

    #[test]
    fn a_stage_hashed_elsewhere_but_finished_here_is_incomplete() {
        let bytes = b"a plain layer";
        let half = unhashed(bytes, &Digest::sha256_of(bytes)).finish();
        assert_eq!((half.digest, half.computed_digest.as_ref()), (Check::Incomplete, None));
        let tar = super::super::TarStage::new(None, None).finish();
        let report = super::super::LayerReport::assemble(half, tar);
        assert!(!report.verified, "a blob nobody hashed is not verified");
    }
}
