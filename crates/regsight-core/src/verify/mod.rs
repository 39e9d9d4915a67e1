//! The streaming layer verifier: the heart of regsight.
//!
//! A [`LayerVerifier`] is built from a layer descriptor (media type, digest, size) and the
//! diff_id the image config pairs with it. Fed the blob chunk by chunk, it checks in one pass and
//! in fixed memory that the blob has the declared size and digest, that it decompresses cleanly
//! (gzip with any number of members, zstd with any number of frames, or a plain tar) within
//! size and ratio caps, and that the uncompressed tar hashes to the diff_id; on request it also
//! lists the tar's entries. [`LayerVerifier::finish`] returns a serializable [`LayerReport`].
//!
//! Modules, in the order bytes flow through them: `verifier` (the public type), `gzip` and
//! `zstd` (push-based decompressors), `output` (size caps and the diff_id hash), `tar` (the
//! listing), `report` and `error`.

mod error;
mod gzip;
mod output;
mod report;
mod tar;
mod verifier;
mod zstd;

pub use crate::check::Check;
pub use error::{GzipFault, VerifyError};
pub use report::{LayerReport, LayerSummary, ReportedError};
pub use tar::{EntryKind, ListingOptions, TarEntry, TarError, TarListing, TarWalker, Whiteout};
pub use verifier::{LayerVerifier, Progress, VerifyOptions};
