//! The streaming layer verifier: the heart of regsight.
//!
//! A [`LayerVerifier`] is built from a layer descriptor (media type, digest, size) and the
//! diff_id the image config pairs with it. Fed the blob chunk by chunk, it checks in one pass and
//! in fixed memory that the blob has the declared size and digest, that it decompresses cleanly
//! (gzip with any number of members, zstd with any number of frames, or a plain tar) within
//! size and ratio caps, and that the uncompressed tar hashes to the diff_id; on request it also
//! lists the tar's entries. [`LayerVerifier::finish`] returns a serializable [`LayerReport`].
//!
//! The verifier is two stages that can run apart (on two threads, e.g. two Web Workers): stage A,
//! [`BlobStage`] (the blob's size and digest, decompression and its caps), passes decompressed
//! chunks to stage B, [`TarStage`] (the diff_id and the listing); [`LayerReport::assemble`] joins
//! their halves. [`LayerVerifier`] is A feeding B in place, so both ways share one implementation.
//!
//! Modules, in the order bytes flow through them: `verifier` (the public type), `blob` (stage A),
//! `gzip` and `zstd` (push-based decompressors), `output` (the size caps), `tar_stage` (stage B),
//! `tar` (the listing), `report` and `error`.

mod blob;
mod error;
mod gzip;
mod output;
mod report;
mod tar;
mod tar_stage;
mod verifier;
mod zstd;

pub use crate::check::Check;
pub use blob::{BlobHalf, BlobStage};
pub use error::{GzipFault, VerifyError};
pub use report::{LayerReport, LayerSummary, ReportedError};
pub use tar::{EntryKind, ListingOptions, TarEntry, TarError, TarListing, TarWalker, Whiteout};
pub use tar_stage::{TarHalf, TarStage};
pub use verifier::{LayerVerifier, Progress, VerifyOptions};
