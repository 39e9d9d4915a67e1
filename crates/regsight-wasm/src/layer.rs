//! Verifying one layer: stream its blob into the core's verifier, reporting progress. The same code
//! runs in-process and inside a Web Worker.

use std::ops::ControlFlow;

use regsight_core::reported::ReportedError;
use regsight_core::verify::{
    LayerSummary, LayerVerifier, ListingOptions, Progress, TarListing, VerifyOptions,
};
use regsight_core::{Digest, MediaType};
use serde::{Deserialize, Serialize};
use web_sys::AbortSignal;

use crate::error::ClientError;
use crate::fetch::HttpResponse;
use crate::options::Timeouts;

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

/// Streams `response`'s body through a verifier for `job`; returns the findings even when the
/// content is bad (that is a finding, not a failure). A connection that breaks mid-body is a
/// finding too: the verifier says what the bytes received were (short, with their digest), and
/// the break is among its other errors. Errors are aborts, timeouts and failures to start.
pub async fn verify_body(
    job: &LayerJob,
    response: HttpResponse,
    signal: Option<&AbortSignal>,
    mut on_progress: impl FnMut(Progress),
) -> Result<Verified, ClientError> {
    let mut options = job.options;
    if job.list_files && options.listing.is_none() {
        options.listing = Some(ListingOptions::default());
    }
    let mut verifier =
        LayerVerifier::new(&job.media_type, job.digest.clone(), job.size, job.diff_id.clone(), options)?;
    let mut throttle = Throttle::new(100.0);
    let streamed = response
        .for_each_chunk(signal, |chunk| {
            // Only a blob longer than declared ends the download: after a decompression error
            // the verifier still hashes the rest, so the blob digest is known; the report says all.
            if verifier.update(chunk).is_err() {
                return Ok(ControlFlow::Break(()));
            }
            if throttle.ready() {
                on_progress(verifier.progress());
            }
            Ok(ControlFlow::Continue(()))
        })
        .await;
    let broken = match streamed {
        Ok(()) => None,
        Err(error @ ClientError::BodyBroken { .. }) => Some(error),
        Err(error) => return Err(error),
    };
    on_progress(verifier.progress());
    let report = verifier.finish();
    let mut summary = report.summary();
    if let Some(error) = broken {
        summary.other_errors.push(ReportedError::new(error.code(), error.to_string()));
    }
    Ok(Verified { summary, files: report.listing })
}
