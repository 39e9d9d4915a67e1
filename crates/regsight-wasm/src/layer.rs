//! Verifying one layer: stream its blob into the core's verifier, reporting progress. The same code
//! runs in-process, inside a Web Worker, and in the blob worker of a layer split across two.

use std::ops::ControlFlow;

use futures::FutureExt as _;
use futures::future::OptionFuture;
use regsight_core::reported::ReportedError;
use regsight_core::verify::{
    BlobHalf, BlobStage, LayerReport, LayerSummary, ListingOptions, Progress, TarHalf, TarListing, TarStage,
    VerifyOptions,
};
use regsight_core::{Digest, MediaType};
use serde::{Deserialize, Serialize};
use web_sys::AbortSignal;

use crate::error::ClientError;
use crate::fetch::HttpResponse;
use crate::options::Timeouts;
use crate::split::{Credits, Feed};

/// What a verifier needs to know about one layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerJob {
    /// Position in the manifest.
    pub index: usize,
    /// Blob URL.
    pub url: String,
    /// `Authorization` value for the blob URL, when the registry wants one (workers only).
    pub authorization: Option<String>,
    /// Descriptor media type.
    pub media_type: MediaType,
    /// Descriptor digest.
    pub digest: Digest,
    /// Descriptor size.
    pub size: u64,
    /// The config's diff_id for this layer.
    pub diff_id: Option<Digest>,
    /// Verifier limits.
    pub options: VerifyOptions,
    /// How long the registry may stay silent (the defaults when a job names none).
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Whether to list the tar's files.
    pub list_files: bool,
}

/// Calls `on_progress` at most every `interval_ms`, and always for the last update.
pub struct Throttle {
    interval_ms: f64,
    last: f64,
}

impl Throttle {
    /// A throttle letting one call through every `interval_ms`.
    pub fn new(interval_ms: f64) -> Self {
        Self { interval_ms, last: f64::NEG_INFINITY }
    }

    /// True when a progress event should be sent now.
    pub fn ready(&mut self) -> bool {
        let now = js_sys::Date::now();
        if now - self.last >= self.interval_ms {
            self.last = now;
            true
        } else {
            false
        }
    }
}

/// What streaming one layer found: the chain-facing summary and, when asked, the listing.
pub struct Verified {
    /// The verifier's findings.
    pub summary: LayerSummary,
    /// The tar listing, when asked for.
    pub files: Option<TarListing>,
}

/// The verifier's options for `job`: its limits, with a listing when the job asks for the files.
fn verify_options(job: &LayerJob) -> VerifyOptions {
    let mut options = job.options;
    if job.list_files && options.listing.is_none() {
        options.listing = Some(ListingOptions::default());
    }
    options
}

/// The verifier's stage B for `job`: its diff_id and, when asked, its listing.
pub fn tar_stage(job: &LayerJob) -> TarStage {
    TarStage::new(job.diff_id.clone(), verify_options(job).listing)
}

/// Where the verifier's stage A sends the decompressed bytes: stage B on this thread, or the
/// layer's tar worker (a split layer, see `split.rs`), which also computes the blob digest.
pub enum Tail {
    /// Stage B, in place.
    Here(Box<TarStage>),
    /// The tar worker, over a channel.
    There(Feed),
}

impl Tail {
    /// Stage B in place, for `job`.
    pub fn here(job: &LayerJob) -> Self {
        Self::Here(Box::new(tar_stage(job)))
    }

    /// `stage`, hashing the blob itself unless the tar worker does.
    fn blob_stage(&self, stage: BlobStage) -> BlobStage {
        match self {
            Self::Here(_) => stage,
            Self::There(_) => stage.hashed_elsewhere(),
        }
    }

    /// A chunk of the blob that `blob` took (the tar worker hashes it).
    fn took(&mut self, chunk: &[u8]) {
        if let Self::There(feed) = self {
            feed.write_blob(chunk);
        }
    }

    /// Decompressed bytes.
    fn write(&mut self, bytes: &[u8]) {
        match self {
            Self::Here(stage) => stage.update(bytes),
            Self::There(feed) => feed.write(bytes),
        }
    }

    /// Ends both stages: their halves.
    async fn finish(self, blob: BlobStage) -> Result<(BlobHalf, TarHalf), ClientError> {
        match self {
            Self::Here(stage) => Ok((blob.finish(), stage.finish())),
            Self::There(feed) => {
                let far = feed.finish().await?;
                Ok((blob.finish_with_digest(far.blob_digest), far.tar))
            }
        }
    }
}

/// Streams `response`'s body through a verifier for `job` on this thread; see [`verify_into`].
#[cfg(feature = "in-process")]
pub async fn verify_body(
    job: &LayerJob,
    response: HttpResponse,
    signal: Option<&AbortSignal>,
    on_progress: impl FnMut(Progress),
) -> Result<Verified, ClientError> {
    verify_into(job, response, signal, Tail::here(job), on_progress).await
}

/// Streams `response`'s body through the verifier's stage A for `job`, its output to `tail`, and
/// assembles the report; returns the findings even when the content is bad (that is a finding,
/// not a failure). A connection that breaks mid-body is a finding too: the verifier says what the
/// bytes received were (short, with their digest), and the break is among its other errors.
/// Errors are aborts, timeouts, failures to start and a tar worker that lost bytes.
pub async fn verify_into(
    job: &LayerJob,
    response: HttpResponse,
    signal: Option<&AbortSignal>,
    mut tail: Tail,
    mut on_progress: impl FnMut(Progress),
) -> Result<Verified, ClientError> {
    let mut blob =
        tail.blob_stage(BlobStage::new(&job.media_type, job.digest.clone(), job.size, &verify_options(job))?);
    let credits = match &tail {
        Tail::There(feed) => Some(feed.credits()),
        Tail::Here(_) => None,
    };
    let mut throttle = Throttle::new(100.0);
    let streamed = response
        .for_each_chunk_paced(
            signal,
            || OptionFuture::from(credits.as_ref().map(Credits::wait)).map(|_| ()),
            |chunk| {
                // Only a blob longer than declared ends the download: after a decompression error
                // the verifier still hashes the rest, so the blob digest is known; the report says all.
                if blob.update(chunk, &mut |bytes| tail.write(bytes)).is_err() {
                    return Ok(ControlFlow::Break(()));
                }
                tail.took(chunk);
                if throttle.ready() {
                    on_progress(blob.progress());
                }
                Ok(ControlFlow::Continue(()))
            },
        )
        .await;
    let broken = match streamed {
        Ok(()) => None,
        Err(error @ ClientError::BodyBroken { .. }) => Some(error),
        Err(error) => return Err(error),
    };
    on_progress(blob.progress());
    let (blob, tar) = tail.finish(blob).await?;
    if tar.uncompressed_size() != blob.uncompressed_size() {
        return Err(ClientError::WorkerFailed(format!(
            "the tar worker took {} decompressed bytes of {}",
            tar.uncompressed_size(),
            blob.uncompressed_size()
        )));
    }
    let report = LayerReport::assemble(blob, tar);
    let mut summary = report.summary();
    if let Some(error) = broken {
        summary.other_errors.push(ReportedError::new(error.code(), error.to_string()));
    }
    Ok(Verified { summary, files: report.listing })
}
