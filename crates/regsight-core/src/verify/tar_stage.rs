//! Stage B of a layer's verification: the tar the blob holds. Decompressed chunks in (from stage A,
//! [`super::BlobStage`], in place or from another thread); the diff_id hash and the optional
//! listing out.

use serde::{Deserialize, Serialize};

use super::tar::{ListingOptions, TarListing, TarWalker};
use crate::{Digest, DigestVerifier};

/// Stage B: hashes the decompressed bytes (the diff_id) and, if asked, lists the tar.
pub struct TarStage {
    expected_diff_id: Option<Digest>,
    len: u64,
    diff_id: DigestVerifier,
    tar: Option<TarWalker>,
}

impl TarStage {
    /// Stage B for a layer whose config gives it `diff_id` (if known), listing the tar with
    /// `listing`'s limits when asked.
    pub fn new(diff_id: Option<Digest>, listing: Option<ListingOptions>) -> Self {
        Self {
            diff_id: DigestVerifier::new(diff_id.clone()),
            expected_diff_id: diff_id,
            len: 0,
            tar: listing.map(TarWalker::new),
        }
    }

    /// Takes the next decompressed bytes, in order.
    pub fn update(&mut self, bytes: &[u8]) {
        self.len = self.len.saturating_add(bytes.len() as u64);
        self.diff_id.update(bytes);
        if let Some(tar) = &mut self.tar {
            tar.update(bytes);
        }
    }

    /// Ends this stage: its half of the report.
    pub fn finish(self) -> TarHalf {
        TarHalf {
            computed_diff_id: self.diff_id.finish().computed,
            expected_diff_id: self.expected_diff_id,
            uncompressed_size: self.len,
            listing: self.tar.map(TarWalker::finish),
        }
    }
}

/// Stage B's half of a layer report: plain data, so it can cross from one Web Worker to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TarHalf {
    pub(crate) expected_diff_id: Option<Digest>,
    /// Digest of every byte this stage received.
    pub(crate) computed_diff_id: Digest,
    pub(crate) uncompressed_size: u64,
    pub(crate) listing: Option<TarListing>,
}

impl TarHalf {
    /// Decompressed bytes this stage received (equal to stage A's count unless bytes were lost
    /// between them).
    pub fn uncompressed_size(&self) -> u64 {
        self.uncompressed_size
    }
}
