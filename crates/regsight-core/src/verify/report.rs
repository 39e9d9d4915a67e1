//! What verifying one layer found: computed values, per-check results and the first failure.

use serde::{Deserialize, Serialize, Serializer};

use super::blob::BlobHalf;
use super::error::VerifyError;
use super::tar::TarListing;
use super::tar_stage::TarHalf;
pub use crate::reported::ReportedError;
use crate::{Check, Compression, Digest, DigestCheck, MediaType};

/// Everything known about a layer once its verifier is finished.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerReport {
    /// Media type of the layer.
    pub media_type: MediaType,
    /// Compression implied by the media type (`"none"`, `"gzip"`, `"zstd"`).
    #[serde(serialize_with = "compression_name")]
    pub compression: Compression,
    /// Digest from the descriptor.
    pub expected_digest: Digest,
    /// Digest of the bytes received, when all of them were hashed.
    pub computed_digest: Option<Digest>,
    /// Size from the descriptor.
    pub declared_size: u64,
    /// Compressed bytes received.
    pub compressed_size: u64,
    /// Uncompressed bytes produced.
    pub uncompressed_size: u64,
    /// diff_id from the image config, if given.
    pub expected_diff_id: Option<Digest>,
    /// Digest of the uncompressed tar, when the whole stream was decompressed.
    pub computed_diff_id: Option<Digest>,
    /// Blob digest against the descriptor.
    pub digest: Check,
    /// Blob size against the descriptor.
    pub size: Check,
    /// Uncompressed digest against the config's diff_id.
    pub diff_id: Check,
    /// The tar listing, when it was asked for.
    pub listing: Option<TarListing>,
    /// Why the layer is not verified: the most telling problem (size, then digest, then
    /// decompression, then diff_id).
    pub error: Option<VerifyError>,
    /// Any further problems, in the same order (e.g. the gzip error behind a digest mismatch).
    pub other_errors: Vec<VerifyError>,
    /// True when the size and digest passed and the diff_id passed or was not given: nothing
    /// failed, and nothing that should have been checked went unchecked.
    pub verified: bool,
}

fn compression_name<S: Serializer>(compression: &Compression, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match compression {
        Compression::None => "none",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    })
}

/// What the chain needs of a [`LayerReport`]: plain data that survives a trip through JSON (e.g.
/// from a Web Worker), without the tar listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerSummary {
    /// Digest from the descriptor.
    pub expected_digest: Digest,
    /// Size from the descriptor.
    pub declared_size: u64,
    /// diff_id the layer was checked against.
    pub expected_diff_id: Option<Digest>,
    /// Digest of the bytes received, when all of them were hashed.
    pub computed_digest: Option<Digest>,
    /// Digest of the uncompressed tar, when it was all decompressed.
    pub computed_diff_id: Option<Digest>,
    /// Compressed bytes received.
    pub compressed_size: u64,
    /// Uncompressed bytes produced.
    pub uncompressed_size: u64,
    /// Blob digest check.
    pub digest: Check,
    /// Blob size check.
    pub size: Check,
    /// diff_id check.
    pub diff_id: Check,
    /// True when nothing failed.
    pub verified: bool,
    /// Why not, as a stable code and a sentence: the most telling problem.
    pub error: Option<ReportedError>,
    /// Any further problems, in order.
    #[serde(default)]
    pub other_errors: Vec<ReportedError>,
}

impl From<&VerifyError> for ReportedError {
    fn from(error: &VerifyError) -> Self {
        Self::new(error.code(), error.to_string())
    }
}

impl LayerReport {
    /// The report of a layer whose stage A gave `blob` and stage B gave `tar` (the diff_id counts
    /// only when stage A decompressed the whole blob, so stage B saw the whole tar).
    pub fn assemble(blob: BlobHalf, tar: TarHalf) -> Self {
        let diff_id_check = blob
            .decoded
            .then(|| DigestCheck { expected: tar.expected_diff_id.clone(), computed: tar.computed_diff_id });
        let diff_id = match (&tar.expected_diff_id, &diff_id_check) {
            (None, _) => Check::NotChecked,
            (Some(_), None) => Check::Incomplete,
            (Some(_), Some(check)) => check.result(),
        };
        let diff_id_check = diff_id_check.map(|c| c.computed);
        let diff_id_error = match (&tar.expected_diff_id, &diff_id_check) {
            (Some(expected), Some(computed)) if diff_id == Check::Failed => {
                Some(VerifyError::DiffIdMismatch { expected: expected.clone(), computed: computed.clone() })
            }
            _ => None,
        };
        // The most telling fact first: the blob's size, then its digest, then what decoding found.
        let [size_error, digest_error, decode_error] = blob.errors;
        let mut errors = [size_error, digest_error, decode_error, diff_id_error].into_iter().flatten();
        let error = errors.next();
        let other_errors: Vec<VerifyError> = errors.collect();
        // Every failure is an error above; the checks are asked as well, so a stage that did not
        // check (a digest meant to be computed elsewhere and never given) cannot pass.
        let checked = blob.digest == Check::Passed
            && blob.size == Check::Passed
            && matches!(diff_id, Check::Passed | Check::NotChecked);
        Self {
            media_type: blob.media_type,
            compression: blob.compression,
            expected_digest: blob.expected_digest,
            computed_digest: blob.computed_digest,
            declared_size: blob.declared_size,
            compressed_size: blob.compressed_size,
            uncompressed_size: blob.uncompressed_size,
            expected_diff_id: tar.expected_diff_id,
            computed_diff_id: diff_id_check,
            digest: blob.digest,
            size: blob.size,
            diff_id,
            listing: tar.listing,
            verified: error.is_none() && checked,
            error,
            other_errors,
        }
    }

    /// The data the chain needs, without the listing.
    pub fn summary(&self) -> LayerSummary {
        LayerSummary {
            expected_digest: self.expected_digest.clone(),
            declared_size: self.declared_size,
            expected_diff_id: self.expected_diff_id.clone(),
            computed_digest: self.computed_digest.clone(),
            computed_diff_id: self.computed_diff_id.clone(),
            compressed_size: self.compressed_size,
            uncompressed_size: self.uncompressed_size,
            digest: self.digest,
            size: self.size,
            diff_id: self.diff_id,
            verified: self.verified,
            error: self.error.as_ref().map(ReportedError::from),
            other_errors: self.other_errors.iter().map(ReportedError::from).collect(),
        }
    }
}
